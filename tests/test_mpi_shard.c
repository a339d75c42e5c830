/* Row-sharded tables (src/model/shard.c): tests/mpi/shard_check.c alone (one process holds every
 * row) and under mpirun on 2 and 4 ranks, for each optimizer rule: lookups return the rows a
 * whole table holds, pushes equal the whole table's steps to float rounding (1e-5 relative),
 * and each rank holds only its rows. The sharded recommenders are tested below. */
#include "harness.h"

static const char *shard_check(void) {
    const char *p = getenv("EDL_SHARD_CHECK");
    return p ? p : "build/shard_check";
}

/* out holds np lines "rank R of NP: ok rows HELD ..." whose HELD add up to rows */
static void check_ranks(const char *out, int np, size_t rows, const char *what) {
    size_t total = 0;
    int seen = 0;
    for (const char *p = out; (p = strstr(p, "rank ")) != NULL; p++) {
        int r, n;
        size_t held;
        char ok[16];
        if (sscanf(p, "rank %d of %d: %15s rows %zu", &r, &n, ok, &held) != 4) continue;
        if (n != np || strcmp(ok, "ok")) FAILF("%s: %s", what, out);
        if (held > (rows + (size_t)np - 1) / (size_t)np)
            FAILF("%s: rank %d holds %zu rows of %zu", what, r, held, rows);
        total += held, seen++;
    }
    if (seen != np || total != rows) FAILF("%s: %d ranks, %zu rows of %zu:\n%s", what, seen, total, rows, out);
}

TEST(shard_table_one_process) {
    static const char *opts[] = {"sgd", "adagrad", "rowwise", "adam"};
    char out[4096], cmd[512];
    for (size_t o = 0; o < 4; o++) {
        snprintf(cmd, sizeof cmd, "%s 37 5 4 50 %s", shard_check(), opts[o]);
        int rc = harness_run_all(cmd, out, sizeof out);
        if (rc != 0) FAILF("%s: rc %d:\n%s", opts[o], rc, out);
        check_ranks(out, 1, 37, opts[o]);
    }
}

TEST(shard_table_on_2_and_4_ranks) {
    if (!harness_mpi()) return;
    static const char *opts[] = {"sgd", "rowwise", "adam"};
    char out[8192], cmd[512];
    for (int np = 2; np <= 4; np += 2)
        for (size_t o = 0; o < 3; o++) {
            snprintf(cmd, sizeof cmd, "mpirun --oversubscribe --bind-to none -np %d %s 37 5 4 50 %s", np, shard_check(),
                     opts[o]);
            int rc = harness_run_all(cmd, out, sizeof out);
            if (rc != 0) FAILF("%d ranks, %s: rc %d:\n%s", np, opts[o], rc, out);
            check_ranks(out, np, 37, opts[o]);
        }
}

/* ---- recommenders with sharded rows (edl recommend train -shard rows) ---------------------- */

#include "rec/recommend.h"
#include "model/shard.h"
#include "io/safetensors.h"

#include <unistd.h>

static char shard_dir[] = "/tmp/edl_shard_XXXXXX";

static void remove_shard_dir(void) { harness_remove_dir(shard_dir); }

/* This file's temporary directory (made on first use, removed at exit). */
static const char *sdir(void) {
    static int made;
    if (!made && (made = mkdtemp(shard_dir) != NULL)) atexit(remove_shard_dir);
    return shard_dir;
}

/* the worst of |a - b| / max(|a|, |b|, 0.01) over n values: a value under 0.01 (the rows start
   at 0.1 N(0, 1), the dense layers at U(+-1/sqrt(fan_in))) is judged at 0.01's scale, where
   Adam's steps on gradients near zero carry the float rounding of the sums */
static double worst_rel(const float *a, const float *b, size_t n) {
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / fmax(1e-2, fmax(fabs((double)a[i]), fabs((double)b[i])));
        if (d > w || isnan(d)) w = isnan(d) ? INFINITY : d;
    }
    return w;
}

/* Every parameter of two recommenders: table, biases and global mean, dense layers. */
static double rec_diff(const edl_recommender *a, const edl_recommender *b) {
    if (a->users != b->users || a->items != b->items || a->dim != b->dim || a->ndense != b->ndense) return INFINITY;
    const size_t rows = a->users + a->items;
    double w = worst_rel(a->table, b->table, rows * a->dim);
    w = fmax(w, worst_rel(a->bias, b->bias, rows + 1));
    for (size_t l = 0; l < a->ndense; l++) {
        if (a->dense[l].in != b->dense[l].in || a->dense[l].out != b->dense[l].out) return INFINITY;
        w = fmax(w, worst_rel(a->dense[l].w, b->dense[l].w, a->dense[l].in * a->dense[l].out));
        w = fmax(w, worst_rel(a->dense[l].b, b->dense[l].b, a->dense[l].out));
    }
    return w;
}

