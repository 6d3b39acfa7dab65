// SPDX-License-Identifier: MIT
/* The maintenance planner: catalog fault-mode fields and their errors, a drift matched to its
 * fault mode (and a steady sensor telling look-alikes apart), urgency against the lead time,
 * a CNC tool change routine inside the normal wear band, work marked done (refusals, the audit
 * record, the evidence restarting). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fixture.h"
#include "maint.h"
#include "queue.h"
#include "sim.h"

#define T0 1700000000000LL

static const char *const pump_json =
    "{\"version\":1,\"types\":[{\"name\":\"pump\",\"sample_period_s\":1,\"tile\":[\"flow\",\"vib\"]"
    ","
    "\"sensors\":["
    "{\"name\":\"flow\",\"unit\":\"m3/h\",\"nominal\":120,\"display\":[0,200],\"normal\":[95,132],"
    "\"warn\":[80,null],\"alarm\":[60,null]},"
    "{\"name\":\"suction\",\"unit\":\"bar\",\"nominal\":1.2,\"display\":[0,3],\"normal\":[1.0,1.4],"
    "\"warn\":[0.8,null],\"alarm\":[0.55,null]},"
    "{\"name\":\"vib\",\"unit\":\"mm/s\",\"nominal\":2,\"display\":[0,12],\"normal\":[0.5,2.8],"
    "\"warn\":[null,4.5],\"alarm\":[null,7.1]}],"
    "\"faults\":["
    "{\"name\":\"impeller_wear\",\"component\":\"impeller\",\"action\":\"replace\",\"lead_time_h\":"
    "48,"
    "\"signature\":{\"flow\":\"down\",\"suction\":\"steady\"}},"
    "{\"name\":\"cavitation\",\"component\":\"suction "
    "line\",\"action\":\"inspect\",\"lead_time_h\":2,"
    "\"signature\":{\"suction\":\"down\",\"flow\":\"down\",\"vib\":\"up\"}}]}],"
    "\"machines\":[{\"id\":\"P1\",\"type\":\"pump\"}]}";

static struct catalog *pump_catalog(void)
{
    char err[256];
    struct catalog *c = catalog_parse(pump_json, "pump.json", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    return c;
}

/* Feeds one sample per sensor every second from t0_s to t1_s; values from fn. */
static int feed(struct maint *m, double t0_s, double t1_s, double (*fn)(int sensor, double t),
                struct event *events, int max)
{
    int n = 0;
    for (double t = t0_s; t < t1_s; t += 1) {
        int64_t ts = T0 + (int64_t)(t * 1000);
        for (int s = 0; s < 3; s++)
            maint_on_sample(m, 0, s, fn(s, t), ts);
        n += maint_assess(m, 0, NULL, ts, events + n, max - n);
    }
    return n;
}

static double healthy(int sensor, double t)
{
    (void)t;
    static const double nominal[] = {120, 1.2, 2.0};
    return nominal[sensor];
}

/* Cavitation from 1 h on: suction and flow fall, vibration rises, growing to failure at 3 h. */
static double cavitating(int sensor, double t)
{
    double u = t < 3600 ? 0 : fmin(1, (t - 3600) / 7200);
    double sev = u * u;
    static const double nominal[] = {120, 1.2, 2.0};
    double drop[] = {-70 * sev, -0.8 * sev, 6 * sev};
    return nominal[sensor] + drop[sensor];
}

static void test_catalog_fault_fields(void **state)
{
    (void)state;
    struct catalog *c = pump_catalog();
    const struct catalog_type *t = catalog_type_find(c, "pump");
    assert_string_equal(t->faults[0].component, "impeller");
    assert_string_equal(t->faults[0].action, "replace");
    assert_true(fabs(t->faults[0].lead_time_h - 48) < 1e-9);
    assert_int_equal(t->faults[0].signature_count, 2);
    assert_int_equal(t->faults[0].signature_dir[1], 0);
    assert_int_equal(t->faults[1].signature_dir[2], 1);
    assert_int_equal(t->faults[1].compensate, -1);
    catalog_free(c);
    c = fixture_catalog("data/machines.json");
    for (int i = 0; i < catalog_type_count(c); i++) {
        const struct catalog_type *ty = catalog_type_at(c, i);
        for (int f = 0; f < ty->fault_count; f++) {
            assert_true(ty->faults[f].component[0] && ty->faults[f].action[0]);
            assert_true(ty->faults[f].lead_time_h > 0 && ty->faults[f].signature_count > 0);
        }
    }
    catalog_free(c);
}

