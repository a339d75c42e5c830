/* Synchronous data-parallel training (edl train on several ranks): the parts of a global batch
 * add up to the whole batch's gradient, dropout included (in one process, any build), and under
 * mpirun 2 and 4 ranks train the model one process trains, every parameter within 1e-5
 * relative; a seed and a rank count give the same file twice; a bad line in one rank's share stops
 * every rank naming the file and line, and writes nothing. */
#include "harness.h"
#include "kernels/kernels.h"
#include "io/safetensors.h"
#include "model/model.h"

#include <sys/stat.h>
#include <unistd.h>

/* ---- one process: the pieces ---------------------------------------------------------------- */

TEST(dropout_rows_draw_what_the_whole_batch_draws) {
    enum { N = 7, D = 5 };
    edl_rng rng;
    edl_rng_seed(&rng, 11);
    float *in = rand_floats(&rng, N * D, -1, 1), whole[N * D], part[N * D];
    uint8_t mw[N * D], mp[N * D];
    edl_rng a, b;
    edl_rng_seed(&a, 5), edl_rng_seed(&b, 5);
    CHECK_STATUS(edl_dropout_forward(whole, mw, in, N * D, 0.4f, &a), EDL_OK);
    /* rows 1, 4, 6 of the batch, held alone */
    const size_t pos[3] = {1, 4, 6};
    float held_in[3 * D];
    for (int i = 0; i < 3; i++) memcpy(held_in + i * D, in + pos[i] * D, D * sizeof(float));
    edl__dropout_forward_rows(part, mp, held_in, 3, D, pos, N, 0.4f, &b);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < D; j++) {
            CHECK(mp[i * D + j] == mw[pos[i] * D + j]);
            CHECK(part[i * D + j] == whole[pos[i] * D + j]);
        }
    CHECK(edl_rng_u64(&a) == edl_rng_u64(&b)); /* the same numbers drawn */
    /* no positions: the kernel itself */
    edl_rng_seed(&a, 9), edl_rng_seed(&b, 9);
    CHECK_STATUS(edl_dropout_forward(whole, mw, in, N * D, 0.25f, &a), EDL_OK);
    edl__dropout_forward_rows(part, mp, in, N, D, NULL, N, 0.25f, &b);
    CHECK(!memcmp(whole, part, sizeof whole) && !memcmp(mw, mp, sizeof mw));
    free(in);
}

/* A model with an embedding bag, dense layers and dropout, and a batch of n examples. */
static edl_model *small_model(void) {
    edl_model *m = NULL;
    if (edl_model_parse_spec(&m, "embedding_bag(rows=30,dim=6,pool=mean) dense(8,act=relu) dropout(0.3) dense(3)") !=
            EDL_OK ||
        edl_model_init(m, EDL_INIT_TORCH, 4) != EDL_OK) {
        edl_model_free(m);
        return NULL;
    }
    return m;
}

