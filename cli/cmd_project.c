/* Looking at embeddings: edl project (PCA, t-SNE to CSV), edl plot (an SVG scatter plot),
 * edl export-projector (TensorBoard's Embedding Projector files). */
#include "args.h"
#include "commands.h"
#include "edl.h"
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The points: the first `max` words of any vectors file or model edl reads. A text classifier
   also says which label each word favours (the label it predicts for the word alone). */
typedef struct {
    edl_vectors *v;
    edl_textclf *clf;
    size_t n;
} points;

static int load_points(const char *cmd, const char *path, size_t max, points *p) {
    memset(p, 0, sizeof *p);
    edl_wordvec *w = NULL;
    if (edl_textclf_load(&p->clf, path) != EDL_OK) p->clf = NULL;
    if (edl_vectors_read(&p->v, path, EDL_VEC_AUTO) != EDL_OK) {
        if (edl_wordvec_load(&w, path) != EDL_OK || edl_wordvec_vectors(w, &p->v) != EDL_OK) {
            edl_wordvec_free(w);
            edl_textclf_free(p->clf);
            edl_vectors_read(&p->v, path, EDL_VEC_AUTO); /* for its error message */
            return cli_fail(cmd);
        }
        edl_wordvec_free(w);
    }
    p->n = edl_vectors_count(p->v) < max ? edl_vectors_count(p->v) : max;
    return 0;
}

static void free_points(points *p) {
    edl_vectors_free(p->v);
    edl_textclf_free(p->clf);
}

/* n x 2 coordinates of the points by PCA or t-SNE. */
static int project(const char *cmd, const points *p, const char *method, const edl_tsne_args *ta, float *xy, double *explained) {
    size_t dim = edl_vectors_dim(p->v);
    const float *x = edl_vectors_row(p->v, 0);
    edl_status s;
    if (!strcmp(method, "pca")) s = edl_pca(xy, explained, x, p->n, dim, 2);
    else if (!strcmp(method, "tsne")) s = edl_tsne(xy, x, p->n, dim, ta);
    else {
        fprintf(stderr, "edl %s: -method '%s' is not pca or tsne\n", cmd, method);
        return 2;
    }
    return s == EDL_OK ? 0 : cli_fail(cmd);
}

static char *word_of(const points *p, size_t i) {
    size_t len;
    const char *w = edl_vectors_word(p->v, i, &len);
    char *s = malloc(len + 1);
    if (s) memcpy(s, w, len), s[len] = '\0';
    return s;
}

int cmd_project(int argc, char **argv) {
    const char *method = "pca", *output = NULL, *pos[1];
    size_t dim = 2, max = 2000;
    edl_tsne_args ta;
    edl_tsne_defaults(&ta);
    const arg_spec specs[] = {
        {"method", ARG_STR, &method, "pca or tsne"},
        {"dim", ARG_SIZE, &dim, "output dimensions (PCA: any; t-SNE: 2)"},
        {"output", ARG_STR, &output, "CSV file (default: standard output)"},
        {"max", ARG_SIZE, &max, "the first N words (t-SNE: exact below 2000, Barnes-Hut from there)"},
        {"perplexity", ARG_FLOAT, &ta.perplexity, "t-SNE perplexity"},
        {"iter", ARG_SIZE, &ta.iterations, "t-SNE iterations"},
        {"seed", ARG_U64, &ta.seed, "t-SNE seed"},
        {"theta", ARG_FLOAT, &ta.theta, "t-SNE Barnes-Hut accuracy (0: exact at any size)"},
    };
    if (args_parse("project", argc, argv, 2, specs, sizeof specs / sizeof specs[0], pos, 1) != 1 || dim == 0) {
        fprintf(stderr, "usage: edl project VECTORS|MODEL -method pca|tsne [-dim 2] [-output FILE.csv] [-max 2000]\n");
        args_usage(specs, sizeof specs / sizeof specs[0]);
        return 2;
    }
    if (!strcmp(method, "tsne") && dim != 2) {
        fprintf(stderr, "edl project: t-SNE maps to 2 dimensions\n");
        return 2;
    }
    points p;
    if (load_points("project", pos[0], max, &p)) return 1;
    float *xy = malloc(p.n * dim * sizeof *xy);
    int rc = !xy;
    if (!rc) {
        if (!strcmp(method, "pca")) rc = edl_pca(xy, NULL, edl_vectors_row(p.v, 0), p.n, edl_vectors_dim(p.v), dim) == EDL_OK ? 0 : cli_fail("project");
        else rc = project("project", &p, method, &ta, xy, NULL);
    }
    FILE *f = !rc ? (output ? fopen(output, "w") : stdout) : NULL;
    if (!rc && !f) rc = (fprintf(stderr, "edl project: %s: %s\n", output, strerror(errno)), 1);
    if (!rc) {
        if (dim == 2) fputs("label,x,y", f);
        else {
            fputs("label", f);
            for (size_t d = 0; d < dim; d++) fprintf(f, ",c%zu", d);
        }
        fputc('\n', f);
        for (size_t i = 0; i < p.n; i++) {
            char *w = word_of(&p, i);
            /* CSV: quote a label holding a comma or a quote */
            if (w && strpbrk(w, ",\"")) {
                fputc('"', f);
                for (char *c = w; *c; c++) {
                    if (*c == '"') fputc('"', f);
                    fputc(*c, f);
                }
                fputc('"', f);
            } else {
                fputs(w ? w : "", f);
            }
            free(w);
            for (size_t d = 0; d < dim; d++) fprintf(f, ",%.6g", xy[i * dim + d]);
            fputc('\n', f);
        }
        if (f != stdout) fclose(f);
    }
    free(xy);
    free_points(&p);
    return rc;
}

