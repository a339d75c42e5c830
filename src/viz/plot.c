/* SVG charts with no dependency: axes with "nice" ticks (linear or log), polylines, legend,
 * vertical marks. Written atomically like every file edl writes. */
#include "io/file.h"
#include "common/internal.h"
#include "common/utf8.h"
#include "edl_viz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W = 760, H = 440, ML = 78, MR = 200, MT = 44, MB = 70 };

/* Twenty colours told apart at a glance (no greys: callers keep those for catch-all groups). */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                                      "#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
                                      "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#f7b6d2"};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* The length of the valid UTF-8 character at s (1 to 4 bytes, n readable), or 0 when it is not
   one (see edl__utf8_decode); U+FFFE and U+FFFF, which XML does not allow, are not one either. */
static size_t xml_char_len(const unsigned char *s, size_t n) {
    uint32_t cp;
    size_t k = edl__utf8_decode(s, n, &cp);
    return k && cp != 0xFFFE && cp != 0xFFFF ? k : 0;
}

/* Writes s as XML text: special characters escaped, control characters dropped, and each byte
   that is not part of valid UTF-8 (a latin-1 word, say) replaced by U+FFFD, so any word makes a
   well-formed file. */
static void xml_textn(FILE *f, const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s, *end = u + len;
    while (u && u < end && *u) {
        size_t n = xml_char_len(u, (size_t)(end - u));
        if (n == 0)
            fputs("\xef\xbf\xbd", f), n = 1;
        else if (*u == '<')
            fputs("&lt;", f);
        else if (*u == '>')
            fputs("&gt;", f);
        else if (*u == '&')
            fputs("&amp;", f);
        else if (*u == '"')
            fputs("&quot;", f);
        else if (*u >= 0x20 || *u == '\t')
            fwrite(u, 1, n, f);
        u += n;
    }
}

static void xml_text(FILE *f, const char *s) { xml_textn(f, s, s ? strlen(s) : 0); }

typedef struct {
    double lo, hi;
    int log;
} axis;

static double to_unit(const axis *a, double v) {
    if (a->log) return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    return (v - a->lo) / (a->hi - a->lo);
}

/* Widens [lo, hi] to round numbers: decades on a log axis, 1-2-5 steps on a linear one. */
static void nice_range(axis *a, double *step) {
    if (a->log) {
        a->lo = pow(10, floor(log10(a->lo)));
        a->hi = pow(10, ceil(log10(a->hi)));
        if (a->hi <= a->lo) a->hi = a->lo * 10;
        *step = 10;
        return;
    }
    if (a->hi <= a->lo) a->hi = a->lo + 1;
    double raw = (a->hi - a->lo) / 6, mag = pow(10, floor(log10(raw))), f = raw / mag;
    *step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    a->lo = floor(a->lo / *step) * *step;
    a->hi = ceil(a->hi / *step) * *step;
}

static void tick_label(char *buf, size_t n, double v) {
    double av = fabs(v);
    if (av != 0 && (av >= 1e5 || av < 1e-3))
        snprintf(buf, n, "%.0e", v);
    else
        snprintf(buf, n, "%g", v);
}

typedef struct {
    const edl_plot_opts *o;
    const edl_plot_series *s;
    size_t ns;
    axis x, y;
    double xstep, ystep;
} chart;

static double px(const chart *c, double v) { return ML + to_unit(&c->x, v) * (W - ML - MR); }
static double py(const chart *c, double v) { return H - MB - to_unit(&c->y, v) * (H - MT - MB); }

/* The caption under the chart: one line, or two when it is longer than the chart is wide (about
   120 characters), broken after the last "; " (or space) that fits. */
static void write_caption(FILE *f, const char *s) {
    enum { LINE = 120 };
    size_t len = strlen(s), cut = len;
    if (len > LINE) {
        cut = 0;
        for (size_t i = 0; i + 1 < LINE; i++)
            if (s[i] == ';' && s[i + 1] == ' ') cut = i + 2;
        for (size_t i = 0; !cut && i < LINE; i++)
            if (s[i] == ' ') cut = i + 1;
        if (!cut) cut = LINE;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80) cut--; /* not inside a character */
    }
    for (int line = 0; line < 2; line++) {
        const char *t = line ? s + cut : s;
        size_t n = line ? len - cut : cut;
        if (!n) continue;
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#666\">", ML, H - (cut < len && !line ? 22 : 10));
        xml_textn(f, t, n);
        fputs("</text>\n", f);
    }
}

