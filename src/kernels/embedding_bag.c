/* Embedding bag: look up a bag of rows and pool them (sum, mean, max) without materialising the
 * looked-up rows, as torch.nn.functional.embedding_bag (include_last_offset=False). With naive
 * references below the fast paths.
 */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <string.h>

static edl_status check_bag(const char *fn, const void *dst, const void *src, size_t rows, size_t dim,
                            const int64_t *idx, size_t n, const int64_t *offsets, size_t bags, const float *weights,
                            edl_pool pool, int64_t padding_idx) {
    if (!dst || !src || !offsets || (n > 0 && !idx))
        return edl__fail(EDL_ERR_ARG, "%s: %s is NULL", fn,
                         !dst       ? "the output"
                         : !src     ? "the input"
                         : !offsets ? "offsets"
                                    : "idx");
    EDL__CHECK_SIZE(fn, rows);
    EDL__CHECK_SIZE(fn, dim);
    EDL__CHECK_SIZE(fn, bags);
    if (pool != EDL_POOL_SUM && pool != EDL_POOL_MEAN && pool != EDL_POOL_MAX)
        return edl__fail(EDL_ERR_ARG, "%s: pool %d is not sum, mean or max", fn, (int)pool);
    if (weights && pool != EDL_POOL_SUM) return edl__fail(EDL_ERR_ARG, "%s: per-index weights need pool sum", fn);
    if (padding_idx < -1 || (padding_idx >= 0 && (uint64_t)padding_idx >= rows))
        return edl__fail(EDL_ERR_ARG, "%s: padding_idx %lld is neither -1 nor in [0, %zu)", fn, (long long)padding_idx,
                         rows);
    EDL__TRY(edl__check_matrix(fn, "table", rows, dim));
    EDL__TRY(edl__check_matrix(fn, "out", bags, dim));
    EDL__TRY(edl__check_indices(fn, idx, n, rows));
    return edl__check_offsets(fn, offsets, bags, n);
}

/* Number of entries of bag [s, e) that are not padding: MEAN's divisor. */
static size_t bag_count(const int64_t *idx, size_t s, size_t e, int64_t padding_idx) {
    size_t c = 0;
    for (size_t j = s; j < e; j++) c += idx[j] != padding_idx;
    return c;
}

// o is (dim,): pooled rows idx[s..e) of table (rows, dim); am is (dim,) or NULL; idx has n entries
static void pool_one(float *o, int64_t *am, const float *table, size_t dim, const int64_t *idx, size_t s, size_t e,
                     size_t n, const float *weights, edl_pool pool, int64_t padding_idx) {
    memset(o, 0, dim * sizeof(float));
    if (pool != EDL_POOL_MAX) {
        size_t count = edl__vec_gather_sum(o, table, dim, idx, s, e, n, weights, padding_idx);
        if (pool == EDL_POOL_MEAN && count > 0)
            for (size_t d = 0; d < dim; d++) o[d] /= (float)count;
        return;
    }
    if (am)
        for (size_t d = 0; d < dim; d++) am[d] = -1;
    size_t count = 0;
    for (size_t j = s; j < e; j++) {
        if (idx[j] == padding_idx) continue;
        const float *row = table + (size_t)idx[j] * dim;
        /* The first row is copied (so NaN propagates as in PyTorch); later rows win only when
           strictly greater, so the first maximum wins ties. */
        if (count == 0) {
            memcpy(o, row, dim * sizeof(float));
            if (am)
                for (size_t d = 0; d < dim; d++) am[d] = idx[j];
        } else if (am) {
            edl__vec_max_arg(o, am, row, idx[j], dim);
        } else {
            for (size_t d = 0; d < dim; d++) o[d] = row[d] > o[d] ? row[d] : o[d];
        }
        count++;
    }
}

/* Whether a bag forward runs on the calling thread alone (then it enters no parallel region:
   see EDL__PAR_MIN_WORK). Threads pay off for a table beyond the caches (their misses overlap)
   or a very large batch. For a cached table inside a training step one thread is faster here:
   two make the table's and the output's cache lines move between cores at every step (measured
   with bench/train.c: 450k vs 365k examples/s on 2 cores). */
static bool bag_pool_serial(size_t table_bytes, size_t dim, size_t n, size_t bags) {
    return (table_bytes < ((size_t)4 << 20) && (n + bags) * dim < ((size_t)1 << 22)) || edl__num_threads() == 1;
}

