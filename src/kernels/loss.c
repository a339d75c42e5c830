/* Softmax, log-softmax and the losses: softmax cross-entropy, binary cross-entropy with logits,
 * mean squared error. Sums run in double; results match PyTorch to float rounding (the softmax's
 * exps in float, as PyTorch's are). */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <inttypes.h>
#include <math.h>

static edl_status check_rows(const char *fn, const void *out, const float *in, size_t batch, size_t classes) {
    if (!out || !in) return edl__fail(EDL_ERR_ARG, "%s: %s is NULL", fn, !out ? "the output" : "the input");
    EDL__CHECK_SIZE(fn, batch);
    EDL__CHECK_SIZE(fn, classes);
    return edl__check_matrix(fn, "logits", batch, classes);
}

/* max m and sum(exp(x - m)) of one row, each exp kept in e[j] when e is not NULL. The exps in
   float (edl__vec_exp_sum: a vector of them costs what one libm exp in double had, which took
   4% of a training step at 10 classes), their sum in double. */
static double row_sum_exp(const float *x, size_t c, float *m_out, float *e) {
    float m = x[0];
    for (size_t j = 1; j < c; j++) m = x[j] > m ? x[j] : m;
    *m_out = m;
    if (e) return edl__vec_exp_sum(e, x, c, m);
    enum { CHUNK = 256 };
    float tmp[CHUNK];
    double s = 0.0;
    for (size_t j = 0; j < c; j += CHUNK) s += edl__vec_exp_sum(tmp, x + j, c - j < CHUNK ? c - j : CHUNK, m);
    return s;
}

/* max and log(sum(exp(x - max))) of one row: log-sum-exp = m + *lse_shift. */
static float row_lse(const float *x, size_t c, float *m_out) { return (float)log(row_sum_exp(x, c, m_out, NULL)); }

// out, in are (batch, classes)
edl_status edl_softmax(float *out, const float *in, size_t batch, size_t classes) {
    EDL__TRY(check_rows("edl_softmax", out, in, batch, classes));
    for (size_t b = 0; b < batch; b++) {
        float m, *o = out + b * classes;
        /* the row's exps kept in o, then scaled: one exp a class, as the cross-entropy's gradient */
        const double inv_sum = 1.0 / row_sum_exp(in + b * classes, classes, &m, o);
        for (size_t j = 0; j < classes; j++) o[j] = (float)((double)o[j] * inv_sum);
    }
    return EDL_OK;
}

edl_status edl_log_softmax(float *out, const float *in, size_t batch, size_t classes) {
    EDL__TRY(check_rows("edl_log_softmax", out, in, batch, classes));
    for (size_t b = 0; b < batch; b++) {
        const float *x = in + b * classes;
        float m, shift = row_lse(x, classes, &m);
        for (size_t j = 0; j < classes; j++) out[b * classes + j] = (x[j] - m) - shift;
    }
    return EDL_OK;
}

// logits, dlogits are (batch, classes), targets (batch,)
edl_status edl_softmax_cross_entropy(float *loss, float *dlogits, const float *logits, const int64_t *targets,
                                     size_t batch, size_t classes) {
    static const char fn[] = "edl_softmax_cross_entropy";
    EDL__TRY(check_rows(fn, loss, logits, batch, classes));
    EDL__CHECK_PTR(fn, targets);
    for (size_t b = 0; b < batch; b++)
        if (targets[b] < 0 || (uint64_t)targets[b] >= classes)
            return edl__fail(EDL_ERR_INDEX, "%s: target %" PRId64 " at position %zu is out of range [0, %zu)", fn,
                             targets[b], b, classes);
    double total = 0.0;
    const double inv_batch = 1.0 / (double)batch;
    for (size_t b = 0; b < batch; b++) {
        const float *x = logits + b * classes;
        float *d = dlogits ? dlogits + b * classes : NULL;
        const size_t t = (size_t)targets[b];
        const float xt = x[t]; /* read before d is written: d may be the logits, as before */
        float m;
        /* the row's exps kept in d, so the probabilities are e_j / sum: one exp a class, not two */
        const double sum = row_sum_exp(x, classes, &m, d);
        const float shift = (float)log(sum);
        total += (double)m + shift - xt;
        if (!d) continue;
        const double inv_sum = 1.0 / sum;
        for (size_t j = 0; j < classes; j++)
            d[j] = (float)(((double)d[j] * inv_sum - (j == t ? 1.0 : 0.0)) * inv_batch);
    }
    *loss = (float)(total * inv_batch);
    return EDL_OK;
}

// logits, targets, dlogits are (n,)
edl_status edl_bce_with_logits(float *loss, float *dlogits, const float *logits, const float *targets, size_t n) {
    static const char fn[] = "edl_bce_with_logits";
    EDL__TRY(check_rows(fn, loss, logits, n, 1));
    EDL__CHECK_PTR(fn, targets);
    for (size_t i = 0; i < n; i++)
        if (!(targets[i] >= 0.0f && targets[i] <= 1.0f))
            return edl__fail(EDL_ERR_ARG, "%s: target %g at position %zu is not in [0, 1]", fn, targets[i], i);
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = logits[i], t = targets[i];
        /* max(x,0) - x t + log(1 + exp(-|x|)): finite for any finite x */
        total += (x > 0 ? x : 0) - x * t + log1p(exp(-fabs(x)));
        if (dlogits) dlogits[i] = (float)((1.0 / (1.0 + exp(-x)) - t) / (double)n);
    }
    *loss = (float)(total / (double)n);
    return EDL_OK;
}

edl_status edl_mse(float *loss, float *dpred, const float *pred, const float *target, size_t n) {
    static const char fn[] = "edl_mse";
    EDL__TRY(check_rows(fn, loss, pred, n, 1));
    EDL__CHECK_PTR(fn, target);
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)pred[i] - target[i];
        total += e * e;
        if (dpred) dpred[i] = (float)(2.0 * e / (double)n);
    }
    *loss = (float)(total / (double)n);
    return EDL_OK;
}