TEST(parts_of_a_batch_add_up_to_the_whole_batch) {
    enum { N = 9 };
    int64_t idx[3 * N], off[N], lab[N];
    edl_rng rng;
    edl_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++) {
        off[i] = 3 * i, lab[i] = (int64_t)edl_rng_below(&rng, 3);
        for (int j = 0; j < 3; j++) idx[3 * i + j] = (int64_t)edl_rng_below(&rng, 30);
    }
    edl_model *whole = small_model(), *part = small_model();
    if (!whole || !part) {
        FAILF("model: %s", edl_last_error());
        edl_model_free(whole), edl_model_free(part);
        return;
    }
    edl_batch b = {.n = N, .idx = idx, .nidx = 3 * N, .offsets = off, .labels = lab};
    edl_rng r1, r2;
    edl_rng_seed(&r1, 8), edl_rng_seed(&r2, 8);
    float loss = 0;
    CHECK_STATUS(edl_model_forward_backward(whole, &b, &r1, &loss), EDL_OK);
    /* examples {0, 2, 3, 7} then the rest, each part drawing the whole batch's dropout */
    const size_t pa[4] = {0, 2, 3, 7}, pb[5] = {1, 4, 5, 6, 8};
    const size_t *parts[2] = {pa, pb}, counts[2] = {4, 5};
    edl_rng start = r2;
    for (int k = 0; k < 2; k++) {
        int64_t pidx[3 * N], poff[N], plab[N];
        for (size_t i = 0; i < counts[k]; i++) {
            size_t e = parts[k][i];
            memcpy(pidx + 3 * i, idx + 3 * e, 3 * sizeof *idx), poff[i] = 3 * (int64_t)i, plab[i] = lab[e];
        }
        edl_batch pbch = {.n = counts[k], .idx = pidx, .nidx = 3 * counts[k], .offsets = poff, .labels = plab};
        edl_rng rk = start; /* every rank starts the step from the same state */
        CHECK_STATUS(edl__forward_backward_part(part, &pbch, &rk, parts[k], N, &loss), EDL_OK);
        if (k == 1) CHECK(edl_rng_u64(&rk) == edl_rng_u64(&r1)); /* both drew the whole batch's numbers */
    }
    double worst = 0;
    for (size_t i = 0; i < whole->nparams; i++) {
        double x = whole->grads[i], y = part->grads[i], d = fabs(x - y) / fmax(fmax(fabs(x), fabs(y)), 1e-6);
        worst = d > worst ? d : worst;
    }
    if (worst > 1e-5) FAILF("gradients differ by %g relative", worst);
    /* a part holding nothing draws the batch's numbers and adds nothing */
    edl_batch none = {.n = 0, .idx = idx, .nidx = 0, .offsets = off, .labels = lab};
    edl_rng r3 = start;
    CHECK_STATUS(edl__forward_backward_part(part, &none, &r3, pa, N, &loss), EDL_OK);
    edl_rng r4 = start;
    for (int i = 0; i < N * 8; i++) edl_rng_uniform(&r4);
    CHECK(edl_rng_u64(&r3) == edl_rng_u64(&r4));
    edl_model_free(whole), edl_model_free(part);
}

/* ---- under mpirun ---------------------------------------------------------------------------- */

/* A dataset of n examples: a class of 4 and 1 to 6 indices below 60. */
static void write_data(const char *path, size_t n, uint64_t seed, size_t bad_line) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    for (size_t i = 1; i <= n; i++) {
        if (i == bad_line) {
            fputs("2 7 x9\n", f);
            continue;
        }
        fprintf(f, "%u", (unsigned)edl_rng_below(&rng, 4));
        for (uint64_t k = 0, m = 1 + edl_rng_below(&rng, 6); k < m; k++)
            fprintf(f, " %u", (unsigned)edl_rng_below(&rng, 60));
        fputc('\n', f);
    }
    fclose(f);
}

/* The largest relative difference between the two models' parameters (every layer's weight and
   bias), or INFINITY when they cannot be read or differ in shape. Values below 1e-3 in size are
   compared as if they were 1e-3 (an absolute 1e-8 at a tolerance of 1e-5): a weight that ends
   near 0 (one of 2.6e-5 here) carries the absolute rounding of the others' sums (5e-10), which
   is no larger relative to the layer but would be 2e-5 relative to itself. */
static double max_rel_diff(const char *pa, const char *pb) {
    edl_model *a = NULL, *b = NULL;
    double worst = INFINITY;
    if (edl_model_load(&a, pa) == EDL_OK && edl_model_load(&b, pb) == EDL_OK &&
        edl_model_num_layers(a) == edl_model_num_layers(b)) {
        worst = 0;
        for (size_t l = 0; l < edl_model_num_layers(a); l++)
            for (int w = 0; w < 2; w++) {
                size_t na = 0, nb = 0;
                const float *x = edl_model_tensor(a, l, w ? "bias" : "weight", &na);
                const float *y = edl_model_tensor(b, l, w ? "bias" : "weight", &nb);
                if (na != nb || !x != !y) worst = INFINITY;
                for (size_t i = 0; x && y && i < na && na == nb; i++) {
                    double d = fabs((double)x[i] - y[i]), s = fmax(fabs((double)x[i]), fabs((double)y[i]));
                    if (d > 0 && d / fmax(s, 1e-3) > worst) worst = d / fmax(s, 1e-3);
                }
            }
    }
    edl_model_free(a), edl_model_free(b);
    return worst;
}

