/* The Hogwild trainers (supervised, skipgram, cbow) on several ranks under mpirun: each rank reads
 * its share, they count the one vocabulary a single process counts, train one model by averaging
 * the rows they touch every -syncTokens tokens, and rank 0 writes it for a single process to read.
 * Quality against one process with the same flags, the same bytes run after run, refusals, a
 * failure on one rank stopping all; and the touched-row bookkeeping alone (no mpirun). */
#include "harness.h"
#include "model/row_sync.h"
#include "text/text.h"

#include <unistd.h>

/* ---- the bookkeeping, one process ---------------------------------------------------------- */

TEST(row_sync_takes_marked_rows_in_order_and_clears_them) {
    float data[40 * 3];
    edl__rows t = {data, 40, 3, 3, NULL, NULL, NULL};
    CHECK_OK(edl__rows_track(&t, 0));
    CHECK(t.touched == NULL);
    edl__rows_touch(&t, 5); /* untracked: nothing happens */
    CHECK_OK(edl__rows_track(&t, 1));
    const size_t marks[] = {39, 0, 17, 8, 9, 17, 31};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) edl__rows_touch(&t, marks[i]);
    int32_t *idx = NULL;
    size_t n = 0, cap = 0;
    CHECK_OK(edl__rows_take(&t, &idx, &n, &cap));
    const int32_t want[] = {0, 8, 9, 17, 31, 39};
    CHECK(n == 6);
    for (size_t i = 0; i < 6 && i < n; i++) CHECK(idx[i] == want[i]);
    for (size_t r = 0; r < 40; r++) CHECK(t.touched[r] == 0);
    n = 0;
    CHECK_OK(edl__rows_take(&t, &idx, &n, &cap));
    CHECK(n == 0);
    free(idx);
    edl__rows_untrack(&t);
}

TEST(row_sync_union_of_ascending_lists) {
    const int32_t a[] = {1, 4, 9}, b[] = {0, 4, 5, 9, 12}, c[] = {2};
    const int32_t *lists[4] = {a, b, c, NULL};
    size_t len[4] = {3, 5, 1, 0}, at[4];
    int32_t out[9];
    size_t n = edl__rows_union(lists, len, 4, at, out);
    const int32_t want[] = {0, 1, 2, 4, 5, 9, 12};
    CHECK(n == 7);
    for (size_t i = 0; i < 7 && i < n; i++) CHECK(out[i] == want[i]);
    CHECK(edl__rows_union(lists, (size_t[]){0, 0, 0, 0}, 4, at, out) == 0);
}

static float *row_fn(void *ctx, size_t r) { return (float *)ctx + r * 4; /* a lazy table would make it here */ }

TEST(row_sync_one_process_keeps_rows_and_clears_marks) {
    float data[64 * 4], before[64 * 4];
    for (size_t i = 0; i < 64 * 4; i++) data[i] = before[i] = (float)i * 0.5f - 3.0f;
    edl__rows t[2] = {{data, 32, 3, 4, NULL, NULL, NULL}, {data, 64, 4, 4, row_fn, data, NULL}};
    CHECK_OK(edl__rows_track(&t[0], 1));
    CHECK_OK(edl__rows_track(&t[1], 1));
    edl__rows_touch(&t[0], 3), edl__rows_touch(&t[0], 31), edl__rows_touch(&t[1], 63);
    edl__rows_scratch s = {0};
    uint64_t synced = 0;
    CHECK_OK(edl__rows_average(NULL, t, 2, &s, &synced));
    CHECK(synced == 3); /* the mean over one rank: the rows as they were */
    CHECK(memcmp(data, before, sizeof data) == 0);
    CHECK(t[0].touched[3] == 0 && t[0].touched[31] == 0 && t[1].touched[63] == 0);
    CHECK_OK(edl__rows_average(NULL, t, 2, &s, &synced));
    CHECK(synced == 0);
    edl__rows_scratch_free(&s);
    edl__rows_untrack(&t[0]), edl__rows_untrack(&t[1]);
}

static edl_status count_into(void *ctx, const char *s, size_t n) { return edl__vocab_add(ctx, s, n); }

/* Shares counted apart and merged in rank order give the vocabulary of the whole text: entries,
   counts, and (after finishing) the order, ties included. */
