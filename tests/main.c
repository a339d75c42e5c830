/* Test runner: runs every registered test (or those whose name contains argv[1]) and prints
 * "N passed, N failed" as the last line. Exit status 1 when anything failed. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAX_TESTS = 1024 };
static struct {
    const char *name;
    void (*fn)(void);
} tests[MAX_TESTS];
static int ntests;
int harness_failures;

void harness_register(const char *name, void (*fn)(void)) {
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "harness: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

int harness_close(const char *file, int line, const char *what, const float *a, const float *b, size_t n, double atol,
                  double rtol) {
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        int same_nan = isnan(a[i]) && isnan(b[i]);
        if (!same_nan && !(d <= atol + rtol * fabs((double)b[i]))) {
            harness_failures++;
            fprintf(stderr, "    %s:%d: %s[%zu] = %.9g, want %.9g (diff %.3g)\n", file, line, what, i, a[i], b[i], d);
            return 0;
        }
    }
    return 1;
}

/* ---- the CLI as a user runs it ------------------------------------------------------------- */

const char *harness_cli(void) {
    const char *c = getenv("EDL_CLI");
    return c ? c : "build/edl";
}

int harness_run(const char *cmd, char *buf, size_t size) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t got = fread(buf, 1, size - 1, p);
    buf[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int harness_run_all(const char *cmd, char *buf, size_t size) {
    char full[2048];
    snprintf(full, sizeof full, "{ %s ; } 2>&1", cmd);
    return harness_run(full, buf, size);
}

int harness_mpi(void) {
    char out[512];
    const char *why = NULL;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s version", harness_cli());
    if (harness_run_all(cmd, out, sizeof out) != 0 || !strstr(out, "mpi=yes"))
        why = "edl was built without MPI (make MPI=1)";
    else if (harness_run_all("mpirun --version", out, sizeof out) != 0)
        why = "mpirun is not installed (openmpi-bin)";
    if (!why) {
        if (geteuid() == 0) { /* mpirun refuses root unless told twice (CI runs as root) */
            setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
            setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
        }
        return 1;
    }
    const char *req = getenv("EDL_TEST_MPI");
    if (req && !strcmp(req, "require")) {
        harness_failures++;
        fprintf(stderr, "    EDL_TEST_MPI=require, but %s\n", why);
    } else {
        printf("    skipped: %s\n", why);
    }
    return 0;
}

int harness_mpirun(int np, const char *args, char *buf, size_t size) {
    char cmd[2048];
    /* --bind-to none: two cores, up to four ranks of up to two threads each */
    snprintf(cmd, sizeof cmd, "mpirun --oversubscribe --bind-to none -np %d %s %s", np, harness_cli(), args);
    return harness_run_all(cmd, buf, size);
}

void harness_remove_dir(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) harness_failures++, fprintf(stderr, "    could not remove %s\n", dir);
}

const char *harness_tmp_file(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "/tmp/edl-test-%ld-%s", (long)getpid(), name);
    return buf;
}

void harness_write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

size_t harness_count_lines(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* ---- reference data ----------------------------------------------------------------------- */

typedef struct {
    char name[64];
    int is_int;
    size_t n;
    void *data;
} ref_array;
static ref_array *refs;
static size_t nrefs;

static void load_refs(void) {
    const char *dir = getenv("EDL_TEST_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/reference.txt", dir ? dir : "tests/data");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "harness: cannot open %s (run from the repository root)\n", path);
        exit(2);
    }
    char name[64], type[8];
    size_t n;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#') {
            while ((c = fgetc(f)) != EOF && c != '\n') {
            }
            continue;
        }
        ungetc(c, f);
        if (fscanf(f, "%63s %7s %zu", name, type, &n) != 3) break;
        refs = realloc(refs, (nrefs + 1) * sizeof *refs);
        ref_array *r = &refs[nrefs++];
        snprintf(r->name, sizeof r->name, "%s", name);
        r->is_int = !strcmp(type, "i64");
        r->n = n;
        r->data = malloc((n ? n : 1) * 8);
        for (size_t i = 0; i < n; i++) {
            int ok = r->is_int ? fscanf(f, "%" SCNd64, (int64_t *)r->data + i) : fscanf(f, "%f", (float *)r->data + i);
            if (ok != 1) {
                fprintf(stderr, "harness: %s: array %s is short\n", path, name);
                exit(2);
            }
        }
    }
    fclose(f);
}

static const void *ref_get(const char *name, size_t *n, int is_int) {
    if (!refs) load_refs();
    for (size_t i = 0; i < nrefs; i++)
        if (!strcmp(refs[i].name, name) && refs[i].is_int == is_int) {
            if (n) *n = refs[i].n;
            return refs[i].data;
        }
    fprintf(stderr, "harness: reference array %s is missing\n", name);
    exit(2);
}

const float *ref_f32(const char *name, size_t *n) { return ref_get(name, n, 0); }
const int64_t *ref_i64(const char *name, size_t *n) { return ref_get(name, n, 1); }

/* ---- helpers ------------------------------------------------------------------------------ */

float *rand_floats(edl_rng *rng, size_t n, float lo, float hi) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * edl_rng_uniform(rng);
    return x;
}

float *zeros(size_t n) { return calloc(n, sizeof(float)); }

float *copy_floats(const float *x, size_t n) {
    float *y = malloc(n * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    return y;
}

unsigned char *read_file_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len + 1 : 1); /* NUL-terminated, for strstr */
    *n = b ? fread(b, 1, (size_t)len, f) : 0;
    if (b) b[*n] = '\0';
    fclose(f);
    return b;
}

int harness_same_file(const char *a, const char *b) {
    size_t na = 0, nb = 0;
    unsigned char *x = read_file_bytes(a, &na), *y = read_file_bytes(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x), free(y);
    return same;
}

void set_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

int max_threads(void) {
#ifdef _OPENMP
    return omp_get_num_procs() > 1 ? omp_get_num_procs() : 2;
#else
    return 1;
#endif
}

/* Tests kill processes (signals during saves, a rank's SIGKILL, mpirun ending a failed job), and
   one killed while clang's OpenMP runtime starts leaves an empty /dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid>
   that kills the next process given that pid with SIGBUS (pids wrap at 32768 on CI). The CLI
   removes its own (cli/edl.c); this removes the debris of dead pids after each test, for the
   other programs the tests start (comm_check, shard_check, the README example). */
static void remove_dead_openmp_registrations(void) {
    static const char prefix[] = "__KMP_REGISTERED_LIB_";
    DIR *d = opendir("/dev/shm");
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid, uid;
        char path[300];
        struct stat st;
        if (strncmp(e->d_name, prefix, sizeof prefix - 1) ||
            sscanf(e->d_name + sizeof prefix - 1, "%ld_%ld", &pid, &uid) != 2 || uid != (long)getuid() || pid <= 0)
            continue;
        snprintf(path, sizeof path, "/dev/shm/%s", e->d_name);
        if (stat(path, &st) == 0 && st.st_size == 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) unlink(path);
    }
    closedir(d);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    int threads = max_threads();
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        harness_failures = 0;
        set_threads(threads);
        tests[i].fn();
        remove_dead_openmp_registrations();
        if (harness_failures) {
            failed++;
            printf("FAIL %s (%d checks)\n", tests[i].name, harness_failures);
        } else {
            passed++;
            printf("ok   %s\n", tests[i].name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
