// SPDX-License-Identifier: MIT
/* Alarm rates on the simulated plant at full speed: annunciated alarms per plant hour on the
 * healthy scenario (ISA-18.2 aims at about 6 an hour or fewer per operator; a healthy plant
 * should give almost none) and on the demo scenario, split into limit and anomaly alarms.
 * Prints BENCH lines. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "catalog.h"
#include "engine.h"
#include "queue.h"
#include "sim.h"

#define HOURS 2

struct counts {
    int limit, anomaly;
};

static void on_change(void *ctx, enum alarm_change what, const struct alarm_info *a,
                      const struct alarm_action *act)
{
    struct counts *c = ctx;
    (void)act;
    if (what != ALARM_CHANGE_RAISED)
        return;
    if (strcmp(a->condition, "anomaly") == 0)
        c->anomaly++;
    else
        c->limit++;
}

static int run(const char *scenario, struct counts *c)
{
    char err[512];
    struct catalog *cat = catalog_load("data/machines.json", err, sizeof err);
    struct queue *q = cat ? queue_create(1 << 18) : NULL;
    struct engine_options eo = {.history_len = 1024, .mode = "BENCH"};
    struct engine *e = q ? engine_create(cat, q, &eo, err, sizeof err) : NULL;
    struct alarm_manager *m = e ? alarm_manager_create(cat, 0, err, sizeof err) : NULL;
    if (!m) {
        fprintf(stderr, "bench_alarm_rate: %s\n", err);
        return -1;
    }
    struct alarm_listener l = {c, on_change};
    alarm_add_listener(m, &l);
    engine_set_alarms(e, m);
    struct simulator_options so = {.seed = 7,
                                   .speed = 0,
                                   .duration_s = 3600.0 * HOURS,
                                   .scenario = scenario,
                                   .start_ms = 1700000000000LL};
    struct simulator *sim = simulator_create(cat, q, &so, err, sizeof err);
    if (!sim) {
        fprintf(stderr, "bench_alarm_rate: %s\n", err);
        return -1;
    }
    engine_start(e);
    simulator_start(sim);
    while (!simulator_finished(sim))
        usleep(50000);
    simulator_stop(sim);
    queue_close(q);
    engine_stop(e);
    simulator_destroy(sim);
    engine_destroy(e);
    alarm_manager_destroy(m);
    queue_destroy(q);
    catalog_free(cat);
    return 0;
}

int main(void)
{
    const char *names[] = {"healthy", "demo"};
    for (int i = 0; i < 2; i++) {
        char path[64];
        struct counts c = {0, 0};
        snprintf(path, sizeof path, "data/scenarios/%s.json", names[i]);
        if (run(path, &c) != 0)
            return 1;
        printf("BENCH alarm_rate_%s_limit %.1f alarms/h\n", names[i], (double)c.limit / HOURS);
        printf("BENCH alarm_rate_%s_anomaly %.1f alarms/h\n", names[i], (double)c.anomaly / HOURS);
    }
    return 0;
}
