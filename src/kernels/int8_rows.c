/* Tables as int8 rows, FBGEMM's fused 8-bit row-wise quantization: each row keeps uint8 codes and
 * a float scale and offset, value = code * scale + offset, with scale = (max - min) / 255 and
 * offset = min of the row, so a row of dim floats costs dim + 8 bytes. */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <math.h>

edl_status edl_int8_rows_quantize(uint8_t *codes, float *scale_offset, const float *table, size_t rows, size_t dim) {
    static const char fn[] = "edl_int8_rows_quantize";
    EDL__CHECK_PTR(fn, codes);
    EDL__CHECK_PTR(fn, scale_offset);
    EDL__CHECK_PTR(fn, table);
    EDL__CHECK_SIZE(fn, dim);
    EDL__TRY(edl__check_matrix(fn, "table", rows, dim));
    for (size_t r = 0; r < rows; r++) /* every value checked before a byte is written */
        if (!edl__vec_all_finite(table + r * dim, dim))
            for (size_t d = 0; d < dim; d++)
                if (!isfinite(table[r * dim + d]))
                    return edl__fail(EDL_ERR_NUMERIC, "%s: table[%zu][%zu] = %g is not finite", fn, r, d,
                                     (double)table[r * dim + d]);
    for (size_t r = 0; r < rows; r++) {
        const float *x = table + r * dim;
        float lo = x[0], hi = x[0];
        for (size_t d = 1; d < dim; d++) lo = x[d] < lo ? x[d] : lo, hi = x[d] > hi ? x[d] : hi;
        const double scale = ((double)hi - (double)lo) / 255.0; /* in double: hi - lo may pass FLT_MAX */
        uint8_t *c = codes + r * dim;
        for (size_t d = 0; d < dim; d++) {
            double q = scale > 0 ? rint(((double)x[d] - (double)lo) / scale) : 0.0;
            c[d] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        }
        scale_offset[2 * r] = (float)scale, scale_offset[2 * r + 1] = lo;
    }
    return EDL_OK;
}

edl_status edl_int8_rows_dequantize(float *table, const uint8_t *codes, const float *scale_offset, size_t rows,
                                    size_t dim) {
    static const char fn[] = "edl_int8_rows_dequantize";
    EDL__CHECK_PTR(fn, codes);
    EDL__CHECK_PTR(fn, scale_offset);
    EDL__CHECK_PTR(fn, table);
    EDL__TRY(edl__check_matrix(fn, "table", rows, dim));
    for (size_t r = 0; r < rows; r++)
        for (size_t d = 0; d < dim; d++)
            table[r * dim + d] = (float)codes[r * dim + d] * scale_offset[2 * r] + scale_offset[2 * r + 1];
    return EDL_OK;
}
