/* Embedding bag: PyTorch reference for every pool, padding and weights; naive reference;
 * threads; empty bags; errors. */
#include "harness.h"
#include "kernels/kernels.h"
#include "common/internal.h"

static const char *pool_name(edl_pool p) { return p == EDL_POOL_SUM ? "sum" : p == EDL_POOL_MEAN ? "mean" : "max"; }

TEST(bag_matches_pytorch) {
    size_t n, bags, nt;
    const int64_t *idx = ref_i64("bag.idx", &n);
    const int64_t *offsets = ref_i64("bag.offsets", &bags);
    const float *weights = ref_f32("bag.weights", NULL);
    const size_t dim = 4, rows = 9;
    for (int p = 0; p < 3; p++)
        for (int pad = -1; pad <= 2; pad += 3)
            for (int w = 0; w < (p == EDL_POOL_SUM ? 2 : 1); w++) {
                char name[64], key[96];
                snprintf(name, sizeof name, "bag_%s_pad%d%s", pool_name((edl_pool)p), pad, w ? "_w" : "");
                snprintf(key, sizeof key, "%s.table", name);
                const float *table = ref_f32(key, &nt);
                CHECK(nt == rows * dim);
                float *out = zeros(bags * dim), *dt = zeros(nt);
                int64_t *am = malloc(bags * dim * sizeof *am);
                CHECK_OK(edl_embedding_bag_forward(out, am, table, rows, dim, idx, n, offsets, bags, w ? weights : NULL,
                                                   (edl_pool)p, pad));
                snprintf(key, sizeof key, "%s.out", name);
                if (!CHECK_CLOSE(out, ref_f32(key, NULL), bags * dim, 1e-6, 1e-6)) fprintf(stderr, "    in %s\n", name);
                snprintf(key, sizeof key, "%s.dout", name);
                const float *dout = ref_f32(key, NULL);
                CHECK_OK(edl_embedding_bag_backward(dt, rows, dim, idx, n, offsets, bags, w ? weights : NULL,
                                                    (edl_pool)p, pad, am, dout));
                snprintf(key, sizeof key, "%s.dtable", name);
                if (!CHECK_CLOSE(dt, ref_f32(key, NULL), nt, 1e-6, 1e-5)) fprintf(stderr, "    in %s\n", name);
                if (p == EDL_POOL_MAX) /* the empty bag (1) has argmax -1 */
                    for (size_t d = 0; d < dim; d++) CHECK(am[1 * dim + d] == -1);
                free(out), free(dt), free(am);
            }
}

static void random_bags(edl_rng *rng, size_t n, size_t bags, int64_t *offsets) {
    /* sorted random cut points, first 0: some bags empty, some long */
    offsets[0] = 0;
    for (size_t b = 1; b < bags; b++) offsets[b] = (int64_t)edl_rng_below(rng, n + 1);
    for (size_t b = 1; b < bags; b++)
        for (size_t c = b; c > 1 && offsets[c] < offsets[c - 1]; c--) {
            int64_t t = offsets[c];
            offsets[c] = offsets[c - 1];
            offsets[c - 1] = t;
        }
}

TEST(bag_fast_equals_naive_and_threads_identical) {
    edl_rng rng;
    edl_rng_seed(&rng, 10);
    /* widths through each block of the forward's sums: 64, 32, 16 columns and the rest */
    static const size_t dims[] = {40, 64, 100, 16, 7};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        /* a table above EDL__SCATTER_PAR_MIN_BYTES, so the backward is split over threads */
        const size_t dim = dims[di], rows = EDL__SCATTER_PAR_MIN_BYTES / (dim * sizeof(float)) + 700;
        const size_t n = 6000, bags = 300;
        float *table = rand_floats(&rng, rows * dim, -1, 1), *dout = rand_floats(&rng, bags * dim, -1, 1);
        float *weights = rand_floats(&rng, n, -1, 1);
        int64_t *idx = malloc(n * sizeof *idx), *offsets = malloc(bags * sizeof *offsets);
        for (size_t i = 0; i < n; i++) /* repeats and ties, and rows all over the table */
            idx[i] = (int64_t)(i % 4 ? edl_rng_below(&rng, 60) : edl_rng_below(&rng, rows));
        random_bags(&rng, n, bags, offsets);
        for (int p = 0; p < 3; p++)
            for (int pad = -1; pad <= 5; pad += 6) {
                const float *w = p == EDL_POOL_SUM && pad < 0 ? weights : NULL;
                float *o = zeros(bags * dim), *oref = zeros(bags * dim), *o1 = zeros(bags * dim);
                int64_t *am = malloc(bags * dim * 8), *amref = malloc(bags * dim * 8), *am1 = malloc(bags * dim * 8);
                set_threads(p + 2); /* 2, 3 and 4 threads: both ownership rules */
                CHECK_OK(
                    edl_embedding_bag_forward(o, am, table, rows, dim, idx, n, offsets, bags, w, (edl_pool)p, pad));
                set_threads(1);
                CHECK_OK(
                    edl_embedding_bag_forward(o1, am1, table, rows, dim, idx, n, offsets, bags, w, (edl_pool)p, pad));
                edl__embedding_bag_forward_naive(oref, amref, table, dim, idx, n, offsets, bags, w, (edl_pool)p, pad);
                CHECK_EQUAL_F(o, oref, bags * dim);
                CHECK_EQUAL_F(o, o1, bags * dim);
                if (p == EDL_POOL_MAX) {
                    CHECK(memcmp(am, amref, bags * dim * 8) == 0);
                    CHECK(memcmp(am, am1, bags * dim * 8) == 0);
                }
                float *dt = zeros(rows * dim), *dt1 = zeros(rows * dim), *dtref = zeros(rows * dim);
                set_threads(p + 2);
                CHECK_OK(
                    edl_embedding_bag_backward(dt, rows, dim, idx, n, offsets, bags, w, (edl_pool)p, pad, am, dout));
                set_threads(1);
                CHECK_OK(
                    edl_embedding_bag_backward(dt1, rows, dim, idx, n, offsets, bags, w, (edl_pool)p, pad, am, dout));
                edl__embedding_bag_backward_naive(dtref, dim, idx, n, offsets, bags, w, (edl_pool)p, pad, amref, dout);
                CHECK_CLOSE(dt, dtref, rows * dim, 1e-5, 1e-5);
                CHECK_EQUAL_F(dt, dt1, rows * dim); /* backward too: ownership keeps the order */
                if (pad >= 0)
                    for (size_t d = 0; d < dim; d++) CHECK(dt[(size_t)pad * dim + d] == 0.0f);
                free(o), free(oref), free(o1), free(am), free(amref), free(am1), free(dt), free(dt1), free(dtref);
            }
        free(table), free(dout), free(weights), free(idx), free(offsets);
    }
}

