// SPDX-License-Identifier: MIT
/* How soon the detectors come back down after a repair: runs `--scenario repair` (24 plant hours,
 * seed 1; every fault is repaired half-way to its failure) through the engine's detector stack
 * with its default parameters, a sample past a warn limit unlearned as in the engine. Per fault:
 * whether the machine's score fired between onset and repair, and how long after the repair it
 * last fired (score >= DETECT_FIRE) in the following 6 plant hours. The control: the same windows
 * of the healthy plant (same seed), where a late firing is the plant's ordinary false alarms.
 * Prints one line per fault and BENCH lines. Usage: repair [CATALOG SCENARIO HEALTHY]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "detect.h"
#include "detect_ops.h"
#include "queue.h"
#include "scenario.h"
#include "sim.h"

#define T0 1700000000000LL
#define AFTER_S (6 * 3600.0) /* the window after a repair that is judged */

struct repair_eval {
    double onset, repair;
    double fired_s;   /* first firing at or after onset, NAN when none before the repair */
    double last_high; /* last time at or above DETECT_REARM after the repair, NAN: never */
};

static bool repair_past_warn(const struct catalog_sensor *s, double v)
{
    return v >= s->warn_hi || v <= s->warn_lo || v >= s->alarm_hi || v <= s->alarm_lo;
}

static int repair_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs one scenario; the windows (onset, repair) come from ev. */
static int repair_run(struct catalog *cat, const char *scen_path, struct repair_eval *ev)
{
    char err[512];
    int nm = catalog_machine_count(cat);
    struct detect_machine **d = calloc((size_t)nm, sizeof(*d));
    struct queue *q = queue_create(1 << 16);
    struct simulator_options so = {
        .seed = 1, .speed = 0, .duration_s = 86400, .scenario = scen_path, .start_ms = T0};
    struct simulator *s = d && q ? simulator_create(cat, q, &so, err, sizeof err) : NULL;
    if (!s) {
        fprintf(stderr, "repair: %s\n", err);
        return -1;
    }
    for (int i = 0; i < nm; i++) {
        /* the engine's seed for machine i, so the figures are the console's */
        d[i] = detect_machine_create(catalog_machine_at(cat, i)->type, NULL,
                                     0x5eedull + (uint64_t)i, err, sizeof err);
        if (!d[i]) {
            fprintf(stderr, "repair: %s\n", err);
            return -1;
        }
        ev[i].fired_s = ev[i].last_high = NAN;
    }
    /* REPAIR_TRACE=N: every 15 plant minutes, machine N's score and why */
    int trace = getenv("REPAIR_TRACE") ? atoi(getenv("REPAIR_TRACE")) : -1;
    int64_t next_trace = 0;
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
            const struct sample *x = &buf[j];
            int mi = (int)x->machine;
            if (x->kind != SAMPLE_VALUE || mi < 0 || mi >= nm)
                continue;
            const struct catalog_type *t = catalog_machine_at(cat, mi)->type;
            detect_machine_set_abnormal(d[mi], x->sensor,
                                        repair_past_warn(&t->sensors[x->sensor], x->u.value));
            struct detect_result r;
            detect_machine_update(d[mi], x->sensor, x->u.value, x->ts_ms, &r);
            struct repair_eval *e = &ev[mi];
            double at = (double)(x->ts_ms - T0) / 1000.0;
            if (trace == mi && x->ts_ms >= next_trace) {
                char why[200];
                detect_machine_reason(d[mi], why, sizeof why);
                printf("trace %6.0f s score %.2f %s: %s\n", at, r.machine_score,
                       detect_machine_detector(d[mi]), why);
                next_trace = x->ts_ms + 900000;
            }
            if (e->onset < 0 || at < e->onset)
                continue;
            if (at < e->repair && isnan(e->fired_s) && r.machine_score >= DETECT_FIRE)
                e->fired_s = at;
            if (at >= e->repair && at < e->repair + AFTER_S && r.machine_score >= DETECT_FIRE)
                e->last_high = at;
        }
    }
    simulator_stop(s);
    simulator_destroy(s);
    queue_destroy(q);
    for (int i = 0; i < nm; i++)
        detect_machine_free(d[i]);
    free(d);
    return 0;
}

static double repair_back(const struct repair_eval *e)
{
    return isnan(e->last_high) ? 0 : e->last_high - e->repair;
}

static void repair_bench(const char *name, double *back, int n)
{
    qsort(back, (size_t)n, sizeof(double), repair_cmp);
    int quick = 0;
    for (int k = 0; k < n; k++)
        quick += back[k] <= 1800;
    printf("BENCH %s_last_fire_median %.0f s\n", name, n ? back[n / 2] : NAN);
    printf("BENCH %s_last_fire_max %.0f s\n", name, n ? back[n - 1] : NAN);
    printf("BENCH %s_quiet_within_30min %d of %d faults\n", name, quick, n);
}

int main(int argc, char **argv)
{
    const char *cat_path = argc > 3 ? argv[1] : "data/machines.json";
    const char *scen_path = argc > 3 ? argv[2] : "data/scenarios/repair.json";
    const char *healthy_path = argc > 3 ? argv[3] : "data/scenarios/healthy.json";
    char err[512];
    struct catalog *cat = catalog_load(cat_path, err, sizeof err);
    static struct scenario sc;
    if (!cat || scenario_load(scen_path, cat, &sc, err, sizeof err) < 0) {
        fprintf(stderr, "repair: %s\n", err);
        return 1;
    }
    int nm = catalog_machine_count(cat);
    struct repair_eval *ev = calloc((size_t)nm, sizeof(*ev));
    struct repair_eval *ctl = calloc((size_t)nm, sizeof(*ctl));
    if (!ev || !ctl)
        return 1;
    for (int i = 0; i < nm; i++)
        ev[i].onset = -1;
    for (int f = 0; f < sc.fault_count; f++) {
        struct repair_eval *e = &ev[sc.faults[f].machine];
        e->onset = sc.faults[f].onset_s;
        e->repair = sc.faults[f].repair_s;
    }
    memcpy(ctl, ev, (size_t)nm * sizeof(*ev));
    if (repair_run(cat, scen_path, ev) < 0 || repair_run(cat, healthy_path, ctl) < 0)
        return 1;
    int faults = 0, fired = 0, judged = 0;
    double back[SCENARIO_FAULTS_MAX], ctl_back[SCENARIO_FAULTS_MAX];
    for (int i = 0; i < nm; i++) {
        const struct repair_eval *e = &ev[i];
        if (e->onset < 0 || !isfinite(e->repair))
            continue;
        faults++;
        fired += !isnan(e->fired_s);
        bool cut = e->repair + AFTER_S > 86400;
        if (!cut) {
            back[judged] = repair_back(e);
            ctl_back[judged++] = repair_back(&ctl[i]);
        }
        printf("%-10s onset %6.0f s, repair %6.0f s: fired %s; last fired %6.0f s after the "
               "repair (healthy plant, same window: %6.0f s)%s\n",
               catalog_machine_at(cat, i)->id, e->onset, e->repair,
               isnan(e->fired_s) ? "no " : "yes", repair_back(e), repair_back(&ctl[i]),
               cut ? " (window cut by the run's end)" : "");
    }
    printf("BENCH repair_fired_before_repair %d of %d faults\n", fired, faults);
    repair_bench("repair", back, judged);
    repair_bench("repair_control", ctl_back, judged);
    catalog_free(cat);
    free(ev);
    free(ctl);
    return 0;
}