static const char train_args[] = "train -spec 'embedding_bag(rows=60,dim=8,pool=mean) dense(16,act=relu) dropout(0.3) "
                                 "dense(4)' -epoch 2 -batch 16 -seed 3 -thread 1 -verbose 0";

TEST(mpi_train_on_2_and_4_ranks_equals_one_process) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpitrain-XXXXXX", data[96], one[96], many[96], args[1024], out[8192];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    write_data(data, 301, 1, 0);
    snprintf(one, sizeof one, "%s/one.safetensors", dir);
    snprintf(args, sizeof args, "%s %s -input %s -output %s/one 2>&1", harness_cli(), train_args, data, dir);
    if (harness_run(args, out, sizeof out) != 0) FAILF("one process: %s", out);
    for (int np = 2; np <= 4; np += 2) {
        snprintf(many, sizeof many, "%s/n%d.safetensors", dir, np);
        snprintf(args, sizeof args, "%s -input %s -output %s/n%d", train_args, data, dir, np);
        int rc = harness_mpirun(np, args, out, sizeof out);
        double d = max_rel_diff(one, many);
        if (rc != 0 || !(d <= 1e-5)) FAILF("%d ranks: rc %d, max relative difference %g:\n%s", np, rc, d, out);
    }
    /* the same seed and ranks: the same bytes */
    snprintf(many, sizeof many, "%s/n2.safetensors", dir);
    size_t na = 0, nb = 0;
    unsigned char *a = read_file_bytes(many, &na);
    snprintf(args, sizeof args, "%s -input %s -output %s/n2", train_args, data, dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    unsigned char *b = read_file_bytes(many, &nb);
    if (rc != 0 || !a || !b || na != nb || memcmp(a, b, na)) FAILF("2 ranks twice: rc %d, sizes %zu %zu", rc, na, nb);
    free(a), free(b);
    harness_remove_dir(dir);
}

/* The dense form of the table (sparse=0), whose gradient one process holds between backward and
   step (src/model/bag_grad.c) and ranks write into the block for the exchange: 2 ranks train
   one process's model; one process twice with the same seed writes the same bytes. */
TEST(mpi_train_dense_table_on_2_ranks_equals_one_process) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpidense-XXXXXX", data[96], one[96], again[96], two[96], args[1024], out[8192];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    static const char dense_args[] = "train -spec 'embedding_bag(rows=60,dim=8,pool=mean,sparse=0) dense(16,act=relu) "
                                     "dense(4)' -epoch 2 -batch 16 -seed 3 -thread 1 -verbose 0";
    snprintf(data, sizeof data, "%s/d.txt", dir);
    write_data(data, 301, 1, 0);
    /* twice into one path (the output path is in the model's metadata); the first moved aside */
    snprintf(one, sizeof one, "%s/one.safetensors", dir);
    snprintf(again, sizeof again, "%s/again.safetensors", dir);
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "%s %s -input %s -output %s/one 2>&1", harness_cli(), dense_args, data, dir);
        if (harness_run(args, out, sizeof out) != 0) FAILF("one process: %s", out);
        if (k == 0 && rename(one, again) != 0) FAILF("rename %s", one);
    }
    if (!harness_same_file(one, again)) FAILF("one process twice with one seed wrote different models");
    snprintf(args, sizeof args, "%s -input %s -output %s/two", dense_args, data, dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    snprintf(two, sizeof two, "%s/two.safetensors", dir);
    double d = max_rel_diff(one, two);
    if (rc != 0 || !(d <= 1e-5)) FAILF("2 ranks: rc %d, max relative difference %g:\n%s", rc, d, out);
    harness_remove_dir(dir);
}

