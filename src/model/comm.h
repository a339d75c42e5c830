/* The communicator (declared in edl.h: edl_comm_*) and its collectives, which the trainers use.
 * One interface, two implementations: one process (comm.c) and MPI (comm_mpi.c, the only file
 * that calls MPI). Every function here takes NULL for one process. Not installed.
 *
 * Every collective is called by every rank, in the same order, with matching sizes; a rank that
 * fails locally still takes part and reports through edl_comm_agree, so no rank is left waiting.
 * A collective that fails in MPI itself (a rank died, say) returns EDL_ERR_IO naming it. */
#ifndef EDL__COMM_H
#define EDL__COMM_H

#include "common/internal.h"

typedef enum { EDL__COMM_F32 = 0, EDL__COMM_F64, EDL__COMM_I64, EDL__COMM_U8 } edl__comm_type;
/* BOR: bitwise or, of integer types (U8, I64) only */
typedef enum { EDL__COMM_SUM = 0, EDL__COMM_MAX, EDL__COMM_MIN, EDL__COMM_BOR } edl__comm_op;

/* What an implementation provides (comm.c holds the one-process one). */
typedef struct {
    edl_status (*allreduce)(edl_comm *c, void *buf, size_t n, edl__comm_type t, edl__comm_op op);
    edl_status (*bcast)(edl_comm *c, void *buf, size_t bytes, int root);
    /* send holds size blocks of sbytes[r] bytes, packed in rank order; recv receives rbytes[r]
       from each rank r, packed the same way. */
    edl_status (*alltoallv)(edl_comm *c, const void *send, const size_t *sbytes, void *recv, const size_t *rbytes);
    /* every rank's counts[r] bytes (its own at send), concatenated in rank order into recv */
    edl_status (*allgatherv)(edl_comm *c, const void *send, void *recv, const size_t *counts);
    edl_status (*barrier)(edl_comm *c);
    void (*finalize)(edl_comm *c);
} edl__comm_ops;

struct edl_comm {
    int size, rank;
    uint64_t sent; /* edl_comm_bytes_sent */
    const edl__comm_ops *ops;
    void *impl; /* the implementation's own state */
};

/* MPI's world when built with MPI and started by mpirun (*joined = 1), else *joined = 0 and
   nothing is touched. comm_mpi.c; without MPI it reports whether mpirun started the process. */
edl_status edl__comm_mpi_join(edl_comm *c, int *joined);

/* In place: buf (n values of type t) becomes the op over every rank's buf. */
edl_status edl__comm_allreduce(edl_comm *c, void *buf, size_t n, edl__comm_type t, edl__comm_op op);
/* buf (bytes) on every rank becomes root's. */
edl_status edl__comm_bcast(edl_comm *c, void *buf, size_t bytes, int root);
/* See edl__comm_ops.alltoallv; the receive sizes must be known (exchange them first with
   edl__comm_alltoall_sizes). */
edl_status edl__comm_alltoallv(edl_comm *c, const void *send, const size_t *sbytes, void *recv, const size_t *rbytes);
/* rbytes[r] = what rank r will send this rank, from every rank's sbytes. */
edl_status edl__comm_alltoall_sizes(edl_comm *c, const size_t *sbytes, size_t *rbytes);
/* Every rank's bytes, concatenated in rank order into *out (malloc'd; free it), with each rank's
   size in counts[size] (may be NULL). */
edl_status edl__comm_allgatherv(edl_comm *c, const void *bytes, size_t n, void **out, size_t *total, size_t *counts);
edl_status edl__comm_barrier(edl_comm *c);

/* The share [*begin, *end) of n things that rank r of size takes: contiguous, in rank order,
   sizes differing by at most one. */
void edl__comm_share(const edl_comm *c, size_t n, size_t *begin, size_t *end);

#endif
