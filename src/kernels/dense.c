/* Dense (fully connected) layer: y = act(x W^T + b), W is [out][in] as torch.nn.Linear.
 * Forward is one GEMM; backward is two (dW += g^T x, dx = g W) where g = dy * act'(y).
 */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <stdlib.h>
#include <string.h>

static edl_status check_dense(const char *fn, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                              const float *weight, edl_act act) {
    EDL__CHECK_PTR(fn, in);
    EDL__CHECK_PTR(fn, weight);
    EDL__CHECK_SIZE(fn, batch);
    EDL__CHECK_SIZE(fn, in_dim);
    EDL__CHECK_SIZE(fn, out_dim);
    EDL__TRY(edl__check_act(fn, act));
    EDL__TRY(edl__check_matrix(fn, "in", batch, in_dim));
    EDL__TRY(edl__check_matrix(fn, "out", batch, out_dim));
    return edl__check_matrix(fn, "weight", out_dim, in_dim);
}

/* ---- medium layers: the batch in fixed blocks of examples -------------------------------------
 *
 * A layer between the small kernel's sizes (EDL__GEMM_SMALL .. EDL__GEMM_MEDIUM multiply-adds, in
 * and out up to EDL__GEMM_MEDIUM_K: a batch of 256 x 64 -> 128) runs as blocks of examples
 * (block_rows), each block's forward and backward on one thread with the small kernel: the
 * forward's y, the backward's g and din of a block stay in the cache of the core that made them. (With a
 * library's three products, each split the batch its own way and the bias/ReLU passes between
 * them ran on one core: at two threads every row crossed between the cores' caches twice a step,
 * and the layer ran at ~0.65 of the three products alone.) dW and the bias gradient are summed
 * per block into scratch, then the blocks' sums are added in block order, split among threads by
 * element: the blocks are fixed by the batch, not by the threads, so every bit is the same for
 * any thread count. A block's rows go through the same tiles as in one product over the batch:
 * y and din are the small kernel's bits wherever the small kernel takes the layer's products. */
enum { DENSE_BLOCK = 128, DENSE_MAX_BLOCKS = 4 };

/* Whether a layer of batch x in_dim -> out_dim runs in blocks. */
static bool dense_blocked(size_t batch, size_t in_dim, size_t out_dim) {
    /* two blocks at least (one would share nothing among the threads, and for a wide layer at a
       tiny batch its sums would need scratch the size of W); a dense(1) layer keeps the small
       kernel's one-dot-a-row forward */
    size_t mn, mnk;
    return batch > DENSE_BLOCK && out_dim > 1 && in_dim <= EDL__GEMM_MEDIUM_K && out_dim <= EDL__GEMM_MEDIUM_K &&
           edl__mul_ok(batch, out_dim, &mn) && edl__mul_ok(mn, in_dim, &mnk) && mnk >= EDL__GEMM_SMALL &&
           mnk <= EDL__GEMM_MEDIUM;
}

/* Rows a block: 128, or a quarter of the batch in whole 16-row steps when that is more: at most
   four blocks, so a batch of 1280 (the recommender mlp's) has four partial sums to add, not ten
   (at one thread each one's writing and reading cost more than its product saved). Set by the
   batch alone, never by the threads. */
static size_t block_rows(size_t batch) {
    size_t q = (batch + DENSE_MAX_BLOCKS - 1) / DENSE_MAX_BLOCKS;
    q = (q + 15) / 16 * 16;
    return q > DENSE_BLOCK ? q : DENSE_BLOCK;
}

static size_t dense_nblocks(size_t batch) { return (batch + block_rows(batch) - 1) / block_rows(batch); }

/* Block j's first row and its rows (the last block may be short). */
static void block_span(size_t batch, size_t j, size_t *r0, size_t *rows) {
    const size_t br = block_rows(batch);
    *r0 = j * br, *rows = batch - *r0 < br ? batch - *r0 : br;
}

/* The scratch of a blocked layer's backward at this batch: per block, the bias gradient's sum
   (out_dim floats) then dW's (out_dim x in_dim). Bounded by the medium sizes: no overflow. */
static size_t scratch_at(size_t batch, size_t in_dim, size_t out_dim) {
    return dense_blocked(batch, in_dim, out_dim) ? dense_nblocks(batch) * out_dim * (in_dim + 1) : 0;
}

