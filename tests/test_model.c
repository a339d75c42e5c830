/* Models: the spec and summary, a whole model against PyTorch, gradient checks through the
 * stack, initialisers, freezing and padding. */
#include "harness.h"
#include "model/model.h"

static const char *issue_spec = "embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dense(10)";

TEST(spec_summary_counts) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, issue_spec, EDL_INIT_TORCH, 1));
    if (!m) return;
    CHECK(edl_model_num_layers(m) == 3);
    const size_t want[3] = {320000, 8320, 1290};
    for (size_t l = 0; l < 3; l++) {
        edl_layer_info info;
        CHECK_OK(edl_model_layer_info(m, l, &info));
        CHECK(info.params == want[l]);
        CHECK(info.bytes == want[l] * 4);
    }
    size_t total, trainable, frozen;
    edl_model_param_counts(m, &total, &trainable, &frozen);
    CHECK(total == 329610 && trainable == 329610 && frozen == 0);
    char buf[4096];
    CHECK_OK(edl_model_summary(m, buf, sizeof buf));
    CHECK(strstr(buf, "320000") && strstr(buf, "8320") && strstr(buf, "1290"));
    CHECK(strstr(buf, "Total params: 329610") != NULL);
    CHECK(strstr(buf, "Trainable params: 329610") != NULL);
    CHECK(strstr(buf, "Non-trainable params: 0") != NULL);
    CHECK(strstr(buf, "(None, 64)") && strstr(buf, "(None, 128)") && strstr(buf, "(None, 10)"));
    char small[16];
    CHECK_STATUS(edl_model_summary(m, small, sizeof small), EDL_ERR_ARG);
    CHECK_ERROR_HAS("are needed");
    /* freezing moves the table's count to non-trainable */
    CHECK_OK(edl_model_freeze(m, 0, 1));
    edl_model_param_counts(m, &total, &trainable, &frozen);
    CHECK(total == 329610 && trainable == 9610 && frozen == 320000);
    edl_model_free(m);
}

TEST(spec_round_trip) {
    const char *specs[] = {
        "embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dropout(0.2) dense(10)",
        "embedding(rows=100,dim=8,len=5,pool=flatten,padding_idx=0) dense(16,act=tanh,bias=0) dense(1) loss(bce)",
        "embedding(100, 8, 5, pool=max) dense(3, init=keras, freeze=1) loss(softmax)",
        "input(20) dense(32,act=sigmoid) dense(2) loss(mse)",
        "embedding_bag(50,4,pool=sum,sparse=0,init=fasttext) dense(2)",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        edl_model *a = NULL, *b = NULL;
        char sa[1024], sb[1024];
        CHECK_OK(edl_model_from_spec(&a, specs[i], EDL_INIT_TORCH, 1));
        if (!a) continue;
        CHECK_OK(edl_model_spec(a, sa, sizeof sa));
        CHECK_OK(edl_model_from_spec(&b, sa, EDL_INIT_TORCH, 1));
        if (b) {
            CHECK_OK(edl_model_spec(b, sb, sizeof sb));
            if (strcmp(sa, sb)) FAILF("spec %zu: '%s' reprinted as '%s'", i, sa, sb);
        }
        edl_model_free(a);
        edl_model_free(b);
    }
}

