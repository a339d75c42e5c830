/* How long one cache line takes to go from one core to another and back: two threads, pinned to
 * cores 0 and 1, pass a counter in one line back and forth (each waits for the other's value,
 * then writes the next). Hogwild threads that update the same rows pay this at every shared
 * line they write, so a run of two threads is as fast as this is short; on a virtual machine it
 * depends on where the host runs the two virtual CPUs (the same physical core, two cores, two
 * sockets) and may change from one moment to the next. The figure is the least over bursts of
 * round trips (a burst in which a thread was descheduled by another process is long, not wrong);
 * the median is printed too.
 *
 *   bench_line_transfer [bursts] [round trips a burst]     (default 40 x 2000)
 * Prints "line round trip: min N ns, median M ns". */
#define _GNU_SOURCE
#include "bench.h"

#include <stdatomic.h>

#ifdef _OPENMP /* the probe needs two OpenMP threads; without them main says so */
static _Alignas(64) _Atomic long ball;
#endif

int main(int argc, char **argv) {
    int bursts = argc > 1 ? atoi(argv[1]) : 40;
    long trips = argc > 2 ? atol(argv[2]) : 2000;
    if (bursts < 1 || bursts > 100000 || trips < 1 || trips > 100000000) {
        fprintf(stderr, "usage: bench_line_transfer [bursts 1..100000] [round trips 1..1e8]\n");
        return 2;
    }
    double *ns = malloc((size_t)bursts * sizeof *ns);
    if (!ns) return 1;
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
    {
        int me = omp_get_thread_num(), bad = !bench_pin_pair(&failed);
        for (int b = 0; !bad && b < bursts; b++) {
#pragma omp barrier
            long base = 2 * trips * b;
            double t0 = bench_now();
            for (long i = 0; i < trips; i++) {
                long want = base + 2 * i + me; /* thread 0 serves at even counts, 1 at odd ones */
                while (atomic_load_explicit(&ball, memory_order_acquire) != want) {
                }
                atomic_store_explicit(&ball, want + 1, memory_order_release);
            }
            if (me == 0) ns[b] = (bench_now() - t0) / (double)trips * 1e9;
        }
    }
#else
    failed = 1;
#endif
    if (failed) {
        fprintf(stderr, "bench_line_transfer: needs 2 OpenMP threads pinned to cores 0 and 1\n");
        free(ns);
        return 1;
    }
    double min = ns[0];
    for (int b = 1; b < bursts; b++) min = ns[b] < min ? ns[b] : min;
    printf("line round trip: min %.0f ns, median %.0f ns\n", min, bench_median(ns, bursts));
    free(ns);
    return 0;
}