/* The parts every chart has: background, title, grid, ticks, axis titles, caption, frame. */
static void write_frame(FILE *f, const chart *c) {
    const edl_plot_opts *o = c->o;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    fputs("<text x=\"", f);
    fprintf(f, "%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">", ML);
    xml_text(f, o->title);
    fputs("</text>\n<g stroke=\"#ddd\">\n", f);
    char lab[32];
    for (double v = c->x.lo; v <= c->x.hi * (1 + 1e-9) + 1e-12; v = c->x.log ? v * c->xstep : v + c->xstep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", px(c, v), MT, px(c, v), H - MB);
    for (double v = c->y.lo; v <= c->y.hi * (1 + 1e-9) + 1e-12; v = c->y.log ? v * c->ystep : v + c->ystep)
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", ML, py(c, v), W - MR, py(c, v));
    fputs("</g>\n<g fill=\"#333\">\n", f);
    for (double v = c->x.lo; v <= c->x.hi * (1 + 1e-9) + 1e-12; v = c->x.log ? v * c->xstep : v + c->xstep) {
        tick_label(lab, sizeof lab, fabs(v) < 1e-12 * c->xstep ? 0 : v);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px(c, v), H - MB + 16, lab);
    }
    for (double v = c->y.lo; v <= c->y.hi * (1 + 1e-9) + 1e-12; v = c->y.log ? v * c->ystep : v + c->ystep) {
        tick_label(lab, sizeof lab, fabs(v) < 1e-12 * c->ystep ? 0 : v);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 6, py(c, v) + 4, lab);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (ML + W - MR) / 2, H - MB + 36);
    xml_text(f, o->xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(18 %d) rotate(-90)\" text-anchor=\"middle\">", (MT + H - MB) / 2);
    xml_text(f, o->ylabel);
    fputs("</text>\n", f);
    if (o->caption) write_caption(f, o->caption);
    fputs("</g>\n", f);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", ML, MT,
            W - ML - MR, H - MT - MB);
}

static edl_status write_chart(FILE *f, void *vc) {
    const chart *c = vc;
    const edl_plot_opts *o = c->o;
    write_frame(f, c);
    /* vertical marks */
    for (size_t k = 0; k < o->nmarks; k++) {
        double v = o->marks[k];
        if (!(v >= c->x.lo && v <= c->x.hi)) continue;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n",
                px(c, v), MT, px(c, v), H - MB);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#555\">", px(c, v) + 3,
                MT + 12 + 12 * (int)(k % 3));
        xml_text(f, o->mark_labels ? o->mark_labels[k] : "");
        fputs("</text>\n", f);
    }
    /* series */
    for (size_t i = 0; i < c->ns; i++) {
        const edl_plot_series *s = &c->s[i];
        const char *col = palette[i % NPALETTE];
        fprintf(f,
                "<g class=\"series\" stroke=\"%s\" fill=\"%s\">\n<polyline fill=\"none\" stroke-width=\"2\" points=\"",
                col, col);
        for (size_t k = 0; k < s->n; k++) fprintf(f, "%s%.1f,%.1f", k ? " " : "", px(c, s->x[k]), py(c, s->y[k]));
        fputs("\"/>\n", f);
        for (size_t k = 0; k < s->n; k++)
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", px(c, s->x[k]), py(c, s->y[k]));
        fputs("</g>\n", f);
        double ly = MT + 10 + 20.0 * (double)i;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                W - MR + 12, ly, W - MR + 32, ly, col);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\">", W - MR + 38, ly + 4);
        xml_text(f, s->name);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return ferror(f) ? edl__fail(EDL_ERR_IO, "write failed") : EDL_OK;
}

