/* Optimizers against PyTorch reference steps (tests/make_reference.py), the lazy sparse form,
 * row-wise Adagrad against its formula, clipping, schedules. */
#include "harness.h"
#include "model/model.h"
#include "model/optim_rules.h"

#include <float.h>
#include <string.h>

/* input(3) dense(2, bias=0): its weight is the 2 x 3 parameter the references update. */
static edl_model *one_tensor_model(void) {
    edl_model *m = NULL;
    if (edl_model_from_spec(&m, "input(3) dense(2,bias=0)", EDL_INIT_TORCH, 1) != EDL_OK) return NULL;
    edl_model_set_tensor(m, 1, "weight", ref_f32("opt.p0", NULL), 6);
    return m;
}

TEST(optimizers_match_pytorch) {
    struct {
        const char *name;
        edl_opt_kind kind;
        float lr, momentum, dampening, wd, lr_decay, init_acc;
        int nesterov;
    } cases[] = {
        {"sgd", EDL_OPT_SGD, 0.1f, 0, 0, 0, 0, 0, 0},
        {"sgd_momentum", EDL_OPT_SGD, 0.1f, 0.9f, 0.1f, 0.01f, 0, 0, 0},
        {"sgd_nesterov", EDL_OPT_SGD, 0.1f, 0.9f, 0, 0, 0, 0, 1},
        {"adagrad", EDL_OPT_ADAGRAD, 0.1f, 0, 0, 0.01f, 0.01f, 0.1f, 0},
        {"adam", EDL_OPT_ADAM, 0.01f, 0, 0, 0.01f, 0, 0, 0},
        {"adamw", EDL_OPT_ADAMW, 0.01f, 0, 0, 0.1f, 0, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        edl_model *m = one_tensor_model();
        CHECK(m != NULL);
        if (!m) return;
        edl_optim_config oc;
        edl_optim_defaults(&oc, cases[c].kind);
        oc.lr = cases[c].lr, oc.momentum = cases[c].momentum, oc.dampening = cases[c].dampening;
        oc.weight_decay = cases[c].wd, oc.lr_decay = cases[c].lr_decay;
        oc.initial_accumulator = cases[c].init_acc, oc.nesterov = cases[c].nesterov;
        edl_optim *o = NULL;
        CHECK_OK(edl_optim_create(&o, m, &oc));
        for (int step = 0; step < 3 && o; step++) {
            char key[64];
            snprintf(key, sizeof key, "opt.g%d", step);
            memcpy(m->grads + m->layers[1].w_off, ref_f32(key, NULL), 6 * sizeof(float));
            CHECK_OK(edl_optim_step(o, oc.lr));
            snprintf(key, sizeof key, "opt_%s.step%d", cases[c].name, step);
            if (!CHECK_CLOSE(edl_model_tensor(m, 1, "weight", NULL), ref_f32(key, NULL), 6, 1e-6, 1e-5))
                fprintf(stderr, "    optimizer %s step %d\n", cases[c].name, step);
            for (int i = 0; i < 6; i++) CHECK(m->grads[i] == 0.0f); /* step zeroes the gradient */
        }
        edl_optim_free(o);
        edl_model_free(m);
    }
}

/* Sets the gradient of rows[k] of the table (layer 0) to vals[k,:] and records them as touched. */
static void set_sparse_grad(edl_model *m, const int64_t *rows, const float *vals, size_t n, size_t dim) {
    edl__layer *L = &m->layers[0];
    for (size_t k = 0; k < n; k++)
        memcpy(m->grads + L->w_off + (size_t)rows[k] * dim, vals + k * dim, dim * sizeof(float));
    edl__touch_rows(L, rows, n);
}

TEST(lazy_sparse_updates_match_pytorch) {
    const struct {
        const char *name;
        edl_opt_kind kind;
        float lr;
    } cases[] = {{"sparse_adam", EDL_OPT_ADAM, 0.01f}, {"sparse_adagrad", EDL_OPT_ADAGRAD, 0.1f}};
    for (int c = 0; c < 2; c++) {
        edl_model *m = NULL;
        CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=6,dim=3) dense(2)", EDL_INIT_TORCH, 1));
        if (!m) return;
        CHECK_OK(edl_model_set_tensor(m, 0, "weight", ref_f32("sparse.t0", NULL), 18));
        CHECK_OK(edl_model_freeze(m, 1, 1));
        edl_optim_config oc;
        edl_optim_defaults(&oc, cases[c].kind);
        oc.lr = cases[c].lr;
        edl_optim *o = NULL;
        CHECK_OK(edl_optim_create(&o, m, &oc));
        for (int step = 0; step < 3 && o; step++) {
            char key[64];
            snprintf(key, sizeof key, "sparse.rows%d", step);
            const int64_t *rows = ref_i64(key, NULL);
            snprintf(key, sizeof key, "sparse.vals%d", step);
            float *before = copy_floats(edl_model_tensor(m, 0, "weight", NULL), 18);
            set_sparse_grad(m, rows, ref_f32(key, NULL), 2, 3);
            CHECK_OK(edl_optim_step(o, oc.lr));
            snprintf(key, sizeof key, "%s.step%d", cases[c].name, step);
            const float *now = edl_model_tensor(m, 0, "weight", NULL);
            if (!CHECK_CLOSE(now, ref_f32(key, NULL), 18, 1e-6, 1e-5))
                fprintf(stderr, "    %s step %d\n", cases[c].name, step);
            /* untouched rows are untouched: the step cost rows touched x dim */
            for (int r = 0; r < 6; r++)
                if (r != rows[0] && r != rows[1]) CHECK(memcmp(now + 3 * r, before + 3 * r, 12) == 0);
            CHECK(m->layers[0].touched.n == 0);
            free(before);
        }
        edl_optim_free(o);
        edl_model_free(m);
    }
}

