// SPDX-License-Identifier: MIT
/* The catalog loader: the shipped catalog loads, and each kind of malformed file is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "fixture.h"

static void test_shipped_catalog_has_the_plant(void **state)
{
    (void)state;
    struct catalog *c = fixture_catalog("data/machines.json");
    assert_int_equal(catalog_machine_count(c), 16);
    static const char *ids[] = {"PUMP_001", "COMP_001",  "MOTOR_001", "CONV_001",
                                "GEAR_001", "HEAT_001",  "TURB_001",  "RECP_001",
                                "COOL_001", "FAN_001",   "PRESS_001", "BOIL_001",
                                "KILN_001", "CRANE_001", "CPUMP_001", "CNC-001"};
    for (size_t i = 0; i < 16; i++) {
        int m = catalog_machine_find(c, ids[i]);
        assert_true(m >= 0);
        const struct catalog_type *t = catalog_machine_at(c, m)->type;
        assert_true(t->tile_count >= 2 && t->tile_count <= 4);
        assert_true(t->fault_count >= 2);
        assert_true(catalog_sensor_count(t) >= 4);
        /* the demo plant is laid out as a site: every machine has an area and a line */
        assert_true(catalog_machine_at(c, m)->area[0] && catalog_machine_at(c, m)->line[0]);
    }
    assert_string_equal(catalog_machine_at(c, catalog_machine_find(c, "CNC-001"))->area,
                        "Machining cell");
    const struct catalog_type *cnc = catalog_machine_at(c, catalog_machine_find(c, "CNC-001"))->type;
    assert_true(catalog_sensor_find(cnc, "spindle.rpm") >= 0);
    assert_true(catalog_sensor_find(cnc, "tool.wear_percent") >= 0);
    catalog_free(c);
}

static void test_learned_machines_are_capped(void **state)
{
    (void)state;
    struct catalog *c = fixture_catalog("tests/data/mini.json");
    catalog_set_max_machines(c, 3);
    int m = catalog_add_machine(c, "CNC-9", "cnc");
    assert_int_equal(m, 2);
    assert_int_equal(catalog_add_machine(c, "CNC-9", "cnc"), 2);
    assert_int_equal(catalog_add_machine(c, "CNC-10", NULL), -1);
    int s = catalog_add_sensor(c, m, "spindle.temperature_c", false);
    assert_int_equal(s, 0);
    assert_int_equal(catalog_add_sensor(c, m, "spindle.temperature_c", false), 0);
    assert_int_equal(catalog_sensor_count(catalog_machine_at(c, m)->type), 1);
    /* A learned machine of a catalog type inherits that type's sensors and limits. */
    catalog_set_max_machines(c, 10);
    int p = catalog_add_machine(c, "P9", "test-pump");
    assert_true(p > 0);
    assert_int_equal(catalog_sensor_find(catalog_machine_at(c, p)->type, "flow_m3h"), 1);
    assert_string_equal(catalog_machine_at(c, p)->area, "");
    /* a learned machine may say where it stands; a known one keeps its own place */
    int q = catalog_add_machine_at(c, "Q9", NULL, "North site", "Edge 7");
    assert_string_equal(catalog_machine_at(c, q)->area, "North site");
    assert_string_equal(catalog_machine_at(c, q)->line, "Edge 7");
    assert_int_equal(catalog_add_machine_at(c, "Q9", NULL, "South", "x"), q);
    assert_string_equal(catalog_machine_at(c, q)->area, "North site");
    catalog_free(c);
}

struct bad_case {
    const char *json;
    const char *expect; /* substring of the message */
};

#define SENSOR_OK "{\"name\":\"t\",\"unit\":\"C\",\"display\":[0,100],\"normal\":[10,20]}"
#define TYPE(sensors, tile) \
    "{\"types\":[{\"name\":\"a\",\"sensors\":[" sensors "],\"tile\":[" tile "]}]," \
    "\"machines\":[{\"id\":\"M1\",\"type\":\"a\"}]}"

