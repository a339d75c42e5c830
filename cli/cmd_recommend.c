/* edl recommend train|test|topk|similar|synth|split: recommenders from rating files. */
#include "args.h"
#include "commands.h"
#include "comm.h"
#include "edl.h"
#include "edl_rec.h"
#include "files.h"
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The flags that say how to read a ratings file, shared by train, test and split. */
typedef struct {
    const char *format, *sep, *cols, *bad;
    int header;
    char format_help[128];
} read_flags;

static void read_flags_init(read_flags *f) {
    f->format = edl_ratings_format_name(EDL_RATINGS_AUTO), f->sep = NULL, f->cols = NULL, f->bad = "fail",
    f->header = -1;
    args_names(f->format_help, sizeof f->format_help, &ARG_NAMES_RATINGS_FORMAT, NULL, 0, "", "|", "|",
               " (MovieLens u.data, ratings.dat, ratings.csv/plain CSV)");
}

#define READ_FLAGS(f)                                                                                         \
    {"format", ARG_STR, &(f).format, (f).format_help},                                                        \
        {"sep", ARG_STR, &(f).sep, "csv: the separator (one character, 'tab' for a tab)"},                    \
        {"header", ARG_INT, &(f).header, "csv: -1 detect, 0 none, 1 the first line is a header"},             \
        {"cols", ARG_STR, &(f).cols, "user,item[,rating[,time]] 0-based columns (rating/time -1: absent)"}, { \
        "bad", ARG_STR, &(f).bad, "fail|skip: what a bad row does"                                            \
    }

/* comm: each rank reads its share (NULL: the whole file); rank 0 alone says what went wrong. */
static int read_ratings(const char *cmd, const char *path, const read_flags *f, edl_ratings **out, edl_comm *comm) {
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    int fmt;
    if (args_enum(cmd, "-format", f->format, &ARG_NAMES_RATINGS_FORMAT, NULL, 0, &fmt)) return 2;
    /* u.data and ratings.dat fix their separator, columns and header: a flag that would change
       them is refused, not ignored */
    if ((fmt == EDL_RATINGS_UDATA || fmt == EDL_RATINGS_DAT) && (f->sep || f->cols || f->header != -1))
        return (
            fprintf(stderr,
                    "edl %s: -%s is for -format csv (or auto): -format %s has fixed columns (user item rating time)\n",
                    cmd,
                    f->sep    ? "sep"
                    : f->cols ? "cols"
                              : "header",
                    f->format),
            2);
    o.format = (edl_ratings_format)fmt, o.header = f->header;
    if (f->sep) {
        if (!strcmp(f->sep, "tab"))
            o.sep = '\t';
        else if (strlen(f->sep) == 1)
            o.sep = f->sep[0];
        else
            return (fprintf(stderr, "edl %s: -sep '%s' is not one character or 'tab'\n", cmd, f->sep), 2);
    }
    if (f->cols) {
        int c[4] = {0, 1, -1, -1}, n = 0;
        const char *s = f->cols;
        while (*s && n < 4) {
            char *end;
            errno = 0;
            long v = strtol(s, &end, 10);
            if (end == s || errno || v < -1 || v > 1000 || (*end && *end != ',')) break;
            c[n++] = (int)v;
            s = *end ? end + 1 : end;
        }
        if (*s || n < 2 || c[0] < 0 || c[1] < 0)
            return (
                fprintf(stderr, "edl %s: -cols '%s' is not user,item[,rating[,time]] column numbers\n", cmd, f->cols),
                2);
        o.user_col = c[0], o.item_col = c[1], o.rating_col = c[2], o.time_col = c[3];
    }
    if (strcmp(f->bad, "fail") && strcmp(f->bad, "skip"))
        return (fprintf(stderr, "edl %s: -bad '%s' is not fail or skip\n", cmd, f->bad), 2);
    o.skip_bad = !strcmp(f->bad, "skip");
    edl_ratings_report rep;
    edl_status st = edl_ratings_read_comm(out, path, &o, &rep, comm);
    if (st != EDL_OK && edl_comm_rank(comm) != 0) return 1;
    if (st != EDL_OK) {
        cli_fail(cmd);
        if (!o.skip_bad && st == EDL_ERR_FORMAT)
            fprintf(stderr, "edl %s: (-bad skip skips such rows and counts them)\n", cmd);
        return 1;
    }
    if (rep.skipped && edl_comm_rank(comm) == 0)
        fprintf(stderr,
                "edl %s: %s: skipped %zu bad rows of %zu lines (missing field %zu, bad id %zu, bad rating %zu, bad "
                "time %zu, not "
                "UTF-8 %zu, duplicate %zu); the first: %s\n",
                cmd, path, rep.skipped, rep.lines, rep.missing_field, rep.bad_id, rep.bad_rating, rep.bad_time,
                rep.not_utf8, rep.duplicate, rep.first);
    return 0;
}

