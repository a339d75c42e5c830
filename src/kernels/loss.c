/* Softmax, log-softmax and the losses: softmax cross-entropy, binary cross-entropy with logits,
 * mean squared error. Sums run in double; results match PyTorch to float rounding (the softmax's
 * exps in float, as PyTorch's are). */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

static edl_status check_rows(const char *fn, const void *out, const float *in, size_t batch, size_t classes) {
    if (!out || !in) return edl__fail(EDL_ERR_ARG, "%s: %s is NULL", fn, !out ? "the output" : "the input");
    EDL__CHECK_SIZE(fn, batch);
    EDL__CHECK_SIZE(fn, classes);
    return edl__check_matrix(fn, "logits", batch, classes);
}

static float row_max(const float *x, size_t c) {
    float m = x[0];
    for (size_t j = 1; j < c; j++) m = x[j] > m ? x[j] : m;
    return m;
}

/* Rows of x (n x c, as many as fit a call's buffer): m[r] each row's largest, and e (n x c, may
   be x itself) = exp(x - m): the exps of all the rows in one vector pass (edl__vec_exp_nonpos,
   float, as PyTorch's; a row of 10 alone is too short for the vectors). */
static void rows_exp(float *e, float *m, const float *x, size_t n, size_t c) {
    for (size_t r = 0; r < n; r++) {
        const float mr = m[r] = row_max(x + r * c, c);
        for (size_t j = 0; j < c; j++) e[r * c + j] = x[r * c + j] - mr;
    }
    edl__vec_exp_nonpos(e, n * c);
}

static double row_sum(const float *e, size_t c) {
    double s = 0.0;
    for (size_t j = 0; j < c; j++) s += (double)e[j];
    return s;
}

/* Rows [b0, b0 + n) a time: as many as BLOCK floats of buffer hold, at least one; a row longer
   than the buffer goes alone through heap memory. */
enum { BLOCK = 4096, BLOCK_ROWS = 256 };
static size_t block_rows(size_t left, size_t c) {
    size_t n = c <= BLOCK ? BLOCK / c : 1;
    n = n < BLOCK_ROWS ? n : BLOCK_ROWS;
    return n < left ? n : left;
}

// out, in are (batch, classes)
edl_status edl_softmax(float *out, const float *in, size_t batch, size_t classes) {
    EDL__TRY(check_rows("edl_softmax", out, in, batch, classes));
    float m[BLOCK_ROWS];
    for (size_t b0 = 0, n; b0 < batch; b0 += n) {
        n = block_rows(batch - b0, classes);
        float *o = out + b0 * classes;
        rows_exp(o, m, in + b0 * classes, n, classes); /* the exps kept in out, then scaled */
        for (size_t r = 0; r < n; r++) {
            const double inv_sum = 1.0 / row_sum(o + r * classes, classes);
            for (size_t j = 0; j < classes; j++) o[r * classes + j] = (float)((double)o[r * classes + j] * inv_sum);
        }
    }
    return EDL_OK;
}

/* The rows' log-sum-exp less their maxima (*shift), through buf (BLOCK floats) or, for a row
   longer, heap memory; false: no memory. */
static bool rows_shift(float *shift, float *m, float *buf, const float *x, size_t n, size_t c) {
    float *e = c <= BLOCK ? buf : malloc(c * sizeof *e);
    if (!e) return false;
    rows_exp(e, m, x, n, c);
    for (size_t r = 0; r < n; r++) shift[r] = (float)log(row_sum(e + r * c, c));
    if (e != buf) free(e);
    return true;
}

edl_status edl_log_softmax(float *out, const float *in, size_t batch, size_t classes) {
    EDL__TRY(check_rows("edl_log_softmax", out, in, batch, classes));
    float m[BLOCK_ROWS], shift[BLOCK_ROWS], buf[BLOCK];
    for (size_t b0 = 0, n; b0 < batch; b0 += n) {
        n = block_rows(batch - b0, classes);
        const float *x = in + b0 * classes;
        if (!rows_shift(shift, m, buf, x, n, classes))
            return edl__fail(EDL_ERR_NOMEM, "edl_log_softmax: no memory for a row of %zu", classes);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < classes; j++) out[(b0 + r) * classes + j] = (x[r * classes + j] - m[r]) - shift[r];
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
    float m[BLOCK_ROWS], xt[BLOCK_ROWS], shift[BLOCK_ROWS], buf[BLOCK];
    for (size_t b0 = 0, n; b0 < batch; b0 += n) {
        n = block_rows(batch - b0, classes);
        const float *x = logits + b0 * classes;
        for (size_t r = 0; r < n; r++)
            xt[r] = x[r * classes + (size_t)targets[b0 + r]]; /* before d is written: d may be the logits */
        if (!dlogits) {
            if (!rows_shift(shift, m, buf, x, n, classes))
                return edl__fail(EDL_ERR_NOMEM, "%s: no memory for a row of %zu", fn, classes);
            for (size_t r = 0; r < n; r++) total += (double)m[r] + shift[r] - xt[r];
            continue;
        }
        /* the exps kept in d, so the probabilities are e_j / sum: one exp a class, not two */
        float *d = dlogits + b0 * classes;
        rows_exp(d, m, x, n, classes);
        for (size_t r = 0; r < n; r++) {
            float *dr = d + r * classes;
            const double sum = row_sum(dr, classes), inv_sum = 1.0 / sum;
            total += (double)m[r] + (float)log(sum) - xt[r];
            const size_t t = (size_t)targets[b0 + r];
            for (size_t j = 0; j < classes; j++)
                dr[j] = (float)(((double)dr[j] * inv_sum - (j == t ? 1.0 : 0.0)) * inv_batch);
        }
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
