/* Internal helpers shared by the library's files. Not installed. */
#ifndef EDL__INTERNAL_H
#define EDL__INTERNAL_H

#include "edl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
