/* The CLI's communicator (see comm.h). The CLI is a program, not the library: one communicator
   a process, held here. */
#include "comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static edl_comm *the_comm;

edl_comm *cli_comm(void) { return the_comm; }
int cli_rank(void) { return edl_comm_rank(the_comm); }
int cli_ranks(void) { return edl_comm_size(the_comm); }

int cli_comm_rank0(int failed) {
    if (cli_ranks() == 1) return failed;
    return edl_comm_agree(the_comm, cli_rank() == 0 && failed ? EDL_ERR_IO : EDL_OK) != EDL_OK;
}

int cli_comm_start(int argc, char **argv) {
    if (edl_comm_create(&the_comm) != EDL_OK) {
        fprintf(stderr, "edl: %s\n", edl_last_error());
        return 2;
    }
    if (edl_comm_size(the_comm) == 1) return 0;
    /* the arguments, each ending in NUL: every rank must run the same command */
    size_t n = 0;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *all = malloc(n ? n : 1), *p = all;
    edl_status s = all ? EDL_OK : EDL_ERR_NOMEM;
    for (int i = 0; all && i < argc; i++) p += strlen(strcpy(p, argv[i])) + 1;
    s = edl_comm_agree(the_comm, s == EDL_OK ? s : (edl_status)EDL_ERR_NOMEM);
    if (s == EDL_OK) s = edl_comm_same(the_comm, "arguments", all, n);
    free(all);
    if (s != EDL_OK) {
        if (cli_rank() == 0) fprintf(stderr, "edl: %s\n", edl_last_error());
        edl_comm_free(the_comm);
        the_comm = NULL;
        return 2;
    }
    return 0;
}

int cli_comm_finish(int rc) {
    if (edl_comm_size(the_comm) > 1) {
        /* every rank's status: the run fails with the worst, on every rank */
        uint64_t sent = edl_comm_bytes_sent(the_comm);
        edl_status s = edl_comm_agree(the_comm, rc == 0 ? EDL_OK : EDL_ERR_IO);
        if (s != EDL_OK && rc == 0) rc = 1;
        /* what this rank put on the network, for the user sizing a run (bench/mpi.sh reads it) */
        if (getenv("EDL_COMM_BYTES"))
            fprintf(stderr, "edl: rank %d of %d sent %llu bytes\n", cli_rank(), cli_ranks(), (unsigned long long)sent);
    }
    edl_comm_free(the_comm);
    the_comm = NULL;
    return rc;
}