static const char *ratings_file(void) {
    static char path[256];
    if (!path[0]) {
        char cmd[512], out[1024];
        snprintf(path, sizeof path, "%s/r.data", sdir());
        snprintf(cmd, sizeof cmd, "%s recommend synth -output %s -users 60 -items 90 -per-user 12 -seed 5",
                 harness_cli(), path);
        if (harness_run_all(cmd, out, sizeof out) != 0) path[0] = 0;
    }
    return path;
}

static const char *train_flags(const char *model) {
    static char f[512];
    snprintf(f, sizeof f,
             "recommend train -input %s -model %s -dim 8 -epoch 3 -batch 48 -thread 1 -seed 3 -shard rows -verbose 0",
             ratings_file(), model);
    return f;
}

/* The held rows of each shard of OUT (np files) add up to the table, each ceil(rows / np) at most. */
static void check_shard_rows(const char *prefix, int np, size_t rows) {
    size_t total = 0;
    for (int q = 0; q < np; q++) {
        char p[1024];
        snprintf(p, sizeof p, "%s.shard-%d-of-%d.safetensors", prefix, q, np);
        edl__st *st = NULL;
        if (edl__st_open(&st, p) != EDL_OK) FAILF("%s: %s", p, edl_last_error());
        const edl__st_tensor *t = edl__st_find(st, "rec.shard.rows");
        size_t held = t && t->rank == 2 ? (size_t)t->shape[0] : SIZE_MAX;
        edl__st_close(st);
        if (held != edl__shard_owned(rows, np, q))
            FAILF("%s holds %zu rows, not %zu", p, held, edl__shard_owned(rows, np, q));
        total += held;
    }
    if (total != rows) FAILF("%s: the %d shards hold %zu rows of %zu", prefix, np, total, rows);
}

TEST(shard_recommenders_on_2_and_4_ranks_equal_one_process) {
    /* the mlp's default (the dot term, its dense decay) and the plain mlp before it */
    static const char *models[] = {"mf", "bpr", "mlp", "mlp -dot 0 -reg 0 -dense_decay 0"},
                      *names[] = {"mf", "bpr", "mlp", "mlpplain"};
    if (!ratings_file()[0]) FAILF("%s", "no ratings file");
    int mpi = harness_mpi();
    char cmd[4096], out[8192], one[300], many[300];
    for (size_t m = 0; m < 4; m++) {
        snprintf(one, sizeof one, "%s/one_%s", sdir(), names[m]);
        snprintf(cmd, sizeof cmd, "%s %s -output %s", harness_cli(), train_flags(models[m]), one);
        if (harness_run_all(cmd, out, sizeof out) != 0) FAILF("%s:\n%s", cmd, out);
        strcat(one, ".safetensors");
        edl_recommender *a = NULL;
        if (edl_rec_load(&a, one) != EDL_OK) FAILF("%s: %s", one, edl_last_error());
        size_t rows = a->users + a->items;
        if (a->dot != (m == 2)) FAILF("%s: dot %d", models[m], a->dot);
        for (int np = 2; mpi && np <= 4; np += 2) {
            snprintf(many, sizeof many, "%s/n%d_%s", sdir(), np, names[m]);
            char args[2048];
            snprintf(args, sizeof args, "%s -output %s", train_flags(models[m]), many);
            if (harness_mpirun(np, args, out, sizeof out) != 0) FAILF("%d ranks, %s:\n%s", np, models[m], out);
            check_shard_rows(many, np, rows);
            strcat(many, ".safetensors");
            edl_recommender *b = NULL;
            if (edl_rec_load(&b, many) != EDL_OK) FAILF("%s: %s", many, edl_last_error());
            double d = b->dot == a->dot ? rec_diff(a, b) : INFINITY;
            /* mlp -dot 1: ~1e-4 (each item bias sums the + and - gradients of its examples, in
               another order on each rank count, and Adam's normalised steps carry the rounding) */
            if (!(d <= (m == 3 ? 1e-3 : 1e-5)))
                FAILF("%s on %d ranks: a parameter differs by %g (relative) from one process", models[m], np, d);
            edl_rec_free(b);
        }
        edl_rec_free(a);
    }
}

/* A sharded model's files: the index merges (load, edl convert), edl recommend topk reads it,
   and a missing, truncated, changed or wrong shard is refused naming its file. */
