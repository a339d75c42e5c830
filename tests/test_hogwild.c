/* The Hogwild engine (src/model/hogwild.c) on a toy job whose units count their visits: the run's
 * tokens, one report per epoch end in order at 1 to 4 threads, the rate it hands out, a
 * divergence that stops every thread and keeps the finite losses, a thread without memory, and
 * an -lrUpdateRate past the epoch that still ends. */
#include "harness.h"
#include "model/hogwild.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

enum { UNITS = 97, TOKENS_PER_UNIT = 7 };

typedef struct {
    _Atomic int64_t steps, tokens;
    int64_t nan_at;           /* the first step (1-based) that may be NaN (not on thread 0); 0: none */
    _Atomic int nan_taken;    /* a step was chosen to be NaN */
    _Atomic int64_t nan_step; /* its number */
    _Atomic int nan_thread;   /* the toy thread that took it */
    _Atomic int nan_ended;    /* and that thread has ended */
    _Atomic int begun;        /* threads set up */
    int fail_thread;          /* the thread_begin call (1-based) that fails; 0: none */
    float last_lr;            /* one thread: the rates never rise */
    int lr_rose;
    size_t ends, last_epoch, reports;
    int out_of_order, progress_past_one;
    double last_progress;
    _Atomic int busy[UNITS];   /* a thread is training the unit */
    _Atomic int visits[UNITS]; /* times each unit was trained */
    _Atomic int concurrent;    /* times a unit was taken while another thread trained it */
    int slow_thread;           /* the thread_begin call (1-based) whose steps take 50 us more */
} toy;

static void *toy_begin(void *job, edl_rng *rng) {
    toy *t = job;
    (void)rng;
    int k = atomic_fetch_add(&t->begun, 1) + 1;
    int *id = k == t->fail_thread ? NULL : malloc(sizeof *id);
    if (id) *id = k;
    return id;
}

static void toy_end(void *job, void *state) {
    toy *t = job;
    /* the engine ends a thread after it has published its stop */
    if (t->nan_at && *(const int *)state == atomic_load(&t->nan_thread)) atomic_store(&t->nan_ended, 1);
    free(state);
}

/* The NaN falls on a thread other than 0 when there are others, so that thread 0 (which also
   synchronises) is among those the engine must stop. */
static int toy_may_take_the_nan(void) {
#ifdef _OPENMP
    return omp_get_thread_num() != 0 || omp_get_num_threads() == 1;
#else
    return 1;
#endif
}

/* Holds a step begun after the NaN's until the NaN's thread has ended (giving up after some 10 s): a thread
   preempted between the NaN and its stop would otherwise let the others run on without bound, and
   the test could not tell that from an engine that fails to stop them. */
static void toy_hold_past_the_nan(toy *t) {
    struct timespec ts = {0, 100000};
    for (int i = 0; i < 100000 && !atomic_load(&t->nan_ended); i++) nanosleep(&ts, NULL);
}

static int64_t toy_step(void *job, void *state, size_t unit, float lr, edl_rng *rng, double *loss, int64_t *nloss) {
    toy *t = job;
    (void)state, (void)rng, (void)unit;
    if (t->fail_thread && atomic_load(&t->begun) < t->fail_thread) { /* on a loaded machine the failing */
        struct timespec ts = {0, 100000};                            /* thread may start late: wait for it */
        nanosleep(&ts, NULL);
    }
    /* chosen before the step is counted: a step that sees no choice was counted before the NaN */
    int may = toy_may_take_the_nan();
    int nan = t->nan_at && may && atomic_load(&t->steps) + 1 >= t->nan_at && !atomic_exchange(&t->nan_taken, 1);
    int64_t k = atomic_fetch_add(&t->steps, 1) + 1;
    if (nan)
        atomic_store(&t->nan_thread, *(const int *)state), atomic_store(&t->nan_step, k);
    else if (t->nan_at && (atomic_load(&t->nan_taken) || (!may && k >= t->nan_at)))
        toy_hold_past_the_nan(t); /* thread 0 also waits there for another to take the NaN */
    atomic_fetch_add(&t->tokens, TOKENS_PER_UNIT);
    if (atomic_exchange(&t->busy[unit], 1)) atomic_fetch_add(&t->concurrent, 1);
    atomic_fetch_add(&t->visits[unit], 1);
    if (*(const int *)state == t->slow_thread) {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&t->busy[unit], 0);
    if (lr > t->last_lr) t->lr_rose = 1; /* read only at one thread */
    t->last_lr = lr;
    *loss += nan ? NAN : 1.0;
    *nloss += 1;
    return TOKENS_PER_UNIT;
}

