// SPDX-License-Identifier: MIT
/* Scenario files: the shipped ones load and mean what they say; every kind of mistake is
 * reported with the file and the entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "queue.h"
#include "scenario.h"
#include "sim.h"
#include "fixture.h"

static struct catalog *cat;
static struct scenario sc;

static int setup(void **state)
{
    (void)state;
    cat = fixture_catalog("data/machines.json");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    catalog_free(cat);
    return 0;
}

static void test_shipped_scenarios_load(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(scenario_load("data/scenarios/healthy.json", cat, &sc, err, sizeof err), 0);
    assert_string_equal(sc.name, "healthy");
    assert_int_equal(sc.fault_count, 0);

    assert_int_equal(scenario_load("data/scenarios/demo.json", cat, &sc, err, sizeof err), 0);
    assert_string_equal(sc.name, "demo");
    /* a newcomer sees something within 3 minutes, the CNC among the first */
    bool early = false, cnc = false;
    for (int k = 0; k < sc.fault_count; k++) {
        early |= sc.faults[k].failure_s <= 180;
        cnc |= strcmp(sc.faults[k].machine_id, "CNC-001") == 0 && sc.faults[k].failure_s <= 240;
    }
    assert_true(early && cnc && sc.fault_count >= 4);

    assert_int_equal(scenario_load("data/scenarios/faults.json", cat, &sc, err, sizeof err), 0);
    /* one fault per machine type, onset and failure inside a 24 h run */
    int per_type[CATALOG_TYPES_MAX] = {0};
    for (int k = 0; k < sc.fault_count; k++) {
        const struct simulator_fault *f = &sc.faults[k];
        assert_true(f->onset_s > 0 && f->failure_s < 86400);
        assert_true(f->failure_s == f->onset_s + f->ttf_s);
        const struct catalog_type *t = catalog_machine_at(cat, f->machine)->type;
        for (int i = 0; i < catalog_type_count(cat); i++)
            per_type[i] += catalog_type_at(cat, i) == t;
    }
    for (int i = 0; i < catalog_type_count(cat); i++)
        assert_int_equal(per_type[i], 1);
    for (int k = 0; k < sc.fault_count; k++)
        assert_true(isinf(sc.faults[k].repair_s)); /* never repaired unless the file says so */

    /* the faults again, each repaired half-way to its failure */
    static struct scenario fx;
    fx = sc;
    assert_int_equal(scenario_load("data/scenarios/repair.json", cat, &sc, err, sizeof err), 0);
    assert_int_equal(sc.fault_count, fx.fault_count);
    for (int k = 0; k < sc.fault_count; k++) {
        assert_string_equal(sc.faults[k].fault, fx.faults[k].fault);
        assert_true(sc.faults[k].repair_s == sc.faults[k].onset_s + sc.faults[k].ttf_s / 2);
    }
}

static void expect_error(const char *json, const char *want)
{
    char err[512] = "";
    if (scenario_parse(json, "demo.json", cat, &sc, err, sizeof err) == 0)
        fail_msg("accepted: %s", json);
    if (!strstr(err, want))
        fail_msg("message '%s' lacks '%s'", err, want);
}

static void test_errors_name_file_and_entry(void **state)
{
    (void)state;
    expect_error("{\"faults\": [\n{\"machine\": \"PUMP_001\",\n \"fault\": }]}",
                 "demo.json:3: not valid JSON");
    expect_error("[1, 2]", "demo.json: the top level must be an object");
    expect_error("{\"faults\": {}}", "demo.json: \"faults\" must be an array");
    expect_error("{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":1,"
                 "\"time_to_failure_s\":60}, {\"machine\":\"PUMP_9\",\"fault\":\"x\"}]}",
                 "demo.json: fault 2: unknown machine PUMP_9");
    expect_error("{\"faults\": [7]}", "demo.json: fault 1: must be an object");
    expect_error("{\"faults\": [{\"fault\":\"cavitation\"}]}", "fault 1: \"machine\" must be");
    expect_error("{\"faults\": [{\"machine\":\"PUMP_001\"}]}", "fault 1: \"fault\" must be");
    expect_error(
        "{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"tool_chipping\",\"onset_s\":1,"
        "\"time_to_failure_s\":60}]}",
        "fault 1: machine PUMP_001 (centrifugal-pump) has no fault mode 'tool_chipping' "
        "(known: bearing_wear, cavitation, impeller_wear)");
    expect_error("{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":-5,"
                 "\"time_to_failure_s\":60}]}",
                 "fault 1: \"onset_s\" must be");
    expect_error(
        "{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":\"soon\","
        "\"time_to_failure_s\":60}]}",
        "fault 1: \"onset_s\" must be");
    expect_error("{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":5,"
                 "\"time_to_failure_s\":0}]}",
                 "fault 1: \"time_to_failure_s\" must be");
    expect_error("{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":50,"
                 "\"time_to_failure_s\":60,\"repair_s\":40}]}",
                 "fault 1: \"repair_s\" must be seconds or a duration after \"onset_s\"");
    expect_error("{\"faults\": [{\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":50,"
                 "\"time_to_failure_s\":60,\"repair_s\":\"later\"}]}",
                 "fault 1: \"repair_s\" must be");
}

static void test_durations_and_defaults(void **state)
{
    (void)state;
    char err[512] = "";
    const char *json =
        "{\"faults\": [{\"machine\":\"CNC-001\",\"fault\":\"coolant_clog\","
        "\"onset_s\":\"2h\",\"time_to_failure_s\":\"90m\"},"
        "{\"machine\":\"KILN_001\",\"fault\":\"ring_formation\",\"onset_s\":\"1500ms\","
        "\"time_to_failure_s\":\"1d\"}]}";
    assert_int_equal(scenario_parse(json, "data/scenarios/mine.json", cat, &sc, err, sizeof err),
                     0);
    assert_string_equal(sc.name, "mine"); /* from the file name when the file has none */
    assert_int_equal(sc.fault_count, 2);
    assert_true(sc.faults[0].onset_s == 7200 && sc.faults[0].ttf_s == 5400);
    assert_true(sc.faults[1].onset_s == 1.5 && sc.faults[1].ttf_s == 86400);
    assert_int_equal(sc.faults[1].machine, catalog_machine_find(cat, "KILN_001"));
}

/* The simulator refuses a bad scenario with the scenario's message; a missing file is named. */
static void test_simulator_refuses_bad_scenarios(void **state)
{
    (void)state;
    char err[512] = "", path[] = "/tmp/twintop-scenario-XXXXXX";
    struct queue *q = queue_create(1024);
    struct simulator_options opt = {.seed = 1, .scenario = "data/scenarios/no-such.json"};
    assert_null(simulator_create(cat, q, &opt, err, sizeof err));
    assert_non_null(strstr(err, "data/scenarios/no-such.json: "));
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *bad = "{\"faults\":[{\"machine\":\"FAN_001\",\"fault\":\"imbalance\",\"onset_s\":1,"
                      "\"time_to_failure_s\":9},{\"machine\":\"FAN_9\",\"fault\":\"imbalance\"}]}";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    opt.scenario = path;
    assert_null(simulator_create(cat, q, &opt, err, sizeof err));
    char want[256];
    snprintf(want, sizeof want, "%s: fault 2: unknown machine FAN_9", path);
    assert_string_equal(err, want);
    unlink(path);
    queue_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_scenarios_load),
        cmocka_unit_test(test_errors_name_file_and_entry),
        cmocka_unit_test(test_durations_and_defaults),
        cmocka_unit_test(test_simulator_refuses_bad_scenarios),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
