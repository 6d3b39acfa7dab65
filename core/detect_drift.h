// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_DRIFT_H
#define TWINTOP_DETECT_DRIFT_H
/*
 * EWMA drift detector for slow degradation and level shifts: the gap between a medium EWMA of
 * the value (span drift_span) and a slow EWMA baseline (drift_horizon), measured in units of
 * that gap's own long-run spread. Learning the spread from the gap itself (not from the raw
 * noise) keeps real, autocorrelated signals from reading as drift all the time, which a
 * textbook CUSUM on raw residuals does. While the gap is large the baseline learns four times
 * slower, so a sustained trend keeps a lag that stays flagged, and a step is absorbed after a
 * while. O(1) per sample.
 */
#include "detect_ops.h"

extern const struct detect_ops detect_drift_ops;

#endif
