/* Character n-grams (subwords) as fastText makes them: against fastText's own lists
 * (tests/data/fasttext_subwords.txt, made by tests/make_fasttext_subwords.py with python3-fasttext),
 * in supervised mode (unseen words classified by their n-grams, at training and at predict time,
 * kept in the model file), and fastText's print-ngrams. */
#include "harness.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char got[64][64];
    int32_t rows[64];
    size_t n;
} ngram_list;

static edl_status collect(void *ctx, const char *s, size_t n, int32_t row) {
    ngram_list *l = ctx;
    if (l->n < 64 && n < 64) memcpy(l->got[l->n], s, n), l->got[l->n][n] = '\0', l->rows[l->n] = row;
    l->n++;
    return EDL_OK;
}

/* Every word x (minn, maxn, bucket) of the reference: the same n-grams, in the same order, in the
   same buckets. */
TEST(char_ngrams_equal_fasttexts) {
    FILE *f = fopen("tests/data/fasttext_subwords.txt", "r");
    if (!f) {
        FAILF("tests/data/fasttext_subwords.txt is missing (run from the repository root)");
        return;
    }
    char line[512], key[256] = "";
    ngram_list want = {0}, got = {0};
    size_t groups = 0, rows = 0;
    int done = 0;
    while (!done) {
        char word[128], ngram[128];
        unsigned minn = 0, maxn = 0, bucket = 0;
        int row = 0, ok = fgets(line, sizeof line, f) != NULL;
        if (ok && line[0] == '#') continue;
        ok = ok && sscanf(line, "%127[^\t]\t%u\t%u\t%u\t%127[^\t]\t%d", word, &minn, &maxn, &bucket, ngram, &row) == 6;
        char k[256];
        snprintf(k, sizeof k, "%s %u %u %u", ok ? word : "", minn, maxn, bucket);
        if (!ok || strcmp(k, key)) { /* a group ends: compare it */
            if (key[0]) {
                char w[128];
                unsigned a, b, c;
                sscanf(key, "%127s %u %u %u", w, &a, &b, &c);
                memset(&got, 0, sizeof got);
                CHECK_OK(edl__char_ngrams(w, strlen(w), a, b, c, 0, collect, &got));
                int same = got.n == want.n;
                for (size_t i = 0; same && i < got.n; i++)
                    same = !strcmp(got.got[i], want.got[i]) && got.rows[i] == want.rows[i];
                if (!same)
                    FAILF("%s: %zu n-grams (first '%s' -> %d), fastText %zu (first '%s' -> %d)", key, got.n,
                          got.n ? got.got[0] : "", got.n ? got.rows[0] : -1, want.n, want.n ? want.got[0] : "",
                          want.n ? want.rows[0] : -1);
                groups++;
            }
            snprintf(key, sizeof key, "%s", k);
            memset(&want, 0, sizeof want);
        }
        if (!ok) {
            done = 1;
            continue;
        }
        collect(&want, ngram, strlen(ngram), row);
        rows++;
    }
    fclose(f);
    fprintf(stderr, "    %zu n-grams of %zu word x setting pairs, as fastText 0.9.2 lists them\n", rows, groups);
    CHECK(groups >= 30 && rows >= 400);
}

/* Two labels told apart only by their words' endings; the test's words are all unseen. */
static void write_suffix_corpus(const char *path, int n, uint64_t seed) {
    FILE *f = fopen(path, "w");
    edl_rng r;
    edl_rng_seed(&r, seed);
    static const char *const ends[2] = {"ung", "ity"};
    for (int i = 0; f && i < n; i++) {
        int label = (int)edl_rng_below(&r, 2);
        fprintf(f, "__label__%c", label ? 'b' : 'a');
        for (int w = 0; w < 5; w++) {
            char stem[8];
            for (int k = 0; k < 5; k++) stem[k] = (char)('a' + edl_rng_below(&r, 26));
            stem[5] = '\0';
            fprintf(f, " %s%s", stem, ends[label]);
        }
        fputc('\n', f);
    }
    if (f) fclose(f);
}

static double p_at_1(const edl_textclf *c, const char *path) {
    edl_textclf_meter mt;
    if (edl_textclf_test(c, path, 1, 0.0f, &mt) != EDL_OK) return -1;
    double p = mt.predicted ? (double)mt.correct / (double)mt.predicted : 0.0;
    edl_textclf_meter_free(&mt);
    return p;
}

