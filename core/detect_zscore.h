// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_ZSCORE_H
#define TWINTOP_DETECT_ZSCORE_H
/*
 * Robust rolling z-score: z = (x - median) / spread over the previous z_window values, the
 * spread being the inter-quartile range / 1.349 (a MAD-like robust sigma read off the sorted
 * window in O(1)), floored so that a flat signal does not turn noise into alarms.
 * The current value is scored before it joins the window, so a spike cannot hide itself.
 * Cost per sample: two binary searches and a memmove within the window.
 */
#include "detect_ops.h"

extern const struct detect_ops detect_zscore_ops;

#endif
