/* fastText's model files (.bin, and .ftz from its quantize) read by edl: models made by fastText
 * itself and its answers (tests/make_fasttext_models.py with python3-fasttext: tests/data/ft_*.bin,
 * ft_*.ftz, ft_answers.txt) give the same labels, probabilities and word vectors; a malformed file (every field, every cut) is
 * refused naming the field and the byte, never a crash. */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tests/data/NAME.bin, or NAME itself when it has its extension (NAME.ftz) */
static void model_path(char *out, size_t n, const char *name) {
    snprintf(out, n, strchr(name, '.') ? "tests/data/%.40s" : "tests/data/%.40s.bin", name);
}

/* fastText reports exp(log(p + 1e-5)) (its std_log), hs a product of such terms; edl answers the
   same for a model read from fastText's file. */
TEST(fasttext_bin_gives_fasttexts_answers) {
    FILE *f = fopen("tests/data/ft_answers.txt", "r");
    if (!f) {
        FAILF("tests/data/ft_answers.txt is missing (run from the repository root)");
        return;
    }
    char line[4096], loaded[64] = "";
    edl_textclf *c = NULL;
    edl_wordvec *w = NULL;
    size_t predictions = 0, vectors = 0, analogies = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        char *field[4] = {line, NULL, NULL, NULL}; /* tab-separated; the input may be empty */
        for (int k = 1; k < 4 && field[k - 1]; k++) {
            char *tab = strchr(field[k - 1], '\t');
            if (tab) *tab = '\0', field[k] = tab + 1;
        }
        char *name = field[0], *kind = field[1], *input = field[2], *answer = field[3];
        if (!kind || !input) continue;
        if (!answer) continue;
        if (strncmp(name, loaded, 40)) {
            char path[128];
            model_path(path, sizeof path, name);
            edl_textclf_free(c), edl_wordvec_free(w);
            c = NULL, w = NULL;
            if (!strcmp(name, "ft_skipgram"))
                CHECK_OK(edl_wordvec_load(&w, path));
            else
                CHECK_OK(edl_textclf_load(&c, path));
            snprintf(loaded, sizeof loaded, "%.40s", name);
        }
        if (!strcmp(kind, "predict") && c) {
            int64_t labels[2];
            float probs[2];
            size_t n = 0;
            CHECK_OK(edl_textclf_predict(c, input, strlen(input), 2, 0.0f, labels, probs, &n));
            const double tol = 2e-6; /* six significant digits printed */
            char *tok = strtok(answer, " ");
            for (size_t i = 0; tok && i < 2; i++) {
                const char *want = tok;
                char *p = strtok(NULL, " ");
                double wp = p ? atof(p) : -1;
                size_t len = 0;
                const char *got = i < n ? edl_textclf_label(c, (size_t)labels[i], &len) : "";
                if (i >= n || strlen(want) != len || strncmp(got, want, len) || fabs(probs[i] - wp) > tol + 1e-5 * wp)
                    FAILF("%s '%s': #%zu %.*s %g, fastText %s %g", name, input, i, (int)len, got,
                          i < n ? probs[i] : -1.0f, want, wp);
                tok = strtok(NULL, " ");
            }
            predictions++;
        } else if (!strcmp(kind, "analogy")) { /* fastText's A B C: A - B + C, unseen words by subwords */
            char path[128], cmd[512], out[1024], want[512] = "";
            model_path(path, sizeof path, name);
            snprintf(cmd, sizeof cmd, "%s analogies %s -k 2 %s | tail -n 2", harness_cli(), path, input);
            char *tok = strtok(answer, " ");
            while (tok) { /* "word sim word sim" -> "word sim\nword sim\n" */
                char *p = strtok(NULL, " ");
                snprintf(want + strlen(want), sizeof want - strlen(want), "%s %s\n", tok, p ? p : "");
                tok = strtok(NULL, " ");
            }
            if (harness_run(cmd, out, sizeof out) != 0 || strcmp(out, want))
                FAILF("%s analogies %s: '%s', fastText '%s'", name, input, out, want);
            analogies++;
        } else if (!strcmp(kind, "vector")) {
            float v[8];
            if (c) CHECK_OK(edl_textclf_word_vector(c, input, strlen(input), v));
            if (w) CHECK_OK(edl_wordvec_word_vector(w, input, strlen(input), v));
            char *tok = strtok(answer, " ");
            for (int d = 0; d < 8 && tok; d++, tok = strtok(NULL, " ")) {
                double want = atof(tok);
                if (fabs(v[d] - want) > 1e-5 + 1e-5 * fabs(want))
                    FAILF("%s vector of '%s'[%d] = %g, fastText %g", name, input, d, v[d], want);
            }
            vectors++;
        }
    }
    fclose(f);
    edl_textclf_free(c), edl_wordvec_free(w);
    fprintf(stderr, "    %zu predictions, %zu word vectors and %zu analogies as fastText 0.9.2 gives them\n",
            predictions, vectors, analogies);
    CHECK(predictions == 24 && vectors == 16 && analogies == 2);
}