TEST(supervised_subwords_classify_unseen_words) {
    char dir[] = "/tmp/edl-sub-XXXXXX", train[64], test[64], model[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(train, sizeof train, "%s/train.txt", dir);
    snprintf(test, sizeof test, "%s/test.txt", dir);
    snprintf(model, sizeof model, "%s/m.safetensors", dir);
    write_suffix_corpus(train, 2000, 1);
    write_suffix_corpus(test, 400, 2); /* other random stems: no test word was seen */
    double p[2] = {0, 0};
    for (int sub = 0; sub < 2; sub++) {
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = 16, a.epoch = 5, a.lr = 0.5f, a.thread = 1, a.bucket = 20000;
        if (sub) a.minn = 2, a.maxn = 4;
        edl_textclf *c = NULL;
        edl_textclf_report r;
        CHECK_OK(edl_textclf_train(&c, train, &a, &r));
        if (!c) continue;
        p[sub] = p_at_1(c, test);
        if (sub) { /* the file keeps the n-grams: the same answers after a reload */
            CHECK_OK(edl_textclf_save(c, model));
            edl_textclf *back = NULL;
            CHECK_OK(edl_textclf_load(&back, model));
            if (back) CHECK(p_at_1(back, test) == p[sub]);
            float v1[16], v2[16];
            if (back) {
                CHECK_OK(edl_textclf_word_vector(c, "zzzzzung", 8, v1));
                CHECK_OK(edl_textclf_word_vector(back, "zzzzzung", 8, v2));
                CHECK(!memcmp(v1, v2, sizeof v1) && v1[0] != 0.0f);
            }
            edl_textclf_free(back);
        }
        edl_textclf_free(c);
    }
    fprintf(stderr, "    unseen words: P@1 %.3f with words only, %.3f with -minn 2 -maxn 4\n", p[0], p[1]);
    CHECK(p[0] < 0.7);  /* the words alone say nothing: only "</s>" is known */
    CHECK(p[1] > 0.95); /* their n-grams say it all */
    harness_remove_dir(dir);
}

TEST(supervised_subwords_refuse_bad_lengths) {
    char dir[] = "/tmp/edl-sub-XXXXXX", train[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(train, sizeof train, "%s/train.txt", dir);
    write_suffix_corpus(train, 50, 3);
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    a.thread = 1, a.epoch = 1, a.minn = 5, a.maxn = 3;
    edl_textclf *c = NULL;
    CHECK_STATUS(edl_textclf_train(&c, train, &a, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("-minn 5 -maxn 3");
    a.minn = 2, a.maxn = 4, a.bucket = 0;
    CHECK_STATUS(edl_textclf_train(&c, train, &a, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("-bucket 0");
    CHECK(c == NULL);
    harness_remove_dir(dir);
}

TEST(cli_supervised_subwords_and_print_ngrams) {
    char dir[] = "/tmp/edl-sub-XXXXXX", train[64], cmd[512], out[8192];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(train, sizeof train, "%s/train.txt", dir);
    write_suffix_corpus(train, 300, 4);
    snprintf(cmd, sizeof cmd, "%s supervised -input %s -output %s/m -minn 2 -maxn 4 -bucket 1000 -thread 1 -verbose 0",
             harness_cli(), train, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 0);
    /* fastText's print-ngrams: an unseen word's n-grams (fastText lists these 10 for "der") */
    snprintf(cmd, sizeof cmd, "%s print-ngrams %s/m.safetensors der | cut -d' ' -f1 | tr '\\n' ' '", harness_cli(),
             dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    if (strcmp(out, "<d <de <der de der der> er er> r> "))
        FAILF("print-ngrams der: '%s', want fastText's '<d <de <der de der der> er er> r> '", out);
    snprintf(cmd, sizeof cmd, "%s print-ngrams %s/m.safetensors der | awk '{print NF}' | sort -u", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strcmp(out, "101\n")); /* the n-gram and its 100 values */
    /* a word-vector model too; a vectors file is neither */
    snprintf(cmd, sizeof cmd, "%s print-ngrams %s der", harness_cli(), train);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1);
    harness_remove_dir(dir);
}
