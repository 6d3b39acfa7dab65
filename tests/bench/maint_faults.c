// SPDX-License-Identifier: MIT
/* The maintenance plan against the truth of the simulated faults: runs `--scenario faults` and
 * the healthy plant (24 plant hours, seed 1 or argv) through the engine with a planner, and
 * reports per fault the first recommendation naming the fault's own component, its lead as a
 * fraction of onset-to-failure and how far its due time was from the true failure.
 * Usage: maint_faults [SEED [SCORE [CATALOG FAULTS HEALTHY]]] (SCORE: the recommendation score,
 * default MAINT_RECOMMEND_SCORE)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "engine.h"
#include "maint.h"
#include "queue.h"
#include "scenario.h"
#include "sim.h"

#define T0 1700000000000LL

struct maint_eval {
    const struct catalog *cat;
    const struct scenario *sc;
    int above_low, tool_above_low;
    double first_frac[64], due_err[64], wrong_first[64];
    int64_t first_ms[64];
    char first_component[64][CATALOG_NAME_MAX];
};

static const struct catalog_fault *fault_of(const struct catalog *cat,
                                            const struct simulator_fault *f)
{
    const struct catalog_type *t = catalog_machine_at(cat, f->machine)->type;
    for (int i = 0; i < t->fault_count; i++)
        if (strcmp(t->faults[i].name, f->fault) == 0)
            return &t->faults[i];
    return NULL;
}

static void maint_eval_event(void *ctx, const struct event *ev)
{
    struct maint_eval *me = ctx;
    if (ev->kind != EVENT_MAINT || strcmp(ev->detector, "clear") == 0)
        return;
    if (ev->priority > MAINT_LOW) {
        if (strcmp(ev->maint.fault, "tool_wear") == 0)
            me->tool_above_low++;
        else
            me->above_low++;
    }
    for (int i = 0; me->sc && i < me->sc->fault_count; i++) {
        const struct simulator_fault *f = &me->sc->faults[i];
        const struct catalog_fault *cf = fault_of(me->cat, f);
        double t = (double)(ev->ts_ms - T0) / 1000.0;
        if (f->machine != ev->machine || !cf || t < f->onset_s || t >= f->failure_s)
            continue;
        if (!me->first_component[i][0])
            snprintf(me->first_component[i], CATALOG_NAME_MAX, "%s", ev->maint.component);
        if (strcmp(ev->maint.component, cf->component) != 0 || me->first_ms[i])
            continue;
        me->first_ms[i] = ev->ts_ms;
        me->first_frac[i] = (f->failure_s - t) / f->ttf_s;
        double due = ev->maint.due_ms ? (double)(ev->maint.due_ms - T0) / 1000.0 : NAN;
        me->due_err[i] = (due - f->failure_s) / f->ttf_s;
    }
}

static double recommend_score = MAINT_RECOMMEND_SCORE;

static int run(struct catalog *cat, const char *scen_path, uint64_t seed, struct maint_eval *me)
{
    char err[512];
    struct queue *q = queue_create(1 << 16);
    struct simulator_options so = {
        .seed = seed, .speed = 0, .duration_s = 86400, .scenario = scen_path, .start_ms = T0};
    struct simulator *s = q ? simulator_create(cat, q, &so, err, sizeof err) : NULL;
    struct engine_options eo = {.history_len = 256};
    struct engine *e = s ? engine_create(cat, NULL, &eo, err, sizeof err) : NULL;
    struct maint *m = e ? maint_create(cat, catalog_machine_count(cat), err, sizeof err) : NULL;
    if (!m) {
        fprintf(stderr, "maint_faults: %s\n", err);
        return -1;
    }
    maint_set_recommend_score(m, recommend_score);
    engine_set_maint(e, m);
    struct engine_sink sink = {.ctx = me, .on_event = maint_eval_event};
    engine_add_sink(e, &sink);
    simulator_start(s);
    static struct sample buf[4096];
    for (;;) {
        size_t k = queue_pop(q, buf, 4096, 50);
        if (!k && simulator_finished(s))
            break;
        if (k)
            engine_process(e, buf, k);
    }
    double peak = 0;
    int peak_at = 0;
    for (int i = 0; i < catalog_machine_count(cat); i++)
        if (maint_peak_score(m, i) > peak) {
            peak = maint_peak_score(m, i);
            peak_at = i;
        }
    printf("%s: largest fault-mode score %.2f (%s)\n", scen_path, peak,
           catalog_machine_at(cat, peak_at)->id);
    simulator_stop(s);
    simulator_destroy(s);
    engine_destroy(e);
    maint_free(m);
    queue_destroy(q);
    return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    if (argc > 2)
        recommend_score = strtod(argv[2], NULL);
    const char *cat_path = argc > 5 ? argv[3] : "data/machines.json";
    const char *faults = argc > 5 ? argv[4] : "data/scenarios/faults.json";
    const char *healthy = argc > 5 ? argv[5] : "data/scenarios/healthy.json";
    char err[512];
    struct catalog *cat = catalog_load(cat_path, err, sizeof err);
    static struct scenario sc;
    static struct maint_eval fe, he;
    if (!cat || scenario_load(faults, cat, &sc, err, sizeof err) < 0) {
        fprintf(stderr, "maint_faults: %s\n", err);
        return 1;
    }
    fe.cat = he.cat = cat;
    fe.sc = &sc;
    if (run(cat, faults, seed, &fe) < 0 || run(cat, healthy, seed, &he) < 0)
        return 1;
    double fracs[64], errs[64];
    int named = 0, n_err = 0;
    for (int i = 0; i < sc.fault_count; i++) {
        const struct simulator_fault *f = &sc.faults[i];
        const struct catalog_fault *cf = fault_of(cat, f);
        bool ok = fe.first_ms[i] != 0;
        printf("%-10s %-20s %-16s first entry %-16s right at %s lead %.2f due-failure %+.2f\n",
               f->machine_id, f->fault, cf ? cf->component : "?",
               fe.first_component[i][0] ? fe.first_component[i] : "-", ok ? "yes" : "no ",
               ok ? fe.first_frac[i] : 0.0, ok ? fe.due_err[i] : NAN);
        fracs[i] = ok ? fe.first_frac[i] : 0.0;
        named += ok;
        if (ok && !isnan(fe.due_err[i]))
            errs[n_err++] = fabs(fe.due_err[i]);
    }
    qsort(fracs, (size_t)sc.fault_count, sizeof fracs[0], dbl_cmp);
    qsort(errs, (size_t)n_err, sizeof errs[0], dbl_cmp);
    printf("BENCH maint_faults_right_component %d of %d faults\n", named, sc.fault_count);
    printf("BENCH maint_faults_median_lead %.2f fraction\n",
           sc.fault_count ? fracs[sc.fault_count / 2] : NAN);
    printf("BENCH maint_faults_median_due_error %.2f fraction\n", n_err ? errs[n_err / 2] : NAN);
    printf("BENCH maint_healthy_above_low %d actions\n", he.above_low);
    printf("BENCH maint_healthy_tool_above_low %d actions\n", he.tool_above_low);
    catalog_free(cat);
    return 0;
}
