/* Questions to word vectors: nearest neighbours, analogies, and the two standard evaluations
 * (word2vec's questions-words accuracy, Spearman correlation with human similarity scores). */
#include "text/vectors.h"
#include "kernels/kernels.h"

#include "io/file.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static float norm_of(const float *x, size_t dim) { return sqrtf(edl__vec_dot(x, x, dim)); }

/* Keeps the k best (id, sim) pairs, best first, by insertion (k is small). */
static void offer(int64_t *ids, float *sims, size_t *count, size_t k, int64_t id, float sim) {
    if (*count == k && sim <= sims[k - 1]) return;
    size_t pos = *count < k ? (*count)++ : k - 1;
    while (pos > 0 && sims[pos - 1] < sim) {
        sims[pos] = sims[pos - 1], ids[pos] = ids[pos - 1];
        pos--;
    }
    sims[pos] = sim, ids[pos] = id;
}

edl_status edl_vectors_nearest(const edl_vectors *v, const float *q, size_t k, size_t restrict_to,
                               const int64_t *exclude, size_t nexclude, int64_t *ids, float *sims, size_t *count) {
    if (!v || !q || !ids || !sims || !count || (nexclude && !exclude))
        return edl__fail(EDL_ERR_ARG, "edl_vectors_nearest: an argument is NULL");
    *count = 0;
    if (k == 0) return EDL_OK;
    size_t n = restrict_to && restrict_to < v->n ? restrict_to : v->n;
    if (!v->data) return edl__qt_nearest(&v->qt, q, k, 0, n, exclude, nexclude, ids, sims, count);
    float qn = norm_of(q, v->dim);
    if (!(qn > 0)) return EDL_OK; /* a zero query is similar to nothing */
    for (size_t i = 0; i < n; i++) {
        int skip = 0;
        for (size_t e = 0; e < nexclude; e++) skip |= exclude[e] == (int64_t)i;
        if (skip) continue;
        const float *row = v->data + i * v->dim;
        float rn = norm_of(row, v->dim);
        if (!(rn > 0)) continue;
        offer(ids, sims, count, k, (int64_t)i, edl__vec_dot(q, row, v->dim) / (qn * rn));
    }
    return EDL_OK;
}

