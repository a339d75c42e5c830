/* Status names, the thread-local error message, and version/build information. */
#include "common/internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Thread-local by design: each thread sees its own last failure; no shared mutable state.
   Room for two paths of PATH_MAX and the reason: a long path never cuts the reason off. */
enum { ERROR_BYTES = 3 * 4096 };
static _Thread_local char last_error[ERROR_BYTES];

edl_status edl__fail(edl_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

edl_status edl__fail_wrap(edl_status s, const char *fmt, ...) {
    char prefix[ERROR_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    size_t p = (size_t)n < sizeof prefix ? (size_t)n : sizeof prefix - 1, old = strlen(last_error);
    /* the old message moves right to make room for the prefix and ": " (what does not fit is the
       end of the reason, only past ERROR_BYTES) */
    if (p + 2 >= sizeof last_error) p = sizeof last_error - 3;
    size_t keep = old < sizeof last_error - p - 3 ? old : sizeof last_error - p - 3;
    memmove(last_error + p + 2, last_error, keep);
    last_error[p + 2 + keep] = '\0';
    memcpy(last_error, prefix, p);
    last_error[p] = ':', last_error[p + 1] = ' ';
    return s;
}

const char *edl_last_error(void) { return last_error; }

const char *edl_status_str(edl_status s) {
    switch (s) {
    case EDL_OK: return "ok";
    case EDL_ERR_ARG: return "invalid argument";
    case EDL_ERR_INDEX: return "index out of range";
    case EDL_ERR_NOMEM: return "out of memory";
    case EDL_ERR_IO: return "i/o error";
    case EDL_ERR_FORMAT: return "malformed input";
    case EDL_ERR_NUMERIC: return "non-finite number";
    case EDL_ERR_UNSUPPORTED: return "unsupported";
    case EDL_ERR_CANCELLED: return "cancelled";
    }
    return "unknown status";
}

unsigned edl_version_number(void) { return EDL_VERSION_NUMBER; }
const char *edl_version_string(void) { return EDL_VERSION_STRING; }