static void expect_catalog_error(const char *from, const char *to, const char *message)
{
    char json[4096], err[256];
    const char *at = strstr(pump_json, from);
    assert_non_null(at);
    snprintf(json, sizeof json, "%.*s%s%s", (int)(at - pump_json), pump_json, to,
             at + strlen(from));
    struct catalog *c = catalog_parse(json, "pump.json", err, sizeof err);
    assert_null(c);
    if (!strstr(err, message))
        fail_msg("expected \"%s\" in \"%s\"", message, err);
}

static void test_catalog_fault_errors(void **state)
{
    (void)state;
    expect_catalog_error("\"flow\":\"down\",\"suction\"", "\"flo\":\"down\",\"suction\"",
                         "pump.json: type pump fault impeller_wear: signature flo: no such");
    expect_catalog_error("\"vib\":\"up\"", "\"vib\":\"sideways\"",
                         "signature vib: must be \"up\", \"down\" or \"steady\"");
    expect_catalog_error("\"flow\":\"down\",\"suction\"", "\"flow\":\"steady\",\"suction\"",
                         "the first sensor must move");
    expect_catalog_error("\"lead_time_h\":48", "\"lead_time_h\":-1", "\"lead_time_h\" must be");
    expect_catalog_error(",\"action\":\"replace\"", "", "given together");
}

static void test_healthy_plant_plans_nothing(void **state)
{
    (void)state;
    struct catalog *c = pump_catalog();
    char err[128];
    struct maint *m = maint_create(c, 1, err, sizeof err);
    static struct event ev[64];
    assert_int_equal(feed(m, 0, 4 * 3600, healthy, ev, 64), 0);
    struct maint_action plan[4];
    assert_int_equal(maint_plan(m, plan, 4), 0);
    assert_true(maint_peak_score(m, 0) < 0.01);
    maint_free(m);
    catalog_free(c);
}

static void test_cavitation_is_diagnosed_and_escalates(void **state)
{
    (void)state;
    struct catalog *c = pump_catalog();
    char err[128];
    struct maint *m = maint_create(c, 1, err, sizeof err);
    static struct event ev[256];
    int n = feed(m, 0, 3 * 3600, cavitating, ev, 256);
    assert_true(n >= 1);
    assert_int_equal(ev[0].kind, EVENT_MAINT);
    assert_string_equal(ev[0].detector, "recommend");
    /* the steady suction keeps the impeller out: the first recommendation is the suction line */
    assert_string_equal(ev[0].maint.component, "suction line");
    assert_string_equal(ev[0].maint.action, "inspect");
    assert_true(ev[0].ts_ms < T0 + 3 * 3600 * 1000LL);
    struct maint_action plan[4];
    assert_int_equal(maint_plan(m, plan, 4), 1);
    assert_string_equal(plan[0].machine_id, "P1");
    assert_int_equal(plan[0].urgency, MAINT_CRITICAL); /* at the alarm limit by now */
    assert_true(plan[0].first_ms == ev[0].ts_ms);
    assert_non_null(strstr(plan[0].evidence, "fell"));
    char *json = maint_plan_json(m, 0, T0);
    assert_non_null(strstr(json, "\"component\":\"suction line\""));
    assert_non_null(strstr(json, "\"urgency\":\"critical\""));
    free(json);
    maint_free(m);
    catalog_free(c);
}