TEST(mpi_train_validation_and_checkpoints_agree) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpitrain-XXXXXX", data[96], args[1024], out[8192], p1[128], p2[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    write_data(data, 201, 2, 0);
    /* held-out split with early stopping, clipping, and checkpoints rank 0 writes */
    const char *flags = "-epoch 3 -batch 9 -validSplit 0.2 -patience 1 -clip 0.5 -optimizer sgd -momentum 0.9";
    snprintf(args, sizeof args, "%s %s %s -input %s -output %s/one -log %s/one.csv 2>&1", harness_cli(), train_args,
             flags, data, dir, dir);
    if (harness_run(args, out, sizeof out) != 0) FAILF("one process: %s", out);
    snprintf(args, sizeof args, "%s %s -input %s -output %s/two -log %s/two.csv -checkpoint %s/ck -checkpointSteps 4",
             train_args, flags, data, dir, dir, dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    snprintf(p1, sizeof p1, "%s/one.safetensors", dir);
    snprintf(p2, sizeof p2, "%s/two.safetensors", dir);
    double d = max_rel_diff(p1, p2);
    if (rc != 0 || !(d <= 1e-5)) FAILF("rc %d, max relative difference %g:\n%s", rc, d, out);
    /* the logs: the same losses and accuracies (the seconds column aside) */
    snprintf(args, sizeof args, "cut -d, -f1-5 %s/one.csv > %s/a && cut -d, -f1-5 %s/two.csv > %s/b && cmp %s/a %s/b",
             dir, dir, dir, dir, dir, dir);
    if (harness_run(args, out, sizeof out) != 0) FAILF("the logs differ");
    snprintf(p1, sizeof p1, "%s/ck", dir);
    edl_model *ck = NULL;
    if (edl_model_load(&ck, p1) != EDL_OK) FAILF("checkpoint: %s", edl_last_error());
    edl_model_free(ck);
    harness_remove_dir(dir);
}

/* Ranks whose share holds no line (every line starts in rank 0's bytes: short lines, then a long
   one) still take part in every exchange with nothing to give, and the model is one process's;
   the Hogwild trainers on such a file finish too. (Under the sanitizers a rank giving nothing to
   the rows' gather died: memcpy from NULL.) */
TEST(mpi_train_ranks_with_empty_shares) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpiempty-XXXXXX", data[96], text[96], one[96], many[96], args[1024], out[8192];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    snprintf(text, sizeof text, "%s/s.txt", dir);
    FILE *f = fopen(data, "w"), *g = fopen(text, "w");
    if (f && g) {
        fputs("1 2 3\n0 4 5\n2 6\n3", f);
        fputs("__label__a w1 w2\n__label__b w3 w4\n__label__a w1 w5\n__label__b", g);
        for (int k = 0; k < 3000; k++) fprintf(f, " %d", k % 60), fprintf(g, " w%d", k % 50);
        fputc('\n', f), fputc('\n', g);
    }
    if (f) fclose(f);
    if (g) fclose(g);
    snprintf(one, sizeof one, "%s/one.safetensors", dir);
    snprintf(args, sizeof args, "%s %s -input %s -output %s/one 2>&1", harness_cli(), train_args, data, dir);
    if (harness_run(args, out, sizeof out) != 0) FAILF("one process: %s", out);
    snprintf(many, sizeof many, "%s/n4.safetensors", dir);
    snprintf(args, sizeof args, "%s -input %s -output %s/n4", train_args, data, dir);
    int rc = harness_mpirun(4, args, out, sizeof out);
    double d = max_rel_diff(one, many);
    if (rc != 0 || !(d <= 1e-5)) FAILF("4 ranks, 3 of them empty: rc %d, max relative difference %g:\n%s", rc, d, out);
    static const char *const hog[] = {"supervised", "skipgram", "cbow"};
    for (int k = 0; k < 3; k++) {
        snprintf(args, sizeof args, "%s -input %s -output %s/%s -thread 1 -epoch 1 -minCount 1 -verbose 0", hog[k],
                 text, dir, hog[k]);
        rc = harness_mpirun(4, args, out, sizeof out);
        if (rc != 0) FAILF("%s, 4 ranks, 3 of them empty: rc %d:\n%s", hog[k], rc, out);
    }
    harness_remove_dir(dir);
}

