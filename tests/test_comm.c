/* The communicator on one process (what every trainer runs when not under mpirun): collectives
 * are the identity, agree passes a status through, shares split n things and a file's lines
 * exactly once. The MPI implementation is tested under mpirun in tests/test_mpi.c. */
#include "harness.h"
#include "common/lines.h"
#include "model/comm.h"

#include <fcntl.h>
#include <unistd.h>

TEST(comm_one_process_collectives_are_the_identity) {
    edl_comm *c = NULL;
    unsetenv("OMPI_COMM_WORLD_SIZE");
    CHECK_OK(edl_comm_create(&c));
    CHECK(c && edl_comm_size(c) == 1 && edl_comm_rank(c) == 0);
    CHECK(edl_comm_size(NULL) == 1 && edl_comm_rank(NULL) == 0);
    float f[3] = {1.5f, -2.0f, 3.25f};
    CHECK_OK(edl__comm_allreduce(c, f, 3, EDL__COMM_F32, EDL__COMM_SUM));
    CHECK(f[0] == 1.5f && f[1] == -2.0f && f[2] == 3.25f);
    char send[5] = "abcd", recv[5] = {0};
    size_t sb[1] = {4}, rb[1] = {0};
    CHECK_OK(edl__comm_alltoall_sizes(c, sb, rb));
    CHECK(rb[0] == 4);
    CHECK_OK(edl__comm_alltoallv(c, send, sb, recv, rb));
    CHECK(!memcmp(recv, "abcd", 4));
    void *all = NULL;
    size_t total = 0, counts[1] = {0};
    CHECK_OK(edl__comm_allgatherv(c, "xyz", 3, &all, &total, counts));
    CHECK(total == 3 && counts[0] == 3 && all && !memcmp(all, "xyz", 3));
    free(all);
    CHECK_OK(edl_comm_agree(c, EDL_OK));
    edl__fail(EDL_ERR_FORMAT, "f.txt:3: bad");
    CHECK_STATUS(edl_comm_agree(c, EDL_ERR_FORMAT), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("f.txt:3: bad");
    CHECK_OK(edl_comm_same(c, "arguments", "a", 1));
    CHECK(edl_comm_bytes_sent(c) == 0);
    edl_comm_free(c);
    edl_comm_free(NULL);
}

TEST(comm_build_without_mpi_refuses_mpirun) {
    /* a build with MPI joins (needs mpirun's environment whole), one without refuses: only the
       refusal can be checked outside mpirun */
    if (strstr(edl_build_info(), "mpi=yes")) return;
    setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
    edl_comm *c = NULL;
    CHECK_STATUS(edl_comm_create(&c), EDL_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("built without MPI");
    CHECK(c == NULL);
    unsetenv("OMPI_COMM_WORLD_SIZE");
}

TEST(comm_shares_split_n_things_once) {
    for (size_t n = 0; n < 40; n++) {
        size_t prev = 0;
        for (int size = 1; size <= 7; size++) {
            edl_comm fake = {size, 0, 0, NULL, NULL};
            prev = 0;
            for (int r = 0; r < size; r++) {
                fake.rank = r;
                size_t b, e;
                edl__comm_share(&fake, n, &b, &e);
                CHECK(b == prev && e >= b && e - b <= n / (size_t)size + 1);
                prev = e;
            }
            CHECK(prev == n);
        }
    }
}

/* Every split of a file into shares hands out each line once, in order, numbered as the file. */
TEST(lines_shares_cover_the_file_once) {
    static const char text[] = "first line\n\nthird\r\nfourth is longer than the others\nx\n\n\nlast, no newline";
    static const char *const lines[] = {"first line", "", "third", "fourth is longer than the others",
                                        "x",          "", "",      "last, no newline"};
    const size_t nlines = sizeof lines / sizeof *lines;
    char path[] = "/tmp/edl-share-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    for (size_t parts = 1; parts <= 90; parts += parts < 12 ? 1 : 13) {
        for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
            size_t next = 0;
            for (size_t part = 0; part < parts; part++) {
                edl_lines *r = NULL;
                CHECK_OK(edl__lines_input(&r, path, chunk));
                CHECK_OK(edl__lines_set_share(r, part, parts));
                char *line;
                size_t len;
                while (edl_lines_next(r, &line, &len) == EDL_OK && line) {
                    if (next >= nlines || strcmp(line, lines[next]) || edl_lines_number(r) != next + 1) {
                        FAILF("%zu parts, chunk %zu, part %zu: line %zu \"%s\" (number %zu)", parts, chunk, part,
                              next + 1, line, edl_lines_number(r));
                        break;
                    }
                    next++;
                }
                edl_lines_close(r);
            }
            if (next != nlines) FAILF("%zu parts, chunk %zu: %zu of %zu lines", parts, chunk, next, nlines);
        }
    }
    /* the bytes before a share are counted once, not at every line a reader numbers (a reader
       of the last of 2 shares of 630 KB read 9 GB numbering its 30000 lines): the prefix's
       newlines rewritten as spaces after the first number leave the numbers as they were */
    {
        edl_lines *r = NULL;
        char *line;
        size_t len;
        CHECK_OK(edl__lines_input(&r, path, 0));
        CHECK_OK(edl__lines_set_share(r, 1, 2));
        CHECK(edl_lines_next(r, &line, &len) == EDL_OK && line && !strcmp(line, "x"));
        size_t first = edl_lines_number(r);
        int wfd = open(path, O_WRONLY);
        CHECK(wfd >= 0 && pwrite(wfd, "first line  ", 12, 0) == 12);
        if (wfd >= 0) close(wfd);
        CHECK(first == 5 && edl_lines_number(r) == 5);
        CHECK(edl_lines_next(r, &line, &len) == EDL_OK && line && edl_lines_number(r) == 6);
        edl_lines_close(r);
        CHECK((fd = open(path, O_WRONLY)) >= 0 && pwrite(fd, text, 12, 0) == 12);
        if (fd >= 0) close(fd);
    }
    edl_lines *r = NULL;
    CHECK_OK(edl__lines_input(&r, path, 0));
    CHECK_STATUS(edl__lines_set_share(r, 2, 2), EDL_ERR_ARG);
    edl_lines_close(r);
    CHECK_OK(edl__lines_input(&r, "-", 0));
    if (!isatty(0) && lseek(0, 0, SEEK_CUR) < 0) { /* a pipe cannot be shared */
        CHECK_STATUS(edl__lines_set_share(r, 0, 2), EDL_ERR_ARG);
        CHECK_ERROR_HAS("regular file");
    }
    edl_lines_close(r);
    unlink(path);
}