/* Dense form on a table: rows touched earlier keep moving (their moments decay), as
   torch.optim.Adam on a dense gradient; the lazy form leaves them be. */
TEST(dense_form_updates_every_row) {
    for (int sparse = 0; sparse < 2; sparse++) {
        edl_model *m = NULL;
        CHECK_OK(edl_model_from_spec(
            &m, sparse ? "embedding_bag(rows=4,dim=2) dense(2)" : "embedding_bag(rows=4,dim=2,sparse=0) dense(2)",
            EDL_INIT_TORCH, 1));
        if (!m) return;
        edl_optim_config oc;
        edl_optim_defaults(&oc, EDL_OPT_ADAM);
        edl_optim *o = NULL;
        CHECK_OK(edl_optim_create(&o, m, &oc));
        int64_t r1 = 1, r2 = 2;
        float g[2] = {1, -1};
        set_sparse_grad(m, &r1, g, 1, 2);
        CHECK_OK(edl_optim_step(o, oc.lr));
        float *after1 = copy_floats(edl_model_tensor(m, 0, "weight", NULL), 8);
        set_sparse_grad(m, &r2, g, 1, 2);
        CHECK_OK(edl_optim_step(o, oc.lr));
        const float *after2 = edl_model_tensor(m, 0, "weight", NULL);
        int row1_moved = memcmp(after1 + 2, after2 + 2, 8) != 0;
        CHECK(row1_moved == !sparse);
        CHECK(memcmp(after1 + 6, after2 + 6, 8) == 0); /* never touched, no moments: still */
        free(after1);
        edl_optim_free(o);
        edl_model_free(m);
    }
}

