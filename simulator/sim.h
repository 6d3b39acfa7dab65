// SPDX-License-Identifier: MIT
#ifndef TWINTOP_SIM_H
#define TWINTOP_SIM_H
/*
 * The plant simulator: one thread per catalog machine, each with its own random stream and
 * simulated clock, pushing samples on the ingest queue. Same seed, same samples, whatever the
 * thread scheduling. Scenarios (data/scenarios, one JSON file each) inject faults at known times.
 *
 * Threads: simulator_* functions are called from the main thread; the machine threads own
 * their machine's physical state. Fault injection crosses over through an atomic request slot.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "queue.h"

struct simulator_options {
    uint64_t seed;
    double speed;         /* simulated seconds per wall second; 0 = as fast as the queue takes */
    double duration_s;    /* simulated time to run; 0 = forever */
    const char *scenario; /* path of a scenario file, or NULL for none */
    int64_t start_ms;     /* simulated clock at start (ms since epoch) */
};

struct simulator;

struct simulator *simulator_create(struct catalog *cat, struct queue *q,
                                   const struct simulator_options *opt, char *err, size_t errlen);
/* simulator_create loads and checks the scenario (errors name the file and the entry:
 * "demo.json: fault 2: unknown machine PUMP_9") and prepares every machine; nothing runs yet. */
int simulator_start(struct simulator *s);
/* Stops and joins the machine threads. A thread blocked in queue_push_wait (speed 0) returns
 * once the consumer makes room or the queue is closed. Safe to call twice. */
void simulator_stop(struct simulator *s);
void simulator_destroy(struct simulator *s);
/* True when every machine thread has reached the duration. */
bool simulator_finished(const struct simulator *s);
/* Injects a fault (by name, or NULL for the type's first) into a machine, growing to failure in
 * ttf_s simulated seconds (ttf_s <= 0: 300 s). Thread-safe: the machine's thread applies it at its
 * next tick. Returns 0, or -1 with a message (unknown machine or fault mode, too many faults). */
int simulator_inject_fault(struct simulator *s, int machine, const char *fault, double ttf_s,
                           char *err, size_t errlen);
/* Maintenance done: every run of the named fault on machine that has begun ends at the machine's
 * next tick, as a scenario's repair_s does (the fault list shows the repair time). Thread-safe.
 * Returns 0, or -1 with a message when the machine has no such simulated fault mode. */
int simulator_repair(struct simulator *s, int machine, const char *fault, char *err, size_t errlen);
void simulator_set_speed(struct simulator *s, double speed);
double simulator_speed(const struct simulator *s);

/* A fault the simulator runs, from the scenario file or injected with simulator_inject_fault.
 * Times are simulated seconds since the start (start_ms). The signature grows as
 * ((t - onset) / ttf)^2: limits are crossed in the last part of the way, failure at failure_s. */
struct simulator_fault {
    int machine;                       /* catalog machine index */
    char machine_id[CATALOG_NAME_MAX]; /* "PUMP_001" */
    char fault[CATALOG_NAME_MAX];      /* "bearing_wear" */
    double onset_s;
    double ttf_s;     /* onset to failure */
    double failure_s; /* onset_s + ttf_s */
    double repair_s;  /* maintenance undoes the fault then (INFINITY: never) */
    bool injected;    /* by simulator_inject_fault (onset: the machine's clock when applied) */
};

/* The faults known so far: the scenario's, then injected ones. Main thread (any thread may
 * read; copies are taken under the simulator's lock). */
int simulator_fault_count(const struct simulator *s);
/* Copies fault i into out. Returns 0, or -1 when i is out of range. */
int simulator_fault_get(const struct simulator *s, int i, struct simulator_fault *out);
/* The loaded scenario's name ("healthy", "demo", ...), "" when none. */
const char *simulator_scenario_name(const struct simulator *s);
/* The plant clock: the slowest machine's simulated time, ms since the epoch. */
int64_t simulator_clock_ms(const struct simulator *s);
/* The sample period of machine's type in ms (its tick), or 0 when the machine is not simulated. */
int64_t simulator_period_ms(const struct simulator *s, int machine);

#endif
