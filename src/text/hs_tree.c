/* fastText's Huffman tree over counts sorted descending: the two smallest of the leaves not yet
 * joined and the inner nodes made so far, joined until one root is left. */
#include "text/hs_tree.h"

#include "common/internal.h"

#include <stdlib.h>
#include <string.h>

void edl__hs_tree_free(edl__hs_tree *t) {
    free(t->tree), free(t->paths), free(t->codes), free(t->path_off);
    memset(t, 0, sizeof *t);
}

/* fastText gives the inner nodes not yet made a count of 1e15 so the smallest-two search skips
   them; a leaf counted 1e15 times or more (a file can say so) then chose a node not yet made,
   reading and linking past the tree. Here a node not yet made is never chosen, whatever the
   counts: the same tree as fastText's for every count below 1e15. Counts are summed in double
   (no overflow). */
edl_status edl__hs_tree_build(edl__hs_tree *t, const int64_t *counts, size_t n) {
    memset(t, 0, sizeof *t);
    if (n == 0 || n > INT32_MAX / 2) return edl__fail(EDL_ERR_ARG, "hs: %zu leaves (1 to 2^30 make a tree)", n);
    size_t nodes = 2 * n - 1;
    t->n = n;
    t->tree = malloc(nodes * sizeof *t->tree);
    t->path_off = malloc((n + 1) * sizeof *t->path_off);
    if (!t->tree || !t->path_off) {
        edl__hs_tree_free(t);
        return edl__fail(EDL_ERR_NOMEM, "no memory for a tree of %zu leaves", n);
    }
    for (size_t i = 0; i < nodes; i++) t->tree[i] = (edl__hs_node){-1, -1, -1, 0, 1e15};
    for (size_t i = 0; i < n; i++) t->tree[i].count = (double)counts[i];
    int64_t leaf = (int64_t)n - 1, node = (int64_t)n;
    for (size_t i = n; i < nodes; i++) {
        int64_t mini[2];
        for (int j = 0; j < 2; j++)
            mini[j] = leaf >= 0 && ((size_t)node >= i || t->tree[leaf].count < t->tree[node].count) ? leaf-- : node++;
        t->tree[i].left = (int32_t)mini[0], t->tree[i].right = (int32_t)mini[1];
        t->tree[i].count = t->tree[mini[0]].count + t->tree[mini[1]].count;
        t->tree[mini[0]].parent = t->tree[mini[1]].parent = (int32_t)i;
        t->tree[mini[1]].binary = 1;
    }
    size_t total = 0, depth = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = 0;
        for (int32_t j = (int32_t)i; t->tree[j].parent != -1; j = t->tree[j].parent) d++;
        total += d, depth = d > depth ? d : depth;
    }
    t->depth = depth;
    t->paths = malloc((total ? total : 1) * sizeof *t->paths);
    t->codes = malloc(total ? total : 1);
    if (!t->paths || !t->codes) {
        edl__hs_tree_free(t);
        return edl__fail(EDL_ERR_NOMEM, "no memory for a tree of %zu leaves", n);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        t->path_off[i] = k;
        for (int32_t j = (int32_t)i; t->tree[j].parent != -1; j = t->tree[j].parent) {
            t->paths[k] = t->tree[j].parent - (int32_t)n; /* the output row of the inner node */
            t->codes[k++] = t->tree[j].binary;
        }
    }
    t->path_off[n] = k;
    return EDL_OK;
}
