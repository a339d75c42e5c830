/* The files a command reads and writes, checked before any work: an output path must name a
   file that can be written (not empty, not a directory, in a directory that exists and takes a
   new file), and no output may be the same file as an input or as another output. */
#ifndef EDL__CLI_FILES_H
#define EDL__CLI_FILES_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *flag; /* "-input", "-output", "-log", or "" for a positional argument */
    const char *path; /* NULL or "-" (standard input/output): not checked */
    int output;
} cli_file;

/* out = prefix + suffix ("-output m" -> "m.safetensors"), checked with edl_check_output. A prefix
   that is empty or ends in '/', '.' or ".." (it would make a hidden file, or a directory's) is
   refused, and so is a prefix naming a device or FIFO (-output /dev/null would write
   /dev/null.safetensors). Prints "edl CMD: FLAG ...: reason" and returns -1 on failure, else 0. */
int cli_output_path(const char *cmd, const char *flag, const char *prefix, const char *suffix, char *out, size_t size);
/* Refuses (printing which and why, returning -1) two inputs that both read standard input ("-"),
   and any output that is the same file as an input or as another output (device and inode; a file
   not made yet by its directory and name). */
int cli_files_distinct(const char *cmd, const cli_file *files, size_t n);
/* Whether s ends with suffix (a file's kind by its name: ".bin", ".safetensors"). */
int cli_ends_with(const char *s, const char *suffix);
/* Opens an input for reading ("-": standard input); a directory or an unreadable path prints
   "edl CMD: FLAG PATH: reason" and gives NULL. Close with cli_close_input. */
FILE *cli_open_input(const char *cmd, const char *flag, const char *path);
void cli_close_input(FILE *f);
/* Opens an output for writing with stdio; NULL after printing
   "edl CMD: FLAG PATH: cannot write it: reason" (FLAG "" for a positional argument). */
FILE *cli_open_output(const char *cmd, const char *flag, const char *path);
/* The one checked way to finish an output written with stdio: flush, check the stream's error
   flag, close (standard output is flushed, not closed). 0, or -1 after printing
   "edl CMD: FLAG PATH: write failed: reason" (PATH "standard output" for stdout; cmd NULL: "edl:").
   A full disk shows only here: stdio buffers. f NULL: 0. */
int cli_close_output(const char *cmd, const char *flag, const char *path, FILE *f);

#endif
