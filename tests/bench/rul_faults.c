// SPDX-License-Identifier: MIT
/* Remaining-life estimates against the truth of the simulated faults: runs `--scenario faults`
 * (24 plant hours, seed 1) through core/health, and every 15 plant minutes between each fault's
 * onset and its failure compares the machine's RUL estimate (when it gives one) with the true
 * time to failure. Prints one line per fault and BENCH lines. Usage: rul_faults [CATALOG SCENARIO]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog.h"
#include "health.h"
#include "queue.h"
#include "scenario.h"
#include "sim.h"

#define T0 1700000000000LL
#define EVERY_MS (15 * 60 * 1000)

struct fault_eval {
    double onset, failure, first_frac, err_sum;
    int estimates, within2;
    int64_t next_ms;
};

int main(int argc, char **argv)
{
    const char *cat_path = argc > 2 ? argv[1] : "data/machines.json";
    const char *scen_path = argc > 2 ? argv[2] : "data/scenarios/faults.json";
    char err[512];
    struct catalog *cat = catalog_load(cat_path, err, sizeof err);
    static struct scenario sc;
    if (!cat || scenario_load(scen_path, cat, &sc, err, sizeof err) < 0) {
        fprintf(stderr, "rul_faults: %s\n", err);
        return 1;
    }
    int nm = catalog_machine_count(cat);
    struct health **h = calloc((size_t)nm, sizeof(*h));
    struct fault_eval *ev = calloc((size_t)nm, sizeof(*ev));
    struct queue *q = queue_create(1 << 16);
    struct simulator_options so = {
        .seed = 1, .speed = 0, .duration_s = 86400, .scenario = scen_path, .start_ms = T0};
    struct simulator *s = h && ev && q ? simulator_create(cat, q, &so, err, sizeof err) : NULL;
    if (!s) {
        fprintf(stderr, "rul_faults: %s\n", err);
        return 1;
    }
    for (int i = 0; i < nm; i++) {
        h[i] = health_create(catalog_machine_at(cat, i)->type, 0, err, sizeof err);
        ev[i].onset = -1;
        ev[i].first_frac = NAN;
    }
    for (int f = 0; f < sc.fault_count; f++) {
        ev[sc.faults[f].machine].onset = sc.faults[f].onset_s;
        ev[sc.faults[f].machine].failure = sc.faults[f].failure_s;
    }
    simulator_start(s);
    static struct sample buf[4096];
    for (;;) {
        size_t k = queue_pop(q, buf, 4096, 50);
        if (!k) {
            if (simulator_finished(s))
                break;
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            int mi = (int)buf[j].machine;
            if (buf[j].kind != SAMPLE_VALUE || !h[mi])
                continue;
            health_update(h[mi], buf[j].sensor, buf[j].u.value, buf[j].ts_ms);
            struct fault_eval *e = &ev[mi];
            double t = (double)(buf[j].ts_ms - T0) / 1000.0;
            if (e->onset < 0 || t < e->onset || t >= e->failure || buf[j].ts_ms < e->next_ms)
                continue;
            e->next_ms = buf[j].ts_ms + EVERY_MS;
            struct health_estimate est;
            health_get(h[mi], &est);
            if (isnan(est.rul_hours))
                continue;
            double truth = (e->failure - t) / 3600.0;
            if (isnan(e->first_frac))
                e->first_frac = (t - e->onset) / (e->failure - e->onset);
            e->estimates++;
            e->err_sum += fabs(est.rul_hours - truth) / truth;
            e->within2 += est.rul_hours <= 2 * truth && est.rul_hours >= truth / 2;
        }
    }
    simulator_stop(s);
    int n = 0, within = 0, faults = 0, estimated = 0;
    double err_sum = 0;
    for (int i = 0; i < nm; i++) {
        const struct fault_eval *e = &ev[i];
        if (e->onset < 0)
            continue;
        faults++;
        estimated += e->estimates > 0;
        printf("%-10s first RUL at %.2f of onset-to-failure, %2d estimates, mean |error|/truth "
               "%.2f, within x2 %d\n",
               catalog_machine_at(cat, i)->id, e->first_frac, e->estimates,
               e->estimates ? e->err_sum / e->estimates : NAN, e->within2);
        n += e->estimates;
        within += e->within2;
        err_sum += e->err_sum;
    }
    printf("BENCH rul_faults_with_estimate %d of %d faults\n", estimated, faults);
    printf("BENCH rul_faults_mean_rel_error %.2f ratio\n", n ? err_sum / n : NAN);
    printf("BENCH rul_faults_within_factor2 %.0f %%\n", n ? 100.0 * within / n : NAN);
    simulator_destroy(s);
    for (int i = 0; i < nm; i++)
        health_free(h[i]);
    free(h);
    free(ev);
    queue_destroy(q);
    catalog_free(cat);
    return 0;
}
