/* t-SNE: the exact method for small inputs and Barnes-Hut (van der Maaten 2014) for large ones.
 * Both share the input affinities' bandwidth search and the optimiser (early exaggeration,
 * momentum, delta-bar-delta gains, recentring), so they differ only in how the gradient is
 * computed. Barnes-Hut's results do not depend on the thread count: each point's gradient is
 * computed alone, and sums are taken in point order. */
#include "common/internal.h"
#include "kernels/kernels.h"
#include "edl_viz.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void edl_tsne_defaults(edl_tsne_args *a) {
    a->perplexity = 30.0f, a->iterations = 1000, a->learning_rate = 200.0f, a->seed = 0;
    a->theta = 0.5f, a->exact_below = 2000;
}

/* p[0..n) = Gaussian affinities over squared distances d2 (skipping index skip) with the
   bandwidth whose entropy matches log(perplexity), normalised to sum 1. */
static void row_affinities(const double *d2, size_t n, size_t skip, double perplexity, double *p) {
    double beta = 1, lo = -INFINITY, hi = INFINITY, target = log(perplexity);
    for (int it = 0; it < 64; it++) {
        double sum = 0, h = 0;
        for (size_t j = 0; j < n; j++) {
            p[j] = j == skip ? 0 : exp(-d2[j] * beta);
            sum += p[j];
        }
        if (sum <= 0) sum = 1e-300;
        for (size_t j = 0; j < n; j++) h += p[j] * d2[j];
        h = log(sum) + beta * h / sum; /* entropy */
        for (size_t j = 0; j < n; j++) p[j] /= sum;
        if (fabs(h - target) < 1e-5) break;
        if (h > target)
            lo = beta, beta = isinf(hi) ? beta * 2 : (beta + hi) / 2;
        else
            hi = beta, beta = isinf(lo) ? beta / 2 : (beta + lo) / 2;
    }
}

static double sqdist(const float *a, const float *b, size_t dim) {
    double s = 0;
    for (size_t d = 0; d < dim; d++) {
        double t = (double)a[d] - b[d];
        s += t * t;
    }
    return s;
}

/* One step of the optimiser on Y (n x 2) from the gradient G, as the reference code. */
static void descend(double *Y, const double *G, double *U, double *gains, size_t n, double mom, double lr) {
    for (size_t i = 0; i < 2 * n; i++) {
        gains[i] = (G[i] > 0) != (U[i] > 0) ? gains[i] + 0.2 : gains[i] * 0.8;
        if (gains[i] < 0.01) gains[i] = 0.01;
        U[i] = mom * U[i] - lr * gains[i] * G[i];
        Y[i] += U[i];
    }
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += Y[2 * i], my += Y[2 * i + 1];
    for (size_t i = 0; i < n; i++) Y[2 * i] -= mx / (double)n, Y[2 * i + 1] -= my / (double)n;
}

#define EXAGGERATION           12.0
#define EXAGGERATED_ITERATIONS 250

/* ---- exact ------------------------------------------------------------------------------- */

static edl_status tsne_exact(double *Y, const float *x, size_t n, size_t dim, const edl_tsne_args *a, double *G,
                             double *U, double *gains) {
    static const char fn[] = "edl_tsne";
    if (n > 20000)
        return edl__fail(EDL_ERR_UNSUPPORTED, "%s: %zu points: the exact method holds an n x n matrix; use theta > 0",
                         fn, n);
    size_t nn;
    if (!edl__mul_ok(n, n, &nn)) return edl__fail(EDL_ERR_NOMEM, "%s: n x n overflows", fn);
    double *P = malloc(nn * sizeof *P), *d2 = malloc(n * sizeof *d2), *num = malloc(nn * sizeof *num);
    if (!P || !d2 || !num) {
        free(P), free(d2), free(num);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu x %zu affinities", fn, n, n);
    }
    /* P: conditional affinities per row, symmetrised and normalised */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) d2[j] = sqdist(x + i * dim, x + j * dim, dim);
        row_affinities(d2, n, i, a->perplexity, P + i * n);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double s = (P[i * n + j] + P[j * n + i]) / (2.0 * (double)n);
            P[i * n + j] = P[j * n + i] = s > 1e-12 ? s : 1e-12;
        }
    for (size_t it = 0; it < a->iterations; it++) {
        double exag = it < EXAGGERATED_ITERATIONS ? EXAGGERATION : 1.0, z = 0;
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
        descend(Y, G, U, gains, n, it < EXAGGERATED_ITERATIONS ? 0.5 : 0.8, a->learning_rate);
    }
    free(P), free(d2), free(num);
    return EDL_OK;
}

