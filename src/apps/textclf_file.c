/* Text classifier files (the model's safetensors with the vocabulary as tensors and the
 * arguments as metadata) and line-by-line text reading. */
#include "textclf.h"

#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

static const char *loss_name(edl_textclf_loss l) {
    return l == EDL_TEXTCLF_HS ? "hs" : l == EDL_TEXTCLF_OVA ? "ova" : "softmax";
}

edl_status edl_textclf_save(const edl_textclf *c, const char *path) {
    if (!c || !path) return edl__fail(EDL_ERR_ARG, "edl_textclf_save: an argument is NULL");
    char nwords[32], nlabels[32], ngrams[32], bucket[32], dim[32], ntok[32];
    snprintf(nwords, sizeof nwords, "%zu", c->vocab.nwords);
    snprintf(nlabels, sizeof nlabels, "%zu", c->vocab.nlabels);
    snprintf(ngrams, sizeof ngrams, "%zu", c->word_ngrams);
    snprintf(bucket, sizeof bucket, "%zu", c->bucket);
    snprintf(dim, sizeof dim, "%zu", c->dim);
    snprintf(ntok, sizeof ntok, "%lld", (long long)c->vocab.ntokens);
    const char *keys[] = {"textclf.format", "textclf.loss", "textclf.label", "textclf.nwords", "textclf.nlabels",
                          "textclf.word_ngrams", "textclf.bucket", "textclf.dim", "textclf.ntokens", "textclf.args"};
    const char *vals[] = {"1", loss_name(c->loss), c->vocab.label, nwords, nlabels, ngrams, bucket, dim, ntok, c->args};
    const edl_tensor extra[3] = {
        {"vocab.bytes", EDL_DTYPE_U8, 1, {c->vocab.nbytes, 0}, c->vocab.bytes},
        {"vocab.offsets", EDL_DTYPE_I64, 1, {c->vocab.size + 1, 0}, c->vocab.offsets},
        {"vocab.counts", EDL_DTYPE_I64, 1, {c->vocab.size, 0}, c->vocab.counts},
    };
    return edl_model_save_ex(c->m, path, keys, vals, sizeof keys / sizeof keys[0], extra, 3);
}

static edl_status meta_size(const edl_model *m, const char *path, const char *key, size_t *out) {
    const char *v = edl_model_meta(m, key);
    char *end;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || *end || errno || v[0] == '-') return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s is missing or not a count", path, key);
    *out = (size_t)x;
    return EDL_OK;
}

