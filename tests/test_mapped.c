/* Mapped models (issue 15, item 2): every tensor edl writes starts at a 64-byte boundary of the
 * file; a loaded model's parameters and a vectors file's table are the file's mapping, not a
 * copy; every query command answers the same mapped as read (EDL_MMAP=0); and a file truncated
 * under a mapping stops the CLI with a message and status 1, not a signal. */
#include "harness.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "text/vectors.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char out[1 << 16], out2[1 << 16];

static int edl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int edl(const char *fmt, ...) {
    char args[1800], cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s", harness_cli(), args);
    return harness_run_all(cmd, out, sizeof out);
}

/* Every tensor of path starts at a multiple of 64 bytes of the file; the count checked. */
static size_t check_aligned(const char *path) {
    edl__st *st = NULL;
    CHECK_OK(edl__st_open(&st, path));
    if (!st) return 0;
    size_t n = edl__st_count(st);
    for (size_t i = 0; i < n; i++) {
        const edl__st_tensor *t = edl__st_at(st, i);
        if ((edl__st_data_start(st) + t->begin) % 64)
            FAILF("%s: tensor %s starts at file byte %llu", path, t->name,
                  (unsigned long long)(edl__st_data_start(st) + t->begin));
    }
    edl__st_close(st);
    return n;
}

TEST(mapped_files_are_aligned_and_loaded_in_place) {
    char dir[] = "/tmp/edl-mapped-XXXXXX", path[128];
    if (!mkdtemp(dir)) return;
    /* a model with odd sizes: every tensor needs padding before the next */
    edl_model *m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=7,dim=3) dense(5,act=relu) dense(3)", EDL_INIT_TORCH, 3));
    if (!m) return;
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    const char *k[1] = {"task"}, *v[1] = {"test"};
    edl_tensor extra = {"words", EDL_DTYPE_U8, 1, {13, 0}, "abcdefghijklm"};
    CHECK_OK(edl_model_save_ex(m, path, k, v, 1, &extra, 1));
    CHECK(check_aligned(path) == 6); /* 3 weights, 2 biases, the extra; padding hidden */
    edl_model *l = NULL;
    CHECK_OK(edl_model_load(&l, path));
    if (l) {
        CHECK(l->file != NULL); /* parameters in the mapping */
        for (size_t i = 0; i < 3; i++)
            CHECK(!memcmp(edl_model_tensor(m, i, "weight", NULL), edl_model_tensor(l, i, "weight", NULL),
                          m->layers[i].w_count * sizeof(float)));
        /* copy-on-write: changing the loaded model leaves the file as it was */
        edl_model_tensor(l, 0, "weight", NULL)[0] = 42.0f;
        edl_model *again = NULL;
        CHECK_OK(edl_model_load(&again, path));
        if (again) CHECK(edl_model_tensor(again, 0, "weight", NULL)[0] == edl_model_tensor(m, 0, "weight", NULL)[0]);
        edl_model_free(again);
    }
    edl_model_free(l);
    setenv("EDL_MMAP", "0", 1); /* read: the same values in the process's own memory */
    CHECK_OK(edl_model_load(&l, path));
    unsetenv("EDL_MMAP");
    if (l) {
        CHECK(l->file == NULL);
        CHECK(!memcmp(edl_model_tensor(m, 1, "bias", NULL), edl_model_tensor(l, 1, "bias", NULL), 5 * sizeof(float)));
    }
    edl_model_free(l);
    edl_model_free(m);
    harness_remove_dir(dir);
}

/* Each query command prints the same mapped and read. */
TEST(mapped_queries_answer_as_read) {
    char dir[] = "/tmp/edl-mapq-XXXXXX";
    if (!mkdtemp(dir)) return;
    const char *E = harness_cli();
    CHECK_RUN(0, "",
              "supervised -input data/spam.train -output %s/clf -epoch 2 -dim 8 -wordNgrams 2 -bucket 5000 "
              "-thread 1 -seed 1 -verbose 0",
              dir);
    CHECK_RUN(0, "",
              "skipgram -input data/spam.test -output %s/wv -epoch 1 -dim 8 -minCount 2 -minn 3 -maxn 4 "
              "-bucket 2000 -thread 1 -seed 1 -verbose 0",
              dir);
    CHECK_RUN(0, "", "convert %s/wv.vec %s/vec.safetensors", dir, dir);
    CHECK_RUN(0, "", "recommend synth -output %s/u.data -users 50 -items 80 -seed 3", dir);
    CHECK_RUN(0, "", "recommend train -input %s/u.data -output %s/rec -model mlp -epoch 2 -thread 1 -seed 1", dir, dir);
    const char *queries[] = {
        "predict-prob %s/clf.safetensors data/spam.test 2",
        "test %s/clf.safetensors data/spam.test",
        "nn %s/vec.safetensors -k 5 the to and",
        "analogies %s/vec.safetensors the to and",
        "sh -c 'echo the unseenword to | %s print-word-vectors %s/wv.safetensors'",
        "sh -c 'echo the and | %s nn %s/wv.safetensors 4'",
        "recommend topk %s/rec.safetensors -user 1 -k 5",
        "recommend similar %s/rec.safetensors -item 2 -k 5",
        "project %s/vec.safetensors -method pca",
    };
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        char args[1100], cmd[1200];
        if (strstr(queries[q], "sh -c"))
            snprintf(args, sizeof args, queries[q], E, dir);
        else {
            char tmp[512];
            snprintf(tmp, sizeof tmp, queries[q], dir);
            snprintf(args, sizeof args, "%s %s", E, tmp);
        }
        snprintf(cmd, sizeof cmd, "EDL_MMAP=1 %s", args);
        int a = harness_run(cmd, out, sizeof out);
        snprintf(cmd, sizeof cmd, "EDL_MMAP=0 %s", args);
        int b = harness_run(cmd, out2, sizeof out2);
        if (a != 0 || b != 0 || strcmp(out, out2) || !out[0])
            FAILF("%s: mapped rc %d, read rc %d, outputs %s (%zu lines)", args, a, b,
                  strcmp(out, out2) ? "differ" : "agree", harness_count_lines(out));
    }
    harness_remove_dir(dir);
}

