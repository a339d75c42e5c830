/* fastText's command line on edl, checked against Debian's fastText where it is installed (CI
 * installs it): dump, supervised -loss ns, word vectors with hs/softmax written as fastText's
 * .bin, the nn/analogies prompts, predict k -1, and the lines and files fastText writes. */
#include "edl.h"
#include "edl_text.h"
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int have_fasttext(void) { return system("command -v fasttext >/dev/null 2>&1") == 0; }

/* The same answers: the same words in the same order, numbers within tol (six significant digits
   printed, and edl's dot products add in another order than fastText's loop). */
static int same_answers(const char *a, const char *b, double tol) {
    for (;;) {
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        if (!*a || !*b) return !*a && !*b;
        size_t na = strcspn(a, " \n"), nb = strcspn(b, " \n");
        char *ea, *eb;
        double x = strtod(a, &ea), y = strtod(b, &eb);
        int numbers = ea == a + na && eb == b + nb && na && nb;
        if (numbers ? fabs(x - y) > tol + 1e-5 * fabs(y) : (na != nb || memcmp(a, b, na)))
            return 0;
        a += na, b += nb;
        if (*a != *b) return 0; /* the same line breaks */
        if (*a) a++, b++;
    }
}

static char out[1 << 16], ref[1 << 16];

TEST(fasttext_dump_is_fasttexts) {
    const char *models[4] = {"ft_hs.bin", "ft_skipgram.bin", "ft_ova.bin", "ft_softmax.ftz"};
    const char *whats[4] = {"args", "dict", "input", "output"};
    char cmd[512];
    int ft = have_fasttext();
    for (int m = 0; m < 4; m++)
        for (int w = 0; w < 4; w++) {
            if (m == 3 && w >= 2) continue; /* fastText refuses to dump a quantized matrix */
            snprintf(cmd, sizeof cmd, "%s dump tests/data/%s %s", harness_cli(), models[m], whats[w]);
            CHECK(harness_run(cmd, out, sizeof out) == 0);
            if (w == 0) CHECK(strstr(out, "dim ") == out && strstr(out, "\nlrUpdateRate ") && strstr(out, "\nt 0.0001\n"));
            if (w == 1 || w >= 2) { /* a count (or rows and columns), then that many lines */
                long first = strtol(out, NULL, 10);
                CHECK(first > 0 && (size_t)first + 1 == harness_count_lines(out));
            }
            if (!ft) continue;
            snprintf(cmd, sizeof cmd, "fasttext dump tests/data/%s %s", models[m], whats[w]);
            CHECK(harness_run(cmd, ref, sizeof ref) == 0);
            if (strcmp(out, ref)) FAILF("dump %s %s differs from fastText's:\n%.300s\n---\n%.300s", models[m], whats[w], out, ref);
        }
    snprintf(cmd, sizeof cmd, "%s dump tests/data/ft_hs.bin weights 2>&1", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "'weights': the options are args, dict, input and output"));
    if (!ft) fprintf(stderr, "    SKIPPED the comparison with fastText's dump: fasttext is not installed\n");
}

/* supervised -loss ns: fastText's negative sampling over labels. edl's model scores as
   fastText's does on the same data, its .bin is read by fastText with edl's answers, and the
   files and lines fastText writes are there: OUTPUT.vec, OUTPUT.output, the dictionary's lines
   before training. */
