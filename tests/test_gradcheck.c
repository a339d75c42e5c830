/* Finite-difference gradient checks: for every kernel, the analytic gradient from its backward
 * equals the central difference of L = sum(out * R) (R fixed random), summed in double. */
#include "harness.h"
#include "common/internal.h"

typedef double (*loss_fn)(void *ctx);

/* Compares analytic[i] with (L(p+h) - L(p-h)) / (p+h - (p-h)) for every entry of param. */
static void gradcheck(const char *what, float *param, size_t n, const float *analytic, loss_fn f, void *ctx, float h,
                      double tol) {
    for (size_t i = 0; i < n; i++) {
        float p0 = param[i];
        float hi = p0 + h, lo = p0 - h;
        param[i] = hi;
        double lp = f(ctx);
        param[i] = lo;
        double lm = f(ctx);
        param[i] = p0;
        double num = (lp - lm) / ((double)hi - lo);
        if (!(fabs(num - analytic[i]) <= tol * (1.0 + fabs(num)))) {
            FAILF("%s: d/dparam[%zu] analytic %.7g numeric %.7g", what, i, analytic[i], num);
            return;
        }
    }
}

static double dot_r(const float *out, const float *r, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * r[i];
    return s;
}

/* ---- embedding and bag -------------------------------------------------------------------- */

typedef struct {
    float *table, *out, *r, *weights;
    int64_t *idx, *offsets, *argmax;
    size_t rows, dim, n, bags;
    edl_pool pool;
    int64_t pad;
} bag_ctx;

static double emb_loss(void *p) {
    bag_ctx *c = p;
    edl_embedding_forward(c->out, c->table, c->rows, c->dim, c->idx, c->n);
    return dot_r(c->out, c->r, c->n * c->dim);
}

static double bag_loss(void *p) {
    bag_ctx *c = p;
    edl_embedding_bag_forward(c->out, c->argmax, c->table, c->rows, c->dim, c->idx, c->n, c->offsets, c->bags,
                              c->weights, c->pool, c->pad);
    return dot_r(c->out, c->r, c->bags * c->dim);
}

/* A table of distinct values at least 0.01 apart (shuffled grid), so max pooling has no ties
   and a step of 1e-3 never changes which row wins. */
static float *grid_table(edl_rng *rng, size_t n) {
    float *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) t[i] = -1.0f + 0.01f * (float)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = edl_rng_below(rng, i);
        float x = t[i - 1];
        t[i - 1] = t[j], t[j] = x;
    }
    return t;
}

TEST(gradcheck_embedding) {
    edl_rng rng;
    edl_rng_seed(&rng, 40);
    bag_ctx c = {.rows = 6, .dim = 3, .n = 8};
    int64_t idx[8] = {0, 5, 2, 5, 5, 1, 0, 3};
    c.idx = idx;
    c.table = rand_floats(&rng, 18, -1, 1);
    c.out = zeros(24);
    c.r = rand_floats(&rng, 24, -1, 1);
    float *dt = zeros(18);
    CHECK_OK(edl_embedding_backward(dt, c.rows, c.dim, idx, c.n, c.r));
    gradcheck("embedding", c.table, 18, dt, emb_loss, &c, 1e-2f, 1e-4);
    free(c.table), free(c.out), free(c.r), free(dt);
}

TEST(gradcheck_embedding_bag) {
    edl_rng rng;
    edl_rng_seed(&rng, 41);
    int64_t idx[11] = {4, 1, 4, 0, 6, 6, 2, 3, 1, 5, 4}, offsets[5] = {0, 3, 3, 7, 8};
    for (int p = 0; p < 3; p++)
        for (int pad = -1; pad <= 4; pad += 5)
            for (int w = 0; w < (p == EDL_POOL_SUM ? 2 : 1); w++) {
                bag_ctx c = {.rows = 7, .dim = 4, .n = 11, .bags = 5, .pool = (edl_pool)p, .pad = pad};
                c.idx = idx, c.offsets = offsets;
                c.table = grid_table(&rng, 28);
                c.weights = w ? rand_floats(&rng, 11, 0.5f, 2) : NULL;
                c.out = zeros(20);
                c.r = rand_floats(&rng, 20, -1, 1);
                c.argmax = malloc(20 * sizeof *c.argmax);
                float *dt = zeros(28);
                bag_loss(&c);
                CHECK_OK(edl_embedding_bag_backward(dt, c.rows, c.dim, idx, c.n, offsets, c.bags, c.weights, c.pool,
                                                    pad, c.argmax, c.r));
                char what[96];
                snprintf(what, sizeof what, "embedding_bag pool %d pad %d weights %d", p, pad, w);
                gradcheck(what, c.table, 28, dt, bag_loss, &c, 1e-3f, 1e-3);
                free(c.table), free(c.weights), free(c.out), free(c.r), free(c.argmax), free(dt);
            }
}

