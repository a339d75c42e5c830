/* Optimizers (SGD, Adagrad, row-wise Adagrad, Adam, AdamW) with PyTorch's update rules, in a
 * dense form (every element) and, for embedding tables, a lazy form that touches only the rows
 * that received gradient (torch.optim.SparseAdam's rule for Adam). The arithmetic is in
 * optim_rules.c, shared with the recommenders. */
#include "model/model.h"
#include "kernels/kernels.h"
#include "model/optim_rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct edl_optim {
    edl_model *m;
    edl_optim_config c;
    float *s1, *s2;        /* per parameter: momentum / sum of squares / first moment; second moment */
    float *rows;           /* row-wise Adagrad: one accumulator per embedding row */
    size_t *row_off;       /* per layer: its first accumulator in rows */
    uint8_t *started;      /* SGD momentum: per layer (dense form) ... */
    uint8_t **row_started; /* ... and per row (lazy form) */
    uint64_t t;            /* steps taken */
    int in_file;           /* s1, s2 and rows are regions of the model's scratch file */
};

void edl_optim_defaults(edl_optim_config *c, edl_opt_kind kind) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->beta1 = 0.9f, c->beta2 = 0.999f, c->eps = 1e-8f;
    switch (kind) {
    case EDL_OPT_SGD: c->lr = 1e-2f; break;
    case EDL_OPT_ADAGRAD:
    case EDL_OPT_ROWWISE_ADAGRAD: c->lr = 1e-2f, c->eps = 1e-10f; break;
    case EDL_OPT_ADAM: c->lr = 1e-3f; break;
    case EDL_OPT_ADAMW: c->lr = 1e-3f, c->weight_decay = 1e-2f; break;
    }
}

static int is_embedding(const edl__layer *L) {
    return L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG;
}

static edl_status check_config(const edl_optim_config *c) {
    static const char fn[] = "edl_optim_create";
    if ((unsigned)c->kind > EDL_OPT_ADAMW)
        return edl__fail(EDL_ERR_ARG, "%s: optimizer %d is unknown", fn, (int)c->kind);
    if (!(c->lr >= 0.0f) || !isfinite(c->lr))
        return edl__fail(EDL_ERR_ARG, "%s: lr %g must be finite and >= 0", fn, c->lr);
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
        return edl__fail(EDL_ERR_ARG, "%s: momentum %g is not in [0, 1)", fn, c->momentum);
    if (c->nesterov && (c->momentum == 0.0f || c->dampening != 0.0f))
        return edl__fail(EDL_ERR_ARG, "%s: nesterov needs momentum > 0 and dampening 0", fn);
    if (!(c->weight_decay >= 0.0f))
        return edl__fail(EDL_ERR_ARG, "%s: weight_decay %g must be >= 0", fn, c->weight_decay);
    if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f) || !(c->beta2 >= 0.0f && c->beta2 < 1.0f))
        return edl__fail(EDL_ERR_ARG, "%s: betas (%g, %g) must be in [0, 1)", fn, c->beta1, c->beta2);
    if (!(c->eps >= 0.0f)) return edl__fail(EDL_ERR_ARG, "%s: eps %g must be >= 0", fn, c->eps);
    if (!(c->clip_norm >= 0.0f)) return edl__fail(EDL_ERR_ARG, "%s: clip_norm %g must be >= 0", fn, c->clip_norm);
    return EDL_OK;
}

/* n values of state x (region k of the model's scratch file, or memory) set to v; a region is
   written out as it is filled, so memory holds one piece of it at a time. */
static void fill_state(const edl_model *m, int k, float *x, size_t n, float v) {
    enum { PIECE = 1 << 26 }; /* 256 MiB */
    for (size_t b = 0; b < n; b += PIECE) {
        size_t len = n - b < PIECE ? n - b : PIECE;
        for (size_t i = 0; i < len; i++) x[b + i] = v;
        edl__model_drop(m, k, b, len);
    }
}