TEST(fasttext_supervised_ns_and_its_files) {
    char dir[] = "/tmp/edl-ftns-XXXXXX", cmd[1024];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd,
             "%s supervised -input data/spam.train -output %s/m -loss ns -neg 3 -epoch 5 -thread 1 -saveOutput "
             "-fasttextBin 2>&1",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    const char *read = strstr(out, "Read 0M words\nNumber of words:  "), *progress = strstr(out, "Progress:");
    CHECK(read && progress && read < progress && strstr(out, "\nNumber of labels: 2\n"));
    /* OUTPUT.vec: every word; OUTPUT.output: a row a label, as fastText's -saveOutput */
    snprintf(cmd, sizeof cmd, "head -1 %s/m.vec; wc -l < %s/m.vec; cat %s/m.output", dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    long words = 0, dim = 0, lines = 0, rows = 0, odim = 0;
    CHECK(sscanf(out, "%ld %ld\n%ld\n%ld %ld", &words, &dim, &lines, &rows, &odim) == 5);
    CHECK(words > 1000 && dim == 100 && lines == words + 1 && rows == 2 && odim == 100);
    CHECK(strstr(out, "\n__label__ham ") && strstr(out, "\n__label__spam "));
    double p_edl = -1, p_ft = -1;
    snprintf(cmd, sizeof cmd, "%s test %s/m.safetensors data/spam.test", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && sscanf(out, "N\t%*d\nP@1\t%lf", &p_edl) == 1);
    CHECK(p_edl > 0.9);
    if (have_fasttext()) {
        snprintf(cmd, sizeof cmd,
                 "fasttext supervised -input data/spam.train -output %s/f -loss ns -neg 3 -epoch 5 -thread 1 "
                 "-verbose 0 && fasttext test %s/f.bin data/spam.test",
                 dir, dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0 && sscanf(out, "N\t%*d\nP@1\t%lf", &p_ft) == 1);
        if (!(fabs(p_edl - p_ft) < 0.02)) FAILF("-loss ns: P@1 edl %.3f, fastText %.3f", p_edl, p_ft);
        /* fastText on edl's .bin answers as edl on it, line by line, every label (k -1) */
        snprintf(cmd, sizeof cmd, "fasttext predict-prob %s/m.bin data/spam.test -1", dir);
        CHECK(harness_run(cmd, ref, sizeof ref) == 0);
        snprintf(cmd, sizeof cmd, "%s predict-prob %s/m.bin data/spam.test -1", harness_cli(), dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0);
        if (!same_answers(out, ref, 2e-6)) FAILF("predict-prob on edl's .bin: edl and fastText differ");
        snprintf(cmd, sizeof cmd, "fasttext dump %s/m.bin output", dir);
        CHECK(harness_run(cmd, ref, sizeof ref) == 0);
        snprintf(cmd, sizeof cmd, "%s dump %s/m.safetensors output", harness_cli(), dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0 && !strcmp(out, ref));
    } else {
        fprintf(stderr, "    SKIPPED the comparison with fastText: fasttext is not installed\n");
    }
    /* k -1: every label on every line */
    snprintf(cmd, sizeof cmd, "%s predict %s/m.safetensors data/spam.test -1 | awk 'NF != 2' | wc -l", harness_cli(),
             dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && !strcmp(out, "0\n"));
    /* -neg belongs to -loss ns; -loss ns needs two labels */
    snprintf(cmd, sizeof cmd, "%s supervised -input data/spam.train -output %s/x -neg 3 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "-neg is the number of labels sampled with -loss ns"));
    harness_remove_dir(dir);
}

/* Two topics of words: a0..a19 and b0..b19, each line from one. */
static void write_topic_text(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    edl_rng r;
    edl_rng_seed(&r, 7);
    for (int l = 0; l < 1500; l++) {
        char t = l % 2 ? 'a' : 'b';
        for (int w = 0; w < 12; w++) fprintf(f, "%c%d ", t, (int)edl_rng_below(&r, 20));
        fputc('\n', f);
    }
    fclose(f);
}

/* skipgram and cbow with hs and softmax: fastText reads edl's .bin and finds the same
   neighbours; nn and analogies print fastText's prompts when the words come on stdin. */
TEST(fasttext_word_vector_losses_and_prompts) {
    char dir[] = "/tmp/edl-ftwv-XXXXXX", text[96], cmd[1024];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(text, sizeof text, "%s/t.txt", dir);
    write_topic_text(text);
    const char *runs[3] = {"skipgram -loss hs", "cbow -loss hs", "skipgram -loss softmax"};
    int ft = have_fasttext();
    for (int i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "%s %s -input %s -output %s/m -dim 16 -epoch 10 -minCount 1 -minn 0 -maxn 0 -thread 1 -verbose 0 "
                 "-fasttextBin -saveOutput",
                 harness_cli(), runs[i], text, dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0);
        snprintf(cmd, sizeof cmd, "echo a3 b7 | %s nn %s/m.bin 5", harness_cli(), dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0);
        /* fastText's prompt before each word and after the last; a topic's words nearest */
        CHECK(!strncmp(out, "Query word? a", 13) && strstr(out, "\nQuery word? b") && strstr(out, "Query word? ") &&
              out[strlen(out) - 1] == ' ');
        snprintf(cmd, sizeof cmd, "head -1 %s/m.output", dir);
        CHECK(harness_run(cmd, ref, sizeof ref) == 0 && !strcmp(ref, "41 16\n")); /* 40 words and </s> */
        if (!ft) continue;
        snprintf(cmd, sizeof cmd, "echo a3 b7 | fasttext nn %s/m.bin 5", dir);
        CHECK(harness_run(cmd, ref, sizeof ref) == 0);
        if (!same_answers(out, ref, 2e-6)) FAILF("%s: nn on edl's .bin:\n%s\n--- fastText:\n%s", runs[i], out, ref);
    }
    /* fastText's own model: the same nn and analogies output, prompts and all */
    snprintf(cmd, sizeof cmd, "echo alphaung zeta | %s nn tests/data/ft_skipgram.bin 3", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    if (ft) {
        CHECK(harness_run("echo alphaung zeta | fasttext nn tests/data/ft_skipgram.bin 3", ref, sizeof ref) == 0);
        if (!same_answers(out, ref, 2e-6)) FAILF("nn on fastText's model:\n%s\n--- fastText:\n%s", out, ref);
    }
    snprintf(cmd, sizeof cmd, "echo alphaung betaung zeta | %s analogies tests/data/ft_skipgram.bin 2", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(!strncmp(out, "Loading model tests/data/ft_skipgram.bin\nQuery triplet (A - B + C)? ", 68) &&
          harness_count_lines(out) == 3); /* the last prompt waits for a triple that never comes */
    /* a k that is not a count is named */
    snprintf(cmd, sizeof cmd, "%s nn tests/data/ft_skipgram.bin 0 2>&1", harness_cli());
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "k 0 must be in [1, 100000]"));
    /* -binary (word2vec's .bin) and -fasttextBin (fastText's) would write the same file */
    snprintf(cmd, sizeof cmd, "%s skipgram -input %s -output %s/m -binary -fasttextBin 2>&1", harness_cli(), text, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "would both write"));
    /* -wordNgrams is taken as fastText takes it here, and said to do nothing */
    snprintf(cmd, sizeof cmd, "%s skipgram -input %s -output %s/m -wordNgrams 2 -epoch 1 -dim 4 -minn 0 -maxn 0 2>&1",
             harness_cli(), text, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "-wordNgrams 2 has no effect on skipgram"));
    harness_remove_dir(dir);
}

