/* SVG charts with no dependency: axes with "nice" ticks (linear or log), polylines, legend,
 * vertical marks. Written atomically like every file edl writes. */
#include "../file.h"
#include "../internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W = 760, H = 440, ML = 78, MR = 200, MT = 44, MB = 70 };

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

/* Writes s with XML's special characters escaped. */
static void xml_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, f);
        }
    }
}

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
    if (av != 0 && (av >= 1e5 || av < 1e-3)) snprintf(buf, n, "%.0e", v);
    else snprintf(buf, n, "%g", v);
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

/* The parts every chart has: background, title, grid, ticks, axis titles, caption, frame. */
static void write_frame(FILE *f, const chart *c) {
    const edl_plot_opts *o = c->o;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
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
    if (o->caption) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#666\">", ML, H - 12);
        xml_text(f, o->caption);
        fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", ML, MT, W - ML - MR, H - MT - MB);
}

static edl_status write_chart(FILE *f, void *vc) {
    const chart *c = vc;
    const edl_plot_opts *o = c->o;
    write_frame(f, c);
    /* vertical marks */
    for (size_t k = 0; k < o->nmarks; k++) {
        double v = o->marks[k];
        if (!(v >= c->x.lo && v <= c->x.hi)) continue;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n", px(c, v), MT,
                px(c, v), H - MB);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#555\">", px(c, v) + 3, MT + 12 + 12 * (int)(k % 3));
        xml_text(f, o->mark_labels ? o->mark_labels[k] : "");
        fputs("</text>\n", f);
    }
    /* series */
    for (size_t i = 0; i < c->ns; i++) {
        const edl_plot_series *s = &c->s[i];
        const char *col = palette[i % (sizeof palette / sizeof palette[0])];
        fprintf(f, "<g class=\"series\" stroke=\"%s\" fill=\"%s\">\n<polyline fill=\"none\" stroke-width=\"2\" points=\"", col, col);
        for (size_t k = 0; k < s->n; k++) fprintf(f, "%s%.1f,%.1f", k ? " " : "", px(c, s->x[k]), py(c, s->y[k]));
        fputs("\"/>\n", f);
        for (size_t k = 0; k < s->n; k++) fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", px(c, s->x[k]), py(c, s->y[k]));
        fputs("</g>\n", f);
        double ly = MT + 10 + 20.0 * (double)i;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n", W - MR + 12, ly, W - MR + 32, ly,
                col);
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
    const char *const *group_names;
    size_t ngroups;
    const char *const *labels;
} scatter;

/* Axis-aligned label boxes already placed, for the greedy overlap test. */
typedef struct {
    double x0, y0, x1, y1;
} box;

static edl_status write_scatter(FILE *f, void *vs) {
    const scatter *sc = vs;
    const chart *c = &sc->c;
    write_frame(f, c);
    for (size_t i = 0; i < sc->n; i++) {
        int g = sc->group ? sc->group[i] : 0;
        fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" fill-opacity=\"0.75\"/>\n", px(c, sc->x[i]),
                py(c, sc->y[i]), palette[(size_t)g % (sizeof palette / sizeof palette[0])]);
    }
    if (sc->labels) {
        box *placed = malloc(sc->n * sizeof *placed);
        size_t np = 0;
        fputs("<g font-size=\"10\" fill=\"#222\">\n", f);
        for (size_t i = 0; placed && i < sc->n; i++) {
            if (!sc->labels[i]) continue;
            double w = 6.0 * (double)strlen(sc->labels[i]) + 2, h = 11, cx = px(c, sc->x[i]), cy = py(c, sc->y[i]);
            /* right, left, above, below the dot: the first spot that overlaps nothing placed */
            const double dx[4] = {4, -4 - w, -w / 2, -w / 2}, dy[4] = {-h / 2, -h / 2, -h - 3, 3};
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
    for (size_t g = 0; g < sc->ngroups && sc->group_names; g++) {
        double ly = MT + 10 + 18.0 * (double)g;
        fprintf(f, "<circle cx=\"%d\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n<text x=\"%d\" y=\"%.1f\">", W - MR + 18, ly,
                palette[g % (sizeof palette / sizeof palette[0])], W - MR + 28, ly + 4);
        xml_text(f, sc->group_names[g]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return ferror(f) ? edl__fail(EDL_ERR_IO, "write failed") : EDL_OK;
}

edl_status edl_plot_scatter_svg(const char *path, const edl_plot_opts *o, const float *x,
                                const float *y, size_t n, const int *group,
                                const char *const *group_names, size_t ngroups,
                                const char *const *labels) {
    static const char fn[] = "edl_plot_scatter_svg";
    if (!path || !o || !x || !y || n == 0) return edl__fail(EDL_ERR_ARG, "%s: nothing to draw or an argument is NULL", fn);
    scatter sc = {{o, NULL, 0, {INFINITY, -INFINITY, 0}, {INFINITY, -INFINITY, 0}, 0, 0}, x, y, n, group, group_names, ngroups, labels};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) return edl__fail(EDL_ERR_ARG, "%s: point %zu is not finite", fn, i);
        if (group && (group[i] < 0 || (size_t)group[i] >= (ngroups ? ngroups : 1)))
            return edl__fail(EDL_ERR_INDEX, "%s: point %zu has group %d, out of range [0, %zu)", fn, i, group[i], ngroups);
        sc.c.x.lo = fmin(sc.c.x.lo, x[i]), sc.c.x.hi = fmax(sc.c.x.hi, x[i]);
        sc.c.y.lo = fmin(sc.c.y.lo, y[i]), sc.c.y.hi = fmax(sc.c.y.hi, y[i]);
    }
    nice_range(&sc.c.x, &sc.c.xstep);
    nice_range(&sc.c.y, &sc.c.ystep);
    return edl__write_atomic(path, write_scatter, &sc);
}

edl_status edl_plot_lines_svg(const char *path, const edl_plot_opts *o, const edl_plot_series *s,
                              size_t nseries) {
    static const char fn[] = "edl_plot_lines_svg";
    if (!path || !o || (nseries && !s)) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    chart c = {o, s, nseries, {INFINITY, -INFINITY, o->logx}, {INFINITY, -INFINITY, o->logy}, 0, 0};
    size_t points = 0;
    for (size_t i = 0; i < nseries; i++) {
        if (s[i].n && (!s[i].x || !s[i].y)) return edl__fail(EDL_ERR_ARG, "%s: series %zu has no data", fn, i);
        for (size_t k = 0; k < s[i].n; k++) {
            double x = s[i].x[k], y = s[i].y[k];
            if (!isfinite(x) || !isfinite(y) || (o->logx && x <= 0) || (o->logy && y <= 0))
                return edl__fail(EDL_ERR_ARG, "%s: series %zu point %zu (%g, %g) cannot be drawn on these axes", fn, i, k, x, y);
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
