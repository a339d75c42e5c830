/* Small products without packing: C = alpha op(A) op(B) + beta C, row-major, for the shapes where
 * packing (gemm.c's blocked kernel) or a library's call costs more than it saves: a dense
 * layer of 64 x 64 -> 10, the recommender mlp's layers.
 *
 * Register blocking: a tile of C, MR rows x NV vectors of columns, is summed in registers over
 * the whole k. Per p, the NV vectors of op(B)'s row p are loaded (contiguous) and the MR values
 * of op(A)'s column p broadcast (any stride, so op(A) is read in place, transposed or not):
 * MR x NV fused multiply-adds. The last vector of a tile is masked, so no column count is a
 * special case. op(B) must have contiguous rows: a transposed B (the forward's x W^T) is
 * transposed once into a buffer. AVX-512 (tiles up to 12 x 4 vectors of 16, and rows one at a
 * time for k <= 4) or AVX2+FMA (up to 8 x 2 vectors of 8), chosen at run time; plain C elsewhere
 * (tiles of 4 x 16).
 *
 * Threads (OpenMP, from EDL__GEMM_SMALL_PAR multiply-adds) split the rows of C, and its columns
 * too when the rows are few, never the sum: each element of C is one sum over p in order, then
 * alpha, then beta C added, whatever the thread count: the same bits on every run.
 */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <stdlib.h>
#include <string.h>

/* From this many multiply-adds a product is worth sharing among threads (~3 us on one core). */
#define EDL__GEMM_SMALL_PAR ((size_t)1 << 19)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EDL__X86 1
#include <immintrin.h>
#endif

/* One tile: op(A)[r][p] = a[r*ars + p*acs] for r < rows, op(B)[p][j] = b[p*ldb + j] for
   j < cols; C[r][j] = alpha sum_p op(A)[r][p] op(B)[p][j] + beta C[r][j] (beta 0: C not read),
   then + bias[j] when bias is set, then ReLU when relu is (a dense layer's forward, fused). */
typedef struct {
    size_t k, ars, acs, ldb, ldc, cols;
    const float *a, *b, *bias;
    float *c;
    float alpha, beta;
    bool relu;
} tile_args;
typedef void (*tile_fn)(const tile_args *t);

/* ---- plain C: 4 x 16 ------------------------------------------------------------------------ */

enum { GEN_MR = 4, GEN_NR = 16 };

static void tile_generic(size_t rows, const tile_args *t) {
    float acc[GEN_MR][GEN_NR] = {{0}};
    const size_t cols = t->cols;
    for (size_t p = 0; p < t->k; p++) {
        const float *bp = t->b + p * t->ldb;
        for (size_t r = 0; r < rows; r++) {
            float ar = t->a[r * t->ars + p * t->acs];
            for (size_t j = 0; j < cols; j++) acc[r][j] += ar * bp[j];
        }
    }
    for (size_t r = 0; r < rows; r++) {
        float *c = t->c + r * t->ldc;
        for (size_t j = 0; j < cols; j++) {
            float x = t->alpha * acc[r][j] + (t->beta == 0.0f ? 0.0f : t->beta * c[j]);
            if (t->bias) x += t->bias[j];
            c[j] = t->relu && x < 0.0f ? 0.0f : x; /* NaN passes through, as edl__act_apply */
        }
    }
}

#ifdef EDL__X86
/* The tiles' loops have constant trip counts once inlined: unrolled, the accumulators live in
   registers. */
#define EDL__UNROLL _Pragma("GCC unroll 16")

/* ---- AVX-512: MR x NV vectors of 16 ------------------------------------------------------- */

#define EDL__AI512 __attribute__((always_inline, target("avx512f"))) static inline

/* How a tile finishes its sums into C: alpha x, + beta C, + bias, ReLU. Read out of the tile's
   arguments once: C's stores may alias them, so read at each vector they were reloaded. */
typedef struct {
    float alpha, beta;
    bool scaled, has_beta, beta_one, relu;
} finish;

static inline finish finish_of(float alpha, float beta, bool relu) {
    return (finish){alpha, beta, alpha != 1.0f, beta != 0.0f, beta == 1.0f, relu};
}

/* x into C under mask mk: a whole vector stored plainly (Zen 4 takes a masked store more slowly). */
EDL__AI512 void store512(float *c, __mmask16 mk, __m512 x) {
    if (mk == (__mmask16)0xffff)
        _mm512_storeu_ps(c, x);
    else
        _mm512_mask_storeu_ps(c, mk, x);
}

