/* The recommenders' batch kernels (kernels/vec.c, model/optim_rules.h) against their references:
 * the one-call-a-row updates they replace, edl__vec_dot, and the naive gather. Bit for bit: the
 * trainers' runs must not change with them. */
#include "harness.h"
#include "kernels/kernels.h"
#include "common/internal.h"
#include "model/optim_rules.h"

static void fill(float *x, size_t n, edl_rng *rng, float scale) {
    for (size_t k = 0; k < n; k++) x[k] = scale * (2.0f * edl_rng_uniform(rng) - 1.0f);
}

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

TEST(vec_gather_rows_and_dots_match_references) {
    edl_rng rng;
    edl_rng_seed(&rng, 3);
    static const size_t dims[] = {1, 5, 16, 31, 32, 33, 64, 100};
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
        const size_t dim = dims[di], rows = 50, n = 37;
        float *table = malloc(rows * dim * sizeof *table), *out = malloc(n * dim * sizeof *out),
              *ref = malloc(n * dim * sizeof *ref);
        int64_t idx[37];
        fill(table, rows * dim, &rng, 1.0f);
        for (size_t k = 0; k < n; k++) idx[k] = (int64_t)edl_rng_below(&rng, rows);
        edl__vec_gather_rows(out, table, dim, idx, n);
        edl__embedding_forward_naive(ref, table, dim, idx, n);
        CHECK(same_bits(out, ref, n * dim));
        /* gathered with the products of each example's first row with its others */
        for (size_t per = 2; per <= 3; per++) {
            size_t ex = n / per, k0 = 1, k1 = ex - 1;
            float d1[37], d2[37];
            for (size_t k = 0; k < ex; k++) d1[k] = d2[k] = -7.0f;
            edl__vec_gather_dots(out, d1, per == 3 ? d2 : NULL, table, dim, idx, ex, per, k0, k1, 0);
            CHECK(same_bits(out, ref, ex * per * dim));
            if (per == 3) { /* with diff: the first row, then the second minus the third */
                float *o2 = malloc(ex * per * dim * sizeof *o2), e1[37], e2[37];
                edl__vec_gather_dots(o2, e1, e2, table, dim, idx, ex, per, k0, k1, 1);
                for (size_t k = 0; k < ex; k++)
                    for (size_t j = 0; j < dim; j++) {
                        size_t at = (k * per + 2) * dim + j;
                        float want = ref[at - dim] - ref[at];
                        if (memcmp(&o2[at], &want, sizeof want) ||
                            memcmp(&o2[at - 2 * dim], &ref[at - 2 * dim], sizeof want))
                            FAILF("dim %zu example %zu column %zu: the difference row is wrong", dim, k, j);
                    }
                CHECK(same_bits(e1 + k0, d1 + k0, k1 - k0) && same_bits(e2 + k0, d2 + k0, k1 - k0));
                free(o2);
            }
            for (size_t k = 0; k < ex; k++) {
                const float *a = ref + k * per * dim;
                float w1 = k >= k0 && k < k1 ? edl__vec_dot(a, a + dim, dim) : -7.0f;
                float w2 = per == 3 && k >= k0 && k < k1 ? edl__vec_dot(a, a + 2 * dim, dim) : -7.0f;
                if (memcmp(&d1[k], &w1, sizeof w1) || memcmp(&d2[k], &w2, sizeof w2))
                    FAILF("dim %zu per %zu example %zu: %g %g, want %g %g", dim, per, k, d1[k], d2[k], w1, w2);
            }
        }
        free(table), free(out), free(ref);
    }
}

/* edl__vec_bpr_gather32 against the naive gather, edl__vec_dot and the score step_bpr made from
   the products: bias[i] - bias[j] + d1 - d2. */
