/* The communicator on MPI: the only file that calls MPI (built with EDL__USE_MPI, `make MPI=1`).
 * Without MPI it only tells whether mpirun started this process, so a build without MPI refuses
 * to run as N copies that would each train the whole run and race to write one file. */
#include "model/comm.h"

#include <stdlib.h>
#include <string.h>

/* The rank count a launcher gave this process (Open MPI, PMIx, MPICH's Hydra), or 0. */
static long launched_size(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return strtol(v, NULL, 10);
    }
    return getenv("PMIX_RANK") || getenv("PMI_RANK") ? 2 : 0;
}

#ifndef EDL__USE_MPI

edl_status edl__comm_mpi_join(edl_comm *c, int *joined) {
    (void)c;
    *joined = 0;
    long n = launched_size();
    if (n > 1)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "edl_comm_create: started by mpirun as one of %ld processes, but this edl was built without "
                         "MPI (build it with `make MPI=1`)",
                         n);
    return EDL_OK;
}

#else

#include <limits.h>
#include <mpi.h>

typedef struct {
    MPI_Comm comm;
    int finalize; /* this library initialised MPI, so it finalises it */
} mpi_state;

static MPI_Comm world(const edl_comm *c) { return ((const mpi_state *)c->impl)->comm; }

static edl_status mpi_fail(const edl_comm *c, const char *call, int err) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, text, &len) != MPI_SUCCESS) len = 0;
    text[len] = '\0';
    return edl__fail(EDL_ERR_IO, "edl_comm: %s failed on rank %d of %d: %s", call, c->rank, c->size,
                     len ? text : "unknown MPI error");
}

static MPI_Datatype mpi_type(edl__comm_type t) {
    switch (t) {
    case EDL__COMM_F32: return MPI_FLOAT;
    case EDL__COMM_F64: return MPI_DOUBLE;
    case EDL__COMM_I64: return MPI_INT64_T;
    default: return MPI_UINT8_T;
    }
}

static MPI_Op mpi_op(edl__comm_op op) {
    return op == EDL__COMM_SUM ? MPI_SUM : op == EDL__COMM_MAX ? MPI_MAX : op == EDL__COMM_MIN ? MPI_MIN : MPI_BOR;
}

/* MPI counts are ints: large buffers go in pieces. */
enum { PIECE = 1 << 28 };

static edl_status mpi_allreduce(edl_comm *c, void *buf, size_t n, edl__comm_type t, edl__comm_op op) {
    size_t w = t == EDL__COMM_F32 ? 4 : t == EDL__COMM_U8 ? 1 : 8;
    for (size_t at = 0; at < n; at += PIECE) {
        size_t k = n - at < PIECE ? n - at : PIECE;
        int e = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + at * w, (int)k, mpi_type(t), mpi_op(op), world(c));
        if (e != MPI_SUCCESS) return mpi_fail(c, "MPI_Allreduce", e);
    }
    return EDL_OK;
}

static edl_status mpi_bcast(edl_comm *c, void *buf, size_t bytes, int root) {
    for (size_t at = 0; at < bytes; at += PIECE) {
        size_t k = bytes - at < PIECE ? bytes - at : PIECE;
        int e = MPI_Bcast((char *)buf + at, (int)k, MPI_BYTE, root, world(c));
        if (e != MPI_SUCCESS) return mpi_fail(c, "MPI_Bcast", e);
    }
    return EDL_OK;
}

static edl_status mpi_alltoallv(edl_comm *c, const void *send, const size_t *sbytes, void *recv, const size_t *rbytes) {
    size_t n = (size_t)c->size;
    int *v = malloc(4 * n * sizeof *v);
    if (!v) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory for %zu counts", 4 * n);
    int *sc = v, *sd = v + n, *rc = v + 2 * n, *rd = v + 3 * n;
    size_t so = 0, ro = 0;
    for (size_t r = 0; r < n; r++) {
        if (so + sbytes[r] > INT_MAX || ro + rbytes[r] > INT_MAX) {
            free(v);
            return edl__fail(EDL_ERR_UNSUPPORTED, "edl_comm: an all-to-all of more than %d bytes on rank %d", INT_MAX,
                             c->rank);
        }
        sc[r] = (int)sbytes[r], sd[r] = (int)so, rc[r] = (int)rbytes[r], rd[r] = (int)ro;
        so += sbytes[r], ro += rbytes[r];
    }
    int e = MPI_Alltoallv(send, sc, sd, MPI_BYTE, recv, rc, rd, MPI_BYTE, world(c));
    free(v);
    return e == MPI_SUCCESS ? EDL_OK : mpi_fail(c, "MPI_Alltoallv", e);
}

