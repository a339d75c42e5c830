/* Dense layer and GEMM: PyTorch reference, naive references, threads, errors. */
#include "harness.h"
#include "kernels/kernels.h"
#include "common/internal.h"

static const char *act_names[] = {"none", "relu", "sigmoid", "tanh"};

TEST(dense_matches_pytorch) {
    for (int a = 0; a < 4; a++) {
        char key[64];
#define REF(k) (snprintf(key, sizeof key, "dense_%s.%s", act_names[a], k), ref_f32(key, NULL))
        const size_t batch = 4, in = 6, out_dim = 3;
        const float *x = REF("x"), *w = REF("w"), *b = REF("b"), *dout = REF("dout");
        float y[4 * 3], dx[4 * 6], dw[3 * 6] = {0}, db[3] = {0};
        CHECK_OK(edl_dense_forward(y, x, batch, in, out_dim, w, b, (edl_act)a));
        CHECK_CLOSE(y, REF("out"), batch * out_dim, 1e-6, 1e-5);
        CHECK_OK(edl_dense_backward(dx, dw, db, dout, x, y, batch, in, out_dim, w, (edl_act)a));
        CHECK_CLOSE(dx, REF("dx"), batch * in, 1e-6, 1e-5);
        CHECK_CLOSE(dw, REF("dw"), out_dim * in, 1e-6, 1e-5);
        CHECK_CLOSE(db, REF("db"), out_dim, 1e-6, 1e-5);
#undef REF
    }
}

/* Shapes around the kernels' blocking (MR, NR, KC, MC; the small kernel's tiles of 12/8/6 rows
   and 16-float vectors), tiny ones, the mlp's (1280 rows) and the bench's 256 x 64 -> 128. */
static const size_t shapes[][3] = {{1, 1, 1},      {3, 5, 7},      {13, 33, 17},   {64, 64, 10}, {100, 300, 257},
                                   {250, 70, 513}, {37, 1, 90},    {5, 3100, 20},  {2, 10, 64},  {1280, 1, 32},
                                   {1280, 32, 64}, {256, 128, 64}, {19, 100, 2500}};

TEST(dense_fast_equals_naive) {
    edl_rng rng;
    edl_rng_seed(&rng, 20);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int a = 0; a < 4; a++)
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                size_t batch = shapes[s][0], in = shapes[s][2], od = shapes[s][1];
                float *x = rand_floats(&rng, batch * in, -1, 1), *w = rand_floats(&rng, od * in, -0.3f, 0.3f);
                float *b = with_bias ? rand_floats(&rng, od, -1, 1) : NULL, *g = rand_floats(&rng, batch * od, -1, 1);
                float *y = zeros(batch * od), *yr = zeros(batch * od);
                CHECK_OK(edl_dense_forward(y, x, batch, in, od, w, b, (edl_act)a));
                edl__dense_forward_naive(yr, x, batch, in, od, w, b, (edl_act)a);
                if (!CHECK_CLOSE(y, yr, batch * od, 1e-5, 1e-4))
                    fprintf(stderr, "    shape %zu x %zu -> %zu act %s\n", batch, in, od, act_names[a]);
                float *dx = zeros(batch * in), *dxr = zeros(batch * in);
                float *dw = rand_floats(&rng, od * in, -1, 1), *dwr = copy_floats(dw, od * in);
                float *db = zeros(od), *dbr = zeros(od);
                CHECK_OK(edl_dense_backward(dx, dw, db, g, x, yr, batch, in, od, w, (edl_act)a));
                edl__dense_backward_naive(dxr, dwr, dbr, g, x, yr, batch, in, od, w, (edl_act)a);
                CHECK_CLOSE(dx, dxr, batch * in, 1e-4, 1e-4); /* sums of up to 3100 float products */
                CHECK_CLOSE(dw, dwr, od * in, 1e-4, 1e-4);    /* += onto existing values */
                CHECK_CLOSE(db, dbr, od, 1e-4, 1e-4);
                free(x), free(w), free(b), free(g), free(y), free(yr), free(dx), free(dxr);
                free(dw), free(dwr), free(db), free(dbr);
            }
}