edl_status edl_optim_create(edl_optim **opt, edl_model *m, const edl_optim_config *c) {
    static const char fn[] = "edl_optim_create";
    if (!opt || !m || !c) return edl__fail(EDL_ERR_ARG, "%s: opt, model or config is NULL", fn);
    if (!m->built) return edl__fail(EDL_ERR_ARG, "%s: the model is not initialised", fn);
    EDL__TRY(check_config(c));
    EDL__TRY(edl__model_grads(m));
    edl_optim *o = calloc(1, sizeof *o);
    if (!o) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    o->m = m;
    o->c = *c;
    size_t n = m->nparams ? m->nparams : 1;
    int two = c->kind == EDL_OPT_ADAM || c->kind == EDL_OPT_ADAMW;
    int one = two || c->momentum > 0.0f || c->kind == EDL_OPT_ADAGRAD || c->kind == EDL_OPT_ROWWISE_ADAGRAD;
    float init = c->kind == EDL_OPT_ADAGRAD || c->kind == EDL_OPT_ROWWISE_ADAGRAD ? c->initial_accumulator : 0.0f;
    edl_status s = EDL_OK;
    o->in_file = edl__model_region(m, EDL__REGION_S1) != NULL;
    if (o->in_file) { /* the scratch file's regions, zero until written */
        if (one) o->s1 = edl__model_region(m, EDL__REGION_S1);
        if (two) o->s2 = edl__model_region(m, EDL__REGION_S2);
    } else {
        if (one && !(o->s1 = init != 0.0f ? malloc(n * sizeof(float)) : calloc(n, sizeof(float)))) s = EDL_ERR_NOMEM;
        if (two && !(o->s2 = calloc(n, sizeof(float)))) s = EDL_ERR_NOMEM;
    }
    if (one && o->s1 && init != 0.0f) fill_state(m, EDL__REGION_S1, o->s1, n, init);
    o->row_off = calloc(m->nlayers, sizeof *o->row_off);
    o->started = calloc(m->nlayers, 1);
    o->row_started = calloc(m->nlayers, sizeof *o->row_started);
    if (!o->row_off || !o->started || !o->row_started) s = EDL_ERR_NOMEM;
    size_t nrows = 0;
    for (size_t l = 0; s == EDL_OK && l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        if (!is_embedding(L)) continue;
        o->row_off[l] = nrows;
        nrows += L->info.rows;
        if (c->kind == EDL_OPT_SGD && c->momentum > 0.0f && !(o->row_started[l] = calloc(L->info.rows, 1)))
            s = EDL_ERR_NOMEM;
    }
    if (s == EDL_OK && c->kind == EDL_OPT_ROWWISE_ADAGRAD && nrows) {
        /* in a scratch file: the region of s2, which row-wise Adagrad does not use (nrows <= n) */
        if (o->in_file)
            o->rows = edl__model_region(m, EDL__REGION_S2);
        else if (!(o->rows = init != 0.0f ? malloc(nrows * sizeof(float)) : calloc(nrows, sizeof(float))))
            s = EDL_ERR_NOMEM;
        if (o->rows && init != 0.0f) fill_state(m, EDL__REGION_S2, o->rows, nrows, init);
    }
    if (s != EDL_OK) {
        edl_optim_free(o);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the state of %zu parameters", fn, m->nparams);
    }
    *opt = o;
    return EDL_OK;
}

void edl_optim_free(edl_optim *o) {
    if (!o) return;
    for (size_t l = 0; o->row_started && l < o->m->nlayers; l++) free(o->row_started[l]);
    free(o->row_started);
    free(o->started);
    free(o->row_off);
    if (!o->in_file) {
        free(o->rows);
        free(o->s1);
        free(o->s2);
    }
    free(o);
}

/* ---- updates ------------------------------------------------------------------------------ */

/* Updates n values at offset off of the block (state at the same offset). */
static bool update_run(edl_optim *o, const edl__opt_coef *a, size_t off, size_t n, int lazy) {
    return edl__opt_apply(o->c.kind, a, o->m->params + off, o->m->grads + off, o->s1 ? o->s1 + off : NULL,
                          o->s2 ? o->s2 + off : NULL, n, lazy);
}

/* A dense update, split over threads in chunks when it is large: each value is updated alone,
   so the result is the same for any thread count. */
static bool update(edl_optim *o, const edl__opt_coef *a, size_t off, size_t n, int lazy) {
    enum { CHUNK = 1 << 14 };
    if (n < 4 * CHUNK || edl__num_threads() == 1) return update_run(o, a, off, n, lazy);
    size_t chunks = (n + CHUNK - 1) / CHUNK;
    int ok = 1;
#pragma omp parallel for schedule(static) reduction(& : ok)
    for (size_t k = 0; k < chunks; k++) {
        size_t b = k * CHUNK, len = n - b < CHUNK ? n - b : CHUNK;
        ok &= update_run(o, a, off + b, len, lazy);
    }
    return ok != 0;
}

