/* Writes ROWS x DIM word vectors (words "w0", "w1", ...; values a seeded uniform in [-1, 1]) as
 * edl's safetensors vectors file, for the mapped-model benchmark (bench/mapped.sh).
 * Usage: bench_make_vectors OUT.safetensors ROWS DIM [SEED] */
#include "edl.h"
#include "edl_text.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s OUT.safetensors ROWS DIM [SEED]\n", argv[0]);
        return 2;
    }
    size_t rows = strtoull(argv[2], NULL, 10), dim = strtoull(argv[3], NULL, 10);
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    float *data = malloc(rows * dim * sizeof *data);
    char *text = malloc(rows * 12);
    const char **words = malloc(rows * sizeof *words);
    if (!data || !text || !words) return fprintf(stderr, "no memory\n"), 1;
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    for (size_t i = 0; i < rows * dim; i++) data[i] = 2.0f * edl_rng_uniform(&rng) - 1.0f;
    for (size_t i = 0; i < rows; i++) snprintf(text + 12 * i, 12, "w%zu", i % 100000000), words[i] = text + 12 * i;
    edl_vectors *v = NULL;
    edl_status s = edl_vectors_create(&v, words, data, rows, dim);
    if (s == EDL_OK) s = edl_vectors_write(v, argv[1], EDL_VEC_SAFETENSORS);
    if (s != EDL_OK) fprintf(stderr, "%s\n", edl_last_error());
    edl_vectors_free(v);
    free(data), free(text), free(words);
    return s == EDL_OK ? 0 : 1;
}
