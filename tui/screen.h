// SPDX-License-Identifier: MIT
#ifndef TWINTOP_SCREEN_H
#define TWINTOP_SCREEN_H
/*
 * The state the views and key handlers share (struct screen: the snapshot, the selection, the
 * status line, the click targets of the last frame) and the helpers they call. The loop and the
 * frame that own it are tui.c's (tui_run); only tui.c's frame and screen_prompt call doupdate;
 * views and widgets only draw into stdscr.
 *
 * Threads: main thread only. The snapshot is a private copy taken with engine_snapshot.
 */
#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include "engine.h"
#include "glyph.h"
#include "theme.h"
#include "context.h"

#define SCREEN_POLL_MAX_MS 250   /* the stop flag is looked at least this often */
#define SCREEN_READ_ERRORS_MAX 5 /* the terminal is gone after this many empty reads in a row */

/* What a key handler asks of the loop. */
enum screen_result {
    SCREEN_NOTHING = 0,
    SCREEN_REDRAW = 1 << 0,
    SCREEN_QUIT = 1 << 1,
};

/* A clickable region of the last frame, registered by whoever drew it. */
enum screen_hit_kind { SCREEN_HIT_MACHINE, SCREEN_HIT_SENSOR, SCREEN_HIT_KEY, SCREEN_HIT_ROW };

struct screen_hit {
    int y, x, h, w;
    int kind;  /* enum screen_hit_kind */
    int value; /* machine index, sensor index, key code or list row */
};

struct store_reader;

struct screen {
    struct tui_context *ctx;
    struct snapshot *snap; /* the newest copy */
    uint64_t snap_seq;
    int machines; /* machines shown: both in the snapshot and the catalog */
    int cnc;      /* the machine with a "spindle.rpm" sensor, -1 when none */
    const struct glyphs *g;
    struct theme theme;
    bool color;
    int rows, cols;
    int view, back_view; /* enum view_id */
    int selected;        /* selected machine index */
    int sensor;          /* detail view: selected sensor index */
    int scroll;          /* help and list views: first row shown */
    /* overview layout of the last frame, for keys that move by rows and pages */
    int grid_cols, per_page, page, pages;
    char right_info[48]; /* shown at the right of the status line ("page 1/3") */
    char status[256];
    int status_element; /* THEME_STATUS or THEME_STATUS_ERROR */
    int64_t status_until_ms;
    struct screen_hit *hits;
    int hit_count, hit_cap;
    double *hist_values; /* detail chart history buffers */
    int64_t *hist_ts;
    size_t hist_cap;
    int chart_range;                   /* detail chart: 0 last 5 min, 1 last hour, 2 last 24 h */
    struct store_reader *history;      /* the history file, opened for the 1 h / 24 h charts */
    char history_error[160];           /* why it could not be opened ("" before trying) */
    void (*repaint)(struct screen *s); /* draws the whole frame (tui.c), for screen_prompt */
};

/* The attribute of a theme element. */
attr_t screen_attr(const struct screen *s, int element);
/* THEME_OK / WARN / ALARM / STALE for a twin state, and the bar element for it. */
int screen_state_element(int state);
int screen_bar_element(int state);
/* The catalog type of machine i (never NULL for i < s->machines). */
const struct catalog_type *screen_type(const struct screen *s, int machine);
const char *screen_machine_id(const struct screen *s, int machine);
/* A time on screen, in the one zone every view uses (local, or UTC with --utc): with zone, the
 * full date, time and zone name (the header); without, the time, and the date before it when
 * it is not the plant clock's day. */
void screen_format_time(const struct screen *s, int64_t ts_ms, bool with_zone, char *buf,
                        size_t len);

/* Shows a message in the status line for a few seconds. */
void screen_status(struct screen *s, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Registers a clickable region of the frame being drawn. */
void screen_hit_add(struct screen *s, int y, int x, int h, int w, int kind, int value);

/* Asks a question in the status line and reads a line of text (for confirmations, durations,
 * reasons). Returns 0 with the answer, or -1 when cancelled with Esc or when stopping. */
int screen_prompt(struct screen *s, const char *question, char *answer, size_t len);
/* Asks a yes/no question answered by one key, no Enter. Returns true only for y or Y; any
 * other key, Esc or stopping answers no. */
bool screen_confirm(struct screen *s, const char *question);

#endif
