/* The library's folders are layers (docs/ARCHITECTURE.md): a file in src/F includes only headers
 * of F and of the folders above F in the list below, always as "folder/name.h", and of the public
 * headers edl.h and those of F's domain or the domains above it (edl_text.h is text's, edl_rec.h
 * rec's, edl_viz.h viz's); only src/model includes model/model.h (the model's internals); the CLI
 * includes only the public headers and its own. Fails naming the file, the line and the include. */
#include "harness.h"

#include <dirent.h>

static const char *const layers[] = {"common", "kernels", "io", "model", "text", "rec", "viz"};
enum { NLAYERS = sizeof layers / sizeof layers[0] };

static int layer_of(const char *name, size_t len) {
    for (int i = 0; i < NLAYERS; i++)
        if (strlen(layers[i]) == len && !strncmp(layers[i], name, len)) return i;
    return -1;
}

/* Checks every #include "..." of path; own is the file's layer (-1: the CLI). Returns the
   includes seen. */
static int check_file(const char *path, int own) {
    FILE *f = fopen(path, "r");
    if (!f) {
        FAILF("cannot read %s", path);
        return 0;
    }
    char line[1024];
    int lineno = 0, seen = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p++ != '#') continue;
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "include", 7)) continue;
        p += 7;
        while (*p == ' ' || *p == '\t') p++;
        if (*p != '"') continue;
        const char *inc = p + 1, *end = strchr(inc, '"');
        if (!end) continue;
        seen++;
        size_t n = (size_t)(end - inc);
        const char *slash = memchr(inc, '/', n);
        int public = !slash && n >= 5 && !strncmp(inc, "edl", 3) && !memcmp(inc + n - 2, ".h", 2);
        if (own < 0) { /* the CLI: public headers and its own files only */
            if (slash)
                FAILF("%s:%d: the CLI includes \"%.*s\": it uses only the public headers", path, lineno, (int)n, inc);
            continue;
        }
        if (public) { /* a domain's public header belongs to its folder: edl_text.h to text, ... */
            static const char *const domain[][2] = {{"edl_text.h", "text"}, {"edl_rec.h", "rec"}, {"edl_viz.h", "viz"}};
            for (size_t d = 0; d < sizeof domain / sizeof domain[0]; d++)
                if (own >= 0 && strlen(domain[d][0]) == n && !strncmp(inc, domain[d][0], n) &&
                    layer_of(domain[d][1], strlen(domain[d][1])) > own)
                    FAILF("%s:%d: src/%s includes \"%s\", the public header of src/%s, a folder below it", path, lineno,
                          layers[own], domain[d][0], domain[d][1]);
            continue;
        }
        /* the model's internals stay in its folder: apps use edl.h (and the engines' headers) */
        if (n == 13 && !strncmp(inc, "model/model.h", 13) && own != layer_of("model", 5))
            FAILF("%s:%d: src/%s includes \"model/model.h\", the model's internals (use edl.h)", path, lineno,
                  layers[own]);
        int to = slash ? layer_of(inc, (size_t)(slash - inc)) : -1;
        if (to < 0)
            FAILF("%s:%d: \"%.*s\": include library headers as \"folder/name.h\"", path, lineno, (int)n, inc);
        else if (to > own)
            FAILF("%s:%d: src/%s includes \"%.*s\" from src/%s, a folder below it", path, lineno, layers[own], (int)n,
                  inc, layers[to]);
    }
    fclose(f);
    return seen;
}

static int check_dir(const char *dir, int own, int *files) {
    DIR *d = opendir(dir);
    if (!d) {
        FAILF("cannot list %s (run from the repository root)", dir);
        return 0;
    }
    int seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 3 || (strcmp(e->d_name + n - 2, ".c") && strcmp(e->d_name + n - 2, ".h"))) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        seen += check_file(path, own);
        (*files)++;
    }
    closedir(d);
    return seen;
}

TEST(source_folders_are_layers) {
    int files = 0, includes = 0;
    for (int i = 0; i < NLAYERS; i++) {
        char dir[64];
        snprintf(dir, sizeof dir, "src/%s", layers[i]);
        includes += check_dir(dir, i, &files);
    }
    includes += check_dir("cli", -1, &files);
    /* no source file outside the layers */
    DIR *d = opendir("src");
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && layer_of(e->d_name, strlen(e->d_name)) < 0)
            FAILF("src/%s is not one of the layers' folders", e->d_name);
    if (d) closedir(d);
    fprintf(stderr,
            "    %d files, %d includes checked against the order common < kernels < io < model < text < rec < viz\n",
            files, includes);
    CHECK(files > 50 && includes > 80);
}
