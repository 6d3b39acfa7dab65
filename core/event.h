// SPDX-License-Identifier: MIT
#ifndef TWINTOP_EVENT_H
#define TWINTOP_EVENT_H
/*
 * Events the engine emits for its sinks (store, MQTT publisher, TUI, notify hook): limit
 * transitions, anomaly detections and alarm changes. Plain values, copied into each sink.
 */
#include <stdint.h>
#include <stddef.h>

#include "catalog.h"

struct sample;

/* A machine's or sensor's state as the engine judges it from limits and data age. */
enum twin_state { TWIN_OK = 0, TWIN_WARN = 1, TWIN_ALARM = 2, TWIN_STALE = 3 };

enum event_kind {
    EVENT_LIMIT = 1,   /* a sensor's limit state changed (ok/warn/alarm) */
    EVENT_ANOMALY = 2, /* a detector fired */
    EVENT_ALARM = 3,   /* an alarm changed state or was acted on */
    EVENT_MAINT = 4,   /* a maintenance plan entry changed or was done (core/maint.h) */
    EVENT_STATUS = 5,  /* a machine's status once a plant minute: state, health, RUL */
};

/* EVENT_MAINT: detector holds the change ("recommend", "escalate", "update", "clear", "done"),
 * priority the urgency (0 low .. 3 critical), sensor_name the evidence sensor, reason the
 * evidence sentence (or the note of "done"). EVENT_STATUS: state is enum maint_status, value the
 * health, score the anomaly score, rul_hours the RUL. Times are plant ms; 0: unknown. */
struct event_maint {
    char fault[CATALOG_NAME_MAX];
    char component[CATALOG_NAME_MAX];
    char action[16];
    double rul_hours;
    int64_t first_ms, due_ms, due_lo_ms, due_hi_ms;
    char who[64];  /* "done": the operator */
    char host[64]; /* "done": the SSH client address, "" when local */
};

struct event {
    int kind;
    int64_t ts_ms;
    int machine; /* catalog index */
    int sensor;  /* sensor index, -1 for machine-wide */
    char machine_id[CATALOG_NAME_MAX];
    char sensor_name[CATALOG_NAME_MAX];
    char detector[24]; /* "limit", "zscore", "cusum", "iforest", ... */
    double value;
    double score; /* 0..1 */
    int state;    /* limit: enum twin_state; alarm: alarm state */
    int priority; /* alarm priority */
    char reason[160];
    struct event_maint maint; /* EVENT_MAINT and EVENT_STATUS only */
};

/* A consumer of the engine's output (store, publisher, alarm manager, notify hook), called on the
 * engine thread; registered with engine_add_sink. */
struct engine_sink {
    void *ctx;
    /* Every sample the engine processed, in batches, in queue order. May be NULL. */
    void (*on_samples)(void *ctx, const struct sample *samples, size_t n);
    /* Every event. May be NULL. */
    void (*on_event)(void *ctx, const struct event *ev);
};

#endif
