/* Streamed training input: every trainer reads its input once, in chunks, through the line
 * reader. A model trained with the whole file in one read (the chunk as large as the file, as the
 * old whole-file readers held it), with the default 64 KiB reads, with reads of 1 and 7 bytes
 * (every line and token crossing chunk boundaries) and from a pipe on standard input is the same
 * file byte for byte at one thread and a seed; errors still name the input and the line. */
#include "harness.h"
#include "model/dataset.h"
#include "rec/recommend.h"
#include "text/textclf.h"
#include "text/text.h"

#include <unistd.h>

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (size_t got; b && (got = fread(b + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

/* Both files exist and hold the same bytes (data_only: safetensors files compared from their
   tensors' data on, past the JSON header, whose metadata records the command line). */
static int same_files(const char *a, const char *b, int data_only) {
    size_t na = 0, nb = 0;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    size_t skip = 0;
    if (data_only && x && y && na >= 8 && nb >= 8) {
        uint64_t ha = 0, hb = 0;
        for (int i = 7; i >= 0; i--) ha = ha << 8 | (uint8_t)x[i], hb = hb << 8 | (uint8_t)y[i];
        if (ha + 8 <= na && hb + 8 <= nb && na - ha == nb - hb) {
            int same = x && y && memcmp(x + 8 + ha, y + 8 + hb, na - 8 - ha) == 0 && na - 8 - ha > 0;
            free(x), free(y);
            return same;
        }
    }
    int same = x && y && na == nb && na > 0 && memcmp(x + skip, y + skip, na - skip) == 0;
    free(x), free(y);
    return same;
}

static size_t file_size(const char *path) {
    size_t n = 0;
    free(slurp(path, &n));
    return n;
}

/* A labelled text with the edges a reader can get wrong: CRLF, tabs, blank lines, a literal
   "</s>", lines without a label, a long line, and no newline at the end. plain: no labels. */
static void write_corpus(const char *path, int plain) {
    FILE *f = fopen(path, "w");
    edl_rng rng;
    edl_rng_seed(&rng, 11);
    static const char *words[] = {"the",  "cat",  "sat",   "on",    "a",           "mat",         "dog",
                                  "ran",  "far",  "away",  "money", "free",        "win",         "now",
                                  "call", "meet", "lunch", "today", "caf\xc3\xa9", "na\xc3\xafve"};
    for (int e = 0; e < 600; e++) {
        int c = (int)edl_rng_below(&rng, 3);
        if (!plain) fprintf(f, "__label__c%d ", c);
        size_t n = 3 + edl_rng_below(&rng, e == 300 ? 2000 : 12);
        for (size_t k = 0; k < n; k++) {
            size_t w = edl_rng_below(&rng, 4) == 0 ? (size_t)c * 5 + edl_rng_below(&rng, 5) : edl_rng_below(&rng, 20);
            fprintf(f, "%s%s", words[w], k % 7 == 6 ? "\t" : " ");
        }
        if (e % 97 == 0) fprintf(f, "</s> end");
        fputs(e % 50 == 0 ? "\r\n" : e % 61 == 0 ? "\n\n" : "\n", f);
        if (e % 83 == 0) fputs("a line without any label\n", f);
    }
    fputs(plain ? "last words without a newline" : "__label__c1 last words without a newline", f);
    fclose(f);
}

static size_t chunk_sizes(const char *path, size_t *sizes) {
    sizes[0] = file_size(path); /* the whole file in one read */
    sizes[1] = 0, sizes[2] = 1, sizes[3] = 7, sizes[4] = 4096;
    return 5;
}

TEST(stream_vocab_finish_map_gives_each_entry_its_id) {
    edl__vocab v, old;
    CHECK_OK(edl__vocab_init(&v, "__label__"));
    const char *toks[] = {"b", "a", "__label__x", "b", "c", "a", "b", "__label__y", "__label__x"};
    int32_t entry[9];
    for (int i = 0; i < 9; i++) CHECK_OK(edl__vocab_count(&v, toks[i], strlen(toks[i]), &entry[i]));
    CHECK(entry[0] == 0 && entry[1] == 1 && entry[3] == 0 && entry[4] == 3 && entry[8] == 2);
    int32_t remap[5];
    CHECK_OK(edl__vocab_finish_map(&v, 2, 1, remap, &old)); /* "c" (once) is dropped */
    CHECK(v.nwords == 2 && v.nlabels == 2 && old.size == 5);
    CHECK(remap[0] == 0 && remap[1] == 1 && remap[3] == -1 && remap[2] == 2 && remap[4] == 3);
    for (int e = 0; e < 5; e++) {
        if (remap[e] < 0) continue;
        size_t n = (size_t)(old.offsets[e + 1] - old.offsets[e]);
        CHECK(edl__vocab_find(&v, old.bytes + old.offsets[e], n, old.hashes[e]) == remap[e]);
    }
    edl__vocab_free(&v);
    edl__vocab_free(&old);
}

typedef struct {
    const char **tok;
    size_t *len, n, cap;
} tokens;

static edl_status collect(void *ctx, const char *s, size_t n) {
    tokens *t = ctx;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->tok = realloc(t->tok, t->cap * sizeof *t->tok), t->len = realloc(t->len, t->cap * sizeof *t->len);
    }
    t->tok[t->n] = s, t->len[t->n++] = n;
    return EDL_OK;
}

static int same_line(const edl__line *a, const edl__line *b) {
    return a->nwords == b->nwords && a->nlabels == b->nlabels && a->ntokens == b->ntokens &&
           !memcmp(a->words, b->words, a->nwords * sizeof *a->words) &&
           (!a->nlabels || !memcmp(a->labels, b->labels, a->nlabels * sizeof *a->labels));
}

/* The reader against the whole-file code it replaced: the tokens read in chunks are the tokens of
   edl__text_tokens over the whole text, and each line made from ids is edl__line_parse's line. */
TEST(stream_token_ids_are_the_whole_file_tokens) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/train.txt", dir);
    write_corpus(path, 0);
    size_t len = 0;
    char *text = slurp(path, &len);
    tokens ref = {0};
    CHECK_OK(edl__text_tokens(text, len, collect, &ref));
    const size_t chunks[] = {1, 7, 0};
    for (size_t k = 0; k < 3; k++) {
        edl__vocab v, old;
        edl__token_ids t;
        CHECK_OK(edl__vocab_init(&v, "__label__"));
        CHECK_OK(edl__token_ids_read(&t, &v, path, chunks[k], 1, NULL));
        CHECK(t.n == ref.n && !t.last_newline);
        size_t bad = 0;
        for (size_t i = 0; i < t.n && i < ref.n; i++) {
            int32_t e = t.ids[i];
            size_t n = (size_t)(v.offsets[e + 1] - v.offsets[e]);
            bad += n != ref.len[i] || memcmp(v.bytes + v.offsets[e], ref.tok[i], n) != 0;
        }
        if (bad) FAILF("chunk %zu: %zu of %zu tokens differ from the whole file's", chunks[k], bad, ref.n);
        int32_t *remap = malloc(v.size * sizeof *remap);
        CHECK_OK(edl__vocab_finish_map(&v, 2, 1, remap, &old));
        const edl__features f = {2, 1000, 2, 3, NULL};
        edl__line a = {0}, b = {0};
        size_t line = 0, differ = 0;
        for (size_t i = 0; i < len; line++) { /* the lines as the old whole-file loop cut them */
            const char *nl = memchr(text + i, '\n', len - i);
            size_t e = nl ? (size_t)(nl - text) : len;
            CHECK_OK(edl__line_parse(&v, text + i, e - i, &f, &a));
            size_t from = line ? (size_t)t.line_end[line - 1] : 0, to = (size_t)t.line_end[line] - (nl != NULL);
            CHECK_OK(edl__line_of_ids(&v, &f, &old, remap, t.ids + from, to - from, &b));
            differ += !same_line(&a, &b);
            i = e + 1;
        }
        CHECK(line == t.nlines);
        if (differ) FAILF("chunk %zu: %zu of %zu lines parse otherwise from ids", chunks[k], differ, line);
        edl__line_free(&a), edl__line_free(&b);
        free(remap);
        edl__token_ids_free(&t);
        edl__vocab_free(&v), edl__vocab_free(&old);
    }
    free(ref.tok), free(ref.len), free(text);
    harness_remove_dir(dir);
}

TEST(stream_textclf_same_model_at_any_chunk_size) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char text[128], first[2][128], path[128];
    snprintf(text, sizeof text, "%s/train.txt", dir);
    write_corpus(text, 0);
    size_t sizes[8], ns = chunk_sizes(text, sizes);
    for (int kind = 0; kind < 2; kind++) {
        edl_textclf_args a;
        edl_textclf_defaults(&a);
        a.dim = 8, a.epoch = 2, a.thread = 1, a.seed = 5, a.min_count = 2, a.bucket = 5000;
        if (kind == 0) /* fastText's trainer: word and character n-grams */
            a.word_ngrams = 2, a.minn = 2, a.maxn = 3;
        else /* the mini-batch trainer, with -valid read the same way */
            a.valid = text, a.patience = 5;
        for (size_t k = 0; k < ns; k++) {
            edl_textclf *c = NULL;
            edl_textclf_report r;
            snprintf(path, sizeof path, "%s/m%d_%zu.safetensors", dir, kind, k);
            CHECK_OK(edl__textclf_train(&c, text, &a, &r, sizes[k]));
            if (!c) continue;
            CHECK(r.nexamples > 500 && r.nlabels == 3);
            CHECK_OK(edl_textclf_save(c, path));
            edl_textclf_free(c);
            if (k == 0) snprintf(first[kind], sizeof first[kind], "%s", path);
            if (k > 0 && !same_files(first[kind], path, 0))
                FAILF("classifier %d: reads of %zu bytes give another model than the whole file", kind, sizes[k]);
        }
    }
    harness_remove_dir(dir);
}

