/* edl__float_g9 against snprintf("%.9g") itself: random bit patterns over every exponent, the
 * edges of the exact range and of the formats (powers of ten and their neighbours, 1e-5 and 1e9
 * where %g changes style, subnormals, zeros, infinities, NaNs) and exact ties of the ninth digit
 * (printf rounds them to even). bench/float_text.c checks every float once. */
#include "harness.h"
#include "common/float_text.h"

#include <float.h>

static size_t mismatches;

static void check_bits(uint32_t bits) {
    float x;
    memcpy(&x, &bits, sizeof x);
    char got[32], want[32];
    memset(got, 'x', sizeof got);
    const size_t n = edl__float_g9(got, x);
    const int wn = snprintf(want, sizeof want, "%.9g", (double)x);
    if ((int)n != wn || strcmp(got, want) != 0) {
        if (mismatches++ < 5) FAILF("bits 0x%08x: '%s' (%zu), want '%s' (%d)", bits, got, n, want, wn);
    }
}

static void check_float(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    check_bits(bits);
}

TEST(float_g9_is_printfs_text) {
    mismatches = 0;
    edl_rng rng;
    edl_rng_seed(&rng, 17);
    for (int i = 0; i < 2000000; i++) check_bits((uint32_t)edl_rng_u64(&rng));
    /* every value around each power of ten a float reaches, and the style edges */
    for (int p = -46; p <= 39; p++) {
        const float t = (float)pow(10.0, p);
        uint32_t b;
        memcpy(&b, &t, sizeof b);
        for (int d = -40; d <= 40; d++) check_bits(b + (uint32_t)d), check_bits((b + (uint32_t)d) | 0x80000000u);
    }
    const float edges[] = {0.0f,     -0.0f,          INFINITY,     -INFINITY,    NAN,    -NAN,        FLT_MIN,
                           -FLT_MIN, FLT_MAX,        -FLT_MAX,     FLT_TRUE_MIN, 1e-23f, 1.5e-23f,    9.99999944e-24f,
                           0.0001f,  0.00009999999f, 999999999.0f, 999999940.0f, 1e9f,   16777216.0f, 16777217.0f,
                           1.0f,     0.1f,           1.0f / 3.0f,  123456789.0f};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) check_float(edges[i]);
    for (int i = 0; i <= 100000; i++) check_float((float)i), check_float((float)i / 1024.0f);
    /* exact ties of the ninth digit: (512 + odd) / 512 = 1.001953125, ... and the same scaled by
       powers of two (each a float, its tenth significant digit a final 5 in the first binades) */
    for (int j = 1; j < 512; j += 2)
        for (int s = -20; s <= 20; s++) check_float(ldexpf((512.0f + (float)j) / 512.0f, s));
    CHECK(mismatches == 0);
    /* the length and the terminator */
    char out[16];
    CHECK(edl__float_g9(out, -1.17549435e-38f) == 15 && strcmp(out, "-1.17549435e-38") == 0);
    CHECK(edl__float_g9(out, -0.000987654321f) == 15 && strcmp(out, "-0.000987654319") == 0);
    CHECK(edl__float_g9(out, 100.0f) == 3 && strcmp(out, "100") == 0);
}
