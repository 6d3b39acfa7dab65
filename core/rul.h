// SPDX-License-Identifier: MIT
#ifndef TWINTOP_RUL_H
#define TWINTOP_RUL_H
/*
 * Remaining useful life learned from run-to-failure histories (what C-MAPSS measures), used
 * by core/health when a machine has such a model attached.
 *
 * Features of a unit, updated once per step (an engine cycle, a plant minute): per channel
 * Holt's level and slope, plus the unit's age in steps. The model standardises them and adds
 * their squares (a second-order ridge regression), trained on a piecewise-linear target: the
 * steps left until failure, capped (far from failure, wear is invisible). Span, cap and ridge
 * penalty are chosen by an inner cross-validation by unit inside rul_model_fit, never on the
 * data being judged. The interval: quantiles of the inner cross-validation's out-of-fold
 * errors, by band of the predicted RUL (split conformal), so its stated coverage is measured.
 *
 * No allocation after rul_model_fit; rul_features_update and rul_model_predict are O(dims).
 * Threads: a model is read-only after fitting and may be shared; features have one owner.
 */
#include <stddef.h>

#define RUL_CHANNELS_MAX 24
#define RUL_BASE_MAX (2 * RUL_CHANNELS_MAX + 1)
#define RUL_DIMS_MAX (2 * RUL_BASE_MAX)
#define RUL_BANDS 4

/* Ridge regression on standardised features. */
struct rul_ridge {
    int dims;
    double mean[RUL_DIMS_MAX], scale[RUL_DIMS_MAX];
    double w[RUL_DIMS_MAX + 1]; /* last: intercept */
};

/* Fits y ~ x (n rows of dims values) with penalty lambda x n on the standardised weights.
 * Returns 0, or -1 with a message (dims out of 1..RUL_DIMS_MAX, fewer than 2 rows, singular
 * system, no memory). */
int rul_ridge_fit(struct rul_ridge *r, const double *x, const double *y, size_t n, int dims,
                  double lambda, char *err, size_t errlen);
double rul_ridge_predict(const struct rul_ridge *r, const double *x);

/* One unit's streaming features. */
struct rul_features {
    int channels;
    double alpha;
    long age; /* steps seen */
    double level[RUL_CHANNELS_MAX], slope[RUL_CHANNELS_MAX];
};

/* span: the smoothing span in steps (alpha = 2 / (span + 1)); channels beyond
 * RUL_CHANNELS_MAX are ignored. */
void rul_features_init(struct rul_features *f, int channels, double span);
/* One step: values[c] for each channel (no NaN). */
void rul_features_update(struct rul_features *f, const double *values);
/* Writes levels, slopes and age (2 x channels + 1 values); returns the count. */
int rul_features_base(const struct rul_features *f, double *out);

/* One run to failure: steps rows of channels values, oldest first; the last row is the step
 * at which the unit failed (0 steps left). */
struct rul_unit {
    const double *values;
    int steps;
};

struct rul_fit_options {
    double truth_cap; /* errors are judged against min(steps left, truth_cap); 0: 125 */
    int first_step;   /* steps before this one are not judged (too young); 0: 31 */
    double coverage;  /* of the interval; 0: 0.8 */
    int inner_folds;  /* 0: 5 */
};

struct rul_model {
    int channels;
    double span, cap, lambda; /* chosen by the inner cross-validation */
    double inner_rmse;        /* its out-of-fold RMSE, in steps */
    double base_mean[RUL_BASE_MAX], base_scale[RUL_BASE_MAX];
    struct rul_ridge ridge;
    double coverage;                             /* stated coverage of [lo, hi] */
    double err_lo[RUL_BANDS], err_hi[RUL_BANDS]; /* truth - prediction quantiles per band */
};

/* Chooses span, cap and penalty from fixed grids by inner cross-validation by unit (unit i in
 * fold i % inner_folds), fits the chosen setting on all units and calibrates the interval.
 * Returns 0, or -1 with a message (too few units or channels, no memory, singular system). */
int rul_model_fit(struct rul_model *m, const struct rul_unit *units, int n_units, int channels,
                  const struct rul_fit_options *opt, char *err, size_t errlen);

struct rul_prediction {
    double steps;    /* remaining steps, 0..cap; cap means "at least cap" */
    double lo, hi;   /* interval in steps, lo >= 0 */
    double coverage; /* its stated coverage */
};

/* The estimate for features built with the model's span (rul_model_features_init). */
void rul_model_predict(const struct rul_model *m, const struct rul_features *f,
                       struct rul_prediction *out);
void rul_model_features_init(const struct rul_model *m, struct rul_features *f);

#endif