size_t edl__dense_scratch_floats(size_t batch, size_t in_dim, size_t out_dim) {
    /* blocked from EDL__GEMM_SMALL to EDL__GEMM_MEDIUM multiply-adds, and the blocks never fewer
       for a larger batch: the most is at the largest blocked batch up to `batch` */
    size_t io;
    if (in_dim == 0 || out_dim == 0 || !edl__mul_ok(in_dim, out_dim, &io)) return 0;
    size_t most = EDL__GEMM_MEDIUM / io;
    return scratch_at(batch < most ? batch : most, in_dim, out_dim);
}

/* Who runs a blocked layer's part: thread id of n. A layer run by its caller alone is {0, 1}, even
   inside another parallel region (a recommender's threads, each with its own layer): the OpenMP
   queries would there answer for the outer team. */
typedef struct {
    size_t id, n;
} team;

static team this_team(void) { return (team){(size_t)edl__thread_id(), (size_t)edl__num_threads_in_team()}; }

/* This thread's blocks [*j0, *j1) of nblocks: contiguous runs, the same in the forward and the
   backward, so a block's rows stay with one core from y to din (at one thread count). */
static void my_blocks(size_t nblocks, team tm, size_t *j0, size_t *j1) {
    *j0 = nblocks * tm.id / tm.n, *j1 = nblocks * (tm.id + 1) / tm.n;
}

/* This thread's blocks of a blocked forward; false when W^T's buffer could not be had. */
static bool forward_my_blocks(team tm, float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                              const float *weight, const float *bias, edl_act act) {
    size_t j0, j1;
    my_blocks(dense_nblocks(batch), tm, &j0, &j1);
    if (j0 == j1) return true;
    /* W^T made by each thread for its blocks, in its own cache (one made by a single thread for
       all was read across cores: ~5 us of a 26 us forward at 256 x 64 -> 128) */
    const size_t ldt = (out_dim + 15) / 16 * 16, bytes = in_dim * ldt * sizeof(float);
    enum { STACK = 8192 }; /* 32 KB: a 64 x 128 weight (a worker thread's stack is megabytes) */
    _Alignas(64) float stack[STACK];
    float *wt = bytes <= sizeof stack ? stack : aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!wt) return false;
    edl__gemm_small_transpose(wt, ldt, weight, in_dim, in_dim, out_dim);
    for (size_t j = j0; j < j1; j++) {
        size_t r0, rows;
        block_span(batch, j, &r0, &rows);
        float *y = out + r0 * out_dim;
        edl__gemm_small_ex(-1, false, false, rows, out_dim, in_dim, 1.0f, in + r0 * in_dim, in_dim, wt, ldt, 0.0f, y,
                           out_dim, bias, act == EDL_ACT_RELU);
        if (act != EDL_ACT_RELU) edl__act_inplace(y, rows * out_dim, act);
    }
    if (wt != stack) free(wt);
    return true;
}

static edl_status forward_blocked(float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                                  const float *weight, const float *bias, edl_act act) {
    bool ok = true;
    if (edl__num_threads() == 1) /* no team of one (EDL__PAR_MIN_WORK) */
        ok = forward_my_blocks((team){0, 1}, out, in, batch, in_dim, out_dim, weight, bias, act);
    else {
#pragma omp parallel reduction(&& : ok)
        ok = forward_my_blocks(this_team(), out, in, batch, in_dim, out_dim, weight, bias, act);
    }
    if (!ok)
        return edl__fail(EDL_ERR_NOMEM, "edl_dense_forward: no memory for the %zu x %zu weight's transpose", out_dim,
                         in_dim);
    return EDL_OK;
}

/* g = dout * act'(out) over rows x cols, formed in gdst (g is dout itself without an activation),
   and dbias += its column sums in row order when dbias is set (ReLU: both in one pass). Returns g. */
static const float *preact_grad(float *gdst, const float *dout, const float *out, size_t rows, size_t cols, edl_act act,
                                float *dbias) {
    const float *g = dout;
    if (act != EDL_ACT_NONE) {
        if (act == EDL_ACT_RELU)
            edl__vec_relu_grad_colsum(gdst, dout, out, rows, cols, dbias);
        else
            edl__act_grad_mul(gdst, dout, out, rows * cols, act);
        g = gdst;
    }
    if (dbias && act != EDL_ACT_RELU) edl__vec_colsum_add(dbias, g, rows, cols);
    return g;
}

