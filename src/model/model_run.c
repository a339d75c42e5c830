/* Running a model: batch checks, forward, forward+backward with the loss, and prediction (the
 * buffers are workspace.c's). */
#include "model/model.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

edl_status edl__check_batch(const edl_model *m, const edl_batch *b, int need_targets) {
    static const char fn[] = "edl_batch";
    if (!m || !m->built) return edl__fail(EDL_ERR_ARG, "the model is NULL or not initialised");
    if (!b) return edl__fail(EDL_ERR_ARG, "%s: batch is NULL", fn);
    if (b->n == 0) return edl__fail(EDL_ERR_ARG, "%s: batch has 0 examples", fn);
    const edl_layer_info *in = &m->layers[0].info;
    switch (in->kind) {
    case EDL_LAYER_INPUT:
        if (!b->x) return edl__fail(EDL_ERR_ARG, "%s: x is NULL but the model reads features", fn);
        EDL__TRY(edl__check_matrix(fn, "x", b->n, in->dim));
        break;
    case EDL_LAYER_EMBEDDING:
        if (!b->idx) return edl__fail(EDL_ERR_ARG, "%s: idx is NULL", fn);
        EDL__TRY(edl__check_matrix(fn, "idx", b->n, in->len));
        break;
    case EDL_LAYER_EMBEDDING_BAG:
        if (!b->offsets) return edl__fail(EDL_ERR_ARG, "%s: offsets is NULL", fn);
        if (b->nidx && !b->idx) return edl__fail(EDL_ERR_ARG, "%s: idx is NULL", fn);
        break;
    default: return edl__fail(EDL_ERR_ARG, "%s: the first layer is not an input layer", fn);
    }
    if (need_targets) {
        if (m->loss == EDL_LOSS_SOFTMAX_CE && !b->labels)
            return edl__fail(EDL_ERR_ARG, "%s: labels is NULL (softmax loss)", fn);
        if (m->loss != EDL_LOSS_SOFTMAX_CE && !b->targets)
            return edl__fail(EDL_ERR_ARG, "%s: targets is NULL (%s loss)", fn, edl_loss_name(m->loss));
    }
    return EDL_OK;
}

edl_status edl__forward(const edl_model *m, edl__workspace *w, const edl_batch *b, int train, edl_rng *rng,
                        const float **outs) {
    EDL__TRY(edl__ws_reserve(w, m, b->n));
    const size_t n = b->n;
    for (size_t l = 0; l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        const edl_layer_info *in = &L->info;
        const float *W = m->params + L->w_off;
        float *y = w->act[l];
        edl_status s = EDL_OK;
        switch (in->kind) {
        case EDL_LAYER_INPUT: outs[l] = b->x; continue;
        case EDL_LAYER_EMBEDDING:
            if (in->pool == EDL_POOL_FLATTEN)
                s = edl_embedding_forward(y, W, in->rows, in->dim, b->idx, n * in->len);
            else
                s = edl_embedding_bag_forward(y, in->pool == EDL_POOL_MAX ? w->argmax : NULL, W, in->rows, in->dim,
                                              b->idx, n * in->len, w->offsets, n, NULL, in->pool, in->padding_idx);
            break;
        case EDL_LAYER_EMBEDDING_BAG:
            s = edl_embedding_bag_forward(y, in->pool == EDL_POOL_MAX ? w->argmax : NULL, W, in->rows, in->dim, b->idx,
                                          b->nidx, b->offsets, n, b->weights, in->pool, in->padding_idx);
            break;
        case EDL_LAYER_DENSE:
            s = edl_dense_forward(y, outs[l - 1], n, in->in_dim, in->out_dim, W,
                                  L->b_count ? m->params + L->b_off : NULL, in->act);
            break;
        case EDL_LAYER_DROPOUT:
            if (!train || in->p == 0.0f) {
                outs[l] = outs[l - 1];
                continue;
            }
            if (!rng) return edl__fail(EDL_ERR_ARG, "layer %zu (%s): dropout needs an rng", l, in->name);
            if (w->total)
                edl__dropout_forward_rows(y, w->mask[l], outs[l - 1], n, in->out_dim, w->pos, w->total, in->p, rng);
            else
                s = edl_dropout_forward(y, w->mask[l], outs[l - 1], n * in->out_dim, in->p, rng);
            break;
        }
        if (s != EDL_OK) return s;
        outs[l] = y;
    }
    return EDL_OK;
}

