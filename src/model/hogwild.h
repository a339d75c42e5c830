/* The Hogwild engine: fastText's way of training, shared by the text classifier and the word
 * vectors (and the place a distributed version synchronises). Not installed. */
#ifndef EDL__HOGWILD_H
#define EDL__HOGWILD_H

#include "common/internal.h"
#include "model/row_sync.h"

/* A job for the engine. `threads` threads walk the `units` (examples, lines) in order, round
   after round, each taking the next run of units when it has trained its last (so no two train
   the same units at once, and each unit gets an even share of the passes), all updating one set
   of parameters without locks (Hogwild, Recht et al. 2011). The rate falls linearly from lr to 0 over the run's tokens (epochs x
   epoch_tokens, edl_schedule_lr), read from a shared count that each thread adds its tokens to
   every lr_update_rate tokens (fastText's -lrUpdateRate). The engine owns the loop, the rate,
   the progress reports, the loss sums (a cache line per thread) and the stop on a non-finite
   loss; the job owns the data and the update. With one thread and a seed the run is
   bit-reproducible; with more it is not (the threads race, by design).

   Several ranks (comm, edl_comm_size > 1) each run the job on their own units (their share of the
   data) and synchronise: every sync_tokens tokens of a rank's progress the rows touched since the
   last synchronisation on any rank (the job marks them in tables, edl__rows_touch) become their
   mean over the ranks (edl__rows_average). Every rank synchronises the same number of times
   whatever its share's size (at the same fractions of its own tokens), from OpenMP thread 0 only,
   and once more after its last token, so the ranks end with one model. The rate follows the
   run's tokens over every rank (exchanged at each synchronisation, extrapolated between them). A
   rank that stops (a loss not finite, cancel, no memory) stops every rank at the next
   synchronisation; the caller then agrees on the status (edl_comm_agree). One process is the same
   code: its synchronisations exchange nothing. */
typedef struct {
    const char *name; /* the caller, as messages name it ("edl_textclf_train") */
    void *job;
    size_t units;         /* the walk's units (a thread alone walks 0, 1, ..., units - 1, 0, ...) */
    int64_t epoch_tokens; /* tokens in one pass over the units (> 0) */
    size_t epochs;
    float lr;
    size_t lr_update_rate; /* (a thread gathers at most an epoch's tokens, whatever it says) */
    int threads;           /* >= 1 */
    uint64_t seed;         /* thread t draws from an rng seeded with seed + t */
    /* Sets up a thread's state (drawing from its rng if it needs to); NULL: no memory. */
    void *(*thread_begin)(void *job, edl_rng *rng);
    /* Ends a thread (after its last unit, before the rank's last synchronisation; a thread other
       than 0 is waited for by the synchronisations meanwhile, so it may still write the tables). */
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
    /* the run's ranks (NULL: one process), the tokens between synchronisations (> 0) and the
       tables synchronised (their marks tracked when there are several ranks) */
    edl_comm *comm;
    int64_t sync_tokens;
    edl__rows *tables;
    size_t ntables;
} edl__hogwild;

typedef struct {
    int64_t total;    /* this rank's tokens */
    int64_t all;      /* every rank's tokens */
    int64_t diverged; /* tokens done before the unit whose loss was not finite (-1: none) */
    double seconds, words_per_sec_thread;
    float loss;                              /* mean over every loss of the run (every rank's) */
    int threads;                             /* the threads that ran */
    int stopped;                             /* another rank stopped the run (its status comes from edl_comm_agree) */
    uint64_t syncs, rows_synced, bytes_sent; /* synchronisations, rows averaged, bytes sent in them */
    double sync_seconds, wait_seconds;       /* spent in them, and of that waiting for the other ranks */
    /* the threads' CPU time in the run, summed (a slow state inside the process shows here as
       CPU time an unit grown; a core taken by another process does not), the units they trained
       on, and the busiest thread's units over an even share (1: even) */
    double cpu_seconds;
    uint64_t units;
    double busiest;
} edl__hogwild_result;

/* Runs the job; *r is always written. EDL_ERR_NOMEM when a thread could not set up (every
   thread stops), EDL_ERR_CANCELLED when cancel said so, EDL_ERR_IO when a collective failed; a
   divergence is not an error here (r->diverged >= 0): the caller names the layer. Every rank
   returns after the same collectives, whatever happened on it. */
edl_status edl__hogwild_run(const edl__hogwild *h, edl__hogwild_result *r);

#endif