/* Every transpose combination, alpha/beta, strides, and the built-in kernel on its own. */
TEST(gemm_fast_equals_naive) {
    edl_rng rng;
    edl_rng_seed(&rng, 21);
    const float ab[][2] = {{1, 0}, {1, 1}, {0.5f, -2}, {-1, 0.25f}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++)
            for (size_t q = 0; q < 4; q++) {
                bool ta = t & 1, tb = t & 2;
                size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                float *a = rand_floats(&rng, (ta ? k : m) * lda, -1, 1);
                float *b = rand_floats(&rng, (tb ? n : k) * ldb, -1, 1);
                float *c0 = rand_floats(&rng, m * ldc, -1, 1);
                float *c1 = copy_floats(c0, m * ldc), *c2 = copy_floats(c0, m * ldc), *cr = copy_floats(c0, m * ldc);
                CHECK_OK(edl_sgemm(ta, tb, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], c1, ldc));
                edl__gemm_builtin(ta, tb, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], c2, ldc);
                edl__gemm_naive(ta, tb, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], cr, ldc);
                if (!CHECK_CLOSE(c1, cr, m * ldc, 1e-4, 1e-4) || !CHECK_CLOSE(c2, cr, m * ldc, 1e-4, 1e-4))
                    fprintf(stderr, "    m %zu n %zu k %zu ta %d tb %d\n", m, n, k, ta, tb);
                free(a), free(b), free(c0), free(c1), free(c2), free(cr);
            }
}

/* beta == 0 must not read C: NaN there must not leak into the result. */
TEST(gemm_beta_zero_ignores_c) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {NAN, NAN, NAN, NAN}, c2[4] = {NAN, NAN, NAN, NAN};
    CHECK_OK(edl_sgemm(0, 0, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2));
    CHECK_EQUAL_F(c, a, 4);
    edl__gemm_builtin(false, false, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c2, 2);
    CHECK_EQUAL_F(c2, a, 4);
}

/* Forward results are the same bits for any thread count, including shapes where a BLAS would
   split the K sum over threads (skinny, long-K) and thread counts that are not powers of two. */
TEST(dense_forward_threads_identical) {
    edl_rng rng;
    edl_rng_seed(&rng, 22);
    const size_t shapes3[][3] = {{300, 200, 150}, {8, 100000, 8}, {1, 4096, 1024}, {1024, 512, 512}};
    const int threads[] = {1, 3, 8};
    for (size_t s = 0; s < sizeof shapes3 / sizeof shapes3[0]; s++) {
        size_t batch = shapes3[s][0], in = shapes3[s][1], od = shapes3[s][2];
        float *x = rand_floats(&rng, batch * in, -1, 1), *w = rand_floats(&rng, od * in, -1, 1);
        float *b = rand_floats(&rng, od, -1, 1), *y[3], *z[3];
        for (int t = 0; t < 3; t++) {
            y[t] = zeros(batch * od), z[t] = zeros(batch * od);
            set_threads(threads[t]);
            CHECK_OK(edl_dense_forward(y[t], x, batch, in, od, w, b, EDL_ACT_TANH));
            edl__gemm_builtin(false, true, batch, od, in, 1.0f, x, in, w, in, 0.0f, z[t], od);
        }
        for (int t = 1; t < 3; t++) {
            if (!CHECK_EQUAL_F(y[t], y[0], batch * od) || !CHECK_EQUAL_F(z[t], z[0], batch * od))
                fprintf(stderr, "    shape %zu x %zu -> %zu, %d threads\n", batch, in, od, threads[t]);
        }
        for (int t = 0; t < 3; t++) free(y[t]), free(z[t]);
        free(x), free(w), free(b);
    }
}

/* beta == 0 on the BLAS path too: a shape above the small-product threshold. */
TEST(gemm_beta_zero_ignores_c_large) {
    edl_rng rng;
    edl_rng_seed(&rng, 23);
    size_t m = 128, n = 96, k = 80;
    float *a = rand_floats(&rng, m * k, -1, 1), *b = rand_floats(&rng, k * n, -1, 1);
    float *c = malloc(m * n * sizeof *c), *ref = zeros(m * n);
    for (size_t i = 0; i < m * n; i++) c[i] = NAN;
    CHECK_OK(edl_sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n));
    edl__gemm_naive(false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, ref, n);
    CHECK_CLOSE(c, ref, m * n, 1e-4, 1e-4);
    free(a), free(b), free(c), free(ref);
}

