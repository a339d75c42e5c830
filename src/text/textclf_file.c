/* Text classifier files (the model's safetensors with the vocabulary as tensors and the
 * arguments as metadata). */
#include "text/textclf.h"
#include "text/ft_view.h"
#include "model/model_file.h"
#include "model/table.h"
#include "model/pq.h"
#include "kernels/kernels.h"

#include "io/file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

static edl_status save_dense(const edl_textclf *c, const char *path);

edl_status edl_textclf_save(const edl_textclf *c, const char *path) {
    if (!c || !path) return edl__fail(EDL_ERR_ARG, "edl_textclf_save: an argument is NULL");
    edl_textclf tmp;
    const edl_textclf *d;
    EDL__TRY(edl__textclf_dense(c, &tmp, &d));
    edl_status s = save_dense(d, path);
    edl__textclf_dense_done(&tmp);
    return s;
}

static edl_status save_dense(const edl_textclf *c, const char *path) {
    if (c->prune.active)
        return edl__fail(
            EDL_ERR_UNSUPPORTED,
            "edl_textclf_save: %s: a pruned fastText model (.ftz with -cutoff) has no safetensors form yet", path);
    char nwords[32], nlabels[32], ngrams[32], bucket[32], dim[32], ntok[32];
    snprintf(nwords, sizeof nwords, "%zu", c->vocab.nwords);
    snprintf(nlabels, sizeof nlabels, "%zu", c->vocab.nlabels);
    snprintf(ngrams, sizeof ngrams, "%zu", c->word_ngrams);
    snprintf(bucket, sizeof bucket, "%zu", c->bucket);
    snprintf(dim, sizeof dim, "%zu", c->dim);
    snprintf(ntok, sizeof ntok, "%lld", (long long)c->vocab.ntokens);
    char minn[32], maxn[32];
    snprintf(minn, sizeof minn, "%zu", c->minn);
    snprintf(maxn, sizeof maxn, "%zu", c->maxn);
    /* character n-grams are written only when the model has them: files without are as before */
    const char *keys[] = {"textclf.format",  "textclf.loss",        "textclf.label",  "textclf.nwords",
                          "textclf.nlabels", "textclf.word_ngrams", "textclf.bucket", "textclf.dim",
                          "textclf.ntokens", "textclf.args",        "textclf.minn",   "textclf.maxn"};
    const char *vals[] = {
        "1", edl_textclf_loss_name(c->loss), c->vocab.label, nwords, nlabels, ngrams, bucket, dim, ntok, c->args, minn,
        maxn};
    size_t nmeta = c->maxn ? 12 : 10;
    const edl_tensor extra[3] = {
        {"vocab.bytes", EDL_DTYPE_U8, 1, {c->vocab.nbytes, 0}, c->vocab.bytes},
        {"vocab.offsets", EDL_DTYPE_I64, 1, {c->vocab.size + 1, 0}, c->vocab.offsets},
        {"vocab.counts", EDL_DTYPE_I64, 1, {c->vocab.size, 0}, c->vocab.counts},
    };
    return edl_model_save_ex(c->m, path, keys, vals, nmeta, extra, 3);
}

/* Layer l's description, or a format error naming what a classifier needs of it. */
static edl_status layer(const edl_model *m, const char *path, size_t l, edl_layer_info *in) {
    if (edl_model_layer_info(m, l, in) != EDL_OK)
        return edl__fail(EDL_ERR_FORMAT, "%s: a text classifier needs a layer %zu", path, l);
    return EDL_OK;
}

