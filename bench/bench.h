/* Shared helpers for the benchmark programs: a monotonic clock and medians of repeated runs.
 * Benchmarks report ratios measured in one run, never absolute targets. */
#ifndef EDL_BENCH_H
#define EDL_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(_OPENMP) && defined(_GNU_SOURCE) /* sched_setaffinity's CPU sets */
#include <sched.h>
/* Called by each thread of `#pragma omp parallel num_threads(2)`: pins it to core
   omp_get_thread_num(), waits for the other, and returns 1 when both run, pinned (every thread
   gets the same answer; *failed is shared and 0 on entry). The probes of two cores use it. */
static inline int bench_pin_pair(int *failed) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(omp_get_thread_num(), &s);
    if (omp_get_num_threads() != 2 || sched_setaffinity(0, sizeof s, &s) != 0) { /* 0: the calling thread */
#pragma omp atomic write
        *failed = 1;
    }
#pragma omp barrier
    int bad;
#pragma omp atomic read
    bad = *failed;
    return !bad;
}
#endif

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static inline int bench_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static inline void *bench_alloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0 || !p) {
        fprintf(stderr, "bench: cannot allocate %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

#endif
