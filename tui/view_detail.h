#ifndef TWINTOP_VIEW_DETAIL_H
#define TWINTOP_VIEW_DETAIL_H
/*
 * The machine detail view: every sensor of the selected machine (value, unit, state, limits,
 * mean and standard deviation over the history) and a history chart of the selected sensor,
 * read with engine_history. Threads: main thread only.
 */
struct screen;

void view_detail_draw(struct screen *s, int top, int height);
/* Picks the sensor delta rows away. Returns enum screen_result. */
int view_detail_sensor(struct screen *s, int delta);
/* Shows the machine delta places away in the catalog. */
int view_detail_machine(struct screen *s, int delta);

#endif
