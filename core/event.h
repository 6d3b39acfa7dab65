#ifndef TWINTOP_EVENT_H
#define TWINTOP_EVENT_H
/*
 * Events the engine emits for its sinks (store, MQTT publisher, TUI, notify hook): limit
 * transitions, anomaly detections and alarm changes. Plain values, copied into each sink.
 */
#include <stdint.h>
#include "catalog.h"

enum event_kind {
    EVENT_LIMIT = 1,   /* a sensor's limit state changed (ok/warn/alarm) */
    EVENT_ANOMALY = 2, /* a detector fired */
    EVENT_ALARM = 3,   /* an alarm changed state or was acted on */
};

struct event {
    int kind;
    int64_t ts_ms;
    int machine;                   /* catalog index */
    int sensor;                    /* sensor index, -1 for machine-wide */
    char machine_id[CATALOG_NAME_MAX];
    char sensor_name[CATALOG_NAME_MAX];
    char detector[24];             /* "limit", "zscore", "cusum", "iforest", ... */
    double value;
    double score;                  /* 0..1 */
    int state;                     /* limit: enum twin_state; alarm: alarm state */
    int priority;                  /* alarm priority */
    char reason[160];
};

#endif
