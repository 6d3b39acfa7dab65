// SPDX-License-Identifier: MIT
#ifndef TWINTOP_HEALTH_H
#define TWINTOP_HEALTH_H
/*
 * Predictive maintenance: per-machine health index and remaining useful life (RUL), CNC tool
 * RUL and spindle health, plus the generic RUL regression measured on NASA C-MAPSS.
 *
 * Health index: each condition sensor (one with an alarm limit whose healthy band is narrow
 * compared with its display range; operating variables such as speed or load are left out, and
 * so is the tool, a consumable with its own RUL) is smoothed by a slow EWMA; its degradation is
 * how far that level has moved from its own healthy baseline towards the alarm limit (0 at the
 * baseline, 1 at the limit). Health = 100 x (1 - the worst degradation).
 * RUL: a linear trend of the worst degradation over plant time, fitted by recursive least
 * squares with forgetting; RUL = time until it reaches 1, confidence from the slope's
 * t-statistic. No upward trend: RUL unknown (NAN).
 * Tool RUL: wear against cutting time normalised by Taylor's law (wear rate ~ speed^(1/n) x
 * load^0.5), so the estimate follows changes of cutting conditions; the answer is in cutting
 * minutes at the current conditions, until the wear alarm limit.
 * Spindle health: 100 x (1 - severity) from spindle vibration and temperature against their
 * alarm limits (vibration limits follow ISO 10816-3).
 *
 * All O(1) per sample, no allocation after health_create. Threads: one owner (the engine).
 */
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"

struct health_estimate {
    float health;         /* 0..100, NAN until the baseline is learned */
    double rul_hours;     /* NAN without an upward degradation trend */
    float rul_confidence; /* 0..1 */
    int worst_sensor;     /* sensor with the largest degradation, -1 */
    double tool_rul_min;  /* cutting minutes left at the conditions of recent cutting (a
                             5-minute average over cutting time only: idling does not move it),
                             NAN when no tool or no trend yet */
    float spindle_health; /* 0..100, NAN when the type has no spindle sensors */
};

struct health;

/* The default warm-up: plant seconds of operation that define the healthy baseline. */
#define HEALTH_DEFAULT_WARMUP_S 1800.0

/* warmup_s: plant seconds of operation that define the healthy baseline (0: the default). */
struct health *health_create(const struct catalog_type *t, double warmup_s, char *err,
                             size_t errlen);
void health_free(struct health *h);

/* Feeds one sample (ts_ms: plant time). NaN values are ignored. */
void health_update(struct health *h, int sensor, double value, int64_t ts_ms);

void health_get(const struct health *h, struct health_estimate *out);

/* The old closed-form baselines (DESIGN section 5), kept for comparison only. */
double health_tool_rul_baseline(double runtime_min, double wear_percent, double spindle_rpm);
double health_spindle_baseline(double vibration_mm_s, double temperature_c);

/* Generic RUL regression (ridge) on per-cycle features: what tests/bench/rul_cmapss fits. */
#define HEALTH_MODEL_MAX 96
struct health_model {
    int dims;
    double mean[HEALTH_MODEL_MAX], scale[HEALTH_MODEL_MAX];
    double w[HEALTH_MODEL_MAX + 1]; /* last: intercept */
};

/* Fits y ~ X (n rows of dims values) with ridge penalty lambda on standardised features.
 * Returns 0, or -1 with a message (too many dims, singular system, no memory). */
int health_model_fit(struct health_model *m, const double *x, const double *y, size_t n, int dims,
                     double lambda, char *err, size_t errlen);
double health_model_predict(const struct health_model *m, const double *x);

/* Streaming feature builder for one run-to-failure unit: per input channel an EWMA level and
 * an EWMA slope; features = levels, slopes, age. */
#define HEALTH_TREND_MAX 32
struct health_trend {
    int channels;
    double alpha;
    long age;
    double level[HEALTH_TREND_MAX], slope[HEALTH_TREND_MAX];
};
void health_trend_init(struct health_trend *tr, int channels, double span);
void health_trend_update(struct health_trend *tr, const double *values);
/* Writes 2 x channels + 1 features; returns the count. */
int health_trend_features(const struct health_trend *tr, double *out);

#endif
