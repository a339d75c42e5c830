/* Run under mpirun by tests/test_mpi.c: every collective of the communicator on N ranks against
 * what it must give, computed locally. Prints "rank R of N: ok" or the first wrong value on each
 * rank; exits 0 only when right. Also: `comm_check fail R` makes rank R fail locally and every
 * rank report it through edl_comm_agree; `comm_check rows-nomem R`: rank R has no memory for the
 * union of the rows every rank touched, in edl__rows_average, and every rank says so; `comm_check
 * single`: the program initialises MPI without thread support, which edl_comm_create refuses. */
#include "model/comm.h"
#include "model/row_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef EDL__USE_MPI
#include <mpi.h>
#endif

/* Linked with -Wl,--wrap=realloc: a realloc of refuse_from bytes or more fails. */
static size_t refuse_from = SIZE_MAX;
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n) { return n >= refuse_from ? NULL : __real_realloc(p, n); }

/* Rank r touched rows of a table of 2M (rank who: one row, the others 1.1M): the union needs
   8 MiB of row numbers, which rank who cannot have (the other buffers are 4 MiB at most there). */
static int rows_nomem(edl_comm *c, int r, int who) {
    /* the union learnt from the row numbers gathered (its room is what rank who lacks); learnt
       from bits, the union's room is no larger than the exchange buffer every rank has */
    setenv("EDL_ROW_SYNC", "ids", 1);
    const size_t rows = (size_t)2 << 20;
    float *data = calloc(rows, sizeof *data);
    edl__rows t = {data, rows, 1, 1, NULL, NULL, NULL};
    edl__rows_scratch s;
    memset(&s, 0, sizeof s);
    edl_status st = data ? edl__rows_track(&t, 1) : EDL_ERR_NOMEM;
    for (size_t k = 0; st == EDL_OK && k < (r == who ? 1 : (size_t)1100000); k++) edl__rows_touch(&t, k * 2 % rows);
    if (r == who) refuse_from = (size_t)6 << 20;
    if (st == EDL_OK) st = edl__rows_average(c, &t, 1, &s, NULL);
    refuse_from = SIZE_MAX;
    st = edl_comm_agree(c, st);
    printf("rank %d: %s: %s\n", r, edl_status_str(st), st ? edl_last_error() : "");
    edl__rows_untrack(&t);
    edl__rows_scratch_free(&s);
    free(data);
    edl_comm_free(c);
    return st == EDL_OK;
}

static int bad(int rank, const char *what) {
    printf("rank %d: %s wrong\n", rank, what);
    return 1;
}

