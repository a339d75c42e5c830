/* A Hogwild thread's own copies of a table's hottest rows, added into the table every so many
 * steps. Two threads that write the same rows at every step (the labels' rows of a classifier,
 * the most frequent words') pass those rows' cache lines back and forth at every step; where the
 * two cores are far apart (another core complex: a line's round trip ~300 ns against ~55) that
 * doubled the threads' CPU time an example. Held rows are read and written in the thread's copy
 * and added to the table once a merge (the sum of the thread's steps since it loaded them), so
 * their lines move once a merge instead of once a step. The other threads see a held row's steps
 * up to a merge late: Hogwild with bounded staleness instead of whatever the cores' timing gives.
 * One thread has nothing to share: it holds nothing (n = 0), and its table gets the same bits as
 * without this module. Not installed. */
#ifndef EDL__HOT_ROWS_H
#define EDL__HOT_ROWS_H

#include "model/row_sync.h"

typedef struct {
    edl__rows *t;      /* the table (its marks set for every row a merge writes) */
    size_t n;          /* rows [0, n) of it are held (0: none, every row is the table's) */
    float *own, *base; /* n x t->stride: the thread's values, and the table's when loaded */
    uint8_t *held;     /* a byte a row: loaded since the last merge */
    uint32_t *loaded;  /* the rows loaded since the last merge, in order */
    size_t nloaded;
} edl__hot_rows;

/* Holds rows [0, n) of t (n is cut to t->rows); false: no memory (h holds nothing then). */
bool edl__hot_rows_init(edl__hot_rows *h, edl__rows *t, size_t n);
void edl__hot_rows_free(edl__hot_rows *h);

/* Copies row r (< h->n) from the table into own and base. */
void edl__hot_rows_load(edl__hot_rows *h, size_t r);

/* Row r to read and write: the thread's copy when held (loaded at its first use after a merge),
   else the table's. */
static inline float *edl__hot_row(edl__hot_rows *h, size_t r) {
    if (r >= h->n) return h->t->data + r * h->t->stride;
    if (!h->held[r]) edl__hot_rows_load(h, r);
    return h->own + r * h->t->stride;
}

/* Where row r will be read from when next used, to ask for it ahead: the table's row unless the
   thread holds a copy already (NULL then: the copy is in the cache). */
static inline const float *edl__hot_row_ahead(const edl__hot_rows *h, size_t r) {
    return r < h->n && h->held[r] ? NULL : h->t->data + r * h->t->stride;
}

/* Adds each loaded row's steps (own - base) into the table and marks it written; then no row is
   loaded (the next use reads the table again, with the other threads' merges). */
void edl__hot_rows_merge(edl__hot_rows *h);

/* The rows of a table worth holding: the leading rows (ids by count, descending) whose count is
   at least 2 units / every, i.e. used about twice or more between two merges of a thread that
   merges every `every` units of a run of `units` (a held row costs about five passes over it a
   merge: two to load it, three to merge it, and saves the line transfers of its every use); at
   most cap. counts[r] for r < rows. */
size_t edl__hot_rows_count(const int64_t *counts, size_t rows, uint64_t units, size_t every, size_t cap);

#endif