/* Groups from a metadata file: "word<TAB>group" a line (a header line "word<TAB>..." is fine). */
static int read_groups(const char *path, const points *p, int *group, char ***names, size_t *ngroups) {
    FILE *f = fopen(path, "r");
    if (!f) return (fprintf(stderr, "edl plot: %s: %s\n", path, strerror(errno)), 1);
    char line[4096];
    size_t lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab) {
            fprintf(stderr, "edl plot: %s:%zu: expected \"word<TAB>group\"\n", path, lineno);
            fclose(f);
            return 1;
        }
        *tab = '\0';
        int64_t id = edl_vectors_find(p->v, line, strlen(line));
        if (id < 0 || (size_t)id >= p->n) continue;
        size_t g = 0;
        while (g < *ngroups && strcmp((*names)[g], tab + 1)) g++;
        if (g == *ngroups) {
            if (*ngroups == 8) g = 7; /* eight colours: the rest share the last */
            else {
                char **nn = realloc(*names, (*ngroups + 1) * sizeof *nn);
                if (!nn) break;
                *names = nn;
                nn[(*ngroups)++] = strdup(tab + 1);
            }
        }
        group[id] = (int)g;
    }
    fclose(f);
    return 0;
}

int cmd_plot(int argc, char **argv) {
    const char *method = "pca", *output = NULL, *meta = NULL, *pos[1];
    size_t top = 40, max = 2000;
    edl_tsne_args ta;
    edl_tsne_defaults(&ta);
    const arg_spec specs[] = {
        {"method", ARG_STR, &method, "pca or tsne"},
        {"output", ARG_STR, &output, "the SVG file"},
        {"labels", ARG_STR, &meta, "metadata: word<TAB>group a line, to colour by"},
        {"top", ARG_SIZE, &top, "write the N most frequent words beside their points"},
        {"max", ARG_SIZE, &max, "plot the first N words"},
        {"perplexity", ARG_FLOAT, &ta.perplexity, "t-SNE perplexity"},
        {"iter", ARG_SIZE, &ta.iterations, "t-SNE iterations"},
        {"seed", ARG_U64, &ta.seed, "t-SNE seed"},
        {"theta", ARG_FLOAT, &ta.theta, "t-SNE Barnes-Hut accuracy (0: exact at any size)"},
    };
    if (args_parse("plot", argc, argv, 2, specs, sizeof specs / sizeof specs[0], pos, 1) != 1 || !output) {
        fprintf(stderr, "usage: edl plot VECTORS|MODEL -output FILE.svg [-method pca|tsne] [-labels META.tsv] [-top 40]\n");
        args_usage(specs, sizeof specs / sizeof specs[0]);
        return 2;
    }
    points p;
    if (load_points("plot", pos[0], max, &p)) return 1;
    float *xy = malloc(p.n * 2 * sizeof *xy), *x = malloc(p.n * sizeof *x), *y = malloc(p.n * sizeof *y);
    int *group = calloc(p.n, sizeof *group);
    char **labels = calloc(p.n, sizeof *labels), **names = NULL;
    size_t ngroups = 0;
    double explained[2] = {0, 0};
    int rc = xy && x && y && group && labels ? project("plot", &p, method, &ta, xy, explained) : 1;
    if (!rc && meta) rc = read_groups(meta, &p, group, &names, &ngroups);
    else if (!rc && p.clf) { /* a classifier: each word by the label it favours */
        ngroups = edl_textclf_num_labels(p.clf) < 8 ? edl_textclf_num_labels(p.clf) : 8;
        names = calloc(ngroups, sizeof *names);
        for (size_t g = 0; names && g < ngroups; g++) names[g] = strdup(edl_textclf_label(p.clf, g, NULL));
        for (size_t i = 0; i < p.n; i++) {
            char *w = word_of(&p, i);
            int64_t lab = 0;
            float prob;
            size_t cnt = 0;
            if (w) edl_textclf_predict(p.clf, w, strlen(w), 1, 0.0f, &lab, &prob, &cnt);
            group[i] = cnt && lab < (int64_t)ngroups ? (int)lab : (int)ngroups - 1;
            free(w);
        }
    }
    else if (!rc && p.n > 0) { /* a recommender's rows: users and items */
        char *w0 = word_of(&p, 0);
        int rec = w0 && !strncmp(w0, "user:", 5);
        free(w0);
        if (rec && (names = calloc(2, sizeof *names)) != NULL) {
            names[0] = strdup("users"), names[1] = strdup("items"), ngroups = 2;
            for (size_t i = 0; i < p.n; i++) {
                char *w = word_of(&p, i);
                group[i] = w && !strncmp(w, "item:", 5);
                free(w);
            }
        }
    }
    for (size_t i = 0; !rc && i < p.n; i++) {
        x[i] = xy[2 * i], y[i] = xy[2 * i + 1];
        if (i < top) labels[i] = word_of(&p, i);
    }
    if (!rc) {
        char title[256], caption[256];
        const char *base = strrchr(pos[0], '/');
        snprintf(title, sizeof title, "%zu %s of %s", p.n, ngroups == 2 && names && !strcmp(names[0], "users") ? "user and item embeddings" : "word vectors",
                 base ? base + 1 : pos[0]);
        if (!strcmp(method, "pca"))
            snprintf(caption, sizeof caption, "edl plot -method pca: the first two principal components (%.3g%% and %.3g%% of the variance)%s",
                     100 * explained[0], 100 * explained[1], p.clf && !meta ? "; colour: the label each word favours" : "");
        else
            snprintf(caption, sizeof caption, "edl plot -method tsne: perplexity %g, %zu iterations, seed %llu, %s%s", ta.perplexity, ta.iterations,
                     (unsigned long long)ta.seed, ta.theta > 0 && p.n >= ta.exact_below ? "Barnes-Hut" : "exact", p.clf && !meta ? "; colour: the label each word favours" : "");
        edl_plot_opts o = {title, !strcmp(method, "pca") ? "PC 1" : "t-SNE 1", !strcmp(method, "pca") ? "PC 2" : "t-SNE 2", caption, 0, 0,
                           NULL, NULL, 0};
        if (edl_plot_scatter_svg(output, &o, x, y, p.n, ngroups ? group : NULL, (const char *const *)names, ngroups,
                                 (const char *const *)labels) != EDL_OK)
            rc = cli_fail("plot");
        else
            printf("%s\n", output);
    }
    for (size_t i = 0; labels && i < p.n; i++) free(labels[i]);
    for (size_t g = 0; names && g < ngroups; g++) free(names[g]);
    free(names), free(labels), free(group), free(xy), free(x), free(y);
    free_points(&p);
    return rc;
}

