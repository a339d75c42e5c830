/* Faults in a run of several ranks: a rank killed mid-run (SIGKILL) makes mpirun stop the others
 * within a bounded time, naming the rank, and no model file (whole or partial) is left. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>

TEST(mpi_killed_rank_stops_the_run) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpi-kill-XXXXXX", cmd[1024], out[1 << 16];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    /* a run long enough to be killed in the middle (about a minute if left alone) */
    snprintf(cmd, sizeof cmd,
             "sh tests/mpi/kill_rank.sh 2 1 %s supervised -input data/spam.train -output %s/m -epoch 2000 -thread 1",
             harness_cli(), dir);
    int rc = harness_run_all(cmd, out, sizeof out);
    long ms = -1, status = -1, left = -1;
    const char *at = strstr(out, "stopped after ");
    if (at) sscanf(at, "stopped after %ld ms, mpirun status %ld\n%ld", &ms, &status, &left);
    /* mpirun sees the rank die and ends the others (SIGTERM, then SIGKILL): seconds, not the run */
    if (rc != 0 || ms < 0 || ms > 15000 || status == 0 || left != 0)
        FAILF("rc %d, stopped after %ld ms, status %ld, %ld left:\n%.2000s", rc, ms, status, left, out);
    if (!strstr(out, "rank 1") || !strstr(out, "signal 9")) FAILF("the message does not name rank 1:\n%.3000s", out);
    /* nothing written: no model, no temporary file */
    snprintf(cmd, sizeof cmd, "ls -A %s", dir);
    harness_run_all(cmd, out, sizeof out);
    if (out[0]) FAILF("files left in %s: %s", dir, out);
    printf("    a rank killed with SIGKILL: every rank stopped after %.1f s, mpirun exit %ld\n", (double)ms / 1000,
           status);
    harness_remove_dir(dir);
}

/* Only rank 0 writes, so only rank 0's file system decides whether the outputs can be written: a
   rank on another machine, where -output's directory does not exist, neither refuses alone (the
   others then waited for it in their first collective for ever) nor decides for rank 0. Ranks
   here differ by working directory (mpirun -wdir), as machines without a shared disk would. */
TEST(mpi_outputs_are_checked_on_rank_0) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpi-out-XXXXXX", cmd[1600], out[1 << 14], path[160];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char cli[256]; /* -wdir: the binary by its whole path (the shell's $PWD is the test's) */
    snprintf(cli, sizeof cli, "%s%s", harness_cli()[0] == '/' ? "" : "$PWD/", harness_cli());
    static const char *const runs[][2] = {
        {"supervised -input in.txt -output sub/m -thread 1 -epoch 1 -verbose 0 -log sub/log.csv", "m.safetensors"},
        {"train -spec 'embedding_bag(rows=60,dim=8,pool=mean) dense(4)' -input in.txt -output sub/m -thread 1 -epoch 1 "
         "-verbose 0",
         "m.safetensors"},
    };
    for (int k = 0; k < 2; k++) {
        for (int where = 0; where < 2; where++) { /* sub/ in rank 0's directory, then in rank 1's */
            snprintf(cmd, sizeof cmd,
                     "rm -rf %s/r0 %s/r1 && mkdir -p %s/r0 %s/r1/ %s/r%d/sub && for r in 0 1; do printf '%s' > "
                     "%s/r$r/in.txt; done",
                     dir, dir, dir, dir, dir, where,
                     k == 0 ? "__label__a w1 w2\\n__label__b w3 w4\\n__label__a w1 w5\\n"
                            : "1 2 3\\n0 4 5\\n2 6\\n3 7 8\\n",
                     dir);
            if (harness_run_all(cmd, out, sizeof out) != 0) FAILF("setup: %s", out);
            snprintf(
                cmd, sizeof cmd,
                "timeout 60 mpirun --oversubscribe --bind-to none -np 1 -wdir %s/r0 %s %s : -np 1 -wdir %s/r1 %s %s",
                dir, cli, runs[k][0], dir, cli, runs[k][0]);
            int rc = harness_run_all(cmd, out, sizeof out);
            snprintf(path, sizeof path, "%s/r0/sub/%s", dir, runs[k][1]);
            struct stat st;
            int saved = stat(path, &st) == 0;
            if (where == 0 && (rc != 0 || !saved))
                FAILF("%.12s, sub/ on rank 0 only: rc %d, saved %d:\n%.2000s", runs[k][0], rc, saved, out);
            const char *said = strstr(out, "sub/m.safetensors: its directory does not exist");
            if (where == 1 && (rc == 0 || rc == 124 || !said || strstr(said + 20, "its directory does not exist")))
                FAILF("%.12s, sub/ on rank 1 only: rc %d (124: a hang), said once:\n%.2000s", runs[k][0], rc, out);
        }
    }
    harness_remove_dir(dir);
}
