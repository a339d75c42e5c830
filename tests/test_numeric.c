/* Numeric faults: a learning rate that diverges stops every trainer with EDL_ERR_NUMERIC, naming
 * the layer and the step, at one thread and at several, and leaves no model behind. */
#include "harness.h"

#include <unistd.h>

static const char *text_file(void) {
    static char path[] = "/tmp/edl-numeric-XXXXXX";
    static int made;
    if (!made) {
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        for (int i = 0; f && i < 200; i++)
            fprintf(f, "__label__%c %s w%d w%d common words here\n", i % 2 ? 'a' : 'b', i % 2 ? "good fine" : "bad poor", i % 7, i % 5);
        if (f) fclose(f);
        made = f != NULL;
    }
    return path;
}

TEST(diverging_lr_stops_every_trainer) {
    for (int threads = 1; threads <= 2; threads++) {
        /* fastText's algorithm, then the mini-batch one */
        for (int batch = 0; batch <= 1; batch++) {
            edl_textclf_args a;
            edl_textclf_defaults(&a);
            a.dim = 8, a.epoch = 5, a.thread = threads, a.lr = 1e30f, a.batch = batch ? 8 : 0;
            if (batch) a.optimizer = EDL_OPT_SGD;
            edl_textclf *c = NULL;
            edl_textclf_report r;
            CHECK_STATUS(edl_textclf_train(&c, text_file(), &a, &r), EDL_ERR_NUMERIC);
            CHECK_ERROR_HAS("layer");
            CHECK(strstr(edl_last_error(), "step") || strstr(edl_last_error(), "token"));
            CHECK(c == NULL);
        }
        for (int cbow = 0; cbow <= 1; cbow++) {
            edl_wordvec_args a;
            edl_wordvec_defaults(&a, cbow);
            a.dim = 8, a.epoch = 5, a.thread = threads, a.lr = 1e30f, a.min_count = 1, a.maxn = 0;
            edl_wordvec *w = NULL;
            edl_wordvec_report r;
            CHECK_STATUS(edl_wordvec_train(&w, text_file(), &a, &r), EDL_ERR_NUMERIC);
            CHECK_ERROR_HAS("layer");
            CHECK_ERROR_HAS("at token");
            CHECK(w == NULL);
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
            CHECK_STATUS(edl_train(m, d, &tc, &tr), EDL_ERR_NUMERIC);
            CHECK_ERROR_HAS("layer");
            CHECK_ERROR_HAS("step");
        }
        edl_model_free(m), edl_dataset_free(d);
    }
    unlink(text_file());
}