TEST(vec_bpr_gather32_matches_gather_dots_and_the_score) {
    edl_rng rng;
    edl_rng_seed(&rng, 4);
    enum { ROWS = 30, N = 25, D = 32 };
    float *block = aligned_alloc(64, (ROWS * D + 16) * sizeof(float));
    for (int off = 0; off <= 4; off += 4) {
        float *table = block + off, bias[ROWS], out[3 * N * D], ref[3 * N * D], logit[N], d1[N], d2[N];
        int64_t idx[3 * N];
        fill(table, ROWS * D, &rng, 1.0f), fill(bias, ROWS, &rng, 1.0f);
        for (size_t k = 0; k < 3 * N; k++) idx[k] = (int64_t)edl_rng_below(&rng, ROWS);
        for (size_t k = 0; k < N; k++) logit[k] = -7.0f;
        memset(out, 0, sizeof out), memset(ref, 0, sizeof ref);
        edl__vec_bpr_gather32(out, logit, table, bias, idx, N, 2, N - 3);
        edl__embedding_forward_naive(ref, table, D, idx, 3 * N); /* the rows, then the references */
        for (size_t k = 0; k < N; k++) {
            const float *t0 = ref + 3 * k * D, *t1 = t0 + D, *t2 = t0 + 2 * D;
            d1[k] = edl__vec_dot(t0, t1, D), d2[k] = edl__vec_dot(t0, t2, D);
            float want = k >= 2 && k < N - 3 ? bias[idx[3 * k + 1]] - bias[idx[3 * k + 2]] + d1[k] - d2[k] : -7.0f;
            if (memcmp(&logit[k], &want, sizeof want))
                FAILF("offset %d triple %zu: score %g, want %g", off, k, logit[k], want);
            CHECK(same_bits(out + 3 * k * D, t0, D));
            for (size_t d = 0; d < D; d++) {
                const float diff = t1[d] - t2[d];
                if (memcmp(&out[(3 * k + 2) * D + d], &diff, sizeof diff))
                    FAILF("offset %d triple %zu column %zu: the difference row is wrong", off, k, d);
            }
        }
    }
    free(block);
}

/* edl__vec_update_rows against one edl__vec_sgd / _adagrad / _sparse_adam call a row on a
   gradient s x held in memory; rows repeat, so the order of the updates shows. */
TEST(vec_update_rows_matches_one_call_a_row) {
    edl_rng rng;
    edl_rng_seed(&rng, 5);
    static const size_t dims[] = {1, 7, 32, 40, 64, 130};
    /* the last: SGD with momentum, whose buffer keeps it off the plain SGD loop */
    static const edl_opt_kind kinds[] = {EDL_OPT_SGD, EDL_OPT_ADAGRAD, EDL_OPT_ADAM, EDL_OPT_SGD};
    for (size_t ki = 0; ki < 4; ki++)
        for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
            const size_t dim = dims[di], rows = 12, n = 40, len = rows * dim;
            edl_optim_config oc;
            edl_optim_defaults(&oc, kinds[ki]);
            oc.lr = 0.05f, oc.weight_decay = 0.01f;
            if (ki == 3) oc.momentum = 0.9f;
            edl__opt_coef c = edl__opt_coefs(&oc, 0.05f, 3, 1);
            float *p = malloc(len * sizeof *p), *s1 = malloc(len * sizeof *s1), *s2 = malloc(len * sizeof *s2);
            float *rp = malloc(len * sizeof *rp), *r1 = malloc(len * sizeof *r1), *r2 = malloc(len * sizeof *r2);
            float *src = malloc(n * dim * sizeof *src), *g = malloc(dim * sizeof *g), scale[40];
            const float *x[40];
            int64_t idx[40];
            fill(p, len, &rng, 0.5f), fill(src, n * dim, &rng, 1.0f);
            for (size_t k = 0; k < len; k++)
                s1[k] = 0.01f * edl_rng_uniform(&rng), s2[k] = 0.001f * edl_rng_uniform(&rng);
            memcpy(rp, p, len * sizeof *p), memcpy(r1, s1, len * sizeof *s1), memcpy(r2, s2, len * sizeof *s2);
            for (size_t m = 0; m < n; m++)
                idx[m] = (int64_t)edl_rng_below(&rng, rows), scale[m] = 2.0f * edl_rng_uniform(&rng) - 1.0f,
                x[m] = src + m * dim;
            bool ok = edl__vec_update_rows(kinds[ki], &c, p, s1, s2, dim, idx, n, scale, x);
            bool rok = true;
            for (size_t m = 0; m < n; m++) {
                size_t off = (size_t)idx[m] * dim;
                for (size_t j = 0; j < dim; j++) g[j] = scale[m] * x[m][j];
                rok &= edl__opt_apply(kinds[ki], &c, rp + off, g, r1 + off, r2 + off, dim, 1);
            }
            CHECK(ok && rok);
            if (!same_bits(p, rp, len) || ((kinds[ki] != EDL_OPT_SGD || ki == 3) && !same_bits(s1, r1, len)) ||
                (kinds[ki] == EDL_OPT_ADAM && !same_bits(s2, r2, len)))
                FAILF("kind %d dim %zu: the batch update differs from one call a row", (int)kinds[ki], dim);
            /* a non-finite result is reported */
            scale[0] = INFINITY;
            CHECK(!edl__vec_update_rows(kinds[ki], &c, p, s1, s2, dim, idx, 1, scale, x));
            /* ... and a NaN in the last value of a later row; values near FLT_MAX are finite */
            for (size_t k = 0; k < len; k++) p[k] = 0.5f, s1[k] = s2[k] = 0.0f;
            scale[0] = scale[1] = 0.0f;
            p[(size_t)idx[1] * dim + dim - 1] = NAN;
            CHECK(!edl__vec_update_rows(kinds[ki], &c, p, s1, s2, dim, idx, 2, scale, x));
            /* (the NaN went into the state; without the L2, whose square of 3e36 overflows Adam's) */
            for (size_t k = 0; k < len; k++) p[k] = 3.0e38f, s1[k] = s2[k] = 0.0f;
            edl__opt_coef c0 = c;
            c0.wd = 0.0f;
            if (!edl__vec_update_rows(kinds[ki], &c0, p, s1, s2, dim, idx, 2, scale, x))
                FAILF("kind %d dim %zu: 3e38 is finite", (int)kinds[ki], dim);
            free(p), free(s1), free(s2), free(rp), free(r1), free(r2), free(src), free(g);
        }
}

