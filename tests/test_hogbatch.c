/* The window update of skip-gram and CBOW (HogBatch): the block kernels against their naive
 * references (every shape around the register blocks, a negative drawn twice), a finite-difference
 * check that they step along the window loss's gradient, and the trainers: both updates learn,
 * and a window run with a seed repeats bit for bit. */
#include "harness.h"
#include "topics.h"
#include "kernels/kernels.h"

#include <unistd.h>

static void fill(float *x, size_t n, edl_rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = 2.0f * edl_rng_uniform(r) - 1.0f;
}

/* A and B as rows of a table (B's rows may repeat: rows[k] names the table row). */
TEST(hogbatch_block_kernels_equal_naive) {
    const size_t ms[] = {1, 2, 3, 5, 8, 10}, ns[] = {1, 2, 4, 6, 9, 64}, lens[] = {1, 5, 16, 17, 100, 112};
    edl_rng r;
    edl_rng_seed(&r, 11);
    enum { MAXM = 10, MAXN = 64, MAXLEN = 112 };
    static float ta[MAXM * MAXLEN], tb[MAXN * MAXLEN], tb2[MAXN * MAXLEN], g[MAXM * MAXN];
    static float s[MAXM * MAXN], s2[MAXM * MAXN], ga[MAXM * MAXLEN], ga2[MAXM * MAXLEN];
    for (size_t mi = 0; mi < 6; mi++)
        for (size_t ni = 0; ni < 6; ni++)
            for (size_t li = 0; li < 6; li++) {
                size_t m = ms[mi], n = ns[ni], len = lens[li];
                fill(ta, m * len, &r), fill(tb, n * len, &r), fill(g, m * n, &r);
                memcpy(tb2, tb, sizeof tb);
                const float *a[MAXM];
                float *b[MAXN], *b2[MAXN];
                for (size_t i = 0; i < m; i++) a[i] = ta + i * len;
                for (size_t k = 0; k < n; k++) {
                    /* the last row of B repeats the first when there are three or more */
                    size_t row = n >= 3 && k == n - 1 ? 0 : k;
                    b[k] = tb + row * len, b2[k] = tb2 + row * len;
                }
                edl__vec_block_dots(s, a, m, (const float *const *)b, n, len);
                edl__vec_block_dots_naive(s2, a, m, (const float *const *)b, n, len);
                CHECK_CLOSE(s, s2, m * n, 1e-5, 1e-5);
                edl__vec_block_steps(ga, len, g, a, m, b, n, len);
                edl__vec_block_steps_naive(ga2, len, g, a, m, b2, n, len);
                CHECK_CLOSE(ga, ga2, m * len, 1e-5, 1e-5);
                CHECK_CLOSE(tb, tb2, n * len, 1e-5, 1e-5);
                if (harness_failures) {
                    FAILF("m %zu n %zu len %zu", m, n, len);
                    return;
                }
            }
}

/* The vectorised logistic against 1 / (1 + expf(-x)): a dense sweep, the extremes, every tail
   length, and NaN kept. */
TEST(hogbatch_logistic_equals_naive) {
    enum { N = 4003 };
    static float x[N], y[N], want[N];
    for (size_t i = 0; i < N; i++) x[i] = -40.0f + 80.0f * (float)i / (N - 1);
    x[0] = -1e30f, x[1] = 1e30f, x[2] = -88.5f, x[3] = 88.5f, x[4] = 0.0f, x[5] = -0.0f, x[6] = 1e-8f;
    edl__vec_logistic(y, x, N);
    edl__vec_logistic_naive(want, x, N);
    CHECK_CLOSE(y, want, N, 1e-7, 1e-6);
    for (size_t n = 0; n <= 17; n++) { /* each tail: the first n values alone */
        float part[17];
        edl__vec_logistic(part, x + 100, n);
        CHECK_CLOSE(part, y + 100, n, 0.0, 0.0);
    }
    float nan = NAN, out = 0.0f;
    edl__vec_logistic(&out, &nan, 1);
    CHECK(isnan(out));
}

