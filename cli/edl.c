/* edl: the command-line tool. Argument parsing and printing only; the work is in the library. */
#include "comm.h"
#include "commands.h"
#include "edl.h"
#include "files.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: edl <command> [args]\n"
    "\n"
    "commands:\n"
    "  supervised -input FILE -output PREFIX [flags]\n"
    "                          train a text classifier (fastText's flags; edl supervised -h)\n"
    "  test MODEL FILE [k] [th]        N, P@k and R@k as fastText prints them (k -1: every label)\n"
    "  test-label MODEL FILE [k] [th]  precision, recall and F1 per label\n"
    "  predict MODEL FILE|- [k] [th]   most likely labels per line\n"
    "  predict-prob MODEL FILE|- [k] [th]  ... with their probabilities\n"
    "  print-sentence-vectors MODEL    the mean input vector of each line of stdin\n"
    "  skipgram|cbow -input FILE -output PREFIX [flags]\n"
    "                          learn word vectors (fastText's flags): PREFIX.vec, .safetensors\n"
    "  convert IN OUT          word vectors between word2vec text/binary, GloVe, .vec, safetensors;\n"
    "                          models between edl's .safetensors and fastText's .bin\n"
    "  nn MODEL [k]                        nearest neighbours of words on stdin, fastText's prompt\n"
    "  nn VECTORS [-k 10] WORD...          ... of the words given (cosine)\n"
    "  analogies MODEL [k] | VECTORS A B C...   A - B + C, as fastText's (berlin germany france)\n"
    "  eval-analogies VECTORS FILE         questions-words.txt accuracy per section\n"
    "  eval-similarity VECTORS FILE        Spearman correlation with human scores\n"
    "  print-word-vectors MODEL            vectors of words on stdin (subwords for unseen ones)\n"
    "  print-ngrams MODEL WORD             a word's subwords and their vectors (fastText's)\n"
    "  quantize -input MODEL -output P     fastText's quantize: a compressed classifier, P.ftz\n"
    "  dump MODEL args|dict|input|output   a model's parts as fastText's dump prints them\n"
    "  project VECTORS|MODEL -method pca|tsne [-dim 2] [-output F.csv]   2-D coordinates (CSV)\n"
    "  plot VECTORS|MODEL -output F.svg [-method pca|tsne] [-labels META.tsv] [-top N]\n"
    "  export-projector VECTORS|MODEL DIR  vectors.tsv + metadata.tsv for TensorBoard's projector\n"
    "  plot-curve LOG.csv -output F.svg    a training curve from train/supervised/recommend -log\n"
    "  recommend train|test|topk|similar|synth|split ...   recommenders: mf, bpr, mlp (edl recommend -h)\n"
    "  summary SPEC|MODEL      layers, output shapes, parameters and bytes of a model\n"
    "  train -spec SPEC -input FILE -output PREFIX [flags]\n"
    "                          train a model on 'TARGET INPUTS...' lines (edl train -h)\n"
    "  eval MODEL FILE         loss and accuracy of a saved model on a dataset\n"
    "  bench onehot|lookup|kernels [--csv] [--svg FILE]\n"
    "                          embedding vs one-hot dense, lookup cost vs table size, kernel rates\n"
    "  version                 the version and how this build computes\n"
    "  help                    this message\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"summary", cmd_summary},
    {"train", cmd_train},
    {"eval", cmd_eval},
    {"supervised", cmd_supervised},
    {"test", cmd_test},
    {"test-label", cmd_test},
    {"predict", cmd_predict},
    {"predict-prob", cmd_predict},
    {"print-sentence-vectors", cmd_sentence_vectors},
    {"bench", cmd_bench},
    {"skipgram", cmd_skipgram},
    {"cbow", cmd_cbow},
    {"convert", cmd_convert},
    {"nn", cmd_nn},
    {"analogies", cmd_analogies},
    {"eval-analogies", cmd_eval_analogies},
    {"eval-similarity", cmd_eval_similarity},
    {"print-word-vectors", cmd_print_word_vectors},
    {"print-ngrams", cmd_print_ngrams},
    {"quantize", cmd_quantize},
    {"dump", cmd_dump},
    {"project", cmd_project},
    {"plot", cmd_plot},
    {"export-projector", cmd_export_projector},
    {"plot-curve", cmd_plot_curve},
    {"recommend", cmd_recommend},
};

/* The commands that train on several ranks of an mpirun. */
static int distributed(int argc, char **argv) {
    static const char *const trainers[] = {"supervised", "skipgram", "cbow", "train"};
    for (size_t i = 0; i < sizeof trainers / sizeof *trainers; i++)
        if (!strcmp(argv[1], trainers[i])) return 1;
    return !strcmp(argv[1], "recommend") && argc > 2 && !strcmp(argv[2], "train");
}

static int run(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("edl %s (%s)\n", edl_version_string(), edl_build_info());
        return 0;
    }
    /* on several ranks, only the trainers: a query would answer once a rank */
    if (cli_ranks() > 1 && !distributed(argc, argv)) {
        if (cli_rank() == 0)
            fprintf(stderr,
                    "edl %s: runs as one process, not on %d ranks (under mpirun: supervised, skipgram, cbow, "
                    "train, recommend train)\n",
                    cmd, cli_ranks());
        return 2;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc, argv);
    fprintf(stderr, "edl: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}

/* edl maps the model files it reads (they are replaced by rename, which leaves a mapping whole).
   Another program that truncates a mapped file in place takes pages from under it, and reading
   one raises SIGBUS: say so and stop with status 1, rather than die by the signal. A full shared
   memory file system (/dev/shm, which Open MPI and OpenMP runtimes map) raises it too. */
static void on_sigbus(int sig) {
    static const char msg[] = "edl: a mapped page is gone (SIGBUS): a file in use was truncated or changed in "
                              "place by another program, or /dev/shm is full; stopping\n";
    (void)sig;
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

/* clang's OpenMP runtime (libomp) registers each process as /dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid>
   when OpenMP first starts, and reads the file back through a mapping. A process killed between
   creating that file and sizing it (Ctrl-C at start, mpirun ending a failed job's other ranks)
   leaves it empty, and a later process given the same pid dies of SIGBUS on its first parallel
   loop. No other live process holds this pid and OpenMP has not started yet, so an empty file
   under this process's name is such debris: remove it. (libgomp has no such file; a stat.) */
static void remove_stale_openmp_registration(void) {
#ifdef _OPENMP
    char path[96];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/__KMP_REGISTERED_LIB_%ld_%ld", (long)getpid(), (long)getuid());
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) unlink(path);
#endif
}

int main(int argc, char **argv) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    remove_stale_openmp_registration();
    /* under mpirun every rank runs this same command, as one run */
    int rc = cli_comm_start(argc, argv);
    if (rc != 0) return rc;
    rc = run(argc, argv);
    /* what a command printed is its result: a write that failed (a full disk, a closed pipe's
       reader gone) fails the command, naming why, whatever else it did */
    if (cli_close_output(argc > 1 ? argv[1] : NULL, "", "standard output", stdout) != 0 && rc == 0) rc = 1;
    return cli_comm_finish(rc);
}
