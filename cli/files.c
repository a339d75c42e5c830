/* Checks of a command's input and output paths before it starts its work. */
#define _XOPEN_SOURCE 700
#include "files.h"

#include "comm.h"
#include "edl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_output_path(const char *cmd, const char *flag, const char *prefix, const char *suffix, char *out, size_t size) {
    /* the arguments, the same on every rank: said once, by rank 0 */
    const int say = cli_rank() == 0;
    if (!prefix || !*prefix) {
        if (say)
            fprintf(stderr, "edl %s: %s is empty: give a file name%s\n", cmd, flag,
                    suffix[0] ? " prefix such as model" : "");
        return -1;
    }
    const char *base = strrchr(prefix, '/');
    base = base ? base + 1 : prefix;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        if (say)
            fprintf(stderr, "edl %s: %s '%s' names a directory: give a file name in it (such as %s%smodel)\n", cmd,
                    flag, prefix, prefix, *base ? "/" : "");
        return -1;
    }
    int n = snprintf(out, size, "%s%s", prefix, suffix);
    if (n < 0 || (size_t)n >= size) {
        if (say) fprintf(stderr, "edl %s: %s '%.60s...' is longer than %zu bytes\n", cmd, flag, prefix, size - 1);
        return -1;
    }
    /* the file system: rank 0's, which alone writes the outputs (another rank's machine may have
       no such directory), and every rank takes its verdict */
    int bad = 0;
    struct stat st;
    /* a prefix naming a device or FIFO would put PREFIX.safetensors beside it (in /dev) */
    if (say && suffix[0] && stat(prefix, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "edl %s: %s '%s' is a device or FIFO, not a file name prefix (it would write %s%s beside it)\n",
                cmd, flag, prefix, prefix, suffix);
        bad = 1;
    } else if (say && edl_check_output(out) != EDL_OK) {
        fprintf(stderr, "edl %s: %s %s\n", cmd, flag, edl_last_error());
        bad = 1;
    }
    return cli_comm_rank0(bad) ? -1 : 0;
}

/* The identity of a path: its device and inode, or for a file not made yet its directory's
   device and inode and its name. Only regular files and files to be made are compared:
   devices such as /dev/null may be both read and written. */
typedef struct {
    int known;
    dev_t dev;
    ino_t ino;
    const char *name; /* NULL when the file exists */
} file_id;

static file_id identify(const char *path) {
    file_id id = {0, 0, 0, NULL};
    struct stat st;
    if (!path || !strcmp(path, "-")) return id;
    if (stat(path, &st) == 0) {
        if (S_ISREG(st.st_mode)) id.known = 1, id.dev = st.st_dev, id.ino = st.st_ino;
        return id;
    }
    if (errno != ENOENT) return id;
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(dl + 2);
    if (!dir) return id;
    if (!slash)
        strcpy(dir, ".");
    else if (dl == 0)
        strcpy(dir, "/");
    else
        memcpy(dir, path, dl), dir[dl] = '\0';
    if (stat(dir, &st) == 0) id.known = 1, id.dev = st.st_dev, id.ino = st.st_ino, id.name = slash ? slash + 1 : path;
    free(dir);
    return id;
}

static int same(const file_id *a, const file_id *b) {
    if (!a->known || !b->known || a->dev != b->dev || a->ino != b->ino) return 0;
    if (!a->name || !b->name) return !a->name && !b->name;
    return !strcmp(a->name, b->name);
}

static void describe(char *buf, size_t size, const cli_file *f) {
    if (f->flag[0])
        snprintf(buf, size, "%s %s", f->flag, f->path);
    else
        snprintf(buf, size, "%s", f->path);
}

int cli_files_distinct(const char *cmd, const cli_file *files, size_t n) {
    const int say = cli_rank() == 0; /* as cli_output_path: the arguments said once, rank 0's disk */
    for (size_t i = 0; i < n; i++)   /* standard input can be read once */
        for (size_t j = i + 1; j < n; j++)
            if (!files[i].output && !files[j].output && files[i].path && files[j].path && !strcmp(files[i].path, "-") &&
                !strcmp(files[j].path, "-")) {
                if (say)
                    fprintf(stderr, "edl %s: %s and %s both read standard input ('-'): one of them must be a file\n",
                            cmd, files[i].flag[0] ? files[i].flag : "an argument",
                            files[j].flag[0] ? files[j].flag : "another");
                return -1;
            }
    int bad = 0;
    for (size_t i = 0; say && !bad && i < n; i++) {
        if (!files[i].output) continue;
        file_id a = identify(files[i].path);
        for (size_t j = 0; !bad && j < n; j++) {
            if (j == i || (files[j].output && j > i)) continue;
            file_id b = identify(files[j].path);
            if (!same(&a, &b)) continue;
            char x[600], y[600];
            describe(x, sizeof x, &files[i]);
            describe(y, sizeof y, &files[j]);
            fprintf(stderr, "edl %s: %s is the same file as %s%s: refusing to overwrite it\n", cmd, x,
                    files[j].output ? "the output " : "the input ", y);
            bad = 1;
        }
    }
    return cli_comm_rank0(bad) ? -1 : 0;
}

FILE *cli_open_output(const char *cmd, const char *flag, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "edl %s: %s%s%s: cannot write it: %s\n", cmd, flag, flag[0] ? " " : "", path, strerror(errno));
    return f;
}

int cli_close_output(const char *cmd, const char *flag, const char *path, FILE *f) {
    if (!f) return 0;
    errno = 0;
    int bad = fflush(f) != 0 || ferror(f), err = errno;
    if (f != stdout && fclose(f) != 0 && !bad) bad = 1, err = errno;
    if (!bad) return 0;
    if (f == stdout) path = "standard output";
    fprintf(stderr, "edl%s%s: %s%s%s: write failed: %s\n", cmd ? " " : "", cmd ? cmd : "", flag, flag[0] ? " " : "",
            path, strerror(err ? err : EIO));
    return -1;
}

FILE *cli_open_input(const char *cmd, const char *flag, const char *path) {
    if (!strcmp(path, "-")) return stdin;
    FILE *f = fopen(path, "rb");
    struct stat st;
    int err = f ? (fstat(fileno(f), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0) : errno;
    if (!err) return f;
    if (f) fclose(f);
    fprintf(stderr, "edl %s: %s%s%s: cannot read it: %s\n", cmd, flag, flag[0] ? " " : "", path, strerror(err));
    return NULL;
}

void cli_close_input(FILE *f) {
    if (f && f != stdin) fclose(f);
}

int cli_ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}