/* 0 * inf is NaN in every path, as in PyTorch: no shortcut skips zero coefficients. */
TEST(dense_backward_propagates_inf) {
    float x[4] = {INFINITY, 1, 1, 1}, w[4] = {INFINITY, 1, 1, 1}, g[4] = {0, 0, 1, 1};
    float dx[4], dw[4] = {0};
    CHECK_OK(edl_dense_backward(dx, dw, NULL, g, x, NULL, 2, 2, 2, w, EDL_ACT_NONE));
    CHECK(isnan(dx[0]) && dx[1] == 0 && isinf(dx[2]) && dx[3] == 2);
    CHECK(isnan(dw[0]) && dw[1] == 1 && isnan(dw[2]) && dw[3] == 1);
}

TEST(dense_errors) {
    float x[6] = {0}, w[6] = {0}, y[4] = {5, 5, 5, 5}, dx[6];
    CHECK_STATUS(edl_dense_forward(NULL, x, 2, 3, 2, w, NULL, EDL_ACT_NONE), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_forward(y, NULL, 2, 3, 2, w, NULL, EDL_ACT_NONE), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_forward(y, x, 2, 3, 2, NULL, NULL, EDL_ACT_NONE), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_forward(y, x, 0, 3, 2, w, NULL, EDL_ACT_NONE), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_forward(y, x, 2, 0, 2, w, NULL, EDL_ACT_NONE), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_forward(y, x, 2, 3, 0, w, NULL, EDL_ACT_NONE), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_forward(y, x, 2, 3, 2, w, NULL, (edl_act)9), EDL_ERR_ARG);
    CHECK_ERROR_HAS("activation 9");
    for (int i = 0; i < 4; i++) CHECK(y[i] == 5.0f);
    CHECK_STATUS(edl_dense_forward(y, x, SIZE_MAX / 4, 3, 2, w, NULL, EDL_ACT_NONE), EDL_ERR_NOMEM);
    CHECK_STATUS(edl_dense_backward(dx, NULL, NULL, y, x, NULL, 2, 3, 2, w, EDL_ACT_RELU), EDL_ERR_ARG);
    CHECK_STATUS(edl_dense_backward(dx, NULL, NULL, NULL, x, y, 2, 3, 2, w, EDL_ACT_RELU), EDL_ERR_ARG);
    CHECK_OK(edl_dense_backward(dx, NULL, NULL, y, x, NULL, 2, 3, 2, w, EDL_ACT_NONE));
    CHECK_STATUS(edl_sgemm(0, 0, 2, 2, 2, 1, x, 1, w, 2, 0, y, 2), EDL_ERR_ARG);
    CHECK_STATUS(edl_sgemm(0, 0, 0, 2, 2, 1, x, 2, w, 2, 0, y, 2), EDL_ERR_ARG);
    CHECK_STATUS(edl_sgemm(0, 0, 2, 2, 2, 1, NULL, 2, w, 2, 0, y, 2), EDL_ERR_ARG);
}

/* The model's and the recommenders' backward forms g in their own dout instead of a buffer
   malloc'd each step: the same bytes as edl_dense_backward for every activation, small (g on the
   stack there) and medium (g formed a block at a time there, on each thread's stack or malloc'd),
   and dout then holds g. */