edl_status edl__textclf_check(edl__st *st, const edl_model *m, edl__textclf_file *f) {
    const char *path = edl__st_path(st);
    memset(f, 0, sizeof *f);
    const char *loss = edl__st_meta(st, "textclf.loss");
    if (!loss)
        return edl__fail(EDL_ERR_FORMAT, "%s: not an edl text classifier (no textclf.loss in its metadata)", path);
    if (edl_textclf_loss_from_name(loss, &f->loss) != EDL_OK)
        return edl__fail(EDL_ERR_FORMAT, "%s: unknown textclf.loss \"%.32s\"", path, loss);
    /* input ids are int32 (as fastText's): words + buckets rows must stay below 2^31 */
    EDL__TRY(edl__st_get_count(st, "textclf.nwords", INT32_MAX, &f->nwords));
    EDL__TRY(edl__st_get_count(st, "textclf.nlabels", INT32_MAX, &f->nlabels));
    EDL__TRY(edl__st_get_count(st, "textclf.bucket", INT32_MAX, &f->bucket));
    EDL__TRY(edl__st_get_count(st, "textclf.dim", INT32_MAX, &f->dim));
    EDL__TRY(edl__st_get_count(st, "textclf.word_ngrams", INT32_MAX, &f->word_ngrams));
    if (edl__st_meta(st, "textclf.minn") || edl__st_meta(st, "textclf.maxn")) {
        EDL__TRY(edl__st_get_count(st, "textclf.minn", 100, &f->minn));
        EDL__TRY(edl__st_get_count(st, "textclf.maxn", 100, &f->maxn));
        if (f->minn > f->maxn)
            return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.minn %zu is above textclf.maxn %zu", path, f->minn,
                             f->maxn);
        if (f->maxn && !f->bucket)
            return edl__fail(EDL_ERR_FORMAT, "%s: character n-grams (textclf.maxn %zu) need buckets (textclf.bucket 0)",
                             path, f->maxn);
    }
    if (f->nlabels == 0) return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.nlabels is 0", path);
    f->label = edl__st_meta(st, "textclf.label");
    if (!f->label || !f->label[0] || strlen(f->label) > 63)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: metadata textclf.label (the label prefix) is missing or not 1 to 63 bytes", path);

    /* the model: a table of words + buckets rows of dim, an output per label (hs: per inner node) */
    edl_layer_info in, out;
    size_t nl = edl_model_num_layers(m);
    if (nl < 2)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: a text classifier has a table and an output layer (this model has %zu layers)", path, nl);
    EDL__TRY(layer(m, path, 0, &in));
    EDL__TRY(layer(m, path, nl - 1, &out));
    if (in.kind != EDL_LAYER_EMBEDDING_BAG || in.pool != EDL_POOL_MEAN)
        return edl__fail(EDL_ERR_FORMAT, "%s: a text classifier's layer 0 is an embedding_bag with pool=mean, not %s",
                         path, in.name);
    EDL__TRY(
        edl__st_check_sum(st, "textclf.nwords", f->nwords, "textclf.bucket", f->bucket, "layer 0's rows", in.rows));
    if (in.rows > INT32_MAX)
        return edl__fail(EDL_ERR_FORMAT, "%s: layer 0's %zu rows are more than int32 ids reach", path, in.rows);
    if (in.dim != f->dim)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.dim %zu, but layer 0's dim is %zu", path, f->dim,
                         in.dim);
    if (out.kind != EDL_LAYER_DENSE)
        return edl__fail(EDL_ERR_FORMAT, "%s: a text classifier ends in a dense layer (%zu layers, the last %s)", path,
                         nl, out.name);
    size_t want_out = f->loss == EDL_TEXTCLF_HS ? f->nlabels - 1 : f->nlabels;
    if (out.out_dim != want_out)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: metadata textclf.nlabels %zu wants %zu output rows (%s), but layer %zu has %zu", path,
                         f->nlabels, want_out, loss, nl - 1, out.out_dim);
    if (nl == 2 && (out.in_dim != in.dim || out.bias))
        return edl__fail(EDL_ERR_FORMAT, "%s: the output layer reads %zu values%s; the averaged rows are %zu", path,
                         out.in_dim, out.bias ? " with a bias" : "", in.dim);
    if (f->loss == EDL_TEXTCLF_HS && nl != 2)
        return edl__fail(EDL_ERR_FORMAT, "%s: an hs classifier has no hidden layers (this one has %zu layers)", path,
                         nl);

    /* the vocabulary: nwords + nlabels entries, offsets in order within the bytes, counts >= 1 */
    size_t size;
    if (!edl__add_ok(f->nwords, f->nlabels, &size) || size > INT32_MAX - 1)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: textclf.nwords %zu + textclf.nlabels %zu entries are more than a vocabulary holds", path,
                         f->nwords, f->nlabels);
    EDL__TRY(edl__st_get_strings(st, "vocab", size, &f->vocab));
    const void *counts;
    EDL__TRY(edl__st_get_array(st, "vocab.counts", EDL_DTYPE_I64, size, &counts));
    f->counts = counts;
    for (size_t i = 0; i < size; i++)
        if (f->counts[i] < 1)
            return edl__fail(EDL_ERR_FORMAT, "%s: vocab.counts[%zu] = %lld; every entry was seen at least once", path,
                             i, (long long)f->counts[i]);
    if (f->loss == EDL_TEXTCLF_HS) {
        /* fastText's Huffman tree: label counts most frequent first, their int64 sums exact */
        int64_t sum = 0;
        for (size_t l = 0; l < f->nlabels; l++) {
            int64_t c = f->counts[f->nwords + l];
            if (l > 0 && c > f->counts[f->nwords + l - 1])
                return edl__fail(EDL_ERR_FORMAT,
                                 "%s: vocab.counts[%zu] = %lld is above vocab.counts[%zu] = %lld: hs labels come most "
                                 "frequent first",
                                 path, f->nwords + l, (long long)c, f->nwords + l - 1,
                                 (long long)f->counts[f->nwords + l - 1]);
            if (c > INT64_MAX - sum)
                return edl__fail(EDL_ERR_FORMAT,
                                 "%s: vocab.counts[%zu] = %lld: the label counts' sum passes 2^63 - 1 (%lld before it)",
                                 path, f->nwords + l, (long long)c, (long long)sum);
            sum += c;
        }
    }
    return EDL_OK;
}

