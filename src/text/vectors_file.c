/* Word vectors as safetensors: the table as "0.weight" (so the file is also an edl model,
 * embedding_bag(rows=n,dim=d), that edl summary reads), the words as vocab.bytes/offsets. A text
 * classifier's or word-vector model's file gives its words' vectors. */
#include "text/vectors.h"

#include "io/safetensors.h"
#include "model/model_file.h"
#include "model/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

edl_status edl__vectors_write_safetensors(const edl_vectors *v, const char *path) {
    char ns[32], ds[32];
    snprintf(ns, sizeof ns, "%zu", v->n);
    snprintf(ds, sizeof ds, "%zu", v->dim);
    const char *keys[] = {"vectors.count", "vectors.dim"};
    const char *vals[] = {ns, ds};
    const edl_tensor words[2] = {
        {"vocab.bytes", EDL_DTYPE_U8, 1, {v->vocab.nbytes, 0}, v->vocab.bytes},
        {"vocab.offsets", EDL_DTYPE_I64, 1, {v->n + 1, 0}, v->vocab.offsets},
    };
    if (!v->data) { /* quantized: the qtable beside the words (no model: the table is no float layer) */
        edl__qt_files q;
        edl__qt_parts(&v->qt, &q);
        const char *k[6] = {keys[0], keys[1], q.keys[0], q.keys[1], q.keys[2], q.keys[3]};
        const char *val[6] = {vals[0], vals[1], q.vals[0], q.vals[1], q.vals[2], q.vals[3]};
        const edl_tensor t[4] = {q.t[0], q.t[1], words[0], words[1]};
        return edl__st_write(path, k, val, 6, t, 4);
    }
    return edl__model_file_write_table("edl_vectors_write", path, v->data, v->n, v->dim, keys, vals, 2, words, 2);
}

/* The words of the file, checked as its kind: a classifier's and a word-vector model's first
   nwords, else every entry of a vectors file. has_words 0: the rows are named by index. */
static edl_status check_words(edl__st *st, const edl_model *m, const edl_layer_info *in, int *has_words,
                              edl__strings *words) {
    const char *path = edl__st_path(st);
    *has_words = 0;
    if (!edl__st_find(st, "vocab.bytes") && !edl__st_find(st, "vocab.offsets")) return EDL_OK; /* rows by index */
    size_t n;
    if (edl__st_meta(st, "textclf.loss")) {
        edl__textclf_file t;
        EDL__TRY(edl__textclf_check(st, m, &t));
        n = t.nwords;
    } else if (edl__st_meta(st, "wordvec.nwords")) {
        edl__wordvec_file w;
        EDL__TRY(edl__wordvec_check(st, m, &w));
        n = w.nwords;
    } else {
        const edl__st_tensor *o = edl__st_find(st, "vocab.offsets");
        if (!o || strcmp(o->dtype, "I64") || o->rank != 1 || o->shape[0] == 0)
            return edl__fail(EDL_ERR_FORMAT, "%s: not a vectors file: vocab.offsets is missing or not I64 of rank 1",
                             path);
        n = (size_t)(o->shape[0] - 1);
        if (edl__st_meta(st, "vectors.count")) {
            size_t count;
            EDL__TRY(edl__st_get_count(st, "vectors.count", INT64_MAX, &count));
            if (count != n)
                return edl__fail(EDL_ERR_FORMAT, "%s: metadata vectors.count %zu, but vocab.offsets holds %zu entries",
                                 path, count, n);
        }
    }
    if (n > in->rows) return edl__fail(EDL_ERR_FORMAT, "%s: %zu words, but layer 0 has %zu rows", path, n, in->rows);
    const edl__st_tensor *o = edl__st_find(st, "vocab.offsets");
    EDL__TRY(edl__st_get_strings(st, "vocab", o && o->rank == 1 && o->shape[0] ? (size_t)(o->shape[0] - 1) : n, words));
    words->n = n;
    *has_words = 1;
    return EDL_OK;
}

/* Layer 0's table as v->data: in the file's bytes (mapped, or read whole where mapping is not
   used), which v keeps a reference to. A read file's values are checked finite here; a mapped
   one's are not scanned (that would page in the whole table; edl's writers refuse non-finite
   values). */