edl_status edl_textclf_load(edl_textclf **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_textclf_load: an argument is NULL");
    edl_textclf *c = calloc(1, sizeof *c);
    if (!c) return edl__fail(EDL_ERR_NOMEM, "edl_textclf_load: no memory");
    edl_status s = edl_model_load(&c->m, path);
    const edl_model *m = c->m;
    const char *loss = s == EDL_OK ? edl_model_meta(m, "textclf.loss") : NULL, *label = NULL;
    if (s == EDL_OK && !loss) s = edl__fail(EDL_ERR_FORMAT, "%s: not an edl text classifier (no textclf.loss in its metadata)", path);
    size_t nwords = 0, nlabels = 0;
    if (s == EDL_OK) {
        c->loss = !strcmp(loss, "hs") ? EDL_TEXTCLF_HS : !strcmp(loss, "ova") ? EDL_TEXTCLF_OVA : EDL_TEXTCLF_SOFTMAX;
        if (strcmp(loss, "hs") && strcmp(loss, "ova") && strcmp(loss, "softmax"))
            s = edl__fail(EDL_ERR_FORMAT, "%s: unknown textclf.loss \"%s\"", path, loss);
    }
    if (s == EDL_OK) s = meta_size(m, path, "textclf.nwords", &nwords);
    if (s == EDL_OK) s = meta_size(m, path, "textclf.nlabels", &nlabels);
    if (s == EDL_OK) s = meta_size(m, path, "textclf.word_ngrams", &c->word_ngrams);
    if (s == EDL_OK) s = meta_size(m, path, "textclf.bucket", &c->bucket);
    if (s == EDL_OK) s = meta_size(m, path, "textclf.dim", &c->dim);
    if (s == EDL_OK && !(label = edl_model_meta(m, "textclf.label"))) s = edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.label is missing", path);
    if (s == EDL_OK) s = edl__vocab_init(&c->vocab, label);
    /* the vocabulary: every offset inside the bytes and increasing, one count per entry */
    const edl_tensor *b = s == EDL_OK ? edl_model_extra(m, "vocab.bytes") : NULL, *o = NULL, *k = NULL;
    if (s == EDL_OK) {
        o = edl_model_extra(m, "vocab.offsets"), k = edl_model_extra(m, "vocab.counts");
        size_t size = nwords + nlabels;
        if (!b || !o || !k || b->dtype != EDL_DTYPE_U8 || o->dtype != EDL_DTYPE_I64 || k->dtype != EDL_DTYPE_I64 ||
            b->rank != 1 || o->rank != 1 || k->rank != 1 || o->shape[0] != size + 1 || k->shape[0] != size || nlabels == 0)
            s = edl__fail(EDL_ERR_FORMAT, "%s: vocab.bytes/offsets/counts are missing or do not hold %zu words and %zu labels", path, nwords, nlabels);
    }
    if (s == EDL_OK) {
        const int64_t *off = o->data;
        for (size_t i = 0; s == EDL_OK && i < o->shape[0]; i++)
            if (off[i] < 0 || (uint64_t)off[i] > b->shape[0] || (i > 0 && off[i] < off[i - 1]) || (i == 0 && off[0] != 0))
                s = edl__fail(EDL_ERR_FORMAT, "%s: vocab.offsets[%zu] = %lld is out of order or past the %zu bytes", path, i,
                              (long long)off[i], b->shape[0]);
    }
    /* the model matches: a table of words + buckets rows of dim, an output per label (or node) */
    if (s == EDL_OK) {
        edl_layer_info in, last;
        edl_model_layer_info(m, 0, &in);
        edl_model_layer_info(m, m->nlayers - 1, &last);
        size_t want_out = c->loss == EDL_TEXTCLF_HS ? nlabels - 1 : nlabels;
        if (in.kind != EDL_LAYER_EMBEDDING_BAG || in.rows != nwords + c->bucket || in.dim != c->dim || last.out_dim != want_out)
            s = edl__fail(EDL_ERR_FORMAT, "%s: the model's shape does not match its vocabulary (%zu words, %zu buckets, %zu labels)",
                          path, nwords, c->bucket, nlabels);
    }
    if (s == EDL_OK) {
        edl_vocab *v = &c->vocab;
        const int64_t *off = o->data, *cnt = k->data;
        for (size_t i = 0; s == EDL_OK && i < nwords + nlabels; i++) {
            const char *w = (const char *)b->data + off[i];
            size_t n = (size_t)(off[i + 1] - off[i]);
            if (n == 0) s = edl__fail(EDL_ERR_FORMAT, "%s: vocabulary entry %zu is empty", path, i);
            for (int64_t r = 0; s == EDL_OK && r < cnt[i]; r += cnt[i]) s = edl__vocab_add(v, w, n);
            if (s == EDL_OK && v->size != i + 1) s = edl__fail(EDL_ERR_FORMAT, "%s: vocabulary entry %zu appears twice", path, i);
            if (s == EDL_OK) v->counts[i] = cnt[i];
        }
        v->nwords = nwords, v->nlabels = nlabels;
        v->ntokens = 0;
    }
    if (s == EDL_OK && c->loss == EDL_TEXTCLF_HS) s = edl__textclf_build_tree(c);
    const char *args = s == EDL_OK ? edl_model_meta(m, "textclf.args") : NULL;
    if (args) snprintf(c->args, sizeof c->args, "%s", args);
    if (s != EDL_OK) {
        edl_textclf_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

/* ---- reading lines ------------------------------------------------------------------------- */

edl_status edl__reader_open(edl_text_reader *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->path = path;
    r->is_stdin = !strcmp(path, "-");
    r->f = r->is_stdin ? stdin : fopen(path, "rb");
    if (!r->f) return edl__fail(EDL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    return EDL_OK;
}

edl_status edl__reader_line(edl_text_reader *r, const char **text, size_t *len) {
    ssize_t n = getline(&r->buf, &r->cap, r->f);
    if (n < 0) {
        *text = NULL, *len = 0;
        if (ferror(r->f)) return edl__fail(EDL_ERR_IO, "%s: read error after line %zu: %s", r->path, r->line, strerror(errno));
        return EDL_OK;
    }
    r->line++;
    if (n > 0 && r->buf[n - 1] == '\n') n--;
    if (n > 0 && r->buf[n - 1] == '\r') n--;
    *text = r->buf, *len = (size_t)n;
    return EDL_OK;
}

void edl__reader_close(edl_text_reader *r) {
    if (r->f && !r->is_stdin) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}
