// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_H
#define TWINTOP_VIEW_H
/*
 * The console's views. Each is one const struct view_entry, defined in its own file
 * (view_overview.c, view_fleet.c, view_detail.c, view_alarms.c, view_help.c); view.c lists them in
 * the one table that the loop (tui.c), the key table and the help screen read, as tmux's cmd.c
 * lists its commands. The frame around a view's body (header, banner, status line, function keys)
 * belongs to tui.c.
 *
 * Threads: main thread only.
 */
#include <stdbool.h>
#include "key_binding.h"

struct screen;

/* The table's order is the order of the keys that select them (F1 help, F2 1 overview, 2 fleet,
 * F3 3 alarms, F4 detail, 4 plan) in the help screen. */
enum view_id {
    VIEW_HELP,
    VIEW_OVERVIEW,
    VIEW_FLEET,
    VIEW_ALARMS,
    VIEW_DETAIL,
    VIEW_PLAN,
    VIEW_COUNT
};

/* The view the console starts in and Esc leads back to. */
#define VIEW_HOME VIEW_OVERVIEW

struct view_entry {
    const char *name; /* "overview": as the help screen names it */
    /* The keys that select the view (the key table dispatches and lists them first). */
    struct key_binding select;
    const char *hint; /* shown in the status line when there is no message */
    /* Draws the body: rows [top, top + height) of stdscr, all columns. */
    void (*draw)(struct screen *s, int top, int height);
    /* Keys the key table leaves unbound here; returns enum screen_result, or -1 when unused.
     * May be NULL. */
    int (*key)(struct screen *s, int key);
    int wheel_up, wheel_down; /* the keys the mouse wheel stands for */
    int click_selected;       /* the key a click on the selected machine stands for; 0: none */
    bool no_return;           /* Esc from a view opened here goes home instead */
};

extern const struct view_entry view_help_entry;
extern const struct view_entry view_overview_entry;
extern const struct view_entry view_fleet_entry;
extern const struct view_entry view_alarms_entry;
extern const struct view_entry view_detail_entry;
extern const struct view_entry view_plan_entry;

/* Indexed by enum view_id. */
extern const struct view_entry *const view_table[VIEW_COUNT];

/* Switches to a view; back_view remembers where Esc returns to. */
void view_set(struct screen *s, int view);
/* For key bindings: switches to the view given as arg. Returns SCREEN_REDRAW. */
int view_select(struct screen *s, int view);
/* Esc: back to the view this one was opened from (home after a no_return view). */
int view_back(struct screen *s, int arg);

#endif
