// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_RESIDUAL_H
#define TWINTOP_DETECT_RESIDUAL_H
/*
 * Cross-sensor residuals: each sensor predicted from all the machine's other sensors by a linear
 * model (the Gaussian conditional mean, read off the inverse of their covariance), so that what
 * operation explains (speed, load, the pump affinity laws) drops out and what it does not (flow
 * falling at the same speed, a temperature rising at the same load) stands out. The model is
 * fitted on the calibration window of normal operation and refitted now and then from rows the
 * stack judged normal (exponentially forgotten sums). Per row: O(d^2); a fit: O(d^3).
 * Output: per sensor the standardised residual (about N(0,1) on normal rows).
 * Threads: one owner.
 */
#include <stdbool.h>

struct detect_residual;

/* dims: sensors in the row (1..64); fit_rows: rows before the first fit; refit_rows: rows
 * between refits (0: never); memory_rows: once fitted, the sums forget with this time constant
 * (0: never). NULL when out of memory or an argument is out of range. */
struct detect_residual *detect_residual_create(int dims, int fit_rows, int refit_rows,
                                               int memory_rows);
void detect_residual_free(struct detect_residual *r);

/* Feeds one complete row; normal says whether the detectors found it ordinary (it may then
 * refine a fitted model); learn false (a sensor past a catalog limit) keeps it out of the fit
 * entirely. Writes the standardised
 * residual of every sensor into z (NAN while no model is fitted or for NaN inputs) and returns
 * true when z holds residuals. */
bool detect_residual_row(struct detect_residual *r, const double *x, bool normal, bool learn,
                         double *z);

#endif
