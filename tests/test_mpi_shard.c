/* Row-sharded tables (src/model/shard.c): tests/mpi/shard_check.c alone (one process holds every
 * row) and under mpirun on 2 and 4 ranks, for each optimizer rule: lookups return the rows a
 * whole table holds, pushes equal the whole table's steps to float rounding (1e-5 relative),
 * and each rank holds only its rows. The sharded recommenders are tested below. */
#include "harness.h"

static const char *shard_check(void) {
    const char *p = getenv("EDL_SHARD_CHECK");
    return p ? p : "build/shard_check";
}

/* out holds np lines "rank R of NP: ok rows HELD ..." whose HELD add up to rows */
static void check_ranks(const char *out, int np, size_t rows, const char *what) {
    size_t total = 0;
    int seen = 0;
    for (const char *p = out; (p = strstr(p, "rank ")) != NULL; p++) {
        int r, n;
        size_t held;
        char ok[16];
        if (sscanf(p, "rank %d of %d: %15s rows %zu", &r, &n, ok, &held) != 4) continue;
        if (n != np || strcmp(ok, "ok")) FAILF("%s: %s", what, out);
        if (held > (rows + (size_t)np - 1) / (size_t)np)
            FAILF("%s: rank %d holds %zu rows of %zu", what, r, held, rows);
        total += held, seen++;
    }
    if (seen != np || total != rows) FAILF("%s: %d ranks, %zu rows of %zu:\n%s", what, seen, total, rows, out);
}

TEST(shard_table_one_process) {
    static const char *opts[] = {"sgd", "adagrad", "rowwise", "adam"};
    char out[4096], cmd[512];
    for (size_t o = 0; o < 4; o++) {
        snprintf(cmd, sizeof cmd, "%s 37 5 4 50 %s", shard_check(), opts[o]);
        int rc = harness_run_all(cmd, out, sizeof out);
        if (rc != 0) FAILF("%s: rc %d:\n%s", opts[o], rc, out);
        check_ranks(out, 1, 37, opts[o]);
    }
}

TEST(shard_table_on_2_and_4_ranks) {
    if (!harness_mpi()) return;
    static const char *opts[] = {"sgd", "rowwise", "adam"};
    char out[8192], cmd[512];
    for (int np = 2; np <= 4; np += 2)
        for (size_t o = 0; o < 3; o++) {
            snprintf(cmd, sizeof cmd, "mpirun --oversubscribe --bind-to none -np %d %s 37 5 4 50 %s", np, shard_check(),
                     opts[o]);
            int rc = harness_run_all(cmd, out, sizeof out);
            if (rc != 0) FAILF("%d ranks, %s: rc %d:\n%s", np, opts[o], rc, out);
            check_ranks(out, np, 37, opts[o]);
        }
}
