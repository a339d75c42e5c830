/* Rows touched since the last synchronisation, and their average over the ranks of a run: how the
 * Hogwild engine (hogwild.h) keeps N data-parallel copies of a model together. A job marks every
 * row it writes (a byte a row, no copy of the table); at a synchronisation each rank takes its
 * marked rows, the ranks exchange the row numbers (every rank gets their union, in ascending
 * order), then sum the rows, packed in that order, with one allreduce a block, and divide by N.
 * Rows touched on no rank are left alone: they are equal on every rank already. Not installed. */
#ifndef EDL__ROW_SYNC_H
#define EDL__ROW_SYNC_H

#include "common/internal.h"
#include "model/comm.h"

/* A table whose rows are synchronised: rows x stride floats at data, dim of each row averaged. */
typedef struct {
    float *data;
    size_t rows, dim, stride;
    /* a lazy table's row r, made first when it is not (model/table.h: edl__table_row); NULL:
       data + r * stride */
    float *(*row)(void *ctx, size_t r);
    void *ctx;
    uint8_t *touched; /* rows marks (edl__rows_track), or NULL: nothing is tracked (one process) */
} edl__rows;

/* Row r of t (a lazy table's made first). */
static inline float *edl__rows_row(const edl__rows *t, size_t r) {
    return t->row ? t->row(t->ctx, r) : t->data + r * t->stride;
}

/* Marks row r written (a job's step, after it writes the row; no-op when untracked). A mark set
   after the write means a write that races with a synchronisation is caught by the next one.
   The mark is written only when it is clear: a byte a row puts 64 rows' marks on a cache line,
   and the hot rows (frequent words, the labels) sit together at low ids, so writing it at every
   update would move those lines between the threads at every update; read, they stay in every
   core's cache until the next synchronisation clears them. */
static inline void edl__rows_touch(edl__rows *t, size_t r) {
    if (t->touched && !t->touched[r]) t->touched[r] = 1;
}

/* Tracks t's rows (a zeroed byte a row) when track is nonzero (a run of several ranks). */
edl_status edl__rows_track(edl__rows *t, int track);
void edl__rows_untrack(edl__rows *t);

/* The marked rows in ascending order, appended to *idx (grown as needed: *n of *cap), their marks
   cleared. */
edl_status edl__rows_take(edl__rows *t, int32_t **idx, size_t *n, size_t *cap);

/* The union of k ascending lists (list r: lists[r][0 .. len[r])), ascending and without repeats,
   into out (room for the lengths' sum); at: k entries of scratch. Returns its length. */
size_t edl__rows_union(const int32_t *const *lists, const size_t *len, size_t k, size_t *at, int32_t *out);

/* Scratch kept between synchronisations (edl__rows_scratch_free frees it). */
typedef struct {
    int32_t *idx;
    size_t n, cap;
    int32_t *uni;
    size_t uni_cap;
    float *buf;
    size_t buf_cap;
    size_t k; /* ranks the arrays below are sized for */
    const int32_t **lists;
    size_t *len, *at, *bytes;
} edl__rows_scratch;
void edl__rows_scratch_free(edl__rows_scratch *s);

/* Collective: every rank's marked rows of the ntables tables (the same tables in the same order
   on every rank) become their mean over the ranks, on every rank; the marks are cleared. *synced
   (may be NULL) gets the rows averaged (the union's size, summed over the tables). With one
   process only the marks are cleared. A rank that fails locally (no memory) still takes part and
   fails with the others through edl_comm_agree. */
edl_status edl__rows_average(edl_comm *comm, edl__rows *tables, size_t ntables, edl__rows_scratch *s, uint64_t *synced);

#endif