/* A sum's vector finished into C under mask mk (max(0, NaN) is NaN). alpha 1 and beta 1 (the
   layers' products) skip their multiplies: 1 x is x, the same bits, and at k = 10 (a 64 x 64 ->
   10 layer's din) the multiplies were a tenth of the FMA pipes' work. */
EDL__AI512 void finish512(float *c, __mmask16 mk, __m512 x, finish f, const float *bias) {
    if (f.scaled) x = _mm512_mul_ps(_mm512_set1_ps(f.alpha), x);
    if (f.has_beta) {
        __m512 cv = _mm512_maskz_loadu_ps(mk, c);
        x = _mm512_add_ps(x, f.beta_one ? cv : _mm512_mul_ps(_mm512_set1_ps(f.beta), cv));
    }
    if (bias) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk, bias));
    if (f.relu) x = _mm512_max_ps(_mm512_setzero_ps(), x);
    store512(c, mk, x);
}

EDL__AI512 void tile512(const int MR, const int NV, __m512 acc[][4], const tile_args *t) {
    const __mmask16 last = (__mmask16)(0xffffu >> (16 * (size_t)NV - t->cols));
    EDL__UNROLL for (int r = 0; r < MR; r++) EDL__UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    const float *a = t->a, *b = t->b;
    const size_t ars = t->ars, acs = t->acs, ldb = t->ldb, k = t->k;
    for (size_t p = 0; p < k; p++, a += acs, b += ldb) {
        __m512 bv[4];
        EDL__UNROLL for (int v = 0; v + 1 < NV; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
        bv[NV - 1] = _mm512_maskz_loadu_ps(last, b + 16 * (NV - 1));
        EDL__UNROLL for (int r = 0; r < MR; r++) {
            __m512 ar = _mm512_set1_ps(a[r * ars]);
            EDL__UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    const finish f = finish_of(t->alpha, t->beta, t->relu);
    float *const c = t->c;
    const float *const bias = t->bias;
    const size_t ldc = t->ldc;
    EDL__UNROLL for (int r = 0; r < MR; r++) EDL__UNROLL for (int v = 0; v < NV; v++) finish512(
        c + r * ldc + 16 * v, v + 1 < NV ? (__mmask16)0xffff : last, acc[r][v], f, bias ? bias + 16 * v : NULL);
}

/* One row of C from a transposed A (a dense(1) layer's dW = g^T x: m is the layer's width, not
   the batch): one accumulator per vector would wait on the FMA's latency at every p, so four
   take turns over p mod 4 and are added at the end, ((0 + 1) + (2 + 3)): a fixed order. Within
   this kernel, rows of C that are examples (A not transposed) always go through the tiles, so an
   example's result does not depend on how many others share its batch. Which kernel takes a
   product does (gemm.c: a BLAS above the small sizes), and the AVX-512, AVX2 and plain paths
   round differently: results are the same bits on one machine for one batch size, and equal to
   rounding otherwise (the MPI trainers split batches: docs/SCALING.md). */
EDL__AI512 void row512_body(const size_t nv, const tile_args *t) {
    __m512 acc[4][4];
    const __mmask16 last = (__mmask16)(0xffffu >> (16 * nv - t->cols));
    EDL__UNROLL for (int u = 0; u < 4; u++) EDL__UNROLL for (size_t v = 0; v < nv; v++) acc[u][v] = _mm512_setzero_ps();
    const float *a = t->a, *b = t->b;
    const size_t acs = t->acs, ldb = t->ldb, k = t->k;
    size_t p = 0;
#define EDL__ROW_STEP(u)                                                                                               \
    do {                                                                                                               \
        __m512 ar = _mm512_set1_ps(a[(p + u) * acs]);                                                                  \
        const float *bp = b + (p + u) * ldb;                                                                           \
        EDL__UNROLL for (size_t v = 0; v < nv; v++) acc[u][v] =                                                        \
            _mm512_fmadd_ps(ar, _mm512_maskz_loadu_ps(v + 1 < nv ? (__mmask16)0xffff : last, bp + 16 * v), acc[u][v]); \
    } while (0)
    for (; p + 4 <= k; p += 4) {
        EDL__ROW_STEP(0);
        EDL__ROW_STEP(1);
        EDL__ROW_STEP(2);
        EDL__ROW_STEP(3);
    }
    for (; p < k; p++) EDL__ROW_STEP(0);
#undef EDL__ROW_STEP
    const finish f = finish_of(t->alpha, t->beta, t->relu);
    EDL__UNROLL for (size_t v = 0; v < nv; v++)
        finish512(t->c + 16 * v, v + 1 < nv ? (__mmask16)0xffff : last,
                  _mm512_add_ps(_mm512_add_ps(acc[0][v], acc[1][v]), _mm512_add_ps(acc[2][v], acc[3][v])), f,
                  t->bias ? t->bias + 16 * v : NULL);
}

__attribute__((target("avx512f"))) static void row512(size_t nv, const tile_args *t) {
    switch (nv) {
    case 1: row512_body(1, t); break;
    case 2: row512_body(2, t); break;
    case 3: row512_body(3, t); break;
    default: row512_body(4, t); break;
    }
}

/* C[i] = alpha dot(A[i,:], b) + beta C[i] (+ bias[0], ReLU) for m rows: x W^T with one output
   (the mlp's last layer). Per row: 16 lanes over p, then the lanes' tree (_mm512_reduce_add_ps). */
__attribute__((target("avx512f"))) static void gemv512(size_t m, size_t k, float alpha, const float *a, size_t lda,
                                                       const float *b, float beta, float *c, size_t ldc,
                                                       const float *bias, bool relu) {
    const __mmask16 tail = (__mmask16)(0xffffu >> ((16 - k % 16) % 16));
    const size_t full = k % 16 ? k / 16 : k / 16 - 1; /* whole vectors before the last (masked) one */
    for (size_t i = 0; i < m; i++) {
        const float *ai = a + i * lda;
        __m512 acc = _mm512_setzero_ps();
        for (size_t v = 0; v < full; v++)
            acc = _mm512_fmadd_ps(_mm512_loadu_ps(ai + 16 * v), _mm512_loadu_ps(b + 16 * v), acc);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, ai + 16 * full), _mm512_maskz_loadu_ps(tail, b + 16 * full),
                              acc);
        float x = alpha * _mm512_reduce_add_ps(acc);
        if (beta != 0.0f) x += beta * c[i * ldc];
        if (bias) x += bias[0];
        c[i * ldc] = relu && x < 0.0f ? 0.0f : x;
    }
}

/* Rows of C one at a time for k <= SHORT_K (a dense(1) layer's din: 1280 x 32 x 1), op(B)'s k x NV
   vectors held in registers: per row k broadcasts, k NV FMAs and NV stores. A tile's setup (its
   row pointers, 24 accumulators, spills, the call) had cost more than its few FMAs: 1280 x 32 x 1
   took 4.0 us in tiles, 2.0 us this way (OpenBLAS 2.0). Each element is the tile's sum (fma over p
   in order from +0, then the same finish), so the same bits. */
enum { SHORT_K = 4 };

EDL__AI512 void short512_body(const int K, const int NV, size_t rows, const tile_args *t) {
    const __mmask16 last = (__mmask16)(0xffffu >> (16 * (size_t)NV - t->cols));
    __m512 bv[SHORT_K][4];
    EDL__UNROLL for (int p = 0; p < K; p++) EDL__UNROLL for (int v = 0; v < NV; v++) bv[p][v] =
        _mm512_maskz_loadu_ps(v + 1 < NV ? (__mmask16)0xffff : last, t->b + p * t->ldb + 16 * v);
    const finish f = finish_of(t->alpha, t->beta, t->relu);
    const float *a = t->a, *const bias = t->bias;
    const size_t ars = t->ars, acs = t->acs, ldc = t->ldc;
    float *c = t->c;
    const bool raw = !f.scaled && !f.has_beta && !bias && !f.relu;
    for (size_t i = 0; i < rows; i++, a += ars, c += ldc) {
        __m512 acc[4];
        EDL__UNROLL for (int v = 0; v < NV; v++) acc[v] = _mm512_setzero_ps();
        EDL__UNROLL for (int p = 0; p < K; p++) {
            const __m512 ap = _mm512_set1_ps(a[p * acs]);
            EDL__UNROLL for (int v = 0; v < NV; v++) acc[v] = _mm512_fmadd_ps(ap, bv[p][v], acc[v]);
        }
        if (raw) /* the layers' din: the stores alone, without the finish's tests a row */
            EDL__UNROLL for (int v = 0; v < NV; v++)
                store512(c + 16 * v, v + 1 < NV ? (__mmask16)0xffff : last, acc[v]);
        else
            EDL__UNROLL for (int v = 0; v < NV; v++)
                finish512(c + 16 * v, v + 1 < NV ? (__mmask16)0xffff : last, acc[v], f, bias ? bias + 16 * v : NULL);
    }
}

#define EDL__SHORT_NV(K)                          \
    switch (nv) {                                 \
    case 1: short512_body(K, 1, rows, t); break;  \
    case 2: short512_body(K, 2, rows, t); break;  \
    case 3: short512_body(K, 3, rows, t); break;  \
    default: short512_body(K, 4, rows, t); break; \
    }
__attribute__((target("avx512f"))) static void short512(size_t nv, size_t rows, const tile_args *t) {
    switch (t->k) {
    case 1: EDL__SHORT_NV(1) break;
    case 2: EDL__SHORT_NV(2) break;
    case 3: EDL__SHORT_NV(3) break;
    default: EDL__SHORT_NV(4) break;
    }
}
#undef EDL__SHORT_NV

/* ---- AVX2+FMA: MR x NV vectors of 8 --------------------------------------------------------- */

#define EDL__AI256 __attribute__((always_inline, target("avx2,fma"))) static inline

EDL__AI256 __m256i mask8(size_t n) { /* lanes < n set */
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

EDL__AI256 void tile256(const int MR, const int NV, __m256 acc[][2], const tile_args *t) {
    const __m256i last = mask8(t->cols - 8 * (size_t)(NV - 1));
    EDL__UNROLL for (int r = 0; r < MR; r++) EDL__UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    const float *a = t->a, *b = t->b;
    const size_t ars = t->ars, acs = t->acs, ldb = t->ldb, k = t->k;
    for (size_t p = 0; p < k; p++, a += acs, b += ldb) {
        __m256 bv[2];
        EDL__UNROLL for (int v = 0; v + 1 < NV; v++) bv[v] = _mm256_loadu_ps(b + 8 * v);
        bv[NV - 1] = _mm256_maskload_ps(b + 8 * (NV - 1), last);
        EDL__UNROLL for (int r = 0; r < MR; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r * ars);
            EDL__UNROLL for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    const bool has_beta = t->beta != 0.0f, relu = t->relu, scaled = t->alpha != 1.0f, beta_one = t->beta == 1.0f;
    const float *bias = t->bias;
    const __m256 alpha = _mm256_set1_ps(t->alpha), beta = _mm256_set1_ps(t->beta);
    const __m256i all = _mm256_set1_epi32(-1);
    EDL__UNROLL for (int r = 0; r < MR; r++) {
        float *c = t->c + r * t->ldc;
        EDL__UNROLL for (int v = 0; v < NV; v++) {
            __m256i mk = v + 1 < NV ? all : last;
            __m256 x = scaled ? _mm256_mul_ps(alpha, acc[r][v]) : acc[r][v]; /* as tile512 */
            if (has_beta) {
                __m256 cv = _mm256_maskload_ps(c + 8 * v, mk);
                x = _mm256_add_ps(x, beta_one ? cv : _mm256_mul_ps(beta, cv));
            }
            if (bias) x = _mm256_add_ps(x, _mm256_maskload_ps(bias + 8 * v, mk));
            if (relu) x = _mm256_max_ps(_mm256_setzero_ps(), x); /* max(0, NaN) is NaN */
            _mm256_maskstore_ps(c + 8 * v, mk, x);
        }
    }
}

/* One function per (rows, vectors): the loops above unroll into registers. */
#define T512(mr, nv)                                                                      \
    __attribute__((target("avx512f"))) static void t512_##mr##_##nv(const tile_args *t) { \
        __m512 acc[mr][4];                                                                \
        tile512(mr, nv, acc, t);                                                          \
    }
#define T256(mr, nv)                                                                       \
    __attribute__((target("avx2,fma"))) static void t256_##mr##_##nv(const tile_args *t) { \
        __m256 acc[mr][2];                                                                 \
        tile256(mr, nv, acc, t);                                                           \
    }
#define ROWS6(X, nv)  X(1, nv) X(2, nv) X(3, nv) X(4, nv) X(5, nv) X(6, nv)
#define ROWS8(X, nv)  ROWS6(X, nv) X(7, nv) X(8, nv)
#define ROWS12(X, nv) ROWS8(X, nv) X(9, nv) X(10, nv) X(11, nv) X(12, nv)
ROWS12(T512, 1)
ROWS12(T512, 2)
ROWS8(T512, 3)
ROWS6(T512, 4)
ROWS8(T256, 1)
ROWS6(T256, 2)
#define P512(mr, nv) t512_##mr##_##nv,
#define P256(mr, nv) t256_##mr##_##nv,

/* [nv - 1][rows - 1]; rows up to mr512[nv - 1] */
static tile_fn const tiles512[4][12] = {{ROWS12(P512, 1)}, {ROWS12(P512, 2)}, {ROWS8(P512, 3)}, {ROWS6(P512, 4)}};
static const size_t mr512[4] = {12, 12, 8, 6};
static tile_fn const tiles256[2][8] = {{ROWS8(P256, 1)}, {ROWS6(P256, 2)}};
static const size_t mr256[2] = {8, 6};

/* ---- few columns from a transposed B: the examples along the lanes ---------------------------
 *
 * C = A B^T with n <= 10 columns (a dense(10) layer's forward, x W^T): a tile's vector of 16
 * columns would use n of its lanes (10 of 16). Computed instead as C^T = B A^T, the tiles' lanes
 * along C's rows (16 examples a vector), over A^T made in a buffer; then each block of 16 rows is
 * transposed back and finished as a tile finishes a row (alpha, beta C, bias, ReLU). Each element
 * is the same sum: fma(a, b, acc) over p in order from 0 is the same bits as fma(b, a, acc), so C
 * is bit for bit what the row tiles give (an example alone, below this path's rows, matches).
 * Per m x k of A: the row tiles' m k FMAs become n m k / 16, and A^T costs ~m k / 4 shuffles (64 a
 * 16 x 16 block), so it pays up to n = 10 (at 64 x 64 -> 10, 1.40 -> 1.23 us on one core). */
enum { NARROW_MAX_N = 10, NARROW_MIN_M = 32, NARROW_STACK = 16384 };

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols (both up to 16); rows past `rows`
   read as 0 and are not written (dst's lanes past `rows` keep what they held), columns past
   `cols` are not written. */
EDL__AI512 void transpose16_512(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t cols) {
    const __mmask16 cm = (__mmask16)(0xffffu >> (16 - cols));
    __m512 r[16], t[16];
    EDL__UNROLL for (int i = 0; i < 16; i++) r[i] =
        (size_t)i < rows ? _mm512_maskz_loadu_ps(cm, src + i * lds) : _mm512_setzero_ps();
    EDL__UNROLL for (int i = 0; i < 8; i++) { /* lane L of t[2i]: r2i[4L], r2i+1[4L], r2i[4L+1], r2i+1[4L+1] */
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    EDL__UNROLL for (int g = 0; g < 4; g++) { /* lane L of r[4g + c]: column 4L + c of rows 4g .. 4g + 3 */
        const __m512d t0 = _mm512_castps_pd(t[4 * g]), t1 = _mm512_castps_pd(t[4 * g + 1]);
        const __m512d t2 = _mm512_castps_pd(t[4 * g + 2]), t3 = _mm512_castps_pd(t[4 * g + 3]);
        r[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        r[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        r[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        r[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    const __mmask16 rm = (__mmask16)(0xffffu >> (16 - rows));
    EDL__UNROLL for (int c = 0; c < 4; c++) { /* column 4L + c: lane L of r[c], r[4 + c], r[8 + c], r[12 + c] */
        const __m512 v = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88), w = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xdd);
        const __m512 v2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        const __m512 w2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xdd);
        const __m512 col[4] = {_mm512_shuffle_f32x4(v, v2, 0x88), _mm512_shuffle_f32x4(w, w2, 0x88),
                               _mm512_shuffle_f32x4(v, v2, 0xdd), _mm512_shuffle_f32x4(w, w2, 0xdd)};
        EDL__UNROLL for (int L = 0; L < 4; L++) if ((size_t)(4 * L + c) < cols)
            _mm512_mask_storeu_ps(dst + (size_t)(4 * L + c) * ldd, rm, col[L]);
    }
}

__attribute__((target("avx512f"))) static void transpose_512(float *dst, size_t ldd, const float *src, size_t lds,
                                                             size_t rows, size_t cols) {
    for (size_t i = 0; i < rows; i += 16)
        for (size_t j = 0; j < cols; j += 16)
            transpose16_512(dst + j * ldd + i, ldd, src + i * lds + j, lds, rows - i < 16 ? rows - i : 16,
                            cols - j < 16 ? cols - j : 16);
}

/* C (m x n) from C^T's raw sums (ct: n x ldt), a block of 16 rows at a time transposed back, each
   row finished as a tile finishes one (f: alpha, beta, ReLU). */
__attribute__((target("avx512f"))) static void narrow_finish(float *c, size_t ldc, const float *ct, size_t ldt,
                                                             size_t m, size_t n, finish f, const float *bias) {
    _Alignas(64) float rowsbuf[16 * 16];
    const __mmask16 mk = (__mmask16)(0xffffu >> (16 - n));
    for (size_t i0 = 0; i0 < m; i0 += 16) {
        const size_t rows = m - i0 < 16 ? m - i0 : 16;
        transpose16_512(rowsbuf, 16, ct + i0, ldt, n, rows); /* row i of the block: C[i0 + i][0 .. n) */
        for (size_t i = 0; i < rows; i++)                    /* lanes past n never written: not read either */
            finish512(c + (i0 + i) * ldc, mk, _mm512_maskz_load_ps(mk, rowsbuf + 16 * i), f, bias);
    }
}
#endif

/* ---- the driver ------------------------------------------------------------------------------ */

typedef enum { ISA_GENERIC, ISA_AVX2, ISA_AVX512 } isa_kind;

static isa_kind pick_isa(void) {
#ifdef EDL__X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return ISA_AVX2;
#endif
    return ISA_GENERIC;
}

/* C[:, cols of t] for every row tile, with the widest tiles the ISA has. */
static void run_tiles(isa_kind isa, size_t m, size_t n, const float *a, size_t ars, tile_args *t) {
    float *c0 = t->c;
    const float *b0 = t->b, *bias0 = t->bias;
#ifdef EDL__X86
    if (isa != ISA_GENERIC) {
        const size_t w = isa == ISA_AVX512 ? 16 : 8, nvmax = isa == ISA_AVX512 ? 4 : 2;
        for (size_t j0 = 0; j0 < n; j0 += w * nvmax) {
            size_t cols = n - j0 < w * nvmax ? n - j0 : w * nvmax, nv = (cols + w - 1) / w;
            size_t mr = isa == ISA_AVX512 ? mr512[nv - 1] : mr256[nv - 1];
            t->cols = cols, t->b = b0 + j0, t->bias = bias0 ? bias0 + j0 : NULL;
            if (isa == ISA_AVX512 && t->k <= SHORT_K) {
                t->a = a, t->c = c0 + j0;
                short512(nv, m, t);
                continue;
            }
            for (size_t i0 = 0; i0 < m; i0 += mr) {
                size_t rows = m - i0 < mr ? m - i0 : mr;
                t->a = a + i0 * ars, t->c = c0 + i0 * t->ldc + j0;
                if (isa == ISA_AVX512 && m == 1 && t->ars == 1 && t->k >= 16)
                    row512(nv, t);
                else
                    (isa == ISA_AVX512 ? tiles512[nv - 1][rows - 1] : tiles256[nv - 1][rows - 1])(t);
            }
        }
        return;
    }
#endif
    (void)isa;
    for (size_t j0 = 0; j0 < n; j0 += GEN_NR) {
        t->cols = n - j0 < GEN_NR ? n - j0 : GEN_NR, t->b = b0 + j0, t->bias = bias0 ? bias0 + j0 : NULL;
        for (size_t i0 = 0; i0 < m; i0 += GEN_MR) {
            t->a = a + i0 * ars, t->c = c0 + i0 * t->ldc + j0;
            tile_generic(m - i0 < GEN_MR ? m - i0 : GEN_MR, t);
        }
    }
}

/* Whether a product is worth sharing among threads. */
static bool small_par(size_t m, size_t n, size_t k) {
    size_t mn, mnk;
    return edl__mul_ok(m, n, &mn) && edl__mul_ok(mn, k, &mnk) && mnk >= EDL__GEMM_SMALL_PAR;
}

/* Rows in chunks of CH, shared by OpenMP threads when par. CH is a multiple of every tile height,
   so the tiles are those of one pass over all the rows. The chunks are fixed by m alone, never by
   the threads: a chunk of one row of a transposed A goes to row512, whose sums differ from a
   tile's, and it must be the same chunk at any thread count. */
enum { CH = 24 };

/* Chunk q's rows of C, its columns j .. j + w. */
static void run_part(isa_kind isa, size_t m, const float *a, size_t ars, const tile_args *t0, size_t q, size_t j,
                     size_t w) {
    tile_args t = *t0;
    size_t i0 = q * CH;
    t.c = t0->c + i0 * t0->ldc + j, t.b = t0->b + j, t.bias = t0->bias ? t0->bias + j : NULL;
    run_tiles(isa, m - i0 < CH ? m - i0 : CH, w, a + i0 * ars, ars, &t);
}

/* With few chunks, threads get C's columns too, in blocks of PART_COLS: 64 rows are chunks of 24,
   24 and 16, 48 rows against 16 on two threads (a 64 x 64 x 1280 dW at 0.68 of oneDNN's). Each
   element is the same sum whichever tile makes it (its own chain over p, then its finish; a
   chunk's rows, which choose row512, are unchanged), so the same bits. */
enum { PART_COLS = 32 };

static void run_rows(isa_kind isa, size_t m, size_t n, const float *a, size_t ars, const tile_args *t0, bool par) {
    size_t chunks = (m + CH - 1) / CH;
    /* no parallel region at all when not shared (EDL__PAR_MIN_WORK): a false if clause, one
       thread, or a region inside another (a blocked layer's) still makes a team of one, ~0.3 us,
       a third of a 64 x 64 -> 10 product */
    const size_t nt = par ? (size_t)edl__threads_for_region() : 1;
    const size_t cw = chunks < 4 * nt && n > PART_COLS ? PART_COLS : n, blocks = (n + cw - 1) / cw;
    if (nt > 1 && chunks * blocks > 1) {
#pragma omp parallel for schedule(static, 1)
        for (size_t u = 0; u < chunks * blocks; u++) {
            const size_t j = u % blocks * cw;
            run_part(isa, m, a, ars, t0, u / blocks, j, n - j < cw ? n - j : cw);
        }
    } else {
        /* the whole chunks in one pass (the same tiles: CH is a multiple of every tile's rows),
           then the last, part chunk alone, as with threads (one row of a transposed A: row512) */
        const size_t whole = m / CH * CH;
        if (whole) {
            tile_args t = *t0;
            run_tiles(isa, whole, n, a, ars, &t);
        }
        if (whole < m) run_part(isa, m, a, ars, t0, chunks - 1, 0, n);
    }
}

#ifdef EDL__X86
/* C = alpha A B^T + beta C (+ bias, ReLU) for n <= NARROW_MAX_N by C^T = B A^T (the section above
   the driver); false (nothing written) when its buffers cannot be had. Not inlined: its 64 KB
   of stack stays out of the caller's frame (a blocked layer's thread holds 64 KB of its own). */
__attribute__((noinline)) static bool narrow_by_rows(size_t m, size_t n, size_t k, float alpha, const float *a,
                                                     size_t lda, const float *b, size_t ldb, float beta, float *c,
                                                     size_t ldc, const float *bias, bool relu) {
    const size_t ldt = (m + 15) / 16 * 16; /* A^T (k x ldt) then C^T (n x ldt) */
    size_t floats;
    if (!edl__mul_ok(k + n, ldt, &floats) || floats > ((size_t)1 << 26)) return false;
    _Alignas(64) float stack[NARROW_STACK];
    float *at = floats <= NARROW_STACK ? stack : aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    if (!at) return false;
    float *ct = at + k * ldt;
    edl__gemm_small_transpose(at, ldt, a, lda, k, m);
    tile_args t = {.k = k, .ars = ldb, .acs = 1, .ldb = ldt, .ldc = ldt, .b = at, .c = ct, .alpha = 1.0f, .beta = 0.0f};
    run_rows(ISA_AVX512, n, m, b, ldb, &t, false); /* C^T = B (n x k) A^T (k x m): raw sums */
    narrow_finish(c, ldc, ct, ldt, m, n, finish_of(alpha, beta, relu), bias);
    if (at != stack) free(at);
    return true;
}
#endif

/* Transposes op(B) = B^T (k x n; B is n x k with row stride ldb) into bt (k x ldt, ldt >= n: the
   rows start on 64-byte lines when bt does and ldt is a multiple of 16, so the tiles' loads
   never split a cache line). */
void edl__gemm_small_transpose(float *bt, size_t ldt, const float *b, size_t ldb, size_t k, size_t n) {
    size_t j = 0;
#ifdef EDL__X86
    if (pick_isa() == ISA_AVX512) { /* 16 x 16 blocks (the narrow path's A^T too) */
        transpose_512(bt, ldt, b, ldb, n, k);
        return;
    }
    /* 4 x 4 blocks through SSE registers (baseline x86-64), the rest one float at a time */
    for (; j + 4 <= n; j += 4) {
        size_t p = 0;
        for (; p + 4 <= k; p += 4) {
            __m128 r0 = _mm_loadu_ps(b + j * ldb + p), r1 = _mm_loadu_ps(b + (j + 1) * ldb + p);
            __m128 r2 = _mm_loadu_ps(b + (j + 2) * ldb + p), r3 = _mm_loadu_ps(b + (j + 3) * ldb + p);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(bt + p * ldt + j, r0), _mm_storeu_ps(bt + (p + 1) * ldt + j, r1);
            _mm_storeu_ps(bt + (p + 2) * ldt + j, r2), _mm_storeu_ps(bt + (p + 3) * ldt + j, r3);
        }
        for (; p < k; p++)
            for (size_t q = 0; q < 4; q++) bt[p * ldt + j + q] = b[(j + q) * ldb + p];
    }
#endif
    for (; j < n; j++)
        for (size_t p = 0; p < k; p++) bt[p * ldt + j] = b[j * ldb + p];
}

/* Rows of A against the one row of B (op(A) = A, op(B) = B^T, n == 1): dot products, where the
   tiles would use one lane of 16, for the ISAs without gemv512. */
static void dots(size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                 float beta, float *c, size_t ldc, const float *bias, bool relu) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float x = alpha * edl__vec_dot(a + i * lda, b + j * ldb, k);
            if (beta != 0.0f) x += beta * c[i * ldc + j];
            if (bias) x += bias[j];
            c[i * ldc + j] = relu && x < 0.0f ? 0.0f : x;
        }
}

static bool isa_ok(int isa) {
#ifdef EDL__X86
    __builtin_cpu_init();
    if (isa == ISA_AVX512) return __builtin_cpu_supports("avx512f");
    if (isa == ISA_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return isa == ISA_GENERIC;
}

bool edl__gemm_small_ex(int isa, bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                        size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias,
                        bool relu) {
    if (m == 0 || n == 0 || k == 0) return false;
    if (isa < 0) isa = (int)pick_isa();
    if (!isa_ok(isa)) return false;
    const float *tb_src = b;
#ifdef EDL__X86
    if (tb && !ta && n == 1 && isa == ISA_AVX512) { /* a dense(1) layer's forward */
        gemv512(m, k, alpha, a, lda, b, beta, c, ldc, bias, relu);
        return true;
    }
    if (tb && !ta && isa == ISA_AVX512 && n <= NARROW_MAX_N && m >= NARROW_MIN_M && !small_par(m, n, k) &&
        narrow_by_rows(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu))
        return true;
#endif
    if (tb && !ta && n == 1) {
        dots(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
        return true;
    }
    /* a transposed B of up to STACK floats goes to the stack, a larger one to the heap */
    enum { STACK = 4096 };
    _Alignas(64) float stack[STACK];
    float *bt = NULL;
    if (tb) {
        size_t ldt = (n + 15) / 16 * 16, kn;
        if (!edl__mul_ok(k, ldt, &kn) || !edl__mul_ok(kn, sizeof(float), &kn)) return false;
        if (kn <= sizeof stack)
            b = stack;
        else if (!(bt = aligned_alloc(64, (kn + 63) / 64 * 64)))
            return false;
        else
            b = bt;
        edl__gemm_small_transpose((float *)b, ldt, tb_src, ldb, k, n);
        ldb = ldt;
    }
    size_t ars = ta ? 1 : lda, acs = ta ? lda : 1;
    tile_args t = {.k = k,
                   .ars = ars,
                   .acs = acs,
                   .ldb = ldb,
                   .ldc = ldc,
                   .b = b,
                   .c = c,
                   .alpha = alpha,
                   .beta = beta,
                   .bias = bias,
                   .relu = relu};
    run_rows((isa_kind)isa, m, n, a, ars, &t, small_par(m, n, k));
    free(bt);
    return true;
}

bool edl__gemm_small(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    return edl__gemm_small_ex(-1, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, false);
}

const char *edl__gemm_small_isa(void) {
    static const char *const names[] = {"generic", "avx2", "avx512"};
    return names[pick_isa()];
}
