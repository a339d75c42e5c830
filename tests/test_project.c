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
            x[i * dim + d] =
                (float)(z[0] * cos(a) + z[1] * sin(a) + (d % 2 ? z[2] : -z[2]) * 0.5 + z[3] * (d == 0)) + 5.0f;
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
            for (size_t b = 0; b < dim; b++)
                cov[a * dim + b] += (x[i * dim + a] - mean[a]) * (x[i * dim + b] - mean[b]) / (double)(n - 1);
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
    char tmp[96];
    const char *path = harness_tmp_file(tmp, sizeof tmp, "scatter.svg");
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
            for (size_t d = 0; d < dim; d++)
                s += ((double)x[i * dim + d] - x[j * dim + d]) * ((double)x[i * dim + d] - x[j * dim + d]);
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
    double nn1 = (double)kept / (double)n, tb = trustworthiness(x, dim, y, n, k),
           te = trustworthiness(x, dim, ye, n, k);
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

/* ---- the commands: edl project, plot, export-projector as a user runs them ------------------ */

static int count_of(const char *s, const char *what) {
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p++) n++;
    return n;
}

/* The SVG is well-formed XML, by xmllint when installed (CI installs it). */
static void check_xml(const char *path) {
    char cmd[512];
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "xmllint --noout %s", path);
        if (system(cmd) != 0) FAILF("%s is not well-formed XML", path);
    } else if (getenv("CI")) {
        FAILF("xmllint is missing (CI installs libxml2-utils)");
    }
}

/* Text that is not UTF-8 (a latin-1 word, a truncated sequence, an overlong form, a surrogate)
   comes out as U+FFFD, so the SVG stays well-formed; valid UTF-8 passes through. */
TEST(scatter_svg_invalid_utf8_replaced) {
    size_t svg_len = 0;
    float x[6] = {0, 1, 2, 1, 2, 3}, y[6] = {0, 1, 1, 2, 2, 3}; /* labelled points inside the frame */
    const char *labels[6] = {NULL, "caf\xe9", "na\xc3\xafve", "cut\xe2\x82", "\xc0\xaf\xed\xa0\x80", NULL},
               *groups[1] = {"gr\xfcn"};
    int g[6] = {0};
    edl_plot_opts o = {"t\xe9tle", "x", "y", "caption \xff", 0, 0, NULL, NULL, 0};
    char tmp[96];
    const char *path = harness_tmp_file(tmp, sizeof tmp, "utf8.svg");
    CHECK_OK(edl_plot_scatter_svg(path, &o, x, y, 6, g, groups, 1, labels));
    char *svg = (char *)read_file_bytes(path, &svg_len);
    CHECK(svg && strstr(svg, ">caf\xef\xbf\xbd<") && strstr(svg, ">na\xc3\xafve<") &&
          strstr(svg, ">cut\xef\xbf\xbd\xef\xbf\xbd<"));
    CHECK(svg && strstr(svg, ">gr\xef\xbf\xbdn<") && strstr(svg, "t\xef\xbf\xbdtle") && !strstr(svg, "\xc0") &&
          !strstr(svg, "\xed\xa0"));
    free(svg);
    check_xml(path);
    remove(path);
}

/* group_colours and highlight: a grey catch-all group, diamonds drawn over the dots and labelled
   first, one mark ("pt") per point still; colours that are not #rgb/#rrggbb are refused. */
