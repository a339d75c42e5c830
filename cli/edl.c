/* edl: the command-line tool. Argument parsing and printing only; the work is in the library. */
#include "edl.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: edl <command> [args]\n"
    "\n"
    "commands:\n"
    "  version     print the version and how this build computes\n"
    "  help        print this message\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("edl %s (%s)\n", edl_version_string(), edl_build_info());
        return 0;
    }
    fprintf(stderr, "edl: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
