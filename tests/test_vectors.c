/* Word vectors: every format round trip, the malformed-input catalogue, nn / analogies on
 * hand-made vectors with known answers, the evaluations, and learned vectors (skip-gram, CBOW,
 * subwords for unseen words). */
#include "harness.h"
#include "topics.h"

#include <unistd.h>

static void put(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f) fwrite(text, 1, len, f), fclose(f);
}

/* king = r + m, queen = r + f, man = m, woman = f, and two others far away. */
static edl_vectors *royals(void) {
    const char *words[6] = {"king", "queen", "man", "woman", "apple", "car"};
    const float data[6 * 4] = {1, 0, 1, 0, 0,    1,    1,  0,    1,     0,    0,    0,
                               0, 1, 0, 0, 0.1f, 0.1f, -1, 0.5f, -0.2f, 0.1f, 0.1f, 1};
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
        for (int how = 0; how < 2; how++) {                 /* read by content, and as told */
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
    harness_remove_dir(dir);
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
        {"99999999 300\na 1 2\n", EDL_VEC_AUTO, EDL_ERR_FORMAT,
         ":1: the header says 99999999 x 300 values but the file has"},
        {"2 2\na 1 2\nb 3\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: 1 values, 2 expected"},
        {"2 2\na 1 2\nb 3 4 5\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3:7: more than 2 values"},
        {"2 2\na 1 2\nb 3 4", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: the file ends inside this line, without a newline"},
        {"a 1 2\nb 3 4", EDL_VEC_GLOVE, EDL_ERR_FORMAT, ":2: the file ends inside this line, without a newline"},
        {"2 2\nnew york 1 2\nb 3 4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT,
         ":2:5: value 1 'york' is not a number (a word with a space in it?)"},
        {"2 2\na 1 2\nb 3 x4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3:5: value 2 'x4' is not a number"},
        {"2 2\na 1 nan\nb 3 4\n", EDL_VEC_AUTO, EDL_ERR_NUMERIC, ":2:5: value 2 is not finite"},
        {"2 2\na 1 2\nb inf 4\n", EDL_VEC_AUTO, EDL_ERR_NUMERIC, ":3:3: value 1 is not finite"},
        {"2 2\na 1 2\na 3 4\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: word \"a\" appears twice (first as row 1)"},
        {"a 1 2\nb 3 4 5\n", EDL_VEC_GLOVE, EDL_ERR_FORMAT, ":2:7: more than 2 values"},
        {"a\n", EDL_VEC_GLOVE, EDL_ERR_FORMAT, "a row needs a word and at least one value"},
        {"", EDL_VEC_AUTO, EDL_ERR_FORMAT, "no vectors"},
        {"a 1 2\n", EDL_VEC_TEXT, EDL_ERR_FORMAT, ":1: expected the header"},
        {"2 1\nab 1\ncd 2\n", EDL_VEC_BINARY, EDL_ERR_FORMAT, "has an empty word: is this a binary file?"},
        {"2 2\na \x01\x02\x03\x04\x05\x06\x07\x08", EDL_VEC_BINARY, EDL_ERR_FORMAT,
         "byte 0: the header says 2 rows of 2 floats but the file has 14 bytes"},
        {"2 2\nb 1 2\na 1\0 2\n", EDL_VEC_AUTO, EDL_ERR_FORMAT, ":3: a NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].text);
        if (i == sizeof cases / sizeof cases[0] - 1) len = 16; /* keep the NUL */
        put(path, cases[i].text, len);
        edl_vectors *v = NULL;
        edl_status s = edl_vectors_read(&v, path, cases[i].fmt);
        if (s != cases[i].want)
            FAILF("case %zu: status %d, want %d (%s)", i, (int)s, (int)cases[i].want, edl_last_error());
        else if (!strstr(edl_last_error(), cases[i].why) || !strstr(edl_last_error(), path))
            FAILF("case %zu: error \"%s\" lacks the file or \"%s\"", i, edl_last_error(), cases[i].why);
        CHECK(v == NULL);
        edl_vectors_free(v);
    }
    /* a long word reads (words have no length limit: whatever a trainer takes, a reader takes),
       a binary row cut short, a word with a space to write */
    put(path, longword, 1105);
    edl_vectors *v = NULL;
    CHECK_OK(edl_vectors_read(&v, path, EDL_VEC_GLOVE));
    size_t wlen = 0;
    CHECK(v && edl_vectors_count(v) == 1 && edl_vectors_word(v, 0, &wlen) && wlen == 1100);
    edl_vectors_free(v);
    v = NULL;
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
    harness_remove_dir(dir);
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
    const char questions[] = ": royal\nman king woman queen\nwoman queen man king\nMan King Woman Queen\n: other\nman "
                             "king woman apple\nman king woman zebra\n";
    put(q, questions, sizeof questions - 1);
    edl_analogy_result r;
    CHECK_OK(edl_vectors_eval_analogies(v, q, 0, &r));
    CHECK(r.nsections == 2 && r.total == 4 && r.correct == 3 && r.skipped == 1);
    if (r.nsections == 2)
        CHECK(!strcmp(r.sections[0].name, "royal") && r.sections[0].correct == 3 && r.sections[1].total == 1);
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
    harness_remove_dir(dir);
}

/* A corpus of two topics: words a0..a29 appear together, b0..b29 together. Vectors learned
   from it put a topic's words closer to each other than to the other topic's. */
void write_topics(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return; /* the test then fails reading it */
    edl_rng r;
    edl_rng_seed(&r, 1);
    for (int line = 0; line < 4000; line++) {
        char t = line % 2 ? 'a' : 'b';
        for (int k = 0; k < 12; k++) fprintf(f, "%c%d%s ", t, (int)edl_rng_below(&r, 30), k % 5 == 0 ? "s" : "");
        fputc('\n', f);
    }
    fclose(f);
}

double topic_margin(const edl_vectors *v) {
    double same = 0, cross = 0;
    int ns = 0, nc = 0;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            char a[16], b[16], c[16];
            snprintf(a, sizeof a, "a%d", i), snprintf(b, sizeof b, "a%d", j + 10), snprintf(c, sizeof c, "b%d", j);
            int64_t ia = edl_vectors_find(v, a, strlen(a)), ib = edl_vectors_find(v, b, strlen(b)),
                    ic = edl_vectors_find(v, c, strlen(c));
            if (ia < 0 || ib < 0 || ic < 0) continue;
            const float *x = edl_vectors_row(v, (size_t)ia), *y = edl_vectors_row(v, (size_t)ib),
                        *z = edl_vectors_row(v, (size_t)ic);
            double xy = 0, xz = 0, xx = 0, yy = 0, zz = 0;
            for (size_t d = 0; d < edl_vectors_dim(v); d++)
                xy += x[d] * y[d], xz += x[d] * z[d], xx += x[d] * x[d], yy += y[d] * y[d], zz += z[d] * z[d];
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
            if (!sub)
                a.minn = a.maxn = 0;
            else
                a.bucket = 100000;
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
            for (int d = 0; d < 20; d++)
                dot += unseen[d] * seen[d], nu += unseen[d] * unseen[d], nsn += seen[d] * seen[d];
            if (sub)
                CHECK(nu > 0 && dot / sqrt(nu * nsn) > 0.5); /* an unseen word gets its n-grams' vector */
            else
                CHECK(nu == 0);
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
    harness_remove_dir(dir);
}

/* ---- truncation ------------------------------------------------------------------------------ */

/* Values whose digits matter: a cut inside "0.3" or "-1.25e-3" changes the number it reads. */
static edl_vectors *digits(void) {
    const char *words[4] = {"alpha", "beta", "gamma", "delta"};
    const float data[4 * 3] = {0.3f, -1.25e-3f, 12345.678f, 1, -2, 3.5f, 0.125f, 42, -0.0625f, 7.75f, 0.3f, -99.5f};
    edl_vectors *v = NULL;
    edl_vectors_create(&v, words, data, 4, 3);
    return v;
}

/* The first rows of got are those of want, word for word and bit for bit. */
static int same_prefix(const edl_vectors *got, const edl_vectors *want, size_t rows) {
    if (edl_vectors_count(got) != rows || edl_vectors_dim(got) != edl_vectors_dim(want)) return 0;
    for (size_t i = 0; i < rows; i++) {
        size_t la, lb;
        const char *a = edl_vectors_word(got, i, &la), *b = edl_vectors_word(want, i, &lb);
        if (la != lb || memcmp(a, b, la) ||
            memcmp(edl_vectors_row(got, i), edl_vectors_row(want, i), edl_vectors_dim(want) * sizeof(float)))
            return 0;
    }
    return 1;
}

/* What a cut vectors file promises, format by format (k bytes kept of n):
   - word2vec text and .vec (a header): every k < n is refused: at a line boundary the header
     promises more rows than there are; inside a line the last line has no newline.
   - GloVe (no header): k at a line boundary is a valid shorter file and loads exactly its first
     rows (k = 0: "no vectors"); inside a line, refused as cut short, naming the line.
   - word2vec binary: every k < n is refused ("truncated"), except k = n - 1, which drops only
     the newline after the last row (optional: some writers omit it) and loads the whole table.
   - safetensors: every k < n is refused: the tensors' offsets no longer fit the file.
   Every refusal names the file, and nothing that loads differs from the rows written. Each cut
   is read as its format and by content (EDL_VEC_AUTO). */
TEST(vectors_truncated_at_every_byte) {
    char dir[] = "/tmp/edl-vec-XXXXXX", whole[96], cut[96];
    CHECK(mkdtemp(dir) != NULL);
    edl_vectors *v = digits();
    CHECK(v != NULL);
    const struct {
        const char *name;
        edl_vec_format fmt;
    } f[] = {{"w.vec", EDL_VEC_TEXT},
             {"w.txt", EDL_VEC_GLOVE},
             {"w.bin", EDL_VEC_BINARY},
             {"w.safetensors", EDL_VEC_SAFETENSORS}};
    size_t cuts = 0, refused = 0, prefixes = 0;
    for (size_t i = 0; v && i < sizeof f / sizeof f[0]; i++) {
        snprintf(whole, sizeof whole, "%s/%s", dir, f[i].name);
        snprintf(cut, sizeof cut, "%s/cut-%s", dir, f[i].name);
        CHECK_OK(edl_vectors_write(v, whole, f[i].fmt));
        size_t n = 0;
        unsigned char *bytes = read_file_bytes(whole, &n);
        CHECK(bytes && n > 40);
        for (size_t k = 0; bytes && k < n; k++) {
            put(cut, (const char *)bytes, k);
            size_t lines = 0; /* complete lines kept */
            for (size_t b = 0; b < k; b++) lines += bytes[b] == '\n';
            int boundary = k > 0 && bytes[k - 1] == '\n';
            for (int how = 0; how < 2; how++) {
                edl_vectors *r = NULL;
                edl_status s = edl_vectors_read(&r, cut, how ? EDL_VEC_AUTO : f[i].fmt);
                cuts++;
                if (f[i].fmt == EDL_VEC_GLOVE && boundary) {
                    if (s != EDL_OK || !same_prefix(r, v, lines))
                        FAILF("%s cut at %zu of %zu (%zu lines): status %d, %zu rows, not the first rows (%s)",
                              f[i].name, k, n, lines, s, edl_vectors_count(r), s ? edl_last_error() : "");
                    prefixes += s == EDL_OK;
                } else if (f[i].fmt == EDL_VEC_BINARY && k == n - 1) {
                    if (s != EDL_OK || !same_prefix(r, v, 4))
                        FAILF("%s without its last newline: status %d (%s)", f[i].name, s, edl_last_error());
                    prefixes += s == EDL_OK;
                } else if (s == EDL_OK) {
                    FAILF("%s cut at %zu of %zu loaded (%zu rows)", f[i].name, k, n, edl_vectors_count(r));
                } else if (s > 0 || s < EDL_ERR_UNSUPPORTED || !strstr(edl_last_error(), cut)) {
                    FAILF("%s cut at %zu of %zu: status %d, error \"%s\" does not name the file", f[i].name, k, n, s,
                          edl_last_error());
                } else {
                    refused++;
                    /* GloVe cut inside a line says so, with the line (a .vec cut is often caught
                       first by its header: more values promised than the bytes can hold) */
                    char want[160];
                    snprintf(want, sizeof want, "%s:%zu: the file ends inside this line", cut, lines + 1);
                    if (f[i].fmt == EDL_VEC_GLOVE && !boundary && k > 0 && !strstr(edl_last_error(), want))
                        FAILF("%s cut at %zu: \"%s\" lacks \"%s\"", f[i].name, k, edl_last_error(), want);
                }
                CHECK(s == EDL_OK || r == NULL);
                edl_vectors_free(r);
            }
        }
        free(bytes);
    }
    fprintf(stderr, "    %zu cut files read: %zu refused, %zu loaded a whole prefix\n", cuts, refused, prefixes);
    CHECK(refused + prefixes == cuts);
    edl_vectors_free(v);
    harness_remove_dir(dir);
}

/* The known case from the audit: a .vec cut inside its last number ("0.3" kept as "0.") loaded
   a wrong value; now it is refused, naming the file and the line. */
TEST(vectors_cut_inside_last_number) {
    char dir[] = "/tmp/edl-vec-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/cut.vec", dir);
    const char text[] = "2 3\nalpha 1 2 3\nbeta 4 5 0.3\n";
    put(path, text, sizeof text - 2); /* "... 0." */
    edl_vectors *v = NULL;
    CHECK_STATUS(edl_vectors_read(&v, path, EDL_VEC_AUTO), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":3: the file ends inside this line, without a newline");
    CHECK(v == NULL);
    put(path, text + 4, sizeof text - 6); /* as GloVe */
    CHECK_STATUS(edl_vectors_read(&v, path, EDL_VEC_GLOVE), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS(":2: the file ends inside this line");
    put(path, text, sizeof text - 1); /* whole: loads */
    CHECK_OK(edl_vectors_read(&v, path, EDL_VEC_AUTO));
    CHECK(v && edl_vectors_row(v, 1)[2] == 0.3f);
    edl_vectors_free(v);
    harness_remove_dir(dir);
}

/* Skip-gram and CBOW learn with each of fastText's losses (ns, hs over a Huffman tree of the
   words, the full softmax); the model written as fastText's .bin reads back the same, output rows
   too, and a model of edl's own file (no output rows) is refused that file, named. */
TEST(wordvec_every_loss_learns_and_writes_fasttext_bin) {
    char dir[] = "/tmp/edl-wvl-XXXXXX", corpus[96], bin[96], st[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    snprintf(st, sizeof st, "%s/m.safetensors", dir);
    write_topics(corpus);
    const edl_textclf_loss losses[3] = {EDL_TEXTCLF_NS, EDL_TEXTCLF_HS, EDL_TEXTCLF_SOFTMAX};
    for (int cbow = 0; cbow < 2; cbow++)
        for (int li = 0; li < 3; li++) {
            edl_wordvec_args a;
            edl_wordvec_defaults(&a, cbow);
            a.dim = 20, a.epoch = 5, a.thread = 1, a.min_count = 1, a.lr = cbow ? 0.1f : 0.05f, a.minn = a.maxn = 0;
            a.loss = losses[li];
            edl_wordvec *w = NULL, *back = NULL;
            edl_wordvec_report rep;
            CHECK_OK(edl_wordvec_train(&w, corpus, &a, &rep));
            if (!w) continue;
            edl_vectors *v = NULL, *o = NULL, *ob = NULL;
            CHECK_OK(edl_wordvec_vectors(w, &v));
            double m = v ? topic_margin(v) : -1;
            if (!(m > 0.3)) FAILF("cbow %d loss %s: topic margin %.3f", cbow, edl_textclf_loss_name(a.loss), m);
            CHECK_OK(edl_wordvec_save_fasttext(w, bin));
            CHECK_OK(edl_wordvec_load(&back, bin));
            CHECK_OK(edl_wordvec_output_vectors(w, &o));
            if (back) CHECK_OK(edl_wordvec_output_vectors(back, &ob));
            if (o && ob) {
                CHECK(edl_vectors_count(o) == 121 && edl_vectors_count(ob) == 121);
                CHECK_EQUAL_F(edl_vectors_row(ob, 7), edl_vectors_row(o, 7), 20);
            }
            float x[20], y[20];
            CHECK_OK(edl_wordvec_word_vector(w, "a17", 3, x));
            if (back) CHECK_OK(edl_wordvec_word_vector(back, "a17", 3, y));
            CHECK_EQUAL_F(y, x, 20);
            /* edl's own file keeps the input table only: no .bin from it, said so */
            edl_wordvec_free(back);
            back = NULL;
            CHECK_OK(edl_wordvec_save(w, st));
            CHECK_OK(edl_wordvec_load(&back, st));
            if (back) {
                CHECK_STATUS(edl_wordvec_save_fasttext(back, bin), EDL_ERR_UNSUPPORTED);
                CHECK_ERROR_HAS("output rows");
            }
            edl_vectors_free(v), edl_vectors_free(o), edl_vectors_free(ob);
            edl_wordvec_free(w), edl_wordvec_free(back);
        }
    harness_remove_dir(dir);
}

/* -pretrainedVectors: the words' rows start from the file (a rate too small to move them keeps
   them); a file of another dimension is refused, naming both. */
TEST(wordvec_pretrained_vectors_start_the_rows) {
    char dir[] = "/tmp/edl-wvp-XXXXXX", corpus[96], pre[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(corpus, sizeof corpus, "%s/c.txt", dir);
    snprintf(pre, sizeof pre, "%s/p.vec", dir);
    write_topics(corpus);
    harness_write_text(pre, "2 4\na3 0.5 -1 2 0.25\nnotinthecorpus 1 1 1 1\n");
    edl_wordvec_args a;
    edl_wordvec_defaults(&a, 0);
    a.dim = 4, a.epoch = 1, a.thread = 1, a.min_count = 1, a.lr = 1e-30f, a.minn = a.maxn = 0;
    a.pretrained_vectors = pre;
    edl_wordvec *w = NULL;
    CHECK_OK(edl_wordvec_train(&w, corpus, &a, NULL));
    float x[4];
    const float want[4] = {0.5f, -1.0f, 2.0f, 0.25f};
    if (w) CHECK_OK(edl_wordvec_word_vector(w, "a3", 2, x));
    if (w) CHECK_CLOSE(x, want, 4, 1e-6, 0);
    edl_wordvec_free(w);
    w = NULL;
    a.dim = 5;
    CHECK_STATUS(edl_wordvec_train(&w, corpus, &a, NULL), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("dim 4, the model -dim 5");
    harness_remove_dir(dir);
}
