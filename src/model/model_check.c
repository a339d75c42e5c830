/* What a model file of each kind must hold before anything uses it. A model file is as hostile as
 * any input, so its loaders (classifier, word vectors, recommender, and a classifier's or a
 * word-vector model's words read as vectors) call one function here each, after the container
 * and the plain model have been checked (safetensors.c) and before a single count is used: every
 * count in the metadata is a decimal number in range, agrees with the tensors' shapes and with
 * the others in checked arithmetic, and every error names the file, the field and both values. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

edl_status edl__meta_count(const edl_model *m, const char *path, const char *key, uint64_t max, size_t *out) {
    const char *v = edl_model_meta(m, key);
    if (!v) return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s is missing", path, key);
    uint64_t x = 0;
    int ok = v[0] != '\0';
    for (const char *c = v; ok && *c; c++) {
        unsigned d = (unsigned)(*c - '0');
        ok = d <= 9 && x <= (UINT64_MAX - d) / 10;
        x = ok ? x * 10 + d : x;
    }
    if (!ok) return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s = \"%.40s\" is not a count (decimal digits below 2^64)", path, key, v);
    if (x > max || x > SIZE_MAX)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s = %llu is more than %llu", path, key, (unsigned long long)x,
                         (unsigned long long)(max < SIZE_MAX ? max : SIZE_MAX));
    *out = (size_t)x;
    return EDL_OK;
}

edl_status edl__meta_sum(const char *path, const char *ka, size_t a, const char *kb, size_t b, const char *what, size_t want) {
    size_t sum;
    if (!edl__add_ok(a, b, &sum))
        return edl__fail(EDL_ERR_FORMAT, "%s: %s %zu + %s %zu overflows (%s is %zu)", path, ka, a, kb, b, what, want);
    if (sum != want) return edl__fail(EDL_ERR_FORMAT, "%s: %s %zu + %s %zu = %zu, but %s is %zu", path, ka, a, kb, b, sum, what, want);
    return EDL_OK;
}

edl_status edl__meta_extra(const edl_model *m, const char *path, const char *name, edl_dtype dt, size_t n, const void **data) {
    static const char *const dname[] = {"F32", "I64", "U8"};
    const edl_tensor *t = edl_model_extra(m, name);
    if (!t) return edl__fail(EDL_ERR_FORMAT, "%s: tensor %s is missing", path, name);
    if (t->dtype != dt || t->rank != 1)
        return edl__fail(EDL_ERR_FORMAT, "%s: tensor %s is %s of rank %zu, not %s of rank 1", path, name, dname[t->dtype], t->rank, dname[dt]);
    if (n != SIZE_MAX && t->shape[0] != n)
        return edl__fail(EDL_ERR_FORMAT, "%s: tensor %s holds %zu values, but the metadata says %zu", path, name, t->shape[0], n);
    *data = t->data;
    return EDL_OK;
}

edl_status edl__meta_strings(const edl_model *m, const char *path, size_t n, edl__strings *out) {
    const void *bytes, *off;
    EDL__TRY(edl__meta_extra(m, path, "vocab.bytes", EDL_DTYPE_U8, SIZE_MAX, &bytes));
    size_t n1;
    if (!edl__add_ok(n, 1, &n1)) return edl__fail(EDL_ERR_FORMAT, "%s: %zu entries: too many", path, n);
    EDL__TRY(edl__meta_extra(m, path, "vocab.offsets", EDL_DTYPE_I64, n1, &off));
    const size_t nbytes = edl_model_extra(m, "vocab.bytes")->shape[0];
    const int64_t *o = off;
    if (o[0] != 0) return edl__fail(EDL_ERR_FORMAT, "%s: vocab.offsets[0] = %lld, not 0", path, (long long)o[0]);
    for (size_t i = 1; i <= n; i++) {
        if (o[i] <= o[i - 1])
            return edl__fail(EDL_ERR_FORMAT, "%s: vocab.offsets[%zu] = %lld is not above vocab.offsets[%zu] = %lld (entry %zu would be empty or reversed)",
                             path, i, (long long)o[i], i - 1, (long long)o[i - 1], i - 1);
        if ((uint64_t)o[i] > nbytes)
            return edl__fail(EDL_ERR_FORMAT, "%s: vocab.offsets[%zu] = %lld is past vocab.bytes (%zu bytes)", path, i, (long long)o[i], nbytes);
    }
    out->bytes = bytes, out->off = o, out->n = n, out->nbytes = nbytes;
    return EDL_OK;
}

/* Layer l's description, or a format error naming what the kind needs of it. */
static edl_status layer(const edl_model *m, const char *path, size_t l, const char *kind, edl_layer_info *in) {
    if (edl_model_layer_info(m, l, in) != EDL_OK) return edl__fail(EDL_ERR_FORMAT, "%s: a %s needs a layer %zu", path, kind, l);
    return EDL_OK;
}