// out is (bags, dim), argmax is (bags, dim) or NULL, table is (rows, dim), idx is (n,)
edl_status edl_embedding_bag_forward(float *out, int64_t *argmax, const float *table, size_t rows, size_t dim,
                                     const int64_t *idx, size_t n, const int64_t *offsets, size_t bags,
                                     const float *weights, edl_pool pool, int64_t padding_idx) {
    EDL__TRY(check_bag("edl_embedding_bag_forward", out, table, rows, dim, idx, n, offsets, bags, weights, pool,
                       padding_idx));
    if (pool != EDL_POOL_MAX) argmax = NULL;
    if (bag_pool_serial(rows * dim * sizeof(float), dim, n, bags)) {
        for (size_t b = 0; b < bags; b++)
            pool_one(out + b * dim, argmax ? argmax + b * dim : NULL, table, dim, idx, (size_t)offsets[b],
                     edl__bag_end(offsets, bags, n, b), n, weights, pool, padding_idx);
        return EDL_OK;
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t b = 0; b < bags; b++)
        pool_one(out + b * dim, argmax ? argmax + b * dim : NULL, table, dim, idx, (size_t)offsets[b],
                 edl__bag_end(offsets, bags, n, b), n, weights, pool, padding_idx);
    return EDL_OK;
}

/* ---- int8 rows: the same bags on a table of uint8 codes, value = code * scale + offset ------ */

// o is (dim,): pooled int8 rows idx[s..e) of codes (rows, dim), so (rows, 2); am is (dim,) or NULL
static void pool_one_int8(float *o, int64_t *am, const uint8_t *codes, const float *so, size_t dim, const int64_t *idx,
                          size_t s, size_t e, const float *weights, edl_pool pool, int64_t padding_idx) {
    memset(o, 0, dim * sizeof(float));
    size_t count = 0;
    if (am)
        for (size_t d = 0; d < dim; d++) am[d] = -1;
    for (size_t j = s; j < e; j++) {
        if (idx[j] == padding_idx) continue;
        const size_t r = (size_t)idx[j];
        const uint8_t *c = codes + r * dim;
        const float sc = so[2 * r], off = so[2 * r + 1];
        if (pool != EDL_POOL_MAX) {
            edl__vec_add_u8(o, c, sc, off, weights ? weights + j : NULL, dim);
        } else {
            for (size_t d = 0; d < dim; d++) { /* the first row is taken whole, later ones win only when greater */
                float v = (float)c[d] * sc + off;
                if (count == 0 || v > o[d]) {
                    o[d] = v;
                    if (am) am[d] = idx[j];
                }
            }
        }
        count++;
    }
    if (pool == EDL_POOL_MEAN && count > 0)
        for (size_t d = 0; d < dim; d++) o[d] /= (float)count;
}

edl_status edl_embedding_bag_forward_int8(float *out, int64_t *argmax, const uint8_t *codes, const float *scale_offset,
                                          size_t rows, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                          size_t bags, const float *weights, edl_pool pool, int64_t padding_idx) {
    static const char fn[] = "edl_embedding_bag_forward_int8";
    EDL__CHECK_PTR(fn, scale_offset);
    EDL__TRY(check_bag(fn, out, codes, rows, dim, idx, n, offsets, bags, weights, pool, padding_idx));
    if (pool != EDL_POOL_MAX) argmax = NULL;
    if (bag_pool_serial(rows * dim, dim, n, bags)) { /* a code a byte */
        for (size_t b = 0; b < bags; b++)
            pool_one_int8(out + b * dim, argmax ? argmax + b * dim : NULL, codes, scale_offset, dim, idx,
                          (size_t)offsets[b], edl__bag_end(offsets, bags, n, b), weights, pool, padding_idx);
        return EDL_OK;
    }
#pragma omp parallel for schedule(dynamic, 16)
    for (size_t b = 0; b < bags; b++)
        pool_one_int8(out + b * dim, argmax ? argmax + b * dim : NULL, codes, scale_offset, dim, idx,
                      (size_t)offsets[b], edl__bag_end(offsets, bags, n, b), weights, pool, padding_idx);
    return EDL_OK;
}

/* The scatter of the backward for the rows thread t owns (row % nt == t): race-free, and each
   row receives its additions in (bag, position) order whatever the thread count. */
