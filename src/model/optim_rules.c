/* The optimizer rules (see optim_rules.h): coefficients from a config and a step, and the update
 * of one run of values. The vector loops themselves are in kernels/vec.c. */
#include "model/optim_rules.h"
#include "kernels/kernels.h"

#include <math.h>

edl__opt_coef edl__opt_coefs(const edl_optim_config *c, float lr, uint64_t step, int lazy) {
    /* coefficients as torch computes them: bias corrections in double, then float */
    double bc1 = 1.0 - pow((double)c->beta1, (double)step), bc2 = 1.0 - pow((double)c->beta2, (double)step);
    int adamw = c->kind == EDL_OPT_ADAMW;
    edl__opt_coef a = {.lr = lr, .wd = adamw ? 0.0f : c->weight_decay, .decay = 1.0f, .eps = c->eps};
    a.momentum = c->momentum, a.damp = (float)(1.0 - (double)c->dampening), a.nesterov = c->nesterov;
    a.b1 = c->beta1, a.b2 = c->beta2, a.k1 = (float)(1.0 - (double)c->beta1), a.k2 = (float)(1.0 - (double)c->beta2);
    a.step = lazy ? (float)(lr * sqrt(bc2) / bc1) : (float)(lr / bc1), a.sbc2 = (float)sqrt(bc2);
    if (adamw) a.decay = (float)(1.0 - (double)lr * c->weight_decay);
    if (c->kind == EDL_OPT_ADAGRAD || c->kind == EDL_OPT_ROWWISE_ADAGRAD)
        a.lr = (float)(lr / (1.0 + (double)(step - 1) * c->lr_decay));
    return a;
}

bool edl__opt_rowwise_adagrad(const edl__opt_coef *a, float *p, float *g, float *acc, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        float d = g[i] + a->wd * p[i];
        s += (double)d * d;
    }
    *acc += (float)(s / (double)n);
    float mult = a->lr / (sqrtf(*acc) + a->eps);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        p[i] -= mult * (g[i] + a->wd * p[i]);
        g[i] = 0.0f;
        ok &= isfinite(p[i]) != 0;
    }
    return ok;
}
