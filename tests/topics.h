/* The word-vector tests' corpus with a known answer (defined in test_vectors.c): two topics of
   30 words, a line a topic (the words' "s" forms share n-grams), and the margin vectors learned
   from it should show: the mean cosine of same-topic pairs less that of cross-topic pairs. */
#ifndef EDL_TEST_TOPICS_H
#define EDL_TEST_TOPICS_H
#include "edl_text.h"

void write_topics(const char *path);
double topic_margin(const edl_vectors *v);
#endif