/* edl__vec_bpr_sgd32 against the updates one at a time: edl__opt_apply1 on each triple's two item
   biases, then edl__vec_sgd on each row from its gradient in memory (scales g, g, -g of q_i - q_j,
   p_u, p_u), the rows in order; users and items repeat, as a record's 4 triples do, and the table
   sits on a line's start and 16 bytes past it. */
TEST(vec_bpr_sgd32_matches_the_unfused_updates) {
    edl_rng rng;
    edl_rng_seed(&rng, 9);
    enum { ROWS = 40, N = 60, D = 32 };
    for (int off = 0; off <= 4; off += 4)
        for (int decay = 0; decay < 2; decay++) {
            edl_optim_config oc;
            edl_optim_defaults(&oc, EDL_OPT_SGD);
            edl__opt_coef c = edl__opt_coefs(&oc, 0.05f, 1, 1), cb = c;
            c.wd = decay ? 0.01f : 0.0f, cb.wd = decay ? 0.002f : 0.0f;
            float *block = aligned_alloc(64, (2 * ROWS * D + 64) * sizeof(float));
            float *table = block + off, *ref = block + off + ROWS * D + 32;
            float bias[ROWS], rbias[ROWS], g[N], rows[3 * N * D], grad[D];
            int64_t idx[3 * N];
            fill(table, ROWS * D, &rng, 0.5f), fill(bias, ROWS, &rng, 0.5f), fill(g, N, &rng, 1.0f);
            fill(rows, 3 * N * D, &rng, 1.0f);
            memcpy(ref, table, ROWS * D * sizeof *ref), memcpy(rbias, bias, sizeof bias);
            for (size_t k = 0; k < N; k++) {
                idx[3 * k] = k % 4 ? idx[3 * k - 3] : (int64_t)edl_rng_below(&rng, 10);
                idx[3 * k + 1] = k % 4 ? idx[3 * k - 2] : 10 + (int64_t)edl_rng_below(&rng, 30);
                idx[3 * k + 2] = 10 + (int64_t)edl_rng_below(&rng, 30);
            }
            bool ok = edl__vec_bpr_sgd32(&c, &cb, table, bias, idx, g, rows, N), rok = true;
            for (size_t k = 0; k < N; k++) {
                size_t bi = (size_t)idx[3 * k + 1], bj = (size_t)idx[3 * k + 2];
                rok &= edl__opt_apply1(EDL_OPT_SGD, &cb, rbias + bi, g[k], NULL, NULL);
                rok &= edl__opt_apply1(EDL_OPT_SGD, &cb, rbias + bj, -g[k], NULL, NULL);
            }
            for (size_t m = 0; m < 3 * N; m++) { /* the row's gradient in memory, then one call */
                const size_t k = m / 3;
                const float sc = m % 3 == 2 ? -g[k] : g[k], *x = rows + (m % 3 ? 3 * k : 3 * k + 2) * D;
                for (size_t d = 0; d < D; d++) grad[d] = sc * x[d];
                rok &= edl__vec_sgd(ref + (size_t)idx[m] * D, grad, NULL, D, &c);
            }
            CHECK(ok && rok);
            if (!same_bits(table, ref, ROWS * D) || !same_bits(bias, rbias, ROWS))
                FAILF("offset %d decay %d: the fused bpr step differs from the unfused updates", off, decay);
            /* a nonfinite bias with every row finite, and a nonfinite row in a later triple, are
               reported; finite ones are not */
            fill(table, ROWS * D, &rng, 0.5f), fill(bias, ROWS, &rng, 0.5f), g[0] = g[1] = 0.0f;
            CHECK(edl__vec_bpr_sgd32(&c, &cb, table, bias, idx, g, rows, 2));
            bias[idx[5]] = INFINITY;
            CHECK(!edl__vec_bpr_sgd32(&c, &cb, table, bias, idx, g, rows, 2));
            fill(bias, ROWS, &rng, 0.5f);
            table[(size_t)idx[5] * D + D - 1] = NAN;
            CHECK(!edl__vec_bpr_sgd32(&c, &cb, table, bias, idx, g, rows, 2));
            free(block);
        }
}

