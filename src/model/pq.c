/* Product quantization (see pq.h). */
#include "model/pq.h"
#include "kernels/kernels.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

enum { KSUB = 256, NITER = 25, MAX_POINTS = 256 * 256 };

static float *centroid(const edl__pq *pq, int32_t j, int k) {
    return j == pq->nsubq - 1 ? pq->centroids + (size_t)j * KSUB * pq->dsub + (size_t)k * pq->lastdsub
                              : pq->centroids + ((size_t)j * KSUB + (size_t)k) * pq->dsub;
}

static int nearest(const float *c, const float *x, size_t d) {
    int best = 0;
    float bd = FLT_MAX;
    for (int k = 0; k < KSUB; k++) {
        float s = 0;
        for (size_t i = 0; i < d; i++) {
            float e = c[(size_t)k * d + i] - x[i];
            s += e * e;
        }
        if (s < bd) bd = s, best = k;
    }
    return best;
}

/* The 256 centroids c[KSUB][d] transposed (ct[l * KSUB + k]) and their squared norms: the
   layout of nearest_fast. */
static void transpose(float *ct, float *cn, const float *c, size_t d) {
    for (int k = 0; k < KSUB; k++) {
        float s = 0;
        for (size_t l = 0; l < d; l++)
            ct[l * KSUB + (size_t)k] = c[(size_t)k * d + l], s += c[(size_t)k * d + l] * c[(size_t)k * d + l];
        cn[k] = s;
    }
}

/* The nearest centroid by |c|^2 - 2 x.c, all 256 at once: d vector loops of 256 and one argmin
   (ties: the lower index), instead of 256 short loops of d. */
static int nearest_fast(const float *ct, const float *cn, const float *x, size_t d) {
    return (int)edl__vec_nearest256(ct, cn, x, d);
}

/* k-means of np points xs[np][d] into c[KSUB][d]; fast: nearest_fast (else fastText's nearest) */
static edl_status kmeans(float *c, const float *xs, size_t np, size_t d, edl_rng *rng, int fast) {
    size_t *perm = malloc(np * sizeof *perm), *count = malloc(KSUB * sizeof *count);
    uint8_t *assign = malloc(np);
    float *ct = malloc((d * KSUB + KSUB) * sizeof *ct), *cn = ct ? ct + d * KSUB : NULL;
    if (!perm || !count || !assign || !ct) {
        free(perm), free(count), free(assign), free(ct);
        return edl__fail(EDL_ERR_NOMEM, "quantize: no memory for k-means of %zu points", np);
    }
    for (size_t i = 0; i < np; i++) perm[i] = i;
    for (size_t i = np; i > 1; i--) {
        size_t j = (size_t)edl_rng_below(rng, i), t = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = t;
    }
    for (int k = 0; k < KSUB; k++) memcpy(c + (size_t)k * d, xs + perm[k] * d, d * sizeof *c);
    for (int it = 0; it < NITER; it++) {
        /* each point's nearest centroid alone: the same assignment for any thread count */
        if (fast) transpose(ct, cn, c, d);
#pragma omp parallel for schedule(static) if (np > 4096)
        for (size_t i = 0; i < np; i++)
            assign[i] = (uint8_t)(fast ? nearest_fast(ct, cn, xs + i * d, d) : nearest(c, xs + i * d, d));
        memset(c, 0, KSUB * d * sizeof *c);
        memset(count, 0, KSUB * sizeof *count);
        for (size_t i = 0; i < np; i++) {
            count[assign[i]]++;
            for (size_t l = 0; l < d; l++) c[(size_t)assign[i] * d + l] += xs[i * d + l];
        }
        for (int k = 0; k < KSUB; k++)
            if (count[k])
                for (size_t l = 0; l < d; l++) c[(size_t)k * d + l] /= (float)count[k];
        for (int k = 0; k < KSUB; k++) { /* an empty centroid takes half of the largest cluster */
            if (count[k]) continue;
            int big = 0;
            for (int m = 1; m < KSUB; m++)
                if (count[m] > count[big]) big = m;
            for (size_t l = 0; l < d; l++) {
                float v = c[(size_t)big * d + l], eps = 1.0f / 1024;
                c[(size_t)k * d + l] = v * (1 + (l % 2 ? eps : -eps));
                c[(size_t)big * d + l] = v * (1 + (l % 2 ? -eps : eps));
            }
            count[k] = count[big] / 2, count[big] -= count[k];
        }
    }
    free(perm), free(count), free(assign), free(ct);
    return EDL_OK;
}