/* A number the arguments string says ("epoch=25" or a fastText file's "epoch=25"), else dflt. */
static int32_t arg_of(const char *args, const char *key, int32_t dflt) {
    size_t n = strlen(key);
    for (const char *p = args; (p = strstr(p, key)); p += n)
        if ((p == args || p[-1] == ' ') && p[n] == '=') {
            long v = strtol(p + n + 1, NULL, 10);
            return v > 0 && v <= INT32_MAX ? (int32_t)v : dflt;
        }
    return dflt;
}

/* The arguments a fastText file of c holds: its shape and features, and what training used as
   the model's arguments say it (epoch, minCount, lrUpdateRate; fastText's defaults else, and for
   ws and t, which supervised training does not use). */
static edl__ft_args fasttext_args(const edl_textclf *c) {
    edl__ft_args a = {.dim = (int32_t)c->dim,
                      .ws = 5,
                      .epoch = arg_of(c->args, "epoch", 5),
                      .min_count = arg_of(c->args, "minCount", 1),
                      .neg = c->neg ? (int32_t)c->neg : 5,
                      .word_ngrams = (int32_t)c->word_ngrams,
                      .loss = c->loss == EDL_TEXTCLF_HS    ? EDL__FT_LOSS_HS
                              : c->loss == EDL_TEXTCLF_OVA ? EDL__FT_LOSS_OVA
                              : c->loss == EDL_TEXTCLF_NS  ? EDL__FT_LOSS_NS
                                                           : EDL__FT_LOSS_SOFTMAX,
                      .model = EDL__FT_MODEL_SUP,
                      .bucket = (int32_t)c->bucket,
                      .minn = (int32_t)c->minn,
                      .maxn = (int32_t)c->maxn,
                      .lr_update_rate = arg_of(c->args, "lrUpdateRate", arg_of(c->args, "lr_update_rate", 100)),
                      .t = 1e-4};
    return a;
}

/* The classifier as fastText's parts; fastText has no place for hidden layers. */
static edl_status view_of(const edl_textclf *c, edl__ft_view *v, const char *fn) {
    if (edl_model_num_layers(c->m) != 2)
        return edl__fail(EDL_ERR_UNSUPPORTED, "%s: a classifier with hidden layers has no fastText form", fn);
    size_t in_n = 0, out_n = 0;
    edl__table_make_all(c->m, 0); /* fastText's files hold every row */
    const float *in = edl_model_tensor(c->m, 0, "weight", &in_n), *out = edl_model_tensor(c->m, 1, "weight", &out_n);
    *v = (edl__ft_view){.args = fasttext_args(c),
                        .vocab = &c->vocab,
                        .dim = c->dim,
                        .in = in,
                        .in_rows = in_n / c->dim,
                        .out = out,
                        .out_rows = c->vocab.nlabels, /* hs: fastText keeps a row a label, the last unused */
                        .out_given = out_n / c->dim};
    return EDL_OK;
}

edl_status edl_textclf_save_fasttext(const edl_textclf *c, const char *path) {
    static const char fn[] = "edl_textclf_save_fasttext";
    if (!c || !path) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (c->prune.active)
        return edl__fail(EDL_ERR_UNSUPPORTED, "%s: %s: a pruned fastText model (.ftz) is not written again yet", fn,
                         path);
    edl_textclf tmp;
    const edl_textclf *d;
    edl__ft_view v;
    EDL__TRY(edl__textclf_dense(c, &tmp, &d));
    edl_status s = view_of(d, &v, fn);
    if (s == EDL_OK) s = edl__ft_view_write(&v, path, fn);
    edl__textclf_dense_done(&tmp);
    return s;
}

edl_status edl_textclf_dump(const edl_textclf *c, const char *what, FILE *f) {
    static const char fn[] = "edl_textclf_dump";
    if (!c || !what || !f) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    edl_textclf tmp;
    const edl_textclf *d = c;
    edl__ft_view v;
    memset(&tmp, 0, sizeof tmp);
    edl_status s = strcmp(what, "input") ? EDL_OK : edl__textclf_dense(c, &tmp, &d); /* only input reads the rows */
    if (s == EDL_OK) s = view_of(d, &v, fn);
    if (s == EDL_OK) s = edl__ft_view_dump(&v, what, f, fn);
    edl__textclf_dense_done(&tmp);
    return s;
}

