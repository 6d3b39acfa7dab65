// SPDX-License-Identifier: MIT
/* Widgets: text cells, gauges, sparklines, charts and tables. */
#include "widget.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int widget_text(WINDOW *w, int y, int x, int width, enum widget_align align, attr_t a,
                const struct glyphs *g, const char *s)
{
    char buf[1024];
    if (width <= 0)
        return 0;
    int cols = glyph_fit(s, width, g->utf8, buf, sizeof buf);
    int pad = width - cols;
    wattrset(w, a);
    wmove(w, y, x);
    if (align == WIDGET_RIGHT)
        for (int i = 0; i < pad; i++)
            waddch(w, ' ');
    waddstr(w, buf);
    if (align == WIDGET_LEFT)
        for (int i = 0; i < pad; i++)
            waddch(w, ' ');
    return cols;
}

int widget_printf(WINDOW *w, int y, int x, int width, enum widget_align align, attr_t a,
                  const struct glyphs *g, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return widget_text(w, y, x, width, align, a, g, buf);
}

static double clamp01(double f)
{
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

void widget_gauge(WINDOW *w, int y, int x, int width, double value, double lo, double hi,
                  attr_t bar, attr_t empty, const struct glyphs *g)
{
    if (width <= 0)
        return;
    double f = (isnan(value) || !(hi > lo)) ? 0 : clamp01((value - lo) / (hi - lo));
    int eighths = (int)lround(f * width * 8);
    int full = eighths / 8, part = eighths % 8;
    /* At least a sliver for any positive reading, so "low" and "no data" differ. */
    if (!isnan(value) && eighths == 0 && value > lo)
        part = 1;
    wmove(w, y, x);
    wattrset(w, bar);
    for (int i = 0; i < full; i++)
        waddstr(w, g->bar_full);
    int rest = width - full;
    if (rest > 0 && part > 0) {
        /* The ASCII twin has no partial cells worth drawing below half a cell. */
        wattrset(w, g->utf8 || part >= 4 ? bar : empty);
        waddstr(w, g->bar_part[part]);
        rest--;
    }
    wattrset(w, empty);
    for (int i = 0; i < rest; i++)
        waddstr(w, g->bar_empty);
}

void widget_sparkline(WINDOW *w, int y, int x, int width, const float *values, int n, double lo,
                      double hi, attr_t a, const struct glyphs *g)
{
    if (width <= 0)
        return;
    int shown = n < width ? n : width;
    int first = n - shown;
    wattrset(w, a);
    wmove(w, y, x);
    for (int i = 0; i < width - shown; i++)
        waddch(w, ' ');
    for (int i = 0; i < shown; i++) {
        double v = values[first + i];
        if (isnan(v)) {
            waddch(w, ' ');
            continue;
        }
        double f = hi > lo ? clamp01((v - lo) / (hi - lo)) : 0.5;
        int level = (int)lround(f * 7);
        waddstr(w, g->level[level]);
    }
}

void widget_chart(WINDOW *w, int y, int x, int height, int width, const double *values, int n,
                  double lo, double hi, const double *limits, int nlimits, attr_t a,
                  attr_t limit_attr, const struct glyphs *g)
{
    if (height <= 0 || width <= 0)
        return;
    if (n > width)
        n = width;
    int offset = width - n; /* newest at the right edge */
    for (int col = 0; col < width; col++) {
        int i = col - offset;
        double v = i >= 0 ? values[i] : NAN;
        int eighths = -1;
        if (!isnan(v))
            eighths = (int)lround((hi > lo ? clamp01((v - lo) / (hi - lo)) : 0.5) * height * 8);
        for (int row = 0; row < height; row++) {
            int cell_bottom = (height - 1 - row) * 8; /* eighths below this cell */
            int fill = eighths - cell_bottom;
            wmove(w, y + row, x + col);
            if (eighths >= 0 && fill >= 8) {
                wattrset(w, a);
                waddstr(w, g->level[7]);
            } else if (eighths >= 0 && fill > 0) {
                wattrset(w, a);
                waddstr(w, g->level[fill - 1]);
            } else if (eighths >= 0 && row == height - 1 && fill <= 0) {
                wattrset(w, a);
                waddstr(w, g->level[0]); /* the floor: a reading at or below lo still shows */
            } else {
                bool on_limit = false;
                for (int k = 0; k < nlimits && !on_limit; k++) {
                    if (isnan(limits[k]) || !(hi > lo) || limits[k] < lo || limits[k] > hi)
                        continue;
                    int lrow = height - 1 - (int)((limits[k] - lo) / (hi - lo) * (height - 1e-9));
                    on_limit = lrow == row;
                }
                wattrset(w, on_limit ? limit_attr : A_NORMAL);
                waddstr(w, on_limit ? g->limit : " ");
            }
        }
    }
}

void widget_hline(WINDOW *w, int y, int x, int width, attr_t a, const struct glyphs *g)
{
    wattrset(w, a);
    wmove(w, y, x);
    for (int i = 0; i < width; i++)
        waddstr(w, g->hline);
}

void widget_format_value(double v, char *buf, size_t len)
{
    double m = fabs(v);
    if (isnan(v))
        snprintf(buf, len, "--");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else if (m >= 1e6)
        snprintf(buf, len, "%.3g", v);
    else if (m >= 100 || v == 0)
        snprintf(buf, len, "%.0f", v);
    else if (m >= 10)
        snprintf(buf, len, "%.1f", v);
    else if (m >= 0.01)
        snprintf(buf, len, "%.2f", v);
    else
        snprintf(buf, len, "%.2g", v);
}

void widget_table_fit(struct widget_column *cols, int n, int width)
{
    for (int i = 0; i < n; i++)
        cols[i].shown = true;
    for (;;) {
        int need = -1, worst = -1;
        for (int i = 0; i < n; i++) {
            if (!cols[i].shown)
                continue;
            need += cols[i].width + 1;
            if (cols[i].priority > 0 && (worst < 0 || cols[i].priority >= cols[worst].priority))
                worst = i;
        }
        if (need <= width || worst < 0)
            break;
        cols[worst].shown = false;
    }
    int used = -1, grow = -1;
    for (int i = 0; i < n; i++) {
        if (!cols[i].shown)
            continue;
        used += cols[i].width + 1;
        if (cols[i].grow && grow < 0)
            grow = i;
    }
    int slack = width > used ? width - used : 0;
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!cols[i].shown)
            continue;
        cols[i].x = x;
        cols[i].w = cols[i].width + (i == grow ? slack : 0);
        if (x + cols[i].w > width)
            cols[i].w = width - x > 0 ? width - x : 0;
        x += cols[i].w + 1;
    }
}