TEST(shard_recommender_files_merge_and_refuse_damage) {
    if (!ratings_file()[0]) FAILF("%s", "no ratings file");
    char cmd[4096], out[8192], prefix[256], index[300], merged[300], shard1[320];
    snprintf(prefix, sizeof prefix, "%s/files_bpr", sdir());
    snprintf(index, sizeof index, "%s.safetensors", prefix);
    snprintf(merged, sizeof merged, "%s/merged.safetensors", sdir());
    const int np = harness_mpi() ? 2 : 1;
    char args[2048];
    snprintf(args, sizeof args, "%s -output %s", train_flags("bpr"), prefix);
    if (np == 2 ? harness_mpirun(2, args, out, sizeof out) != 0
                : (snprintf(cmd, sizeof cmd, "%s %s", harness_cli(), args), harness_run_all(cmd, out, sizeof out) != 0))
        FAILF("%s:\n%s", args, out);
    snprintf(shard1, sizeof shard1, "%s.shard-%d-of-%d.safetensors", prefix, np - 1, np);
    if (!edl_rec_file_sharded(index) || edl_rec_file_sharded(shard1)) FAILF("%s", "edl_rec_file_sharded");
    /* convert writes one ordinary file equal to the merged index */
    snprintf(cmd, sizeof cmd, "%s convert %s %s", harness_cli(), index, merged);
    if (harness_run_all(cmd, out, sizeof out) != 0 || !strstr(out, "shards merged")) FAILF("%s:\n%s", cmd, out);
    edl_recommender *a = NULL, *b = NULL;
    if (edl_rec_load(&a, index) != EDL_OK || edl_rec_load(&b, merged) != EDL_OK) FAILF("load: %s", edl_last_error());
    if (edl_rec_file_sharded(merged) || rec_diff(a, b) != 0.0) FAILF("%s", "the merged file differs from the index");
    edl_rec_free(a), edl_rec_free(b);
    /* queries read the index as one model */
    char topk_i[4096], topk_m[4096];
    snprintf(cmd, sizeof cmd, "%s recommend topk %s -user 1 -k 5", harness_cli(), index);
    if (harness_run(cmd, topk_i, sizeof topk_i) != 0 || harness_count_lines(topk_i) != 5) FAILF("%s:\n%s", cmd, topk_i);
    snprintf(cmd, sizeof cmd, "%s recommend topk %s -user 1 -k 5", harness_cli(), merged);
    if (harness_run(cmd, topk_m, sizeof topk_m) != 0 || strcmp(topk_i, topk_m)) FAILF("%s:\n%s", cmd, topk_m);
    /* one shard alone is refused, naming its index */
    snprintf(cmd, sizeof cmd, "%s recommend topk %s -user 1", harness_cli(), shard1);
    if (harness_run_all(cmd, out, sizeof out) == 0 || !strstr(out, "one shard of a sharded recommender"))
        FAILF("%s:\n%s", cmd, out);
    /* damage: a byte changed (same size), truncated, missing */
    char saved[340];
    snprintf(saved, sizeof saved, "%s.saved", shard1);
    snprintf(cmd, sizeof cmd, "cp %s %s && printf 'Z' | dd of=%s bs=1 seek=200 conv=notrunc 2>/dev/null", shard1, saved,
             shard1);
    if (system(cmd) != 0) FAILF("%s", cmd);
    snprintf(cmd, sizeof cmd, "%s convert %s %s/x.safetensors", harness_cli(), index, sdir());
    if (harness_run_all(cmd, out, sizeof out) == 0 || !strstr(out, shard1) || !strstr(out, "digest"))
        FAILF("changed shard: %s", out);
    snprintf(cmd, sizeof cmd, "head -c 500 %s > %s", saved, shard1);
    if (system(cmd) != 0) FAILF("%s", cmd);
    snprintf(cmd, sizeof cmd, "%s recommend topk %s -user 1", harness_cli(), index);
    if (harness_run_all(cmd, out, sizeof out) == 0 || !strstr(out, shard1) || !strstr(out, "truncated"))
        FAILF("truncated shard: %s", out);
    unlink(shard1);
    if (harness_run_all(cmd, out, sizeof out) == 0 || !strstr(out, shard1) || !strstr(out, "missing"))
        FAILF("missing shard: %s", out);
    /* another run's shard in its place (a table of other ranks) */
    if (np == 2) {
        char other[700];
        snprintf(other, sizeof other, "%s/n4_bpr.shard-1-of-4.safetensors", sdir());
        if (access(other, R_OK) == 0) {
            snprintf(cmd, sizeof cmd, "cp %s %s", other, shard1);
            if (system(cmd) != 0) FAILF("%s", cmd);
            snprintf(cmd, sizeof cmd, "%s recommend topk %s -user 1", harness_cli(), index);
            if (harness_run_all(cmd, out, sizeof out) == 0 || !strstr(out, shard1)) FAILF("other shard: %s", out);
        }
    }
}

