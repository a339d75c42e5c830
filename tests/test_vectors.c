/* Word vectors: every format round trip, the malformed-input catalogue, nn / analogies on
 * hand-made vectors with known answers, the evaluations, and learned vectors (skip-gram, CBOW,
 * subwords for unseen words). */
#include "harness.h"

#include <unistd.h>

static void put(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f) fwrite(text, 1, len, f), fclose(f);
}

/* king = r + m, queen = r + f, man = m, woman = f, and two others far away. */
static edl_vectors *royals(void) {
    const char *words[6] = {"king", "queen", "man", "woman", "apple", "car"};
    const float data[6 * 4] = {1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0.1f, 0.1f, -1, 0.5f, -0.2f, 0.1f, 0.1f, 1};
    edl_vectors *v = NULL;
    edl_vectors_create(&v, words, data, 6, 4);
    return v;
}

TEST(vectors_round_trip_every_format) {
    char dir[] = "/tmp/edl-vec-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    edl_vectors *v = royals();
    CHECK(v && edl_vectors_count(v) == 6 && edl_vectors_dim(v) == 4);
    const char *names[4] = {"a.vec", "a.txt", "a.bin", "a.safetensors"};
    const edl_vec_format fmts[4] = {EDL_VEC_TEXT, EDL_VEC_GLOVE, EDL_VEC_BINARY, EDL_VEC_SAFETENSORS};
    for (int i = 0; i < 4 && v; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        CHECK_OK(edl_vectors_write(v, path, EDL_VEC_AUTO)); /* by extension */
        for (int how = 0; how < 2; how++) {                /* read by content, and as told */
            edl_vectors *r = NULL;
            CHECK_OK(edl_vectors_read(&r, path, how ? fmts[i] : EDL_VEC_AUTO));
            if (!r) continue;
            CHECK(edl_vectors_count(r) == 6 && edl_vectors_dim(r) == 4);
            for (size_t k = 0; k < 6; k++) {
                size_t la, lb;
                const char *wa = edl_vectors_word(v, k, &la), *wb = edl_vectors_word(r, k, &lb);
                CHECK(la == lb && !memcmp(wa, wb, la));
                CHECK_EQUAL_F(edl_vectors_row(r, k), edl_vectors_row(v, k), 4);
            }
            CHECK(edl_vectors_find(r, "woman", 5) == 3 && edl_vectors_find(r, "wom", 3) == -1);
            edl_vectors_free(r);
        }
    }
    edl_vectors_free(v);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(vectors_malformed_catalogue) {
    char dir[] = "/tmp/edl-vec-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/bad.vec", dir);
    char longword[1200];
    memset(longword, 'x', sizeof longword);
    memcpy(longword + 1100, " 1 2\n", 6);
    const struct {
        const char *text;
        edl_vec_format fmt;
        edl_status want;
        const char *why;
    } cases[] = {
        {"3 2\na 1 2\nb 3 4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, "the header promised 3 rows, the file has 2"},
        {"1 2\na 1 2\nb 3 4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: more rows than the 1 the header promised"},
        {"99999999 300\na 1 2\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":1: the header says 99999999 x 300 values but the file has"},
        {"2 2\na 1 2\nb 3\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: 1 values, 2 expected"},
        {"2 2\na 1 2\nb 3 4 5\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3:7: more than 2 values"},
        {"2 2\nnew york 1 2\nb 3 4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":2:5: value 1 'york' is not a number (a word with a space in it?)"},
        {"2 2\na 1 2\nb 3 x4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3:5: value 2 'x4' is not a number"},
        {"2 2\na 1 nan\nb 3 4\n", EDL_VEC_AUTO, EDL_ERR_NUMERIC, ":2:5: value 2 is not finite"},
        {"2 2\na 1 2\nb inf 4\n", EDL_VEC_AUTO, EDL_ERR_NUMERIC, ":3:3: value 1 is not finite"},
        {"2 2\na 1 2\na 3 4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: word \"a\" appears twice (first as row 1)"},
        {"a 1 2\nb 3 4 5\n", EDL_VEC_GLOVE, EDL_ERR_FORMAT, ":2:7: more than 2 values"},
        {"a\n", EDL_VEC_GLOVE, EDL_ERR_FORMAT, "a row needs a word and at least one value"},
        {"", EDL_VEC_AUTO, EDL_ERR_FORMAT, "no vectors"},
        {"a 1 2\n", EDL_VEC_TEXT, EDL_ERR_FORMAT, ":1: expected the header"},
        {"2 1\nab 1\ncd 2\n", EDL_VEC_BINARY, EDL_ERR_FORMAT, "has an empty word: is this a binary file?"},
        {"2 2\na \x01\x02\x03\x04\x05\x06\x07\x08", EDL_VEC_BINARY, EDL_ERR_FORMAT, "byte 0: the header says 2 rows of 2 floats but the file has 14 bytes"},
        {"2 2\nb 1 2\na 1\0 2\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: a NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].text);
        if (i == sizeof cases / sizeof cases[0] - 1) len = 16; /* keep the NUL */
        put(path, cases[i].text, len);
        edl_vectors *v = NULL;
        edl_status s = edl_vectors_read(&v, path, cases[i].fmt);
        if (s != cases[i].want) FAILF("case %zu: status %d, want %d (%s)", i, (int)s, (int)cases[i].want, edl_last_error());
        else if (!strstr(edl_last_error(), cases[i].why) || !strstr(edl_last_error(), path))
            FAILF("case %zu: error \"%s\" lacks the file or \"%s\"", i, edl_last_error(), cases[i].why);
        CHECK(v == NULL);
        edl_vectors_free(v);
    }
    /* an over-long word, a binary row cut short, a word with a space to write */
    put(path, longword, sizeof longword);
    edl_vectors *v = NULL;
    CHECK_STATUS(edl_vectors_read(&v, path, EDL_VEC_GLOVE), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("a word of 1100 bytes");
    edl_vectors *ok = royals();
    snprintf(path, sizeof path, "%s/cut.bin", dir);
    CHECK_OK(edl_vectors_write(ok, path, EDL_VEC_BINARY));
    char cmd[256];
    snprintf(cmd, sizeof cmd, "truncate -s -9 %s", path);
    CHECK(system(cmd) == 0);
    CHECK_STATUS(edl_vectors_read(&v, path, EDL_VEC_AUTO), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("row 6 is truncated");
    const char *spaced[1] = {"new york"};
    float one[4] = {1, 2, 3, 4};
    edl_vectors *sp = NULL;
    CHECK_OK(edl_vectors_create(&sp, spaced, one, 1, 4));
    CHECK_STATUS(edl_vectors_write(sp, path, EDL_VEC_TEXT), EDL_ERR_ARG);
    edl_vectors_free(sp);
    edl_vectors_free(ok);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(vectors_nn_and_analogies_known_answers) {
    edl_vectors *v = royals();
    if (!v) return;
    int64_t ids[3], king = 0;
    float sims[3];
    size_t n;
    CHECK_OK(edl_vectors_nearest(v, edl_vectors_row(v, 0), 3, 0, &king, 1, ids, sims, &n));
    CHECK(n == 3 && ids[0] == 2 && fabsf(sims[0] - 0.70710678f) < 1e-6f); /* man: cos 1/sqrt 2 */
    CHECK(ids[1] == 1 && fabsf(sims[1] - 0.5f) < 1e-6f);                  /* queen: 1/2 */
    /* man : king :: woman : queen */
    CHECK_OK(edl_vectors_analogy(v, 2, 0, 3, 1, 0, ids, sims, &n));
    CHECK(n == 1 && ids[0] == 1);
    /* woman : queen :: man : king */
    CHECK_OK(edl_vectors_analogy(v, 3, 1, 2, 1, 0, ids, sims, &n));
    CHECK(n == 1 && ids[0] == 0);
    CHECK_STATUS(edl_vectors_analogy(v, 2, 0, 9, 1, 0, ids, sims, &n), EDL_ERR_INDEX);
    char dir[] = "/tmp/edl-vec-XXXXXX", q[96], p[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(q, sizeof q, "%s/q.txt", dir);
    snprintf(p, sizeof p, "%s/p.txt", dir);
    const char questions[] = ": royal\nman king woman queen\nwoman queen man king\nMan King Woman Queen\n: other\nman king woman apple\nman king woman zebra\n";
    put(q, questions, sizeof questions - 1);
    edl_analogy_result r;
    CHECK_OK(edl_vectors_eval_analogies(v, q, 0, &r));
    CHECK(r.nsections == 2 && r.total == 4 && r.correct == 3 && r.skipped == 1);
    if (r.nsections == 2) CHECK(!strcmp(r.sections[0].name, "royal") && r.sections[0].correct == 3 && r.sections[1].total == 1);
    edl_analogy_result_free(&r);
    /* similarity: scores in the order of the cosines give rho = 1; an unknown word lowers coverage */
    const char pairs[] = "# word1 word2 score\nking man 9\nking queen 7\nking woman 1\nking zebra 5\n";
    put(p, pairs, sizeof pairs - 1);
    double rho;
    size_t found, total;
    CHECK_OK(edl_vectors_eval_similarity(v, p, &rho, &found, &total));
    CHECK(found == 3 && total == 4 && fabs(rho - 1.0) < 1e-12);
    const char bad[] = "king man\n";
    put(p, bad, sizeof bad - 1);
    CHECK_STATUS(edl_vectors_eval_similarity(v, p, &rho, &found, &total), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":1: expected");
    edl_vectors_free(v);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* A corpus of two topics: words a0..a29 appear together, b0..b29 together. Vectors learned
   from it put a topic's words closer to each other than to the other topic's. */
static void write_topics(const char *path) {
    FILE *f = fopen(path, "w");
    edl_rng r;
    edl_rng_seed(&r, 1);
    for (int line = 0; line < 4000; line++) {
        char t = line % 2 ? 'a' : 'b';
        for (int k = 0; k < 12; k++) fprintf(f, "%c%d%s ", t, (int)edl_rng_below(&r, 30), k % 5 == 0 ? "s" : "");
        fputc('\n', f);
    }
    fclose(f);
}

static double topic_margin(const edl_vectors *v) {
    double same = 0, cross = 0;
    int ns = 0, nc = 0;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            char a[16], b[16], c[16];
            snprintf(a, sizeof a, "a%d", i), snprintf(b, sizeof b, "a%d", j + 10), snprintf(c, sizeof c, "b%d", j);
            int64_t ia = edl_vectors_find(v, a, strlen(a)), ib = edl_vectors_find(v, b, strlen(b)), ic = edl_vectors_find(v, c, strlen(c));
            if (ia < 0 || ib < 0 || ic < 0) continue;
            const float *x = edl_vectors_row(v, (size_t)ia), *y = edl_vectors_row(v, (size_t)ib), *z = edl_vectors_row(v, (size_t)ic);
            double xy = 0, xz = 0, xx = 0, yy = 0, zz = 0;
            for (size_t d = 0; d < edl_vectors_dim(v); d++) xy += x[d] * y[d], xz += x[d] * z[d], xx += x[d] * x[d], yy += y[d] * y[d], zz += z[d] * z[d];
            same += xy / sqrt(xx * yy), cross += xz / sqrt(xx * zz), ns++, nc++;
        }
    return ns && nc ? same / ns - cross / nc : -1;
}

TEST(wordvec_learns_and_subwords) {
    char dir[] = "/tmp/edl-wv-XXXXXX", corpus[96], model[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    snprintf(model, sizeof model, "%s/m.safetensors", dir);
    write_topics(corpus);
    for (int cbow = 0; cbow < 2; cbow++)
        for (int sub = 0; sub < 2; sub++) {
            edl_wordvec_args a;
            edl_wordvec_defaults(&a, cbow);
            a.dim = 20, a.epoch = 5, a.thread = 1, a.min_count = 1, a.lr = cbow ? 0.1f : 0.05f;
            if (!sub) a.minn = a.maxn = 0;
            else a.bucket = 100000;
            edl_wordvec *w = NULL;
            edl_wordvec_report rep;
            CHECK_OK(edl_wordvec_train(&w, corpus, &a, &rep));
            if (!w) continue;
            CHECK(rep.nwords == 121); /* a0..a29, b0..b29, their "s" forms (a0s ..) and </s> */
            edl_vectors *v = NULL;
            CHECK_OK(edl_wordvec_vectors(w, &v));
            double m = v ? topic_margin(v) : -1;
            if (!(m > 0.3)) FAILF("cbow %d subwords %d: topic margin %.3f", cbow, sub, m);
            float unseen[20], seen[20];
            CHECK_OK(edl_wordvec_word_vector(w, "a17x", 4, unseen));
            CHECK_OK(edl_wordvec_word_vector(w, "a17", 3, seen));
            double dot = 0, nu = 0, nsn = 0;
            for (int d = 0; d < 20; d++) dot += unseen[d] * seen[d], nu += unseen[d] * unseen[d], nsn += seen[d] * seen[d];
            if (sub) CHECK(nu > 0 && dot / sqrt(nu * nsn) > 0.5); /* an unseen word gets its n-grams' vector */
            else CHECK(nu == 0);
            if (sub) { /* the model file keeps the subwords */
                CHECK_OK(edl_wordvec_save(w, model));
                edl_wordvec *l = NULL;
                CHECK_OK(edl_wordvec_load(&l, model));
                float again[20];
                if (l) CHECK_OK(edl_wordvec_word_vector(l, "a17x", 4, again));
                if (l) CHECK_EQUAL_F(again, unseen, 20);
                edl_wordvec_free(l);
                edl_vectors *fromfile = NULL;
                CHECK_OK(edl_vectors_read(&fromfile, model, EDL_VEC_AUTO));
                CHECK(fromfile && edl_vectors_count(fromfile) == rep.nwords);
                edl_vectors_free(fromfile);
            }
            edl_vectors_free(v);
            edl_wordvec_free(w);
        }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}