TEST(spec_errors_name_the_column) {
    const struct {
        const char *spec, *want;
    } bad[] = {
        {"embedding_bag(rows=5000,dim=x)", "spec:29: dim must be a positive integer"},
        {"embedding_bag(rows=5000) dense(3)", "spec:1: embedding_bag needs dim"},
        {"dense(3)", "spec:1: "},
        {"input(4) dense(3) foo(2)", "spec:19: unknown layer 'foo'"},
        {"input(4) dense(3,act=gelu)", "spec:22: unknown act 'gelu'"},
        {"input(4) dense(3,colour=red)", "dense takes no argument 'colour'"},
        {"input(4) dropout(1.5) dense(2)", "p must be in [0, 1)"},
        {"input(4) dense(3", "expected ',' or ')'"},
        {"input(4) loss(mse) dense(3)", "the loss comes last"},
        {"embedding_bag(rows=10,dim=2,padding_idx=10) dense(2)", "padding_idx is out of range"},
        {"", "no layers"},
        {"input(4) dense(0)", "out must be a positive integer"},
        {"input(4) dense(3,3)", "too many positional arguments"},
        {"embedding_bag(rows=99999999999999999999,dim=2)", "rows must be a positive integer"},
        {"embedding_bag(rows=1000000000000,dim=1000000000)", "overflows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        edl_model *m = NULL;
        edl_status s = edl_model_from_spec(&m, bad[i].spec, EDL_INIT_TORCH, 1);
        if (s == EDL_OK) {
            FAILF("spec '%s' was accepted", bad[i].spec);
            edl_model_free(m);
            continue;
        }
        CHECK(m == NULL);
        if (!strstr(edl_last_error(), bad[i].want))
            FAILF("spec '%s': error \"%s\" lacks \"%s\"", bad[i].spec, edl_last_error(), bad[i].want);
    }
}

/* The same weights and batch as tests/make_reference.py's model: loss, every gradient, and the
   predicted probabilities match PyTorch. */
TEST(model_matches_pytorch) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=10,dim=4,pool=mean) dense(5,act=relu) dense(3)",
                                 EDL_INIT_TORCH, 1));
    if (!m) return;
    const char *names[5][2] = {{"model.table", "weight"},
                               {"model.w1", "weight"},
                               {"model.b1", "bias"},
                               {"model.w2", "weight"},
                               {"model.b2", "bias"}};
    const size_t layer[5] = {0, 1, 1, 2, 2};
    for (int t = 0; t < 5; t++) {
        size_t n;
        const float *v = ref_f32(names[t][0], &n);
        CHECK_OK(edl_model_set_tensor(m, layer[t], names[t][1], v, n));
    }
    size_t nidx, nb;
    edl_batch b = {0};
    b.idx = ref_i64("model.idx", &nidx);
    b.nidx = nidx;
    b.offsets = ref_i64("model.offsets", &nb);
    b.labels = ref_i64("model.labels", NULL);
    b.n = nb;
    float loss = 0;
    CHECK_OK(edl_model_forward_backward(m, &b, NULL, &loss));
    CHECK_CLOSE(&loss, ref_f32("model.loss", NULL), 1, 1e-6, 1e-5);
    const char *gnames[5] = {"model.dtable", "model.dw1", "model.db1", "model.dw2", "model.db2"};
    for (int t = 0; t < 5; t++) {
        size_t n;
        const float *want = ref_f32(gnames[t], &n);
        const edl__layer *L = &m->layers[layer[t]];
        const float *g = m->grads + (!strcmp(names[t][1], "bias") ? L->b_off : L->w_off);
        if (!CHECK_CLOSE(g, want, n, 1e-6, 1e-5)) fprintf(stderr, "    gradient %s\n", gnames[t]);
    }
    float probs[4 * 3];
    CHECK_OK(edl_model_predict(m, &b, probs));
    CHECK_CLOSE(probs, ref_f32("model.probs", NULL), 12, 1e-6, 1e-5);
    edl_model_free(m);
}

/* Finite differences through whole models, for every kind of input and loss. */
typedef struct {
    edl_model *m;
    edl_batch b;
} model_ctx;

static double model_loss(model_ctx *c) {
    float loss = 0;
    edl_model_forward_backward(c->m, &c->b, NULL, &loss);
    edl_model_zero_grad(c->m);
    return loss;
}

/* skip: parameters [0, skip) are not checked (a padding row: used by the forward, by design
   given no gradient, as in PyTorch). */
static void gradcheck_model(const char *spec, const edl_batch *b, uint64_t seed, size_t skip) {
    model_ctx c = {NULL, *b};
    CHECK_OK(edl_model_from_spec(&c.m, spec, EDL_INIT_TORCH, seed));
    if (!c.m) return;
    float loss;
    CHECK_OK(edl_model_forward_backward(c.m, b, NULL, &loss));
    float *g = copy_floats(c.m->grads, c.m->nparams);
    edl_model_zero_grad(c.m);
    float *p = c.m->params;
    for (size_t i = skip; i < c.m->nparams; i++) {
        float p0 = p[i], h = 1e-2f;
        p[i] = p0 + h;
        double lp = model_loss(&c);
        p[i] = p0 - h;
        double lm = model_loss(&c);
        p[i] = p0;
        double num = (lp - lm) / (2.0 * h);
        if (!(fabs(num - g[i]) <= 3e-3 * (1.0 + fabs(num)))) {
            FAILF("%s: d/dparam[%zu] analytic %.6g numeric %.6g", spec, i, g[i], num);
            break;
        }
    }
    free(g);
    edl_model_free(c.m);
}