TEST(mpi_train_bad_line_in_one_share_stops_every_rank) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpitrain-XXXXXX", data[96], args[1024], out[8192], want[160], path[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    write_data(data, 200, 5, 190); /* in the last rank's share */
    snprintf(args, sizeof args, "%s -input %s -output %s/m", train_args, data, dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    snprintf(want, sizeof want, "rank 1: %s:190", data);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    struct stat st;
    if (rc == 0 || !strstr(out, want) || stat(path, &st) == 0) FAILF("rc %d, want \"%s\", no file:\n%s", rc, want, out);
    /* standard input cannot be shared: refused naming the flag */
    snprintf(args, sizeof args, "%s -input - -output %s/m < /dev/null", train_args, dir);
    rc = harness_mpirun(2, args, out, sizeof out);
    if (rc == 0 || !strstr(out, "-input -: 2 ranks read shares of a file")) FAILF("stdin: rc %d:\n%s", rc, out);
    harness_remove_dir(dir);
}

/* ---- recommenders under mpirun ---------------------------------------------------------------- */

/* The largest relative difference between every float tensor of two safetensors files (INFINITY
   when they cannot be read or hold other tensors): element by element, or (by_tensor) each
   difference against its tensor's largest magnitude. */
static double file_rel_diff(const char *pa, const char *pb, int by_tensor) {
    edl__st *a = NULL, *b = NULL;
    double worst = INFINITY;
    if (edl__st_open(&a, pa) == EDL_OK && edl__st_open(&b, pb) == EDL_OK && edl__st_count(a) == edl__st_count(b)) {
        worst = 0;
        for (size_t i = 0; i < edl__st_count(a); i++) {
            const edl__st_tensor *ta = edl__st_at(a, i), *tb = edl__st_find(b, ta->name);
            const void *da = NULL, *db = NULL;
            if (!tb || ta->end - ta->begin != tb->end - tb->begin || edl__st_data(a, ta, &da) != EDL_OK ||
                edl__st_data(b, tb, &db) != EDL_OK) {
                worst = INFINITY;
                break;
            }
            if (strcmp(ta->dtype, "F32")) {
                if (memcmp(da, db, ta->end - ta->begin)) worst = INFINITY;
                continue;
            }
            const float *x = da, *y = db;
            size_t n = (ta->end - ta->begin) / 4;
            double big = 0;
            for (size_t k = 0; k < n; k++) big = fmax(big, fmax(fabs((double)x[k]), fabs((double)y[k])));
            for (size_t k = 0; k < n; k++) {
                double d = fabs((double)x[k] - y[k]),
                       s = by_tensor ? big : fmax(fabs((double)x[k]), fabs((double)y[k]));
                if (d > 0 && d / fmax(s, 1e-30) > worst) worst = d / fmax(s, 1e-30);
            }
        }
    }
    edl__st_close(a), edl__st_close(b);
    return worst;
}

