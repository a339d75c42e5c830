/* Flag parsing for the edl command line: every value is checked, every error names the flag. */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_value(const char *cmd, const arg_spec *s, const char *v) {
    char *end;
    errno = 0;
    switch (s->type) {
    case ARG_STR: *(const char **)s->value = v; return 0;
    case ARG_SIZE:
    case ARG_U64:
    case ARG_COUNT: {
        /* strtoull alone would take " -1" as 2^64 - 1: digits only */
        if (!(v[0] >= '0' && v[0] <= '9')) break;
        unsigned long long x = strtoull(v, &end, 10);
        if (*end || errno) break;
        if (s->type == ARG_SIZE && x > SIZE_MAX) break;
        if (s->type == ARG_COUNT && x > (unsigned long long)INT64_MAX) break;
        if (s->type == ARG_SIZE) *(size_t *)s->value = (size_t)x;
        else if (s->type == ARG_COUNT) *(int64_t *)s->value = (int64_t)x;
        else *(uint64_t *)s->value = x;
        return 0;
    }
    case ARG_INT: {
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno || x < -2147483647L || x > 2147483647L) break;
        *(int *)s->value = (int)x;
        return 0;
    }
    case ARG_FLOAT: {
        float x = strtof(v, &end);
        if (end == v || *end || errno || !isfinite(x)) break;
        *(float *)s->value = x;
        return 0;
    }
    }
    const char *want = s->type == ARG_SIZE || s->type == ARG_U64 ? "a non-negative integer"
                       : s->type == ARG_COUNT                 ? "a non-negative integer below 2^63"
                       : s->type == ARG_INT                   ? "an integer"
                                                              : "a finite number";
    fprintf(stderr, "edl %s: bad value '%s' for -%s (want %s)\n", cmd, v, s->name, want);
    return -1;
}

int args_parse(const char *cmd, int argc, char **argv, int first, const arg_spec *specs,
               size_t nspecs, const char **pos, int max_pos) {
    int npos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (npos == max_pos) {
                fprintf(stderr, "edl %s: unexpected argument '%s'\n", cmd, a);
                return -1;
            }
            pos[npos++] = a;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return ARGS_HELP;
        const char *name = a + 1 + (a[1] == '-');
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const arg_spec *s = NULL;
        for (size_t k = 0; k < nspecs; k++)
            if (strlen(specs[k].name) == nlen && !strncmp(specs[k].name, name, nlen)) s = &specs[k];
        if (!s) {
            fprintf(stderr, "edl %s: unknown flag '%s' (edl %s -h lists the flags)\n", cmd, a, cmd);
            return -1;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "edl %s: -%s needs a value\n", cmd, s->name);
                return -1;
            }
            v = argv[++i];
        }
        if (set_value(cmd, s, v) != 0) return -1;
    }
    return npos;
}

void args_usage(FILE *f, const arg_spec *specs, size_t nspecs) {
    for (size_t k = 0; k < nspecs; k++) {
        char def[64] = "";
        switch (specs[k].type) {
        case ARG_STR: snprintf(def, sizeof def, "%s", *(const char **)specs[k].value ? *(const char **)specs[k].value : ""); break;
        case ARG_SIZE: /* SIZE_MAX stands for "not given": the help says what that means */
            if (*(size_t *)specs[k].value == SIZE_MAX) snprintf(def, sizeof def, "unset");
            else snprintf(def, sizeof def, "%zu", *(size_t *)specs[k].value);
            break;
        case ARG_U64: snprintf(def, sizeof def, "%llu", (unsigned long long)*(uint64_t *)specs[k].value); break;
        case ARG_COUNT: snprintf(def, sizeof def, "%lld", (long long)*(int64_t *)specs[k].value); break;
        case ARG_INT: snprintf(def, sizeof def, "%d", *(int *)specs[k].value); break;
        case ARG_FLOAT: /* NaN stands for a default that depends on other flags */
            if (isnan(*(float *)specs[k].value)) snprintf(def, sizeof def, "auto");
            else snprintf(def, sizeof def, "%g", *(float *)specs[k].value);
            break;
        }
        fprintf(f, "  -%-14s %s [%s]\n", specs[k].name, specs[k].help, def);
    }
}

int args_sizes(const char *s, size_t *out, size_t max, size_t *n) {
    *n = 0;
    while (s && *s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s || errno || v == 0 || v > 1000000 || *n == max || (*end && *end != ',')) return -1;
        out[(*n)++] = (size_t)v;
        s = *end ? end + 1 : end;
    }
    return 0;
}

int args_usage_exit(int parsed, const char *usage) {
    fputs(usage, parsed == ARGS_HELP ? stdout : stderr);
    return parsed == ARGS_HELP ? 0 : 2;
}

int args_flags_exit(int parsed, const char *usage, const arg_spec *specs, size_t nspecs) {
    FILE *f = parsed == ARGS_HELP ? stdout : stderr;
    fputs(usage, f);
    args_usage(f, specs, nspecs);
    return parsed == ARGS_HELP ? 0 : 2;
}