/* ---- text classifier ------------------------------------------------------------------------ */

edl_status edl__check_textclf(const edl_model *m, const char *path, edl__textclf_file *f) {
    memset(f, 0, sizeof *f);
    const char *loss = edl_model_meta(m, "textclf.loss");
    if (!loss) return edl__fail(EDL_ERR_FORMAT, "%s: not an edl text classifier (no textclf.loss in its metadata)", path);
    if (edl_textclf_loss_from_name(loss, &f->loss) != EDL_OK) return edl__fail(EDL_ERR_FORMAT, "%s: unknown textclf.loss \"%.32s\"", path, loss);
    /* input ids are int32 (as fastText's): words + buckets rows must stay below 2^31 */
    EDL__TRY(edl__meta_count(m, path, "textclf.nwords", INT32_MAX, &f->nwords));
    EDL__TRY(edl__meta_count(m, path, "textclf.nlabels", INT32_MAX, &f->nlabels));
    EDL__TRY(edl__meta_count(m, path, "textclf.bucket", INT32_MAX, &f->bucket));
    EDL__TRY(edl__meta_count(m, path, "textclf.dim", INT32_MAX, &f->dim));
    EDL__TRY(edl__meta_count(m, path, "textclf.word_ngrams", INT32_MAX, &f->word_ngrams));
    if (f->nlabels == 0) return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.nlabels is 0", path);
    f->label = edl_model_meta(m, "textclf.label");
    if (!f->label || !f->label[0] || strlen(f->label) > 63)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.label (the label prefix) is missing or not 1 to 63 bytes", path);

    /* the model: a table of words + buckets rows of dim, an output per label (hs: per inner node) */
    edl_layer_info in, out;
    size_t nl = edl_model_num_layers(m);
    if (nl < 2) return edl__fail(EDL_ERR_FORMAT, "%s: a text classifier has a table and an output layer (this model has %zu layers)", path, nl);
    EDL__TRY(layer(m, path, 0, "text classifier", &in));
    EDL__TRY(layer(m, path, nl - 1, "text classifier", &out));
    if (in.kind != EDL_LAYER_EMBEDDING_BAG || in.pool != EDL_POOL_MEAN)
        return edl__fail(EDL_ERR_FORMAT, "%s: a text classifier's layer 0 is an embedding_bag with pool=mean, not %s", path, in.name);
    EDL__TRY(edl__meta_sum(path, "textclf.nwords", f->nwords, "textclf.bucket", f->bucket, "layer 0's rows", in.rows));
    if (in.rows > INT32_MAX) return edl__fail(EDL_ERR_FORMAT, "%s: layer 0's %zu rows are more than int32 ids reach", path, in.rows);
    if (in.dim != f->dim) return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.dim %zu, but layer 0's dim is %zu", path, f->dim, in.dim);
    if (out.kind != EDL_LAYER_DENSE)
        return edl__fail(EDL_ERR_FORMAT, "%s: a text classifier ends in a dense layer (%zu layers, the last %s)", path, nl, out.name);
    size_t want_out = f->loss == EDL_TEXTCLF_HS ? f->nlabels - 1 : f->nlabels;
    if (out.out_dim != want_out)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata textclf.nlabels %zu wants %zu output rows (%s), but layer %zu has %zu", path, f->nlabels,
                         want_out, loss, nl - 1, out.out_dim);
    if (nl == 2 && (out.in_dim != in.dim || out.bias))
        return edl__fail(EDL_ERR_FORMAT, "%s: the output layer reads %zu values%s; the averaged rows are %zu", path, out.in_dim,
                         out.bias ? " with a bias" : "", in.dim);
    if (f->loss == EDL_TEXTCLF_HS && nl != 2)
        return edl__fail(EDL_ERR_FORMAT, "%s: an hs classifier has no hidden layers (this one has %zu layers)", path, nl);

    /* the vocabulary: nwords + nlabels entries, offsets in order within the bytes, counts >= 1 */
    size_t size;
    if (!edl__add_ok(f->nwords, f->nlabels, &size) || size > INT32_MAX - 1)
        return edl__fail(EDL_ERR_FORMAT, "%s: textclf.nwords %zu + textclf.nlabels %zu entries are more than a vocabulary holds", path, f->nwords,
                         f->nlabels);
    EDL__TRY(edl__meta_strings(m, path, size, &f->vocab));
    const void *counts;
    EDL__TRY(edl__meta_extra(m, path, "vocab.counts", EDL_DTYPE_I64, size, &counts));
    f->counts = counts;
    for (size_t i = 0; i < size; i++)
        if (f->counts[i] < 1) return edl__fail(EDL_ERR_FORMAT, "%s: vocab.counts[%zu] = %lld; every entry was seen at least once", path, i, (long long)f->counts[i]);
    if (f->loss == EDL_TEXTCLF_HS) {
        /* fastText's Huffman tree: label counts most frequent first, their int64 sums exact */
        int64_t sum = 0;
        for (size_t l = 0; l < f->nlabels; l++) {
            int64_t c = f->counts[f->nwords + l];
            if (l > 0 && c > f->counts[f->nwords + l - 1])
                return edl__fail(EDL_ERR_FORMAT, "%s: vocab.counts[%zu] = %lld is above vocab.counts[%zu] = %lld: hs labels come most frequent first",
                                 path, f->nwords + l, (long long)c, f->nwords + l - 1, (long long)f->counts[f->nwords + l - 1]);
            if (c > INT64_MAX - sum)
                return edl__fail(EDL_ERR_FORMAT, "%s: vocab.counts[%zu] = %lld: the label counts' sum passes 2^63 - 1 (%lld before it)", path,
                                 f->nwords + l, (long long)c, (long long)sum);
            sum += c;
        }
    }
    return EDL_OK;
}

