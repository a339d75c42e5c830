/* Whether two threads slow each other on this machine, apart from edl. Each of two threads
 * (pinned to cores 0 and 1) does a fixed number of Hogwild-like steps on a table of 100-float rows
 * (read a row into a sum, then add a step to it; half the steps to a hot set of 256 rows, as the
 * spam classifier's 200 most frequent words are half its tokens, half to rows drawn over 32 MiB),
 * timed three ways:
 *   alone    thread 0 only, on its own table
 *   private  both at once, each on its own table: no line shared, so what the pair costs is the
 *            host's (where it runs the two virtual CPUs, what else it runs beside them) and the
 *            shared cache and memory's
 *   shared   both at once on one table: the hot rows' lines go back and forth between the cores,
 *            which is what Hogwild's sharing costs here
 * and prints ns a step for each (the median of the repeats) and the ratios private / alone and
 * shared / private. A run of `edl supervised -thread 2` whose CPU time an example doubled while
 * private / alone stayed near 1 is slow inside edl; one whose probe doubled too, slow outside it.
 *
 *   bench_pair_probe [steps a thread] [repeats]     (default 100000 x 5)
 * Prints "pair probe: alone A ns, private P ns, shared S ns a step; private/alone X, shared/private Y". */
#define _GNU_SOURCE
#include "bench.h"

#include <stdint.h>

#define DIM  100
#define HOT  256
#define ROWS ((size_t)32 << 20 >> 2) / DIM /* 32 MiB of rows */

#ifdef _OPENMP /* the probes need two OpenMP threads; without them main says so */
/* steps Hogwild-like steps on table [ROWS x DIM]; returns a sum so the reads are kept */
static float steps_on(float *table, long steps, uint64_t seed) {
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    float sum = 0.0f;
    for (long s = 0; s < steps; s++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t r = (s & 1) ? (size_t)(x % HOT) : (size_t)(x % ROWS);
        float *row = table + r * DIM; /* [DIM] */
        float acc = 0.0f;
        for (int i = 0; i < DIM; i++) acc += row[i];
        for (int i = 0; i < DIM; i++) row[i] += 1e-7f * (float)(i - 50);
        sum += acc;
    }
    return sum;
}
#endif

int main(int argc, char **argv) {
    long steps = argc > 1 ? atol(argv[1]) : 100000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (steps < 1 || steps > 100000000 || reps < 1 || reps > 1000) {
        fprintf(stderr, "usage: bench_pair_probe [steps 1..1e8] [repeats 1..1000]\n");
        return 2;
    }
    float *t0 = bench_alloc(ROWS * DIM * sizeof(float)), *t1 = bench_alloc(ROWS * DIM * sizeof(float));
    memset(t0, 0, ROWS * DIM * sizeof(float)), memset(t1, 0, ROWS * DIM * sizeof(float));
    double *ns = malloc(3 * (size_t)reps * sizeof *ns);
    volatile float keep = 0.0f;
    int failed = 0;
    if (!ns) return 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
    {
        int me = omp_get_thread_num(), bad = !bench_pin_pair(&failed);
        for (int r = 0; !bad && r < reps; r++)
            for (int mode = 0; mode < 3; mode++) { /* alone, private, shared */
#pragma omp barrier
                double a = bench_now();
                float s = 0.0f;
                if (me == 0 || mode > 0) s = steps_on(me == 1 && mode == 1 ? t1 : t0, steps, (uint64_t)(r * 2 + me));
#pragma omp barrier
                if (me == 0) ns[mode * reps + r] = (bench_now() - a) / (double)steps * 1e9;
#pragma omp atomic
                keep += s;
            }
    }
#else
    failed = 1;
#endif
    if (failed) {
        fprintf(stderr, "bench_pair_probe: needs 2 OpenMP threads pinned to cores 0 and 1\n");
        return 1;
    }
    double alone = bench_median(ns, reps), priv = bench_median(ns + reps, reps),
           shared = bench_median(ns + 2 * reps, reps);
    printf(
        "pair probe: alone %.1f ns, private %.1f ns, shared %.1f ns a step; private/alone %.2f, shared/private %.2f\n",
        alone, priv, shared, priv / alone, shared / priv);
    free(ns), free(t0), free(t1);
    (void)keep;
    return 0;
}