static edl_status train(edl__pq *pq, int32_t dim, int32_t dsub, const float *x, size_t n, uint64_t seed, int fast) {
    memset(pq, 0, sizeof *pq);
    if (dim < 1 || dsub < 1 || dsub > dim) return edl__fail(EDL_ERR_ARG, "quantize: -dsub %d for dim %d", dsub, dim);
    if (n < KSUB)
        return edl__fail(EDL_ERR_ARG, "quantize: %zu rows; product quantization needs at least 256 (as fastText)", n);
    pq->dim = dim, pq->dsub = dsub, pq->nsubq = dim / dsub, pq->lastdsub = dim % dsub;
    if (pq->lastdsub == 0)
        pq->lastdsub = dsub;
    else
        pq->nsubq++;
    size_t np = n < MAX_POINTS ? n : MAX_POINTS;
    pq->centroids = malloc((size_t)dim * KSUB * sizeof *pq->centroids);
    float *xs = malloc(np * (size_t)dsub * sizeof *xs);
    size_t *pick = malloc(n * sizeof *pick);
    edl_status s = pq->centroids && xs && pick ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "quantize: no memory");
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    for (int32_t j = 0; s == EDL_OK && j < pq->nsubq; j++) {
        size_t d = j == pq->nsubq - 1 ? (size_t)pq->lastdsub : (size_t)pq->dsub;
        for (size_t i = 0; i < n; i++) pick[i] = i;
        for (size_t i = 0; i < np; i++) { /* np rows drawn without replacement */
            size_t r = i + (size_t)edl_rng_below(&rng, n - i), t = pick[i];
            pick[i] = pick[r], pick[r] = t;
            memcpy(xs + i * d, x + pick[i] * (size_t)dim + (size_t)j * (size_t)pq->dsub, d * sizeof *xs);
        }
        s = kmeans(centroid(pq, j, 0), xs, np, d, &rng, fast);
    }
    free(xs), free(pick);
    if (s != EDL_OK) edl__pq_free(pq);
    return s;
}

edl_status edl__pq_train(edl__pq *pq, int32_t dim, int32_t dsub, const float *x, size_t n, uint64_t seed) {
    return train(pq, dim, dsub, x, n, seed, 0);
}

edl_status edl__pq_train_fast(edl__pq *pq, int32_t dim, int32_t dsub, const float *x, size_t n, uint64_t seed) {
    return train(pq, dim, dsub, x, n, seed, 1);
}

void edl__pq_encode(const edl__pq *pq, const float *x, size_t n, uint8_t *codes) {
#pragma omp parallel for schedule(static) if (n > 4096)
    for (size_t i = 0; i < n; i++)
        for (int32_t j = 0; j < pq->nsubq; j++) {
            size_t d = j == pq->nsubq - 1 ? (size_t)pq->lastdsub : (size_t)pq->dsub;
            codes[i * (size_t)pq->nsubq + (size_t)j] =
                (uint8_t)nearest(centroid(pq, j, 0), x + i * (size_t)pq->dim + (size_t)j * (size_t)pq->dsub, d);
        }
}

edl_status edl__pq_encode_fast(const edl__pq *pq, const float *x, size_t n, uint8_t *codes) {
    const size_t m = (size_t)pq->nsubq, dim = (size_t)pq->dim;
    float *ct = malloc(((size_t)dim * KSUB + m * KSUB) * sizeof *ct), *cn = ct ? ct + dim * KSUB : NULL;
    if (!ct) return edl__fail(EDL_ERR_NOMEM, "quantize: no memory for %zu x 256 centroids", m);
    for (size_t j = 0; j < m; j++) { /* sub-quantizer j's layout at ct + j * 256 * dsub */
        size_t d = j == m - 1 ? (size_t)pq->lastdsub : (size_t)pq->dsub;
        transpose(ct + j * KSUB * (size_t)pq->dsub, cn + j * KSUB, centroid(pq, (int32_t)j, 0), d);
    }
#pragma omp parallel for schedule(static) if (n > 4096)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            size_t d = j == m - 1 ? (size_t)pq->lastdsub : (size_t)pq->dsub;
            codes[i * m + j] = (uint8_t)nearest_fast(ct + j * KSUB * (size_t)pq->dsub, cn + j * KSUB,
                                                     x + i * dim + j * (size_t)pq->dsub, d);
        }
    free(ct);
    return EDL_OK;
}

void edl__pq_free(edl__pq *pq) {
    if (!pq) return;
    free(pq->centroids);
    memset(pq, 0, sizeof *pq);
}
