/* The gradient exchange of synchronous data-parallel training (see grad_sync.h). */
#include "model/grad_sync.h"

#include <stdlib.h>
#include <string.h>

static int is_table(const edl__layer *L) {
    return L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG;
}

/* Whether layer l's gradients go through the dense exchange: parameters, and not a row-tracked
   table (frozen layers hold zero gradients: summing them is harmless and keeps the runs long). */
static int dense_part(const edl__layer *L) {
    if (is_table(L)) return !edl__tracks_rows(L);
    return L->info.kind == EDL_LAYER_DENSE;
}

edl_status edl__sync_dense_grads(edl_model *m, edl_comm *comm) {
    if (edl_comm_size(comm) == 1) return EDL_OK;
    edl__settle_grads(m); /* a held table gradient is summed as the block's */
    /* runs of consecutive dense parts: [begin, end) of the gradient block, zeros between
       tensors included (they are zero on every rank) */
    for (size_t l = 0; l < m->nlayers;) {
        if (!dense_part(&m->layers[l])) {
            l++;
            continue;
        }
        size_t begin = m->layers[l].w_off, end = begin;
        for (; l < m->nlayers; l++) {
            const edl__layer *L = &m->layers[l];
            if (L->info.kind == EDL_LAYER_DROPOUT || L->info.kind == EDL_LAYER_INPUT) continue;
            if (!dense_part(L)) break;
            end = L->w_off + edl__layer_span(L);
        }
        if (end > begin)
            EDL__TRY(edl__comm_allreduce(comm, m->grads + begin, end - begin, EDL__COMM_F32, EDL__COMM_SUM));
    }
    return EDL_OK;
}

edl_status edl__sync_touched_rows(edl_model *m, size_t l, edl_comm *comm) {
    edl__layer *L = &m->layers[l];
    if (edl_comm_size(comm) == 1 || !edl__tracks_rows(L) || L->info.frozen) return EDL_OK;
    edl__touched *t = &L->touched;
    const size_t dim = L->info.dim;
    void *all = NULL;
    size_t bytes = 0;
    EDL__TRY(edl__comm_allgatherv(comm, t->rows, t->n * sizeof *t->rows, &all, &bytes, NULL));
    /* the union, in the same order on every rank: rank 0's rows, then rank 1's new ones, ... */
    for (size_t k = 0; k < t->n; k++) t->mark[t->rows[k]] = 0;
    t->n = 0;
    const int64_t *ids = all;
    size_t nids = bytes / sizeof *ids;
    edl_status s = edl__touch_rows(L, ids, nids);
    free(all);
    /* the union is every rank's, but memory for it is this rank's alone: agreed before the
       exchange, which every rank must reach */
    size_t n = t->n, count = 0, b = 0;
    float *buf = NULL;
    if (s == EDL_OK && n && (!edl__mul_ok(n, dim, &count) || !edl__mul_ok(count, sizeof *buf, &b)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: %zu rows overflow", L->info.name, n);
    if (s == EDL_OK && n && !(buf = malloc(b)))
        s = edl__fail(EDL_ERR_NOMEM, "no memory to exchange %zu rows of %s", n, L->info.name);
    if ((s = edl_comm_agree(comm, s)) != EDL_OK || n == 0) {
        free(buf);
        return s;
    }
    float *g = m->grads + L->w_off;
    for (size_t k = 0; k < n; k++) memcpy(buf + k * dim, g + (size_t)t->rows[k] * dim, dim * sizeof *buf);
    s = edl__comm_allreduce(comm, buf, count, EDL__COMM_F32, EDL__COMM_SUM);
    for (size_t k = 0; s == EDL_OK && k < n; k++)
        memcpy(g + (size_t)t->rows[k] * dim, buf + k * dim, dim * sizeof *buf);
    free(buf);
    return s;
}

edl_status edl__sync_grads(edl_model *m, edl_comm *comm) {
    EDL__TRY(edl__sync_dense_grads(m, comm));
    for (size_t l = 0; l < m->nlayers; l++) EDL__TRY(edl__sync_touched_rows(m, l, comm));
    return EDL_OK;
}
