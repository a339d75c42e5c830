/* Product quantization, as fastText's quantize makes it: a vector of dim values cut into nsubq
 * sub-vectors of dsub values (the last of lastdsub), each replaced by the nearest of 256
 * centroids learned by k-means, so a row costs nsubq bytes. Not installed. */
#ifndef EDL__PQ_H
#define EDL__PQ_H

#include "common/internal.h"

typedef struct {
    int32_t dim, nsubq, dsub, lastdsub;
    float *centroids; /* dim x 256: sub-quantizer j's centroid k at (j * 256 + k) * dsub (the last's at
                         j * 256 * dsub + k * lastdsub) */
} edl__pq;

/* Learns the centroids from n rows x[n][dim] (n >= 256): at most 65,536 rows a sub-quantizer,
   sampled with seed; 25 rounds of k-means from 256 sampled rows; an emptied centroid takes half of
   the largest cluster. */
edl_status edl__pq_train(edl__pq *pq, int32_t dim, int32_t dsub, const float *x, size_t n, uint64_t seed);
/* codes[i * nsubq + j]: the nearest centroid to row i's sub-vector j. */
void edl__pq_encode(const edl__pq *pq, const float *x, size_t n, uint8_t *codes);
void edl__pq_free(edl__pq *pq);
/* As edl__pq_train and edl__pq_encode, with the nearest centroid found as the least
   |c|^2 - 2 x.c over all 256 in vector loops: several times faster, the same centroids but for
   the rounding of near ties. edl's quantized tables (model/qtable.c) use these; fastText's
   quantize keeps the exact arithmetic of fastText's. */
edl_status edl__pq_train_fast(edl__pq *pq, int32_t dim, int32_t dsub, const float *x, size_t n, uint64_t seed);
edl_status edl__pq_encode_fast(const edl__pq *pq, const float *x, size_t n, uint8_t *codes);

#endif