/* edl__opt_apply1 (a bias) against edl__opt_apply on one value. */
TEST(opt_apply1_matches_opt_apply) {
    edl_rng rng;
    edl_rng_seed(&rng, 7);
    static const edl_opt_kind kinds[] = {EDL_OPT_SGD, EDL_OPT_ADAGRAD, EDL_OPT_ROWWISE_ADAGRAD, EDL_OPT_ADAM,
                                         EDL_OPT_ADAMW};
    for (size_t ki = 0; ki < sizeof kinds / sizeof *kinds; ki++)
        for (int momentum = 0; momentum < 2; momentum++) {
            edl_optim_config oc;
            edl_optim_defaults(&oc, kinds[ki]);
            oc.weight_decay = 0.02f, oc.momentum = momentum ? 0.9f : 0.0f;
            for (uint64_t step = 1; step < 40; step++) {
                edl__opt_coef c = edl__opt_coefs(&oc, 0.03f, step, 1);
                c.first = step == 1;
                float p = 2.0f * edl_rng_uniform(&rng) - 1.0f, s1 = 0.1f * edl_rng_uniform(&rng),
                      s2 = 0.01f * edl_rng_uniform(&rng), g = 4.0f * edl_rng_uniform(&rng) - 2.0f;
                float rp = p, r1 = s1, r2 = s2, rg = g;
                bool ok = edl__opt_apply1(kinds[ki], &c, &p, g, &s1, &s2);
                bool rok = edl__opt_apply(kinds[ki], &c, &rp, &rg, &r1, &r2, 1, 1);
                if (ok != rok || memcmp(&p, &rp, sizeof p) || memcmp(&s1, &r1, sizeof s1) ||
                    memcmp(&s2, &r2, sizeof s2))
                    FAILF("kind %d momentum %d step %llu: %g %g %g, want %g %g %g", (int)kinds[ki], momentum,
                          (unsigned long long)step, p, s1, s2, rp, r1, r2);
            }
            edl__opt_coef c = edl__opt_coefs(&oc, 0.03f, 1, 1);
            float p = 1.0f, s1 = 0.0f, s2 = 0.0f;
            CHECK(!edl__opt_apply1(kinds[ki], &c, &p, NAN, &s1, &s2));
        }
}