void widget_table_row(WINDOW *w, int y, int x, const struct widget_column *cols, int n,
                      const char *const *cells, attr_t a, const attr_t *cell_attrs,
                      const struct glyphs *g)
{
    for (int i = 0; i < n; i++) {
        if (!cols[i].shown || cols[i].w <= 0)
            continue;
        attr_t ca = cell_attrs && cell_attrs[i] ? cell_attrs[i] : a;
        widget_text(w, y, x + cols[i].x, cols[i].w, cols[i].align, ca, g, cells[i] ? cells[i] : "");
        /* the gap belongs to the row, so a selected row is one unbroken bar */
        int next = i + 1;
        while (next < n && !cols[next].shown)
            next++;
        if (next < n) {
            wattrset(w, a);
            mvwaddch(w, y, x + cols[i].x + cols[i].w, ' ');
        }
    }
}

void widget_table_header(WINDOW *w, int y, int x, int width, const struct widget_column *cols,
                         int n, attr_t a, const struct glyphs *g)
{
    widget_text(w, y, x, width, WIDGET_LEFT, a, g, "");
    for (int i = 0; i < n; i++)
        if (cols[i].shown && cols[i].w > 0)
            widget_text(w, y, x + cols[i].x, cols[i].w, cols[i].align, a, g, cols[i].title);
}
