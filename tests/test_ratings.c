/* Ratings files: every format and the detection, CRLF and blank lines, the bad-row catalogue
 * (failing and skipping), empty and unreadable files, stdin, the write/read round trip, both
 * splits on hand examples with known answers, and the id map. */
#include "harness.h"

#include "rec/recommend.h"

#include <fcntl.h>
#include <float.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f) fwrite(text, 1, len, f), fclose(f);
}

/* Writes text to path and reads it with o (NULL: defaults). */
static edl_status read_text(edl_ratings **r, const char *path, const char *text, const edl_ratings_options *o,
                            edl_ratings_report *rep) {
    put(path, text, strlen(text));
    return edl_ratings_read(r, path, o, rep);
}

/* Record i is exactly (u, it, rating, t). */
static int rec_is(const edl_ratings *r, size_t i, int64_t u, int64_t it, float rating, int64_t t) {
    int64_t gu, gi, gt;
    float gr;
    if (edl_ratings_get(r, i, &gu, &gi, &gr, &gt) != EDL_OK) return 0;
    if (gu == u && gi == it && gt == t && !memcmp(&gr, &rating, sizeof gr)) return 1;
    fprintf(stderr,
            "    record %zu is (%" PRId64 ", %" PRId64 ", %.9g, %" PRId64 "), want (%" PRId64 ", %" PRId64
            ", %.9g, %" PRId64 ")\n",
            i, gu, gi, (double)gr, gt, u, it, (double)rating, t);
    return 0;
}

static edl_ratings_options opts(edl_ratings_format fmt) {
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    o.format = fmt;
    return o;
}

TEST(ratings_defaults) {
    edl_ratings_options o;
    memset(&o, 0x5a, sizeof o);
    edl_ratings_defaults(&o);
    CHECK(o.format == EDL_RATINGS_AUTO && o.sep == 0 && o.header == -1 && o.skip_bad == 0);
    CHECK(o.user_col == 0 && o.item_col == 1 && o.rating_col == 2 && o.time_col == 3);
}

TEST(ratings_read_every_format) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    edl_ratings *r = NULL;
    edl_ratings_report rep;
    /* u.data and ratings.dat, as told and by content */
    for (int how = 0; how < 2; how++) {
        edl_ratings_options o = opts(how ? EDL_RATINGS_UDATA : EDL_RATINGS_AUTO);
        CHECK_OK(
            read_text(&r, path, "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n", &o, &rep));
        CHECK(r && edl_ratings_count(r) == 3 && rep.lines == 3 && rep.rows == 3 && rep.skipped == 0);
        if (r) CHECK(rec_is(r, 0, 196, 242, 3, 881250949) && rec_is(r, 2, 22, 377, 1, 878887116));
        edl_ratings_free(r), r = NULL;
        o = opts(how ? EDL_RATINGS_DAT : EDL_RATINGS_AUTO);
        CHECK_OK(read_text(&r, path, "1::1193::5::978300760\n1::661::3::978302109\n", &o, &rep));
        CHECK(r && edl_ratings_count(r) == 2 && rep.rows == 2);
        if (r) CHECK(rec_is(r, 0, 1, 1193, 5, 978300760) && rec_is(r, 1, 1, 661, 3, 978302109));
        edl_ratings_free(r), r = NULL;
        /* ratings.csv: the header is detected and skipped */
        o = opts(how ? EDL_RATINGS_CSV : EDL_RATINGS_AUTO);
        CHECK_OK(
            read_text(&r, path, "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n", &o, &rep));
        CHECK(r && edl_ratings_count(r) == 2 && rep.lines == 3 && rep.rows == 2 && rep.skipped == 0);
        if (r) CHECK(rec_is(r, 0, 1, 1, 4, 964982703) && rec_is(r, 1, 1, 3, 4.5f, 964981247));
        edl_ratings_free(r), r = NULL;
    }
    /* plain CSV, chosen columns, a custom separator, spaces around fields, an extra column with
       UTF-8 text, negative ids */
    edl_ratings_options o = opts(EDL_RATINGS_CSV);
    o.sep = ';', o.user_col = 2, o.item_col = 1, o.rating_col = 3, o.time_col = 4;
    CHECK_OK(read_text(&r, path, "name;item;user;score;t\nAmélie; 10 ;7;2.5;99\nx;-11;7;-1e-3;100;more\n", &o, &rep));
    CHECK(r && edl_ratings_count(r) == 2 && rep.lines == 3);
    if (r) CHECK(rec_is(r, 0, 7, 10, 2.5f, 99) && rec_is(r, 1, 7, -11, -1e-3f, 100));
    edl_ratings_free(r), r = NULL;
    /* TSV of interactions: no rating (1), no timestamp (the line number) */
    o = opts(EDL_RATINGS_AUTO);
    o.rating_col = -1, o.time_col = -1;
    CHECK_OK(read_text(&r, path, "5\t100\n5\t101\n\n6\t100\textra\n", &o, &rep));
    CHECK(r && edl_ratings_count(r) == 3 && rep.lines == 4 && rep.rows == 3);
    if (r) CHECK(rec_is(r, 0, 5, 100, 1, 1) && rec_is(r, 1, 5, 101, 1, 2) && rec_is(r, 2, 6, 100, 1, 4));
    edl_ratings_free(r), r = NULL;
    /* the same TSV with columns swapped and a header, read as CSV with sep tab */
    o = opts(EDL_RATINGS_CSV);
    o.sep = '\t', o.user_col = 1, o.item_col = 0, o.rating_col = -1, o.time_col = 2;
    CHECK_OK(read_text(&r, path, "item\tuser\tts\n100\t5\t17\n", &o, &rep));
    CHECK(r && edl_ratings_count(r) == 1 && rep.lines == 2);
    if (r) CHECK(rec_is(r, 0, 5, 100, 1, 17));
    edl_ratings_free(r), r = NULL;
    /* the extreme ids fit */
    CHECK_OK(read_text(&r, path, "-9223372036854775808\t9223372036854775807\t1\t-9223372036854775808\n", NULL, NULL));
    if (r) CHECK(rec_is(r, 0, INT64_MIN, INT64_MAX, 1, INT64_MIN));
    edl_ratings_free(r), r = NULL;
    harness_remove_dir(dir);
}