/* -split: none (when allowed), random:FRACTION (0 < f < 1) or last; *do_split 0 for none. */
static int parse_split(const char *cmd, const char *s, int allow_none, int *do_split, edl_split_kind *kind,
                       float *frac) {
    const char *random = edl_split_kind_name(EDL_SPLIT_RANDOM), *last = edl_split_kind_name(EDL_SPLIT_LAST);
    size_t n = strlen(random);
    char *end;
    *do_split = 1, *frac = 0;
    if (allow_none && !strcmp(s, "none")) return *do_split = 0, 0;
    if (!strcmp(s, last)) return *kind = EDL_SPLIT_LAST, 0;
    if (!strncmp(s, random, n) && s[n] == ':' && (*frac = strtof(s + n + 1, &end)) > 0 && *frac < 1 && !*end)
        return *kind = EDL_SPLIT_RANDOM, 0;
    fprintf(stderr, "edl %s: -split '%s' is not %s%s:FRACTION (0 < f < 1) or %s\n", cmd, s, allow_none ? "none, " : "",
            random, last);
    return -1;
}

static void print_metrics(const edl_rec_metrics *m, edl_rec_kind kind) {
    if (kind == EDL_REC_MF) printf("RMSE\t%.6f\nMAE\t%.6f\n", m->rmse, m->mae);
    printf("HR@%zu\t%.6f\nNDCG@%zu\t%.6f\nPrecision@%zu\t%.6f\nRecall@%zu\t%.6f\nMRR@%zu\t%.6f\nAUC\t%.6f\n", m->k,
           m->hr, m->k, m->ndcg, m->k, m->precision, m->k, m->recall, m->k, m->mrr, m->auc);
    printf("Records\t%zu\nUsers\t%zu\nUnknown\t%zu\n", m->n, m->users, m->unknown);
}

typedef struct {
    int verbose;
    FILE *log;
    edl_rec_kind kind;
} rec_progress;

static void on_epoch(const edl_progress *p, void *user) {
    rec_progress *s = user;
    if (s->log)
        fprintf(s->log, "%zu,%.6g,%.6g,%.6g,%.3f\n", p->epoch, p->loss, p->valid_loss, p->valid_accuracy, p->seconds);
    if (s->verbose <= 0) return;
    fprintf(stderr, "epoch %zu/%zu: loss %.5f", p->epoch, p->epochs, p->loss);
    if (!isnan(p->valid_loss)) fprintf(stderr, " test RMSE %.5f", p->valid_loss);
    if (!isnan(p->valid_accuracy)) fprintf(stderr, " test HR@k %.4f", p->valid_accuracy);
    fprintf(stderr, " %.0f ex/s %.2f s\n", p->examples_per_second, p->seconds);
}