TEST(bag_empty_and_all_padding) {
    float table[3 * 2] = {1, 2, 3, 4, 5, 6}, out[3 * 2];
    int64_t idx[3] = {1, 1, 2}, offsets[3] = {0, 0, 2}, am[3 * 2];
    /* bag 0 empty, bag 1 = {1, 1} all padding, bag 2 = {2} */
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < 6; i++) out[i] = 9.0f;
        CHECK_OK(edl_embedding_bag_forward(out, p == EDL_POOL_MAX ? am : NULL, table, 3, 2, idx, 3, offsets, 3, NULL,
                                           (edl_pool)p, 1));
        CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 0);
        CHECK(out[4] == 5 && out[5] == 6);
        if (p == EDL_POOL_MAX) CHECK(am[0] == -1 && am[2] == -1 && am[4] == 2);
    }
    /* n == 0: every bag empty, idx may be NULL */
    CHECK_OK(edl_embedding_bag_forward(out, NULL, table, 3, 2, NULL, 0, offsets, 1, NULL, EDL_POOL_MEAN, -1));
    CHECK(out[0] == 0 && out[1] == 0);
}

TEST(bag_errors) {
    float table[10 * 2] = {0}, out[2 * 2] = {7, 7, 7, 7}, w[4] = {1, 1, 1, 1};
    int64_t idx[4] = {1, 2, 10, 3}, off[2] = {0, 2}, am[4] = {0};
    const int64_t bad_values[] = {10, -1, INT64_MAX, INT64_MIN};
    for (int p = 0; p < 3; p++)
        for (size_t b = 0; b < 4; b++) {
            char want[96];
            idx[2] = bad_values[b];
            snprintf(want, sizeof want, "index %lld at position 2 is out of range [0, 10)", (long long)bad_values[b]);
            CHECK_STATUS(
                edl_embedding_bag_forward(out, p == 2 ? am : NULL, table, 10, 2, idx, 4, off, 2, NULL, (edl_pool)p, -1),
                EDL_ERR_INDEX);
            CHECK_ERROR_HAS(want);
            for (int i = 0; i < 4; i++) CHECK(out[i] == 7.0f);
            CHECK_STATUS(edl_embedding_bag_backward(table, 10, 2, idx, 4, off, 2, NULL, (edl_pool)p, -1, am, out),
                         EDL_ERR_INDEX);
            CHECK_ERROR_HAS(want);
        }
    for (int i = 0; i < 20; i++) CHECK(table[i] == 0.0f); /* the failed backwards wrote nothing */
    idx[2] = 4;
    int64_t bad_off[][2] = {{1, 2}, {0, 5}, {0, -1}};
    for (int k = 0; k < 3; k++)
        CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, bad_off[k], 2, NULL, EDL_POOL_SUM, -1),
                     EDL_ERR_INDEX);
    int64_t dec[3] = {0, 3, 2};
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, dec, 3, NULL, EDL_POOL_SUM, -1),
                 EDL_ERR_INDEX);
    CHECK_ERROR_HAS("offset 2 at position 2");
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, off, 2, w, EDL_POOL_MEAN, -1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, off, 2, NULL, (edl_pool)7, -1),
                 EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, off, 2, NULL, EDL_POOL_SUM, 10),
                 EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, off, 2, NULL, EDL_POOL_SUM, -2),
                 EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, NULL, 2, NULL, EDL_POOL_SUM, -1),
                 EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, NULL, 4, off, 2, NULL, EDL_POOL_SUM, -1),
                 EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 2, idx, 4, off, 0, NULL, EDL_POOL_SUM, -1),
                 EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_bag_forward(out, NULL, table, 10, 0, idx, 4, off, 2, NULL, EDL_POOL_SUM, -1),
                 EDL_ERR_ARG);
    /* MAX backward needs argmax, and checks it */
    CHECK_STATUS(edl_embedding_bag_backward(table, 10, 2, idx, 4, off, 2, NULL, EDL_POOL_MAX, -1, NULL, out),
                 EDL_ERR_ARG);
    am[3] = 10;
    CHECK_STATUS(edl_embedding_bag_backward(table, 10, 2, idx, 4, off, 2, NULL, EDL_POOL_MAX, -1, am, out),
                 EDL_ERR_INDEX);
    CHECK_ERROR_HAS("argmax 10 at position 3");
    am[3] = INT64_MIN;
    CHECK_STATUS(edl_embedding_bag_backward(table, 10, 2, idx, 4, off, 2, NULL, EDL_POOL_MAX, -1, am, out),
                 EDL_ERR_INDEX);
}