static void bag_scatter(float *dtable, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets, size_t bags,
                        const float *weights, edl_pool pool, int64_t padding_idx, const int64_t *argmax,
                        const float *dout, int t, int nt) {
    for (size_t b = 0; b < bags; b++) {
        const float *g = dout + b * dim;
        if (pool == EDL_POOL_MAX) {
            const int64_t *am = argmax + b * dim;
            for (size_t d = 0; d < dim; d++) {
                if (am[d] < 0 || (nt > 1 && !edl__owns((size_t)am[d], t, nt))) continue;
                dtable[(size_t)am[d] * dim + d] += g[d];
            }
            continue;
        }
        size_t s = (size_t)offsets[b], e = edl__bag_end(offsets, bags, n, b);
        float scale = 1.0f;
        if (pool == EDL_POOL_MEAN) {
            size_t c = bag_count(idx, s, e, padding_idx);
            if (c == 0) continue;
            scale = (float)(1.0 / (double)c);
        }
        edl__vec_scatter_add(dtable, dim, idx, s, e, weights, scale, padding_idx, g, t, nt);
    }
}

// dtable is (rows, dim), dout is (bags, dim), argmax is (bags, dim) for MAX
edl_status edl_embedding_bag_backward(float *dtable, size_t rows, size_t dim, const int64_t *idx, size_t n,
                                      const int64_t *offsets, size_t bags, const float *weights, edl_pool pool,
                                      int64_t padding_idx, const int64_t *argmax, const float *dout) {
    static const char fn[] = "edl_embedding_bag_backward";
    EDL__TRY(check_bag(fn, dtable, dout, rows, dim, idx, n, offsets, bags, weights, pool, padding_idx));
    if (pool == EDL_POOL_MAX) {
        EDL__CHECK_PTR(fn, argmax);
        size_t total = bags * dim;
        for (size_t i = 0; i < total; i++)
            if (argmax[i] < -1 || (argmax[i] >= 0 && (uint64_t)argmax[i] >= rows))
                return edl__fail(EDL_ERR_INDEX, "%s: argmax %lld at position %zu is out of range [-1, %zu)", fn,
                                 (long long)argmax[i], i, rows);
    }
    if ((n + bags) * dim < EDL__PAR_MIN_WORK || rows * dim * sizeof(float) < EDL__SCATTER_PAR_MIN_BYTES ||
        edl__num_threads() == 1) {
        bag_scatter(dtable, dim, idx, n, offsets, bags, weights, pool, padding_idx, argmax, dout, 0, 1);
        return EDL_OK;
    }
#pragma omp parallel
    bag_scatter(dtable, dim, idx, n, offsets, bags, weights, pool, padding_idx, argmax, dout, edl__thread_id(),
                edl__num_threads_in_team());
    return EDL_OK;
}

/* A counting sort by row, stable: each row's count into start[r + 1], their running sums, then
   the positions in order, each at its row's cursor start[r]++ (which leaves start[r] where
   start[r + 1] began, so one move puts the starts back). */
void edl__bag_row_index(uint32_t *start, edl__bag_occ *occ, size_t rows, const int64_t *idx, size_t n,
                        const int64_t *offsets, size_t bags, const float *weights, edl_pool pool, int64_t padding_idx) {
    memset(start, 0, (rows + 1) * sizeof *start);
    for (size_t b = 0; b < bags; b++) {
        size_t s = (size_t)offsets[b], e = edl__bag_end(offsets, bags, n, b);
        for (size_t j = s; j < e; j++)
            if (idx[j] != padding_idx) start[idx[j] + 1]++;
    }
    for (size_t r = 0; r < rows; r++) start[r + 1] += start[r];
    for (size_t b = 0; b < bags; b++) {
        size_t s = (size_t)offsets[b], e = edl__bag_end(offsets, bags, n, b);
        float scale = 1.0f;
        if (pool == EDL_POOL_MEAN) {
            size_t c = padding_idx < 0 ? e - s : bag_count(idx, s, e, padding_idx);
            if (c == 0) continue;
            scale = (float)(1.0 / (double)c);
        }
        for (size_t j = s; j < e; j++) {
            if (idx[j] == padding_idx) continue;
            edl__bag_occ *o = &occ[start[idx[j]]++];
            o->bag = (uint32_t)b, o->factor = weights ? weights[j] : scale;
        }
    }
    memmove(start + 1, start, rows * sizeof *start);
    start[0] = 0;
}