TEST(rowwise_adagrad_formula) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=3,dim=4) dense(2,freeze=1)", EDL_INIT_TORCH, 1));
    if (!m) return;
    float *t = edl_model_tensor(m, 0, "weight", NULL), p[4];
    memcpy(p, t + 4, sizeof p);
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_ROWWISE_ADAGRAD);
    oc.lr = 0.1f;
    edl_optim *o = NULL;
    CHECK_OK(edl_optim_create(&o, m, &oc));
    double acc = 0;
    const float grads[2][4] = {{0.5f, -1, 2, 0.25f}, {1, 1, -1, 0}};
    int64_t row = 1;
    for (int step = 0; step < 2; step++) {
        set_sparse_grad(m, &row, grads[step], 1, 4);
        CHECK_OK(edl_optim_step(o, oc.lr));
        double s = 0;
        for (int d = 0; d < 4; d++) s += (double)grads[step][d] * grads[step][d];
        acc += s / 4; /* one accumulator per row: the mean of g^2 */
        for (int d = 0; d < 4; d++) p[d] -= (float)(0.1 / (sqrt(acc) + 1e-10)) * grads[step][d];
        CHECK_CLOSE(t + 4, p, 4, 1e-6, 1e-5);
    }
    edl_optim_free(o);
    edl_model_free(m);
}

TEST(clip_grad_norm_matches_pytorch) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "input(3) dense(2,bias=0) dense(3)", EDL_INIT_TORCH, 1));
    if (!m) return;
    /* layer 1 weight (2x3) takes ga; layer 2's bias (3) takes gb; layer 2's weight gets 0 */
    CHECK_OK(edl_model_freeze(m, 2, 0));
    CHECK_OK(edl__model_grads(m)); /* gradients are allocated on first need */
    memcpy(m->grads + m->layers[1].w_off, ref_f32("clip.ga", NULL), 6 * sizeof(float));
    memcpy(m->grads + m->layers[2].b_off, ref_f32("clip.gb", NULL), 3 * sizeof(float));
    float *w1 = copy_floats(edl_model_tensor(m, 1, "weight", NULL), 6);
    float *b2 = copy_floats(edl_model_tensor(m, 2, "bias", NULL), 3);
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_SGD);
    oc.clip_norm = 1.0f;
    edl_optim *o = NULL;
    CHECK_OK(edl_optim_create(&o, m, &oc));
    CHECK_OK(edl_optim_step(o, 1.0f)); /* SGD lr 1: the parameter moves by exactly -g */
    const float *ca = ref_f32("clip.ca", NULL), *cb = ref_f32("clip.cb", NULL);
    float moved[6];
    for (int i = 0; i < 6; i++) moved[i] = w1[i] - edl_model_tensor(m, 1, "weight", NULL)[i];
    CHECK_CLOSE(moved, ca, 6, 1e-6, 1e-5);
    for (int i = 0; i < 3; i++) moved[i] = b2[i] - edl_model_tensor(m, 2, "bias", NULL)[i];
    CHECK_CLOSE(moved, cb, 3, 1e-6, 1e-5);
    free(w1), free(b2);
    edl_optim_free(o);
    edl_model_free(m);
}

TEST(schedules) {
    CHECK(edl_schedule_lr(EDL_SCHED_CONSTANT, 0.1f, 50, 100, 0) == 0.1f);
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_LINEAR, 0.1f, 0, 100, 0) - 0.1f) < 1e-7f);
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_LINEAR, 0.1f, 75, 100, 0) - 0.025f) < 1e-7f);
    CHECK(edl_schedule_lr(EDL_SCHED_LINEAR, 0.1f, 100, 100, 0) == 0.0f);
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_COSINE, 0.1f, 50, 100, 0) - 0.05f) < 1e-7f);
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_COSINE, 0.1f, 100, 100, 0)) < 1e-7f);
    /* warm-up: linear from lr/warmup to lr, then the schedule over the remaining steps */
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_LINEAR, 0.1f, 0, 110, 10) - 0.01f) < 1e-7f);
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_LINEAR, 0.1f, 9, 110, 10) - 0.1f) < 1e-7f);
    CHECK(fabsf(edl_schedule_lr(EDL_SCHED_LINEAR, 0.1f, 60, 110, 10) - 0.05f) < 1e-7f);
}

