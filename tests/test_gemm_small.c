/* The small-product kernel (gemm_small.c) against the naive triple loop: every tile set the CPU
 * has (plain C, AVX2, AVX-512), every transpose, alpha/beta, the fused bias and ReLU, sizes of
 * 1, odd and across the register blocks, strides, nothing written outside C, threads. */
#include "harness.h"
#include "kernels/kernels.h"
#include "common/internal.h"

static const char *isa_name[] = {"generic", "avx2", "avx512"};

static bool isa_runs(int isa) {
    float a = 1, b = 1, c = 0;
    return edl__gemm_small_ex(isa, false, false, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1, NULL, false);
}

/* C = alpha op(A) op(B) + beta C (+ bias, ReLU) by the naive loop. */
static void reference(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                      const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias, bool relu) {
    edl__gemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float x = c[i * ldc + j] + (bias ? bias[j] : 0.0f);
            c[i * ldc + j] = relu ? edl__act_apply(x, EDL_ACT_RELU) : x;
        }
}

TEST(gemm_small_equals_naive) {
    static const size_t ms[] = {1, 2, 3, 5, 6, 7, 12, 13, 25, 37};
    static const size_t ns[] = {1, 3, 8, 10, 16, 17, 31, 33, 48, 64, 65, 100, 130};
    static const size_t ks[] = {1, 2, 17, 64, 300};
    const float ab[][2] = {{1, 0}, {1, 1}, {0.5f, -2}};
    edl_rng rng;
    edl_rng_seed(&rng, 31);
    int ran = 0;
    for (int isa = 0; isa < 3; isa++) {
        if (!isa_runs(isa)) continue;
        ran++;
        for (size_t im = 0; im < sizeof ms / sizeof *ms; im++)
            for (size_t in = 0; in < sizeof ns / sizeof *ns; in++)
                for (size_t ik = 0; ik < sizeof ks / sizeof *ks; ik++) {
                    size_t m = ms[im], n = ns[in], k = ks[ik];
                    int t = (int)((im + in + ik) % 4), q = (int)((im * 3 + in + ik) % 3);
                    bool ta = t & 1, tb = t & 2, with_bias = (in + ik) % 2, relu = (im + ik) % 2;
                    size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                    float *a = rand_floats(&rng, (ta ? k : m) * lda, -1, 1);
                    float *b = rand_floats(&rng, (tb ? n : k) * ldb, -1, 1);
                    float *bias = with_bias ? rand_floats(&rng, n, -1, 1) : NULL;
                    /* one spare row after C: the kernel must write neither it nor the gaps */
                    float *c = rand_floats(&rng, (m + 1) * ldc, -1, 1), *cr = copy_floats(c, (m + 1) * ldc);
                    CHECK(edl__gemm_small_ex(isa, ta, tb, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], c, ldc, bias,
                                             relu));
                    reference(ta, tb, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], cr, ldc, bias, relu);
                    if (!CHECK_CLOSE(c, cr, (m + 1) * ldc, 2e-5 * (double)k + 1e-5, 1e-4))
                        fprintf(stderr, "    %s: m %zu n %zu k %zu ta %d tb %d alpha %g beta %g bias %d relu %d\n",
                                isa_name[isa], m, n, k, ta, tb, ab[q][0], ab[q][1], with_bias, relu);
                    free(a), free(b), free(bias), free(c), free(cr);
                }
    }
    CHECK(ran >= 1 && isa_runs(0)); /* the plain C tiles run everywhere */
}

