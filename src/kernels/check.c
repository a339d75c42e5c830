/* Argument checks shared by the kernels: size overflow, index ranges, bag offsets. */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <inttypes.h>

edl_status edl__check_matrix(const char *fn, const char *what, size_t r, size_t c) {
    size_t e, bytes;
    if (!edl__mul_ok(r, c, &e) || !edl__mul_ok(e, sizeof(float), &bytes))
        return edl__fail(EDL_ERR_NOMEM, "%s: %s of %zu x %zu floats overflows size_t", fn, what, r, c);
    return EDL_OK;
}

edl_status edl__check_indices(const char *fn, const int64_t *idx, size_t n, size_t rows) {
    /* One vectorisable pass finds whether anything is wrong (a negative index cast to unsigned
       is huge, so one compare covers both ends); only then does the slow path name it. */
    if (!edl__vec_any_ge(idx, n, rows)) return EDL_OK;
    for (size_t i = 0; i < n; i++)
        if (idx[i] < 0 || (uint64_t)idx[i] >= rows)
            return edl__fail(EDL_ERR_INDEX, "%s: index %" PRId64 " at position %zu is out of range [0, %zu)", fn,
                             idx[i], i, rows);
    return EDL_OK;
}

edl_status edl__check_offsets(const char *fn, const int64_t *offsets, size_t bags, size_t n) {
    if (offsets[0] != 0) return edl__fail(EDL_ERR_INDEX, "%s: offsets[0] is %" PRId64 ", must be 0", fn, offsets[0]);
    for (size_t b = 1; b < bags; b++) {
        if (offsets[b] < offsets[b - 1] || (uint64_t)offsets[b] > n)
            return edl__fail(EDL_ERR_INDEX, "%s: offset %" PRId64 " at position %zu is out of range [%" PRId64 ", %zu]",
                             fn, offsets[b], b, offsets[b - 1], n);
    }
    return EDL_OK;
}