edl_status edl_vectors_analogy(const edl_vectors *v, int64_t a, int64_t b, int64_t c, size_t k, size_t restrict_to,
                               int64_t *ids, float *sims, size_t *count) {
    if (!v) return edl__fail(EDL_ERR_ARG, "edl_vectors_analogy: vectors is NULL");
    int64_t abc[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (abc[i] < 0 || (uint64_t)abc[i] >= v->n)
            return edl__fail(EDL_ERR_INDEX, "edl_vectors_analogy: word %lld is out of range [0, %zu)",
                             (long long)abc[i], v->n);
    float *q = malloc(4 * v->dim * sizeof *q);
    if (!q) return edl__fail(EDL_ERR_NOMEM, "no memory");
    /* b - a + c on unit vectors (3CosAdd); a quantized set's three rows decoded */
    float *ra = q + v->dim, *rb = ra + v->dim, *rc = rb + v->dim;
    edl_vectors_get(v, (size_t)a, ra), edl_vectors_get(v, (size_t)b, rb), edl_vectors_get(v, (size_t)c, rc);
    float na = norm_of(ra, v->dim), nb = norm_of(rb, v->dim), nc = norm_of(rc, v->dim);
    for (size_t d = 0; d < v->dim; d++)
        q[d] = (nb > 0 ? rb[d] / nb : 0) - (na > 0 ? ra[d] / na : 0) + (nc > 0 ? rc[d] / nc : 0);
    edl_status s = edl_vectors_nearest(v, q, k, restrict_to, abc, 3, ids, sims, count);
    free(q);
    return s;
}

/* The id of a word as written, else lowercased (ASCII), among the first n; -1 if neither. */
static int64_t find_word(const edl_vectors *v, const char *w, size_t len, size_t n) {
    int64_t id = edl_vectors_find(v, w, len);
    if (id < 0 && len < 256) {
        char low[256];
        for (size_t i = 0; i < len; i++) low[i] = (char)tolower((unsigned char)w[i]);
        id = edl_vectors_find(v, low, len);
    }
    return id >= 0 && (size_t)id < n ? id : -1;
}

void edl_analogy_result_free(edl_analogy_result *r) {
    if (!r) return;
    free(r->sections);
    memset(r, 0, sizeof *r);
}

edl_status edl_vectors_eval_analogies(const edl_vectors *v, const char *path, size_t restrict_to,
                                      edl_analogy_result *r) {
    if (!v || !path || !r) return edl__fail(EDL_ERR_ARG, "edl_vectors_eval_analogies: an argument is NULL");
    memset(r, 0, sizeof *r);
    edl_lines *lr;
    EDL__TRY(edl_lines_open(&lr, path));
    size_t n = restrict_to && restrict_to < v->n ? restrict_to : v->n, lineno = 0, len;
    char *line;
    edl_status s = EDL_OK;
    while (s == EDL_OK && (s = edl_lines_next(lr, &line, &len)) == EDL_OK && line) {
        lineno++;
        while (len > 0 && line[len - 1] == '\r') line[--len] = '\0'; /* the reader took "\n" and one '\r' */
        if (len == 0) continue;
        if (line[0] == ':') { /* a new section */
            edl_analogy_section *ns = realloc(r->sections, (r->nsections + 1) * sizeof *ns);
            if (!ns) {
                s = edl__fail(EDL_ERR_NOMEM, "no memory");
                break;
            }
            r->sections = ns;
            edl_analogy_section *sec = &r->sections[r->nsections++];
            memset(sec, 0, sizeof *sec);
            const char *name = line + 1;
            while (*name == ' ') name++;
            snprintf(sec->name, sizeof sec->name, "%s", name);
            continue;
        }
        char *tok[5];
        int nt = 0;
        for (char *p = strtok(line, " \t"); p && nt < 5; p = strtok(NULL, " \t")) tok[nt++] = p;
        if (nt != 4) {
            s = edl__fail(EDL_ERR_FORMAT, "%s:%zu: a question has four words, this line has %d", path, lineno, nt);
            break;
        }
        if (!r->nsections) { /* questions before any section: give them one */
            r->sections = calloc(1, sizeof *r->sections);
            if (!r->sections) {
                s = edl__fail(EDL_ERR_NOMEM, "no memory");
                break;
            }
            r->nsections = 1;
        }
        int64_t id[4];
        int missing = 0;
        for (int i = 0; i < 4; i++) missing |= (id[i] = find_word(v, tok[i], strlen(tok[i]), n)) < 0;
        if (missing) {
            r->skipped++;
            continue;
        }
        int64_t best;
        float sim;
        size_t cnt;
        s = edl_vectors_analogy(v, id[0], id[1], id[2], 1, n, &best, &sim, &cnt);
        edl_analogy_section *sec = &r->sections[r->nsections - 1];
        sec->total++, r->total++;
        if (s == EDL_OK && cnt == 1 && best == id[3]) sec->correct++, r->correct++;
    }
    edl_lines_close(lr); /* a read error: "PATH: read error after line N: reason", from the reader */
    if (s != EDL_OK) edl_analogy_result_free(r);
    return s;
}

/* Ranks (1-based, ties get their average) of x[0..n) into rank. */
static void ranks(const double *x, size_t n, double *rank, size_t *order) {
    for (size_t i = 0; i < n; i++) order[i] = i;
    /* insertion sort: pair files are small (hundreds to a few thousand) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && x[order[j]] < x[order[j - 1]]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && x[order[j + 1]] == x[order[i]]) j++;
        for (size_t k = i; k <= j; k++) rank[order[k]] = (double)(i + j) / 2.0 + 1.0;
        i = j + 1;
    }
}

edl_status edl_vectors_eval_similarity(const edl_vectors *v, const char *path, double *spearman, size_t *found,
                                       size_t *total) {
    if (!v || !path || !spearman || !found || !total)
        return edl__fail(EDL_ERR_ARG, "edl_vectors_eval_similarity: an argument is NULL");
    edl_lines *lr;
    EDL__TRY(edl_lines_open(&lr, path));
    double *human = NULL, *model = NULL;
    float *pair = malloc(2 * v->dim * sizeof *pair);
    if (!pair) {
        edl_lines_close(lr);
        return edl__fail(EDL_ERR_NOMEM, "no memory");
    }
    size_t n = 0, cap = 0, lineno = 0, len;
    *found = *total = 0;
    char *line;
    edl_status s = EDL_OK;
    while (s == EDL_OK && (s = edl_lines_next(lr, &line, &len)) == EDL_OK && line) {
        lineno++;
        while (len > 0 && line[len - 1] == '\r') line[--len] = '\0'; /* the reader took "\n" and one '\r' */
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        char *w1 = strtok(p, " \t,"), *w2 = strtok(NULL, " \t,"), *sc = strtok(NULL, " \t,"), *end;
        double score = sc ? strtod(sc, &end) : 0;
        if (!w1 || !w2 || !sc || *end || !isfinite(score)) {
            s = edl__fail(EDL_ERR_FORMAT, "%s:%zu: expected \"word1 word2 score\"", path, lineno);
            break;
        }
        (*total)++;
        int64_t a = find_word(v, w1, strlen(w1), v->n), b = find_word(v, w2, strlen(w2), v->n);
        if (a < 0 || b < 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            double *nh = realloc(human, cap * sizeof *nh), *nm = nh ? realloc(model, cap * sizeof *nm) : NULL;
            if (nh) human = nh;
            if (nm) model = nm;
            if (!nh || !nm) {
                s = edl__fail(EDL_ERR_NOMEM, "no memory");
                break;
            }
        }
        float *ra = pair, *rb = pair + v->dim; /* decoded when the table is quantized */
        edl_vectors_get(v, (size_t)a, ra), edl_vectors_get(v, (size_t)b, rb);
        float na = norm_of(ra, v->dim), nb = norm_of(rb, v->dim);
        human[n] = score;
        model[n] = na > 0 && nb > 0 ? edl__vec_dot(ra, rb, v->dim) / (na * nb) : 0.0;
        n++;
    }
    edl_lines_close(lr); /* a read error: "PATH: read error after line N: reason", from the reader */
    *found = n;
    *spearman = NAN;
    if (s == EDL_OK && n >= 2) {
        double *rh = malloc(n * sizeof *rh), *rm = malloc(n * sizeof *rm);
        size_t *order = malloc(n * sizeof *order);
        if (rh && rm && order) {
            ranks(human, n, rh, order);
            ranks(model, n, rm, order);
            double mh = 0, mm = 0, sxy = 0, sxx = 0, syy = 0;
            for (size_t i = 0; i < n; i++) mh += rh[i], mm += rm[i];
            mh /= (double)n, mm /= (double)n;
            for (size_t i = 0; i < n; i++) {
                sxy += (rh[i] - mh) * (rm[i] - mm), sxx += (rh[i] - mh) * (rh[i] - mh),
                    syy += (rm[i] - mm) * (rm[i] - mm);
            }
            *spearman = sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
        } else {
            s = edl__fail(EDL_ERR_NOMEM, "no memory");
        }
        free(rh), free(rm), free(order);
    }
    free(human), free(model), free(pair);
    return s;
}
