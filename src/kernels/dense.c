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

// out is (batch, out_dim), in is (batch, in_dim), weight is (out_dim, in_dim), bias is (out_dim,)
edl_status edl_dense_forward(float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                             const float *weight, const float *bias, edl_act act) {
    static const char fn[] = "edl_dense_forward";
    EDL__CHECK_PTR(fn, out);
    EDL__TRY(check_dense(fn, in, batch, in_dim, out_dim, weight, act));
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
static void dense_backward(float *din, float *dweight, float *dbias, const float *dout, float *gbuf, const float *in,
                           const float *out, size_t batch, size_t in_dim, size_t out_dim, const float *weight,
                           edl_act act) {
    const float *g = dout;
    if (act != EDL_ACT_NONE) {
        if (act == EDL_ACT_RELU) /* with the bias gradient, in one pass */
            edl__vec_relu_grad_colsum(gbuf, dout, out, batch, out_dim, dbias);
        else
            edl__act_grad_mul(gbuf, dout, out, batch * out_dim, act);
        g = gbuf;
    }
    if (dbias && act != EDL_ACT_RELU) edl__vec_colsum_add(dbias, g, batch, out_dim);
    if (dweight) edl__gemm(true, false, out_dim, in_dim, batch, 1.0f, g, out_dim, in, in_dim, 1.0f, dweight, in_dim);
    if (din) edl__gemm(false, false, batch, in_dim, out_dim, 1.0f, g, out_dim, weight, in_dim, 0.0f, din, in_dim);
}

// din is (batch, in_dim), dweight like weight, dbias (out_dim,), dout and out (batch, out_dim)
edl_status edl_dense_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                              const float *out, size_t batch, size_t in_dim, size_t out_dim, const float *weight,
                              edl_act act) {
    EDL__TRY(check_backward(dout, in, out, batch, in_dim, out_dim, weight, act));
    size_t total = batch * out_dim;
    float *tmp = NULL;
    enum { STACK = 2048 }; /* a small layer's g on the stack: no allocation per step */
    float stack[STACK];
    if (act != EDL_ACT_NONE) {
        tmp = total <= STACK ? stack : malloc(total * sizeof(float));
        if (!tmp)
            return edl__fail(EDL_ERR_NOMEM, "edl_dense_backward: no memory for %zu x %zu gradient", batch, out_dim);
    }
    dense_backward(din, dweight, dbias, dout, tmp, in, out, batch, in_dim, out_dim, weight, act);
    if (tmp != stack) free(tmp);
    return EDL_OK;
}

/* The same with dout the caller's to overwrite (a model's or a recommender's workspace, not read
   again): g is formed in it, and nothing is allocated. A buffer malloc'd and freed at every step
   (128 KB for a batch of 256 x 128) made glibc give the heap's top back and take it again each
   time: three brk calls a step, fresh zeroed pages, and with two threads a TLB shootdown of the
   other core (a 256 x 64 -> 128 layer's step ~11% slower). */
edl_status edl__dense_backward_in_place(float *din, float *dweight, float *dbias, float *dout, const float *in,
                                        const float *out, size_t batch, size_t in_dim, size_t out_dim,
                                        const float *weight, edl_act act) {
    EDL__TRY(check_backward(dout, in, out, batch, in_dim, out_dim, weight, act));
    dense_backward(din, dweight, dbias, dout, dout, in, out, batch, in_dim, out_dim, weight, act);
    return EDL_OK;
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