int main(int argc, char **argv) {
    edl_comm *c = NULL;
#ifdef EDL__USE_MPI
    if (argc == 2 && !strcmp(argv[1], "single")) {
        int provided = 0;
        MPI_Init_thread(NULL, NULL, MPI_THREAD_SINGLE, &provided);
        edl_status s = edl_comm_create(&c);
        printf("%s: %s\n", edl_status_str(s), s ? edl_last_error() : "");
        edl_comm_free(c);
        MPI_Finalize();
        return s == EDL_OK;
    }
#endif
    if (edl_comm_create(&c) != EDL_OK) {
        printf("edl_comm_create: %s\n", edl_last_error());
        return 1;
    }
    int n = edl_comm_size(c), r = edl_comm_rank(c), err = 0;
    if (argc == 3 && !strcmp(argv[1], "rows-nomem")) return rows_nomem(c, r, atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "fail")) {
        int who = atoi(argv[2]);
        edl_status s = r == who ? edl__fail(EDL_ERR_FORMAT, "in.txt:%d: no label", 40 + r) : EDL_OK;
        s = edl_comm_agree(c, s);
        printf("rank %d: %s: %s\n", r, edl_status_str(s), s ? edl_last_error() : "");
        edl_comm_free(c);
        return s == EDL_OK;
    }
    /* allreduce: sum, max, min of each type, over a buffer past one piece of small sizes */
    size_t len = 1000003;
    float *f = malloc(len * sizeof *f);
    double d[3] = {r + 0.5, -r, 1e300};
    int64_t i[3] = {r, (int64_t)1 << 40, -r};
    uint8_t u[4] = {(uint8_t)r, 1, 2, 3};
    for (size_t k = 0; k < len; k++) f[k] = (float)(r + 1) * (float)(k % 7);
    err |= edl__comm_allreduce(c, f, len, EDL__COMM_F32, EDL__COMM_SUM) != EDL_OK;
    for (size_t k = 0; k < len && !err; k++)
        if (f[k] != (float)(n * (n + 1) / 2) * (float)(k % 7)) err = bad(r, "float sum");
    err |= edl__comm_allreduce(c, d, 3, EDL__COMM_F64, EDL__COMM_MAX) != EDL_OK;
    if (d[0] != n - 0.5 || d[1] != 0 || d[2] != 1e300) err = bad(r, "double max");
    err |= edl__comm_allreduce(c, i, 3, EDL__COMM_I64, EDL__COMM_MIN) != EDL_OK;
    if (i[0] != 0 || i[1] != (int64_t)1 << 40 || i[2] != -(n - 1)) err = bad(r, "int64 min");
    err |= edl__comm_allreduce(c, u, 4, EDL__COMM_U8, EDL__COMM_MAX) != EDL_OK;
    if (u[0] != n - 1 || u[3] != 3) err = bad(r, "byte max");
    uint8_t bits[2] = {(uint8_t)(1u << (r % 8)), (uint8_t)(r == 0 ? 0x80 : 0)}, want_bits = 0;
    for (int q = 0; q < n; q++) want_bits |= (uint8_t)(1u << (q % 8));
    err |= edl__comm_allreduce(c, bits, 2, EDL__COMM_U8, EDL__COMM_BOR) != EDL_OK;
    if (bits[0] != want_bits || bits[1] != 0x80) err = bad(r, "byte or");
    /* broadcast from the last rank */
    char msg[32] = {0};
    if (r == n - 1) snprintf(msg, sizeof msg, "from %d", r);
    err |= edl__comm_bcast(c, msg, sizeof msg, n - 1) != EDL_OK;
    char want[32];
    snprintf(want, sizeof want, "from %d", n - 1);
    if (strcmp(msg, want)) err = bad(r, "broadcast");
    /* all-to-all: rank r sends rank q (r + q) bytes of value r */
    size_t *sb = calloc((size_t)n, sizeof *sb), *rb = calloc((size_t)n, sizeof *rb), st = 0, rt = 0;
    for (int q = 0; q < n; q++) sb[q] = (size_t)(r + q), st += sb[q];
    err |= edl__comm_alltoall_sizes(c, sb, rb) != EDL_OK;
    for (int q = 0; q < n; q++) {
        if (rb[q] != (size_t)(r + q)) err = bad(r, "all-to-all sizes");
        rt += rb[q];
    }
    unsigned char *sbuf = malloc(st + 1), *rbuf = malloc(rt + 1);
    for (int q = 0, at = 0; q < n; q++)
        for (size_t k = 0; k < sb[q]; k++) sbuf[at++] = (unsigned char)r;
    err |= edl__comm_alltoallv(c, sbuf, sb, rbuf, rb) != EDL_OK;
    for (int q = 0, at = 0; q < n; q++)
        for (size_t k = 0; k < rb[q]; k++)
            if (rbuf[at++] != q) err = bad(r, "all-to-all bytes");
    /* allgatherv: rank r gives r + 1 bytes of 'a' + r */
    char mine[16];
    memset(mine, 'a' + r, sizeof mine);
    void *all = NULL;
    size_t total = 0, *counts = calloc((size_t)n, sizeof *counts);
    err |= edl__comm_allgatherv(c, mine, (size_t)r + 1, &all, &total, counts) != EDL_OK;
    for (int q = 0, at = 0; q < n && all; q++) {
        if (counts[q] != (size_t)q + 1) err = bad(r, "allgatherv counts");
        for (int k = 0; k <= q; k++)
            if (((char *)all)[at++] != 'a' + q) err = bad(r, "allgatherv bytes");
    }
    if (total != (size_t)(n * (n + 1) / 2)) err = bad(r, "allgatherv total");
    err |= edl__comm_barrier(c) != EDL_OK;
    if (edl_comm_same(c, "arguments", "same", 4) != EDL_OK) err = bad(r, "same");
    char own[8];
    snprintf(own, sizeof own, "%d", r == n - 1 && n > 1);
    if (edl_comm_same(c, "arguments", own, strlen(own)) == EDL_OK && n > 1) err = bad(r, "different");
    if (n > 1 && !strstr(edl_last_error(), "rank")) err = bad(r, "different's message");
    if (edl_comm_bytes_sent(c) == 0 && n > 1) err = bad(r, "bytes sent");
    printf("rank %d of %d: %s\n", r, n, err ? "FAILED" : "ok");
    free(f), free(sb), free(rb), free(sbuf), free(rbuf), free(all), free(counts);
    edl_comm_free(c);
    return err;
}
