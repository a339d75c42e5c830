/* Edges of the public API found by a hostile trial (issue 18): summaries counted from the spec
 * alone, a file argument that does not exist, empty lookups, non-finite inputs and thresholds, and
 * a program linked against the shared library. */
#include "harness.h"
#include "rec/recommend.h" /* to break a trained model's table */

#include <unistd.h>

/* The summary of the model a spec builds (edl_model_from_spec + edl_model_summary), malloc'd. */
static char *built_summary(const char *spec) {
    edl_model *m = NULL;
    if (edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 0) != EDL_OK) return NULL;
    size_t n = edl_model_summary_len(m) + 1;
    char *buf = malloc(n);
    if (buf && edl_model_summary(m, buf, n) != EDL_OK) free(buf), buf = NULL;
    edl_model_free(m);
    return buf;
}

/* The summary counted from the spec alone (edl_model_parse_spec), malloc'd; NULL on failure. */
static char *spec_summary(const char *spec) {
    edl_model *m = NULL;
    if (edl_model_parse_spec(&m, spec) != EDL_OK) return NULL;
    size_t n = edl_model_summary_len(m) + 1;
    char *buf = malloc(n);
    edl_status s = buf ? edl_model_summary(m, buf, n) : EDL_ERR_NOMEM;
    if (s == EDL_OK && strlen(buf) + 1 != n) s = EDL_ERR_ARG; /* the length is exact */
    if (s != EDL_OK) free(buf), buf = NULL;
    edl_model_free(m);
    return buf;
}

TEST(summary_from_spec_matches_built_model) {
    static const char *const specs[] = {
        "input(3) dense(2)",
        "embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dropout(0.2) dense(10)",
        "embedding(rows=100,dim=8,len=5) dense(4,act=tanh,bias=0) dense(3) loss(bce)",
        "embedding(rows=100,dim=8,len=5,pool=max,padding_idx=0,freeze=1) dense(4,act=sigmoid,init=keras) loss(mse)",
        "embedding_bag(50,4,pool=sum,sparse=0) dense(2,freeze=1) dense(7,act=relu) dropout(0.5) dense(1) loss(bce)",
        "input(1000) dense(1000,act=relu) dense(1000,act=relu) dense(1)",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char *a = built_summary(specs[i]), *b = spec_summary(specs[i]);
        if (!a || !b)
            FAILF("spec %zu: %s", i, edl_last_error());
        else if (strcmp(a, b))
            FAILF("spec %zu: the summaries differ:\n%s\n--- from the spec alone:\n%s", i, a, b);
        free(a), free(b);
    }
}

TEST(summary_from_spec_allocates_no_table) {
    /* 2^40 x 2^20 floats (4 EiB): addressable, so the spec is valid, but no machine holds it;
       the summary must come from the spec alone. */
    char *s = spec_summary("embedding_bag(rows=1099511627776,dim=1048576) dense(10)");
    CHECK(s != NULL);
    if (s) {
        CHECK(strstr(s, "1152921504606846976") != NULL);
        CHECK(strstr(s, "Total params: 1152921504617332746") != NULL); /* + 1048576 x 10 + 10 */
    }
    free(s);
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "%s summary 'embedding_bag(rows=1099511627776,dim=1048576) dense(10)' 2>&1",
             harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "Total params: 1152921504617332746") != NULL);
}