TEST(stream_wordvec_same_model_at_any_chunk_size) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char text[128], first[128] = "", path[128];
    snprintf(text, sizeof text, "%s/corpus.txt", dir);
    write_corpus(text, 1);
    size_t sizes[8], ns = chunk_sizes(text, sizes);
    for (int cbow = 0; cbow < 2; cbow++) {
        edl_wordvec_args a;
        edl_wordvec_defaults(&a, cbow);
        a.dim = 8, a.epoch = 1, a.thread = 1, a.seed = 9, a.min_count = 2, a.bucket = 3000, a.minn = 2, a.maxn = 4;
        if (cbow) a.loss = EDL_TEXTCLF_HS, a.maxn = 0;
        for (size_t k = 0; k < ns; k++) {
            edl_wordvec *w = NULL;
            edl_wordvec_report r;
            snprintf(path, sizeof path, "%s/w%d_%zu.safetensors", dir, cbow, k);
            CHECK_OK(edl__wordvec_train(&w, text, &a, &r, sizes[k]));
            if (!w) continue;
            CHECK(r.nwords > 15 && r.ntokens > 5000);
            CHECK_OK(edl_wordvec_save(w, path));
            edl_wordvec_free(w);
            if (k == 0) snprintf(first, sizeof first, "%s", path);
            if (k > 0 && !same_files(first, path, 0))
                FAILF("%s: reads of %zu bytes give other vectors than the whole file", cbow ? "cbow" : "skipgram",
                      sizes[k]);
        }
    }
    harness_remove_dir(dir);
}