TEST(optimizer_errors) {
    edl_model *m = one_tensor_model();
    if (!m) return;
    edl_optim_config oc;
    edl_optim *o = NULL;
    edl_optim_defaults(&oc, EDL_OPT_SGD);
    oc.nesterov = 1;
    CHECK_STATUS(edl_optim_create(&o, m, &oc), EDL_ERR_ARG);
    CHECK_ERROR_HAS("nesterov");
    edl_optim_defaults(&oc, EDL_OPT_ADAM);
    oc.beta1 = 1.0f;
    CHECK_STATUS(edl_optim_create(&o, m, &oc), EDL_ERR_ARG);
    oc.beta1 = 0.9f, oc.lr = NAN;
    CHECK_STATUS(edl_optim_create(&o, m, &oc), EDL_ERR_ARG);
    oc.lr = 0.1f, oc.kind = (edl_opt_kind)42;
    CHECK_STATUS(edl_optim_create(&o, m, &oc), EDL_ERR_ARG);
    CHECK(o == NULL);
    CHECK_STATUS(edl_optim_step(NULL, 0.1f), EDL_ERR_ARG);
    edl_optim_free(NULL);
    edl_model_free(m);
}

/* Every x with bits from lo to hi - 1 divided by b both ways; the first difference into *bad.
   Returns the number of values compared. */
