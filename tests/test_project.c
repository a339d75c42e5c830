/* Projections and pictures: PCA against an independent power-iteration reference in double,
 * t-SNE keeping planted clusters' neighbourhoods, scatter SVGs with one mark per point. */
#include "harness.h"

#include <unistd.h>

/* Data with a known principal structure: variances 9, 4, 1, 0.25 along a rotated basis. */
static float *planted(size_t n, size_t dim, edl_rng *r) {
    float *x = malloc(n * dim * sizeof *x);
    const double sd[4] = {3, 2, 1, 0.5};
    for (size_t i = 0; i < n; i++) {
        double z[4];
        for (int k = 0; k < 4; k++) z[k] = sd[k] * edl_rng_normal(r);
        for (size_t d = 0; d < dim; d++) { /* a fixed rotation-like mixing: cos/sin pairs */
            double a = 0.3 * (double)(d + 1);
            x[i * dim + d] = (float)(z[0] * cos(a) + z[1] * sin(a) + (d % 2 ? z[2] : -z[2]) * 0.5 + z[3] * (d == 0)) + 5.0f;
        }
    }
    return x;
}

/* The leading eigenvector of the covariance by power iteration with deflation, in double. */
static void power_pcs(const float *x, size_t n, size_t dim, size_t k, double *pcs) {
    double *mean = calloc(dim, sizeof *mean), *cov = calloc(dim * dim, sizeof *cov);
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < dim; d++) mean[d] += x[i * dim + d] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < dim; a++)
            for (size_t b = 0; b < dim; b++) cov[a * dim + b] += (x[i * dim + a] - mean[a]) * (x[i * dim + b] - mean[b]) / (double)(n - 1);
    for (size_t c = 0; c < k; c++) {
        double *v = pcs + c * dim, *t = malloc(dim * sizeof *t);
        for (size_t d = 0; d < dim; d++) v[d] = 1.0 / sqrt((double)dim) + 0.01 * (double)d;
        for (int it = 0; it < 2000; it++) {
            double norm = 0;
            for (size_t a = 0; a < dim; a++) {
                t[a] = 0;
                for (size_t b = 0; b < dim; b++) t[a] += cov[a * dim + b] * v[b];
            }
            for (size_t a = 0; a < dim; a++) norm += t[a] * t[a];
            for (size_t a = 0; a < dim; a++) v[a] = t[a] / sqrt(norm);
        }
        double lambda = 0; /* deflate */
        for (size_t a = 0; a < dim; a++)
            for (size_t b = 0; b < dim; b++) lambda += v[a] * cov[a * dim + b] * v[b];
        for (size_t a = 0; a < dim; a++)
            for (size_t b = 0; b < dim; b++) cov[a * dim + b] -= lambda * v[a] * v[b];
        free(t);
    }
    free(mean), free(cov);
}

TEST(pca_matches_power_iteration) {
    edl_rng r;
    edl_rng_seed(&r, 5);
    const size_t n = 500, dim = 6;
    float *x = planted(n, dim, &r), *out = malloc(n * 2 * sizeof *out);
    double ex[2], pcs[2 * 6];
    CHECK_OK(edl_pca(out, ex, x, n, dim, 2));
    power_pcs(x, n, dim, 2, pcs);
    for (int c = 0; c < 2; c++) {
        /* the projections agree up to sign: |correlation| ~ 1 */
        double sxy = 0, sxx = 0, syy = 0, mx = 0, my = 0;
        double *ref = malloc(n * sizeof *ref);
        for (size_t i = 0; i < n; i++) {
            ref[i] = 0;
            for (size_t d = 0; d < dim; d++) ref[i] += x[i * dim + d] * pcs[c * dim + d];
            mx += out[i * 2 + c] / (double)n, my += ref[i] / (double)n;
        }
        for (size_t i = 0; i < n; i++) {
            double a = out[i * 2 + c] - mx, b = ref[i] - my;
            sxy += a * b, sxx += a * a, syy += b * b;
        }
        double corr = sxy / sqrt(sxx * syy);
        if (!(fabs(corr) > 0.99999)) FAILF("component %d: correlation with the reference %.6f", c, corr);
        CHECK(fabs(mx) < 1e-4); /* centred */
        free(ref);
    }
    CHECK(ex[0] > ex[1] && ex[1] > 0 && ex[0] + ex[1] <= 1.0 + 1e-9);
    /* the same data gives the same picture: signs are fixed */
    float *again = malloc(n * 2 * sizeof *again);
    CHECK_OK(edl_pca(again, NULL, x, n, dim, 2));
    CHECK_EQUAL_F(again, out, n * 2);
    CHECK_STATUS(edl_pca(out, NULL, x, 1, dim, 2), EDL_ERR_ARG);
    CHECK_STATUS(edl_pca(out, NULL, x, n, dim, 7), EDL_ERR_ARG);
    free(x), free(out), free(again);
}