TEST(summary_from_spec_refuses_what_init_refuses) {
    edl_model *m = NULL;
    /* what edl_model_init refuses, parsing refuses too, with the same status */
    CHECK_STATUS(edl_model_parse_spec(&m, "input(3) dense(4) dropout(0.5)"), EDL_ERR_ARG);
    CHECK_ERROR_HAS("the last layer is dropout");
    CHECK(m == NULL);
    CHECK_STATUS(edl_model_from_spec(&m, "input(3) dense(4) dropout(0.5)", EDL_INIT_TORCH, 0), EDL_ERR_ARG);
    /* four 2^60-float layers: each addressable, together 2^64 bytes, which size_t cannot count */
    static const char huge[] = "embedding_bag(rows=1073741824,dim=1073741824) dense(1073741824) "
                               "dense(1073741824) dense(1073741824)";
    CHECK_STATUS(edl_model_parse_spec(&m, huge), EDL_ERR_NOMEM);
    CHECK_ERROR_HAS("overflows");
    CHECK(m == NULL);
    CHECK_STATUS(edl_model_parse_spec(&m, "input(3) dense(2,act=gelu)"), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("spec:");
    CHECK_STATUS(edl_model_parse_spec(&m, ""), EDL_ERR_FORMAT);
    CHECK_STATUS(edl_model_parse_spec(NULL, "input(3) dense(2)"), EDL_ERR_ARG);
    CHECK_STATUS(edl_model_parse_spec(&m, NULL), EDL_ERR_ARG);
    CHECK(edl_model_summary_len(NULL) == 0);
    /* a parsed model is not initialised: what needs parameters refuses it, edl_model_init builds it */
    CHECK_OK(edl_model_parse_spec(&m, "input(3) dense(2)"));
    float out[2], x[3] = {1, 2, 3};
    edl_batch b = {.n = 1, .x = x};
    CHECK_STATUS(edl_model_predict(m, &b, out), EDL_ERR_ARG);
    CHECK_OK(edl_model_init(m, EDL_INIT_TORCH, 1));
    CHECK_OK(edl_model_predict(m, &b, out));
    edl_model_free(m);
}

/* "input(4) dense(4) ... dense(4)" with layers dense layers, malloc'd. */
static char *long_spec(size_t layers) {
    char *s = malloc(16 + 10 * layers);
    if (!s) return NULL;
    size_t n = (size_t)sprintf(s, "input(4)");
    for (size_t i = 0; i < layers; i++) n += (size_t)sprintf(s + n, " dense(4)");
    return s;
}

TEST(summary_of_a_2000_layer_spec) {
    char *spec = long_spec(2000);
    CHECK(spec != NULL);
    if (!spec) return;
    char *a = spec_summary(spec);
    CHECK(a != NULL);
    /* header, rule, 2001 layer lines with 2000 thin rules between them, rule, 4 totals */
    if (a) CHECK(harness_count_lines(a) == 2 + 2001 + 2000 + 1 + 4);
    if (a) CHECK(strstr(a, "Total params: 40000 (") != NULL && strstr(a, "dense_1999 (Dense)") != NULL);
    /* the CLI prints all of it (once a 64 KiB buffer refused it) */
    char path[] = "/tmp/edl-spec-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) fputs(spec, f), fclose(f);
    size_t size = 1 << 20;
    char *out = malloc(size), cmd[600];
    snprintf(cmd, sizeof cmd, "%s summary \"$(cat %s)\"", harness_cli(), path);
    CHECK(out && harness_run(cmd, out, size) == 0);
    if (out && a) CHECK(!strcmp(out, a));
    unlink(path);
    free(out), free(a), free(spec);
}

TEST(cli_summary_of_a_missing_file) {
    char cmd[600], out[4096];
    snprintf(cmd, sizeof cmd, "%s summary missing.safetensors", harness_cli());
    CHECK(harness_run_all(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "missing.safetensors") && strstr(out, "cannot open") && strstr(out, "No such file or directory"));
    CHECK(strstr(out, "unknown layer") == NULL);
    snprintf(cmd, sizeof cmd, "%s summary /no/such/dir/model", harness_cli());
    CHECK(harness_run_all(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "/no/such/dir/model") && strstr(out, "No such file or directory"));
    snprintf(cmd, sizeof cmd, "%s summary /tmp", harness_cli());
    CHECK(harness_run_all(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "/tmp") && strstr(out, "Is a directory"));
    /* what looks like a spec still gets the spec's error */
    snprintf(cmd, sizeof cmd, "%s summary 'input(3) dense(2,act=gelu)'", harness_cli());
    CHECK(harness_run_all(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "spec:") && strstr(out, "gelu"));
}

TEST(embedding_empty_lookup_as_the_bag_allows) {
    float table[6] = {1, 2, 3, 4, 5, 6}, dt[6] = {0}, out[2];
    int64_t idx[1] = {0}, offsets[1] = {0};
    /* the bag takes an empty idx (NULL when n == 0); the plain lookup must agree */
    CHECK_OK(edl_embedding_bag_forward(out, NULL, table, 3, 2, NULL, 0, offsets, 1, NULL, EDL_POOL_SUM, -1));
    CHECK_OK(edl_embedding_bag_backward(dt, 3, 2, NULL, 0, offsets, 1, NULL, EDL_POOL_SUM, -1, NULL, out));
    CHECK_OK(edl_embedding_forward(NULL, table, 3, 2, NULL, 0));
    CHECK_OK(edl_embedding_forward(out, table, 3, 2, idx, 0));
    CHECK_OK(edl_embedding_backward(dt, 3, 2, NULL, 0, NULL));
    CHECK_OK(edl_embedding_backward(dt, 3, 2, idx, 0, out));
    CHECK_OK(edl_embedding_renorm(table, 3, 2, NULL, 0, 1.0f, 2.0f));
    CHECK_OK(edl_onehot(NULL, NULL, 0, 3));
    for (int i = 0; i < 6; i++) CHECK(dt[i] == 0.0f && table[i] == (float)(i + 1));
    /* the table is still required, and so are the sizes */
    CHECK_STATUS(edl_embedding_forward(NULL, NULL, 3, 2, NULL, 0), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_backward(NULL, 3, 2, NULL, 0, NULL), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(NULL, table, 0, 2, NULL, 0), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(NULL, table, 3, 0, NULL, 0), EDL_ERR_ARG);
    /* with n > 0 every pointer is needed */
    CHECK_STATUS(edl_embedding_forward(NULL, table, 3, 2, idx, 1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(out, table, 3, 2, NULL, 1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_backward(dt, 3, 2, idx, 1, NULL), EDL_ERR_ARG);
    CHECK_STATUS(edl_onehot(NULL, idx, 1, 3), EDL_ERR_ARG);
}

TEST(pca_refuses_overflow_and_non_finite_input) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 9}, out[4];
    /* n x dim floats overflowing size_t: refused before anything is read */
    CHECK_STATUS(edl_pca(out, NULL, x, SIZE_MAX, 2, 1), EDL_ERR_NOMEM);
    CHECK_ERROR_HAS("overflows");
    CHECK_STATUS(edl_pca(out, NULL, x, SIZE_MAX / 4, 2, 1), EDL_ERR_NOMEM);
    CHECK_OK(edl_pca(out, NULL, x, 4, 2, 1));
    x[5] = NAN;
    for (int i = 0; i < 4; i++) out[i] = 7.0f;
    CHECK_STATUS(edl_pca(out, NULL, x, 4, 2, 1), EDL_ERR_NUMERIC);
    CHECK_ERROR_HAS("row 2, column 1");
    for (int i = 0; i < 4; i++) CHECK(out[i] == 7.0f); /* untouched */
    x[5] = INFINITY;
    CHECK_STATUS(edl_pca(out, NULL, x, 4, 2, 1), EDL_ERR_NUMERIC);
    x[5] = -INFINITY;
    CHECK_STATUS(edl_pca(out, NULL, x, 4, 2, 1), EDL_ERR_NUMERIC);
}

TEST(rank_metrics_refuse_a_nan_score) {
    const float ok[4] = {0.9f, 0.1f, 0.5f, 0.2f};
    const uint8_t rel[4] = {0, 1, 0, 0};
    double hr = -1, auc = -1;
    CHECK_OK(edl_rank_metrics(ok, rel, 4, 2, &hr, NULL, NULL, NULL, NULL, &auc));
    CHECK(hr == 0.0 && auc == 0.0);
    /* a NaN score has no rank: once hr said 1 (NaN came first) while auc said 0 */
    const float nan_at_1[4] = {0.9f, NAN, 0.5f, 0.2f};
    hr = -1, auc = -1;
    CHECK_STATUS(edl_rank_metrics(nan_at_1, rel, 4, 2, &hr, NULL, NULL, NULL, NULL, &auc), EDL_ERR_ARG);
    CHECK_ERROR_HAS("position 1");
    CHECK(hr == -1 && auc == -1); /* outputs untouched */
    const float nan_at_3[4] = {0.9f, 0.1f, 0.5f, NAN};
    CHECK_STATUS(edl_rank_metrics(nan_at_3, rel, 4, 2, &hr, NULL, NULL, NULL, NULL, &auc), EDL_ERR_ARG);
    CHECK_ERROR_HAS("position 3");
    /* infinities are ordered: allowed */
    const float inf[4] = {-INFINITY, INFINITY, 0.5f, 0.2f};
    CHECK_OK(edl_rank_metrics(inf, rel, 4, 1, &hr, NULL, NULL, NULL, NULL, &auc));
    CHECK(hr == 1.0 && auc == 1.0);
}

/* A model whose scores hold a NaN is named as such by the evaluation (the metrics refuse the
   NaN; once that surfaced as "no memory"). */
TEST(rec_evaluate_names_a_nan_score) {
    char dir[] = "/tmp/edl-edges-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/synth.data", dir);
    edl_synth_args sa;
    edl_synth_defaults(&sa);
    sa.users = 50, sa.items = 40, sa.per_user = 10;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    edl_ratings *d = NULL, *train = NULL, *test = NULL;
    CHECK_OK(edl_synth_ratings(path, &sa, NULL));
    CHECK_OK(edl_ratings_read(&d, path, &o, NULL));
    if (d) CHECK_OK(edl_ratings_split(d, EDL_SPLIT_LAST, 0.0f, 1, &train, &test));
    edl_rec_args a;
    edl_rec_defaults(&a, EDL_REC_MF);
    a.dim = 4, a.thread = 1, a.epoch = 1;
    edl_recommender *r = NULL;
    if (train) CHECK_OK(edl_rec_train(&r, train, &a, NULL));
    if (r) {
        edl_rec_metrics m;
        CHECK_OK(edl_rec_evaluate(r, test, 5, &m));
        CHECK(!isnan(m.auc));
        for (size_t u = 0; u < r->users; u++) r->table[u * r->dim] = NAN; /* every user scores NaN */
        CHECK_STATUS(edl_rec_evaluate(r, test, 5, &m), EDL_ERR_NUMERIC);
        CHECK_ERROR_HAS("NaN for user");
    }
    edl_rec_free(r);
    edl_ratings_free(d), edl_ratings_free(train), edl_ratings_free(test);
    harness_remove_dir(dir);
}