/* ---- word vectors --------------------------------------------------------------------------- */

edl_status edl__check_wordvec(const edl_model *m, const char *path, edl__wordvec_file *f) {
    memset(f, 0, sizeof *f);
    if (!edl_model_meta(m, "wordvec.nwords"))
        return edl__fail(EDL_ERR_FORMAT, "%s: not an edl word-vector model (no wordvec.nwords in its metadata)", path);
    EDL__TRY(edl__meta_count(m, path, "wordvec.nwords", INT32_MAX, &f->nwords));
    EDL__TRY(edl__meta_count(m, path, "wordvec.bucket", INT32_MAX, &f->bucket));
    EDL__TRY(edl__meta_count(m, path, "wordvec.minn", 4096, &f->minn));
    EDL__TRY(edl__meta_count(m, path, "wordvec.maxn", 4096, &f->maxn));
    if (f->maxn && (f->minn == 0 || f->minn > f->maxn))
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata wordvec.minn %zu and wordvec.maxn %zu are not 1 <= minn <= maxn", path, f->minn, f->maxn);
    f->label = edl_model_meta(m, "wordvec.label");
    if (!f->label || !f->label[0] || strlen(f->label) > 63)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata wordvec.label (the label prefix) is missing or not 1 to 63 bytes", path);
    edl_layer_info in;
    EDL__TRY(layer(m, path, 0, "word-vector model", &in));
    if (in.kind != EDL_LAYER_EMBEDDING_BAG && in.kind != EDL_LAYER_EMBEDDING)
        return edl__fail(EDL_ERR_FORMAT, "%s: a word-vector model's layer 0 is a table, not %s", path, in.name);
    EDL__TRY(edl__meta_sum(path, "wordvec.nwords", f->nwords, "wordvec.bucket", f->bucket, "layer 0's rows", in.rows));
    if (in.rows > INT32_MAX) return edl__fail(EDL_ERR_FORMAT, "%s: layer 0's %zu rows are more than int32 ids reach", path, in.rows);
    f->dim = in.dim;
    /* the file may hold entries past the words (labels seen while training): words come first */
    const edl_tensor *o = edl_model_extra(m, "vocab.offsets");
    if (!o || o->dtype != EDL_DTYPE_I64 || o->rank != 1 || o->shape[0] == 0)
        return edl__fail(EDL_ERR_FORMAT, "%s: tensor vocab.offsets is missing or not I64 of rank 1", path);
    size_t entries = o->shape[0] - 1;
    if (entries < f->nwords)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata wordvec.nwords %zu, but vocab.offsets holds %zu entries", path, f->nwords, entries);
    EDL__TRY(edl__meta_strings(m, path, entries, &f->vocab));
    const void *counts;
    EDL__TRY(edl__meta_extra(m, path, "vocab.counts", EDL_DTYPE_I64, entries, &counts));
    f->counts = counts;
    return EDL_OK;
}

