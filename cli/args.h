/* Command-line flags in fastText's style: -name value, and GNU's --name value / --name=value. */
#ifndef EDL_CLI_ARGS_H
#define EDL_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ARG_STR, ARG_SIZE, ARG_U64, ARG_FLOAT, ARG_INT } arg_type;

typedef struct {
    const char *name;  /* without dashes */
    arg_type type;
    void *value;       /* const char **, size_t *, uint64_t *, float *, int * */
    const char *help;
} arg_spec;

/* Parses argv[first..argc) against specs; positional arguments (not starting with '-', or "-"
   alone) are stored in pos (at most max_pos). Prints a clear message to stderr and returns -1 on
   an unknown flag, a missing or bad value, or too many positionals; else the positional count. */
int args_parse(const char *cmd, int argc, char **argv, int first, const arg_spec *specs,
               size_t nspecs, const char **pos, int max_pos);
/* A comma-separated list of sizes in [1, 1000000] ("-hidden 256,128") into out (at most max);
   -1 when it is not one. */
int args_sizes(const char *s, size_t *out, size_t max, size_t *n);
/* Prints the flags with their help and current values. */
void args_usage(const arg_spec *specs, size_t nspecs);

#endif
