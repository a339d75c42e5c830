/* safetensors and the model metadata: every loader that reads edl's model files, and the same
   file read as word vectors. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size, ".safetensors");
    edl_model *m = NULL;
    edl_status s = edl_model_load(&m, path);
    fuzz_check(s);
    if (s == EDL_OK) { /* a model that loads must describe and predict */
        char buf[1 << 14];
        edl_model_summary(m, buf, sizeof buf);
        edl_model_spec(m, buf, sizeof buf);
    }
    edl_model_free(m);
    edl_recommender *r = NULL;
    fuzz_check(edl_rec_load(&r, path));
    if (r) {
        int64_t items[4];
        float sc[4];
        size_t n;
        edl_rec_topk(r, 1, 4, 1, items, sc, &n);
        edl_rec_similar(r, 1, 4, items, sc, &n);
    }
    edl_rec_free(r);
    edl_textclf *c = NULL;
    fuzz_check(edl_textclf_load(&c, path));
    if (c) {
        int64_t lab[2];
        float p[2];
        size_t n;
        edl_textclf_predict(c, "a b c", 5, 2, 0.0f, lab, p, &n);
    }
    edl_textclf_free(c);
    edl_wordvec *w = NULL;
    fuzz_check(edl_wordvec_load(&w, path));
    if (w) {
        float v[4096];
        if (edl_wordvec_dim(w) <= 4096) edl_wordvec_word_vector(w, "word", 4, v);
    }
    edl_wordvec_free(w);
    fuzz_read_vectors(path, EDL_VEC_SAFETENSORS);
    unlink(path);
    return 0;
}
