/* What bounds the dense Adam update of bench/train.c's table (5000 x 64), one thread:
 *
 *   build/bench_bag_update [reps]
 * Times (medians of reps, microseconds a step): the fused row sums + Adam on the 5000-row table
 * with a batch's lists (256 bags of 50 uniform ids, as bench/train.c); the same without lists
 * (every row's gradient zero: the update alone); the update alone on 100 rows kept in L1, 50
 * times (the same 5000 row updates, no memory traffic beyond L1); the unfused update
 * (edl__vec_adam over the stored gradient, 32 bytes a parameter); building the lists; the
 * scatter the lists replace (edl__vec_scatter_add, the stored gradient's pass), alone and with the
 * unfused update after it. When the update alone takes as long in L1 as on the table, the
 * arithmetic (a square root and two divisions a parameter), not memory, sets its time; the
 * fused line less the update alone is what summing the rows costs.
 */
#include "bench.h"
#include "kernels/kernels.h"
#include "model/optim_rules.h"

#include <string.h>

enum { BAGS = 256, BAG = 50, ROWS = 5000, N = BAGS * BAG, DIM = 64, MAXREPS = 1001 };

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 201;
    if (reps < 1) reps = 1;
    if (reps > MAXREPS) reps = MAXREPS;
    static int64_t idx[N], offsets[BAGS];
    static edl__bag_occ occ[N];
    static uint32_t start[ROWS + 1], none[ROWS + 1]; /* none: every row's range empty */
    static float p[ROWS * DIM], m1[ROWS * DIM], m2[ROWS * DIM], g[ROWS * DIM], dout[BAGS * DIM];
    static double t[7][MAXREPS];
    edl_rng rng;
    edl_rng_seed(&rng, 2);
    for (int i = 0; i < N; i++) idx[i] = (int64_t)edl_rng_below(&rng, ROWS);
    for (int i = 0; i < BAGS; i++) offsets[i] = (int64_t)i * BAG;
    for (int i = 0; i < BAGS * DIM; i++) dout[i] = edl_rng_uniform(&rng) * 1e-3f;
    for (int i = 0; i < ROWS * DIM; i++) p[i] = edl_rng_uniform(&rng) - 0.5f;
    edl_optim_config oc;
    edl_optim_defaults(&oc, EDL_OPT_ADAM);
    edl__opt_coef a = edl__opt_coefs(&oc, 1e-3f, 5, 0);
    edl__bag_row_index(start, occ, ROWS, idx, N, offsets, BAGS, NULL, EDL_POOL_MEAN, -1);
    bool ok = true;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        ok &= edl__vec_update_bag_rows(EDL_OPT_ADAM, &a, p, m1, m2, DIM, 0, ROWS, start, occ, dout);
        double t1 = bench_now();
        ok &= edl__vec_update_bag_rows(EDL_OPT_ADAM, &a, p, m1, m2, DIM, 0, ROWS, none, occ, dout);
        double t2 = bench_now();
        for (int k = 0; k < ROWS / 100; k++)
            ok &= edl__vec_update_bag_rows(EDL_OPT_ADAM, &a, p, m1, m2, DIM, 0, 100, none, occ, dout);
        double t3 = bench_now();
        ok &= edl__vec_adam(p, g, m1, m2, ROWS * DIM, &a);
        double t4 = bench_now();
        edl__bag_row_index(start, occ, ROWS, idx, N, offsets, BAGS, NULL, EDL_POOL_MEAN, -1);
        double t5 = bench_now();
        for (int b = 0; b < BAGS; b++)
            edl__vec_scatter_add(g, DIM, idx, (size_t)b * BAG, (size_t)(b + 1) * BAG, NULL, 1.0f / BAG, -1,
                                 dout + b * DIM, 0, 1);
        double t6 = bench_now();
        ok &= edl__vec_adam(p, g, m1, m2, ROWS * DIM, &a);
        double t7 = bench_now();
        t[0][r] = t1 - t0, t[1][r] = t2 - t1, t[2][r] = t3 - t2, t[3][r] = t4 - t3, t[4][r] = t5 - t4;
        t[5][r] = t6 - t5, t[6][r] = t7 - t5;
    }
    for (int k = 0; k < 7; k++) qsort(t[k], (size_t)reps, sizeof t[k][0], cmp);
    const char *names[7] = {"fused sums + adam",
                            "adam alone (no lists)",
                            "adam alone, 100 rows in L1 x 50",
                            "unfused adam (stored gradient)",
                            "the rows' lists",
                            "scatter",
                            "scatter + unfused adam"};
    for (int k = 0; k < 7; k++) printf("%-34s %8.1f us\n", names[k], t[k][reps / 2] * 1e6);
    return ok ? 0 : 1;
}
