/* The training loop: it learns, it is bit-reproducible, it stops on NaN naming layer and step,
 * early stopping restores the best parameters; predictions are thread-safe. */
#include "harness.h"
#include "model/model.h"

#include <pthread.h>

/* Bags of word ids 0..29: words 10c..10c+9 mark class c; each example mixes 4 of its class's
   words with 2 random ones. */
static edl_dataset *make_bags(size_t n, uint64_t seed, int noise_labels) {
    edl_dataset *d = NULL;
    if (edl_dataset_create(&d, 0, 0) != EDL_OK) return NULL;
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    for (size_t e = 0; e < n; e++) {
        int64_t c = (int64_t)edl_rng_below(&rng, 3), idx[6];
        for (int i = 0; i < 4; i++) idx[i] = 10 * c + (int64_t)edl_rng_below(&rng, 10);
        for (int i = 4; i < 6; i++) idx[i] = (int64_t)edl_rng_below(&rng, 30);
        int64_t label = noise_labels ? (int64_t)edl_rng_below(&rng, 3) : c;
        edl_dataset_add_indices(d, idx, 6, label, NULL);
    }
    return d;
}

static int progress_calls, epoch_ends;
static void on_progress(const edl_progress *p, void *user) {
    (void)user;
    progress_calls++;
    epoch_ends += p->epoch_end;
}

TEST(training_learns) {
    edl_dataset *train = make_bags(600, 1, 0), *test = make_bags(300, 2, 0);
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=30,dim=8,pool=mean) dense(16,act=relu) dense(3)",
                                 EDL_INIT_TORCH, 3));
    if (!m || !train || !test) return;
    float loss0, acc0, loss, acc;
    CHECK_OK(edl_evaluate(m, test, &loss0, &acc0));
    edl_train_config c;
    edl_train_defaults(&c);
    c.epochs = 8, c.seed = 4, c.optim.lr = 0.02f;
    c.progress = on_progress, c.progress_seconds = 1e-9;
    progress_calls = epoch_ends = 0;
    edl_train_report r;
    CHECK_OK(edl_train(m, train, &c, &r));
    CHECK_OK(edl_evaluate(m, test, &loss, &acc));
    CHECK(acc > 0.95f && loss < 0.5f * loss0);
    CHECK(r.epochs_run == 8 && r.steps == 8 * ((600 + 31) / 32));
    CHECK(epoch_ends == 8 && progress_calls > 8);
    if (harness_failures)
        fprintf(stderr, "    accuracy %.3f (from %.3f), loss %.3f (from %.3f)\n", acc, acc0, loss, loss0);
    edl_model_free(m);
    edl_dataset_free(train);
    edl_dataset_free(test);
}

/* One thread and a seed: two runs give bit-identical model files, with dropout, shuffling and
   a validation split. */
TEST(training_is_reproducible) {
    set_threads(1);
    edl_dataset *d = make_bags(300, 5, 0);
    float *p[2] = {NULL, NULL};
    unsigned char *file[2] = {NULL, NULL};
    size_t np = 0, nf[2] = {0, 0};
    char dir[] = "/tmp/edl-repro-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    for (int run = 0; run < 2; run++) {
        edl_model *m = NULL;
        CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=30,dim=8) dense(16,act=relu) dropout(0.3) dense(3)",
                                     EDL_INIT_TORCH, 9));
        if (!m) return;
        edl_train_config c;
        edl_train_defaults(&c);
        c.epochs = 3, c.seed = 10, c.valid_split = 0.2f;
        CHECK_OK(edl_train(m, d, &c, NULL));
        np = m->nparams;
        p[run] = copy_floats(m->params, np);
        char path[64];
        snprintf(path, sizeof path, "%s/run%d.safetensors", dir, run);
        const char *k[1] = {"seed"}, *v[1] = {"10"};
        CHECK_OK(edl_model_save(m, path, k, v, 1));
        file[run] = read_file_bytes(path, &nf[run]);
        remove(path);
        edl_model_free(m);
    }
    remove(dir);
    CHECK(memcmp(p[0], p[1], np * sizeof(float)) == 0);
    CHECK(file[0] && file[1] && nf[0] > 1000 && nf[0] == nf[1] && memcmp(file[0], file[1], nf[0]) == 0);
    free(p[0]), free(p[1]), free(file[0]), free(file[1]);
    edl_dataset_free(d);
}

TEST(training_stops_on_nan) {
    edl_dataset *d = NULL;
    CHECK_OK(edl_dataset_create(&d, 2, 1));
    for (int i = 0; i < 64; i++) {
        float x[2] = {(float)i, (float)(i % 7)}, t = 1000.0f * (float)i;
        CHECK_OK(edl_dataset_add_features(d, x, 0, &t));
    }
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "input(2) dense(8,act=relu) dense(1) loss(mse)", EDL_INIT_TORCH, 1));
    if (!m || !d) return;
    edl_train_config c;
    edl_train_defaults(&c);
    edl_optim_defaults(&c.optim, EDL_OPT_SGD);
    c.optim.lr = 1e3f; /* diverges */
    c.epochs = 50;
    CHECK_STATUS(edl_train(m, d, &c, NULL), EDL_ERR_NUMERIC);
    CHECK_ERROR_HAS("step ");
    CHECK_ERROR_HAS("layer ");
    for (size_t i = 0; i < m->nparams; i++) CHECK(isfinite(m->params[i])); /* the last good step's */
    edl_model_free(m);
    edl_dataset_free(d);
}

