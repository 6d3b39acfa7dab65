// SPDX-License-Identifier: MIT
/* How often the engine's detector stack reports on a healthy plant and how early on a faulty one:
 * runs `--scenario healthy` and `--scenario faults` (24 plant hours, seed 1) through the stack with
 * the engine's defaults and seeds, a sample past a warn limit unlearned as in the engine. An event
 * is what the engine would emit (a sensor's or a machine-wide detector's report). Prints the
 * healthy events by detector and sensor, each fault's first event, and BENCH lines.
 * Usage: quiet [CATALOG HEALTHY FAULTS] (QUIET_LIST=1 also lists every healthy event;
 * QUIET_PARAMS="name=value ..." changes the engine's parameters, as detect --param does;
 * QUIET_SEED=N runs the simulator with seed N instead of 1)
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
#define QUIET_MAX_EVENTS 4096

struct quiet_event {
    double at;
    int machine, sensor;
    char detector[16];
};

static bool quiet_past_warn(const struct catalog_sensor *s, double v)
{
    return v >= s->warn_hi || v <= s->warn_lo || v >= s->alarm_hi || v <= s->alarm_lo;
}

static void quiet_note(struct detect_machine *d, int mi, int sensor, double at,
                       struct quiet_event *ev, int *n)
{
    if (*n >= QUIET_MAX_EVENTS)
        return;
    struct event e;
    detect_machine_event(d, mi, "", sensor, 0, &e);
    ev[*n] = (struct quiet_event){.at = at, .machine = mi, .sensor = sensor};
    snprintf(ev[*n].detector, sizeof ev[*n].detector, "%s", e.detector);
    (*n)++;
}

static int quiet_params(struct detect_params *p)
{
    char err[200], list[1024];
    detect_params_default(p);
    snprintf(list, sizeof list, "%s", getenv("QUIET_PARAMS") ? getenv("QUIET_PARAMS") : "");
    for (char *tok = strtok(list, " "); tok; tok = strtok(NULL, " "))
        if (detect_params_set(p, tok, err, sizeof err) < 0) {
            fprintf(stderr, "quiet: QUIET_PARAMS: %s\n", err);
            return -1;
        }
    return 0;
}

/* Runs one scenario and collects the events the engine would emit. Returns the count, -1. */
static int quiet_run(struct catalog *cat, const char *scen_path, struct quiet_event *ev)
{
    char err[512];
    struct detect_params p;
    if (quiet_params(&p) < 0)
        return -1;
    int nm = catalog_machine_count(cat), n = 0;
    struct detect_machine **d = calloc((size_t)nm, sizeof(*d));
    struct queue *q = queue_create(1 << 16);
    struct simulator_options so = {
        .seed = getenv("QUIET_SEED") ? strtoull(getenv("QUIET_SEED"), NULL, 10) : 1,
        .speed = 0,
        .duration_s = 86400,
        .scenario = scen_path,
        .start_ms = T0};
    struct simulator *s = d && q ? simulator_create(cat, q, &so, err, sizeof err) : NULL;
    if (!s) {
        fprintf(stderr, "quiet: %s\n", err);
        return -1;
    }
    for (int i = 0; i < nm; i++) {
        d[i] = detect_machine_create(catalog_machine_at(cat, i)->type, &p, 0x5eedull + (uint64_t)i,
                                     err, sizeof err);
        if (!d[i]) {
            fprintf(stderr, "quiet: %s\n", err);
            return -1;
        }
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
            const struct sample *x = &buf[j];
            int mi = (int)x->machine;
            if (x->kind != SAMPLE_VALUE || mi < 0 || mi >= nm)
                continue;
            const struct catalog_type *t = catalog_machine_at(cat, mi)->type;
            detect_machine_set_abnormal(d[mi], x->sensor,
                                        quiet_past_warn(&t->sensors[x->sensor], x->u.value));
            struct detect_result r;
            detect_machine_update(d[mi], x->sensor, x->u.value, x->ts_ms, &r);
            double at = (double)(x->ts_ms - T0) / 1000.0;
            if (r.emit)
                quiet_note(d[mi], mi, x->sensor, at, ev, &n);
            if (r.emit_machine)
                quiet_note(d[mi], mi, -1, at, ev, &n);
        }
    }
    simulator_stop(s);
    simulator_destroy(s);
    queue_destroy(q);
    for (int i = 0; i < nm; i++)
        detect_machine_free(d[i]);
    free(d);
    return n;
}

