/* supervised -autotune-*: fastText's flags for the library's autotune. */
#ifndef EDL__CLI_AUTOTUNE_H
#define EDL__CLI_AUTOTUNE_H

#include "args.h"
#include "edl_text.h"

typedef struct {
    const char *validation, *metric, *model_size;
    float duration;
    size_t predictions;
} autotune_flags;

void autotune_flags_init(autotune_flags *f);
#define AUTOTUNE_FLAGS(f)                                                                                       \
    {"autotune-validation", ARG_STR, &(f).validation, "validation file to be used for evaluation"},             \
        {"autotune-metric", ARG_STR, &(f).metric,                                                               \
         "metric objective {f1, f1:labelname, precisionAtRecall:P[:label], recallAtPrecision:R[:label]}"},      \
        {"autotune-predictions", ARG_SIZE, &(f).predictions, "number of predictions used for evaluation"},      \
        {"autotune-duration", ARG_FLOAT, &(f).duration, "maximum duration in seconds"},                         \
        {"autotune-modelsize", ARG_STR, &(f).model_size, "constraint model file size (e.g. 2M; empty: none)"}

/* The autotune arguments of the flags (the arguments given on argv are kept fixed, as fastText
   keeps them); 0, or 2 after naming a bad value. */
int autotune_args_from(const char *cmd, const autotune_flags *f, int argc, char **argv, edl_autotune_args *t);
/* fastText's autotune progress line; user is an int verbosity. */
void autotune_progress(const edl_autotune_progress *p, void *user);
/* "best: ..." the arguments found, on stderr. */
void autotune_print_best(const edl_autotune_report *r, const edl_autotune_args *t);

#endif