TEST(fasttext_bin_kinds_are_told_apart) {
    edl_textclf *c = NULL;
    edl_wordvec *w = NULL;
    CHECK_STATUS(edl_textclf_load(&c, "tests/data/ft_skipgram.bin"), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("skipgram");
    CHECK_STATUS(edl_wordvec_load(&w, "tests/data/ft_softmax.bin"), EDL_ERR_FORMAT);
    CHECK_ERROR_HAS("a fastText classifier");
    /* read as vectors: a word-vector model's words, or a classifier's (their subwords' means) */
    edl_vectors *v = NULL;
    CHECK_OK(edl_vectors_read(&v, "tests/data/ft_skipgram.bin", EDL_VEC_AUTO));
    CHECK(v && edl_vectors_dim(v) == 8 && edl_vectors_count(v) > 10);
    edl_vectors_free(v);
    v = NULL;
    CHECK_OK(edl_vectors_read(&v, "tests/data/ft_softmax.bin", EDL_VEC_AUTO));
    CHECK(v && edl_vectors_dim(v) == 8);
    edl_vectors_free(v);
}

static unsigned char *slurp(const char *path, size_t *n) { return read_file_bytes(path, n); }

static int write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(b, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The byte after the dictionary: the input matrix's quantization flag. */
static size_t after_dictionary(const unsigned char *b, size_t n) {
    int32_t size;
    memcpy(&size, b + 64, 4);
    size_t at = 92;
    for (int32_t i = 0; i < size && at < n; i++) {
        while (at < n && b[at]) at++;
        at += 1 + 8 + 1;
    }
    return at;
}

TEST(fasttext_bin_malformed_fields_are_named) {
    size_t n = 0;
    unsigned char *orig = slurp("tests/data/ft_hs.bin", &n);
    if (!orig) {
        FAILF("tests/data/ft_hs.bin is missing");
        return;
    }
    char dir[] = "/tmp/edl-ft-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/m.bin", dir);
    size_t q = after_dictionary(orig, n);
    const struct {
        size_t off;
        int64_t value;
        int width;
        edl_status want;
        const char *text;
    } cases[] = {
        {4, 13, 4, EDL_ERR_FORMAT, "the version is 13"},
        {4, 10, 4, EDL_ERR_UNSUPPORTED, "versions 11 and 12"},
        {8, 0, 4, EDL_ERR_FORMAT, "args.dim is 0"},
        {8, -5, 4, EDL_ERR_FORMAT, "args.dim is -5"},
        {32, 9, 4, EDL_ERR_FORMAT, "args.loss is 9"},
        {36, 0, 4, EDL_ERR_FORMAT, "args.model is 0"},
        {40, 7, 4, EDL_ERR_FORMAT, "not nwords + args.bucket"},
        {64, 31, 4, EDL_ERR_FORMAT, "nwords + nlabels is not size"},
        {64, INT32_MAX, 4, EDL_ERR_FORMAT, "nwords + nlabels is not size"},
        {76, -1, 8, EDL_ERR_FORMAT, "dictionary.ntokens is -1"},
        {84, -7, 8, EDL_ERR_FORMAT, "not -1 or a count"},
        {84, 0, 8, EDL_ERR_FORMAT, "a pruned dictionary with a dense input matrix"},
        {97, -3, 8, EDL_ERR_FORMAT, "negative count"},
        {105, 2, 1, EDL_ERR_FORMAT, "not 0 (word) or 1 (label)"},
        {105, 1, 1, EDL_ERR_FORMAT, "words come first"},
        {q, 1, 1, EDL_ERR_FORMAT, "the input matrix's qnorm is"}, /* the dense rows read as a quantized header */
        {q, 2, 1, EDL_ERR_FORMAT, "not a bool"},
        {q + 1, (int64_t)1 << 40, 8, EDL_ERR_FORMAT, "rows"},
        {q + 9, 9, 8, EDL_ERR_FORMAT, "the file ends inside the input matrix"},
    };
    unsigned char *b = malloc(n + 1);
    for (size_t k = 0; b && k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(b, orig, n);
        memcpy(b + cases[k].off, &cases[k].value, (size_t)cases[k].width); /* little-endian, as fastText */
        CHECK(write_bytes(path, b, n) == 0);
        edl_textclf *c = NULL;
        edl_status s = edl_textclf_load(&c, path);
        if (s != cases[k].want || !strstr(edl_last_error(), cases[k].text) || !strstr(edl_last_error(), "byte"))
            FAILF("byte %zu = %lld: status %d, '%s' (want %d naming '%s' and the byte)", cases[k].off,
                  (long long)cases[k].value, s, edl_last_error(), cases[k].want, cases[k].text);
        CHECK(c == NULL);
        edl_textclf_free(c);
    }
    /* a byte too many, and the file cut at every byte */
    if (b) {
        memcpy(b, orig, n), b[n] = 0;
        CHECK(write_bytes(path, b, n + 1) == 0);
        edl_textclf *c = NULL;
        CHECK_STATUS(edl_textclf_load(&c, path), EDL_ERR_FORMAT);
        CHECK_ERROR_HAS("bytes after the output matrix");
    }
    size_t refused = 0;
    for (size_t cut = 0; cut < n; cut++) {
        CHECK(write_bytes(path, orig, cut) == 0);
        edl_textclf *c = NULL;
        edl_status s = edl_textclf_load(&c, path);
        refused += s != EDL_OK && c == NULL;
        if (s == EDL_OK) FAILF("the file cut at byte %zu loaded", cut);
        edl_textclf_free(c);
    }
    /* a quantized model (.ftz: codes, quantizers, norms, a pruned dictionary) cut anywhere */
    size_t qn = 0, qcuts = 0, qrefused = 0;
    unsigned char *ftz = slurp("tests/data/ft_softmax.ftz", &qn);
    for (size_t cut = 0; ftz && cut < qn; cut += cut < 2000 ? 1 : 13) {
        CHECK(write_bytes(path, ftz, cut) == 0);
        edl_textclf *c = NULL;
        edl_status s = edl_textclf_load(&c, path);
        qcuts++, qrefused += s != EDL_OK && c == NULL;
        if (s == EDL_OK) FAILF("the .ftz cut at byte %zu loaded", cut);
        edl_textclf_free(c);
    }
    free(ftz);
    fprintf(stderr, "    %zu malformed fields named; %zu of %zu cuts refused (.bin), %zu of %zu (.ftz)\n",
            sizeof cases / sizeof cases[0], refused, n, qrefused, qcuts);
    CHECK(refused == n && qcuts > 2000 && qrefused == qcuts);
    free(b), free(orig);
    harness_remove_dir(dir);
}

/* edl's classifiers written as fastText's .bin: edl reads them back with the same answers, and
   fastText's own CLI (when installed: CI installs it) loads them and predicts the same labels and
   probabilities (fastText prints p + 1e-5). */
TEST(fasttext_bin_written_by_edl_is_fasttexts) {
    char dir[] = "/tmp/edl-ftw-XXXXXX", bin[64], cmd[1024], out[8192];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(bin, sizeof bin, "%s/m.bin", dir);
    const char *models[3] = {"ft_softmax", "ft_hs", "ft_ova"};
    const char *lines = "alphaung betaung gammaung\nkappaity mu thetaity\nzeta eta iota\nunseenung neverity\n";
    int have_fasttext = system("command -v fasttext >/dev/null 2>&1") == 0;
    for (int k = 0; k < 3; k++) {
        char path[128];
        model_path(path, sizeof path, models[k]);
        edl_textclf *c = NULL, *back = NULL;
        CHECK_OK(edl_textclf_load(&c, path));
        if (!c) continue;
        CHECK_OK(edl_textclf_save_fasttext(c, bin));
        CHECK_OK(edl_textclf_load(&back, bin));
        for (const char *l = lines; back && *l;) {
            const char *e = strchr(l, '\n');
            int64_t la[2], lb[2];
            float pa[2], pb[2];
            size_t na = 0, nb = 0;
            CHECK_OK(edl_textclf_predict(c, l, (size_t)(e - l), 2, 0.0f, la, pa, &na));
            CHECK_OK(edl_textclf_predict(back, l, (size_t)(e - l), 2, 0.0f, lb, pb, &nb));
            CHECK(na == nb && !memcmp(la, lb, na * sizeof *la) && !memcmp(pa, pb, na * sizeof *pa));
            l = e + 1;
        }
        if (have_fasttext) { /* fastText's answers on the file edl wrote: those of fastText's own file */
            char a[4096], b[4096];
            snprintf(cmd, sizeof cmd, "printf '%s' | fasttext predict-prob %s - 2", lines, bin);
            CHECK(harness_run(cmd, a, sizeof a) == 0);
            snprintf(cmd, sizeof cmd, "printf '%s' | fasttext predict-prob %s - 2", lines, path);
            CHECK(harness_run(cmd, b, sizeof b) == 0);
            if (strcmp(a, b)) FAILF("%s: fastText on edl's .bin:\n%s\nfastText on its own:\n%s", models[k], a, b);
        }
        edl_textclf_free(c), edl_textclf_free(back);
    }
    if (!have_fasttext) fprintf(stderr, "    SKIPPED the fastText CLI check: fasttext is not installed\n");
    /* what fastText has no place for is refused */
    snprintf(cmd, sizeof cmd,
             "%s supervised -input tests/data/ft_answers.txt -output %s/h -hidden 4 -epoch 1 -verbose 0 && %s convert "
             "%s/h.safetensors %s/h.bin",
             harness_cli(), dir, harness_cli(), dir, dir);
    CHECK(harness_run_all(cmd, out, sizeof out) == 1 && strstr(out, "hidden layers has no fastText form"));
    harness_remove_dir(dir);
}

/* edl's quantize: a .ftz that edl and fastText's CLI both read and answer alike, smaller than the
   .bin, with the same top labels on clear lines; -retrain without its training text is refused. */
TEST(quantize_writes_fasttexts_ftz) {
    char dir[] = "/tmp/edl-ftq-XXXXXX", ftz[64], cmd[1024], a[4096], b[4096];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ftz, sizeof ftz, "%s/q.ftz", dir);
    edl_textclf *c = NULL, *q = NULL;
    CHECK_OK(edl_textclf_load(&c, "tests/data/ft_softmax.bin"));
    edl_quantize_args qa;
    edl_quantize_defaults(&qa);
    qa.qnorm = 1, qa.cutoff = 300;
    if (c) CHECK_OK(edl_textclf_quantize(c, &qa, ftz));
    CHECK_OK(edl_textclf_load(&q, ftz));
    size_t nbin = 0, nftz = 0;
    unsigned char *x = read_file_bytes("tests/data/ft_softmax.bin", &nbin), *y = read_file_bytes(ftz, &nftz);
    CHECK(y && nftz > 0 && nftz < nbin); /* a small model: the 256-centroid codebooks weigh most */
    free(x), free(y);
    const char *clear[3] = {"alphaung betaung gammaung", "kappaity mu thetaity", "zeta eta iota"};
    for (int i = 0; c && q && i < 3; i++) {
        int64_t la[1], lb[1];
        float pa[1], pb[1];
        size_t na = 0, nb = 0;
        CHECK_OK(edl_textclf_predict(c, clear[i], strlen(clear[i]), 1, 0.0f, la, pa, &na));
        CHECK_OK(edl_textclf_predict(q, clear[i], strlen(clear[i]), 1, 0.0f, lb, pb, &nb));
        if (na != 1 || nb != 1 || la[0] != lb[0] || fabsf(pa[0] - pb[0]) > 0.05f)
            FAILF("'%s': %lld %g before quantizing, %lld %g after", clear[i], na ? (long long)la[0] : -1LL,
                  na ? pa[0] : -1.0f, nb ? (long long)lb[0] : -1LL, nb ? pb[0] : -1.0f);
    }
    if (system("command -v fasttext >/dev/null 2>&1") == 0) { /* fastText's CLI on edl's .ftz: edl's answers */
        snprintf(cmd, sizeof cmd, "printf '%s\\n%s\\n%s\\n' | fasttext predict-prob %s - 2", clear[0], clear[1],
                 clear[2], ftz);
        CHECK(harness_run(cmd, a, sizeof a) == 0);
        snprintf(cmd, sizeof cmd, "printf '%s\\n%s\\n%s\\n' | %s predict-prob %s - 2", clear[0], clear[1], clear[2],
                 harness_cli(), ftz);
        CHECK(harness_run(cmd, b, sizeof b) == 0);
        /* the same labels in the same order and the same probabilities (a fastText file's: p + 1e-5) */
        char la[8][64], lb[8][64];
        float pa[8], pb[8];
        int n = sscanf(a, "%63s %g %63s %g %63s %g %63s %g %63s %g %63s %g", la[0], &pa[0], la[1], &pa[1], la[2],
                       &pa[2], la[3], &pa[3], la[4], &pa[4], la[5], &pa[5]);
        int m = sscanf(b, "%63s %g %63s %g %63s %g %63s %g %63s %g %63s %g", lb[0], &pb[0], lb[1], &pb[1], lb[2],
                       &pb[2], lb[3], &pb[3], lb[4], &pb[4], lb[5], &pb[5]);
        CHECK(n == 12 && m == 12);
        for (int i = 0; i < 6 && n == 12 && m == 12; i++)
            if (strcmp(la[i], lb[i]) || fabsf(pa[i] - pb[i]) > 2e-6f + 1e-5f * fabsf(pa[i]))
                FAILF("fastText on edl's .ftz: %s %g; edl: %s %g", la[i], pa[i], lb[i], pb[i]);
    }
    /* max_bytes: the most rows that fit, counted exactly: the file fills the size to within a row */
    const uint64_t limits[3] = {13200, 13333, 13600};
    for (int i = 0; c && i < 3; i++) {
        qa.cutoff = 0, qa.max_bytes = limits[i];
        CHECK_OK(edl_textclf_quantize(c, &qa, ftz));
        free(read_file_bytes(ftz, &nftz));
        if (!(nftz <= limits[i] && nftz + 64 > limits[i])) FAILF("max_bytes %llu: %zu bytes", (unsigned long long)limits[i], nftz);
    }
    qa.max_bytes = 2000; /* not even the codebooks */
    if (c) CHECK_STATUS(edl_textclf_quantize(c, &qa, ftz), EDL_ERR_ARG);
    CHECK_ERROR_HAS("fewer than the 256 product quantization needs");
    snprintf(cmd, sizeof cmd, "%s quantize -input tests/data/ft_softmax.bin -output %s/r -retrain", harness_cli(), dir);
    CHECK(harness_run_all(cmd, a, sizeof a) == 2 && strstr(a, "-retrain"));
    edl_textclf_free(c), edl_textclf_free(q);
    harness_remove_dir(dir);
}
