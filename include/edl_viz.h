/* edl_viz.h: looking at embeddings. PCA and t-SNE (exact and Barnes-Hut) to two dimensions, and
 * self-contained SVG pictures: scatter plots of points and line charts of training curves.
 *
 * Simple use: edl_pca or edl_tsne on a table's rows, then edl_plot_scatter_svg. Conventions are
 * edl.h's. */
#ifndef EDL_VIZ_H
#define EDL_VIZ_H

#include "edl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Projections ------------------------------------------------------------------------- */

/* PCA of x (n x dim) into out (n x k): the data centred and projected on the k leading
   eigenvectors of its covariance (Jacobi eigendecomposition in double). Each component's sign is
   fixed so its largest loading is positive: the same data always gives the same picture.
   explained (k values, may be NULL) receives each component's share of the variance. A NaN or
   an infinity in x is refused (EDL_ERR_NUMERIC naming its row and column), out untouched. */
edl_status edl_pca(float *out, double *explained, const float *x, size_t n, size_t dim, size_t k);

/* t-SNE (van der Maaten 2008) of x (n x dim) into out (n x 2): Gaussian affinities at the given
   perplexity, Student-t in the map, early exaggeration then momentum gradient descent; seeded.
   Below exact_below points the exact method (O(n^2) time and memory per iteration); from there,
   Barnes-Hut (van der Maaten 2014): affinities over each point's 3 x perplexity nearest
   neighbours, repulsion from a quadtree whose cells are summarised when cell size / distance <
   theta (O(n log n) per iteration). Results do not depend on the thread count. */
typedef struct {
    float perplexity;    /* 30 */
    size_t iterations;   /* 1000, in [1, EDL_TSNE_MAX_ITERATIONS] */
    float learning_rate; /* 200 */
    uint64_t seed;
    float theta;        /* 0.5 (0: always exact) */
    size_t exact_below; /* 2000 */
} edl_tsne_args;
#define EDL_TSNE_MAX_ITERATIONS 100000
void edl_tsne_defaults(edl_tsne_args *a);
edl_status edl_tsne(float *out, const float *x, size_t n, size_t dim, const edl_tsne_args *a);

/* ---- Pictures (SVG) ----------------------------------------------------------------------- */

/* Self-contained SVG (no scripts, no external fonts), written atomically. */
typedef struct {
    const char *name; /* legend text */
    const double *x, *y;
    size_t n;
} edl_plot_series;

typedef struct {
    const char *title, *xlabel, *ylabel, *caption;
    int logx, logy;      /* logarithmic axes (values must be > 0) */
    const double *marks; /* vertical marks at these x (e.g. cache sizes), or NULL */
    const char *const *mark_labels;
    size_t nmarks;
} edl_plot_opts;

/* A line chart: each series a polyline with dots, a legend, axes with ticks and titles. */
edl_status edl_plot_lines_svg(const char *path, const edl_plot_opts *o, const edl_plot_series *s, size_t nseries);
/* A scatter plot of n points: one dot each (class "pt"), coloured by group (group[i] <
   ngroups, or NULL for one colour; 20 distinct colours, repeating past them) with a legend of
   group_names; the points whose label is not NULL are labelled beside their dot, in order,
   skipping a label that would overlap one already placed. Text that is not valid UTF-8 is
   written with U+FFFD in place of the bad bytes. */
edl_status edl_plot_scatter_svg(const char *path, const edl_plot_opts *o, const float *x, const float *y, size_t n,
                                const int *group, const char *const *group_names, size_t ngroups,
                                const char *const *labels);
/* The same, and: group_colours (NULL, or ngroups "#rgb"/"#rrggbb" strings, a NULL entry taking
   the palette's colour; anything else is refused) and highlight (NULL, or n flags: a flagged point is drawn as an outlined
   diamond over the dots, and its label is placed before the others'). */
edl_status edl_plot_scatter_svg_ex(const char *path, const edl_plot_opts *o, const float *x, const float *y, size_t n,
                                   const int *group, const char *const *group_names, const char *const *group_colours,
                                   size_t ngroups, const char *const *labels, const unsigned char *highlight);

#ifdef __cplusplus
}
#endif
#endif /* EDL_VIZ_H */