static void clip(edl_optim *o) {
    edl_model *m = o->m;
    double s = 0.0;
    for (size_t l = 0; l < m->nlayers; l++) s += edl__layer_grad_sumsq(m, l);
    double norm = sqrt(s), coef = o->c.clip_norm / (norm + 1e-6);
    if (coef >= 1.0) return;
    float f = (float)coef;
    for (size_t l = 0; l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        if (L->info.frozen) continue;
        if (L->info.kind == EDL_LAYER_DENSE || (is_embedding(L) && !edl__tracks_rows(L))) {
            edl__vec_scale(m->grads + L->w_off, f, edl__layer_span(L));
        } else if (is_embedding(L)) {
            for (size_t k = 0; k < L->touched.n; k++)
                edl__vec_scale(m->grads + L->w_off + (size_t)L->touched.rows[k] * L->info.dim, f, L->info.dim);
        }
    }
}

edl_status edl_optim_step(edl_optim *o, float lr) {
    if (!o) return edl__fail(EDL_ERR_ARG, "edl_optim_step: optimizer is NULL");
    if (!(lr >= 0.0f) || !isfinite(lr))
        return edl__fail(EDL_ERR_ARG, "edl_optim_step: lr %g must be finite and >= 0", lr);
    edl_model *m = o->m;
    const edl_optim_config *c = &o->c;
    o->t++;
    /* a held table gradient is updated from as it is summed (bag_grad.c) by the elementwise
       rules; clipping and row-wise Adagrad read it from the block */
    if (c->clip_norm > 0.0f || c->kind == EDL_OPT_ROWWISE_ADAGRAD) edl__settle_grads(m);
    if (c->clip_norm > 0.0f) clip(o);
    edl__opt_coef a = edl__opt_coefs(c, lr, o->t, 0);
    edl__opt_coef lazy = edl__opt_coefs(c, lr, o->t, 1);
    size_t bad_layer = SIZE_MAX;
    for (size_t l = 0; l < m->nlayers; l++) {
        edl__layer *L = &m->layers[l];
        if (L->info.frozen || L->info.kind == EDL_LAYER_INPUT || L->info.kind == EDL_LAYER_DROPOUT) continue;
        size_t dim = L->info.dim;
        bool ok = true;
        if (is_embedding(L) && c->kind == EDL_OPT_ROWWISE_ADAGRAD) {
            /* row-wise state: lazily over touched rows, or over every row in the dense form */
            size_t nr = L->info.sparse ? L->touched.n : L->info.rows;
            for (size_t k = 0; k < nr; k++) {
                size_t r = L->info.sparse ? (size_t)L->touched.rows[k] : k;
                if ((int64_t)r == L->info.padding_idx) continue;
                ok &= edl__opt_rowwise_adagrad(&a, m->params + L->w_off + r * dim, m->grads + L->w_off + r * dim,
                                               o->rows + o->row_off[l] + r, dim);
            }
        } else if (is_embedding(L) && L->info.sparse) {
            for (size_t k = 0; k < L->touched.n; k++) {
                size_t r = (size_t)L->touched.rows[k];
                if (o->row_started[l]) {
                    lazy.first = !o->row_started[l][r];
                    o->row_started[l][r] = 1;
                }
                ok &= update_run(o, &lazy, L->w_off + r * dim, dim, 1);
            }
        } else {
            a.first = !o->started[l];
            o->started[l] = 1;
            if (L->held.on)
                ok &= edl__held_grad_step(m, l, c->kind, &a, o->s1, o->s2);
            else
                ok &= update(o, &a, L->w_off, edl__layer_span(L), 0);
        }
        if (is_embedding(L) && !L->info.sparse) L->grad_written = 0; /* every row's gradient read and zeroed */
        a.first = 0;
        if (!ok && bad_layer == SIZE_MAX) bad_layer = l;
    }
    /* the updates zeroed every gradient they read; what is left is the touched-row lists (and
       any frozen layer's, which holds none), and a gradient held for a layer frozen or made
       sparse since its backward, which goes into the block as it would have */
    edl__forget_touched(m);
    edl__settle_grads(m);
    if (bad_layer != SIZE_MAX) m->finite_known = 0; /* the non-finite values stay in the model */
    if (bad_layer != SIZE_MAX)
        return edl__fail(EDL_ERR_NUMERIC,
                         "optimizer step %llu made parameters of layer %zu (%s) non-finite (lower the learning rate)",
                         (unsigned long long)o->t, bad_layer, m->layers[bad_layer].info.name);
    return EDL_OK;
}
