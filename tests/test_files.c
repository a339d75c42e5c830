/* Model files: save/load round trips, a reader in plain Python, the malformed-file catalogue,
 * truncation at every byte, atomic replacement; training text cut at every byte. */
#include "harness.h"
#include "model/model.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory for this test's files. */
static void temp_dir(char *out, size_t size) {
    snprintf(out, size, "/tmp/edl-test-XXXXXX");
    if (!mkdtemp(out)) out[0] = '\0';
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

static size_t count_files(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d) closedir(d);
    return n;
}

static void write_all(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) fwrite(data, 1, n, f), fclose(f);
}

TEST(save_load_round_trip) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    edl_model *m = NULL, *l = NULL;
    const char *spec = "embedding_bag(rows=50,dim=8,pool=mean,padding_idx=3) dense(16,act=relu) dropout(0.25) dense(4)";
    CHECK_OK(edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 5));
    if (!m) return;
    CHECK_OK(edl_model_freeze(m, 0, 1));
    const char *keys[2] = {"lr", "note"}, *vals[2] = {"0.1", "quote \" and \\ and \n newline"};
    const int64_t offs[3] = {0, 3, 5};
    const edl_tensor extra[2] = {{"vocab.bytes", EDL_DTYPE_U8, 1, {5, 0}, "catdo"},
                                 {"vocab.offsets", EDL_DTYPE_I64, 1, {3, 0}, offs}};
    CHECK_OK(edl_model_save_ex(m, path, keys, vals, 2, extra, 2));
    CHECK(count_files(dir) == 1); /* no temporary file left behind */
    CHECK_OK(edl_model_load(&l, path));
    if (l) {
        char sa[512], sb[512];
        CHECK_OK(edl_model_spec(m, sa, sizeof sa));
        CHECK_OK(edl_model_spec(l, sb, sizeof sb));
        CHECK(!strcmp(sa, sb));
        CHECK(l->nparams == m->nparams && memcmp(l->params, m->params, m->nparams * 4) == 0);
        CHECK(edl_model_meta(l, "lr") && !strcmp(edl_model_meta(l, "lr"), "0.1"));
        CHECK(edl_model_meta(l, "note") && !strcmp(edl_model_meta(l, "note"), vals[1]));
        CHECK(edl_model_meta(l, "edl.spec") && !strcmp(edl_model_meta(l, "edl.spec"), sa));
        CHECK(edl_model_meta(l, "missing") == NULL);
        const edl_tensor *xb = edl_model_extra(l, "vocab.bytes"), *xo = edl_model_extra(l, "vocab.offsets");
        CHECK(xb && xb->dtype == EDL_DTYPE_U8 && xb->rank == 1 && xb->shape[0] == 5 && !memcmp(xb->data, "catdo", 5));
        CHECK(xo && xo->dtype == EDL_DTYPE_I64 && xo->shape[0] == 3 && !memcmp(xo->data, offs, sizeof offs));
        CHECK(edl_model_extra(l, "vocab.none") == NULL);
        int64_t idx[5] = {1, 2, 3, 4, 49}, off[2] = {0, 2};
        edl_batch b = {.n = 2, .idx = idx, .nidx = 5, .offsets = off};
        float pa[8], pb[8];
        CHECK_OK(edl_model_predict(m, &b, pa));
        CHECK_OK(edl_model_predict(l, &b, pb));
        CHECK_EQUAL_F(pa, pb, 8);
    }
    /* saving again replaces the file whole */
    CHECK_OK(edl_model_save(l ? l : m, path, NULL, NULL, 0));
    CHECK(count_files(dir) == 1);
    edl_model_free(l);
    l = NULL;
    CHECK_OK(edl_model_load(&l, path));
    CHECK(l && edl_model_meta(l, "lr") == NULL);
    const edl_tensor bad_extra[1] = {{"0.weight", EDL_DTYPE_F32, 1, {1, 0}, vals}};
    CHECK_STATUS(edl_model_save_ex(m, path, NULL, NULL, 0, bad_extra, 1), EDL_ERR_ARG);
    const char *bad_key[1] = {"edl.spec"}, *bad_val[1] = {"x"};
    CHECK_STATUS(edl_model_save(m, path, bad_key, bad_val, 1), EDL_ERR_ARG);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir/model.safetensors", dir);
    CHECK_STATUS(edl_model_save(m, missing, NULL, NULL, 0), EDL_ERR_IO);
    CHECK_ERROR_HAS(missing);
    edl_model_free(l);
    edl_model_free(m);
    remove_dir(dir);
}