/* The rows start as the unsharded trainer's: with lr 0 nothing moves, and the tables are equal. */
TEST(shard_recommender_starts_as_the_whole_table) {
    edl_ratings *d = NULL;
    if (edl_ratings_create(&d) != EDL_OK) FAILF("%s", edl_last_error());
    for (int u = 0; u < 20; u++)
        for (int i = 0; i < 6; i++) edl_ratings_add(d, 100 + u, 7 * ((u + i * 3) % 17), (float)(1 + (u + i) % 5), 0);
    static const edl_rec_kind kinds[] = {EDL_REC_MF, EDL_REC_BPR, EDL_REC_MLP};
    for (size_t k = 0; k < 3; k++) {
        edl_rec_args a;
        edl_rec_defaults(&a, kinds[k]);
        a.dim = 6, a.epoch = 1, a.lr = 0.0f, a.thread = 1, a.seed = 11;
        edl_recommender *whole = NULL, *sharded = NULL;
        if (edl_rec_train(&whole, d, &a, NULL) != EDL_OK) FAILF("%s", edl_last_error());
        a.shard_rows = 1;
        if (edl_rec_train(&sharded, d, &a, NULL) != EDL_OK) FAILF("%s", edl_last_error());
        char path[600];
        snprintf(path, sizeof path, "%s/lr0_%zu.safetensors", sdir(), k);
        edl_recommender *back = NULL;
        if (edl_rec_score(sharded, 100, 0, &(float){0}) != EDL_ERR_UNSUPPORTED) FAILF("%s", "a shard answered a query");
        if (edl_rec_save(sharded, path) != EDL_OK || edl_rec_load(&back, path) != EDL_OK)
            FAILF("%s: %s", path, edl_last_error());
        double dd = rec_diff(whole, back);
        if (dd != 0.0)
            FAILF("%s: the sharded table starts %g away from the whole one", edl_rec_kind_name(kinds[k]), dd);
        edl_rec_free(whole), edl_rec_free(sharded), edl_rec_free(back);
    }
    edl_ratings_free(d);
}

TEST(shard_flag_refusals) {
    if (!ratings_file()[0]) FAILF("%s", "no ratings file");
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd, "%s recommend train -input %s -output %s/x -shard cols", harness_cli(), ratings_file(),
             sdir());
    if (harness_run_all(cmd, out, sizeof out) != 2 || !strstr(out, "-shard 'cols' is not none or rows"))
        FAILF("%s:\n%s", cmd, out);
    snprintf(cmd, sizeof cmd, "%s recommend train -input %s -output %s/x -model pop -shard rows", harness_cli(),
             ratings_file(), sdir());
    if (harness_run_all(cmd, out, sizeof out) != 2 || !strstr(out, "-shard rows shards the rows of mf, bpr and mlp"))
        FAILF("%s:\n%s", cmd, out);
    /* the library says the same to a caller */
    edl_ratings *d = NULL;
    edl_recommender *r = NULL;
    edl_rec_args a;
    edl_rec_defaults(&a, EDL_REC_POP);
    a.shard_rows = 1;
    if (edl_ratings_create(&d) != EDL_OK || edl_ratings_add(d, 1, 2, 1.0f, 0) != EDL_OK) FAILF("%s", edl_last_error());
    if (edl_rec_train(&r, d, &a, NULL) != EDL_ERR_ARG || !strstr(edl_last_error(), "shard_rows"))
        FAILF("%s", edl_last_error());
    edl_ratings_free(d);
}

/* A row that overflows on its owner stops every rank at the same step with the owner's words
   (said by the ranks that print), and no file is written. */
TEST(shard_recommender_failure_stops_every_rank) {
    if (!ratings_file()[0]) FAILF("%s", "no ratings file");
    const int np = harness_mpi() ? 2 : 1;
    char args[2048], cmd[4096], out[8192], prefix[300], index[320];
    snprintf(prefix, sizeof prefix, "%s/overflow", sdir());
    snprintf(index, sizeof index, "%s.safetensors", prefix);
    snprintf(args, sizeof args, "%s -lr 1e30 -optimizer sgd -output %s", train_flags("mf"), prefix);
    snprintf(cmd, sizeof cmd, "%s %s", harness_cli(), args);
    int rc = np == 2 ? harness_mpirun(2, args, out, sizeof out) : harness_run_all(cmd, out, sizeof out);
    size_t said = 0;
    for (const char *p = out; (p = strstr(p, "became non-finite at step")) != NULL; p++) said++;
    if (rc == 0 || said == 0 || (np == 2 && !strstr(out, "rank 0: shard push: row")))
        FAILF("rc %d, %zu ranks said it:\n%s", rc, said, out);
    if (access(index, F_OK) == 0) FAILF("%s was written", index);
}