static edl_status read_table(edl__st *st, const edl__st_tensor *t, edl_vectors *v) {
    const void *p;
    EDL__TRY(edl__st_data(st, t, &p));
    const size_t count = (size_t)(t->end - t->begin) / 4;
    if (!edl__st_mapped(st))
        for (size_t i = 0; i < count; i++)
            if (!isfinite(((const float *)p)[i]))
                return edl__st_fail(st, EDL_ERR_NUMERIC, edl__st_data_start(st) + t->begin + 4 * (uint64_t)i,
                                    "tensor \"%s\" value %zu is %g", t->name, i, ((const float *)p)[i]);
    free(v->data);
    v->data = (float *)(uintptr_t)p;
    v->file = edl__st_retain(st);
    return EDL_OK;
}

/* The first n rows of a lazy table (a classifier's hashed buckets saved with only the rows
   training made): the model read as its loader reads it, the rows copied, the model let go. */
static edl_status read_lazy_table(edl__st *st, size_t n, edl_vectors *v) {
    edl_model *full = NULL;
    EDL__TRY(edl__model_from_st(st, 0, &full));
    size_t cells;
    float *data = edl__mul_ok(n ? n : 1, v->dim * sizeof(float), &cells) ? malloc(cells) : NULL;
    if (!data) {
        edl_model_free(full);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu x %zu floats", edl__st_path(st), n, v->dim);
    }
    for (size_t r = 0; r < n; r++) memcpy(data + r * v->dim, edl__table_row(full, 0, r), v->dim * sizeof(float));
    edl_model_free(full);
    free(v->data);
    v->data = data;
    return EDL_OK;
}

/* v's words: the file's (words, n of them), else "user:ID" and "item:ID" for a recommender's
   rows (users first), else each row's index. */
static edl_status name_rows(edl__st *st, edl_vectors *v, size_t rows, const edl__strings *words) {
    const char *path = edl__st_path(st);
    edl_status s = EDL_OK;
    if (words) {
        for (size_t i = 0; s == EDL_OK && i < words->n; i++) {
            const char *w = words->bytes + words->off[i];
            const size_t len = (size_t)(words->off[i + 1] - words->off[i]);
            s = edl__vectors_add_word(v, w, len, path);
            if (s != EDL_OK && s != EDL_ERR_NOMEM) { /* the message names the word's place: formatted only here */
                char where[600];
                snprintf(where, sizeof where, "%s: word %zu", path, i);
                s = edl__vectors_add_word(v, w, len, where); /* fails again, as before, saying where */
            }
        }
        return s;
    }
    const edl__st_tensor *u = edl__st_find(st, "rec.user_ids"), *it = edl__st_find(st, "rec.item_ids");
    int rec = u && it && !strcmp(u->dtype, "I64") && !strcmp(it->dtype, "I64") && u->rank == 1 && it->rank == 1 &&
              u->shape[0] + it->shape[0] == rows;
    const void *uids = NULL, *iids = NULL;
    if (rec) s = edl__st_data(st, u, &uids);
    if (rec && s == EDL_OK) s = edl__st_data(st, it, &iids);
    const size_t nu = rec ? (size_t)u->shape[0] : 0;
    for (size_t i = 0; s == EDL_OK && i < rows; i++) {
        char name[48], where[600];
        if (rec && i < nu)
            snprintf(name, sizeof name, "user:%lld", (long long)((const int64_t *)uids)[i]);
        else if (rec)
            snprintf(name, sizeof name, "item:%lld", (long long)((const int64_t *)iids)[i - nu]);
        else
            snprintf(name, sizeof name, "%zu", i);
        snprintf(where, sizeof where, "%s: row %zu", path, i);
        s = edl__vectors_add_word(v, name, strlen(name), where);
    }
    return s;
}

