// SPDX-License-Identifier: MIT
#ifndef TWINTOP_ENGINE_H
#define TWINTOP_ENGINE_H
/*
 * The twin engine: one thread that drains the ingest queue, owns the twin state of every
 * machine (last values, ring-buffer histories, rolling statistics, limit states, detectors,
 * alarms) and publishes read-only snapshots for the UI and headless printer.
 *
 * Threads: engine_* functions are called from the main thread. Twin state is touched only by
 * the engine thread while it holds the state lock; engine_snapshot and engine_history copy
 * under that lock. Sinks are called on the engine thread and must not block (they copy into
 * their own queues).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "event.h"
#include "queue.h"
#include "sample.h"

#define SNAPSHOT_SPARK_LEN 64

struct snapshot_sensor {
    double value;
    int64_t ts_ms;                 /* last sample time, 0 when none yet */
    uint8_t state;                 /* enum twin_state of this sensor's limits */
    float anomaly;                 /* fused anomaly score 0..1 */
    double mean, stddev, min, max; /* over the ring history */
    char text[SAMPLE_TEXT_MAX];
};

struct snapshot_machine {
    int state;            /* worst of the sensors, or TWIN_STALE */
    float anomaly;        /* fused machine anomaly score 0..1 */
    float health;         /* 0..100, NAN when unknown */
    double rul_hours;     /* remaining useful life estimate, NAN when unknown */
    float rul_confidence; /* 0..1 */
    double tool_rul_min;  /* CNC: cutting minutes left on the tool, NAN when none/unknown */
    float spindle_health; /* CNC: 0..100, NAN when the type has no spindle */
    char detector[24];    /* the detector behind the anomaly score, "" when quiet */
    char reason[160];
    float pca;     /* the process monitor's score 0..1 (0 while it trains) */
    int pca_top_n; /* its largest contributors to the last row: sensor indexes, shares 0..1 */
    int pca_top[3];
    float pca_share[3];
    int64_t last_ts_ms;
    uint64_t samples;
    uint64_t alarms_raised; /* limit alarms entered */
    /* The catalog machine's area and line ("" when none): they point into the catalog, whose
     * entries never move (core/catalog.h), so the copy stays valid as long as the catalog. */
    const char *area, *line;
    int sensor_count;
    struct snapshot_sensor *sensors; /* sensor_count of them (room for sensor_cap) */
    int sensor_cap;
    uint64_t changed_seq; /* the publication (seq) that last changed this machine */
    int spark_len;
    float spark[SNAPSHOT_SPARK_LEN]; /* recent values of the first tile sensor, oldest first */
};

struct snapshot {
    uint64_t seq;         /* increases with every publication */
    uint64_t changed_seq; /* the newest publication that changed a machine */
    char mode[16];        /* "DEMO", "MQTT", "REPLAY" */
    int64_t sim_time_ms;  /* the plant clock: newest sample time */
    double speed;         /* simulated seconds per wall second (0: max) */
    double samples_per_s; /* over the last wall second */
    uint64_t samples_total;
    uint64_t queue_drops;
    uint64_t alarms_raised;
    int states[4]; /* machines per enum twin_state */
    int machine_count;
    int machine_capacity; /* room in machines; engine_snapshot grows it as the plant grows */
    struct snapshot_machine *machines;
    const void *source; /* the engine that filled it last (engine_snapshot copies changes only) */
};

struct engine_options {
    size_t history_len;     /* most samples a sensor's ring holds; a ring holds the last 5 plant
                               minutes at its type's sample period, grown as samples arrive */
    double stale_after_s;   /* wall seconds without data before a machine is stale (stretched below
                               real time) */
    int snapshot_period_ms; /* wall time between snapshot publications */
    const char *mode;       /* shown in the header */
};

struct engine;
struct alarm_manager;

struct engine *engine_create(struct catalog *cat, struct queue *q, const struct engine_options *opt,
                             char *err, size_t errlen);
/* Adds a sink before engine_start. At most 8. */
int engine_add_sink(struct engine *e, const struct engine_sink *sink);
/* Hands the engine an alarm manager, before engine_start (NULL: none). On the engine thread,
 * limit and anomaly events feed it, the plant clock ticks it, and its EVENT_ALARM records
 * (process changes and operator actions) go to the sinks. See core/alarm.h. */
void engine_set_alarms(struct engine *e, struct alarm_manager *m);
/* Hands the engine a maintenance planner, before engine_start (NULL: none). On the engine thread
 * it sees every value and anomaly event, judges each machine's plan once a plant minute, and its
 * EVENT_MAINT records go to the sinks, with an EVENT_STATUS per machine a plant minute. A done
 * action restarts the machine's health baseline (and the CNC's tool RUL). See core/maint.h. */
struct maint;
void engine_set_maint(struct engine *e, struct maint *m);
int engine_start(struct engine *e);
/* Drains what is queued, stops the thread. Safe to call twice. */
void engine_stop(struct engine *e);
void engine_destroy(struct engine *e);

/* Processes one batch on the caller's thread (tests and benchmarks; not with engine_start). */
void engine_process(struct engine *e, const struct sample *s, size_t n);

/* An empty snapshot; machine_capacity is a first size (it grows as machines are learned). */
struct snapshot *snapshot_create(int machine_capacity);
void snapshot_free(struct snapshot *s);
/* Copies the newest published snapshot into dst, growing dst as needed: only the machines that
 * changed since dst was last filled from this engine are copied. Returns its seq. */
uint64_t engine_snapshot(struct engine *e, struct snapshot *dst);
/* Copies up to max newest history points of one sensor, oldest first. Returns the count. */
size_t engine_history(struct engine *e, int machine, int sensor, double *values, int64_t *ts_ms,
                      size_t max);
/* A file descriptor that becomes readable when a new snapshot is published (for poll). */
int engine_wake_fd(struct engine *e);
/* Informs the engine of the producer's pace, shown in the header. */
void engine_set_speed(struct engine *e, double speed);

const char *twin_state_name(int state);

#endif
