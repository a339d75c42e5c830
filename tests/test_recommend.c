/* Recommenders: ranking metrics against hand-computed values, each model's quality floor on
 * synthetic data with a planted structure, the model file, queries, reproducibility, and
 * errors (unknown ids, divergence, files that are not recommenders). */
#include "harness.h"
#include "rec/recommend.h"

#include <float.h>
#include <unistd.h>

static char dir[] = "/tmp/edl-rec-XXXXXX";
static int dir_made;

static void remove_dir(void) { harness_remove_dir(dir); }

/* A path in this file's temporary directory (made on first use, removed at exit). */
static const char *tmp(const char *name) {
    static char path[128];
    if (!dir_made && (dir_made = mkdtemp(dir) != NULL)) atexit(remove_dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* Synthetic data (seeded) split at random 10%: train, test and the generator's report. */
static int synth_split(float affinity, uint64_t seed, edl_ratings **train, edl_ratings **test, edl_synth_report *rep) {
    edl_synth_args a;
    edl_synth_defaults(&a);
    a.affinity = affinity, a.seed = seed;
    const char *path = tmp("synth.data");
    edl_ratings *all = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    int ok = edl_synth_ratings(path, &a, rep) == EDL_OK && edl_ratings_read(&all, path, &o, NULL) == EDL_OK &&
             edl_ratings_split(all, EDL_SPLIT_RANDOM, 0.1f, seed, train, test) == EDL_OK;
    edl_ratings_free(all);
    return ok;
}

/* Synthetic data (defaults but for its size) written to this file's directory as name, read back. */
static edl_ratings *synth_small(const char *name, size_t users, size_t items, size_t per_user) {
    edl_synth_args s;
    edl_synth_defaults(&s);
    s.users = users, s.items = items, s.per_user = per_user;
    edl_ratings *d = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    CHECK_OK(edl_synth_ratings(tmp(name), &s, NULL));
    CHECK_OK(edl_ratings_read(&d, tmp(name), &o, NULL));
    return d;
}

static edl_recommender *train_model(const edl_ratings *d, edl_rec_kind kind, size_t dim, int threads) {
    edl_rec_args a;
    edl_rec_defaults(&a, kind);
    a.dim = dim, a.thread = threads, a.seed = 7;
    edl_recommender *r = NULL;
    CHECK_OK(edl_rec_train(&r, d, &a, NULL));
    return r;
}

TEST(rank_metrics_hand_computed) {
    /* top 2 of the scores are items 0 and 3; item 3 is relevant, at rank 2 */
    const float s[5] = {0.9f, 0.1f, 0.5f, 0.7f, 0.3f};
    const uint8_t rel[5] = {0, 1, 0, 1, 0};
    double hr, ndcg, p, r, mrr, auc;
    CHECK_OK(edl_rank_metrics(s, rel, 5, 2, &hr, &ndcg, &p, &r, &mrr, &auc));
    double dcg = 1.0 / log2(3.0), idcg = 1.0 + 1.0 / log2(3.0);
    CHECK(hr == 1.0 && p == 0.5 && r == 0.5 && mrr == 0.5);
    CHECK(fabs(ndcg - dcg / idcg) < 1e-12);
    /* relevant 0.1 beats none of 0.9 0.5 0.3; relevant 0.7 beats 0.5 and 0.3: 2 of 6 pairs */
    CHECK(fabs(auc - 2.0 / 6.0) < 1e-12);
    /* k = 4: hits at ranks 1..4 = items 0 3 2 4 -> one hit at rank 2; recall still 1/2 */
    CHECK_OK(edl_rank_metrics(s, rel, 5, 4, &hr, &ndcg, &p, &r, &mrr, NULL));
    CHECK(p == 0.25 && r == 0.5 && mrr == 0.5);
    /* ties: the lower index ranks first, and ties count half in AUC */
    const float t[3] = {1, 1, 1};
    const uint8_t last[3] = {0, 0, 1}, first[3] = {1, 0, 0};
    CHECK_OK(edl_rank_metrics(t, last, 3, 1, &hr, NULL, NULL, NULL, &mrr, &auc));
    CHECK(hr == 0.0 && mrr == 0.0 && auc == 0.5);
    CHECK_OK(edl_rank_metrics(t, first, 3, 1, &hr, &ndcg, NULL, NULL, &mrr, NULL));
    CHECK(hr == 1.0 && ndcg == 1.0 && mrr == 1.0);
    /* the first relevant at rank 3 of k = 3 */
    const float u[4] = {4, 3, 2, 1};
    const uint8_t third[4] = {0, 0, 1, 1};
    CHECK_OK(edl_rank_metrics(u, third, 4, 3, &hr, &ndcg, &p, &r, &mrr, &auc));
    CHECK(fabs(mrr - 1.0 / 3.0) < 1e-12 && fabs(p - 1.0 / 3.0) < 1e-12 && r == 0.5 && auc == 0.0);
    CHECK(fabs(ndcg - (1.0 / 2.0) / (1.0 + 1.0 / log2(3.0))) < 1e-12);
    CHECK_STATUS(edl_rank_metrics(s, rel, 5, 0, &hr, NULL, NULL, NULL, NULL, NULL), EDL_ERR_ARG);
    CHECK_STATUS(edl_rank_metrics(NULL, rel, 5, 1, &hr, NULL, NULL, NULL, NULL, NULL), EDL_ERR_ARG);
}

/* mf closes >= 60% of the gap between the biases-only model and the noise floor. */
TEST(recommend_mf_quality_floor) {
    edl_ratings *train = NULL, *test = NULL;
    edl_synth_report rep;
    CHECK(synth_split(2.0f, 3, &train, &test, &rep));
    CHECK(rep.rows > 90000 && fabs(rep.noise_rmse - 0.5) < 0.01);
    edl_recommender *bias = train_model(train, EDL_REC_MF, 0, 2), *mf = train_model(train, EDL_REC_MF, 8, 2);
    edl_rec_metrics mb, mm;
    if (bias && mf) {
        CHECK_OK(edl_rec_evaluate(bias, test, 10, &mb));
        CHECK_OK(edl_rec_evaluate(mf, test, 10, &mm));
        double closed = (mb.rmse - mm.rmse) / (mb.rmse - rep.noise_rmse);
        fprintf(stderr, "    mf: biases RMSE %.4f, mf %.4f, floor %.4f: %.0f%% of the gap closed (MAE %.4f)\n", mb.rmse,
                mm.rmse, rep.noise_rmse, 100 * closed, mm.mae);
        CHECK(closed >= 0.60);
        CHECK(mm.mae < mb.mae && mm.n == edl_ratings_count(test) && mm.unknown + mm.users > 0);
    }
    edl_rec_free(bias), edl_rec_free(mf);
    edl_ratings_free(train), edl_ratings_free(test);
}

/* bpr and mlp beat popularity by a clear margin when choices follow affinity. At the
   generator's default affinity (2) choice is mostly popularity: there the planted model itself
   ranks only ~0.06 HR@10 above true popularity, so the test plants a stronger one (5). */
TEST(recommend_implicit_beats_popularity) {
    edl_ratings *train = NULL, *test = NULL;
    edl_synth_report rep;
    CHECK(synth_split(5.0f, 4, &train, &test, &rep));
    edl_recommender *pop = train_model(train, EDL_REC_POP, 0, 2), *bpr = train_model(train, EDL_REC_BPR, 32, 2);
    edl_recommender *mlp = train_model(train, EDL_REC_MLP, 32, 2);
    edl_rec_metrics mp, mb, mm;
    if (pop && bpr && mlp) {
        CHECK_OK(edl_rec_evaluate(pop, test, 10, &mp));
        CHECK_OK(edl_rec_evaluate(bpr, test, 10, &mb));
        CHECK_OK(edl_rec_evaluate(mlp, test, 10, &mm));
        fprintf(stderr, "    HR@10 / NDCG@10: pop %.4f / %.4f, bpr %.4f / %.4f, mlp %.4f / %.4f\n", mp.hr, mp.ndcg,
                mb.hr, mb.ndcg, mm.hr, mm.ndcg);
        CHECK(mb.hr > mp.hr + 0.04 && mb.ndcg > mp.ndcg * 1.25);
        CHECK(mm.hr > mp.hr + 0.04 && mm.ndcg > mp.ndcg * 1.25);
        CHECK(mb.users > 900 && mb.precision > 0 && mb.recall > 0 && mb.auc > 0.5 && mb.mrr > 0);
    }
    edl_rec_free(pop), edl_rec_free(bpr), edl_rec_free(mlp);
    edl_ratings_free(train), edl_ratings_free(test);
}

/* A tiny data set: user 10 has items 1 2 3, user 20 has 2 3 4, user 30 has 5. */
static edl_ratings *tiny(void) {
    edl_ratings *d = NULL;
    edl_ratings_create(&d);
    const int64_t u[7] = {10, 10, 10, 20, 20, 20, 30}, i[7] = {1, 2, 3, 2, 3, 4, 5};
    for (int k = 0; d && k < 7; k++) edl_ratings_add(d, u[k], i[k], (float)(1 + k % 5), k);
    return d;
}

/* The mlp's logit worked out from its parameters with plain loops: the dense layers over
   [p_u, q_i], plus b_i + <p_u, q_i> when r->dot. */
static double mlp_logit_by_hand(const edl_recommender *r, size_t u, size_t i) {
    double x[2 * 64 + 64], y[64];
    const size_t d = r->dim;
    size_t n = 2 * d;
    for (size_t j = 0; j < d; j++) x[j] = r->table[u * d + j], x[d + j] = r->table[(r->users + i) * d + j];
    for (size_t l = 0; l < r->ndense; l++) {
        const edl__rec_dense *D = &r->dense[l];
        for (size_t o = 0; o < D->out; o++) {
            double s = D->b[o];
            for (size_t k = 0; k < D->in; k++) s += (double)D->w[o * D->in + k] * x[k];
            y[o] = D->act == EDL_ACT_RELU && s < 0 ? 0 : s;
        }
        for (size_t o = 0; o < D->out; o++) x[o] = y[o];
        n = D->out;
    }
    double z = x[0];
    if (r->dot) {
        z += r->bias[r->users + i];
        for (size_t j = 0; j < d; j++) z += (double)r->table[u * d + j] * r->table[(r->users + i) * d + j];
    }
    return n == 1 ? z : NAN;
}

/* The mlp's two heads: with mlp_dot 1, the default (-1), the logit adds b_i + <p_u, q_i>
   (rec.mlp.dot in the file); with 0 the MLP alone (no rec.mlp.dot, as files before it). Scores
   match the parameters worked by hand before and after a save and load, and the dot's biases train. */
TEST(recommend_mlp_dot_head) {
    edl_ratings *d = tiny();
    for (int v = -1; v < 2 && d; v++) {
        edl_rec_args a;
        edl_rec_defaults(&a, EDL_REC_MLP);
        const int dot = v != 0;
        a.dim = 4, a.thread = 1, a.seed = 3, a.mlp_dot = v;
        edl_recommender *r = NULL, *l = NULL;
        CHECK_OK(edl_rec_train(&r, d, &a, NULL));
        const char *path = tmp("dot.safetensors");
        if (r) CHECK_OK(edl_rec_save(r, path));
        if (r) CHECK_OK(edl_rec_load(&l, path));
        if (!r || !l) {
            edl_rec_free(r), edl_rec_free(l);
            continue;
        }
        CHECK(r->dot == dot && l->dot == dot && (strstr(r->args, dot ? "dot=1" : "dot=0") != NULL));
        float biases = 0;
        for (size_t i = 0; i < r->items; i++) biases += fabsf(r->bias[r->users + i]);
        CHECK(dot ? biases > 0 : biases == 0);
        const int64_t users[3] = {10, 20, 30}, items[5] = {1, 2, 3, 4, 5};
        for (int u = 0; u < 3; u++)
            for (int i = 0; i < 5; i++) {
                float s1 = 0, s2 = 0;
                CHECK_OK(edl_rec_score(r, users[u], items[i], &s1));
                CHECK_OK(edl_rec_score(l, users[u], items[i], &s2));
                double want = 1.0 / (1.0 + exp(-mlp_logit_by_hand(r, (size_t)edl__idmap_get(&r->uid, users[u]),
                                                                  (size_t)edl__idmap_get(&r->iid, items[i]))));
                if (!(s1 == s2 && fabs(s1 - want) < 1e-5))
                    FAILF("dot %d: user %d item %d scores %g, loaded %g, by hand %g", dot, (int)users[u], (int)items[i],
                          (double)s1, (double)s2, want);
            }
        edl_rec_free(r), edl_rec_free(l);
    }
    edl_ratings_free(d);
}

/* The mlp's dense decay (mlp_decay): a strong one leaves the dense layers far smaller than none
   does (the rows' L2 and the dot term alike in both), and no dense value subnormal (they are
   flushed to zero below FLT_MIN); rec.args records it. */
TEST(recommend_mlp_dense_decay) {
    edl_ratings *d = tiny();
    double rms[2] = {0, 0};
    for (int k = 0; k < 2 && d; k++) {
        edl_rec_args a;
        edl_rec_defaults(&a, EDL_REC_MLP);
        a.dim = 4, a.thread = 1, a.seed = 3, a.epoch = 2000, a.mlp_decay = k ? 50.0f : 0.0f;
        edl_recommender *r = NULL;
        CHECK_OK(edl_rec_train(&r, d, &a, NULL));
        if (!r) continue;
        CHECK(strstr(r->args, k ? "dense_decay=50" : "dense_decay=0") != NULL);
        size_t n = 0, tiny_values = 0;
        for (size_t l = 0; l < r->ndense; l++) {
            const edl__rec_dense *D = &r->dense[l];
            for (size_t j = 0; j < D->in * D->out; j++, n++) {
                float w = D->w[j];
                rms[k] += (double)w * w;
                tiny_values += w != 0.0f && fabsf(w) < FLT_MIN;
            }
        }
        rms[k] = sqrt(rms[k] / (double)n);
        if (k) CHECK(tiny_values == 0);
        edl_rec_free(r);
    }
    fprintf(stderr, "    dense weights rms: no decay %.4g, decay 50 %.4g\n", rms[0], rms[1]);
    CHECK(rms[0] > 0.01 && rms[1] < rms[0] * 0.1);
    edl_ratings_free(d);
}

/* edl_rec_evaluate against values worked by hand: an mf that never moves (lr 0, biases only)
   predicts the training mean, and pop ranks by training counts (ties: the earlier item). */
TEST(recommend_evaluate_hand_computed) {
    edl_ratings *d = tiny(), *test = NULL; /* ratings 1 2 3 4 5 1 2: mean 18/7 */
    CHECK_OK(edl_ratings_create(&test));
    if (!d || !test) return;
    CHECK_OK(edl_ratings_add(test, 10, 4, 5.0f, 100)); /* user 10: unseen 4 5 (counts 1 1) */
    CHECK_OK(edl_ratings_add(test, 20, 5, 1.0f, 101)); /* user 20: unseen 1 5 (counts 1 1) */
    CHECK_OK(edl_ratings_add(test, 30, 9, 3.0f, 102)); /* item 9 is unknown */
    edl_rec_args a;
    edl_rec_defaults(&a, EDL_REC_MF);
    a.dim = 0, a.lr = 0.0f, a.epoch = 1, a.thread = 1;
    edl_recommender *mf = NULL, *pop = train_model(d, EDL_REC_POP, 4, 1);
    CHECK_OK(edl_rec_train(&mf, d, &a, NULL));
    edl_rec_metrics m;
    if (mf && pop) {
        CHECK_OK(edl_rec_evaluate(mf, test, 2, &m));
        double mean = 18.0 / 7.0, e1 = 5.0 - mean, e2 = 1.0 - mean;
        CHECK(m.n == 3 && m.unknown == 1 && m.users == 2);
        CHECK(fabs(m.rmse - sqrt((e1 * e1 + e2 * e2) / 2.0)) < 1e-5 &&
              fabs(m.mae - (fabs(e1) + fabs(e2)) / 2.0) < 1e-5);
        /* pop at k = 1: user 10's top is item 4 (a hit), user 20's item 1 (a miss): HR 1/2;
           at k = 2 user 20's item 5 is at rank 2: NDCG (1 + 1/log2 3) / 2, MRR (1 + 1/2) / 2 */
        CHECK_OK(edl_rec_evaluate(pop, test, 1, &m));
        CHECK(m.hr == 0.5 && m.precision == 0.5 && m.recall == 0.5 && isnan(m.rmse));
        CHECK_OK(edl_rec_evaluate(pop, test, 2, &m));
        CHECK(m.hr == 1.0 && fabs(m.ndcg - (1.0 + 1.0 / log2(3.0)) / 2.0) < 1e-12 && m.mrr == 0.75 &&
              m.precision == 0.5);
        CHECK(m.auc == 0.5); /* each user's one (relevant, other) pair is a tie: 1/2 */
    }
    edl_rec_free(mf), edl_rec_free(pop);
    edl_ratings_free(d), edl_ratings_free(test);
}

TEST(recommend_file_round_trip_and_queries) {
    edl_ratings *d = tiny();
    const edl_rec_kind kinds[4] = {EDL_REC_MF, EDL_REC_BPR, EDL_REC_MLP, EDL_REC_POP};
    for (int k = 0; k < 4 && d; k++) {
        edl_recommender *r = train_model(d, kinds[k], 4, 1), *l = NULL;
        if (!r) continue;
        const char *path = tmp("m.safetensors");
        CHECK_OK(edl_rec_save(r, path));
        CHECK_OK(edl_rec_load(&l, path));
        if (!l) {
            edl_rec_free(r);
            continue;
        }
        CHECK(edl_rec_kind_of(l) == kinds[k] && edl_rec_num_users(l) == 3 && edl_rec_num_items(l) == 5);
        float a = 0, b = 0;
        CHECK_OK(edl_rec_score(r, 20, 5, &a));
        CHECK_OK(edl_rec_score(l, 20, 5, &b));
        CHECK(a == b);
        int64_t items[5];
        float sc[5];
        size_t n = 0;
        /* user 10 has 1 2 3: the top never holds them, and is sorted */
        CHECK_OK(edl_rec_topk(l, 10, 5, 1, items, sc, &n));
        CHECK(n == 2);
        for (size_t j = 0; j < n; j++) CHECK(items[j] == 4 || items[j] == 5);
        CHECK(n < 2 || sc[0] >= sc[1]);
        CHECK_OK(edl_rec_topk(l, 10, 3, 0, items, sc, &n));
        CHECK(n == 3);
        if (kinds[k] == EDL_REC_POP) { /* items 2 and 3 have two records each */
            CHECK(items[0] == 2 && items[1] == 3);
            CHECK_STATUS(edl_rec_similar(l, 2, 3, items, sc, &n), EDL_ERR_UNSUPPORTED);
        } else {
            CHECK_OK(edl_rec_similar(l, 2, 10, items, sc, &n));
            CHECK(n == 4);
            for (size_t j = 0; j < n; j++) CHECK(items[j] != 2 && sc[j] <= 1.0001f && (j == 0 || sc[j] <= sc[j - 1]));
        }
        CHECK_STATUS(edl_rec_topk(l, 99, 3, 1, items, sc, &n), EDL_ERR_INDEX);
        CHECK_ERROR_HAS("user 99 is not in the model");
        CHECK_STATUS(edl_rec_similar(l, 77, 3, items, sc, &n), EDL_ERR_INDEX);
        CHECK_ERROR_HAS("item 77");
        edl_rec_free(r), edl_rec_free(l);
    }
    /* evaluation counts records of unknown users and items */
    edl_ratings *t = NULL;
    edl_ratings_create(&t);
    edl_ratings_add(t, 30, 1, 4, 0), edl_ratings_add(t, 99, 1, 4, 0), edl_ratings_add(t, 10, 99, 4, 0);
    edl_recommender *r = d ? train_model(d, EDL_REC_MF, 4, 1) : NULL;
    edl_rec_metrics m;
    if (r) {
        CHECK_OK(edl_rec_evaluate(r, t, 10, &m));
        CHECK(m.n == 3 && m.unknown == 2 && m.users == 1 && isfinite(m.rmse));
    }
    edl_rec_free(r), edl_ratings_free(t), edl_ratings_free(d);
}

/* A seed gives the same file at a given thread count: every model with one thread, and mf and
   bpr with several too (their threads run blocks that share no row); the mlp's dense layers are
   shared by its threads (Hogwild), so only its one-thread run is promised. */
TEST(recommend_reproducible_at_a_thread_count) {
    edl_ratings *d = synth_small("small.data", 200, 300, 30);
    const int threads[3] = {1, 2, 3};
    for (int k = 0; k < 3 && d; k++)
        for (int t = 0; t < 3; t++) {
            if (t > 0 && k == EDL_REC_MLP) continue;
            char a[128], b[128];
            for (int rep = 0; rep < 2; rep++) {
                edl_recommender *r = train_model(d, (edl_rec_kind)k, 8, threads[t]);
                snprintf(rep ? b : a, 128, "%s", tmp(rep ? "rep_b.safetensors" : "rep_a.safetensors"));
                if (r) CHECK_OK(edl_rec_save(r, rep ? b : a));
                edl_rec_free(r);
            }
            if (!harness_same_file(a, b)) FAILF("model %d differs between runs at %d threads", k, threads[t]);
        }
    edl_ratings_free(d);
}

/* The rate falls linearly to 0 over every batch of the run, at any thread count: at the end of
   epoch e of E it is about lr (1 - e/E), and 0 after the last batch, so the schedule's batches
   are counted without gaps (numbered with gaps, the last ones trained at a rate of 0). */
static void record_lr(const edl_progress *p, void *user) {
    float *lrs = user;
    if (p->epoch >= 1 && p->epoch <= 4) lrs[p->epoch - 1] = p->lr;
}

TEST(recommend_decay_and_thread_caps) {
    edl_ratings *d = synth_small("decay.data", 300, 400, 20);
    for (int k = 0; k < 3 && d; k++)
        for (int threads = 1; threads <= 3; threads++) {
            edl_rec_args a;
            edl_rec_defaults(&a, (edl_rec_kind)k);
            float lrs[4] = {-1, -1, -1, -1};
            a.dim = 4, a.epoch = 4, a.thread = threads, a.lr = 0.01f, a.progress = record_lr, a.user = lrs;
            edl_recommender *r = NULL;
            CHECK_OK(edl_rec_train(&r, d, &a, NULL));
            /* exact with one thread; with more, an epoch's batch count moves by a few as the
               groups are dealt anew (~24 batches an epoch here), but the last is exactly 0 */
            for (int e = 0; e < 4; e++)
                if (fabsf(lrs[e] - 0.01f * (1.0f - (float)(e + 1) / 4.0f)) > (threads == 1 || e == 3 ? 1e-7f : 3e-4f))
                    FAILF("model %d, %d threads: rate %g after epoch %d, want %g", k, threads, (double)lrs[e], e + 1,
                          0.01 * (1.0 - (e + 1) / 4.0));
            edl_rec_free(r);
        }
    /* a catalogue too small for a group of items a thread trains on fewer threads: the model
       records how many (tiny: 3 users, 5 items) */
    edl_ratings *t = tiny();
    /* mf: a group per user (3); bpr, mlp: 16 items a group (1); without OpenMP always 1 */
#ifdef _OPENMP
    const char *want[3] = {"threads=3", "threads=1", "threads=1"};
#else
    const char *want[3] = {"threads=1", "threads=1", "threads=1"};
#endif
    for (int k = 0; k < 3 && t; k++) {
        edl_recommender *r = train_model(t, (edl_rec_kind)k, 4, 8);
        CHECK(r != NULL);
        if (r) CHECK_OK(edl_rec_save(r, tmp("caps.safetensors")));
        edl_rec_free(r);
        r = NULL;
        CHECK_OK(edl_rec_load(&r, tmp("caps.safetensors")));
        const char *args = r ? edl_model_meta(edl_rec_model(r), "rec.args") : NULL;
        if (!args || !strstr(args, want[k])) FAILF("model %d: args '%s' lack %s", k, args ? args : "(none)", want[k]);
        edl_rec_free(r);
    }
    edl_ratings_free(t), edl_ratings_free(d);
}

TEST(recommend_errors) {
    edl_ratings *d = tiny(), *empty = NULL;
    edl_ratings_create(&empty);
    edl_rec_args a;
    edl_recommender *r = NULL;
    edl_rec_defaults(&a, EDL_REC_MF);
    CHECK_STATUS(edl_rec_train(&r, empty, &a, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("no training records");
    a.batch = 0;
    CHECK_STATUS(edl_rec_train(&r, d, &a, NULL), EDL_ERR_ARG);
    edl_rec_defaults(&a, EDL_REC_BPR);
    a.dim = 0;
    CHECK_STATUS(edl_rec_train(&r, d, &a, NULL), EDL_ERR_ARG);
    edl_rec_defaults(&a, EDL_REC_MLP);
    a.mlp_decay = NAN;
    CHECK_STATUS(edl_rec_train(&r, d, &a, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("mlp_decay");
    /* a learning rate that diverges stops training, naming the layer and the step */
    for (int k = 0; k < 3; k++) {
        edl_rec_defaults(&a, (edl_rec_kind)k);
        a.lr = 1e30f, a.optimizer = EDL_OPT_SGD, a.epoch = 50, a.thread = 2;
        CHECK_STATUS(edl_rec_train(&r, d, &a, NULL), EDL_ERR_NUMERIC);
        CHECK_ERROR_HAS("non-finite at step");
        CHECK(r == NULL);
    }
    /* a model file that is not a recommender, and a damaged one */
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding(rows=8,dim=2,len=2,pool=flatten) loss(mse)", EDL_INIT_TORCH, 1));
    CHECK_OK(edl_model_save(m, tmp("plain.safetensors"), NULL, NULL, 0));
    edl_model_free(m);
    CHECK_STATUS(edl_rec_load(&r, tmp("plain.safetensors")), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("not an edl recommender");
    edl_recommender *ok = train_model(d, EDL_REC_MF, 2, 1);
    if (ok) {
        CHECK_OK(edl_rec_save(ok, tmp("cut.safetensors")));
        FILE *f = fopen(tmp("cut.safetensors"), "rb");
        long len = 0;
        if (f) fseek(f, 0, SEEK_END), len = ftell(f), fclose(f);
        CHECK(len > 100 && truncate(tmp("cut.safetensors"), len - 9) == 0);
        CHECK_STATUS(edl_rec_load(&r, tmp("cut.safetensors")), EDL_ERR_FORMAT);
        CHECK(r == NULL);
    }
    edl_rec_free(ok), edl_ratings_free(d), edl_ratings_free(empty);
    CHECK_STATUS(edl_rec_load(&r, tmp("missing.safetensors")), EDL_ERR_IO);
}

/* A recommender file written by hand, with rec.seen_offsets as given (2 users, 2 items). */
static edl_status hand_made(const int64_t off[3], const char *format) {
    edl_model *m = NULL;
    edl_status s = edl_model_from_spec(&m, "embedding(rows=4,dim=2,len=2,pool=flatten) loss(bce)", EDL_INIT_TORCH, 1);
    const float bias[5] = {0};
    const int64_t uids[2] = {5, 6}, iids[2] = {7, 8}, seen[2] = {0, 1}, count[2] = {1, 1};
    const char *keys[5] = {"rec.format", "rec.model", "rec.users", "rec.items", "rec.dim"};
    const char *vals[5] = {format, "bpr", "2", "2", "2"};
    const edl_tensor x[6] = {
        {"rec.bias", EDL_DTYPE_F32, 1, {5, 0}, bias},       {"rec.user_ids", EDL_DTYPE_I64, 1, {2, 0}, uids},
        {"rec.item_ids", EDL_DTYPE_I64, 1, {2, 0}, iids},   {"rec.seen_offsets", EDL_DTYPE_I64, 1, {3, 0}, off},
        {"rec.seen_items", EDL_DTYPE_I64, 1, {2, 0}, seen}, {"rec.item_count", EDL_DTYPE_I64, 1, {2, 0}, count},
    };
    if (s == EDL_OK) s = edl_model_save_ex(m, tmp("hand.safetensors"), keys, vals, 5, x, 6);
    edl_model_free(m);
    edl_recommender *r = NULL;
    if (s == EDL_OK) s = edl_rec_load(&r, tmp("hand.safetensors"));
    edl_rec_free(r);
    return s;
}

/* Defects a review found, each kept from coming back. */
TEST(recommend_hostile_files_and_arguments) {
    const int64_t good[3] = {0, 1, 2}, jump[3] = {0, 1000000, 2}, down[3] = {0, 2, 1};
    CHECK_OK(hand_made(good, "1"));
    CHECK_STATUS(hand_made(jump, "1"), EDL_ERR_FORMAT); /* an offset past the items, read before the check */
    CHECK_ERROR_HAS("rec.seen_offsets[1] = 1000000");
    CHECK_STATUS(hand_made(down, "1"), EDL_ERR_FORMAT);
    CHECK_STATUS(hand_made(good, "2"), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("rec.format");
    edl_ratings *d = tiny();
    edl_recommender *pop = d ? train_model(d, EDL_REC_POP, 0, 1) : NULL; /* its defaults were read past a table */
    if (pop) {
        int64_t items[8];
        float sc[8];
        size_t n = 0;
        CHECK_OK(edl_rec_topk(pop, 10, SIZE_MAX / 4, 0, items, sc, &n)); /* k beyond the items is clamped */
        CHECK(n == 5);
    }
    edl_rec_free(pop);
    /* a pair twice through the API, and a rating that is not finite */
    CHECK_OK(edl_ratings_add(d, 10, 1, 3.0f, 9));
    edl_rec_args a;
    edl_rec_defaults(&a, EDL_REC_MF);
    edl_recommender *r = NULL;
    CHECK_STATUS(edl_rec_train(&r, d, &a, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("user 10 has item 1 twice");
    CHECK_STATUS(edl_ratings_add(d, 1, 1, NAN, 0), EDL_ERR_NUMERIC);
    edl_ratings_free(d);
    edl_synth_args sa;
    edl_synth_defaults(&sa);
    sa.users = 1, sa.items = 1, sa.rank = (size_t)1 << 62;
    CHECK_STATUS(edl_synth_ratings(tmp("never.data"), &sa, NULL), EDL_ERR_ARG);
}

/* A recommender file cut at every byte: every prefix fails cleanly, naming the file. */
TEST(recommend_file_truncated_at_every_byte) {
    edl_ratings *d = tiny();
    edl_recommender *r = d ? train_model(d, EDL_REC_MLP, 2, 1) : NULL;
    char whole[128], cut[128];
    snprintf(whole, sizeof whole, "%s", tmp("whole.safetensors"));
    snprintf(cut, sizeof cut, "%s", tmp("cut.safetensors"));
    if (r) CHECK_OK(edl_rec_save(r, whole));
    FILE *f = fopen(whole, "rb");
    unsigned char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0, clean = 0;
    if (f) fclose(f);
    CHECK(n > 500 && n < sizeof buf);
    for (size_t k = 0; k < n; k++) {
        FILE *g = fopen(cut, "wb");
        if (!g) break;
        fwrite(buf, 1, k, g), fclose(g);
        edl_recommender *l = NULL;
        edl_status s = edl_rec_load(&l, cut);
        if (s == EDL_OK) FAILF("a file cut to %zu of %zu bytes loaded", k, n);
        clean += s != EDL_OK && strstr(edl_last_error(), cut) != NULL;
        edl_rec_free(l);
    }
    CHECK(clean == n);
    edl_rec_free(r), edl_ratings_free(d);
}

/* The negative sampler's two ways of knowing a user's items, a bit for every (user, item) and the
   Bloom filter with the exact search behind it: the same draws and the same answers (the
   trainer takes whichever is smaller; its models must not depend on which), no negative is the
   user's own, and every other item comes up about equally often. */
TEST(recommend_negatives_same_with_pair_bits_and_filter) {
    edl_ratings *d = synth_small("neg.data", 300, 200, 40); /* dense: 20% of the pairs */
    edl_recommender *r = d ? train_model(d, EDL_REC_POP, 0, 1) : NULL;
    enum { N = 60000 };
    int64_t *users = malloc(N * sizeof *users), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    if (r && users && a && b) {
        const size_t U = edl_rec_num_users(r), I = edl_rec_num_items(r);
        for (size_t k = 0; k < N; k++) users[k] = (int64_t)((k / 4) % U); /* four a user in a row, as bpr's */
        CHECK_OK(edl__rec_sample_negatives(r, 1, 11, users, N, a));
        CHECK_OK(edl__rec_sample_negatives(r, 0, 11, users, N, b));
        CHECK(memcmp(a, b, N * sizeof *a) == 0);
        size_t own = 0, *count = calloc(I, sizeof *count);
        for (size_t k = 0; k < N && count; k++) {
            own += edl__rec_seen(r, (size_t)users[k], a[k]) != 0;
            if (a[k] >= 0 && (size_t)a[k] < I) count[a[k]]++;
        }
        CHECK(own == 0); /* 16 draws of a user with 20% of the items all seen: 1e-11 */
        if (count) {     /* user 0's negatives only: uniform over the items user 0 has not seen */
            size_t *c0 = calloc(I, sizeof *c0), n0 = 0, free_items = 0;
            for (size_t k = 0; k < N && c0; k++)
                if (users[k] == 0) c0[a[k]]++, n0++;
            double chi = 0.0;
            for (size_t i = 0; c0 && i < I; i++) free_items += !edl__rec_seen(r, 0, (int64_t)i);
            for (size_t i = 0; c0 && i < I; i++)
                if (!edl__rec_seen(r, 0, (int64_t)i)) {
                    double want = (double)n0 / (double)free_items;
                    chi += ((double)c0[i] - want) * ((double)c0[i] - want) / want;
                }
            CHECK(n0 > 0 && chi < (double)(free_items - 1) + 6.0 * sqrt(2.0 * (double)(free_items - 1)));
            free(c0);
        }
        free(count);
    }
    free(users), free(a), free(b);
    edl_rec_free(r);
    edl_ratings_free(d);
}
