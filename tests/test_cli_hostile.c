/* The CLI against a hostile user (issue 18): outputs that are inputs, paths that cannot be
 * written, write errors on standard output, directories as inputs, numbers that are not what
 * they seem, flags that would be ignored, -h everywhere. Each check failed on the code before. */
#include "harness.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char out[65536];

/* Runs "edl ARGS" (printf-style) with stdout and stderr together in out; its exit status. */
static int edl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int edl(const char *fmt, ...) {
    char args[1800], cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s", harness_cli(), args);
    return harness_run_all(cmd, out, sizeof out);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A tiny corpus, vectors, a classifier and a recommender in a fresh directory. */
typedef struct {
    char dir[32], corpus[96], vec[96], clf[96], ratings[96], rec[96], sub[96];
} fixtures;

static int make_fixtures(fixtures *fx) {
    snprintf(fx->dir, sizeof fx->dir, "/tmp/edl-hostile-XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->corpus, sizeof fx->corpus, "%s/a.txt", fx->dir);
    snprintf(fx->vec, sizeof fx->vec, "%s/v.vec", fx->dir);
    snprintf(fx->clf, sizeof fx->clf, "%s/m", fx->dir);
    snprintf(fx->ratings, sizeof fx->ratings, "%s/u.data", fx->dir);
    snprintf(fx->rec, sizeof fx->rec, "%s/r", fx->dir);
    snprintf(fx->sub, sizeof fx->sub, "%s/adir", fx->dir);
    FILE *f = fopen(fx->corpus, "w");
    if (!f) return -1;
    for (int i = 0; i < 200; i++)
        fprintf(f, "__label__%s %s word%d common\n", i % 2 ? "spam" : "ham", i % 2 ? "free money" : "meeting notes",
                i % 7);
    fclose(f);
    harness_write_text(fx->vec, "3 2\nking 1 0\nqueen 0.9 0.1\nman 0.1 0.9\n");
    if (mkdir(fx->sub, 0700) != 0) return -1;
    if (edl("supervised -input %s -output %s -epoch 2 -thread 1 -verbose 0", fx->corpus, fx->clf) != 0) return -1;
    if (edl("recommend synth -output %s -users 30 -items 40 -per-user 8", fx->ratings) != 0) return -1;
    if (edl("recommend train -input %s -output %s -model mf -dim 4 -epoch 1 -verbose 0", fx->ratings, fx->rec) != 0)
        return -1;
    return 0;
}

/* The fixtures a test uses, or the test fails and returns. */
#define FIXTURES(fx)                \
    fixtures fx;                    \
    if (make_fixtures(&fx) != 0) {  \
        FAILF("fixtures: %s", out); \
        return;                     \
    }

/* An output that is an input is refused before any work, and the input is left whole. */
TEST(cli_refuses_an_output_that_is_an_input) {
    FIXTURES(fx);
    char x[128], y[128], model[128];
    snprintf(x, sizeof x, "%s/x", fx.dir);
    snprintf(y, sizeof y, "%s/y", fx.dir);
    snprintf(model, sizeof model, "%s.safetensors", fx.clf);
    char path[160];
    snprintf(path, sizeof path, "%s.train", x);
    harness_write_text(path, "1\t2\t5\t100\n1\t3\t4\t101\n2\t2\t3\t102\n2\t4\t1\t103\n");
    long before = file_size(path);
    CHECK_RUN(1, "is the same file as the input", "recommend split %s.train -output %s", x, x);
    CHECK(file_size(path) == before);
    snprintf(path, sizeof path, "%s.test", y);
    harness_write_text(path, "1\t2\t5\t100\n1\t3\t4\t101\n2\t2\t3\t102\n2\t4\t1\t103\n");
    before = file_size(path);
    CHECK_RUN(1, "is the same file as the input", "recommend train -input %s.test -output %s -split random:0.5", y, y);
    CHECK(file_size(path) == before);
    before = file_size(fx.corpus);
    CHECK_RUN(1, "-log", "supervised -input %s -output %s/n -log %s", fx.corpus, fx.dir, fx.corpus);
    CHECK(file_size(fx.corpus) == before);
    before = file_size(model);
    CHECK_RUN(1, "is the same file as the input", "supervised -input %s -output %s", model, fx.clf);
    CHECK(file_size(model) == before);
    harness_write_text(path, "0 1 2\n1 3 4\n");
    before = file_size(path);
    CHECK_RUN(1, "is the same file as the input",
              "train -spec 'embedding_bag(rows=5,dim=2) dense(2)' -input %s -output %s/t -log %s", path, fx.dir, path);
    CHECK(file_size(path) == before);
    /* two outputs on one file: the log over the model */
    CHECK_RUN(1, "is the same file as the output", "supervised -input %s -output %s/z -log %s/z.safetensors", fx.corpus,
              fx.dir, fx.dir);
    CHECK_RUN(1, "is the same file as the input", "convert %s %s", fx.vec, fx.vec);
    harness_remove_dir(fx.dir);
}

/* A bad output path is found before training; an empty name or a directory's makes no hidden file. */
TEST(cli_checks_outputs_before_the_work) {
    FIXTURES(fx);
    CHECK_RUN(1, "-output /nonexistent/dir/x.safetensors", "supervised -input %s -output /nonexistent/dir/x",
              fx.corpus);
    CHECK(!strstr(out, "Read ") && !strstr(out, "trained"));
    CHECK_RUN(1, "No such file or directory", "skipgram -input %s -output /nonexistent/dir/x -epoch 1", fx.corpus);
    CHECK_RUN(1, "-output is empty", "supervised -input %s -output ''", fx.corpus);
    CHECK_RUN(1, "names a directory", "supervised -input %s -output %s/", fx.corpus, fx.sub);
    CHECK_RUN(1, "names a directory", "train -spec 'input(2) dense(2)' -input %s -output %s/.", fx.corpus, fx.sub);
    CHECK_RUN(1, "is a directory", "plot %s -output %s", fx.vec, fx.sub);
    CHECK_RUN(1, "is a device or FIFO", "supervised -input %s -output /dev/full", fx.corpus);
    CHECK(access("/dev/full.safetensors", F_OK) != 0);
    CHECK(access("./.safetensors", F_OK) != 0);
    char hidden[128];
    snprintf(hidden, sizeof hidden, "%s/.safetensors", fx.sub);
    CHECK(access(hidden, F_OK) != 0);
    harness_remove_dir(fx.dir);
}

/* Every command's standard output is checked: a full disk fails the command, naming why. */
TEST(cli_fails_when_standard_output_fails) {
    FIXTURES(fx);
    if (access("/dev/full", W_OK) != 0) {
        fprintf(stderr, "    SKIPPED: no writable /dev/full here\n");
        harness_remove_dir(fx.dir);
        return;
    }
    const char *want = "standard output: write failed: No space left on device";
    CHECK_RUN(1, want, "predict %s.safetensors %s > /dev/full", fx.clf, fx.corpus);
    CHECK_RUN(1, want, "predict-prob %s.safetensors %s > /dev/full", fx.clf, fx.corpus);
    CHECK_RUN(1, want, "test %s.safetensors %s > /dev/full", fx.clf, fx.corpus);
    CHECK_RUN(1, want, "nn %s king > /dev/full", fx.vec);
    CHECK_RUN(1, want, "summary %s.safetensors > /dev/full", fx.clf);
    CHECK_RUN(1, want, "recommend topk %s.safetensors -user 1 > /dev/full", fx.rec);
    CHECK_RUN(1, want, "recommend test %s.safetensors %s > /dev/full", fx.rec, fx.ratings);
    CHECK_RUN(1, want, "version > /dev/full");
    CHECK_RUN(1, want, "print-sentence-vectors %s.safetensors < %s > /dev/full", fx.clf, fx.corpus);
    CHECK_RUN(1, "-log /dev/full: write failed",
              "recommend train -input %s -output %s/r2 -epoch 1 -verbose 0 -log /dev/full", fx.ratings, fx.dir);
    harness_remove_dir(fx.dir);
}

/* A directory where a file is read is refused as one, never read as an empty file. */
TEST(cli_refuses_a_directory_as_input) {
    FIXTURES(fx);
    CHECK_RUN(1, "Is a directory", "eval-analogies %s %s", fx.vec, fx.sub);
    CHECK_RUN(1, "Is a directory", "eval-similarity %s %s", fx.vec, fx.sub);
    CHECK_RUN(1, "Is a directory", "predict %s.safetensors %s", fx.clf, fx.sub);
    CHECK_RUN(1, "Is a directory", "supervised -input %s -output %s/q", fx.sub, fx.dir);
    CHECK_RUN(1, "Is a directory", "recommend train -input %s -output %s/q", fx.sub, fx.dir);
    CHECK_RUN(1, "Is a directory", "train -spec 'input(2) dense(2)' -input %s -output %s/q", fx.sub, fx.dir);
    harness_remove_dir(fx.dir);
}

/* Numbers: a sign or a space before a size, a count past 2^63 - 1, arguments past the 254th. */
TEST(cli_numbers_are_what_they_say) {
    FIXTURES(fx);
    CHECK_RUN(2, "bad value ' -1' for -minCount", "supervised -input %s -output %s/q -minCount ' -1'", fx.corpus,
              fx.dir);
    CHECK_RUN(2, "bad value '18446744073709551615' for -minCount",
              "supervised -input %s -output %s/q -minCount 18446744073709551615", fx.corpus, fx.dir);
    CHECK_RUN(2, "bad value ' -5' for -dim", "skipgram -input %s -output %s/q -dim ' -5'", fx.corpus, fx.dir);
    char many[1400] = "";
    for (int i = 0; i < 130; i++) strcat(many, " -epoch 1");
    CHECK_RUN(2, "unknown flag '-nosuchflag'", "skipgram -input %s -output %s/q%s -nosuchflag 7", fx.corpus, fx.dir,
              many);
    harness_remove_dir(fx.dir);
}

/* A flag that would be ignored, or that contradicts another, is refused, naming it. */
TEST(cli_refuses_flags_it_would_ignore) {
    FIXTURES(fx);
    /* character n-grams are used in supervised mode (once refused rather than ignored): lengths that
       cannot be are refused */
    CHECK_RUN(1, "-minn 5 -maxn 3", "supervised -input %s -output %s/q -minn 5 -maxn 3", fx.corpus, fx.dir);
    CHECK_RUN(2, "-ws has no effect", "supervised -input %s -output %s/q -ws 5", fx.corpus, fx.dir);
    CHECK_RUN(2, "-patience needs -valid", "supervised -input %s -output %s/q -patience 2", fx.corpus, fx.dir);
    CHECK_RUN(2, "-dropout applies after -hidden", "supervised -input %s -output %s/q -dropout 0.2", fx.corpus, fx.dir);
    CHECK_RUN(2, "-hidden is for -model mlp", "recommend train -input %s -output %s/q -model mf -hidden 4", fx.ratings,
              fx.dir);
    CHECK_RUN(2, "-dot is for -model mlp", "recommend train -input %s -output %s/q -model bpr -dot 0", fx.ratings,
              fx.dir);
    CHECK_RUN(2, "-dot 2 is not 0 or 1", "recommend train -input %s -output %s/q -model mlp -dot 2", fx.ratings,
              fx.dir);
    CHECK_RUN(2, "-dense_decay is for -model mlp", "recommend train -input %s -output %s/q -model bpr -dense_decay 1",
              fx.ratings, fx.dir);
    CHECK_RUN(2, "-dense_decay -1 is not a finite value >= 0",
              "recommend train -input %s -output %s/q -model mlp -dense_decay -1", fx.ratings, fx.dir);
    CHECK_RUN(2, "-neg is for -model bpr or mlp", "recommend train -input %s -output %s/q -model mf -neg 5", fx.ratings,
              fx.dir);
    CHECK_RUN(2, "-cols is for -format csv",
              "recommend train -input %s -output %s/q -model bpr -cols 0,1 -format udata", fx.ratings, fx.dir);
    CHECK_RUN(2, "gives no rating column", "recommend train -input %s -output %s/q -model mf -cols 0,1", fx.ratings,
              fx.dir);
    CHECK_RUN(2, "choose one", "train -spec 'input(2) dense(2)' -input %s -output %s/q -validSplit 0.5 -valid %s",
              fx.corpus, fx.dir, fx.corpus);
    CHECK_RUN(2, "-patience needs validation data",
              "train -spec 'input(2) dense(2)' -input %s -output %s/q -patience 1", fx.corpus, fx.dir);
    CHECK_RUN(2, "-lrUpdateRate paces fastText's per-example trainer",
              "supervised -input %s -output %s/q -hidden 8 -lrUpdateRate 50", fx.corpus, fx.dir);
    CHECK_RUN(2, "-momentum is SGD's", "train -spec 'input(2) dense(2)' -input %s -output %s/q -momentum 0.9",
              fx.corpus, fx.dir);
    CHECK_RUN(2, "-k is the cut-off of the held-out metrics", "recommend train -input %s -output %s/q -k 5", fx.ratings,
              fx.dir);
    /* -minn 0 -maxn 0 is fastText's supervised default: it changes nothing and is accepted */
    CHECK_RUN(0, "", "supervised -input %s -output %s/q -minn 0 -maxn 0 -epoch 1 -verbose 0", fx.corpus, fx.dir);
    harness_remove_dir(fx.dir);
}

/* Words on standard input may be of any length; a model with no vector for a word says so. */
TEST(cli_word_queries) {
    FIXTURES(fx);
    char path[128];
    snprintf(path, sizeof path, "%s/long.txt", fx.dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 2000; i++) fputc('a' + i % 26, f);
    fputs("\nking\n", f);
    fclose(f);
    CHECK(edl("nn %s -k 1 < %s", fx.vec, path) == 0);
    size_t queries = 0;
    for (const char *p = out; (p = strstr(p, "Query word?")); p++) queries++;
    /* fastText's prompt before each word and once more at the end: the 2000-byte word is one
       query, not two (scanf %%1023s split it) */
    CHECK(queries == 3);
    CHECK_RUN(1, "have no vector", "print-word-vectors %s.safetensors < %s", fx.rec, path);
    snprintf(path, sizeof path, "%s/words.txt", fx.dir);
    harness_write_text(path, "king man\n");
    CHECK_RUN(0, "king 1 0\nman 0.1 0.9\n", "print-word-vectors %s < %s", fx.vec, path);
    harness_remove_dir(fx.dir);
}

/* -h prints the usage and exits 0 for every command; -k 0 says what is wrong with it. */
TEST(cli_help_and_messages) {
    const char *cmds[] = {"nn",
                          "convert",
                          "summary",
                          "eval",
                          "analogies",
                          "eval-analogies",
                          "eval-similarity",
                          "plot-curve",
                          "print-word-vectors",
                          "print-sentence-vectors",
                          "predict",
                          "test",
                          "project",
                          "plot",
                          "export-projector",
                          "supervised",
                          "skipgram",
                          "train",
                          "bench",
                          "recommend train",
                          "recommend topk",
                          "recommend test"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int rc = edl("%s -h", cmds[i]);
        if (rc != 0 || !strstr(out, "usage")) FAILF("edl %s -h: rc %d, printed \"%.200s\"", cmds[i], rc, out);
    }
    char dir[] = "/tmp/edl-help-XXXXXX", vec[64];
    if (!mkdtemp(dir)) return;
    snprintf(vec, sizeof vec, "%s/v.vec", dir);
    harness_write_text(vec, "2 2\na 1 0\nb 0 1\n");
    CHECK_RUN(2, "-k 0 must be in [1, 100000]", "nn %s -k 0 a", vec);
    CHECK_RUN(2, "-k 1000001 must be in [1, 100000]", "analogies %s -k 1000001 a b a", vec);
    /* -binary as the help shows it, with a value, and alone */
    char corpus[64];
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    harness_write_text(corpus, "a b c d e f g a b c d e f g\n");
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w -binary 1 -minCount 1 -epoch 1 -dim 4 -thread 1 -verbose 0",
              corpus, dir);
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w -minCount 1 -epoch 1 -dim 4 -thread 1 -verbose 0 -binary", corpus,
              dir);
    char bin[80];
    snprintf(bin, sizeof bin, "%s/w.bin", dir);
    CHECK(access(bin, F_OK) == 0);
    harness_remove_dir(dir);
}