/* beta == 0 does not read C (NaN there stays out), and ReLU lets NaN through, as PyTorch. */
TEST(gemm_small_nan) {
    for (int isa = 0; isa < 3; isa++) {
        if (!isa_runs(isa)) continue;
        float a[6] = {1, 2, 3, 4, NAN, 6}, b[6] = {1, 0, 0, 1, 1, 1}, c[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
        float bias[2] = {-100, 0};
        /* C (3 x 2) = A (3 x 2) B (2 x 2) + bias, ReLU */
        CHECK(edl__gemm_small_ex(isa, false, false, 3, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2, bias, true));
        CHECK(c[0] == 0 && c[1] == 2 && c[2] == 0 && c[3] == 4 && isnan(c[4]) && isnan(c[5]));
    }
}

/* A forward's few columns (x W^T, n <= 10) from 32 rows up take the examples along the lanes
   (C^T = B A^T): every element the same bits as the row tiles give an example alone (m = 1),
   with alpha, beta, bias, ReLU, zeros of both signs, NaN, strides and a heap-sized A^T; nothing
   written outside C. */
TEST(gemm_small_narrow_rows_same_bits) {
    static const size_t ms[] = {32, 33, 47, 64, 100, 600};
    static const size_t ks[] = {1, 3, 16, 17, 64};
    const float ab[][2] = {{1, 0}, {1, 1}, {0.5f, -2}};
    edl_rng rng;
    edl_rng_seed(&rng, 47);
    if (!isa_runs(2)) return; /* the path is AVX-512's */
    for (size_t n = 2; n <= 12; n++)
        for (size_t im = 0; im < sizeof ms / sizeof *ms; im++)
            for (size_t ik = 0; ik < sizeof ks / sizeof *ks; ik++) {
                const size_t m = ms[im], k = ks[ik], lda = k + 1, ldb = k + 2, ldc = n + 3;
                const int q = (int)((n + im + ik) % 3);
                const bool relu = (n + ik) % 2, with_bias = (im + ik) % 2;
                float *a = rand_floats(&rng, m * lda, -1, 1), *b = rand_floats(&rng, n * ldb, -1, 1);
                for (size_t i = 0; i < m * lda; i += 97) a[i] = i % 3 == 0 ? 0.0f : i % 3 == 1 ? -0.0f : NAN;
                float *bias = with_bias ? rand_floats(&rng, n, -1, 1) : NULL;
                float *c = rand_floats(&rng, (m + 1) * ldc, -1, 1), *c1 = copy_floats(c, (m + 1) * ldc);
                CHECK(edl__gemm_small_ex(2, false, true, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], c, ldc, bias,
                                         relu));
                for (size_t i = 0; i < m; i++) /* each row alone: the row tiles */
                    CHECK(edl__gemm_small_ex(2, false, true, 1, n, k, ab[q][0], a + i * lda, lda, b, ldb, ab[q][1],
                                             c1 + i * ldc, ldc, bias, relu));
                if (memcmp(c, c1, (m + 1) * ldc * sizeof *c))
                    FAILF("narrow rows: m %zu n %zu k %zu alpha %g beta %g bias %d relu %d differ from the rows alone",
                          m, n, k, ab[q][0], ab[q][1], with_bias, relu);
                free(a), free(b), free(bias), free(c), free(c1);
            }
}

/* The AVX-512 kernel, for every k up to a tile's worth and past the short rows' SHORT_K (4), gives
   each element as one fused multiply-add chain from +0 over p in order, then alpha, beta C, bias
   and ReLU (max(0, x): NaN and -0 pass): bit for bit the scalar chain below, with zeros of both
   signs, NaN, both transposes, strides, row counts across the tiles' and the chunks' sizes (but
   x W^T with one output, whose dot products gemv512 sums in a tree of lanes). */
static float fma_chain(bool ta, bool tb, size_t i, size_t j, size_t k, const float *a, size_t lda, const float *b,
                       size_t ldb, float alpha, float beta, float c, const float *bias, bool relu) {
    float x = 0.0f;
    for (size_t p = 0; p < k; p++)
        x = fmaf(ta ? a[p * lda + i] : a[i * lda + p], tb ? b[j * ldb + p] : b[p * ldb + j], x);
    if (alpha != 1.0f) x = alpha * x;
    if (beta != 0.0f) x = x + (beta == 1.0f ? c : beta * c);
    if (bias) x = x + bias[j];
    if (relu) x = x < 0.0f ? 0.0f : x; /* -0 and NaN pass */
    return x;
}

