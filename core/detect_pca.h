// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_PCA_H
#define TWINTOP_DETECT_PCA_H
/*
 * The multivariate process monitor: a dynamic PCA (each row joined with its `lags` previous
 * rows) fitted on normal operation, judging every later row by Hotelling's T^2 inside the model
 * and the squared prediction error (SPE, Q) off it, each in units of its control limit at the
 * false-alarm rate `alpha` (chi-square for T^2, Jackson-Mudholkar for Q). The larger of the two,
 * smoothed over `smooth` rows (an EWMA: persistent faults stand out of the noise), is calibrated
 * on rows of normal operation the model did not fit (the calibration rows that follow the fit),
 * so the score is a tail probability of the stream's own behaviour: score 0.5 at probability
 * alpha, 1.0 at alpha^2. A row that scores below 0.5 updates the model's means and covariance
 * recursively (forgetting factor `forget`, refit every `refit` rows), so slow normal change is
 * learned and a fault is not. Nothing latches: the score of each row is that row's.
 *
 * Events name the sensors that contribute most (detect_pca_top): a sensor's share of T^2 + SPE,
 * summed over its lags.
 *
 * Cost per row: O(D k) for the projection (D = sensors x (lags + 1), k retained components) and
 * O(D^2) for the recursive covariance update of a normal row; a refit is a Jacobi eigen
 * decomposition, O(D^3), once per `refit` rows. Memory: about 16 D^2 bytes, allocated at create.
 * Threads: one owner thread; no locking inside.
 */
#include <stdbool.h>
#include <stddef.h>

#define DETECT_PCA_SENSORS_MAX 64
#define DETECT_PCA_LAGS_MAX 4

struct detect_pca_params {
    int lags;        /* previous rows joined to each row (0: static PCA), 0..DETECT_PCA_LAGS_MAX */
    int train_rows;  /* complete rows of normal operation before the first fit, >= 20 */
    int calib_rows;  /* rows after the fit that calibrate the score (assumed normal), >= 20 */
    double var_kept; /* share of the variance the retained components explain, 0.5..0.999 */
    double alpha;    /* false-alarm probability per row at score 0.5, 1e-6..0.2 */
    int smooth;      /* EWMA span of the combined index in rows (1: none) */
    int refit;       /* normal rows between two refits from the recursive statistics (0: never) */
    double forget;   /* recursive statistics' memory in rows (0: grow without forgetting) */
};

void detect_pca_params_default(struct detect_pca_params *p);

struct detect_pca;

/* A monitor for rows of `sensors` values. NULL with the reason in err on bad parameters or out
 * of memory. */
struct detect_pca *detect_pca_create(int sensors, const struct detect_pca_params *p, char *err,
                                     size_t errlen);
void detect_pca_free(struct detect_pca *m);

/* Feeds one row (NaN: missing, the sensor's last value stands in). learn false: the row is judged
 * but teaches nothing (a row known abnormal). Returns the row's score 0..1; 0 until the model is
 * fitted and calibrated (detect_pca_ready). */
float detect_pca_update(struct detect_pca *m, const double *row, bool learn);

/* Ends training now (a reference run ended) when at least 20 rows were seen: fits on what was
 * learned. The calibration rows still follow. */
void detect_pca_fit_now(struct detect_pca *m);

bool detect_pca_ready(const struct detect_pca *m);
/* The last row's T^2 and SPE in units of their control limits, and the retained components. */
double detect_pca_t2(const struct detect_pca *m);
double detect_pca_spe(const struct detect_pca *m);
int detect_pca_components(const struct detect_pca *m);

/* The sensors that contribute most to the last row's departure, largest first: their indexes and
 * shares (0..1 of the total). Returns the count written (at most max). */
int detect_pca_top(const struct detect_pca *m, int *sensor, float *share, int max);

#endif