/* ---- Barnes-Hut --------------------------------------------------------------------------- */

/* Sparse symmetric affinities in CSR: row i's neighbours col[off[i] .. off[i+1]). */
typedef struct {
    size_t *off;
    int64_t *col;
    double *val;
} sparse;

typedef struct {
    int64_t i, j;
    double p;
} triple;

static int cmp_triple(const void *a, const void *b) {
    const triple *x = a, *y = b;
    return x->i != y->i ? (x->i > y->i) - (x->i < y->i) : (x->j > y->j) - (x->j < y->j);
}

/* The k nearest neighbours of every point (brute force, distances in double), their
   conditional affinities, then P = (P + P^T) / 2n. */
static edl_status knn_affinities(sparse *S, const float *x, size_t n, size_t dim, size_t k, double perplexity) {
    size_t m2;
    if (!edl__mul_ok(n, 2 * k, &m2) || !edl__mul_ok(m2, sizeof(triple), &m2))
        return edl__fail(EDL_ERR_NOMEM, "edl_tsne: %zu x %zu neighbours overflow", n, k);
    triple *t = malloc(m2);
    S->off = calloc(n + 1, sizeof *S->off);
    atomic_int failed = !t || !S->off;
#pragma omp parallel if (n >= 512)
    {
        double *nd = malloc(k * sizeof *nd), *p = malloc(k * sizeof *p);
        int64_t *ni = malloc(k * sizeof *ni);
        if (!nd || !p || !ni) failed = 1;
#pragma omp for schedule(dynamic, 32)
        for (size_t i = 0; i < n; i++) {
            if (failed) continue;
            size_t have = 0; /* the k nearest so far, sorted by distance (insertion) */
            for (size_t j = 0; j < n; j++) {
                if (j == i) continue;
                double d = sqdist(x + i * dim, x + j * dim, dim);
                if (have == k && d >= nd[k - 1]) continue;
                size_t at = have < k ? have++ : k - 1;
                while (at > 0 && nd[at - 1] > d) nd[at] = nd[at - 1], ni[at] = ni[at - 1], at--;
                nd[at] = d, ni[at] = (int64_t)j;
            }
            row_affinities(nd, k, SIZE_MAX, perplexity, p);
            for (size_t m = 0; m < k; m++) {
                t[2 * (i * k + m)] = (triple){(int64_t)i, ni[m], p[m]};
                t[2 * (i * k + m) + 1] = (triple){ni[m], (int64_t)i, p[m]};
            }
        }
        free(nd), free(p), free(ni);
    }
    if (failed) { /* the caller frees S */
        free(t);
        return edl__fail(EDL_ERR_NOMEM, "edl_tsne: no memory for %zu x %zu neighbours", n, k);
    }
    size_t m = 2 * n * k, u = 0;
    qsort(t, m, sizeof *t, cmp_triple);
    for (size_t r = 0; r < m; r++) { /* merge (i, j) duplicates: p_j|i + p_i|j */
        if (u > 0 && t[u - 1].i == t[r].i && t[u - 1].j == t[r].j)
            t[u - 1].p += t[r].p;
        else
            t[u++] = t[r];
    }
    S->col = malloc(u * sizeof *S->col), S->val = malloc(u * sizeof *S->val);
    if (!S->col || !S->val) {
        free(t);
        return edl__fail(EDL_ERR_NOMEM, "edl_tsne: no memory for %zu affinities", u);
    }
    for (size_t r = 0; r < u; r++) {
        S->off[t[r].i + 1]++;
        S->col[r] = t[r].j, S->val[r] = t[r].p / (2.0 * (double)n);
    }
    for (size_t i = 0; i < n; i++) S->off[i + 1] += S->off[i];
    free(t);
    return EDL_OK;
}

/* A quadtree over the map: each cell holds its points' count and summed position. */
typedef struct {
    double cx, cy, hw; /* centre and half width */
    double sx, sy;     /* sum of the points' positions */
    size_t count;
    int64_t child; /* first of 4 children (-1: a leaf) */
    int64_t point; /* a leaf's point (-1: empty) */
} cell;

typedef struct {
    cell *c;
    size_t n, cap;
} quadtree;

#define QT_MAX_DEPTH 48 /* deeper than this, points are treated as one place */

static int64_t qt_new(quadtree *q, double cx, double cy, double hw) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 1024;
        cell *c = realloc(q->c, cap * sizeof *c);
        if (!c) return -1;
        q->c = c, q->cap = cap;
    }
    q->c[q->n] = (cell){cx, cy, hw, 0, 0, 0, -1, -1};
    return (int64_t)q->n++;
}

