/* The communicator: the public edl_comm_* calls, the one-process implementation, and the
 * collectives built from the implementation's few primitives (agree, same, allgatherv). */
#include "model/comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- One process: every collective is the identity ---------------------------------------- */

static edl_status one_allreduce(edl_comm *c, void *buf, size_t n, edl__comm_type t, edl__comm_op op) {
    (void)c, (void)buf, (void)n, (void)t, (void)op;
    return EDL_OK;
}
static edl_status one_bcast(edl_comm *c, void *buf, size_t bytes, int root) {
    (void)c, (void)buf, (void)bytes, (void)root;
    return EDL_OK;
}
static edl_status one_alltoallv(edl_comm *c, const void *send, const size_t *sbytes, void *recv, const size_t *rbytes) {
    (void)c, (void)rbytes;
    if (sbytes[0]) memmove(recv, send, sbytes[0]);
    return EDL_OK;
}
static edl_status one_allgatherv(edl_comm *c, const void *send, void *recv, const size_t *counts) {
    (void)c;
    if (counts[0]) memmove(recv, send, counts[0]);
    return EDL_OK;
}
static edl_status one_barrier(edl_comm *c) {
    (void)c;
    return EDL_OK;
}
static void one_finalize(edl_comm *c) { (void)c; }

static const edl__comm_ops one_ops = {one_allreduce,  one_bcast,   one_alltoallv,
                                      one_allgatherv, one_barrier, one_finalize};

/* NULL stands for one process. */
static int one(const edl_comm *c) { return !c || c->size == 1; }

/* ---- Public --------------------------------------------------------------------------------- */

