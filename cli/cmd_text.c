/* fastText's commands on edl: supervised, test, test-label, predict, predict-prob,
 * print-sentence-vectors. Same flags, defaults and output formats as fastText 0.9. */
#include "args.h"
#include "autotune.h"
#include "commands.h"
#include "comm.h"
#include "edl.h"
#include "edl_text.h"
#include "fasttext.h"
#include "comm.h"
#include "files.h"
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* -log: a CSV row for each report that closes an epoch (the library makes that exactly one an
   epoch on every training path), then fastText's progress line. */
typedef struct {
    progress_state ps; /* its log stays NULL: progress_fasttext would log every report */
    FILE *log;
} supervised_progress;

static void progress_supervised(const edl_progress *p, void *user) {
    supervised_progress *s = user;
    if (s->log && p->epoch_end)
        fprintf(s->log, "%.4f,%.6g,%.6g,%.0f,%.3f\n", (double)p->epoch, p->loss, p->lr, p->words_per_sec_thread,
                p->seconds);
    progress_fasttext(p, &s->ps);
}

int cmd_supervised(int argc, char **argv) {
    static const char cmd[] = "supervised";
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    /* fastText's flags (those that do nothing in supervised mode are refused when given, never
       ignored), then edl's */
    ft_flags ft;
    ft_flags_supervised(&ft, &a);
    const char *hidden = NULL, *optimizer = NULL, *valid = NULL, *log = NULL;
    size_t batch = 0, patience = 0, dsub = 2;
    autotune_flags tune;
    autotune_flags_init(&tune);
    float dropout = 0;
    static const int sup_opts[] = {EDL_OPT_SGD, EDL_OPT_ADAM, EDL_OPT_ADAGRAD},
                     sup_losses[] = {EDL_TEXTCLF_SOFTMAX, EDL_TEXTCLF_OVA, EDL_TEXTCLF_HS, EDL_TEXTCLF_NS};
    char opt_help[160];
    args_names(opt_help, sizeof opt_help, &ARG_NAMES_OPT, sup_opts, 3, "edl: ", ", ", " or ",
               " (mini-batch training; default adam with -hidden, else sgd)");
    const arg_spec specs[] = {
        FASTTEXT_FLAGS(ft),
        AUTOTUNE_FLAGS(tune),
        {"dsub", ARG_SIZE, &dsub, "size of each sub-vector (with -autotune-modelsize)"},
        {"hidden", ARG_STR, &hidden, "edl: hidden ReLU layers, e.g. 256,128"},
        {"dropout", ARG_FLOAT, &dropout, "edl: dropout after each hidden layer"},
        {"optimizer", ARG_STR, &optimizer, opt_help},
        {"batch", ARG_SIZE, &batch, "edl: mini-batch size (0: fastText's example by example)"},
        {"valid", ARG_STR, &valid, "edl: validation file for early stopping ('-' for stdin)"},
        {"patience", ARG_SIZE, &patience, "edl: epochs without a better validation loss before stopping"},
        {"log", ARG_STR, &log, "edl: write the training curve as CSV (edl plot-curve draws it)"},
    };
    const arg_cmd ac = {cmd, "usage: edl supervised -input FILE -output PREFIX [flags]\n", specs,
                        sizeof specs / sizeof specs[0]};
    const char *pos[1];
    int parsed = args_parse(&ac, argc, argv, 2, pos, 0);
    if (parsed < 0) return parsed == ARGS_HELP ? 0 : 2;
    const char *input = ft.input, *output = ft.output, *pre = ft.pretrained;
    size_t ws = ft.ws, neg = ft.neg, minn = ft.minn, maxn = ft.maxn, lru = ft.lr_update_rate, epoch = ft.epoch;
    float t = ft.t;
    int verbose_level = ft.verbose;
    if (!input || !output) {
        fprintf(stderr, "edl supervised: -input and -output are required (edl supervised -h lists the flags)\n");
        return 2;
    }
    if (ft_flags_ranks(cmd, &ft)) return 2;
    /* under mpirun every rank trains; rank 0 alone prints and writes the files */
    const int rank0 = cli_rank() == 0;
    if (!rank0) verbose_level = 0;
    int loss;
    if (args_enum(cmd, "-loss", ft.loss, &ARG_NAMES_TEXTCLF_LOSS, sup_losses, 4, &loss)) return 2;
    /* a flag is used or refused, never accepted and ignored */
    const char *refused =
        ws != SIZE_MAX ? "-ws has no effect in supervised mode (fastText ignores it there)"
        : !isnan(t)    ? "-t has no effect in supervised mode (fastText ignores it there)"
        : neg != SIZE_MAX && loss != EDL_TEXTCLF_NS
            ? "-neg is the number of labels sampled with -loss ns; give that loss too"
        : ft.fasttext_bin && hidden ? "-fasttextBin: fastText's file has no place for -hidden layers"
        : tune.validation && (hidden || batch || optimizer || valid || dropout != 0)
            ? "-autotune-validation searches fastText's trainer: no -hidden, -batch, -optimizer, -valid or -dropout"
        : !tune.validation &&
                (tune.model_size || tune.duration != 300 || tune.predictions != 1 || strcmp(tune.metric, "f1"))
            ? "-autotune-metric, -predictions, -duration and -modelsize need -autotune-validation FILE"
        : dsub != 2 && !tune.model_size
            ? "-dsub sizes the sub-vectors of -autotune-modelsize; give that too (edl quantize "
              "takes -dsub)"
        : patience && !valid      ? "-patience needs -valid FILE: early stopping watches the validation loss"
        : dropout != 0 && !hidden ? "-dropout applies after -hidden layers: give -hidden too"
        : lru != SIZE_MAX && (hidden || batch || optimizer || valid)
            ? "-lrUpdateRate paces fastText's per-example trainer; with -hidden, -batch, -optimizer or -valid the rate "
              "steps once a batch"
            : NULL;
    if (!refused && cli_ranks() > 1 && tune.validation)
        refused = "-autotune-validation under mpirun: the search's trials are timed, which ranks cannot agree on; "
                  "autotune in one process, then train the best flags on many";
    if (refused) {
        if (rank0) fprintf(stderr, "edl supervised: %s\n", refused);
        return 2;
    }
    edl_autotune_args at;
    if (tune.validation && autotune_args_from(cmd, &tune, argc, argv, &at)) return 2;
    if (tune.validation) at.dsub = dsub, at.seed = ft.seed;
    char path[4096], log_path[4096], vec_path[4096], out_path[4096], bin_path[4096], ftz_path[4096];
    if (cli_output_path(cmd, "-output", output, ".safetensors", path, sizeof path) ||
        cli_output_path(cmd, "-output", output, ".ftz", ftz_path, sizeof ftz_path) ||
        cli_output_path(cmd, "-output", output, ".vec", vec_path, sizeof vec_path) ||
        cli_output_path(cmd, "-output", output, ".output", out_path, sizeof out_path) ||
        cli_output_path(cmd, "-output", output, ".bin", bin_path, sizeof bin_path) ||
        (log && cli_output_path(cmd, "-log", log, "", log_path, sizeof log_path)))
        return 1;
    const cli_file files[] = {{"-input", input, 0},
                              {"-valid", valid, 0},
                              {"-autotune-validation", tune.validation, 0},
                              {"-autotune-modelsize", tune.validation && tune.model_size ? ftz_path : NULL, 1},
                              {"-pretrainedVectors", pre, 0},
                              {"-output", path, 1},
                              {"-output", vec_path, 1},
                              {"-saveOutput", ft.save_output ? out_path : NULL, 1},
                              {"-fasttextBin", ft.fasttext_bin ? bin_path : NULL, 1},
                              {"-log", log, 1}};
    if (cli_files_distinct(cmd, files, sizeof files / sizeof files[0])) return 1;
    a.loss = (edl_textclf_loss)loss;
    if (neg != SIZE_MAX) a.neg = neg;
    size_t hid[16], nh = 0;
    if (hidden && args_sizes(hidden, hid, 16, &nh) != 0) {
        fprintf(stderr, "edl supervised: -hidden '%s' is not a list of up to 16 sizes like 256,128\n", hidden);
        return 2;
    }
    if (optimizer && args_enum(cmd, "-optimizer", optimizer, &ARG_NAMES_OPT, sup_opts, 3, &a.optimizer)) return 2;
    a.dim = ft.dim, a.lr = ft.lr, a.epoch = epoch, a.word_ngrams = ft.word_ngrams, a.bucket = ft.bucket;
    a.min_count = ft.min_count, a.min_count_label = ft.min_count_label, a.label = ft.label;
    a.minn = minn, a.maxn = maxn;
    a.thread = ft.thread, a.seed = ft.seed, a.lr_update_rate = lru != SIZE_MAX ? lru : a.lr_update_rate,
    a.pretrained_vectors = pre;
    a.hidden = hid, a.nhidden = nh, a.dropout = dropout, a.batch = batch, a.valid = valid, a.patience = patience;
    /* several ranks (mpirun): fastText's trainer averages touched rows every -syncTokens tokens,
       the mini-batch path (-hidden ...) sums gradients every batch; rank 0 alone prints and writes */
    a.comm = cli_comm(), a.sync_tokens = ft.sync_tokens;
    supervised_progress sp = {.log = NULL};
    progress_init(&sp.ps, verbose_level);
    sp.ps.epochs = (double)epoch;
    /* every rank goes on to train, or none: rank 0 alone opens the log */
    if (cli_comm_rank0(log && rank0 && !(sp.log = cli_open_output(cmd, "-log", log)))) return 1;
    if (sp.log) fputs("epoch,loss,lr,words_per_sec_thread,seconds\n", sp.log);
    a.progress = progress_supervised, a.dictionary = progress_dictionary, a.user = &sp;
    edl_textclf *c = NULL;
    edl_textclf_report r = {0};
    edl_autotune_report ar;
    edl_status s;
    if (tune.validation) { /* fastText's autotune: its progress line, then the best trained again */
        at.progress = autotune_progress, at.user = &verbose_level;
        edl_textclf_args quiet = a;
        quiet.progress = NULL, quiet.dictionary = NULL;
        s = edl_textclf_autotune(&c, input, &quiet, &at, &ar);
        if (s == EDL_OK && verbose_level >= 1) autotune_print_best(&ar, &at);
    } else {
        s = edl_textclf_train(&c, input, &a, &r);
    }
    if (verbose_level >= 2 && !tune.validation) fputc('\n', stderr);
    /* the curve was asked for: without it the command fails, though a trained model is still saved */
    int log_failed = cli_close_output(cmd, "-log", log, sp.log) != 0;
    if (s != EDL_OK) return rank0 ? cli_fail(cmd) : 1; /* every rank has the one agreed message */
    if (tune.validation && at.model_size) {            /* the best, quantized to fit, as fastText saves it */
        edl_quantize_args q;
        edl_quantize_defaults(&q);
        q.dsub = ar.dsub < ar.best.dim ? ar.dsub : ar.best.dim, q.qnorm = 1, q.qout = edl_textclf_num_labels(c) >= 256;
        q.max_bytes = at.model_size, q.retrain = 1, q.input = input, q.epoch = ar.best.epoch, q.lr = ar.best.lr;
        q.thread = a.thread, q.seed = a.seed;
        s = edl_textclf_quantize(c, &q, ftz_path);
        if (s == EDL_OK && verbose_level >= 1) fprintf(stderr, "saved %s\n", ftz_path);
        if (s != EDL_OK) {
            edl_textclf_free(c);
            return cli_fail(cmd);
        }
    }
    if (verbose_level >= 1 && !tune.validation) {
        if (r.skipped_no_label)
            fprintf(stderr, "warning: %zu lines without a label were skipped\n", r.skipped_no_label);
        fprintf(stderr, "trained in %.2f s: %.0f words/sec/thread, avg.loss %.6f\n", r.seconds, r.words_per_sec_thread,
                r.loss);
        if (r.steps)
            fprintf(stderr,
                    "training threads: %.2f s CPU, %.2f us CPU an example, busiest thread %.2f of an even share\n",
                    r.cpu_seconds, 1e6 * r.cpu_seconds / (double)r.steps, r.busiest);
        if (cli_ranks() > 1)
            fprintf(stderr,
                    "%d ranks: %llu synchronisations, rank 0 sent %llu bytes in them, %.2f s in them (%.2f s waiting "
                    "for the others)\n",
                    cli_ranks(), (unsigned long long)r.syncs, (unsigned long long)r.bytes_sent, r.sync_seconds,
                    r.wait_seconds);
    }
    if (!rank0) { /* every rank holds the one model: rank 0 writes it */
        edl_textclf_free(c);
        return log_failed;
    }
    /* as fastText: the model, and its words' vectors (each its subwords' mean) beside it */
    edl_vectors *v = NULL, *o = NULL;
    s = edl_textclf_save(c, path);
    if (s == EDL_OK) s = edl_textclf_vectors(c, &v);
    if (s == EDL_OK) s = edl_vectors_write(v, vec_path, EDL_VEC_TEXT);
    if (s == EDL_OK && ft.save_output && (s = edl_textclf_output_vectors(c, &o)) == EDL_OK)
        s = edl_vectors_write(o, out_path, EDL_VEC_TEXT);
    if (s == EDL_OK && ft.fasttext_bin) s = edl_textclf_save_fasttext(c, bin_path);
    edl_vectors_free(v), edl_vectors_free(o);
    edl_textclf_free(c);
    if (s != EDL_OK) return cli_fail(cmd);
    if (verbose_level >= 1)
        fprintf(stderr, "saved %s, %s%s%s%s%s\n", path, vec_path, ft.save_output ? ", " : "",
                ft.save_output ? out_path : "", ft.fasttext_bin ? ", " : "", ft.fasttext_bin ? bin_path : "");
    return log_failed;
}

