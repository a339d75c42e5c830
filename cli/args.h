/* Command-line flags in fastText's style: -name value, and GNU's --name value / --name=value. */
#ifndef EDL__CLI_ARGS_H
#define EDL__CLI_ARGS_H

#include "edl.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ARG_COUNT: a non-negative int64_t (a count such as -minCount: at most 2^63 - 1).
   ARG_BOOL: an int set to 1 by the flag standing alone; "-flag 0" / "-flag 1" and "--flag=0|1"
   still say which. */
typedef enum { ARG_STR, ARG_SIZE, ARG_U64, ARG_FLOAT, ARG_INT, ARG_COUNT, ARG_BOOL } arg_type;

typedef struct {
    const char *name; /* without dashes */
    arg_type type;
    void *value; /* const char **, size_t *, uint64_t *, float *, int *, int64_t *, int * */
    const char *help;
} arg_spec;

/* A command as the parser sees it: its name in messages ("edl NAME: ..."), its usage line(s), and
   its flags. */
typedef struct {
    const char *name;  /* "supervised", "recommend train" */
    const char *usage; /* "usage: edl supervised -input FILE -output PREFIX [flags]\n" */
    const arg_spec *specs;
    size_t nspecs;
} arg_cmd;

/* What args_parse returns for -h or --help (in a flag's place), after printing the usage and the
   flags to standard output: the command exits 0. */
#define ARGS_HELP (-2)

/* Parses argv[first..argc) against c's flags; positional arguments (not starting with '-', a negative number, or
   "-" alone) are stored in pos (at most max_pos). Prints a clear message to stderr and returns -1
   on an unknown flag, a missing or bad value, or too many positionals; ARGS_HELP for -h/--help
   (the usage printed); else the positional count. Sizes and counts are plain decimal digits: a
   sign, spaces or a value past the type's range are refused, naming the flag. */
int args_parse(const arg_cmd *c, int argc, char **argv, int first, const char **pos, int max_pos);
/* The exit status of a command that stops at parsing: 0 for ARGS_HELP (the parser printed the
   usage); else c's usage and flags to standard error, and 2. */
int args_usage_exit(const arg_cmd *c, int parsed);
/* Prints the flags with their help and current values to f. */
void args_usage(FILE *f, const arg_spec *specs, size_t nspecs);
/* A comma-separated list of sizes in [1, 1000000] ("-hidden 256,128") into out (at most max);
   -1 when it is not one. */
int args_sizes(const char *s, size_t *out, size_t max, size_t *n);

/* ---- enum flags: the values a flag takes, spelled by the library's table of names ---------- */

/* The library's edl_X_name / edl_X_from_name pair of one enum, as functions of int. */
typedef struct {
    const char *(*name)(int value);
    edl_status (*from)(const char *name, int *value);
} arg_names;
extern const arg_names ARG_NAMES_OPT, ARG_NAMES_SCHEDULE, ARG_NAMES_INIT, ARG_NAMES_TEXTCLF_LOSS, ARG_NAMES_REC_KIND,
    ARG_NAMES_VEC_FORMAT, ARG_NAMES_RATINGS_FORMAT, ARG_NAMES_SPLIT_KIND, ARG_NAMES_WORDVEC_UPDATE;

/* pre + the names of values[0..n) (values NULL: every value of the enum) joined by sep, the last by last,
   + post, in buf; returns buf. For messages and help: ("sgd, adam or adagrad"). */
const char *args_names(char *buf, size_t size, const arg_names *t, const int *values, size_t n, const char *pre,
                       const char *sep, const char *last, const char *post);
/* *out = the value named s (a canonical name or an alias) when it is among values[0..n) (values NULL:
   any); else prints "edl CMD: FLAG 'S' is not a, b or c" and returns -1. */
int args_enum(const char *cmd, const char *flag, const char *s, const arg_names *t, const int *values, size_t n,
              int *out);

#endif