/* Three clusters in 10-D: in the 2-D map, each point's 5 nearest neighbours come from its own
   cluster (k-NN preservation >= 0.95, the stated floor). */
TEST(tsne_keeps_planted_clusters) {
    edl_rng r;
    edl_rng_seed(&r, 6);
    const size_t per = 40, n = 3 * per, dim = 10;
    float *x = malloc(n * dim * sizeof *x), *y = malloc(n * 2 * sizeof *y);
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < dim; d++) x[i * dim + d] = (d == i / per ? 6.0f : 0.0f) + edl_rng_normal(&r);
    edl_tsne_args a;
    edl_tsne_defaults(&a);
    a.perplexity = 10, a.iterations = 500, a.seed = 1;
    CHECK_OK(edl_tsne(y, x, n, dim, &a));
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        double best[5] = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
        size_t who[5] = {0};
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1], d = dx * dx + dy * dy;
            for (int k = 0; k < 5; k++)
                if (d < best[k]) {
                    for (int m = 4; m > k; m--) best[m] = best[m - 1], who[m] = who[m - 1];
                    best[k] = d, who[k] = j;
                    break;
                }
        }
        for (int k = 0; k < 5; k++) kept += who[k] / per == i / per;
    }
    double frac = (double)kept / (double)(5 * n);
    if (!(frac >= 0.95)) FAILF("k-NN preservation %.3f", frac);
    float *again = malloc(n * 2 * sizeof *again);
    CHECK_OK(edl_tsne(again, x, n, dim, &a));
    CHECK_EQUAL_F(again, y, n * 2); /* seeded: the same map */
    a.perplexity = 50;
    CHECK_STATUS(edl_tsne(y, x, n, dim, &a), EDL_ERR_ARG);
    free(x), free(y), free(again);
}

TEST(scatter_svg_one_mark_per_point) {
    const size_t n = 50;
    float x[50], y[50];
    int g[50];
    const char *labels[50] = {0}, *groups[2] = {"odd", "even <&>"};
    char names[50][8];
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)i, y[i] = (float)((i * 7) % 13);
        g[i] = (int)(i % 2);
        snprintf(names[i], sizeof names[i], "w%zu", i);
        labels[i] = i < 20 ? names[i] : NULL;
    }
    edl_plot_opts o = {"A <title> & more", "x", "y", "caption", 0, 0, NULL, NULL, 0};
    const char *path = "/tmp/edl-test-scatter.svg";
    CHECK_OK(edl_plot_scatter_svg(path, &o, x, y, n, g, groups, 2, labels));
    size_t len = 0;
    char *svg = (char *)read_file_bytes(path, &len);
    CHECK(svg && !strncmp(svg, "<?xml", 5) && strstr(svg, "</svg>\n"));
    int pts = 0, texts = 0;
    for (char *p = svg; p && (p = strstr(p, "class=\"pt\"")); p++) pts++;
    for (char *p = svg; p && (p = strstr(p, "<text")); p++) texts++;
    CHECK(pts == 50);
    CHECK(svg && strstr(svg, "A &lt;title&gt; &amp; more") && strstr(svg, "even &lt;&amp;&gt;"));
    CHECK(texts > 5 && texts <= 20 + 2 + 6 + 30); /* labels placed, legend, titles, ticks */
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "xmllint --noout %s", path);
        CHECK(system(cmd) == 0);
    } else if (getenv("CI")) {
        FAILF("xmllint is missing (CI installs libxml2-utils)");
    }
    free(svg);
    remove(path);
    g[3] = 5;
    CHECK_STATUS(edl_plot_scatter_svg(path, &o, x, y, n, g, groups, 2, labels), EDL_ERR_INDEX);
}

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    double d;
    size_t j;
} dist_idx;

