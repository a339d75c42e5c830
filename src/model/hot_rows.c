/* A Hogwild thread's own copies of a table's hottest rows (see hot_rows.h). */
#include "model/hot_rows.h"

#include <stdlib.h>
#include <string.h>

bool edl__hot_rows_init(edl__hot_rows *h, edl__rows *t, size_t n) {
    memset(h, 0, sizeof *h);
    h->t = t;
    n = n < t->rows ? n : t->rows;
    if (n == 0) return true;
    if (n > UINT32_MAX || t->stride > SIZE_MAX / sizeof(float) / n) return false;
    const size_t bytes = n * t->stride * sizeof(float);
    h->own = calloc(1, bytes), h->base = calloc(1, bytes); /* a row's padding past dim stays zero */
    h->held = calloc(n, 1), h->loaded = malloc(n * sizeof *h->loaded);
    if (!h->own || !h->base || !h->held || !h->loaded) {
        edl__hot_rows_free(h);
        return false;
    }
    h->n = n;
    return true;
}

void edl__hot_rows_free(edl__hot_rows *h) {
    free(h->own), free(h->base), free(h->held), free(h->loaded);
    h->own = h->base = NULL, h->held = NULL, h->loaded = NULL, h->n = h->nloaded = 0;
}

void edl__hot_rows_load(edl__hot_rows *h, size_t r) {
    const size_t s = h->t->stride;
    const float *src = edl__rows_row(h->t, r);
    memcpy(h->own + r * s, src, h->t->dim * sizeof(float));
    memcpy(h->base + r * s, h->own + r * s, h->t->dim * sizeof(float));
    h->held[r] = 1;
    h->loaded[h->nloaded++] = (uint32_t)r;
}

void edl__hot_rows_merge(edl__hot_rows *h) {
    if (h->nloaded == 0) return; /* (nothing held, or a zeroed h never set up) */
    const size_t s = h->t->stride, dim = h->t->dim;
    for (size_t k = 0; k < h->nloaded; k++) {
        const size_t r = h->loaded[k];
        float *restrict row = h->t->data + r * s;
        const float *restrict own = h->own + r * s, *restrict base = h->base + r * s;
        for (size_t j = 0; j < dim; j++) row[j] += own[j] - base[j];
        edl__rows_touch(h->t, r);
        h->held[r] = 0;
    }
    h->nloaded = 0;
}

size_t edl__hot_rows_count(const int64_t *counts, size_t rows, uint64_t units, size_t every, size_t cap) {
    if (every == 0) return 0;
    const uint64_t least = 2 * units / every > 0 ? 2 * units / every : 1; /* twice a merge, at least once */
    size_t n = 0;
    while (n < rows && n < cap && counts[n] >= 0 && (uint64_t)counts[n] >= least) n++;
    return n;
}
