/* Projections of embedding spaces to look at: PCA (covariance eigendecomposition by cyclic
 * Jacobi rotations, in double); t-SNE is in tsne.c. */
#include "common/internal.h"
#include "kernels/kernels.h"
#include "edl_viz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Eigen-decomposition of the symmetric d x d matrix a (destroyed): eigenvalues into w, the
   eigenvectors into the columns of v. Cyclic Jacobi: robust, and plenty fast for d <= ~1000. */
static void jacobi(double *a, double *w, double *v, size_t d) {
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) v[i * d + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, total = 0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                total += a[i * d + j] * a[i * d + j];
                if (i != j) off += a[i * d + j] * a[i * d + j];
            }
        if (off <= 1e-22 * (total + 1e-300)) break;
        for (size_t p = 0; p < d; p++)
            for (size_t q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (size_t k = 0; k < d; k++) { /* rows and columns p, q */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq, a[k * d + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < d; k++) {
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk, a[q * d + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < d; k++) {
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq, v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    for (size_t i = 0; i < d; i++) w[i] = a[i * d + i];
}

edl_status edl_pca(float *out, double *explained, const float *x, size_t n, size_t dim, size_t k) {
    static const char fn[] = "edl_pca";
    if (!out || !x) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (n < 2 || dim == 0 || k == 0 || k > dim)
        return edl__fail(EDL_ERR_ARG, "%s: need n >= 2 and 1 <= k <= dim (n %zu, dim %zu, k %zu)", fn, n, dim, k);
    if (dim > 2000) return edl__fail(EDL_ERR_ARG, "%s: dim %zu is over 2000", fn, dim);
    EDL__TRY(edl__check_matrix(fn, "x", n, dim));
    EDL__TRY(edl__check_matrix(fn, "out", n, k));
    /* a NaN or an infinity would spread through the covariance into every output */
    for (size_t i = 0; i < n; i++)
        if (!edl__vec_all_finite(x + i * dim, dim))
            for (size_t d = 0; d < dim; d++)
                if (!isfinite(x[i * dim + d]))
                    return edl__fail(EDL_ERR_NUMERIC, "%s: x at row %zu, column %zu is %g, not a finite number", fn, i,
                                     d, x[i * dim + d]);
    double *mean = calloc(dim, sizeof *mean), *cov = calloc(dim * dim, sizeof *cov), *w = malloc(dim * sizeof *w);
    double *v = malloc(dim * dim * sizeof *v), *row = malloc(dim * sizeof *row);
    size_t *order = malloc(dim * sizeof *order);
    if (!mean || !cov || !w || !v || !row || !order) {
        free(mean), free(cov), free(w), free(v), free(row), free(order);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for a %zu x %zu covariance", fn, dim, dim);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < dim; d++) mean[d] += x[i * dim + d];
    for (size_t d = 0; d < dim; d++) mean[d] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < dim; d++) row[d] = x[i * dim + d] - mean[d];
        for (size_t a = 0; a < dim; a++)
            for (size_t b = a; b < dim; b++) cov[a * dim + b] += row[a] * row[b];
    }
    for (size_t a = 0; a < dim; a++)
        for (size_t b = a; b < dim; b++) cov[b * dim + a] = cov[a * dim + b] /= (double)(n - 1);
    jacobi(cov, w, v, dim);
    for (size_t i = 0; i < dim; i++) order[i] = i;
    for (size_t i = 1; i < dim; i++) /* largest eigenvalues first */
        for (size_t j = i; j > 0 && w[order[j]] > w[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    double total = 0;
    for (size_t i = 0; i < dim; i++) total += w[i] > 0 ? w[i] : 0;
    for (size_t c = 0; c < k; c++) {
        size_t e = order[c], big = 0;
        for (size_t d = 1; d < dim; d++)
            if (fabs(v[d * dim + e]) > fabs(v[big * dim + e])) big = d;
        if (v[big * dim + e] < 0)
            for (size_t d = 0; d < dim; d++) v[d * dim + e] = -v[d * dim + e];
        if (explained) explained[c] = total > 0 ? (w[e] > 0 ? w[e] : 0) / total : 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++) {
            double s = 0;
            for (size_t d = 0; d < dim; d++) s += (x[i * dim + d] - mean[d]) * v[d * dim + order[c]];
            out[i * k + c] = (float)s;
        }
    free(mean), free(cov), free(w), free(v), free(row), free(order);
    return EDL_OK;
}
