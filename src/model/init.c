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
    /* Tables can hold hundreds of millions of values: fill them in fixed chunks, each from its
       own stream seeded by the chunk's number, in parallel. The values depend on the seed only,
       never on the thread count. */
    enum { CHUNK = 1 << 16, GROUP = 1024 }; /* GROUP chunks: 256 MiB */
    const uint64_t base = edl_rng_u64(rng);
    const size_t chunks = (L->w_count + CHUNK - 1) / CHUNK;
    for (size_t g = 0; g < chunks; g += GROUP) {
        const size_t gend = chunks - g < GROUP ? chunks : g + GROUP;
#pragma omp parallel for schedule(static) if (gend - g > 4)
        for (size_t k = g; k < gend; k++) {
            edl_rng r;
            edl_rng_seed(&r, base ^ (0x9e3779b97f4a7c15ULL * (k + 1)));
            float *x = w + k * CHUNK;
            size_t n = L->w_count - k * CHUNK < CHUNK ? L->w_count - k * CHUNK : CHUNK;
            switch (scheme) {
            case EDL_INIT_TORCH:
                for (size_t i = 0; i < n; i++) x[i] = edl_rng_normal(&r);
                break;
            case EDL_INIT_KERAS: fill_uniform(x, n, 0.05f, &r); break;
            case EDL_INIT_FASTTEXT: fill_uniform(x, n, 1.0f / (float)L->info.dim, &r); break;
            }
        }
        /* a table in a scratch file is written out as it is filled, each group while the next
           is drawn: memory holds two groups */
        const size_t end = gend * (size_t)CHUNK < L->w_count ? gend * (size_t)CHUNK : L->w_count;
        edl__model_writeback(m, EDL__REGION_PARAMS, L->w_off + g * (size_t)CHUNK, end - g * (size_t)CHUNK);
        if (g) edl__model_drop(m, EDL__REGION_PARAMS, L->w_off + (g - GROUP) * (size_t)CHUNK, (size_t)GROUP * CHUNK);
        if (gend == chunks)
            edl__model_drop(m, EDL__REGION_PARAMS, L->w_off + g * (size_t)CHUNK, end - g * (size_t)CHUNK);
    }
    if (L->info.padding_idx >= 0) memset(w + (size_t)L->info.padding_idx * L->info.dim, 0, L->info.dim * sizeof *w);
}