static void toy_progress(const edl_progress *p, void *user) {
    toy *t = user;
    t->reports++;
    if (p->progress > 1.0 || p->progress < t->last_progress - 1e-12) t->progress_past_one = 1;
    t->last_progress = p->progress;
    if (!p->epoch_end) return;
    if (p->epoch != t->last_epoch + 1) t->out_of_order = 1;
    t->last_epoch = p->epoch, t->ends++;
}

static edl__hogwild job_of(toy *t, int threads, size_t epochs, size_t rate) {
    edl__hogwild h = {.name = "toy",
                      .job = t,
                      .units = UNITS,
                      .epoch_tokens = UNITS * TOKENS_PER_UNIT,
                      .epochs = epochs,
                      .lr = 0.5f,
                      .lr_update_rate = rate,
                      .threads = threads,
                      .seed = 1,
                      .thread_begin = toy_begin,
                      .thread_end = toy_end,
                      .step = toy_step,
                      .progress = toy_progress,
                      .user = t,
                      .sync_tokens = 1000};
    return h;
}

static void toy_init(toy *t) {
    memset(t, 0, sizeof *t);
    atomic_init(&t->steps, 0), atomic_init(&t->tokens, 0), atomic_init(&t->begun, 0);
    for (size_t u = 0; u < UNITS; u++) atomic_init(&t->busy[u], 0), atomic_init(&t->visits[u], 0);
    atomic_init(&t->concurrent, 0), atomic_init(&t->nan_taken, 0), atomic_init(&t->nan_step, 0);
    atomic_init(&t->nan_thread, 0), atomic_init(&t->nan_ended, 0);
    t->last_lr = INFINITY;
}

