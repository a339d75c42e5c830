/* The text classifier's internals, shared by textclf.c, textclf_train.c and textclf_file.c.
   Not installed. */
#ifndef EDL__TEXTCLF_H
#define EDL__TEXTCLF_H

#include "text/hs_tree.h"
#include "text/text.h"

#include <stdio.h>

struct edl_textclf {
    edl_model *m;
    edl__vocab vocab;
    edl_textclf_loss loss;
    size_t dim, word_ngrams, bucket;
    size_t minn, maxn;   /* character n-grams (maxn 0: none) */
    int fasttext;        /* read from a fastText .bin: ova scores through fastText's sigmoid table */
    edl__ft_prune prune; /* a pruned .ftz's kept buckets (active 0: none) */
    edl__ft *ftz;        /* a .ftz's quantized input, kept as the file holds it and decoded a row at a
                            time as rows are read (the model's layer 0 then holds one unused row) */
    edl__hs_tree hs;     /* hierarchical softmax: the tree over the labels */
    size_t neg;          /* ns: labels sampled an example (kept for fastText's file) */
    char args[2048];     /* the training arguments, for the file */
};

/* What a line's input rows are made of, for edl__line_parse. */
static inline edl__features edl__textclf_features(const edl_textclf *c) {
    edl__features f = {c->word_ngrams, c->bucket, c->minn, c->maxn, c->prune.active ? &c->prune : NULL};
    return f;
}

/* ova and ns: each label's probability its own sigmoid. */
static inline int edl__textclf_sigmoids(const edl_textclf *c) {
    return c->loss == EDL_TEXTCLF_OVA || c->loss == EDL_TEXTCLF_NS;
}

/* hs: the tree over the labels' counts. */
static inline edl_status edl__textclf_build_tree(edl_textclf *c) {
    return edl__hs_tree_build(&c->hs, c->vocab.counts + c->vocab.nwords, c->vocab.nlabels);
}
/* The model: an input table of rows rows (the words, then the buckets: nwords + bucket when
   trained; a pruned file's kept ones; 1, a placeholder, when a .ftz's rows stay quantized), the
   hidden layers of a, the output. */
edl_status edl__textclf_make_model(edl_textclf *c, const edl_textclf_args *a, size_t rows, int lazy);
/* Input row r: the table's own, or (a .ftz) decoded into buf (dim floats). */
const float *edl__textclf_row(const edl_textclf *c, size_t r, float *buf);
/* The input rows dense: c itself, or for a model that keeps them quantized a shallow copy *tmp
   (sharing c's vocabulary) whose model holds them decoded, for what writes the whole table
   (save, fastText's .bin, dump input, quantize); edl__textclf_dense_done(tmp) frees its model. */
edl_status edl__textclf_dense(const edl_textclf *c, edl_textclf *tmp, const edl_textclf **dense);
void edl__textclf_dense_done(edl_textclf *tmp);
/* hidden = the mean of input rows words[0..n) (zeros when n is 0). */
void edl__textclf_average(const edl_textclf *c, const int32_t *words, size_t n, float *hidden);
/* edl_textclf_train with reads of chunk bytes (0: the line reader's default), for tests that cross
   chunk boundaries everywhere. */
edl_status edl__textclf_train(edl_textclf **out, const char *input, const edl_textclf_args *a,
                              edl_textclf_report *report, size_t chunk);
/* quantize -retrain: more epochs of fastText's trainer over the text at input, the classifier
   (pruned or not) trained as it is. */
edl_status edl__textclf_train_more(edl_textclf *c, const char *input, const edl_quantize_args *q);
/* hs (no hidden layers): the k most probable labels with p >= threshold for the averaged input
   hidden, best first, ties to the lower label: exactly the top k of edl__textclf_probs, found by
   fastText's depth-first search of the tree, pruned by the threshold and the k-th best so far.
   *visited (may be NULL) receives how many inner nodes were scored. */
edl_status edl__textclf_hs_topk(const edl_textclf *c, const float *hidden, size_t k, float threshold, int64_t *labels,
                                float *probs, size_t *count, size_t *visited);
/* Label probabilities for input rows words[0..n); hidden: dim floats of scratch. */
edl_status edl__textclf_probs(const edl_textclf *c, const int32_t *words, size_t n, float *hidden, float *probs);

#endif
