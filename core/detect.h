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
 * which detector newly fired.
 *
 * Cost per sample: two binary searches and a short memmove in the z-score window, O(1)
 * otherwise. Per completed row (at most one per row_period_ms of plant time): O(d^2) for the
 * residual model; one in forest_every rows, 100 tree walks of 8 steps. A row completes when a
 * sensor repeats or every numeric sensor has reported. Nothing is allocated after
 * detect_machine_create (the forest rebuilds trees in place).
 *
 * Threads: a detect_machine belongs to one thread (the engine thread); no locking inside.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "event.h"

#define DETECT_FIRE 0.5f   /* every detector's own threshold on the 0..1 scale */
#define DETECT_REARM 0.35f /* a fired sensor may emit again once its score fell below this */
#define DETECT_WHY_MAX 120

/* Tunables shared by every sensor of a stack; catalog z_window/z_threshold override the
 * z-score ones per sensor (never below the floors DETECT_Z_WINDOW_MIN/DETECT_Z_THRESHOLD_MIN). */
struct detect_params {
    int z_window;           /* rolling window (samples), >= 30 */
    double z_threshold;     /* |z| at which the z-score fires, >= 3 */
    int warmup;             /* samples before a sensor's detectors may fire */
    int drift_span;         /* samples of the drift detector's level EWMA */
    int drift_horizon;      /* samples of its slow baseline EWMA */
    double drift_threshold; /* gap, in units of its usual spread, at which drift fires */
    int forest_trees;       /* 0 disables the isolation forest */
    int forest_sample;      /* sub-sample size per tree */
    int forest_warmup;      /* rows before the forest is first trained */
    int forest_reservoir;
    int forest_refresh;        /* rows between two single-tree rebuilds */
    double forest_fire;        /* raw forest score (0..1, 0.5 = average) that maps to DETECT_FIRE */
    int hold;                  /* samples after an emission during which a sensor stays quiet; the
                                  detect CLI reports a new high at most once per `hold` rows */
    int calib_warmup;          /* samples during which every detector's threshold self-calibrates on
                                  everything it sees (then on non-firing samples); 0: no calibration */
    int residual;              /* 1: cross-sensor residual model per machine (detect_residual) */
    int residual_span;         /* rows of the drift level EWMA on residuals */
    double residual_threshold; /* drift threshold on residuals */
    int row_period_ms;         /* machine-wide detectors judge at most one row per this much plant
                                  time (0: every row) */
    int forest_every;          /* the forest scores one judged row in this many (1: all) */
};

#define DETECT_Z_WINDOW_MIN 30
#define DETECT_Z_THRESHOLD_MIN 3.0

/* The engine's defaults (plant data at 1-10 Hz, self-calibrating thresholds). */
void detect_params_default(struct detect_params *p);
/* The detect CLI's set: shorter drift time scales, no calibration (the CLI ranks rarity).
 * Chosen once for all seven NAB series (the README). */
void detect_params_csv(struct detect_params *p);

/* Sets one parameter from "name=value" (names as the struct fields: z_window=90).
 * Returns 0, or -1 with what is wrong in err. The stack checks ranges at create. */
int detect_params_set(struct detect_params *p, const char *assignment, char *err, size_t errlen);

/* Configuration of one sensor's detectors, derived from the catalog and detect_params. */
struct detect_sensor_cfg {
    int z_window;
    double z_threshold;
    int warmup;
    double scale_floor; /* smallest spread the detectors believe in (sensor units) */
    int drift_span, drift_horizon;
    double drift_threshold;
    /* Catalog prior for a sensor with no learned normal values yet (a fault present from the
     * start): median and spread of its healthy band; NAN when the catalog has no band. */
    double prior_median, prior_spread;
};

/* The one interface every per-sensor detector implements. State lives in memory the stack
 * sizes with state_size and owns; update must not allocate. */
struct detect_ops {
    const char *name; /* "zscore", "drift": goes into events and the detail view */
    size_t (*state_size)(const struct detect_sensor_cfg *cfg);
    void (*init)(void *state, const struct detect_sensor_cfg *cfg);
    /* Feeds one value; returns the score 0..1 (DETECT_FIRE = fires). NaN values are ignored
     * (score 0). learn false: the value is scored against what was learned so far but does
     * not move the detector's notion of normal (a sample past a catalog warn/alarm limit). */
    float (*update)(void *state, double value, bool learn);
    /* Writes why the last update scored what it did ("z=+5.2 vs median 61.0"). Not on the
     * hot path: called only when an event or the detail view needs it. */
    void (*explain)(const void *state, char *buf, size_t len);
};

/* What one sample did. */
struct detect_result {
    float score;         /* this sensor's fused score 0..1 */
    float machine_score; /* the machine's fused score 0..1 after this sample */
    int detector;        /* index into detect_detector_name of the detector behind score */
    bool emit;           /* this sensor just fired: an anomaly event is due */
    bool emit_machine;   /* the forest just fired on the row this sample completed */
};

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

/* Fills an EVENT_ANOMALY for a sensor that just fired (sensor >= 0) or for the forest
 * (sensor = -1). machine is the catalog index; machine_id the machine's name. */
void detect_machine_event(const struct detect_machine *m, int machine, const char *machine_id,
                          int sensor, int64_t ts_ms, struct event *ev);

/* Detector names by index: 0 "zscore", 1 "drift", 2 "iforest", 3 "residual". */
const char *detect_detector_name(int detector);

#endif
