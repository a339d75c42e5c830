/* Every trainer run twice with -thread 1 and a seed writes the same bytes (issue 17: speed work
 * must not make a run depend on anything but its arguments). Each command is run
 * twice, and every file the first run wrote must exist after the second with the same bytes.
 * The recommenders' block schedule also promises the same model at two threads for a seed. */
#include "harness.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static char out[65536];

/* Runs "edl ARGS" with every OUT in ARGS replaced by dir; returns the exit status. */
static int run_into(const char *args, const char *dir) {
    char cmd[4096], *p = cmd;
    size_t left = sizeof cmd;
    int n = snprintf(p, left, "%s ", harness_cli());
    p += n, left -= (size_t)n;
    for (const char *s = args; *s && left > 1;) {
        if (!strncmp(s, "OUT", 3)) {
            n = snprintf(p, left, "%s", dir);
            if ((size_t)n >= left) return -1;
            p += n, left -= (size_t)n, s += 3;
        } else {
            *p++ = *s++, left--;
        }
    }
    *p = 0;
    return harness_run_all(cmd, out, sizeof out);
}

/* The number of files in a (compared by name and bytes with b), or -1 after a failure. */
static int same_files(const char *a, const char *b, const char *what) {
    DIR *d = opendir(a);
    if (!d) {
        FAILF("%s: cannot list %s", what, a);
        return -1;
    }
    int files = 0, bad = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char pa[512], pb[512];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        size_t na = 0, nb = 0;
        unsigned char *x = read_file_bytes(pa, &na), *y = read_file_bytes(pb, &nb);
        if (!x || !y || na != nb || memcmp(x, y, na)) {
            FAILF("%s: %s differs between two runs (%zu and %zu bytes)", what, e->d_name, na, nb);
            bad = 1;
        }
        free(x), free(y), files++;
    }
    closedir(d);
    return bad ? -1 : files;
}

/* The same command twice into the same directory (edl train keeps its arguments, the output path
   among them, in the model's metadata); the first run's files are moved aside. */
static void check_twice(const char *root, const char *name, const char *args) {
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/%s-first", root, name);
    snprintf(b, sizeof b, "%s/%s", root, name);
    for (int i = 0; i < 2; i++) {
        if (mkdir(b, 0700)) {
            FAILF("%s: mkdir %s", name, b);
            return;
        }
        if (run_into(args, b) != 0) {
            FAILF("%s: edl %s failed: %s", name, args, out);
            return;
        }
        if (i == 0 && rename(b, a)) {
            FAILF("%s: rename %s", name, b);
            return;
        }
    }
    if (same_files(a, b, name) == 0) FAILF("%s: the run wrote nothing", name);
}

TEST(trainers_repeat_bit_for_bit_at_one_thread) {
    char dir[] = "/tmp/edl-repeat-XXXXXX", corpus[96], ratings[96], bags[96], cmd[1024];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
    snprintf(ratings, sizeof ratings, "%s/u.data", dir);
    snprintf(bags, sizeof bags, "%s/bags.txt", dir);

    /* a word corpus: 400 lines over 60 words, two topics */
    FILE *f = fopen(corpus, "w");
    if (!f) {
        FAILF("cannot write %s", corpus);
        return;
    }
    edl_rng rng;
    edl_rng_seed(&rng, 3);
    for (int l = 0; l < 400; l++) {
        int topic = l % 2;
        for (int w = 0; w < 12; w++) fprintf(f, "%sw%u", w ? " " : "", topic * 30 + (unsigned)edl_rng_below(&rng, 30));
        fputc('\n', f);
    }
    fclose(f);
    /* bags for edl train: label then ids */
    f = fopen(bags, "w");
    if (!f) {
        FAILF("cannot write %s", bags);
        return;
    }
    for (int l = 0; l < 300; l++) {
        int label = l % 3;
        fprintf(f, "%d", label);
        for (int w = 0; w < 6; w++) fprintf(f, " %u", label * 20 + (unsigned)edl_rng_below(&rng, 20));
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s recommend synth -output %s -users 60 -items 80 -per-user 12 -seed 4", harness_cli(),
             ratings);
    if (harness_run_all(cmd, out, sizeof out) != 0) {
        FAILF("recommend synth: %s", out);
        return;
    }

    const char *common = "-thread 1 -seed 11 -verbose 0";
    struct {
        const char *name, *fmt;
    } runs[] = {
        {"supervised",
         "supervised -input data/spam.train -output OUT/m -dim 8 -epoch 2 -wordNgrams 2 -bucket 100000 %s"},
        {"supervised-hidden",
         "supervised -input data/spam.train -output OUT/m -dim 8 -epoch 1 -hidden 8 -batch 16 -dropout 0.2 %s"},
        {"skipgram", "skipgram -input CORPUS -output OUT/v -dim 16 -epoch 2 -minCount 1 -bucket 5000 %s"},
        {"skipgram-words", "skipgram -input CORPUS -output OUT/v -dim 16 -epoch 2 -minCount 1 -minn 0 -maxn 0 %s"},
        {"cbow", "cbow -input CORPUS -output OUT/v -dim 16 -epoch 2 -minCount 1 -bucket 5000 %s"},
        {"train", "train -spec 'embedding_bag(rows=60,dim=8) dense(16,act=relu) dropout(0.1) dense(3)' -input BAGS "
                  "-output OUT/t -epoch 2 %s"},
        {"mf", "recommend train -input RATINGS -output OUT/r -model mf -dim 8 -epoch 2 %s"},
        {"bpr", "recommend train -input RATINGS -output OUT/r -model bpr -dim 8 -epoch 2 %s"},
        {"mlp", "recommend train -input RATINGS -output OUT/r -model mlp -dim 8 -epoch 2 %s"},
        {"bpr-2threads", "recommend train -input RATINGS -output OUT/r -model bpr -dim 8 -epoch 2 -thread 2 -seed 11 "
                         "-verbose 0%s"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        char args[1024], expanded[2048];
        snprintf(args, sizeof args, runs[i].fmt, strstr(runs[i].fmt, "-thread 2") ? "" : common);
        /* put the fixture paths in; OUT stays for run_into */
        char *p = expanded;
        size_t left = sizeof expanded;
        for (const char *s = args; *s && left > 1;) {
            const char *sub = NULL;
            size_t skip = 0;
            if (!strncmp(s, "CORPUS", 6)) sub = corpus, skip = 6;
            if (!strncmp(s, "RATINGS", 7)) sub = ratings, skip = 7;
            if (!strncmp(s, "BAGS", 4)) sub = bags, skip = 4;
            if (sub) {
                int n = snprintf(p, left, "%s", sub);
                if ((size_t)n >= left) break;
                p += n, left -= (size_t)n, s += skip;
            } else {
                *p++ = *s++, left--;
            }
        }
        *p = 0;
        check_twice(dir, runs[i].name, expanded);
    }
    harness_remove_dir(dir);
}
