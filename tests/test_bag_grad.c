/* The held table gradient (src/model/bag_grad.c): the row -> occurrences index against the
 * scatter it replaces, the fused row sum + update against the unfused path (the naive
 * reference), and whole training runs with and without the hold, compared byte for byte. */
#include "harness.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "model/optim_rules.h"

/* A random batch: bags of 0 .. 2 avg indices below rows, some equal to pad (when >= 0). */
typedef struct {
    int64_t idx[4096], offsets[256];
    float weights[4096];
    size_t n, bags;
} bag_batch;

static void make_batch(bag_batch *b, size_t bags, size_t avg, size_t rows, int64_t pad, edl_rng *rng) {
    b->bags = bags, b->n = 0;
    for (size_t k = 0; k < bags; k++) {
        b->offsets[k] = (int64_t)b->n;
        size_t len = (size_t)edl_rng_below(rng, 2 * avg + 1);
        for (size_t j = 0; j < len && b->n < 4096; j++, b->n++) {
            b->idx[b->n] = pad >= 0 && edl_rng_below(rng, 8) == 0 ? pad : (int64_t)edl_rng_below(rng, rows);
            b->weights[b->n] = edl_rng_uniform(rng) * 2.0f - 0.5f;
        }
    }
}

static void fill(float *x, size_t n, edl_rng *rng, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * edl_rng_uniform(rng);
}

TEST(bag_row_index_adds_what_the_scatter_adds) {
    edl_rng rng;
    edl_rng_seed(&rng, 11);
    const size_t dims[] = {1, 7, 16, 64, 70, 130}, rows = 37;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
        for (int pool = 0; pool < 2; pool++)
            for (int weighted = 0; weighted < (pool == EDL_POOL_SUM ? 2 : 1); weighted++)
                for (int64_t pad = -1; pad <= 3; pad += 4) {
                    const size_t dim = dims[di];
                    bag_batch b;
                    make_batch(&b, 40, 6, rows, pad, &rng);
                    const float *w = weighted ? b.weights : NULL;
                    float *dout = malloc(b.bags * dim * sizeof *dout);
                    float *fast = calloc(rows * dim, sizeof *fast), *ref = calloc(rows * dim, sizeof *ref);
                    float *naive = calloc(rows * dim, sizeof *naive);
                    uint32_t start[38];
                    static edl__bag_occ occ[4096];
                    fill(dout, b.bags * dim, &rng, -1.0f, 1.0f);
                    /* on a gradient already holding values: the additions' order matters */
                    fill(fast, rows * dim, &rng, -1.0f, 1.0f);
                    memcpy(ref, fast, rows * dim * sizeof *ref), memcpy(naive, fast, rows * dim * sizeof *ref);
                    edl__bag_row_index(start, occ, rows, b.idx, b.n, b.offsets, b.bags, w, (edl_pool)pool, pad);
                    edl__vec_bag_rows_add(fast, dim, 0, rows / 2, start, occ, dout);
                    edl__vec_bag_rows_add(fast, dim, rows / 2, rows, start, occ, dout);
                    CHECK_OK(edl_embedding_bag_backward(ref, rows, dim, b.idx, b.n, b.offsets, b.bags, w,
                                                        (edl_pool)pool, pad, NULL, dout));
                    edl__embedding_bag_backward_naive(naive, dim, b.idx, b.n, b.offsets, b.bags, w, (edl_pool)pool, pad,
                                                      NULL, dout);
                    if (memcmp(fast, ref, rows * dim * sizeof *ref) || memcmp(fast, naive, rows * dim * sizeof *ref))
                        FAILF("dim %zu pool %d weights %d pad %lld: the held rows differ from the scatter's", dim, pool,
                              weighted, (long long)pad);
                    /* every index that is not padding, once, in its row's range, in position order */
                    size_t used = 0;
                    for (size_t j = 0; j < b.n; j++) used += b.idx[j] != pad;
                    CHECK(start[0] == 0 && start[rows] == used);
                    for (size_t r = 0; r < rows; r++) {
                        size_t k = start[r];
                        CHECK(start[r] <= start[r + 1]);
                        for (size_t bag = 0; bag < b.bags; bag++)
                            for (int64_t j = b.offsets[bag]; j < (bag + 1 < b.bags ? b.offsets[bag + 1] : (int64_t)b.n);
                                 j++)
                                if (b.idx[j] == (int64_t)r && b.idx[j] != pad) {
                                    CHECK(k < start[r + 1] && occ[k].bag == bag);
                                    k++;
                                }
                        CHECK(k == start[r + 1]);
                    }
                    free(dout), free(fast), free(ref), free(naive);
                }
}

