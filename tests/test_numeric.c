/* Numeric faults: a learning rate that diverges stops every trainer with EDL_ERR_NUMERIC, naming
 * the layer and the step, at one thread and at two, and leaves no model behind. Eight trainers:
 * the fastText-style and the mini-batch text classifier, skip-gram, CBOW, edl_train, and the mf,
 * bpr and mlp recommenders. */
#include "harness.h"

#include <unistd.h>

static const char *text_file(void) {
    static char path[] = "/tmp/edl-numeric-XXXXXX";
    static int made;
    if (!made) {
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        for (int i = 0; f && i < 200; i++)
            fprintf(f, "__label__%c %s w%d w%d common words here\n", i % 2 ? 'a' : 'b',
                    i % 2 ? "good fine" : "bad poor", i % 7, i % 5);
        if (f) fclose(f);
        made = f != NULL;
    }
    return path;
}

/* 30 users x 30 items, 8 ratings each: enough blocks for two recommender threads. */
static edl_ratings *ratings(void) {
    edl_ratings *d = NULL;
    edl_ratings_create(&d);
    for (int u = 0; d && u < 30; u++)
        for (int k = 0; k < 8; k++) edl_ratings_add(d, u, (u * 7 + k * 11) % 30, (float)(1 + (u + k) % 5), k);
    return d;
}

TEST(diverging_lr_stops_every_trainer) {
    int stopped = 0;
    for (int threads = 1; threads <= 2; threads++) {
        set_threads(threads); /* the kernels' OpenMP threads; trainers with a thread count get it too */
        /* fastText's algorithm, then the mini-batch one */
        for (int batch = 0; batch <= 1; batch++) {
            edl_textclf_args a;
            edl_textclf_defaults(&a);
            a.dim = 8, a.epoch = 5, a.thread = threads, a.lr = 1e30f, a.batch = batch ? 8 : 0;
            if (batch) a.optimizer = EDL_OPT_SGD;
            edl_textclf *c = NULL;
            edl_textclf_report r;
            edl_status s = edl_textclf_train(&c, text_file(), &a, &r);
            if (s != EDL_ERR_NUMERIC)
                FAILF("text classifier (batch %d) at %d threads: status %d: %s", batch, threads, s, edl_last_error());
            CHECK_ERROR_HAS("layer");
            CHECK(strstr(edl_last_error(), "step") || strstr(edl_last_error(), "token"));
            CHECK(c == NULL);
            stopped += s == EDL_ERR_NUMERIC;
        }
        for (int cbow = 0; cbow <= 1; cbow++) {
            edl_wordvec_args a;
            edl_wordvec_defaults(&a, cbow);
            a.dim = 8, a.epoch = 5, a.thread = threads, a.lr = 1e30f, a.min_count = 1, a.maxn = 0;
            edl_wordvec *w = NULL;
            edl_wordvec_report r;
            edl_status s = edl_wordvec_train(&w, text_file(), &a, &r);
            if (s != EDL_ERR_NUMERIC)
                FAILF("%s at %d threads: status %d: %s", cbow ? "cbow" : "skip-gram", threads, s, edl_last_error());
            CHECK_ERROR_HAS("layer");
            CHECK_ERROR_HAS("at token");
            CHECK(w == NULL);
            stopped += s == EDL_ERR_NUMERIC;
        }
        /* the general trainer */
        edl_dataset *d = NULL;
        CHECK_OK(edl_dataset_create(&d, 0, 0));
        for (int i = 0; d && i < 64; i++) {
            const int64_t idx[2] = {i % 5, 5 + i % 3};
            edl_dataset_add_indices(d, idx, 2, i % 2, NULL);
        }
        edl_model *m = NULL;
        CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=8,dim=4) dense(8,act=relu) dense(2)", EDL_INIT_TORCH, 1));
        edl_train_config tc;
        edl_train_defaults(&tc);
        edl_optim_defaults(&tc.optim, EDL_OPT_SGD);
        tc.optim.lr = 1e30f, tc.epochs = 5;
        edl_train_report tr;
        if (m && d) {
            edl_status s = edl_train(m, d, &tc, &tr);
            if (s != EDL_ERR_NUMERIC) FAILF("edl_train at %d threads: status %d: %s", threads, s, edl_last_error());
            CHECK_ERROR_HAS("layer");
            CHECK_ERROR_HAS("step");
            stopped += s == EDL_ERR_NUMERIC;
        }
        edl_model_free(m), edl_dataset_free(d);
        /* the recommenders (their message's wording is tests/test_recommend.c's to check) */
        edl_ratings *rd = ratings();
        for (int k = 0; rd && k < 3; k++) {
            edl_rec_args ra;
            edl_rec_defaults(&ra, (edl_rec_kind)k);
            ra.dim = 8, ra.lr = 1e30f, ra.optimizer = EDL_OPT_SGD, ra.epoch = 20, ra.batch = 16, ra.thread = threads;
            edl_recommender *r = NULL;
            edl_status s = edl_rec_train(&r, rd, &ra, NULL);
            if (s != EDL_ERR_NUMERIC)
                FAILF("recommender %d at %d threads: status %d: %s", k, threads, s, edl_last_error());
            CHECK(edl_last_error()[0] != '\0');
            CHECK(r == NULL);
            edl_rec_free(r);
            stopped += s == EDL_ERR_NUMERIC;
        }
        edl_ratings_free(rd);
    }
    fprintf(stderr, "    8 trainers x 2 thread counts: %d of 16 runs stopped with EDL_ERR_NUMERIC\n", stopped);
    CHECK(stopped == 16);
    unlink(text_file());
}
