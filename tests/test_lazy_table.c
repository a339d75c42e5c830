/* Hashed tables store only what was touched (issue 15, item 3): a classifier with word n-gram
 * buckets makes only the rows its text uses, saves only those, and a reader regenerates the rest
 * from (seed, row): every row of the loaded table equals the trained one's, the untouched rows
 * equal a table initialised whole with the same seed, and predictions equal those of the full
 * table written as fastText's .bin. */
#include "harness.h"
#include "edl_text.h"
#include "model/model.h"
#include "model/table.h"
#include "text/textclf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

TEST(lazy_table_saves_touched_rows_and_regenerates_the_rest) {
    char dir[] = "/tmp/edl-lazy-XXXXXX", path[128], bin[128];
    if (!mkdtemp(dir)) return;
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    a.dim = 8, a.epoch = 2, a.word_ngrams = 2, a.bucket = 2000000, a.thread = 1, a.seed = 11, a.lr = 0.5f;
    edl_textclf *c = NULL, *l = NULL;
    CHECK_OK(edl_textclf_train(&c, "data/spam.train", &a, NULL));
    if (!c) return;
    const size_t nw = c->vocab.nwords, rows = nw + c->bucket, dim = c->dim;
    CHECK(edl__table_is_lazy(c->m, 0));
    const size_t made = edl__table_made(c->m, 0);
    CHECK(made > nw && made < rows / 4); /* the words and the buckets the text uses, a few percent */
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    CHECK_OK(edl_textclf_save(c, path));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (size_t)st.st_size < made * dim * 4 + made * 8 + ((size_t)4 << 20));
    CHECK_OK(edl_textclf_load(&l, path));
    if (!l) {
        edl_textclf_free(c);
        return;
    }
    CHECK(edl__table_is_lazy(l->m, 0) && edl__table_made(l->m, 0) == made);
    /* read as word vectors (nn, convert, project): the words' rows */
    edl_vectors *vs = NULL;
    CHECK_OK(edl_vectors_read(&vs, path, EDL_VEC_SAFETENSORS));
    if (vs) {
        CHECK(edl_vectors_count(vs) == nw);
        size_t rows_equal = 0;
        for (size_t r = 0; r < nw; r++)
            rows_equal += !memcmp(edl_vectors_row(vs, r), edl__table_row(c->m, 0, r), dim * sizeof(float));
        CHECK(rows_equal == nw);
    }
    edl_vectors_free(vs);
    /* predictions before any row is made by hand: the loaded model answers as the trained one */
    FILE *f = fopen("data/spam.test", "r");
    char line[65536];
    size_t lines = 0, same = 0;
    while (f && fgets(line, sizeof line, f) && lines < 300) {
        int64_t la[2], lb[2];
        float pa[2], pb[2];
        size_t na = 0, nb = 0;
        CHECK_OK(edl_textclf_predict(c, line, strlen(line), 2, 0.0f, la, pa, &na));
        CHECK_OK(edl_textclf_predict(l, line, strlen(line), 2, 0.0f, lb, pb, &nb));
        same += na == nb && !memcmp(la, lb, na * sizeof *la) && !memcmp(pa, pb, na * sizeof *pa);
        lines++;
    }
    if (f) fclose(f);
    CHECK(lines == 300 && same == lines);
    /* every row: the loaded table made whole equals the trained table made whole, bit for bit */
    edl__table_make_all(c->m, 0);
    edl__table_make_all(l->m, 0);
    const float *tc = edl_model_tensor(c->m, 0, "weight", NULL), *tl = edl_model_tensor(l->m, 0, "weight", NULL);
    size_t differ = 0;
    for (size_t i = 0; i < rows * dim; i++) differ += memcmp(&tc[i], &tl[i], sizeof(float)) != 0;
    CHECK(differ == 0);
    /* rows training never touched hold the initial values of a table initialised whole */
    char spec[200];
    snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=%zu,pool=mean) dense(%zu,bias=0) loss(softmax)", rows, dim,
             c->vocab.nlabels);
    edl_model *whole = NULL;
    CHECK_OK(edl_model_from_spec(&whole, spec, EDL_INIT_FASTTEXT, a.seed));
    if (whole) {
        const float *tw = edl_model_tensor(whole, 0, "weight", NULL);
        size_t untouched = 0, equal = 0;
        edl_textclf *fresh = NULL; /* which rows were made: a second load, nothing made by hand */
        CHECK_OK(edl_textclf_load(&fresh, path));
        for (size_t r = 0; fresh && r < rows; r++)
            if (fresh->m->layers[0].made[r] != 2)
                untouched++, equal += !memcmp(tw + r * dim, tl + r * dim, dim * sizeof(float));
        CHECK(untouched == rows - made && equal == untouched);
        edl_textclf_free(fresh);
    }
    edl_model_free(whole);
    /* the full table as fastText's .bin predicts as the sparse file (fastText's arithmetic adds
       1e-5 to a probability before its log) */
    CHECK_OK(edl_textclf_save_fasttext(l, bin));
    edl_textclf *fb = NULL;
    CHECK_OK(edl_textclf_load(&fb, bin));
    f = fopen("data/spam.test", "r");
    lines = same = 0;
    while (fb && f && fgets(line, sizeof line, f) && lines < 300) {
        int64_t la[2], lb[2];
        float pa[2], pb[2];
        size_t na = 0, nb = 0;
        CHECK_OK(edl_textclf_predict(l, line, strlen(line), 2, 0.0f, la, pa, &na));
        CHECK_OK(edl_textclf_predict(fb, line, strlen(line), 2, 0.0f, lb, pb, &nb));
        int ok = na == nb && !memcmp(la, lb, na * sizeof *la);
        for (size_t k = 0; ok && k < na; k++) ok = fabsf(pa[k] - pb[k]) < 1e-4f;
        same += ok, lines++;
    }
    if (f) fclose(f);
    CHECK(lines == 300 && same == lines);
    edl_textclf_free(fb);
    edl_textclf_free(l);
    edl_textclf_free(c);
    harness_remove_dir(dir);
}