TEST(hogwild_runs_every_token_and_reports_each_epoch_once) {
    for (int threads = 1; threads <= 4; threads++) {
        toy t;
        toy_init(&t);
        edl__hogwild h = job_of(&t, threads, 5, 10);
        edl__hogwild_result r;
        CHECK_OK(edl__hogwild_run(&h, &r));
        int64_t total = 5 * UNITS * TOKENS_PER_UNIT;
        CHECK(r.total == total && r.diverged == -1);
        CHECK(atomic_load(&t.tokens) >= total);
        /* a thread stops once the count it reads is past the end: at most a rate's worth of
           tokens each beyond it, plus the unit in hand */
        CHECK(atomic_load(&t.tokens) <= total + (int64_t)threads * (10 + 2 * TOKENS_PER_UNIT));
        if (t.ends != 5 || t.out_of_order || t.last_epoch != 5)
            FAILF("%d threads: %zu epoch ends (last %zu, out of order %d), want 5 in order", threads, t.ends,
                  t.last_epoch, t.out_of_order);
        CHECK(!t.progress_past_one && t.last_progress == 1.0);
        CHECK(r.loss == 1.0f && r.threads >= 1 && r.threads <= threads);
        /* the threads take runs of one walk: every unit its 5 passes (the last may stop a run
           short), and two threads on one unit at once (which write the same rows and slow each
           other) only where one, stalled on it, is lapped: at most once a pass by each other
           thread (this toy's pass takes microseconds) */
        int lo = INT32_MAX, hi = 0;
        for (size_t u = 0; u < UNITS; u++) {
            int v = atomic_load(&t.visits[u]);
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
        if (atomic_load(&t.concurrent) > 5 * (threads - 1) || lo < 4 || hi > 6)
            FAILF("%d threads: a unit trained by two threads at once %d times, passes over a unit %d to %d (want 5)",
                  threads, atomic_load(&t.concurrent), lo, hi);
        if (threads == 1) CHECK(!t.lr_rose && t.last_lr >= 0.0f && t.last_lr < 0.01f); /* linear to 0 */
    }
}

/* A thread slowed (by its synchronisations, another process) trains fewer units, but every unit
   still gets its passes: with shares of the units, the slow thread's share was trained a
   fraction of the others' (on 2 ranks, one thread did 1.64 even shares and P@1 fell). */
TEST(hogwild_slow_thread_leaves_every_unit_its_passes) {
    toy t;
    toy_init(&t);
    t.slow_thread = 1;
    edl__hogwild h = job_of(&t, 2, 20, 10);
    edl__hogwild_result r;
    CHECK_OK(edl__hogwild_run(&h, &r));
    int lo = INT32_MAX, hi = 0;
    for (size_t u = 0; u < UNITS; u++) {
        int v = atomic_load(&t.visits[u]);
        lo = v < lo ? v : lo, hi = v > hi ? v : hi;
    }
    if (lo < 19 || hi > 21 || atomic_load(&t.concurrent) > 20)
        FAILF("one slow thread of 2: passes over a unit %d to %d (want 20), two threads at once on a unit %d times", lo,
              hi, atomic_load(&t.concurrent));
}

TEST(hogwild_divergence_stops_every_thread) {
    for (int threads = 1; threads <= 4; threads *= 2) {
        toy t;
        toy_init(&t);
        t.nan_at = 300;
        edl__hogwild h = job_of(&t, threads, 50, 10);
        h.sync_tokens = INT64_MAX; /* thread 0 never synchronises (where a stop would reach it too) */
        edl__hogwild_result r;
        CHECK_OK(edl__hogwild_run(&h, &r)); /* the caller names the layer */
        CHECK(r.diverged >= 0 && r.diverged < r.total);
        /* every other thread stops after the step it had begun when the NaN's stop was published */
        int64_t at = atomic_load(&t.nan_step), steps = atomic_load(&t.steps);
        if (at < 300 || steps > at + r.threads - 1 || !atomic_load(&t.nan_ended))
            FAILF("%d threads: %lld steps after a NaN at step %lld", threads, (long long)steps, (long long)at);
        if (!isfinite(r.loss) || r.loss != 1.0f)
            FAILF("%d threads: loss %g, want the finite units' 1", threads, r.loss);
    }
}

TEST(hogwild_thread_without_memory_stops_the_run) {
    toy t;
    toy_init(&t);
    t.fail_thread = max_threads() > 1 ? 2 : 1; /* a build without OpenMP runs one thread */
    edl__hogwild h = job_of(&t, 4, 1000, 10);
    edl__hogwild_result r;
    CHECK_STATUS(edl__hogwild_run(&h, &r), EDL_ERR_NOMEM);
    CHECK_ERROR_HAS("toy: a training thread had no memory");
    /* the others stopped long before the 1000 epochs */
    CHECK(atomic_load(&t.tokens) < r.total);
    CHECK(r.total == 1000 * UNITS * TOKENS_PER_UNIT);
}

TEST(hogwild_update_rate_past_the_epoch_ends) {
    toy t;
    toy_init(&t);
    edl__hogwild h = job_of(&t, 1, 2, SIZE_MAX); /* fastText trains forever at the first rate */
    edl__hogwild_result r;
    CHECK_OK(edl__hogwild_run(&h, &r));
    CHECK(atomic_load(&t.tokens) >= r.total && atomic_load(&t.tokens) <= r.total + 3 * UNITS * TOKENS_PER_UNIT);
    CHECK(t.ends == 2);
}

TEST(hogwild_refuses_an_empty_job) {
    toy t;
    toy_init(&t);
    edl__hogwild h = job_of(&t, 1, 1, 10);
    edl__hogwild_result r;
    h.units = 0;
    CHECK_STATUS(edl__hogwild_run(&h, &r), EDL_ERR_ARG);
    CHECK_ERROR_HAS("toy: nothing to train");
    CHECK(r.diverged == -1 && r.loss == 0.0f); /* written even so */
    h = job_of(&t, 1, SIZE_MAX, 10);
    CHECK_STATUS(edl__hogwild_run(&h, &r), EDL_ERR_ARG);
    CHECK_ERROR_HAS("overflow");
}