/* bpr's loss in float against the definitions in double: every gradient and the sum close,
   at the tails too (large |x|: a gradient of 0 or -1, a loss of |x| or 0). */
TEST(vec_logsig_matches_naive) {
    enum { N = 1000 };
    float x[N], g[N], gr[N];
    edl_rng rng;
    edl_rng_seed(&rng, 9);
    for (size_t k = 0; k < N; k++) x[k] = 40.0f * (edl_rng_uniform(&rng) - 0.5f);
    x[0] = 0.0f, x[1] = -0.0f, x[2] = 200.0f, x[3] = -200.0f, x[4] = 1e-6f, x[5] = -88.0f, x[6] = 88.0f, x[7] = 3.0e38f;
    x[8] = -3.0e38f;
    for (size_t n = 0; n <= N; n += n < 40 ? 1 : 137) {
        double s = edl__vec_logsig(g, x, n), sr = edl__vec_logsig_naive(gr, x, n);
        CHECK(fabs(s - sr) <= 1e-6 * (1.0 + fabs(sr)));
        for (size_t k = 0; k < n; k++)
            if (!(fabsf(g[k] - gr[k]) <= 1e-7f + 1e-6f * fabsf(gr[k])))
                FAILF("n %zu, x[%zu] = %g: gradient %.9g, want %.9g", n, k, x[k], g[k], gr[k]);
    }
    /* the lanes: one value's loss alone */
    float one = -2.5f;
    CHECK(fabs(edl__vec_logsig(g, &one, 1) - log1p(exp(2.5))) < 1e-6);
}

/* The negative sampler's draws: the 128-bit product both ways, and edl__rng_range uniform (a
   chi-square over 7 and 4000 values) and below n for n at the edges. */
TEST(rng_range_is_uniform_and_products_agree) {
    edl_rng rng;
    edl_rng_seed(&rng, 11);
    for (int k = 0; k < 100000; k++) {
        uint64_t a = edl_rng_u64(&rng), b = k < 10 ? UINT64_MAX - (uint64_t)k : edl_rng_u64(&rng) >> (k % 64);
        uint64_t h1, l1, h2, l2;
        edl__mul128(a, b, &h1, &l1), edl__mul128_portable(a, b, &h2, &l2);
        if (h1 != h2 || l1 != l2) {
            FAILF("%llu * %llu: two products differ", (unsigned long long)a, (unsigned long long)b);
            break;
        }
    }
    static const uint64_t ns[] = {7, 4000};
    for (int c = 0; c < 2; c++) {
        const uint64_t n = ns[c];
        const size_t draws = 200 * (size_t)n;
        size_t *count = calloc(n, sizeof *count);
        for (size_t k = 0; k < draws; k++) {
            uint64_t v = edl__rng_range(&rng, n);
            if (v >= n) {
                FAILF("%llu is not below %llu", (unsigned long long)v, (unsigned long long)n);
                break;
            }
            count[v]++;
        }
        double chi = 0.0, want = (double)draws / (double)n;
        for (uint64_t v = 0; v < n; v++) chi += ((double)count[v] - want) * ((double)count[v] - want) / want;
        /* chi-square with n - 1 degrees of freedom: mean n - 1, sd sqrt(2 (n - 1)); 6 sd is a bug */
        CHECK(chi < (double)(n - 1) + 6.0 * sqrt(2.0 * (double)(n - 1)));
        free(count);
    }
    edl_rng before = rng;
    CHECK(edl__rng_range(&rng, 1) == 0 && edl__rng_range(&rng, 0) == 0);
    CHECK(memcmp(&before, &rng, sizeof rng) == 0); /* n <= 1 draws nothing */
    for (int k = 0; k < 1000; k++) CHECK(edl__rng_range(&rng, UINT64_MAX) < UINT64_MAX);
}
