/* edl_text.h: text on edl. fastText's supervised mode (a classifier: words and word n-grams
 * into an averaged embedding, optional dense layers, softmax / one-vs-all / hierarchical
 * softmax), word vectors (skip-gram and CBOW with subwords), and word-vector files (word2vec text
 * and binary, GloVe, fastText .vec, safetensors) with their queries (nearest neighbours,
 * analogies, evaluations).
 *
 * Simple use: edl_textclf_train / edl_textclf_save / edl_textclf_load / edl_textclf_predict;
 * edl_wordvec_train; edl_vectors_read / edl_vectors_nearest. Conventions are edl.h's. */
#ifndef EDL_TEXT_H
#define EDL_TEXT_H

#include "edl.h"

#include <stdio.h>

typedef struct edl_vectors edl_vectors; /* word vectors: below, under "Word vectors" */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Text classification (fastText's supervised mode) ----------------------------------- */

/* A classifier: words and word n-grams (hashed into buckets) -> an embedding bag (mean) ->
   optional hidden dense layers with ReLU -> a dense output with softmax, one-vs-all sigmoids or
   hierarchical softmax. Input is fastText's format: one example a line, "__label__X" tokens
   and words separated by whitespace. */
typedef struct edl_textclf edl_textclf;
/* softmax; ova: a sigmoid a label; hs: hierarchical softmax; ns: a sigmoid a label trained on the
   example's label and -neg labels sampled by count^0.5 (fastText's supervised -loss ns). */
typedef enum { EDL_TEXTCLF_SOFTMAX = 0, EDL_TEXTCLF_OVA, EDL_TEXTCLF_HS, EDL_TEXTCLF_NS } edl_textclf_loss;
/* Names as edl.h's "Names": softmax ova hs ns (and fastText's one-vs-all for ova). */
const char *edl_textclf_loss_name(edl_textclf_loss loss);
edl_status edl_textclf_loss_from_name(const char *name, edl_textclf_loss *loss);

typedef struct {
    /* fastText's flags, with fastText's defaults for supervised mode */
    size_t dim;                     /* 100 */
    float lr;                       /* 0.1 */
    size_t epoch;                   /* 5 */
    size_t word_ngrams;             /* 1 */
    size_t bucket;                  /* 2000000 (unused without word or character n-grams, as fastText) */
    int64_t min_count;              /* 1 */
    int64_t min_count_label;        /* 0 */
    const char *label;              /* "__label__" */
    edl_textclf_loss loss;          /* softmax */
    size_t neg;                     /* 5: labels sampled per example with -loss ns */
    int thread;                     /* 12 */
    uint64_t seed;                  /* 0 */
    size_t lr_update_rate;          /* 100 */
    size_t minn, maxn;              /* 0, 0: character n-grams of minn..maxn characters in the buckets
                                       (maxn 0: none), so unseen words count too (fastText's) */
    const char *pretrained_vectors; /* a .vec file (word2vec text format) or NULL */
    /* edl's additions */
    const size_t *hidden; /* sizes of hidden ReLU layers (nhidden of them) */
    size_t nhidden;
    float dropout;     /* after each hidden layer */
    int optimizer;     /* -1: fastText's plain SGD; else an edl_opt_kind */
    size_t batch;      /* 0: example by example (fastText); > 0: mini-batches */
    const char *valid; /* validation file: early stopping with patience */
    size_t patience;
    /* Reports progress (edl_progress: on fastText's path step and total_steps count tokens, a
       report closes each epoch and one comes every 0.1 s), one call at a time but maybe from a
       training thread; may be NULL. */
    void (*progress)(const edl_progress *p, void *user);
    /* Called once the dictionary is read, before training starts (fastText prints its "Read N
       words" lines there); may be NULL. */
    void (*dictionary)(int64_t ntokens, size_t nwords, size_t nlabels, void *user);
    /* fastText's trainer polls it about every 10 ms; nonzero stops training with
       EDL_ERR_CANCELLED (no model). May be NULL. */
    int (*cancel)(void *user);
    void *user;
    /* Several processes (edl.h's communicator; NULL: this one alone): each rank reads its share
       of input (a regular file, not "-") and they count one vocabulary. fastText's trainer runs on
       every rank, the rows touched since the last synchronisation averaged over the ranks every
       sync_tokens tokens of each rank's progress and after the last; the rate follows the tokens
       of every rank. The mini-batch path (hidden, batch, optimizer, valid, dropout) trains as
       edl_train does: each rank's share of the examples (and of valid's), gradients summed every
       batch, so each global batch is one process's (the same model to float rounding). Every rank
       returns the same model and status; the caller writes it from rank 0. With thread 1 and a
       seed a run of N ranks gives the same model every time. */
    edl_comm *comm;
    size_t sync_tokens; /* 50000 (> 0); unused by one process and by the mini-batch path */
} edl_textclf_args;

typedef struct {
    size_t nwords, nlabels, nexamples, skipped_no_label; /* over every rank's share */
    int64_t ntokens;
    double seconds, words_per_sec_thread; /* this rank's */
    float loss;
    uint64_t syncs, bytes_sent;        /* synchronisations of the ranks' rows, and the bytes this rank sent in them */
    double sync_seconds, wait_seconds; /* this rank's in them, and of that waiting for the others to arrive */
    /* fastText's trainer (this rank's): the training threads' CPU time summed, the examples they
       trained on (epochs x examples, about), and the busiest thread's examples over an even
       share (1: even); 0 on the mini-batch path */
    double cpu_seconds;
    uint64_t steps;
    double busiest;
} edl_textclf_report;

void edl_textclf_defaults(edl_textclf_args *a);
/* Trains on the file at input ("-" for standard input), read once in 64 KiB chunks and never held
   whole: the corpus costs 4 bytes a token and 8 a line while it is read, then its examples (4
   bytes an input row and a label). Without hidden layers, mini-batches or another optimizer this
   is fastText's algorithm: per-example SGD, the learning rate decaying linearly over processed
   tokens, Hogwild threads (bit-reproducible with thread 1 and a seed). With them, mini-batch
   training of the general model. */
edl_status edl_textclf_train(edl_textclf **clf, const char *input, const edl_textclf_args *a,
                             edl_textclf_report *report);
void edl_textclf_free(edl_textclf *clf);
/* One safetensors file: the model's tensors, the vocabulary (vocab.bytes U8, vocab.offsets I64,
   vocab.counts I64) and the arguments in __metadata__. */
edl_status edl_textclf_save(const edl_textclf *clf, const char *path);
edl_status edl_textclf_load(edl_textclf **clf, const char *path);
/* Writes the classifier as fastText's .bin (version 12), which fastText 0.9.2's CLI and Python
   module load and predict with. EDL_ERR_UNSUPPORTED for what fastText has no place for: hidden
   layers. (edl_textclf_load reads fastText's .bin back, as it reads fastText's own.) */
edl_status edl_textclf_save_fasttext(const edl_textclf *clf, const char *path);
/* fastText's dump: what is "args", "dict", "input" or "output", printed to f as fastText 0.9.2's
   dump prints it (a quantized model's rows decoded, where fastText refuses). */
edl_status edl_textclf_dump(const edl_textclf *clf, const char *what, FILE *f);
/* fastText's -saveOutput: the output rows, each named by its label (hs: the tree's inner nodes in
   label order, the last row zeros, as fastText writes them). */
edl_status edl_textclf_output_vectors(const edl_textclf *clf, edl_vectors **v);
/* fastText's quantize: the classifier written as a .ftz, its input rows (and with qout its output
   rows) product-quantized (k-means codebooks of 256 centroids on sub-vectors of dsub values, a byte
   each), with qnorm each row's norm quantized apart, with cutoff only that many rows of largest
   norm kept (the dictionary pruned to them). edl_textclf_load reads it, as fastText does. */
typedef struct {
    size_t dsub;        /* 2 */
    int qnorm;          /* 0 */
    int qout;           /* 0 (the output needs at least 256 rows, as fastText) */
    size_t cutoff;      /* 0: every row */
    uint64_t max_bytes; /* > 0: the cutoff is the most rows (largest norm first) whose file is at
                           most this many bytes (counted exactly, where fastText's -autotune-modelsize
                           estimates); EDL_ERR_ARG when no row fits */
    uint64_t seed;      /* 1234: k-means' samples and starts */
    /* retrain: after the cutoff, fastText's trainer fine-tunes the kept rows and the output on the
       training text at input, for epoch epochs at rate lr (its threads, and seed for the order),
       before they are quantized (fastText's -retrain; it needs a cutoff that prunes). */
    int retrain;
    const char *input;
    size_t epoch; /* 5 */
    float lr;     /* 0.1 */
    int thread;   /* 12 */
    void (*progress)(const edl_progress *p, void *user);
    int (*cancel)(void *user); /* as edl_textclf_args' */
    void *user;
} edl_quantize_args;
void edl_quantize_defaults(edl_quantize_args *q);
edl_status edl_textclf_quantize(const edl_textclf *clf, const edl_quantize_args *q, const char *path);

/* fastText's autotune: within duration seconds, the classifier trained again and again with its
   arguments drawn around the best so far (fastText's strategy over epoch, lr, dim, wordNgrams,
   minn/maxn, bucket, and dsub for a model size; the loss stays softmax unless fixed), each
   scored on the validation file by the metric over the top `predictions` labels; a trial still
   running at the end is cancelled. With model_size (bytes), each trial is quantized as fastText
   does (-qnorm, -retrain, -qout from 256 labels) keeping as many rows as fit the size (counted
   exactly: edl_quantize_args.max_bytes) and scored so. The best arguments are then trained once
   more into *clf (unquantized: quantize it with the report's dsub and max_bytes = model_size). Only fastText's trainer is searched (no hidden layers), in one process (base->comm of one rank).
   With model_size each trial's .ftz goes through a temporary file in $TMPDIR (else /tmp). */
typedef enum {
    EDL_AUTOTUNE_F1 = 0,              /* f1 (f1:LABEL with metric_label) */
    EDL_AUTOTUNE_PRECISION_AT_RECALL, /* precisionAtRecall:VALUE[:LABEL] */
    EDL_AUTOTUNE_RECALL_AT_PRECISION  /* recallAtPrecision:VALUE[:LABEL] */
} edl_autotune_metric;
/* Arguments the search keeps as given (fastText: those set on the command line). */
enum {
    EDL_AUTOTUNE_FIX_EPOCH = 1 << 0,
    EDL_AUTOTUNE_FIX_LR = 1 << 1,
    EDL_AUTOTUNE_FIX_DIM = 1 << 2,
    EDL_AUTOTUNE_FIX_WORD_NGRAMS = 1 << 3,
    EDL_AUTOTUNE_FIX_DSUB = 1 << 4,
    EDL_AUTOTUNE_FIX_MINN = 1 << 5,
    EDL_AUTOTUNE_FIX_MAXN = 1 << 6,
    EDL_AUTOTUNE_FIX_BUCKET = 1 << 7,
    EDL_AUTOTUNE_FIX_LOSS = 1 << 8
};
typedef struct {
    double progress, seconds; /* of the budget */
    double best_score;        /* -1: none yet */
    size_t trials;
    /* the trial just done: its arguments (and dsub), score (NaN: none), seconds and status */
    const edl_textclf_args *trial;
    size_t trial_dsub;
    double trial_score, trial_seconds;
    edl_status trial_status;
} edl_autotune_progress;
typedef struct {
    const char *validation;     /* the file scored (fastText's format) */
    double duration;            /* 300 seconds */
    edl_autotune_metric metric; /* f1 */
    double metric_value;        /* the recall or precision the curve metrics ask for */
    const char *metric_label;   /* NULL: over every label; else that label's (its full name) */
    size_t predictions;         /* 1: the top k scored */
    uint64_t model_size;        /* 0: unlimited; else bytes */
    size_t dsub;                /* 0: 2, where the search starts */
    unsigned fixed;             /* EDL_AUTOTUNE_FIX_* */
    uint64_t seed;              /* the search's draws */
    void (*progress)(const edl_autotune_progress *p, void *user); /* after each trial */
    void *user;
} edl_autotune_args;
typedef struct {
    edl_textclf_args best; /* the best arguments (pointers cleared) */
    size_t dsub;           /* with model_size: quantize with it, max_bytes = model_size, -qnorm, -retrain,
                    and -qout from 256 labels */
    double best_score, seconds;
    size_t trials, failed, size_failed; /* failed: diverged or out of memory */
} edl_autotune_report;
void edl_autotune_defaults(edl_autotune_args *t);
edl_status edl_textclf_autotune(edl_textclf **clf, const char *input, const edl_textclf_args *base,
                                const edl_autotune_args *t, edl_autotune_report *report);
const edl_model *edl_textclf_model(const edl_textclf *clf);
size_t edl_textclf_num_labels(const edl_textclf *clf);
/* The label's text ("__label__spam"), NUL-terminated in a thread-local buffer; NULL when out of
   range. */
const char *edl_textclf_label(const edl_textclf *clf, size_t label, size_t *len);
/* Top-k labels of one line of text with probability >= threshold, most probable first: *count
   (<= k) entries in labels and probs. A NaN threshold is refused (EDL_ERR_ARG), here and in
   edl_textclf_test. Safe from many threads on one classifier. */
edl_status edl_textclf_predict(const edl_textclf *clf, const char *line, size_t len, size_t k, float threshold,
                               int64_t *labels, float *probs, size_t *count);
/* The mean of the line's input rows (fastText's print-sentence-vectors): dim floats. */
edl_status edl_textclf_sentence_vector(const edl_textclf *clf, const char *line, size_t len, float *vec);
size_t edl_textclf_dim(const edl_textclf *clf);
/* A word's vector as fastText's print-word-vectors gives it: the mean of its input rows (its own
   row when it is in the vocabulary, then its character n-grams' when the model has them); zeros
   when it has none. dim floats. */
edl_status edl_textclf_word_vector(const edl_textclf *clf, const char *word, size_t len, float *vec);
/* Every word's vector (edl_textclf_word_vector), as fastText's nn and analogies see them. */
edl_status edl_textclf_vectors(const edl_textclf *clf, edl_vectors **v);
/* A word's subwords as fastText's print-ngrams lists them: its own row (when it is in the
   vocabulary), then each character n-gram (with its "<" or ">") and its row, in fastText's order.
   fn is called for each; nothing when the word has none. */
typedef void (*edl_subword_fn)(const char *s, size_t n, const float *row, size_t dim, void *user);
edl_status edl_textclf_subwords(const edl_textclf *clf, const char *word, size_t len, edl_subword_fn fn, void *user);
/* The label probabilities (num_labels floats) from one word's own input row alone, without
   "</s>" or n-grams, through any hidden layers: which label the word's vector favours.
   EDL_ERR_ARG when the word is not in the vocabulary. */
edl_status edl_textclf_word_probs(const edl_textclf *clf, const char *word, size_t len, float *probs);
/* The output layer's row for a label (dim floats, in the same space as the word vectors), or
   NULL when there is none such: with hidden layers the output reads another space, and
   hierarchical softmax's rows are the tree's inner nodes. */
const float *edl_textclf_label_vector(const edl_textclf *clf, size_t label);

/* Evaluation as fastText's test: over lines with labels and words, precision = correct /
   predicted and recall = correct / gold over the top-k predictions above threshold, and the same
   per label (arrays of num_labels entries, owned by the result). */
typedef struct {
    size_t nexamples;
    uint64_t gold, predicted, correct;
    uint64_t *label_gold, *label_predicted, *label_correct;
    size_t nlabels;
} edl_textclf_meter;
edl_status edl_textclf_test(const edl_textclf *clf, const char *path, size_t k, float threshold,
                            edl_textclf_meter *meter);
void edl_textclf_meter_free(edl_textclf_meter *meter);

/* ---- Word vectors ------------------------------------------------------------------------- */

/* A set of word vectors: n words, each with dim floats, one contiguous n x dim table. */
typedef struct edl_vectors edl_vectors;
typedef enum {
    EDL_VEC_AUTO = 0,   /* reading: safetensors (by its start or a .safetensors name), word2vec
                                binary (.bin), text with or without header (by its first line) */
    EDL_VEC_TEXT,       /* word2vec text / fastText .vec: "count dim" header, then "word v1 .. vd" */
    EDL_VEC_GLOVE,      /* GloVe text: the same rows, no header */
    EDL_VEC_BINARY,     /* word2vec binary: "count dim\n", then "word " and dim little-endian floats */
    EDL_VEC_SAFETENSORS /* edl's file: the table and the vocabulary as tensors */
} edl_vec_format;
/* Names as edl.h's "Names": auto text glove binary safetensors. */
const char *edl_vec_format_name(edl_vec_format format);
edl_status edl_vec_format_from_name(const char *name, edl_vec_format *format);

/* Reads vectors. Text is streamed (peak memory ~ the table's bytes); every row is checked
   (value count, numbers, finite, word length, duplicates, a header that lies) and errors name
   the file and line, or byte offset for binary. A text classifier or word-vector model file
   (safetensors) gives its words' vectors. */
edl_status edl_vectors_read(edl_vectors **v, const char *path, edl_vec_format format);
/* Writes vectors (atomically); EDL_VEC_AUTO picks by the file name (.bin, .safetensors, .txt for
   GloVe, else word2vec text). */
edl_status edl_vectors_write(const edl_vectors *v, const char *path, edl_vec_format format);
/* Vectors from words (NUL-terminated) and an n x dim table (copied). */
edl_status edl_vectors_create(edl_vectors **v, const char *const *words, const float *data, size_t n, size_t dim);
void edl_vectors_free(edl_vectors *v);
size_t edl_vectors_count(const edl_vectors *v);
size_t edl_vectors_dim(const edl_vectors *v);
/* Word i (not NUL-terminated: *len bytes) and its row (NULL for a quantized set: edl_vectors_get
   decodes a row of any set into dim floats). */
const char *edl_vectors_word(const edl_vectors *v, size_t i, size_t *len);
const float *edl_vectors_row(const edl_vectors *v, size_t i);
edl_status edl_vectors_get(const edl_vectors *v, size_t i, float *out);

/* Compressed vectors (edl convert -quantize): the same words with the table as int8 rows (dim + 8
   bytes a row) or product-quantized (pq: m bytes a row, m dividing dim; 0: dim / 2; at least 256
   rows; seed draws k-means' samples). Such a set answers edl_vectors_nearest, edl_vectors_analogy
   and the evaluations on its compressed rows (cosine as on floats, from the codes: int8 a dot over
   the codes, pq a per-query table of m x 256 dots), never decoding the table whole; written as
   safetensors it stays compressed (qtable.* tensors beside the vocabulary), in any other format
   its rows are decoded. */
edl_status edl_vectors_quantize(edl_vectors **out, const edl_vectors *v, edl_quant_kind kind, size_t m, uint64_t seed);
/* A float copy of any set (a quantized one's rows decoded). */
edl_status edl_vectors_dequantize(edl_vectors **out, const edl_vectors *v);
/* EDL_QUANT_NONE for a float table. */
edl_quant_kind edl_vectors_quantized(const edl_vectors *v);
/* Bytes the table takes in memory and in its safetensors file (codes, scales, centroids). */
size_t edl_vectors_table_bytes(const edl_vectors *v);
/* The index of a word, or -1. */
int64_t edl_vectors_find(const edl_vectors *v, const char *word, size_t len);

/* The k words most similar (cosine) to query (dim floats) among the first `restrict` words (0:
   all), skipping exclude[0..nexclude); ids and sims receive *count <= k entries, best first. */
edl_status edl_vectors_nearest(const edl_vectors *v, const float *query, size_t k, size_t restrict_to,
                               const int64_t *exclude, size_t nexclude, int64_t *ids, float *sims, size_t *count);
/* a : b :: c : ?  (3CosAdd on unit vectors: nearest to b - a + c, without a, b, c). */
edl_status edl_vectors_analogy(const edl_vectors *v, int64_t a, int64_t b, int64_t c, size_t k, size_t restrict_to,
                               int64_t *ids, float *sims, size_t *count);

/* word2vec's questions-words.txt format (": section" lines, then "a b c d"): the accuracy of
   each section and in total over questions whose words are all among the first restrict_to
   words (words are tried as written, then lowercased). */
typedef struct {
    char name[64];
    size_t correct, total;
} edl_analogy_section;
typedef struct {
    edl_analogy_section *sections;
    size_t nsections;
    size_t correct, total, skipped; /* skipped: questions with a word not covered */
} edl_analogy_result;
edl_status edl_vectors_eval_analogies(const edl_vectors *v, const char *path, size_t restrict_to,
                                      edl_analogy_result *r);
void edl_analogy_result_free(edl_analogy_result *r);
/* Word pairs with human scores ("w1 w2 score" a line, '#' comments): the Spearman correlation
   of the scores with cosine similarity over the pairs found, and how many were found. */
edl_status edl_vectors_eval_similarity(const edl_vectors *v, const char *path, double *spearman, size_t *found,
                                       size_t *total);

/* Learning word vectors: fastText's skip-gram and CBOW with negative sampling, frequent-word
   subsampling and (minn/maxn > 0) character n-grams, so unseen words get vectors too. */
typedef struct edl_wordvec edl_wordvec;
/* How negative sampling (-loss ns) updates the rows.
   EDL_WORDVEC_WINDOW (skip-gram's default): HogBatch (Ji et al., "Parallelizing word2vec in
     shared and distributed memory", pWord2Vec): skip-gram takes a word's window at once, its
     context words' vectors against the word and one set of negatives shared by the window,
     scored and updated as one small matrix product from the same snapshot. With subwords
     (maxn > 0) the word's vector (the mean of its many rows) is gathered and stepped once a
     window, against its context words and a pool of neg x (context words) negatives the window's
     pairs share. CBOW takes -ws consecutive words' windows at once, each against its own word
     and one set of negatives shared by them.
   EDL_WORDVEC_PAIR (CBOW's default): fastText's exact algorithm: one update per (word, context)
     pair (CBOW: per word), each with its own negatives.
   -loss hs and softmax always train by pair (fastText's algorithm). Names: "window", "pair". */
typedef enum { EDL_WORDVEC_WINDOW = 0, EDL_WORDVEC_PAIR } edl_wordvec_update;
const char *edl_wordvec_update_name(edl_wordvec_update u);
edl_status edl_wordvec_update_from_name(const char *name, edl_wordvec_update *u);
typedef struct {
    int cbow;                       /* 0: skip-gram, 1: CBOW */
    size_t dim;                     /* 100 */
    size_t ws;                      /* 5: context window */
    size_t epoch;                   /* 5 */
    int64_t min_count;              /* 5 */
    size_t neg;                     /* 5: negatives sampled per positive */
    float lr;                       /* 0.05 (0.05 for both, as fastText) */
    float t;                        /* 1e-4: subsampling threshold */
    int thread;                     /* 12 */
    uint64_t seed;                  /* 0 */
    size_t minn, maxn;              /* 3, 6: character n-gram lengths (0, 0: whole words only) */
    size_t bucket;                  /* 2000000 */
    size_t lr_update_rate;          /* 100 */
    const char *label;              /* "__label__": such tokens are not words */
    int64_t min_count_label;        /* 0: labels seen this often are counted in the dictionary's report */
    edl_textclf_loss loss;          /* EDL_TEXTCLF_NS (fastText's default), _HS or _SOFTMAX over the words */
    const char *pretrained_vectors; /* a vectors file whose words' rows start the input table, or NULL */
    void (*progress)(const edl_progress *p, void *user);
    /* Called once the dictionary is read, before training (nlabels: label tokens, not words). */
    void (*dictionary)(int64_t ntokens, size_t nwords, size_t nlabels, void *user);
    void *user;
    /* Several processes, as edl_textclf_args' comm and sync_tokens (the input rows, the output
       rows and the subword buckets touched are averaged). */
    edl_comm *comm;
    size_t sync_tokens;        /* 50000 */
    edl_wordvec_update update; /* EDL_WORDVEC_WINDOW for skip-gram, EDL_WORDVEC_PAIR for CBOW */
} edl_wordvec_args;

typedef struct {
    size_t nwords;
    int64_t ntokens; /* over every rank's share */
    double seconds, words_per_sec_thread;
    float loss;
    uint64_t syncs, bytes_sent; /* as edl_textclf_report's */
    double sync_seconds, wait_seconds;
} edl_wordvec_report;

void edl_wordvec_defaults(edl_wordvec_args *a, int cbow);
/* Skip-gram or CBOW on the text at input ("-" for standard input), read once in 64 KiB chunks
   and never held whole: the corpus costs 4 bytes a token and 8 a line beside the model. */
edl_status edl_wordvec_train(edl_wordvec **w, const char *input, const edl_wordvec_args *a, edl_wordvec_report *report);
void edl_wordvec_free(edl_wordvec *w);
/* The model file: the input table (words and n-gram buckets), the vocabulary, the arguments. */
edl_status edl_wordvec_save(const edl_wordvec *w, const char *path);
edl_status edl_wordvec_load(edl_wordvec **w, const char *path);
/* fastText's .bin of a model trained by edl or read from fastText's file, which fastText 0.9.2
   loads; edl's own file keeps no output rows, so a model read from it is EDL_ERR_UNSUPPORTED. */
edl_status edl_wordvec_save_fasttext(const edl_wordvec *w, const char *path);
/* As edl_textclf_dump and edl_textclf_output_vectors (the rows named by words). */
edl_status edl_wordvec_dump(const edl_wordvec *w, const char *what, FILE *f);
edl_status edl_wordvec_output_vectors(const edl_wordvec *w, edl_vectors **v);
size_t edl_wordvec_dim(const edl_wordvec *w);
/* A word's vector: the mean of its rows (its own and its n-grams'); for a word not in the
   vocabulary, of its n-grams' (zeros without n-grams). */
edl_status edl_wordvec_word_vector(const edl_wordvec *w, const char *word, size_t len, float *vec);
/* As edl_textclf_subwords, for a word-vector model (fastText's print-ngrams). */
edl_status edl_wordvec_subwords(const edl_wordvec *w, const char *word, size_t len, edl_subword_fn fn, void *user);
/* Every word of the vocabulary with its vector (for .vec files and queries). */
edl_status edl_wordvec_vectors(const edl_wordvec *w, edl_vectors **v);

#ifdef __cplusplus
}
#endif
#endif /* EDL_TEXT_H */