TEST(dense_backward_in_place_equals_backward) {
    static const edl_act acts[] = {EDL_ACT_NONE, EDL_ACT_RELU, EDL_ACT_SIGMOID, EDL_ACT_TANH};
    /* small; blocked with each thread's g on its stack; blocked with it malloc'd (128 x 200) */
    static const size_t sizes[][3] = {{7, 5, 3}, {256, 64, 128}, {300, 64, 200}};
    edl_rng rng;
    edl_rng_seed(&rng, 41);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t a = 0; a < 4; a++) {
            const size_t B = sizes[si][0], I = sizes[si][1], O = sizes[si][2];
            float *x = rand_floats(&rng, B * I, -1, 1), *w = rand_floats(&rng, O * I, -1, 1);
            float *b = rand_floats(&rng, O, -1, 1), *y = malloc(B * O * sizeof *y);
            float *dy = rand_floats(&rng, B * O, -1, 1), *dy2 = malloc(B * O * sizeof *dy2);
            float *dx[2], *dw[2], *db[2];
            for (int k = 0; k < 2; k++)
                dx[k] = malloc(B * I * sizeof(float)), dw[k] = calloc(O * I, sizeof(float)), db[k] = calloc(O, 4);
            if (!y || !dy2 || !dx[0] || !dx[1] || !dw[0] || !dw[1] || !db[0] || !db[1]) {
                FAILF("no memory");
                return;
            }
            CHECK_OK(edl_dense_forward(y, x, B, I, O, w, b, acts[a]));
            memcpy(dy2, dy, B * O * sizeof *dy);
            CHECK_OK(edl_dense_backward(dx[0], dw[0], db[0], dy, x, y, B, I, O, w, acts[a]));
            float *scratch = malloc((edl__dense_scratch_floats(B, I, O) + 1) * sizeof *scratch);
            CHECK_OK(edl__dense_backward_in_place(dx[1], dw[1], db[1], dy2, x, y, B, I, O, w, acts[a], scratch));
            free(scratch);
            int same =
                !memcmp(dx[0], dx[1], B * I * 4) && !memcmp(dw[0], dw[1], O * I * 4) && !memcmp(db[0], db[1], O * 4);
            /* dout now holds g = dy * act'(y) */
            float *g = malloc(B * O * sizeof *g);
            if (g) edl__act_grad_mul(g, dy, y, B * O, acts[a]);
            if (!same || !g || memcmp(g, dy2, B * O * 4))
                FAILF("%zu x %zu -> %zu, act %d: in place %s", B, I, O, (int)acts[a],
                      same ? "left another g in dout" : "differs from edl_dense_backward");
            free(g), free(x), free(w), free(b), free(y), free(dy), free(dy2);
            for (int k = 0; k < 2; k++) free(dx[k]), free(dw[k]), free(db[k]);
        }
}

/* Medium layers run in blocks of examples (128, or a quarter of a larger batch: dense.c), each
   block's products on one thread, dW and the bias gradient summed per block, then the blocks'
   sums added in block order. The shapes: three blocks with a short last one, the bench's and
   train.sh's 256 x 64 -> 128, the recommender mlp's 1280 x 64 -> 32 (four blocks of 320), 130 x
   1100 -> 2 (a long k, two outputs). */
static const size_t blocked[][3] = {{300, 24, 20}, {256, 64, 128}, {1280, 64, 32}, {130, 1100, 2}};

/* Every bit the same at 1, 2, 3 and 4 threads, for every activation, with the backward's
   optional gradients missing in turn; and against the definition. */
