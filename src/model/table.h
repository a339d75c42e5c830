/* Tables: lazy embedding tables, whose rows are made (at their initial value, edl__init_row) on
 * first use, so a hashed table of millions of buckets costs only the rows training or a query
 * touches, saved with only those rows (model_file.c), the others regenerated when read; and a
 * model's scratch file (edl_model_set_table_dir), for the trainers that keep state beside the
 * parameter block: the model's own optimizer (optim.c), edl_train, the recommenders.
 * Not installed. */
#ifndef EDL__TABLE_H
#define EDL__TABLE_H

#include "common/internal.h"

/* The most rows a lazy table may have: its file does not bound its rows as a whole table's does
   (a few made rows stand for all), so readers refuse more before allocating a mark a row. */
#define EDL__LAZY_MAX_ROWS ((size_t)1 << 28)

/* Before edl_model_init: embedding layer `layer`'s rows are made on first use. */
edl_status edl__table_set_lazy(edl_model *m, size_t layer);
/* Whether the layer is lazy. */
int edl__table_is_lazy(const edl_model *m, size_t layer);
/* Row r of the table, made first when it is not (thread-safe; r < rows, unchecked). */
float *edl__table_row(edl_model *m, size_t layer, size_t r);
/* Makes rows idx[0..n) (each < rows, unchecked), in parallel when many. */
void edl__table_make_rows(edl_model *m, size_t layer, const int32_t *idx, size_t n);
/* Makes every row: the table as a whole (a .bin, a dump, quantize). */
void edl__table_make_all(edl_model *m, size_t layer);
/* Whether every made row (every row of a table that is not lazy) is finite. */
int edl__table_all_finite(const edl_model *m, size_t layer);
/* Rows made so far (all rows of a table that is not lazy). */
size_t edl__table_made(const edl_model *m, size_t layer);

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
