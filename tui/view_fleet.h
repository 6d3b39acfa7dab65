// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_FLEET_H
#define TWINTOP_VIEW_FLEET_H
/*
 * The fleet list (view_fleet_entry in view.h, key 2), htop-style: one row per machine with id,
 * type, area/line, state, the worst sensor with its value and unit, anomaly, health, RUL and
 * how long ago it was last seen. Sorted by one column (< > pick it, I inverts; by default the
 * machines that need attention first, view_overview_attention), searched with / (n: the next
 * match), filtered with \ (id/type/area/line globs and state words: "alarm", "warn stale"),
 * a toggles abnormal machines only, g groups the rows by area under a heading each; Enter
 * opens the detail view of the selected machine.
 *
 * Cost: the row order is rebuilt only when a new snapshot or a new setting arrives (one pass
 * and a sort over the machines); a frame formats and draws only the rows that fit.
 * The key functions have the key table's signature. Threads: main thread only.
 */

struct screen;

/* Moves the selection by delta rows; +-100000: the first or last row. */
int view_fleet_move(struct screen *s, int delta);
/* Sorts by the sortable column delta places to the right (< is -1, > is +1). */
int view_fleet_sort(struct screen *s, int delta);
/* Inverts the sort order. */
int view_fleet_invert(struct screen *s, int arg);
/* Asks for a search term and selects the next machine whose id, type, area or line matches. */
int view_fleet_search(struct screen *s, int arg);
/* The next match of the last search term, wrapping. */
int view_fleet_search_next(struct screen *s, int arg);
/* Asks for a filter (empty: none). */
int view_fleet_filter(struct screen *s, int arg);
/* Shows only the machines that need attention, or all again. */
int view_fleet_abnormal(struct screen *s, int arg);
/* Groups the rows by area, or stops. */
int view_fleet_group(struct screen *s, int arg);
/* Enter: the detail view of the selected machine. */
int view_fleet_open(struct screen *s, int arg);

#endif