static int rec_train(int argc, char **argv) {
    static const char cmd[] = "recommend train";
    const char *input = NULL, *output = NULL, *model = edl_rec_kind_name(EDL_REC_MF), *split = "none", *hidden = NULL,
               *optimizer = NULL, *log = NULL, *decay = edl_schedule_name(EDL_SCHED_LINEAR);
    read_flags rf;
    read_flags_init(&rf);
    static const int rec_opts[] = {EDL_OPT_SGD, EDL_OPT_ADAGRAD, EDL_OPT_ADAM},
                     decays[] = {EDL_SCHED_LINEAR, EDL_SCHED_CONSTANT};
    char model_help[128], opt_help[128], decay_help[128];
    args_names(model_help, sizeof model_help, &ARG_NAMES_REC_KIND, NULL, 0, "", " | ", " | ",
               " (mf: explicit ratings; bpr, mlp: implicit; pop: popularity baseline)");
    args_names(opt_help, sizeof opt_help, &ARG_NAMES_OPT, rec_opts, 3, "", "|", "|",
               " (default: mf, mlp adam; bpr sgd)");
    args_names(decay_help, sizeof decay_help, &ARG_NAMES_SCHEDULE, decays, 2, "", " | ", " | ",
               " (linear: the rate falls to 0 over the batches, as fastText)");
    edl_rec_args a;
    edl_rec_defaults(&a, EDL_REC_MF);
    size_t dim = a.dim, epoch = a.epoch, neg = 0, batch = a.batch, k = SIZE_MAX; /* SIZE_MAX: not given (10) */
    float lr = NAN, reg = NAN, dense_decay = NAN;                                /* NaN: the model's default */
    int thread = 0, verbose = 1, dot = -1;
    uint64_t seed = 0;
    const char *table_dir = NULL, *shard = "none";
    const arg_spec specs[] = {
        {"input", ARG_STR, &input, "ratings file ('-' for stdin)"},
        {"output", ARG_STR, &output, "writes OUTPUT.safetensors (and OUTPUT.test with -split)"},
        {"model", ARG_STR, &model, model_help},
        {"dim", ARG_SIZE, &dim, "embedding size (mf 0: biases only)"},
        {"epoch", ARG_SIZE, &epoch, "passes over the data"},
        {"lr", ARG_FLOAT, &lr, "learning rate (default: mf 0.03, bpr 0.1, mlp 0.008)"},
        {"reg", ARG_FLOAT, &reg, "L2 on the rows looked up (default: mf 0.03, bpr 0.01, mlp 0.01)"},
        {"neg", ARG_SIZE, &neg, "negatives per positive (0: 4)"},
        {"batch", ARG_SIZE, &batch, "examples per batch"},
        {"hidden", ARG_STR, &hidden, "mlp: hidden layer sizes, e.g. 64,32"},
        {"dot", ARG_INT, &dot, "mlp: 1 (the default) adds b_i + <p_u, q_i> to the MLP's logit, 0 the MLP alone"},
        {"dense_decay", ARG_FLOAT, &dense_decay,
         "mlp: the dense layers' decoupled weight decay a step, w *= 1 - rate x this (default 5; 0: none)"},
        {"optimizer", ARG_STR, &optimizer, opt_help},
        {"decay", ARG_STR, &decay, decay_help},
        {"thread", ARG_INT, &thread, "threads (0: all cores); 1 with a seed is reproducible"},
        {"seed", ARG_U64, &seed, "seed for initialisation, order, negatives and the split"},
        {"split", ARG_STR, &split, "none | random:FRACTION | last (each user's latest record): held out, evaluated"},
        {"k", ARG_SIZE, &k, "cut-off of the held-out ranking metrics (unset: 10; with -split)"},
        {"log", ARG_STR, &log, "write each epoch's loss and test metric as CSV (edl plot-curve draws it)"},
        {"verbose", ARG_INT, &verbose, "0 silent, 1 a line an epoch, 2 with the held-out metric"},
        {"tableDir", ARG_STR, &table_dir,
         "tables larger than memory: the table and its training state in a scratch file in DIR (on disk)"},
        {"shard", ARG_STR, &shard,
         "none | rows: under mpirun, rank r of N holds the user and item rows whose number % N is r (and their "
         "optimizer state); writes OUTPUT.shard-R-of-N.safetensors and the index OUTPUT.safetensors"},
        READ_FLAGS(rf),
    };
    const arg_cmd ac = {cmd, "usage: edl recommend train -input FILE -output PREFIX [flags]\n", specs,
                        sizeof specs / sizeof specs[0]};
    int parsed = args_parse(&ac, argc, argv, 3, NULL, 0);
    if (parsed < 0) return parsed == ARGS_HELP ? 0 : 2;
    if (k != SIZE_MAX && !strcmp(split, "none"))
        return (fprintf(stderr, "edl %s: -k is the cut-off of the held-out metrics: give -split too\n", cmd), 2);
    if (k == SIZE_MAX) k = 10;
    if (k == 0 || k > 1000000) return (fprintf(stderr, "edl %s: -k %zu must be in [1, 1000000]\n", cmd, k), 2);
    if (epoch == 0) return (fprintf(stderr, "edl %s: -epoch must be at least 1\n", cmd), 2);
    if (thread < 0) return (fprintf(stderr, "edl %s: -thread %d is negative (0: all cores)\n", cmd, thread), 2);
    if (!isnan(lr) && !(lr >= 0 && isfinite(lr)))
        return (fprintf(stderr, "edl %s: -lr %g is not a finite rate >= 0\n", cmd, lr), 2);
    if (!isnan(reg) && !(reg >= 0 && isfinite(reg)))
        return (fprintf(stderr, "edl %s: -reg %g is not a finite value >= 0\n", cmd, reg), 2);
    if (!input || !output)
        return (fprintf(stderr, "edl %s: -input and -output are required (edl recommend train -h)\n", cmd), 2);
    int kind;
    if (args_enum(cmd, "-model", model, &ARG_NAMES_REC_KIND, NULL, 0, &kind)) return 2;
    if (strcmp(shard, "none") && strcmp(shard, "rows"))
        return (fprintf(stderr, "edl %s: -shard '%s' is not none or rows\n", cmd, shard), 2);
    const int shard_rows = !strcmp(shard, "rows");
    if (shard_rows && (kind == EDL_REC_POP || table_dir))
        return (fprintf(stderr, "edl %s: -shard rows shards the rows of mf, bpr and mlp in memory (not %s)\n", cmd,
                        table_dir ? "with -tableDir" : model),
                2);
    /* flags of another model are refused, not ignored */
    if (hidden && kind != EDL_REC_MLP)
        return (fprintf(stderr, "edl %s: -hidden is for -model mlp (not %s)\n", cmd, model), 2);
    if (dot != -1 && kind != EDL_REC_MLP)
        return (fprintf(stderr, "edl %s: -dot is for -model mlp (not %s)\n", cmd, model), 2);
    if (dot < -1 || dot > 1) return (fprintf(stderr, "edl %s: -dot %d is not 0 or 1\n", cmd, dot), 2);
    if (!isnan(dense_decay) && kind != EDL_REC_MLP)
        return (fprintf(stderr, "edl %s: -dense_decay is for -model mlp (not %s)\n", cmd, model), 2);
    if (!isnan(dense_decay) && !(dense_decay >= 0 && isfinite(dense_decay)))
        return (fprintf(stderr, "edl %s: -dense_decay %g is not a finite value >= 0\n", cmd, dense_decay), 2);
    if (neg && kind != EDL_REC_BPR && kind != EDL_REC_MLP)
        return (fprintf(stderr, "edl %s: -neg is for -model bpr or mlp, which sample negatives (not %s)\n", cmd, model),
                2);
    if (kind == EDL_REC_POP && (optimizer || !isnan(lr) || !isnan(reg) || dim != a.dim))
        return (fprintf(stderr, "edl %s: -model pop counts records: it has no -dim, -lr, -reg or -optimizer\n", cmd),
                2);
    if (kind == EDL_REC_MF && rf.cols) {
        int rating_col = 2;
        const char *c = strchr(rf.cols, ',');
        c = c ? strchr(c + 1, ',') : NULL;
        rating_col = c ? atoi(c + 1) : -1;
        if (rating_col < 0)
            return (
                fprintf(stderr,
                        "edl %s: -model mf learns ratings, but -cols %s gives no rating column (bpr and mlp learn from "
                        "the pairs alone)\n",
                        cmd, rf.cols),
                2);
    }
    char model_path[4096], test_path[4096], log_path[4096];
    if (cli_output_path(cmd, "-output", output, ".safetensors", model_path, sizeof model_path) ||
        (strcmp(split, "none") && cli_output_path(cmd, "-output", output, ".test", test_path, sizeof test_path)) ||
        (log && cli_output_path(cmd, "-log", log, "", log_path, sizeof log_path)))
        return 1;
    const cli_file files[] = {{"-input", input, 0},
                              {"-output", model_path, 1},
                              {"-output", strcmp(split, "none") ? test_path : NULL, 1},
                              {"-log", log, 1}};
    if (cli_files_distinct(cmd, files, sizeof files / sizeof files[0])) return 1;
    edl_rec_defaults(&a, (edl_rec_kind)kind);
    a.dim = dim, a.epoch = epoch, a.lr = isnan(lr) ? -1.0f : lr, a.reg = isnan(reg) ? -1.0f : reg, a.neg = neg,
    a.batch = batch, a.thread = thread, a.seed = seed, a.k = k;
    a.table_dir = table_dir;
    a.shard_rows = shard_rows, a.mlp_dot = dot, a.mlp_decay = isnan(dense_decay) ? -1.0f : dense_decay;
    size_t hs[8], nh = 0;
    if (hidden) {
        if (args_sizes(hidden, hs, 8, &nh) != 0 || nh > 7)
            return (fprintf(stderr, "edl %s: -hidden '%s' is not 1 to 7 layer sizes like 64,32\n", cmd, hidden), 2);
        a.hidden = hs, a.nhidden = nh;
    }
    if (optimizer && args_enum(cmd, "-optimizer", optimizer, &ARG_NAMES_OPT, rec_opts, 3, &a.optimizer)) return 2;
    int sched;
    if (args_enum(cmd, "-decay", decay, &ARG_NAMES_SCHEDULE, decays, 2, &sched)) return 2;
    a.decay = sched == EDL_SCHED_LINEAR;
    edl_split_kind sk = EDL_SPLIT_RANDOM;
    float frac = 0;
    int do_split;
    if (parse_split(cmd, split, 1, &do_split, &sk, &frac)) return 2;
    edl_ratings *all = NULL, *train = NULL, *test = NULL;
    edl_recommender *r = NULL;
    /* on several ranks (mpirun): each reads its share of -input and they train one model
       together (edl_rec_args.comm); rank 0 alone prints and writes files */
    edl_comm *comm = cli_comm();
    const int rank0 = cli_rank() == 0;
    if (cli_ranks() > 1 && !strcmp(input, "-")) {
        if (rank0)
            fprintf(stderr, "edl %s: -input -: %d ranks read shares of a file, not of standard input\n", cmd,
                    cli_ranks());
        return 2;
    }
    if (do_split && cli_ranks() > 1) {
        if (rank0)
            fprintf(stderr,
                    "edl %s: -split holds out records of the whole set: on %d ranks split the file first "
                    "(edl recommend split) and train on its training part\n",
                    cmd, cli_ranks());
        return 2;
    }
    rec_progress ps = {rank0 ? verbose : 0, NULL, (edl_rec_kind)kind};
    int rc = read_ratings(cmd, input, &rf, &all, comm);
    if (rc) return rc;
    rc = 1;
    if (do_split) {
        if (edl_ratings_split(all, sk, frac, seed, &train, &test) != EDL_OK) goto out;
        if (edl_ratings_write(test, test_path) != EDL_OK) goto out;
        if (log || verbose > 1) a.valid = test; /* evaluated after every epoch: only when shown */
    }
    int log_failed = rank0 && log && !(ps.log = cli_open_output(cmd, "-log", log));
    if (edl_comm_agree(comm, log_failed ? EDL_ERR_IO : EDL_OK) != EDL_OK) {
        rc = 2; /* said by rank 0: not the library's last error */
        goto out;
    }
    if (ps.log) fputs("epoch,loss,test_rmse,test_hr,seconds\n", ps.log);
    a.progress = rank0 ? on_epoch : NULL, a.user = &ps, a.comm = comm;
    edl_rec_report rep;
    if (edl_rec_train(&r, train ? train : all, &a, &rep) != EDL_OK) goto out;
    /* with -shard rows every rank writes its shard (edl_rec_save is collective), else rank 0 the file */
    const uint64_t sent = edl_comm_bytes_sent(comm); /* the training's exchanges, not the save's */
    if (edl_comm_agree(comm, rank0 || shard_rows ? edl_rec_save(r, model_path) : EDL_OK) != EDL_OK) goto out;
    if (verbose > 0 && rank0)
        fprintf(stderr, "%zu users, %zu items, %zu training records; %.2f s (%.0f examples/s); wrote %s%s%s\n",
                rep.users, rep.items, rep.ratings, rep.seconds, rep.examples_per_second, model_path,
                do_split ? " and " : "", do_split ? test_path : "");
    if (verbose > 0 && rank0 && cli_ranks() > 1)
        fprintf(stderr, "%d ranks: rank 0 sent %llu bytes (%.0f an epoch)\n", cli_ranks(), (unsigned long long)sent,
                (double)sent / (double)(rep.epochs_run ? rep.epochs_run : 1));
    if (do_split && shard_rows) { /* one process (-split is refused on several): the shards read merged */
        edl_rec_free(r);
        r = NULL;
        if (edl_rec_load(&r, model_path) != EDL_OK) goto out;
    }
    if (do_split) {
        edl_rec_metrics m;
        if (edl_rec_evaluate(r, test, k, &m) != EDL_OK) goto out;
        print_metrics(&m, (edl_rec_kind)kind);
    }
    rc = 0;
out:
    if (rc == 2)
        rc = 1;
    else if (rc && rank0)
        cli_fail(cmd);
    if (cli_close_output(cmd, "-log", log, ps.log) != 0) rc = 1;
    edl_rec_free(r);
    edl_ratings_free(all), edl_ratings_free(train), edl_ratings_free(test);
    return rc;
}

