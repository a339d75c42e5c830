/* Word vectors: word2vec text and binary, GloVe, fastText .vec, and vectors stored as safetensors
   (a vectors file, a classifier's or word-vector model's words, a recommender's rows); the first
   byte picks the format: 0 by content, 1 text, 2 GloVe, 3 binary, 4 safetensors. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const edl_vec_format formats[5] = {EDL_VEC_AUTO, EDL_VEC_TEXT, EDL_VEC_GLOVE, EDL_VEC_BINARY, EDL_VEC_SAFETENSORS};
    const char *path = fuzz_file(data + 1, size - 1, ".vec");
    edl_vectors *v = NULL;
    edl_status s = edl_vectors_read(&v, path, formats[data[0] % 5]);
    fuzz_check(s);
    if (s == EDL_OK && edl_vectors_count(v) > 0) { /* what loads can be queried */
        int64_t ids[3];
        float sims[3];
        size_t n;
        edl_vectors_nearest(v, edl_vectors_row(v, 0), 3, 0, NULL, 0, ids, sims, &n);
    }
    edl_vectors_free(v);
    unlink(path);
    return 0;
}