static size_t div_known_range(float b, uint32_t lo, uint32_t hi, float *x, float *q, size_t cap, uint32_t *bad) {
    size_t n = 0;
    for (uint32_t u = lo; u < hi;) {
        size_t k = 0;
        for (; k < cap && u < hi; k++, u++) memcpy(&x[k], &u, sizeof u);
        edl__vec_div_known(q, x, k, b);
        for (size_t i = 0; i < k && !*bad; i++) {
            float d = x[i] / b;
            if (memcmp(&d, &q[i], sizeof d) != 0) memcpy(bad, &x[i], sizeof *bad);
        }
        n += k;
    }
    return n;
}

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Adam's division by the root of the second bias correction, by a multiplication and two fused
   multiply-adds where the CPU has FMA: the same bits as the division for every significand of x
   in [1, 2) (the proof's case; other binades scale it), in the square roots' lowest and highest
   binades, and for 0, infinity and NaN, at the divisors of many steps of several beta2 and at
   random ones in its range. (Without FMA the function divides, and this checks the division.) */
TEST(div_known_is_the_division) {
    enum { CAP = 1 << 16 };
    float *x = malloc(CAP * sizeof *x), *q = malloc(CAP * sizeof *q);
    CHECK(x && q);
    if (!x || !q) {
        free(x), free(q);
        return;
    }
    float divisors[160];
    size_t nd = 0;
    const double beta2[] = {0.999, 0.99, 0.9, 0.98, 0.9999};
    const uint64_t steps[] = {1, 2, 3, 4, 5, 7, 10, 13, 20, 31, 50, 100, 300, 1000, 3000, 10000, 100000, 1000000};
    for (size_t i = 0; i < sizeof beta2 / sizeof beta2[0]; i++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            edl_optim_config c;
            edl_optim_defaults(&c, EDL_OPT_ADAM);
            c.beta2 = (float)beta2[i];
            divisors[nd++] = edl__opt_coefs(&c, 1e-3f, steps[s], 0).sbc2;
        }
    edl_rng rng;
    edl_rng_seed(&rng, 7);
    while (nd < 150) divisors[nd++] = ldexpf(1.0f + edl_rng_uniform(&rng), -1 - (int)edl_rng_below(&rng, 20));
    divisors[nd++] = 1.0f, divisors[nd++] = 0x1p-20f, divisors[nd++] = nextafterf(1.0f, 0.0f);
    size_t compared = 0;
    for (size_t d = 0; d < nd; d++) {
        uint32_t bad = 0;
        const float b = divisors[d];
        compared += div_known_range(b, bits_of(1.0f), bits_of(2.0f), x, q, CAP, &bad);
        if (d % 25 == 0) { /* the ends of the square roots' range: 2^-75 (of the least subnormal) to 2^64 */
            compared += div_known_range(b, bits_of(0x1p-75f), bits_of(0x1p-74f), x, q, CAP, &bad);
            compared += div_known_range(b, bits_of(0x1p63f), bits_of(0x1p64f), x, q, CAP, &bad);
        }
        /* (bad holds a failing x's bits, never 0 in the ranges above; 0 itself is a special here) */
        const float special[] = {0.0f, INFINITY, NAN, sqrtf(FLT_MAX), sqrtf(0x1p-149f), FLT_MAX};
        edl__vec_div_known(q, special, 6, b);
        int special_bad = -1;
        for (int i = 0; i < 6; i++) {
            float want = special[i] / b;
            if (memcmp(&want, &q[i], sizeof want) != 0 && !(want != want && q[i] != q[i])) special_bad = i;
        }
        if (bad || special_bad >= 0) {
            float bx = special_bad >= 0 ? special[special_bad] : 0.0f;
            if (bad) memcpy(&bx, &bad, sizeof bx);
            FAILF("divisor %.9g: %.9g / b gave another value than the division", b, bx);
            break;
        }
    }
    CHECK(compared >= 150u * (1u << 23));
    free(x), free(q);
}

/* The Adam update against its definition written out here with the division, bit for bit, over
   steps of three configurations, the last with the least divisor a float beta2 gives. */
TEST(adam_update_is_its_definition) {
    enum { N = 1000 };
    edl_rng rng;
    edl_rng_seed(&rng, 3);
    float *p = rand_floats(&rng, N, -1, 1), *g = malloc(N * sizeof *g), *m1 = calloc(N, sizeof *m1),
          *m2 = calloc(N, sizeof *m2), *rp = malloc(N * sizeof *rp), *r1 = calloc(N, sizeof *r1),
          *r2 = calloc(N, sizeof *r2);
    CHECK(p && g && m1 && m2 && rp && r1 && r2);
    for (int kind = 0; p && g && m1 && m2 && rp && r1 && r2 && kind < 3; kind++) {
        edl_optim_config oc;
        edl_optim_defaults(&oc, kind == 1 ? EDL_OPT_ADAMW : EDL_OPT_ADAM);
        oc.weight_decay = kind == 0 ? 0.01f : kind == 1 ? 0.1f : 0.0f;
        if (kind == 2) oc.beta2 = 0.99999994f; /* the float below 1: the least divisors (2^-12 at step 1) */
        memcpy(rp, p, N * sizeof *p), memset(m1, 0, N * sizeof *m1), memset(m2, 0, N * sizeof *m2);
        memset(r1, 0, N * sizeof *r1), memset(r2, 0, N * sizeof *r2);
        for (uint64_t step = 1; step <= 30; step++) {
            edl__opt_coef a = edl__opt_coefs(&oc, 0.01f, step, 0);
            float *gr = rand_floats(&rng, N, -3, 3);
            CHECK(gr != NULL);
            if (!gr) break;
            gr[step % N] = step % 3 ? 0.0f : 1e-30f; /* a zero and a tiny gradient: v's square root near its least */
            memcpy(g, gr, N * sizeof *g);
            CHECK(edl__vec_adam(p, g, m1, m2, N, &a));
            for (size_t i = 0; i < N; i++) {
                float d = gr[i] + a.wd * rp[i], pi = rp[i] * a.decay;
                float am = r1[i] * a.b1 + d * a.k1, v = r2[i] * a.b2 + d * d * a.k2;
                r1[i] = am, r2[i] = v;
                rp[i] = pi - a.step * (am / (sqrtf(v) / a.sbc2 + a.eps));
                CHECK(g[i] == 0.0f);
            }
            free(gr);
            if (memcmp(p, rp, N * sizeof *p) || memcmp(m2, r2, N * sizeof *m2)) {
                FAILF("kind %d step %llu: the update differs from its definition", kind, (unsigned long long)step);
                break;
            }
        }
    }
    free(p), free(g), free(m1), free(m2), free(rp), free(r1), free(r2);
}
