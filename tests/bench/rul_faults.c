// SPDX-License-Identifier: MIT
/* Remaining-life estimates against the truth of the simulated faults: runs `--scenario faults`
 * (24 plant hours, seed 1) through core/health, and every 15 plant minutes between each fault's
 * onset and its failure compares the machine's RUL estimate (when it gives one) with the true
 * time to failure, and counts how often its stated 80 % interval holds the truth. The interval's
 * ratios (core/health's HEALTH_RUL_RATIO_LO/HI) are the 10th and 90th percentiles of
 * (truth + HEALTH_RUL_OFFSET_H) / (estimate + HEALTH_RUL_OFFSET_H) over these faults; the bench
 * re-derives them leaving each fault out in turn and reports that held-out coverage beside the
 * in-sample one. Prints one line per fault and BENCH lines. Usage: rul_faults [CATALOG SCENARIO]
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
#define ESTIMATES_MAX 4096

/* log((truth + offset) / (estimate + offset)) of every estimate, and its fault's machine */
static double log_ratio[ESTIMATES_MAX];
static int ratio_machine[ESTIMATES_MAX];
static int ratios;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(const double *sorted, int n, double q)
{
    double at = q * (n - 1);
    int i = (int)at;
    return i + 1 < n ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

/* 10th and 90th percentile of the log ratios of every fault but `skip` (-1: none). */
static void ratio_band(int skip, double *lo, double *hi)
{
    static double sorted[ESTIMATES_MAX];
    int n = 0;
    for (int i = 0; i < ratios; i++)
        if (ratio_machine[i] != skip)
            sorted[n++] = log_ratio[i];
    qsort(sorted, (size_t)n, sizeof(double), cmp_double);
    *lo = n ? quantile(sorted, n, 0.1) : 0.0;
    *hi = n ? quantile(sorted, n, 0.9) : 0.0;
}

/* Leave one fault out: each fault's estimates judged by the band of the other faults. */
static double held_out_coverage(void)
{
    int covered = 0;
    for (int i = 0; i < ratios; i++) {
        double lo, hi;
        ratio_band(ratio_machine[i], &lo, &hi);
        covered += log_ratio[i] >= lo && log_ratio[i] <= hi;
    }
    return ratios ? 100.0 * covered / ratios : NAN;
}

struct fault_eval {
    double onset, failure, first_frac, err_sum;
    int estimates, within2, covered;
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
            e->covered += truth >= est.rul_lo_hours && truth <= est.rul_hi_hours;
            if (ratios < ESTIMATES_MAX) {
                log_ratio[ratios] =
                    log((truth + HEALTH_RUL_OFFSET_H) / (est.rul_hours + HEALTH_RUL_OFFSET_H));
                ratio_machine[ratios++] = mi;
            }
        }
    }
    simulator_stop(s);
    int n = 0, within = 0, covered = 0, faults = 0, estimated = 0;
    double err_sum = 0;
    for (int i = 0; i < nm; i++) {
        const struct fault_eval *e = &ev[i];
        if (e->onset < 0)
            continue;
        faults++;
        estimated += e->estimates > 0;
        printf("%-10s first RUL at %.2f of onset-to-failure, %2d estimates, mean |error|/truth "
               "%.2f, within x2 %d, in the 80 %% interval %d\n",
               catalog_machine_at(cat, i)->id, e->first_frac, e->estimates,
               e->estimates ? e->err_sum / e->estimates : NAN, e->within2, e->covered);
        n += e->estimates;
        within += e->within2;
        covered += e->covered;
        err_sum += e->err_sum;
    }
    printf("BENCH rul_faults_with_estimate %d of %d faults\n", estimated, faults);
    printf("BENCH rul_faults_mean_rel_error %.2f ratio\n", n ? err_sum / n : NAN);
    printf("BENCH rul_faults_within_factor2 %.0f %%\n", n ? 100.0 * within / n : NAN);
    double lo, hi;
    ratio_band(-1, &lo, &hi);
    printf("(truth + %.2f h) / (estimate + %.2f h), 10th and 90th percentile over all faults: "
           "%.3f %.3f\n",
           HEALTH_RUL_OFFSET_H, HEALTH_RUL_OFFSET_H, exp(lo), exp(hi));
    printf("BENCH rul_faults_interval80_coverage %.0f %%\n", n ? 100.0 * covered / n : NAN);
    printf("BENCH rul_faults_interval80_coverage_held_out %.0f %%\n", held_out_coverage());
    simulator_destroy(s);
    for (int i = 0; i < nm; i++)
        health_free(h[i]);
    free(h);
    free(ev);
    queue_destroy(q);
    catalog_free(cat);
    return 0;
}