TEST(ratings_detection_and_header) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    edl_ratings *r = NULL;
    edl_ratings_report rep;
    /* detection looks at the first non-empty line only */
    CHECK_OK(read_text(&r, path, "\n  \n3::4::5::6\n", NULL, &rep));
    CHECK(r && edl_ratings_count(r) == 1 && rep.lines == 3);
    if (r) CHECK(rec_is(r, 0, 3, 4, 5, 6));
    edl_ratings_free(r), r = NULL;
    /* a CSV line has no tab: "1\t2..." later is then one field */
    CHECK_STATUS(read_text(&r, path, "1,2,3,4\n5\t6\t7\t8\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":2:8: missing field: 1 fields, 4 needed");
    CHECK(r == NULL);
    /* header = 1 drops the first line whatever it holds; 0 keeps it */
    edl_ratings_options o = opts(EDL_RATINGS_CSV);
    o.header = 1;
    CHECK_OK(read_text(&r, path, "1,2,3,4\n5,6,7,8\n", &o, &rep));
    CHECK(r && edl_ratings_count(r) == 1 && rep.lines == 2);
    if (r) CHECK(rec_is(r, 0, 5, 6, 7, 8));
    edl_ratings_free(r), r = NULL;
    o.header = 0;
    CHECK_STATUS(read_text(&r, path, "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n", &o, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1:1: user id is not an integer 'userId'");
    /* detection: an id too large is a bad row, not a header */
    CHECK_STATUS(read_text(&r, path, "99999999999999999999,1,4,5\n1,1,4,5\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1:1: user id does not fit in 64 bits '99999999999999999999'");
    /* a first line with one bad id is a bad row, not a header: both ids must be words */
    CHECK_STATUS(read_text(&r, path, "abc,1,4,5\n1,2,3,4\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1:1: user id is not an integer 'abc'");
    CHECK_STATUS(read_text(&r, path, "1,item,4,5\n1,2,3,4\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1:3: item id is not an integer 'item'");
    /* ratings are decimal: no hex floats, infinities or NaN by another spelling */
    CHECK_STATUS(read_text(&r, path, "1,2,0x1p2,4\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1:5: rating is not a finite number '0x1p2'");
    CHECK_STATUS(read_text(&r, path, "1,2,1e99,4\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("rating is not a finite number '1e99'");
    CHECK_OK(read_text(&r, path, "1,2,-2.5e-1,4\n", NULL, NULL));
    if (r) CHECK(rec_is(r, 0, 1, 2, -0.25f, 4));
    edl_ratings_free(r), r = NULL;
    /* only the first line can be a header */
    CHECK_STATUS(read_text(&r, path, "1,1,4,5\nuser,item,rating,time\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":2:1: user id is not an integer 'user'");
    /* the header option is for CSV: a tab file (u.data) has none */
    CHECK_STATUS(read_text(&r, path, "user\titem\trating\ttime\n1\t1\t4\t5\n", NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1:1: user id is not an integer 'user'");
    CHECK(r == NULL);
    harness_remove_dir(dir);
}

TEST(ratings_crlf_blank_lines_and_last_line) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    const char *texts[3] = {"1,2,3,4\r\n\r\n \t \r\n5,6,7.5,8", "1\t2\t3\t4\r\n\r\n\r\n5\t6\t7.5\t8\r\n",
                            "1::2::3::4\n\n\n5::6::7.5::8"};
    for (int k = 0; k < 3; k++) {
        edl_ratings *r = NULL;
        edl_ratings_report rep;
        CHECK_OK(read_text(&r, path, texts[k], NULL, &rep));
        CHECK(r && edl_ratings_count(r) == 2 && rep.lines == 4 && rep.rows == 2);
        if (r) CHECK(rec_is(r, 0, 1, 2, 3, 4) && rec_is(r, 1, 5, 6, 7.5f, 8));
        edl_ratings_free(r);
    }
    harness_remove_dir(dir);
}

static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    const char *why;
} bad_rows[] = {
    {"1\t2\t3\t4\n1\t3\n", 0, ":2:4: missing field: 2 fields, 4 needed '1\\x093'"},
    {"1 2 3 4\n", 0, ":1:8: missing field: 1 fields, 4 needed '1 2 3 4'"},
    {"1::2::3\n", 0, ":1:8: missing field: 3 fields, 4 needed '1::2::3'"},
    {"1\tx\t3\t4\n", 0, ":1:3: item id is not an integer 'x'"},
    {"1\t\t3\t4\n", 0, ":1:3: item id is not an integer ''"},
    {"1.0\t2\t3\t4\n", 0, ":1:1: user id is not an integer '1.0'"},
    {"99999999999999999999\t1\t3\t4\n", 0, ":1:1: user id does not fit in 64 bits '99999999999999999999'"},
    {"1\t9223372036854775808\t3\t4\n", 0, ":1:3: item id does not fit in 64 bits '9223372036854775808'"},
    {"1\t-9223372036854775809\t3\t4\n", 0, ":1:3: item id does not fit in 64 bits"},
    {"1\t2\tabc\t4\n", 0, ":1:5: rating is not a finite number 'abc'"},
    {"1\t2\tnan\t4\n", 0, ":1:5: rating is not a finite number 'nan'"},
    {"1\t2\t-inf\t4\n", 0, ":1:5: rating is not a finite number '-inf'"},
    {"1\t2\t1e39\t4\n", 0, ":1:5: rating is not a finite number '1e39'"},
    {"1\t2\t4x\t4\n", 0, ":1:5: rating is not a finite number '4x'"},
    {"1\t2\t\t4\n", 0, ":1:5: rating is not a finite number ''"},
    {"1\t2\t\v3\t4\n", 0, ":1:5: rating is not a finite number '\\x0B3'"},
    {"1\t2\t3\t4.5\n", 0, ":1:7: timestamp is not an integer '4.5'"},
    {"1\t2\t3\t99999999999999999999\n", 0, ":1:7: timestamp does not fit in 64 bits"},
    {"1\t2\t3\t4\ncaf\xe9\t2\t3\t4\n", 0, ":2:4: byte 0xE9 is not UTF-8 'caf\\xE9\\x092"},
    {"1\t2\t3\t4\n1\t2\t3\t4 \xc0\xaf\n", 0, ":2:9: byte 0xC0 is not UTF-8"}, /* overlong '/' */
    {"1\t2\t3\t4\xed\xa0\x80\n", 0, ":1:8: byte 0xED is not UTF-8"},          /* a surrogate */
    {"1\t2\t3\t4\n5\t2\0\t3\t4\n", 16, ":2:4: NUL byte"},
    {"1\t2\t3\t4\n5\t6\t3\t4\n1\t2\t5\t9\n", 0, ":3:1: duplicate of line 1: (user, item) '1, 2'"},
};

TEST(ratings_bad_rows_fail) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/bad.data", dir);
    for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
        put(path, bad_rows[i].text, bad_rows[i].len ? bad_rows[i].len : strlen(bad_rows[i].text));
        edl_ratings *sentinel = (edl_ratings *)&dir, *r = sentinel;
        edl_ratings_report rep;
        edl_status s = edl_ratings_read(&r, path, NULL, &rep);
        char want[192];
        snprintf(want, sizeof want, "%s%s", path, bad_rows[i].why);
        if (s != EDL_ERR_FORMAT)
            FAILF("case %zu: status %d, want EDL_ERR_FORMAT (%s)", i, (int)s, edl_last_error());
        else if (!strstr(edl_last_error(), want))
            FAILF("case %zu: error \"%s\" lacks \"%s\"", i, edl_last_error(), want);
        CHECK(r == sentinel && rep.rows == 0);
    }
    harness_remove_dir(dir);
}

TEST(ratings_bad_rows_skip) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/mixed.data", dir);
    const char text[] = "1\t10\t4\t100\n"                 /* 1 kept */
                        "1\t11\t3.5\t101\n"               /* 2 kept */
                        "2\t10\n"                         /* 3 missing field */
                        "x\t10\t4\t100\n"                 /* 4 bad id */
                        "2\t99999999999999999999\t4\t1\n" /* 5 bad id */
                        "2\t12\tnan\t5\n"                 /* 6 bad rating */
                        "2\t13\t4\tyesterday\n"           /* 7 bad time */
                        "3\t10\t4\t\xe9\n"                /* 8 not UTF-8 (so 3,10 is not seen) */
                        "1\t10\t2\t200\n"                 /* 9 duplicate of line 1 */
                        "\n"                              /* 10 empty */
                        "3\t10\t5\t300\n"                 /* 11 kept */
                        "1\t10\t4\t100";                  /* 12 duplicate, no newline */
    edl_ratings_options o = opts(EDL_RATINGS_AUTO);
    o.skip_bad = 1;
    edl_ratings *r = NULL;
    edl_ratings_report rep;
    CHECK_OK(read_text(&r, path, text, &o, &rep));
    CHECK(r && edl_ratings_count(r) == 3);
    CHECK(rep.lines == 12 && rep.rows == 3 && rep.skipped == 8);
    CHECK(rep.missing_field == 1 && rep.bad_id == 2 && rep.bad_rating == 1 && rep.bad_time == 1);
    CHECK(rep.not_utf8 == 1 && rep.duplicate == 2);
    CHECK(strstr(rep.first, path) && strstr(rep.first, ":3:5: missing field: 2 fields, 4 needed"));
    if (r) CHECK(rec_is(r, 0, 1, 10, 4, 100) && rec_is(r, 1, 1, 11, 3.5f, 101) && rec_is(r, 2, 3, 10, 5, 300));
    edl_ratings_free(r), r = NULL;
    /* the report may be NULL; every catalogue case skips to its good rows */
    CHECK_OK(edl_ratings_read(&r, path, &o, NULL));
    CHECK(edl_ratings_count(r) == 3);
    edl_ratings_free(r), r = NULL;
    for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
        put(path, bad_rows[i].text, bad_rows[i].len ? bad_rows[i].len : strlen(bad_rows[i].text));
        CHECK_OK(edl_ratings_read(&r, path, &o, &rep));
        if (rep.skipped != 1 || rep.rows + 1 != rep.lines || !strstr(rep.first, bad_rows[i].why))
            FAILF("case %zu: skipped %zu, rows %zu of %zu lines, first \"%s\"", i, rep.skipped, rep.rows, rep.lines,
                  rep.first);
        edl_ratings_free(r), r = NULL;
    }
    harness_remove_dir(dir);
}

TEST(ratings_empty_unreadable_and_options) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    edl_ratings *r = NULL;
    edl_ratings_report rep;
    /* Chosen: a file without records reads as zero records (EDL_OK); callers check the count. */
    const char *empties[3] = {"", "\n\r\n  \n", "userId,movieId,rating,timestamp\r\n"};
    for (int k = 0; k < 3; k++) {
        CHECK_OK(read_text(&r, path, empties[k], NULL, &rep));
        CHECK(r && edl_ratings_count(r) == 0 && rep.rows == 0 && rep.skipped == 0);
        edl_ratings_free(r), r = NULL;
    }
    CHECK(rep.lines == 1);
    /* missing file, a directory */
    snprintf(path, sizeof path, "%s/none.data", dir);
    CHECK_STATUS(edl_ratings_read(&r, path, NULL, NULL), EDL_ERR_IO);
    CHECK_ERROR_HAS(path);
    CHECK_ERROR_HAS("No such file or directory");
    CHECK_STATUS(edl_ratings_read(&r, dir, NULL, NULL), EDL_ERR_IO);
    CHECK_ERROR_HAS("Is a directory");
    CHECK(r == NULL);
    /* options */
    edl_ratings_options o = opts(EDL_RATINGS_AUTO);
    CHECK_STATUS(edl_ratings_read(NULL, path, &o, NULL), EDL_ERR_ARG);
    CHECK_STATUS(edl_ratings_read(&r, NULL, &o, NULL), EDL_ERR_ARG);
    o.user_col = -1;
    CHECK_STATUS(edl_ratings_read(&r, path, &o, NULL), EDL_ERR_ARG);
    o = opts(EDL_RATINGS_AUTO), o.item_col = 3;
    CHECK_STATUS(edl_ratings_read(&r, path, &o, NULL), EDL_ERR_ARG);
    CHECK_ERROR_HAS("column 3 is used twice");
    o = opts(EDL_RATINGS_AUTO), o.rating_col = -2;
    CHECK_STATUS(edl_ratings_read(&r, path, &o, NULL), EDL_ERR_ARG);
    o = opts(EDL_RATINGS_AUTO), o.header = 2;
    CHECK_STATUS(edl_ratings_read(&r, path, &o, NULL), EDL_ERR_ARG);
    o = opts((edl_ratings_format)9);
    CHECK_STATUS(edl_ratings_read(&r, path, &o, NULL), EDL_ERR_ARG);
    o = opts(EDL_RATINGS_CSV), o.sep = '\n';
    CHECK_STATUS(edl_ratings_read(&r, path, &o, NULL), EDL_ERR_ARG);
    CHECK(r == NULL);
    harness_remove_dir(dir);
}

TEST(ratings_long_lines_and_many_rows) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/r.csv", dir);
    /* a 300 kB extra column between rows */
    size_t big = 300000;
    char *text = malloc(big + 64);
    if (!text) return;
    int n = sprintf(text, "1,2,3,4,");
    memset(text + n, 'x', big);
    strcpy(text + n + big, "\n5,6,7,8\n");
    edl_ratings *r = NULL;
    CHECK_OK(read_text(&r, path, text, NULL, NULL));
    CHECK(edl_ratings_count(r) == 2);
    if (r) CHECK(rec_is(r, 1, 5, 6, 7, 8));
    edl_ratings_free(r), r = NULL;
    free(text);
    /* 30000 distinct pairs then a repeat of line 12346: the pair set grows and remembers */
    FILE *f = fopen(path, "wb");
    if (!f) return;
    for (int i = 0; i < 30000; i++) fprintf(f, "%d\t%d\t%d\t%d\n", i % 97, i, i % 5 + 1, i);
    fprintf(f, "%d\t%d\t1\t1\n", 12345 % 97, 12345);
    fclose(f);
    CHECK_STATUS(edl_ratings_read(&r, path, NULL, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":30001:1: duplicate of line 12346: (user, item) '26, 12345'");
    edl_ratings_options o = opts(EDL_RATINGS_AUTO);
    o.skip_bad = 1;
    edl_ratings_report rep;
    CHECK_OK(edl_ratings_read(&r, path, &o, &rep));
    CHECK(edl_ratings_count(r) == 30000 && rep.duplicate == 1);
    if (r) CHECK(rec_is(r, 29999, 29999 % 97, 29999, 29999 % 5 + 1, 29999));
    edl_ratings_free(r);
    harness_remove_dir(dir);
}

/* Reads "-" in a child whose standard input is the file; exit 0 when it holds the rows and,
   for a bad file, the error names <stdin>. */
TEST(ratings_read_stdin) {
    char dir[] = "/tmp/edl-rat-XXXXXX", good[96], badf[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(good, sizeof good, "%s/good.data", dir);
    snprintf(badf, sizeof badf, "%s/bad.data", dir);
    put(good, "1\t2\t3\t4\n5\t6\t7\t8\n", 16);
    put(badf, "1\t2\t3\t4\n5\tx\t7\t8\n", 16);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int code = 0, fd = open(good, O_RDONLY);
        edl_ratings *r = NULL;
        if (fd < 0 || dup2(fd, 0) < 0 || edl_ratings_read(&r, "-", NULL, NULL) != EDL_OK || edl_ratings_count(r) != 2)
            code |= 1;
        edl_ratings_free(r), r = NULL;
        clearerr(stdin);
        fd = open(badf, O_RDONLY);
        if (fd < 0 || dup2(fd, 0) < 0 || edl_ratings_read(&r, "-", NULL, NULL) != EDL_ERR_FORMAT ||
            !strstr(edl_last_error(), "<stdin>:2:3: item id is not an integer 'x'"))
            code |= 2;
        _exit(code);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    harness_remove_dir(dir);
}

TEST(ratings_create_add_get) {
    edl_ratings *r = NULL;
    CHECK_OK(edl_ratings_create(&r));
    if (!r) return;
    CHECK(edl_ratings_count(r) == 0 && edl_ratings_count(NULL) == 0);
    for (int i = 0; i < 1000; i++) CHECK_OK(edl_ratings_add(r, i, -i, (float)i / 4, 2 * i));
    CHECK(edl_ratings_count(r) == 1000);
    CHECK(rec_is(r, 0, 0, 0, 0, 0) && rec_is(r, 999, 999, -999, 249.75f, 1998));
    int64_t item = 7;
    CHECK_OK(edl_ratings_get(r, 3, NULL, &item, NULL, NULL));
    CHECK(item == -3);
    CHECK_STATUS(edl_ratings_get(r, 1000, NULL, &item, NULL, NULL), EDL_ERR_INDEX);
    CHECK_ERROR_HAS("record 1000 is out of range [0, 1000)");
    CHECK(item == -3);
    CHECK_STATUS(edl_ratings_get(NULL, 0, NULL, NULL, NULL, NULL), EDL_ERR_ARG);
    CHECK_STATUS(edl_ratings_add(NULL, 1, 2, 3, 4), EDL_ERR_ARG);
    CHECK_STATUS(edl_ratings_create(NULL), EDL_ERR_ARG);
    edl_ratings_free(r);
    edl_ratings_free(NULL);
}

TEST(ratings_write_read_round_trip) {
    char dir[] = "/tmp/edl-rat-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/out.data", dir);
    const struct {
        int64_t u, i;
        float rating;
        int64_t t;
    } recs[] = {{INT64_MIN, INT64_MAX, 0.1f, -5},
                {0, -1, 1e-7f, INT64_MAX},
                {42, 7, 3.14159274f, 0},
                {1, 2, -2.5f, INT64_MIN},
                {5, 5, FLT_MAX, 1},
                {6, 6, 1e-40f, 2},
                {7, 7, -0.0f, 3},
                {8, 8, 16777215.0f, 4},
                {9, 9, 1.0f / 3, 5}};
    size_t n = sizeof recs / sizeof recs[0];
    edl_ratings *w = NULL, *r = NULL;
    CHECK_OK(edl_ratings_create(&w));
    for (size_t k = 0; k < n; k++) CHECK_OK(edl_ratings_add(w, recs[k].u, recs[k].i, recs[k].rating, recs[k].t));
    CHECK_OK(edl_ratings_write(w, path));
    size_t len;
    unsigned char *bytes = read_file_bytes(path, &len);
    CHECK(bytes && strstr((char *)bytes, "\n42\t7\t3.14159274\t0\n") &&
          !strncmp((char *)bytes, "-9223372036854775808\t", 21));
    free(bytes);
    for (int how = 0; how < 2; how++) {
        edl_ratings_options o = opts(how ? EDL_RATINGS_UDATA : EDL_RATINGS_AUTO);
        CHECK_OK(edl_ratings_read(&r, path, &o, NULL));
        CHECK(edl_ratings_count(r) == n);
        for (size_t k = 0; r && k < n && k < edl_ratings_count(r); k++)
            CHECK(rec_is(r, k, recs[k].u, recs[k].i, recs[k].rating, recs[k].t));
        edl_ratings_free(r), r = NULL;
    }
    /* the empty set round-trips too; a missing directory fails and names the path */
    edl_ratings *e = NULL;
    CHECK_OK(edl_ratings_create(&e));
    CHECK_OK(edl_ratings_write(e, path));
    CHECK_OK(edl_ratings_read(&r, path, NULL, NULL));
    CHECK(r && edl_ratings_count(r) == 0);
    edl_ratings_free(r), r = NULL;
    snprintf(path, sizeof path, "%s/no/such/dir.data", dir);
    CHECK_STATUS(edl_ratings_write(w, path), EDL_ERR_IO);
    CHECK_ERROR_HAS(path);
    CHECK_STATUS(edl_ratings_write(NULL, path), EDL_ERR_ARG);
    edl_ratings_free(e);
    edl_ratings_free(w);
    harness_remove_dir(dir);
}

/* Record i of a equals record j of b (quietly; false when either is out of range). */
static int same_rec(const edl_ratings *a, size_t i, const edl_ratings *b, size_t j) {
    int64_t u[2], it[2], t[2];
    float rt[2];
    if (edl_ratings_get(a, i, &u[0], &it[0], &rt[0], &t[0]) || edl_ratings_get(b, j, &u[1], &it[1], &rt[1], &t[1]))
        return 0;
    return u[0] == u[1] && it[0] == it[1] && t[0] == t[1] && !memcmp(&rt[0], &rt[1], sizeof rt[0]);
}

/* train and test are the records of all in order, each record in exactly one of them. */
static int is_partition(const edl_ratings *all, const edl_ratings *tr, const edl_ratings *te) {
    size_t j = 0, k = 0;
    for (size_t i = 0; i < edl_ratings_count(all); i++) {
        if (same_rec(all, i, tr, j))
            j++;
        else if (same_rec(all, i, te, k))
            k++;
        else
            return 0;
    }
    return j == edl_ratings_count(tr) && k == edl_ratings_count(te);
}

TEST(ratings_split_random) {
    edl_ratings *all = NULL, *tr = NULL, *te = NULL, *tr2 = NULL, *te2 = NULL;
    CHECK_OK(edl_ratings_create(&all));
    if (!all) return;
    for (int i = 0; i < 10000; i++) edl_ratings_add(all, i % 37, i, (float)(i % 5), i);
    CHECK_OK(edl_ratings_split(all, EDL_SPLIT_RANDOM, 0.2f, 7, &tr, &te));
    if (!tr || !te) return;
    size_t nte = edl_ratings_count(te);
    CHECK(edl_ratings_count(tr) + nte == 10000);
    CHECK(nte > 1800 && nte < 2200); /* 2000 +- 5 standard deviations */
    CHECK(is_partition(all, tr, te));
    /* the seed decides: the same seed the same split, another seed another */
    CHECK_OK(edl_ratings_split(all, EDL_SPLIT_RANDOM, 0.2f, 7, &tr2, &te2));
    CHECK(edl_ratings_count(te2) == nte);
    int same = 1;
    for (size_t k = 0; k < nte && k < edl_ratings_count(te2); k++) {
        int64_t a, b;
        edl_ratings_get(te, k, NULL, &a, NULL, NULL), edl_ratings_get(te2, k, NULL, &b, NULL, NULL);
        same &= a == b;
    }
    CHECK(same);
    edl_ratings_free(tr2), edl_ratings_free(te2);
    CHECK_OK(edl_ratings_split(all, EDL_SPLIT_RANDOM, 0.2f, 8, &tr2, &te2));
    same = edl_ratings_count(te2) == nte;
    for (size_t k = 0; same && k < nte; k++) {
        int64_t a, b;
        edl_ratings_get(te, k, NULL, &a, NULL, NULL), edl_ratings_get(te2, k, NULL, &b, NULL, NULL);
        same &= a == b;
    }
    CHECK(!same);
    edl_ratings_free(tr2), edl_ratings_free(te2);
    /* the ends: 0 keeps all in train, 1 moves all to test */
    CHECK_OK(edl_ratings_split(all, EDL_SPLIT_RANDOM, 0.0f, 1, &tr2, &te2));
    CHECK(edl_ratings_count(tr2) == 10000 && edl_ratings_count(te2) == 0 && is_partition(all, tr2, te2));
    edl_ratings_free(tr2), edl_ratings_free(te2);
    CHECK_OK(edl_ratings_split(all, EDL_SPLIT_RANDOM, 1.0f, 1, &tr2, &te2));
    CHECK(edl_ratings_count(tr2) == 0 && edl_ratings_count(te2) == 10000);
    edl_ratings_free(tr2), edl_ratings_free(te2);
    /* bad arguments leave the outputs alone */
    edl_ratings *keep = (edl_ratings *)&same;
    tr2 = te2 = keep;
    const float bad[3] = {-0.1f, 1.01f, NAN};
    for (int k = 0; k < 3; k++) {
        CHECK_STATUS(edl_ratings_split(all, EDL_SPLIT_RANDOM, bad[k], 1, &tr2, &te2), EDL_ERR_ARG);
        CHECK_ERROR_HAS("outside [0, 1]");
    }
    CHECK_STATUS(edl_ratings_split(all, (edl_split_kind)5, 0.5f, 1, &tr2, &te2), EDL_ERR_ARG);
    CHECK_STATUS(edl_ratings_split(NULL, EDL_SPLIT_RANDOM, 0.5f, 1, &tr2, &te2), EDL_ERR_ARG);
    CHECK(tr2 == keep && te2 == keep);
    edl_ratings_free(tr), edl_ratings_free(te);
    /* an empty set splits into two empty ones */
    edl_ratings *none = NULL;
    CHECK_OK(edl_ratings_create(&none));
    for (int kind = 0; kind < 2; kind++) {
        CHECK_OK(edl_ratings_split(none, (edl_split_kind)kind, 0.5f, 1, &tr, &te));
        CHECK(tr && te && edl_ratings_count(tr) == 0 && edl_ratings_count(te) == 0);
        edl_ratings_free(tr), edl_ratings_free(te);
    }
    edl_ratings_free(none);
    edl_ratings_free(all);
}

TEST(ratings_split_last) {
    /* user: times -> the last goes to test; ties go to the later record; a lone record stays */
    const int64_t u[] = {1, 2, 1, INT64_MIN, 1, INT64_MIN, -1, -1, -1, -1, 1};
    const int64_t t[] = {5, 3, 9, 7, 3, 7, 2, 8, 8, 1, -4};
    edl_ratings *all = NULL, *tr = NULL, *te = NULL;
    CHECK_OK(edl_ratings_create(&all));
    if (!all) return;
    for (int i = 0; i < 11; i++) edl_ratings_add(all, u[i], 100 + i, (float)i, t[i]);
    CHECK_OK(edl_ratings_split(all, EDL_SPLIT_LAST, 0.0f, 0, &tr, &te));
    if (!tr || !te) return;
    /* test: record 2 (user 1, time 9), 5 (tie at 7, the later), 8 (tie at 8, the later) */
    CHECK(edl_ratings_count(te) == 3 && edl_ratings_count(tr) == 8);
    CHECK(rec_is(te, 0, 1, 102, 2, 9) && rec_is(te, 1, INT64_MIN, 105, 5, 7) && rec_is(te, 2, -1, 108, 8, 8));
    const int train_idx[8] = {0, 1, 3, 4, 6, 7, 9, 10};
    for (size_t k = 0; k < 8 && k < edl_ratings_count(tr); k++)
        CHECK(rec_is(tr, k, u[train_idx[k]], 100 + train_idx[k], (float)train_idx[k], t[train_idx[k]]));
    CHECK(is_partition(all, tr, te));
    edl_ratings_free(tr), edl_ratings_free(te);
    edl_ratings_free(all);
}

TEST(ratings_idmap) {
    edl__idmap m;
    CHECK_OK(edl__idmap_init(&m, 0));
    CHECK(edl__idmap_get(&m, 0) == -1 && m.n == 0);
    const int64_t special[5] = {0, -1, INT64_MIN, INT64_MAX, 1};
    int64_t idx = -7;
    for (int k = 0; k < 5; k++) {
        CHECK_OK(edl__idmap_put(&m, special[k], &idx));
        CHECK(idx == k);
    }
    /* ids with the same low bits (a weak hash would collide), growing the table many times */
    for (int64_t k = 0; k < 100000; k++) {
        CHECK_OK(edl__idmap_put(&m, (k + 2) << 32, &idx));
        if (idx != k + 5) {
            FAILF("id %" PRId64 " got index %" PRId64, (k + 2) << 32, idx);
            break;
        }
    }
    CHECK(m.n == 100005 && m.n <= m.cap / 2 && (m.cap & (m.cap - 1)) == 0);
    for (int k = 0; k < 5; k++) {
        CHECK_OK(edl__idmap_put(&m, special[k], &idx)); /* present: the same index, nothing added */
        CHECK(idx == k && edl__idmap_get(&m, special[k]) == k && m.ids[k] == special[k]);
    }
    CHECK(m.n == 100005 && m.ids[100004] == (int64_t)100001 << 32);
    CHECK(edl__idmap_get(&m, (int64_t)50002 << 32) == 50005 && edl__idmap_get(&m, 2) == -1);
    CHECK(edl__idmap_get(&m, (int64_t)100002 << 32) == -1);
    edl__idmap_free(&m);
    CHECK(m.n == 0 && m.keys == NULL && edl__idmap_get(&m, 0) == -1);
    edl__idmap_free(&m); /* twice is fine */
    /* a zeroed map, and a large expected size */
    edl__idmap z;
    memset(&z, 0, sizeof z);
    CHECK_OK(edl__idmap_put(&z, 42, NULL));
    CHECK(edl__idmap_get(&z, 42) == 0 && z.n == 1);
    edl__idmap_free(&z);
    CHECK_OK(edl__idmap_init(&z, 1000));
    CHECK(z.cap >= 2000);
    edl__idmap_free(&z);
}