TEST(stream_dataset_same_model_at_any_chunk_size) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char text[128], first[128] = "", path[128];
    snprintf(text, sizeof text, "%s/ds.txt", dir);
    FILE *f = fopen(text, "w");
    fputs("# label then ids\n", f);
    for (int n = 1; n <= 1500; n++) {
        fprintf(f, "%d", n % 4);
        for (int i = 0; i < 3 + n % 5; i++) fprintf(f, " %d", (n * 7 + i * 13 * (n % 4 + 1)) % 100);
        fputs(n % 40 ? "\n" : "\r\n\n", f);
    }
    fputs("2 5 6 7", f); /* no newline at the end */
    fclose(f);
    size_t sizes[8], ns = chunk_sizes(text, sizes);
    for (size_t k = 0; k < ns; k++) {
        edl_dataset *d = NULL;
        edl_model *m = NULL;
        CHECK_OK(edl__dataset_load_text(&d, text, 0, 0, sizes[k]));
        CHECK_OK(edl_model_from_spec(&m, "embedding_bag(rows=100,dim=8,pool=mean) dense(4)", EDL_INIT_TORCH, 3));
        if (!d || !m) {
            edl_dataset_free(d), edl_model_free(m);
            continue;
        }
        CHECK(edl_dataset_size(d) == 1501);
        edl_train_config tc;
        edl_train_defaults(&tc);
        tc.epochs = 2, tc.batch_size = 16, tc.seed = 3;
        edl_train_report r;
        CHECK_OK(edl_train(m, d, &tc, &r));
        snprintf(path, sizeof path, "%s/t%zu.safetensors", dir, k);
        CHECK_OK(edl_model_save(m, path, NULL, NULL, 0));
        edl_dataset_free(d), edl_model_free(m);
        if (k == 0) snprintf(first, sizeof first, "%s", path);
        if (k > 0 && !same_files(first, path, 0))
            FAILF("train: reads of %zu bytes give another model than the whole file", sizes[k]);
    }
    harness_remove_dir(dir);
}

