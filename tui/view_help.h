// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_HELP_H
#define TWINTOP_VIEW_HELP_H
/*
 * The help view: every key binding, straight from the key table, and the views it applies in.
 * Threads: main thread only.
 */
struct screen;

void view_help_draw(struct screen *s, int top, int height);
/* Scrolls by delta rows. Returns enum screen_result. */
int view_help_scroll(struct screen *s, int delta);

#endif
