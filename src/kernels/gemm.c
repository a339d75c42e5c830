/* The one GEMM interface of edl: C = alpha op(A) op(B) + beta C, row-major.
 *
 * Small and medium products (see edl__gemm_is_small) go to gemm_small.c's register-blocked
 * kernel, which needs no packing. Larger ones go to a backend chosen at build time: oneDNN's
 * dnnl_sgemm (EDL__USE_DNNL), a CBLAS such as OpenBLAS (EDL__USE_CBLAS), or the built-in kernel
 * below. The built-in kernel is the GotoBLAS scheme:
 * pack a KC x NC block of B and an MC x KC block of A into contiguous micro-panels, then a
 * register-blocked MR x NR micro-kernel (AVX-512 or AVX2+FMA intrinsics chosen at run time, plain
 * C elsewhere). Threads split the C tiles, never the K sum, so every tile is summed in the same
 * order whatever the thread count: results do not depend on it.
 */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(EDL__USE_DNNL)
#include <oneapi/dnnl/dnnl.h>
#elif defined(EDL__USE_CBLAS)
#include <cblas.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EDL__X86 1
#include <immintrin.h>
#endif

/* ---- reference ---------------------------------------------------------------------------- */

static inline float at(const float *x, size_t ld, bool t, size_t r, size_t c) {
    return t ? x[c * ld + r] : x[r * ld + c];
}

void edl__gemm_naive(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++) s += (double)at(a, lda, ta, i, p) * at(b, ldb, tb, p, j);
            float prev = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
            c[i * ldc + j] = (float)(alpha * s) + prev;
        }
}

/* C = beta C (beta == 0 writes zeros without reading C, so NaN there does not leak). */
static void scale_c(size_t m, size_t n, float beta, float *c, size_t ldc) {
    for (size_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f)
            memset(ci, 0, n * sizeof(float));
        else if (beta != 1.0f)
            edl__vec_scale(ci, beta, n);
    }
}

/* ---- built-in blocked kernel -------------------------------------------------------------- */

enum { KC = 256, MC = 240, NC = 3072, MR_MAX = 12, NR_MAX = 32 };

/* acc (MR x NR, row stride NR) = sum_p a[p*MR + r] * b[p*NR + c] over p < kc. */
typedef void (*micro_fn)(size_t kc, const float *a, const float *b, float *acc);

static void micro_generic(size_t kc, const float *a, const float *b, float *acc) {
    enum { MR = 4, NR = 16 };
    float t[MR][NR] = {{0}};
    for (size_t p = 0; p < kc; p++)
        for (int r = 0; r < MR; r++)
            for (int c = 0; c < NR; c++) t[r][c] += a[p * MR + r] * b[p * NR + c];
    memcpy(acc, t, sizeof t);
}

#ifdef EDL__X86
__attribute__((target("avx512f"))) static void micro_avx512(size_t kc, const float *a, const float *b, float *acc) {
    enum { MR = 12, NR = 32 };
    __m512 c0[MR], c1[MR];
    for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm512_setzero_ps();
    for (size_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b + p * NR), b1 = _mm512_loadu_ps(b + p * NR + 16);
        for (int r = 0; r < MR; r++) {
            __m512 ar = _mm512_set1_ps(a[p * MR + r]);
            c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
        }
    }
    for (int r = 0; r < MR; r++) {
        _mm512_storeu_ps(acc + r * NR, c0[r]);
        _mm512_storeu_ps(acc + r * NR + 16, c1[r]);
    }
}

__attribute__((target("avx2,fma"))) static void micro_avx2(size_t kc, const float *a, const float *b, float *acc) {
    enum { MR = 6, NR = 16 };
    __m256 c0[MR], c1[MR];
    for (int r = 0; r < MR; r++) c0[r] = c1[r] = _mm256_setzero_ps();
    for (size_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b + p * NR), b1 = _mm256_loadu_ps(b + p * NR + 8);
        for (int r = 0; r < MR; r++) {
            __m256 ar = _mm256_broadcast_ss(a + p * MR + r);
            c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
        }
    }
    for (int r = 0; r < MR; r++) {
        _mm256_storeu_ps(acc + r * NR, c0[r]);
        _mm256_storeu_ps(acc + r * NR + 8, c1[r]);
    }
}
#endif

typedef struct {
    micro_fn fn;
    int mr, nr;
    const char *name;
} micro_kernel;