/* Block j of a blocked backward: g formed in gtmp (the thread's own buffer) or else in the block's
   rows of gbuf (NULL: g is dout), din's rows, and the block's sums of the bias gradient and dW
   into part. */
static void backward_block(size_t j, float *din, bool dweight, bool dbias, const float *dout, float *gbuf, float *gtmp,
                           const float *in, const float *out, size_t batch, size_t in_dim, size_t out_dim,
                           const float *weight, edl_act act, float *part) {
    size_t r0, rows;
    block_span(batch, j, &r0, &rows);
    const size_t at = r0 * out_dim;
    float *pb = part + j * out_dim * (in_dim + 1), *pw = pb + out_dim;
    if (dbias) memset(pb, 0, out_dim * sizeof *pb);
    const float *g = preact_grad(gtmp   ? gtmp
                                 : gbuf ? gbuf + at
                                        : NULL,
                                 dout + at, out + at, rows, out_dim, act, dbias ? pb : NULL);
    if (din)
        edl__gemm_small_ex(-1, false, false, rows, in_dim, out_dim, 1.0f, g, out_dim, weight, in_dim, 0.0f,
                           din + r0 * in_dim, in_dim, NULL, false);
    if (dweight)
        edl__gemm_small_ex(-1, true, false, out_dim, in_dim, rows, 1.0f, g, out_dim, in + r0 * in_dim, in_dim, 0.0f, pw,
                           in_dim, NULL, false);
}

/* The blocks' sums added to dbias and dW: this thread's run of 64-float chunks, each chunk
   summed in block order (the same bits at any thread count). */
static void add_block_sums(team tm, float *dweight, float *dbias, const float *part, size_t nblocks, size_t in_dim,
                           size_t out_dim) {
    const size_t stride = out_dim * (in_dim + 1);
    const size_t qlo = dbias ? 0 : out_dim, qhi = dweight ? stride : out_dim, nch = (qhi - qlo + 63) / 64;
    size_t c0, c1;
    my_blocks(nch, tm, &c0, &c1);
    for (size_t c = c0; c < c1; c++) {
        const size_t q0 = qlo + c * 64, len = qhi - q0 < 64 ? qhi - q0 : 64;
        float acc[64];
        memcpy(acc, part + q0, len * sizeof *acc);
        for (size_t j = 1; j < nblocks; j++) {
            const float *p = part + j * stride + q0;
            for (size_t q = 0; q < len; q++) acc[q] += p[q];
        }
        /* part's layout: dbias's sums, then dW's; a chunk may hold the end of one and the start
           of the other */
        const size_t nb = q0 < out_dim ? (out_dim - q0 < len ? out_dim - q0 : len) : 0;
        for (size_t q = 0; q < nb; q++) dbias[q0 + q] += acc[q];
        if (nb < len) {
            float *dwq = dweight + (q0 + nb - out_dim);
            for (size_t q = nb; q < len; q++) dwq[q - nb] += acc[q];
        }
    }
}

/* gbuf NULL with an activation (the public call): each thread forms its blocks' g in a buffer of
   its own, on its stack up to GSTACK floats, so nothing the size of the batch is allocated. */
enum { GSTACK = 16384 };

/* A blocked backward's arguments, for each thread of the team (or the caller alone). */
typedef struct {
    float *din, *dweight, *dbias, *gbuf, *part;
    const float *dout, *in, *out, *weight;
    size_t batch, in_dim, out_dim;
    edl_act act;
    int failed; /* a thread could not have its g buffer: no sums are added */
} backward_args;

