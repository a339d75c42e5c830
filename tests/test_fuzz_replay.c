/* The fuzzers' inputs in every `make test`: each libFuzzer harness (tests/fuzz/fuzz_*.c) is
 * compiled in here under its own name and run over every file of its seed corpus
 * (tests/fuzz/corpus/NAME/) and of its saved crash inputs (tests/fuzz/regress/NAME/), so a parser
 * that crashes, trips a sanitizer (the SAN=1 build), leaks or refuses without a message on any
 * of them fails the suite on a machine without clang or libFuzzer. */
#include "harness.h"

#include <dirent.h>

static const char *replaying; /* the input being replayed, for the failure message */

static void replay_fail(const char *why) {
    harness_failures++;
    fprintf(stderr, "    %s: %s\n", replaying, why);
}
#define FUZZ_FAIL(why) replay_fail(why)

/* Each harness defines LLVMFuzzerTestOneInput: renamed here so that all of them link together. */
#define LLVMFuzzerTestOneInput fuzz_one_safetensors
#include "fuzz/fuzz_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_spec
#include "fuzz/fuzz_spec.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_vectors
#include "fuzz/fuzz_vectors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_text
#include "fuzz/fuzz_text.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_ratings
#include "fuzz/fuzz_ratings.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_models
#include "fuzz/fuzz_models.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_fasttext
#define on_subword             fuzz_fasttext_on_subword
#include "fuzz/fuzz_fasttext.c"
#undef on_subword
#undef LLVMFuzzerTestOneInput

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs one harness over every file in dir (sorted, so the order is the same everywhere);
   returns how many, or -1 when there is no such directory. */
static long replay_dir(const char *dir, int (*one)(const uint8_t *, size_t)) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue; /* ., .. and hidden files such as .gitkeep */
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) != NULL) n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    long replayed = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unsigned char *data = read_file_bytes(path, &len);
        if (!data) {
            FAILF("cannot read %s", path);
        } else {
            replaying = path;
            one(data, len);
            replayed++;
        }
        free(data);
        free(names[i]);
    }
    free(names);
    return replayed;
}

TEST(fuzz_corpora_and_crashes_replay) {
    const struct {
        const char *name;
        int (*one)(const uint8_t *, size_t);
    } h[] = {
        {"safetensors", fuzz_one_safetensors}, {"spec", fuzz_one_spec},
        {"vectors", fuzz_one_vectors},         {"text", fuzz_one_text},
        {"ratings", fuzz_one_ratings},         {"models", fuzz_one_models},
        {"fasttext", fuzz_one_fasttext},
    };
    set_threads(1); /* as the fuzzers run: built without OpenMP */
    long seeds = 0, crashes = 0;
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        char dir[128];
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", h[i].name);
        long s = replay_dir(dir, h[i].one);
        if (s <= 0) FAILF("%s: no seeds (run from the repository root)", dir); /* replaying nothing must not pass */
        snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", h[i].name);
        long c = replay_dir(dir, h[i].one); /* crash inputs: none yet is fine */
        fprintf(stderr, "    fuzz_%-12s %ld seeds, %ld saved crash inputs\n", h[i].name, s > 0 ? s : 0, c > 0 ? c : 0);
        seeds += s > 0 ? s : 0, crashes += c > 0 ? c : 0;
    }
    fprintf(stderr, "    %ld inputs replayed through the %zu harnesses\n", seeds + crashes, sizeof h / sizeof h[0]);
}