/* MODEL FILE [k] [threshold], as fastText's test and predict; k -1 means every label. */
static int model_file_k_th(const char *cmd, int argc, char **argv, edl_textclf **c, const char **file, size_t *k,
                           float *th) {
    char usage[96];
    snprintf(usage, sizeof usage, "usage: edl %s MODEL FILE|- [k] [threshold]\n", cmd);
    const arg_cmd ac = {cmd, usage, NULL, 0};
    const char *pos[4];
    int np = args_parse(&ac, argc, argv, 2, pos, 4);
    if (np == ARGS_HELP) return -1;
    if (np < 2) return args_usage_exit(&ac, np);
    *k = 1, *th = 0.0f;
    char *end;
    if (np > 2) {
        long v = strtol(pos[2], &end, 10);
        if (*end || (v != -1 && (v < 1 || v > 1000000))) {
            fprintf(stderr, "edl %s: k '%s' must be a positive integer, or -1 for every label\n", cmd, pos[2]);
            return 2;
        }
        *k = v == -1 ? SIZE_MAX : (size_t)v;
    }
    if (np > 3) {
        *th = strtof(pos[3], &end);
        if (*end || !(*th >= 0.0f && *th <= 1.0f)) {
            fprintf(stderr, "edl %s: threshold '%s' must be in [0, 1]\n", cmd, pos[3]);
            return 2;
        }
    }
    if (edl_textclf_load(c, pos[0]) != EDL_OK) return cli_fail(cmd);
    if (*k == SIZE_MAX) *k = edl_textclf_num_labels(*c);
    *file = pos[1];
    return 0;
}

