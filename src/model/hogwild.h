/* The Hogwild engine: fastText's way of training, shared by the text classifier and the word
 * vectors (and the place a distributed version synchronises). Not installed. */
#ifndef EDL__HOGWILD_H
#define EDL__HOGWILD_H

#include "common/internal.h"

/* A job for the engine. `threads` threads walk the same `units` (examples, lines) from evenly
   spaced starts, wrapping around, all updating one set of parameters without locks (Hogwild,
   Recht et al. 2011). The rate falls linearly from lr to 0 over the run's tokens (epochs x
   epoch_tokens, edl_schedule_lr), read from a shared count that each thread adds its tokens to
   every lr_update_rate tokens (fastText's -lrUpdateRate). The engine owns the loop, the rate,
   the progress reports, the loss sums (a cache line per thread) and the stop on a non-finite
   loss; the job owns the data and the update. With one thread and a seed the run is
   bit-reproducible; with more it is not (the threads race, by design). */
typedef struct {
    const char *name; /* the caller, as messages name it ("edl_textclf_train") */
    void *job;
    size_t units;         /* thread t of nt starts at unit units * t / nt */
    int64_t epoch_tokens; /* tokens in one pass over the units (> 0) */
    size_t epochs;
    float lr;
    size_t lr_update_rate; /* (a thread gathers at most an epoch's tokens, whatever it says) */
    int threads;           /* >= 1 */
    uint64_t seed; /* thread t draws from an rng seeded with seed + t */
    /* Sets up a thread's state (drawing from its rng if it needs to); NULL: no memory. */
    void *(*thread_begin)(void *job, edl_rng *rng);
    void (*thread_end)(void *job, void *state);
    /* Trains on one unit at rate lr, adding each loss to *loss (0 on entry) and their number to
       *nloss; returns the tokens the unit counts for. A non-finite *loss stops the run. */
    int64_t (*step)(void *job, void *state, size_t unit, float lr, edl_rng *rng, double *loss, int64_t *nloss);
    /* Reports as edl_progress (step/total_steps are tokens): one at each epoch's end, whichever
       thread's tokens closed it, and one every 0.1 s from thread 0; one call at a time. May be
       NULL. */
    void (*progress)(const edl_progress *p, void *user);
    /* Polled by thread 0 about every 10 ms; nonzero stops every thread and the run returns
       EDL_ERR_CANCELLED (the parameters as far as they got). May be NULL. */
    int (*cancel)(void *user);
    void *user;
} edl__hogwild;

typedef struct {
    int64_t total;    /* the run's tokens */
    int64_t diverged; /* tokens done before the unit whose loss was not finite (-1: none) */
    double seconds, words_per_sec_thread;
    float loss;  /* mean over every loss of the run */
    int threads; /* the threads that ran */
} edl__hogwild_result;

/* Runs the job; *r is always written. EDL_ERR_NOMEM when a thread could not set up (every
   thread stops), EDL_ERR_CANCELLED when cancel said so; a divergence is not an error here (r->diverged >= 0): the caller names the
   layer. */
edl_status edl__hogwild_run(const edl__hogwild *h, edl__hogwild_result *r);

#endif