TEST(mpi_recommend_train_on_2_ranks_equals_one_process) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpirec-XXXXXX", data[96], args[1024], out[8192], p1[128], p2[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/r.data", dir);
    edl_synth_args sa;
    edl_synth_defaults(&sa);
    sa.users = 60, sa.items = 80, sa.per_user = 12, sa.seed = 3;
    CHECK_STATUS(edl_synth_ratings(data, &sa, NULL), EDL_OK);
    const char *models[3] = {"mf", "bpr", "mlp"};
    for (int k = 0; k < 3; k++) {
        const char *flags = "-dim 8 -epoch 2 -batch 32 -seed 5 -thread 1 -verbose 0";
        snprintf(args, sizeof args, "%s recommend train -model %s %s -input %s -output %s/one_%s 2>&1", harness_cli(),
                 models[k], flags, data, dir, models[k]);
        if (harness_run(args, out, sizeof out) != 0) FAILF("%s, one process: %s", models[k], out);
        snprintf(args, sizeof args, "recommend train -model %s %s -input %s -output %s/two_%s", models[k], flags, data,
                 dir, models[k]);
        int rc = harness_mpirun(2, args, out, sizeof out);
        snprintf(p1, sizeof p1, "%s/one_%s.safetensors", dir, models[k]);
        snprintf(p2, sizeof p2, "%s/two_%s.safetensors", dir, models[k]);
        /* mf and bpr: bit for bit. The mlp's dense gradients are summed over ranks in another
           order than one process's GEMM sums them, and Adam's step magnifies that rounding in a
           value passing near 0 (a weight of 2.5e-6 off by 1e-9: 4e-4 of itself), so each
           difference is measured against its tensor's largest value */
        double d = file_rel_diff(p1, p2, k == 2);
        double tol = k == 2 ? 1e-5 : 0;
        if (rc != 0 || !(d <= tol))
            FAILF("%s on 2 ranks: rc %d, max relative difference %g:\n%s", models[k], rc, d, out);
    }
    /* a bad row in rank 1's share stops both, naming the file and line */
    FILE *f = fopen(data, "a");
    if (f) fputs("7\tnot-an-item\t3\t1\n", f), fclose(f);
    snprintf(args, sizeof args, "recommend train -model mlp -dim 8 -epoch 1 -thread 1 -input %s -output %s/bad", data,
             dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    char want[160];
    snprintf(want, sizeof want, "rank 1: %s:", data);
    snprintf(p1, sizeof p1, "%s/bad.safetensors", dir);
    struct stat st;
    if (rc == 0 || !strstr(out, want) || stat(p1, &st) == 0) FAILF("bad row: rc %d, want \"%s\":\n%s", rc, want, out);
    harness_remove_dir(dir);
}

/* ---- the text classifier's mini-batch path under mpirun ---------------------------------------- */

/* n lines of 4 labels: each line a few of its label's words among shared ones. */
static void write_labelled(const char *path, size_t n, uint64_t seed) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        unsigned l = (unsigned)edl_rng_below(&rng, 4);
        fprintf(f, "__label__c%u", l);
        for (uint64_t k = 0, m = 3 + edl_rng_below(&rng, 5); k < m; k++) {
            if (edl_rng_below(&rng, 3) == 0)
                fprintf(f, " w%u_%u", l, (unsigned)edl_rng_below(&rng, 20)); /* the label's words */
            else
                fprintf(f, " s%u", (unsigned)edl_rng_below(&rng, 40)); /* everyone's */
        }
        fputc('\n', f);
    }
    fclose(f);
}

static double precision_at_1(const char *model, const char *test) {
    edl_textclf *c = NULL;
    edl_textclf_meter mt;
    double p = -1;
    if (edl_textclf_load(&c, model) == EDL_OK && edl_textclf_test(c, test, 1, 0.0f, &mt) == EDL_OK) {
        p = (double)mt.correct / (double)mt.predicted;
        edl_textclf_meter_free(&mt);
    }
    edl_textclf_free(c);
    return p;
}