typedef struct {
    chart c;
    const float *x, *y;
    size_t n;
    const int *group;
    const char *const *group_names, *const *group_colours;
    size_t ngroups;
    const char *const *labels;
    const unsigned char *highlight;
} scatter;

static const char *group_colour(const scatter *sc, size_t g) {
    return sc->group_colours && sc->group_colours[g] ? sc->group_colours[g] : palette[g % NPALETTE];
}

static int highlighted(const scatter *sc, size_t i) { return sc->highlight && sc->highlight[i]; }

/* Axis-aligned label boxes already placed, for the greedy overlap test. */
typedef struct {
    double x0, y0, x1, y1;
} box;

static edl_status write_scatter(FILE *f, void *vs) {
    const scatter *sc = vs;
    const chart *c = &sc->c;
    write_frame(f, c);
    /* dots, then the highlighted points as outlined diamonds on top of them */
    for (int top = 0; top < 2; top++)
        for (size_t i = 0; i < sc->n; i++) {
            if (highlighted(sc, i) != top) continue;
            const char *col = group_colour(sc, sc->group ? (size_t)sc->group[i] : 0);
            double cx = px(c, sc->x[i]), cy = py(c, sc->y[i]);
            if (top)
                fprintf(f, "<path class=\"pt\" d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"%s\" stroke=\"#000\"/>\n", cx,
                        cy - 6, col);
            else
                fprintf(f,
                        "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" fill-opacity=\"0.75\"/>\n",
                        cx, cy, col);
        }
    if (sc->labels) {
        box *placed = malloc(sc->n * sizeof *placed);
        size_t np = 0;
        /* a white halo keeps a label legible over the dots */
        fputs("<g font-size=\"10\" fill=\"#222\" stroke=\"#fff\" stroke-width=\"2.5\" stroke-opacity=\"0.8\" "
              "paint-order=\"stroke\">\n",
              f);
        /* the highlighted points' labels are placed first: they are never the ones skipped */
        for (size_t pass = 0; placed && pass < 2 * sc->n; pass++) {
            size_t i = pass % sc->n;
            if (!sc->labels[i] || highlighted(sc, i) != (pass < sc->n)) continue;
            double w = 6.0 * (double)strlen(sc->labels[i]) + 2, h = 11, cx = px(c, sc->x[i]), cy = py(c, sc->y[i]);
            double gap = highlighted(sc, i) ? 8 : 4; /* clear of a diamond too */
            /* right, left, above, below the dot: the first spot that overlaps nothing placed */
            const double dx[4] = {gap, -gap - w, -w / 2, -w / 2}, dy[4] = {-h / 2, -h / 2, -h - gap + 1, gap - 1};
            for (int k = 0; k < 4; k++) {
                box b = {cx + dx[k], cy + dy[k], cx + dx[k] + w, cy + dy[k] + h};
                int clash = b.x0 < ML || b.x1 > W - MR || b.y0 < MT || b.y1 > H - MB;
                for (size_t j = 0; !clash && j < np; j++)
                    clash = b.x0 < placed[j].x1 && placed[j].x0 < b.x1 && b.y0 < placed[j].y1 && placed[j].y0 < b.y1;
                if (clash) continue;
                placed[np++] = b;
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", b.x0 + 1, b.y1 - 2);
                xml_text(f, sc->labels[i]);
                fputs("</text>\n", f);
                break;
            }
        }
        fputs("</g>\n", f);
        free(placed);
    }
    /* the legend: 18 px a group, closer when many would run past the bottom */
    double step = sc->ngroups ? fmin(18.0, (double)(H - MT - 30) / (double)sc->ngroups) : 18.0;
    for (size_t g = 0; g < sc->ngroups && sc->group_names; g++) {
        double ly = MT + 10 + step * (double)g;
        fprintf(f, "<circle cx=\"%d\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n<text x=\"%d\" y=\"%.1f\">", W - MR + 18, ly,
                group_colour(sc, g), W - MR + 28, ly + 4);
        xml_text(f, sc->group_names[g]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return ferror(f) ? edl__fail(EDL_ERR_IO, "write failed") : EDL_OK;
}

/* "#rgb" or "#rrggbb": what may go into a fill attribute. */
static int is_colour(const char *s) {
    size_t n = strlen(s);
    if (s[0] != '#' || (n != 4 && n != 7)) return 0;
    for (size_t i = 1; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i])) return 0;
    return 1;
}

