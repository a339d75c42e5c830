/* A small test harness: TEST(name) registers a test; CHECK* count failures and say where.
 * main.c runs every test and ends with the line "N passed, N failed". */
#ifndef EDL_TEST_HARNESS_H
#define EDL_TEST_HARNESS_H

#include "edl.h"
#include "edl_viz.h"
#include "edl_text.h"
#include "edl_rec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

void harness_register(const char *name, void (*fn)(void));
extern int harness_failures; /* failures in the running test */

#define TEST(name)                                                                                           \
    static void test_##name(void);                                                                           \
    __attribute__((constructor)) static void register_##name(void) { harness_register(#name, test_##name); } \
    static void test_##name(void)

#define FAILF(...)                                          \
    do {                                                    \
        harness_failures++;                                 \
        fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__);                       \
        fputc('\n', stderr);                                \
    } while (0)

#define CHECK(cond)                                    \
    do {                                               \
        if (!(cond)) FAILF("CHECK(%s) failed", #cond); \
    } while (0)

#define CHECK_STATUS(expr, want)                                                                                       \
    do {                                                                                                               \
        edl_status got_ = (expr);                                                                                      \
        if (got_ != (want))                                                                                            \
            FAILF("%s returned %d (%s), want %d; last error: %s", #expr, (int)got_, edl_status_str(got_), (int)(want), \
                  edl_last_error());                                                                                   \
    } while (0)
#define CHECK_OK(expr) CHECK_STATUS(expr, EDL_OK)

/* The last error names the given text. */
#define CHECK_ERROR_HAS(text)                                                             \
    do {                                                                                  \
        if (!strstr(edl_last_error(), (text)))                                            \
            FAILF("last error \"%s\" does not contain \"%s\"", edl_last_error(), (text)); \
    } while (0)

/* |a[i] - b[i]| <= atol + rtol |b[i]| for every i; reports the first miss. */
int harness_close(const char *file, int line, const char *what, const float *a, const float *b, size_t n, double atol,
                  double rtol);
#define CHECK_CLOSE(a, b, n, atol, rtol) harness_close(__FILE__, __LINE__, #a, a, b, n, atol, rtol)
#define CHECK_EQUAL_F(a, b, n)           harness_close(__FILE__, __LINE__, #a, a, b, n, 0.0, 0.0)

/* Running the CLI as a user would: the edl binary under test ($EDL_CLI, else build/edl); a
   shell command's exit status and its stdout (the first size - 1 bytes) in buf, or with
   harness_run_all its stdout and stderr together; the newlines in s. */
const char *harness_cli(void);
int harness_run(const char *cmd, char *buf, size_t size);
int harness_run_all(const char *cmd, char *buf, size_t size);
size_t harness_count_lines(const char *s);
/* Writes text to path (a fixture; a failure shows in the test that reads it). */
void harness_write_text(const char *path, const char *text);
/* A CLI test's check: the file's own edl(...) run (its output in the file's `out`) returns
   want_rc and printed text. */
#define CHECK_RUN(want_rc, text, ...)                                                                             \
    do {                                                                                                          \
        int rc_ = edl(__VA_ARGS__);                                                                               \
        if (rc_ != (want_rc) || !strstr(out, (text)))                                                             \
            FAILF("edl %s: rc %d (want %d), printed \"%.400s\" (want \"%s\")", #__VA_ARGS__, rc_, (want_rc), out, \
                  (text));                                                                                        \
    } while (0)
/* MPI tests: harness_mpi() is 1 when the edl under test was built with MPI and mpirun runs (as
   root it sets mpirun's two permissions); else 0 after printing why it skips, or failing the test
   when EDL_TEST_MPI=require (CI). harness_mpirun runs `mpirun -np N edl ARGS` on this machine
   (oversubscribed, unbound), its stdout and stderr in buf, and returns its exit status. */
int harness_mpi(void);
int harness_mpirun(int np, const char *args, char *buf, size_t size);
/* rm -rf dir (a test's mkdtemp directory); a failure is a test failure. */
void harness_remove_dir(const char *dir);
/* "/tmp/edl-test-PID-name" into buf: a scratch file no other test run (another build's suite at
   the same time) writes. */
const char *harness_tmp_file(char *buf, size_t size, const char *name);

/* Reference arrays made by tests/make_reference.py (PyTorch). Aborts the test run if missing:
   a reference test that cannot find its data must fail, not pass. */
const float *ref_f32(const char *name, size_t *n);
const int64_t *ref_i64(const char *name, size_t *n);

/* Test data helpers. */
float *rand_floats(edl_rng *rng, size_t n, float lo, float hi);
float *zeros(size_t n);
float *copy_floats(const float *x, size_t n);
/* The whole file, malloc'd and NUL-terminated (NULL when it cannot be read); *n its size. */
unsigned char *read_file_bytes(const char *path, size_t *n);
/* 1 when both files can be read and hold the same bytes. */
int harness_same_file(const char *a, const char *b);
void set_threads(int n); /* OpenMP thread count for the kernels (no-op without OpenMP) */
int max_threads(void);

#endif
