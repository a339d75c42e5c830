/* The gradient of a dense-form embedding table held between backward and the optimizer step.
 *
 * In the dense form (sparse=0, PyTorch's Adam on nn.EmbeddingBag's dense gradient) every step
 * updates every row, reading its gradient from the gradient block. Written there, the table's
 * gradient costs a scatter pass (each index's row += the bag's gradient) and 8 of the 32 bytes a
 * parameter the update moves (reading the gradient, zeroing it). Held instead, as rows ->
 * occurrences of the batch's gradient at the table's output (each row's positions together, in the
 * scatter's order, so each row adds the same terms in the same order: the same
 * bits), the optimizer sums each row in registers as it updates it. The update itself is bound by
 * its square root and divisions (bench/bag_update.c), so the gain is the scatter's pass.
 *
 * The hold applies only where nothing else reads the block in between: anything that does (a
 * gradient exchange, clipping, row-wise Adagrad, a second backward before the step, a layer
 * frozen or made sparse in between) settles the held gradient into the block first
 * (edl__settle_grads), which is the scatter's result. No public function hands out the gradient
 * block, so nothing outside sees the difference. The
 * finiteness check of a backward is unchanged: it reads the gradient at the table's output, of
 * which the rows are sums, before the hold or the scatter.
 */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

void edl__held_grad_free(edl__held_grad *h) {
    free(h->start);
    free(h->occ);
    memset(h, 0, sizeof *h);
}

/* Room for rows + 1 starts and n occurrences; 0 when there is no memory (the caller scatters). */
static int reserve(edl__held_grad *h, size_t rows, size_t n) {
    if (!h->start && !(h->start = malloc((rows + 1) * sizeof *h->start))) return 0;
    if (n <= h->cap) return 1;
    size_t cap = n > 2 * h->cap ? n : 2 * h->cap;
    if (cap > SIZE_MAX / sizeof *h->occ) return 0;
    edl__bag_occ *occ = realloc(h->occ, cap * sizeof *occ);
    if (!occ) return 0;
    h->occ = occ, h->cap = cap;
    return 1;
}

int edl__grad_hold(edl_model *m, const int64_t *idx, size_t nidx, const int64_t *offsets, size_t bags,
                   const float *weights, const float *dout) {
    edl__layer *L = &m->layers[0];
    const edl_layer_info *in = &L->info;
    int bag_kind =
        in->kind == EDL_LAYER_EMBEDDING_BAG || (in->kind == EDL_LAYER_EMBEDDING && in->pool != EDL_POOL_FLATTEN);
    if (!bag_kind || (in->pool != EDL_POOL_SUM && in->pool != EDL_POOL_MEAN) || edl__tracks_rows(L) || in->frozen ||
        m->table_dir || m->hold_off || L->grad_written || L->held.on || nidx > UINT32_MAX || bags >= UINT32_MAX ||
        !reserve(&L->held, in->rows, nidx))
        return 0;
    edl__bag_row_index(L->held.start, L->held.occ, in->rows, idx, nidx, offsets, bags, weights, in->pool,
                       in->padding_idx);
    L->held.dout = dout, L->held.dim = in->dim, L->held.on = 1;
    return 1;
}

void edl__settle_grads(edl_model *m) {
    if (!m->nlayers) return;
    edl__layer *L = &m->layers[0];
    edl__held_grad *h = &L->held;
    if (!h->on) return;
    const size_t rows = L->info.rows, dim = h->dim;
    float *dW = m->grads + L->w_off;
    /* rows are independent: split over threads as the scatter it replaces is (a table beyond the
       caches), the same bits for any count */
    enum { BLOCK = 256 };
    if (rows * dim * sizeof(float) < EDL__SCATTER_PAR_MIN_BYTES || edl__num_threads() == 1) {
        edl__vec_bag_rows_add(dW, dim, 0, rows, h->start, h->occ, h->dout);
    } else {
#pragma omp parallel for schedule(static)
        for (size_t r = 0; r < rows; r += BLOCK)
            edl__vec_bag_rows_add(dW, dim, r, rows - r < BLOCK ? rows : r + BLOCK, h->start, h->occ, h->dout);
    }
    h->on = 0;
    L->grad_written = 1;
}

void edl__drop_held_grads(edl_model *m) {
    if (m->nlayers) m->layers[0].held.on = 0;
}

bool edl__held_grad_step(edl_model *m, size_t l, edl_opt_kind kind, const edl__opt_coef *a, float *s1, float *s2) {
    edl__layer *L = &m->layers[l];
    edl__held_grad *h = &L->held;
    const size_t rows = L->info.rows, dim = h->dim, off = L->w_off;
    float *p = m->params + off, *m1 = s1 ? s1 + off : NULL, *m2 = s2 ? s2 + off : NULL;
    /* as the dense update splits its values (optim.c): threads when the table is large, each row
       updated alone, so the same bits for any thread count */
    enum { CHUNK = 1 << 14 };
    bool ok;
    if (rows * dim < 4 * CHUNK || edl__num_threads() == 1) {
        ok = edl__vec_update_bag_rows(kind, a, p, m1, m2, dim, 0, rows, h->start, h->occ, h->dout);
    } else {
        const size_t block = CHUNK / dim ? CHUNK / dim : 1, blocks = (rows + block - 1) / block;
        int all = 1;
#pragma omp parallel for schedule(static) reduction(& : all)
        for (size_t k = 0; k < blocks; k++) {
            size_t r0 = k * block, r1 = rows - r0 < block ? rows : r0 + block;
            all &= edl__vec_update_bag_rows(kind, a, p, m1, m2, dim, r0, r1, h->start, h->occ, h->dout);
        }
        ok = all != 0;
    }
    h->on = 0;
    return ok;
}
