/* fastText's model files (.bin): the input is read as a classifier, as word vectors and as a
   vectors file; what loads must predict, give word vectors and subwords. Seeds are fastText's own
   small models (tests/data/ft_*.bin). */
#include "fuzz.h"

static void on_subword(const char *s, size_t n, const float *row, size_t dim, void *user) {
    (void)s, (void)n, (void)row, (void)dim, (void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size, ".bin");
    edl_textclf *c = NULL;
    edl_status s = edl_textclf_load(&c, path);
    fuzz_check(s);
    if (s == EDL_OK) {
        int64_t labels[2];
        float probs[2];
        size_t n;
        fuzz_check(edl_textclf_predict(c, "alpha beta unseen", 17, 2, 0.0f, labels, probs, &n));
        fuzz_check(edl_textclf_subwords(c, "alphaung", 8, on_subword, NULL));
        edl_textclf_free(c);
    }
    edl_wordvec *w = NULL;
    s = edl_wordvec_load(&w, path);
    fuzz_check(s);
    if (s == EDL_OK) {
        float v[1 << 10];
        if (edl_wordvec_dim(w) <= sizeof v / sizeof v[0]) fuzz_check(edl_wordvec_word_vector(w, "alpha", 5, v));
        edl_wordvec_free(w);
    }
    fuzz_read_vectors(path, EDL_VEC_AUTO);
    unlink(path);
    return 0;
}
