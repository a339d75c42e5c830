/* Word vectors as safetensors: the table as "0.weight" (so the file is also an edl model,
 * embedding_bag(rows=n,dim=d), that edl summary reads), the words as vocab.bytes/offsets. A text
 * classifier's or word-vector model's file gives its words' vectors. */
#include "text/vectors.h"

#include "io/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

edl_status edl__vectors_write_safetensors(const edl_vectors *v, const char *path) {
    char spec[128], ns[32], ds[32];
    snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=%zu,pool=mean) loss(mse)", v->n, v->dim);
    snprintf(ns, sizeof ns, "%zu", v->n);
    snprintf(ds, sizeof ds, "%zu", v->dim);
    const char *keys[] = {"edl.format", "edl.version", "edl.spec", "vectors.count", "vectors.dim"};
    const char *vals[] = {"edl-model-1", edl_version_string(), spec, ns, ds};
    const edl_tensor t[3] = {
        {"0.weight", EDL_DTYPE_F32, 2, {v->n, v->dim}, v->data},
        {"vocab.bytes", EDL_DTYPE_U8, 1, {v->vocab.nbytes, 0}, v->vocab.bytes},
        {"vocab.offsets", EDL_DTYPE_I64, 1, {v->n + 1, 0}, v->vocab.offsets},
    };
    return edl__st_write(path, keys, vals, 5, t, 3);
}

/* A model without a vocabulary: its table's rows, named "user:ID" and "item:ID" for a
   recommender (users first), else by their index. The table is taken, not copied. */
static edl_status table_rows(edl_vectors **out, edl_model *m, const char *path, const edl_layer_info *in) {
    const edl_tensor *uids = edl_model_extra(m, "rec.user_ids"), *iids = edl_model_extra(m, "rec.item_ids");
    int rec = uids && iids && uids->dtype == EDL_DTYPE_I64 && iids->dtype == EDL_DTYPE_I64 && uids->rank == 1 && iids->rank == 1 &&
              uids->shape[0] + iids->shape[0] == in->rows;
    edl_vectors *v = NULL;
    edl_status s = m->layers[0].w_off == 0 ? edl__vectors_alloc(&v, 0, in->dim)
                                           : edl__fail(EDL_ERR_FORMAT, "%s: the table is not the first tensor", path);
    if (s == EDL_OK) {
        free(v->data);
        v->data = m->params, m->params = NULL, m->nparams = 0;
    }
    for (size_t i = 0; s == EDL_OK && i < in->rows; i++) {
        char name[48], where[600];
        if (rec && i < uids->shape[0]) snprintf(name, sizeof name, "user:%lld", (long long)((const int64_t *)uids->data)[i]);
        else if (rec) snprintf(name, sizeof name, "item:%lld", (long long)((const int64_t *)iids->data)[i - uids->shape[0]]);
        else snprintf(name, sizeof name, "%zu", i);
        snprintf(where, sizeof where, "%s: row %zu", path, i);
        s = edl__vectors_add_word(v, name, strlen(name), where);
    }
    edl_model_free(m);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

edl_status edl__vectors_read_safetensors(edl_vectors **out, const char *path) {
    edl_model *m = NULL;
    EDL__TRY(edl_model_load(&m, path));
    edl__vectors_file f;
    edl_status s = edl__check_vectors(m, path, &f); /* as its kind: a classifier's words are its first nwords */
    edl_layer_info in;
    edl_model_layer_info(m, 0, &in);
    if (s == EDL_OK && !f.has_words) return table_rows(out, m, path, &in);
    const size_t n = f.words.n;
    edl_vectors *v = NULL;
    if (s == EDL_OK) s = edl__vectors_alloc(&v, 0, in.dim);
    if (s == EDL_OK) {
        /* take the table rather than copy it: it may be gigabytes */
        free(v->data);
        v->data = m->params + m->layers[0].w_off;
        if (m->layers[0].w_off != 0) s = edl__fail(EDL_ERR_FORMAT, "%s: the table is not the first tensor", path);
        else m->params = NULL, m->nparams = 0;
        if (s != EDL_OK) v->data = NULL;
    }
    const int64_t *off = f.words.off;
    for (size_t i = 0; s == EDL_OK && i < n; i++) {
        char where[600];
        snprintf(where, sizeof where, "%s: word %zu", path, i);
        s = edl__vectors_add_word(v, f.words.bytes + off[i], (size_t)(off[i + 1] - off[i]), where);
    }
    edl_model_free(m);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}