/* ---- recommender ---------------------------------------------------------------------------- */

edl_status edl__check_rec(const edl_model *m, const char *path, edl__rec_file *f) {
    memset(f, 0, sizeof *f);
    const char *kind = edl_model_meta(m, "rec.model");
    if (!kind) return edl__fail(EDL_ERR_FORMAT, "%s: not an edl recommender (no rec.model in its metadata)", path);
    if (edl_rec_kind_from_name(kind, &f->kind) != EDL_OK) return edl__fail(EDL_ERR_FORMAT, "%s: unknown rec.model \"%.32s\"", path, kind);
    const char *format = edl_model_meta(m, "rec.format");
    if (!format || strcmp(format, "1")) return edl__fail(EDL_ERR_FORMAT, "%s: rec.format is not 1 (a newer edl wrote it?)", path);
    EDL__TRY(edl__meta_count(m, path, "rec.users", INT64_MAX, &f->users));
    EDL__TRY(edl__meta_count(m, path, "rec.items", INT64_MAX, &f->items));
    EDL__TRY(edl__meta_count(m, path, "rec.dim", INT64_MAX, &f->fdim));
    if (f->users == 0 || f->items == 0)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.users %zu and rec.items %zu must both be at least 1", path, f->users, f->items);
    if ((f->kind == EDL_REC_POP && f->fdim) || ((f->kind == EDL_REC_BPR || f->kind == EDL_REC_MLP) && !f->fdim))
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.dim %zu does not suit a %s model", path, f->fdim, kind);
    edl_layer_info li;
    EDL__TRY(layer(m, path, 0, "recommender", &li));
    if (li.kind != EDL_LAYER_EMBEDDING || li.pool != EDL_POOL_FLATTEN || li.len != 2)
        return edl__fail(EDL_ERR_FORMAT, "%s: layer 0 must concatenate (an embedding with len=2, pool=flatten) the user and item rows", path);
    EDL__TRY(edl__meta_sum(path, "rec.users", f->users, "rec.items", f->items, "layer 0's rows", li.rows));
    f->dim = f->fdim ? f->fdim : 1;
    if (li.dim != f->dim) return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.dim %zu wants rows of %zu, but layer 0's dim is %zu", path, f->fdim, f->dim, li.dim);
    size_t nl = edl_model_num_layers(m);
    if (f->kind != EDL_REC_MLP && nl != 1) return edl__fail(EDL_ERR_FORMAT, "%s: a %s model has only its table (this one has %zu layers)", path, kind, nl);
    if (f->kind == EDL_REC_MLP) {
        edl_layer_info d;
        EDL__TRY(layer(m, path, 1, "recommender", &d));
        if (d.kind != EDL_LAYER_DENSE || d.in_dim != 2 * f->dim)
            return edl__fail(EDL_ERR_FORMAT, "%s: the mlp's first dense layer reads %zu values, not the %zu of a user and an item row", path, d.in_dim,
                             2 * f->dim);
    }
    /* the tensors beside the table: one bias a row and the global mean, ids, seen items by user */
    size_t rows1, users1;
    if (!edl__add_ok(li.rows, 1, &rows1) || !edl__add_ok(f->users, 1, &users1))
        return edl__fail(EDL_ERR_FORMAT, "%s: rec.users %zu and rec.items %zu are too many", path, f->users, f->items);
    const void *bias, *uids, *iids, *off, *seen, *count;
    EDL__TRY(edl__meta_extra(m, path, "rec.bias", EDL_DTYPE_F32, rows1, &bias));
    EDL__TRY(edl__meta_extra(m, path, "rec.user_ids", EDL_DTYPE_I64, f->users, &uids));
    EDL__TRY(edl__meta_extra(m, path, "rec.item_ids", EDL_DTYPE_I64, f->items, &iids));
    EDL__TRY(edl__meta_extra(m, path, "rec.seen_offsets", EDL_DTYPE_I64, users1, &off));
    EDL__TRY(edl__meta_extra(m, path, "rec.item_count", EDL_DTYPE_I64, f->items, &count));
    const int64_t *o = off;
    if (o[0] != 0) return edl__fail(EDL_ERR_FORMAT, "%s: rec.seen_offsets[0] = %lld, not 0", path, (long long)o[0]);
    for (size_t u = 0; u < f->users; u++) /* every offset in order before any item is read */
        if (o[u + 1] < o[u])
            return edl__fail(EDL_ERR_FORMAT, "%s: rec.seen_offsets[%zu] = %lld is below rec.seen_offsets[%zu] = %lld", path, u + 1,
                             (long long)o[u + 1], u, (long long)o[u]);
    f->nseen = (size_t)o[f->users];
    EDL__TRY(edl__meta_extra(m, path, "rec.seen_items", EDL_DTYPE_I64, f->nseen, &seen));
    if (!edl__vec_all_finite(bias, rows1)) return edl__fail(EDL_ERR_FORMAT, "%s: rec.bias holds NaN or infinite values", path);
    const int64_t *sv = seen, *cv = count;
    for (size_t u = 0; u < f->users; u++)
        for (int64_t j = o[u]; j < o[u + 1]; j++)
            if (sv[j] < 0 || (uint64_t)sv[j] >= f->items || (j > o[u] && sv[j] <= sv[j - 1]))
                return edl__fail(EDL_ERR_FORMAT, "%s: rec.seen_items[%lld] = %lld is out of [0, rec.items %zu) or not above the one before", path,
                                 (long long)j, (long long)sv[j], f->items);
    for (size_t i = 0; i < f->items; i++)
        if (cv[i] < 0) return edl__fail(EDL_ERR_FORMAT, "%s: rec.item_count[%zu] = %lld is negative", path, i, (long long)cv[i]);
    f->bias = bias, f->user_ids = uids, f->item_ids = iids, f->seen_off = o, f->seen = sv, f->count = cv;
    return EDL_OK;
}