TEST(dense_blocked_same_bits_any_threads) {
    edl_rng rng;
    edl_rng_seed(&rng, 43);
    for (size_t s = 0; s < sizeof blocked / sizeof blocked[0]; s++)
        for (int a = 0; a < 4; a++)
            for (int drop = 0; drop < 4; drop++) { /* 0 all, 1 no din, 2 no dW, 3 no dbias */
                const size_t B = blocked[s][0], I = blocked[s][1], O = blocked[s][2];
                float *x = rand_floats(&rng, B * I, -1, 1), *w = rand_floats(&rng, O * I, -0.3f, 0.3f);
                float *b = rand_floats(&rng, O, -1, 1), *dy = rand_floats(&rng, B * O, -1, 1);
                float *dw0 = rand_floats(&rng, O * I, -1, 1), *db0 = rand_floats(&rng, O, -1, 1);
                float *y[4], *dx[4], *dw[4], *db[4];
                const int threads[4] = {1, 2, 3, 4};
                for (int t = 0; t < 4; t++) {
                    y[t] = zeros(B * O), dx[t] = zeros(B * I);
                    dw[t] = copy_floats(dw0, O * I), db[t] = copy_floats(db0, O);
                    set_threads(threads[t]);
                    CHECK_OK(edl_dense_forward(y[t], x, B, I, O, w, b, (edl_act)a));
                    CHECK_OK(edl_dense_backward(drop == 1 ? NULL : dx[t], drop == 2 ? NULL : dw[t],
                                                drop == 3 ? NULL : db[t], dy, x, y[t], B, I, O, w, (edl_act)a));
                }
                set_threads(max_threads());
                for (int t = 1; t < 4; t++)
                    if (!CHECK_EQUAL_F(y[t], y[0], B * O) || !CHECK_EQUAL_F(dx[t], dx[0], B * I) ||
                        !CHECK_EQUAL_F(dw[t], dw[0], O * I) || !CHECK_EQUAL_F(db[t], db[0], O))
                        fprintf(stderr, "    %zu x %zu -> %zu act %s drop %d: %d threads\n", B, I, O, act_names[a],
                                drop, threads[t]);
                float *yr = zeros(B * O), *dxr = zeros(B * I), *dwr = copy_floats(dw0, O * I),
                      *dbr = copy_floats(db0, O);
                edl__dense_forward_naive(yr, x, B, I, O, w, b, (edl_act)a);
                edl__dense_backward_naive(dxr, dwr, dbr, dy, x, yr, B, I, O, w, (edl_act)a);
                CHECK_CLOSE(y[0], yr, B * O, 1e-5, 1e-4);
                if (drop != 1) CHECK_CLOSE(dx[0], dxr, B * I, 1e-4, 1e-4);
                CHECK_CLOSE(dw[0], drop == 2 ? dw0 : dwr, O * I, 1e-4, 1e-4); /* untouched when not asked */
                CHECK_CLOSE(db[0], drop == 3 ? db0 : dbr, O, 1e-4, 1e-4);
                for (int t = 0; t < 4; t++) free(y[t]), free(dx[t]), free(dw[t]), free(db[t]);
                free(x), free(w), free(b), free(dy), free(dw0), free(db0), free(yr), free(dxr), free(dwr), free(dbr);
            }
}

/* A blocked layer run inside another parallel region (a recommender's threads, each its own layer
   and buffers, the kernels told one thread): each thread's layer is the same bits as alone.
   (A layer that asked OpenMP for its team there got the outer one: each thread ran half the
   blocks, and the backward's barrier waited for the other thread's layer.) */
TEST(dense_blocked_inside_a_parallel_region) {
    edl_rng rng;
    edl_rng_seed(&rng, 53);
    enum { T = 2 };
    for (size_t s = 0; s < sizeof blocked / sizeof blocked[0]; s++) {
        const size_t B = blocked[s][0], I = blocked[s][1], O = blocked[s][2];
        float *x = rand_floats(&rng, B * I, -1, 1), *w = rand_floats(&rng, O * I, -0.3f, 0.3f);
        float *b = rand_floats(&rng, O, -1, 1), *dy = rand_floats(&rng, B * O, -1, 1);
        float *y0 = zeros(B * O), *dx0 = zeros(B * I), *dw0 = zeros(O * I), *db0 = zeros(O);
        CHECK_OK(edl_dense_forward(y0, x, B, I, O, w, b, EDL_ACT_RELU));
        CHECK_OK(edl_dense_backward(dx0, dw0, db0, dy, x, y0, B, I, O, w, EDL_ACT_RELU));
        float *y[T], *dx[T], *dw[T], *db[T];
        int ok[T] = {0};
        for (int t = 0; t < T; t++) y[t] = zeros(B * O), dx[t] = zeros(B * I), dw[t] = zeros(O * I), db[t] = zeros(O);
        set_threads(1); /* as a recommender's threads: inside, a kernel is told one thread */
#pragma omp parallel for num_threads(T) schedule(static, 1)
        for (int t = 0; t < T; t++) {
            ok[t] = edl_dense_forward(y[t], x, B, I, O, w, b, EDL_ACT_RELU) == EDL_OK &&
                    edl_dense_backward(dx[t], dw[t], db[t], dy, x, y[t], B, I, O, w, EDL_ACT_RELU) == EDL_OK;
        }
        set_threads(max_threads());
        for (int t = 0; t < T; t++) {
            if (!ok[t]) FAILF("%zu x %zu -> %zu: thread %d of an outer team failed", B, I, O, t);
            if (!CHECK_EQUAL_F(y[t], y0, B * O) || !CHECK_EQUAL_F(dx[t], dx0, B * I) ||
                !CHECK_EQUAL_F(dw[t], dw0, O * I) || !CHECK_EQUAL_F(db[t], db0, O))
                fprintf(stderr, "    %zu x %zu -> %zu: thread %d of an outer team\n", B, I, O, t);
        }
        for (int t = 0; t < T; t++) free(y[t]), free(dx[t]), free(dw[t]), free(db[t]);
        free(x), free(w), free(b), free(dy), free(y0), free(dx0), free(dw0), free(db0);
    }
}

