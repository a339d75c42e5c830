/* The process's place in a run: the communicator main joins once (every rank of an mpirun, or
   one process), for the trainers to take and for output to come from rank 0 only. */
#ifndef EDL__CLI_COMM_H
#define EDL__CLI_COMM_H

#include "edl.h"

/* Joins the run and checks that every rank was given the same arguments; 0, or the exit
   status after printing why (on rank 0 for a refusal every rank shares). */
int cli_comm_start(int argc, char **argv);
/* Leaves the run. rc is this rank's exit status: with several ranks they first agree, so a
   rank that stops on an error the others did not see (say, its part of a write) ends them all. */
int cli_comm_finish(int rc);
/* Rank 0's verdict on a check only it can make (the outputs it alone writes, on its own file
   system), taken by every rank: returns failed as rank 0 gave it. Collective on several ranks:
   every rank calls it, in the same place. */
int cli_comm_rank0(int failed);
edl_comm *cli_comm(void); /* NULL before cli_comm_start (one process) */
int cli_rank(void);       /* 0 for one process */
int cli_ranks(void);      /* 1 for one process */

#endif