static int qt_quadrant(const cell *c, double x, double y) { return (x >= c->cx) + 2 * (y >= c->cy); }

static int qt_split(quadtree *q, int64_t at) {
    double hw = q->c[at].hw / 2, cx = q->c[at].cx, cy = q->c[at].cy;
    int64_t first = -1;
    for (int k = 0; k < 4; k++) {
        int64_t c = qt_new(q, cx + (k & 1 ? hw : -hw), cy + (k & 2 ? hw : -hw), hw);
        if (c < 0) return -1;
        if (k == 0) first = c;
    }
    q->c[at].child = first;
    return 0;
}

static int qt_insert(quadtree *q, const double *Y, int64_t p) {
    double x = Y[2 * p], y = Y[2 * p + 1];
    int64_t at = 0;
    for (int depth = 0;; depth++) {
        cell *c = &q->c[at];
        c->sx += x, c->sy += y, c->count++;
        if (c->child < 0) {
            if (c->point < 0 && c->count == 1) {
                c->point = p;
                return 0;
            }
            if (depth >= QT_MAX_DEPTH) return 0; /* a pile of (nearly) equal points */
            int64_t old = c->point;
            c->point = -1;
            if (qt_split(q, at) < 0) return -1;
            if (old >= 0) { /* move the old point down one level */
                cell *cc = &q->c[at];
                int64_t d = cc->child + qt_quadrant(cc, Y[2 * old], Y[2 * old + 1]);
                q->c[d].sx += Y[2 * old], q->c[d].sy += Y[2 * old + 1], q->c[d].count = 1, q->c[d].point = old;
            }
        }
        at = q->c[at].child + qt_quadrant(&q->c[at], x, y);
    }
}

static edl_status qt_build(quadtree *q, const double *Y, size_t n) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 2; d++) lo[d] = fmin(lo[d], Y[2 * i + d]), hi[d] = fmax(hi[d], Y[2 * i + d]);
    double hw = fmax(hi[0] - lo[0], hi[1] - lo[1]) / 2 * 1.0001 + 1e-9;
    q->n = 0;
    if (qt_new(q, (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hw) < 0) return EDL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (qt_insert(q, Y, (int64_t)i) < 0) return EDL_ERR_NOMEM;
    return EDL_OK;
}

/* Point i's repulsion: sum over cells of count q^2 (y_i - centre), and its share of Z. */
static void repulsion(const quadtree *q, const double *Y, int64_t i, double theta, double *rx, double *ry, double *z) {
    int64_t stack[4 * QT_MAX_DEPTH + 8];
    size_t top = 0;
    double x = Y[2 * i], y = Y[2 * i + 1], fx = 0, fy = 0, zz = 0;
    stack[top++] = 0;
    while (top) {
        const cell *c = &q->c[stack[--top]];
        if (c->count == 0) continue;
        double cnt = (double)c->count;
        if (c->child < 0 && c->count == 1 && c->point == i) continue; /* itself alone */
        double mx = c->sx / cnt, my = c->sy / cnt, dx = x - mx, dy = y - my, d2 = dx * dx + dy * dy;
        if (c->child < 0 || 4 * c->hw * c->hw < theta * theta * d2) {
            if (c->child < 0 && d2 == 0) cnt -= 1; /* a pile of equal points, i among them */
            double qq = 1.0 / (1.0 + d2);
            zz += cnt * qq, fx += cnt * qq * qq * dx, fy += cnt * qq * qq * dy;
        } else {
            for (int k = 0; k < 4; k++) stack[top++] = c->child + k;
        }
    }
    *rx = fx, *ry = fy, *z = zz;
}