/* ---- dense -------------------------------------------------------------------------------- */

typedef struct {
    float *x, *w, *b, *out, *r;
    size_t batch, in, od;
    edl_act act;
} dense_ctx;

static double dense_loss(void *p) {
    dense_ctx *c = p;
    edl_dense_forward(c->out, c->x, c->batch, c->in, c->od, c->w, c->b, c->act);
    return dot_r(c->out, c->r, c->batch * c->od);
}

/* A tiny layer, and one across the small kernel's tile edges (13 rows: a tile of 12 and one of 1;
   17 inputs, 5 outputs: masked vectors). */
TEST(gradcheck_dense) {
    static const size_t dims[][3] = {{3, 5, 4}, {13, 17, 5}};
    edl_rng rng;
    edl_rng_seed(&rng, 42);
    for (size_t s = 0; s < sizeof dims / sizeof dims[0]; s++)
        for (int a = 0; a < 4; a++) {
            const size_t B = dims[s][0], I = dims[s][1], O = dims[s][2];
            dense_ctx c = {.batch = B, .in = I, .od = O, .act = (edl_act)a};
            c.x = rand_floats(&rng, B * I, -1, 1);
            c.w = rand_floats(&rng, O * I, -1, 1);
            c.b = rand_floats(&rng, O, -1, 1);
            c.out = zeros(B * O);
            c.r = rand_floats(&rng, B * O, -1, 1);
            /* ReLU's kink: every pre-activation must be farther from 0 than a step can move it
               (new inputs, from the same seeded stream, until it is) */
            float *z = zeros(B * O), zmin = 0.0f;
            for (int tries = 0; tries < 100 && zmin <= 0.005f; tries++) {
                if (tries) free(c.x), c.x = rand_floats(&rng, B * I, -1, 1);
                edl_dense_forward(z, c.x, B, I, O, c.w, c.b, EDL_ACT_NONE);
                zmin = 1e9f;
                for (size_t i = 0; i < B * O; i++) zmin = fabsf(z[i]) < zmin ? fabsf(z[i]) : zmin;
            }
            CHECK(zmin > 0.005f);
            dense_loss(&c);
            float *dx = zeros(B * I), *dw = zeros(O * I), *db = zeros(O);
            CHECK_OK(edl_dense_backward(dx, dw, db, c.r, c.x, c.out, B, I, O, c.w, c.act));
            char what[64];
            snprintf(what, sizeof what, "dense %zu x %zu -> %zu act %d", B, I, O, a);
            gradcheck(what, c.x, B * I, dx, dense_loss, &c, 1e-3f, 2e-3);
            gradcheck(what, c.w, O * I, dw, dense_loss, &c, 1e-3f, 2e-3);
            gradcheck(what, c.b, O, db, dense_loss, &c, 1e-3f, 2e-3);
            free(c.x), free(c.w), free(c.b), free(c.out), free(c.r), free(z), free(dx), free(dw), free(db);
        }
}

/* A medium layer, run in blocks of examples (three of 128 here, the last of 4 rows): its dW and bias
   gradient are summed per block, then across the blocks. Weights small and biases away from 0
   keep every pre-activation farther from ReLU's kink than a step (|z| > 0.26); the inputs checked
   are rows 250 .. 259, across the second and third blocks. */
TEST(gradcheck_dense_blocked) {
    const size_t B = 260, I = 24, O = 22;
    edl_rng rng;
    edl_rng_seed(&rng, 46);
    for (int a = 0; a < 4; a++) {
        dense_ctx c = {.batch = B, .in = I, .od = O, .act = (edl_act)a};
        c.x = rand_floats(&rng, B * I, -1, 1);
        c.w = rand_floats(&rng, O * I, -0.01f, 0.01f);
        c.b = rand_floats(&rng, O, 0.5f, 1.0f);
        for (size_t o = 0; o < O; o += 2) c.b[o] = -c.b[o];
        c.out = zeros(B * O);
        c.r = rand_floats(&rng, B * O, -1, 1);
        dense_loss(&c);
        float *dx = zeros(B * I), *dw = zeros(O * I), *db = zeros(O);
        CHECK_OK(edl_dense_backward(dx, dw, db, c.r, c.x, c.out, B, I, O, c.w, c.act));
        char what[64];
        snprintf(what, sizeof what, "dense %zu x %zu -> %zu act %d", B, I, O, a);
        gradcheck(what, c.x + 250 * I, 10 * I, dx + 250 * I, dense_loss, &c, 1e-3f, 2e-3);
        gradcheck(what, c.w, O * I, dw, dense_loss, &c, 1e-3f, 2e-3);
        gradcheck(what, c.b, O, db, dense_loss, &c, 1e-3f, 2e-3);
        free(c.x), free(c.w), free(c.b), free(c.out), free(c.r), free(dx), free(dw), free(db);
    }
}