/* Whether any layer below l has trainable parameters, i.e. whether the gradient must flow
   into layer l's input. */
static int grad_needed_below(const edl_model *m, size_t l) {
    for (size_t k = 0; k < l; k++) {
        edl_layer_kind kind = m->layers[k].info.kind;
        if (kind != EDL_LAYER_INPUT && kind != EDL_LAYER_DROPOUT && !m->layers[k].info.frozen) return 1;
    }
    return 0;
}

edl_status edl__touch_rows(edl__layer *L, const int64_t *idx, size_t n) {
    edl__touched *t = &L->touched;
    if (!edl__tracks_rows(L)) return EDL_OK;
    for (size_t i = 0; i < n; i++) {
        int64_t r = idx[i];
        if (r == L->info.padding_idx || t->mark[r]) continue;
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 1024;
            if (cap > L->info.rows) cap = L->info.rows;
            int64_t *nr = realloc(t->rows, cap * sizeof *nr);
            if (!nr) return edl__fail(EDL_ERR_NOMEM, "no memory for the touched rows of %s", L->info.name);
            t->rows = nr;
            t->cap = cap;
        }
        t->mark[r] = 1;
        t->rows[t->n++] = r;
    }
    return EDL_OK;
}

static edl_status embedding_backward(edl_model *m, edl__workspace *w, const edl_batch *b) {
    edl__layer *L = &m->layers[0];
    const edl_layer_info *in = &L->info;
    float *dW = m->grads + L->w_off;
    const size_t n = b->n;
    const int64_t *idx = b->idx;
    size_t nidx = in->kind == EDL_LAYER_EMBEDDING ? n * in->len : b->nidx;
    if (in->kind == EDL_LAYER_EMBEDDING && in->pool == EDL_POOL_FLATTEN) {
        EDL__TRY(edl_embedding_backward(dW, in->rows, in->dim, idx, nidx, w->grad[0]));
        /* as PyTorch: the padding row gets no gradient */
        if (in->padding_idx >= 0) memset(dW + (size_t)in->padding_idx * in->dim, 0, in->dim * sizeof(float));
    } else {
        const int64_t *offsets = in->kind == EDL_LAYER_EMBEDDING ? w->offsets : b->offsets;
        const float *weights = in->kind == EDL_LAYER_EMBEDDING ? NULL : b->weights;
        /* the forward checked idx and offsets: held, when the table's form allows, else written */
        if (edl__grad_hold(m, idx, nidx, offsets, n, weights, w->grad[0])) return EDL_OK;
        EDL__TRY(edl_embedding_bag_backward(dW, in->rows, in->dim, idx, nidx, offsets, n, weights, in->pool,
                                            in->padding_idx, w->argmax, w->grad[0]));
    }
    L->grad_written = 1;
    return edl__touch_rows(L, idx, nidx);
}

edl_status edl_model_forward_backward(edl_model *m, const edl_batch *b, edl_rng *rng, float *loss) {
    return edl__forward_backward_part(m, b, rng, NULL, b ? b->n : 0, loss);
}

