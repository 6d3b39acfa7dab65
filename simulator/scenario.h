// SPDX-License-Identifier: MIT
#ifndef TWINTOP_SCENARIO_H
#define TWINTOP_SCENARIO_H
/*
 * Scenario files (data/scenarios/NAME.json): the faults to inject into the simulated plant.
 *
 *   {"name": "demo", "description": "...",
 *    "faults": [{"machine": "PUMP_001", "fault": "bearing_wear",
 *                "onset_s": 60, "time_to_failure_s": 600}]}
 *
 * onset_s and time_to_failure_s are simulated seconds, or strings with a unit ("90s", "15m",
 * "2h", "1d"). Every entry is checked against the catalog: the machine must exist and its type
 * must list the fault mode. Errors name the file and the entry ("demo.json: fault 2: unknown
 * machine PUMP_9").
 *
 * Threads: plain functions on caller-owned memory.
 */
#include <stddef.h>
#include "catalog.h"
#include "sim.h"

#define SCENARIO_FAULTS_MAX 256
#define SCENARIO_FAULTS_PER_MACHINE 8

struct scenario {
    char name[64];
    char description[256];
    int fault_count;
    struct simulator_fault faults[SCENARIO_FAULTS_MAX];
};

/* Reads and checks PATH. Returns 0, or -1 with "PATH: ..." in err. */
int scenario_load(const char *path, const struct catalog *cat, struct scenario *out, char *err,
                  size_t errlen);
/* Same from a string; name stands for the file in messages and is the default scenario name. */
int scenario_parse(const char *json, const char *name, const struct catalog *cat,
                   struct scenario *out, char *err, size_t errlen);

#endif