edl_status edl_textclf_output_vectors(const edl_textclf *c, edl_vectors **out) {
    static const char fn[] = "edl_textclf_output_vectors";
    if (!c || !out) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    edl__ft_view v;
    EDL__TRY(view_of(c, &v, fn));
    return edl__ft_view_output(&v, 1, out, fn);
}

/* A fastText classifier (.bin): its dictionary, arguments and matrices as an edl classifier. */
static edl_status load_fasttext(edl_textclf **out, const char *path) {
    edl__ft ft;
    EDL__TRY(edl__ft_open(&ft, path));
    const edl__ft_args *fa = &ft.args;
    edl_status s = EDL_OK;
    edl_textclf *c = calloc(1, sizeof *c);
    if (!c) s = edl__fail(EDL_ERR_NOMEM, "edl_textclf_load: no memory");
    if (s == EDL_OK && fa->model != EDL__FT_MODEL_SUP)
        s = edl__fail(EDL_ERR_FORMAT, "%s: a fastText %s model (word vectors), not a classifier", path,
                      fa->model == EDL__FT_MODEL_SG ? "skipgram" : "cbow");
    if (s == EDL_OK && ft.nlabels < (fa->loss == EDL__FT_LOSS_HS ? 2 : 1))
        s = edl__fail(EDL_ERR_FORMAT, "%s: %d labels", path, ft.nlabels);
    if (s == EDL_OK && ft.input.rows == 0)
        s = edl__fail(EDL_ERR_FORMAT, "%s: byte 68: no input rows (dictionary.nwords 0, no buckets)", path);
    if (s == EDL_OK) {
        c->loss = fa->loss == EDL__FT_LOSS_HS    ? EDL_TEXTCLF_HS
                  : fa->loss == EDL__FT_LOSS_OVA ? EDL_TEXTCLF_OVA
                  : fa->loss == EDL__FT_LOSS_NS  ? EDL_TEXTCLF_NS
                                                 : EDL_TEXTCLF_SOFTMAX;
        c->neg = fa->neg > 0 ? (size_t)fa->neg : 0;
        c->fasttext = 1;
        c->dim = (size_t)fa->dim, c->word_ngrams = fa->word_ngrams > 0 ? (size_t)fa->word_ngrams : 1;
        c->bucket = (size_t)fa->bucket, c->maxn = (size_t)fa->maxn, c->minn = fa->maxn ? (size_t)fa->minn : 0;
        s = edl__vocab_from_fasttext(&c->vocab, &ft);
    }
    if (s == EDL_OK && c->loss == EDL_TEXTCLF_HS) s = edl__textclf_build_tree(c);
    if (s == EDL_OK) s = edl__ft_prune_map(&ft, &c->prune);
    /* a quantized input stays as the file holds it, each row decoded as it is read: checked once */
    if (s == EDL_OK && ft.input.quantized) s = edl__ft_check_quantized(&ft, &ft.input, "input");
    if (s == EDL_OK && ft.input.quantized && !(c->ftz = malloc(sizeof *c->ftz)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", path);
    if (s == EDL_OK && c->ftz) *c->ftz = ft; /* the file's bytes move to the model */
    if (s == EDL_OK) { /* the table's rows: the words, then the buckets (a pruned model's kept ones) */
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = c->dim;
        /* a .ftz's rows stay quantized (c->ftz): the table is then a placeholder row */
        s = edl__textclf_make_model(c, &a, c->ftz ? 1 : (size_t)ft.input.rows, 0);
    }
    if (s == EDL_OK) { /* the input rows, and the output's (hs: the tree's inner nodes, nlabels - 1) */
        size_t in_n, out_n;
        float *in = edl_model_tensor(c->m, 0, "weight", &in_n), *wo = edl_model_tensor(c->m, 1, "weight", &out_n);
        if (!c->ftz) s = edl__fasttext_floats(&ft, &ft.input, "input", 0, ft.input.rows, in, c->dim);
        if (s == EDL_OK) s = edl__fasttext_floats(&ft, &ft.output, "output", 0, (int64_t)(out_n / c->dim), wo, c->dim);
    }
    if (s == EDL_OK)
        snprintf(c->args, sizeof c->args,
                 "fastText %d: dim=%d epoch=%d lr_update_rate=%d wordNgrams=%d bucket=%d minn=%d maxn=%d minCount=%d "
                 "loss=%s",
                 (int)ft.version, fa->dim, fa->epoch, fa->lr_update_rate, fa->word_ngrams, fa->bucket, fa->minn,
                 fa->maxn, fa->min_count, edl_textclf_loss_name(c->loss));
    if (!c || !c->ftz) edl__ft_close(&ft); /* else the model owns it */
    if (s != EDL_OK) {
        edl_textclf_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

edl_status edl_textclf_load(edl_textclf **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_textclf_load: an argument is NULL");
    if (edl__ft_is_fasttext(path)) return load_fasttext(out, path);
    edl_textclf *c = calloc(1, sizeof *c);
    if (!c) return edl__fail(EDL_ERR_NOMEM, "edl_textclf_load: no memory");
    edl__textclf_file f;
    edl__st *st = NULL;
    edl_status s = edl__st_open(&st, path); /* one open: the model and the app's parts come from it */
    if (s == EDL_OK && !edl__st_meta(st, "textclf.loss"))
        s = edl__textclf_check(st, NULL, &f); /* another kind: said before any model is built */
    if (s == EDL_OK) s = edl__model_from_st(st, 0, &c->m);
    if (s == EDL_OK) s = edl__textclf_check(st, c->m, &f); /* before any count is used */
    if (s == EDL_OK) {
        c->loss = f.loss, c->dim = f.dim, c->word_ngrams = f.word_ngrams, c->bucket = f.bucket;
        c->minn = f.minn, c->maxn = f.maxn;
        s = edl__vocab_init(&c->vocab, f.label);
    }
    edl__vocab *v = &c->vocab;
    for (size_t i = 0; s == EDL_OK && i < f.vocab.n; i++) {
        s = edl__vocab_add(v, f.vocab.bytes + f.vocab.off[i], (size_t)(f.vocab.off[i + 1] - f.vocab.off[i]));
        if (s == EDL_OK && v->size != i + 1)
            s = edl__fail(EDL_ERR_FORMAT, "%s: vocabulary entry %zu appears twice", path, i);
        if (s == EDL_OK) v->counts[i] = f.counts[i];
    }
    if (s == EDL_OK) v->nwords = f.nwords, v->nlabels = f.nlabels, v->ntokens = 0;
    if (s == EDL_OK && c->loss == EDL_TEXTCLF_HS) s = edl__textclf_build_tree(c);
    const char *args = s == EDL_OK ? edl__st_meta(st, "textclf.args") : NULL;
    if (args) snprintf(c->args, sizeof c->args, "%s", args);
    const char *neg = c->loss == EDL_TEXTCLF_NS ? strstr(c->args, " neg=") : NULL;
    if (neg) c->neg = (size_t)strtoul(neg + 5, NULL, 10); /* for fastText's file; training alone used it */
    edl__st_close(st);
    if (s != EDL_OK) {
        edl_textclf_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

/* ---- fastText's quantize: a .ftz ----------------------------------------------------------- */

typedef struct {
    edl__pq pq, npq;
    uint8_t *codes, *norm_codes;
    edl__ft_qmatrix q;
} quant_matrix;

static void quant_free(quant_matrix *m) {
    edl__pq_free(&m->pq), edl__pq_free(&m->npq);
    free(m->codes), free(m->norm_codes);
}

static edl__ft_pq_out pq_out(const edl__pq *pq) {
    edl__ft_pq_out o = {pq->dim, pq->nsubq, pq->dsub, pq->lastdsub, pq->centroids};
    return o;
}

/* rows x dim (changed in place: with qnorm each row is divided by its norm) into codes */
static edl_status quantize_rows(quant_matrix *m, float *x, size_t rows, size_t dim, const edl_quantize_args *q) {
    memset(m, 0, sizeof *m);
    edl_status s = EDL_OK;
    float *norms = NULL;
    if (q->qnorm) { /* fastText's: the direction by PQ, the length by its own quantizer */
        norms = malloc((rows ? rows : 1) * sizeof *norms);
        m->norm_codes = malloc(rows ? rows : 1);
        if (!norms || !m->norm_codes) s = edl__fail(EDL_ERR_NOMEM, "quantize: no memory");
        for (size_t r = 0; s == EDL_OK && r < rows; r++) {
            float *row = x + r * dim;
            norms[r] = sqrtf(edl__vec_dot(row, row, dim));
            if (norms[r] > 0) edl__vec_scale(row, 1.0f / norms[r], dim);
        }
        if (s == EDL_OK) s = edl__pq_train(&m->npq, 1, 1, norms, rows, q->seed + 1);
        if (s == EDL_OK) edl__pq_encode(&m->npq, norms, rows, m->norm_codes);
    }
    if (s == EDL_OK) s = edl__pq_train(&m->pq, (int32_t)dim, (int32_t)q->dsub, x, rows, q->seed);
    if (s == EDL_OK && !(m->codes = malloc(rows * (size_t)m->pq.nsubq + 1)))
        s = edl__fail(EDL_ERR_NOMEM, "quantize: no memory for %zu codes", rows);
    if (s == EDL_OK) edl__pq_encode(&m->pq, x, rows, m->codes);
    free(norms);
    m->q.qnorm = q->qnorm, m->q.codes = m->codes, m->q.norm_codes = m->norm_codes;
    m->q.pq = pq_out(&m->pq), m->q.npq = pq_out(&m->npq);
    return s;
}

static int by_norm_desc(const void *a, const void *b) {
    const float *x = a, *y = b; /* (norm, id) pairs, as floats: ids below 2^24 compare exactly */
    if (x[0] != y[0]) return x[0] > y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

static int by_int(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void edl_quantize_defaults(edl_quantize_args *q) {
    memset(q, 0, sizeof *q);
    q->dsub = 2, q->seed = 1234, q->epoch = 5, q->lr = 0.1f, q->thread = 12;
}

static int by_bucket(const void *a, const void *b) { return by_int(a, b); } /* pairs: bucket first */

/* -max_bytes: the most rows, in the order of nid (largest norm first), whose .ftz fits: the file
   without input rows (edl__ft_size counts it as the writer writes it), then each row's bytes (a
   word's dictionary entry, a bucket's pair; its codes and norm code). */
static edl_status rows_that_fit(const edl_textclf *c, const edl_quantize_args *q, const float *nid, size_t rows,
                                size_t *keep) {
    const edl__vocab *v = &c->vocab;
    const size_t nw = v->nwords, nl = v->nlabels, dim = c->dim, nsubq = (dim + q->dsub - 1) / q->dsub;
    size_t *lens = malloc((nl + 1) * sizeof *lens);
    if (!lens) return edl__fail(EDL_ERR_NOMEM, "edl_textclf_quantize: no memory");
    for (size_t i = 0; i < nl; i++) lens[i] = (size_t)(v->offsets[nw + i + 1] - v->offsets[nw + i]);
    edl__ft_qmatrix qin = {.qnorm = q->qnorm, .pq = {.nsubq = (int32_t)nsubq}};
    edl__ft_qmatrix qout = {.qnorm = q->qnorm, .pq = {.nsubq = (int32_t)((dim + 1) / 2)}};
    edl__ft_model fm = {.args = fasttext_args(c),
                        .lens = lens,
                        .nlabels = (int32_t)nl,
                        .in_rows = 0,
                        .out_rows = (int64_t)nl,
                        .qin = &qin,
                        .qout = q->qout ? &qout : NULL,
                        .pruneidx_size = 0};
    uint64_t size = edl__ft_size(&fm);
    size_t n = 0;
    for (; n < rows; n++) {
        size_t r = (size_t)nid[2 * n + 1];
        uint64_t row = nsubq + (q->qnorm ? 1 : 0) + (r < nw ? (uint64_t)(v->offsets[r + 1] - v->offsets[r]) + 10 : 8);
        if (size + row > q->max_bytes) break;
        size += row;
    }
    uint64_t empty = edl__ft_size(&fm);
    free(lens);
    if (n < 256 && n < rows) /* product quantization's 256 centroids need as many rows */
        return edl__fail(EDL_ERR_ARG,
                         "edl_textclf_quantize: %llu bytes hold %zu rows, fewer than the 256 product quantization "
                         "needs (the file without rows is %llu bytes: its codebooks, labels and output)",
                         (unsigned long long)q->max_bytes, n, (unsigned long long)empty);
    *keep = n;
    return EDL_OK;
}

/* -retrain: the classifier cut to its kept rows, as fastText's pruned dictionary makes it: the kept
   words (words[0..kw)) and every label, the kept buckets through pairs (bucket, row), input rows
   x (kw + kg of them) and the output out; then fastText's trainer on q->input. The trained rows
   are copied back into x and out. */
static edl_status retrain_kept(const edl_textclf *c, const char **words, const size_t *lens, const int64_t *counts,
                               size_t kw, const int32_t *pairs, size_t kg, float *x, float *out, size_t out_n,
                               const edl_quantize_args *q) {
    const size_t nl = c->vocab.nlabels, dim = c->dim;
    edl_textclf *p = calloc(1, sizeof *p);
    if (!p) return edl__fail(EDL_ERR_NOMEM, "edl_textclf_quantize: no memory");
    p->loss = c->loss, p->neg = c->neg, p->dim = dim, p->word_ngrams = c->word_ngrams, p->minn = c->minn;
    p->maxn = c->maxn, p->fasttext = c->fasttext;
    edl_status s = edl__vocab_init(&p->vocab, c->vocab.label);
    for (size_t i = 0; s == EDL_OK && i < kw + nl; i++) {
        s = edl__vocab_add(&p->vocab, words[i], lens[i]);
        if (s == EDL_OK) p->vocab.counts[i] = counts[i];
    }
    if (s == EDL_OK) p->vocab.nwords = kw, p->vocab.nlabels = nl;
    if (s == EDL_OK && !(p->prune.pairs = malloc((kg + 1) * 2 * sizeof *p->prune.pairs)))
        s = edl__fail(EDL_ERR_NOMEM, "edl_textclf_quantize: no memory");
    if (s == EDL_OK) {
        memcpy(p->prune.pairs, pairs, kg * 2 * sizeof *pairs);
        qsort(p->prune.pairs, kg, 2 * sizeof *pairs, by_bucket);
        p->prune.n = kg, p->prune.active = 1;
    }
    if (s == EDL_OK && p->loss == EDL_TEXTCLF_HS) s = edl__textclf_build_tree(p);
    if (s == EDL_OK) { /* the table's rows: the kept words, then the kept buckets */
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = dim;
        p->bucket = c->bucket; /* the lines hash into the model's buckets */
        s = edl__textclf_make_model(p, &a, kw + kg, 0);
    }
    float *pin = NULL, *pout = NULL;
    if (s == EDL_OK) {
        pin = edl_model_tensor(p->m, 0, "weight", NULL), pout = edl_model_tensor(p->m, 1, "weight", NULL);
        memcpy(pin, x, (kw + kg) * dim * sizeof *x), memcpy(pout, out, out_n * sizeof *out);
        s = edl__textclf_train_more(p, q->input, q);
    }
    if (s == EDL_OK) memcpy(x, pin, (kw + kg) * dim * sizeof *x), memcpy(out, pout, out_n * sizeof *out);
    edl_textclf_free(p);
    return s;
}

static edl_status quantize_dense(const edl_textclf *c, const edl_quantize_args *q, const char *path);

edl_status edl_textclf_quantize(const edl_textclf *c, const edl_quantize_args *q, const char *path) {
    if (!c || !q || !path) return edl__fail(EDL_ERR_ARG, "edl_textclf_quantize: an argument is NULL");
    edl_textclf tmp;
    const edl_textclf *d;
    EDL__TRY(edl__textclf_dense(c, &tmp, &d));
    edl_status s = quantize_dense(d, q, path);
    edl__textclf_dense_done(&tmp);
    return s;
}

static edl_status quantize_dense(const edl_textclf *c, const edl_quantize_args *q, const char *path) {
    static const char fn[] = "edl_textclf_quantize";
    if (edl_model_num_layers(c->m) != 2)
        return edl__fail(EDL_ERR_UNSUPPORTED, "%s: a classifier with hidden layers has no fastText form", fn);
    if (c->prune.active) return edl__fail(EDL_ERR_UNSUPPORTED, "%s: the model is pruned already", fn);
    if (q->dsub == 0 || q->dsub > c->dim)
        return edl__fail(EDL_ERR_ARG, "%s: -dsub %zu must be in [1, dim %zu]", fn, q->dsub, c->dim);
    const edl__vocab *v = &c->vocab;
    const size_t dim = c->dim, nw = v->nwords, nl = v->nlabels, rows = nw + c->bucket;
    if (q->retrain && !q->max_bytes && !(q->cutoff > 0 && q->cutoff < rows))
        return edl__fail(EDL_ERR_ARG,
                         "%s: -retrain fine-tunes the rows -cutoff keeps; -cutoff %zu keeps all %zu rows (fastText "
                         "would ignore -retrain here)",
                         fn, q->cutoff, rows);
    if (q->retrain && !q->input) return edl__fail(EDL_ERR_ARG, "%s: -retrain needs the training text", fn);
    size_t in_n = 0, out_n = 0;
    edl__table_make_all(c->m, 0); /* -cutoff ranks every row, as fastText's */
    const float *in = edl_model_tensor(c->m, 0, "weight", &in_n);
    float *out = edl_model_tensor(c->m, 1, "weight", &out_n), *out_copy = NULL;
    /* -cutoff: the rows of largest norm ("</s>" first, as fastText), words kept in their order,
       then the kept buckets in that order, mapped from their bucket by the pruned dictionary */
    size_t keep = q->cutoff > 0 && q->cutoff < rows ? q->cutoff : rows;
    const int by_norm = keep < rows || q->max_bytes > 0;
    int32_t *ids = malloc((rows ? rows : 1) * sizeof *ids), *pairs = NULL;
    float *nid = malloc((rows ? rows : 1) * 2 * sizeof *nid), *x = NULL;
    const char **words = malloc((nw + nl + 1) * sizeof *words);
    size_t *lens = malloc((nw + nl + 1) * sizeof *lens), kw = 0, kg = 0;
    int64_t *counts = malloc((nw + nl + 1) * sizeof *counts);
    edl_status s = ids && nid && words && lens && counts ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    int32_t eos = s == EDL_OK ? edl__vocab_find(v, EDL__EOS, 4, edl__text_hash(EDL__EOS, 4)) : -1;
    if (s == EDL_OK && rows >= (size_t)1 << 24) s = edl__fail(EDL_ERR_UNSUPPORTED, "%s: %zu rows", fn, rows);
    for (size_t r = 0; s == EDL_OK && r < rows; r++) { /* norms only when -cutoff sorts by them */
        const float *row = in + r * dim;
        nid[2 * r] = !by_norm ? 0.0f : (int32_t)r == eos ? INFINITY : sqrtf(edl__vec_dot(row, row, dim));
        nid[2 * r + 1] = (float)r;
    }
    if (s == EDL_OK && by_norm) qsort(nid, rows, 2 * sizeof *nid, by_norm_desc);
    if (s == EDL_OK && q->max_bytes) s = rows_that_fit(c, q, nid, rows, &keep);
    if (s == EDL_OK && !(x = malloc((keep ? keep : 1) * dim * sizeof *x)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    for (size_t i = 0; s == EDL_OK && i < keep; i++) {
        int32_t r = (int32_t)nid[2 * i + 1];
        if ((size_t)r < nw) ids[kw++] = r; /* words: sorted below */
    }
    if (s == EDL_OK) qsort(ids, kw, sizeof *ids, by_int);
    if (s == EDL_OK && keep < rows && !(pairs = malloc((keep - kw + 1) * 2 * sizeof *pairs)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    for (size_t i = 0; s == EDL_OK && i < keep; i++) {
        int32_t r = keep < rows ? (int32_t)nid[2 * i + 1] : (int32_t)i;
        if ((size_t)r < nw) continue;
        if (pairs) pairs[2 * kg] = r - (int32_t)nw, pairs[2 * kg + 1] = (int32_t)kg;
        ids[kw + kg++] = r;
    }
    for (size_t i = 0; s == EDL_OK && i < kw + kg; i++) memcpy(x + i * dim, in + (size_t)ids[i] * dim, dim * sizeof *x);
    for (size_t i = 0; s == EDL_OK && i < kw + nl; i++) {
        size_t e = i < kw ? (size_t)ids[i] : nw + (i - kw);
        words[i] = v->bytes + v->offsets[e], lens[i] = (size_t)(v->offsets[e + 1] - v->offsets[e]);
        counts[i] = v->counts[e];
    }
    if (s == EDL_OK && q->retrain && keep < rows) { /* the model is const: its output trained in a copy */
        if (!(out_copy = malloc((out_n ? out_n : 1) * sizeof *out_copy)))
            s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
        if (s == EDL_OK) memcpy(out_copy, out, out_n * sizeof *out), out = out_copy;
        if (s == EDL_OK) s = retrain_kept(c, words, lens, counts, kw, pairs, kg, x, out, out_n, q);
    }
    quant_matrix qin, qo;
    memset(&qin, 0, sizeof qin), memset(&qo, 0, sizeof qo);
    if (s == EDL_OK) s = quantize_rows(&qin, x, kw + kg, dim, q);
    float *o = NULL;
    if (s == EDL_OK && q->qout) { /* the output, a row a label (hs: the last one unused, zeros) */
        if (!(o = calloc(nl * dim + 1, sizeof *o))) s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
        if (o) memcpy(o, out, out_n * sizeof *o);
        edl_quantize_args oq = *q;
        oq.dsub = dim < 2 ? dim : 2; /* as fastText: the output's sub-vectors are 2 values, whatever -dsub */
        if (s == EDL_OK) s = quantize_rows(&qo, o, nl, dim, &oq);
        if (s != EDL_OK && strstr(edl_last_error(), "at least 256"))
            s = edl__fail(s, "%s: -qout: the output has %zu rows (labels); product quantization needs 256", fn, nl);
    }
    if (s == EDL_OK) {
        edl__ft_model fm = {.args = fasttext_args(c),
                            .words = words,
                            .lens = lens,
                            .counts = counts,
                            .nwords = (int32_t)kw,
                            .nlabels = (int32_t)nl,
                            .ntokens = v->ntokens,
                            .in = NULL,
                            .out = out,
                            .in_rows = (int64_t)(kw + kg),
                            .out_rows = (int64_t)nl,
                            .out_given = (int64_t)(out_n / dim),
                            .qin = &qin.q,
                            .qout = q->qout ? &qo.q : NULL,
                            .pruneidx = pairs,
                            .pruneidx_size = keep < rows ? (int64_t)kg : -1};
        s = edl__ft_write(path, &fm);
    }
    quant_free(&qin), quant_free(&qo);
    free(ids), free(pairs), free(nid), free(x), free(words), free(lens), free(counts), free(o), free(out_copy);
    return s;
}