static int quiet_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void quiet_healthy(const struct catalog *cat, const struct quiet_event *ev, int n)
{
    static const char *const det[] = {"zscore", "drift", "residual", "iforest", "pca"};
    for (size_t k = 0; k < sizeof det / sizeof det[0]; k++) {
        int c = 0;
        for (int i = 0; i < n; i++)
            c += strcmp(ev[i].detector, det[k]) == 0;
        printf("healthy events by %-8s %d\n", det[k], c);
    }
    if (getenv("QUIET_LIST"))
        for (int i = 0; i < n; i++) {
            const struct catalog_type *t = catalog_machine_at(cat, ev[i].machine)->type;
            printf("  %6.0f s %-10s %-24s %s\n", ev[i].at,
                   catalog_machine_at(cat, ev[i].machine)->id,
                   ev[i].sensor >= 0 ? t->sensors[ev[i].sensor].name : "(machine)", ev[i].detector);
        }
    printf("BENCH quiet_healthy_24h_events %d\n", n);
}

static void quiet_faults(const struct catalog *cat, const struct scenario *sc,
                         const struct quiet_event *ev, int n)
{
    double frac[SCENARIO_FAULTS_MAX];
    int detected = 0, before_onset = 0;
    for (int f = 0; f < sc->fault_count; f++) {
        const struct simulator_fault *sf = &sc->faults[f];
        double failure = sf->onset_s + sf->ttf_s, first = NAN;
        const char *by = "";
        for (int i = 0; i < n; i++) {
            if (ev[i].machine != sf->machine)
                continue;
            if (ev[i].at < sf->onset_s) {
                before_onset++;
                continue;
            }
            if (isnan(first)) {
                first = ev[i].at;
                by = ev[i].detector;
            }
        }
        bool ok = !isnan(first) && first <= failure;
        detected += ok;
        frac[f] = ok ? (failure - first) / sf->ttf_s : 0.0;
        printf("%-10s onset %6.0f failure %6.0f first event %6.0f (%s) lead %.2f\n",
               catalog_machine_at(cat, sf->machine)->id, sf->onset_s, failure, first, by, frac[f]);
    }
    qsort(frac, (size_t)sc->fault_count, sizeof(double), quiet_cmp);
    printf("BENCH quiet_faults_detected %d of %d\n", detected, sc->fault_count);
    printf("BENCH quiet_faults_median_lead %.2f\n",
           sc->fault_count ? frac[sc->fault_count / 2] : NAN);
    printf("BENCH quiet_faults_events %d (%d before onset)\n", n, before_onset);
}

int main(int argc, char **argv)
{
    const char *cat_path = argc > 3 ? argv[1] : "data/machines.json";
    const char *healthy_path = argc > 3 ? argv[2] : "data/scenarios/healthy.json";
    const char *faults_path = argc > 3 ? argv[3] : "data/scenarios/faults.json";
    char err[512];
    struct catalog *cat = catalog_load(cat_path, err, sizeof err);
    static struct scenario sc;
    static struct quiet_event ev[QUIET_MAX_EVENTS];
    if (!cat || scenario_load(faults_path, cat, &sc, err, sizeof err) < 0) {
        fprintf(stderr, "quiet: %s\n", err);
        return 1;
    }
    int n = quiet_run(cat, healthy_path, ev);
    if (n < 0)
        return 1;
    quiet_healthy(cat, ev, n);
    if (getenv("QUIET_HEALTHY_ONLY") == NULL) {
        if ((n = quiet_run(cat, faults_path, ev)) < 0)
            return 1;
        quiet_faults(cat, &sc, ev, n);
    }
    catalog_free(cat);
    return 0;
}
