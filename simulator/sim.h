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
    double speed;           /* simulated seconds per wall second; 0 = as fast as the queue takes */
    double duration_s;      /* simulated time to run; 0 = forever */
    const char *scenario;   /* path of a scenario file, or NULL for none */
    int64_t start_ms;       /* simulated clock at start (ms since epoch) */
};

struct simulator;

struct simulator *simulator_create(struct catalog *cat, struct queue *q,
                                   const struct simulator_options *opt, char *err, size_t errlen);
int simulator_start(struct simulator *s);
void simulator_stop(struct simulator *s);
void simulator_destroy(struct simulator *s);
/* True when every machine thread has reached the duration. */
bool simulator_finished(const struct simulator *s);
/* Injects a fault (by name, or NULL for the type's first) into a machine, growing to failure in
 * ttf_s simulated seconds. Returns 0, or -1 with a message. */
int simulator_inject_fault(struct simulator *s, int machine, const char *fault, double ttf_s,
                           char *err, size_t errlen);
void simulator_set_speed(struct simulator *s, double speed);
double simulator_speed(const struct simulator *s);

#endif
