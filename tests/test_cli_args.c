/* The CLI's one parser (issue 13): boolean flags that stand alone, -h handled for every command,
 * enum flags spelled by the library's table of names, and one checked way to close an output
 * (a -log on a full disk fails every trainer). */
#include "harness.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char out[65536];

/* "edl ARGS" (printf-style): stdout and stderr together in out (all), or stdout alone; the exit status. */
static int edl_run(int all, const char *fmt, va_list ap) {
    char args[1800], cmd[2048];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, sizeof cmd, "%s %s%s", harness_cli(), args, all ? "" : " 2>/dev/null");
    return all ? harness_run_all(cmd, out, sizeof out) : harness_run(cmd, out, sizeof out);
}
static int edl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int edl(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = edl_run(1, fmt, ap);
    va_end(ap);
    return rc;
}
static int edl_stdout(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int edl_stdout(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = edl_run(0, fmt, ap);
    va_end(ap);
    return rc;
}

static int exists(const char *dir, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* -h and --help, anywhere among the arguments, print the usage to standard output and exit 0,
   for every command and subcommand. */
TEST(cli_help_for_every_command) {
    const char *cmds[] = {"supervised",
                          "test",
                          "test-label",
                          "predict",
                          "predict-prob",
                          "print-sentence-vectors",
                          "skipgram",
                          "cbow",
                          "convert",
                          "nn",
                          "analogies",
                          "eval-analogies",
                          "eval-similarity",
                          "print-word-vectors",
                          "project",
                          "plot",
                          "export-projector",
                          "plot-curve",
                          "summary",
                          "train",
                          "eval",
                          "bench",
                          "recommend",
                          "recommend train",
                          "recommend test",
                          "recommend topk",
                          "recommend similar",
                          "recommend synth",
                          "recommend split"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *forms[] = {"-h", "--help", "-dim 3 -h"};
        for (int k = 0; k < 3; k++) {
            if (k == 2 && strcmp(cmds[i], "supervised") && strcmp(cmds[i], "skipgram")) continue;
            int rc = edl_stdout("%s %s", cmds[i], forms[k]);
            char want[64];
            snprintf(want, sizeof want, "usage: edl %s", cmds[i]);
            if (rc != 0 || !strstr(out, want))
                FAILF("edl %s %s: rc %d, printed \"%.200s\"", cmds[i], forms[k], rc, out);
        }
    }
    /* the flags and their defaults follow the usage line */
    CHECK(edl_stdout("supervised -h") == 0 &&
          strstr(out, "  -loss           loss function {softmax, ova, hs, ns} [softmax]\n") &&
          strstr(out, "  -wordNgrams") && strstr(out, "  -ws ") && strstr(out, "[unset]"));
    CHECK(edl_stdout("skipgram -h") == 0 && strstr(out, "  -loss           loss function {ns, hs, softmax} [ns]\n") &&
          strstr(out, "  -ws             size of the context window [5]\n") && strstr(out, "  -binary") &&
          strstr(out, "-wordNgrams") && strstr(out, "-pretrainedVectors") && strstr(out, "-saveOutput"));
    CHECK(edl_stdout("skipgram -dim 7 -h") == 0 && strstr(out, "size of word vectors [7]"));
    CHECK(edl_stdout("train -h") == 0 && strstr(out, "sgd, adagrad, rowwise-adagrad, adam, adamw [adam]") &&
          strstr(out, "initialisation: torch, keras, fasttext [torch]"));
    CHECK(edl_stdout("recommend train -h") == 0 && strstr(out, "auto|udata|dat|csv (MovieLens") &&
          strstr(out, "mf | bpr | mlp | pop"));
    /* no command, or an unknown flag: the usage on standard error, status 2 */
    CHECK_RUN(2, "usage: edl recommend COMMAND", "recommend");
    CHECK_RUN(2, "unknown flag '-x'", "recommend -x");
    CHECK_RUN(2, "usage: edl bench onehot|lookup|kernels", "bench");
    CHECK_RUN(2, "usage: edl test MODEL FILE|- [k] [threshold]", "test m.safetensors");
}

/* A boolean flag standing alone sets it; -flag 0 / -flag 1 and --flag=0|1 still say which. */
TEST(cli_boolean_flags_stand_alone) {
    char dir[] = "/tmp/edl-args-XXXXXX", corpus[64];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    harness_write_text(corpus, "a b c d e f g a b c d e f g\nb c d e f g a\n");
    const char *common = "-minCount 1 -epoch 1 -dim 4 -thread 1 -verbose 0";
    /* alone in the middle (the next flag is no value), alone at the end, 1, =1: .bin written */
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w1 -binary %s", corpus, dir, common);
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w2 %s -binary", corpus, dir, common);
    CHECK_RUN(0, "", "cbow -input %s -output %s/w3 -binary 1 %s", corpus, dir, common);
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w4 --binary=1 %s", corpus, dir, common);
    CHECK(exists(dir, "w1.bin") && exists(dir, "w2.bin") && exists(dir, "w3.bin") && exists(dir, "w4.bin"));
    /* 0 and =0: not written */
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w5 -binary 0 %s", corpus, dir, common);
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w6 --binary=0 %s", corpus, dir, common);
    CHECK(!exists(dir, "w5.bin") && !exists(dir, "w6.bin") && exists(dir, "w5.vec"));
    /* a value that is not 0 or 1 is refused, naming the flag */
    CHECK_RUN(2, "bad value 'yes' for -binary (want 0 or 1, or the flag alone for 1)",
              "skipgram -input %s -output %s/w7 --binary=yes", corpus, dir);
    /* -update window is negative sampling's: asked for with hs or softmax it is refused, by name */
    CHECK_RUN(2, "-update window is for -loss ns (-loss hs trains a pair at a time)",
              "skipgram -input %s -output %s/w8 -loss hs -update window %s", corpus, dir, common);
    CHECK_RUN(0, "", "skipgram -input %s -output %s/w9 -loss hs %s", corpus, dir, common); /* the default: pairs */
    /* -nesterov alone is on (and SGD's) */
    char data[64];
    snprintf(data, sizeof data, "%s/d.txt", dir);
    harness_write_text(data, "1 0 1\n0 2 3\n1 1 0\n0 3 2\n");
    CHECK_RUN(0, "",
              "train -spec 'embedding_bag(rows=4,dim=2) dense(2)' -input %s -output %s/t -epoch 1 -optimizer sgd "
              "-momentum 0.5 -nesterov -verbose 0",
              data, dir);
    CHECK_RUN(2, "-nesterov is SGD's",
              "train -spec 'embedding_bag(rows=4,dim=2) dense(2)' -input %s -output %s/t -nesterov", data, dir);
    /* recommend topk -all alone is -all 1: the same ranking, the user's own items kept */
    char ratings[64];
    static char a1[sizeof out];
    snprintf(ratings, sizeof ratings, "%s/u.data", dir);
    CHECK(edl("recommend synth -output %s -users 20 -items 30 -per-user 6 -seed 2", ratings) == 0);
    CHECK(edl("recommend train -input %s -output %s/r -dim 4 -epoch 1 -thread 1 -verbose 0", ratings, dir) == 0);
    CHECK(edl_stdout("recommend topk %s/r.safetensors -user 1 -k 30 -all 1", dir) == 0);
    memcpy(a1, out, sizeof a1);
    CHECK(edl_stdout("recommend topk %s/r.safetensors -user 1 -k 30 -all", dir) == 0 && !strcmp(out, a1));
    CHECK(edl_stdout("recommend topk %s/r.safetensors -all -user 1 -k 30", dir) == 0 && !strcmp(out, a1));
    CHECK(edl_stdout("recommend topk %s/r.safetensors -user 1 -k 30 -all 0", dir) == 0 && strcmp(out, a1) &&
          harness_count_lines(out) < harness_count_lines(a1));
    harness_remove_dir(dir);
}

/* Enum flags take the library's names (and its aliases) and refuse others listing what they
   take; the optimizer's alias is written into the model as the canonical name. */
TEST(cli_enum_flags_use_the_library_names) {
    char dir[] = "/tmp/edl-names-XXXXXX", data[64], ratings[64];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    harness_write_text(data, "1 0 1\n0 2 3\n1 1 0\n0 3 2\n");
    snprintf(ratings, sizeof ratings, "%s/u.data", dir);
    harness_write_text(ratings, "1\t1\t5\t1\n1\t2\t3\t2\n2\t1\t4\t3\n2\t3\t2\t4\n");
    const char *spec = "-spec 'embedding_bag(rows=4,dim=2) dense(2)'";
    CHECK_RUN(2, "edl supervised: -loss 'nce' is not softmax, ova, hs or ns",
              "supervised -input %s -output %s/q -loss nce", data, dir);
    CHECK_RUN(2, "edl skipgram: -loss 'ova' is not ns, hs or softmax", "skipgram -input %s -output %s/q -loss ova",
              data, dir);
    CHECK_RUN(2, "edl supervised: -optimizer 'adamw' is not sgd, adam or adagrad",
              "supervised -input %s -output %s/q -optimizer adamw", data, dir);
    CHECK_RUN(2, "edl train: -optimizer 'lion' is not sgd, adagrad, rowwise-adagrad, adam or adamw",
              "train %s -input %s -output %s/q -optimizer lion", spec, data, dir);
    CHECK_RUN(2, "edl train: -schedule 'step' is not constant, linear or cosine",
              "train %s -input %s -output %s/q -schedule step", spec, data, dir);
    CHECK_RUN(2, "edl train: -init 'xavier' is not torch, keras or fasttext",
              "train %s -input %s -output %s/q -init xavier", spec, data, dir);
    CHECK_RUN(2, "edl recommend train: -model 'svd' is not mf, bpr, mlp or pop",
              "recommend train -input %s -output %s/q -model svd", ratings, dir);
    CHECK_RUN(2, "edl recommend train: -optimizer 'adamw' is not sgd, adagrad or adam",
              "recommend train -input %s -output %s/q -optimizer adamw", ratings, dir);
    CHECK_RUN(2, "edl recommend train: -decay 'cosine' is not linear or constant",
              "recommend train -input %s -output %s/q -decay cosine", ratings, dir);
    CHECK_RUN(2, "edl recommend train: -format 'xml' is not auto, udata, dat or csv",
              "recommend train -input %s -output %s/q -format xml", ratings, dir);
    CHECK_RUN(0, "", "recommend train -input %s -output %s/rt -dim 2 -epoch 1 -verbose 0", ratings, dir);
    CHECK_RUN(2, "edl recommend test: -format 'xml' is not auto, udata, dat or csv",
              "recommend test %s/rt.safetensors %s -format xml", dir, ratings);
    CHECK_RUN(2, "edl convert: format 'word2vec' is not auto, text, glove, binary or safetensors",
              "convert %s %s/o.vec --from word2vec", data, dir);
    /* -split parsed once: train takes none, split does not */
    CHECK_RUN(2, "-split 'random:0' is not none, random:FRACTION (0 < f < 1) or last",
              "recommend train -input %s -output %s/q -split random:0", ratings, dir);
    CHECK_RUN(2, "-split 'none' is not random:FRACTION (0 < f < 1) or last",
              "recommend split %s -output %s/q -split none", ratings, dir);
    CHECK_RUN(0, "", "recommend split %s -output %s/s -split random:0.5 -seed 1", ratings, dir);
    /* the alias: accepted, and the file says the canonical name */
    CHECK_RUN(0, "", "train %s -input %s -output %s/rw -epoch 1 -optimizer rowwise_adagrad -verbose 0", spec, data,
              dir);
    char path[96];
    snprintf(path, sizeof path, "%s/rw.safetensors", dir);
    edl_model *m = NULL;
    CHECK_OK(edl_model_load(&m, path));
    const char *opt = m ? edl_model_meta(m, "train.optimizer") : NULL;
    CHECK(opt && !strcmp(opt, "rowwise-adagrad"));
    edl_model_free(m);
    harness_remove_dir(dir);
}

/* Every trainer's -log goes through the one checked close: a full disk fails the command,
   naming the flag, the file and why (the model is still saved). */
TEST(cli_log_to_a_full_disk_fails_every_trainer) {
    if (access("/dev/full", W_OK) != 0) {
        fprintf(stderr, "    SKIPPED: no writable /dev/full here\n");
        return;
    }
    char dir[] = "/tmp/edl-full-XXXXXX", data[64], corpus[64], ratings[64];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    harness_write_text(data, "1 0 1\n0 2 3\n1 1 0\n0 3 2\n");
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    harness_write_text(corpus, "__label__a x y z\n__label__b u v w\n__label__a x y\n");
    snprintf(ratings, sizeof ratings, "%s/u.data", dir);
    CHECK(edl("recommend synth -output %s -users 20 -items 30 -per-user 6", ratings) == 0);
    const char *want = "-log /dev/full: write failed: No space left on device";
    CHECK_RUN(1, want, "supervised -input %s -output %s/s -epoch 2 -verbose 0 -log /dev/full", corpus, dir);
    CHECK_RUN(1, want, "supervised -input %s -output %s/h -epoch 2 -hidden 4 -verbose 0 -log /dev/full", corpus, dir);
    CHECK_RUN(
        1, want,
        "train -spec 'embedding_bag(rows=4,dim=2) dense(2)' -input %s -output %s/t -epoch 2 -verbose 0 -log /dev/full",
        data, dir);
    CHECK_RUN(1, want, "recommend train -input %s -output %s/r -dim 4 -epoch 2 -verbose 0 -log /dev/full", ratings,
              dir);
    CHECK_RUN(1, want,
              "recommend train -input %s -output %s/r2 -model bpr -dim 4 -epoch 2 -verbose 0 -split random:0.2 -log "
              "/dev/full",
              ratings, dir);
    CHECK(exists(dir, "s.safetensors") && exists(dir, "t.safetensors") && exists(dir, "r.safetensors"));
    /* the other stdio outputs: project's CSV and standard output */
    harness_write_text(data, "3 2\nking 1 0\nqueen 0.9 0.1\nman 0.1 0.9\n");
    CHECK_RUN(1, "edl project: /dev/full: write failed: No space left on device", "project %s -output /dev/full", data);
    CHECK_RUN(1, "edl project: standard output: write failed: No space left on device", "project %s > /dev/full", data);
    harness_remove_dir(dir);
}

/* A vectors file's format is told by the library: a broken file named .safetensors is read (and
   refused) as safetensors, not as text. */
TEST(vectors_auto_format_by_name_and_start) {
    char dir[] = "/tmp/edl-auto-XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/v.safetensors", dir);
    harness_write_text(path, "2 2\na 1 0\nb 0 1\n");
    edl_vectors *v = NULL;
    CHECK_STATUS(edl_vectors_read(&v, path, EDL_VEC_AUTO), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("v.safetensors: byte 0:");
    CHECK(v == NULL);
    snprintf(path, sizeof path, "%s/v.vec", dir);
    harness_write_text(path, "2 2\na 1 0\nb 0 1\n");
    CHECK_OK(edl_vectors_read(&v, path, EDL_VEC_AUTO));
    CHECK(v && edl_vectors_count(v) == 2);
    edl_vectors_free(v);
    harness_remove_dir(dir);
}
