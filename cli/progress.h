/* Training progress on stderr: a live bar with ETA when stderr is a terminal, plain periodic
   lines when it is not (logs, CI). */
#ifndef EDL__CLI_PROGRESS_H
#define EDL__CLI_PROGRESS_H

#include "edl.h"
#include "edl_text.h"

#include <stdio.h>

typedef struct {
    int verbose; /* 0: silent, 1: progress, 2: also each epoch's validation */
    int tty;
    FILE *log;     /* -log FILE: one CSV row an epoch (edl train) or a report (supervised) */
    double epochs; /* supervised: to turn progress into epochs for the log */
} progress_state;

void progress_init(progress_state *s, int verbose);
/* An edl_train_config.progress callback; user is a progress_state. */
void progress_report(const edl_progress *p, void *user);

/* fastText's progress line ("Progress: 42.0% words/sec/thread: ..."), for the fastText-style
   commands; user is a progress_state (printed at verbosity 2 and above; logged if it has a log). */
void progress_fasttext(const edl_progress *p, void *user);
/* fastText's lines once the dictionary is read (verbosity 1 and above), for the args'
   dictionary callback; user is a progress_state (or a struct that begins with one). */
void progress_dictionary(int64_t ntokens, size_t nwords, size_t nlabels, void *user);
/* Prints "edl CMD: <the library's last error>" and returns 1. */
int cli_fail(const char *cmd);

#endif
