/* Model files: a model built from an open safetensors container, for the applications that read
 * their own metadata and tensors from the same container (one open, one read of the file).
 * Not installed. */
#ifndef EDL__MODEL_FILE_H
#define EDL__MODEL_FILE_H

#include "io/safetensors.h"

/* The model st describes (edl.spec, then every layer's tensors checked against it), as
   edl_model_load builds it. st stays open and usable. */
edl_status edl__model_from_st(edl__st *st, edl_model **out);

#endif