/* An example's output is the same bits whatever its batch: alone and in a batch of 100 (the small
   kernel's own paths) and in a batch of 300 (three blocks). */
TEST(dense_blocked_example_independent_of_batch) {
    edl_rng rng;
    edl_rng_seed(&rng, 44);
    const size_t B = 300, I = 24, O = 20;
    float *x = rand_floats(&rng, B * I, -1, 1), *w = rand_floats(&rng, O * I, -1, 1), *b = rand_floats(&rng, O, -1, 1);
    float *all = zeros(B * O), *part = zeros(B * O), one[20];
    CHECK_OK(edl_dense_forward(all, x, B, I, O, w, b, EDL_ACT_RELU));
    CHECK_OK(edl_dense_forward(part, x + 170 * I, 100, I, O, w, b, EDL_ACT_RELU)); /* rows 170 .. 269 */
    CHECK_EQUAL_F(part, all + 170 * O, 100 * O);
    for (size_t r = 0; r < B; r += 37) {
        CHECK_OK(edl_dense_forward(one, x + r * I, 1, I, O, w, b, EDL_ACT_RELU));
        if (!CHECK_EQUAL_F(one, all + r * O, O)) fprintf(stderr, "    row %zu\n", r);
    }
    free(x), free(w), free(b), free(all), free(part);
}

/* The scratch the models keep (edl__dense_scratch_floats at their largest batch) serves every
   batch up to it: a buffer of exactly that many floats (ASan would see a write past it), and the
   same bits as the public call, which allocates its own. */
TEST(dense_scratch_serves_every_smaller_batch) {
    edl_rng rng;
    edl_rng_seed(&rng, 45);
    const size_t shapes2[][3] = {{300, 24, 20}, {2000, 64, 128}, {700, 700, 12}};
    for (size_t s = 0; s < sizeof shapes2 / sizeof shapes2[0]; s++) {
        const size_t cap = shapes2[s][0], I = shapes2[s][1], O = shapes2[s][2];
        const size_t n = edl__dense_scratch_floats(cap, I, O);
        CHECK(n > 0);
        float *scratch = malloc(n * sizeof *scratch);
        float *x = rand_floats(&rng, cap * I, -1, 1), *w = rand_floats(&rng, O * I, -1, 1);
        float *y = zeros(cap * O), *dy = rand_floats(&rng, cap * O, -1, 1), *g = zeros(cap * O);
        float *dx[2] = {zeros(cap * I), zeros(cap * I)}, *dw[2] = {zeros(O * I), zeros(O * I)},
              *db[2] = {zeros(O), zeros(O)};
        const size_t batches[] = {1, 127, 128, 129, 255, 256, 513, cap};
        for (size_t k = 0; scratch && k < sizeof batches / sizeof batches[0]; k++) {
            const size_t B = batches[k];
            if (B > cap) continue;
            CHECK_OK(edl_dense_forward(y, x, B, I, O, w, NULL, EDL_ACT_TANH));
            memcpy(g, dy, B * O * sizeof *g);
            CHECK_OK(edl_dense_backward(dx[0], dw[0], db[0], dy, x, y, B, I, O, w, EDL_ACT_TANH));
            CHECK_OK(edl__dense_backward_in_place(dx[1], dw[1], db[1], g, x, y, B, I, O, w, EDL_ACT_TANH, scratch));
            if (!CHECK_EQUAL_F(dx[1], dx[0], B * I) || !CHECK_EQUAL_F(dw[1], dw[0], O * I) ||
                !CHECK_EQUAL_F(db[1], db[0], O))
                fprintf(stderr, "    %zu x %zu -> %zu, batch %zu of %zu\n", B, I, O, B, cap);
        }
        CHECK(scratch != NULL);
        free(scratch), free(x), free(w), free(y), free(dy), free(g);
        for (int t = 0; t < 2; t++) free(dx[t]), free(dw[t]), free(db[t]);
    }
}