TEST(fused_bag_update_matches_the_unfused_path) {
    edl_rng rng;
    edl_rng_seed(&rng, 12);
    const struct {
        edl_opt_kind kind;
        float momentum, wd;
    } rules[] = {{EDL_OPT_ADAM, 0, 0}, {EDL_OPT_ADAM, 0, 0.01f},    {EDL_OPT_ADAMW, 0, 0.01f},
                 {EDL_OPT_SGD, 0, 0},  {EDL_OPT_SGD, 0.9f, 0.001f}, {EDL_OPT_ADAGRAD, 0, 0}};
    const size_t dims[] = {3, 16, 64, 80}, rows = 53;
    for (size_t ri = 0; ri < sizeof rules / sizeof rules[0]; ri++)
        for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
            for (int step = 1; step <= 2; step++) {
                const size_t dim = dims[di], count = rows * dim;
                edl_optim_config oc;
                edl_optim_defaults(&oc, rules[ri].kind);
                oc.momentum = rules[ri].momentum, oc.weight_decay = rules[ri].wd;
                edl__opt_coef a = edl__opt_coefs(&oc, 0.01f, (uint64_t)step, 0);
                a.first = step == 1;
                bag_batch b;
                make_batch(&b, 30, 5, rows, 2, &rng);
                float *dout = malloc(b.bags * dim * sizeof *dout), *g = malloc(count * sizeof *g);
                float *p = malloc(count * sizeof *p), *s1 = malloc(count * sizeof *s1),
                      *s2 = malloc(count * sizeof *s2);
                fill(dout, b.bags * dim, &rng, -1.0f, 1.0f);
                fill(p, count, &rng, -1.0f, 1.0f), fill(s1, count, &rng, 0.0f, 0.1f);
                fill(s2, count, &rng, 0.0f, 0.01f);
                float *rp = copy_floats(p, count), *r1 = copy_floats(s1, count), *r2 = copy_floats(s2, count);
                uint32_t start[54];
                static edl__bag_occ occ[4096];
                edl__bag_row_index(start, occ, rows, b.idx, b.n, b.offsets, b.bags, NULL, EDL_POOL_MEAN, 2);
                /* in two ranges of rows, as threads split it */
                bool ok = edl__vec_update_bag_rows(rules[ri].kind, &a, p, s1, s2, dim, 0, 20, start, occ, dout);
                ok &= edl__vec_update_bag_rows(rules[ri].kind, &a, p, s1, s2, dim, 20, rows, start, occ, dout);
                bool rok = edl__update_bag_rows_naive(rules[ri].kind, &a, rp, r1, r2, g, rows, dim, b.idx, b.n,
                                                      b.offsets, b.bags, NULL, EDL_POOL_MEAN, 2, dout);
                CHECK(ok && rok);
                if (memcmp(p, rp, count * sizeof *p) || memcmp(s1, r1, count * sizeof *p) ||
                    memcmp(s2, r2, count * sizeof *p))
                    FAILF("%s (momentum %g, wd %g) dim %zu step %d: the fused update differs from the unfused one",
                          edl_opt_name(rules[ri].kind), rules[ri].momentum, rules[ri].wd, dim, step);
                /* a sum that overflows: both say so */
                for (size_t i = 0; i < b.bags * dim; i++) dout[i] = 3e38f;
                memcpy(rp, p, count * sizeof *p);
                ok = edl__vec_update_bag_rows(rules[ri].kind, &a, p, s1, s2, dim, 0, rows, start, occ, dout);
                rok = edl__update_bag_rows_naive(rules[ri].kind, &a, rp, r1, r2, g, rows, dim, b.idx, b.n, b.offsets,
                                                 b.bags, NULL, EDL_POOL_MEAN, 2, dout);
                CHECK(!ok && !rok);
                free(dout), free(g), free(p), free(s1), free(s2), free(rp), free(r1), free(r2);
            }
}

