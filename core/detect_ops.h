// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_OPS_H
#define TWINTOP_DETECT_OPS_H
/*
 * The detector interface: the parameters every detector reads and the operations each one
 * implements (struct detect_ops), shared by the stack (detect.h) and every detect_*.c, so that
 * a detector does not depend on the stack that runs it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "detect_pca.h"

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
    int residual_refit;        /* rows between refits of the cross-sensor model (0: never) */
    int residual_confirm_span; /* rows of the short EWMA that must confirm a residual drift (0:
                                  off): how soon a residual stops counting once it is gone */
    int row_period_ms;         /* machine-wide detectors judge at most one row per this much plant
                                  time (0: every row) */
    int forest_every;          /* the forest scores one judged row in this many (1: all) */
    int pca;                   /* 1: the multivariate process monitor (detect_pca) runs */
    int pca_emit; /* 1: its firings are events and drive the machine's score (engine; no --param) */
    int episode_quiet_ms; /* a report within this much plant time of the machine's previous one
                             is the same event: merged, not emitted (0: off) */
    struct detect_pca_params pca_p; /* its parameters (names pca_lags, pca_train_rows, ...) */
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
    int drift_confirm_span; /* > 0: a drift counts only while an EWMA this short confirms it */
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
    bool merged;         /* a report was due but fell inside the machine's open episode */
    bool merged_machine; /* ... and it was the forest's (machine-level), not this sensor's */
};

#endif