static void test_malformed_files_are_named(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"{\"types\": [\n  {\"name\": \"a\",,}\n]}", "x.json:2: not valid JSON"},
        {"{\"machines\":[]}", "x.json: \"types\" must be a non-empty array"},
        {TYPE("{\"name\":\"t\",\"unit\":\"C\",\"display\":[0,100]}", "\"t\",\"t\""),
         "x.json: type a sensor t: \"normal\" must be [low, high] numbers"},
        {TYPE("{\"name\":\"t\",\"unit\":\"C\",\"display\":[0,100],\"normal\":[10,20],"
              "\"warn\":[null,15]}", "\"t\",\"t\""),
         "x.json: type a sensor t: high warn limit lies inside the normal band"},
        {TYPE("{\"name\":\"t\",\"unit\":\"C\",\"display\":[0,100],\"normal\":[10,20],"
              "\"warn\":[null,30],\"alarm\":[null,25]}", "\"t\",\"t\""),
         "x.json: type a sensor t: high alarm limit is below the high warn limit"},
        {TYPE("{\"name\":\"t\",\"unit\":\"C\",\"display\":[0,100],\"normal\":[10,20],"
              "\"deadband\":\"x\"}", "\"t\",\"t\""),
         "x.json: type a sensor t: nominal, deadband"},
        {TYPE("{\"name\":\"t\",\"unit\":\"C\",\"display\":[0,100],\"normal\":[10,20],"
              "\"safety_critical\":\"yes\"}", "\"t\",\"t\""),
         "x.json: type a sensor t: \"safety_critical\" must be true or false"},
        {TYPE(SENSOR_OK, "\"t\",\"nope\""), "x.json: type a: tile sensor nope is not"},
        {TYPE(SENSOR_OK "," SENSOR_OK, "\"t\",\"t\""), "x.json: type a sensor t: defined twice"},
        {"{\"types\":[{\"name\":\"a\",\"sensors\":[" SENSOR_OK "],\"tile\":[\"t\",\"t\"]}],"
         "\"machines\":[{\"id\":\"M1\",\"type\":\"b\"}]}",
         "x.json: machine M1: unknown type b"},
        {"{\"types\":[{\"name\":\"a\",\"sensors\":[" SENSOR_OK "],\"tile\":[\"t\",\"t\"]}],"
         "\"machines\":[{\"id\":\"M1\",\"type\":\"a\"},{\"id\":\"M1\",\"type\":\"a\"}]}",
         "x.json: machine M1: id used twice"},
        {"{\"types\":[{\"name\":\"a\",\"sensors\":[" SENSOR_OK "],\"tile\":[\"t\",\"t\"]}],"
         "\"machines\":[{\"id\":\"M1\",\"type\":\"a\",\"area\":7}]}",
         "x.json: machine M1: \"area\" must be a string of 1 to 47 bytes"},
        {"{\"types\":[{\"name\":\"a\",\"sensors\":[" SENSOR_OK "],\"tile\":[\"t\",\"t\"]}],"
         "\"machines\":[{\"id\":\"M1\",\"type\":\"a\",\"line\":\"\"}]}",
         "x.json: machine M1: \"line\" must be a string of 1 to 47 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        struct catalog *c = catalog_parse(cases[i].json, "x.json", err, sizeof err);
        if (c || !strstr(err, cases[i].expect))
            fail_msg("case %zu: got '%s', want '%s'", i, c ? "(loaded)" : err, cases[i].expect);
    }
    char err[512];
    assert_null(catalog_load("/nonexistent/m.json", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/m.json: No such file"));
}

/* Safety-critical sensors are a catalog flag: set on the eight the plant names, off elsewhere. */
static void test_safety_critical_flag(void **state)
{
    (void)state;
    char err[256];
    struct catalog *c = catalog_load("data/machines.json", err, sizeof err);
    assert_non_null(c);
    int flagged = 0, boiler_level = 0;
    for (int i = 0; i < catalog_machine_count(c); i++) {
        const struct catalog_type *t = catalog_machine_at(c, i)->type;
        for (int k = 0; k < catalog_sensor_count(t); k++) {
            flagged += t->sensors[k].safety_critical;
            if (strcmp(t->sensors[k].name, "drum_level_pct") == 0)
                boiler_level = t->sensors[k].safety_critical;
            if (strcmp(t->sensors[k].name, "flow_m3h") == 0)
                assert_false(t->sensors[k].safety_critical);
        }
    }
    assert_true(boiler_level);
    assert_int_equal(flagged, 8); /* one machine of each type carrying such a sensor */
    catalog_free(c);
}

static void test_limits_default_to_none(void **state)
{
    (void)state;
    struct catalog *c = fixture_catalog("tests/data/mini.json");
    const struct catalog_type *t = catalog_type_find(c, "test-pump");
    const struct catalog_sensor *flow = &t->sensors[catalog_sensor_find(t, "flow_m3h")];
    assert_true(isnan(flow->warn_hi) && isnan(flow->alarm_hi));
    assert_true(flow->warn_lo == 60 && flow->alarm_lo == 30);
    assert_true(t->sensors[2].is_text);
    catalog_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_catalog_has_the_plant),
        cmocka_unit_test(test_learned_machines_are_capped),
        cmocka_unit_test(test_malformed_files_are_named),
        cmocka_unit_test(test_safety_critical_flag),
        cmocka_unit_test(test_limits_default_to_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