/* ---- whole models ------------------------------------------------------------------------- */

static edl_model *model(const char *spec, int hold) {
    edl_model *m = NULL;
    if (edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 5) != EDL_OK) {
        FAILF("%s: %s", spec, edl_last_error());
        return NULL;
    }
    m->hold_off = !hold;
    return m;
}

static int same_params(const edl_model *a, const edl_model *b) {
    return a->nparams == b->nparams && !memcmp(a->params, b->params, a->nparams * sizeof *a->params);
}

/* steps of forward_backward (twice a step when accumulate) + step on random batches; checks the
   table's gradient was held after a step's first backward (hold) or never (!hold): a second
   backward writes both into the block. */
static void run(edl_model *m, const edl_optim_config *oc, int steps, int accumulate, int fixed_len, int weighted,
                int hold) {
    edl_optim *o = NULL;
    CHECK_OK(edl_optim_create(&o, m, oc));
    if (!o) return;
    edl_rng rng;
    edl_rng_seed(&rng, 21);
    const size_t rows = m->layers[0].info.rows, classes = edl_model_output_dim(m);
    for (int s = 0; s < steps; s++) {
        for (int k = 0; k <= accumulate; k++) {
            bag_batch b;
            int64_t labels[256];
            make_batch(&b, 24, 7, rows, fixed_len ? -1 : 1, &rng);
            for (size_t i = 0; i < b.bags; i++) labels[i] = (int64_t)edl_rng_below(&rng, classes);
            edl_batch eb = {.n = b.bags, .idx = b.idx, .nidx = b.n, .offsets = b.offsets, .labels = labels};
            if (weighted) eb.weights = b.weights;
            if (fixed_len) { /* embedding(len=4): the first 4 x bags indices */
                for (size_t i = 0; i < 4 * b.bags; i++) b.idx[i] = (int64_t)edl_rng_below(&rng, rows);
                eb.offsets = NULL, eb.nidx = 0;
            }
            float loss;
            CHECK_OK(edl_model_forward_backward(m, &eb, NULL, &loss));
            CHECK(m->layers[0].held.on == (hold && k == 0));
        }
        CHECK_OK(edl_optim_step(o, oc->lr));
        CHECK(!m->layers[0].held.on);
    }
    /* the table's gradient rows are zero after the steps (held or updated and zeroed) */
    const edl__layer *L = &m->layers[0];
    for (size_t i = 0; i < L->w_count; i++)
        if (m->grads[L->w_off + i] != 0.0f) {
            FAILF("the table's gradient %zu is %g after a step", i, m->grads[L->w_off + i]);
            break;
        }
    edl_optim_free(o);
}

TEST(held_table_gradient_trains_the_same_bits) {
    const char *specs[] = {"embedding_bag(rows=300,dim=20,pool=mean,sparse=0) dense(16,act=relu) dense(5)",
                           "embedding_bag(rows=300,dim=64,pool=sum,padding_idx=1,sparse=0) dense(5)",
                           "embedding(rows=300,dim=16,len=4,pool=mean,sparse=0) dense(8,act=tanh) dense(5)"};
    const struct {
        edl_opt_kind kind;
        float momentum, wd, clip;
    } rules[] = {{EDL_OPT_ADAM, 0, 0, 0},         {EDL_OPT_ADAMW, 0, 0.01f, 0},       {EDL_OPT_SGD, 0.9f, 0, 0},
                 {EDL_OPT_ADAGRAD, 0, 0.001f, 0}, {EDL_OPT_ROWWISE_ADAGRAD, 0, 0, 0}, {EDL_OPT_ADAM, 0, 0, 0.5f}};
    for (size_t si = 0; si < 3; si++)
        for (size_t ri = 0; ri < sizeof rules / sizeof rules[0]; ri++)
            for (int accumulate = 0; accumulate < 2; accumulate++) {
                edl_optim_config oc;
                edl_optim_defaults(&oc, rules[ri].kind);
                oc.momentum = rules[ri].momentum, oc.weight_decay = rules[ri].wd, oc.clip_norm = rules[ri].clip;
                edl_model *held = model(specs[si], 1), *plain = model(specs[si], 0);
                if (!held || !plain) {
                    edl_model_free(held), edl_model_free(plain);
                    return;
                }
                run(held, &oc, 6, accumulate, si == 2, si == 1, 1);
                run(plain, &oc, 6, accumulate, si == 2, si == 1, 0);
                if (!same_params(held, plain))
                    FAILF("%s, %s (clip %g), accumulate %d: the parameters differ", specs[si],
                          edl_opt_name(rules[ri].kind), rules[ri].clip, accumulate);
                edl_model_free(held), edl_model_free(plain);
            }
}