int cmd_test(int argc, char **argv) {
    const char *cmd = argv[1], *file;
    int per_label = !strcmp(cmd, "test-label");
    edl_textclf *c;
    size_t k;
    float th;
    int rc = model_file_k_th(cmd, argc, argv, &c, &file, &k, &th);
    if (rc) return rc < 0 ? 0 : rc;
    edl_textclf_meter mt;
    if (edl_textclf_test(c, file, k, th, &mt) != EDL_OK) {
        edl_textclf_free(c);
        return cli_fail(cmd);
    }
    if (per_label)
        for (size_t l = 0; l < mt.nlabels; l++) {
            double p = (double)mt.label_correct[l] / (double)mt.label_predicted[l];
            double r = (double)mt.label_gold[l] ? (double)mt.label_correct[l] / (double)mt.label_gold[l] : NAN;
            double f1 = 2 * p * r / (p + r);
            double vals[3] = {f1, p, r};
            const char *names[3] = {"F1-Score", "Precision", "Recall"};
            for (int i = 0; i < 3; i++) {
                if (isfinite(vals[i]))
                    printf("%s : %.6f  ", names[i], vals[i]);
                else
                    printf("%s : --------  ", names[i]);
            }
            printf(" %s\n", edl_textclf_label(c, l, NULL));
        }
    printf("N\t%zu\n", mt.nexamples);
    printf("P@%zu\t%.3g\n", k, mt.predicted ? (double)mt.correct / (double)mt.predicted : NAN);
    printf("R@%zu\t%.3g\n", k, mt.gold ? (double)mt.correct / (double)mt.gold : NAN);
    edl_textclf_meter_free(&mt);
    edl_textclf_free(c);
    return 0;
}