static int cmp_dist(const void *a, const void *b) {
    const dist_idx *x = a, *y = b;
    return x->d != y->d ? (x->d > y->d) - (x->d < y->d) : (x->j > y->j) - (x->j < y->j);
}

/* Trustworthiness (Venna & Kaski): 1 - 2/(n k (2n - 3k - 1)) * sum over the map's k nearest
   neighbours j of i that are not among its k nearest in the input of (input rank of j - k). */
static double trustworthiness(const float *x, size_t dim, const float *y, size_t n, size_t k) {
    dist_idx *dx = malloc(n * sizeof *dx), *dy = malloc(n * sizeof *dy);
    size_t *rank = malloc(n * sizeof *rank);
    double pen = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t d = 0; d < dim; d++) s += ((double)x[i * dim + d] - x[j * dim + d]) * ((double)x[i * dim + d] - x[j * dim + d]);
            double a = (double)y[2 * i] - y[2 * j], b = (double)y[2 * i + 1] - y[2 * j + 1];
            dx[j] = (dist_idx){j == i ? -1 : s, j}, dy[j] = (dist_idx){j == i ? -1 : a * a + b * b, j};
        }
        qsort(dx, n, sizeof *dx, cmp_dist), qsort(dy, n, sizeof *dy, cmp_dist);
        for (size_t r = 0; r < n; r++) rank[dx[r].j] = r; /* i itself is rank 0 */
        for (size_t r = 1; r <= k; r++)
            if (rank[dy[r].j] > k) pen += (double)(rank[dy[r].j] - k);
    }
    free(dx), free(dy), free(rank);
    return 1.0 - 2.0 / ((double)n * (double)k * (2.0 * (double)n - 3.0 * (double)k - 1.0)) * pen;
}

/* Barnes-Hut (forced at 512 points) keeps planted clusters as the exact method does: k-NN
   preservation >= 0.95 and trustworthiness >= 0.90 (the stated floors), and the map is the
   same for 1 and 2 threads. */
TEST(tsne_barnes_hut_keeps_clusters) {
    edl_rng r;
    edl_rng_seed(&r, 9);
    const size_t per = 128, n = 4 * per, dim = 12, k = 10;
    float *x = malloc(n * dim * sizeof *x), *y = malloc(n * 2 * sizeof *y), *ye = malloc(n * 2 * sizeof *ye);
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < dim; d++) x[i * dim + d] = (d == i / per ? 5.0f : 0.0f) + edl_rng_normal(&r);
    edl_tsne_args a;
    edl_tsne_defaults(&a);
    a.perplexity = 20, a.iterations = 500, a.seed = 2, a.exact_below = 0;
    CHECK_OK(edl_tsne(y, x, n, dim, &a));
    a.theta = 0;
    CHECK_OK(edl_tsne(ye, x, n, dim, &a));
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) { /* each point's nearest in the map is of its cluster */
        size_t best = i;
        double bd = INFINITY;
        for (size_t j = 0; j < n; j++) {
            double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1], d = dx * dx + dy * dy;
            if (j != i && d < bd) bd = d, best = j;
        }
        kept += best / per == i / per;
    }
    double nn1 = (double)kept / (double)n, tb = trustworthiness(x, dim, y, n, k), te = trustworthiness(x, dim, ye, n, k);
    fprintf(stderr, "    Barnes-Hut: 1-NN in own cluster %.3f, trustworthiness(10) %.3f (exact %.3f)\n", nn1, tb, te);
    CHECK(nn1 >= 0.95 && tb >= 0.90 && te >= 0.90 && fabs(tb - te) < 0.03);
#ifdef _OPENMP
    a.theta = 0.5f;
    int was = omp_get_max_threads();
    omp_set_num_threads(1);
    CHECK_OK(edl_tsne(ye, x, n, dim, &a));
    omp_set_num_threads(2);
    CHECK_OK(edl_tsne(y, x, n, dim, &a));
    omp_set_num_threads(was);
    CHECK_EQUAL_F(y, ye, n * 2);
#endif
    a.theta = 2;
    CHECK_STATUS(edl_tsne(y, x, n, dim, &a), EDL_ERR_ARG);
    free(x), free(y), free(ye);
}
