/* edl summary, edl train, edl eval: models built from a spec, trained on a text dataset. */
#include "args.h"
#include "commands.h"
#include "comm.h"
#include "edl.h"
#include "files.h"
#include "progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* What edl summary describes: the model file arg names, else the spec arg is. An argument that
   names nothing and looks like a path (a '/', or no '(' as every layer with a size has) is a
   file that cannot be opened: loading it names the reason; anything else is parsed as a spec,
   without allocating or initialising its parameters. */
static edl_status summary_model(edl_model **m, const char *arg) {
    struct stat st;
    if (stat(arg, &st) == 0 || strchr(arg, '/') || !strchr(arg, '(')) return edl_model_load(m, arg);
    return edl_model_parse_spec(m, arg);
}

int cmd_summary(int argc, char **argv) {
    const char *pos[1];
    static const arg_cmd c = {
        "summary",
        "usage: edl summary SPEC|MODEL_FILE\n"
        "  e.g. edl summary 'embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dense(10)'\n",
        NULL, 0};
    int parsed = args_parse(&c, argc, argv, 2, pos, 1);
    if (parsed != 1) return args_usage_exit(&c, parsed);
    edl_model *m = NULL;
    if (summary_model(&m, pos[0]) != EDL_OK) return cli_fail("summary");
    size_t size = edl_model_summary_len(m) + 1; /* as long as the model: no fixed buffer */
    char *buf = malloc(size);
    int rc = 0;
    if (!buf)
        fprintf(stderr, "edl summary: no memory for a summary of %zu bytes\n", size), rc = 1;
    else if (edl_model_summary(m, buf, size) != EDL_OK)
        rc = cli_fail("summary");
    else
        fputs(buf, stdout);
    free(buf);
    edl_model_free(m);
    return rc;
}

/* The dataset shape a model reads: features (0 for indices) and targets (0 for labels). */
static void data_dims(const edl_model *m, size_t *fdim, size_t *tdim) {
    edl_layer_info in;
    edl_model_layer_info(m, 0, &in);
    *fdim = in.kind == EDL_LAYER_INPUT ? in.dim : 0;
    *tdim = edl_model_loss(m) == EDL_LOSS_SOFTMAX_CE ? 0 : edl_model_output_dim(m);
}

