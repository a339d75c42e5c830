/* Lazy embedding tables. See table.h. */
#include "model/table.h"

#include "kernels/kernels.h"
#include "model/model.h"

#include <stdatomic.h>
#include <stdlib.h>

edl_status edl__table_set_lazy(edl_model *m, size_t layer) {
    if (!m || layer >= m->nlayers) return edl__fail(EDL_ERR_ARG, "edl__table_set_lazy: no layer %zu", layer);
    edl__layer *L = &m->layers[layer];
    if (L->info.kind != EDL_LAYER_EMBEDDING && L->info.kind != EDL_LAYER_EMBEDDING_BAG)
        return edl__fail(EDL_ERR_ARG, "edl__table_set_lazy: layer %zu is not an embedding", layer);
    if (L->info.rows > EDL__LAZY_MAX_ROWS)
        return edl__fail(EDL_ERR_ARG, "edl__table_set_lazy: %zu rows exceed a lazy table's %zu", L->info.rows,
                         EDL__LAZY_MAX_ROWS);
    if (!L->made && !(L->made = calloc(L->info.rows ? L->info.rows : 1, 1)))
        return edl__fail(EDL_ERR_NOMEM, "no memory for the row marks of a %zu-row table", L->info.rows);
    L->lazy = 1;
    return EDL_OK;
}

int edl__table_is_lazy(const edl_model *m, size_t layer) { return layer < m->nlayers && m->layers[layer].lazy; }

static void make_row(edl_model *m, edl__layer *L, size_t r) {
    uint8_t expect = 0;
    if (atomic_load_explicit(&L->made[r], memory_order_acquire) == 2) return;
    if (atomic_compare_exchange_strong(&L->made[r], &expect, 1)) {
        edl__init_row(L, r, m->params + L->w_off + r * L->info.dim);
        atomic_store_explicit(&L->made[r], 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&L->made[r], memory_order_acquire) != 2) { /* another thread makes it */
    }
}

float *edl__table_row(edl_model *m, size_t layer, size_t r) {
    edl__layer *L = &m->layers[layer];
    if (L->lazy) make_row(m, L, r);
    return m->params + L->w_off + r * L->info.dim;
}

void edl__table_make_rows(edl_model *m, size_t layer, const int32_t *idx, size_t n) {
    edl__layer *L = &m->layers[layer];
    if (!L->lazy) return;
#pragma omp parallel for schedule(static) if (n > 100000)
    for (size_t i = 0; i < n; i++) make_row(m, L, (size_t)idx[i]);
}

void edl__table_make_all(edl_model *m, size_t layer) {
    edl__layer *L = &m->layers[layer];
    if (!L->lazy) return;
#pragma omp parallel for schedule(static) if (L->info.rows > 10000)
    for (size_t r = 0; r < L->info.rows; r++) make_row(m, L, r);
}

size_t edl__table_made(const edl_model *m, size_t layer) {
    const edl__layer *L = &m->layers[layer];
    if (!L->lazy) return L->info.rows;
    size_t n = 0;
    for (size_t r = 0; r < L->info.rows; r++) n += atomic_load_explicit(&L->made[r], memory_order_relaxed) == 2;
    return n;
}

int edl__table_all_finite(const edl_model *m, size_t layer) {
    const edl__layer *L = &m->layers[layer];
    const size_t dim = L->info.dim;
    const float *t = m->params + L->w_off;
    if (!L->lazy) return edl__vec_all_finite(t, L->w_count);
    for (size_t r = 0; r < L->info.rows; r++)
        if (atomic_load_explicit(&L->made[r], memory_order_relaxed) == 2 && !edl__vec_all_finite(t + r * dim, dim))
            return 0;
    return 1;
}