TEST(scatter_svg_colours_and_highlight) {
    size_t svg_len = 0;
    float x[3] = {0, 2, 1}, y[3] = {0, 2, 1};
    int g[3] = {0, 1, 1};
    const char *names[2] = {"a", "other"}, *colours[2] = {NULL, "#7f7f7f"}, *labels[3] = {NULL, NULL, "picked"};
    unsigned char hl[3] = {0, 0, 1};
    edl_plot_opts o = {"t", "x", "y", NULL, 0, 0, NULL, NULL, 0};
    char tmp[96];
    const char *path = harness_tmp_file(tmp, sizeof tmp, "hl.svg");
    CHECK_OK(edl_plot_scatter_svg_ex(path, &o, x, y, 3, g, names, colours, 2, labels, hl));
    char *svg = (char *)read_file_bytes(path, &svg_len);
    CHECK(svg && count_of(svg, "class=\"pt\"") == 3 && count_of(svg, "<path class=\"pt\"") == 1 &&
          count_of(svg, "fill=\"#7f7f7f\"") == 3);
    CHECK(svg && strstr(svg, ">picked<") && strstr(svg, "fill=\"#1f77b4\" fill-opacity"));
    free(svg);
    check_xml(path);
    colours[0] = "red\" onload=\"x";
    CHECK_STATUS(edl_plot_scatter_svg_ex(path, &o, x, y, 3, g, names, colours, 2, labels, hl), EDL_ERR_ARG);
    remove(path);
}

/* Writes a .vec file of n words w0.. (and extra, when given) with 4 values each. */
static void write_vec(const char *path, int n, const char *extra) {
    FILE *f = fopen(path, "wb");
    edl_rng r;
    edl_rng_seed(&r, 3);
    fprintf(f, "%d 4\n", n + (extra ? 1 : 0));
    for (int i = 0; i < n; i++)
        fprintf(f, "w%d %.4f %.4f %.4f %.4f\n", i, edl_rng_normal(&r), edl_rng_normal(&r), edl_rng_normal(&r),
                edl_rng_normal(&r));
    if (extra) fprintf(f, "%s 0.5 -0.25 1 2\n", extra);
    fclose(f);
}

/* -labels META.tsv: the group is the second column only; a TensorBoard header is skipped; words
   the file does not name get a grey "(not in the -labels file)" entry, not group 0's colour; past
   the palette's 20 colours the 19 largest groups keep theirs and the rest are one grey entry that
   says how many they are (no legend entry claims points of another colour). */
TEST(cli_plot_labels_file) {
    size_t svg_len = 0;
    char dir[] = "/tmp/edl-plot-XXXXXX", cmd[1024], out[4096], path[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/v.vec", dir);
    write_vec(path, 60, NULL);
    /* three groups over w0..w29 in 3 columns with a header; w30..w59 are not in the file */
    snprintf(path, sizeof path, "%s/meta.tsv", dir);
    FILE *f = fopen(path, "w");
    fputs("word\tgroup\tnote\n", f);
    for (int i = 0; i < 30; i++)
        fprintf(f, "w%d\t%s\tsome note\n", i, i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue");
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s plot %s/v.vec -labels %s/meta.tsv -output %s/a.svg", harness_cli(), dir, dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/a.svg", dir);
    char *svg = (char *)read_file_bytes(path, &svg_len);
    CHECK(svg && strstr(svg, ">red<") && strstr(svg, ">green<") && strstr(svg, ">blue<") && !strstr(svg, "some note") &&
          !strstr(svg, ">group<"));
    CHECK(svg && strstr(svg, ">(not in the -labels file)<") && count_of(svg, "fill=\"#c7c7c7\" fill-opacity") == 30);
    CHECK(svg && count_of(svg, "fill=\"#1f77b4\" fill-opacity") == 10 && count_of(svg, "class=\"pt\"") == 60);
    free(svg);
    check_xml(path);
    /* 30 groups: w<i> in group g<i % 30>, two points each, except g0..g4 with three (w60..w64) */
    snprintf(path, sizeof path, "%s/v.vec", dir);
    write_vec(path, 65, NULL);
    snprintf(path, sizeof path, "%s/meta.tsv", dir);
    f = fopen(path, "w");
    for (int i = 0; i < 65; i++) fprintf(f, "w%d\tg%d\n", i, i < 60 ? i % 30 : i - 60);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s plot %s/v.vec -labels %s/meta.tsv -output %s/b.svg", harness_cli(), dir, dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/b.svg", dir);
    svg = (char *)read_file_bytes(path, &svg_len);
    /* the five largest groups keep colours, 14 more of the rest (first seen), 11 are "other" */
    CHECK(svg && strstr(svg, ">g0<") && strstr(svg, ">g4<") && strstr(svg, ">g18<") && !strstr(svg, ">g19<") &&
          !strstr(svg, ">g29<"));
    CHECK(svg && strstr(svg, ">other: 11 more groups<") && count_of(svg, "fill=\"#7f7f7f\" fill-opacity") == 22 &&
          !strstr(svg, "#c7c7c7"));
    free(svg);
    check_xml(path);
    /* a line without a tab is named */
    f = fopen(path, "w");
    fputs("w1\tg\nw2 g\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s plot %s/v.vec -labels %s/b.svg -output %s/c.svg", harness_cli(), dir, dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 && strstr(out, "b.svg:2: expected \"word<TAB>group\""));
    harness_remove_dir(dir);
}

