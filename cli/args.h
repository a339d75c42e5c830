/* Command-line flags in fastText's style: -name value, and GNU's --name value / --name=value. */
#ifndef EDL__CLI_ARGS_H
#define EDL__CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ARG_COUNT: a non-negative int64_t (a count such as -minCount: at most 2^63 - 1). */
typedef enum { ARG_STR, ARG_SIZE, ARG_U64, ARG_FLOAT, ARG_INT, ARG_COUNT } arg_type;

typedef struct {
    const char *name;  /* without dashes */
    arg_type type;
    void *value;       /* const char **, size_t *, uint64_t *, float *, int *, int64_t * */
    const char *help;
} arg_spec;

/* What args_parse returns for -h or --help (in a flag's place): the command prints its usage to
   standard output and exits 0. */
#define ARGS_HELP (-2)

/* Parses argv[first..argc) against specs; positional arguments (not starting with '-', or "-"
   alone) are stored in pos (at most max_pos). Prints a clear message to stderr and returns -1 on
   an unknown flag, a missing or bad value, or too many positionals; ARGS_HELP for -h/--help;
   else the positional count. Sizes and counts are plain decimal digits: a sign, spaces or a
   value past the type's range are refused, naming the flag. */
int args_parse(const char *cmd, int argc, char **argv, int first, const arg_spec *specs,
               size_t nspecs, const char **pos, int max_pos);
/* For a command's usage error or -h: usage to standard output and 0 when parsed is ARGS_HELP,
   else to standard error and 2. */
int args_usage_exit(int parsed, const char *usage);
/* A comma-separated list of sizes in [1, 1000000] ("-hidden 256,128") into out (at most max);
   -1 when it is not one. */
int args_sizes(const char *s, size_t *out, size_t max, size_t *n);
/* Prints the flags with their help and current values to f. */
void args_usage(FILE *f, const arg_spec *specs, size_t nspecs);
/* args_usage_exit with the flags listed after the usage line. */
int args_flags_exit(int parsed, const char *usage, const arg_spec *specs, size_t nspecs);

#endif