/* quantize -retrain, in fastText's form (-output names the model, -input the text): the kept rows
   fine-tuned on the text score at least as well as without, in a file of the same size, which
   fastText reads with edl's answers; what -retrain cannot do is refused, named. */
TEST(fasttext_quantize_retrain) {
    char dir[] = "/tmp/edl-ftr-XXXXXX", cmd[2048];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd,
             "%s supervised -input data/spam.train -output %s/m -wordNgrams 2 -bucket 100000 -epoch 10 -thread 1 "
             "-verbose 0 -fasttextBin && cp %s/m.bin %s/r.bin && "
             "%s quantize -input %s/m.bin -output %s/n -qnorm -cutoff 5000 -verbose 0 && "
             "%s quantize -output %s/r -input data/spam.train -qnorm -cutoff 5000 -retrain -epoch 3 -thread 1 -verbose 0",
             harness_cli(), dir, dir, dir, harness_cli(), dir, dir, harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    double p_no = -1, p_re = -1;
    snprintf(cmd, sizeof cmd, "%s test %s/n.ftz data/spam.test", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && sscanf(out, "N\t%*d\nP@1\t%lf", &p_no) == 1);
    snprintf(cmd, sizeof cmd, "%s test %s/r.ftz data/spam.test", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && sscanf(out, "N\t%*d\nP@1\t%lf", &p_re) == 1);
    if (!(p_no > 0.9 && p_re >= p_no - 0.005)) FAILF("P@1 %.3f without -retrain, %.3f with it", p_no, p_re);
    size_t nn = 0, nr = 0;
    char path[128];
    snprintf(path, sizeof path, "%s/n.ftz", dir);
    free(read_file_bytes(path, &nn));
    snprintf(path, sizeof path, "%s/r.ftz", dir);
    free(read_file_bytes(path, &nr));
    CHECK(nn > 0 && nr == nn);
    if (have_fasttext()) { /* fastText's own quantize -retrain: the same size; its CLI reads edl's file */
        snprintf(cmd, sizeof cmd,
                 "cp %s/m.bin %s/f.bin && fasttext quantize -output %s/f -input data/spam.train -qnorm -cutoff 5000 "
                 "-retrain -epoch 3 -thread 1 >/dev/null 2>&1 && wc -c < %s/f.ftz",
                 dir, dir, dir, dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0 && (size_t)strtoull(out, NULL, 10) == nr);
        snprintf(cmd, sizeof cmd, "fasttext predict-prob %s/r.ftz data/spam.test 2", dir);
        CHECK(harness_run(cmd, ref, sizeof ref) == 0);
        snprintf(cmd, sizeof cmd, "%s predict-prob %s/r.ftz data/spam.test 2", harness_cli(), dir);
        CHECK(harness_run(cmd, out, sizeof out) == 0);
        if (!same_answers(out, ref, 2e-6)) FAILF("predict-prob on edl's retrained .ftz: edl and fastText differ");
    }
    snprintf(cmd, sizeof cmd, "%s quantize -input %s/m.bin -output %s/x -cutoff 5000 -retrain 2>&1", harness_cli(), dir,
             dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "-retrain trains on text"));
    snprintf(cmd, sizeof cmd, "%s quantize -output %s/r -input data/spam.train -retrain 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "-retrain fine-tunes the rows -cutoff keeps"));
    snprintf(cmd, sizeof cmd, "%s quantize -input %s/m.bin -output %s/x -epoch 2 2>&1", harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "are -retrain's"));
    harness_remove_dir(dir);
}

