/* The communicator on MPI, under mpirun on this machine (2 and 4 ranks): every collective
 * (tests/mpi/comm_check.c), a local failure reported by every rank, and ranks started with other
 * arguments refused. The trainers' runs on several ranks are in tests/test_mpi_*.c. */
#include "harness.h"

static const char *comm_check(void) {
    const char *p = getenv("EDL_COMM_CHECK");
    return p ? p : "build/comm_check";
}

TEST(mpi_collectives_on_2_and_4_ranks) {
    if (!harness_mpi()) return;
    char out[4096], cmd[512];
    for (int np = 2; np <= 4; np += 2) {
        snprintf(cmd, sizeof cmd, "mpirun --oversubscribe --bind-to none -np %d %s", np, comm_check());
        int rc = harness_run_all(cmd, out, sizeof out);
        if (rc != 0 || harness_count_lines(out) != (size_t)np || strstr(out, "FAILED") || strstr(out, "wrong"))
            FAILF("%d ranks: rc %d:\n%s", np, rc, out);
        snprintf(cmd, sizeof cmd, "mpirun --oversubscribe --bind-to none -np %d %s fail %d", np, comm_check(), np - 1);
        rc = harness_run_all(cmd, out, sizeof out);
        char want[64];
        snprintf(want, sizeof want, "rank %d: in.txt:%d: no label", np - 1, 40 + np - 1);
        /* every rank prints the failing rank's own words */
        size_t seen = 0;
        for (const char *p = out; (p = strstr(p, want)) != NULL; p++) seen++;
        if (rc != 0 || seen != (size_t)np) FAILF("%d ranks, rank %d failing: rc %d:\n%s", np, np - 1, rc, out);
        /* one rank without memory for the rows to average: every rank stops, saying so */
        snprintf(cmd, sizeof cmd, "timeout 60 mpirun --oversubscribe --bind-to none -np %d %s rows-nomem %d", np,
                 comm_check(), np - 1);
        rc = harness_run_all(cmd, out, sizeof out);
        snprintf(want, sizeof want, "rank %d: no memory for", np - 1);
        seen = 0;
        for (const char *p = out; (p = strstr(p, want)) != NULL; p++) seen++;
        if (rc != 0 || seen != (size_t)np) FAILF("%d ranks, rank %d without memory: rc %d:\n%s", np, np - 1, rc, out);
        /* agreed again (comm_check agrees on the trainer's status), it still names the rank that failed */
        if (strstr(out, "rank 0: rank")) FAILF("%d ranks: an agreed failure named rank 0 too:\n%s", np, out);
    }
}

/* edl calls MPI from one thread beside its OpenMP threads: an MPI initialised by the program
   without thread support (MPI_THREAD_SINGLE) is refused, not used against its rules. */
TEST(mpi_without_thread_support_is_refused) {
    if (!harness_mpi()) return;
    char out[4096], cmd[512];
    snprintf(cmd, sizeof cmd, "timeout 60 mpirun --oversubscribe --bind-to none -np 2 %s single", comm_check());
    int rc = harness_run_all(cmd, out, sizeof out);
    if (rc != 0 || harness_count_lines(out) != 2 || !strstr(out, "no thread support")) FAILF("rc %d:\n%s", rc, out);
}

TEST(mpi_ranks_with_other_arguments_are_refused) {
    if (!harness_mpi()) return;
    char out[4096], cmd[1024];
    snprintf(cmd, sizeof cmd, "mpirun --oversubscribe -np 1 %s version : -np 1 %s version -dim 20", harness_cli(),
             harness_cli());
    int rc = harness_run_all(cmd, out, sizeof out);
    if (rc == 0 || !strstr(out, "rank 1 was started with other arguments than rank 0")) FAILF("rc %d:\n%s", rc, out);
    int rc2 = harness_mpirun(2, "version", out, sizeof out);
    if (rc2 != 0 || !strstr(out, "mpi=yes")) FAILF("rc %d:\n%s", rc2, out);
    /* a query on several ranks would answer once a rank: refused, said once */
    rc2 = harness_mpirun(2, "nn no-such-file.vec word", out, sizeof out);
    const char *said = strstr(out, "runs as one process, not on 2 ranks");
    if (rc2 != 2 || !said || strstr(said + 1, "runs as one process")) FAILF("rc %d:\n%s", rc2, out);
}
