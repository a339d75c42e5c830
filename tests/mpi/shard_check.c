/* Run by tests/test_mpi_shard.c, alone (one process) and under mpirun: a row-sharded table
 * (src/model/shard.c) on N ranks against the same steps computed whole on every rank. Each step
 * draws one global batch of ids (repeats included, the same on every rank), rank r takes its
 * share, looks the rows up, checks them, adds a gradient per example (a function of the example
 * and the row) and pushes; after the steps every row is looked up and compared. Prints
 * "rank R of N: ok rows HELD bytes SENT" or the first wrong value; exits 0 only when right.
 * Args: rows width steps batch optimizer(sgd|adagrad|adam|rowwise). */
#include "model/comm.h"
#include "model/optim_rules.h"
#include "model/shard.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float init_value(size_t row, size_t j) { return (float)((row * 7 + j * 3) % 11) / 11.0f - 0.5f; }

static void fill(size_t row, float *x, void *ctx) {
    size_t w = *(const size_t *)ctx;
    for (size_t j = 0; j < w; j++) x[j] = init_value(row, j);
}

static float grad_value(size_t step, size_t example, size_t j, float v) {
    return 0.01f * (float)((step * 13 + example * 5 + j) % 9) - 0.04f + 0.1f * v;
}

static int64_t batch_id(size_t step, size_t k, size_t rows) {
    uint64_t x = (step + 1) * 0x9e3779b97f4a7c15ULL ^ (k + 1) * 0xd6e8feb86659fd93ULL;
    x ^= x >> 29;
    return (int64_t)(x % (k % 3 ? rows : rows / 4 + 1)); /* a third from the first quarter: repeats */
}

int main(int argc, char **argv) {
    if (argc != 6) return printf("usage: shard_check rows width steps batch sgd|adagrad|adam|rowwise\n"), 2;
    size_t rows = strtoull(argv[1], NULL, 10), w = strtoull(argv[2], NULL, 10), steps = strtoull(argv[3], NULL, 10),
           batch = strtoull(argv[4], NULL, 10);
    edl_opt_kind kind = !strcmp(argv[5], "adam")      ? EDL_OPT_ADAM
                        : !strcmp(argv[5], "adagrad") ? EDL_OPT_ADAGRAD
                        : !strcmp(argv[5], "rowwise") ? EDL_OPT_ROWWISE_ADAGRAD
                                                      : EDL_OPT_SGD;
    edl_comm *c = NULL;
    if (edl_comm_create(&c) != EDL_OK) return printf("edl_comm_create: %s\n", edl_last_error()), 1;
    int n = edl_comm_size(c), r = edl_comm_rank(c), err = 0;
    edl_optim_config oc;
    edl_optim_defaults(&oc, kind);
    oc.lr = 0.05f;
    /* the reference: the whole table, summed gradients applied row by row */
    edl__shard ref, t;
    if (edl__shard_init(&ref, NULL, rows, w, &oc) != EDL_OK || edl__shard_init(&t, c, rows, w, &oc) != EDL_OK)
        return printf("rank %d: init: %s\n", r, edl_last_error()), 1;
    edl__shard_fill(&ref, fill, &w);
    edl__shard_fill(&t, fill, &w);
    if (t.local != (rows + (size_t)n - 1 - (size_t)r) / (size_t)n) err = printf("rank %d: local rows wrong\n", r);
    int64_t *ids = malloc(batch * sizeof *ids);
    size_t *slot = malloc(batch * sizeof *slot), *rslot = malloc(batch * sizeof *rslot);
    edl__shard_batch b, rb;
    memset(&b, 0, sizeof b), memset(&rb, 0, sizeof rb);
    for (size_t s = 0; s < steps; s++) { /* every rank every step, even after an error */
        for (size_t k = 0; k < batch; k++) ids[k] = batch_id(s, k, rows);
        size_t lo, hi;
        edl__comm_share(c, batch, &lo, &hi);
        edl__opt_coef co = edl__opt_coefs(&oc, oc.lr, s + 1, 1), co2 = co;
        co2.lr *= 0.5f; /* the last column: other coefficients */
        if (edl__shard_lookup(&t, &b, ids + lo, hi - lo, slot) != EDL_OK ||
            edl__shard_lookup(&ref, &rb, ids, batch, rslot) != EDL_OK)
            err = printf("rank %d: lookup: %s\n", r, edl_last_error());
        for (size_t k = lo; k < hi; k++) {
            const float *got = b.rows + slot[k - lo] * w, *want = ref.w + (size_t)ids[k] * w;
            for (size_t j = 0; j < w; j++)
                if (fabs((double)got[j] - want[j]) > 1e-5 * fmax(1e-3, fabs((double)want[j])) && !err)
                    err = printf("rank %d: step %zu: row %lld differs\n", r, s, (long long)ids[k]);
            for (size_t j = 0; j < w; j++) b.grad[slot[k - lo] * w + j] += grad_value(s, k, j, got[j]);
        }
        for (size_t k = 0; k < batch; k++)
            for (size_t j = 0; j < w; j++)
                rb.grad[rslot[k] * w + j] += grad_value(s, k, j, ref.w[(size_t)ids[k] * w + j]);
        if (edl__shard_push(&t, &b, &co, w - 1, &co2, 1) != EDL_OK || edl__shard_push(&ref, &rb, &co, w - 1, &co2, 1))
            err = printf("rank %d: push: %s\n", r, edl_last_error());
    }
    /* every row, looked up by every rank */
    int64_t *all = malloc(rows * sizeof *all);
    size_t *aslot = malloc(rows * sizeof *aslot);
    for (size_t k = 0; k < rows; k++) all[k] = (int64_t)(rows - 1 - k);
    if (edl__shard_lookup(&t, &b, all, rows, aslot) != EDL_OK)
        err = printf("rank %d: lookup: %s\n", r, edl_last_error());
    double worst = 0;
    for (size_t k = 0; k < rows; k++)
        for (size_t j = 0; j < w; j++) {
            float got = b.rows[aslot[k] * w + j], want = ref.w[(size_t)all[k] * w + j];
            double d = fabs((double)got - want) / fmax(1e-3, fabs((double)want));
            if (d > worst) worst = d;
        }
    if (worst > 1e-5) err = printf("rank %d: rows after %zu steps differ by %g (relative)\n", r, steps, worst);
    /* an id outside the table: refused by its rank after the exchange, the others unharmed */
    int64_t outside = (int64_t)rows + r;
    edl_status os = edl__shard_lookup(&t, &b, &outside, 1, aslot);
    if (os != EDL_ERR_INDEX || !strstr(edl_last_error(), "outside")) err = printf("rank %d: bad id taken\n", r);
    printf("rank %d of %d: %s rows %zu bytes %zu sent %llu maxrel %g\n", r, n, err ? "FAILED" : "ok", t.local,
           edl__shard_bytes(rows, w, n, r, kind, 0), (unsigned long long)edl_comm_bytes_sent(c), worst);
    edl__shard_batch_free(&b), edl__shard_batch_free(&rb);
    edl__shard_free(&t), edl__shard_free(&ref);
    free(ids), free(slot), free(rslot), free(all), free(aslot);
    edl_comm_free(c);
    return err != 0;
}
