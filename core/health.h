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
 * t-statistic. No upward trend: RUL unknown. Its 80 % interval scales (RUL + 0.5 h) by the
 * 10th and 90th percentile of (truth + 0.5 h) / (estimate + 0.5 h) over the simulator's faults
 * (tests/bench/rul_faults measures its coverage, also leaving each fault out).
 * With a learned model attached (health_set_rul_model, core/rul: trained on run-to-failure
 * histories such as C-MAPSS), the RUL and its interval come from that model instead.
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
#include "rul.h"

struct health_estimate {
    float health;                      /* 0..100, NAN until the baseline is learned */
    double rul_hours;                  /* NAN without an upward degradation trend */
    float rul_confidence;              /* 0..1 */
    double rul_lo_hours, rul_hi_hours; /* interval around rul_hours, NAN without one */
    float rul_coverage;                /* the interval's stated coverage (0.8), 0 without one */
    int worst_sensor;                  /* sensor with the largest degradation, -1 */
    double tool_rul_min;  /* cutting minutes left at the conditions of recent cutting (a
                             5-minute average over cutting time only: idling does not move it),
                             NAN when no tool or no trend yet */
    float spindle_health; /* 0..100, NAN when the type has no spindle sensors */
};

struct health;

/* The offset of the trend interval's ratios: half an hour, the trend's memory. */
#define HEALTH_RUL_OFFSET_H 0.5

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

/* Attaches a learned RUL model (core/rul; it must outlive h): sensors[c] is the sensor that
 * feeds the model's channel c, and one model step lasts step_s plant seconds. A step closes
 * when a sample of a later step arrives; health_get also counts the step still open. From
 * then on rul_hours and its interval come from the model. Returns 0, or -1 with a message
 * (a sensor out of range, too many channels, step_s not positive). */
int health_set_rul_model(struct health *h, const struct rul_model *m, const int *sensors,
                         double step_s, char *err, size_t errlen);

#endif
