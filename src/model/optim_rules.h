/* The optimizer rules: torch.optim's arithmetic on one run of values, the one place every
 * trainer takes it from (the model's optimizer in optim.c, the recommenders' blocked trainer).
 * Not installed. */
#ifndef EDL__OPTIM_RULES_H
#define EDL__OPTIM_RULES_H

#include "common/internal.h"
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

/* The coefficients of optimizer step `step` (1-based: the bias corrections' exponent) at rate
   lr under config c: Adam's bias corrections in double as torch computes them, then float;
   Adagrad's lr_decay; AdamW's decoupled decay. lazy: SparseAdam's step size, which folds the
   second bias correction into the step (for rows updated only when looked up). */
edl__opt_coef edl__opt_coefs(const edl_optim_config *c, float lr, uint64_t step, int lazy);

/* One update of n values p from their gradient g (zeroed after), with the rule of kind and the
   state beside them (s1: momentum buffer, Adagrad's sum or Adam's first moment, NULL when the
   rule keeps none; s2: Adam's second moment). lazy selects SparseAdam's form of Adam.
   Row-wise Adagrad is elementwise here (dense layers); rows take edl__opt_rowwise_adagrad.
   Returns whether every updated value is finite. */
static inline bool edl__opt_apply(edl_opt_kind kind, const edl__opt_coef *a, float *p, float *g, float *s1, float *s2,
                                  size_t n, int lazy) {
    /* inline: the recommenders call it for every row and bias of a batch */
    switch (kind) {
    case EDL_OPT_SGD: return edl__vec_sgd(p, g, s1, n, a);
    case EDL_OPT_ADAGRAD:
    case EDL_OPT_ROWWISE_ADAGRAD: return edl__vec_adagrad(p, g, s1, n, a);
    case EDL_OPT_ADAM:
    case EDL_OPT_ADAMW: return lazy ? edl__vec_sparse_adam(p, g, s1, s2, n, a) : edl__vec_adam(p, g, s1, s2, n, a);
    }
    return true;
}

/* One value (a bias) with gradient g: edl__opt_apply(kind, a, p, &g, s1, s2, 1, 1)'s result
   without a call a value (the same per-value rules of kernels.h, so the same bits).
   Returns whether *p is finite. */
static inline bool edl__opt_apply1(edl_opt_kind kind, const edl__opt_coef *a, float *p, float g, float *s1, float *s2) {
    uint32_t bits;
    switch (kind) {
    case EDL_OPT_SGD:
        if (a->momentum != 0.0f) return edl__opt_apply(kind, a, p, &g, s1, s2, 1, 1);
        *p = edl__rule_sgd(*p, g, a->lr, a->wd);
        break;
    case EDL_OPT_ADAGRAD:
    case EDL_OPT_ROWWISE_ADAGRAD: *p = edl__rule_adagrad(*p, g, s1, a->lr, a->wd, a->eps); break;
    case EDL_OPT_ADAM: /* SparseAdam's lazy rule */
    case EDL_OPT_ADAMW:
        *p = edl__rule_sparse_adam(*p, g, s1, s2, a->k1, a->k2, a->wd, a->decay, a->step, a->eps);
        break;
    }
    memcpy(&bits, p, sizeof bits);
    return (bits & 0x7f800000u) != 0x7f800000u;
}

/* One embedding row with one accumulator: acc += mean(g^2); p -= lr g / (sqrt(acc) + eps)
   (FBGEMM's row-wise Adagrad). Zeroes g; returns whether the row is finite. */
bool edl__opt_rowwise_adagrad(const edl__opt_coef *a, float *p, float *g, float *acc, size_t n);

#endif