/* A token of any length that training takes, every reader takes: a 2000-byte word trains, saves
   (.vec, .bin, .safetensors) and reads back in nn, convert, plot and export-projector (before,
   every reader refused words over 1000 bytes, so skipgram saved nothing). A header's negative
   dim is refused as not a header (it read as 2^64 - 3). */
TEST(cli_long_tokens_round_trip) {
    char dir[] = "/tmp/edl-long-XXXXXX", corpus[64];
    if (!mkdtemp(dir)) return;
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    FILE *f = fopen(corpus, "w");
    char longw[2001];
    memset(longw, 'x', 2000), longw[2000] = '\0';
    edl_rng r;
    edl_rng_seed(&r, 3);
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 8; k++) fprintf(f, "w%d ", (int)edl_rng_below(&r, 30));
        fprintf(f, "%s\n", longw);
    }
    fclose(f);
    CHECK_RUN(0, "", "skipgram -input %s -output %s/sg -dim 8 -epoch 1 -minCount 1 -thread 1 -verbose 0 -binary",
              corpus, dir);
    CHECK_RUN(0, "xxxxxxxxxx", "nn %s/sg.vec -k 40 w1", dir);
    CHECK_RUN(0, "xxxxxxxxxx", "nn %s/sg.bin -k 40 w1", dir);
    CHECK_RUN(0, "32 words x 8", "convert %s/sg.bin %s/back.vec", dir, dir);
    CHECK_RUN(0, "", "plot %s/sg.safetensors -output %s/p.svg", dir, dir);
    CHECK_RUN(0, "", "export-projector %s/sg.vec %s/proj", dir, dir);
    CHECK_RUN(0, "", "supervised -input %s -output %s/clf -label w1 -epoch 1 -verbose 0", corpus, dir);
    CHECK_RUN(0, "", "plot %s/clf.safetensors -output %s/q.svg", dir, dir);
    char bad[64];
    snprintf(bad, sizeof bad, "%s/bad.vec", dir);
    harness_write_text(bad, "2 -3\na 1 2 3\nb 1 2 3\n");
    CHECK_RUN(1, "expected the header", "nn %s a", bad);
    harness_write_text(bad, "2 3 \na 1 2 3\nb 1 2 3\n"); /* a trailing space is fine, as word2vec writes it */
    CHECK_RUN(0, "Query word? a", "nn %s a", bad);
    harness_remove_dir(dir);
}