/* A quantized table (qtable.*) with its words (a vectors file) or a recommender's ids. */
static edl_status read_quantized(edl__st *st, edl_vectors **out) {
    const char *path = edl__st_path(st);
    const edl__st_tensor *o = edl__st_find(st, "vocab.offsets");
    edl__strings words = {0};
    size_t rows = SIZE_MAX, dim = SIZE_MAX;
    if (o) {
        if (strcmp(o->dtype, "I64") || o->rank != 1 || o->shape[0] == 0)
            return edl__st_fail(st, EDL_ERR_FORMAT, o->off, "vocab.offsets is not I64 of rank 1 with an entry");
        rows = (size_t)(o->shape[0] - 1);
        EDL__TRY(edl__st_get_strings(st, "vocab", rows, &words));
        if (edl__st_meta(st, "vectors.count")) {
            size_t count;
            EDL__TRY(edl__st_get_count(st, "vectors.count", INT64_MAX, &count));
            if (count != rows)
                return edl__fail(EDL_ERR_FORMAT, "%s: metadata vectors.count %zu, but vocab.offsets holds %zu entries",
                                 path, count, rows);
        }
    }
    if (edl__st_meta(st, "vectors.dim")) EDL__TRY(edl__st_get_count(st, "vectors.dim", INT32_MAX, &dim));
    edl__qtable qt;
    EDL__TRY(edl__qt_read(st, &qt, rows, dim));
    edl_vectors *v = NULL;
    edl_status s = edl__vectors_alloc(&v, 0, qt.dim);
    if (s == EDL_OK) {
        free(v->data), v->data = NULL;
        v->qt = qt;
        s = name_rows(st, v, qt.rows, o ? &words : NULL);
    } else {
        edl__qt_free(&qt);
    }
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

/* Any edl model file read as word vectors: only its table (layer 0, an embedding) and its words
   are read from the container; no model is built. A file without words names its rows
   "user:ID" and "item:ID" for a recommender (users first), else by their index. */
edl_status edl__vectors_read_safetensors(edl_vectors **out, const char *path) {
    edl__st *st = NULL;
    edl_model *m = NULL; /* edl.spec's layers only */
    edl_vectors *v = NULL;
    const edl__st_tensor *table = NULL;
    edl_layer_info in;
    int has_words = 0;
    edl__strings words = {0};
    edl_status s = edl__st_open(&st, path);
    if (s == EDL_OK && edl__qt_in(st)) {
        s = read_quantized(st, &v);
        edl__st_close(st);
        if (s == EDL_OK) *out = v;
        return s;
    }
    if (s == EDL_OK) s = edl__model_file_spec(st, &m);
    if (s == EDL_OK && (edl_model_layer_info(m, 0, &in) != EDL_OK ||
                        (in.kind != EDL_LAYER_EMBEDDING_BAG && in.kind != EDL_LAYER_EMBEDDING)))
        s = edl__fail(EDL_ERR_FORMAT, "%s: not a vectors file: layer 0 is not an embedding table", path);
    const int lazy = st && edl__st_find(st, "0.weight.rows") != NULL; /* a table saved with its made rows only */
    if (s == EDL_OK && !lazy) s = edl__model_file_size_check(st, 0, &in);
    if (s == EDL_OK && !lazy) s = edl__model_file_tensor(st, 0, &in, 0, 0, &table);
    if (s == EDL_OK) s = check_words(st, m, &in, &has_words, &words);
    if (s == EDL_OK) s = edl__vectors_alloc(&v, 0, in.dim);
    if (s == EDL_OK && !lazy) s = read_table(st, table, v);
    if (s == EDL_OK && lazy) s = read_lazy_table(st, has_words ? words.n : in.rows, v);
    if (s == EDL_OK) s = name_rows(st, v, in.rows, has_words ? &words : NULL);
    edl_model_free(m);
    edl__st_close(st);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

edl_status edl__vectors_into_rows(const char *path, const edl__vocab *vocab, size_t nwords, float *table, size_t dim,
                                  size_t stride) {
    edl_vectors *v = NULL;
    EDL__TRY(edl_vectors_read(&v, path, EDL_VEC_AUTO));
    edl_status s = EDL_OK;
    if (v->dim != dim) s = edl__fail(EDL_ERR_FORMAT, "%s: vectors have dim %zu, the model -dim %zu", path, v->dim, dim);
    for (size_t i = 0; s == EDL_OK && i < v->n; i++) {
        size_t len;
        const char *w = edl_vectors_word(v, i, &len);
        int32_t id = edl__vocab_find(vocab, w, len, edl__text_hash(w, len));
        if (id >= 0 && (size_t)id < nwords) edl_vectors_get(v, i, table + (size_t)id * stride);
    }
    edl_vectors_free(v);
    return s;
}