edl_status edl_comm_create(edl_comm **out) {
    if (!out) return edl__fail(EDL_ERR_ARG, "edl_comm_create: comm is NULL");
    *out = NULL;
    edl_comm *c = calloc(1, sizeof *c);
    if (!c) return edl__fail(EDL_ERR_NOMEM, "edl_comm_create: no memory");
    c->size = 1, c->rank = 0, c->ops = &one_ops;
    int joined = 0;
    edl_status s = edl__comm_mpi_join(c, &joined);
    if (s != EDL_OK) {
        free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

void edl_comm_free(edl_comm *c) {
    if (!c) return;
    c->ops->finalize(c);
    free(c);
}

int edl_comm_size(const edl_comm *c) { return c ? c->size : 1; }
int edl_comm_rank(const edl_comm *c) { return c ? c->rank : 0; }
uint64_t edl_comm_bytes_sent(const edl_comm *c) { return c ? c->sent : 0; }

/* ---- Collectives ---------------------------------------------------------------------------- */

static size_t type_size(edl__comm_type t) { return t == EDL__COMM_F32 ? 4 : t == EDL__COMM_U8 ? 1 : 8; }

edl_status edl__comm_allreduce(edl_comm *c, void *buf, size_t n, edl__comm_type t, edl__comm_op op) {
    if (one(c) || n == 0) return EDL_OK;
    c->sent += 2 * (uint64_t)n * type_size(t) * (uint64_t)(c->size - 1) / (uint64_t)c->size;
    return c->ops->allreduce(c, buf, n, t, op);
}

edl_status edl__comm_bcast(edl_comm *c, void *buf, size_t bytes, int root) {
    if (one(c) || bytes == 0) return EDL_OK;
    if (c->rank == root) c->sent += bytes;
    return c->ops->bcast(c, buf, bytes, root);
}

edl_status edl__comm_alltoallv(edl_comm *c, const void *send, const size_t *sbytes, void *recv, const size_t *rbytes) {
    if (one(c)) return one_alltoallv(c, send, sbytes, recv, rbytes);
    for (int r = 0; r < c->size; r++)
        if (r != c->rank) c->sent += sbytes[r];
    return c->ops->alltoallv(c, send, sbytes, recv, rbytes);
}

edl_status edl__comm_alltoall_sizes(edl_comm *c, const size_t *sbytes, size_t *rbytes) {
    if (one(c)) {
        rbytes[0] = sbytes[0];
        return EDL_OK;
    }
    size_t n = (size_t)c->size;
    /* every rank's row of sizes, summed into an n x n matrix: rank r reads column r */
    int64_t *m = calloc(n * n, sizeof *m);
    if (!m) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory for %zu sizes", n * n);
    for (size_t r = 0; r < n; r++) m[(size_t)c->rank * n + r] = (int64_t)sbytes[r];
    edl_status s = edl__comm_allreduce(c, m, n * n, EDL__COMM_I64, EDL__COMM_SUM);
    for (size_t r = 0; s == EDL_OK && r < n; r++) rbytes[r] = (size_t)m[r * n + (size_t)c->rank];
    free(m);
    return s;
}

edl_status edl__comm_allgatherv(edl_comm *c, const void *bytes, size_t n, void **out, size_t *total, size_t *counts) {
    *out = NULL, *total = 0;
    if (one(c)) {
        if (!(*out = malloc(n ? n : 1))) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory for %zu bytes", n);
        if (n) memcpy(*out, bytes, n);
        *total = n;
        if (counts) counts[0] = n;
        return EDL_OK;
    }
    size_t size = (size_t)c->size;
    int64_t *sizes = calloc(size, sizeof *sizes);
    if (!sizes) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory");
    sizes[c->rank] = (int64_t)n;
    edl_status s = edl__comm_allreduce(c, sizes, size, EDL__COMM_I64, EDL__COMM_SUM);
    size_t all = 0;
    for (size_t r = 0; s == EDL_OK && r < size; r++) all += (size_t)sizes[r];
    char *buf = s == EDL_OK ? malloc(all ? all : 1) : NULL;
    size_t *each = s == EDL_OK ? malloc(size * sizeof *each) : NULL;
    /* a rank without memory says so before the exchange: every rank then fails alike */
    if (s == EDL_OK)
        s = edl_comm_agree(
            c, buf && each ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory for %zu gathered bytes", all));
    for (size_t r = 0; s == EDL_OK && r < size; r++) each[r] = (size_t)sizes[r];
    if (s == EDL_OK) {
        c->sent += (uint64_t)all * (uint64_t)(size - 1) / (uint64_t)size; /* a ring's share */
        s = c->ops->allgatherv(c, bytes, buf, each);
    }
    free(each);
    if (s == EDL_OK) {
        if (counts)
            for (size_t r = 0; r < size; r++) counts[r] = (size_t)sizes[r];
        *out = buf, *total = all;
    } else {
        free(buf);
    }
    free(sizes);
    return s;
}

edl_status edl__comm_barrier(edl_comm *c) { return one(c) ? EDL_OK : c->ops->barrier(c); }

edl_status edl_comm_agree(edl_comm *c, edl_status s) {
    if (one(c)) return s;
    /* each rank's status in its own slot; the sum is everyone's */
    size_t n = (size_t)c->size;
    int64_t small[64], *st = n <= 64 ? small : calloc(n, sizeof *st);
    if (!st) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory");
    memset(st, 0, n * sizeof *st);
    st[c->rank] = (int64_t)s;
    edl_status e = edl__comm_allreduce(c, st, n, EDL__COMM_I64, EDL__COMM_SUM);
    int first = -1;
    for (size_t r = 0; e == EDL_OK && r < n && first < 0; r++)
        if (st[r] != EDL_OK) first = (int)r;
    edl_status theirs = first >= 0 ? (edl_status)st[first] : EDL_OK;
    if (st != small) free(st);
    if (e != EDL_OK) return e;
    if (first < 0) return EDL_OK;
    char msg[1024];
    memset(msg, 0, sizeof msg);
    if (c->rank == first) snprintf(msg, sizeof msg, "%s", edl_last_error());
    if ((e = edl__comm_bcast(c, msg, sizeof msg, first)) != EDL_OK) return e;
    msg[sizeof msg - 1] = '\0';
    /* a status agreed already (a trainer agrees at each step) keeps its one "rank R: ", the rank
       it came from (every rank holds it then, and the lowest is not the one that failed) */
    int said = -1, at = 0;
    if (sscanf(msg, "rank %d: %n", &said, &at) == 1 && at > 0 && said >= 0 && said < c->size)
        return edl__fail(theirs, "%s", msg);
    return edl__fail(theirs, "rank %d: %s", first, msg);
}

/* FNV-1a, 64 bits: enough to tell two argument lists apart. */
static uint64_t fnv1a(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

edl_status edl_comm_same(edl_comm *c, const char *what, const void *bytes, size_t n) {
    if (one(c)) return EDL_OK;
    size_t size = (size_t)c->size;
    int64_t *h = calloc(size, sizeof *h);
    if (!h) return edl__fail(EDL_ERR_NOMEM, "edl_comm: no memory");
    h[c->rank] = (int64_t)(fnv1a(bytes, n) >> 1); /* 63 bits: the sum of one nonzero slot never overflows */
    edl_status s = edl__comm_allreduce(c, h, size, EDL__COMM_I64, EDL__COMM_SUM);
    int differs = -1;
    for (size_t r = 1; s == EDL_OK && r < size && differs < 0; r++)
        if (h[r] != h[0]) differs = (int)r;
    free(h);
    if (s != EDL_OK) return s;
    if (differs >= 0)
        return edl__fail(EDL_ERR_ARG,
                         "rank %d was started with other %s than rank 0 (every rank must run the same command)",
                         differs, what);
    return EDL_OK;
}

void edl__comm_share(const edl_comm *c, size_t n, size_t *begin, size_t *end) {
    size_t size = (size_t)edl_comm_size(c), r = (size_t)edl_comm_rank(c);
    /* n * r / size without overflow: quotient and remainder apart */
    size_t q = n / size, m = n % size;
    *begin = q * r + (r < m ? r : m);
    *end = *begin + q + (r < m ? 1 : 0);
}