TEST(stream_ratings_same_model_at_any_chunk_size) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char text[128], first[128] = "", path[128];
    snprintf(text, sizeof text, "%s/u.data", dir);
    edl_synth_args sa;
    edl_synth_defaults(&sa);
    sa.users = 120, sa.items = 150, sa.per_user = 30, sa.seed = 4;
    CHECK_OK(edl_synth_ratings(text, &sa, NULL));
    size_t sizes[8], ns = chunk_sizes(text, sizes);
    for (size_t k = 0; k < ns; k++) {
        edl_ratings *rt = NULL;
        edl_recommender *rec = NULL;
        CHECK_OK(edl__ratings_read(&rt, text, NULL, NULL, sizes[k]));
        if (!rt) continue;
        edl_rec_args a;
        edl_rec_defaults(&a, EDL_REC_MF);
        a.dim = 8, a.epoch = 2, a.thread = 1, a.seed = 5;
        CHECK_OK(edl_rec_train(&rec, rt, &a, NULL));
        snprintf(path, sizeof path, "%s/r%zu.safetensors", dir, k);
        if (rec) CHECK_OK(edl_rec_save(rec, path));
        edl_rec_free(rec);
        edl_ratings_free(rt);
        if (k == 0) snprintf(first, sizeof first, "%s", path);
        if (k > 0 && !same_files(first, path, 0))
            FAILF("recommend: reads of %zu bytes give another model than the whole file", sizes[k]);
    }
    harness_remove_dir(dir);
}

/* The CLI: each trainer from a file and from a pipe on standard input (-input -). */
TEST(stream_cli_stdin_trains_what_the_file_trains) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    const char *cli = harness_cli();
    char cmd[2048], out[4096], a[160], b[160];
    snprintf(cmd, sizeof cmd, "%s/sup.txt", dir);
    write_corpus(cmd, 0);
    snprintf(cmd, sizeof cmd, "%s/plain.txt", dir);
    write_corpus(cmd, 1);
    snprintf(cmd, sizeof cmd,
             "%s recommend synth -output %s/u.data -users 100 -items 120 -seed 3 > /dev/null 2>&1 && "
             "awk 'BEGIN { for (n = 1; n <= 800; n++) { printf \"%%d\", n %% 5; for (i = 0; i < 4; i++) "
             "printf \" %%d\", (n * 7 + i * 13) %% 50; print \"\" } }' > %s/ds.txt",
             cli, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0);
    static const struct {
        const char *name, *input, *args;
        int data_only; /* train records its command line (and so -input) in the file */
    } runs[] = {
        {"supervised", "sup.txt", "supervised -dim 8 -epoch 2 -wordNgrams 2 -bucket 2000 -minn 2 -maxn 3", 0},
        {"skipgram", "plain.txt", "skipgram -dim 8 -epoch 1 -minCount 2 -bucket 2000", 0},
        {"cbow", "plain.txt", "cbow -dim 8 -epoch 1 -minCount 2 -maxn 0", 0},
        {"train", "ds.txt", "train -spec 'embedding_bag(rows=50,dim=4) dense(5)' -epoch 2 -validSplit 0.1", 1},
        {"recommend", "u.data", "recommend train -dim 8 -epoch 2 -split random:0.1", 0},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        snprintf(cmd, sizeof cmd,
                 "%s %s -input %s/%s -output %s/%s_file -thread 1 -seed 7 -verbose 0 > /dev/null 2>&1 && "
                 "cat %s/%s | %s %s -input - -output %s/%s_pipe -thread 1 -seed 7 -verbose 0 > /dev/null 2>&1",
                 cli, runs[i].args, dir, runs[i].input, dir, runs[i].name, dir, runs[i].input, cli, runs[i].args, dir,
                 runs[i].name);
        if (harness_run(cmd, out, sizeof out) != 0) {
            FAILF("%s from a file or a pipe failed", runs[i].name);
            continue;
        }
        snprintf(a, sizeof a, "%s/%s_file.safetensors", dir, runs[i].name);
        snprintf(b, sizeof b, "%s/%s_pipe.safetensors", dir, runs[i].name);
        if (!same_files(a, b, runs[i].data_only))
            FAILF("%s: -input - trains another model than the file", runs[i].name);
    }
    harness_remove_dir(dir);
}