/* This thread's blocks, then (after every thread's) its share of the blocks' sums. */
static void backward_my_blocks(team tm, backward_args *a) {
    const size_t nblocks = dense_nblocks(a->batch), gblock = block_rows(a->batch) * a->out_dim;
    const bool own_g = !a->gbuf && a->act != EDL_ACT_NONE;
    size_t j0, j1;
    my_blocks(nblocks, tm, &j0, &j1);
    _Alignas(64) float gstack[GSTACK];
    float *gtmp = !own_g || j0 == j1 ? NULL : gblock <= GSTACK ? gstack : malloc(gblock * sizeof *gtmp);
    if (own_g && j0 < j1 && !gtmp) {
#pragma omp atomic write
        a->failed = 1;
    }
    for (size_t j = j0; j < j1 && (gtmp || !own_g); j++)
        backward_block(j, a->din, a->dweight != NULL, a->dbias != NULL, a->dout, a->gbuf, gtmp, a->in, a->out, a->batch,
                       a->in_dim, a->out_dim, a->weight, a->act, a->part);
    if (gtmp != gstack) free(gtmp);
    if (tm.n > 1) {
#pragma omp barrier
    }
    int any_failed;
#pragma omp atomic read
    any_failed = a->failed;
    if (!any_failed) add_block_sums(tm, a->dweight, a->dbias, a->part, nblocks, a->in_dim, a->out_dim);
}

static edl_status backward_blocked(float *din, float *dweight, float *dbias, const float *dout, float *gbuf,
                                   const float *in, const float *out, size_t batch, size_t in_dim, size_t out_dim,
                                   const float *weight, edl_act act, float *scratch) {
    backward_args a = {din, dweight, dbias, gbuf, scratch, dout, in, out, weight, batch, in_dim, out_dim, act, 0};
    if (!a.part && !(a.part = malloc(scratch_at(batch, in_dim, out_dim) * sizeof *a.part)))
        return edl__fail(EDL_ERR_NOMEM, "edl_dense_backward: no memory for %zu blocks' gradient sums",
                         dense_nblocks(batch));
    if (edl__num_threads() == 1) /* no team of one (EDL__PAR_MIN_WORK) */
        backward_my_blocks((team){0, 1}, &a);
    else {
#pragma omp parallel
        backward_my_blocks(this_team(), &a);
    }
    if (a.part != scratch) free(a.part);
    if (a.failed)
        return edl__fail(EDL_ERR_NOMEM, "edl_dense_backward: no memory for a block's %zu x %zu gradient",
                         block_rows(batch), out_dim);
    return EDL_OK;
}

/* ---- the layer ---------------------------------------------------------------------------------- */

// out is (batch, out_dim), in is (batch, in_dim), weight is (out_dim, in_dim), bias is (out_dim,)
edl_status edl_dense_forward(float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                             const float *weight, const float *bias, edl_act act) {
    static const char fn[] = "edl_dense_forward";
    EDL__CHECK_PTR(fn, out);
    EDL__TRY(check_dense(fn, in, batch, in_dim, out_dim, weight, act));
    if (dense_blocked(batch, in_dim, out_dim))
        return forward_blocked(out, in, batch, in_dim, out_dim, weight, bias, act);
    /* small layers: one pass of the small kernel with the bias (and a ReLU) in its epilogue */
    if (edl__gemm_is_small(true, batch, out_dim, in_dim) &&
        edl__gemm_small_ex(-1, false, true, batch, out_dim, in_dim, 1.0f, in, in_dim, weight, in_dim, 0.0f, out,
                           out_dim, bias, act == EDL_ACT_RELU)) {
        if (act != EDL_ACT_RELU) edl__act_inplace(out, batch * out_dim, act);
        return EDL_OK;
    }
    /* larger ones: the product, then bias and a ReLU in one pass over out */
    edl__gemm(false, true, batch, out_dim, in_dim, 1.0f, in, in_dim, weight, in_dim, 0.0f, out, out_dim);
    if (bias || act == EDL_ACT_RELU) edl__vec_bias_relu(out, bias, batch, out_dim, act == EDL_ACT_RELU);
    if (act != EDL_ACT_RELU) edl__act_inplace(out, batch * out_dim, act);
    return EDL_OK;
}

/* edl_dense_backward's arguments (the in-place form checks the same ones under the same name). */
static edl_status check_backward(const float *dout, const float *in, const float *out, size_t batch, size_t in_dim,
                                 size_t out_dim, const float *weight, edl_act act) {
    static const char fn[] = "edl_dense_backward";
    EDL__CHECK_PTR(fn, dout);
    EDL__TRY(check_dense(fn, in, batch, in_dim, out_dim, weight, act));
    if (act != EDL_ACT_NONE && !out)
        return edl__fail(EDL_ERR_ARG, "%s: out is NULL but activation %d needs it", fn, (int)act);
    return EDL_OK;
}

/* The backward with g = dout * act'(out), the gradient at the pre-activation, formed in gbuf
   (which may be dout itself). */
