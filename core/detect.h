// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_H
#define TWINTOP_DETECT_H
/*
 * Streaming anomaly detection: the per-machine detector stack.
 *
 * Per sensor the stack runs a list of detectors behind one interface (struct detect_ops):
 * a robust rolling z-score (detect_zscore) and an EWMA drift detector (detect_drift).
 * Per machine it runs an isolation forest (iforest) over the vector of the machine's latest
 * sensor values, and a cross-sensor residual model (detect_residual) whose per-sensor residuals
 * are watched by drift detectors. Every detector reports a score in 0..1 where DETECT_FIRE (0.5) is
 * its own threshold; the fused score of a sensor is the largest of its detectors' scores and the
 * machine's is the largest of its sensors' and the forest's, so "which detector fired" is
 * always the one behind the number shown.
 *
 * Each detector's threshold self-calibrates on a window of assumed normal operation (see
 * calib_warmup in detect.c), and each detector of a sensor latches on its own, so an event says
 * which detector newly fired. A machine's reports within episode_quiet_ms of its previous one are
 * one event (detect_result.merged), so one physical change seen by several sensors is one event.
 *
 * Cost per sample: two binary searches and a short memmove in the z-score window, O(1)
 * otherwise. Per completed row (at most one per row_period_ms of plant time): O(d^2) for the
 * residual model; one in forest_every rows, 100 tree walks of 8 steps. A row completes when a
 * sensor repeats or every numeric sensor has reported. Nothing is allocated per sample: the
 * forest's reservoir grows (doubling) as it fills and its trees are allocated once, at the end of
 * its warm-up, then rebuilt in place; so a young machine costs what it holds.
 *
 * Threads: a detect_machine belongs to one thread (the engine thread); no locking inside.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "detect_ops.h"
#include "event.h"

struct detect_machine;

/* Builds the stack for a machine of type t (numeric sensors only; text channels are ignored).
 * p may be NULL for detect_params_default. seed makes the forest reproducible.
 * NULL with a message in err on bad parameters or out of memory. */
struct detect_machine *detect_machine_create(const struct catalog_type *t,
                                             const struct detect_params *p, uint64_t seed,
                                             char *err, size_t errlen);
void detect_machine_free(struct detect_machine *m);

/* Feeds one sample. A row of the forest completes when a sensor repeats or when every numeric
 * sensor has reported; then the forest scores it. out may be NULL. Sensors past the stack's
 * size (learned later) are ignored. */
void detect_machine_update(struct detect_machine *m, int sensor, double value, int64_t ts_ms,
                           struct detect_result *out);

/* Marks a sensor as past a warn or alarm limit (the engine's limit state) or back within them;
 * sticky until changed, false at creation. Samples of a marked sensor are scored but teach
 * nothing: not the detectors' windows and baselines, not their calibration, not the residual
 * model, and a row holding a marked sensor does not train the forest. They are also exempt from
 * the calibration window's quiet clamp (the limits already say they are not normal operation). */
void detect_machine_set_abnormal(struct detect_machine *m, int sensor, bool abnormal);

/* Scores now: the machine's fused score, one sensor's fused score, the forest's mapped score. */
float detect_machine_score(const struct detect_machine *m);
float detect_machine_sensor_score(const struct detect_machine *m, int sensor);
float detect_machine_forest_score(const struct detect_machine *m);

/* Each detector's last score for one sensor, in detect_detector_name order; the forest's
 * (machine-wide) comes last. Returns the count written (at most max). */
int detect_machine_detector_scores(const struct detect_machine *m, int sensor, float *out, int max);

/* Name of the detector behind the machine's score ("" when below DETECT_FIRE), and why. */
const char *detect_machine_detector(const struct detect_machine *m);
void detect_machine_reason(const struct detect_machine *m, char *buf, size_t len);
/* Sensor index behind the machine score, -1 for the forest. */
int detect_machine_top_sensor(const struct detect_machine *m);
/* The process monitor's score 0..1 (0 while it trains or is off), and the sensors that contribute
 * most to the last row's departure, largest first (indexes and shares 0..1); returns the count. */
float detect_machine_pca_score(const struct detect_machine *m);
bool detect_machine_pca_ready(const struct detect_machine *m);
/* Warming up: the sensor's detectors (any numeric sensor's, for the machine) have seen fewer
 * samples than their warm-up, so a score of 0 means "not judged yet", not "normal". */
bool detect_machine_sensor_warming(const struct detect_machine *m, int sensor);
bool detect_machine_warming(const struct detect_machine *m);
int detect_machine_pca_top(const struct detect_machine *m, int *sensor, float *share, int max);

/* Fills an EVENT_ANOMALY for a sensor that just fired (sensor >= 0) or for the forest
 * (sensor = -1). machine is the catalog index; machine_id the machine's name. */
void detect_machine_event(const struct detect_machine *m, int machine, const char *machine_id,
                          int sensor, int64_t ts_ms, struct event *ev);

/* Detector names by index: 0 "zscore", 1 "drift", 2 "iforest", 3 "residual". */
const char *detect_detector_name(int detector);

#endif