/* Python's json + struct read the file edl wrote: names, shapes and values agree. */
TEST(python_reads_saved_model) {
    char dir[64], path[128], cmd[300];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=4,dim=3) dense(2)", EDL_INIT_TORCH, 1));
    if (!m) return;
    float table[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.5f}, w[6] = {-1, 0.5f, 0, 0, 0, 2}, b[2] = {0.25f, -0.75f};
    CHECK_OK(edl_model_set_tensor(m, 0, "weight", table, 12));
    CHECK_OK(edl_model_set_tensor(m, 1, "weight", w, 6));
    CHECK_OK(edl_model_set_tensor(m, 1, "bias", b, 2));
    const char *k[1] = {"task"}, *v[1] = {"test"};
    CHECK_OK(edl_model_save(m, path, k, v, 1));
    snprintf(cmd, sizeof cmd, "python3 tests/read_safetensors.py %s", path);
    FILE *p = popen(cmd, "r");
    char out[2048] = "";
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    CHECK(p && pclose(p) == 0);
    CHECK(strstr(out, "meta task=test\n") != NULL);
    CHECK(strstr(out, "meta edl.spec=embedding_bag(rows=4,dim=3,pool=mean) dense(2) loss(softmax)\n") != NULL);
    CHECK(strstr(out, "tensor 0.weight F32 4x3 78.5 1 2 3\n") != NULL);
    CHECK(strstr(out, "tensor 1.weight F32 2x3 1.5 -1 0.5 0\n") != NULL);
    CHECK(strstr(out, "aligned 3 of 3 (2 padding tensors)\n") != NULL); /* 48 and 24 bytes: both padded */
    CHECK(strstr(out, "tensor 1.bias F32 2 -0.5 0.25 -0.75\n") != NULL);
    if (harness_failures) fprintf(stderr, "    python printed:\n%s", out);
    edl_model_free(m);
    remove_dir(dir);
}

/* ---- the malformed-file catalogue ---------------------------------------------------------- */

/* A file: 8-byte length of header, header, then data (24 bytes of floats by default). */
static void write_st(const char *path, const char *header, uint64_t hlen, const void *data, size_t ndata) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)(hlen >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    fwrite(data, 1, ndata, f);
    fclose(f);
}

#define META   "\"__metadata__\":{\"edl.spec\":\"input(2) dense(2)\"}"
#define W(off) "\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":" off "}"
#define B(off) "\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" off "}"