/* Malformed or truncated input, read in tiny chunks or from a pipe: the error names the input
   and the line. */
TEST(stream_errors_name_the_input_and_line) {
    char dir[] = "/tmp/edl-stream-XXXXXX";
    if (!mkdtemp(dir)) {
        FAILF("mkdtemp");
        return;
    }
    char path[128], want[160], cmd[1024], out[4096];
    snprintf(path, sizeof path, "%s/ds.txt", dir);
    harness_write_text(path, "0 1 2\n1 3 4\n\n2 5 x7\n");
    edl_dataset *d = NULL;
    CHECK_STATUS(edl__dataset_load_text(&d, path, 0, 0, 3), EDL_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:4:", path);
    CHECK_ERROR_HAS(want);
    snprintf(path, sizeof path, "%s/u.csv", dir);
    harness_write_text(path, "1,10,4.0,881250949\n2,11,3.5,881250950\n3,12"); /* cut off in its last row */
    edl_ratings *r = NULL;
    CHECK_STATUS(edl__ratings_read(&r, path, NULL, NULL, 2), EDL_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:3:", path);
    CHECK_ERROR_HAS(want);
    CHECK_ERROR_HAS("missing field");
    /* a text without labels, a directory, an empty pipe */
    snprintf(path, sizeof path, "%s/nolabels.txt", dir);
    harness_write_text(path, "just words\nand more words\n");
    edl_textclf_args ta;
    edl_textclf_defaults(&ta);
    edl_textclf *c = NULL;
    CHECK_STATUS(edl__textclf_train(&c, path, &ta, NULL, 1), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("no labels");
    CHECK_ERROR_HAS(path);
    edl_wordvec_args wa;
    edl_wordvec_defaults(&wa, 0);
    edl_wordvec *w = NULL;
    CHECK_STATUS(edl__wordvec_train(&w, dir, &wa, NULL, 0), EDL_ERR_IO);
    CHECK_ERROR_HAS(dir);
    snprintf(cmd, sizeof cmd,
             "printf '0 1 2\\n1 2 bad\\n' | %s train -spec 'embedding_bag(rows=5,dim=2) dense(2)' "
             "-input - -output %s/m 2>&1",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) != 0);
    CHECK(strstr(out, "<stdin>:2:") != NULL);
    snprintf(cmd, sizeof cmd,
             "printf '1\\t10\\t4\\t881250949\\n2\\t11\\n' | %s recommend train -input - -output %s/r 2>&1",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) != 0);
    CHECK(strstr(out, "<stdin>:2:") != NULL);
#ifndef __SANITIZE_ADDRESS__ /* (ASan's shadow memory needs more address space than this) */
    /* a line longer than the memory there is: refused with its number, in every trainer's reader */
    snprintf(cmd, sizeof cmd,
             "ulimit -v 200000; head -c 300000000 /dev/zero | tr '\\0' a | %s supervised -input - -output %s/big "
             "-verbose 0 2>&1",
             harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "<stdin>:1: no memory for a line") != NULL);
#endif
    /* standard input can be read once */
    snprintf(cmd, sizeof cmd, "%s supervised -input - -valid - -output %s/v < /dev/null 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1);
    CHECK(strstr(out, "-input and -valid both read standard input ('-'): one of them must be a file") != NULL);
    /* autotune trains once a trial: its input must be a file it can read again */
    snprintf(path, sizeof path, "%s/sup.txt", dir);
    write_corpus(path, 0);
    snprintf(cmd, sizeof cmd, "%s supervised -input - -output %s/a -autotune-validation %s < %s 2>&1", harness_cli(),
             dir, path, path);
    CHECK(harness_run(cmd, out, sizeof out) != 0);
    CHECK(strstr(out, "autotune reads -input once a trial: give a file, not standard input") != NULL);
    snprintf(cmd, sizeof cmd, "%s skipgram -input - -output %s/s -verbose 0 < /dev/null 2>&1", harness_cli(), dir);
    CHECK(harness_run(cmd, out, sizeof out) != 0);
    CHECK(strstr(out, "no word") != NULL);
    harness_remove_dir(dir);
}