TEST(textclf_refuses_a_nan_threshold) {
    char dir[] = "/tmp/edl-edges-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/train.txt", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    for (int i = 0; i < 40; i++) fputs(i % 2 ? "__label__a red apple\n" : "__label__b blue sky\n", f);
    fclose(f);
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    a.dim = 4, a.epoch = 2, a.thread = 1;
    edl_textclf *c = NULL;
    CHECK_OK(edl_textclf_train(&c, path, &a, NULL));
    if (c) {
        int64_t lab[2];
        float pr[2];
        size_t cnt = 99;
        CHECK_OK(edl_textclf_predict(c, "red apple", 9, 2, 0.0f, lab, pr, &cnt));
        CHECK(cnt == 2);
        CHECK_STATUS(edl_textclf_predict(c, "red apple", 9, 2, NAN, lab, pr, &cnt), EDL_ERR_ARG);
        CHECK_ERROR_HAS("threshold");
        edl_textclf_meter mt;
        CHECK_OK(edl_textclf_test(c, path, 1, 0.0f, &mt));
        edl_textclf_meter_free(&mt);
        CHECK_STATUS(edl_textclf_test(c, path, 1, NAN, &mt), EDL_ERR_ARG);
        CHECK_ERROR_HAS("threshold");
    }
    edl_textclf_free(c);
    harness_remove_dir(dir);
}

/* The README's example linked as a user links the shared library from the build directory:
   -Lbuild -ledl -Wl,-rpath,build. The soname is libedl.so.0, so that file must be there. */
TEST(shared_library_program_runs) {
    const char *exe = getenv("EDL_SO_EXAMPLE");
    if (!exe) exe = "build/readme_example_so";
    char out[1024];
    CHECK(harness_run_all(exe, out, sizeof out) == 0);
    CHECK(strstr(out, "1.5 2.5 / 7.5 8.5") != NULL);
    CHECK(strstr(out, "index 4 at position 0 is out of range [0, 4)") != NULL);
}
