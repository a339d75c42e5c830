/* End-to-end: the README's C example and the CLI, run as a user would. */
#include "harness.h"

#include <sys/wait.h>

/* Runs cmd, returns its exit status and stdout (first size-1 bytes) in buf. */
static int run(const char *cmd, char *buf, size_t size) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t got = fread(buf, 1, size - 1, p);
    buf[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(readme_example_runs) {
    const char *exe = getenv("EDL_README_EXAMPLE");
    if (!exe) exe = "build/readme_example";
    char out[1024];
    CHECK(run(exe, out, sizeof out) == 0);
    CHECK(strstr(out, "1.5 2.5 / 7.5 8.5") != NULL);
    CHECK(strstr(out, "index 4 at position 0 is out of range [0, 4)") != NULL);
}

TEST(cli_version_and_usage) {
    const char *cli = getenv("EDL_CLI");
    if (!cli) cli = "build/edl";
    char cmd[512], out[1024];
    snprintf(cmd, sizeof cmd, "%s version", cli);
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, EDL_VERSION_STRING) != NULL);
    snprintf(cmd, sizeof cmd, "%s no-such-command 2>&1", cli);
    CHECK(run(cmd, out, sizeof out) == 2);
    CHECK(strstr(out, "unknown command 'no-such-command'") != NULL);
}
