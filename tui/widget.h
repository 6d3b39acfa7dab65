// SPDX-License-Identifier: MIT
#ifndef TWINTOP_WIDGET_H
#define TWINTOP_WIDGET_H
/*
 * Widgets: text cells, gauges, sparklines, charts and tables. Each draws in the glyph set it is
 * given (UTF-8 block elements or their ASCII twins), so the same call works in both modes.
 * Widgets only write into a window; they never refresh (tui/tui.c owns the frame).
 *
 * Threads: main thread only.
 */
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include "glyph.h"

enum widget_align { WIDGET_LEFT, WIDGET_RIGHT };

/* Writes s fitted into width columns, padded with blanks to the full width. Returns the columns
 * of text written. */
int widget_text(WINDOW *w, int y, int x, int width, enum widget_align align, attr_t a,
                const struct glyphs *g, const char *s);
/* Like widget_text with printf formatting. */
int widget_printf(WINDOW *w, int y, int x, int width, enum widget_align align, attr_t a,
                  const struct glyphs *g, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* A horizontal bar of width cells, filled in proportion to value in [lo, hi] (eighths of a
 * cell in UTF-8 mode). NAN draws an empty bar. */
void widget_gauge(WINDOW *w, int y, int x, int width, double value, double lo, double hi,
                  attr_t bar, attr_t empty, const struct glyphs *g);

/* The newest width of n values (oldest first) as one line of level glyphs scaled to [lo, hi];
 * right-aligned when there are fewer values than cells. NAN values are blank. */
void widget_sparkline(WINDOW *w, int y, int x, int width, const float *values, int n, double lo,
                      double hi, attr_t a, const struct glyphs *g);

/* An area chart of n values (one per column, oldest first, n <= width) in a height x width
 * box, scaled to [lo, hi], with horizontal lines at the given limits (NAN entries skipped). */
void widget_chart(WINDOW *w, int y, int x, int height, int width, const double *values, int n,
                  double lo, double hi, const double *limits, int nlimits, attr_t a,
                  attr_t limit_attr, const struct glyphs *g);

/* A horizontal rule. */
void widget_hline(WINDOW *w, int y, int x, int width, attr_t a, const struct glyphs *g);

/* Formats a reading compactly: "--" for NAN, fewer decimals for larger magnitudes. */
void widget_format_value(double v, char *buf, size_t len);

struct widget_column {
    const char *title;
    int width; /* minimum width; the first column with grow set takes the slack */
    enum widget_align align;
    int priority; /* columns with the highest priority are dropped first; 0 stays */
    bool grow;
    /* set by widget_table_fit */
    bool shown;
    int x, w;
};

/* Chooses the columns that fit into width (one blank between columns) and their positions. */
void widget_table_fit(struct widget_column *cols, int n, int width);
/* Draws one row of cells (cells[i] for column i; NULL is blank). cell_attrs may be NULL or give
 * one attribute per column (0: use a). */
void widget_table_row(WINDOW *w, int y, int x, const struct widget_column *cols, int n,
                      const char *const *cells, attr_t a, const attr_t *cell_attrs,
                      const struct glyphs *g);
/* The header row: the column titles. */
void widget_table_header(WINDOW *w, int y, int x, int width, const struct widget_column *cols,
                         int n, attr_t a, const struct glyphs *g);

#endif
