/* A text model as fastText's parts: its .bin, its dump and its output vectors. */
#include "text/ft_view.h"

#include "text/vectors.h"

#include <stdlib.h>
#include <string.h>

edl_status edl__ft_view_write(const edl__ft_view *m, const char *path, const char *fn) {
    const edl__vocab *v = m->vocab;
    size_t n = v->nwords + v->nlabels;
    if (!m->out) return edl__fail(EDL_ERR_UNSUPPORTED, "%s: %s: the model holds no output rows", fn, path);
    const char **words = malloc((n ? n : 1) * sizeof *words);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    if (!words || !lens) {
        free(words), free(lens);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    }
    for (size_t i = 0; i < n; i++)
        words[i] = v->bytes + v->offsets[i], lens[i] = (size_t)(v->offsets[i + 1] - v->offsets[i]);
    edl__ft_model fm = {.args = m->args,
                        .words = words,
                        .lens = lens,
                        .counts = v->counts,
                        .nwords = (int32_t)v->nwords,
                        .nlabels = (int32_t)v->nlabels,
                        .ntokens = v->ntokens,
                        .in = m->in,
                        .out = m->out,
                        .in_rows = (int64_t)m->in_rows,
                        .out_rows = (int64_t)m->out_rows,
                        .out_given = (int64_t)m->out_given,
                        .pruneidx_size = -1};
    edl_status s = edl__ft_write(path, &fm);
    free(words), free(lens);
    return s;
}

static const char *loss_name(int32_t l) {
    return l == EDL__FT_LOSS_HS ? "hs" : l == EDL__FT_LOSS_NS ? "ns" : l == EDL__FT_LOSS_SOFTMAX ? "softmax" : "one-vs-all";
}

static const char *model_name(int32_t m) {
    return m == EDL__FT_MODEL_CBOW ? "cbow" : m == EDL__FT_MODEL_SG ? "sg" : "sup";
}

/* fastText's DenseMatrix::dump: "rows cols", then a row a line, values as std::ostream prints a
   float (6 significant digits, %g). */
static void dump_matrix(FILE *f, const float *x, size_t given, size_t rows, size_t dim) {
    fprintf(f, "%zu %zu\n", rows, dim);
    for (size_t r = 0; r < rows; r++) {
        for (size_t d = 0; d < dim; d++) fprintf(f, d ? " %g" : "%g", r < given ? (double)x[r * dim + d] : 0.0);
        fputc('\n', f);
    }
}

edl_status edl__ft_view_dump(const edl__ft_view *m, const char *what, FILE *f, const char *fn) {
    const edl__ft_args *a = &m->args;
    if (!strcmp(what, "args")) {
        fprintf(f, "dim %d\nws %d\nepoch %d\nminCount %d\nneg %d\nwordNgrams %d\nloss %s\nmodel %s\nbucket %d\n",
                a->dim, a->ws, a->epoch, a->min_count, a->neg, a->word_ngrams, loss_name(a->loss),
                model_name(a->model), a->bucket);
        fprintf(f, "minn %d\nmaxn %d\nlrUpdateRate %d\nt %g\n", a->minn, a->maxn, a->lr_update_rate, a->t);
    } else if (!strcmp(what, "dict")) {
        const edl__vocab *v = m->vocab;
        size_t n = v->nwords + v->nlabels;
        fprintf(f, "%zu\n", n);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.*s %lld %s\n", (int)(v->offsets[i + 1] - v->offsets[i]), v->bytes + v->offsets[i],
                    (long long)v->counts[i], i < v->nwords ? "word" : "label");
    } else if (!strcmp(what, "input")) {
        dump_matrix(f, m->in, m->in_rows, m->in_rows, m->dim);
    } else if (!strcmp(what, "output")) {
        if (!m->out) return edl__fail(EDL_ERR_UNSUPPORTED, "%s: the model holds no output rows (edl's word-vector "
                                                           "file keeps the input table only)", fn);
        dump_matrix(f, m->out, m->out_given, m->out_rows, m->dim);
    } else {
        return edl__fail(EDL_ERR_ARG, "%s: dump '%s': the options are args, dict, input and output", fn, what);
    }
    return ferror(f) ? edl__fail(EDL_ERR_IO, "%s: dump %s: write error", fn, what) : EDL_OK;
}

edl_status edl__ft_view_output(const edl__ft_view *m, int labels, edl_vectors **out, const char *fn) {
    if (!m->out) return edl__fail(EDL_ERR_UNSUPPORTED, "%s: the model holds no output rows", fn);
    const edl__vocab *v = m->vocab;
    size_t n = labels ? v->nlabels : v->nwords, first = labels ? v->nwords : 0, dim = m->dim;
    edl_vectors *vec;
    EDL__TRY(edl__vectors_alloc(&vec, n, dim));
    edl_status s = EDL_OK;
    for (size_t i = 0; s == EDL_OK && i < n; i++) {
        size_t e = first + i;
        if (i < m->out_given)
            memcpy(vec->data + i * dim, m->out + i * dim, dim * sizeof(float));
        else
            memset(vec->data + i * dim, 0, dim * sizeof(float));
        s = edl__vectors_add_word(vec, v->bytes + v->offsets[e], (size_t)(v->offsets[e + 1] - v->offsets[e]), fn);
    }
    if (s != EDL_OK) {
        edl_vectors_free(vec);
        return s;
    }
    *out = vec;
    return EDL_OK;
}
