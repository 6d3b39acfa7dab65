// SPDX-License-Identifier: MIT
/* The plant simulator: determinism whatever the scheduling, physics invariants, faults that
 * grow to failure, the generic model, fault injection. Short simulated runs at --speed max. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "models.h"
#include "queue.h"
#include "sim.h"
#include "fixture.h"

#define START_MS 1795000000000LL
#define MACHINES_MAX 32

static struct catalog *load_plant(void)
{
    struct catalog *c = fixture_catalog("data/machines.json");
    return c;
}

/* ---- whole-simulator runs: per-machine hashes of the sample streams ---- */

struct run_result {
    uint64_t hash[MACHINES_MAX];
    uint64_t count[MACHINES_MAX];
    int64_t last_ts[MACHINES_MAX];
    bool ordered; /* timestamps never go back within a machine */
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 0x100000001b3ULL;
}

static void run_sim(struct catalog *cat, uint64_t seed, double speed, double duration_s,
                    const char *scenario, size_t queue_cap, struct run_result *r)
{
    char err[512] = "";
    memset(r, 0, sizeof *r);
    r->ordered = true;
    for (int m = 0; m < MACHINES_MAX; m++)
        r->hash[m] = 0xcbf29ce484222325ULL;
    struct queue *q = queue_create(queue_cap);
    assert_non_null(q);
    struct simulator_options opt = {.seed = seed,
                                    .speed = speed,
                                    .duration_s = duration_s,
                                    .scenario = scenario,
                                    .start_ms = START_MS};
    struct simulator *s = simulator_create(cat, q, &opt, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    assert_int_equal(simulator_start(s), 0);
    static struct sample buf[4096];
    for (;;) {
        size_t n = queue_pop(q, buf, 4096, 20);
        for (size_t k = 0; k < n; k++) {
            const struct sample *x = &buf[k];
            assert_true(x->machine < MACHINES_MAX);
            uint64_t *h = &r->hash[x->machine];
            hash_bytes(h, &x->ts_ms, sizeof x->ts_ms);
            hash_bytes(h, &x->sensor, sizeof x->sensor);
            if (x->kind == SAMPLE_TEXT)
                hash_bytes(h, x->u.text, strlen(x->u.text));
            else
                hash_bytes(h, &x->u.value, sizeof x->u.value);
            if (x->ts_ms < r->last_ts[x->machine])
                r->ordered = false;
            r->last_ts[x->machine] = x->ts_ms;
            r->count[x->machine]++;
        }
        if (n == 0 && simulator_finished(s) && queue_length(q) == 0)
            break;
    }
    simulator_destroy(s);
    queue_destroy(q);
}

static void test_same_seed_same_samples(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    int machines = catalog_machine_count(cat);
    static struct run_result a, b, tiny, paced, other;
    run_sim(cat, 42, 0, 600, NULL, 1 << 16, &a);
    run_sim(cat, 42, 0, 600, NULL, 1 << 16, &b);
    /* A tiny queue forces a completely different interleaving of the 16 threads. */
    run_sim(cat, 42, 0, 600, NULL, 96, &tiny);
    /* Paced at 6000x: threads sleep and wake on the wall clock; the samples must not care. */
    run_sim(cat, 42, 6000, 600, NULL, 1 << 18, &paced);
    run_sim(cat, 43, 0, 600, NULL, 1 << 16, &other);
    int differ = 0;
    for (int m = 0; m < machines; m++) {
        const struct catalog_type *t = catalog_machine_at(cat, m)->type;
        assert_true(a.count[m] > 0);
        assert_true(a.ordered && tiny.ordered && paced.ordered);
        assert_true(a.hash[m] == b.hash[m]);
        assert_true(a.hash[m] == tiny.hash[m]);
        assert_true(a.hash[m] == paced.hash[m]);
        assert_int_equal(a.count[m], paced.count[m]);
        differ += a.hash[m] != other.hash[m];
        /* every tick of the 600 s is there, the last one just before the end */
        double period_ms = t->sample_period_s * 1000.0;
        assert_int_equal(a.last_ts[m], START_MS + 600000 - (int64_t)period_ms);
    }
    assert_int_equal(differ, machines);
    catalog_free(cat);
}

/* ---- single machines driven tick by tick (no threads) ---- */

struct machine_run {
    struct sim_machine m;
    struct sample out[CATALOG_SENSORS_MAX];
    size_t n;
};

static void machine_open(struct machine_run *r, struct catalog *cat, const char *id, uint64_t seed)
{
    char err[256] = "";
    int idx = catalog_machine_find(cat, id);
    assert_true(idx >= 0);
    if (sim_machine_init(&r->m, cat, idx, seed, START_MS, err, sizeof err) < 0)
        fail_msg("%s", err);
}

static void machine_tick(struct machine_run *r)
{
    r->n = sim_machine_tick(&r->m, r->out);
}

/* The value of a sensor in the last tick (NAN when not emitted). */
static double value_of(const struct machine_run *r, int sensor)
{
    for (size_t k = 0; k < r->n; k++)
        if (r->out[k].sensor == sensor && r->out[k].kind == SAMPLE_VALUE)
            return r->out[k].u.value;
    return NAN;
}

static int sensor(const struct machine_run *r, const char *name)
{
    int s = catalog_sensor_find(r->m.type, name);
    if (s < 0)
        fail_msg("no sensor %s in %s", name, r->m.type->name);
    return s;
}

static bool beyond(double v, double lo, double hi)
{
    return (!isnan(lo) && v < lo) || (!isnan(hi) && v > hi);
}

/* A healthy plant for 6 h: no sample of any machine crosses an alarm limit; temperatures
 * settle into a steady band (hour 5 and hour 6 agree) inside their normal band. */
static void test_healthy_plant_is_quiet_and_settles(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    static struct machine_run r;
    for (int idx = 0; idx < catalog_machine_count(cat); idx++) {
        const char *id = catalog_machine_at(cat, idx)->id;
        machine_open(&r, cat, id, 7);
        const struct catalog_type *t = r.m.type;
        int sensors = catalog_sensor_count(t);
        double sum5[CATALOG_SENSORS_MAX] = {0}, sum6[CATALOG_SENSORS_MAX] = {0};
        long n5 = 0, n6 = 0, outside[CATALOG_SENSORS_MAX] = {0};
        int64_t ticks = (int64_t)(6 * 3600 * 1000 / r.m.period_ms);
        for (int64_t k = 0; k < ticks; k++) {
            machine_tick(&r);
            double t_s = r.m.t_s;
            for (size_t j = 0; j < r.n; j++) {
                const struct sample *x = &r.out[j];
                if (x->kind != SAMPLE_VALUE)
                    continue;
                const struct catalog_sensor *cs = &t->sensors[x->sensor];
                if (beyond(x->u.value, cs->alarm_lo, cs->alarm_hi))
                    fail_msg("%s %s = %g beyond its alarm limit at %.0f s", id, cs->name,
                             x->u.value, t_s);
                if (t_s >= 4 * 3600 && t_s < 5 * 3600)
                    sum5[x->sensor] += x->u.value;
                else if (t_s >= 5 * 3600) {
                    sum6[x->sensor] += x->u.value;
                    outside[x->sensor] += beyond(x->u.value, cs->normal_lo, cs->normal_hi);
                }
            }
            if (t_s >= 4 * 3600 && t_s < 5 * 3600)
                n5++;
            else if (t_s >= 5 * 3600)
                n6++;
        }
        for (int s = 0; s < sensors; s++) {
            const struct catalog_sensor *cs = &t->sensors[s];
            if (cs->is_text || !strstr(cs->name, "temp"))
                continue;
            double m5 = sum5[s] / (double)n5, m6 = sum6[s] / (double)n6;
            double band = cs->normal_hi - cs->normal_lo;
            if (fabs(m5 - m6) > 0.25 * band)
                fail_msg("%s %s does not settle: hour 5 %.2f, hour 6 %.2f", id, cs->name, m5, m6);
            if (outside[s] > n6 / 100)
                fail_msg("%s %s outside its normal band %ld times in hour 6", id, cs->name,
                         outside[s]);
        }
    }
    catalog_free(cat);
}

/* Affinity law: flow is proportional to speed, head to speed squared, whatever the speed. */
static void test_pump_flow_follows_speed(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    static struct machine_run r;
    machine_open(&r, cat, "PUMP_001", 3);
    int sp = sensor(&r, "speed_rpm"), fl = sensor(&r, "flow_m3h");
    int dp = sensor(&r, "discharge_pressure_bar"), su = sensor(&r, "suction_pressure_bar");
    double n0 = r.m.type->sensors[sp].nominal, q0 = r.m.type->sensors[fl].nominal;
    double h0 = r.m.type->sensors[dp].nominal - r.m.type->sensors[su].nominal;
    double smin = 1e9, smax = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    long n = 0;
    for (int k = 0; k < 24 * 3600; k++) {
        machine_tick(&r);
        double s = value_of(&r, sp) / n0, q = value_of(&r, fl) / q0;
        double h = (value_of(&r, dp) - value_of(&r, su)) / h0;
        smin = fmin(smin, s), smax = fmax(smax, s);
        assert_true(fabs(q / s - 1.0) < 0.12);
        assert_true(fabs(h / (s * s) - 1.0) < 0.12);
        sx += s, sy += q, sxx += s * s, syy += q * q, sxy += s * q, n++;
    }
    /* the speed really moved (setpoint changes through the day) and flow went with it */
    assert_true((smax - smin) * n0 > 30.0);
    double cov = sxy / n - (sx / n) * (sy / n);
    double corr = cov / sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
    if (corr < 0.6)
        fail_msg("flow and speed correlate only %.2f", corr);
    catalog_free(cat);
}

/* Taylor tool wear: it only grows while the tool lives and resets at a tool change, which
 * happens at the wear limit; the runtime resets with it. */
static void test_tool_wear_grows_and_resets(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    static struct machine_run r;
    machine_open(&r, cat, "CNC-001", 5);
    int wear = sensor(&r, "tool.wear_percent"), runtime = sensor(&r, "tool.runtime_minutes");
    int mode = sensor(&r, "status.mode"), program = sensor(&r, "status.program");
    double last_wear = -1, last_runtime = -1;
    int changes = 0, grew = 0;
    bool saw_tool_change_mode = false, saw_program = false;
    for (int k = 0; k < 4 * 36000; k++) {
        machine_tick(&r);
        for (size_t j = 0; j < r.n; j++) {
            const struct sample *x = &r.out[j];
            if (x->kind == SAMPLE_TEXT && x->sensor == mode)
                saw_tool_change_mode |= strcmp(x->u.text, "TOOL_CHANGE") == 0;
            if (x->kind == SAMPLE_TEXT && x->sensor == program)
                saw_program |= x->u.text[0] == 'O';
        }
        double w = value_of(&r, wear), rt = value_of(&r, runtime);
        assert_true(w >= 0 && w <= 85.0);
        if (last_wear >= 0 && w < last_wear) {
            assert_true(last_wear >= 72.0); /* changed at the wear limit, not before */
            assert_true(w < 1.0);
            assert_true(rt < last_runtime && rt < 0.01);
            changes++;
        } else if (last_wear >= 0) {
            grew += w > last_wear;
            assert_true(rt >= last_runtime);
        }
        last_wear = w, last_runtime = rt;
    }
    assert_true(changes >= 3); /* a tool lasts ~35 minutes of this work */
    assert_true(grew > 1000);
    assert_true(saw_tool_change_mode && saw_program);
    catalog_free(cat);
}

/* Every fault mode of every catalog type drives some sensor of its machine past an alarm
 * limit between onset and failure; the same machine healthy does not (checked above). */
static void test_every_fault_reaches_alarm_before_failure(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    static struct machine_run r;
    const double onset = 600, ttf = 6 * 3600;
    for (int idx = 0; idx < catalog_machine_count(cat); idx++) {
        const struct catalog_type *t = catalog_machine_at(cat, idx)->type;
        for (int f = 0; f < t->fault_count; f++) {
            machine_open(&r, cat, catalog_machine_at(cat, idx)->id, 11);
            assert_int_equal(sim_machine_add_fault(&r.m, t->faults[f].name, onset, ttf, INFINITY), 0);
            assert_true(sim_machine_fault_index(&r.m, t->faults[f].name) >= 0);
            double first_alarm = -1;
            int64_t ticks = (int64_t)((onset + ttf) * 1000 / r.m.period_ms);
            for (int64_t k = 0; k < ticks && first_alarm < 0; k++) {
                machine_tick(&r);
                for (size_t j = 0; j < r.n; j++) {
                    const struct catalog_sensor *cs = &t->sensors[r.out[j].sensor];
                    if (r.out[j].kind == SAMPLE_VALUE &&
                        beyond(r.out[j].u.value, cs->alarm_lo, cs->alarm_hi))
                        first_alarm = r.m.t_s;
                }
            }
            if (first_alarm < 0)
                fail_msg("%s fault %s never reaches an alarm limit", t->name, t->faults[f].name);
            /* it grows: nothing at onset, the limit only in the second half of the way */
            if (first_alarm < onset + 0.4 * ttf)
                fail_msg("%s fault %s alarms too early (%.0f s)", t->name, t->faults[f].name,
                         first_alarm);
        }
    }
    catalog_free(cat);
}

/* The console's `f` injects a type's first fault mode with 600 s to failure: on every machine
 * the operator sees an alarm limit crossed soon after (thermal lags allow a little overshoot). */
static void test_first_fault_shows_at_console_pace(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    static struct machine_run r;
    for (int idx = 0; idx < catalog_machine_count(cat); idx++) {
        machine_open(&r, cat, catalog_machine_at(cat, idx)->id, 1);
        const struct catalog_type *t = r.m.type;
        assert_int_equal(sim_machine_add_fault(&r.m, NULL, 0, 600, INFINITY), 0);
        double first_alarm = -1;
        for (int64_t k = 0; k < 900 * 1000 / r.m.period_ms && first_alarm < 0; k++) {
            machine_tick(&r);
            for (size_t j = 0; j < r.n; j++) {
                const struct catalog_sensor *cs = &t->sensors[r.out[j].sensor];
                if (r.out[j].kind == SAMPLE_VALUE &&
                    beyond(r.out[j].u.value, cs->alarm_lo, cs->alarm_hi))
                    first_alarm = r.m.t_s;
            }
        }
        if (first_alarm < 0)
            fail_msg("%s: %s shows no alarm within 900 s", t->name, t->faults[0].name);
    }
    catalog_free(cat);
}

/* A fault grows: the pump's vibration late in the fault is well above its level before. */
static void test_fault_grows_from_onset(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    static struct machine_run r;
    machine_open(&r, cat, "PUMP_001", 9);
    assert_int_equal(sim_machine_add_fault(&r.m, "bearing_wear", 600, 1200, INFINITY), 0);
    int vib = sensor(&r, "vibration_mm_s");
    double before = 0, middle = 0, late = 0;
    for (int k = 0; k < 1800; k++) {
        machine_tick(&r);
        double v = value_of(&r, vib);
        if (k < 600)
            before += v / 600;
        else if (k >= 1000 && k < 1200)
            middle += v / 200;
        else if (k >= 1600)
            late += v / 200;
    }
    assert_true(middle > before + 0.3);
    assert_true(late > middle + 2.0);
    assert_true(late > r.m.type->sensors[vib].alarm_hi);

    /* the same fault repaired at 1500 s: back to the level before it; a repair before the onset
     * is refused */
    machine_open(&r, cat, "PUMP_001", 9);
    assert_int_equal(sim_machine_add_fault(&r.m, "bearing_wear", 600, 1200, 600), -1);
    assert_int_equal(sim_machine_add_fault(&r.m, "bearing_wear", 600, 1200, 1500), 0);
    double at_repair = 0, after = 0;
    for (int k = 0; k < 1800; k++) {
        machine_tick(&r);
        double v = value_of(&r, vib);
        if (k >= 1300 && k < 1500)
            at_repair += v / 200;
        else if (k >= 1600)
            after += v / 200;
    }
    assert_true(at_repair > before + 1.0);
    assert_true(fabs(after - before) < 0.3);
    catalog_free(cat);
}

/* A type without a physics model runs on the generic model: quiet inside its normal band,
 * text channels say RUN, and its faults drift a tile sensor past the alarm limit. */
static void test_generic_model_runs_unknown_types(void **state)
{
    (void)state;
    struct catalog *cat = fixture_catalog("tests/data/mini.json");
    static struct machine_run r;
    machine_open(&r, cat, "P1", 1);
    assert_null(sim_model_find(r.m.type->name));
    int temp = sensor(&r, "temp_c"), flow = sensor(&r, "flow_m3h"),
        mode = sensor(&r, "status.mode");
    bool saw_run = false;
    for (int k = 0; k < 7200; k++) {
        machine_tick(&r);
        double tv = value_of(&r, temp), fv = value_of(&r, flow);
        assert_true(tv > 40 && tv < 60);
        assert_true(fv > 90 && fv < 130);
        for (size_t j = 0; j < r.n; j++)
            if (r.out[j].sensor == mode && r.out[j].kind == SAMPLE_TEXT)
                saw_run |= strcmp(r.out[j].u.text, "RUN") == 0;
    }
    assert_true(saw_run);
    assert_int_equal(sim_machine_add_fault(&r.m, "overheat", 7200, 3600, INFINITY), 0);
    double last = 0;
    for (int k = 0; k < 3600; k++) {
        machine_tick(&r);
        last = value_of(&r, temp);
    }
    assert_true(last > 100); /* past the alarm limit at failure */
    catalog_free(cat);
}

/* The console's `f`: thread-safe injection, listed with the scenario's faults. */
static void test_inject_fault(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    char err[512] = "";
    struct queue *q = queue_create(1 << 16);
    struct simulator_options opt = {.seed = 1,
                                    .speed = 0,
                                    .duration_s = 1200,
                                    .scenario = "data/scenarios/demo.json",
                                    .start_ms = START_MS};
    struct simulator *s = simulator_create(cat, q, &opt, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    assert_string_equal(simulator_scenario_name(s), "demo");
    int scenario_faults = simulator_fault_count(s);
    assert_true(scenario_faults >= 3);
    int motor = catalog_machine_find(cat, "MOTOR_001");
    assert_int_equal(simulator_inject_fault(s, motor, "no_such_fault", 60, err, sizeof err), -1);
    assert_non_null(strstr(err, "no_such_fault"));
    assert_int_equal(simulator_inject_fault(s, 999, NULL, 60, err, sizeof err), -1);
    assert_int_equal(simulator_inject_fault(s, motor, NULL, 600, err, sizeof err), 0);
    assert_int_equal(simulator_fault_count(s), scenario_faults + 1);
    struct simulator_fault f;
    assert_int_equal(simulator_fault_get(s, scenario_faults, &f), 0);
    assert_true(f.injected);
    assert_string_equal(f.machine_id, "MOTOR_001");
    assert_string_equal(f.fault, "bearing_wear"); /* the type's first fault mode */
    assert_int_equal(simulator_fault_get(s, scenario_faults + 1, &f), -1);
    assert_int_equal(simulator_start(s), 0);
    static struct sample buf[4096];
    int vib = catalog_sensor_find(catalog_machine_at(cat, motor)->type, "vibration_mm_s");
    double late_vib = 0;
    for (;;) {
        size_t n = queue_pop(q, buf, 4096, 20);
        for (size_t k = 0; k < n; k++)
            if ((int)buf[k].machine == motor && buf[k].sensor == vib)
                late_vib = buf[k].u.value;
        if (n == 0 && simulator_finished(s) && queue_length(q) == 0)
            break;
    }
    assert_true(late_vib > 7.1); /* failed 600 s after the injection */
    assert_true(simulator_clock_ms(s) >= START_MS + 1200000 - 1000);
    assert_int_equal(simulator_period_ms(s, catalog_machine_find(cat, "CNC-001")), 100);
    simulator_destroy(s);
    queue_destroy(q);
    catalog_free(cat);
}

/* Stop is prompt at any speed and safe twice; a slow run does not finish early. */
static void test_stop_and_speed_changes(void **state)
{
    (void)state;
    struct catalog *cat = load_plant();
    char err[512] = "";
    struct queue *q = queue_create(1 << 16);
    struct simulator_options opt = {
        .seed = 1, .speed = 1, .duration_s = 3600, .start_ms = START_MS};
    struct simulator *s = simulator_create(cat, q, &opt, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(simulator_start(s), 0);
    static struct sample buf[4096];
    while (queue_pop(q, buf, 1, 50) == 0) /* the first tick arrives at once */
        ;
    simulator_set_speed(s, 1e-9); /* the console's pause */
    assert_true(simulator_speed(s) < 1e-6);
    assert_false(simulator_finished(s));
    simulator_set_speed(s, 2);
    simulator_stop(s);
    simulator_stop(s);
    assert_false(simulator_finished(s));
    simulator_destroy(s);
    queue_destroy(q);
    catalog_free(cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_samples),
        cmocka_unit_test(test_healthy_plant_is_quiet_and_settles),
        cmocka_unit_test(test_pump_flow_follows_speed),
        cmocka_unit_test(test_tool_wear_grows_and_resets),
        cmocka_unit_test(test_every_fault_reaches_alarm_before_failure),
        cmocka_unit_test(test_first_fault_shows_at_console_pace),
        cmocka_unit_test(test_fault_grows_from_onset),
        cmocka_unit_test(test_generic_model_runs_unknown_types),
        cmocka_unit_test(test_inject_fault),
        cmocka_unit_test(test_stop_and_speed_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