TEST(gradcheck_whole_models) {
    int64_t idx[8] = {1, 4, 4, 0, 2, 3, 5, 1}, offsets[3] = {0, 3, 3}, labels[3] = {1, 0, 2};
    float targets[3 * 2] = {1, 0, 0.5f, 1, 0, 0};
    edl_batch b = {.n = 3, .idx = idx, .nidx = 8, .offsets = offsets, .labels = labels};
    gradcheck_model("embedding_bag(rows=6,dim=3,pool=mean) dense(4,act=tanh) dense(3)", &b, 1, 0);
    gradcheck_model("embedding_bag(rows=6,dim=3,pool=sum,padding_idx=4) dense(3,act=sigmoid)", &b, 2, 0);
    b.targets = targets;
    gradcheck_model("embedding_bag(rows=6,dim=3,pool=mean) dense(4,act=tanh) dense(2) loss(bce)", &b, 3, 0);
    /* fixed-length sequences: flattened (with a padding row) and max-pooled */
    int64_t seq[3 * 2] = {1, 0, 2, 5, 3, 3};
    edl_batch s = {.n = 3, .idx = seq, .labels = labels};
    gradcheck_model("embedding(rows=6,dim=3,len=2,pool=flatten,padding_idx=0) dense(3)", &s, 4, 3);
    gradcheck_model("embedding(rows=6,dim=3,len=2,pool=sum) dense(4,act=tanh) dense(3)", &s, 5, 0);
    float x[3 * 4] = {0.1f, -0.5f, 0.3f, 0.9f, -0.2f, 0.4f, 0.8f, -0.7f, 0.6f, 0.2f, -0.1f, -0.3f};
    edl_batch f = {.n = 3, .x = x, .targets = targets};
    gradcheck_model("input(4) dense(5,act=tanh) dense(2) loss(mse)", &f, 6, 0);
}

TEST(padding_row_and_frozen_layers) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding(rows=5,dim=3,len=2,pool=flatten,padding_idx=0) dense(2,freeze=1)",
                                 EDL_INIT_TORCH, 3));
    if (!m) return;
    size_t n;
    float *table = edl_model_tensor(m, 0, "weight", &n);
    for (int d = 0; d < 3; d++) CHECK(table[d] == 0.0f); /* padding row starts at zero */
    float *w = copy_floats(edl_model_tensor(m, 1, "weight", NULL), 2 * 6);
    int64_t seq[4] = {0, 1, 2, 0}, labels[2] = {0, 1};
    edl_batch b = {.n = 2, .idx = seq, .labels = labels};
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_SGD);
    edl_optim *o = NULL;
    CHECK_OK(edl_optim_create(&o, m, &oc));
    for (int step = 0; step < 3; step++) {
        float loss;
        CHECK_OK(edl_model_forward_backward(m, &b, NULL, &loss));
        for (int d = 0; d < 3; d++) CHECK(m->grads[d] == 0.0f); /* no gradient at the padding row */
        CHECK_OK(edl_optim_step(o, 0.5f));
    }
    for (int d = 0; d < 3; d++) CHECK(table[d] == 0.0f);
    CHECK_EQUAL_F(edl_model_tensor(m, 1, "weight", NULL), w, 12); /* frozen: unchanged */
    CHECK(table[3] != 0.0f);
    edl_optim_free(o);
    free(w);
    edl_model_free(m);
}

static void stats(const float *x, size_t n, double *mean, double *sd, float *lo, float *hi) {
    double s = 0, s2 = 0;
    *lo = INFINITY, *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        s += x[i], s2 += (double)x[i] * x[i];
        *lo = x[i] < *lo ? x[i] : *lo;
        *hi = x[i] > *hi ? x[i] : *hi;
    }
    *mean = s / n, *sd = sqrt(s2 / n - *mean * *mean);
}