static micro_kernel pick_kernel(void) {
#ifdef EDL__X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return (micro_kernel){micro_avx512, 12, 32, "avx512"};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (micro_kernel){micro_avx2, 6, 16, "avx2"};
#endif
    return (micro_kernel){micro_generic, 4, 16, "generic"};
}

/* Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) as MR-row panels, zero-padded. */
static void pack_a(float *dst, const float *a, size_t lda, bool ta, size_t i0, size_t mc, size_t p0, size_t kc,
                   int mr) {
    for (size_t ir = 0; ir < mc; ir += (size_t)mr) {
        size_t rows = mc - ir < (size_t)mr ? mc - ir : (size_t)mr;
        float *d = dst + ir * kc;
        for (size_t p = 0; p < kc; p++) {
            size_t r = 0;
            for (; r < rows; r++) d[p * mr + r] = at(a, lda, ta, i0 + ir + r, p0 + p);
            for (; r < (size_t)mr; r++) d[p * mr + r] = 0.0f;
        }
    }
}

/* Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) as NR-column panels, zero-padded. */
static void pack_b(float *dst, const float *b, size_t ldb, bool tb, size_t p0, size_t kc, size_t j0, size_t nc,
                   int nr) {
    for (size_t jr = 0; jr < nc; jr += (size_t)nr) {
        size_t cols = nc - jr < (size_t)nr ? nc - jr : (size_t)nr;
        float *d = dst + jr * kc;
        for (size_t p = 0; p < kc; p++) {
            size_t c = 0;
            if (!tb && cols == (size_t)nr) {
                memcpy(d + p * nr, b + (p0 + p) * ldb + j0 + jr, (size_t)nr * sizeof(float));
                continue;
            }
            for (; c < cols; c++) d[p * nr + c] = at(b, ldb, tb, p0 + p, j0 + jr + c);
            for (; c < (size_t)nr; c++) d[p * nr + c] = 0.0f;
        }
    }
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

void edl__gemm_builtin(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                       const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    /* C = beta C first; the blocks then only add alpha op(A) op(B). */
    scale_c(m, n, beta, c, ldc);
    if (k == 0 || alpha == 0.0f) return;

    micro_kernel kern = pick_kernel();
    const size_t mr = (size_t)kern.mr, nr = (size_t)kern.nr;
    size_t nc_max = round_up(n < NC ? n : NC, nr), mc_max = round_up(m < MC ? m : MC, mr);
    size_t kc_max = k < KC ? k : KC;
    float *bp = malloc(nc_max * kc_max * sizeof(float));
    float *ap = malloc(mc_max * kc_max * sizeof(float));
    if (!bp || !ap) {
        /* Out of memory for the packing buffers: the unblocked loop still gives the answer. */
        free(bp);
        free(ap);
        edl__gemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, 1.0f, c, ldc);
        return;
    }
    for (size_t jc = 0; jc < n; jc += NC) {
        size_t nc = n - jc < NC ? n - jc : NC;
        for (size_t pc = 0; pc < k; pc += KC) {
            size_t kc = k - pc < KC ? k - pc : KC;
            pack_b(bp, b, ldb, tb, pc, kc, jc, nc, kern.nr);
            for (size_t ic = 0; ic < m; ic += MC) {
                size_t mc = m - ic < MC ? m - ic : MC;
                pack_a(ap, a, lda, ta, ic, mc, pc, kc, kern.mr);
                size_t tiles_m = (mc + mr - 1) / mr, tiles_n = (nc + nr - 1) / nr;
                size_t tiles = tiles_m * tiles_n;
#pragma omp parallel for schedule(static) if (2 * mc * nc * kc >= ((size_t)1 << 20))
                for (size_t t = 0; t < tiles; t++) {
                    size_t jr = (t / tiles_m) * nr, ir = (t % tiles_m) * mr;
                    float acc[MR_MAX * NR_MAX];
                    kern.fn(kc, ap + ir * kc, bp + jr * kc, acc);
                    size_t rows = mc - ir < mr ? mc - ir : mr, cols = nc - jr < nr ? nc - jr : nr;
                    for (size_t r = 0; r < rows; r++)
                        edl__vec_axpy(c + (ic + ir + r) * ldc + jc + jr, alpha, acc + r * nr, cols);
                }
            }
        }
    }
    free(bp);
    free(ap);
}

/* ---- small products ------------------------------------------------------------------------ */

