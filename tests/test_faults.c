/* Allocation-failure injection (as SQLite's malloc tests): the test binary is linked with
 * -Wl,--wrap for malloc, calloc, realloc, free, strdup and posix_memalign, so every allocation the
 * library (and these tests) make passes through the wrappers below. Armed with k, the k-th
 * allocation from then on fails. Each scenario (loading every file format, MovieLens u.data,
 * ratings.dat and ratings.csv included, building a model, training steps of every trainer,
 * saving) is run for k = 1, 2, ... until it completes without reaching k: every run that met a
 * failure must return EDL_ERR_NOMEM, never crash, and leave no allocation behind (the wrappers
 * track live pointers). */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

/* ---- the allocator hook: a countdown and a set of live pointers ---------------------------- */

static atomic_long countdown; /* > 0: armed; the allocation that takes it to 0 fails */
static atomic_long injected;  /* failures injected since arming */
static atomic_int tracking;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
#define SLOTS ((size_t)1 << 20)
static void **live; /* open addressing; NULL empty, (void *)1 deleted */
static size_t nlive;

static size_t slot_of(const void *p) {
    return (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> 44) & (SLOTS - 1);
}

static void track(void *p) {
    if (!p || !atomic_load(&tracking)) return;
    pthread_mutex_lock(&lock);
    size_t s = slot_of(p);
    while (live[s] && live[s] != (void *)1) s = (s + 1) & (SLOTS - 1);
    live[s] = p, nlive++;
    pthread_mutex_unlock(&lock);
}

static void untrack(void *p) {
    if (!p || !live) return;
    pthread_mutex_lock(&lock);
    for (size_t s = slot_of(p); live[s]; s = (s + 1) & (SLOTS - 1))
        if (live[s] == p) {
            live[s] = (void *)1, nlive--;
            break;
        }
    pthread_mutex_unlock(&lock);
}

static int should_fail(void) {
    if (atomic_load(&countdown) <= 0) return 0;
    if (atomic_fetch_sub(&countdown, 1) == 1) {
        atomic_fetch_add(&injected, 1);
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) {
    if (should_fail()) return NULL;
    void *p = __real_malloc(n);
    track(p);
    return p;
}
void *__wrap_calloc(size_t n, size_t s) {
    if (should_fail()) return NULL;
    void *p = __real_calloc(n, s);
    track(p);
    return p;
}
void *__wrap_realloc(void *p, size_t n) {
    if (should_fail()) return NULL;
    void *q = __real_realloc(p, n);
    if (q) untrack(p), track(q);
    return q;
}
void __wrap_free(void *p) {
    untrack(p);
    __real_free(p);
}
char *__wrap_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
    if (should_fail()) return 12; /* ENOMEM */
    int r = __real_posix_memalign(p, a, n);
    if (r == 0) track(*p);
    return r;
}
void *__wrap_aligned_alloc(size_t a, size_t n) {
    if (should_fail()) return NULL;
    void *p = __real_aligned_alloc(a, n);
    track(p);
    return p;
}

/* ---- scenarios ---------------------------------------------------------------------------- */

static char dir[] = "/tmp/edl-fault-XXXXXX";

