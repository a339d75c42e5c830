/* Projections of embedding spaces to look at: PCA (covariance eigendecomposition by cyclic
 * Jacobi rotations, in double) and exact t-SNE. */
#include "../internal.h"

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
    if (n < 2 || dim == 0 || k == 0 || k > dim) return edl__fail(EDL_ERR_ARG, "%s: need n >= 2 and 1 <= k <= dim (n %zu, dim %zu, k %zu)", fn, n, dim, k);
    if (dim > 2000) return edl__fail(EDL_ERR_ARG, "%s: dim %zu is over 2000", fn, dim);
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

/* ---- t-SNE ---------------------------------------------------------------------------------- */

void edl_tsne_defaults(edl_tsne_args *a) {
    a->perplexity = 30.0f, a->iterations = 1000, a->learning_rate = 200.0f, a->seed = 0;
}

/* Row i of P: Gaussian affinities with the bandwidth whose entropy matches log(perplexity). */
static void row_affinities(const double *d2, size_t n, size_t i, double perplexity, double *p) {
    double beta = 1, lo = -INFINITY, hi = INFINITY, target = log(perplexity);
    for (int it = 0; it < 64; it++) {
        double sum = 0, h = 0;
        for (size_t j = 0; j < n; j++) {
            p[j] = j == i ? 0 : exp(-d2[j] * beta);
            sum += p[j];
        }
        if (sum <= 0) sum = 1e-300;
        for (size_t j = 0; j < n; j++) h += p[j] * d2[j];
        h = log(sum) + beta * h / sum; /* entropy */
        for (size_t j = 0; j < n; j++) p[j] /= sum;
        if (fabs(h - target) < 1e-5) break;
        if (h > target) lo = beta, beta = isinf(hi) ? beta * 2 : (beta + hi) / 2;
        else hi = beta, beta = isinf(lo) ? beta / 2 : (beta + lo) / 2;
    }
}

edl_status edl_tsne(float *out, const float *x, size_t n, size_t dim, const edl_tsne_args *a) {
    static const char fn[] = "edl_tsne";
    if (!out || !x || !a) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (n < 4 || dim == 0) return edl__fail(EDL_ERR_ARG, "%s: need at least 4 points (n %zu, dim %zu)", fn, n, dim);
    if (n > 20000) return edl__fail(EDL_ERR_UNSUPPORTED, "%s: %zu points: the exact method holds an n x n matrix; use PCA or sample", fn, n);
    if (!(a->perplexity >= 1 && a->perplexity * 3 < (float)n))
        return edl__fail(EDL_ERR_ARG, "%s: perplexity %g must be in [1, n/3 = %zu)", fn, a->perplexity, n / 3);
    size_t nn;
    if (!edl__mul_ok(n, n, &nn)) return edl__fail(EDL_ERR_NOMEM, "%s: n x n overflows", fn);
    double *P = malloc(nn * sizeof *P), *d2 = malloc(n * sizeof *d2), *Y = malloc(2 * n * sizeof *Y);
    double *G = malloc(2 * n * sizeof *G), *U = calloc(2 * n, sizeof *U), *gains = malloc(2 * n * sizeof *gains);
    double *num = malloc(nn * sizeof *num);
    if (!P || !d2 || !Y || !G || !U || !gains || !num) {
        free(P), free(d2), free(Y), free(G), free(U), free(gains), free(num);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu x %zu affinities", fn, n, n);
    }
    /* P: conditional affinities per row, symmetrised and normalised */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t d = 0; d < dim; d++) {
                double t = (double)x[i * dim + d] - x[j * dim + d];
                s += t * t;
            }
            d2[j] = s;
        }
        row_affinities(d2, n, i, a->perplexity, P + i * n);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double s = (P[i * n + j] + P[j * n + i]) / (2.0 * (double)n);
            P[i * n + j] = P[j * n + i] = s > 1e-12 ? s : 1e-12;
        }
    edl_rng rng;
    edl_rng_seed(&rng, a->seed);
    for (size_t i = 0; i < 2 * n; i++) Y[i] = 1e-4 * edl_rng_normal(&rng), gains[i] = 1;
    for (size_t it = 0; it < a->iterations; it++) {
        double exag = it < 250 ? 12.0 : 1.0, mom = it < 250 ? 0.5 : 0.8, z = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
                num[i * n + j] = i == j ? 0 : 1.0 / (1.0 + dx * dx + dy * dy);
                z += num[i * n + j];
            }
        for (size_t i = 0; i < n; i++) {
            double gx = 0, gy = 0;
            for (size_t j = 0; j < n; j++) {
                if (i == j) continue;
                double q = num[i * n + j] / z, m = (exag * P[i * n + j] - q) * num[i * n + j];
                gx += m * (Y[2 * i] - Y[2 * j]), gy += m * (Y[2 * i + 1] - Y[2 * j + 1]);
            }
            G[2 * i] = 4 * gx, G[2 * i + 1] = 4 * gy;
        }
        for (size_t i = 0; i < 2 * n; i++) { /* delta-bar-delta gains, as the reference code */
            gains[i] = (G[i] > 0) != (U[i] > 0) ? gains[i] + 0.2 : gains[i] * 0.8;
            if (gains[i] < 0.01) gains[i] = 0.01;
            U[i] = mom * U[i] - a->learning_rate * gains[i] * G[i];
            Y[i] += U[i];
        }
        double mx = 0, my = 0;
        for (size_t i = 0; i < n; i++) mx += Y[2 * i], my += Y[2 * i + 1];
        for (size_t i = 0; i < n; i++) Y[2 * i] -= mx / (double)n, Y[2 * i + 1] -= my / (double)n;
    }
    int finite = 1;
    for (size_t i = 0; i < 2 * n; i++) finite &= isfinite(Y[i]) != 0, out[i] = (float)Y[i];
    free(P), free(d2), free(Y), free(G), free(U), free(gains), free(num);
    return finite ? EDL_OK : edl__fail(EDL_ERR_NUMERIC, "%s: the map diverged (lower the learning rate)", fn);
}