/* A lazy table's stored rows are checked: out of range, repeated, not finite. */
TEST(lazy_table_files_are_checked) {
    char dir[] = "/tmp/edl-lazyf-XXXXXX", path[128];
    if (!mkdtemp(dir)) return;
    edl_model *m = NULL;
    CHECK_OK(edl_model_parse_spec(&m, "embedding_bag(rows=100,dim=4) dense(2)"));
    if (!m) return;
    CHECK_OK(edl__table_set_lazy(m, 0));
    CHECK_OK(edl_model_init(m, EDL_INIT_FASTTEXT, 3));
    edl__table_row(m, 0, 7)[0] = 0.5f;
    edl__table_row(m, 0, 42);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
    edl_model *l = NULL;
    CHECK_OK(edl_model_load(&l, path));
    if (l) {
        CHECK(edl__table_made(l, 0) == 2 && edl__table_row(l, 0, 7)[0] == 0.5f);
        CHECK(!memcmp(edl__table_row(l, 0, 9), edl__table_row(m, 0, 9), 4 * sizeof(float)));
    }
    edl_model_free(l);
    /* corrupt the stored row indices: 42 -> 7 (repeated), then -> 100 (out of range) */
    size_t n = 0;
    unsigned char *b = read_file_bytes(path, &n);
    size_t at = 0;
    for (size_t i = 0; b && i + 16 <= n; i++)
        if (!memcmp(b + i, "\x07\0\0\0\0\0\0\0\x2a\0\0\0\0\0\0\0", 16)) at = i + 8;
    CHECK(at > 0);
    const unsigned char bad[2] = {7, 100};
    const char *why[2] = {"not above the one before", "out of [0, 100)"};
    for (int k = 0; at && k < 2; k++) {
        b[at] = bad[k];
        FILE *f = fopen(path, "wb");
        if (f) fwrite(b, 1, n, f), fclose(f);
        CHECK_STATUS(edl_model_load(&l, path), EDL_ERR_FORMAT);
        CHECK_ERROR_HAS(why[k]);
        CHECK_ERROR_HAS("0.weight.rows[1]");
    }
    free(b);
    edl_model_free(m);
    harness_remove_dir(dir);
}
