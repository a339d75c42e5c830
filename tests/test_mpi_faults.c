/* Faults in a run of several ranks: a rank killed mid-run (SIGKILL) makes mpirun stop the others
 * within a bounded time, naming the rank, and no model file (whole or partial) is left. */
#include "harness.h"

#include <stdlib.h>

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