TEST(vocab_merge_of_shares_is_the_whole_texts) {
    const char *shares[] = {"b a c a\n__label__x d\n", "c e b\n__label__y a\n", "", "e d f\n__label__x\n"};
    edl__vocab parts[4], whole, merged;
    char *blob[4] = {0}, all[4096];
    size_t bytes[4], at = 0, n;
    CHECK_OK(edl__vocab_init(&whole, "__label__"));
    CHECK_OK(edl__vocab_init(&merged, "__label__"));
    for (int r = 0; r < 4; r++) {
        CHECK_OK(edl__vocab_init(&parts[r], "__label__"));
        CHECK_OK(edl__text_tokens(shares[r], strlen(shares[r]), count_into, &parts[r]));
        CHECK_OK(edl__text_tokens(shares[r], strlen(shares[r]), count_into, &whole));
        CHECK_OK(edl__vocab_pack(&parts[r], &blob[r], &n));
        memcpy(all + at, blob[r], n), at += n, bytes[r] = n;
    }
    int32_t map[16];
    CHECK_OK(edl__vocab_unpack_merge(&merged, all, bytes, 4, 1, map, parts[1].size));
    /* rank 1's entries c e b </s> __label__y a are the merged entries 2 6 0 3 7 1 */
    const int32_t want[] = {2, 6, 0, 3, 7, 1};
    CHECK(parts[1].size == 6);
    for (int i = 0; i < 6; i++) CHECK(map[i] == want[i]);
    CHECK_OK(edl__vocab_finish(&whole, 1, 1));
    CHECK_OK(edl__vocab_finish(&merged, 1, 1));
    CHECK(whole.size == merged.size && whole.nwords == merged.nwords && whole.nlabels == merged.nlabels);
    CHECK(whole.nbytes == merged.nbytes && memcmp(whole.bytes, merged.bytes, whole.nbytes) == 0);
    for (size_t e = 0; e < whole.size && e < merged.size; e++)
        CHECK(whole.counts[e] == merged.counts[e] && whole.offsets[e + 1] == merged.offsets[e + 1]);
    /* a cut blob is refused */
    edl__vocab cut;
    CHECK_OK(edl__vocab_init(&cut, "__label__"));
    size_t short_bytes[1] = {bytes[0] - 1};
    CHECK_STATUS(edl__vocab_unpack_merge(&cut, all, short_bytes, 1, 0, map, parts[0].size), EDL_ERR_FORMAT);
    edl__vocab_free(&cut);
    for (int r = 0; r < 4; r++) edl__vocab_free(&parts[r]), free(blob[r]);
    edl__vocab_free(&whole), edl__vocab_free(&merged);
}

/* ---- under mpirun ----------------------------------------------------------------------------- */

static double p_at_1(const char *model, const char *test) {
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s test %s %s", harness_cli(), model, test);
    if (harness_run(cmd, out, sizeof out) != 0) return -1;
    const char *p = strstr(out, "P@1\t");
    return p ? atof(p + 4) : -1;
}

static int dump_dict(const char *model, const char *to) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s dump %s dict > %s", harness_cli(), model, to);
    return system(cmd);
}

TEST(mpi_supervised_on_2_and_4_ranks_as_one_process) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpi-hog-XXXXXX", args[1024], out[1 << 14], path[512], one_dict[512], dict[512];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    const char *flags = "-thread 1 -epoch 5 -seed 3 -verbose 0";
    snprintf(args, sizeof args, "%s supervised -input data/spam.train -output %s/one %s", harness_cli(), dir, flags);
    CHECK(harness_run_all(args, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/one.safetensors", dir);
    double one = p_at_1(path, "data/spam.test");
    snprintf(one_dict, sizeof one_dict, "%s/one.dict", dir);
    CHECK(dump_dict(path, one_dict) == 0);
    CHECK(one > 0.9);
    for (int np = 2; np <= 4; np += 2) {
        snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/m%d %s", dir, np, flags);
        int rc = harness_mpirun(np, args, out, sizeof out);
        if (rc != 0) FAILF("%d ranks: rc %d:\n%.2000s", np, rc, out);
        snprintf(path, sizeof path, "%s/m%d.safetensors", dir, np);
        double p = p_at_1(path, "data/spam.test"); /* rank 0's file, read by one process */
        if (!(p >= one - 0.005)) FAILF("%d ranks: P@1 %.3f, one process %.3f", np, p, one);
        snprintf(dict, sizeof dict, "%s/m%d.dict", dir, np);
        CHECK(dump_dict(path, dict) == 0);
        if (!harness_same_file(one_dict, dict)) FAILF("%d ranks: the vocabulary differs from one process's", np);
    }
    /* two Hogwild threads a rank (not reproducible, by design): the threads wait while thread 0
       exchanges rows, so no update is lost under the mean written back (without: P@1 0.77) */
    snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/t2 -thread 2 -epoch 5 -verbose 0", dir);
    CHECK(harness_mpirun(2, args, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/t2.safetensors", dir);
    double p2 = p_at_1(path, "data/spam.test");
    /* racing threads on two loaded cores: 0.89-0.96 over runs here (one thread a rank is exact:
       above); the bound catches lost updates (0.77), not the race's spread */
    if (!(p2 >= one - 0.06)) FAILF("2 ranks of 2 threads: P@1 %.3f, one process %.3f", p2, one);
    /* the same seed and ranks: the same bytes (synchronisations come by token counts) */
    snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/again %s -wordNgrams 2 -bucket 50000",
             dir, flags);
    CHECK(harness_mpirun(2, args, out, sizeof out) == 0);
    snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/m2 %s -wordNgrams 2 -bucket 50000", dir,
             flags);
    CHECK(harness_mpirun(2, args, out, sizeof out) == 0);
    snprintf(path, sizeof path, "%s/m2.safetensors", dir);
    snprintf(dict, sizeof dict, "%s/again.safetensors", dir);
    if (!harness_same_file(path, dict)) FAILF("two runs of 2 ranks with one seed wrote different models");
    /* the union of touched rows learnt from the row numbers gathered or from a bit a row or'ed
       together: the same rows, the same model (auto takes whichever moves fewer bytes) */
    static const char *const ways[] = {"ids", "bits"};
    for (int w = 0; w < 2; w++) {
        setenv("EDL_ROW_SYNC", ways[w], 1);
        snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/%s %s -wordNgrams 2 -bucket 50000",
                 dir, ways[w], flags);
        CHECK(harness_mpirun(2, args, out, sizeof out) == 0);
        unsetenv("EDL_ROW_SYNC");
        snprintf(dict, sizeof dict, "%s/%s.safetensors", dir, ways[w]);
        if (!harness_same_file(path, dict)) FAILF("EDL_ROW_SYNC=%s: not the model of the automatic choice", ways[w]);
    }
    harness_remove_dir(dir);
}