TEST(initializers) {
    const char *spec = "embedding_bag(rows=2000,dim=50) dense(300,act=relu) dense(100)";
    double mean, sd;
    float lo, hi;
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 7));
    if (!m) return;
    size_t n;
    float *t = edl_model_tensor(m, 0, "weight", &n);
    stats(t, n, &mean, &sd, &lo, &hi);
    CHECK(fabs(mean) < 0.01 && fabs(sd - 1.0) < 0.01); /* N(0, 1) */
    float *w = edl_model_tensor(m, 1, "weight", &n);
    stats(w, n, &mean, &sd, &lo, &hi);
    float bound = 1.0f / sqrtf(50.0f); /* U(-1/sqrt(in), 1/sqrt(in)) */
    CHECK(lo >= -bound && hi <= bound && lo < -0.95f * bound && hi > 0.95f * bound);
    CHECK(fabs(sd - bound / sqrt(3.0)) < 0.01 * bound);
    edl_model_free(m);

    CHECK_OK(edl_model_from_spec(&m, spec, EDL_INIT_KERAS, 7));
    t = edl_model_tensor(m, 0, "weight", &n);
    stats(t, n, &mean, &sd, &lo, &hi);
    CHECK(lo >= -0.05f && hi <= 0.05f && hi > 0.049f);
    w = edl_model_tensor(m, 2, "weight", &n);
    stats(w, n, &mean, &sd, &lo, &hi);
    bound = sqrtf(6.0f / (300 + 100)); /* Glorot-uniform */
    CHECK(lo >= -bound && hi <= bound && hi > 0.95f * bound);
    float *bias = edl_model_tensor(m, 2, "bias", &n);
    stats(bias, n, &mean, &sd, &lo, &hi);
    CHECK(lo == 0.0f && hi == 0.0f);
    edl_model_free(m);

    CHECK_OK(edl_model_from_spec(&m, spec, EDL_INIT_FASTTEXT, 7));
    t = edl_model_tensor(m, 0, "weight", &n);
    stats(t, n, &mean, &sd, &lo, &hi);
    CHECK(lo >= -1.0f / 50 && hi <= 1.0f / 50 && hi > 0.95f / 50);
    w = edl_model_tensor(m, 2, "weight", &n);
    stats(w, n, &mean, &sd, &lo, &hi);
    CHECK(lo == 0.0f && hi == 0.0f); /* fastText's output matrix starts at zero */
    edl_model_free(m);

    /* same seed, same model; other seed, other model */
    edl_model *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(edl_model_from_spec(&a, spec, EDL_INIT_TORCH, 11));
    CHECK_OK(edl_model_from_spec(&b, spec, EDL_INIT_TORCH, 11));
    CHECK_OK(edl_model_from_spec(&c, spec, EDL_INIT_TORCH, 12));
    if (a && b && c) {
        CHECK(memcmp(a->params, b->params, a->nparams * 4) == 0);
        CHECK(memcmp(a->params, c->params, a->nparams * 4) != 0);
    }
    edl_model_free(a), edl_model_free(b), edl_model_free(c);
}

TEST(pretrained_weights) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=3,dim=2,freeze=1) dense(2)", EDL_INIT_TORCH, 1));
    if (!m) return;
    float vec[6] = {1, 2, 3, 4, 5, 6};
    CHECK_OK(edl_model_set_tensor(m, 0, "weight", vec, 6));
    CHECK_EQUAL_F(edl_model_tensor(m, 0, "weight", NULL), vec, 6);
    CHECK_STATUS(edl_model_set_tensor(m, 0, "weight", vec, 5), EDL_ERR_ARG);
    CHECK_ERROR_HAS("has 6 values, got 5");
    CHECK_STATUS(edl_model_set_tensor(m, 0, "bias", vec, 2), EDL_ERR_ARG);
    CHECK_STATUS(edl_model_set_tensor(m, 7, "weight", vec, 6), EDL_ERR_INDEX);
    vec[2] = NAN;
    CHECK_STATUS(edl_model_set_tensor(m, 0, "weight", vec, 6), EDL_ERR_NUMERIC);
    edl_model_free(m);
}

TEST(batch_errors) {
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=10,dim=2) dense(3)", EDL_INIT_TORCH, 1));
    if (!m) return;
    int64_t idx[3] = {1, 10, 2}, off[2] = {0, 1}, labels[2] = {0, 3};
    edl_batch b = {.n = 2, .idx = idx, .nidx = 3, .offsets = off, .labels = labels};
    float loss, probs[6];
    CHECK_STATUS(edl_model_forward_backward(m, &b, NULL, &loss), EDL_ERR_INDEX);
    CHECK_ERROR_HAS("index 10 at position 1 is out of range [0, 10)");
    CHECK_STATUS(edl_model_predict(m, &b, probs), EDL_ERR_INDEX);
    idx[1] = 3;
    CHECK_STATUS(edl_model_forward_backward(m, &b, NULL, &loss), EDL_ERR_INDEX);
    CHECK_ERROR_HAS("target 3 at position 1 is out of range [0, 3)");
    labels[1] = 2;
    b.labels = NULL;
    CHECK_STATUS(edl_model_forward_backward(m, &b, NULL, &loss), EDL_ERR_ARG);
    b.offsets = NULL;
    CHECK_STATUS(edl_model_predict(m, &b, probs), EDL_ERR_ARG);
    b.n = 0;
    CHECK_STATUS(edl_model_predict(m, &b, probs), EDL_ERR_ARG);
    CHECK_STATUS(edl_model_predict(NULL, &b, probs), EDL_ERR_ARG);
    edl_model_free(m);
}