int cmd_predict(int argc, char **argv) {
    const char *cmd = argv[1], *file;
    int prob = !strcmp(cmd, "predict-prob");
    edl_textclf *c;
    size_t k;
    float th;
    int rc = model_file_k_th(cmd, argc, argv, &c, &file, &k, &th);
    if (rc) return rc < 0 ? 0 : rc;
    FILE *f = cli_open_input(cmd, "", file);
    if (!f) {
        edl_textclf_free(c);
        return 1;
    }
    int64_t *labels = malloc(k * sizeof *labels);
    float *probs = malloc(k * sizeof *probs);
    edl_lines *in = NULL;
    char *line;
    size_t len;
    edl_status s = EDL_OK;
    rc = labels && probs ? 0 : 1;
    if (!rc && edl_lines_from_fd(&in, fileno(f), file) != EDL_OK) rc = cli_fail(cmd);
    /* a line without its newline (and a '\r' before it): the library adds the one "</s>" a line
       has, as fastText reads it; the newline would add a second */
    while (!rc && (s = edl_lines_next(in, &line, &len)) == EDL_OK && line) {
        size_t cnt = 0;
        if (edl_textclf_predict(c, line, len, k, th, labels, probs, &cnt) != EDL_OK) {
            fprintf(stderr, "edl %s: %s:%zu: %s\n", cmd, file, edl_lines_number(in), edl_last_error());
            rc = 1;
            break;
        }
        for (size_t i = 0; i < cnt; i++) {
            if (i) putchar(' ');
            fputs(edl_textclf_label(c, (size_t)labels[i], NULL), stdout);
            if (prob) printf(" %.6g", probs[i]);
        }
        putchar('\n');
    }
    if (!rc && s != EDL_OK) rc = cli_fail(cmd); /* "FILE: read error after line N: reason" */
    edl_lines_close(in);
    cli_close_input(f);
    free(labels), free(probs);
    edl_textclf_free(c);
    return rc;
}

