/* Internal helpers shared by the library's files. Not installed. */
#ifndef EDL__INTERNAL_H
#define EDL__INTERNAL_H

#include "edl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* edl's finiteness checks (x != x, p * 0), exact divisions and same-bits promises need IEEE
   arithmetic, which -ffast-math (or -ffinite-math-only) gives up. */
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "edl needs IEEE floating point: build it without -ffast-math / -ffinite-math-only"
#endif

#if defined(__GNUC__)
#define EDL__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EDL__PRINTF(f, a)
#endif

/* Records a failure for edl_last_error() and returns s, so callers write
   `return edl__fail(EDL_ERR_ARG, "...", ...);`. */
edl_status edl__fail(edl_status s, const char *fmt, ...) EDL__PRINTF(2, 3);
/* Puts "<formatted prefix>: " before the last error's message (kept whole), returns s:
   `return edl__fail_wrap(s, "%s:%zu", path, line);`. */
edl_status edl__fail_wrap(edl_status s, const char *fmt, ...) EDL__PRINTF(2, 3);

/* The generator's step (xoshiro256**, rng.c's edl_rng_u64), inline for the hot loops. */
static inline uint64_t edl__rng_next(edl_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* hi:lo = a * b, the full 128-bit product: by 32-bit halves (any C11 compiler), and by the
   compiler's 128-bit integers where it has them (the same values; tests/test_rec_kernels.c). */
static inline void edl__mul128_portable(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), *lo = (mid << 32) | (uint32_t)p00;
}
static inline void edl__mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
#ifdef __SIZEOF_INT128__
    unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64), *lo = (uint64_t)p;
#else
    edl__mul128_portable(a, b, hi, lo);
#endif
}

/* A uniform integer below n (0 for n <= 1, drawing nothing) by Lemire's multiply-and-shift,
   rejecting the few products that would favour some values: a division only then, where
   edl_rng_below divides every draw. A different sequence from edl_rng_below's. */
static inline uint64_t edl__rng_range(edl_rng *rng, uint64_t n) {
    if (n <= 1) return 0;
    uint64_t hi, lo;
    edl__mul128(edl__rng_next(rng), n, &hi, &lo);
    if (lo < n) {
        const uint64_t least = (0 - n) % n; /* 2^64 mod n */
        while (lo < least) edl__mul128(edl__rng_next(rng), n, &hi, &lo);
    }
    return hi;
}

/* *out = a * b; false (and *out untouched) when the product overflows size_t. */
static inline bool edl__mul_ok(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}

/* *out = a + b; false (and *out untouched) when the sum overflows size_t. */
static inline bool edl__add_ok(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return false;
    *out = a + b;
    return true;
}

#define EDL__CHECK_PTR(fn, p)                                                     \
    do {                                                                          \
        if ((p) == NULL) return edl__fail(EDL_ERR_ARG, "%s: %s is NULL", fn, #p); \
    } while (0)
#define EDL__CHECK_SIZE(fn, v)                                              \
    do {                                                                    \
        if ((v) == 0) return edl__fail(EDL_ERR_ARG, "%s: %s is 0", fn, #v); \
    } while (0)
#define EDL__TRY(expr)                       \
    do {                                     \
        edl_status edl__s = (expr);          \
        if (edl__s != EDL_OK) return edl__s; \
    } while (0)

/* Seconds on a monotonic clock (for rates and progress, never for results). */
double edl__now(void);

int edl__num_threads(void);
int edl__thread_id(void);
int edl__num_threads_in_team(void); /* inside a parallel region */
/* The threads a kernel's own parallel region would get: 1 inside an active one (nested regions
   are teams of one), else edl__num_threads(). */
int edl__threads_for_region(void);

#endif
