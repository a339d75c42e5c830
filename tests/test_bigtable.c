/* Tables larger than memory: a model whose parameter block, gradients and optimizer state live
 * in a scratch file (edl_model_set_table_dir, edl train -tableDir) trains bit for bit as the same
 * model in memory, leaves no file behind, keeps its checkpoints whole when killed at any moment,
 * and trains an 8 GiB table inside a 2 GiB memory cgroup. */
#define _GNU_SOURCE /* statvfs, kill */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Entries of dir other than . and .., or -1 when it cannot be read. */
static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Zipf(s) ranks in [0, rows) by the inverse of the cumulative weights (cum: rows doubles). */
static size_t zipf_draw(const double *cum, size_t rows, edl_rng *r) {
    double u = edl_rng_uniform(r) * cum[rows - 1];
    size_t lo = 0, hi = rows - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* n lines "LABEL id id ..." of len Zipf(1.05) ids in [0, rows), label from the ids (classes
   classes), to path (edl train's input) and, when d is not NULL, as a dataset. */
static int zipf_examples(const char *path, edl_dataset **d, size_t n, size_t len, size_t rows, size_t classes,
                         uint64_t seed) {
    double *cum = malloc(rows * sizeof *cum);
    int64_t *idx = malloc(len * sizeof *idx);
    FILE *f = path ? fopen(path, "w") : NULL;
    int ok = cum && idx && (!path || f) && (!d || edl_dataset_create(d, 0, 0) == EDL_OK);
    double t = 0.0;
    for (size_t k = 0; ok && k < rows; k++) cum[k] = t += pow((double)(k + 1), -1.05);
    edl_rng r;
    edl_rng_seed(&r, seed);
    for (size_t i = 0; ok && i < n; i++) {
        size_t sum = 0;
        for (size_t j = 0; j < len; j++) sum += (size_t)(idx[j] = (int64_t)zipf_draw(cum, rows, &r));
        int64_t label = (int64_t)((sum / 7) % classes);
        if (f) {
            fprintf(f, "%lld", (long long)label);
            for (size_t j = 0; j < len; j++) fprintf(f, " %lld", (long long)idx[j]);
            fputc('\n', f);
        }
        if (d) ok = edl_dataset_add_indices(*d, idx, len, label, NULL) == EDL_OK;
    }
    if (f && fclose(f) != 0) ok = 0;
    free(cum);
    free(idx);
    return ok;
}

/* Whether every tensor of a and b holds the same bits. */
static int same_tensors(edl_model *a, edl_model *b) {
    int same = edl_model_num_layers(a) == edl_model_num_layers(b);
    for (size_t l = 0; same && l < edl_model_num_layers(a); l++)
        for (int w = 0; w < 2; w++) {
            size_t na = 0, nb = 0;
            const float *x = edl_model_tensor(a, l, w ? "bias" : "weight", &na);
            const float *y = edl_model_tensor(b, l, w ? "bias" : "weight", &nb);
            if (!x != !y || na != nb || (x && memcmp(x, y, na * sizeof *x))) {
                fprintf(stderr, "    layer %zu %s differs\n", l, w ? "bias" : "weight");
                same = 0;
            }
        }
    return same;
}

TEST(bigtable_trains_as_in_memory) {
    char dir[] = "/tmp/edl-bigtable-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp: %s", strerror(errno));
        return;
    }
    edl_dataset *d = NULL;
    CHECK(zipf_examples(NULL, &d, 1200, 6, 3000, 3, 5));
    const char *spec = "embedding_bag(rows=3000,dim=24,pool=mean) dense(16,act=relu) dense(3)";
    /* every optimizer and its state in the file; the dense form of the table; the best
       parameters kept for early stopping */
    struct {
        edl_opt_kind kind;
        float momentum, acc;
        int sparse, patience;
    } cases[] = {{EDL_OPT_ADAM, 0, 0, 1, 0},       {EDL_OPT_ADAMW, 0, 0, 0, 0},
                 {EDL_OPT_ADAGRAD, 0, 0.1f, 1, 0}, {EDL_OPT_ROWWISE_ADAGRAD, 0, 0.1f, 1, 0},
                 {EDL_OPT_SGD, 0.9f, 0, 1, 0},     {EDL_OPT_ADAM, 0, 0, 1, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        edl_model *mem = NULL, *file = NULL;
        CHECK_OK(edl_model_parse_spec(&mem, spec));
        CHECK_OK(edl_model_parse_spec(&file, spec));
        if (!mem || !file) break;
        CHECK_OK(edl_model_set_table_dir(file, dir));
        CHECK_OK(edl_model_set_sparse(mem, 0, cases[k].sparse));
        CHECK_OK(edl_model_set_sparse(file, 0, cases[k].sparse));
        CHECK_OK(edl_model_init(mem, EDL_INIT_TORCH, 7));
        CHECK_OK(edl_model_init(file, EDL_INIT_TORCH, 7));
        CHECK(dir_entries(dir) == 0); /* the scratch file has no name */
        edl_train_config c;
        edl_train_defaults(&c);
        edl_optim_defaults(&c.optim, cases[k].kind);
        c.optim.momentum = cases[k].momentum, c.optim.initial_accumulator = cases[k].acc;
        c.epochs = cases[k].patience ? 6 : 2, c.seed = 3, c.batch_size = 16;
        if (cases[k].patience) c.valid_split = 0.25f, c.patience = 1, c.optim.lr = 0.05f;
        edl_train_report ra, rb;
        CHECK_OK(edl_train(mem, d, &c, &ra));
        char ck[96];
        snprintf(ck, sizeof ck, "%s.ck.safetensors", dir); /* beside dir: dir stays empty */
        if (k == 0) c.checkpoint = ck, c.checkpoint_steps = 7;
        CHECK_OK(edl_train(file, d, &c, &rb));
        if (k == 0) { /* the last checkpoint is the trained model, at its last step */
            edl_model *back = NULL;
            CHECK_OK(edl_model_load(&back, ck));
            const char *step = back ? edl_model_meta(back, "train.checkpoint_step") : NULL;
            const char *ep = back ? edl_model_meta(back, "train.checkpoint_epoch") : NULL;
            CHECK(step && ep && (uint64_t)atoll(step) == rb.steps && (size_t)atoll(ep) == c.epochs);
            if (back) CHECK(same_tensors(back, file));
            edl_model_free(back);
            unlink(ck);
        }
        if (!same_tensors(mem, file))
            FAILF("case %zu (%s): the file-backed model differs", k, edl_opt_name(cases[k].kind));
        CHECK(ra.train_loss == rb.train_loss && ra.best_epoch == rb.best_epoch);
        edl_model_free(mem);
        edl_model_free(file);
    }
    CHECK(dir_entries(dir) == 0);

    /* a save still refuses non-finite values: written through a tensor's pointer, or by a step
       that overflowed */
    edl_model *m = NULL;
    char path[96];
    snprintf(path, sizeof path, "%s.safetensors", dir);
    CHECK_OK(edl_model_parse_spec(&m, spec));
    CHECK_OK(edl_model_set_table_dir(m, dir));
    CHECK_OK(edl_model_init(m, EDL_INIT_TORCH, 1));
    CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
    size_t nw = 0;
    float *w = edl_model_tensor(m, 0, "weight", &nw);
    if (w) w[nw - 1] = NAN;
    CHECK_STATUS(edl_model_save(m, path, NULL, NULL, 0), EDL_ERR_NUMERIC);
    edl_model_free(m);
    m = NULL;
    CHECK_OK(edl_model_parse_spec(&m, spec));
    CHECK_OK(edl_model_set_table_dir(m, dir));
    CHECK_OK(edl_model_init(m, EDL_INIT_TORCH, 1));
    edl_train_config big;
    edl_train_defaults(&big);
    edl_optim_defaults(&big.optim, EDL_OPT_SGD);
    big.optim.lr = 1e3f, big.optim.weight_decay = 1e38f, big.epochs = 1;
    CHECK_STATUS(edl_train(m, d, &big, NULL), EDL_ERR_NUMERIC);
    CHECK_ERROR_HAS("optimizer step 1 made parameters");
    CHECK_STATUS(edl_model_save(m, path, NULL, NULL, 0), EDL_ERR_NUMERIC);
    edl_model_free(m);
    unlink(path);
    edl_dataset_free(d);

    /* refusals: after init, and a directory that cannot hold the file (named) */
    m = NULL;
    CHECK_OK(edl_model_from_spec(&m, "embedding(rows=10,dim=4,len=1) dense(2)", EDL_INIT_TORCH, 1));
    CHECK_STATUS(edl_model_set_table_dir(m, dir), EDL_ERR_ARG);
    CHECK_ERROR_HAS("before init");
    edl_model_free(m);
    m = NULL;
    CHECK_OK(edl_model_parse_spec(&m, "embedding(rows=10,dim=4,len=1) dense(2)"));
    CHECK_STATUS(edl_model_set_table_dir(m, ""), EDL_ERR_ARG);
    CHECK_OK(edl_model_set_table_dir(m, "/nonexistent-edl-dir"));
    CHECK_STATUS(edl_model_init(m, EDL_INIT_TORCH, 1), EDL_ERR_IO);
    CHECK_ERROR_HAS("/nonexistent-edl-dir");
    edl_model_free(m);
    harness_remove_dir(dir);
}

/* The recommenders with their table and optimizer state in a scratch file: the same model. */
TEST(bigtable_recommenders_as_in_memory) {
    char dir[] = "/tmp/edl-bigtable-rec-XXXXXX", data[96];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(data, sizeof data, "%s/r.data", dir);
    edl_synth_args sa;
    edl_synth_defaults(&sa);
    sa.users = 300, sa.items = 500, sa.per_user = 20, sa.seed = 4;
    CHECK_OK(edl_synth_ratings(data, &sa, NULL));
    edl_ratings *rt = NULL;
    CHECK_OK(edl_ratings_read(&rt, data, NULL, NULL));
    const edl_rec_kind kinds[] = {EDL_REC_MF, EDL_REC_BPR, EDL_REC_MLP};
    for (size_t k = 0; rt && k < 3; k++) {
        edl_rec_args a;
        edl_rec_defaults(&a, kinds[k]);
        a.epoch = 2, a.thread = 1, a.seed = 5, a.dim = 16;
        edl_recommender *mem = NULL, *file = NULL;
        CHECK_OK(edl_rec_train(&mem, rt, &a, NULL));
        a.table_dir = dir;
        CHECK_OK(edl_rec_train(&file, rt, &a, NULL));
        if (mem && file && !same_tensors((edl_model *)edl_rec_model(mem), (edl_model *)edl_rec_model(file)))
            FAILF("%s: the file-backed recommender differs", edl_rec_kind_name(kinds[k]));
        float x = 0, y = 1;
        int64_t user, item;
        CHECK_OK(edl_ratings_get(rt, 0, &user, &item, NULL, NULL));
        if (mem && file) {
            CHECK_OK(edl_rec_score(mem, user, item, &x));
            CHECK_OK(edl_rec_score(file, user, item, &y));
            CHECK(x == y);
        }
        edl_rec_free(mem);
        edl_rec_free(file);
    }
    edl_ratings_free(rt);
    /* the CLI: edl recommend train -tableDir writes the model it writes without */
    char cmd[512], mem_path[96], file_path[96], outbuf[256];
    snprintf(mem_path, sizeof mem_path, "%s/mem", dir);
    snprintf(file_path, sizeof file_path, "%s/file", dir);
    snprintf(cmd, sizeof cmd, "%s recommend train -input %s -output %s -model bpr -epoch 2 -thread 1 -verbose 0",
             harness_cli(), data, mem_path);
    CHECK(harness_run(cmd, outbuf, sizeof outbuf) == 0);
    snprintf(cmd, sizeof cmd,
             "%s recommend train -input %s -output %s -model bpr -epoch 2 -thread 1 -verbose 0 -tableDir %s",
             harness_cli(), data, file_path, dir);
    CHECK(harness_run(cmd, outbuf, sizeof outbuf) == 0);
    edl_recommender *a = NULL, *b = NULL;
    strcat(mem_path, ".safetensors"), strcat(file_path, ".safetensors");
    CHECK_OK(edl_rec_load(&a, mem_path));
    CHECK_OK(edl_rec_load(&b, file_path));
    if (a && b) CHECK(same_tensors((edl_model *)edl_rec_model(a), (edl_model *)edl_rec_model(b)));
    edl_rec_free(a);
    edl_rec_free(b);
    unlink(mem_path), unlink(file_path);
    unlink(data);
    CHECK(dir_entries(dir) == 0);
    harness_remove_dir(dir);
}

/* The CLI's refusals: a table directory that does not exist (named, before the data is read),
   -checkpointSteps without -checkpoint. */
TEST(bigtable_cli_refusals) {
    char cmd[512], out[512];
    snprintf(cmd, sizeof cmd,
             "%s train -spec 'embedding_bag(rows=10,dim=4) dense(2)' -input /nonexistent-input -output "
             "/tmp/edl-never -tableDir /nonexistent-edl-dir",
             harness_cli());
    CHECK(harness_run_all(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "/nonexistent-edl-dir") != NULL && !strstr(out, "/nonexistent-input"));
    snprintf(cmd, sizeof cmd,
             "%s train -spec 'embedding_bag(rows=10,dim=4) dense(2)' -input /nonexistent-input -output "
             "/tmp/edl-never -checkpointSteps 5",
             harness_cli());
    CHECK(harness_run_all(cmd, out, sizeof out) == 2);
    CHECK(strstr(out, "-checkpointSteps needs -checkpoint") != NULL);
}

/* edl train -tableDir with a checkpoint every step, killed (SIGKILL) at many moments: the
   checkpoint is always absent (before the first) or a whole model that loads, and the table
   directory stays empty. */
TEST(bigtable_checkpoint_survives_sigkill) {
    char dir[] = "/tmp/edl-bigtable-ck-XXXXXX", tables[128], data[128], ck[128], out[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(tables, sizeof tables, "%s/tables", dir);
    snprintf(data, sizeof data, "%s/train.txt", dir);
    snprintf(ck, sizeof ck, "%s/ck.safetensors", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    CHECK(mkdir(tables, 0700) == 0);
    CHECK(zipf_examples(data, NULL, 400, 6, 1 << 16, 2, 9));
    const char *spec = "embedding_bag(rows=65536,dim=32,pool=mean) dense(2)"; /* 8 MiB: saves take a while */
    edl_rng r;
    edl_rng_seed(&r, 21);
    int kills = 30, whole = 0, absent = 0;
    for (int k = 0; k < kills; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) dup2(null, 2), dup2(null, 1);
            execl(harness_cli(), "edl", "train", "-spec", spec, "-input", data, "-output", out, "-epoch", "100000",
                  "-batch", "32", "-thread", "1", "-verbose", "0", "-tableDir", tables, "-checkpoint", ck,
                  "-checkpointSteps", "1", (char *)NULL);
            _exit(127);
        }
        struct timespec ts = {0, (long)(20 + edl_rng_below(&r, 400)) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFSIGNALED(st)) FAILF("kill %d: edl train ended by itself (status %d)", k, st);
        struct stat sb;
        if (stat(ck, &sb) != 0) {
            absent++;
        } else {
            edl_model *m = NULL;
            if (edl_model_load(&m, ck) != EDL_OK) {
                FAILF("after kill %d the checkpoint does not load: %s", k, edl_last_error());
            } else {
                const char *step = edl_model_meta(m, "train.checkpoint_step");
                size_t n = 0;
                const float *w = edl_model_tensor(m, 0, "weight", &n);
                int finite = n == (size_t)65536 * 32;
                for (size_t i = 0; finite && i < n; i++) finite = isfinite(w[i]);
                if (!step || atoll(step) < 1 || !finite)
                    FAILF("after kill %d the checkpoint is not a trained model", k);
                else
                    whole++;
            }
            edl_model_free(m);
        }
        if (dir_entries(tables) != 0) FAILF("after kill %d the table directory holds files", k);
    }
    fprintf(stderr, "    %d kills: checkpoint whole %d times, not yet written %d times\n", kills, whole, absent);
    CHECK(whole + absent == kills && whole > 0);
    harness_remove_dir(dir);
}

/* ---- an 8 GiB table in a 2 GiB memory cgroup ------------------------------------------------- */

/* Writes text to path; 0 or errno. */
static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return errno;
    ssize_t w = write(fd, text, strlen(text));
    int err = w == (ssize_t)strlen(text) ? 0 : errno ? errno : EIO;
    close(fd);
    return err;
}

