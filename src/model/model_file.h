/* Model files: a model built from an open safetensors container, for the applications that read
 * their own metadata and tensors from the same container (one open, one read of the file).
 * Not installed. */
#ifndef EDL__MODEL_FILE_H
#define EDL__MODEL_FILE_H

#include "io/safetensors.h"

/* The model st describes (edl.spec, then every layer's tensors checked against it), as
   edl_model_load builds it; extras 0: the other tensors are checked but not copied into the model
   (the caller reads what it needs from st, so a vocabulary is held once). st stays open. */
edl_status edl__model_from_st(edl__st *st, int extras, edl_model **out);

/* ---- pieces of it, for the readers that want one table without a model (vectors files) ----- */

/* The layers of st's edl.spec, parsed into a model whose parameters are not allocated. */
edl_status edl__model_file_spec(const edl__st *st, edl_model **out);
/* That layer's weight "<layer>.weight" holds as many bytes as the spec's F32 table (before any
   allocation). */
edl_status edl__model_file_size_check(const edl__st *st, size_t layer, const edl_layer_info *in);
/* The tensor of layer's weight (which 0) or bias (which 1, bias_count values): F32, the spec's
   rank and shape. */
edl_status edl__model_file_tensor(const edl__st *st, size_t layer, const edl_layer_info *in, int which,
                                  size_t bias_count, const edl__st_tensor **out);
/* t's floats into dst, every one finite (else the error names its byte offset). */
edl_status edl__model_file_read_floats(edl__st *st, const edl__st_tensor *t, float *dst);

/* ---- writing ------------------------------------------------------------------------------ */

/* A model file of one table, embedding_bag(rows, dim, mean) with loss mse (so edl summary and
   edl_model_load read it), for the callers whose table is not held in a model (word vectors,
   vectors files), with the caller's metadata and extra tensors: the same writer and the same
   checks as edl_model_save_ex (keys without the edl. prefix, extras well formed, every value
   finite). fn names the caller in messages. */
edl_status edl__model_file_write_table(const char *fn, const char *path, const float *table, size_t rows, size_t dim,
                                       const char *const *meta_keys, const char *const *meta_values, size_t nmeta,
                                       const edl_tensor *extra, size_t nextra);

#endif