TEST(gemm_small_avx512_is_an_fma_chain) {
    static const size_t ms[] = {1, 5, 12, 24, 25, 49, 1280};
    static const size_t ns[] = {1, 10, 16, 32, 33, 64, 130};
    const float ab[][2] = {{1, 0}, {1, 1}, {0.5f, -2}};
    edl_rng rng;
    edl_rng_seed(&rng, 53);
    if (!isa_runs(2)) return;
    for (size_t k = 1; k <= 6; k++)
        for (size_t im = 0; im < sizeof ms / sizeof *ms; im++)
            for (size_t in = 0; in < sizeof ns / sizeof *ns; in++) {
                const size_t m = ms[im], n = ns[in];
                const int t = (int)((k + im + in) % 4), q = (int)((k + im * 2 + in) % 3);
                const bool ta = t & 1, tb = t & 2, relu = (k + in) % 2, with_bias = (im + in) % 2;
                if (tb && !ta && n == 1) continue; /* x W^T with one output: gemv512's dot products */
                const size_t lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                float *a = rand_floats(&rng, (ta ? k : m) * lda, -1, 1),
                      *b = rand_floats(&rng, (tb ? n : k) * ldb, -1, 1);
                for (size_t i = 0; i < (ta ? k : m) * lda; i += 7) a[i] = i % 3 == 0 ? 0.0f : i % 3 == 1 ? -0.0f : NAN;
                for (size_t i = 3; i < m; i += 11) /* rows of op(A) all zeros: each sum a chain of +-0 from +0 */
                    for (size_t p = 0; p < k; p++) a[ta ? p * lda + i : i * lda + p] = p % 2 ? 0.0f : -0.0f;
                for (size_t i = 1; i < (tb ? n : k) * ldb; i += 5) b[i] = i % 2 ? -0.0f : 0.0f;
                float *bias = with_bias ? rand_floats(&rng, n, -1, 1) : NULL;
                float *c = rand_floats(&rng, (m + 1) * ldc, -1, 1), *want = copy_floats(c, (m + 1) * ldc);
                for (size_t i = 0; i < m; i++)
                    for (size_t j = 0; j < n; j++)
                        want[i * ldc + j] =
                            fma_chain(ta, tb, i, j, k, a, lda, b, ldb, ab[q][0], ab[q][1], c[i * ldc + j], bias, relu);
                CHECK(edl__gemm_small_ex(2, ta, tb, m, n, k, ab[q][0], a, lda, b, ldb, ab[q][1], c, ldc, bias, relu));
                if (memcmp(c, want, (m + 1) * ldc * sizeof *c))
                    FAILF("m %zu n %zu k %zu ta %d tb %d alpha %g beta %g bias %d relu %d: not the fma chain's bits", m,
                          n, k, ta, tb, ab[q][0], ab[q][1], with_bias, relu);
                free(a), free(b), free(bias), free(c), free(want);
            }
}

/* k = 1 above the threading threshold (2^19 multiply-adds): the rows shared by two threads are
   still each the chain's bits. */
TEST(gemm_small_short_k_threads_are_the_fma_chain) {
    if (!isa_runs(2)) return;
    const size_t m = 20000, n = 32, k = 1;
    edl_rng rng;
    edl_rng_seed(&rng, 59);
    float *a = rand_floats(&rng, m, -1, 1), *b = rand_floats(&rng, n, -1, 1), *c = zeros(m * n), *want = zeros(m * n);
    for (size_t i = 0; i < m; i += 5) a[i] = -0.0f;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            want[i * n + j] = fma_chain(false, false, i, j, k, a, k, b, n, 1, 0, 0, NULL, false);
    set_threads(2);
    CHECK(edl__gemm_small_ex(2, false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n, NULL, false));
    set_threads(1);
    CHECK(memcmp(c, want, m * n * sizeof *c) == 0);
    free(a), free(b), free(c), free(want);
}

