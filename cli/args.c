/* Flag parsing for the edl command line: every value is checked, every error names the flag. */
#include "args.h"

#include "edl_rec.h"
#include "edl_text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_bool(const char *v) { return !strcmp(v, "0") || !strcmp(v, "1"); }

static int set_value(const char *cmd, const arg_spec *s, const char *v) {
    char *end;
    errno = 0;
    switch (s->type) {
    case ARG_STR: *(const char **)s->value = v; return 0;
    case ARG_BOOL:
        if (!is_bool(v)) break;
        *(int *)s->value = v[0] == '1';
        return 0;
    case ARG_SIZE:
    case ARG_U64:
    case ARG_COUNT: {
        /* strtoull alone would take " -1" as 2^64 - 1: digits only */
        if (!(v[0] >= '0' && v[0] <= '9')) break;
        unsigned long long x = strtoull(v, &end, 10);
        if (*end || errno) break;
        if (s->type == ARG_SIZE && x > SIZE_MAX) break;
        if (s->type == ARG_COUNT && x > (unsigned long long)INT64_MAX) break;
        if (s->type == ARG_SIZE)
            *(size_t *)s->value = (size_t)x;
        else if (s->type == ARG_COUNT)
            *(int64_t *)s->value = (int64_t)x;
        else
            *(uint64_t *)s->value = x;
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
                       : s->type == ARG_COUNT                    ? "a non-negative integer below 2^63"
                       : s->type == ARG_INT                      ? "an integer"
                       : s->type == ARG_BOOL                     ? "0 or 1, or the flag alone for 1"
                                                                 : "a finite number";
    fprintf(stderr, "edl %s: bad value '%s' for -%s (want %s)\n", cmd, v, s->name, want);
    return -1;
}

int args_parse(const arg_cmd *c, int argc, char **argv, int first, const char **pos, int max_pos) {
    const char *cmd = c->name;
    const arg_spec *specs = c->specs;
    size_t nspecs = c->nspecs;
    int npos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        /* a positional: not a flag, "-" alone, or a negative number (fastText's predict k -1) */
        if (a[0] != '-' || a[1] == '\0' || (a[1] >= '0' && a[1] <= '9')) {
            if (npos == max_pos) {
                fprintf(stderr, "edl %s: unexpected argument '%s'\n", cmd, a);
                return -1;
            }
            pos[npos++] = a;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(c->usage, stdout);
            args_usage(stdout, specs, nspecs);
            return ARGS_HELP;
        }
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
        if (!v && s->type == ARG_BOOL) /* alone, or with 0 or 1 after it */
            v = i + 1 < argc && is_bool(argv[i + 1]) ? argv[++i] : "1";
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
        case ARG_STR:
            snprintf(def, sizeof def, "%s", *(const char **)specs[k].value ? *(const char **)specs[k].value : "");
            break;
        case ARG_SIZE: /* SIZE_MAX stands for "not given": the help says what that means */
            if (*(size_t *)specs[k].value == SIZE_MAX)
                snprintf(def, sizeof def, "unset");
            else
                snprintf(def, sizeof def, "%zu", *(size_t *)specs[k].value);
            break;
        case ARG_U64: snprintf(def, sizeof def, "%llu", (unsigned long long)*(uint64_t *)specs[k].value); break;
        case ARG_COUNT: snprintf(def, sizeof def, "%lld", (long long)*(int64_t *)specs[k].value); break;
        case ARG_INT:
        case ARG_BOOL: snprintf(def, sizeof def, "%d", *(int *)specs[k].value); break;
        case ARG_FLOAT: /* NaN stands for a default that depends on other flags */
            if (isnan(*(float *)specs[k].value))
                snprintf(def, sizeof def, "auto");
            else
                snprintf(def, sizeof def, "%g", *(float *)specs[k].value);
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

int args_usage_exit(const arg_cmd *c, int parsed) {
    if (parsed == ARGS_HELP) return 0;
    fputs(c->usage, stderr);
    args_usage(stderr, c->specs, c->nspecs);
    return 2;
}

/* ---- enum flags ------------------------------------------------------------------------------ */

#define NAMES(id, prefix, type)                                             \
    static const char *prefix##_i(int v) { return prefix##_name((type)v); } \
    static edl_status prefix##_from_i(const char *name, int *v) {           \
        type t;                                                             \
        edl_status s = prefix##_from_name(name, &t);                        \
        if (s == EDL_OK) *v = (int)t;                                       \
        return s;                                                           \
    }                                                                       \
    const arg_names id = {prefix##_i, prefix##_from_i};

NAMES(ARG_NAMES_OPT, edl_opt, edl_opt_kind)
NAMES(ARG_NAMES_SCHEDULE, edl_schedule, edl_schedule)
NAMES(ARG_NAMES_INIT, edl_init, edl_init)
NAMES(ARG_NAMES_TEXTCLF_LOSS, edl_textclf_loss, edl_textclf_loss)
NAMES(ARG_NAMES_REC_KIND, edl_rec_kind, edl_rec_kind)
NAMES(ARG_NAMES_VEC_FORMAT, edl_vec_format, edl_vec_format)
NAMES(ARG_NAMES_RATINGS_FORMAT, edl_ratings_format, edl_ratings_format)
NAMES(ARG_NAMES_SPLIT_KIND, edl_split_kind, edl_split_kind)
NAMES(ARG_NAMES_WORDVEC_UPDATE, edl_wordvec_update, edl_wordvec_update)

const char *args_names(char *buf, size_t size, const arg_names *t, const int *values, size_t n, const char *pre,
                       const char *sep, const char *last, const char *post) {
    size_t count = n;
    if (!values)
        for (count = 0; t->name((int)count); count++) {
        }
    size_t len = 0;
    buf[0] = '\0';
#define PUT(s) (len += (size_t)snprintf(buf + (len < size ? len : size - 1), len < size ? size - len : 1, "%s", (s)))
    PUT(pre);
    for (size_t i = 0; i < count; i++) {
        if (i) PUT(i + 1 == count ? last : sep);
        const char *name = t->name(values ? values[i] : (int)i);
        PUT(name ? name : "?");
    }
    PUT(post);
#undef PUT
    return buf;
}

int args_enum(const char *cmd, const char *flag, const char *s, const arg_names *t, const int *values, size_t n,
              int *out) {
    int v;
    if (t->from(s, &v) == EDL_OK) {
        for (size_t i = 0; i < n && values; i++)
            if (values[i] == v) return *out = v, 0;
        if (!values || !n) return *out = v, 0;
    }
    char list[256];
    fprintf(stderr, "edl %s: %s '%s' is not %s\n", cmd, flag, s,
            args_names(list, sizeof list, t, values, n, "", ", ", " or ", ""));
    return -1;
}