/* A vectors file truncated in place while `edl nn` has it mapped: status 1 and a message. */
TEST(mapped_file_truncated_under_a_query) {
    char dir[] = "/tmp/edl-trunc-XXXXXX", path[128], cmd[1900];
    if (!mkdtemp(dir)) return;
    enum { ROWS = 4000, DIM = 64 };
    edl_rng rng;
    edl_rng_seed(&rng, 5);
    float *data = rand_floats(&rng, (size_t)ROWS * DIM, -1, 1);
    char *words = malloc(ROWS * 8);
    const char **w = malloc(ROWS * sizeof *w);
    for (int i = 0; i < ROWS; i++) snprintf(words + 8 * i, 8, "w%d", i % 100000), w[i] = words + 8 * i;
    edl_vectors *v = NULL;
    CHECK_OK(edl_vectors_create(&v, (const char *const *)w, data, ROWS, DIM));
    snprintf(path, sizeof path, "%s/v.safetensors", dir);
    if (v) CHECK_OK(edl_vectors_write(v, path, EDL_VEC_SAFETENSORS));
    edl_vectors_free(v);
    free(data), free(words), free(w);
    /* nn reads words from stdin: the file is cut to 8 KiB between loading and the query */
    char cli[1024] = "", cwd[700];
    if (harness_cli()[0] == '/')
        snprintf(cli, sizeof cli, "%s", harness_cli());
    else if (getcwd(cwd, sizeof cwd))
        snprintf(cli, sizeof cli, "%s/%s", cwd, harness_cli());
    for (int mapped = 1; mapped >= 0; mapped--) {
        snprintf(cmd, sizeof cmd,
                 "cd %s && rm -f q && mkfifo q; (EDL_MMAP=%d %s nn v.safetensors 3 < q > o 2> e; echo $? > rc) & "
                 "cd %s && exec 3> q && sleep 0.5 && cp v.safetensors keep && truncate -s 8192 v.safetensors && "
                 "echo w3999 >&3 && exec 3>&- && wait && cat rc e && mv keep v.safetensors",
                 dir, mapped, cli, dir);
        int rc = harness_run_all(cmd, out, sizeof out);
        int ok = mapped ? rc == 0 && !strncmp(out, "1\n", 2) && strstr(out, "truncated or changed in place")
                        : rc == 0 && !strncmp(out, "0\n", 2); /* read whole before the cut: it answers */
        if (!ok) FAILF("mapped %d: rc %d: %.300s", mapped, rc, out);
    }
    harness_remove_dir(dir);
}

/* clang's OpenMP runtime reads /dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid> back through a mapping
   when it starts; a process killed between creating and sizing that file leaves it empty, and the
   next process given its pid died of SIGBUS (this failed CI once: pids wrap at 32768 there). The
   shell makes the empty file under its own pid, then execs edl as that pid: edl must train. */
TEST(cli_survives_a_stale_openmp_registration_of_its_pid) {
    char dir[] = "/tmp/edl-kmp-XXXXXX", data[96], cmd[1400];
    if (!mkdtemp(dir)) return;
    snprintf(data, sizeof data, "%s/d.txt", dir);
    FILE *f = fopen(data, "w");
    if (!f) {
        FAILF("cannot write %s", data);
        harness_remove_dir(dir);
        return;
    }
    for (int i = 0; i < 40; i++) fprintf(f, "__label__%c w%d w%d\n", i % 2 ? 'a' : 'b', i % 7, i % 2);
    fclose(f);
    /* the inner shell makes the file under its own pid, then becomes edl */
    snprintf(cmd, sizeof cmd,
             "sh -c 'reg=/dev/shm/__KMP_REGISTERED_LIB_$$_$(id -u); : > $reg || exit 99; echo \"reg=$reg\"; "
             "exec %s supervised -input %s -output %s/m -epoch 2 -thread 2 -verbose 0'; "
             "echo rc=$?; ls %s/m.safetensors",
             harness_cli(), data, dir, dir);
    int rc = harness_run_all(cmd, out, sizeof out);
    if (!access("/dev/shm", W_OK) && (rc != 0 || !strstr(out, "rc=0\n") || !strstr(out, "m.safetensors")))
        FAILF("edl under a pid with an empty OpenMP registration: rc %d: %.400s", rc, out);
    /* a build without libomp leaves the empty file: remove it, debris of this test */
    char *reg = strstr(out, "reg=/dev/shm/"), *end = reg ? strchr(reg, '\n') : NULL;
    if (end) *end = '\0', unlink(reg + 4);
    harness_remove_dir(dir);
}
