/* Text classifier files (the model's safetensors with the vocabulary as tensors and the
 * arguments as metadata). */
#include "text/textclf.h"

#include "io/file.h"

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

edl_status edl_textclf_load(edl_textclf **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_textclf_load: an argument is NULL");
    edl_textclf *c = calloc(1, sizeof *c);
    if (!c) return edl__fail(EDL_ERR_NOMEM, "edl_textclf_load: no memory");
    edl__textclf_file f;
    edl_status s = edl_model_load(&c->m, path);
    if (s == EDL_OK) s = edl__check_textclf(c->m, path, &f); /* before any count is used */
    if (s == EDL_OK) {
        c->loss = f.loss, c->dim = f.dim, c->word_ngrams = f.word_ngrams, c->bucket = f.bucket;
        s = edl__vocab_init(&c->vocab, f.label);
    }
    edl__vocab *v = &c->vocab;
    for (size_t i = 0; s == EDL_OK && i < f.vocab.n; i++) {
        s = edl__vocab_add(v, f.vocab.bytes + f.vocab.off[i], (size_t)(f.vocab.off[i + 1] - f.vocab.off[i]));
        if (s == EDL_OK && v->size != i + 1) s = edl__fail(EDL_ERR_FORMAT, "%s: vocabulary entry %zu appears twice", path, i);
        if (s == EDL_OK) v->counts[i] = f.counts[i];
    }
    if (s == EDL_OK) v->nwords = f.nwords, v->nlabels = f.nlabels, v->ntokens = 0;
    if (s == EDL_OK && c->loss == EDL_TEXTCLF_HS) s = edl__textclf_build_tree(c);
    const char *args = s == EDL_OK ? edl_model_meta(c->m, "textclf.args") : NULL;
    if (args) snprintf(c->args, sizeof c->args, "%s", args);
    if (s != EDL_OK) {
        edl_textclf_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}
