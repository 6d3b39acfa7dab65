// SPDX-License-Identifier: MIT
#ifndef TWINTOP_GLYPH_H
#define TWINTOP_GLYPH_H
/*
 * Glyph sets: every glyph the console draws has a UTF-8 form and an ASCII twin; the set is
 * chosen at run time from the locale (nl_langinfo(CODESET)). Also text fitting by display
 * columns, so that multibyte units ("°C") neither overflow a cell nor break in the middle.
 *
 * Threads: main thread only (the locale is process-wide).
 */
#include <stdbool.h>
#include <stddef.h>

struct glyphs {
    bool utf8;
    const char *bar_full;    /* a filled gauge cell */
    const char *bar_empty;   /* an empty gauge cell */
    const char *bar_part[8]; /* partial last cell, [k] = k/8 filled; [0] is bar_empty */
    const char *level[8];    /* vertical eighths for sparklines and charts, 1/8 .. 8/8 */
    const char *hline, *vline, *corner_ul, *corner_ur, *corner_ll, *corner_lr;
    const char *limit;  /* a limit line in a chart */
    const char *marker; /* the selection marker */
    const char *more_up, *more_down;
    const char *sep; /* a header field separator */
};

/* True when the current LC_CTYPE codeset is UTF-8 (call after setlocale). */
bool glyph_locale_is_utf8(void);
/* The UTF-8 set or its ASCII twin. */
const struct glyphs *glyph_set(bool utf8);

/* Display columns of a UTF-8 (or, in ASCII mode, byte) string. */
int glyph_width(const char *s, bool utf8);
/* Copies at most cols display columns of src into dst (NUL-terminated); in ASCII mode
 * non-ASCII characters become ASCII twins ("°C" -> "C", "m³" -> "m3") and control characters
 * are dropped. Returns the columns written. */
int glyph_fit(const char *src, int cols, bool utf8, char *dst, size_t dstlen);

#endif
