#ifndef TWINTOP_VIEW_OVERVIEW_H
#define TWINTOP_VIEW_OVERVIEW_H
/*
 * The overview: one tile per machine (id, type, state, the type's tile sensors as gauges, a
 * sparkline, health and anomaly) and the CNC spindle panel. Tiles shrink, then page, to fit
 * the terminal. Threads: main thread only.
 */
#include <stddef.h>

struct screen;

void view_overview_draw(struct screen *s, int top, int height);
/* Moves the selection by dx tiles and dy tile rows. Returns enum screen_result. */
int view_overview_move(struct screen *s, int dx, int dy);
/* Turns the page by delta (the selection follows). */
int view_overview_page(struct screen *s, int delta);
/* Selects the first (end = 0) or the last machine. */
int view_overview_jump(struct screen *s, int end);

/* A short label for a sensor name: unit suffix dropped, words abbreviated to fit cols.
 * "discharge_pressure_bar" -> "discharge pressure" or "disc pres". */
void view_overview_sensor_label(const char *name, int cols, char *out, size_t len);

#endif
