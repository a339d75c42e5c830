/* Floats as text: edl__float_g9 (what edl's .vec and u.data writers print with) against glibc's
 * snprintf("%.9g"), whose bytes it reproduces, one thread.
 *
 *   build/bench_float_text [reps]     the two on a .vec's values (normal, sd 0.1) and on random
 *                                     bit patterns (every exponent): medians of reps, ns a value
 *   build/bench_float_text all        checks every one of the 2^32 floats against snprintf
 *                                     (OpenMP threads; minutes), prints how many differ
 */
#include "bench.h"
#include "common/float_text.h"
#include "edl.h"

#include <stdint.h>

enum { N = 1 << 16, MAXREPS = 101 };

static double time_ours(const float *x, char *sink) {
    double t0 = bench_now();
    size_t total = 0;
    for (int i = 0; i < N; i++) total += edl__float_g9(sink, x[i]);
    double t = bench_now() - t0;
    sink[0] ^= (char)(total & 1); /* the work is used */
    return t;
}

static double time_printf(const float *x, char *sink) {
    double t0 = bench_now();
    size_t total = 0;
    for (int i = 0; i < N; i++) total += (size_t)snprintf(sink, 16, "%.9g", (double)x[i]);
    double t = bench_now() - t0;
    sink[0] ^= (char)(total & 1);
    return t;
}

static int check_all(void) {
    unsigned long long differ = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : differ)
    for (long long hi = 0; hi < 65536; hi++)
        for (uint32_t lo = 0; lo < 65536; lo++) {
            uint32_t bits = (uint32_t)hi << 16 | lo;
            float x;
            memcpy(&x, &bits, sizeof x);
            char a[32], b[32];
            size_t n = edl__float_g9(a, x);
            int m = snprintf(b, sizeof b, "%.9g", (double)x);
            if ((int)n != m || strcmp(a, b) != 0) {
                if (differ < 10) printf("0x%08x: '%s', snprintf '%s'\n", bits, a, b);
                differ++;
            }
        }
    printf("every float: %llu of 4294967296 differ from snprintf(\"%%.9g\")\n", differ);
    return differ != 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "all") == 0) return check_all();
    int reps = argc > 1 ? atoi(argv[1]) : 21;
    if (reps < 1) reps = 1;
    if (reps > MAXREPS) reps = MAXREPS;
    static float vec[N], bits[N];
    edl_rng rng;
    edl_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++) {
        vec[i] = 0.1f * edl_rng_normal(&rng);
        uint32_t b;
        do b = (uint32_t)edl_rng_u64(&rng);
        while (((b >> 23) & 0xff) == 0xff); /* no inf or NaN */
        memcpy(&bits[i], &b, sizeof b);
    }
    char sink[32] = {0};
    const float *sets[2] = {vec, bits};
    const char *names[2] = {".vec values (normal, sd 0.1)", "random bit patterns"};
    for (int s = 0; s < 2; s++) {
        double ours[MAXREPS], theirs[MAXREPS];
        for (int r = 0; r < reps; r++) ours[r] = time_ours(sets[s], sink), theirs[r] = time_printf(sets[s], sink);
        double a = bench_median(ours, reps) * 1e9 / N, b = bench_median(theirs, reps) * 1e9 / N;
        printf("%-30s edl__float_g9 %6.1f ns  snprintf %6.1f ns  snprintf / edl %5.2f\n", names[s], a, b, b / a);
    }
    return sink[1];
}