/* The first line of path into buf (empty on failure). */
static void read_line(const char *path, char *buf, size_t size) {
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f && fgets(buf, (int)size, f)) buf[strcspn(buf, "\n")] = '\0';
    if (f) fclose(f);
}

/* A new memory cgroup below this process's, limited to limit bytes: v2 (memory.max) or v1
   (memory.limit_in_bytes). 0 with its directory in cg and its version in *v2; else a reason. */
enum { CG_PATH = 1200 };
static int make_cgroup(char cg[CG_PATH], int *v2, unsigned long long limit, char *why, size_t wsize) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return snprintf(why, wsize, "cannot read /proc/self/cgroup"), -1;
    char line[1024], v1path[1024] = "", v2path[1024] = "";
    int has_v1 = 0, has_v2 = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (!b) continue;
        *b = '\0';
        if (!strcmp(a + 1, "memory") || strstr(a + 1, ",memory") || strstr(a + 1, "memory,"))
            has_v1 = 1, snprintf(v1path, sizeof v1path, "%s", b + 1);
        else if (!strncmp(line, "0:", 2) && a[1] == '\0')
            has_v2 = 1, snprintf(v2path, sizeof v2path, "%s", b + 1);
    }
    fclose(f);
    char base[1100], probe[CG_PATH + 32];
    struct stat sb;
    if (has_v1 && stat("/sys/fs/cgroup/memory", &sb) == 0) {
        snprintf(base, sizeof base, "/sys/fs/cgroup/memory%s", strcmp(v1path, "/") ? v1path : "");
        *v2 = 0;
    } else if (has_v2 && stat("/sys/fs/cgroup/cgroup.controllers", &sb) == 0) {
        snprintf(base, sizeof base, "/sys/fs/cgroup%s", strcmp(v2path, "/") ? v2path : "");
        *v2 = 1;
        /* the memory controller must be given to children: a group with processes of its own
           cannot (v2's rule), so failing that the root group, which may */
        snprintf(probe, sizeof probe, "%s/cgroup.subtree_control", base);
        char ctl[256];
        read_line(probe, ctl, sizeof ctl);
        if (!strstr(ctl, "memory") && write_file(probe, "+memory") != 0) {
            read_line("/sys/fs/cgroup/cgroup.subtree_control", ctl, sizeof ctl);
            if (!strstr(ctl, "memory") && write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory") != 0)
                return snprintf(why, wsize, "cannot enable the memory controller in %s or in /sys/fs/cgroup", probe),
                       -1;
            snprintf(base, sizeof base, "/sys/fs/cgroup");
        }
    } else {
        return snprintf(why, wsize, "no memory cgroup (v1 or v2) is mounted under /sys/fs/cgroup"), -1;
    }
    snprintf(cg, CG_PATH, "%.1100s/edl-bigtable-%ld", base, (long)getpid());
    if (mkdir(cg, 0755) != 0) return snprintf(why, wsize, "cannot create %s: %s", cg, strerror(errno)), -1;
    char lim[64];
    snprintf(lim, sizeof lim, "%llu", limit);
    snprintf(probe, sizeof probe, "%s/%s", cg, *v2 ? "memory.max" : "memory.limit_in_bytes");
    int err = write_file(probe, lim);
    if (err) {
        rmdir(cg);
        return snprintf(why, wsize, "cannot set %s: %s", probe, strerror(err)), -1;
    }
    return 0;
}

