/* The row-sharded table (shard.h): rows by id % N, lookups and gradient pushes as all-to-all
 * exchanges of ids, rows and gradients through the communicator (model/comm.h). */
#include "model/shard.h"
#include "model/comm.h"
#include "model/optim_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t edl__shard_owned(size_t rows, int size, int rank) {
    return rows > (size_t)rank ? (rows - 1 - (size_t)rank) / (size_t)size + 1 : 0;
}

/* state arrays a rule keeps (local x width each); row-wise Adagrad keeps its accumulator in
   column 0 and elementwise sums for the columns past push's split */
static int state_kind(edl_opt_kind opt, int momentum) {
    switch (opt) {
    case EDL_OPT_SGD: return momentum ? 1 : 0;
    case EDL_OPT_ADAGRAD:
    case EDL_OPT_ROWWISE_ADAGRAD: return 1;
    case EDL_OPT_ADAM:
    case EDL_OPT_ADAMW: return 2;
    }
    return 0;
}

size_t edl__shard_bytes(size_t rows, size_t width, int size, int rank, edl_opt_kind opt, int momentum) {
    size_t local = edl__shard_owned(rows, size, rank);
    int k = state_kind(opt, momentum);
    size_t floats = local * width * (size_t)(1 + k);
    return floats * sizeof(float);
}

edl_status edl__shard_init(edl__shard *t, edl_comm *c, size_t rows, size_t width, const edl_optim_config *oc) {
    memset(t, 0, sizeof *t);
    t->comm = c, t->size = edl_comm_size(c), t->rank = edl_comm_rank(c);
    t->rows = rows, t->width = width, t->opt = oc->kind;
    t->local = edl__shard_owned(rows, t->size, t->rank);
    size_t n;
    if (width == 0 || !edl__mul_ok(t->local ? t->local : 1, width, &n) || n > SIZE_MAX / sizeof(float))
        return edl__fail(EDL_ERR_ARG, "edl__shard_init: %zu rows of %zu floats on %d ranks is too many", rows, width,
                         t->size);
    int k = state_kind(oc->kind, oc->momentum != 0.0f);
    t->w = calloc(n, sizeof(float));
    if (k != 0) t->s1 = calloc(n, sizeof(float));
    if (k == 2) t->s2 = calloc(n, sizeof(float));
    if (!t->w || (k && !t->s1) || (k == 2 && !t->s2)) {
        edl__shard_free(t);
        return edl__fail(EDL_ERR_NOMEM, "edl__shard_init: no memory for %zu rows of %zu floats (rank %d of %d)",
                         t->local, width, t->rank, t->size);
    }
    if ((oc->kind == EDL_OPT_ADAGRAD || oc->kind == EDL_OPT_ROWWISE_ADAGRAD) && oc->initial_accumulator != 0.0f)
        for (size_t i = 0; i < n; i++) t->s1[i] = oc->initial_accumulator;
    return EDL_OK;
}

void edl__shard_free(edl__shard *t) {
    if (!t) return;
    free(t->w), free(t->s1), free(t->s2);
    t->w = t->s1 = t->s2 = NULL;
}

void edl__shard_fill(edl__shard *t, void (*fill)(size_t row, float *x, void *ctx), void *ctx) {
    for (size_t l = 0; l < t->local; l++) fill(l * (size_t)t->size + (size_t)t->rank, t->w + l * t->width, ctx);
}

void edl__shard_batch_free(edl__shard_batch *b) {
    if (!b) return;
    free(b->ids), free(b->rows), free(b->grad), free(b->scount), free(b->rcount), free(b->rids), free(b->rbuf);
    free(b->order), free(b->tmp), free(b->bytes);
    memset(b, 0, sizeof *b);
}

/* push's scratch: the contributions to one row are together when sorted by (id, position) */
typedef struct {
    int64_t id;
    size_t pos;
} id_pos;

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Grows *p to hold n elements of size each (n <= cap: kept). */
static int grow(void **p, size_t n, size_t size) {
    void *q = realloc(*p, (n ? n : 1) * size);
    if (!q) return 0;
    *p = q;
    return 1;
}

