/* Embedding lookup: PyTorch reference, naive reference, one-hot equivalence, threads, errors. */
#include "harness.h"
#include "kernels/kernels.h"
#include "common/internal.h"

TEST(embedding_matches_pytorch) {
    size_t nt, ni, nd;
    const float *table = ref_f32("embedding.table", &nt);
    const int64_t *idx = ref_i64("embedding.idx", &ni);
    const float *dout = ref_f32("embedding.dout", &nd);
    size_t dim = nd / ni, rows = nt / dim;
    float *out = zeros(ni * dim), *dtable = zeros(nt);
    CHECK_OK(edl_embedding_forward(out, table, rows, dim, idx, ni));
    CHECK_EQUAL_F(out, ref_f32("embedding.out", NULL), ni * dim);
    CHECK_OK(edl_embedding_backward(dtable, rows, dim, idx, ni, dout));
    CHECK_CLOSE(dtable, ref_f32("embedding.dtable", NULL), nt, 1e-6, 1e-6);
    free(out);
    free(dtable);
}

TEST(embedding_fast_equals_naive) {
    edl_rng rng;
    edl_rng_seed(&rng, 1);
    const size_t shapes[][3] = {{1, 1, 1}, {10, 3, 17}, {1000, 64, 5000}, {50, 257, 300}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t rows = shapes[s][0], dim = shapes[s][1], n = shapes[s][2];
        float *table = rand_floats(&rng, rows * dim, -1, 1), *dout = rand_floats(&rng, n * dim, -1, 1);
        int64_t *idx = malloc(n * sizeof *idx);
        for (size_t i = 0; i < n; i++) idx[i] = (int64_t)edl_rng_below(&rng, rows);
        float *out = zeros(n * dim), *ref = zeros(n * dim);
        CHECK_OK(edl_embedding_forward(out, table, rows, dim, idx, n));
        edl__embedding_forward_naive(ref, table, dim, idx, n);
        CHECK_EQUAL_F(out, ref, n * dim);
        float *dt = rand_floats(&rng, rows * dim, -1, 1), *dref = copy_floats(dt, rows * dim);
        CHECK_OK(edl_embedding_backward(dt, rows, dim, idx, n, dout));
        edl__embedding_backward_naive(dref, dim, idx, n, dout);
        CHECK_EQUAL_F(dt, dref, rows * dim); /* same addition order per row: bit-equal */
        free(table), free(dout), free(idx), free(out), free(ref), free(dt), free(dref);
    }
}

/* Forward and backward give bit-identical results for 1 thread and N threads. The table is
   larger than EDL__SCATTER_PAR_MIN_BYTES so the backward really is split over threads. */
TEST(embedding_threads_identical) {
    edl_rng rng;
    edl_rng_seed(&rng, 2);
    size_t dim = 48, rows = EDL__SCATTER_PAR_MIN_BYTES / (dim * sizeof(float)) + 1000, n = 20000;
    float *table = rand_floats(&rng, rows * dim, -1, 1), *dout = rand_floats(&rng, n * dim, -1, 1);
    int64_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) /* many repeats, and rows all over the table */
        idx[i] = (int64_t)(i % 3 ? edl_rng_below(&rng, 50) : edl_rng_below(&rng, rows));
    float *o1 = zeros(n * dim), *on = zeros(n * dim), *d1 = zeros(rows * dim), *dn = zeros(rows * dim);
    set_threads(1);
    CHECK_OK(edl_embedding_forward(o1, table, rows, dim, idx, n));
    CHECK_OK(edl_embedding_backward(d1, rows, dim, idx, n, dout));
    const int threads[] = {2, 3, 8}; /* a power of two and not: both ownership rules */
    for (int t = 0; t < 3; t++) {
        set_threads(threads[t]);
        memset(dn, 0, rows * dim * sizeof *dn);
        CHECK_OK(edl_embedding_forward(on, table, rows, dim, idx, n));
        CHECK_OK(edl_embedding_backward(dn, rows, dim, idx, n, dout));
        CHECK_EQUAL_F(o1, on, n * dim);
        CHECK_EQUAL_F(d1, dn, rows * dim);
    }
    float *dref = zeros(rows * dim);
    edl__embedding_backward_naive(dref, dim, idx, n, dout);
    CHECK_EQUAL_F(dn, dref, rows * dim);
    free(dref);
    free(table), free(dout), free(idx), free(o1), free(on), free(d1), free(dn);
}

