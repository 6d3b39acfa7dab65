// SPDX-License-Identifier: MIT
#ifndef TWINTOP_MAINT_H
#define TWINTOP_MAINT_H
/*
 * The maintenance plan: for every machine, the action its drift calls for, from the catalog's
 * fault modes (component, action, lead time, signature sensors; data/machines.json).
 *
 * Evidence: per sensor a slow level (EWMA, 10 plant minutes) and its healthy baseline (the
 * mean over the first MAINT_WARMUP_S of operation); progress = how far the level has moved from
 * the baseline towards the alarm limit on the fault's side (0 at the baseline, 1 at the limit).
 * A fault mode's score is the weighted mean of its signature sensors' progress (the first, the
 * clearest, counts twice); once a plant minute the best-scoring fault mode of a machine is
 * recommended when its score reaches MAINT_RECOMMEND_SCORE. The CNC's tool is a consumable: its
 * "replace" entry comes from the tool RUL once that is under 4 lead times.
 * Urgency compares the remaining life R (the health RUL when its worst sensor is one of the
 * fault's, else the primary sensor's progress trend over the last hour) with the action's lead
 * time L: critical when R <= L or the sensor is at its alarm limit, high R <= 2L, medium
 * R <= 4L, else low. Due = now + R, its interval now + R x (1 -/+ (1 - 0.8 confidence)).
 *
 * Threads: maint_on_sample, maint_on_event, maint_assess and maint_take_done run on the engine
 * thread; maint_plan, maint_counts and maint_done on any thread (the UI). One mutex covers the
 * published plan and the done requests; the per-sensor evidence belongs to the engine thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm.h"
#include "catalog.h"
#include "event.h"
#include "health.h"

#define MAINT_WARMUP_S 1800.0
/* Chosen on healthy seed 1 (tests/bench/maint_faults.c prints the largest healthy score). */
#define MAINT_RECOMMEND_SCORE 0.3
#define MAINT_SHIFT_MS (8LL * 3600 * 1000)
#define MAINT_ACTIONS_MAX 2 /* per machine: the diagnosed fault and the CNC tool */

enum maint_urgency { MAINT_LOW = 0, MAINT_MEDIUM = 1, MAINT_HIGH = 2, MAINT_CRITICAL = 3 };

/* A machine's status for availability (EVENT_STATUS.state and machine_status.state). */
enum maint_status {
    MAINT_RUNNING = 0,
    MAINT_IDLE = 1,
    MAINT_IN_ALARM = 2,
    MAINT_STALE = 3,
    MAINT_OUT_OF_SERVICE = 4,
    MAINT_STATUS_COUNT = 5
};

struct maint_action {
    int machine;
    char machine_id[CATALOG_NAME_MAX];
    char fault[CATALOG_NAME_MAX]; /* the catalog fault mode, "tool_wear" for the CNC tool */
    char component[CATALOG_NAME_MAX];
    char action[16];
    int urgency;
    double lead_time_h;
    double score;     /* the fault mode's score, 0..1.5 */
    double rul_hours; /* NAN when unknown */
    float confidence;
    int64_t first_ms;                     /* first recommended (plant time) */
    int64_t due_ms, due_lo_ms, due_hi_ms; /* 0 when unknown */
    int sensor;                           /* the evidence sensor */
    double baseline, level;               /* its healthy baseline and its level now */
    char detector[24];  /* the last detector that fired on the fault's sensors, "trend" if none */
    int64_t since_ms;   /* evidence since: first anomaly on those sensors or the recommendation */
    char evidence[160]; /* "suction_pressure_bar fell 0.21 bar since 10:32 (zscore)" */
};

struct maint;

/* NULL with a message when out of memory. capacity: machines (catalog and learned). */
struct maint *maint_create(const struct catalog *cat, int capacity, char *err, size_t errlen);
void maint_free(struct maint *m);

/* Changes the recommendation score (before the engine starts; benchmarks sweep it). */
void maint_set_recommend_score(struct maint *m, double score);

/* Every value sample (engine thread). */
void maint_on_sample(struct maint *m, int machine, int sensor, double value, int64_t ts_ms);
/* Anomaly events: which detector fired on which sensor, since when (engine thread). */
void maint_on_event(struct maint *m, const struct event *ev);

/* Re-judges machine's plan at plant time now_ms (at most once a plant minute; call as often as
 * you like) from its health estimate (NULL: none yet). Writes the EVENT_MAINT changes into out
 * (at most max) and returns their count. */
int maint_assess(struct maint *m, int machine, const struct health_estimate *h, int64_t now_ms,
                 struct event *out, int max);

/* Marks the action for (machine, fault) done, by op, with a note. Any thread. The engine takes it
 * with maint_take_done; the done hook (if any) runs here, on the caller's thread. Returns 0, or
 * -1 with the refusal in msg ("PUMP_001 has no planned action for cavitation"). */
int maint_done(struct maint *m, int machine, const char *fault, const struct alarm_operator *op,
               const char *note, int64_t now_ms, char *msg, size_t msglen);
/* Called by maint_done (the simulator repairs the fault). */
void maint_set_done_hook(struct maint *m, void (*hook)(void *ctx, int machine, const char *fault),
                         void *ctx);
/* Engine thread: takes one pending done, fills the EVENT_MAINT "done" record and machine.
 * The engine restarts that machine's health baseline. Returns 1, or 0 when none is pending. */
int maint_take_done(struct maint *m, struct event *out, int *machine);

/* Copies the plan (every machine's active actions) into out, sorted by due time (unknown due
 * last, then by urgency). Returns the count. Any thread. */
int maint_plan(struct maint *m, struct maint_action *out, int max);
/* Overdue (due passed) and due within the shift (MAINT_SHIFT_MS) at now_ms. */
void maint_counts(struct maint *m, int64_t now_ms, int *overdue, int *due_shift);

/* One machine's plan as a JSON object text (malloc'd; NULL when out of memory):
 * {"machine_id":..,"ts":..,"actions":[{"component","action","urgency","first_recommended","due",
 * "due_earliest","due_latest","fault","evidence","sensor","detector"}]}. */
char *maint_plan_json(struct maint *m, int machine, int64_t now_ms);

/* The largest fault-mode score machine has reached (recommended or not): how close a healthy
 * machine came to the recommendation score. */
double maint_peak_score(struct maint *m, int machine);

const char *maint_urgency_name(int urgency); /* "low", "medium", "high", "critical" */
int maint_urgency_parse(const char *name);   /* -1 when unknown */
const char *maint_status_name(int status);   /* "running", "idle", "alarm", "stale", ... */

/* The status of a machine from its twin state and run indicator (the first speed sensor of the
 * type, idle below a fifth of nominal). */
int maint_status_of(const struct catalog_type *t, int twin_state, double run_value);
/* The type's run indicator sensor, -1 when it has none. */
int maint_run_sensor(const struct catalog_type *t);

#endif
