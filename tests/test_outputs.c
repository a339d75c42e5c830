/* What a save does to the path it is given (issue 18, data loss): a device or FIFO is written in
 * place and stays what it was, a directory is refused, an interrupted save leaves no temporary
 * file, and edl_check_output finds a bad path before any work. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static edl_model *small_model(size_t rows) {
    edl_model *m = NULL;
    char spec[96];
    snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=128) loss(mse)", rows);
    return edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 1) == EDL_OK ? m : NULL;
}

static int count_temps(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* A FIFO given as the output is written through (a reader gets the whole model) and is still a
   FIFO afterwards; before, the save renamed a regular file over it. */
TEST(save_to_fifo_writes_in_place) {
    char dir[] = "/tmp/edl-out-XXXXXX", fifo[96], copy[96];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    snprintf(copy, sizeof copy, "%s/copy.safetensors", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    edl_model *m = small_model(64);
    CHECK(m != NULL);
    pid_t pid = fork();
    if (pid == 0) { /* the reader: the FIFO's bytes into a regular file */
        int in = open(fifo, O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[65536];
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n) _exit(1);
        _exit(in >= 0 && out >= 0 ? 0 : 1);
    }
    CHECK_OK(edl_model_save(m, fifo, NULL, NULL, 0));
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct stat s;
    CHECK(lstat(fifo, &s) == 0 && S_ISFIFO(s.st_mode));
    edl_model *back = NULL;
    CHECK_OK(edl_model_load(&back, copy));
    if (back) {
        size_t n1 = 0, n2 = 0;
        const float *a = edl_model_tensor(m, 0, "weight", &n1), *b = edl_model_tensor(back, 0, "weight", &n2);
        CHECK(n1 == n2 && n1 > 0 && !memcmp(a, b, n1 * sizeof *a));
    }
    CHECK(count_temps(dir) == 0);
    edl_model_free(back);
    edl_model_free(m);
    harness_remove_dir(dir);
}

TEST(save_refuses_a_directory) {
    char dir[] = "/tmp/edl-out-XXXXXX", sub[96], slash[96];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(sub, sizeof sub, "%s/adir", dir);
    snprintf(slash, sizeof slash, "%s/new/", dir);
    CHECK(mkdir(sub, 0700) == 0);
    edl_model *m = small_model(8);
    CHECK_STATUS(edl_model_save(m, sub, NULL, NULL, 0), EDL_ERR_IO);
    CHECK_ERROR_HAS("is a directory");
    CHECK_STATUS(edl_model_save(m, slash, NULL, NULL, 0), EDL_ERR_IO);
    CHECK_ERROR_HAS("names a directory");
    CHECK_STATUS(edl_check_output(sub), EDL_ERR_IO);
    CHECK_ERROR_HAS("is a directory");
    struct stat s;
    CHECK(stat(sub, &s) == 0 && S_ISDIR(s.st_mode));
    CHECK(count_temps(dir) == 0);
    edl_model_free(m);
    harness_remove_dir(dir);
}

/* edl_check_output: yes for a new file in a directory that exists, no (naming the reason) for a
   missing directory; leaves nothing behind. */
TEST(check_output_before_the_work) {
    char dir[] = "/tmp/edl-out-XXXXXX", ok[96], bad[128];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(ok, sizeof ok, "%s/model.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/no/such/dir/model.safetensors", dir);
    CHECK_OK(edl_check_output(ok));
    CHECK(access(ok, F_OK) != 0); /* nothing made */
    CHECK_STATUS(edl_check_output(bad), EDL_ERR_IO);
    CHECK_ERROR_HAS("No such file or directory");
    CHECK_STATUS(edl_check_output(""), EDL_ERR_ARG);
    CHECK_OK(edl_check_output("/dev/null"));
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d));) entries += e->d_name[0] != '.';
    if (d) closedir(d);
    CHECK(entries == 0);
    harness_remove_dir(dir);
}

/* Ctrl-C or kill (SIGINT, SIGTERM) during saves of a 4 MiB model: the file is always whole and
   no temporary file is ever left (before: 3 of 7 SIGINTs left one). */
TEST(interrupted_save_leaves_no_temporary_file) {
    char dir[] = "/tmp/edl-int-XXXXXX", path[96];
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    edl_model *m = small_model(8192);
    CHECK(m != NULL);
    if (!m) return;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long save_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (save_us < 50) save_us = 50;
    edl_rng r;
    edl_rng_seed(&r, 5);
    int signals = 40, temps = 0, whole = 0;
    for (int k = 0; k < signals; k++) {
        pid_t pid = fork();
        if (pid == 0)
            for (;;) edl_model_save(m, path, NULL, NULL, 0);
        long us = (long)edl_rng_below(&r, (uint64_t)(2 * save_us));
        struct timespec wait = {us / 1000000, us % 1000000 * 1000};
        nanosleep(&wait, NULL);
        kill(pid, k % 2 ? SIGTERM : SIGINT);
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st));
        temps += count_temps(dir);
        edl_model *back = NULL;
        whole += edl_model_load(&back, path) == EDL_OK;
        edl_model_free(back);
    }
    fprintf(stderr, "    %d SIGINT/SIGTERM during saves (~%ld us each): %d temporary files left, %d/%d loads whole\n",
            signals, save_us, temps, whole, signals);
    CHECK(temps == 0);
    CHECK(whole == signals);
    edl_model_free(m);
    harness_remove_dir(dir);
}