/* A corpus of topics (bench/make_corpus.py's design, smaller): 20 topics of 40 words, each line 15
   words, 80% from its topic. Related pairs share a topic. */
static void write_topics(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    edl_rng r;
    edl_rng_seed(&r, 11);
    for (int l = 0; l < 6000; l++) {
        int t = (int)edl_rng_below(&r, 20);
        for (int w = 0; w < 15; w++) {
            int tt = edl_rng_uniform(&r) < 0.8f ? t : (int)edl_rng_below(&r, 20);
            /* Zipf-like within the topic: the square of a uniform */
            float u = edl_rng_uniform(&r);
            fprintf(f, "%st%d_%d", w ? " " : "", tt, (int)(u * u * 40));
        }
        fputc('\n', f);
    }
    fclose(f);
}

static double cos_of(const edl_vectors *v, const char *a, const char *b) {
    int64_t i = edl_vectors_find(v, a, strlen(a)), j = edl_vectors_find(v, b, strlen(b));
    if (i < 0 || j < 0) return NAN;
    const float *x = edl_vectors_row(v, (size_t)i), *y = edl_vectors_row(v, (size_t)j);
    double d = 0, nx = 0, ny = 0;
    for (size_t k = 0; k < edl_vectors_dim(v); k++) d += x[k] * y[k], nx += x[k] * x[k], ny += y[k] * y[k];
    return d / (sqrt(nx * ny) + 1e-12);
}

/* mean cos(related) - mean cos(unrelated) over pairs of each topic's 10 most frequent words */
static double topic_score(const char *vec) {
    edl_vectors *v = NULL;
    if (edl_vectors_read(&v, vec, EDL_VEC_TEXT) != EDL_OK) return NAN;
    double rel = 0, unrel = 0;
    int nr = 0, nu = 0;
    char a[32], b[32];
    for (int t = 0; t < 20; t++)
        for (int i = 0; i < 10; i++)
            for (int j = i + 1; j < 10; j++) {
                snprintf(a, sizeof a, "t%d_%d", t, i), snprintf(b, sizeof b, "t%d_%d", t, j);
                rel += cos_of(v, a, b), nr++;
                snprintf(b, sizeof b, "t%d_%d", (t + 1 + i) % 20, j);
                unrel += cos_of(v, a, b), nu++;
            }
    edl_vectors_free(v);
    return rel / nr - unrel / nu;
}