TEST(held_table_gradient_threads_and_train) {
    /* a table the update splits over threads (rows x dim >= 4 x 2^14): two threads held, one
       thread written, the same bits */
    const char *spec = "embedding_bag(rows=2000,dim=40,pool=mean,sparse=0) dense(16,act=relu) dense(5)";
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_ADAM);
    edl_model *held = model(spec, 1), *plain = model(spec, 0);
    if (held && plain) {
        set_threads(2);
        run(held, &oc, 5, 0, 0, 0, 1);
        set_threads(1);
        run(plain, &oc, 5, 0, 0, 0, 0);
        set_threads(max_threads());
        CHECK(same_params(held, plain));
    }
    edl_model_free(held), edl_model_free(plain);

    /* edl_train: held, written, and held again at one thread with the same seed */
    edl_dataset *d = NULL;
    CHECK_OK(edl_dataset_create(&d, 0, 0));
    edl_rng rng;
    edl_rng_seed(&rng, 4);
    for (int i = 0; d && i < 300; i++) {
        int64_t idx[9];
        size_t len = 1 + (size_t)edl_rng_below(&rng, 9);
        for (size_t j = 0; j < len; j++) idx[j] = (int64_t)edl_rng_below(&rng, 2000);
        CHECK_OK(edl_dataset_add_indices(d, idx, len, (int64_t)edl_rng_below(&rng, 5), NULL));
    }
    edl_model *m[3] = {model(spec, 1), model(spec, 0), model(spec, 1)};
    edl_train_config c;
    edl_train_defaults(&c);
    c.epochs = 2, c.batch_size = 32, c.seed = 9, c.valid_split = 0.2f;
    edl_train_report r[3];
    set_threads(1);
    for (int k = 0; k < 3 && d && m[k]; k++) CHECK_OK(edl_train(m[k], d, &c, &r[k]));
    set_threads(max_threads());
    if (m[0] && m[1] && m[2]) {
        CHECK(same_params(m[0], m[1]) && same_params(m[0], m[2]));
        CHECK(r[0].train_loss == r[1].train_loss && r[0].valid_loss == r[2].valid_loss);
    }
    for (int k = 0; k < 3; k++) edl_model_free(m[k]);
    edl_dataset_free(d);
}

