/* fastText's Huffman tree for hierarchical softmax, over any counts (a classifier's labels, a
   word-vector model's words): leaf i's path of inner nodes (output rows) and the branch taken at
   each. Not installed. */
#ifndef EDL__TEXT_HS_TREE_H
#define EDL__TEXT_HS_TREE_H

#include "edl.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t parent, left, right;
    uint8_t binary;
    double count;
} edl__hs_node;

typedef struct {
    edl__hs_node *tree; /* 2n - 1 nodes: the n leaves, then the inner nodes */
    int32_t *paths;     /* leaf i's path: output rows paths[path_off[i] .. path_off[i+1]) */
    uint8_t *codes;     /* and the branch taken at each */
    size_t *path_off;
    size_t n, depth; /* leaves, and the deepest leaf's path length */
} edl__hs_tree;

/* counts: n >= 1 leaves, most frequent first (as fastText sorts its dictionary). */
edl_status edl__hs_tree_build(edl__hs_tree *t, const int64_t *counts, size_t n);
void edl__hs_tree_free(edl__hs_tree *t);

#endif