static const char *const cnc_json =
    "{\"version\":1,\"types\":[{\"name\":\"cnc\",\"sample_period_s\":1,\"tile\":[\"tool.wear_percent\",\"spindle.rpm\"],"
    "\"sensors\":[{\"name\":\"tool.wear_percent\",\"unit\":\"%\",\"nominal\":40,\"display\":[0,100],"
    "\"normal\":[0,80],\"warn\":[null,85],\"alarm\":[null,95]},"
    "{\"name\":\"spindle.rpm\",\"unit\":\"rpm\",\"nominal\":8000,\"display\":[0,12000],\"normal\":[0,12000]}],"
    "\"faults\":[{\"name\":\"tool_chipping\",\"component\":\"tool\",\"action\":\"replace\","
    "\"lead_time_h\":0.25,\"signature\":{\"tool.wear_percent\":\"up\"}}]}],"
    "\"machines\":[{\"id\":\"C1\",\"type\":\"cnc\"}]}";

/* Feeds tool wear once a second over [t0_s, t1_s) with the tool's RUL at rul_min. */
static void feed_tool(struct maint *m, double t0_s, double t1_s, double wear, double rul_min)
{
    struct health_estimate h = {.health = 100, .rul_hours = NAN, .rul_lo_hours = NAN,
                                .rul_hi_hours = NAN, .worst_sensor = -1, .tool_rul_min = rul_min,
                                .spindle_health = NAN};
    static struct event ev[64];
    for (double t = t0_s; t < t1_s; t += 1) {
        int64_t ts = T0 + (int64_t)(t * 1000);
        maint_on_sample(m, 0, 0, wear, ts);
        maint_assess(m, 0, &h, ts, ev, 64);
    }
}

/* A tool near the end of its life but inside the normal wear band is a routine change (the CNC
 * changes it itself); worn past the band with the same RUL, the change is overdue: critical. */
