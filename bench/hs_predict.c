/* hs prediction with many labels: fastText's pruned tree search (edl_textclf_predict) against
 * scoring every label (the product of each label's path, as edl predicted before), on one
 * thread, with the same top k checked on every line.
 *
 *   build/bench_hs_predict [labels] [dim] [lines] [scale]   (default 1000000 10 50 4)
 *
 * The model is made, not trained: Zipf label counts (so the tree is fastText's Huffman tree of a
 * skewed label set), random weights, the output rows multiplied by scale (a trained model's
 * branches are decisive; scale 1 is nearly undecided, the search's worst case). */
#include "bench.h"
#include "edl.h"
#include "edl_text.h"
#include "text/textclf.h"

#include <stdint.h>
#include <unistd.h>

static size_t topk(const float *p, size_t nl, size_t k, int64_t *lab, float *pr) {
    size_t count = 0;
    for (size_t i = 0; i < nl; i++) {
        size_t pos = count < k ? count++ : k;
        if (pos == k && p[i] <= pr[k - 1]) continue;
        if (pos == k) pos = k - 1;
        while (pos > 0 && pr[pos - 1] < p[i]) pr[pos] = pr[pos - 1], lab[pos] = lab[pos - 1], pos--;
        pr[pos] = p[i], lab[pos] = (int64_t)i;
    }
    return count;
}

int main(int argc, char **argv) {
    size_t nl = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000, dim = argc > 2 ? strtoull(argv[2], NULL, 10) : 10;
    int lines = argc > 3 ? atoi(argv[3]) : 50;
    float scale = argc > 4 ? strtof(argv[4], NULL) : 4.0f;
    enum { WORDS = 1000 };
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    /* the file: words w0.., labels __label__0.. */
    size_t n = WORDS + nl, nbytes = 0;
    char *bytes = malloc(n * 24);
    int64_t *off = malloc((n + 1) * sizeof *off), *cnt = malloc(n * sizeof *cnt);
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int k = i < WORDS ? sprintf(bytes + nbytes, "w%zu", i) : sprintf(bytes + nbytes, "__label__%zu", i - WORDS);
        nbytes += (size_t)k, off[i + 1] = (int64_t)nbytes;
        cnt[i] = i < WORDS ? 100000 - (int64_t)i : 1 + 100000000 / (int64_t)(i - WORDS + 1);
    }
    char spec[200], snw[32], snl[32], sdim[32];
    snprintf(spec, sizeof spec, "embedding_bag(rows=%d,dim=%zu,pool=mean) dense(%zu,bias=0) loss(bce)", WORDS, dim,
             nl - 1);
    snprintf(snw, sizeof snw, "%d", WORDS), snprintf(snl, sizeof snl, "%zu", nl),
        snprintf(sdim, sizeof sdim, "%zu", dim);
    edl_model *m = NULL;
    if (edl_model_from_spec(&m, spec, EDL_INIT_TORCH, 1) != EDL_OK) return fprintf(stderr, "%s\n", edl_last_error()), 1;
    size_t c;
    float *wo = edl_model_tensor(m, 1, "weight", &c);
    for (size_t i = 0; i < c; i++) wo[i] *= scale;
    const char *keys[] = {"textclf.format",  "textclf.loss",        "textclf.label",  "textclf.nwords",
                          "textclf.nlabels", "textclf.word_ngrams", "textclf.bucket", "textclf.dim",
                          "textclf.ntokens", "textclf.args"};
    const char *vals[] = {"1", "hs", "__label__", snw, snl, "1", "0", sdim, "0", ""};
    const edl_tensor extra[3] = {{"vocab.bytes", EDL_DTYPE_U8, 1, {nbytes, 0}, bytes},
                                 {"vocab.offsets", EDL_DTYPE_I64, 1, {n + 1, 0}, off},
                                 {"vocab.counts", EDL_DTYPE_I64, 1, {n, 0}, cnt}};
    char path[64];
    snprintf(path, sizeof path, "/tmp/edl-bench-hs-%ld.safetensors", (long)getpid());
    if (edl_model_save_ex(m, path, keys, vals, 10, extra, 3) != EDL_OK)
        return fprintf(stderr, "%s\n", edl_last_error()), 1;
    edl_model_free(m), free(bytes), free(off), free(cnt);
    edl_textclf *clf = NULL;
    double t0 = bench_now();
    edl_status s = edl_textclf_load(&clf, path);
    double tload = bench_now() - t0;
    unlink(path);
    if (s != EDL_OK) return fprintf(stderr, "%s\n", edl_last_error()), 1;

    float *probs = malloc((nl + dim) * sizeof *probs);
    double *tp = malloc((size_t)lines * sizeof *tp), *tp5 = malloc((size_t)lines * sizeof *tp5),
           *te = malloc((size_t)lines * sizeof *te);
    int64_t lw[5], lg[5];
    float pw[5], pg[5];
    size_t visited = 0, mismatch = 0;
    unsigned seed = 7;
    for (int li = 0; li < lines; li++) {
        char text[256];
        size_t len = 0;
        for (int w = 0; w < 8; w++)
            seed = seed * 1103515245u + 12345u,
            len += (size_t)sprintf(text + len, "%sw%u", w ? " " : "", (seed >> 8) % WORDS);
        size_t got = 0, want;
        t0 = bench_now();
        edl_textclf_predict(clf, text, len, 1, 0.0f, lg, pg, &got);
        tp[li] = bench_now() - t0;
        t0 = bench_now();
        edl_textclf_predict(clf, text, len, 5, 0.0f, lg, pg, &got);
        tp5[li] = bench_now() - t0;
        /* the exhaustive way: every label's probability, then the top 5 */
        edl__line l = {0};
        const edl__features feat = edl__textclf_features(clf);
        edl__line_parse(&clf->vocab, text, len, &feat, &l);
        t0 = bench_now();
        edl__textclf_probs(clf, l.words, l.nwords, probs + nl, probs);
        want = topk(probs, nl, 5, lw, pw);
        te[li] = bench_now() - t0;
        size_t v = 0, g1;
        edl__textclf_average(clf, l.words, l.nwords, probs);
        edl__textclf_hs_topk(clf, probs, 1, 0.0f, lg + 4, pg + 4, &g1, &v);
        visited += v;
        edl_textclf_predict(clf, text, len, 5, 0.0f, lg, pg, &got);
        int same = got == want;
        for (size_t i = 0; same && i < got; i++) same = lg[i] == lw[i] && pg[i] == pw[i];
        mismatch += !same;
        edl__line_free(&l);
    }
    double mp = bench_median(tp, lines), mp5 = bench_median(tp5, lines), me = bench_median(te, lines);
    printf("hs, %zu labels, dim %zu, scale %g, tree depth %zu, load %.2f s, %d lines (median a line, 1 thread)\n", nl,
           dim, scale, clf->hs.depth, tload, lines);
    printf("  exhaustive (every label, top 5)  %10.3f ms\n", 1e3 * me);
    printf("  pruned search, k = 1             %10.3f ms  (%.0fx; %.1f of %zu inner nodes scored)\n", 1e3 * mp, me / mp,
           (double)visited / lines, nl - 1);
    printf("  pruned search, k = 5             %10.3f ms  (%.0fx)\n", 1e3 * mp5, me / mp5);
    printf("  top 5 identical to the exhaustive on %zu of %d lines\n", (size_t)lines - mismatch, lines);
    edl_textclf_free(clf);
    free(probs), free(tp), free(tp5), free(te);
    return mismatch ? 1 : 0;
}