static const char *path_of(const char *name) {
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void put(const char *name, const char *text) {
    FILE *f = fopen(path_of(name), "wb");
    if (f) fputs(text, f), fclose(f);
}

typedef edl_status (*scenario)(void);

static edl_status load_model(void) {
    edl_model *m = NULL;
    edl_status s = edl_model_load(&m, path_of("model.safetensors"));
    edl_model_free(m);
    return s;
}

static edl_status vectors_each(const char *name) {
    edl_vectors *v = NULL;
    edl_status s = edl_vectors_read(&v, path_of(name), EDL_VEC_AUTO);
    edl_vectors_free(v);
    return s;
}
static edl_status load_vec_text(void) { return vectors_each("v.vec"); }
static edl_status load_vec_glove(void) { return vectors_each("v.txt"); }
static edl_status load_vec_bin(void) { return vectors_each("v.bin"); }
static edl_status load_vec_safetensors(void) { return vectors_each("v.safetensors"); }

static edl_status load_dataset(void) {
    edl_dataset *d = NULL;
    edl_status s = edl_dataset_load_text(&d, path_of("data.txt"), 0, 0);
    edl_dataset_free(d);
    return s;
}

static edl_status load_ratings(void) {
    edl_ratings *r = NULL, *a = NULL, *b = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    edl_status s = edl_ratings_read(&r, path_of("u.data"), &o, NULL);
    if (s == EDL_OK) s = edl_ratings_split(r, EDL_SPLIT_LAST, 0, 1, &a, &b);
    edl_ratings_free(r), edl_ratings_free(a), edl_ratings_free(b);
    return s;
}

/* MovieLens ratings.dat ("::") and ratings.csv (a header), each format found by content, one
   bad row skipped and counted, then a random split. */
static edl_status ratings_each(const char *name) {
    edl_ratings *r = NULL, *a = NULL, *b = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    o.skip_bad = 1;
    edl_ratings_report rep;
    edl_status s = edl_ratings_read(&r, path_of(name), &o, &rep);
    if (s == EDL_OK && (rep.rows != 5 || rep.skipped != 1))
        FAILF("%s: %zu rows, %zu skipped; want 5 and 1", name, rep.rows, rep.skipped);
    if (s == EDL_OK) s = edl_ratings_split(r, EDL_SPLIT_RANDOM, 0.4f, 1, &a, &b);
    edl_ratings_free(r), edl_ratings_free(a), edl_ratings_free(b);
    return s;
}
static edl_status load_ratings_dat(void) { return ratings_each("ratings.dat"); }
static edl_status load_ratings_csv(void) { return ratings_each("ratings.csv"); }

/* A model from a spec, an optimizer, two training steps, a save and a prediction. */
static edl_status model_train_step(void) {
    edl_model *m = NULL;
    edl_optim *o = NULL;
    const int64_t idx[6] = {1, 2, 3, 0, 4, 2}, off[2] = {0, 3}, labels[2] = {1, 0};
    edl_batch b = {2, NULL, idx, 6, off, NULL, labels, NULL};
    edl_optim_config c;
    edl_optim_defaults(&c, EDL_OPT_ADAM);
    float loss, prob[4];
    edl_status s =
        edl_model_from_spec(&m, "embedding_bag(rows=8,dim=4,pool=mean) dense(6,act=relu) dense(2)", EDL_INIT_TORCH, 1);
    if (s == EDL_OK) s = edl_optim_create(&o, m, &c);
    for (int k = 0; s == EDL_OK && k < 2; k++) {
        s = edl_model_forward_backward(m, &b, NULL, &loss);
        if (s == EDL_OK) s = edl_optim_step(o, 1e-3f);
    }
    if (s == EDL_OK) s = edl_model_predict(m, &b, prob);
    if (s == EDL_OK) s = edl_model_save(m, path_of("saved.safetensors"), NULL, NULL, 0);
    edl_optim_free(o), edl_model_free(m);
    return s;
}

static edl_status model_train_loop(void) {
    edl_model *m = NULL;
    edl_dataset *d = NULL;
    edl_train_config c;
    edl_train_defaults(&c);
    c.epochs = 2, c.batch_size = 2, c.valid_split = 0.25f;
    edl_train_report r;
    edl_status s = edl_dataset_load_text(&d, path_of("data.txt"), 0, 0);
    if (s == EDL_OK) s = edl_model_from_spec(&m, "embedding_bag(rows=6,dim=3) dense(3)", EDL_INIT_TORCH, 2);
    if (s == EDL_OK) s = edl_train(m, d, &c, &r);
    edl_model_free(m), edl_dataset_free(d);
    return s;
}

static edl_status textclf_train_save_load(void) {
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    a.dim = 4, a.epoch = 2, a.thread = 1, a.word_ngrams = 2, a.bucket = 64;
    edl_textclf *c = NULL, *l = NULL;
    edl_textclf_report r;
    edl_status s = edl_textclf_train(&c, path_of("text.txt"), &a, &r);
    if (s == EDL_OK) s = edl_textclf_save(c, path_of("clf.safetensors"));
    if (s == EDL_OK) s = edl_textclf_load(&l, path_of("clf.safetensors"));
    int64_t lab[2];
    float p[2];
    size_t n;
    if (s == EDL_OK) s = edl_textclf_predict(l, "good fine", 9, 2, 0, lab, p, &n);
    edl_textclf_free(c), edl_textclf_free(l);
    return s;
}

static edl_status wordvec_train(void) {
    edl_wordvec_args a;
    edl_wordvec_defaults(&a, 0);
    a.dim = 4, a.epoch = 1, a.thread = 1, a.min_count = 1, a.bucket = 32;
    edl_wordvec *w = NULL;
    edl_vectors *v = NULL;
    edl_wordvec_report r;
    edl_status s = edl_wordvec_train(&w, path_of("text.txt"), &a, &r);
    if (s == EDL_OK) s = edl_wordvec_vectors(w, &v);
    edl_vectors_free(v), edl_wordvec_free(w);
    return s;
}

static edl_status recommend_train_save_load(void) {
    edl_ratings *d = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    edl_recommender *r = NULL, *l = NULL;
    edl_rec_metrics m;
    edl_status s = edl_ratings_read(&d, path_of("u.data"), &o, NULL);
    for (int k = 0; s == EDL_OK && k < 3; k++) {
        edl_rec_args a;
        edl_rec_defaults(&a, (edl_rec_kind)k);
        a.dim = 3, a.epoch = 2, a.thread = 1, a.batch = 4;
        s = edl_rec_train(&r, d, &a, NULL);
        if (s == EDL_OK) s = edl_rec_save(r, path_of("rec.safetensors"));
        if (s == EDL_OK) s = edl_rec_load(&l, path_of("rec.safetensors"));
        if (s == EDL_OK) s = edl_rec_evaluate(l, d, 3, &m);
        edl_rec_free(r), edl_rec_free(l);
        r = l = NULL;
    }
    edl_ratings_free(d);
    return s;
}

/* A medium dense layer through the public calls: the backward's blocks' sums and each thread's
   block of g are allocated (300 x 64 -> 200: a block's g of 128 x 200 floats is past the stack's
   share); a failure leaves dW and the bias gradient as they were. */
static edl_status dense_blocked_public(void) {
    enum { B = 300, I = 64, O = 200 };
    static float x[B * I], w[O * I], b[O], y[B * O], dy[B * O], dx[B * I], dw[O * I], db[O];
    for (int i = 0; i < B * I; i++) x[i] = (float)((i * 37) % 23) / 23.0f - 0.5f;
    for (int i = 0; i < O * I; i++) w[i] = (float)((i * 11) % 17) / 170.0f - 0.05f, dw[i] = 0.25f;
    for (int i = 0; i < B * O; i++) dy[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    for (int i = 0; i < O; i++) b[i] = (float)(i % 5) / 10.0f - 0.2f, db[i] = 0.5f;
    edl_status s = edl_dense_forward(y, x, B, I, O, w, b, EDL_ACT_RELU);
    if (s != EDL_OK) return s;
    s = edl_dense_backward(dx, dw, db, dy, x, y, B, I, O, w, EDL_ACT_RELU);
    if (s != EDL_OK)
        for (int i = 0; i < O * I; i++)
            if (dw[i] != 0.25f || (i < O && db[i] != 0.5f)) {
                FAILF("dense backward failed (%s) but changed dW or the bias gradient", edl_last_error());
                break;
            }
    return s;
}

static edl_status projections(void) {
    float x[40 * 3], y[40 * 2];
    for (int i = 0; i < 40 * 3; i++) x[i] = (float)((i * 37) % 11) + (float)(i / 30);
    edl_tsne_args a;
    edl_tsne_defaults(&a);
    a.perplexity = 5, a.iterations = 20;
    edl_status s = edl_pca(y, NULL, x, 40, 3, 2);
    if (s == EDL_OK) s = edl_tsne(y, x, 40, 3, &a);
    a.exact_below = 0;
    if (s == EDL_OK) s = edl_tsne(y, x, 40, 3, &a);
    return s;
}

static void make_files(void) {
    edl_model *m = NULL;
    if (edl_model_from_spec(&m, "embedding_bag(rows=8,dim=4) dense(6,act=relu) dense(2)", EDL_INIT_TORCH, 1) == EDL_OK)
        edl_model_save(m, path_of("model.safetensors"), NULL, NULL, 0);
    edl_model_free(m);
    const char *words[3] = {"alpha", "beta", "gamma"};
    const float data[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    edl_vectors *v = NULL;
    if (edl_vectors_create(&v, words, data, 3, 3) == EDL_OK) {
        edl_vectors_write(v, path_of("v.vec"), EDL_VEC_TEXT);
        edl_vectors_write(v, path_of("v.txt"), EDL_VEC_GLOVE);
        edl_vectors_write(v, path_of("v.bin"), EDL_VEC_BINARY);
        edl_vectors_write(v, path_of("v.safetensors"), EDL_VEC_SAFETENSORS);
    }
    edl_vectors_free(v);
    put("data.txt", "0 1 2\n1 3 4 5\n2 0 1\n0 2\n1 4\n2 5 5\n0 1\n1 3\n");
    put("u.data", "1\t10\t4\t100\n1\t11\t3\t101\n2\t10\t5\t102\n2\t12\t2\t103\n3\t11\t4\t104\n3\t12\t1\t105\n3\t13\t5\t"
                  "106\n4\t13\t3\t107\n");
    put("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n2::x::4::978298413\n"
                       "3::914::3::978301968\n3::3408::4::978300275\n");
    put("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n2,1,3.5,964982224\n"
                       "2,6,nan,964982224\n3,6,4.0,964982224\n3,47,5.0,964983815\n");
    put("text.txt",
        "__label__a good fine nice\n__label__b bad poor awful\n__label__a fine good\n__label__b poor bad worse\n"
        "__label__a nice fine good great\n__label__b awful bad\n");
}

TEST(allocation_failures_every_k) {
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    live = __real_calloc(SLOTS, sizeof *live);
    if (!live) {
        FAILF("no memory for the pointer set");
        return;
    }
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1); /* the k-th allocation is then the same one every run */
#endif
    make_files();
    const struct {
        const char *name;
        scenario run;
    } sc[] = {
        {"model file", load_model},
        {"word2vec text", load_vec_text},
        {"GloVe text", load_vec_glove},
        {"word2vec binary", load_vec_bin},
        {"vectors safetensors", load_vec_safetensors},
        {"dataset text", load_dataset},
        {"ratings + split", load_ratings},
        {"ratings.dat (::)", load_ratings_dat},
        {"ratings.csv (header)", load_ratings_csv},
        {"model + optimizer steps + save", model_train_step},
        {"edl_train", model_train_loop},
        {"text classifier", textclf_train_save_load},
        {"skip-gram", wordvec_train},
        {"recommenders", recommend_train_save_load},
        {"PCA and t-SNE", projections},
        {"dense layer in blocks", dense_blocked_public},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        long k = 1;
        int fails_before = harness_failures;
        for (;; k++) {
            atomic_store(&tracking, 1);
            size_t before = nlive;
            atomic_store(&injected, 0);
            atomic_store(&countdown, k);
            edl_status s = sc[i].run();
            atomic_store(&countdown, 0);
            long hit = atomic_load(&injected);
            size_t after = nlive;
            atomic_store(&tracking, 0);
            if (after != before)
                FAILF("%s, allocation %ld failing: %zu allocations left behind (status %d: %s)", sc[i].name, k,
                      after - before, s, edl_last_error());
            if (!hit) {
                if (s != EDL_OK) FAILF("%s without a failure: status %d: %s", sc[i].name, s, edl_last_error());
                break;
            }
            if (s != EDL_ERR_NOMEM)
                FAILF("%s, allocation %ld failing: status %d (%s), want EDL_ERR_NOMEM: %s", sc[i].name, k, s,
                      edl_status_str(s), edl_last_error());
            if (harness_failures - fails_before >= 3) break; /* enough to see the pattern */
        }
        fprintf(stderr, "    %-32s %ld allocations, each failed once\n", sc[i].name, k - 1);
        total += (size_t)(k - 1);
    }
    fprintf(stderr, "    %zu injected failures in all\n", total);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    harness_remove_dir(dir);
}

/* The dense layer's allocations failing one at a time with three threads, one block each: when a
   thread cannot have its block's g, the others have summed theirs, and still dW and the bias
   gradient must be left as they were (dense_blocked_public checks), with EDL_ERR_NOMEM. */
TEST(dense_blocked_allocation_failures_at_3_threads) {
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(3);
#endif
    long k = 1;
    for (; k < 50; k++) {
        atomic_store(&injected, 0);
        atomic_store(&countdown, k);
        edl_status s = dense_blocked_public();
        atomic_store(&countdown, 0);
        if (!atomic_load(&injected)) {
            CHECK_OK(s);
            break;
        }
        if (s != EDL_ERR_NOMEM)
            FAILF("allocation %ld failing: status %d (%s), want EDL_ERR_NOMEM", k, s, edl_status_str(s));
    }
    /* the forward's W^T and a block's g for each thread that has blocks, and the sums: 7 at three
       threads, 3 in a build without OpenMP (one thread) */
    int teams = 1;
#ifdef _OPENMP
    teams = 3;
#endif
    CHECK(k - 1 == 1 + 2 * teams);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
}

/* The classifier at two threads, allocation k failing for k = 1, 2, ...: a thread's held rows
   (model/hot_rows.h) are a speed-up only, so a thread without memory for them holds none and the
   run trains on (EDL_OK); any other failure is EDL_ERR_NOMEM; nothing is left behind either way.
   The two threads allocate at once, so which allocation is the k-th varies from run to run; some
   k must have failed a held row's allocation and still trained, or the fallback went untested. */
TEST(textclf_two_threads_allocation_failures) {
    char tdir[] = "/tmp/edl-fault2-XXXXXX", path[64];
    if (!mkdtemp(tdir)) {
        FAILF("mkdtemp");
        return;
    }
    if (!live && !(live = __real_calloc(SLOTS, sizeof *live))) {
        FAILF("no memory for the pointer set");
        return;
    }
    snprintf(path, sizeof path, "%s/text.txt", tdir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 40; i++)
        fputs(i % 2 ? "__label__a good fine nice good\n" : "__label__b bad poor awful bad\n", f);
    if (f) fclose(f);
    int trained_without = 0; /* runs that met a failure and trained on */
    long k = 1;
    for (; k < 400; k++) {
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = 4, a.epoch = 2, a.thread = 2;
        edl_textclf *c = NULL;
        atomic_store(&tracking, 1);
        size_t before = nlive;
        atomic_store(&injected, 0);
        atomic_store(&countdown, k);
        edl_status s = edl_textclf_train(&c, path, &a, NULL);
        atomic_store(&countdown, 0);
        long hit = atomic_load(&injected);
        edl_textclf_free(c);
        size_t after = nlive;
        atomic_store(&tracking, 0);
        if (after != before) FAILF("allocation %ld failing: %zu allocations left behind", k, after - before);
        if (!hit) {
            CHECK_OK(s);
            break;
        }
        if (s == EDL_OK)
            trained_without++;
        else if (s != EDL_ERR_NOMEM)
            FAILF("allocation %ld failing: status %d (%s), want EDL_ERR_NOMEM or EDL_OK", k, s, edl_status_str(s));
    }
    CHECK(k < 400);
    if (trained_without < 1) FAILF("no run trained on without its held rows (%ld allocations)", k - 1);
    harness_remove_dir(tdir);
}