/* The window loss of m context rows A against B = (the word, negatives):
   L = -sum_i [log sigmoid(a_i . b_0) + sum_{k >= 1} log sigmoid(-a_i . b_k)], in double. */
static double window_loss(const float *ta, const float *tb, size_t m, size_t n, size_t len) {
    double l = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < n; k++) {
            double z = 0;
            for (size_t d = 0; d < len; d++) z += (double)ta[i * len + d] * tb[k * len + d];
            l += k == 0 ? log1p(exp(-z)) : log1p(exp(z));
        }
    return l;
}

/* The worst relative error of a gradient against central differences of the window loss, over
   the n values of x (which is ta or tb): the analytic -dL/dx[i] is got[i] - (base ? base[i] : 0). */
static double worst_vs_central(float *x, size_t n, const float *got, const float *base, const float *ta,
                               const float *tb, size_t m, size_t nb, size_t len) {
    const float eps = 1e-2f;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + eps;
        double up = window_loss(ta, tb, m, nb, len);
        x[i] = keep - eps;
        double down = window_loss(ta, tb, m, nb, len);
        x[i] = keep;
        double want = -(up - down) / (2 * eps), g = (double)got[i] - (base ? base[i] : 0.0f);
        double err = fabs(g - want) / (fabs(want) + 1e-2);
        worst = err > worst ? err : worst;
    }
    return worst;
}

/* With G = label - sigmoid(A B^T) (the trainer's steps at rate 1), the kernels' ga is -dL/dA and
   their step on B is -dL/dB: both checked against central differences of L. */
TEST(hogbatch_window_gradient_check) {
    enum { M = 4, N = 6, LEN = 19 };
    float ta[M * LEN], tb[N * LEN], tb0[N * LEN], s[M * N], ga[M * LEN];
    edl_rng r;
    edl_rng_seed(&r, 5);
    fill(ta, sizeof ta / sizeof ta[0], &r), fill(tb, sizeof tb / sizeof tb[0], &r);
    for (size_t i = 0; i < M * LEN; i++) ta[i] *= 0.5f;
    memcpy(tb0, tb, sizeof tb);
    const float *a[M];
    float *b[N];
    for (size_t i = 0; i < M; i++) a[i] = ta + i * LEN;
    for (size_t k = 0; k < N; k++) b[k] = tb + k * LEN;
    edl__vec_block_dots(s, a, M, (const float *const *)b, N, LEN);
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < N; k++) s[i * N + k] = (k == 0 ? 1.0f : 0.0f) - 1.0f / (1.0f + expf(-s[i * N + k]));
    edl__vec_block_steps(ga, LEN, s, a, M, b, N, LEN);
    /* ga is -dL/dA; the step on B (tb - tb0) is -dL/dB */
    double worst = worst_vs_central(ta, M * LEN, ga, NULL, ta, tb0, M, N, LEN);
    double wb = worst_vs_central(tb0, N * LEN, tb, tb0, ta, tb0, M, N, LEN);
    worst = wb > worst ? wb : worst;
    if (!(worst < 1e-2)) FAILF("worst relative error %.3g against central differences", worst);
}

/* Skip-gram and CBOW, with and without subwords, by window and by pair: each learns the topics
   (and the window within 0.05 of the pair's margin or above it); a window run repeats bit for bit
   at -thread 1 with a seed; -loss hs takes the pair path whatever -update says. */