int cmd_train(int argc, char **argv) {
    static const char cmd[] = "train";
    const char *spec = NULL, *input = NULL, *output = NULL, *valid = NULL, *optimizer = edl_opt_name(EDL_OPT_ADAM),
               *schedule = edl_schedule_name(EDL_SCHED_CONSTANT), *init = edl_init_name(EDL_INIT_TORCH);
    size_t epoch = 5, batch = 32, patience = 0, warmup = 0;
    uint64_t seed = 0;
    float lr = -1, momentum = 0, wd = -1, clip = 0, split = 0;
    int thread = 0, verbose = 1, nesterov = 0;
    const char *log = NULL, *table_dir = NULL, *checkpoint = NULL;
    uint64_t checkpoint_steps = 0;
    char opt_help[96], sched_help[96], init_help[96];
    args_names(opt_help, sizeof opt_help, &ARG_NAMES_OPT, NULL, 0, "", ", ", ", ", "");
    args_names(sched_help, sizeof sched_help, &ARG_NAMES_SCHEDULE, NULL, 0, "learning rate: ", ", ", ", ",
               " (linear and cosine: to 0)");
    args_names(init_help, sizeof init_help, &ARG_NAMES_INIT, NULL, 0, "initialisation: ", ", ", ", ", "");
    const arg_spec specs[] = {
        {"spec", ARG_STR, &spec, "model spec, e.g. 'embedding_bag(rows=5000,dim=64) dense(10)'"},
        {"input", ARG_STR, &input, "training data: one 'TARGET INPUTS...' a line ('-' for stdin)"},
        {"output", ARG_STR, &output, "writes OUTPUT.safetensors"},
        {"valid", ARG_STR, &valid, "validation data (same format)"},
        {"validSplit", ARG_FLOAT, &split, "fraction of the input held out for validation"},
        {"patience", ARG_SIZE, &patience, "stop after N epochs without a better validation loss (0: never)"},
        {"epoch", ARG_SIZE, &epoch, "epochs"},
        {"batch", ARG_SIZE, &batch, "mini-batch size"},
        {"lr", ARG_FLOAT, &lr, "learning rate (-1: the optimizer's default)"},
        {"optimizer", ARG_STR, &optimizer, opt_help},
        {"momentum", ARG_FLOAT, &momentum, "SGD momentum"},
        {"nesterov", ARG_BOOL, &nesterov, "SGD Nesterov momentum (alone or 1: on)"},
        {"weightDecay", ARG_FLOAT, &wd, "weight decay (-1: the optimizer's default)"},
        {"schedule", ARG_STR, &schedule, sched_help},
        {"warmup", ARG_SIZE, &warmup, "warm-up steps"},
        {"clip", ARG_FLOAT, &clip, "clip the global gradient norm (0: off)"},
        {"init", ARG_STR, &init, init_help},
        {"seed", ARG_U64, &seed, "seed for initialisation, shuffling and dropout"},
        {"thread", ARG_INT, &thread, "threads (0: all cores)"},
        {"verbose", ARG_INT, &verbose, "0 silent, 1 progress"},
        {"log", ARG_STR, &log, "write each epoch's loss and accuracy as CSV (edl plot-curve draws it)"},
        {"tableDir", ARG_STR, &table_dir,
         "tables larger than memory: parameters and training state in a scratch file in DIR (on disk)"},
        {"checkpoint", ARG_STR, &checkpoint, "save the model to this file at each epoch's end (atomically)"},
        {"checkpointSteps", ARG_U64, &checkpoint_steps, "and every N steps (0: epochs' ends only)"},
    };
    const arg_cmd ac = {cmd, "usage: edl train -spec SPEC -input FILE -output PREFIX [flags]\n", specs,
                        sizeof specs / sizeof specs[0]};
    const char *pos[1];
    int parsed = args_parse(&ac, argc, argv, 2, pos, 0);
    if (parsed < 0) return parsed == ARGS_HELP ? 0 : 2;
    if (!spec || !input || !output) {
        fprintf(stderr, "edl train: -spec, -input and -output are required (edl train -h lists the flags)\n");
        return 2;
    }
    if (valid && split > 0) {
        fprintf(stderr, "edl train: -valid FILE and -validSplit %g both give validation data: choose one\n", split);
        return 2;
    }
    if ((momentum != 0 || nesterov) && strcmp(optimizer, edl_opt_name(EDL_OPT_SGD))) {
        fprintf(stderr, "edl train: -%s is SGD's: give -optimizer sgd (not %s)\n",
                momentum != 0 ? "momentum" : "nesterov", optimizer);
        return 2;
    }
    if (patience && !valid && !(split > 0)) {
        fprintf(stderr, "edl train: -patience needs validation data (-valid FILE or -validSplit F)\n");
        return 2;
    }
    char path[4096], log_path[4096], ck_path[4096];
    if (cli_output_path(cmd, "-output", output, ".safetensors", path, sizeof path) ||
        (log && cli_output_path(cmd, "-log", log, "", log_path, sizeof log_path)) ||
        (checkpoint && cli_output_path(cmd, "-checkpoint", checkpoint, "", ck_path, sizeof ck_path)))
        return 1;
    if (checkpoint_steps && !checkpoint) {
        fprintf(stderr, "edl train: -checkpointSteps needs -checkpoint FILE\n");
        return 2;
    }
    const cli_file files[] = {{"-input", input, 0},
                              {"-valid", valid, 0},
                              {"-output", path, 1},
                              {"-log", log, 1},
                              {"-checkpoint", checkpoint, 1}};
    if (cli_files_distinct(cmd, files, sizeof files / sizeof files[0])) return 1;
    int opt_kind, sched, init_kind;
    if (args_enum(cmd, "-optimizer", optimizer, &ARG_NAMES_OPT, NULL, 0, &opt_kind) ||
        args_enum(cmd, "-schedule", schedule, &ARG_NAMES_SCHEDULE, NULL, 0, &sched) ||
        args_enum(cmd, "-init", init, &ARG_NAMES_INIT, NULL, 0, &init_kind))
        return 2;
#ifdef _OPENMP
    if (thread > 0) omp_set_num_threads(thread);
#endif
    /* on several ranks (mpirun): each reads its share of -input and -valid and they train one
       model together; rank 0 alone prints and writes files, and every failure is agreed on (each
       rank reaches the same collectives), so rank 0 says it */
    edl_comm *comm = cli_comm();
    const int rank0 = cli_rank() == 0;
    if (cli_ranks() > 1 && (!strcmp(input, "-") || (valid && !strcmp(valid, "-")))) {
        if (rank0)
            fprintf(stderr, "edl %s: %s -: %d ranks read shares of a file, not of standard input\n", cmd,
                    !strcmp(input, "-") ? "-input" : "-valid", cli_ranks());
        return 2;
    }
    edl_model *m = NULL;
    edl_dataset *train = NULL, *vdata = NULL;
    progress_state ps = {0};
    int rc = 1;
    edl_status st = edl_model_parse_spec(&m, spec);
    if (st == EDL_OK && table_dir) st = edl_model_set_table_dir(m, table_dir);
    if (st == EDL_OK) st = edl_model_init(m, (edl_init)init_kind, seed);
    if (edl_comm_agree(comm, st) != EDL_OK) goto out;
    size_t fdim, tdim;
    data_dims(m, &fdim, &tdim);
    if (edl_dataset_load_text_comm(&train, input, fdim, tdim, comm) != EDL_OK) goto out;
    if (valid && edl_dataset_load_text_comm(&vdata, valid, fdim, tdim, comm) != EDL_OK) goto out;
    edl_train_config c;
    edl_train_defaults(&c);
    edl_optim_defaults(&c.optim, (edl_opt_kind)opt_kind);
    if (lr >= 0) c.optim.lr = lr;
    if (wd >= 0) c.optim.weight_decay = wd;
    c.optim.momentum = momentum, c.optim.nesterov = nesterov, c.optim.clip_norm = clip;
    c.epochs = epoch, c.batch_size = batch, c.seed = seed, c.patience = patience;
    c.valid = vdata, c.valid_split = split;
    c.schedule = (edl_schedule)sched, c.warmup_steps = warmup;
    c.checkpoint = checkpoint, c.checkpoint_steps = checkpoint_steps;
    c.comm = comm;
    progress_init(&ps, rank0 ? verbose : 0);
    int log_failed = rank0 && log && !(ps.log = cli_open_output(cmd, "-log", log));
    if (edl_comm_agree(comm, log_failed ? EDL_ERR_IO : EDL_OK) != EDL_OK) {
        rc = 2; /* said by rank 0: not the library's last error */
        goto out;
    }
    if (ps.log) fputs("epoch,loss,accuracy,valid_loss,valid_accuracy,seconds\n", ps.log);
    c.progress = rank0 ? progress_report : NULL, c.user = &ps, c.progress_seconds = ps.tty ? 0.2 : 5.0;
    edl_train_report r;
    if (edl_train(m, train, &c, &r) != EDL_OK) goto out;
    /* the arguments travel with the model */
    char args[4096] = "", lr_s[32], ep_s[32];
    for (int i = 2, n = 0; i < argc && n >= 0 && (size_t)n < sizeof args; i++)
        n += snprintf(args + n, sizeof args - (size_t)n, "%s%s", i > 2 ? " " : "", argv[i]);
    for (char *p = args; *p; p++) /* metadata is UTF-8: keep file names in other encodings readable */
        if ((unsigned char)*p >= 0x80) *p = '?';
    snprintf(lr_s, sizeof lr_s, "%g", c.optim.lr);
    snprintf(ep_s, sizeof ep_s, "%zu", r.epochs_run);
    const char *keys[5] = {"train.args", "train.optimizer", "train.lr", "train.epochs_run", "train.seed"};
    char seed_s[32];
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    const char *vals[5] = {args, edl_opt_name((edl_opt_kind)opt_kind), lr_s, ep_s, seed_s};
    if (edl_comm_agree(comm, rank0 ? edl_model_save(m, path, keys, vals, 5) : EDL_OK) != EDL_OK) goto out;
    if (verbose > 0 && rank0) {
        fprintf(stderr, "trained %zu epochs, %llu steps in %.1f s: loss %.4f", r.epochs_run,
                (unsigned long long)r.steps, r.seconds, r.train_loss);
        if (r.best_epoch) fprintf(stderr, ", best valid_loss %.4f at epoch %zu", r.best_valid_loss, r.best_epoch);
        fprintf(stderr, "\nsaved %s\n", path);
        if (cli_ranks() > 1)
            fprintf(stderr, "%d ranks: rank 0 sent %llu bytes (%.0f a step, %.0f an epoch)\n", cli_ranks(),
                    (unsigned long long)edl_comm_bytes_sent(comm),
                    (double)edl_comm_bytes_sent(comm) / (double)(r.steps ? r.steps : 1),
                    (double)edl_comm_bytes_sent(comm) / (double)(r.epochs_run ? r.epochs_run : 1));
    }
    rc = 0;
out:
    if (rc == 2)
        rc = 1;
    else if (rc && rank0)
        cli_fail(cmd);
    if (cli_close_output(cmd, "-log", log, ps.log) != 0) rc = 1;
    edl_dataset_free(train);
    edl_dataset_free(vdata);
    edl_model_free(m);
    return rc;
}

int cmd_eval(int argc, char **argv) {
    const char *pos[2];
    static const arg_cmd c = {
        "eval", "usage: edl eval MODEL FILE   (FILE: one 'TARGET INPUTS...' a line, '-' for stdin)\n", NULL, 0};
    int parsed = args_parse(&c, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&c, parsed);
    edl_model *m = NULL;
    edl_dataset *d = NULL;
    if (edl_model_load(&m, pos[0]) != EDL_OK) return cli_fail("eval");
    size_t fdim, tdim;
    data_dims(m, &fdim, &tdim);
    float loss, acc;
    int rc = 1;
    if (edl_dataset_load_text(&d, pos[1], fdim, tdim) == EDL_OK && edl_evaluate(m, d, &loss, &acc) == EDL_OK) {
        printf("N\t%zu\nloss\t%.6f\n", edl_dataset_size(d), loss);
        if (acc == acc) printf("accuracy\t%.6f\n", acc);
        rc = 0;
    } else {
        cli_fail("eval");
    }
    edl_dataset_free(d);
    edl_model_free(m);
    return rc;
}