/* One MPI_Allgatherv (log or linear rounds, Open MPI's choice) when the counts fit its ints;
   else every rank's part broadcast in turn, in pieces. */
static edl_status mpi_allgatherv(edl_comm *c, const void *send, void *recv, const size_t *counts) {
    size_t n = (size_t)c->size, total = 0;
    for (size_t r = 0; r < n; r++) total += counts[r];
    if (total <= INT_MAX) {
        int *v = malloc(2 * n * sizeof *v);
        if (!v) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory for %zu counts", 2 * n);
        for (size_t r = 0, at = 0; r < n; at += counts[r], r++) v[r] = (int)counts[r], v[n + r] = (int)at;
        int e = MPI_Allgatherv(send, v[c->rank], MPI_BYTE, recv, v, v + n, MPI_BYTE, world(c));
        free(v);
        return e == MPI_SUCCESS ? EDL_OK : mpi_fail(c, "MPI_Allgatherv", e);
    }
    size_t at = 0;
    for (size_t r = 0; r < n; at += counts[r], r++) {
        if ((int)r == c->rank && counts[r]) memcpy((char *)recv + at, send, counts[r]);
        EDL__TRY(mpi_bcast(c, (char *)recv + at, counts[r], (int)r));
    }
    return EDL_OK;
}

static edl_status mpi_barrier(edl_comm *c) {
    int e = MPI_Barrier(world(c));
    return e == MPI_SUCCESS ? EDL_OK : mpi_fail(c, "MPI_Barrier", e);
}

static void mpi_finalize(edl_comm *c) {
    mpi_state *st = c->impl;
    MPI_Comm_free(&st->comm);
    if (st->finalize) MPI_Finalize();
    free(st);
}

static const edl__comm_ops mpi_ops = {mpi_allreduce,  mpi_bcast,   mpi_alltoallv,
                                      mpi_allgatherv, mpi_barrier, mpi_finalize};

edl_status edl__comm_mpi_join(edl_comm *c, int *joined) {
    *joined = 0;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited && launched_size() < 1) return EDL_OK; /* not started by mpirun: one process */
    mpi_state *st = calloc(1, sizeof *st);
    if (!st) return edl__fail(EDL_ERR_NOMEM, "edl_comm_create: no memory");
    if (!inited) {
        /* the trainers call MPI from the thread that called this (OpenMP's thread 0) only */
        int provided = 0;
        if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            free(st);
            return edl__fail(EDL_ERR_IO, "edl_comm_create: MPI_Init_thread failed");
        }
        st->finalize = 1;
    }
    /* OpenMP threads run beside the thread that calls MPI: MPI must allow it (FUNNELED), and that
       thread must be the one that initialised MPI (a program that did may call from another) */
    int level = MPI_THREAD_SINGLE, main_thread = 0;
    MPI_Query_thread(&level);
    MPI_Is_thread_main(&main_thread);
    if (level < MPI_THREAD_FUNNELED || !main_thread) {
        if (st->finalize) MPI_Finalize();
        free(st);
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "edl_comm_create: %s (edl calls MPI from the thread that initialised it, beside its own "
                         "threads: MPI_THREAD_FUNNELED or above)",
                         level < MPI_THREAD_FUNNELED ? "this MPI gives no thread support"
                                                     : "called from a thread other than the one that initialised MPI");
    }
    /* a private copy of the world, whose errors come back as codes instead of ending the job */
    if (MPI_Comm_dup(MPI_COMM_WORLD, &st->comm) != MPI_SUCCESS) {
        if (st->finalize) MPI_Finalize();
        free(st);
        return edl__fail(EDL_ERR_IO, "edl_comm_create: MPI_Comm_dup failed");
    }
    MPI_Comm_set_errhandler(st->comm, MPI_ERRORS_RETURN);
    MPI_Comm_size(st->comm, &c->size);
    MPI_Comm_rank(st->comm, &c->rank);
    c->ops = &mpi_ops, c->impl = st;
    *joined = 1;
    return EDL_OK;
}

#endif