TEST(hogbatch_window_and_pair_learn_alike) {
    char dir[] = "/tmp/edl-hb-XXXXXX", corpus[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    write_topics(corpus);
    for (int cbow = 0; cbow < 2; cbow++)
        for (int sub = 0; sub < 2; sub++) {
            double got[2] = {-1, -1};
            for (int u = 0; u < 2; u++) {
                edl_wordvec_args a;
                edl_wordvec_defaults(&a, cbow);
                a.dim = 20, a.epoch = 5, a.thread = 1, a.min_count = 1, a.lr = cbow ? 0.1f : 0.05f, a.seed = 9;
                a.update = u ? EDL_WORDVEC_PAIR : EDL_WORDVEC_WINDOW;
                if (!sub)
                    a.minn = a.maxn = 0;
                else
                    a.bucket = 100000;
                edl_wordvec *w = NULL, *again = NULL;
                CHECK_OK(edl_wordvec_train(&w, corpus, &a, NULL));
                if (!w) continue;
                edl_vectors *v = NULL;
                CHECK_OK(edl_wordvec_vectors(w, &v));
                got[u] = v ? topic_margin(v) : -1;
                if (u == 0) { /* the same seed, the same vectors */
                    CHECK_OK(edl_wordvec_train(&again, corpus, &a, NULL));
                    edl_vectors *v2 = NULL;
                    if (again) CHECK_OK(edl_wordvec_vectors(again, &v2));
                    if (v && v2)
                        CHECK_EQUAL_F(edl_vectors_row(v2, 0), edl_vectors_row(v, 0), 20 * edl_vectors_count(v));
                    edl_vectors_free(v2);
                    edl_wordvec_free(again);
                }
                edl_vectors_free(v);
                edl_wordvec_free(w);
            }
            fprintf(stderr, "    %s subwords %d: margin %.3f by window, %.3f by pair\n", cbow ? "cbow" : "skipgram",
                    sub, got[0], got[1]);
            if (!(got[0] > 0.3 && got[1] > 0.3 && got[0] > got[1] - 0.05))
                FAILF("%s subwords %d: margin %.3f by window, %.3f by pair", cbow ? "cbow" : "skipgram", sub, got[0],
                      got[1]);
        }
    /* hs ignores -update: the same model either way */
    edl_wordvec *w[2] = {NULL, NULL};
    for (int u = 0; u < 2; u++) {
        edl_wordvec_args a;
        edl_wordvec_defaults(&a, 0);
        a.dim = 8, a.epoch = 1, a.thread = 1, a.min_count = 1, a.minn = a.maxn = 0, a.loss = EDL_TEXTCLF_HS;
        a.update = u ? EDL_WORDVEC_PAIR : EDL_WORDVEC_WINDOW;
        CHECK_OK(edl_wordvec_train(&w[u], corpus, &a, NULL));
    }
    float x[8], y[8];
    if (w[0] && w[1]) {
        CHECK_OK(edl_wordvec_word_vector(w[0], "a3", 2, x));
        CHECK_OK(edl_wordvec_word_vector(w[1], "a3", 2, y));
        CHECK_EQUAL_F(x, y, 8);
    }
    edl_wordvec_free(w[0]), edl_wordvec_free(w[1]);
    /* a vocabulary of two words ("a" and the line end), so every CBOW window holds both: the
       shared negatives are each some word's own, and those steps are left out (no endless
       redraw); skip-gram redraws only its one word */
    char tiny[96];
    snprintf(tiny, sizeof tiny, "%s/tiny.txt", dir);
    FILE *f = fopen(tiny, "w");
    for (int i = 0; f && i < 50; i++) fputs("a a a a a a\n", f);
    if (f) fclose(f);
    for (int cbow = 0; cbow < 2; cbow++) {
        edl_wordvec_args a;
        edl_wordvec_defaults(&a, cbow);
        a.dim = 8, a.epoch = 2, a.thread = 1, a.min_count = 1, a.minn = a.maxn = 0;
        edl_wordvec *tw = NULL;
        edl_wordvec_report rep;
        CHECK_OK(edl_wordvec_train(&tw, tiny, &a, &rep));
        CHECK(tw && rep.nwords == 2 && isfinite(rep.loss));
        edl_wordvec_free(tw);
    }
    /* an update that is neither is refused, named */
    edl_wordvec_args a;
    edl_wordvec_defaults(&a, 0);
    a.update = (edl_wordvec_update)7;
    edl_wordvec *bad = NULL;
    CHECK_STATUS(edl_wordvec_train(&bad, corpus, &a, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("-update 7");
    harness_remove_dir(dir);
}
