/* Model files as hostile input (issue 18): counts in the metadata that wrap, Huffman counts that
 * overflow, duplicate JSON keys and NULs, headers of many tensors, and hs prediction as a pruned
 * search that must give exactly the exhaustive top k. */
#include "harness.h"
#include "text/textclf.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "model/model.h"

#include <time.h>
#include <unistd.h>

static void temp_dir(char *out, size_t size) {
    snprintf(out, size, "/tmp/edl-mf-XXXXXX");
    if (!mkdtemp(out)) out[0] = '\0';
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A safetensors file from a header text and data bytes. */
static void write_raw(const char *path, const char *header, const void *data, size_t ndata) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    uint64_t hlen = strlen(header);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(hlen >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(header, 1, hlen, f);
    if (ndata) fwrite(data, 1, ndata, f);
    fclose(f);
}

/* A classifier file from its parts: the table (rows x dim), the output layer (out rows), the
   vocabulary (entries with counts), the metadata counts as strings (NULL: the true value). The
   weights are random, the output rows scaled by wscale so hs branches are decisive. */
typedef struct {
    const char *loss; /* "softmax", "ova" or "hs" */
    size_t rows, dim, out;
    const char *const *entries; /* words, then labels */
    const int64_t *counts;
    size_t nentries;
    const char *nwords, *nlabels, *bucket, *word_ngrams;
    float wscale;
} clf_parts;

static edl_status write_clf(const char *path, const clf_parts *p, uint64_t seed) {
    char spec[256];
    snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=%zu,pool=mean) dense(%zu,bias=0) loss(%s)", p->rows, p->dim,
             p->out, strcmp(p->loss, "softmax") ? "bce" : "softmax");
    edl_model *m = NULL;
    edl_status s = edl_model_from_spec(&m, spec, EDL_INIT_TORCH, seed);
    if (s != EDL_OK) return s;
    size_t nw_true = 0;
    for (size_t i = 0; i < p->nentries; i++) nw_true += strncmp(p->entries[i], "__label__", 9) != 0;
    size_t cnt;
    float *wo = edl_model_tensor(m, 1, "weight", &cnt);
    for (size_t i = 0; wo && i < cnt; i++) wo[i] *= p->wscale ? p->wscale : 1.0f;
    size_t nbytes = 0;
    for (size_t i = 0; i < p->nentries; i++) nbytes += strlen(p->entries[i]);
    char *bytes = malloc(nbytes + 1);
    int64_t *offs = malloc((p->nentries + 1) * sizeof *offs);
    offs[0] = 0;
    for (size_t i = 0; i < p->nentries; i++) {
        size_t n = strlen(p->entries[i]);
        memcpy(bytes + offs[i], p->entries[i], n);
        offs[i + 1] = offs[i] + (int64_t)n;
    }
    char nw[32], nl[32], bk[32], dm[32];
    snprintf(nw, sizeof nw, "%zu", nw_true);
    snprintf(nl, sizeof nl, "%zu", p->nentries - nw_true);
    snprintf(bk, sizeof bk, "%zu", p->rows - nw_true);
    snprintf(dm, sizeof dm, "%zu", p->dim);
    const char *keys[] = {"textclf.format",  "textclf.loss",        "textclf.label",  "textclf.nwords",
                          "textclf.nlabels", "textclf.word_ngrams", "textclf.bucket", "textclf.dim",
                          "textclf.ntokens", "textclf.args"};
    const char *vals[] = {"1",
                          p->loss,
                          "__label__",
                          p->nwords ? p->nwords : nw,
                          p->nlabels ? p->nlabels : nl,
                          p->word_ngrams ? p->word_ngrams : "2",
                          p->bucket ? p->bucket : bk,
                          dm,
                          "0",
                          ""};
    const edl_tensor extra[3] = {
        {"vocab.bytes", EDL_DTYPE_U8, 1, {nbytes, 0}, bytes},
        {"vocab.offsets", EDL_DTYPE_I64, 1, {p->nentries + 1, 0}, offs},
        {"vocab.counts", EDL_DTYPE_I64, 1, {p->nentries, 0}, p->counts},
    };
    s = edl_model_save_ex(m, path, keys, vals, 10, extra, 3);
    free(bytes), free(offs);
    edl_model_free(m);
    return s;
}

