/* In-memory datasets: index lists in CSR form or feature rows, with labels or float targets;
 * and the gathering of shuffled examples into a batch. */
#include "model/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

edl_status edl_dataset_create(edl_dataset **d, size_t feature_dim, size_t target_dim) {
    if (!d) return edl__fail(EDL_ERR_ARG, "edl_dataset_create: d is NULL");
    edl_dataset *x = calloc(1, sizeof *x);
    if (!x) return edl__fail(EDL_ERR_NOMEM, "edl_dataset_create: no memory");
    x->fdim = feature_dim, x->tdim = target_dim;
    x->offsets = malloc(sizeof *x->offsets);
    if (!x->offsets) {
        free(x);
        return edl__fail(EDL_ERR_NOMEM, "edl_dataset_create: no memory");
    }
    x->offsets[0] = 0;
    *d = x;
    return EDL_OK;
}

void edl_dataset_free(edl_dataset *d) {
    if (!d) return;
    free(d->source);
    free(d->lines);
    free(d->offsets);
    free(d->idx);
    free(d->x);
    free(d->labels);
    free(d->targets);
    free(d);
}

size_t edl_dataset_size(const edl_dataset *d) { return d ? d->n : 0; }

/* Grows *p to hold need elements of size bytes (doubling). */
static edl_status reserve(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return EDL_OK;
    size_t c = *cap ? *cap : 64, bytes;
    while (c < need) c *= 2;
    if (!edl__mul_ok(c, size, &bytes)) return edl__fail(EDL_ERR_NOMEM, "dataset of %zu items overflows", need);
    void *q = realloc(*p, bytes);
    if (!q) return edl__fail(EDL_ERR_NOMEM, "no memory for a dataset of %zu items", need);
    *p = q;
    *cap = c;
    return EDL_OK;
}

/* Room for one more example and its target. */
static edl_status add_example(edl_dataset *d, int64_t label, const float *targets) {
    static const char fn[] = "edl_dataset_add";
    if (d->tdim && !targets) return edl__fail(EDL_ERR_ARG, "%s: targets is NULL (target_dim %zu)", fn, d->tdim);
    EDL__TRY(reserve((void **)&d->offsets, &d->off_cap, d->n + 2, sizeof *d->offsets));
    if (d->tdim) {
        size_t need;
        if (!edl__mul_ok(d->n + 1, d->tdim, &need)) return edl__fail(EDL_ERR_NOMEM, "%s: targets overflow", fn);
        EDL__TRY(reserve((void **)&d->targets, &d->tgt_cap, need, sizeof *d->targets));
        for (size_t k = 0; k < d->tdim; k++)
            if (!isfinite(targets[k]))
                return edl__fail(EDL_ERR_NUMERIC, "%s: example %zu target %zu is %g", fn, d->n, k, targets[k]);
        memcpy(d->targets + d->n * d->tdim, targets, d->tdim * sizeof *targets);
    } else {
        if (label < 0)
            return edl__fail(EDL_ERR_INDEX, "%s: example %zu has label %lld < 0", fn, d->n, (long long)label);
        EDL__TRY(reserve((void **)&d->labels, &d->lab_cap, d->n + 1, sizeof *d->labels));
        d->labels[d->n] = label;
    }
    return EDL_OK;
}

edl_status edl_dataset_add_indices(edl_dataset *d, const int64_t *idx, size_t n, int64_t label, const float *targets) {
    static const char fn[] = "edl_dataset_add_indices";
    if (!d || (n && !idx)) return edl__fail(EDL_ERR_ARG, "%s: dataset or idx is NULL", fn);
    if (d->fdim) return edl__fail(EDL_ERR_ARG, "%s: this dataset holds feature rows", fn);
    for (size_t i = 0; i < n; i++)
        if (idx[i] < 0)
            return edl__fail(EDL_ERR_INDEX, "%s: example %zu index %lld at position %zu is negative", fn, d->n,
                             (long long)idx[i], i);
    EDL__TRY(reserve((void **)&d->idx, &d->idx_cap, d->nidx + n, sizeof *d->idx));
    EDL__TRY(add_example(d, label, targets));
    if (n) memcpy(d->idx + d->nidx, idx, n * sizeof *idx);
    d->nidx += n;
    d->offsets[d->n + 1] = (int64_t)d->nidx;
    d->n++;
    return EDL_OK;
}

edl_status edl_dataset_add_features(edl_dataset *d, const float *x, int64_t label, const float *targets) {
    static const char fn[] = "edl_dataset_add_features";
    if (!d || !x) return edl__fail(EDL_ERR_ARG, "%s: dataset or x is NULL", fn);
    if (!d->fdim) return edl__fail(EDL_ERR_ARG, "%s: this dataset holds index lists", fn);
    size_t need;
    if (!edl__mul_ok(d->n + 1, d->fdim, &need)) return edl__fail(EDL_ERR_NOMEM, "%s: features overflow", fn);
    for (size_t k = 0; k < d->fdim; k++)
        if (!isfinite(x[k])) return edl__fail(EDL_ERR_NUMERIC, "%s: example %zu feature %zu is %g", fn, d->n, k, x[k]);
    EDL__TRY(reserve((void **)&d->x, &d->x_cap, need, sizeof *d->x));
    EDL__TRY(add_example(d, label, targets));
    memcpy(d->x + d->n * d->fdim, x, d->fdim * sizeof *x);
    d->offsets[d->n + 1] = 0;
    d->n++;
    return EDL_OK;
}