/* Below EDL__GEMM_SMALL multiply-adds, packing and a library's call cost more than they save.
   Up to EDL__GEMM_MEDIUM, with k up to EDL__GEMM_MEDIUM_K (and m from 16 when B is transposed:
   that costs k x n, little beside m x k x n), the small kernel (gemm_small.c: its op(B) panel of k x 64
   floats in L2, no blocking of k) is 2-3x edl's packed kernel, so it takes the medium shapes a
   BLAS would not (skinny ones, where a BLAS may split k: the mlp's 64 x 64 x 1280, 1280 x 32 x
   64); where oneDNN takes a shape it stays ~10% faster (bench/dense.c's per-product lines). */
/* (EDL__GEMM_SMALL, EDL__GEMM_MEDIUM and EDL__GEMM_MEDIUM_K are in kernels.h: dense.c's blocked
   layers use the same bounds.) */

#if defined(EDL__USE_DNNL) || defined(EDL__USE_CBLAS)
/* A BLAS may split the K sum over threads when C has too few tiles to share out (found with
   oneDNN for 8 x 8 x 100000 and 1 x 4096 x 4096), and then the rounding depends on the thread
   count. Such shapes go to the built-in kernel, which never splits K, so every product gives
   the same bits for any thread count. */
static bool blas_may_split_k(size_t m, size_t n, size_t k) { return m < 64 || n < 64 || k > 8 * (m > n ? m : n); }

/* Whether edl__gemm gives m x n x k to the BLAS when it is not small. */
static bool blas_takes(size_t m, size_t n, size_t k) { return !blas_may_split_k(m, n, k); }
#else
static bool blas_takes(size_t m, size_t n, size_t k) { return (void)m, (void)n, (void)k, false; }
#endif

bool edl__gemm_is_small(bool tb, size_t m, size_t n, size_t k) {
    size_t mn, mnk;
    return edl__mul_ok(m, n, &mn) && edl__mul_ok(mn, k, &mnk) &&
           (mnk < EDL__GEMM_SMALL ||
            (mnk <= EDL__GEMM_MEDIUM && k <= EDL__GEMM_MEDIUM_K && (!tb || m >= 16) && !blas_takes(m, n, k)));
}

/* ---- dispatch ----------------------------------------------------------------------------- */

void edl__gemm(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b,
               size_t ldb, float beta, float *c, size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    if (edl__gemm_is_small(tb, m, n, k)) {
        if (edl__gemm_small(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
        /* no memory for the transposed B: the unblocked loop still gives the answer */
        edl__gemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#if defined(EDL__USE_DNNL)
    if (!blas_may_split_k(m, n, k) &&
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', (dnnl_dim_t)m, (dnnl_dim_t)n, (dnnl_dim_t)k, alpha, a,
                   (dnnl_dim_t)lda, b, (dnnl_dim_t)ldb, beta, c, (dnnl_dim_t)ldc) == dnnl_success)
        return;
#elif defined(EDL__USE_CBLAS)
    /* CBLAS takes int sizes; anything larger goes to the built-in kernel. */
    const size_t lim = 0x7fffffff;
    if (!blas_may_split_k(m, n, k) && m <= lim && n <= lim && k <= lim && lda <= lim && ldb <= lim && ldc <= lim) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                    (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
        return;
    }
#endif
    edl__gemm_builtin(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char *edl__gemm_backend(void) {
#if defined(EDL__USE_DNNL)
    return "onednn";
#elif defined(EDL__USE_CBLAS)
    return "cblas";
#else
    return pick_kernel().name;
#endif
}

edl_status edl_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    static const char fn[] = "edl_sgemm";
    EDL__CHECK_PTR(fn, c);
    EDL__CHECK_SIZE(fn, m);
    EDL__CHECK_SIZE(fn, n);
    if (k > 0) {
        EDL__CHECK_PTR(fn, a);
        EDL__CHECK_PTR(fn, b);
    }
    size_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
    size_t a_rows = trans_a ? k : m, b_rows = trans_b ? n : k;
    if (k > 0 && (lda < a_cols || ldb < b_cols))
        return edl__fail(EDL_ERR_ARG, "%s: lda %zu or ldb %zu is below the row length (%zu, %zu)", fn, lda, ldb, a_cols,
                         b_cols);
    if (ldc < n) return edl__fail(EDL_ERR_ARG, "%s: ldc %zu is below n %zu", fn, ldc, n);
    EDL__TRY(edl__check_matrix(fn, "C", m, ldc));
    if (k > 0) {
        EDL__TRY(edl__check_matrix(fn, "A", a_rows, lda));
        EDL__TRY(edl__check_matrix(fn, "B", b_rows, ldb));
    }
    edl__gemm(trans_a != 0, trans_b != 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return EDL_OK;
}