static edl_status reserve(edl__shard *t, edl__shard_batch *b, size_t n) {
    size_t w = t->width;
    if (!b->scount) {
        b->scount = calloc((size_t)t->size, sizeof *b->scount), b->rcount = calloc((size_t)t->size, sizeof *b->rcount);
        b->bytes = calloc(2 * (size_t)t->size, sizeof *b->bytes);
        if (!b->scount || !b->rcount || !b->bytes) return edl__fail(EDL_ERR_NOMEM, "shard lookup: no memory");
    }
    if (n > b->tcap) {
        if (!grow((void **)&b->tmp, n, sizeof *b->tmp)) return edl__fail(EDL_ERR_NOMEM, "shard lookup: no memory");
        b->tcap = n;
    }
    if (n > b->cap) {
        size_t f;
        if (!edl__mul_ok(n, w, &f) || !grow((void **)&b->ids, n, sizeof *b->ids) ||
            !grow((void **)&b->rows, f, sizeof(float)) || !grow((void **)&b->grad, f, sizeof(float)))
            return edl__fail(EDL_ERR_NOMEM, "shard lookup: no memory for %zu rows of %zu", n, w);
        b->cap = n;
    }
    return EDL_OK;
}

static edl_status reserve_recv(edl__shard *t, edl__shard_batch *b, size_t nr) {
    if (nr <= b->rcap) return EDL_OK;
    size_t f;
    if (!edl__mul_ok(nr, t->width, &f) || !grow((void **)&b->rids, nr, sizeof *b->rids) ||
        !grow((void **)&b->rbuf, f, sizeof(float)) || !grow(&b->order, nr, sizeof(id_pos)))
        return edl__fail(EDL_ERR_NOMEM, "shard lookup: no memory for %zu rows of %zu asked of rank %d", nr, t->width,
                         t->rank);
    b->rcap = nr;
    return EDL_OK;
}

/* Every rank's local status: EDL_OK when all are fine, else this rank's own failure or
   EDL_ERR_IO saying another rank failed (the caller's edl_comm_agree names it). */
static edl_status all_ok(edl__shard *t, edl_status local) {
    uint8_t f = local != EDL_OK;
    edl_status s = edl__comm_allreduce(t->comm, &f, 1, EDL__COMM_U8, EDL__COMM_MAX);
    if (s != EDL_OK) return s;
    if (local != EDL_OK) return local;
    return f ? edl__fail(EDL_ERR_IO, "shard exchange: another rank failed") : EDL_OK;
}

/* The distinct valid ids of ids[0..n) into b->ids grouped by owner (b->scount), and each id's
   slot; the number of invalid ones in *bad (the first in *bad_id). */
static void distinct_by_owner(edl__shard *t, edl__shard_batch *b, const int64_t *ids, size_t n, size_t *slot,
                              size_t *bad, int64_t *bad_id) {
    const size_t N = (size_t)t->size;
    size_t m = 0;
    *bad = 0;
    for (size_t k = 0; k < n; k++) {
        if (ids[k] < 0 || (uint64_t)ids[k] >= t->rows) {
            if (!(*bad)++) *bad_id = ids[k];
            continue;
        }
        b->tmp[m++] = ids[k];
    }
    qsort(b->tmp, m, sizeof *b->tmp, cmp_i64);
    size_t u = 0;
    for (size_t k = 0; k < m; k++)
        if (!u || b->tmp[k] != b->tmp[u - 1]) b->tmp[u++] = b->tmp[k];
    /* grouped by owner, rising within: a counting sort by id % N */
    memset(b->scount, 0, N * sizeof *b->scount);
    for (size_t k = 0; k < u; k++) b->scount[(uint64_t)b->tmp[k] % N]++;
    size_t *at = b->bytes; /* scratch: each owner group's start */
    for (size_t q = 0, s = 0; q < N; q++) at[q] = s, s += b->scount[q];
    for (size_t k = 0; k < u; k++) b->ids[at[(uint64_t)b->tmp[k] % N]++] = b->tmp[k];
    for (size_t q = 0, s = 0; q < N; q++) at[q] = s, s += b->scount[q];
    for (size_t k = 0; k < n; k++) {
        slot[k] = 0;
        if (ids[k] < 0 || (uint64_t)ids[k] >= t->rows) continue;
        size_t q = (uint64_t)ids[k] % N, lo = at[q], hi = at[q] + b->scount[q];
        while (lo < hi) { /* an owner's ids rise */
            size_t mid = lo + (hi - lo) / 2;
            if (b->ids[mid] < ids[k])
                lo = mid + 1;
            else
                hi = mid;
        }
        slot[k] = lo;
    }
    b->n = u;
}

