/* The Hogwild engine (see hogwild.h). */
#include "model/hogwild.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* One thread's loss sums, alone on a cache line: every unit adds to loss and nloss, which only
   the thread touches; it copies them to the published pair whenever it publishes its tokens,
   and reports read only those. */
typedef struct {
    _Alignas(64) double loss;
    int64_t nloss;
    _Atomic double pub_loss;
    _Atomic int64_t pub_nloss;
    double cpu;     /* the thread's CPU seconds in the run (at its end) */
    uint64_t units; /* units it trained on */
} slot;

/* The calling thread's CPU time (0 where the clock is missing). */
static double thread_cpu(void) {
#ifdef CLOCK_THREAD_CPUTIME_ID
    struct timespec ts;
    return clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 ? (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec : 0.0;
#else
    return 0.0;
#endif
}

/* The run's state, shared by its threads. What every thread writes while it trains (the count of
   tokens, added to every lr_update_rate tokens) sits alone on its cache line: on the line of what
   the threads only read at every unit (the job, the totals, the stop flags) each addition would
   take that line away from the other cores, and every thread would miss on it at its next unit. */
typedef struct {
    _Alignas(64) _Atomic int64_t done; /* tokens published by the threads (alone on its line) */
    _Alignas(64) _Atomic int64_t next; /* the walk's next unit (mod units), taken a run at a time */
    _Alignas(64) const edl__hogwild *h;
    int64_t run_units;              /* units a thread takes from next at once */
    int64_t total;                  /* this rank's tokens */
    int64_t all;                    /* every rank's */
    double scale;                   /* all / total: a token here stands for that many of the run's */
    float step_scale;               /* the ranks: each steps at that many times the rate (see begin) */
    _Atomic int64_t g_sync, l_sync; /* the run's tokens and this rank's at the last synchronisation */
    int64_t nsync, synced;          /* synchronisations of the run (the last after every token), done */
    atomic_int stop_all;            /* a rank stopped: every thread stops, no more synchronisations */
    edl_status sync_status;         /* a synchronisation failed (every rank alike) */
    edl__rows_scratch scratch;
    uint64_t rows_synced;
    double sync_seconds, wait_seconds; /* in synchronisations: all, and waiting for the others' tokens */
    /* while thread 0 exchanges rows the other threads wait (their updates would be lost under
       the mean written back): it asks (pause), they count themselves in (paused) until the
       others still training (others) all are */
    int ranks;
    atomic_int pause, paused, others;
    _Atomic int64_t diverged; /* tokens done before the unit whose loss was not finite (-1: never) */
    atomic_int no_memory;     /* a thread could not set up: every thread stops */
    atomic_int cancelled;     /* the caller's cancel callback said stop */
    double t0;
    slot *slots;
    int nt;
    int64_t update_rate;    /* tokens a thread gathers before it publishes them */
    size_t epochs_reported; /* epoch ends reported so far (under the progress lock) */
} run;

/* The run's tokens when this rank has done `done`: the count of the last synchronisation, then
   this rank's tokens since, each standing for `scale` (every rank moves through its share at about
   the same pace). One process: done itself. */
static int64_t run_tokens(const run *r, int64_t done) {
    int64_t g = atomic_load_explicit(&r->g_sync, memory_order_relaxed);
    int64_t l = atomic_load_explicit(&r->l_sync, memory_order_relaxed);
    if (done < l) done = l; /* a thread's count from before the last synchronisation */
    return g + (int64_t)((double)(done - l) * r->scale);
}

static float rate_at(const run *r, int64_t done) {
    return edl_schedule_lr(EDL_SCHED_LINEAR, r->h->lr, (uint64_t)run_tokens(r, done), (uint64_t)r->all, 0);
}

/* This rank's tokens at which synchronisation j (1 .. nsync - 1) comes: j / nsync of its own. */
static int64_t sync_point(const run *r, int64_t j) {
    return (int64_t)((double)r->total * (double)j / (double)r->nsync);
}

static int stopped_here(run *r) {
    return atomic_load(&r->diverged) >= 0 || atomic_load(&r->no_memory) || atomic_load(&r->cancelled);
}

/* One synchronisation (from thread 0, or after the threads joined): the ranks' tokens and stops
   exchanged, then the touched rows averaged. Returns 0 when the run stops. */
static int sync_once(run *r) {
    const edl__hogwild *h = r->h;
    double t0 = edl__now();
    if (r->ranks > 1) { /* one process exchanges nothing: its threads go on */
        atomic_store(&r->pause, 1);
        while (atomic_load(&r->paused) < atomic_load(&r->others)) sched_yield();
    }
    int64_t done = atomic_load(&r->done), x[2] = {done, stopped_here(r)};
    edl_status s = edl__comm_allreduce(h->comm, x, 2, EDL__COMM_I64, EDL__COMM_SUM);
    r->wait_seconds += edl__now() - t0; /* the first collective: the ranks meet here */
    if (s == EDL_OK && x[1] == 0) {
        atomic_store(&r->l_sync, done);
        atomic_store(&r->g_sync, x[0]);
        uint64_t rows = 0;
        s = edl__rows_average(h->comm, h->tables, h->ntables, &r->scratch, &rows);
        r->rows_synced += rows;
    }
    r->synced++;
    atomic_store(&r->pause, 0);
    r->sync_seconds += edl__now() - t0;
    if (s != EDL_OK) r->sync_status = s;
    if (s != EDL_OK || x[1] != 0) {
        atomic_store(&r->stop_all, 1);
        return 0;
    }
    return 1;
}

/* The loss sums the threads have published (while they run), or their own (after they joined). */
static void mean_loss(const run *r, int published, double *sum, int64_t *n) {
    *sum = 0, *n = 0;
    for (int i = 0; i < r->nt; i++) {
        const slot *x = &r->slots[i];
        *sum += published ? atomic_load_explicit(&x->pub_loss, memory_order_relaxed) : x->loss;
        *n += published ? atomic_load_explicit(&x->pub_nloss, memory_order_relaxed) : x->nloss;
    }
}

static void publish_loss(slot *x) {
    atomic_store_explicit(&x->pub_loss, x->loss, memory_order_relaxed);
    atomic_store_explicit(&x->pub_nloss, x->nloss, memory_order_relaxed);
}

/* Epochs whose every token is done. */
static size_t epochs_done(const run *r, int64_t done) {
    if (r->total == 0) return r->h->epochs; /* a rank whose share had nothing */
    int64_t e = done / r->h->epoch_tokens;
    return e < (int64_t)r->h->epochs ? (size_t)e : r->h->epochs;
}

static void report(const run *r, size_t epoch, int epoch_end) {
    int64_t tokens = atomic_load(&r->done), cnt;
    double t = edl__now() - r->t0, done = (double)tokens, sum;
    mean_loss(r, 1, &sum, &cnt);
    edl_progress p;
    memset(&p, 0, sizeof p);
    p.progress = r->total == 0 || done / (double)r->total > 1 ? 1 : done / (double)r->total;
    p.epoch = epoch, p.epochs = r->h->epochs, p.epoch_end = epoch_end;
    p.step = (uint64_t)run_tokens(r, tokens), p.total_steps = (uint64_t)r->all;
    p.seconds = t;
    p.words_per_sec_thread = t > 0 ? done / t / r->nt : 0;
    p.examples_per_second = t > 0 ? done / t : 0;
    p.eta_seconds = p.progress > 0 ? t * (1 - p.progress) / p.progress : 0;
    p.lr = rate_at(r, tokens);
    p.loss = cnt ? (float)(sum / (double)cnt) : 0.0f;
    p.accuracy = p.valid_loss = p.valid_accuracy = NAN;
    r->h->progress(&p, r->h->user);
}

/* Reports each epoch end not yet reported (one report each, in order), or else, on a tick, a
   plain progress report. */
static void report_locked(run *r, int tick) {
#pragma omp critical(edl__hogwild_progress)
    {
        size_t closed = epochs_done(r, atomic_load(&r->done));
        if (r->epochs_reported < closed)
            while (r->epochs_reported < closed) report(r, ++r->epochs_reported, 1);
        else if (tick)
            report(r, closed < r->h->epochs ? closed + 1 : closed, 0);
    }
}

static void run_thread(run *r, int t) {
    const edl__hogwild *h = r->h;
    double cpu0 = thread_cpu();
    edl_rng rng;
    edl_rng_seed(&rng, h->seed + (uint64_t)t);
    void *state = h->thread_begin(h->job, &rng);
    if (!state) atomic_store(&r->no_memory, 1); /* thread 0 still takes part in every synchronisation */
    slot *my = &r->slots[t];
    /* One walk over the units, in order and round after round, which the threads take from a
       shared count a run of units at a time: every unit gets its even share of the passes
       whatever the threads' speeds, and two threads never train the same units at once.
       (fastText's threads each walk all the units from spaced starts: a thread that gains on
       another catches it up, and then both train the same examples at once, every row of each
       written by both, its lines moving between the cores at every step: both slow alike and
       stay together, at half of one thread's speed to the end. Shares of the units kept them
       apart, but a thread slowed by its synchronisations or by another process then trained its
       share less than the others theirs: on 2 ranks, one thread of each did 1.64 even shares.) */
    int64_t taken = 0, left = 0;
    int64_t local = 0;
    /* The count as this thread last saw it: when it added its own tokens (the addition returns
       it). The rate and the end are read from it, not from the shared count at every unit: that
       line is written by every thread, so reading it missed after every other thread's addition,
       a line's round trip an example (~300 ns where the host put the two vCPUs on two core
       complexes). With one thread it is the count itself; with more the rate lags the others'
       last lr_update_rate tokens at most, and a thread ends at its next addition past the run's
       tokens, as it ended at its next unit. */
    int64_t seen = 0;
    double last = edl__now(), polled = last;
    /* the flags' line is only read while training: it stays in every core's cache */
    while (state && seen < r->total && !atomic_load_explicit(&r->stop_all, memory_order_relaxed) &&
           atomic_load_explicit(&r->diverged, memory_order_relaxed) < 0 &&
           !atomic_load_explicit(&r->no_memory, memory_order_relaxed) &&
           !atomic_load_explicit(&r->cancelled, memory_order_relaxed)) {
        if (t != 0 && atomic_load_explicit(&r->pause, memory_order_relaxed)) {
            atomic_fetch_add(&r->paused, 1);
            while (atomic_load(&r->pause)) sched_yield();
            atomic_fetch_sub(&r->paused, 1);
            continue;
        }
        if (left == 0)
            taken = atomic_fetch_add_explicit(&r->next, r->run_units, memory_order_relaxed), left = r->run_units;
        const size_t unit = (size_t)(taken++ % (int64_t)h->units);
        left--;
        float lr = rate_at(r, seen) * r->step_scale;
        double loss = 0.0;
        int64_t nloss = 0;
        int64_t tokens = h->step(h->job, state, unit, lr, &rng, &loss, &nloss);
        if (!isfinite(loss)) { /* stop every thread (the run's loss keeps the finite units); the
                                  caller names the layer and the step */
            int64_t never = -1;
            atomic_compare_exchange_strong(&r->diverged, &never, atomic_load(&r->done) + local);
            break;
        }
        my->loss += loss, my->nloss += nloss, my->units++;
        local += tokens;
        if (local > r->update_rate) {
            int64_t before = atomic_fetch_add_explicit(&r->done, local, memory_order_relaxed);
            seen = before + local;
            publish_loss(my);
            /* the thread whose tokens close an epoch reports it (a training curve has exactly
               one point an epoch); thread 0 also reports every 0.1 s for the progress line */
            int closes = epochs_done(r, before + local) > epochs_done(r, before);
            int tick = t == 0 && edl__now() - last > 0.1;
            local = 0;
            if (h->progress && (closes || tick)) {
                if (tick) last = edl__now();
                report_locked(r, tick);
            }
            if (t == 0 && h->cancel && edl__now() - polled > 0.01) {
                polled = edl__now();
                if (h->cancel(h->user)) atomic_store(&r->cancelled, 1);
            }
            /* thread 0 synchronises at each point this rank's tokens passed */
            while (t == 0 && r->synced < r->nsync - 1 && atomic_load(&r->done) >= sync_point(r, r->synced + 1))
                if (!sync_once(r)) break;
        }
    }
    if (t != 0) { /* its end may write the tables (held rows merged): a synchronisation waits for it */
        if (state) h->thread_end(h->job, state);
        atomic_fetch_sub(&r->others, 1); /* no longer to be waited for */
    }
    /* the synchronisations this rank has not reached (its tokens are done, or it stopped: the
       first then tells the others) */
    while (t == 0 && r->synced < r->nsync - 1 && !atomic_load(&r->stop_all)) sync_once(r);
    if (t == 0 && state) h->thread_end(h->job, state);
    my->cpu = thread_cpu() - cpu0;
}

/* Before the threads: this rank's arguments checked and its tables tracked, agreed by every rank,
   then the run's tokens and its synchronisations. */
static edl_status begin(run *r, const edl__hogwild *h) {
    const char *fn = h->name;
    edl_status s = EDL_OK;
    int ranks = edl_comm_size(h->comm);
    if (h->epochs == 0 || h->threads < 1 || h->sync_tokens <= 0 || (h->units > 0 && h->epoch_tokens <= 0) ||
        (h->units == 0 && ranks == 1))
        s = edl__fail(EDL_ERR_ARG,
                      "%s: nothing to train (%zu units, %lld tokens, %zu epochs, %d threads, %lld tokens a sync)", fn,
                      h->units, (long long)h->epoch_tokens, h->epochs, h->threads, (long long)h->sync_tokens);
    /* every rank's tokens are summed into the run's: each keeps to its part of the count */
    else if (h->units > 0 && (uint64_t)h->epochs > (uint64_t)(INT64_MAX / ranks) / (uint64_t)h->epoch_tokens)
        s = ranks == 1 ? edl__fail(EDL_ERR_ARG, "%s: %zu epochs of %lld tokens overflow a count", fn, h->epochs,
                                   (long long)h->epoch_tokens)
                       : edl__fail(EDL_ERR_ARG, "%s: %zu epochs of %lld tokens on each of %d ranks overflow a count",
                                   fn, h->epochs, (long long)h->epoch_tokens, ranks);
    for (size_t i = 0; s == EDL_OK && i < h->ntables; i++) s = edl__rows_track(&h->tables[i], ranks > 1);
    EDL__TRY(edl_comm_agree(h->comm, s));
    r->total = h->units ? (int64_t)h->epochs * h->epoch_tokens : 0;
    int64_t all = r->total;
    EDL__TRY(edl__comm_allreduce(h->comm, &all, 1, EDL__COMM_I64, EDL__COMM_SUM));
    if (all <= 0) return edl__fail(EDL_ERR_ARG, "%s: nothing to train (no tokens on any of %d ranks)", fn, ranks);
    r->all = all;
    r->scale = r->total ? (double)all / (double)r->total : 0.0;
    /* The mean of N ranks' rows moves 1/N as far as the sum of their steps: a row only one rank
       touched would learn at 1/N of the rate, the rest lag one process over the same tokens. Each
       rank steps at N times the rate instead, so the mean moves by the sum of the ranks' steps, as
       one process taking all of them would (to first order). One process: 1. */
    r->step_scale = (float)ranks;
    /* as many as sync_tokens a rank makes, at least the last */
    int64_t per = h->sync_tokens > INT64_MAX / ranks ? INT64_MAX : h->sync_tokens * ranks;
    r->nsync = all / per + (all % per != 0);
    return EDL_OK;
}

edl_status edl__hogwild_run(const edl__hogwild *h, edl__hogwild_result *res) {
    const char *fn = h->name;
    memset(res, 0, sizeof *res);
    res->diverged = -1;
    run r;
    memset(&r, 0, sizeof r);
    r.h = h, r.nt = h->threads;
    uint64_t sent0 = edl_comm_bytes_sent(h->comm);
    edl_status s = begin(&r, h);
    if (s != EDL_OK) {
        for (size_t i = 0; i < h->ntables; i++) edl__rows_untrack(&h->tables[i]);
        return s;
    }
    /* a thread publishes its tokens at least once an epoch, so a rate past the epoch (fastText
       would train on forever at the first rate) still ends the run */
    int64_t epoch_tokens = h->units ? h->epoch_tokens : 1;
    r.update_rate = h->lr_update_rate < (uint64_t)epoch_tokens ? (int64_t)h->lr_update_rate : epoch_tokens;
    void *slots = NULL;
    if (posix_memalign(&slots, 64, (size_t)h->threads * sizeof *r.slots) != 0) slots = NULL;
    if ((s = edl_comm_agree(
             h->comm, slots ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory for %d threads", fn, h->threads))) !=
        EDL_OK) {
        free(slots);
        for (size_t i = 0; i < h->ntables; i++) edl__rows_untrack(&h->tables[i]);
        return s;
    }
    r.slots = slots;
    memset(r.slots, 0, (size_t)h->threads * sizeof *r.slots);
    atomic_init(&r.done, 0);
    atomic_init(&r.next, 0);
    /* runs of about a sixteenth of a thread's share of the units (up to 64): one addition to the
       shared count every few hundred microseconds of training */
    r.run_units = (int64_t)(h->units / (16 * (size_t)h->threads));
    r.run_units = r.run_units < 1 ? 1 : r.run_units > 64 ? 64 : r.run_units;
    atomic_init(&r.g_sync, 0);
    atomic_init(&r.l_sync, 0);
    atomic_init(&r.diverged, -1);
    atomic_init(&r.no_memory, 0);
    atomic_init(&r.cancelled, 0);
    atomic_init(&r.stop_all, 0);
    atomic_init(&r.pause, 0);
    atomic_init(&r.paused, 0);
    atomic_init(&r.others, 0);
    r.ranks = edl_comm_size(h->comm);
    r.t0 = edl__now();
#ifdef _OPENMP
#pragma omp parallel num_threads(h->threads)
    {
#pragma omp single
        {
            r.nt = omp_get_num_threads(); /* the team may be smaller than asked; single ends in a barrier */
            atomic_store(&r.others, r.nt - 1);
        }
        run_thread(&r, omp_get_thread_num());
    }
#else
    r.nt = 1;
    run_thread(&r, 0);
#endif
    /* the last synchronisation, after every token: the ranks end with one model */
    if (!atomic_load(&r.stop_all)) sync_once(&r);
    double t = edl__now() - r.t0, sum;
    int64_t cnt;
    mean_loss(&r, 0, &sum, &cnt);
    if (!atomic_load(&r.stop_all) && r.sync_status == EDL_OK) { /* the run's loss, over every rank */
        int64_t c[1] = {cnt};
        r.sync_status = edl__comm_allreduce(h->comm, &sum, 1, EDL__COMM_F64, EDL__COMM_SUM);
        if (r.sync_status == EDL_OK) r.sync_status = edl__comm_allreduce(h->comm, c, 1, EDL__COMM_I64, EDL__COMM_SUM);
        cnt = c[0];
    }
    res->total = r.total;
    res->all = r.all;
    res->diverged = atomic_load(&r.diverged);
    res->seconds = t;
    res->threads = r.nt;
    res->words_per_sec_thread = t > 0 ? (double)r.total / t / r.nt : 0;
    res->loss = cnt ? (float)(sum / (double)cnt) : 0.0f;
    res->stopped = atomic_load(&r.stop_all) && !stopped_here(&r) && r.sync_status == EDL_OK;
    res->syncs = (uint64_t)r.synced, res->rows_synced = r.rows_synced;
    res->sync_seconds = r.sync_seconds, res->wait_seconds = r.wait_seconds;
    res->bytes_sent = edl_comm_bytes_sent(h->comm) - sent0;
    uint64_t most = 0;
    for (int i = 0; i < r.nt; i++) {
        res->cpu_seconds += r.slots[i].cpu, res->units += r.slots[i].units;
        most = r.slots[i].units > most ? r.slots[i].units : most;
    }
    res->busiest = res->units ? (double)most * r.nt / (double)res->units : 0.0;
    free(r.slots);
    edl__rows_scratch_free(&r.scratch);
    for (size_t i = 0; i < h->ntables; i++) edl__rows_untrack(&h->tables[i]);
    if (r.sync_status != EDL_OK) return r.sync_status;
    if (atomic_load(&r.no_memory))
        return edl__fail(EDL_ERR_NOMEM, "%s: a training thread had no memory for its buffers", fn);
    if (atomic_load(&r.cancelled))
        return edl__fail(EDL_ERR_CANCELLED, "%s: cancelled after %lld of %lld tokens", fn,
                         (long long)atomic_load(&r.done), (long long)r.total);
    return EDL_OK;
}