/* ---- losses and dropout ------------------------------------------------------------------- */

typedef struct {
    float *x, *tf;
    int64_t *t;
    size_t batch, classes;
    int kind; /* 0 softmax CE, 1 BCE, 2 MSE */
} loss_ctx;

static double loss_loss(void *p) {
    loss_ctx *c = p;
    float l = 0;
    if (c->kind == 0) edl_softmax_cross_entropy(&l, NULL, c->x, c->t, c->batch, c->classes);
    if (c->kind == 1) edl_bce_with_logits(&l, NULL, c->x, c->tf, c->batch);
    if (c->kind == 2) edl_mse(&l, NULL, c->x, c->tf, c->batch);
    return l;
}

TEST(gradcheck_losses) {
    edl_rng rng;
    edl_rng_seed(&rng, 43);
    int64_t t[4] = {2, 0, 4, 2};
    loss_ctx c = {.batch = 4, .classes = 5, .t = t, .kind = 0};
    c.x = rand_floats(&rng, 20, -3, 3);
    float d[20], l;
    CHECK_OK(edl_softmax_cross_entropy(&l, d, c.x, t, 4, 5));
    gradcheck("softmax_cross_entropy", c.x, 20, d, loss_loss, &c, 1e-2f, 2e-3);
    free(c.x);
    for (int kind = 1; kind <= 2; kind++) {
        loss_ctx b = {.batch = 9, .kind = kind};
        b.x = rand_floats(&rng, 9, -4, 4);
        b.tf = rand_floats(&rng, 9, 0, 1);
        if (kind == 1)
            CHECK_OK(edl_bce_with_logits(&l, d, b.x, b.tf, 9));
        else
            CHECK_OK(edl_mse(&l, d, b.x, b.tf, 9));
        gradcheck(kind == 1 ? "bce_with_logits" : "mse", b.x, 9, d, loss_loss, &b, 1e-2f, 2e-3);
        free(b.x), free(b.tf);
    }
}

typedef struct {
    float *x, *out, *r;
    uint8_t *mask;
    edl_rng rng0;
    size_t n;
} drop_ctx;

static double drop_loss(void *p) {
    drop_ctx *c = p;
    edl_rng rng = c->rng0; /* same mask every evaluation */
    edl_dropout_forward(c->out, c->mask, c->x, c->n, 0.4f, &rng);
    return dot_r(c->out, c->r, c->n);
}

TEST(gradcheck_dropout) {
    edl_rng rng;
    edl_rng_seed(&rng, 44);
    drop_ctx c = {.n = 30};
    c.x = rand_floats(&rng, 30, -1, 1);
    c.r = rand_floats(&rng, 30, -1, 1);
    c.out = zeros(30);
    c.mask = malloc(30);
    c.rng0 = rng;
    drop_loss(&c);
    float dx[30];
    CHECK_OK(edl_dropout_backward(dx, c.r, c.mask, 30, 0.4f));
    gradcheck("dropout", c.x, 30, dx, drop_loss, &c, 1e-2f, 1e-4);
    free(c.x), free(c.r), free(c.out), free(c.mask);
}

typedef struct {
    float *x, *y, *r;
    size_t n;
    edl_act act;
} act_ctx;

static double act_loss(void *p) {
    act_ctx *c = p;
    edl_act_forward(c->y, c->x, c->n, c->act);
    return dot_r(c->y, c->r, c->n);
}

TEST(gradcheck_activations) {
    edl_rng rng;
    edl_rng_seed(&rng, 45);
    for (int a = 0; a < 4; a++) {
        act_ctx c = {.n = 24, .act = (edl_act)a};
        c.x = rand_floats(&rng, 24, -2, 2);
        for (size_t i = 0; i < c.n; i++) /* keep ReLU's kink out of reach of the step */
            if (fabsf(c.x[i]) < 0.05f) c.x[i] = 0.5f;
        c.y = zeros(24);
        c.r = rand_floats(&rng, 24, -1, 1);
        act_loss(&c);
        float dx[24];
        CHECK_OK(edl_act_backward(dx, c.r, c.y, c.n, c.act));
        char what[32];
        snprintf(what, sizeof what, "activation %d", a);
        gradcheck(what, c.x, 24, dx, act_loss, &c, 1e-3f, 2e-3);
        free(c.x), free(c.y), free(c.r);
    }
}