/* ---- references: the definition, one float at a time -------------------------------------- */

/* The pooled forward of the definition over a table of floats or (table NULL) of 8-bit rows:
   value (r, d) is table[r dim + d], or codes[r dim + d] decoded with row r's scale and offset. */
static void bag_forward_naive(float *out, int64_t *argmax, const float *table, const uint8_t *codes,
                              const float *scale_offset, size_t dim, const int64_t *idx, size_t n,
                              const int64_t *offsets, size_t bags, const float *weights, edl_pool pool,
                              int64_t padding_idx) {
    for (size_t b = 0; b < bags; b++) {
        size_t s = (size_t)offsets[b], e = edl__bag_end(offsets, bags, n, b);
        for (size_t d = 0; d < dim; d++) {
            float acc = 0.0f;
            int64_t best = -1;
            size_t count = 0;
            for (size_t j = s; j < e; j++) {
                if (idx[j] == padding_idx) continue;
                size_t r = (size_t)idx[j];
                float v = table ? table[r * dim + d]
                                : (float)codes[r * dim + d] * scale_offset[2 * r] + scale_offset[2 * r + 1];
                if (pool == EDL_POOL_MAX) {
                    if (count == 0 || v > acc) acc = v, best = idx[j];
                } else {
                    acc += weights ? weights[j] * v : v;
                }
                count++;
            }
            if (pool == EDL_POOL_MEAN && count > 0) acc /= (float)count;
            out[b * dim + d] = acc;
            if (argmax && pool == EDL_POOL_MAX) argmax[b * dim + d] = best;
        }
    }
}

void edl__embedding_bag_forward_naive(float *out, int64_t *argmax, const float *table, size_t dim, const int64_t *idx,
                                      size_t n, const int64_t *offsets, size_t bags, const float *weights,
                                      edl_pool pool, int64_t padding_idx) {
    bag_forward_naive(out, argmax, table, NULL, NULL, dim, idx, n, offsets, bags, weights, pool, padding_idx);
}

void edl__embedding_bag_backward_naive(float *dtable, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                       size_t bags, const float *weights, edl_pool pool, int64_t padding_idx,
                                       const int64_t *argmax, const float *dout) {
    for (size_t b = 0; b < bags; b++) {
        size_t s = (size_t)offsets[b], e = edl__bag_end(offsets, bags, n, b);
        size_t count = bag_count(idx, s, e, padding_idx);
        for (size_t d = 0; d < dim; d++) {
            float g = dout[b * dim + d];
            if (pool == EDL_POOL_MAX) {
                if (argmax[b * dim + d] >= 0) dtable[(size_t)argmax[b * dim + d] * dim + d] += g;
                continue;
            }
            for (size_t j = s; j < e; j++) {
                if (idx[j] == padding_idx) continue;
                float w = weights ? weights[j] : pool == EDL_POOL_MEAN ? (float)(1.0 / (double)count) : 1.0f;
                dtable[(size_t)idx[j] * dim + d] += w * g;
            }
        }
    }
}

void edl__embedding_bag_forward_int8_naive(float *out, int64_t *argmax, const uint8_t *codes, const float *scale_offset,
                                           size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                           size_t bags, const float *weights, edl_pool pool, int64_t padding_idx) {
    bag_forward_naive(out, argmax, NULL, codes, scale_offset, dim, idx, n, offsets, bags, weights, pool, padding_idx);
}

bool edl__update_bag_rows_naive(edl_opt_kind kind, const edl__opt_coef *c, float *p, float *s1, float *s2, float *g,
                                size_t rows, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                size_t bags, const float *weights, edl_pool pool, int64_t padding_idx,
                                const float *dout) {
    memset(g, 0, rows * dim * sizeof *g);
    edl__embedding_bag_backward_naive(g, dim, idx, n, offsets, bags, weights, pool, padding_idx, NULL, dout);
    switch (kind) {
    case EDL_OPT_SGD: return edl__vec_sgd(p, g, s1, rows * dim, c);
    case EDL_OPT_ADAGRAD:
    case EDL_OPT_ROWWISE_ADAGRAD: return edl__vec_adagrad(p, g, s1, rows * dim, c);
    case EDL_OPT_ADAM:
    case EDL_OPT_ADAMW: return edl__vec_adam(p, g, s1, s2, rows * dim, c);
    }
    return true;
}