/* supervised -autotune-*: fastText's flags, progress line and files; bad values named. */
TEST(fasttext_autotune_flags) {
    char dir[] = "/tmp/edl-ftat-XXXXXX", cmd[1024];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd,
             "head -2000 data/spam.train > %s/t.txt; sed -n '2001,2600p' data/spam.train > %s/v.txt; "
             "%s supervised -input %s/t.txt -output %s/m -autotune-validation %s/v.txt -autotune-duration 2 "
             "-autotune-modelsize 300k -dim 20 -thread 1 2>&1",
             dir, dir, harness_cli(), dir, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "Warning : dim is manually set to a specific value. It will not be automatically optimized.") &&
          strstr(out, "Progress: ") && strstr(out, "Trials: ") && strstr(out, "Best score ") &&
          strstr(out, "-dim 20 ") && strstr(out, "-qnorm -retrain"));
    size_t n = 0;
    char path[128];
    snprintf(path, sizeof path, "%s/m.ftz", dir);
    free(read_file_bytes(path, &n));
    CHECK(n > 0 && n <= 300000);
    snprintf(cmd, sizeof cmd, "%s test %s/m.ftz %s/v.txt", harness_cli(), dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "P@1\t"));
    const char *bad[][2] = {
        {"-autotune-metric f2", "is not f1, f1:LABEL"},
        {"-autotune-metric precisionAtRecall:120", "a percentage in [0, 100]"},
        {"-autotune-modelsize 2X", "is not a size such as 2M"},
        {"-autotune-duration 0", "must be more than 0 seconds"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s supervised -input %s/t.txt -output %s/x -autotune-validation %s/v.txt %s 2>&1",
                 harness_cli(), dir, dir, dir, bad[i][0]);
        if (harness_run(cmd, out, sizeof out) != 2 || !strstr(out, bad[i][1]))
            FAILF("%s: printed \"%.200s\" (want rc 2 and \"%s\")", bad[i][0], out, bad[i][1]);
    }
    snprintf(cmd, sizeof cmd, "%s supervised -input %s/t.txt -output %s/x -autotune-duration 5 2>&1", harness_cli(), dir,
             dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "need -autotune-validation FILE"));
    harness_remove_dir(dir);
}
