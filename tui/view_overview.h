// SPDX-License-Identifier: MIT
#ifndef TWINTOP_VIEW_OVERVIEW_H
#define TWINTOP_VIEW_OVERVIEW_H
/*
 * The overview (view_overview_entry in view.h): one tile per machine (id, type, state, the
 * type's tile sensors as gauges, a sparkline, health and anomaly) and the CNC spindle panel.
 * Tiles shrink, then page, to fit the terminal; beyond VIEW_OVERVIEW_ORDERED_MAX machines the
 * ones that need attention come first. Threads: main thread only.
 */
#include <stddef.h>
#include <stdint.h>

struct screen;
struct snapshot_machine;

/* Moves the selection by dx tiles and dy tile rows. Returns enum screen_result. */
int view_overview_move(struct screen *s, int dx, int dy);
/* Turns the page by delta (the selection follows). */
int view_overview_page(struct screen *s, int delta);
/* Selects the first (end = 0) or the last machine. */
int view_overview_jump(struct screen *s, int end);

/* A short label for a sensor name: unit suffix dropped, words abbreviated to fit cols.
 * "discharge_pressure_bar" -> "discharge pressure" or "disc pres". */
void view_overview_sensor_label(const char *name, int cols, char *out, size_t len);

/* Detection and prediction figures, shared with the detail view. */

/* Fused anomaly scores from this level up are "high": the statistic is three times the
 * detector's own threshold (score = a / (a + thr), DETECT_FIRE = 0.5 at a = thr). */
#define VIEW_ANOMALY_HIGH 0.75f

/* THEME_ANOMALY_LOW below DETECT_FIRE (the detectors' own threshold), THEME_ANOMALY_MID from
 * it, THEME_ANOMALY_HIGH from VIEW_ANOMALY_HIGH. */
int view_overview_anomaly_element(float score);
/* "0.49": cut, not rounded, so "0.50" shows only when a detector fires; "--" for NAN. */
void view_overview_format_anomaly(float score, char *buf, size_t len);
/* Remaining life, compactly: "25min", "7.5h", "40h", "3d"; "--" for NAN. */
void view_overview_format_rul(double hours, char *buf, size_t len);

/* The machine's remaining life in hours: 0 once its health index is 0 (a condition sensor at
 * or past its alarm limit: nothing left to extrapolate), else the estimate (NAN: none). */
double view_overview_rul_hours(const struct snapshot_machine *m);

/* The urgency of a 0..100 health figure, for every view that shows one: below VIEW_HEALTH_WARN
 * THEME_WARN, at or below VIEW_HEALTH_ALARM THEME_ALARM, else (and for NAN) the caller's normal
 * element. */
#define VIEW_HEALTH_WARN 50.0f
#define VIEW_HEALTH_ALARM 10.0f
int view_overview_health_element(float health, int normal);

/* The urgency of a remaining-life estimate: THEME_ALARM under VIEW_RUL_ALARM_H hours, THEME_WARN
 * under VIEW_RUL_WARN_H, else THEME_NORMAL; an estimate weaker than VIEW_RUL_CONFIDENT stays
 * THEME_DIM whatever it says (the detail view calls its confidence "low"), as does NAN. */
#define VIEW_RUL_ALARM_H 8.0
#define VIEW_RUL_WARN_H 48.0
#define VIEW_RUL_CONFIDENT 0.3f
int view_overview_rul_element(double hours, float confidence);

/* How urgently a machine needs attention, most urgent first: the order of the fleet list's
 * default sort and of the overview's tiles beyond VIEW_OVERVIEW_ORDERED_MAX machines. A firing
 * detector ranks above a warn limit (it is often the earlier sign), a machine that went silent
 * above a weak health figure; one that never sent anything comes last. */
enum view_attention {
    VIEW_ATTENTION_ALARM,   /* a sensor past its alarm limit */
    VIEW_ATTENTION_ANOMALY, /* a detector fires (fused score at or above DETECT_FIRE) */
    VIEW_ATTENTION_WARN,    /* a sensor past its warn limit */
    VIEW_ATTENTION_STALE,   /* it sent data, then went silent */
    VIEW_ATTENTION_HEALTH,  /* health below VIEW_HEALTH_WARN, or a confident RUL below
                               VIEW_RUL_WARN_H */
    VIEW_ATTENTION_NONE,    /* nothing to look at */
    VIEW_ATTENTION_NO_DATA, /* never sent anything */
};
/* The first ranks up to VIEW_ATTENTION_HEALTH are "abnormal" (the fleet list's a key). */
int view_overview_attention(const struct snapshot_machine *m);
/* "alarm", "anomaly", "warn", "stale", "health", "ok", "no data". */
const char *view_overview_attention_name(int attention);

/* Up to this many machines the overview keeps the catalog's order; beyond it the tiles that need
 * attention come first (then the catalog's order). */
#define VIEW_OVERVIEW_ORDERED_MAX 16

/* A 0..100 health figure: "92", "--" for NAN. */
void view_overview_format_health_value(float health, char *buf, size_t len);

/* Why a machine's health index is unknown. */
enum view_health_status {
    VIEW_HEALTH_KNOWN,
    VIEW_HEALTH_NO_DATA,  /* no samples yet, or stale */
    VIEW_HEALTH_LEARNING, /* the estimator's warm-up: the first half hour of plant time */
    VIEW_HEALTH_NONE      /* still unknown long after the warm-up: no condition sensor */
};
/* The health status of machine i, and its text ("92", "learning", "--", "n/a"). */
int view_overview_health(const struct screen *s, int machine, char *buf, size_t len);

/* The latest firing detection of a machine, remembered after its score falls back. */
struct view_detection {
    char detector[24]; /* "" when the machine has not fired since the console started */
    char reason[160];
    float score;   /* the highest fused score while it fired */
    int64_t ts_ms; /* plant time it was last seen firing */
};
/* Records firing detectors and first-sample times from the current snapshot (both views call
 * it every frame; cheap: one pass over the machines). */
void view_overview_observe(struct screen *s);
/* NULL when machine is out of range. */
const struct view_detection *view_overview_detection(const struct screen *s, int machine);

#endif