TEST(mpi_skipgram_and_cbow_on_2_ranks_as_one_process) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpi-wv-XXXXXX", corpus[256], args[1024], out[1 << 14], path[512], again[512];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(corpus, sizeof corpus, "%s/topics.txt", dir);
    write_topics(corpus);
    const char *modes[] = {"skipgram", "cbow"};
    for (int m = 0; m < 2; m++) {
        /* cbow learns slower from so short a text: more passes */
        const char *flags = m == 0 ? "-thread 1 -epoch 3 -dim 24 -minCount 2 -minn 0 -maxn 0 -seed 5 -verbose 0"
                                   : "-thread 1 -epoch 12 -dim 24 -minCount 2 -minn 0 -maxn 0 -seed 5 -verbose 0";
        snprintf(args, sizeof args, "%s %s -input %s -output %s/one %s", harness_cli(), modes[m], corpus, dir, flags);
        CHECK(harness_run_all(args, out, sizeof out) == 0);
        snprintf(path, sizeof path, "%s/one.vec", dir);
        double one = topic_score(path);
        snprintf(args, sizeof args, "%s -input %s -output %s/two %s", modes[m], corpus, dir, flags);
        int rc = harness_mpirun(2, args, out, sizeof out);
        if (rc != 0) FAILF("%s on 2 ranks: rc %d:\n%.2000s", modes[m], rc, out);
        snprintf(path, sizeof path, "%s/two.vec", dir);
        double two = topic_score(path);
        fprintf(stderr, "    %s: score %.4f on 2 ranks, %.4f in one process\n", modes[m], two, one);
        if (!(one > 0.1) || !(two >= one * 0.98))
            FAILF("%s: score on 2 ranks %.4f, one process %.4f (within 2%% wanted)", modes[m], two, one);
        /* one process's vocabulary (dump dict: words, counts, order) */
        char one_dict[600], two_dict[600];
        snprintf(path, sizeof path, "%s/one.safetensors", dir);
        snprintf(one_dict, sizeof one_dict, "%s/one.dict", dir);
        CHECK(dump_dict(path, one_dict) == 0);
        snprintf(path, sizeof path, "%s/two.safetensors", dir);
        snprintf(two_dict, sizeof two_dict, "%s/two.dict", dir);
        CHECK(dump_dict(path, two_dict) == 0);
        if (!harness_same_file(one_dict, two_dict))
            FAILF("%s: the vocabulary on 2 ranks differs from one process's", modes[m]);
        /* the same seed: the same bytes */
        snprintf(args, sizeof args, "%s -input %s -output %s/again %s", modes[m], corpus, dir, flags);
        CHECK(harness_mpirun(2, args, out, sizeof out) == 0);
        snprintf(path, sizeof path, "%s/two.safetensors", dir);
        snprintf(again, sizeof again, "%s/again.safetensors", dir);
        if (!harness_same_file(path, again))
            FAILF("%s: two runs of 2 ranks with one seed wrote different models", modes[m]);
    }
    harness_remove_dir(dir);
}

TEST(mpi_hogwild_refusals_and_failures) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpi-no-XXXXXX", args[1024], out[1 << 14], path[512];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    /* standard input cannot be shared: the flag is named */
    snprintf(args, sizeof args, "supervised -input - -output %s/x < data/spam.test", dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    if (rc == 0 || !strstr(out, "-input -")) FAILF("rc %d:\n%.1000s", rc, out);
    snprintf(args, sizeof args, "skipgram -input - -output %s/x < data/spam.test", dir);
    rc = harness_mpirun(2, args, out, sizeof out);
    if (rc == 0 || !strstr(out, "-input -")) FAILF("rc %d:\n%.1000s", rc, out);
    snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/x -autotune-validation data/spam.test",
             dir);
    rc = harness_mpirun(2, args, out, sizeof out);
    if (rc == 0 || !strstr(out, "-autotune-validation")) FAILF("rc %d:\n%.1000s", rc, out);
    snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/x -syncTokens 0", dir);
    rc = harness_mpirun(2, args, out, sizeof out);
    if (rc == 0 || !strstr(out, "-syncTokens")) FAILF("rc %d:\n%.1000s", rc, out);
    /* a rank whose loss is not finite stops every rank with the layer and the token, and no file */
    snprintf(args, sizeof args, "supervised -input data/spam.train -output %s/x -lr 1e30 -thread 1 -verbose 0", dir);
    rc = harness_mpirun(2, args, out, sizeof out);
    if (rc == 0 || !strstr(out, "diverged at token") || !strstr(out, "layer") || !strstr(out, "rank "))
        FAILF("rc %d:\n%.1000s", rc, out);
    snprintf(path, sizeof path, "ls -A %s", dir);
    CHECK(harness_run(path, out, sizeof out) == 0 && out[0] == '\0');
    harness_remove_dir(dir);
}

/* The run's tokens are every rank's summed: epochs that fit one rank's count but not the sum are
   refused naming the overflow (the sum wrapped negative: "nothing to train" was said). */
TEST(mpi_hogwild_token_count_overflow_is_refused) {
    if (!harness_mpi()) return;
    char out[8192];
    int rc = harness_mpirun(2,
                            "supervised -input data/spam.train -output /tmp/edl-never-written -thread 1 "
                            "-epoch 25000000000000 -verbose 0",
                            out, sizeof out);
    if (rc == 0 || !strstr(out, "on each of 2 ranks overflow a count")) FAILF("rc %d:\n%.2000s", rc, out);
}
