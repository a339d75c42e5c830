/* Looking at embeddings: edl project (PCA, t-SNE to CSV), edl plot (an SVG scatter plot),
 * edl export-projector (TensorBoard's Embedding Projector files). */
#include "args.h"
#include "commands.h"
#include "edl.h"
#include "edl_viz.h"
#include "edl_text.h"
#include "edl_rec.h"
#include "files.h"
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The points: the first words of any vectors file or model edl reads, and for a text classifier
   also its labels' rows (issue 8: "the classifier's rows for words and labels"). */
typedef struct {
    edl_vectors *v; /* words first, then label rows */
    edl_textclf *clf;
    size_t n; /* points: nwords + nlabels */
    size_t nwords, nlabels;
} points;

static double dot(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static char *word_of(const points *p, size_t i) {
    size_t len;
    const char *w = edl_vectors_word(p->v, i, &len);
    char *s = malloc(len + 1);
    if (s) memcpy(s, w, len), s[len] = '\0';
    return s;
}

/* A classifier's label rows join its words: the output layer's row of each label, named by the
   label, after the most frequent words and within max. A label row scores a word by the dot
   product, so its direction is what it means; its length (often 100 times a word's) only
   sharpens the softmax, and would make the projection about the labels alone. So each is scaled
   to the words' mean length (export-projector keeps them as they are: unit == 0). A model whose
   output rows are not in the words' space (hidden layers, hierarchical softmax) keeps its words
   only, and says so. */
static int add_label_rows(const char *cmd, points *p, size_t max, int scale) {
    size_t count = edl_vectors_count(p->v), nl = p->clf ? edl_textclf_num_labels(p->clf) : 0;
    if (nl && !edl_textclf_label_vector(p->clf, 0)) {
        fprintf(stderr,
                "edl %s: note: the classifier's output rows are not in its words' space (hidden layers or -loss hs): "
                "words only\n",
                cmd);
        nl = 0;
    }
    p->nlabels = nl < max ? nl : max;
    p->nwords = count < max - p->nlabels ? count : max - p->nlabels;
    p->n = p->nwords + p->nlabels;
    if (!p->nlabels) return 0;
    size_t dim = edl_vectors_dim(p->v);
    float *data = malloc(p->n * dim * sizeof *data);
    char **names = calloc(p->n, sizeof *names);
    int ok = data && names;
    for (size_t i = 0; ok && i < p->n; i++) {
        if (i < p->nwords) {
            memcpy(data + i * dim, edl_vectors_row(p->v, i), dim * sizeof *data);
            ok = (names[i] = word_of(p, i)) != NULL;
        } else {
            memcpy(data + i * dim, edl_textclf_label_vector(p->clf, i - p->nwords), dim * sizeof *data);
            ok = (names[i] = strdup(edl_textclf_label(p->clf, i - p->nwords, NULL))) != NULL;
        }
    }
    double mean = 0;
    for (size_t i = 0; ok && scale && i < p->nwords; i++)
        mean += sqrt(dot(data + i * dim, data + i * dim, dim)) / (double)p->nwords;
    for (size_t i = p->nwords; ok && scale && mean > 0 && i < p->n; i++) {
        double norm = sqrt(dot(data + i * dim, data + i * dim, dim));
        for (size_t d = 0; norm > 0 && d < dim; d++) data[i * dim + d] = (float)(data[i * dim + d] * mean / norm);
    }
    edl_vectors *v = NULL;
    int rc = !ok ? (fprintf(stderr, "edl %s: no memory for %zu rows\n", cmd, p->n), 1)
             : edl_vectors_create(&v, (const char *const *)names, data, p->n, dim) != EDL_OK ? cli_fail(cmd)
                                                                                             : 0;
    for (size_t i = 0; names && i < p->n; i++) free(names[i]);
    free(names), free(data);
    if (!rc) edl_vectors_free(p->v), p->v = v;
    return rc;
}

/* scale: label rows scaled to the words' mean length, for projections (see add_label_rows). */
static int load_points(const char *cmd, const char *path, size_t max, int scale, points *p) {
    memset(p, 0, sizeof *p);
    edl_wordvec *w = NULL;
    if (edl_textclf_load(&p->clf, path) != EDL_OK) p->clf = NULL;
    if (edl_vectors_read(&p->v, path, EDL_VEC_AUTO) != EDL_OK) {
        if (edl_wordvec_load(&w, path) != EDL_OK || edl_wordvec_vectors(w, &p->v) != EDL_OK) {
            edl_wordvec_free(w);
            edl_textclf_free(p->clf);
            /* the error of the file's own reader (the library tells a broken .safetensors from a
               text file by its name or its start) */
            edl_vectors *again = NULL;
            edl_vectors_read(&again, path, EDL_VEC_AUTO);
            edl_vectors_free(again);
            return cli_fail(cmd);
        }
        edl_wordvec_free(w);
    }
    if (edl_vectors_quantized(p->v) != EDL_QUANT_NONE) { /* projections work on float rows: decoded */
        edl_vectors *d = NULL;
        if (edl_vectors_dequantize(&d, p->v) != EDL_OK) {
            edl_vectors_free(p->v);
            return cli_fail(cmd);
        }
        edl_vectors_free(p->v), p->v = d;
    }
    if (add_label_rows(cmd, p, max, scale)) {
        edl_vectors_free(p->v);
        edl_textclf_free(p->clf);
        return 1;
    }
    return 0;
}

static void free_points(points *p) {
    edl_vectors_free(p->v);
    edl_textclf_free(p->clf);
}

/* n x 2 coordinates of the points by PCA or t-SNE. */
static int project(const char *cmd, const points *p, const char *method, const edl_tsne_args *ta, float *xy,
                   double *explained) {
    size_t dim = edl_vectors_dim(p->v);
    const float *x = edl_vectors_row(p->v, 0);
    edl_status s;
    if (!strcmp(method, "pca"))
        s = edl_pca(xy, explained, x, p->n, dim, 2);
    else if (!strcmp(method, "tsne"))
        s = edl_tsne(xy, x, p->n, dim, ta);
    else {
        fprintf(stderr, "edl %s: -method '%s' is not pca or tsne\n", cmd, method);
        return 2;
    }
    return s == EDL_OK ? 0 : cli_fail(cmd);
}

/* The flags every projection shares (project and plot), declared once; checked by check_projection. */
#define PROJECTION_FLAGS(method, ta)                                                                                \
    {"method", ARG_STR, &(method), "pca or tsne"}, {"perplexity", ARG_FLOAT, &(ta).perplexity, "t-SNE perplexity"}, \
        {"iter", ARG_SIZE, &(ta).iterations, "t-SNE iterations (1 to 100000)"},                                     \
        {"seed", ARG_U64, &(ta).seed, "t-SNE seed"}, {                                                              \
        "theta", ARG_FLOAT, &(ta).theta, "t-SNE Barnes-Hut accuracy (0: exact at any size)"                         \
    }

/* The flags every projection shares, checked before anything is read. */
static int check_projection(const char *cmd, const char *method, const edl_tsne_args *ta) {
    if (strcmp(method, "pca") && strcmp(method, "tsne")) {
        fprintf(stderr, "edl %s: -method '%s' is not pca or tsne\n", cmd, method);
        return 2;
    }
    if (ta->iterations == 0 || ta->iterations > EDL_TSNE_MAX_ITERATIONS) {
        fprintf(stderr, "edl %s: -iter %zu must be in [1, %d]\n", cmd, ta->iterations, EDL_TSNE_MAX_ITERATIONS);
        return 2;
    }
    return 0;
}

/* The CSV rows: the point's name (quoted when it holds a comma or a quote), its coordinates. */
static void write_csv(FILE *f, const points *p, const float *xy, size_t dim) {
    if (dim == 2)
        fputs("label,x,y", f);
    else {
        fputs("label", f);
        for (size_t d = 0; d < dim; d++) fprintf(f, ",c%zu", d);
    }
    fputc('\n', f);
    for (size_t i = 0; i < p->n; i++) {
        char *w = word_of(p, i);
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
}

int cmd_project(int argc, char **argv) {
    const char *method = "pca", *output = NULL, *pos[1];
    size_t dim = 2, max = 2000;
    edl_tsne_args ta;
    edl_tsne_defaults(&ta);
    const arg_spec specs[] = {
        PROJECTION_FLAGS(method, ta),
        {"dim", ARG_SIZE, &dim, "output dimensions (PCA: 1 to the vectors' dim; t-SNE: 2)"},
        {"output", ARG_STR, &output, "CSV file (default: standard output)"},
        {"max", ARG_SIZE, &max,
         "N rows: a classifier's label rows and its most frequent words (t-SNE: exact below 2000)"},
    };
    const arg_cmd ac = {"project",
                        "usage: edl project VECTORS|MODEL -method pca|tsne [-dim 2] [-output FILE.csv] [-max 2000]\n",
                        specs, sizeof specs / sizeof specs[0]};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 1);
    if (parsed != 1) return args_usage_exit(&ac, parsed);
    char out_path[4096];
    const cli_file files[] = {{"", pos[0], 0}, {"-output", output, 1}};
    if ((output && cli_output_path("project", "-output", output, "", out_path, sizeof out_path)) ||
        cli_files_distinct("project", files, 2))
        return 1;
    if (dim == 0) {
        fprintf(stderr, "edl project: -dim 0: a projection needs at least one dimension\n");
        return 2;
    }
    if (!strcmp(method, "tsne") && dim != 2) {
        fprintf(stderr, "edl project: t-SNE maps to 2 dimensions (-dim %zu)\n", dim);
        return 2;
    }
    if (check_projection("project", method, &ta)) return 2;
    points p;
    if (load_points("project", pos[0], max, 1, &p)) return 1;
    float *xy = malloc((p.n ? p.n : 1) * dim * sizeof *xy);
    int rc = !xy ? (fprintf(stderr, "edl project: no memory for %zu points\n", p.n), 1) : 0;
    if (!rc) {
        if (!strcmp(method, "pca"))
            rc = edl_pca(xy, NULL, edl_vectors_row(p.v, 0), p.n, edl_vectors_dim(p.v), dim) == EDL_OK
                     ? 0
                     : cli_fail("project");
        else
            rc = project("project", &p, method, &ta, xy, NULL);
    }
    FILE *f = !rc ? (output ? cli_open_output("project", "-output", output) : stdout) : NULL;
    if (!rc && !f) rc = 1;
    if (!rc) {
        write_csv(f, &p, xy, dim);
        if (cli_close_output("project", "", output, f) != 0) rc = 1;
    }
    free(xy);
    free_points(&p);
    return rc;
}

/* ---- groups: what colours the points of a plot --------------------------------------------- */

enum { COLOURS = 20 }; /* edl_plot_scatter_svg's distinct colours */

typedef struct {
    int *group;           /* a legend entry for each point */
    char **names;         /* the legend */
    const char **colours; /* NULL entries take the palette's */
    size_t ngroups;
} groups;

static void groups_free(groups *g) {
    for (size_t k = 0; g->names && k < g->ngroups; k++) free(g->names[k]);
    free(g->group), free(g->names), free(g->colours);
    memset(g, 0, sizeof *g);
}

/* Points found in a group: count and first index, for choosing who keeps a colour. */
typedef struct {
    size_t count, id;
} group_size;

static int by_size(const void *a, const void *b) {
    const group_size *x = a, *y = b;
    return x->count != y->count ? (x->count < y->count) - (x->count > y->count) : (x->id > y->id) - (x->id < y->id);
}

/* The legend from raw groups: raw[i] is point i's group among nraw named ones, or -1 for none.
   Groups with no point are left out. Up to COLOURS groups each keep a colour, in their order;
   past that the COLOURS - 1 largest do, and the rest share one grey entry that says how many
   groups it holds. Points in no group get a lighter grey entry, named none_name. */
static int finish_groups(const int *raw, size_t n, char *const *rawnames, size_t nraw, const char *none_name,
                         groups *g) {
    group_size *sz = calloc(nraw + 1, sizeof *sz);
    int *map = malloc((nraw + 1) * sizeof *map);
    size_t none = 0, used = 0;
    memset(g, 0, sizeof *g);
    g->group = malloc((n ? n : 1) * sizeof *g->group);
    g->names = calloc(nraw + 2, sizeof *g->names);
    g->colours = calloc(nraw + 2, sizeof *g->colours);
    int rc = sz && map && g->group && g->names && g->colours ? 0 : 1;
    for (size_t k = 0; !rc && k < nraw; k++) sz[k].id = k;
    for (size_t i = 0; !rc && i < n; i++) {
        if (raw[i] < 0)
            none++;
        else
            sz[raw[i]].count++;
    }
    for (size_t k = 0; !rc && k < nraw; k++) used += sz[k].count > 0;
    size_t keep = used <= COLOURS ? used : COLOURS - 1, other = used - keep;
    if (!rc) qsort(sz, nraw, sizeof *sz, by_size); /* largest first */
    for (size_t k = 0; !rc && k < nraw; k++) map[sz[k].id] = k < keep ? 0 : -1;
    for (size_t k = 0; !rc && k < nraw; k++) /* the kept ones get entries in their own order */
        if (map[k] == 0) {
            map[k] = (int)g->ngroups;
            rc = !(g->names[g->ngroups++] = strdup(rawnames[k]));
        }
    char name[64];
    if (!rc && other) {
        snprintf(name, sizeof name, "other: %zu more groups", other);
        g->colours[g->ngroups] = "#7f7f7f";
        rc = !(g->names[g->ngroups++] = strdup(name));
    }
    if (!rc && none) {
        g->colours[g->ngroups] = "#c7c7c7";
        rc = !(g->names[g->ngroups++] = strdup(none_name));
    }
    for (size_t i = 0; !rc && i < n; i++)
        g->group[i] = raw[i] < 0 ? (int)g->ngroups - 1 : map[raw[i]] >= 0 ? map[raw[i]] : (int)(keep);
    free(sz), free(map);
    if (rc) {
        groups_free(g);
        fprintf(stderr, "edl plot: no memory for the groups\n");
    }
    return rc;
}

/* Groups from a metadata file, one "word<TAB>group[<TAB>more columns]" a line: the group is the
   second column; an empty one is no group. The first line is a header, and skipped, when its
   first column is "word" (any case) or it has three or more columns, as TensorBoard's metadata
   files do. raw[i] receives point i's group among *nraw names (by first appearance), or -1. */
static int read_groups(const char *path, const points *p, int *raw, char ***names, size_t *nraw) {
    FILE *f = cli_open_input("plot", "-labels", path);
    if (!f) return 1;
    edl_lines *in = NULL;
    char *line;
    size_t len, lineno = 0, room = 0;
    edl_status s = edl_lines_from_fd(&in, fileno(f), path);
    int rc = s != EDL_OK ? cli_fail("plot") : 0;
    while (!rc && (s = edl_lines_next(in, &line, &len)) == EDL_OK && line) {
        lineno++;
        char *tab = strchr(line, '\t');
        if (!tab) {
            if (!line[0]) continue; /* a blank line */
            fprintf(stderr, "edl plot: -labels %s:%zu: expected \"word<TAB>group\", found no tab\n", path, lineno);
            rc = 1;
            break;
        }
        *tab = '\0';
        char *group = tab + 1, *more = strchr(group, '\t');
        if (more) *more = '\0';
        if (lineno == 1 && (more || !strcasecmp(line, "word"))) continue; /* the header */
        int64_t id = edl_vectors_find(p->v, line, strlen(line));
        if (id < 0 || (size_t)id >= p->n || !group[0]) continue;
        size_t g = 0;
        while (g < *nraw && strcmp((*names)[g], group)) g++;
        if (g == *nraw) {
            if (*nraw == room) {
                room = room ? 2 * room : 16;
                char **nn = realloc(*names, room * sizeof *nn);
                if (!nn) {
                    rc = (fprintf(stderr, "edl plot: no memory for the groups of %s\n", path), 1);
                    break;
                }
                *names = nn;
            }
            if (!((*names)[*nraw] = strdup(group))) {
                rc = (fprintf(stderr, "edl plot: no memory for the groups of %s\n", path), 1);
                break;
            }
            (*nraw)++;
        }
        raw[id] = (int)g;
    }
    if (!rc && s == EDL_ERR_IO)
        rc = (fprintf(stderr, "edl plot: -labels %s: read failed: %s\n", path, strerror(errno)), 1);
    else if (!rc && s != EDL_OK)
        rc = cli_fail("plot");
    edl_lines_close(in);
    cli_close_input(f); /* "-" is standard input: left open */
    return rc;
}

/* A classifier: each word by the label its own vector favours (its row alone through the output
   layer, without the "</s>" every line adds), each label row by its own label. */
static int favoured_labels(const points *p, int *raw) {
    size_t nl = edl_textclf_num_labels(p->clf);
    float *probs = malloc((nl ? nl : 1) * sizeof *probs);
    if (!probs) return (fprintf(stderr, "edl plot: no memory\n"), 1);
    int rc = 0;
    for (size_t i = 0; !rc && i < p->nwords; i++) {
        size_t len;
        const char *w = edl_vectors_word(p->v, i, &len);
        if (edl_textclf_word_probs(p->clf, w, len, probs) != EDL_OK) {
            rc = cli_fail("plot");
            break;
        }
        size_t best = 0;
        for (size_t l = 1; l < nl; l++)
            if (probs[l] > probs[best]) best = l;
        raw[i] = (int)best;
    }
    for (size_t l = 0; l < p->nlabels; l++) raw[p->nwords + l] = (int)l;
    free(probs);
    return rc;
}

/* The legend and each point's entry: from -labels, a classifier's labels, a recommender's users
   and items, or none (g->ngroups 0). */
static int make_groups(const points *p, const char *meta, groups *g) {
    memset(g, 0, sizeof *g);
    int *raw = malloc((p->n ? p->n : 1) * sizeof *raw);
    char **names = NULL;
    size_t nraw = 0;
    int rc = raw ? 0 : (fprintf(stderr, "edl plot: no memory\n"), 1), any = 1;
    for (size_t i = 0; !rc && i < p->n; i++) raw[i] = -1;
    if (!rc && meta) {
        rc = read_groups(meta, p, raw, &names, &nraw);
    } else if (!rc && p->clf) {
        nraw = edl_textclf_num_labels(p->clf);
        rc = !(names = calloc(nraw ? nraw : 1, sizeof *names));
        for (size_t l = 0; !rc && l < nraw; l++) rc = !(names[l] = strdup(edl_textclf_label(p->clf, l, NULL)));
        if (!rc) rc = favoured_labels(p, raw);
    } else if (!rc) { /* a recommender's rows: users and items */
        char *w0 = p->n ? word_of(p, 0) : NULL;
        any = w0 && !strncmp(w0, "user:", 5);
        free(w0);
        if (any && !(rc = !(names = calloc(2, sizeof *names)))) {
            rc = !(names[0] = strdup("users")) || !(names[1] = strdup("items"));
            nraw = 2;
            for (size_t i = 0; !rc && i < p->n; i++) {
                size_t len;
                const char *w = edl_vectors_word(p->v, i, &len);
                raw[i] = len >= 5 && !memcmp(w, "item:", 5);
            }
        }
    }
    if (!rc && any) rc = finish_groups(raw, p->n, names, nraw, meta ? "(not in the -labels file)" : "(none)", g);
    for (size_t k = 0; names && k < nraw; k++) free(names[k]);
    free(names), free(raw);
    return rc;
}

int cmd_plot(int argc, char **argv) {
    const char *method = "pca", *output = NULL, *meta = NULL, *pos[1];
    size_t top = 40, max = 2000;
    edl_tsne_args ta;
    edl_tsne_defaults(&ta);
    const arg_spec specs[] = {
        PROJECTION_FLAGS(method, ta),
        {"output", ARG_STR, &output, "the SVG file"},
        {"labels", ARG_STR, &meta,
         "metadata: word<TAB>group a line (more columns and a header are fine), to colour by"},
        {"top", ARG_SIZE, &top, "write the N most frequent words beside their points"},
        {"max", ARG_SIZE, &max, "plot N rows: a classifier's label rows and its most frequent words"},
    };
    const arg_cmd ac = {
        "plot", "usage: edl plot VECTORS|MODEL -output FILE.svg [-method pca|tsne] [-labels META.tsv] [-top 40]\n",
        specs, sizeof specs / sizeof specs[0]};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 1);
    if (parsed != 1 || !output) return args_usage_exit(&ac, parsed == 1 ? -1 : parsed);
    char out_path[4096];
    const cli_file files[] = {{"", pos[0], 0}, {"-labels", meta, 0}, {"-output", output, 1}};
    if (cli_output_path("plot", "-output", output, "", out_path, sizeof out_path) ||
        cli_files_distinct("plot", files, 3))
        return 1;
    if (check_projection("plot", method, &ta)) return 2;
    points p;
    if (load_points("plot", pos[0], max, 1, &p)) return 1;
    float *xy = malloc((p.n ? p.n : 1) * 2 * sizeof *xy), *x = malloc((p.n ? p.n : 1) * sizeof *x),
          *y = malloc((p.n ? p.n : 1) * sizeof *y);
    char **labels = calloc(p.n ? p.n : 1, sizeof *labels);
    unsigned char *marked = calloc(p.n ? p.n : 1, 1);
    groups g = {0};
    double explained[2] = {0, 0};
    int rc = xy && x && y && labels && marked ? project("plot", &p, method, &ta, xy, explained)
                                              : (fprintf(stderr, "edl plot: no memory\n"), 1);
    if (!rc) rc = make_groups(&p, meta, &g);
    for (size_t i = 0; !rc && i < p.n; i++) {
        x[i] = xy[2 * i], y[i] = xy[2 * i + 1];
        marked[i] = i >= p.nwords; /* the label rows: diamonds, always named */
        if (i < top || marked[i]) labels[i] = word_of(&p, i);
    }
    if (!rc) {
        char title[256], caption[384], what[96];
        const char *base = strrchr(pos[0], '/');
        int rec = g.ngroups && !strcmp(g.names[0], "users");
        if (p.nlabels)
            snprintf(what, sizeof what, "%zu words and %zu labels", p.nwords, p.nlabels);
        else
            snprintf(what, sizeof what, "%zu %s", p.n, rec ? "user and item embeddings" : "word vectors");
        snprintf(title, sizeof title, "%s of %s", what, base ? base + 1 : pos[0]);
        const char *colour = p.clf && !meta ? "; colour: the label each word's own vector favours" : "";
        if (!strcmp(method, "pca"))
            snprintf(caption, sizeof caption,
                     "edl plot -method pca: PC 1 and PC 2 hold %.3g%% and %.3g%% of the variance%s%s",
                     100 * explained[0], 100 * explained[1], colour,
                     p.nlabels ? "; diamonds: the labels' output rows, scaled to the words' mean length" : "");
        else
            snprintf(caption, sizeof caption, "edl plot -method tsne: perplexity %g, %zu iterations, seed %llu, %s%s%s",
                     ta.perplexity, ta.iterations, (unsigned long long)ta.seed,
                     ta.theta > 0 && p.n >= ta.exact_below ? "Barnes-Hut" : "exact", colour,
                     p.nlabels ? "; diamonds: the labels' output rows, scaled to the words' mean length" : "");
        edl_plot_opts o = {title,
                           !strcmp(method, "pca") ? "PC 1" : "t-SNE 1",
                           !strcmp(method, "pca") ? "PC 2" : "t-SNE 2",
                           caption,
                           0,
                           0,
                           NULL,
                           NULL,
                           0};
        if (edl_plot_scatter_svg_ex(output, &o, x, y, p.n, g.ngroups ? g.group : NULL, (const char *const *)g.names,
                                    (const char *const *)g.colours, g.ngroups, (const char *const *)labels,
                                    marked) != EDL_OK)
            rc = cli_fail("plot");
        else
            printf("%s\n", output);
    }
    for (size_t i = 0; labels && i < p.n; i++) free(labels[i]);
    groups_free(&g);
    free(labels), free(marked), free(xy), free(x), free(y);
    free_points(&p);
    return rc;
}