/* The backward never writes a row no index names: poison them with NaN and look. */
TEST(embedding_backward_touches_only_named_rows) {
    edl_rng rng;
    edl_rng_seed(&rng, 3);
    size_t rows = 5000, dim = 16, n = 4000;
    float *dt = malloc(rows * dim * sizeof *dt), *dout = rand_floats(&rng, n * dim, -1, 1);
    for (size_t i = 0; i < rows * dim; i++) dt[i] = NAN;
    int64_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = 2 * (int64_t)edl_rng_below(&rng, rows / 2); /* even */
    char *named = calloc(rows, 1);
    for (size_t i = 0; i < n; i++) named[idx[i]] = 1;
    for (size_t r = 0; r < rows; r++)
        if (named[r]) memset(dt + r * dim, 0, dim * sizeof *dt);
    CHECK_OK(edl_embedding_backward(dt, rows, dim, idx, n, dout));
    size_t bad = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t d = 0; d < dim; d++) bad += named[r] ? isnan(dt[r * dim + d]) : !isnan(dt[r * dim + d]);
    CHECK(bad == 0);
    free(dt), free(dout), free(idx), free(named);
}

/* onehot(idx) @ table == table[idx], and the dense layer's weight gradient is the table's. */
TEST(embedding_equals_onehot_dense) {
    edl_rng rng;
    edl_rng_seed(&rng, 4);
    size_t rows = 37, dim = 11, n = 23;
    float *table = rand_floats(&rng, rows * dim, -2, 2), *dout = rand_floats(&rng, n * dim, -1, 1);
    int64_t *idx = malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = (int64_t)edl_rng_below(&rng, rows);
    /* Dense weight is [out][in] = [dim][rows]: the table transposed. */
    float *wt = zeros(dim * rows);
    for (size_t r = 0; r < rows; r++)
        for (size_t d = 0; d < dim; d++) wt[d * rows + r] = table[r * dim + d];
    float *hot = zeros(n * rows), *o_emb = zeros(n * dim), *o_dense = zeros(n * dim);
    CHECK_OK(edl_onehot(hot, idx, n, rows));
    CHECK_OK(edl_embedding_forward(o_emb, table, rows, dim, idx, n));
    CHECK_OK(edl_dense_forward(o_dense, hot, n, rows, dim, wt, NULL, EDL_ACT_NONE));
    CHECK_CLOSE(o_dense, o_emb, n * dim, 0, 1e-6); /* x*1 + 0s: exact in practice */
    float *dt = zeros(rows * dim), *dwt = zeros(dim * rows), *dw_as_table = zeros(rows * dim);
    CHECK_OK(edl_embedding_backward(dt, rows, dim, idx, n, dout));
    CHECK_OK(edl_dense_backward(NULL, dwt, NULL, dout, hot, o_dense, n, rows, dim, wt, EDL_ACT_NONE));
    for (size_t r = 0; r < rows; r++)
        for (size_t d = 0; d < dim; d++) dw_as_table[r * dim + d] = dwt[d * rows + r];
    CHECK_CLOSE(dw_as_table, dt, rows * dim, 1e-6, 1e-6);
    free(table), free(dout), free(idx), free(wt), free(hot), free(o_emb), free(o_dense);
    free(dt), free(dwt), free(dw_as_table);
}

TEST(embedding_renorm_matches_pytorch) {
    const char *cases[][3] = {{"renorm.table", "renorm.after", "2"},
                              {"renorm1.table", "renorm1.after", "1"},
                              {"renorm3.table", "renorm3.after", "3"},
                              {"renorm_inf.table", "renorm_inf.after", "inf"}};
    for (int c = 0; c < 4; c++) {
        size_t nt, ni;
        const float *orig = ref_f32(cases[c][0], &nt);
        float *table = copy_floats(orig, nt);
        const int64_t *idx = ref_i64("renorm.idx", &ni);
        CHECK_OK(edl_embedding_renorm(table, 7, nt / 7, idx, ni, 1.5f,
                                      strcmp(cases[c][2], "inf") ? (float)atof(cases[c][2]) : INFINITY));
        CHECK_CLOSE(table, ref_f32(cases[c][1], NULL), nt, 1e-6, 1e-5);
        free(table);
    }
}