/* Shapes the kernel shares among threads: the same bits for 1, 2 and 3 threads. */
TEST(gemm_small_threads_identical) {
    /* rows enough for every thread; few rows (their columns shared too: 64 x 64 x 1280, the mlp's
       dW); one chunk of rows; one row of a transposed A (row512) */
    static const struct {
        size_t m, n, k;
        bool ta, tb;
    } shapes[] = {{250, 130, 70, false, true},
                  {64, 64, 1280, true, false},
                  {32, 64, 1280, true, false},
                  {10, 130, 1000, true, false},
                  {1, 100, 6000, true, false}};
    edl_rng rng;
    edl_rng_seed(&rng, 32);
    for (int isa = 0; isa < 3; isa++) {
        if (!isa_runs(isa)) continue;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            const size_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
            const bool ta = shapes[s].ta, tb = shapes[s].tb;
            const size_t lda = ta ? m : k, ldb = tb ? k : n;
            const float alpha = s % 2 ? 0.5f : 1.0f, beta = s % 3 ? 1.0f : 0.0f; /* beta: C read */
            float *a = rand_floats(&rng, m * k, -1, 1), *b = rand_floats(&rng, n * k, -1, 1),
                  *bias = rand_floats(&rng, n, -1, 1), *c0 = rand_floats(&rng, m * n, -1, 1);
            float *c[3];
            for (int t = 0; t < 3; t++) {
                c[t] = copy_floats(c0, m * n);
                set_threads(t + 1);
                CHECK(edl__gemm_small_ex(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c[t], n, bias, s % 2));
            }
            if (memcmp(c[1], c[0], m * n * sizeof(float)) || memcmp(c[2], c[0], m * n * sizeof(float)))
                FAILF("%s: m %zu n %zu k %zu: the bits differ between 1, 2 and 3 threads", isa_name[isa], m, n, k);
            for (int t = 0; t < 3; t++) free(c[t]);
            free(a), free(b), free(bias), free(c0);
        }
    }
}

/* The dense layer's one-pass helpers against the two passes they replace, bit for bit: ReLU's
   gradient with the bias gradient (edl__act_grad_mul then edl__vec_colsum_add), and bias then
   ReLU (a loop of adds, then max with 0 keeping NaN), on outputs with negatives, zeros of both
   signs and NaN. */
TEST(dense_one_pass_helpers_equal_two_passes) {
    edl_rng rng;
    edl_rng_seed(&rng, 17);
    const size_t shapes[][2] = {{1, 1}, {1, 17}, {3, 5}, {7, 16}, {13, 33}, {64, 10}, {5, 129}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
        float *y = rand_floats(&rng, n, -1.0f, 1.0f), *dout = rand_floats(&rng, n, -2.0f, 2.0f);
        float *bias = rand_floats(&rng, cols, -0.5f, 0.5f);
        for (size_t i = 0; i < n; i += 7) y[i] = (i / 7) % 3 == 0 ? 0.0f : (i / 7) % 3 == 1 ? -0.0f : NAN;
        float *g1 = zeros(n), *g2 = zeros(n), *db1 = rand_floats(&rng, cols, -1.0f, 1.0f);
        float *db2 = copy_floats(db1, cols);
        edl__vec_relu_grad_colsum(g1, dout, y, rows, cols, db1);
        edl__act_grad_mul(g2, dout, y, n, EDL_ACT_RELU);
        edl__vec_colsum_add(db2, g2, rows, cols);
        if (memcmp(g1, g2, n * sizeof *g1) || memcmp(db1, db2, cols * sizeof *db1))
            FAILF("relu_grad_colsum %zux%zu differs from the two passes", rows, cols);
        edl__vec_relu_grad_colsum(g1, dout, y, rows, cols, NULL); /* no bias: g alone */
        if (memcmp(g1, g2, n * sizeof *g1)) FAILF("relu_grad_colsum %zux%zu without dbias", rows, cols);
        float *g3 = copy_floats(dout, n), *db3 = copy_floats(db2, cols); /* in place: g formed in dout */
        edl__vec_colsum_add(db2, g2, rows, cols);
        edl__vec_relu_grad_colsum(g3, g3, y, rows, cols, db3);
        if (memcmp(g3, g2, n * sizeof *g3) || memcmp(db3, db2, cols * sizeof *db3))
            FAILF("relu_grad_colsum %zux%zu in place", rows, cols);
        free(g3), free(db3);
        for (int relu = 0; relu < 2; relu++)
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                float *a = copy_floats(y, n), *b = copy_floats(y, n);
                edl__vec_bias_relu(a, with_bias ? bias : NULL, rows, cols, relu);
                for (size_t r = 0; r < rows; r++)
                    for (size_t c = 0; c < cols; c++) {
                        float v = with_bias ? b[r * cols + c] + bias[c] : b[r * cols + c]; /* -0 stays -0 */
                        b[r * cols + c] = relu && v < 0.0f ? 0.0f : v;
                    }
                if (memcmp(a, b, n * sizeof *a))
                    FAILF("bias_relu %zux%zu relu %d bias %d", rows, cols, relu, with_bias);
                free(a), free(b);
            }
        free(y), free(dout), free(bias), free(g1), free(g2), free(db1), free(db2);
    }
}
