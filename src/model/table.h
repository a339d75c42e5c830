/* Lazy embedding tables: a table whose rows are made (at their initial value, edl__init_row) on
 * first use, so a hashed table of millions of buckets costs only the rows training or a query
 * touches; and saved with only those rows (model_file.c), the others regenerated when read.
 * Not installed. */
#ifndef EDL__TABLE_H
#define EDL__TABLE_H

#include "common/internal.h"

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

#endif