static edl_status dense_backward(float *din, float *dweight, float *dbias, const float *dout, float *gbuf,
                                 const float *in, const float *out, size_t batch, size_t in_dim, size_t out_dim,
                                 const float *weight, edl_act act, float *scratch) {
    if (dense_blocked(batch, in_dim, out_dim))
        return backward_blocked(din, dweight, dbias, dout, gbuf, in, out, batch, in_dim, out_dim, weight, act, scratch);
    const float *g = preact_grad(gbuf, dout, out, batch, out_dim, act, dbias);
    if (dweight) edl__gemm(true, false, out_dim, in_dim, batch, 1.0f, g, out_dim, in, in_dim, 1.0f, dweight, in_dim);
    if (din) edl__gemm(false, false, batch, in_dim, out_dim, 1.0f, g, out_dim, weight, in_dim, 0.0f, din, in_dim);
    return EDL_OK;
}

// din is (batch, in_dim), dweight like weight, dbias (out_dim,), dout and out (batch, out_dim)
edl_status edl_dense_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                              const float *out, size_t batch, size_t in_dim, size_t out_dim, const float *weight,
                              edl_act act) {
    EDL__TRY(check_backward(dout, in, out, batch, in_dim, out_dim, weight, act));
    /* a blocked layer forms g a block at a time (backward_blocked); any other with an activation
       needs it whole: a small layer's on the stack, no allocation per step */
    const size_t total = batch * out_dim;
    float *buf = NULL, *g = NULL;
    enum { STACK = 2048 };
    float stack[STACK];
    if (act != EDL_ACT_NONE && !dense_blocked(batch, in_dim, out_dim)) {
        g = total <= STACK ? stack : (buf = malloc(total * sizeof *buf));
        if (!g) return edl__fail(EDL_ERR_NOMEM, "edl_dense_backward: no memory for %zu x %zu gradient", batch, out_dim);
    }
    edl_status s = dense_backward(din, dweight, dbias, dout, g, in, out, batch, in_dim, out_dim, weight, act, NULL);
    free(buf);
    return s;
}

/* The same with dout the caller's to overwrite (a model's or a recommender's workspace, not read
   again): g is formed in it, and with the caller's scratch nothing is allocated. A buffer
   malloc'd and freed at every step (128 KB for a batch of 256 x 128) made glibc give the heap's
   top back and take it again each time: three brk calls a step, fresh zeroed pages, and with two
   threads a TLB shootdown of the other core (a 256 x 64 -> 128 layer's step ~11% slower). */
edl_status edl__dense_backward_in_place(float *din, float *dweight, float *dbias, float *dout, const float *in,
                                        const float *out, size_t batch, size_t in_dim, size_t out_dim,
                                        const float *weight, edl_act act, float *scratch) {
    EDL__TRY(check_backward(dout, in, out, batch, in_dim, out_dim, weight, act));
    return dense_backward(din, dweight, dbias, dout, dout, in, out, batch, in_dim, out_dim, weight, act, scratch);
}

/* ---- references: the definition, one float at a time -------------------------------------- */

void edl__dense_forward_naive(float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                              const float *weight, const float *bias, edl_act act) {
    for (size_t b = 0; b < batch; b++)
        for (size_t o = 0; o < out_dim; o++) {
            double s = bias ? bias[o] : 0.0;
            for (size_t i = 0; i < in_dim; i++) s += (double)in[b * in_dim + i] * weight[o * in_dim + i];
            out[b * out_dim + o] = edl__act_apply((float)s, act);
        }
}

void edl__dense_backward_naive(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                               const float *out, size_t batch, size_t in_dim, size_t out_dim, const float *weight,
                               edl_act act) {
    if (din) memset(din, 0, batch * in_dim * sizeof(float));
    for (size_t b = 0; b < batch; b++)
        for (size_t o = 0; o < out_dim; o++) {
            float g = dout[b * out_dim + o];
            if (act != EDL_ACT_NONE) g *= edl__act_grad(out[b * out_dim + o], act);
            if (dbias) dbias[o] += g;
            for (size_t i = 0; i < in_dim; i++) {
                if (dweight) dweight[o * in_dim + i] += g * in[b * in_dim + i];
                if (din) din[b * in_dim + i] += g * weight[o * in_dim + i];
            }
        }
}
