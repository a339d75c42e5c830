/* Activations: forward from the input, backward from the forward's output (y), so a dense layer
 * never needs to keep its pre-activation. The array loops live in vec.c; the scalar forms here
 * are the definitions the naive references use. */
#include "common/internal.h"
#include "kernels/kernels.h"
#include "common/names.h"

#include <math.h>
#include <string.h>

float edl__act_apply(float x, edl_act act) {
    switch (act) {
    case EDL_ACT_RELU: return x < 0.0f ? 0.0f : x; /* NaN passes through, as in PyTorch */
    case EDL_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case EDL_ACT_TANH: return tanhf(x);
    case EDL_ACT_NONE: break;
    }
    return x;
}

float edl__act_grad(float y, edl_act act) {
    switch (act) {
    case EDL_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case EDL_ACT_SIGMOID: return y * (1.0f - y);
    case EDL_ACT_TANH: return 1.0f - y * y;
    case EDL_ACT_NONE: break;
    }
    return 1.0f;
}

edl_status edl__check_act(const char *fn, edl_act act) {
    char names[64];
    if (act != EDL_ACT_NONE && act != EDL_ACT_RELU && act != EDL_ACT_SIGMOID && act != EDL_ACT_TANH)
        return edl__fail(EDL_ERR_ARG, "%s: activation %d is not %s", fn, (int)act,
                         edl__name_list(EDL__NAMES_ACT, names, sizeof names));
    return EDL_OK;
}

edl_status edl_act_forward(float *out, const float *in, size_t n, edl_act act) {
    static const char fn[] = "edl_act_forward";
    EDL__CHECK_PTR(fn, out);
    EDL__CHECK_PTR(fn, in);
    EDL__CHECK_SIZE(fn, n);
    EDL__TRY(edl__check_act(fn, act));
    if (out != in) memcpy(out, in, n * sizeof *out);
    edl__act_inplace(out, n, act);
    return EDL_OK;
}

edl_status edl_act_backward(float *din, const float *dout, const float *out, size_t n, edl_act act) {
    static const char fn[] = "edl_act_backward";
    EDL__CHECK_PTR(fn, din);
    EDL__CHECK_PTR(fn, dout);
    EDL__CHECK_SIZE(fn, n);
    EDL__TRY(edl__check_act(fn, act));
    if (act != EDL_ACT_NONE) EDL__CHECK_PTR(fn, out);
    edl__act_grad_mul(din, dout, out, n, act);
    return EDL_OK;
}