edl_status edl__forward_backward_part(edl_model *m, const edl_batch *b, edl_rng *rng, const size_t *pos, size_t total,
                                      float *loss) {
    /* a gradient held from an earlier backward goes into the block, which this one adds to (and
       the workspace's grad[0], which it points into, is about to be written) */
    if (m && m->built) edl__settle_grads(m);
    if (m && m->built && b && b->n == 0 && total > 0 && loss) {
        /* nothing held: draw what the batch's dropout draws */
        for (size_t l = 0; l < m->nlayers; l++) {
            const edl_layer_info *in = &m->layers[l].info;
            if (in->kind != EDL_LAYER_DROPOUT || in->p == 0.0f) continue;
            if (!rng) return edl__fail(EDL_ERR_ARG, "layer %zu (%s): dropout needs an rng", l, in->name);
            for (size_t i = 0; i < total * in->out_dim; i++) (void)edl_rng_uniform(rng);
        }
        *loss = 0.0f;
        return EDL_OK;
    }
    EDL__TRY(edl__check_batch(m, b, 1));
    if (!loss) return edl__fail(EDL_ERR_ARG, "edl_model_forward_backward: loss is NULL");
    EDL__TRY(edl__model_grads(m));
    edl__workspace *w = &m->ws;
    EDL__TRY(edl__ws_reserve(w, m, b->n));
    const float **outs = w->outs;
    w->pos = pos, w->total = pos ? total : 0;
    edl_status fs = edl__forward(m, w, b, 1, rng, outs);
    w->pos = NULL, w->total = 0;
    EDL__TRY(fs);
    const size_t last = m->nlayers - 1, n = b->n, od = m->layers[last].info.out_dim;
    float lv = 0.0f;
    switch (m->loss) {
    case EDL_LOSS_SOFTMAX_CE:
        EDL__TRY(edl_softmax_cross_entropy(&lv, w->grad[last], outs[last], b->labels, n, od));
        break;
    case EDL_LOSS_BCE: EDL__TRY(edl_bce_with_logits(&lv, w->grad[last], outs[last], b->targets, n * od)); break;
    case EDL_LOSS_MSE: EDL__TRY(edl_mse(&lv, w->grad[last], outs[last], b->targets, n * od)); break;
    }
    *loss = lv;
    /* the mean over b's n examples made the sum over the global batch's total */
    if (total != n) edl__vec_scale(w->grad[last], (float)((double)n / (double)total), n * od);
    if (!isfinite(lv))
        return edl__fail(EDL_ERR_NUMERIC, "the loss is not finite (%g) at layer %zu (%s)", lv, last,
                         m->layers[last].info.name);
    for (size_t l = last; l >= 1; l--) {
        const edl__layer *L = &m->layers[l];
        const edl_layer_info *in = &L->info;
        int need_din = grad_needed_below(m, l);
        if (in->kind == EDL_LAYER_DENSE) {
            EDL__TRY(edl__dense_backward_in_place(
                need_din ? w->grad[l - 1] : NULL, in->frozen ? NULL : m->grads + L->w_off,
                in->frozen || !L->b_count ? NULL : m->grads + L->b_off, w->grad[l], outs[l - 1], outs[l], n, in->in_dim,
                in->out_dim, m->params + L->w_off, in->act, w->dense_scratch));
        } else if (in->kind == EDL_LAYER_DROPOUT && need_din) {
            if (in->p == 0.0f)
                memcpy(w->grad[l - 1], w->grad[l], n * in->out_dim * sizeof(float));
            else
                EDL__TRY(edl_dropout_backward(w->grad[l - 1], w->grad[l], w->mask[l], n * in->out_dim, in->p));
        }
        if (!need_din) break;
    }
    edl_layer_kind k0 = m->layers[0].info.kind;
    if (k0 != EDL_LAYER_INPUT && !m->layers[0].info.frozen) EDL__TRY(embedding_backward(m, w, b));
    for (size_t l = 0; l < m->nlayers; l++) {
        /* An embedding's gradient is checked where it enters the table (batch x out values,
           not rows touched x dim): its rows are sums of these. */
        int finite = l == 0 && k0 != EDL_LAYER_INPUT
                         ? m->layers[0].info.frozen || edl__vec_all_finite(w->grad[0], n * m->layers[0].info.out_dim)
                         : edl__layer_grad_finite(m, l);
        if (!finite)
            return edl__fail(EDL_ERR_NUMERIC, "the gradient of layer %zu (%s) is not finite", l,
                             m->layers[l].info.name);
    }
    return EDL_OK;
}

edl_status edl_model_predict(const edl_model *m, const edl_batch *b, float *out) {
    EDL__TRY(edl__check_batch(m, b, 0));
    if (!out) return edl__fail(EDL_ERR_ARG, "edl_model_predict: out is NULL");
    edl__workspace w = {0};
    edl_status s = edl__ws_reserve(&w, m, b->n);
    if (s == EDL_OK) s = edl__forward(m, &w, b, 0, NULL, w.outs);
    if (s == EDL_OK) {
        size_t last = m->nlayers - 1, od = m->layers[last].info.out_dim;
        const float *y = w.outs[last];
        switch (m->loss) {
        case EDL_LOSS_SOFTMAX_CE: s = edl_softmax(out, y, b->n, od); break;
        case EDL_LOSS_BCE:
            memcpy(out, y, b->n * od * sizeof *out);
            s = edl_act_forward(out, out, b->n * od, EDL_ACT_SIGMOID);
            break;
        case EDL_LOSS_MSE: memcpy(out, y, b->n * od * sizeof *out); break;
        }
    }
    edl__ws_free(&w, m->nlayers);
    return s;
}