/* One name a line for metadata.tsv: tabs and newlines would split it. */
static void write_name(FILE *f, const points *p, size_t i) {
    size_t len;
    const char *w = edl_vectors_word(p->v, i, &len);
    for (size_t k = 0; k < len; k++) fputc(w[k] == '\t' || w[k] == '\n' || w[k] == '\r' ? ' ' : w[k], f);
    fputc('\n', f);
}

int cmd_export_projector(int argc, char **argv) {
    const char *pos[2];
    static const arg_cmd ac = {
        "export-projector",
        "usage: edl export-projector VECTORS|MODEL DIR   (writes DIR/vectors.tsv and DIR/metadata.tsv:\n"
        "       every word's row, and a classifier's label rows after them)\n",
        NULL, 0};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    points p;
    if (load_points("export-projector", pos[0], (size_t)-1, 0, &p)) return 1;
    if (mkdir(pos[1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "edl export-projector: %s: cannot make the directory: %s\n", pos[1], strerror(errno));
        free_points(&p);
        return 1;
    }
    char vp[4096], mp[4096];
    snprintf(vp, sizeof vp, "%s/vectors.tsv", pos[1]);
    snprintf(mp, sizeof mp, "%s/metadata.tsv", pos[1]);
    const cli_file files[] = {{"", pos[0], 0}, {"", vp, 1}, {"", mp, 1}};
    if (cli_files_distinct("export-projector", files, 3)) {
        free_points(&p);
        return 1;
    }
    FILE *fv = cli_open_output("export-projector", "", vp),
         *fm = fv ? cli_open_output("export-projector", "", mp) : NULL;
    int rc = fv && fm ? 0 : 1;
    size_t dim = edl_vectors_dim(p.v);
    for (size_t i = 0; !rc && i < p.n; i++) {
        const float *row = edl_vectors_row(p.v, i);
        for (size_t d = 0; d < dim; d++) fprintf(fv, d ? "\t%.6g" : "%.6g", row[d]);
        fputc('\n', fv);
        write_name(fm, &p, i);
    }
    if (cli_close_output("export-projector", "", vp, fv) != 0) rc = 1;
    if (cli_close_output("export-projector", "", mp, fm) != 0) rc = 1;
    if (!rc) printf("%s\n%s\n", vp, mp);
    free_points(&p);
    return rc;
}

/* A training curve from a -log CSV: the first column along x, every other numeric column a line. */
int cmd_plot_curve(int argc, char **argv) {
    const char *output = NULL, *pos[1];
    const arg_spec specs[] = {{"output", ARG_STR, &output, "the SVG file"}};
    const arg_cmd ac = {
        "plot-curve", "usage: edl plot-curve LOG.csv -output FILE.svg   (LOG: edl train/supervised -log)\n", specs, 1};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 1);
    if (parsed != 1 || !output) return args_usage_exit(&ac, parsed == 1 ? -1 : parsed);
    char out_path[4096];
    const cli_file files[] = {{"", pos[0], 0}, {"-output", output, 1}};
    if (cli_output_path("plot-curve", "-output", output, "", out_path, sizeof out_path) ||
        cli_files_distinct("plot-curve", files, 2))
        return 1;
    edl_lines *in = NULL;
    if (edl_lines_open(&in, pos[0]) != EDL_OK) return cli_fail("plot-curve");
    char *line, *names[16];
    size_t len, ncol = 0, nrow = 0, cap = 0;
    double *vals = NULL;
    int rc = 0;
    edl_status ls = edl_lines_next(in, &line, &len);
    if (ls == EDL_OK && !line) rc = (fprintf(stderr, "edl plot-curve: %s: empty\n", pos[0]), 1);
    for (char *t = rc || ls != EDL_OK ? NULL : strtok(line, ","); t && ncol < 16; t = strtok(NULL, ","))
        names[ncol++] = strdup(t);
    while (!rc && ls == EDL_OK && (ls = edl_lines_next(in, &line, &len)) == EDL_OK && line) {
        if (nrow == cap) {
            cap = cap ? 2 * cap : 64;
            double *nv = realloc(vals, cap * ncol * sizeof *nv);
            if (!nv) {
                rc = (fprintf(stderr, "edl plot-curve: %s: no memory for %zu rows\n", pos[0], cap), 1);
                break;
            }
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
    edl_lines_close(in);
    if (!rc && ls != EDL_OK) rc = cli_fail("plot-curve");
    if (!rc && (nrow == 0 || ncol < 2))
        rc = (fprintf(stderr, "edl plot-curve: %s: no rows or only one column\n", pos[0]), 1);
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
        if (!ns)
            rc = (fprintf(stderr, "edl plot-curve: %s: nothing to draw\n", pos[0]), 1);
        else if (edl_plot_lines_svg(output, &o, series, ns) != EDL_OK)
            rc = cli_fail("plot-curve");
        else
            printf("%s\n", output);
    }
    for (size_t c = 0; c < ncol; c++) free(names[c]);
    free(vals), free(xs), free(ys);
    return rc;
}