/* Runs argv in the cgroup cg (the child moves itself there before exec); its exit status. */
static int run_in_cgroup(const char *cg, char *const argv[]) {
    pid_t pid = fork();
    if (pid == 0) {
        char procs[CG_PATH + 16];
        snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
        if (write_file(procs, "0") != 0) _exit(126); /* "0": the writer itself */
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

TEST(bigtable_8gib_table_in_2gib_cgroup) {
    /* 2^27 rows of 16 floats: 8 GiB. The examples use Zipf ids among the first 2^20 rows, so an
       in-memory model of 2^20 rows (the same seed gives the same first rows) trained on them is
       the reference for every row they touch and for the dense layer. */
    enum { DIM = 16, REF_ROWS = 1 << 20 };
    const size_t rows = (size_t)1 << 27;
    const unsigned long long limit = 2ULL << 30;
    const char *env = getenv("EDL_TEST_BIGTABLE");
    if (env && !strcmp(env, "0")) { /* a shared machine's disk: 16 GiB written, then freed */
        fprintf(stderr, "    skipped: EDL_TEST_BIGTABLE=0\n");
        return;
    }
    char dir[] = "/tmp/edl-bigtable-8g-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp: %s", strerror(errno));
        return;
    }
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0 || (unsigned long long)fs.f_bavail * fs.f_frsize < 20ULL << 30) {
        fprintf(stderr,
                "    skipped: %s has less than 20 GiB free (the model file is 8 GiB, the scratch file up to 8 GiB)\n",
                dir);
        harness_remove_dir(dir);
        return;
    }
    char cg[CG_PATH], why[1400];
    int v2 = 0;
    if (make_cgroup(cg, &v2, limit, why, sizeof why) != 0) {
        fprintf(stderr, "    skipped: %s\n", why);
        harness_remove_dir(dir);
        return;
    }
    char data[128], tables[128], out[128], ref[128], spec[128], ref_spec[128], path[CG_PATH + 32];
    snprintf(data, sizeof data, "%s/train.txt", dir);
    snprintf(tables, sizeof tables, "%s/tables", dir);
    snprintf(out, sizeof out, "%s/big", dir);
    snprintf(ref, sizeof ref, "%s/ref", dir);
    snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=%d,pool=mean) dense(2)", rows, DIM);
    snprintf(ref_spec, sizeof ref_spec, "embedding_bag(rows=%d,dim=%d,pool=mean) dense(2)", REF_ROWS, DIM);
    CHECK(mkdir(tables, 0700) == 0);
    CHECK(zipf_examples(data, NULL, 4000, 8, REF_ROWS, 2, 17));
    char *const big_argv[] = {(char *)harness_cli(),
                              "train",
                              "-spec",
                              spec,
                              "-input",
                              data,
                              "-output",
                              out,
                              "-epoch",
                              "1",
                              "-init",
                              "fasttext",
                              "-thread",
                              "1",
                              "-verbose",
                              "0",
                              "-tableDir",
                              tables,
                              NULL};
    int rc = run_in_cgroup(cg, big_argv);
    /* what the group saw: its peak, and whether the kernel killed for memory */
    char peak[64], oom[4096] = "", line[256];
    snprintf(path, sizeof path, "%s/%s", cg, v2 ? "memory.peak" : "memory.max_usage_in_bytes");
    read_line(path, peak, sizeof peak);
    snprintf(path, sizeof path, "%s/%s", cg, v2 ? "memory.events" : "memory.oom_control");
    FILE *ev = fopen(path, "r");
    while (ev && fgets(line, sizeof line, ev))
        if (!strncmp(line, "oom_kill ", 9)) snprintf(oom, sizeof oom, "%s", line + 9), oom[strcspn(oom, "\n")] = '\0';
    if (ev) fclose(ev);
    if (rmdir(cg) != 0) FAILF("cannot remove the cgroup %s: %s", cg, strerror(errno));
    fprintf(stderr, "    cgroup %s (%s): limit %llu bytes, peak %s bytes, oom kills %s; edl train exit %d\n", cg,
            v2 ? "v2" : "v1", limit, peak[0] ? peak : "?", oom[0] ? oom : "?", rc);
    CHECK(rc == 0);
    CHECK(!oom[0] || !strcmp(oom, "0"));
    CHECK(!peak[0] || strtoull(peak, NULL, 10) <= limit);
    CHECK(dir_entries(tables) == 0);

    /* the reference, in memory (outside the group) */
    char *const ref_argv[] = {(char *)harness_cli(),
                              "train",
                              "-spec",
                              ref_spec,
                              "-input",
                              data,
                              "-output",
                              ref,
                              "-epoch",
                              "1",
                              "-init",
                              "fasttext",
                              "-thread",
                              "1",
                              "-verbose",
                              "0",
                              NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(ref_argv[0], ref_argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    edl_model *big = NULL, *small = NULL;
    snprintf(path, sizeof path, "%s.safetensors", out);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (unsigned long long)sb.st_size > 8ULL << 30);
    CHECK_OK(edl_model_load(&big, path));
    snprintf(path, sizeof path, "%s.safetensors", ref);
    CHECK_OK(edl_model_load(&small, path));
    if (big && small) {
        size_t nb = 0, ns = 0, nd = 0, nds = 0;
        const float *tb = edl_model_tensor(big, 0, "weight", &nb), *ts = edl_model_tensor(small, 0, "weight", &ns);
        CHECK(nb == rows * DIM && ns == (size_t)REF_ROWS * DIM);
        /* the trained rows (and the untouched ones among them) are the reference's */
        if (nb == rows * DIM && ns == (size_t)REF_ROWS * DIM) {
            CHECK(memcmp(tb, ts, ns * sizeof *tb) == 0);
            /* the last rows, far from any example, hold their initial values: U(-1/16, 1/16) */
            int in_range = 1, nonzero = 0;
            for (size_t i = nb - 4096; i < nb; i++) {
                in_range &= fabsf(tb[i]) <= 1.0f / DIM;
                nonzero += tb[i] != 0.0f;
            }
            CHECK(in_range && nonzero > 4000);
        }
        const float *db = edl_model_tensor(big, 1, "weight", &nd), *ds = edl_model_tensor(small, 1, "weight", &nds);
        CHECK(db && ds && nd == nds && memcmp(db, ds, nd * sizeof *db) == 0);
        db = edl_model_tensor(big, 1, "bias", &nd), ds = edl_model_tensor(small, 1, "bias", &nds);
        CHECK(db && ds && nd == nds && memcmp(db, ds, nd * sizeof *db) == 0);
    }
    edl_model_free(big);
    edl_model_free(small);
    harness_remove_dir(dir);
}