/* Messages say what is wrong: the reason survives a long path (a 512-byte buffer cut it off), a
   byte-order mark does not make the first id bad, t-SNE with dim 0 says dim. */
TEST(messages_name_the_real_reason) {
    char dir[] = "/tmp/edl-msg-XXXXXX", path[1024];
    if (!mkdtemp(dir)) return;
    size_t n = (size_t)snprintf(path, sizeof path, "%s", dir);
    for (int k = 0; k < 3; k++) { /* three directories of 200 characters */
        path[n++] = '/';
        memset(path + n, 'd', 200), n += 200, path[n] = '\0';
        CHECK(mkdir(path, 0700) == 0);
    }
    snprintf(path + n, sizeof path - n, "/data.txt");
    harness_write_text(path, "0 1 2\n1 x3\n");
    edl_dataset *d = NULL;
    CHECK_STATUS(edl_dataset_load_text(&d, path, 0, 0), EDL_ERR_FORMAT);
    CHECK(strlen(edl_last_error()) > strlen(path));
    CHECK_ERROR_HAS("not an integer: 'x3'");
    edl_dataset_free(d);
    char ratings[64];
    snprintf(ratings, sizeof ratings, "%s/bom.csv", dir);
    harness_write_text(ratings, "\xEF\xBB\xBF"
                                "1,2,5,10\n1,3,4,11\n2,2,3,12\n");
    edl_ratings *r = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    CHECK_OK(edl_ratings_read(&r, ratings, &o, NULL));
    int64_t user = 0;
    CHECK(r && edl_ratings_count(r) == 3 && edl_ratings_get(r, 0, &user, NULL, NULL, NULL) == EDL_OK && user == 1);
    edl_ratings_free(r);
    float x[60 * 2] = {0}, y[60 * 2];
    edl_tsne_args ta;
    edl_tsne_defaults(&ta);
    CHECK_STATUS(edl_tsne(y, x, 60, 0, &ta), EDL_ERR_ARG);
    CHECK_ERROR_HAS("dim is 0");
    CHECK_RUN(2, "more than a third of this machine's memory", "bench lookup -max-gb 100000");
    harness_remove_dir(dir);
}
