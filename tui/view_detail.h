// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_DETAIL_H
#define TWINTOP_VIEW_DETAIL_H
/*
 * The machine detail view (view_detail_entry in view.h): every sensor of the selected machine
 * (value, unit, state, limits, mean and standard deviation over the history) and a history
 * chart of the selected sensor: the last 5 min from engine_history, the last hour and day from
 * the history file's rollups (store_read_rollup_series). Threads: main thread only.
 */
struct screen;

/* Picks the sensor delta rows away. Returns enum screen_result. */
int view_detail_sensor(struct screen *s, int delta);
/* Shows the machine delta places away in the catalog. */
int view_detail_machine(struct screen *s, int delta);
/* Cycles the chart range: last 5 min (the engine's history), last hour (1-minute rollups from
 * the history file), last 24 h (5-minute rollups). */
int view_detail_range(struct screen *s, int delta);
/* Opens the detail view on a machine and sensor (-1: the sensor in the worst limit state, or
 * with the highest anomaly score when one fires; else the first). */
int view_detail_open(struct screen *s, int machine, int sensor);

#endif
