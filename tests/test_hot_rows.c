/* A Hogwild thread's copies of hot rows (src/model/hot_rows.c): what a merge adds to the table
 * (the thread's steps, on top of what another thread wrote meanwhile), the rows it marks for a
 * synchronisation, a lazy table's rows made on load, the padding past dim, rows past the held
 * ones left in the table, and how many rows the counts say to hold. */
#include "harness.h"
#include "model/hot_rows.h"

#include <stdlib.h>
#include <string.h>

enum { ROWS = 6, DIM = 3, STRIDE = 4 };

/* A lazy table's row maker: counts its calls, returns the row. */
typedef struct {
    float *data;
    int made[ROWS];
} lazy;

static float *make_row(void *ctx, size_t r) {
    lazy *l = ctx;
    l->made[r]++;
    return l->data + r * STRIDE;
}

TEST(hot_rows_merge_adds_the_threads_steps) {
    float data[ROWS * STRIDE];
    for (int i = 0; i < ROWS * STRIDE; i++) data[i] = i % STRIDE == DIM ? 99.0f : (float)i; /* padding: 99 */
    uint8_t marks[ROWS] = {0};
    lazy lz = {data, {0}};
    edl__rows t = {data, ROWS, DIM, STRIDE, make_row, &lz, marks};
    edl__hot_rows h;
    CHECK(edl__hot_rows_init(&h, &t, 3));
    CHECK(h.n == 3);
    /* a held row is the thread's copy (made on its first use, loaded once), the others the table's */
    float *r1 = edl__hot_row(&h, 1);
    CHECK(r1 != data + 1 * STRIDE && r1[0] == 4.0f && r1[2] == 6.0f && r1[DIM] == 0.0f);
    CHECK(edl__hot_row(&h, 1) == r1 && lz.made[1] == 1);
    CHECK(edl__hot_row(&h, 4) == data + 4 * STRIDE && lz.made[4] == 0);
    /* the thread steps its copy; another thread writes the table's row meanwhile */
    for (int j = 0; j < DIM; j++) r1[j] += 0.5f * (float)(j + 1);
    for (int j = 0; j < DIM; j++) data[1 * STRIDE + j] += 100.0f;
    CHECK(data[1 * STRIDE + 0] == 104.0f); /* the table is not written before the merge */
    CHECK(memcmp(marks, (uint8_t[ROWS]){0}, ROWS) == 0);
    edl__hot_rows_merge(&h);
    /* the table has both: the other thread's write and this thread's steps */
    CHECK(data[1 * STRIDE + 0] == 104.5f && data[1 * STRIDE + 1] == 106.0f && data[1 * STRIDE + 2] == 107.5f);
    CHECK(data[1 * STRIDE + DIM] == 99.0f); /* the padding is neither copied nor merged */
    CHECK(marks[1] == 1 && marks[0] == 0 && marks[2] == 0 && marks[4] == 0); /* only the row merged */
    CHECK(data[0] == 0.0f && data[2 * STRIDE] == 8.0f);                      /* rows never used: untouched */
    /* after a merge the row is read from the table again (with every thread's merges) */
    data[1 * STRIDE + 0] = 7.0f;
    r1 = edl__hot_row(&h, 1);
    CHECK(r1[0] == 7.0f && lz.made[1] == 2);
    edl__hot_rows_merge(&h); /* unchanged copy: adds nothing */
    CHECK(data[1 * STRIDE + 0] == 7.0f && data[1 * STRIDE + 1] == 106.0f);
    edl__hot_rows_merge(&h); /* nothing loaded: nothing written */
    CHECK(h.nloaded == 0);
    /* two rows in one period: each gets its own steps */
    float *a = edl__hot_row(&h, 0), *b = edl__hot_row(&h, 2);
    CHECK(a != b && h.nloaded == 2 && a[1] == 1.0f && b[1] == 9.0f);
    a[1] += 1.0f, b[1] -= 2.0f;
    CHECK(edl__hot_row(&h, 0) == a && h.nloaded == 2);
    edl__hot_rows_merge(&h);
    CHECK(data[1] == 2.0f && data[2 * STRIDE + 1] == 7.0f && data[1 * STRIDE + 1] == 106.0f);
    CHECK(marks[0] == 1 && marks[2] == 1);
    edl__hot_rows_free(&h);
}

TEST(hot_rows_hold_nothing_when_asked_for_none) {
    float data[ROWS * STRIDE] = {0};
    edl__rows t = {data, ROWS, DIM, STRIDE, NULL, NULL, NULL};
    edl__hot_rows h;
    CHECK(edl__hot_rows_init(&h, &t, 0));
    for (size_t r = 0; r < ROWS; r++) CHECK(edl__hot_row(&h, r) == data + r * STRIDE);
    edl__hot_rows_merge(&h);
    edl__hot_rows_free(&h);
    /* more rows than the table has: all of them, no more */
    CHECK(edl__hot_rows_init(&h, &t, 100));
    CHECK(h.n == ROWS);
    float *last = edl__hot_row(&h, ROWS - 1);
    last[0] = 2.0f; /* untracked table (one process): merged without marks */
    edl__hot_rows_merge(&h);
    CHECK(data[(ROWS - 1) * STRIDE] == 2.0f);
    edl__hot_rows_free(&h);
}

TEST(hot_rows_count_by_use_between_merges) {
    const int64_t counts[6] = {900, 400, 200, 199, 50, 1};
    /* 1000 units, a merge every 10: a row used 200 times or more is used about twice a merge */
    CHECK(edl__hot_rows_count(counts, 6, 1000, 10, 1024) == 3);
    CHECK(edl__hot_rows_count(counts, 6, 1000, 10, 2) == 2);      /* the cap */
    CHECK(edl__hot_rows_count(counts, 6, 1000, 2000, 1024) == 6); /* every row used at least once */
    CHECK(edl__hot_rows_count(counts, 6, 5, 20, 1024) == 6);      /* fewer units than merges */
    CHECK(edl__hot_rows_count(counts, 6, 1000, 0, 1024) == 0);
    CHECK(edl__hot_rows_count(counts, 0, 1000, 10, 1024) == 0);
}
