/* Inverted dropout: scale the kept values at training time so inference is the identity. */
#include "common/internal.h"

#include <math.h>

edl_status edl_dropout_forward(float *out, uint8_t *mask, const float *in, size_t n, float p, edl_rng *rng) {
    static const char fn[] = "edl_dropout_forward";
    EDL__CHECK_PTR(fn, out);
    EDL__CHECK_PTR(fn, mask);
    EDL__CHECK_PTR(fn, in);
    EDL__CHECK_PTR(fn, rng);
    EDL__CHECK_SIZE(fn, n);
    if (!(p >= 0.0f && p < 1.0f)) return edl__fail(EDL_ERR_ARG, "%s: p %g is not in [0, 1)", fn, p);
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = edl_rng_uniform(rng) >= p;
        out[i] = mask[i] ? in[i] * scale : 0.0f;
    }
    return EDL_OK;
}

void edl__dropout_forward_rows(float *out, uint8_t *mask, const float *in, size_t n, size_t d, const size_t *pos,
                               size_t total, float p, edl_rng *rng) {
    const float scale = 1.0f / (1.0f - p);
    size_t i = 0; /* the next row held */
    for (size_t g = 0; g < total; g++) {
        int held = i < n && (pos ? pos[i] : i) == g;
        for (size_t j = 0; j < d; j++) {
            float u = edl_rng_uniform(rng);
            if (!held) continue;
            size_t k = i * d + j;
            mask[k] = u >= p;
            out[k] = mask[k] ? in[k] * scale : 0.0f;
        }
        i += held;
    }
}

edl_status edl_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, float p) {
    static const char fn[] = "edl_dropout_backward";
    EDL__CHECK_PTR(fn, din);
    EDL__CHECK_PTR(fn, dout);
    EDL__CHECK_PTR(fn, mask);
    EDL__CHECK_SIZE(fn, n);
    if (!(p >= 0.0f && p < 1.0f)) return edl__fail(EDL_ERR_ARG, "%s: p %g is not in [0, 1)", fn, p);
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) din[i] = mask[i] ? dout[i] * scale : 0.0f;
    return EDL_OK;
}