int cmd_sentence_vectors(int argc, char **argv) {
    const char *pos[1];
    static const arg_cmd ac = {"print-sentence-vectors", "usage: edl print-sentence-vectors MODEL < text\n", NULL, 0};
    int parsed = args_parse(&ac, argc, argv, 2, pos, 1);
    if (parsed != 1) return args_usage_exit(&ac, parsed);
    edl_textclf *c;
    if (edl_textclf_load(&c, pos[0]) != EDL_OK) return cli_fail(argv[1]);
    size_t dim = edl_textclf_dim(c), len;
    float *vec = malloc(dim * sizeof *vec);
    edl_lines *in = NULL;
    char *line;
    edl_status s = EDL_OK;
    int rc = vec ? 0 : 1;
    if (!rc && edl_lines_from_fd(&in, fileno(stdin), "<stdin>") != EDL_OK) rc = cli_fail(argv[1]);
    while (!rc && (s = edl_lines_next(in, &line, &len)) == EDL_OK && line) {
        if (edl_textclf_sentence_vector(c, line, len, vec) != EDL_OK) {
            rc = cli_fail(argv[1]);
            break;
        }
        for (size_t d = 0; d < dim; d++) printf("%.5g ", vec[d]);
        putchar('\n');
    }
    if (!rc && s != EDL_OK) rc = cli_fail(argv[1]);
    edl_lines_close(in);
    free(vec);
    edl_textclf_free(c);
    return rc;
}