/* Where example e came from, for messages: "file:line" or "example e". */
static const char *where(const edl_dataset *d, const char *what, size_t e, char *buf, size_t n) {
    if (d->source && d->lines)
        snprintf(buf, n, "%s:%lld", d->source, (long long)d->lines[e]);
    else
        snprintf(buf, n, "%s: example %zu", what, e);
    return buf;
}

edl_status edl__dataset_check(const edl_dataset *d, const edl_model *m, const char *what) {
    const edl_layer_info *in = &m->layers[0].info;
    size_t od = edl_model_output_dim(m);
    char w[600];
    if (in->kind == EDL_LAYER_INPUT) {
        if (d->fdim != in->dim)
            return edl__fail(EDL_ERR_ARG, "%s: examples have %zu features, the model's input takes %zu", what, d->fdim,
                             in->dim);
    } else {
        if (d->fdim) return edl__fail(EDL_ERR_ARG, "%s: examples are feature rows, the model reads indices", what);
        for (size_t e = 0; e < d->n; e++) {
            size_t s = (size_t)d->offsets[e], t = (size_t)d->offsets[e + 1];
            if (in->kind == EDL_LAYER_EMBEDDING && t - s != in->len)
                return edl__fail(EDL_ERR_ARG, "%s: %zu indices, the embedding takes len=%zu",
                                 where(d, what, e, w, sizeof w), t - s, in->len);
            for (size_t i = s; i < t; i++)
                if ((uint64_t)d->idx[i] >= in->rows)
                    return edl__fail(EDL_ERR_INDEX, "%s: index %lld at position %zu is out of range [0, %zu)",
                                     where(d, what, e, w, sizeof w), (long long)d->idx[i], i - s, in->rows);
        }
    }
    if (m->loss == EDL_LOSS_SOFTMAX_CE) {
        if (d->tdim)
            return edl__fail(EDL_ERR_ARG, "%s: examples have float targets, the softmax loss takes labels", what);
        for (size_t e = 0; e < d->n; e++)
            if ((uint64_t)d->labels[e] >= od)
                return edl__fail(EDL_ERR_INDEX, "%s: label %lld is out of range [0, %zu)",
                                 where(d, what, e, w, sizeof w), (long long)d->labels[e], od);
    } else if (d->tdim != od) {
        return edl__fail(EDL_ERR_ARG, "%s: examples have %zu targets, the model outputs %zu", what, d->tdim, od);
    }
    return EDL_OK;
}

/* Records that the example just added came from line `line` of source. */
edl_status edl__dataset_note_line(edl_dataset *d, const char *source, size_t line) {
    if (!d->source && !(d->source = strdup(source))) return edl__fail(EDL_ERR_NOMEM, "no memory");
    EDL__TRY(reserve((void **)&d->lines, &d->lines_cap, d->n, sizeof *d->lines));
    d->lines[d->n - 1] = (int64_t)line;
    return EDL_OK;
}

edl_status edl__batch_reserve(edl__batch_buf *bb, const edl_dataset *d, size_t cap) {
    size_t maxlen = 0;
    for (size_t e = 0; e < d->n; e++) {
        size_t l = (size_t)(d->offsets[e + 1] - d->offsets[e]);
        maxlen = l > maxlen ? l : maxlen;
    }
    size_t nidx, nx, nt;
    if (!edl__mul_ok(cap, maxlen, &nidx) || !edl__mul_ok(cap, d->fdim, &nx) || !edl__mul_ok(cap, d->tdim, &nt))
        return edl__fail(EDL_ERR_NOMEM, "batch buffers overflow");
    bb->idx = malloc((nidx ? nidx : 1) * sizeof *bb->idx);
    bb->offsets = malloc(cap * sizeof *bb->offsets);
    bb->labels = malloc(cap * sizeof *bb->labels);
    bb->x = malloc((nx ? nx : 1) * sizeof *bb->x);
    bb->targets = malloc((nt ? nt : 1) * sizeof *bb->targets);
    if (!bb->idx || !bb->offsets || !bb->labels || !bb->x || !bb->targets) {
        edl__batch_free(bb);
        return edl__fail(EDL_ERR_NOMEM, "no memory for batch buffers of %zu examples", cap);
    }
    return EDL_OK;
}

void edl__batch_free(edl__batch_buf *bb) {
    free(bb->idx), free(bb->offsets), free(bb->labels), free(bb->x), free(bb->targets);
    memset(bb, 0, sizeof *bb);
}

void edl__batch_gather(edl__batch_buf *bb, const edl_dataset *d, const size_t *order, size_t count, edl_batch *b) {
    size_t nidx = 0;
    for (size_t k = 0; k < count; k++) {
        size_t e = order[k];
        if (d->fdim) {
            memcpy(bb->x + k * d->fdim, d->x + e * d->fdim, d->fdim * sizeof *bb->x);
        } else {
            size_t s = (size_t)d->offsets[e], len = (size_t)d->offsets[e + 1] - s;
            bb->offsets[k] = (int64_t)nidx;
            if (len) memcpy(bb->idx + nidx, d->idx + s, len * sizeof *bb->idx);
            nidx += len;
        }
        if (d->tdim)
            memcpy(bb->targets + k * d->tdim, d->targets + e * d->tdim, d->tdim * sizeof *bb->targets);
        else
            bb->labels[k] = d->labels[e];
    }
    memset(b, 0, sizeof *b);
    b->n = count;
    b->x = d->fdim ? bb->x : NULL;
    b->idx = d->fdim ? NULL : bb->idx;
    b->nidx = nidx;
    b->offsets = d->fdim ? NULL : bb->offsets;
    b->labels = d->tdim ? NULL : bb->labels;
    b->targets = d->tdim ? bb->targets : NULL;
}
