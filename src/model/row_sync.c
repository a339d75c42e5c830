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

static float *row_of(const edl__rows *t, size_t r) { return t->row ? t->row(t->ctx, r) : t->data + r * t->stride; }

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

/* Table i's rows marked on any rank (every rank's lists in all, rank r's bytes[r] of it)
   averaged over the k ranks. */
static edl_status average_table(edl_comm *comm, edl__rows *t, size_t i, size_t nt, const int32_t *all,
                                edl__rows_scratch *s, uint64_t *synced) {
    const size_t k = s->k;
    size_t total = 0;
    const int32_t *p = all;
    for (size_t r = 0; r < k; r++) { /* rank r's block: nt counts, then the rows */
        size_t at = nt;
        for (size_t j = 0; j < i; j++) at += (size_t)p[j];
        s->lists[r] = p + at, s->len[r] = (size_t)p[i], total += s->len[r];
        p += s->bytes[r] / sizeof *p;
    }
    /* every rank has the same lists (s->uni is large enough: see edl__rows_average), so a
       failure here is every rank's */
    size_t n = edl__rows_union(s->lists, s->len, k, s->at, s->uni);
    if (n && (s->uni[0] < 0 || (size_t)s->uni[n - 1] >= t->rows))
        return edl__fail(EDL_ERR_FORMAT, "a rank sent row %d of a table of %zu rows",
                         (int)s->uni[s->uni[0] < 0 ? 0 : n - 1], t->rows);
    *synced += n;
    if (k == 1) return EDL_OK; /* the mean over one rank: the rows as they are */
    const size_t dim = t->dim, per = s->buf_cap / dim;
    const float ranks = (float)k;
    for (size_t b = 0; b < n; b += per) {
        size_t m = n - b < per ? n - b : per;
        for (size_t j = 0; j < m; j++) memcpy(s->buf + j * dim, row_of(t, (size_t)s->uni[b + j]), dim * sizeof(float));
        EDL__TRY(edl__comm_allreduce(comm, s->buf, m * dim, EDL__COMM_F32, EDL__COMM_SUM));
        for (size_t j = 0; j < m; j++) {
            float *dst = row_of(t, (size_t)s->uni[b + j]), *src = s->buf + j * dim;
            for (size_t d = 0; d < dim; d++) dst[d] = src[d] / ranks;
        }
    }
    return EDL_OK;
}

edl_status edl__rows_average(edl_comm *comm, edl__rows *tables, size_t nt, edl__rows_scratch *s, uint64_t *synced) {
    uint64_t got = 0;
    edl_status st = take_all(tables, nt, (size_t)edl_comm_size(comm), s);
    /* a rank without memory stops every rank alike, before any exchange */
    st = edl_comm_agree(comm, st);
    void *all = NULL;
    size_t total = 0;
    if (st == EDL_OK) st = edl__comm_allgatherv(comm, s->idx, s->n * sizeof *s->idx, &all, &total, s->bytes);
    /* room for any table's union (at most every rank's rows): memory is this rank's alone, so
       agreed before the tables' exchanges, which every rank must reach */
    if (st == EDL_OK) {
        st = grow(&s->uni, &s->uni_cap, total / sizeof *s->idx + 1);
        st = edl_comm_agree(comm, st);
    }
    for (size_t i = 0; st == EDL_OK && i < nt; i++) st = average_table(comm, &tables[i], i, nt, all, s, &got);
    free(all);
    if (synced) *synced = got;
    return st;
}