/* fastText's quantize into PREFIX.ftz. edl's form: -input MODEL (edl's or fastText's
   classifier); fastText's form: -output PREFIX names the model PREFIX.bin (or .safetensors) and
   -input the training text, which -retrain trains on. */
int cmd_quantize(int argc, char **argv) {
    static const char cmd[] = "quantize";
    edl_quantize_args q;
    edl_quantize_defaults(&q);
    const char *input = NULL, *output = NULL;
    size_t dsub = q.dsub, cutoff = 0, epoch = q.epoch;
    int qnorm = 0, qout = 0, retrain = 0, thread = q.thread, verbose = 2;
    float lr = q.lr;
    const arg_spec specs[] = {
        {"input", ARG_STR, &input, "the classifier, or (fastText's form) the training text"},
        {"output", ARG_STR, &output, "writes OUTPUT.ftz (fastText's form: reads OUTPUT.bin)"},
        {"dsub", ARG_SIZE, &dsub, "size of each sub-vector"},
        {"qnorm", ARG_BOOL, &qnorm, "quantize the norm separately"},
        {"qout", ARG_BOOL, &qout, "quantize the classifier too (needs 256 labels or more)"},
        {"cutoff", ARG_SIZE, &cutoff, "number of words and ngrams to retain (0: all)"},
        {"retrain", ARG_BOOL, &retrain, "finetune the kept rows on the training text (-input, fastText's form)"},
        {"epoch", ARG_SIZE, &epoch, "number of epochs of -retrain"},
        {"lr", ARG_FLOAT, &lr, "learning rate of -retrain"},
        {"thread", ARG_INT, &thread, "number of threads of -retrain"},
        {"verbose", ARG_INT, &verbose, "verbosity level"},
    };
    const arg_cmd ac = {cmd,
                        "usage: edl quantize -input MODEL -output PREFIX [flags]\n"
                        "       edl quantize -output PREFIX -input TRAIN.txt [-retrain] [flags]   (fastText's form: "
                        "PREFIX.bin in, PREFIX.ftz out)\n",
                        specs, sizeof specs / sizeof specs[0]};
    const char *pos[1];
    int parsed = args_parse(&ac, argc, argv, 2, pos, 0);
    if (parsed < 0) return parsed == ARGS_HELP ? 0 : 2;
    if (!input || !output) {
        fprintf(stderr, "edl quantize: -input and -output are required (edl quantize -h lists the flags)\n");
        return 2;
    }
    char path[4096], model[4096];
    if (cli_output_path(cmd, "-output", output, ".ftz", path, sizeof path)) return 1;
    /* which form: -input a model file, or text beside the model PREFIX.bin / PREFIX.safetensors */
    edl_textclf *c = NULL;
    const char *text = NULL;
    int input_is_model =
        cli_ends_with(input, ".bin") || cli_ends_with(input, ".ftz") || cli_ends_with(input, ".safetensors");
    if (input_is_model || edl_textclf_load(&c, input) == EDL_OK) {
        snprintf(model, sizeof model, "%s", input);
    } else {
        snprintf(model, sizeof model, "%s.bin", output);
        FILE *f = fopen(model, "rb");
        if (!f) snprintf(model, sizeof model, "%s.safetensors", output), f = fopen(model, "rb");
        if (!f) {
            fprintf(stderr,
                    "edl quantize: -input %s is not a classifier, and neither %s.bin nor %s.safetensors exists "
                    "(fastText's form reads the model PREFIX.bin named by -output)\n",
                    input, output, output);
            return 1;
        }
        fclose(f);
        text = input;
    }
    if (retrain && !text) {
        fprintf(stderr, "edl quantize: -retrain trains on text: give the training text as -input and the model as "
                        "-output PREFIX (PREFIX.bin), as fastText's quantize takes them\n");
        return 2;
    }
    if (!retrain && (epoch != q.epoch || lr != q.lr || thread != q.thread)) {
        fprintf(stderr, "edl quantize: -epoch, -lr and -thread are -retrain's; without it they would do nothing\n");
        return 2;
    }
    const cli_file files[] = {{"-input", input, 0}, {"model", model, 0}, {"-output", path, 1}};
    if (cli_files_distinct(cmd, files, 3)) return 1;
    if (!c && edl_textclf_load(&c, model) != EDL_OK) return cli_fail(cmd);
    progress_state ps;
    progress_init(&ps, verbose);
    q.dsub = dsub, q.qnorm = qnorm, q.qout = qout, q.cutoff = cutoff;
    q.retrain = retrain, q.input = text, q.epoch = epoch, q.lr = lr, q.thread = thread;
    q.progress = progress_fasttext, q.user = &ps;
    edl_status s = edl_textclf_quantize(c, &q, path);
    if (retrain && verbose >= 2) fputc('\n', stderr);
    edl_textclf_free(c);
    if (s != EDL_OK) return cli_fail(cmd);
    if (verbose >= 1) fprintf(stderr, "saved %s\n", path);
    return 0;
}

