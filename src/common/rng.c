/* xoshiro256** seeded by splitmix64: small, fast, and the same stream on every platform. */
#include "common/internal.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void edl_rng_seed(edl_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

uint64_t edl_rng_u64(edl_rng *rng) { return edl__rng_next(rng); }

float edl_rng_uniform(edl_rng *rng) { return (float)(edl_rng_u64(rng) >> 40) * (1.0f / 16777216.0f); }

uint64_t edl_rng_below(edl_rng *rng, uint64_t n) {
    if (n <= 1) return 0;
    /* Rejection from the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = edl_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

float edl_rng_normal(edl_rng *rng) {
    /* Box-Muller; u1 in (0, 1] so the log is finite. */
    double u1 = ((double)(edl_rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(edl_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
