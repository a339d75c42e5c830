/* A model's scratch file (edl_model_set_table_dir), for the trainers that keep state beside the
 * parameter block: the model's own optimizer (optim.c), edl_train, the recommenders. Not installed. */
#ifndef EDL__TABLE_H
#define EDL__TABLE_H

#include "common/internal.h"

/* The regions of a model's scratch file, each nparams floats in the block's layout and
   page-aligned: the parameters, their gradients, an optimizer's two states and the best
   parameters seen (early stopping). Untouched, a region costs neither memory nor disk. */
enum { EDL__REGION_PARAMS = 0, EDL__REGION_GRADS, EDL__REGION_S1, EDL__REGION_S2, EDL__REGION_BEST, EDL__REGIONS };

/* Region k of the scratch file (zero until written), or NULL when the block is in memory. */
float *edl__model_region(const edl_model *m, int k);
/* Writes back and lets go of the pages of region k's floats [off, off + n) (edl__map_drop):
   bounds the memory a pass over a larger-than-memory table holds; a no-op in memory. */
void edl__model_drop(const edl_model *m, int k, size_t off, size_t n);
/* Starts writing region k's floats [off, off + n) to the file without waiting (edl__map_writeback). */
void edl__model_writeback(const edl_model *m, int k, size_t off, size_t n);

#endif
