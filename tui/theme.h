// SPDX-License-Identifier: MIT
#ifndef TWINTOP_THEME_H
#define TWINTOP_THEME_H
/*
 * Colour themes, loaded from files in themes/ (NAME.theme). One line per screen element:
 *
 *     # comment
 *     element = fg, bg, attrs
 *
 * fg and bg: default, black, red, green, yellow, blue, magenta, cyan, white, bright<colour>
 * (brightred ...), or a number 0-255; "A/B" means A when the terminal has enough colours,
 * else B (e.g. 208/yellow). attrs: normal, bold, dim, reverse, underline, standout, blink,
 * italic, joined with '|'. bg and attrs may be left out. Elements a file does not name keep
 * the built-in default. A malformed file is refused with "FILE:LINE: what is wrong".
 *
 * Parsing (theme_parse, theme_load) touches no terminal, so tests can run it anywhere;
 * theme_apply runs after start_color on the main thread.
 */
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

enum theme_element {
    THEME_NORMAL,
    THEME_HEADER,
    THEME_BANNER,
    THEME_BANNER_ALARM,
    THEME_STATUS,
    THEME_STATUS_ERROR,
    THEME_FKEY,
    THEME_FLABEL,
    THEME_TITLE,
    THEME_SELECTED,
    THEME_OK,
    THEME_WARN,
    THEME_ALARM,
    THEME_STALE,
    THEME_BAR_OK,
    THEME_BAR_WARN,
    THEME_BAR_ALARM,
    THEME_BAR_STALE,
    THEME_BAR_EMPTY,
    THEME_SPARK,
    THEME_CHART,
    THEME_LIMIT,
    THEME_LABEL,
    THEME_UNIT,
    THEME_DIM,
    THEME_TABLE_HEADER,
    THEME_HELP_KEY,
    THEME_UNACK,
    THEME_ANOMALY_LOW,  /* fused anomaly score below the detectors' own threshold */
    THEME_ANOMALY_MID,  /* at or above it (a detector fires) */
    THEME_ANOMALY_HIGH, /* far above it */
    THEME_COUNT
};

#define THEME_COLOR_DEFAULT (-1)
#define THEME_COLOR_NONE (-2) /* no fallback given */

enum theme_attr_bits {
    THEME_A_BOLD = 1u << 0,
    THEME_A_DIM = 1u << 1,
    THEME_A_REVERSE = 1u << 2,
    THEME_A_UNDERLINE = 1u << 3,
    THEME_A_STANDOUT = 1u << 4,
    THEME_A_BLINK = 1u << 5,
    THEME_A_ITALIC = 1u << 6,
};

struct theme_style {
    short fg, bg;         /* colour numbers, THEME_COLOR_DEFAULT for the terminal's own */
    short fg_alt, bg_alt; /* fallbacks for terminals with fewer colours, or THEME_COLOR_NONE */
    unsigned attrs;       /* enum theme_attr_bits */
};

struct theme {
    char name[128];
    struct theme_style style[THEME_COUNT];
    attr_t attr[THEME_COUNT]; /* filled by theme_apply: what widgets pass to attrset */
};

/* The built-in theme (the same as themes/default.theme). */
void theme_defaults(struct theme *t);
/* The built-in monochrome theme (the same as themes/mono.theme): attributes only. */
void theme_defaults_mono(struct theme *t);
/* Parses a theme text over t's current styles. name is used in messages. 0 or -1 with
 * "NAME:LINE: what is wrong" in err. */
int theme_parse(struct theme *t, const char *text, const char *name, char *err, size_t errlen);
/* Reads and parses a file over the built-in defaults. 0 or -1 with "FILE:LINE: ..." or
 * "FILE: cannot open: ..." in err. */
int theme_load(struct theme *t, const char *path, char *err, size_t errlen);
/* Where theme NAME lives: NAME itself when it contains a '/', else DIR/NAME.theme. */
void theme_path(const char *themes_dir, const char *name, char *out, size_t len);

/* Element names as written in theme files; -1 when unknown. */
const char *theme_element_name(int element);
int theme_element_find(const char *name);

/* Sets up colour pairs (use_color) and fills t->attr. Call after initscr/start_color. */
void theme_apply(struct theme *t, bool use_color);

#endif
