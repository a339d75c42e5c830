/* Initialisers: PyTorch's, Keras's and fastText's defaults for embedding and dense layers. */
#include "model/model.h"

#include <math.h>
#include <string.h>

static void fill_uniform(float *x, size_t n, float bound, edl_rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = (2.0f * edl_rng_uniform(rng) - 1.0f) * bound;
}

void edl__init_layer(edl_model *m, size_t l, edl_init scheme, edl_rng *rng) {
    edl__layer *L = &m->layers[l];
    float *w = m->params + L->w_off, *b = m->params + L->b_off;
    if (L->info.kind == EDL_LAYER_DENSE) {
        double fan_in = (double)L->info.in_dim, fan_out = (double)L->info.out_dim;
        switch (scheme) {
        case EDL_INIT_TORCH: /* kaiming_uniform(a=sqrt(5)) gives U(+-1/sqrt(fan_in)); bias too */
            fill_uniform(w, L->w_count, (float)(1.0 / sqrt(fan_in)), rng);
            fill_uniform(b, L->b_count, (float)(1.0 / sqrt(fan_in)), rng);
            break;
        case EDL_INIT_KERAS: /* glorot_uniform, zero bias */
            fill_uniform(w, L->w_count, (float)sqrt(6.0 / (fan_in + fan_out)), rng);
            memset(b, 0, L->b_count * sizeof *b);
            break;
        case EDL_INIT_FASTTEXT: /* fastText's output matrix starts at zero */
            memset(w, 0, edl__layer_span(L) * sizeof *w);
            break;
        }
        return;
    }
    /* Tables can hold hundreds of millions of values: each row from its own stream, seeded by
       the layer's base and the row's number, in parallel. The values depend on the seed only,
       never on the thread count, and any row can be made alone: a lazy table makes only the rows
       used (edl__table_row), and they equal the rows of a table made whole. */
    L->init_base = edl_rng_u64(rng), L->init_scheme = scheme;
    if (L->lazy) return; /* the block is zero; rows are made on first use */
    const size_t rows = L->info.rows, dim = L->info.dim;
    const size_t group = ((size_t)256 << 20) / (dim * sizeof(float)) + 1; /* rows in 256 MiB */
    for (size_t g = 0; g < rows; g += group) {
        const size_t gend = rows - g < group ? rows : g + group;
#pragma omp parallel for schedule(static) if ((gend - g) * dim > (1 << 18))
        for (size_t r = g; r < gend; r++) edl__init_row(L, r, w + r * dim);
        /* a table in a scratch file is written out as it is filled, each group while the next
           is drawn: memory holds two groups */
        edl__model_writeback(m, EDL__REGION_PARAMS, L->w_off + g * dim, (gend - g) * dim);
        if (g) edl__model_drop(m, EDL__REGION_PARAMS, L->w_off + (g - group) * dim, group * dim);
        if (gend == rows) edl__model_drop(m, EDL__REGION_PARAMS, L->w_off + g * dim, (gend - g) * dim);
    }
}

void edl__init_row(const edl__layer *L, size_t r, float *x) {
    const size_t n = L->info.dim;
    if (L->info.padding_idx >= 0 && (size_t)L->info.padding_idx == r) {
        memset(x, 0, n * sizeof *x);
        return;
    }
    edl_rng g;
    edl_rng_seed(&g, L->init_base ^ (0x9e3779b97f4a7c15ULL * (r + 1)));
    switch (L->init_scheme) {
    case EDL_INIT_TORCH:
        for (size_t i = 0; i < n; i++) x[i] = edl_rng_normal(&g);
        break;
    case EDL_INIT_KERAS: fill_uniform(x, n, 0.05f, &g); break;
    case EDL_INIT_FASTTEXT: fill_uniform(x, n, 1.0f / (float)n, &g); break;
    }
}
