// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_H
#define TWINTOP_VIEW_H
/*
 * The console's views as one table: name, title, how to draw the body, and a handler for keys
 * the key table does not bind in that view (a view's own text entry, for instance).
 * The frame around the body (header, banner, status line, function keys) belongs to screen.c.
 *
 * Threads: main thread only.
 */
#include <curses.h>

struct screen;

enum view_id { VIEW_OVERVIEW, VIEW_DETAIL, VIEW_ALARMS, VIEW_HELP, VIEW_COUNT };

struct view {
    const char *name; /* "overview": as the help screen names it */
    const char *hint; /* shown in the status line when there is no message */
    /* Draws the body: rows [top, top + height) of stdscr, all columns. */
    void (*draw)(struct screen *s, int top, int height);
    /* Keys the key table leaves unbound here; returns enum screen_result, or -1 when unused.
     * May be NULL. */
    int (*key)(struct screen *s, int key);
};

extern const struct view view_table[VIEW_COUNT];

#endif
