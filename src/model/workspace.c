/* A model's workspace: the buffers one forward/backward needs at up to `cap` examples (each
 * layer's activations and gradients, dropout masks, max-pooling winners, sequence offsets),
 * grown when a larger batch comes and kept for the next. */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

void edl__ws_free(edl__workspace *w, size_t nlayers) {
    for (size_t l = 0; l < nlayers; l++) { /* any of the three may be missing after a failed reserve */
        if (w->act) free(w->act[l]);
        if (w->grad) free(w->grad[l]);
        if (w->mask) free(w->mask[l]);
    }
    free(w->act);
    free(w->grad);
    free(w->mask);
    free(w->outs);
    free(w->argmax);
    free(w->offsets);
    free(w->dense_scratch);
    memset(w, 0, sizeof *w);
}

static edl_status grow(void **p, size_t count, size_t size) {
    size_t bytes;
    if (!edl__mul_ok(count ? count : 1, size, &bytes))
        return edl__fail(EDL_ERR_NOMEM, "workspace of %zu x %zu bytes overflows", count, size);
    void *q = realloc(*p, bytes);
    if (!q) return edl__fail(EDL_ERR_NOMEM, "no memory for a workspace of %zu bytes", bytes);
    *p = q;
    return EDL_OK;
}

/* Sizes every buffer for n examples (keeps what is already large enough). */
edl_status edl__ws_reserve(edl__workspace *w, const edl_model *m, size_t n) {
    if (w->act && n <= w->cap) return EDL_OK;
    size_t L = m->nlayers;
    if (!w->act) {
        w->act = calloc(L, sizeof *w->act);
        w->grad = calloc(L, sizeof *w->grad);
        w->mask = calloc(L, sizeof *w->mask);
        w->outs = calloc(L, sizeof *w->outs);
        if (!w->act || !w->grad || !w->mask || !w->outs)
            return edl__fail(EDL_ERR_NOMEM, "no memory for a workspace of %zu layers", L);
    }
    size_t scratch = 0;
    for (size_t l = 0; l < L; l++) {
        const edl_layer_info *in = &m->layers[l].info;
        size_t per;
        if (in->kind == EDL_LAYER_DENSE) {
            size_t f = edl__dense_scratch_floats(n, in->in_dim, in->out_dim);
            scratch = f > scratch ? f : scratch;
        }
        if (!edl__mul_ok(n, in->out_dim, &per))
            return edl__fail(EDL_ERR_NOMEM, "batch of %zu x %zu outputs overflows", n, in->out_dim);
        if (in->kind != EDL_LAYER_INPUT) EDL__TRY(grow((void **)&w->act[l], per, sizeof(float)));
        EDL__TRY(grow((void **)&w->grad[l], per, sizeof(float)));
        if (in->kind == EDL_LAYER_DROPOUT) EDL__TRY(grow((void **)&w->mask[l], per, 1));
        if ((in->kind == EDL_LAYER_EMBEDDING || in->kind == EDL_LAYER_EMBEDDING_BAG) && in->pool == EDL_POOL_MAX)
            EDL__TRY(grow((void **)&w->argmax, per, sizeof(int64_t)));
        if (in->kind == EDL_LAYER_EMBEDDING && in->pool != EDL_POOL_FLATTEN) {
            EDL__TRY(grow((void **)&w->offsets, n, sizeof(int64_t)));
            for (size_t i = 0; i < n; i++) w->offsets[i] = (int64_t)(i * in->len);
        }
    }
    if (scratch) EDL__TRY(grow((void **)&w->dense_scratch, scratch, sizeof(float)));
    w->cap = n;
    return EDL_OK;
}