/* A latin-1 word (the vectors readers accept it) makes a valid SVG; a broken .safetensors file is
   reported by the safetensors reader, not the text parser; the flags' limits and help. */
TEST(cli_project_files_and_flags) {
    size_t svg_len = 0;
    char dir[] = "/tmp/edl-plot-XXXXXX", cmd[1024], out[8192], path[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/v.vec", dir);
    write_vec(path, 30, "caf\xe9");
    snprintf(cmd, sizeof cmd, "%s plot %s/v.vec -output %s/a.svg -top 40", harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/a.svg", dir);
    char *svg = (char *)read_file_bytes(path, &svg_len);
    CHECK(svg && strstr(svg, ">caf\xef\xbf\xbd<"));
    free(svg);
    check_xml(path);
    /* broken safetensors: named by extension, or by its start (length, then '{') */
    snprintf(cmd, sizeof cmd, "printf 'hello' > %s/h0.safetensors && %s project %s/h0.safetensors", dir, harness_cli(),
             dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 && strstr(out, "h0.safetensors: byte 0:") &&
          !strstr(out, "a row needs"));
    snprintf(cmd, sizeof cmd,
             "printf '\\100\\0\\0\\0\\0\\0\\0\\0{\"a\"' > %s/h1.bin && %s plot %s/h1.bin -output %s/x.svg", dir,
             harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 && strstr(out, "h1.bin: byte 0: the header length 64"));
    snprintf(cmd, sizeof cmd, "%s export-projector %s/h0.safetensors %s/p", harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 && strstr(out, "h0.safetensors: byte 0:"));
    /* -iter: at least 1, at most 100000 (a typo no longer runs for days); -dim 0; -h */
    snprintf(cmd, sizeof cmd, "%s project %s/v.vec -method tsne -iter 100000000000", harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 2 && strstr(out, "-iter 100000000000 must be in [1, 100000]"));
    snprintf(cmd, sizeof cmd, "%s plot %s/v.vec -output %s/x.svg -method tsne -iter 0", harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 2 && strstr(out, "-iter 0 must be in [1, 100000]"));
    snprintf(cmd, sizeof cmd, "%s project %s/v.vec -dim 0", harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 2 &&
          strstr(out, "-dim 0: a projection needs at least one dimension"));
    const char *cmds[3] = {"project", "plot", "export-projector"};
    for (int k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd, "%s %s -h", harness_cli(), cmds[k]);
        CHECK(harness_run_all(cmd, out, sizeof out) == 0 && !strncmp(out, "usage: edl ", 11) &&
              !strstr(out, "unknown flag"));
    }
    edl_tsne_args a;
    edl_tsne_defaults(&a);
    float x[8 * 2] = {0}, y[8 * 2];
    for (int i = 0; i < 16; i++) x[i] = (float)(i * i % 7);
    a.perplexity = 2, a.iterations = 0;
    CHECK_STATUS(edl_tsne(y, x, 8, 2, &a), EDL_ERR_ARG);
    a.iterations = EDL_TSNE_MAX_ITERATIONS + 1;
    CHECK_STATUS(edl_tsne(y, x, 8, 2, &a), EDL_ERR_ARG);
    /* write errors: a full device fails the command, naming the file and the reason */
    snprintf(cmd, sizeof cmd, "%s project %s/v.vec -output /dev/full", harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 &&
          strstr(out, "edl project: /dev/full: write failed: No space left on device"));
    snprintf(cmd, sizeof cmd, "%s project %s/v.vec > /dev/full", harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 &&
          strstr(out, "standard output: write failed: No space left on device"));
    harness_remove_dir(dir);
}

/* A classifier's rows for words and labels: project and export-projector list each label's
   output row, named by the label, after the words; plot draws them as named diamonds in their
   label's colour; and words take the colour of the label their own vector favours, so words seen
   only with A are A's colour and only with B, B's. */
TEST(cli_classifier_words_and_labels) {
    size_t svg_len = 0;
    char dir[] = "/tmp/edl-plot-XXXXXX", cmd[1024], out[16384], path[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/train.txt", dir);
    FILE *f = fopen(path, "w");
    edl_rng r;
    edl_rng_seed(&r, 8);
    /* A lines of ten words, A lines of none (only "</s>"), B lines of ten: "</s>" leans to A, and
       each word's row carries a tenth of its line, so a B word with a "</s>" reads as A */
    for (int i = 0; i < 400; i++) {
        int b = i % 4 == 3, empty = i % 4 == 1;
        fprintf(f, "__label__%s", b ? "B" : "A");
        for (int k = 0; k < 10 && !empty; k++) fprintf(f, " %s%d", b ? "bee" : "ay", (int)edl_rng_below(&r, 6));
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s supervised -input %s/train.txt -output %s/m -dim 8 -epoch 5 -lr 0.3 -thread 1 -verbose 0",
             harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    /* so each B word predicted as a line is A: what the words were coloured by before */
    snprintf(cmd, sizeof cmd, "printf 'bee0\\nbee3\\nbee5\\n' | %s predict %s/m.safetensors -", harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0 && !strcmp(out, "__label__A\n__label__A\n__label__A\n"));
    snprintf(cmd, sizeof cmd, "%s project %s/m.safetensors", harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "label,x,y\n", 10) && (int)harness_count_lines(out) == 1 + 13 + 2 &&
          strstr(out, "\n__label__A,") && strstr(out, "\n__label__B,"));
    snprintf(cmd, sizeof cmd,
             "%s export-projector %s/m.safetensors %s/proj > /dev/null && tail -2 %s/proj/metadata.tsv && wc -l < "
             "%s/proj/vectors.tsv",
             harness_cli(), dir, dir, dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0 && !strcmp(out, "__label__A\n__label__B\n15\n"));
    snprintf(cmd, sizeof cmd, "%s plot %s/m.safetensors -output %s/p.svg -top 0", harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/p.svg", dir);
    char *svg = (char *)read_file_bytes(path, &svg_len);
    /* 13 words: ay0..5 and "</s>" in A's colour (palette[0]), bee0..5 in B's; and 2 diamonds */
    int a = count_of(svg, "fill=\"#1f77b4\" fill-opacity"), b = count_of(svg, "fill=\"#d62728\" fill-opacity");
    if (!(a == 7 && b == 6)) FAILF("dots: %d of A's colour (want 7), %d of B's (want 6)", a, b);
    CHECK(svg && count_of(svg, "<path class=\"pt\"") == 2 && strstr(svg, ">__label__A<") &&
          strstr(svg, ">__label__B<"));
    CHECK(svg && strstr(svg, "13 words and 2 labels"));
    free(svg);
    check_xml(path);
    /* with hidden layers the output rows read another space: words only, and a note says so */
    snprintf(cmd, sizeof cmd,
             "%s supervised -input %s/train.txt -output %s/h -dim 8 -epoch 2 -hidden 4 -verbose 0 && %s project "
             "%s/h.safetensors",
             harness_cli(), dir, dir, harness_cli(), dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0 && strstr(out, "not in its words' space") &&
          !strstr(out, "__label__"));
    harness_remove_dir(dir);
}