int cmd_export_projector(int argc, char **argv) {
    const char *pos[2];
    if (args_parse("export-projector", argc, argv, 2, NULL, 0, pos, 2) != 2) {
        fprintf(stderr, "usage: edl export-projector VECTORS|MODEL DIR   (writes DIR/vectors.tsv and DIR/metadata.tsv)\n");
        return 2;
    }
    points p;
    if (load_points("export-projector", pos[0], (size_t)-1, &p)) return 1;
    mkdir(pos[1], 0777);
    char vp[4096], mp[4096];
    snprintf(vp, sizeof vp, "%s/vectors.tsv", pos[1]);
    snprintf(mp, sizeof mp, "%s/metadata.tsv", pos[1]);
    FILE *fv = fopen(vp, "w"), *fm = fopen(mp, "w");
    int rc = 0;
    if (!fv || !fm) {
        fprintf(stderr, "edl export-projector: cannot write in %s: %s\n", pos[1], strerror(errno));
        rc = 1;
    }
    size_t dim = edl_vectors_dim(p.v);
    for (size_t i = 0; !rc && i < p.n; i++) {
        const float *row = edl_vectors_row(p.v, i);
        for (size_t d = 0; d < dim; d++) fprintf(fv, d ? "\t%.6g" : "%.6g", row[d]);
        fputc('\n', fv);
        char *w = word_of(&p, i);
        for (char *c = w; c && *c; c++) /* one word a line: tabs and newlines would split it */
            if (*c == '\t' || *c == '\n' || *c == '\r') *c = ' ';
        fprintf(fm, "%s\n", w ? w : "");
        free(w);
    }
    if (fv) fclose(fv);
    if (fm) fclose(fm);
    if (!rc) printf("%s\n%s\n", vp, mp);
    free_points(&p);
    return rc;
}

