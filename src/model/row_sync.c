/* Touched rows and their average over the ranks (see row_sync.h). */
#include "model/row_sync.h"

#include <stdlib.h>
#include <string.h>

/* Floats a packed block holds at most: one allreduce each, 4 MiB of scratch. */
#define BLOCK_FLOATS ((size_t)1 << 20)

edl_status edl__rows_track(edl__rows *t, int track) {
    t->touched = NULL;
    if (!track) return EDL_OK;
    if (!(t->touched = calloc(t->rows ? t->rows : 1, 1)))
        return edl__fail(EDL_ERR_NOMEM, "no memory to mark %zu rows", t->rows);
    return EDL_OK;
}

void edl__rows_untrack(edl__rows *t) {
    free(t->touched);
    t->touched = NULL;
}

static edl_status grow(int32_t **a, size_t *cap, size_t need) {
    if (need <= *cap) return EDL_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    int32_t *na = c > SIZE_MAX / sizeof *na ? NULL : realloc(*a, c * sizeof *na);
    if (!na) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu row numbers", c);
    *a = na, *cap = c;
    return EDL_OK;
}

edl_status edl__rows_take(edl__rows *t, int32_t **idx, size_t *n, size_t *cap) {
    if (!t->touched) return EDL_OK;
    const uint8_t *m = t->touched;
    for (size_t r = 0; r < t->rows;) {
        uint64_t w = 0; /* eight marks at a time: most are clear */
        if (r + 8 <= t->rows) {
            memcpy(&w, m + r, 8);
            if (!w) {
                r += 8;
                continue;
            }
        }
        size_t end = r + 8 < t->rows ? r + 8 : t->rows;
        for (; r < end; r++)
            if (m[r]) {
                EDL__TRY(grow(idx, cap, *n + 1));
                (*idx)[(*n)++] = (int32_t)r;
                t->touched[r] = 0;
            }
    }
    return EDL_OK;
}

size_t edl__rows_union(const int32_t *const *lists, const size_t *len, size_t k, size_t *at, int32_t *out) {
    size_t n = 0;
    memset(at, 0, k * sizeof *at);
    for (;;) { /* k heads: the least goes out once, every list holding it steps past it */
        int32_t least = 0;
        int any = 0;
        for (size_t r = 0; r < k; r++)
            if (at[r] < len[r] && (!any || lists[r][at[r]] < least)) least = lists[r][at[r]], any = 1;
        if (!any) return n;
        out[n++] = least;
        for (size_t r = 0; r < k; r++)
            while (at[r] < len[r] && lists[r][at[r]] == least) at[r]++;
    }
}

void edl__rows_scratch_free(edl__rows_scratch *s) {
    free(s->idx), free(s->uni), free(s->buf), free(s->lists), free(s->len), free(s->at), free(s->bytes);
    memset(s, 0, sizeof *s);
}

/* The local part: every table's marked rows into s->idx (a count each, then the rows, as
   uint32), the scratch for the blocks; a failure is this rank's only. */
static edl_status take_all(edl__rows *tables, size_t nt, size_t k, edl__rows_scratch *s) {
    s->n = 0;
    if (s->k != k) {
        free(s->lists), free(s->len), free(s->at), free(s->bytes);
        s->lists = malloc(k * sizeof *s->lists), s->len = malloc(k * sizeof *s->len);
        s->at = malloc(k * sizeof *s->at), s->bytes = malloc(k * sizeof *s->bytes);
        s->k = s->lists && s->len && s->at && s->bytes ? k : 0;
        if (!s->k) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu ranks' rows", k);
    }
    EDL__TRY(grow(&s->idx, &s->cap, nt));
    s->n = nt;
    size_t maxdim = 1;
    for (size_t i = 0; i < nt; i++) {
        size_t before = s->n;
        EDL__TRY(edl__rows_take(&tables[i], &s->idx, &s->n, &s->cap));
        s->idx[i] = (int32_t)(s->n - before);
        maxdim = tables[i].dim > maxdim ? tables[i].dim : maxdim;
    }
    size_t want = maxdim > BLOCK_FLOATS ? maxdim : BLOCK_FLOATS;
    if (k > 1 && s->buf_cap < want) { /* one process averages nothing */
        float *b = realloc(s->buf, want * sizeof *b);
        if (!b) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu floats of rows to exchange", want);
        s->buf = b, s->buf_cap = want;
    }
    return EDL_OK;
}

/* The union's n rows of t (ascending, checked to be in the table) averaged over the k ranks. */
static edl_status average_rows(edl_comm *comm, edl__rows *t, const int32_t *uni, size_t n, edl__rows_scratch *s) {
    const size_t k = s->k;
    if (n && (uni[0] < 0 || (size_t)uni[n - 1] >= t->rows))
        return edl__fail(EDL_ERR_FORMAT, "a rank sent row %d of a table of %zu rows", (int)uni[uni[0] < 0 ? 0 : n - 1],
                         t->rows);
    if (k == 1) return EDL_OK; /* the mean over one rank: the rows as they are */
    const size_t dim = t->dim, per = s->buf_cap / dim;
    const float ranks = (float)k;
    for (size_t b = 0; b < n; b += per) {
        size_t m = n - b < per ? n - b : per;
        for (size_t j = 0; j < m; j++)
            memcpy(s->buf + j * dim, edl__rows_row(t, (size_t)uni[b + j]), dim * sizeof(float));
        EDL__TRY(edl__comm_allreduce(comm, s->buf, m * dim, EDL__COMM_F32, EDL__COMM_SUM));
        for (size_t j = 0; j < m; j++) {
            float *dst = edl__rows_row(t, (size_t)uni[b + j]), *src = s->buf + j * dim;
            for (size_t d = 0; d < dim; d++) dst[d] = src[d] / ranks;
        }
    }
    return EDL_OK;
}

