// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_LEADTIME_H
#define TWINTOP_DETECT_LEADTIME_H
/*
 * Fault lead-time bookkeeping for scenarios with known faults (`--scenario faults`): for each
 * fault, its onset, the first anomaly event on its machine at or after onset (which detector),
 * the first limit alarm, and its failure time; lead time = failure - first detection. Also
 * counts anomaly events outside any fault (false alarms). It is an engine sink (events) and a
 * headless extra (JSON members on every status line).
 *
 * Threads: detect_leadtime_on_event runs on the engine thread, detect_leadtime_json on the
 * main thread; an internal mutex covers the shared counters.
 */
#include <stddef.h>
#include <stdint.h>
#include "event.h"

#define DETECT_LEADTIME_MAX 256

struct detect_leadtime;

/* start_ms: the plant clock at simulated second 0. NULL when out of memory. */
struct detect_leadtime *detect_leadtime_create(int64_t start_ms);
void detect_leadtime_free(struct detect_leadtime *lt);

/* Registers a fault before the engine starts. Returns 0, -1 when full. */
int detect_leadtime_add(struct detect_leadtime *lt, int machine, const char *machine_id,
                        const char *fault, double onset_s, double failure_s);

/* engine_sink.on_event */
void detect_leadtime_on_event(void *ctx, const struct event *ev);

/* headless_extra.write: ",\"faults\":{...},\"anomalies\":{...}" */
void detect_leadtime_json(void *ctx, char *out, size_t len);

/* Summary figures for tests and benchmarks. median_lead_frac: the median over faults of
 * lead time / (failure - onset), undetected faults counting 0. */
void detect_leadtime_summary(struct detect_leadtime *lt, int *detected, int *total,
                             double *median_lead_frac, long *false_events);

#endif