TEST(malformed_file_catalogue) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    float data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const struct {
        const char *header;
        size_t ndata;
        int64_t hlen; /* -1: the header's length */
        edl_status want;
        const char *why;
    } cases[] = {
        {"{" META "," W("[0,16]") "," B("[16,24]") "}", 24, -1, EDL_OK, ""},
        {"{" META "," W("[0,16]") "," B("[16,24]") "}", 24, 0, EDL_ERR_FORMAT, "header length is 0"},
        {"{" META "," W("[0,16]") "," B("[16,24]") "}", 24, INT64_MAX, EDL_ERR_FORMAT,
         "larger than the rest of the file"},
        {"{" META "," W("[0,16]") "," B("[16,24]") "}", 24, 1000, EDL_ERR_FORMAT, "larger than the rest of the file"},
        {"{not json", 0, -1, EDL_ERR_FORMAT, "not valid JSON"},
        {"[1,2,3]", 0, -1, EDL_ERR_FORMAT, "not a JSON object"},
        {"{\"__metadata__\":{\"edl.spec\":\"input(2) dense(2)\xff\"}}", 0, -1, EDL_ERR_FORMAT, "invalid UTF-8"},
        {"{" META "," W("[0,16]") "," W("[16,32]") "}", 32, -1, EDL_ERR_FORMAT, "appears twice"},
        {"{" META ",\"1.weight\":{\"dtype\":\"F33\",\"shape\":[2,2],\"data_offsets\":[0,16]}," B("[16,24]") "}", 24, -1,
         EDL_ERR_FORMAT, "unknown dtype \"F33\""},
        {"{" META "," W("[16,0]") "," B("[16,24]") "}", 24, -1, EDL_ERR_FORMAT, "reversed"},
        {"{" META "," W("[0,16]") "," B("[8,16]") "}", 16, -1, EDL_ERR_FORMAT, "an overlap"},
        {"{" META "," W("[0,16]") "," B("[20,28]") "}", 28, -1, EDL_ERR_FORMAT, "a gap"},
        {"{" META "," W("[0,16]") "," B("[16,40]") "}", 24, -1, EDL_ERR_FORMAT, "past the data"},
        {"{" META "," W("[0,16]") "," B("[16,24]") "}", 28, -1, EDL_ERR_FORMAT, "the tensors end at data byte 24"},
        {"{" META ",\"1.weight\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,16]}," B(
             "[16,24]") "}",
         24, -1, EDL_ERR_FORMAT, "overflows"},
        {"{" META ",\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}," B("[16,24]") "}", 24, -1,
         EDL_ERR_FORMAT, "not the byte span 16"},
        {"{" META ",\"1.weight\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[0,16]}," B("[16,24]") "}", 24, -1,
         EDL_ERR_FORMAT, "wrong shape"},
        {"{" META "," W("[0,16]") "," B("[16,24]") ",\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]}}",
         28, -1, EDL_ERR_UNSUPPORTED, "\"x\" has rank 0"},
        {"{" META "," W("[0,16]") "," B("[16,24]") ",\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[24,24]}}",
         24, -1, EDL_OK, ""},
        {"{" META
         "," W("[0,16]") "," B("[16,24]") ",\"7.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}",
         28, -1, EDL_ERR_FORMAT, "\"7.weight\" is not part of edl.spec"},
        {"{" META "," W("[0,16]") "," B("[16,24]") ",\"v\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[24,28]}}",
         28, -1, EDL_ERR_UNSUPPORTED, "edl reads F32, I64 and U8"},
        {"{" META "," W("[0,16]") "}", 16, -1, EDL_ERR_FORMAT, "\"1.bias\" is missing"},
        {"{" META ",\"1.weight\":{\"dtype\":\"F16\",\"shape\":[2,4],\"data_offsets\":[0,16]}," B("[16,24]") "}", 24, -1,
         EDL_ERR_UNSUPPORTED, "edl reads F32"},
        {"{" META
         ",\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16],\"extra\":1}," B("[16,24]") "}",
         24, -1, EDL_ERR_FORMAT, "unknown field \"extra\""},
        {"{" META ",\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}," B("[16,24]") "}", 24,
         -1, EDL_ERR_FORMAT, "shape[1] is not a non-negative integer"},
        {"{\"__metadata__\":{\"other\":\"x\"}," W("[0,16]") "," B("[16,24]") "}", 24, -1, EDL_ERR_FORMAT,
         "no edl.spec"},
        {"{" W("[0,16]") "," B("[16,24]") "}", 24, -1, EDL_ERR_FORMAT, "no __metadata__"},
        {"{\"__metadata__\":{\"edl.spec\":\"input(2) dense(2,act=gelu)\"}," W("[0,16]") "," B("[16,24]") "}", 24, -1,
         EDL_ERR_FORMAT, "edl.spec: spec:"},
        {"{\"__metadata__\":{\"edl.spec\":7}," W("[0,16]") "," B("[16,24]") "}", 24, -1, EDL_ERR_FORMAT,
         "is not a string"},
        {"{" META "," W("[0,16]") "," B("[16,24]") "} trailing", 24, -1, EDL_ERR_FORMAT, "text after the JSON value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t hl = strlen(cases[i].header);
        write_st(path, cases[i].header, cases[i].hlen < 0 ? hl : (uint64_t)cases[i].hlen, data, cases[i].ndata);
        edl_model *m = NULL;
        edl_status s = edl_model_load(&m, path);
        if (s != cases[i].want)
            FAILF("case %zu: status %d, want %d (%s)", i, (int)s, (int)cases[i].want, edl_last_error());
        else if (s != EDL_OK && (!strstr(edl_last_error(), cases[i].why) || !strstr(edl_last_error(), path) ||
                                 !strstr(edl_last_error(), "byte ")))
            FAILF("case %zu: error \"%s\" lacks the file, a byte offset or \"%s\"", i, edl_last_error(), cases[i].why);
        if (s != EDL_OK) CHECK(m == NULL);
        edl_model_free(m);
    }
    /* NaN and Inf weights are refused, naming the tensor and the byte */
    float nan_data[6] = {1, NAN, 3, 4, 5, 6};
    write_st(path, "{" META "," W("[0,16]") "," B("[16,24]") "}", strlen("{" META "," W("[0,16]") "," B("[16,24]") "}"),
             nan_data, 24);
    edl_model *m = NULL;
    CHECK_STATUS(edl_model_load(&m, path), EDL_ERR_NUMERIC);
    CHECK_ERROR_HAS("tensor \"1.weight\" value 1 is nan");
    float inf_data[6] = {1, 2, 3, 4, 5, -INFINITY};
    write_st(path, "{" META "," W("[0,16]") "," B("[16,24]") "}", strlen("{" META "," W("[0,16]") "," B("[16,24]") "}"),
             inf_data, 24);
    CHECK_STATUS(edl_model_load(&m, path), EDL_ERR_NUMERIC);
    CHECK_ERROR_HAS("tensor \"1.bias\" value 1 is -inf");
    /* a header length of 2^64 - 1 */
    write_st(path, "{" META "," W("[0,16]") "," B("[16,24]") "}", UINT64_MAX, data, 24);
    CHECK_STATUS(edl_model_load(&m, path), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("larger than the rest of the file");
    /* not a file at all */
    CHECK_STATUS(edl_model_load(&m, dir), EDL_ERR_IO);
    snprintf(path, sizeof path, "%s/absent", dir);
    CHECK_STATUS(edl_model_load(&m, path), EDL_ERR_IO);
    CHECK_ERROR_HAS("absent");
    remove_dir(dir);
}

/* A saved model cut at every byte: every prefix fails cleanly with the file's name. */
TEST(truncated_at_every_byte) {
    char dir[64], path[128], cut[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/whole.safetensors", dir);
    snprintf(cut, sizeof cut, "%s/cut.safetensors", dir);
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=5,dim=2) dense(3,act=relu) dense(2)", EDL_INIT_TORCH, 1));
    if (!m) return;
    CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
    size_t n = 0;
    unsigned char *whole = read_file_bytes(path, &n);
    CHECK(whole && n > 100);
    size_t failed_cleanly = 0;
    for (size_t k = 0; whole && k < n; k++) {
        write_all(cut, whole, k);
        edl_model *l = NULL;
        edl_status s = edl_model_load(&l, cut);
        if (s == EDL_OK)
            FAILF("a file cut to %zu of %zu bytes loaded", k, n);
        else
            failed_cleanly += strstr(edl_last_error(), cut) != NULL;
        edl_model_free(l);
    }
    CHECK(failed_cleanly == n);
    free(whole);
    edl_model_free(m);
    remove_dir(dir);
}

/* ---- training text cut at every byte ------------------------------------------------------- */

/* What fastText's reader makes of text, counted here independently of edl: the distinct words
   (with "</s>" once a newline is seen) and labels, the lines that are examples (a label and at
   least one word, "</s>" included) and their tokens (each line's tokens and its "</s>"). */
typedef struct {
    size_t nwords, nlabels, nexamples;
    int64_t ntokens;
} text_counts;

static int seen_before(const char *t, size_t n, const char *text, size_t upto) {
    for (size_t i = 0; i < upto;) {
        while (i < upto && isspace((unsigned char)text[i])) i++;
        size_t s = i;
        while (i < upto && !isspace((unsigned char)text[i])) i++;
        if (i > s && i - s == n && !memcmp(text + s, t, n)) return 1;
    }
    return 0;
}

static text_counts count_text(const char *text, size_t len) {
    static const char label[] = "__label__";
    text_counts c = {0, 0, 0, 0};
    const int eos = memchr(text, '\n', len) != NULL;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len, labels = 0, words = 0, tokens = 0;
        for (size_t j = i; j < e;) {
            while (j < e && isspace((unsigned char)text[j])) j++;
            size_t s = j;
            while (j < e && !isspace((unsigned char)text[j])) j++;
            if (j == s) continue;
            int is_label = j - s >= sizeof label - 1 && !memcmp(text + s, label, sizeof label - 1);
            tokens++, labels += is_label, words += !is_label;
            if (!seen_before(text + s, j - s, text, s)) c.nlabels += is_label, c.nwords += !is_label;
        }
        if (labels && (words || eos)) c.nexamples++, c.ntokens += (int64_t)tokens + 1;
        i = e + 1;
    }
    c.nwords += eos;
    return c;
}

