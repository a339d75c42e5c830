/* fastText's flags that supervised, skipgram and cbow share, declared once: FASTTEXT_FLAGS(f)
   expands to their arg_spec entries, bound to an ft_flags filled from the library's defaults. */
#ifndef EDL__CLI_FASTTEXT_H
#define EDL__CLI_FASTTEXT_H

#include "args.h"
#include "edl_text.h"

typedef struct {
    int supervised; /* the mode: what the help says, what is refused */
    const char *input, *output, *label, *loss, *pretrained;
    size_t dim, epoch, bucket, lr_update_rate, ws, neg, minn, maxn, word_ngrams, sync_tokens;
    int64_t min_count, min_count_label;
    int save_output, fasttext_bin;
    float lr, t;
    int thread, verbose;
    uint64_t seed;
    char loss_help[64];
} ft_flags;

/* Supervised mode: the classifier's defaults; -ws, -neg and -t (which supervised mode uses only
   with -loss ns, or not at all) and -lrUpdateRate are SIZE_MAX / NaN until given, so they can be
   refused or told apart. */
void ft_flags_supervised(ft_flags *f, const edl_textclf_args *a);
/* Word vectors: the defaults of a. */
void ft_flags_vectors(ft_flags *f, const edl_wordvec_args *a);
/* What a run of several ranks (mpirun) cannot take, refused naming the flag: 1 after printing
   why (on rank 0), else 0. Also -syncTokens 0. */
int ft_flags_ranks(const char *cmd, const ft_flags *f);

#define FASTTEXT_FLAGS(f)                                                                                           \
    {"input", ARG_STR, &(f).input,                                                                                  \
     (f).supervised ? "training file path ('-' for stdin)" : "training text ('-' for stdin)"},                      \
        {"output", ARG_STR, &(f).output,                                                                            \
         (f).supervised ? "writes OUTPUT.safetensors" : "writes OUTPUT.vec and OUTPUT.safetensors"},                \
        {"dim", ARG_SIZE, &(f).dim, "size of word vectors"}, {"lr", ARG_FLOAT, &(f).lr, "learning rate"},           \
        {"epoch", ARG_SIZE, &(f).epoch, "number of epochs"},                                                        \
        {"minCount", ARG_COUNT, &(f).min_count, "minimal number of word occurences"},                               \
        {"bucket", ARG_SIZE, &(f).bucket, "number of buckets"},                                                     \
        {"label", ARG_STR, &(f).label,                                                                              \
         (f).supervised ? "labels prefix" : "labels prefix (such tokens are not words)"},                           \
        {"loss", ARG_STR, &(f).loss, (f).loss_help},                                                                \
        {"thread", ARG_INT, &(f).thread, "number of threads (0: all cores)"},                                       \
        {"seed", ARG_U64, &(f).seed, "random generator seed"},                                                      \
        {"lrUpdateRate", ARG_SIZE, &(f).lr_update_rate,                                                             \
         (f).supervised ? "change the rate of updates for the learning rate (unset: 100; fastText's trainer only)"  \
                        : "change the rate of updates for the learning rate"},                                      \
        {"verbose", ARG_INT, &(f).verbose, "verbosity level"},                                                      \
        {"ws", ARG_SIZE, &(f).ws,                                                                                   \
         (f).supervised ? "(refused: no effect in supervised mode)" : "size of the context window"},                \
        {"neg", ARG_SIZE, &(f).neg,                                                                                 \
         (f).supervised ? "number of negatives sampled (-loss ns)" : "number of negatives sampled"},                \
        {"wordNgrams", ARG_SIZE, &(f).word_ngrams,                                                                  \
         (f).supervised ? "max length of word ngram" : "max length of word ngram (no effect here, as fastText's)"}, \
        {"minCountLabel", ARG_COUNT, &(f).min_count_label, "minimal number of label occurences"},                   \
        {"pretrainedVectors", ARG_STR, &(f).pretrained, "pretrained word vectors (.vec) for supervised learning"},  \
        {"saveOutput", ARG_BOOL, &(f).save_output, "whether output params should be saved (OUTPUT.output)"},        \
        {"fasttextBin", ARG_BOOL, &(f).fasttext_bin, "edl: also write OUTPUT.bin, fastText's model file"},          \
        {"minn", ARG_SIZE, &(f).minn, "min length of char ngram"},                                                  \
        {"syncTokens", ARG_SIZE, &(f).sync_tokens,                                                                  \
         "edl: under mpirun, tokens each rank trains between averaging the rows touched"},                          \
        {"maxn", ARG_SIZE, &(f).maxn, "max length of char ngram (0: none)"}, {                                      \
        "t", ARG_FLOAT, &(f).t, (f).supervised ? "(refused: no effect in supervised mode)" : "sampling threshold"   \
    }

#endif