/* Table i's union from every rank's lists gathered (all: rank r's bytes[r] of it, each rank's
   block nt counts then its rows), averaged. */
static edl_status average_gathered(edl_comm *comm, edl__rows *t, size_t i, size_t nt, const int32_t *all,
                                   edl__rows_scratch *s, uint64_t *synced) {
    const size_t k = s->k;
    size_t total = 0;
    const int32_t *p = all;
    for (size_t r = 0; r < k; r++) {
        size_t at = nt;
        for (size_t j = 0; j < i; j++) at += (size_t)p[j];
        s->lists[r] = p + at, s->len[r] = (size_t)p[i], total += s->len[r];
        p += s->bytes[r] / sizeof *p;
    }
    /* every rank has the same lists (s->uni is large enough: see edl__rows_average), so a
       failure here is every rank's */
    size_t n = edl__rows_union(s->lists, s->len, k, s->at, s->uni);
    *synced += n;
    return average_rows(comm, t, s->uni, n, s);
}

/* Table i's union as a bit a row, or'ed over the ranks (this rank's rows: its list at
   s->idx + off, len of them), averaged. */
static edl_status average_bits(edl_comm *comm, edl__rows *t, const int32_t *mine, size_t len, edl__rows_scratch *s,
                               uint64_t *synced) {
    size_t nbytes = t->rows / 8 + 1;
    uint8_t *bits = calloc(nbytes, 1);
    edl_status st = bits ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "no memory for a bit of each of %zu rows", t->rows);
    for (size_t j = 0; bits && j < len; j++) bits[(size_t)mine[j] >> 3] |= (uint8_t)(1u << ((size_t)mine[j] & 7));
    /* a rank without memory fails with the others before the exchange */
    if ((st = edl_comm_agree(comm, st)) == EDL_OK)
        st = edl__comm_allreduce(comm, bits, nbytes, EDL__COMM_U8, EDL__COMM_BOR);
    size_t n = 0;
    for (size_t b = 0; st == EDL_OK && b < nbytes; b++) n += (size_t)__builtin_popcount(bits[b]);
    if (st == EDL_OK) st = grow(&s->uni, &s->uni_cap, n ? n : 1);
    st = edl_comm_agree(comm, st);
    if (st == EDL_OK) {
        size_t m = 0;
        for (size_t b = 0; b < nbytes; b++)
            for (unsigned v = bits[b]; v; v &= v - 1) s->uni[m++] = (int32_t)(b * 8 + (size_t)__builtin_ctz(v));
        /* bits past the last row are set by no rank; a corrupt one is refused as out of range */
        *synced += n;
        st = average_rows(comm, t, s->uni, n, s);
    }
    free(bits);
    return st;
}

/* How the ranks learn the union of the rows they touched: every rank's row numbers gathered (4
   bytes a row, every rank receives all of them: grows with the ranks), or a bit a row or'ed
   together (rows / 8 bytes a table, whatever the ranks). A synchronisation takes the one that
   moves fewer bytes, decided alike on every rank from the summed counts; EDL_ROW_SYNC=ids or
   bits forces one (the tests check both give the same model). */
static int use_bits(const edl__rows *tables, size_t nt, int64_t ids) {
    const char *force = getenv("EDL_ROW_SYNC");
    if (force && !strcmp(force, "ids")) return 0;
    if (force && !strcmp(force, "bits")) return 1;
    double bits = 0;
    for (size_t i = 0; i < nt; i++) bits += (double)tables[i].rows / 8 + 1;
    return (double)ids * 4 > bits;
}

edl_status edl__rows_average(edl_comm *comm, edl__rows *tables, size_t nt, edl__rows_scratch *s, uint64_t *synced) {
    uint64_t got = 0;
    edl_status st = take_all(tables, nt, (size_t)edl_comm_size(comm), s);
    /* a rank without memory stops every rank alike, before any exchange */
    st = edl_comm_agree(comm, st);
    void *all = NULL;
    size_t total = 0;
    int64_t ids = (int64_t)(s->n - nt); /* row numbers of every rank, summed */
    if (st == EDL_OK && s->k > 1) st = edl__comm_allreduce(comm, &ids, 1, EDL__COMM_I64, EDL__COMM_SUM);
    if (st == EDL_OK && s->k > 1 && use_bits(tables, nt, ids)) {
        for (size_t i = 0, off = nt; st == EDL_OK && i < nt; off += (size_t)s->idx[i], i++)
            st = average_bits(comm, &tables[i], s->idx + off, (size_t)s->idx[i], s, &got);
    } else if (st == EDL_OK) {
        st = edl__comm_allgatherv(comm, s->idx, s->n * sizeof *s->idx, &all, &total, s->bytes);
        /* room for any table's union (at most every rank's rows): memory is this rank's alone, so
           agreed before the tables' exchanges, which every rank must reach */
        if (st == EDL_OK) st = edl_comm_agree(comm, grow(&s->uni, &s->uni_cap, total / sizeof *s->idx + 1));
        for (size_t i = 0; st == EDL_OK && i < nt; i++) st = average_gathered(comm, &tables[i], i, nt, all, s, &got);
    }
    free(all);
    if (synced) *synced = got;
    return st;
}