static void predict_some(const edl_textclf *c) {
    int64_t lab[4];
    float pr[4];
    size_t n = 0;
    const char *lines[] = {"a b c", "c c a b", "zz a", ""};
    for (size_t i = 0; i < 4; i++) CHECK_OK(edl_textclf_predict(c, lines[i], strlen(lines[i]), 4, 0.0f, lab, pr, &n));
}

/* Issue 18, item 1: textclf.nwords = 2^64 - 1 makes nwords + nlabels and nwords + bucket wrap back
   to the true sizes, so every old check passed and prediction read past the table. */
TEST(textclf_counts_that_wrap_are_refused) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/clf.safetensors", dir);
    const char *ent[] = {"a", "b", "c", "__label__x", "__label__y"};
    const int64_t cnt[] = {5, 4, 3, 2, 1};
    clf_parts p = {"softmax", 10, 4, 2, ent, cnt, 5, NULL, NULL, NULL, NULL, 1};
    edl_textclf *c = NULL;
    CHECK_OK(write_clf(path, &p, 1));
    CHECK_OK(edl_textclf_load(&c, path)); /* the honest file */
    if (c) predict_some(c);
    edl_textclf_free(c), c = NULL;
    /* nwords = 2^64-1 with a one-entry vocabulary: nwords + nlabels = 1 entry, + bucket = 10 rows */
    clf_parts w = {"softmax", 10, 4, 2, ent + 3, cnt + 3, 1, "18446744073709551615", "2", "11", NULL, 1};
    CHECK_OK(write_clf(path, &w, 1));
    CHECK_STATUS(edl_textclf_load(&c, path), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(path);
    CHECK_ERROR_HAS("textclf.nwords");
    CHECK(c == NULL);
    if (c) predict_some(c);
    edl_textclf_free(c), c = NULL;
    /* nwords + bucket past what the int32 ids reach, and counts that are not decimal counts */
    const struct {
        const char *nwords, *nlabels, *bucket, *ngrams, *why;
    } bad[] = {
        {"3", "2", "2147483648", NULL, "textclf.bucket"}, {"-1", NULL, NULL, NULL, "textclf.nwords"},
        {"3 ", NULL, NULL, NULL, "textclf.nwords"},       {"+3", NULL, NULL, NULL, "textclf.nwords"},
        {"", NULL, NULL, NULL, "textclf.nwords"},         {NULL, "18446744073709551616", NULL, NULL, "textclf.nlabels"},
        {NULL, "0", NULL, NULL, "textclf.nlabels"},       {NULL, "3", NULL, NULL, "textclf.nlabels"},
        {NULL, NULL, "8", NULL, "textclf.bucket"},        {NULL, NULL, NULL, "0x2", "textclf.word_ngrams"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        clf_parts b = {"softmax",     10, 4, 2, ent, cnt, 5, bad[i].nwords, bad[i].nlabels, bad[i].bucket,
                       bad[i].ngrams, 1};
        CHECK_OK(write_clf(path, &b, 1));
        edl_status s = edl_textclf_load(&c, path);
        if (s != EDL_ERR_FORMAT || !strstr(edl_last_error(), bad[i].why))
            FAILF("case %zu: status %d, error \"%s\" does not name %s", i, (int)s, edl_last_error(), bad[i].why);
        edl_textclf_free(c), c = NULL;
    }
    /* a classifier read as word vectors takes its first nwords entries: the same checked count */
    clf_parts v = {"softmax", 10, 4, 2, ent, cnt, 5, "3x", NULL, NULL, NULL, 1};
    CHECK_OK(write_clf(path, &v, 1));
    edl_vectors *vec = NULL;
    CHECK_STATUS(edl_vectors_read(&vec, path, EDL_VEC_SAFETENSORS), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("textclf.nwords");
    edl_vectors_free(vec);
    harness_remove_dir(dir);
}

/* Issue 18, item 2: hs label counts of 1e15 and more broke the Huffman tree's sentinel (a heap
   overflow), and counts whose sum passes 2^63 overflow fastText's int64 sums. */
TEST(textclf_hs_label_counts_cannot_overflow) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/hs.safetensors", dir);
    const char *ent[] = {"a", "b", "c", "__label__x", "__label__y", "__label__z"};
    const struct {
        int64_t l0, l1, l2;
        edl_status want;
    } cases[] = {
        {1000000000000000, 1000000000000000, 1000000000000000, EDL_OK}, /* at the old sentinel */
        {4000000000000000000, 1000000000000000, 1, EDL_OK},             /* past it, the sum fits */
        {(int64_t)1 << 62, (int64_t)1 << 62, (int64_t)1 << 62, EDL_ERR_FORMAT},
        {INT64_MAX, 1, 1, EDL_ERR_FORMAT},
        {INT64_MAX, INT64_MAX, INT64_MAX, EDL_ERR_FORMAT},
        {5, 0, 0, EDL_ERR_FORMAT},  /* a label never seen */
        {-1, 1, 1, EDL_ERR_FORMAT}, /* negative */
        {1, 2, 3, EDL_ERR_FORMAT},  /* not in fastText's order (most frequent first) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int64_t cnt[] = {9, 8, 7, cases[i].l0, cases[i].l1, cases[i].l2};
        clf_parts p = {"hs", 12, 4, 2, ent, cnt, 6, NULL, NULL, NULL, NULL, 1};
        CHECK_OK(write_clf(path, &p, 3));
        edl_textclf *c = NULL;
        edl_status s = edl_textclf_load(&c, path);
        if (s != cases[i].want)
            FAILF("case %zu: status %d, want %d (%s)", i, (int)s, (int)cases[i].want, edl_last_error());
        if (s != EDL_OK && !strstr(edl_last_error(), "vocab.counts"))
            FAILF("case %zu: \"%s\" does not name vocab.counts", i, edl_last_error());
        if (c) predict_some(c);
        edl_textclf_free(c);
    }
    harness_remove_dir(dir);
}

/* Issue 18, item 4: duplicate keys (Python keeps the last, edl kept the first) and \u0000 (which
   cut names short) are refused by the JSON reader itself, at their byte. */
/* The container reads any safetensors file as a table of tensors and metadata, builds no model,
   and its typed getters check every number they hand back. */
TEST(container_reads_tensors_and_checked_metadata) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    unsigned char data[49] = {0};
    const float x[2] = {1.5f, -2.0f};
    const int64_t off[3] = {0, 2, 5};
    memcpy(data, x, 8);
    memcpy(data + 8, "abcde", 5);
    memcpy(data + 13, off, 24);
    write_raw(path,
              "{\"__metadata__\":{\"a\":\"12\",\"b\":\"012\",\"c\":\"\",\"d\":\"-1\",\"e\":\"99999999999999999999\","
              "\"f\":\"1 \"},"
              "\"y\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[37,49]},"
              "\"s.offsets\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[13,37]},"
              "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"s.bytes\":{\"dtype\":\"U8\",\"shape\":[5],\"data_offsets\":[8,13]}}",
              data, sizeof data);
    edl__st *st = NULL;
    CHECK_OK(edl__st_open(&st, path));
    if (!st) return;
    CHECK(edl__st_count(st) == 4 && edl__st_nmeta(st) == 6);
    const char *names[4] = {"x", "s.bytes", "s.offsets", "y"}; /* data order */
    for (size_t i = 0; i < 4; i++)
        CHECK(!strcmp(edl__st_at(st, i)->name, names[i]) && edl__st_find(st, names[i]) == edl__st_at(st, i));
    const edl__st_tensor *y = edl__st_find(st, "y");
    CHECK(y && !strcmp(y->dtype, "F16") && y->esize == 2 && y->rank == 2 && y->shape[0] == 2 && y->shape[1] == 3 &&
          y->begin == 37);
    CHECK(edl__st_find(st, "z") == NULL && edl__st_meta(st, "z") == NULL && !strcmp(edl__st_meta(st, "a"), "12"));
    size_t n = 0;
    CHECK_OK(edl__st_get_count(st, "a", 100, &n));
    CHECK(n == 12);
    CHECK_OK(edl__st_get_count(st, "b", 100, &n));
    CHECK(n == 12);
    CHECK_STATUS(edl__st_get_count(st, "a", 11, &n), EDL_ERR_FORMAT);
    CHECK(strstr(edl_last_error(), "c.safetensors: metadata a = 12 is more than 11") != NULL);
    const char *bad[] = {"c", "d", "e", "f"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_STATUS(edl__st_get_count(st, bad[i], UINT64_MAX, &n), EDL_ERR_FORMAT);
        CHECK(strstr(edl_last_error(), "is not a count") != NULL);
    }
    CHECK_STATUS(edl__st_get_count(st, "g", 100, &n), EDL_ERR_FORMAT);
    CHECK(strstr(edl_last_error(), "metadata g is missing") != NULL);
    const void *p = NULL;
    CHECK_OK(edl__st_get_array(st, "x", EDL_DTYPE_F32, 2, &p));
    CHECK(p && ((const float *)p)[0] == 1.5f && ((const float *)p)[1] == -2.0f);
    CHECK_STATUS(edl__st_get_array(st, "x", EDL_DTYPE_I64, 2, &p), EDL_ERR_FORMAT);
    CHECK(strstr(edl_last_error(), "tensor x is F32 of rank 1, not I64 of rank 1") != NULL);
    CHECK_STATUS(edl__st_get_array(st, "x", EDL_DTYPE_F32, 3, &p), EDL_ERR_FORMAT);
    CHECK(strstr(edl_last_error(), "tensor x holds 2 values, but the metadata says 3") != NULL);
    CHECK_STATUS(edl__st_get_array(st, "y", EDL_DTYPE_U8, SIZE_MAX, &p), EDL_ERR_FORMAT);
    edl__strings str;
    CHECK_OK(edl__st_get_strings(st, "s", 2, &str));
    CHECK(str.n == 2 && str.nbytes == 5 && !memcmp(str.bytes + str.off[1], "cde", 3) && str.off[2] == 5);
    CHECK_STATUS(edl__st_get_strings(st, "s", 3, &str), EDL_ERR_FORMAT);
    float back[2];
    CHECK_OK(edl__st_read(st, edl__st_find(st, "x"), back));
    CHECK(back[0] == 1.5f && back[1] == -2.0f);
    edl__st_close(st);
    /* a table of tensors is not a model: edl_model_load wants edl.spec */
    edl_model *m = NULL;
    CHECK_STATUS(edl_model_load(&m, path), EDL_ERR_FORMAT);
    CHECK(strstr(edl_last_error(), "no edl.spec") != NULL);
    /* a model's file is a table too: its layers' tensors as saved */
    CHECK_OK(
        edl_model_from_spec(&m, "embedding_bag(rows=7,dim=3,pool=mean) dense(2) loss(softmax)", EDL_INIT_TORCH, 5));
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
    CHECK_OK(edl__st_open(&st, path));
    if (st) {
        size_t cnt;
        const float *w = edl_model_tensor(m, 0, "weight", &cnt);
        const edl__st_tensor *t = edl__st_find(st, "0.weight");
        float got[21];
        CHECK(t && cnt == 21 && t->rank == 2 && t->shape[0] == 7 && t->shape[1] == 3 && edl__st_meta(st, "edl.spec"));
        if (t) CHECK_OK(edl__st_read(st, t, got));
        CHECK(!memcmp(got, w, sizeof got));
        CHECK(edl__st_find(st, "1.weight") && edl__st_find(st, "1.bias") && edl__st_count(st) == 3);
        edl__st_close(st);
    }
    edl_model_free(m);
    unlink(path);
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    unlink(path);
    rmdir(dir);
}

TEST(json_refuses_duplicate_keys_and_nul) {
    const struct {
        const char *text;
        size_t off;
        const char *why;
    } bad[] = {
        {"{\"a\":1,\"b\":2,\"a\":3}", 13, "key \"a\" appears twice"},
        {"{\"x\":[{\"k\":1,\"k\":{}}]}", 13, "key \"k\" appears twice"},
        {"{\"b\":1,\"a\":2,\"b\":3,\"a\":4}", 13, "key \"b\" appears twice"}, /* the first repetition */
        {"[\"ab\\u0000c\"]", 4, "NUL"},
        {"{\"a\\u0000\":1}", 3, "NUL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        edl__json v;
        size_t off = 0;
        edl_status s = edl__json_parse(bad[i].text, strlen(bad[i].text), &v, &off);
        if (s != EDL_ERR_FORMAT || off != bad[i].off || !strstr(edl_last_error(), bad[i].why))
            FAILF("case %zu: status %d at %zu (want %zu): %s", i, (int)s, off, bad[i].off, edl_last_error());
        if (s == EDL_OK) edl__json_free(&v);
    }
    /* many keys: each found, an absent one not, the NUL-free escapes still decoded */
    enum { N = 5000 };
    char *text = malloc(N * 24 + 64);
    size_t n = 0;
    text[n++] = '{';
    for (int i = 0; i < N; i++) n += (size_t)sprintf(text + n, "%s\"k%d\":%d", i ? "," : "", (i * 7919) % N, i);
    n += (size_t)sprintf(text + n, ",\"\\u00e9\\u0001\":1}");
    edl__json v;
    CHECK_OK(edl__json_parse(text, n, &v, NULL));
    int found = 0;
    for (int i = 0; i < N; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", (i * 7919) % N);
        const edl__json *x = edl__json_get(&v, key);
        found += x && x->type == EDL__JSON_NUMBER && x->u == (uint64_t)i;
    }
    CHECK(found == N);
    CHECK(edl__json_get(&v, "k5000") == NULL && edl__json_get(&v, "") == NULL);
    CHECK(edl__json_get(&v, "\xc3\xa9\x01") != NULL);
    edl__json_free(&v);
    /* and with a duplicate among them, refused */
    text[n - 1] = ',';
    n += (size_t)sprintf(text + n, "\"k4321\":0}");
    CHECK_STATUS(edl__json_parse(text, n, &v, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("\"k4321\" appears twice");
    free(text);

    /* the same in model files: duplicate dtype, a tensor name and a spec holding a NUL */
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    const float data[6] = {1, 2, 3, 4, 5, 6};
    const char *headers[] = {
        "{\"__metadata__\":{\"edl.spec\":\"input(2) "
        "dense(2)\"},\"1.weight\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2,2],"
        "\"data_offsets\":[0,16]},\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}",
        "{\"__metadata__\":{\"edl.spec\":\"input(2) "
        "dense(2)\"},\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
        "\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},\"1.bias\\u0000x\":{\"dtype\":\"F32\","
        "\"shape\":[0],"
        "\"data_offsets\":[24,24]}}",
        "{\"__metadata__\":{\"edl.spec\":\"input(2) dense(2)\\u0000 "
        "dense(5)\"},\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
        "\"data_offsets\":[0,16]},\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}",
        "{\"__metadata__\":{\"edl.spec\":\"input(2) dense(2)\",\"edl.spec\":\"input(2) "
        "dense(3)\"},\"1.weight\":{\"dtype\":\"F32\","
        "\"shape\":[2,2],\"data_offsets\":[0,16]},\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}"
        "}",
    };
    const char *why[] = {"key \"dtype\" appears twice", "NUL", "NUL", "key \"edl.spec\" appears twice"};
    for (size_t i = 0; i < 4; i++) {
        write_raw(path, headers[i], data, sizeof data);
        edl_model *m = NULL;
        edl_status s = edl_model_load(&m, path);
        if (s != EDL_ERR_FORMAT || !strstr(edl_last_error(), why[i]) || !strstr(edl_last_error(), "byte "))
            FAILF("file %zu: status %d: \"%s\" lacks \"%s\" or a byte", i, (int)s, edl_last_error(), why[i]);
        edl_model_free(m);
    }
    harness_remove_dir(dir);
}

/* Issue 18, item 3: loading was quadratic in the number of tensors (120k tensors took 53 s).
   100k extras and 2000 layers must load in a few seconds even under the sanitizers. */
TEST(model_load_is_not_quadratic_in_tensors) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/many.safetensors", dir);
    enum { EXTRAS = 100000 };
    size_t cap = (size_t)EXTRAS * 80 + 4096, n = 0;
    char *h = malloc(cap);
    n += (size_t)sprintf(
        h + n, "{\"__metadata__\":{\"edl.spec\":\"input(2) dense(2)\"},\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],"
               "\"data_offsets\":[0,16]},\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}");
    for (int i = 0; i < EXTRAS; i++)
        n += (size_t)sprintf(h + n, ",\"x%d\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[%d,%d]}", i, 24 + i,
                             25 + i);
    sprintf(h + n, "}");
    unsigned char *data = calloc(24 + EXTRAS, 1);
    write_raw(path, h, data, 24 + EXTRAS);
    edl_model *m = NULL;
    double t0 = now_s();
    CHECK_OK(edl_model_load(&m, path));
    double t1 = now_s() - t0;
    CHECK(m && edl_model_extra(m, "x99999") && edl_model_extra(m, "x0"));
    edl_model_free(m), m = NULL;
    if (t1 > 5.0) FAILF("loading %d tensors took %.2f s", EXTRAS + 2, t1);
    /* many layers: each layer's tensors found without a scan of all of them */
    enum { LAYERS = 2000 };
    char *spec = malloc(LAYERS * 12 + 32);
    size_t k = (size_t)sprintf(spec, "input(1)");
    for (int l = 0; l < LAYERS; l++) k += (size_t)sprintf(spec + k, " dense(1)");
    CHECK_OK(edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 1));
    if (m) CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
    edl_model_free(m), m = NULL;
    t0 = now_s();
    CHECK_OK(edl_model_load(&m, path));
    double t2 = now_s() - t0;
    CHECK(m && edl_model_num_layers(m) == LAYERS + 1);
    edl_model_free(m);
    if (t2 > 5.0) FAILF("loading %d layers took %.2f s", LAYERS, t2);
    fprintf(stderr, "    %d tensors loaded in %.3f s, %d layers in %.3f s\n", EXTRAS + 2, t1, LAYERS, t2);
    free(h), free(data), free(spec);
    harness_remove_dir(dir);
}

/* ---- hs prediction: the pruned tree search gives exactly the exhaustive top k ---------------- */

/* The top k of every label's probability as the old exhaustive prediction chose them: by
   probability, ties to the lower label; p < threshold left out. */
static size_t exhaustive_topk(const float *probs, size_t nl, size_t k, float threshold, int64_t *lab, float *pr) {
    size_t count = 0;
    for (size_t i = 0; i < nl; i++) {
        float p = probs[i];
        if (p < threshold) continue;
        size_t pos = count < k ? count++ : k;
        if (pos == k && (k == 0 || p <= pr[k - 1])) continue;
        if (pos == k) pos = k - 1;
        while (pos > 0 && pr[pos - 1] < p) pr[pos] = pr[pos - 1], lab[pos] = lab[pos - 1], pos--;
        pr[pos] = p, lab[pos] = (int64_t)i;
    }
    return count;
}

/* Issue 18, item 17: hs prediction scored every label (3.2 s a line at 10M labels); now it is
   fastText's depth-first search of the tree, pruned by the k-th best and the threshold. */
TEST(textclf_hs_pruned_search_equals_exhaustive) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/hs.safetensors", dir);
    enum { WORDS = 40, LABELS = 3000, DIM = 12 };
    const size_t nent = WORDS + LABELS;
    char **ent = malloc(nent * sizeof *ent);
    int64_t *cnt = malloc(nent * sizeof *cnt);
    for (size_t i = 0; i < nent; i++) {
        ent[i] = malloc(24);
        if (i < WORDS)
            snprintf(ent[i], 24, "w%zu", i), cnt[i] = 1000 - (int64_t)i;
        else
            snprintf(ent[i], 24, "__label__%zu", i - WORDS),
                cnt[i] = 1 + 100000 / (int64_t)(i - WORDS + 1); /* Zipf, ties */
    }
    clf_parts p = {"hs", WORDS + 100, DIM, LABELS - 1, (const char *const *)ent, cnt, nent, NULL, NULL, NULL, NULL, 8};
    CHECK_OK(write_clf(path, &p, 11));
    edl_textclf *c = NULL;
    CHECK_OK(edl_textclf_load(&c, path));
    if (!c) return;
    float *probs = malloc((LABELS + DIM) * sizeof *probs), pr_want[LABELS], pr_got[LABELS];
    int64_t lab_want[LABELS], lab_got[LABELS];
    edl_rng rng;
    edl_rng_seed(&rng, 5);
    size_t visited_k1 = 0, lines = 0, mismatches = 0;
    const size_t ks[] = {1, 2, 5, 10, LABELS};
    const float ths[] = {0.0f, 1e-4f, 0.01f, 0.2f};
    for (int line = 0; line < 60; line++) {
        char text[512];
        size_t n = 0;
        int words = 1 + (int)(edl_rng_uniform(&rng) * 6);
        for (int w = 0; w < words; w++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%sw%d", w ? " " : "",
                                  (int)(edl_rng_uniform(&rng) * WORDS));
        edl__line l = {0};
        edl__features feat = edl__textclf_features(c);
        CHECK_OK(edl__line_parse(&c->vocab, text, n, &feat, &l));
        CHECK_OK(edl__textclf_probs(c, l.words, l.nwords, probs + LABELS, probs));
        for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
            for (size_t b = 0; b < sizeof ths / sizeof ths[0]; b++) {
                size_t want = exhaustive_topk(probs, LABELS, ks[a], ths[b], lab_want, pr_want), got = 0;
                CHECK_OK(edl_textclf_predict(c, text, n, ks[a], ths[b], lab_got, pr_got, &got));
                int same = got == want;
                for (size_t i = 0; same && i < got; i++)
                    same = lab_got[i] == lab_want[i] && memcmp(&pr_got[i], &pr_want[i], sizeof(float)) == 0;
                if (!same && mismatches++ < 3)
                    FAILF("line \"%s\" k %zu threshold %g: %zu labels, want %zu (first %lld %.9g, want %lld %.9g)",
                          text, ks[a], ths[b], got, want, got ? (long long)lab_got[0] : -1LL, got ? pr_got[0] : 0.0f,
                          want ? (long long)lab_want[0] : -1LL, want ? pr_want[0] : 0.0f);
            }
        /* the search looks at a small part of the tree for the best label */
        size_t visited = 0, got = 0;
        exhaustive_topk(probs, LABELS, 1, 0.0f, lab_want, pr_want);
        edl__textclf_average(c, l.words, l.nwords, probs);
        CHECK_OK(edl__textclf_hs_topk(c, probs, 1, 0.0f, lab_got, pr_got, &got, &visited));
        CHECK(got == 1 && lab_got[0] == lab_want[0]);
        visited_k1 += visited, lines++;
        edl__line_free(&l);
    }
    fprintf(stderr, "    k=1: %.1f of %d inner nodes scored a line\n", (double)visited_k1 / (double)lines, LABELS - 1);
    CHECK(visited_k1 < lines * (LABELS - 1) / 10);
    edl_textclf_free(c);
    for (size_t i = 0; i < nent; i++) free(ent[i]);
    free(ent), free(cnt), free(probs);
    harness_remove_dir(dir);
}