/* Validation labels that are noise: validation loss rises as the model fits the training set;
   patience stops the run and the best epoch's parameters come back. */
TEST(early_stopping_restores_best) {
    edl_dataset *train = make_bags(300, 6, 0), *valid = make_bags(200, 7, 1);
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=30,dim=16) dense(32,act=relu) dense(3)", EDL_INIT_TORCH, 2));
    if (!m || !train || !valid) return;
    edl_train_config c;
    edl_train_defaults(&c);
    c.epochs = 40, c.seed = 1, c.patience = 2, c.valid = valid, c.optim.lr = 0.02f;
    edl_train_report r;
    CHECK_OK(edl_train(m, train, &c, &r));
    CHECK(r.epochs_run < 40);
    CHECK(r.best_epoch >= 1 && r.epochs_run == r.best_epoch + 2);
    float loss, acc;
    CHECK_OK(edl_evaluate(m, valid, &loss, &acc));
    CHECK(fabsf(loss - r.best_valid_loss) < 1e-6f);
    edl_model_free(m);
    edl_dataset_free(train);
    edl_dataset_free(valid);
}

TEST(training_data_errors) {
    edl_dataset *d = NULL;
    CHECK_OK(edl_dataset_create(&d, 0, 0));
    int64_t idx[2] = {3, 30};
    CHECK_OK(edl_dataset_add_indices(d, idx, 2, 1, NULL));
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=30,dim=4) dense(3)", EDL_INIT_TORCH, 1));
    edl_train_config c;
    edl_train_defaults(&c);
    CHECK_STATUS(edl_train(m, d, &c, NULL), EDL_ERR_INDEX);
    CHECK_ERROR_HAS("example 0: index 30 at position 1 is out of range [0, 30)");
    idx[1] = 2;
    CHECK_OK(edl_dataset_add_indices(d, idx, 2, 3, NULL));
    CHECK_STATUS(edl_train(m, d, &c, NULL), EDL_ERR_INDEX);
    edl_dataset_free(d);
    d = NULL;
    CHECK_OK(edl_dataset_create(&d, 0, 0));
    CHECK_OK(edl_dataset_add_indices(d, idx, 2, 3, NULL));
    CHECK_STATUS(edl_train(m, d, &c, NULL), EDL_ERR_INDEX);
    CHECK_ERROR_HAS("example 0: label 3 is out of range [0, 3)");
    CHECK_STATUS(edl_dataset_add_indices(d, (int64_t[]){-1}, 1, 0, NULL), EDL_ERR_INDEX);
    CHECK_STATUS(edl_dataset_add_features(d, (float[]){1}, 0, NULL), EDL_ERR_ARG);
    c.batch_size = 0;
    CHECK_STATUS(edl_train(m, d, &c, NULL), EDL_ERR_ARG);
    edl_model_free(m);
    edl_dataset_free(d);
}

/* Many threads predicting on one model at once get what one thread gets. */
typedef struct {
    const edl_model *m;
    const edl_batch *b;
    const float *want;
    size_t nout;
    int bad;
} predict_job;

static void *predict_many(void *arg) {
    predict_job *j = arg;
    float *out = malloc(j->nout * sizeof *out);
    for (int k = 0; k < 200; k++) {
        if (edl_model_predict(j->m, j->b, out) != EDL_OK || memcmp(out, j->want, j->nout * sizeof *out) != 0) j->bad++;
    }
    free(out);
    return NULL;
}

TEST(predict_is_thread_safe) {
    set_threads(1);
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=100,dim=16) dense(32,act=relu) dropout(0.5) dense(5)",
                                 EDL_INIT_TORCH, 1));
    if (!m) return;
    int64_t idx[64], off[16];
    for (int i = 0; i < 64; i++) idx[i] = (i * 37) % 100;
    for (int i = 0; i < 16; i++) off[i] = 4 * i;
    edl_batch b = {.n = 16, .idx = idx, .nidx = 64, .offsets = off};
    float want[16 * 5];
    CHECK_OK(edl_model_predict(m, &b, want));
    pthread_t th[4];
    predict_job jobs[4];
    for (int t = 0; t < 4; t++) {
        jobs[t] = (predict_job){m, &b, want, 16 * 5, 0};
        pthread_create(&th[t], NULL, predict_many, &jobs[t]);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CHECK(jobs[t].bad == 0);
    }
    edl_model_free(m);
}