TEST(mpi_supervised_hidden_on_2_ranks_equals_one_process) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpiclf-XXXXXX", train[96], test[96], args[1024], out[8192], p1[128], p2[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(train, sizeof train, "%s/train.txt", dir);
    snprintf(test, sizeof test, "%s/test.txt", dir);
    write_labelled(train, 1500, 1);
    write_labelled(test, 400, 2);
    const char *flags = "-hidden 16 -dim 10 -epoch 3 -dropout 0.1 -thread 1 -seed 4 -verbose 0";
    snprintf(args, sizeof args, "%s supervised -input %s -output %s/one %s 2>&1", harness_cli(), train, dir, flags);
    if (harness_run(args, out, sizeof out) != 0) FAILF("one process: %s", out);
    snprintf(args, sizeof args, "supervised -input %s -output %s/two %s", train, dir, flags);
    int rc = harness_mpirun(2, args, out, sizeof out);
    snprintf(p1, sizeof p1, "%s/one.safetensors", dir);
    snprintf(p2, sizeof p2, "%s/two.safetensors", dir);
    /* the parameters agree to rounding, which Adam magnifies over a run where a row's gradient
       nearly cancels (-lr 0.1: 3e-4 of a weight after 3 epochs); the predictions agree */
    double a = precision_at_1(p1, test), b = precision_at_1(p2, test);
    if (rc != 0 || a < 0.5 || fabs(a - b) > 0.005)
        FAILF("rc %d: P@1 %.4f one process, %.4f on 2 ranks:\n%s", rc, a, b, out);
    harness_remove_dir(dir);
}

TEST(mpi_train_non_finite_stops_every_rank) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpitrain-XXXXXX", data[96], args[1024], out[8192], path[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/d.txt", dir);
    write_data(data, 100, 7, 0);
    snprintf(args, sizeof args, "%s -optimizer sgd -lr 1e37 -input %s -output %s/m", train_args, data, dir);
    int rc = harness_mpirun(2, args, out, sizeof out);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    struct stat st;
    if (rc == 0 || !strstr(out, "epoch 1, step 2: the loss is not finite") || !strstr(out, "(dense_1)") ||
        stat(path, &st) == 0)
        FAILF("rc %d:\n%s", rc, out);
    snprintf(data, sizeof data, "%s/r.data", dir);
    edl_synth_args sa;
    edl_synth_defaults(&sa);
    sa.users = 40, sa.items = 50, sa.per_user = 8;
    CHECK_STATUS(edl_synth_ratings(data, &sa, NULL), EDL_OK);
    snprintf(args, sizeof args, "recommend train -model mlp -dim 8 -epoch 2 -thread 1 -lr 1e30 -input %s -output %s/r",
             data, dir);
    rc = harness_mpirun(2, args, out, sizeof out);
    snprintf(path, sizeof path, "%s/r.safetensors", dir);
    if (rc == 0 || !strstr(out, "became non-finite at step") || stat(path, &st) == 0) FAILF("mlp: rc %d:\n%s", rc, out);
    harness_remove_dir(dir);
}

/* A recommender on more ranks than records (rank 3 reads nothing): the one process's model, bit
   for bit. (Under the sanitizers the empty rank died copying its records from NULL.) */
TEST(mpi_recommend_train_ranks_with_empty_shares) {
    if (!harness_mpi()) return;
    char dir[] = "/tmp/edl-mpirecempty-XXXXXX", data[96], args[1024], out[8192], p1[128], p2[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(data, sizeof data, "%s/r.data", dir);
    harness_write_text(data, "1\t2\t4\t1\n2\t3\t5\t2\n3\t1\t3\t3\n");
    const char *flags = "-model mf -dim 4 -epoch 2 -batch 2 -seed 5 -thread 1 -verbose 0";
    snprintf(args, sizeof args, "%s recommend train %s -input %s -output %s/one 2>&1", harness_cli(), flags, data, dir);
    if (harness_run(args, out, sizeof out) != 0) FAILF("one process: %s", out);
    snprintf(args, sizeof args, "recommend train %s -input %s -output %s/four", flags, data, dir);
    int rc = harness_mpirun(4, args, out, sizeof out);
    snprintf(p1, sizeof p1, "%s/one.safetensors", dir);
    snprintf(p2, sizeof p2, "%s/four.safetensors", dir);
    double d = file_rel_diff(p1, p2, 0);
    if (rc != 0 || !(d <= 0)) FAILF("4 ranks, 3 records: rc %d, max relative difference %g:\n%s", rc, d, out);
    harness_remove_dir(dir);
}