static edl_status tsne_bh(double *Y, const float *x, size_t n, size_t dim, const edl_tsne_args *a, double *G, double *U,
                          double *gains) {
    size_t k = (size_t)(3.0f * a->perplexity);
    if (k > n - 1) k = n - 1;
    sparse S = {NULL, NULL, NULL};
    quadtree q = {NULL, 0, 0};
    double *R = NULL, *Z = NULL;
    edl_status s = knn_affinities(&S, x, n, dim, k, a->perplexity);
    if (s == EDL_OK) {
        R = malloc(2 * n * sizeof *R), Z = malloc(n * sizeof *Z);
        if (!R || !Z) s = edl__fail(EDL_ERR_NOMEM, "edl_tsne: no memory for %zu points", n);
    }
    for (size_t it = 0; s == EDL_OK && it < a->iterations; it++) {
        double exag = it < EXAGGERATED_ITERATIONS ? EXAGGERATION : 1.0;
        if (qt_build(&q, Y, n) != EDL_OK) {
            s = edl__fail(EDL_ERR_NOMEM, "edl_tsne: no memory for the quadtree of %zu points", n);
            break;
        }
#pragma omp parallel for schedule(dynamic, 64) if (n >= 512)
        for (size_t i = 0; i < n; i++) {
            double ax = 0, ay = 0;
            for (size_t e = S.off[i]; e < S.off[i + 1]; e++) {
                size_t j = (size_t)S.col[e];
                double dx = Y[2 * i] - Y[2 * j], dy = Y[2 * i + 1] - Y[2 * j + 1];
                double m = S.val[e] / (1.0 + dx * dx + dy * dy);
                ax += m * dx, ay += m * dy;
            }
            G[2 * i] = exag * ax, G[2 * i + 1] = exag * ay;
            repulsion(&q, Y, (int64_t)i, a->theta, &R[2 * i], &R[2 * i + 1], &Z[i]);
        }
        double z = 0;
        for (size_t i = 0; i < n; i++) z += Z[i];
        if (z <= 0) z = 1e-300;
        for (size_t i = 0; i < 2 * n; i++) G[i] = 4 * (G[i] - R[i] / z);
        descend(Y, G, U, gains, n, it < EXAGGERATED_ITERATIONS ? 0.5 : 0.8, a->learning_rate);
    }
    free(q.c), free(R), free(Z), free(S.off), free(S.col), free(S.val);
    return s;
}

edl_status edl_tsne(float *out, const float *x, size_t n, size_t dim, const edl_tsne_args *a) {
    static const char fn[] = "edl_tsne";
    if (!out || !x || !a) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (dim == 0) return edl__fail(EDL_ERR_ARG, "%s: dim is 0: the points need at least one coordinate", fn);
    if (n < 4) return edl__fail(EDL_ERR_ARG, "%s: need at least 4 points (n %zu)", fn, n);
    EDL__TRY(edl__check_matrix(fn, "x", n, dim));
    if (!(a->perplexity >= 1 && a->perplexity * 3 < (float)n))
        return edl__fail(EDL_ERR_ARG, "%s: perplexity %g must be in [1, n/3 = %zu)", fn, a->perplexity, n / 3);
    if (!(a->theta >= 0 && a->theta <= 1)) return edl__fail(EDL_ERR_ARG, "%s: theta %g is not in [0, 1]", fn, a->theta);
    /* 0 would return the random start as if it were a map; past the cap a typo runs for days */
    if (a->iterations == 0 || a->iterations > EDL_TSNE_MAX_ITERATIONS)
        return edl__fail(EDL_ERR_ARG, "%s: iterations %zu must be in [1, %d]", fn, a->iterations,
                         EDL_TSNE_MAX_ITERATIONS);
    if (!(a->learning_rate > 0) || !isfinite(a->learning_rate))
        return edl__fail(EDL_ERR_ARG, "%s: learning rate %g must be > 0", fn, a->learning_rate);
    size_t n2;
    if (!edl__mul_ok(n, 2, &n2) || n > ((size_t)1 << 31))
        return edl__fail(EDL_ERR_NOMEM, "%s: %zu points are too many", fn, n);
    for (size_t i = 0; i < n * dim; i++)
        if (!isfinite(x[i]))
            return edl__fail(EDL_ERR_NUMERIC, "%s: value %zu of point %zu is not finite", fn, i % dim, i / dim);
    double *Y = malloc(n2 * sizeof *Y), *G = malloc(n2 * sizeof *G), *U = calloc(n2, sizeof *U),
           *gains = malloc(n2 * sizeof *gains);
    edl_status s = Y && G && U && gains ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu points", fn, n);
    if (s == EDL_OK) {
        edl_rng rng;
        edl_rng_seed(&rng, a->seed);
        for (size_t i = 0; i < n2; i++) Y[i] = 1e-4 * edl_rng_normal(&rng), gains[i] = 1;
        s = a->theta > 0 && n >= a->exact_below ? tsne_bh(Y, x, n, dim, a, G, U, gains)
                                                : tsne_exact(Y, x, n, dim, a, G, U, gains);
    }
    int finite = 1;
    for (size_t i = 0; s == EDL_OK && i < n2; i++) finite &= isfinite(Y[i]) != 0;
    if (s == EDL_OK && !finite) s = edl__fail(EDL_ERR_NUMERIC, "%s: the map diverged (lower the learning rate)", fn);
    for (size_t i = 0; s == EDL_OK && i < n2; i++) out[i] = (float)Y[i];
    free(Y), free(G), free(U), free(gains);
    return s;
}
