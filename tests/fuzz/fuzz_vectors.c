/* Word vectors: word2vec text and binary, GloVe, fastText .vec, and vectors stored as safetensors
   (a vectors file, a classifier's or word-vector model's words, a recommender's rows); the first
   byte picks the format: 0 by content, 1 text, 2 GloVe, 3 binary, 4 safetensors. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const edl_vec_format formats[5] = {EDL_VEC_AUTO, EDL_VEC_TEXT, EDL_VEC_GLOVE, EDL_VEC_BINARY, EDL_VEC_SAFETENSORS};
    const char *path = fuzz_file(data + 1, size - 1, ".vec");
    fuzz_read_vectors(path, formats[data[0] % 5]);
    unlink(path);
    return 0;
}