edl_status edl__shard_lookup(edl__shard *t, edl__shard_batch *b, const int64_t *ids, size_t n, size_t *slot) {
    const size_t N = (size_t)t->size, w = t->width;
    edl_status s = reserve(t, b, n);
    if (s != EDL_OK && !b->bytes) return s; /* not even the counts: this rank cannot take part */
    size_t bad = 0;
    int64_t bad_id = 0;
    b->n = 0;
    if (s == EDL_OK)
        distinct_by_owner(t, b, ids, n, slot, &bad, &bad_id);
    else
        memset(b->scount, 0, N * sizeof *b->scount);
    /* ids to their owners: sizes, then whether every rank can receive, then the ids */
    size_t *sb = b->bytes, *rb = b->bytes + N, nr = 0;
    for (size_t q = 0; q < N; q++) sb[q] = b->scount[q] * sizeof(int64_t);
    edl_status c = edl__comm_alltoall_sizes(t->comm, sb, rb);
    if (c != EDL_OK) return c;
    for (size_t q = 0; q < N; q++) nr += b->rcount[q] = rb[q] / sizeof(int64_t);
    if (s == EDL_OK) s = reserve_recv(t, b, nr);
    EDL__TRY(all_ok(t, s));
    b->nr = nr;
    EDL__TRY(edl__comm_alltoallv(t->comm, b->ids, sb, b->rids, rb));
    /* the owner's rows back, in the order asked */
    for (size_t k = 0; k < nr; k++) {
        int64_t id = b->rids[k];
        if (id < 0 || (uint64_t)id >= t->rows || (uint64_t)id % N != (size_t)t->rank) { /* cannot happen */
            s = edl__fail(EDL_ERR_INDEX, "shard lookup: rank %d was asked for row %lld, not one of its rows", t->rank,
                          (long long)id);
            memset(b->rbuf + k * w, 0, w * sizeof(float));
            continue;
        }
        memcpy(b->rbuf + k * w, edl__shard_row(t, (size_t)id), w * sizeof(float));
    }
    for (size_t q = 0; q < N; q++) sb[q] = b->rcount[q] * w * sizeof(float), rb[q] = b->scount[q] * w * sizeof(float);
    EDL__TRY(edl__comm_alltoallv(t->comm, b->rbuf, sb, b->rows, rb));
    memset(b->grad, 0, b->n * w * sizeof(float));
    if (bad && s == EDL_OK)
        s = edl__fail(EDL_ERR_INDEX, "shard lookup: %zu ids outside [0, %zu) (the first: %lld)", bad, t->rows,
                      (long long)bad_id);
    return s;
}

static int cmp_id_pos(const void *a, const void *b) {
    const id_pos *x = a, *y = b;
    if (x->id != y->id) return (x->id > y->id) - (x->id < y->id);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

edl_status edl__shard_push(edl__shard *t, edl__shard_batch *b, const edl__opt_coef *c, size_t split,
                           const edl__opt_coef *c2, int lazy) {
    const size_t N = (size_t)t->size, w = t->width;
    size_t *sb = b->bytes, *rb = b->bytes + N;
    for (size_t q = 0; q < N; q++) sb[q] = b->scount[q] * w * sizeof(float), rb[q] = b->rcount[q] * w * sizeof(float);
    EDL__TRY(edl__comm_alltoallv(t->comm, b->grad, sb, b->rbuf, rb));
    memset(b->grad, 0, b->n * w * sizeof(float));
    /* the contributions to one row, in rank order: each rank sent a row once */
    id_pos *order = b->order;
    edl_status s = EDL_OK;
    for (size_t k = 0; k < b->nr; k++) order[k].id = b->rids[k], order[k].pos = k;
    qsort(order, b->nr, sizeof *order, cmp_id_pos);
    if (split > w) split = w;
    for (size_t k = 0; s == EDL_OK && k < b->nr;) {
        size_t e = k + 1;
        float *g = b->rbuf + order[k].pos * w;
        for (; e < b->nr && order[e].id == order[k].id; e++) edl__vec_add(g, b->rbuf + order[e].pos * w, w);
        const size_t id = (size_t)order[k].id, l = id / N;
        float *p = t->w + l * w;
        bool ok;
        if (t->opt == EDL_OPT_ROWWISE_ADAGRAD) {
            float *s1 = t->s1 + l * w;
            ok = split ? edl__opt_rowwise_adagrad(c, p, g, s1, split) : true;
            if (split < w)
                ok &= edl__opt_apply(EDL_OPT_ADAGRAD, c2, p + split, g + split, s1 + split, NULL, w - split, lazy);
        } else {
            float *s1 = t->s1 ? t->s1 + l * w : NULL, *s2 = t->s2 ? t->s2 + l * w : NULL;
            ok = edl__opt_apply(t->opt, c, p, g, s1, s2, split, lazy);
            if (split < w)
                ok &= edl__opt_apply(t->opt, c2, p + split, g + split, s1 ? s1 + split : NULL, s2 ? s2 + split : NULL,
                                     w - split, lazy);
        }
        if (!ok) s = edl__fail(EDL_ERR_NUMERIC, "shard push: row %zu became non-finite", id);
        k = e;
    }
    return s;
}