/* A training curve from a -log CSV: the first column along x, every other numeric column a line. */
int cmd_plot_curve(int argc, char **argv) {
    const char *output = NULL, *pos[1];
    const arg_spec specs[] = {{"output", ARG_STR, &output, "the SVG file"}};
    if (args_parse("plot-curve", argc, argv, 2, specs, 1, pos, 1) != 1 || !output) {
        fprintf(stderr, "usage: edl plot-curve LOG.csv -output FILE.svg   (LOG: edl train/supervised -log)\n");
        return 2;
    }
    FILE *f = fopen(pos[0], "r");
    if (!f) return (fprintf(stderr, "edl plot-curve: %s: %s\n", pos[0], strerror(errno)), 1);
    char line[4096], *names[16];
    size_t ncol = 0, nrow = 0, cap = 0;
    double *vals = NULL;
    int rc = 0;
    if (!fgets(line, sizeof line, f)) rc = (fprintf(stderr, "edl plot-curve: %s: empty\n", pos[0]), 1);
    for (char *t = rc ? NULL : strtok(line, ",\r\n"); t && ncol < 16; t = strtok(NULL, ",\r\n")) names[ncol++] = strdup(t);
    while (!rc && fgets(line, sizeof line, f)) {
        if (nrow == cap) {
            cap = cap ? 2 * cap : 64;
            double *nv = realloc(vals, cap * ncol * sizeof *nv);
            if (!nv) break;
            vals = nv;
        }
        char *t = line, *end;
        for (size_t c = 0; c < ncol; c++) {
            vals[nrow * ncol + c] = strtod(t, &end);
            if (end == t) vals[nrow * ncol + c] = NAN;
            t = strchr(end, ',');
            if (!t) {
                for (size_t k = c + 1; k < ncol; k++) vals[nrow * ncol + k] = NAN;
                break;
            }
            t++;
        }
        nrow++;
    }
    fclose(f);
    if (!rc && (nrow == 0 || ncol < 2)) rc = (fprintf(stderr, "edl plot-curve: %s: no rows or only one column\n", pos[0]), 1);
    /* every column but x that has finite values, skipping the clocks */
    double *xs = malloc((nrow ? nrow : 1) * 16 * sizeof *xs), *ys = malloc((nrow ? nrow : 1) * 16 * sizeof *ys);
    edl_plot_series series[16];
    size_t ns = 0;
    for (size_t c = 1; !rc && xs && ys && c < ncol; c++) {
        if (!strcmp(names[c], "seconds") || !strcmp(names[c], "words_per_sec_thread")) continue;
        size_t k = 0;
        for (size_t r = 0; r < nrow; r++)
            if (isfinite(vals[r * ncol]) && isfinite(vals[r * ncol + c]))
                xs[ns * nrow + k] = vals[r * ncol], ys[ns * nrow + k] = vals[r * ncol + c], k++;
        if (k) series[ns] = (edl_plot_series){names[c], xs + ns * nrow, ys + ns * nrow, k}, ns++;
    }
    if (!rc) {
        char caption[512];
        snprintf(caption, sizeof caption, "edl plot-curve %s", pos[0]);
        edl_plot_opts o = {"Training curve", names[0], "value", caption, 0, 0, NULL, NULL, 0};
        if (!ns) rc = (fprintf(stderr, "edl plot-curve: %s: nothing to draw\n", pos[0]), 1);
        else if (edl_plot_lines_svg(output, &o, series, ns) != EDL_OK) rc = cli_fail("plot-curve");
        else printf("%s\n", output);
    }
    for (size_t c = 0; c < ncol; c++) free(names[c]);
    free(vals), free(xs), free(ys);
    return rc;
}