/* ---- vectors -------------------------------------------------------------------------------- */

edl_status edl__check_vectors(const edl_model *m, const char *path, edl__vectors_file *f) {
    memset(f, 0, sizeof *f);
    edl_layer_info in;
    if (edl_model_layer_info(m, 0, &in) != EDL_OK || (in.kind != EDL_LAYER_EMBEDDING_BAG && in.kind != EDL_LAYER_EMBEDDING))
        return edl__fail(EDL_ERR_FORMAT, "%s: not a vectors file: layer 0 is not an embedding table", path);
    f->rows = in.rows, f->dim = in.dim;
    if (!edl_model_extra(m, "vocab.bytes") && !edl_model_extra(m, "vocab.offsets")) return EDL_OK; /* rows by index */
    /* the words: a classifier's and a word-vector model's first nwords, else every entry */
    size_t n;
    if (edl_model_meta(m, "textclf.loss")) {
        edl__textclf_file t;
        EDL__TRY(edl__check_textclf(m, path, &t));
        n = t.nwords;
    } else if (edl_model_meta(m, "wordvec.nwords")) {
        edl__wordvec_file w;
        EDL__TRY(edl__check_wordvec(m, path, &w));
        n = w.nwords;
    } else {
        const edl_tensor *o = edl_model_extra(m, "vocab.offsets");
        if (!o || o->dtype != EDL_DTYPE_I64 || o->rank != 1 || o->shape[0] == 0)
            return edl__fail(EDL_ERR_FORMAT, "%s: not a vectors file: vocab.offsets is missing or not I64 of rank 1", path);
        n = o->shape[0] - 1;
        if (edl_model_meta(m, "vectors.count")) {
            size_t count;
            EDL__TRY(edl__meta_count(m, path, "vectors.count", INT64_MAX, &count));
            if (count != n) return edl__fail(EDL_ERR_FORMAT, "%s: metadata vectors.count %zu, but vocab.offsets holds %zu entries", path, count, n);
        }
    }
    if (n > in.rows) return edl__fail(EDL_ERR_FORMAT, "%s: %zu words, but layer 0 has %zu rows", path, n, in.rows);
    const edl_tensor *o = edl_model_extra(m, "vocab.offsets");
    EDL__TRY(edl__meta_strings(m, path, o && o->rank == 1 && o->shape[0] ? o->shape[0] - 1 : n, &f->words));
    f->words.n = n;
    f->has_words = 1;
    return EDL_OK;
}
