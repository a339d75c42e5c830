/* Shared by the libFuzzer harnesses: each input is written to a file (edl's readers take paths)
 * and read back by the parser under test. A parser may refuse an input; it may never crash,
 * leak (LeakSanitizer), or leave the library's error message empty on a refusal.
 * tests/test_fuzz_replay.c compiles these same harnesses into `make test` and replays every seed
 * and saved crash input through them, so a regression fails without clang or libFuzzer. */
#ifndef EDL_FUZZ_H
#define EDL_FUZZ_H

#include "edl.h"
#include "edl_viz.h"
#include "edl_text.h"
#include "edl_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A broken promise. Under libFuzzer: abort, so the input is kept as a crash. The replay defines
   it to count a test failure and carry on (the next checks are still safe to run). */
#ifndef FUZZ_FAIL
#define FUZZ_FAIL(why) abort()
#endif

static char fuzz_path[128];
static void fuzz_remove_file(void) { unlink(fuzz_path); }

/* A per-process file holding the input (in /dev/shm when there is one: no disk writes), removed
   when the process exits (or another suffix takes over: the replay runs every fuzzer). */
static const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix) {
    char *path = fuzz_path, next[sizeof fuzz_path];
    snprintf(next, sizeof next, "%s/edl-fuzz-%ld%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (long)getpid(), suffix);
    if (!path[0])
        atexit(fuzz_remove_file);
    else if (strcmp(path, next))
        unlink(path);
    memcpy(path, next, sizeof next);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

/* A refusal must say why. */
static void fuzz_check(edl_status s) {
    if (s != EDL_OK && edl_last_error()[0] == '\0') FUZZ_FAIL("a refusal without a message");
    if (s > 0 || s < EDL_ERR_UNSUPPORTED) FUZZ_FAIL("a status that is not an edl_status");
}

/* Reads a vectors file in format, checking the status; what loads must answer a query. */
static inline void fuzz_read_vectors(const char *path, edl_vec_format format) {
    edl_vectors *v = NULL;
    edl_status s = edl_vectors_read(&v, path, format);
    fuzz_check(s);
    if (s == EDL_OK && edl_vectors_count(v) > 0) {
        int64_t ids[3];
        float sims[3], *q = malloc(edl_vectors_dim(v) * sizeof *q); /* row 0, decoded when quantized */
        size_t n;
        if (q && edl_vectors_get(v, 0, q) == EDL_OK) edl_vectors_nearest(v, q, 3, 0, NULL, 0, ids, sims, &n);
        free(q);
    }
    edl_vectors_free(v);
}

#endif
