/* Embedding lookup (a gather) and its backward (a scatter-add), with naive references.
 *
 * An embedding is a dense layer fed a one-hot vector: onehot(i) @ W == W[i]. The gather does the
 * same work in O(dim) per index instead of O(rows * dim).
 */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Arguments common to the lookups: pointers, sizes, overflow, and every index. table (rows x dim)
   is always needed; vals (n x dim: out or dout, named vals_name) and idx may be NULL when n == 0,
   an empty batch, as the bag kernels take an empty idx. */
static edl_status check_lookup(const char *fn, const void *table, const void *vals, const char *vals_name, size_t rows,
                               size_t dim, const int64_t *idx, size_t n) {
    if (!table || (n > 0 && (!vals || !idx)))
        return edl__fail(EDL_ERR_ARG, "%s: %s is NULL", fn, !table ? "the table" : !vals ? vals_name : "idx");
    EDL__CHECK_SIZE(fn, rows);
    EDL__CHECK_SIZE(fn, dim);
    EDL__TRY(edl__check_matrix(fn, "table", rows, dim));
    EDL__TRY(edl__check_matrix(fn, "out", n, dim));
    return n ? edl__check_indices(fn, idx, n, rows) : EDL_OK;
}

// out is (n, dim), table is (rows, dim), idx is (n,)
edl_status edl_embedding_forward(float *out, const float *table, size_t rows, size_t dim, const int64_t *idx,
                                 size_t n) {
    EDL__TRY(check_lookup("edl_embedding_forward", table, out, "out", rows, dim, idx, n));
    const size_t row_bytes = dim * sizeof(float);
    if (n * dim < EDL__PAR_MIN_WORK || edl__num_threads() == 1) { /* no region: see EDL__PAR_MIN_WORK */
        for (size_t i = 0; i < n; i++) memcpy(out + i * dim, table + (size_t)idx[i] * dim, row_bytes);
        return EDL_OK;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) memcpy(out + i * dim, table + (size_t)idx[i] * dim, row_bytes);
    return EDL_OK;
}

/* Adds dout rows into dtable rows for the indices thread t owns (row % nt == t). Ownership by
   row makes the scatter race-free, and each row still receives its additions in index order,
   so the result is the same for any thread count. */
static void scatter_rows(float *dtable, size_t dim, const int64_t *idx, size_t n, const float *dout, int t, int nt) {
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)idx[i];
        if (nt > 1 && !edl__owns(r, t, nt)) continue;
        edl__vec_add(dtable + r * dim, dout + i * dim, dim);
    }
}

// dtable is (rows, dim), dout is (n, dim)
edl_status edl_embedding_backward(float *dtable, size_t rows, size_t dim, const int64_t *idx, size_t n,
                                  const float *dout) {
    EDL__TRY(check_lookup("edl_embedding_backward", dtable, dout, "dout", rows, dim, idx, n));
    if (n == 0) return EDL_OK;
    if (n * dim < EDL__PAR_MIN_WORK || rows * dim * sizeof(float) < EDL__SCATTER_PAR_MIN_BYTES ||
        edl__num_threads() == 1) {
        scatter_rows(dtable, dim, idx, n, dout, 0, 1);
        return EDL_OK;
    }
#pragma omp parallel
    scatter_rows(dtable, dim, idx, n, dout, edl__thread_id(), edl__num_threads_in_team());
    return EDL_OK;
}

/* ---- references: the definition, one float at a time -------------------------------------- */

void edl__embedding_forward_naive(float *out, const float *table, size_t dim, const int64_t *idx, size_t n) {
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < dim; d++) out[i * dim + d] = table[(size_t)idx[i] * dim + d];
}

void edl__embedding_backward_naive(float *dtable, size_t dim, const int64_t *idx, size_t n, const float *dout) {
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < dim; d++) dtable[(size_t)idx[i] * dim + d] += dout[i * dim + d];
}

/* ---- max_norm ----------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

edl_status edl_embedding_renorm(float *table, size_t rows, size_t dim, const int64_t *idx, size_t n, float max_norm,
                                float norm_type) {
    static const char fn[] = "edl_embedding_renorm";
    EDL__TRY(check_lookup(fn, table, table, "table", rows, dim, idx, n));
    if (!(max_norm >= 0.0f) || !isfinite(max_norm))
        return edl__fail(EDL_ERR_ARG, "%s: max_norm %g must be finite and >= 0", fn, max_norm);
    if (!(norm_type > 0.0f)) return edl__fail(EDL_ERR_ARG, "%s: norm_type %g must be > 0", fn, norm_type);
    if (n == 0) return EDL_OK;
    /* Each distinct row once, as torch.embedding_renorm_ does: sort a copy of the indices. */
    int64_t *uniq = malloc(n * sizeof *uniq);
    if (!uniq) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu indices", fn, n);
    memcpy(uniq, idx, n * sizeof *uniq);
    qsort(uniq, n, sizeof *uniq, cmp_i64);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && uniq[i] == uniq[i - 1]) continue;
        float *row = table + (size_t)uniq[i] * dim;
        double s = 0.0;
        if (isinf(norm_type)) { /* the largest magnitude, as torch.norm(p=inf) */
            for (size_t d = 0; d < dim; d++) s = fabs((double)row[d]) > s ? fabs((double)row[d]) : s;
        } else if (norm_type == 2.0f) {
            for (size_t d = 0; d < dim; d++) s += (double)row[d] * row[d];
            s = sqrt(s);
        } else if (norm_type == 1.0f) {
            for (size_t d = 0; d < dim; d++) s += fabs((double)row[d]);
        } else {
            for (size_t d = 0; d < dim; d++) s += pow(fabs((double)row[d]), norm_type);
            s = pow(s, 1.0 / norm_type);
        }
        float norm = (float)s;
        if (norm > max_norm) edl__vec_scale(row, max_norm / (norm + 1e-7f), dim);
    }
    free(uniq);
    return EDL_OK;
}

/* ---- one-hot ------------------------------------------------------------------------------ */

// out is (n, classes)
edl_status edl_onehot(float *out, const int64_t *idx, size_t n, size_t classes) {
    static const char fn[] = "edl_onehot";
    if (n > 0 && (!out || !idx)) return edl__fail(EDL_ERR_ARG, "%s: %s is NULL", fn, !out ? "the output" : "idx");
    EDL__CHECK_SIZE(fn, classes);
    EDL__TRY(edl__check_matrix(fn, "out", n, classes));
    if (n == 0) return EDL_OK;
    EDL__TRY(edl__check_indices(fn, idx, n, classes));
    memset(out, 0, n * classes * sizeof(float));
    for (size_t i = 0; i < n; i++) out[i * classes + (size_t)idx[i]] = 1.0f;
    return EDL_OK;
}
