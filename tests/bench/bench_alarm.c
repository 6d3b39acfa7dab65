// SPDX-License-Identifier: MIT
/* Alarm manager costs: a process update (raise/clear) with 500 alarms known, a tick, the UI's
 * copy-out of the sorted list and the banner, and the store's write rate. Prints BENCH lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "alarm_store.h"

#define ALARMS 500
#define T0 1700000000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void conditions(char names[ALARMS][32], char machines[ALARMS][16])
{
    for (int i = 0; i < ALARMS; i++) {
        snprintf(names[i], 32, "sensor_%d:hi", i % 40);
        snprintf(machines[i], 16, "M_%03d", i / 40);
    }
}

int main(void)
{
    static char names[ALARMS][32], machines[ALARMS][16];
    char err[256], dir[] = "/tmp/twintop-bench-alarm-XXXXXX", path[96];
    conditions(names, machines);
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);
    if (!m || !mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/bench.db", dir);
    struct alarm_store *st = alarm_store_open(path, err, sizeof err);
    if (!st || alarm_store_attach(st, m, T0, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const int rounds = 40;
    double t = now_s();
    long updates = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < ALARMS; i++) {
            struct alarm_input in = {.ts_ms = T0 + r * 600000LL + i,
                                     .machine_id = machines[i],
                                     .condition = names[i],
                                     .priority = i % 4,
                                     .active = (r % 2) == 0,
                                     .value = i};
            alarm_update(m, &in);
            updates++;
        }
    }
    double dt = now_s() - t;
    printf("BENCH alarm_update_%d_alarms %.0f ns/op\n", ALARMS, dt / (double)updates * 1e9);
    t = now_s();
    alarm_store_flush(st);
    double flush = now_s() - t;
    struct alarm_store_stats ss;
    alarm_store_get_stats(st, &ss);
    printf("BENCH alarm_store_burst_%ld_changes_settled %.0f ms (%llu rows written, %llu "
           "resyncs)\n",
           updates, (dt + flush) * 1e3, (unsigned long long)ss.alarms_written,
           (unsigned long long)ss.resyncs);

    static struct alarm_info list[ALARMS];
    for (int i = 0; i < ALARMS; i++) {
        struct alarm_input in = {.ts_ms = T0 + 10000000LL + i,
                                 .machine_id = machines[i],
                                 .condition = names[i],
                                 .priority = i % 4,
                                 .active = true};
        alarm_update(m, &in);
    }
    t = now_s();
    int n = 0;
    for (int r = 0; r < 200; r++)
        n = alarm_list(m, ALARM_LIST_CURRENT, NULL, list, ALARMS);
    printf("BENCH alarm_list_%d_sorted %.1f us/call\n", n, (now_s() - t) / 200 * 1e6);
    struct alarm_banner b;
    t = now_s();
    for (int r = 0; r < 2000; r++)
        alarm_get_banner(m, &b);
    printf("BENCH alarm_banner %.1f us/call\n", (now_s() - t) / 2000 * 1e6);
    t = now_s();
    for (int r = 0; r < 2000; r++)
        alarm_tick(m, T0 + 40000000LL + r * 1000LL);
    printf("BENCH alarm_tick_%d_alarms %.1f us/call\n", ALARMS, (now_s() - t) / 2000 * 1e6);
    alarm_store_close(st);
    alarm_manager_destroy(m);
    snprintf(err, sizeof err, "rm -rf '%s'", dir);
    return system(err) == 0 ? 0 : 1;
}