TEST(held_table_gradient_non_finite) {
    /* a step that overflows: both paths apply it, name layer 0 and leave the same values; the
       bags' gradient is finite (row 3 is zero, its weights large), the table's row 3 is ~1e29 */
    const char *spec = "embedding_bag(rows=50,dim=8,pool=sum,sparse=0) dense(3)";
    edl_model *m[2] = {model(spec, 1), model(spec, 0)};
    int64_t idx[4] = {3, 3, 7, 3}, offsets[2] = {0, 2}, labels[2] = {0, 2};
    float weights[4] = {1e30f, 1e30f, 1.0f, 1.0f};
    edl_batch b = {.n = 2, .idx = idx, .nidx = 4, .offsets = offsets, .weights = weights, .labels = labels};
    for (int k = 0; k < 2 && m[0] && m[1]; k++) {
        float *table = edl_model_tensor(m[k], 0, "weight", NULL);
        memset(table + 3 * 8, 0, 8 * sizeof *table);
        edl_optim_config oc;
        edl_optim_defaults(&oc, EDL_OPT_SGD);
        edl_optim *o = NULL;
        CHECK_OK(edl_optim_create(&o, m[k], &oc));
        float loss;
        CHECK_OK(edl_model_forward_backward(m[k], &b, NULL, &loss));
        CHECK(m[k]->layers[0].held.on == !k);
        CHECK_STATUS(edl_optim_step(o, 1e30f), EDL_ERR_NUMERIC);
        CHECK_ERROR_HAS("layer 0");
        CHECK(isinf(table[3 * 8]));
        edl_optim_free(o);
    }
    if (m[0] && m[1]) CHECK(same_params(m[0], m[1]));
    edl_model_free(m[0]), edl_model_free(m[1]);

    /* edl_train stops at the step that overflowed, the same way */
    edl_dataset *d = NULL;
    CHECK_OK(edl_dataset_create(&d, 0, 0));
    for (int i = 0; d && i < 64; i++) {
        const int64_t ix[2] = {i % 5, 5 + i % 3};
        CHECK_OK(edl_dataset_add_indices(d, ix, 2, i % 2, NULL));
    }
    const char *s2 = "embedding_bag(rows=8,dim=4,sparse=0) dense(8,act=relu) dense(2)";
    edl_model *t[2] = {model(s2, 1), model(s2, 0)};
    char msg[2][512] = {{0}};
    for (int k = 0; k < 2 && d && t[k]; k++) {
        edl_train_config tc;
        edl_train_defaults(&tc);
        edl_optim_defaults(&tc.optim, EDL_OPT_SGD);
        tc.optim.lr = 1e30f, tc.epochs = 5;
        CHECK_STATUS(edl_train(t[k], d, &tc, NULL), EDL_ERR_NUMERIC);
        snprintf(msg[k], sizeof msg[k], "%s", edl_last_error());
    }
    CHECK(!strcmp(msg[0], msg[1]) && strstr(msg[0], "step"));
    if (t[0] && t[1]) CHECK(same_params(t[0], t[1]));
    edl_model_free(t[0]), edl_model_free(t[1]);
    edl_dataset_free(d);
}

/* A gradient computed in the dense form, the table made lazy before the step: the lazy step
   applies it (the rows holding gradient are listed), zero_grad then clears all of it, and the
   held and written paths stay the same bits through a second step back in the dense form. */
TEST(held_grad_survives_sparse_switch) {
    edl_model *m[2] = {model("embedding_bag(rows=50,dim=8,pool=sum,sparse=0) dense(3)", 1),
                       model("embedding_bag(rows=50,dim=8,pool=sum,sparse=0) dense(3)", 0)};
    if (!m[0] || !m[1]) {
        edl_model_free(m[0]), edl_model_free(m[1]);
        return;
    }
    int64_t idx[4] = {3, 4, 7, 3}, idx2[4] = {9, 10, 11, 12}, off[2] = {0, 2}, lab[2] = {0, 2};
    edl_batch b = {.n = 2, .idx = idx, .nidx = 4, .offsets = off, .labels = lab};
    edl_batch b2 = {.n = 2, .idx = idx2, .nidx = 4, .offsets = off, .labels = lab};
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_SGD);
    for (int k = 0; k < 2; k++) {
        edl_optim *o = NULL;
        CHECK_OK(edl_optim_create(&o, m[k], &oc));
        if (!o) break;
        const edl__layer *L = &m[k]->layers[0];
        float before = m[k]->params[L->w_off + 3 * 8], loss;
        CHECK_OK(edl_model_forward_backward(m[k], &b, NULL, &loss));
        CHECK_OK(edl_model_set_sparse(m[k], 0, 1));
        CHECK_OK(edl_optim_step(o, 0.1f));
        CHECK(m[k]->params[L->w_off + 3 * 8] != before); /* the lazy step used row 3's gradient */
        edl_model_zero_grad(m[k]);
        size_t left = 0;
        for (size_t i = 0; i < L->w_count; i++) left += m[k]->grads[L->w_off + i] != 0.0f;
        CHECK(left == 0);
        CHECK_OK(edl_model_set_sparse(m[k], 0, 0));
        CHECK_OK(edl_model_forward_backward(m[k], &b2, NULL, &loss));
        CHECK_OK(edl_optim_step(o, 0.1f));
        edl_optim_free(o);
    }
    CHECK(same_params(m[0], m[1]));
    edl_model_free(m[0]), edl_model_free(m[1]);
}