static int rec_test(int argc, char **argv) {
    static const char cmd[] = "recommend test";
    read_flags rf;
    read_flags_init(&rf);
    size_t k = 10;
    const arg_spec specs[] = {{"k", ARG_SIZE, &k, "cut-off of the ranking metrics"}, READ_FLAGS(rf)};
    const arg_cmd ac = {cmd, "usage: edl recommend test MODEL FILE [-k 10] [-format ...]\n", specs,
                        sizeof specs / sizeof specs[0]};
    const char *pos[2];
    int parsed = args_parse(&ac, argc, argv, 3, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    if (k == 0 || k > 1000000) return (fprintf(stderr, "edl %s: -k %zu must be in [1, 1000000]\n", cmd, k), 2);
    edl_recommender *r = NULL;
    edl_ratings *t = NULL;
    if (edl_rec_load(&r, pos[0]) != EDL_OK) return cli_fail(cmd);
    int rc = read_ratings(cmd, pos[1], &rf, &t, NULL);
    edl_rec_metrics m;
    if (!rc && edl_rec_evaluate(r, t, k, &m) != EDL_OK) rc = cli_fail(cmd);
    if (!rc) print_metrics(&m, edl_rec_kind_of(r));
    edl_rec_free(r), edl_ratings_free(t);
    return rc;
}

static int rec_query(int argc, char **argv, int similar) {
    const char *cmd = similar ? "recommend similar" : "recommend topk";
    int64_t sid = 0;
    const char *ids = NULL;
    size_t k = 10;
    int all = 0;
    const arg_spec specs[] = {
        {similar ? "item" : "user", ARG_STR, &ids, similar ? "the item's id" : "the user's id"},
        {"k", ARG_SIZE, &k, "how many"},
        {"all", ARG_BOOL, &all, "topk: keep the items the user already has (alone or 1)"},
    };
    const arg_cmd ac = {cmd,
                        similar ? "usage: edl recommend similar MODEL -item ID [-k 10]\n"
                                : "usage: edl recommend topk MODEL -user ID [-k 10] [-all]\n",
                        specs, similar ? 2 : 3};
    const char *pos[1];
    int parsed = args_parse(&ac, argc, argv, 3, pos, 1);
    if (parsed != 1 || !ids) return args_usage_exit(&ac, parsed == 1 ? -1 : parsed);
    if (k == 0 || k > 1000000) return (fprintf(stderr, "edl %s: -k %zu must be in [1, 1000000]\n", cmd, k), 2);
    char *end;
    errno = 0;
    long long v = strtoll(ids, &end, 10);
    if (end == ids || *end || errno) return (fprintf(stderr, "edl %s: id '%s' is not a 64-bit integer\n", cmd, ids), 2);
    sid = v;
    edl_recommender *r = NULL;
    if (edl_rec_load(&r, pos[0]) != EDL_OK) return cli_fail(cmd);
    int64_t *items = malloc(k * sizeof *items);
    float *scores = malloc(k * sizeof *scores);
    size_t n = 0;
    int rc = 0;
    if (!items || !scores)
        rc = (fprintf(stderr, "edl %s: no memory\n", cmd), 1);
    else if ((similar ? edl_rec_similar(r, sid, k, items, scores, &n)
                      : edl_rec_topk(r, sid, k, !all, items, scores, &n)) != EDL_OK)
        rc = cli_fail(cmd);
    for (size_t j = 0; !rc && j < n; j++) printf("%lld\t%.6g\n", (long long)items[j], scores[j]);
    if (!rc && n == 0) fprintf(stderr, "edl %s: user %lld already has every item (-all 1 ranks them too)\n", cmd, v);
    free(items), free(scores);
    edl_rec_free(r);
    return rc;
}

static int rec_synth(int argc, char **argv) {
    static const char cmd[] = "recommend synth";
    edl_synth_args a;
    edl_synth_defaults(&a);
    const char *output = NULL;
    const arg_spec specs[] = {
        {"output", ARG_STR, &output, "the u.data file to write"},
        {"users", ARG_SIZE, &a.users, "users"},
        {"items", ARG_SIZE, &a.items, "items"},
        {"per-user", ARG_SIZE, &a.per_user, "mean records per user"},
        {"rank", ARG_SIZE, &a.rank, "rank of the planted structure"},
        {"noise", ARG_FLOAT, &a.noise, "standard deviation of the rating noise (the RMSE floor)"},
        {"zipf", ARG_FLOAT, &a.zipf, "Zipf exponent of item popularity"},
        {"affinity", ARG_FLOAT, &a.affinity, "how strongly choices follow affinity (0: popularity only)"},
        {"seed", ARG_U64, &a.seed, "seed"},
    };
    const arg_cmd ac = {cmd, "usage: edl recommend synth -output FILE [flags]\n", specs,
                        sizeof specs / sizeof specs[0]};
    int parsed = args_parse(&ac, argc, argv, 3, NULL, 0);
    if (parsed < 0 || !output) return args_usage_exit(&ac, parsed == 0 ? -1 : parsed);
    char out_path[4096];
    if (cli_output_path(cmd, "-output", output, "", out_path, sizeof out_path)) return 1;
    edl_synth_report rep;
    if (edl_synth_ratings(output, &a, &rep) != EDL_OK) return cli_fail(cmd);
    fprintf(stderr, "wrote %s: %zu records, %zu users, %zu items; noise RMSE (the floor) %.4f, rating std %.4f\n",
            output, rep.rows, a.users, a.items, rep.noise_rmse, rep.signal_std);
    return 0;
}

static int rec_split(int argc, char **argv) {
    static const char cmd[] = "recommend split";
    read_flags rf;
    read_flags_init(&rf);
    const char *output = NULL, *split = edl_split_kind_name(EDL_SPLIT_LAST);
    uint64_t seed = 0;
    const arg_spec specs[] = {
        {"output", ARG_STR, &output, "writes OUTPUT.train and OUTPUT.test (u.data format)"},
        {"split", ARG_STR, &split, "random:FRACTION | last"},
        {"seed", ARG_U64, &seed, "seed of the random split"},
        READ_FLAGS(rf),
    };
    const char *pos[1];
    float frac = 0;
    edl_split_kind sk = EDL_SPLIT_LAST;
    int do_split;
    const arg_cmd ac = {cmd, "usage: edl recommend split FILE -output PREFIX [-split last|random:0.1] [-seed N]\n",
                        specs, sizeof specs / sizeof specs[0]};
    int parsed = args_parse(&ac, argc, argv, 3, pos, 1);
    if (parsed != 1 || !output) return args_usage_exit(&ac, parsed == 1 ? -1 : parsed);
    char train_path[4096], test_path[4096];
    if (cli_output_path(cmd, "-output", output, ".train", train_path, sizeof train_path) ||
        cli_output_path(cmd, "-output", output, ".test", test_path, sizeof test_path))
        return 1;
    const cli_file files[] = {{"", pos[0], 0}, {"-output", train_path, 1}, {"-output", test_path, 1}};
    if (cli_files_distinct(cmd, files, 3)) return 1;
    if (parse_split(cmd, split, 0, &do_split, &sk, &frac)) return 2;
    edl_ratings *all = NULL, *train = NULL, *test = NULL;
    int rc = read_ratings(cmd, pos[0], &rf, &all, NULL);
    if (rc) return rc;
    rc = edl_ratings_split(all, sk, frac, seed, &train, &test) != EDL_OK;
    if (!rc) rc = edl_ratings_write(train, train_path) != EDL_OK;
    if (!rc) rc = edl_ratings_write(test, test_path) != EDL_OK;
    if (rc)
        cli_fail(cmd);
    else
        printf("%s\t%zu\n%s\t%zu\n", train_path, edl_ratings_count(train), test_path, edl_ratings_count(test));
    edl_ratings_free(all), edl_ratings_free(train), edl_ratings_free(test);
    return rc;
}

/* %s: the models, as the library names them */
static const char rec_usage_fmt[] =
    "usage: edl recommend COMMAND ...\n"
    "  train -input FILE -output PREFIX [-model %s] [-dim -epoch -lr -reg -neg -thread -seed -split ...]\n"
    "                      writes PREFIX.safetensors; -split holds records out and prints their metrics\n"
    "  test MODEL FILE [-k 10]   metrics, one NAME<TAB>value a line (mf: RMSE, MAE; all: HR@k, NDCG@k, ...)\n"
    "  topk MODEL -user ID [-k 10] [-all 1]   the best items for a user (without the user's own)\n"
    "  similar MODEL -item ID [-k 10]         the items nearest to an item (cosine of embeddings)\n"
    "  synth -output FILE [-users -items -per-user -rank -noise -zipf -affinity -seed]   synthetic u.data\n"
    "  split FILE -output PREFIX [-split last|random:F]   PREFIX.train and PREFIX.test\n"
    "Files: MovieLens u.data (tab), ratings.dat (::), ratings.csv (header) or CSV with -cols; -bad skip|fail.\n";

int cmd_recommend(int argc, char **argv) {
    char models[64], rec_usage[sizeof rec_usage_fmt + 64];
    snprintf(rec_usage, sizeof rec_usage, rec_usage_fmt,
             args_names(models, sizeof models, &ARG_NAMES_REC_KIND, NULL, 0, "", "|", "|", ""));
    const arg_cmd ac = {"recommend", rec_usage, NULL, 0};
    if (argc < 3) return args_usage_exit(&ac, -1);
    if (!strcmp(argv[2], "help")) return fputs(rec_usage, stdout), 0;
    if (argv[2][0] == '-') { /* -h, --help; anything else is no command */
        int parsed = args_parse(&ac, argc, argv, 2, NULL, 0);
        return parsed == ARGS_HELP ? 0 : args_usage_exit(&ac, -1);
    }
    const char *sub = argv[2];
    if (!strcmp(sub, "train")) return rec_train(argc, argv);
    if (!strcmp(sub, "test")) return rec_test(argc, argv);
    if (!strcmp(sub, "topk")) return rec_query(argc, argv, 0);
    if (!strcmp(sub, "similar")) return rec_query(argc, argv, 1);
    if (!strcmp(sub, "synth")) return rec_synth(argc, argv);
    if (!strcmp(sub, "split")) return rec_split(argc, argv);
    fprintf(stderr, "edl recommend: unknown command '%s'\n%s", sub, rec_usage);
    return 2;
}