TEST(embedding_errors) {
    float table[50 * 2] = {0}, out[4 * 2], dt[4 * 50]; /* dt also serves as a 4 x 50 one-hot */
    for (int i = 0; i < 8; i++) out[i] = 7.0f;
    const int64_t bad_values[] = {-1, 50, INT64_MAX, INT64_MIN};
    for (size_t b = 0; b < 4; b++) {
        int64_t idx[4] = {0, bad_values[b], 3, 4};
        CHECK_STATUS(edl_embedding_forward(out, table, 50, 2, idx, 4), EDL_ERR_INDEX);
        CHECK_ERROR_HAS("at position 1 is out of range [0, 50)");
        CHECK_STATUS(edl_embedding_backward(dt, 50, 2, idx, 4, out), EDL_ERR_INDEX);
        CHECK_ERROR_HAS("at position 1 is out of range [0, 50)");
        CHECK_STATUS(edl_onehot(dt, idx, 4, 50), EDL_ERR_INDEX);
        CHECK_STATUS(edl_embedding_renorm(table, 50, 2, idx, 4, 1.0f, 2.0f), EDL_ERR_INDEX);
    }
    int64_t idx[4] = {0, 50, 3, 4};
    CHECK_STATUS(edl_embedding_forward(out, table, 50, 2, idx, 4), EDL_ERR_INDEX);
    CHECK_ERROR_HAS("index 50 at position 1 is out of range [0, 50)");
    for (int i = 0; i < 8; i++) CHECK(out[i] == 7.0f); /* untouched, not half written */
    int64_t ok[1] = {0};
    CHECK_STATUS(edl_embedding_forward(NULL, table, 50, 2, ok, 1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(out, NULL, 50, 2, ok, 1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(out, table, 50, 2, NULL, 1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(out, table, 0, 2, ok, 1), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_forward(out, table, 50, 0, ok, 1), EDL_ERR_ARG);
    CHECK_OK(edl_embedding_forward(out, table, 50, 2, ok, 0)); /* an empty batch (test_api_edges.c) */
    CHECK_STATUS(edl_embedding_backward(NULL, 50, 2, ok, 1, out), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_backward(dt, 50, 2, ok, 1, NULL), EDL_ERR_ARG);
    CHECK_OK(edl_embedding_backward(dt, 50, 2, ok, 0, out));
    /* rows * dim * 4 bytes overflowing size_t is refused before anything is read */
    CHECK_STATUS(edl_embedding_forward(out, table, SIZE_MAX / 2, 4, ok, 1), EDL_ERR_NOMEM);
    CHECK_STATUS(edl_embedding_renorm(table, 50, 2, ok, 1, -1.0f, 2.0f), EDL_ERR_ARG);
    CHECK_STATUS(edl_embedding_renorm(table, 50, 2, ok, 1, 1.0f, 0.0f), EDL_ERR_ARG);
}

TEST(status_strings_and_version) {
    const edl_status all[] = {EDL_OK,     EDL_ERR_ARG,    EDL_ERR_INDEX,   EDL_ERR_NOMEM,
                              EDL_ERR_IO, EDL_ERR_FORMAT, EDL_ERR_NUMERIC, EDL_ERR_UNSUPPORTED,
                              EDL_ERR_CANCELLED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (size_t j = 0; j < i; j++) CHECK(strcmp(edl_status_str(all[i]), edl_status_str(all[j])) != 0);
    CHECK(!strcmp(edl_status_str(EDL_ERR_INDEX), "index out of range"));
    CHECK(strcmp(edl_status_str((edl_status)-99), "") != 0);
    CHECK(edl_version_number() == EDL_VERSION_NUMBER);
    CHECK(!strcmp(edl_version_string(), EDL_VERSION_STRING));
    CHECK(strstr(edl_build_info(), "gemm=") != NULL);
}