static void test_tool_change_routine_until_worn(void **state)
{
    (void)state;
    char err[256];
    struct catalog *c = catalog_parse(cnc_json, "cnc.json", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    struct maint *m = maint_create(c, 1, err, sizeof err);
    assert_non_null(m);
    feed_tool(m, 0, MAINT_WARMUP_S + 600, 60, 10); /* 10 min left, lead 15 min */
    struct maint_action plan[4];
    assert_int_equal(maint_plan(m, plan, 4), 1);
    assert_string_equal(plan[0].component, "tool");
    assert_int_equal(plan[0].urgency, MAINT_LOW);
    feed_tool(m, MAINT_WARMUP_S + 600, MAINT_WARMUP_S + 4800, 92, 10);
    assert_int_equal(maint_plan(m, plan, 4), 1);
    assert_int_equal(plan[0].urgency, MAINT_CRITICAL);
    maint_free(m);
    catalog_free(c);
}

static int hook_calls;
static char hook_fault[64];
static void done_hook(void *ctx, int machine, const char *fault)
{
    (void)ctx;
    assert_int_equal(machine, 0);
    snprintf(hook_fault, sizeof hook_fault, "%s", fault);
    hook_calls++;
}

static void test_done_records_and_restarts(void **state)
{
    (void)state;
    struct catalog *c = pump_catalog();
    char err[128], msg[256];
    struct maint *m = maint_create(c, 1, err, sizeof err);
    maint_set_done_hook(m, done_hook, NULL);
    static struct event ev[256];
    feed(m, 0, 3 * 3600, cavitating, ev, 256);
    struct alarm_operator op = {.name = "carol", .host = "192.0.2.9"};
    assert_int_equal(maint_done(m, 0, "bearing_wear", &op, "x", T0, msg, sizeof msg), -1);
    assert_string_equal(msg, "P1 has no planned action for bearing_wear");
    assert_int_equal(maint_done(m, 0, "cavitation", &op, "strainer cleared", T0 + 3 * 3600000LL,
                                msg, sizeof msg),
                     0);
    assert_int_equal(hook_calls, 1);
    assert_string_equal(hook_fault, "cavitation");
    struct maint_action plan[4];
    assert_int_equal(maint_plan(m, plan, 4), 0);
    struct event done;
    int machine = -1;
    assert_int_equal(maint_take_done(m, &done, &machine), 1);
    assert_int_equal(machine, 0);
    assert_string_equal(done.detector, "done");
    assert_string_equal(done.maint.who, "carol");
    assert_string_equal(done.maint.host, "192.0.2.9");
    assert_string_equal(done.reason, "strainer cleared");
    assert_string_equal(done.maint.component, "suction line");
    assert_int_equal(maint_take_done(m, &done, &machine), 0);
    /* the evidence restarts: the repaired machine learns a fresh baseline, nothing is planned */
    assert_int_equal(feed(m, 3 * 3600, 5 * 3600, healthy, ev, 256), 0);
    maint_free(m);
    catalog_free(c);
}

static void test_status_and_names(void **state)
{
    (void)state;
    struct catalog *c = fixture_catalog("data/machines.json");
    const struct catalog_type *pump = catalog_type_find(c, "centrifugal-pump");
    int run = maint_run_sensor(pump);
    assert_string_equal(pump->sensors[run].name, "speed_rpm");
    assert_int_equal(maint_status_of(pump, TWIN_OK, 1480), MAINT_RUNNING);
    assert_int_equal(maint_status_of(pump, TWIN_WARN, 100), MAINT_IDLE);
    assert_int_equal(maint_status_of(pump, TWIN_ALARM, 1480), MAINT_IN_ALARM);
    assert_int_equal(maint_status_of(pump, TWIN_STALE, 1480), MAINT_STALE);
    assert_string_equal(maint_status_name(MAINT_OUT_OF_SERVICE), "out_of_service");
    assert_int_equal(maint_urgency_parse("high"), MAINT_HIGH);
    assert_int_equal(maint_urgency_parse("urgent"), -1);
    catalog_free(c);
}

/* The simulator side of "done": the pump's cavitation from the faults scenario, repaired at 4 plant
 * hours, shows its repair time; its suction pressure comes back. */
static void test_simulator_repair(void **state)
{
    (void)state;
    struct catalog *c = fixture_catalog("data/machines.json");
    struct queue *q = queue_create(1 << 16);
    char err[256];
    struct simulator_options opt = {.seed = 1,
                                    .speed = 0,
                                    .duration_s = 5 * 3600,
                                    .scenario = "data/scenarios/faults.json",
                                    .start_ms = T0};
    struct simulator *s = simulator_create(c, q, &opt, err, sizeof err);
    assert_non_null(s);
    int pump = catalog_machine_find(c, "PUMP_001");
    assert_int_equal(simulator_repair(s, pump, "no_such_fault", err, sizeof err), -1);
    assert_non_null(strstr(err, "no simulated fault mode no_such_fault"));
    int suction = catalog_sensor_find(catalog_machine_at(c, pump)->type, "suction_pressure_bar");
    assert_int_equal(simulator_start(s), 0);
    static struct sample buf[4096];
    bool asked = false;
    double before = NAN, after = NAN;
    for (;;) {
        size_t n = queue_pop(q, buf, 4096, 20);
        for (size_t i = 0; i < n; i++) {
            if ((int)buf[i].machine != pump || buf[i].sensor != suction)
                continue;
            double t = (double)(buf[i].ts_ms - T0) / 1000.0;
            if (!asked && t >= 4 * 3600) {
                before = buf[i].u.value;
                assert_int_equal(simulator_repair(s, pump, "cavitation", err, sizeof err), 0);
                asked = true;
            }
            if (t >= 4.9 * 3600)
                after = buf[i].u.value;
        }
        if (n == 0 && simulator_finished(s) && queue_length(q) == 0)
            break;
    }
    simulator_stop(s);
    bool repaired = false;
    for (int i = 0; i < simulator_fault_count(s); i++) {
        struct simulator_fault f;
        simulator_fault_get(s, i, &f);
        if (f.machine == pump)
            repaired = isfinite(f.repair_s) && f.repair_s >= 4 * 3600 && f.repair_s < 5 * 3600;
    }
    assert_true(repaired);
    assert_true(after > before + 0.1); /* suction recovers towards its 1.2 bar */
    simulator_destroy(s);
    queue_destroy(q);
    catalog_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_fault_fields),
        cmocka_unit_test(test_catalog_fault_errors),
        cmocka_unit_test(test_healthy_plant_plans_nothing),
        cmocka_unit_test(test_cavitation_is_diagnosed_and_escalates),
        cmocka_unit_test(test_tool_change_routine_until_worn),
        cmocka_unit_test(test_done_records_and_restarts),
        cmocka_unit_test(test_status_and_names),
        cmocka_unit_test(test_simulator_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