/* fastText's format has no framing: any prefix of a training file is itself a training file (a
   word cut short is a shorter word, as fastText reads it). The promise for a cut: the prefix is
   read as exactly the text it holds (words, labels, examples and tokens as counted above), or,
   when it holds no label or no example, refused with an error naming the file. */
TEST(training_text_truncated_at_every_byte) {
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cut.txt", dir);
    const char text[] = "__label__spam win cash now\n__label__ham see you at noon\n\n"
                        "__label__spam __label__promo free offer\nno label here\n__label__ham ok\n";
    const size_t n = sizeof text - 1;
    size_t trained = 0, refused = 0;
    for (size_t k = 0; k <= n; k++) {
        write_all(path, text, k);
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = 2, a.epoch = 1, a.thread = 1;
        edl_textclf *c = NULL;
        edl_textclf_report r;
        edl_status s = edl_textclf_train(&c, path, &a, &r);
        text_counts want = count_text(text, k);
        if (want.nlabels == 0 || want.nexamples == 0) {
            if (s != EDL_ERR_FORMAT || !strstr(edl_last_error(), path))
                FAILF("cut at %zu: status %d, want a format error naming the file: %s", k, s, edl_last_error());
            refused++;
        } else if (s != EDL_OK) {
            FAILF("cut at %zu: %s", k, edl_last_error());
        } else {
            if (r.nwords != want.nwords || r.nlabels != want.nlabels || r.nexamples != want.nexamples ||
                r.ntokens != want.ntokens)
                FAILF(
                    "cut at %zu: %zu words, %zu labels, %zu examples, %lld tokens; the text holds %zu, %zu, %zu, %lld",
                    k, r.nwords, r.nlabels, r.nexamples, (long long)r.ntokens, want.nwords, want.nlabels,
                    want.nexamples, (long long)want.ntokens);
            trained++;
        }
        edl_textclf_free(c);
    }
    fprintf(stderr, "    %zu cuts of %zu bytes: %zu read as the text they hold, %zu refused (no label or no example)\n",
            n + 1, n, trained, refused);
    CHECK(trained > n / 2 && refused > 0);
    remove_dir(dir);
}