/* fastText's dump: MODEL (a classifier or a word-vector model, edl's or fastText's) and what of it. */
int cmd_dump(int argc, char **argv) {
    static const arg_cmd ac = {"dump", "usage: edl dump MODEL args|dict|input|output\n", NULL, 0};
    const char *pos[2];
    int parsed = args_parse(&ac, argc, argv, 2, pos, 2);
    if (parsed != 2) return args_usage_exit(&ac, parsed);
    const char *what = pos[1];
    if (strcmp(what, "args") && strcmp(what, "dict") && strcmp(what, "input") && strcmp(what, "output")) {
        fprintf(stderr, "edl dump: '%s': the options are args, dict, input and output\n", what);
        return 2;
    }
    edl_textclf *c = NULL;
    edl_wordvec *w = NULL;
    edl_status s = edl_textclf_load(&c, pos[0]);
    if (s != EDL_OK) {
        char first[512];
        snprintf(first, sizeof first, "%s", edl_last_error());
        if ((s = edl_wordvec_load(&w, pos[0])) != EDL_OK) {
            fprintf(stderr, "edl dump: %s\n  (as a word-vector model: %s)\n", first, edl_last_error());
            return 1;
        }
    }
    s = c ? edl_textclf_dump(c, what, stdout) : edl_wordvec_dump(w, what, stdout);
    edl_textclf_free(c);
    edl_wordvec_free(w);
    return s == EDL_OK ? 0 : cli_fail("dump");
}