edl_status edl_plot_scatter_svg(const char *path, const edl_plot_opts *o, const float *x, const float *y, size_t n,
                                const int *group, const char *const *group_names, size_t ngroups,
                                const char *const *labels) {
    return edl_plot_scatter_svg_ex(path, o, x, y, n, group, group_names, NULL, ngroups, labels, NULL);
}

edl_status edl_plot_scatter_svg_ex(const char *path, const edl_plot_opts *o, const float *x, const float *y, size_t n,
                                   const int *group, const char *const *group_names, const char *const *group_colours,
                                   size_t ngroups, const char *const *labels, const unsigned char *highlight) {
    static const char fn[] = "edl_plot_scatter_svg";
    if (!path || !o || !x || !y || n == 0)
        return edl__fail(EDL_ERR_ARG, "%s: nothing to draw or an argument is NULL", fn);
    for (size_t g = 0; group_colours && g < ngroups; g++)
        if (group_colours[g] && !is_colour(group_colours[g]))
            return edl__fail(EDL_ERR_ARG, "%s: group %zu's colour '%.16s' is not #rgb or #rrggbb", fn, g,
                             group_colours[g]);
    scatter sc = {{o, NULL, 0, {INFINITY, -INFINITY, 0}, {INFINITY, -INFINITY, 0}, 0, 0},
                  x,
                  y,
                  n,
                  group,
                  group_names,
                  group_colours,
                  ngroups,
                  labels,
                  highlight};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) return edl__fail(EDL_ERR_ARG, "%s: point %zu is not finite", fn, i);
        if (group && (group[i] < 0 || (size_t)group[i] >= (ngroups ? ngroups : 1)))
            return edl__fail(EDL_ERR_INDEX, "%s: point %zu has group %d, out of range [0, %zu)", fn, i, group[i],
                             ngroups);
        sc.c.x.lo = fmin(sc.c.x.lo, x[i]), sc.c.x.hi = fmax(sc.c.x.hi, x[i]);
        sc.c.y.lo = fmin(sc.c.y.lo, y[i]), sc.c.y.hi = fmax(sc.c.y.hi, y[i]);
    }
    nice_range(&sc.c.x, &sc.c.xstep);
    nice_range(&sc.c.y, &sc.c.ystep);
    return edl__write_atomic(path, write_scatter, &sc);
}

edl_status edl_plot_lines_svg(const char *path, const edl_plot_opts *o, const edl_plot_series *s, size_t nseries) {
    static const char fn[] = "edl_plot_lines_svg";
    if (!path || !o || (nseries && !s)) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    chart c = {o, s, nseries, {INFINITY, -INFINITY, o->logx}, {INFINITY, -INFINITY, o->logy}, 0, 0};
    size_t points = 0;
    for (size_t i = 0; i < nseries; i++) {
        if (s[i].n && (!s[i].x || !s[i].y)) return edl__fail(EDL_ERR_ARG, "%s: series %zu has no data", fn, i);
        for (size_t k = 0; k < s[i].n; k++) {
            double x = s[i].x[k], y = s[i].y[k];
            if (!isfinite(x) || !isfinite(y) || (o->logx && x <= 0) || (o->logy && y <= 0))
                return edl__fail(EDL_ERR_ARG, "%s: series %zu point %zu (%g, %g) cannot be drawn on these axes", fn, i,
                                 k, x, y);
            c.x.lo = fmin(c.x.lo, x), c.x.hi = fmax(c.x.hi, x), c.y.lo = fmin(c.y.lo, y), c.y.hi = fmax(c.y.hi, y);
            points++;
        }
    }
    if (!points) return edl__fail(EDL_ERR_ARG, "%s: nothing to draw", fn);
    if (!o->logy && c.y.lo > 0) c.y.lo = 0;
    nice_range(&c.x, &c.xstep);
    nice_range(&c.y, &c.ystep);
    return edl__write_atomic(path, write_chart, &c);
}
