// SPDX-License-Identifier: MIT
/* Payload decoding and encoding: the three wire formats, learned machines, the machine cap and
 * garbage of every kind the issue names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "mqtt_codec.h"
#include "sparkplug.h"

static const char *test_catalog_json =
    "{\"types\":["
    "{\"name\":\"centrifugal-pump\",\"sensors\":["
    "{\"name\":\"speed_rpm\",\"unit\":\"rpm\",\"display\":[0,2000],\"normal\":[1400,1550]},"
    "{\"name\":\"discharge_pressure_bar\",\"unit\":\"bar\",\"display\":[0,10],\"normal\":[5,8]},"
    "{\"name\":\"bearing_temp_c\",\"unit\":\"C\",\"display\":[0,120],\"normal\":[40,70]},"
    "{\"name\":\"vibration_mm_s\",\"unit\":\"mm/s\",\"display\":[0,12],\"normal\":[0,2.8]}],"
    "\"tile\":[\"speed_rpm\",\"vibration_mm_s\"]},"
    "{\"name\":\"cnc-machining-centre\",\"sample_period_s\":0.1,\"sensors\":["
    "{\"name\":\"spindle.rpm\",\"display\":[0,12000],\"normal\":[0,12000]},"
    "{\"name\":\"spindle.temperature_c\",\"display\":[0,120],\"normal\":[20,80]},"
    "{\"name\":\"axes.x.position_mm\",\"display\":[-500,500],\"normal\":[-500,500]},"
    "{\"name\":\"tool.wear_percent\",\"display\":[0,100],\"normal\":[0,80]},"
    "{\"name\":\"status.mode\",\"text\":true},"
    "{\"name\":\"status.program\",\"text\":true}],"
    "\"tile\":[\"spindle.rpm\",\"spindle.temperature_c\"]}],"
    "\"machines\":[{\"id\":\"PUMP_001\",\"type\":\"centrifugal-pump\"},"
    "{\"id\":\"CNC-001\",\"type\":\"cnc-machining-centre\"}]}";

struct fixture {
    struct catalog *cat;
    struct mqtt_codec *codec;
    struct sample out[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    f->cat = catalog_parse(test_catalog_json, "test", err, sizeof err);
    if (!f->cat) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    f->codec = mqtt_codec_create(f->cat);
    if (f->codec) /* the fixture decodes 2026 payloads at now = 1 s */
        mqtt_codec_set_max_skew(f->codec, -1);
    *state = f;
    return f->codec ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mqtt_codec_destroy(f->codec);
    catalog_free(f->cat);
    free(f);
    return 0;
}

static int decode(struct fixture *f, const char *topic, const char *payload)
{
    return mqtt_codec_decode(f->codec, topic, payload, strlen(payload), 1000, f->out, 256);
}

static const struct sample *find(struct fixture *f, int n, int machine, const char *sensor)
{
    const struct catalog_type *t = catalog_machine_at(f->cat, machine)->type;
    int s = catalog_sensor_find(t, sensor);
    for (int i = 0; s >= 0 && i < n; i++)
        if ((int)f->out[i].machine == machine && f->out[i].sensor == s)
            return &f->out[i];
    return NULL;
}

static void test_own_format(void **state)
{
    struct fixture *f = *state;
    int n = decode(f, "dt/centrifugal-pump/PUMP_001/telemetry",
                   "{\"machine_id\":\"PUMP_001\",\"type\":\"centrifugal-pump\","
                   "\"ts\":\"2026-11-22T10:00:00.250Z\",\"data\":{\"speed_rpm\":1480.5,"
                   "\"vibration_mm_s\":2.1}}");
    assert_int_equal(n, 2);
    int m = catalog_machine_find(f->cat, "PUMP_001");
    const struct sample *s = find(f, n, m, "speed_rpm");
    assert_non_null(s);
    assert_int_equal(s->kind, SAMPLE_VALUE);
    assert_true(s->u.value == 1480.5);
    assert_true(s->ts_ms == 1795341600250LL);
    assert_non_null(find(f, n, m, "vibration_mm_s"));
}

/* The time policy: 5 min ahead of the clock is fine, beyond it is refused and counted. */
static void test_future_timestamp_refused(void **state)
{
    struct fixture *f = *state;
    mqtt_codec_set_max_skew(f->codec, MQTT_CODEC_SKEW_DEFAULT_MS);
    const int64_t now = 1795341600000LL; /* 2026-11-22T10:00:00Z */
    const char *soon = "{\"machine_id\":\"PUMP_001\",\"ts\":\"2026-11-22T10:04:59Z\","
                       "\"data\":{\"speed_rpm\":1}}";
    const char *y2099 = "{\"machine_id\":\"PUMP_001\",\"ts\":\"2099-01-01T00:00:00Z\","
                        "\"data\":{\"speed_rpm\":1}}";
    const char *feb30 = "{\"machine_id\":\"PUMP_001\",\"ts\":\"2026-02-30T00:00:00Z\","
                        "\"data\":{\"speed_rpm\":1}}";
    assert_int_equal(mqtt_codec_decode(f->codec, NULL, soon, strlen(soon), now, f->out, 256), 1);
    assert_int_equal(mqtt_codec_decode(f->codec, NULL, y2099, strlen(y2099), now, f->out, 256),
                     -MQTT_CODEC_FUTURE_TIMESTAMP);
    assert_int_equal(mqtt_codec_decode(f->codec, NULL, feb30, strlen(feb30), now, f->out, 256),
                     -MQTT_CODEC_BAD_TIMESTAMP);
    struct mqtt_codec_stats st;
    mqtt_codec_get_stats(f->codec, &st);
    assert_true(st.rejected[MQTT_CODEC_FUTURE_TIMESTAMP] == 1);
    char json[512];
    mqtt_codec_stats_json(&st, json, sizeof json);
    assert_non_null(strstr(json, "\"future_timestamp\":1"));
}

static void test_cnc_simulator_model(void **state)
{
    struct fixture *f = *state;
    int n = decode(f, "dt/cnc/CNC-001/telemetry",
                   "{\"timestamp\":\"2026-02-04T06:40:00Z\",\"machine_id\":\"CNC-001\","
                   "\"spindle\":{\"rpm\":8000,\"temperature_c\":45.5},"
                   "\"axes\":{\"x\":{\"position_mm\":-12.5}},\"tool\":{\"wear_percent\":12},"
                   "\"status\":{\"mode\":\"AUTO\",\"program\":\"O1234\"}}");
    assert_int_equal(n, 6);
    int m = catalog_machine_find(f->cat, "CNC-001");
    assert_true(find(f, n, m, "spindle.rpm")->u.value == 8000);
    assert_true(find(f, n, m, "axes.x.position_mm")->u.value == -12.5);
    const struct sample *mode = find(f, n, m, "status.mode");
    assert_int_equal(mode->kind, SAMPLE_TEXT);
    assert_string_equal(mode->u.text, "AUTO");
    assert_true(mode->ts_ms == 1770187200000LL);
}

static void test_cnc_api_envelope_learns_machine(void **state)
{
    struct fixture *f = *state;
    int before = catalog_machine_count(f->cat);
    int n = decode(f, "dt/cnc/CNC-9/telemetry",
                   "{\"timestamp\":\"2026-02-04T06:40:00Z\",\"machine_id\":\"CNC-9\","
                   "\"data\":{\"spindle\":{\"temperature_c\":95.0}}}");
    assert_int_equal(n, 1);
    assert_int_equal(catalog_machine_count(f->cat), before + 1);
    int m = catalog_machine_find(f->cat, "CNC-9");
    assert_true(m >= 0);
    struct catalog_machine *cm = catalog_machine_at(f->cat, m);
    assert_string_equal(cm->type->name, "cnc");
    assert_false(cm->simulated);
    assert_true(find(f, n, m, "spindle.temperature_c")->u.value == 95.0);
    /* a second payload learns a second sensor on the same machine */
    n = decode(f, "dt/cnc/CNC-9/telemetry",
               "{\"machine_id\":\"CNC-9\",\"data\":{\"spindle\":{\"rpm\":100}}}");
    assert_int_equal(n, 1);
    assert_int_equal(catalog_sensor_count(cm->type), 2);
    assert_int_equal(catalog_machine_count(f->cat), before + 1);
}

static void test_kafka_format(void **state)
{
    struct fixture *f = *state;
    int n = decode(f, NULL,
                   "{\"machineId\":\"PUMP_001\",\"timestamp\":1763805600,\"sensorData\":"
                   "{\"temperature\":61.5,\"vibration\":3.2,\"load\":70,\"pressure\":6.6,"
                   "\"rpm\":1475},\"status\":\"NORMAL\"}");
    /* temperature, vibration, pressure, rpm map onto the pump's sensors; load has none */
    assert_int_equal(n, 4);
    int m = catalog_machine_find(f->cat, "PUMP_001");
    assert_true(find(f, n, m, "bearing_temp_c")->u.value == 61.5);
    assert_true(find(f, n, m, "vibration_mm_s")->u.value == 3.2);
    assert_true(find(f, n, m, "discharge_pressure_bar")->u.value == 6.6);
    assert_true(find(f, n, m, "speed_rpm")->ts_ms == 1763805600000LL);
    struct mqtt_codec_stats st;
    mqtt_codec_get_stats(f->codec, &st);
    assert_true(st.fields_unmapped >= 2); /* load and status */

    /* an unknown Kafka machine with an ISO time learns every field, status as text */
    n = decode(f, NULL,
               "{\"machineId\":\"FAN_077\",\"timestamp\":\"2025-11-22T10:00:00+01:00\","
               "\"sensorData\":{\"temperature\":41,\"rpm\":990},\"status\":\"WARNING\"}");
    assert_int_equal(n, 3);
    m = catalog_machine_find(f->cat, "FAN_077");
    assert_string_equal(catalog_machine_at(f->cat, m)->type->name, "unknown");
    assert_true(find(f, n, m, "rpm")->ts_ms == 1763802000000LL);
    assert_string_equal(find(f, n, m, "status")->u.text, "WARNING");
}

static void test_epoch_milliseconds_and_fraction(void **state)
{
    struct fixture *f = *state;
    struct mqtt_codec_record rec;
    const char *p = "{\"machine_id\":\"A\",\"ts\":1763805600123,\"data\":{\"v\":1}}";
    assert_int_equal(mqtt_codec_parse(p, strlen(p), NULL, 0, &rec), MQTT_CODEC_OK);
    assert_true(rec.ts_ms == 1763805600123LL);
    p = "{\"machine_id\":\"A\",\"timestamp\":1763805600.5,\"data\":{\"v\":1}}";
    assert_int_equal(mqtt_codec_parse(p, strlen(p), NULL, 0, &rec), MQTT_CODEC_OK);
    assert_true(rec.ts_ms == 1763805600500LL);
    p = "{\"machine_id\":\"A\",\"data\":{\"v\":1}}"; /* no time: the receive time */
    assert_int_equal(mqtt_codec_parse(p, strlen(p), NULL, 4242, &rec), MQTT_CODEC_OK);
    assert_true(rec.ts_ms == 4242);
    (void)f;
}

static void test_rejects_counted(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *payload;
        int reason;
    } cases[] = {
        {"not json", MQTT_CODEC_NOT_JSON},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1", MQTT_CODEC_NOT_JSON},
        {"[1,2,3]", MQTT_CODEC_NOT_JSON},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1}} trailing", MQTT_CODEC_NOT_JSON},
        {"{\"data\":{\"speed_rpm\":1}}", MQTT_CODEC_NO_MACHINE_ID},
        {"{\"machine_id\":\"\",\"data\":{\"speed_rpm\":1}}", MQTT_CODEC_NO_MACHINE_ID},
        {"{\"machine_id\":[1],\"data\":{\"speed_rpm\":1}}", MQTT_CODEC_NO_MACHINE_ID},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":\"NaN\"}}",
         MQTT_CODEC_NO_NUMERIC_FIELD},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{}}", MQTT_CODEC_NO_NUMERIC_FIELD},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1e999}}",
         MQTT_CODEC_NO_NUMERIC_FIELD},
        {"{\"machine_id\":\"PUMP_001\",\"ts\":\"yesterday\",\"data\":{\"speed_rpm\":1}}",
         MQTT_CODEC_BAD_TIMESTAMP},
        {"{\"machine_id\":\"PUMP_001\",\"ts\":-5,\"data\":{\"speed_rpm\":1}}",
         MQTT_CODEC_BAD_TIMESTAMP},
        {"{\"machine_id\":\"PUMP_001\",\"ts\":1e300,\"data\":{\"speed_rpm\":1}}",
         MQTT_CODEC_BAD_TIMESTAMP},
        {"{\"machine_id\":\"PUMP_001\",\"ts\":\"2026-13-01T00:00:00Z\",\"data\":{\"x\":1}}",
         MQTT_CODEC_BAD_TIMESTAMP},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int n = decode(f, "dt/x/y/telemetry", cases[i].payload);
        if (n != -cases[i].reason)
            fail_msg("case %zu (%s): got %d, want %d", i, cases[i].payload, n, -cases[i].reason);
    }
    struct mqtt_codec_stats st;
    mqtt_codec_get_stats(f->codec, &st);
    assert_int_equal(st.received, sizeof cases / sizeof *cases);
    assert_int_equal(st.rejected[MQTT_CODEC_NOT_JSON], 4);
    assert_int_equal(st.rejected[MQTT_CODEC_NO_MACHINE_ID], 3);
    assert_int_equal(st.rejected[MQTT_CODEC_NO_NUMERIC_FIELD], 3);
    assert_int_equal(st.rejected[MQTT_CODEC_BAD_TIMESTAMP], 4);
    assert_int_equal(st.rejected_total, sizeof cases / sizeof *cases);
    assert_int_equal(st.decoded, 0);
    char json[512];
    mqtt_codec_stats_json(&st, json, sizeof json);
    assert_non_null(strstr(json, "\"received\":14,\"rejected\":{\"not_json\":4,"));
}

static void test_binary_and_huge(void **state)
{
    struct fixture *f = *state;
    unsigned char bin[4096];
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof bin; i++) {
            seed = seed * 1103515245u + 12345u;
            bin[i] = (unsigned char)(seed >> 16);
        }
        bin[0] = (unsigned char)(round % 2 ? '{' : bin[0]);
        int n = mqtt_codec_decode(f->codec, "dt/a/b/telemetry", bin,
                                  (size_t)(seed % sizeof bin) + 1, 0, f->out, 256);
        assert_true(n < 0);
    }
    size_t big = 1024 * 1024;
    char *mb = malloc(big + 1);
    int off =
        snprintf(mb, big, "{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1,\"pad\":\"");
    memset(mb + off, 'x', big - (size_t)off - 3);
    memcpy(mb + big - 3, "\"}}", 4);
    assert_int_equal(mqtt_codec_decode(f->codec, NULL, mb, big, 0, f->out, 256),
                     -MQTT_CODEC_TOO_LARGE);
    free(mb);
    /* a deep nest stays bounded */
    char deep[4200];
    size_t d = 0;
    d += (size_t)snprintf(deep, sizeof deep, "{\"machine_id\":\"PUMP_001\",\"data\":");
    for (int i = 0; i < 1000; i++)
        deep[d++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[d++] = ']';
    deep[d++] = '}';
    deep[d] = '\0';
    assert_true(decode(f, NULL, deep) < 0);
    /* truncations of a good payload never crash and never decode into a wrong machine */
    const char *good = "{\"machine_id\":\"PUMP_001\",\"ts\":\"2026-11-22T10:00:00Z\","
                       "\"data\":{\"speed_rpm\":1480,\"bearing_temp_c\":55}}";
    for (size_t cut = 0; cut < strlen(good); cut++)
        assert_true(mqtt_codec_decode(f->codec, NULL, good, cut, 0, f->out, 256) < 0);
    assert_int_equal(decode(f, NULL, good), 2);
}

static void test_huge_numbers_and_nan_strings(void **state)
{
    struct fixture *f = *state;
    int n = decode(f, NULL,
                   "{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1e308,"
                   "\"bearing_temp_c\":\"NaN\",\"vibration_mm_s\":\"2.5\","
                   "\"discharge_pressure_bar\":-1e400}}");
    assert_int_equal(n, 2); /* 1e308 is finite; "NaN" and -inf are dropped; "2.5" is read */
    int m = catalog_machine_find(f->cat, "PUMP_001");
    assert_true(find(f, n, m, "speed_rpm")->u.value == 1e308);
    assert_true(find(f, n, m, "vibration_mm_s")->u.value == 2.5);
    assert_null(find(f, n, m, "bearing_temp_c"));
}

static void test_control_characters_in_ids(void **state)
{
    struct fixture *f = *state;
    int n = decode(f, "dt/\x1b[31m/x/telemetry",
                   "{\"machine_id\":\"EVIL\\u001b[2J\\u0007id/+#\",\"data\":{\"a\\u0001b\":1,"
                   "\"note\":\"\\u001b]0;pwned\\u0007\"}}");
    assert_int_equal(n, 2);
    int m = catalog_machine_find(f->cat, "EVIL__2J_id___");
    assert_true(m >= 0);
    const struct catalog_type *t = catalog_machine_at(f->cat, m)->type;
    for (const char *p = t->name; *p; p++)
        assert_true(*p > 0x20 && *p < 0x7f);
    assert_true(catalog_sensor_find(t, "a_b") >= 0);
    const struct sample *note = find(f, n, m, "note");
    for (const char *p = note->u.text; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    assert_true(strlen(note->u.text) < SAMPLE_TEXT_MAX);
    /* an over-long id is refused rather than truncated into another machine's id */
    char longid[200];
    snprintf(longid, sizeof longid, "{\"machine_id\":\"%0120d\",\"data\":{\"v\":1}}", 7);
    assert_int_equal(decode(f, NULL, longid), -MQTT_CODEC_NO_MACHINE_ID);
}

static void test_machine_cap(void **state)
{
    struct fixture *f = *state;
    int base = catalog_machine_count(f->cat);
    catalog_set_max_machines(f->cat, base + 3);
    char p[128];
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "{\"machine_id\":\"GW_%03d\",\"data\":{\"v\":%d}}", i, i);
        int n = decode(f, "dt/gateway/x/telemetry", p);
        assert_int_equal(n, i < 3 ? 1 : -MQTT_CODEC_MACHINE_CAP);
    }
    assert_int_equal(catalog_machine_count(f->cat), base + 3);
    /* known machines still decode at the cap */
    assert_int_equal(decode(f, NULL, "{\"machine_id\":\"GW_001\",\"data\":{\"v\":1}}"), 1);
    struct mqtt_codec_stats st;
    mqtt_codec_get_stats(f->codec, &st);
    assert_int_equal(st.rejected[MQTT_CODEC_MACHINE_CAP], 7);
    assert_int_equal(st.machines_learned, 3);
    assert_string_equal(catalog_machine_at(f->cat, base)->type->name, "gateway");
}

/* A device learned from a Sparkplug B feed stands in its group (area) and edge node (line). */
static void test_sparkplug_group_and_node_become_area_and_line(void **state)
{
    struct fixture *f = *state;
    struct sparkplug *sp = sparkplug_create(f->cat, f->codec);
    assert_non_null(sp);
    static uint8_t buf[8192];
    int len = sparkplug_encode_node_birth(1, 1000, buf, sizeof buf);
    assert_true(sparkplug_decode(sp, "spBv1.0/Plant_A/NBIRTH/Edge_3", buf, (size_t)len, 1000,
                                 f->out, 256) >= 0);
    len = sparkplug_encode_device_birth(f->cat, 0, NULL, NULL, 1, 1000, buf, sizeof buf);
    assert_true(sparkplug_decode(sp, "spBv1.0/Plant_A/DBIRTH/Edge_3/PUMP_9", buf, (size_t)len, 1000,
                                 f->out, 256) >= 0);
    struct sample smp = {.ts_ms = 1000, .machine = 0, .sensor = 0, .kind = SAMPLE_VALUE};
    smp.u.value = 1500;
    len = sparkplug_encode_device_data(0, &smp, 1, 2, 1000, buf, sizeof buf);
    assert_int_equal(sparkplug_decode(sp, "spBv1.0/Plant_A/DDATA/Edge_3/PUMP_9", buf, (size_t)len,
                                      1000, f->out, 256),
                     1);
    int m = catalog_machine_find(f->cat, "PUMP_9");
    assert_true(m >= 0);
    assert_string_equal(catalog_machine_at(f->cat, m)->area, "Plant_A");
    assert_string_equal(catalog_machine_at(f->cat, m)->line, "Edge_3");
    /* JSON feeds say nothing of where a machine stands */
    assert_int_equal(decode(f, NULL, "{\"machine_id\":\"GW_7\",\"data\":{\"v\":1}}"), 1);
    assert_string_equal(catalog_machine_at(f->cat, catalog_machine_find(f->cat, "GW_7"))->area, "");
    sparkplug_destroy(sp);
}

static void test_many_machines_cache(void **state)
{
    struct fixture *f = *state;
    char p[128];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 900; i++) {
            snprintf(p, sizeof p, "{\"machine_id\":\"M%04d\",\"data\":{\"v\":%d}}", i, i);
            assert_int_equal(decode(f, NULL, p), 1);
            assert_int_equal(catalog_machine_at(f->cat, (int)f->out[0].machine)->id[1] - '0',
                             i / 1000);
            char want[16];
            snprintf(want, sizeof want, "M%04d", i);
            assert_string_equal(catalog_machine_at(f->cat, (int)f->out[0].machine)->id, want);
        }
    assert_int_equal(catalog_machine_count(f->cat), 2 + 900);
}

static void test_encode_round_trip(void **state)
{
    struct fixture *f = *state;
    int m = catalog_machine_find(f->cat, "CNC-001");
    const struct catalog_type *t = catalog_machine_at(f->cat, m)->type;
    struct sample s[5] = {0};
    const char *names[] = {"spindle.rpm", "axes.x.position_mm", "spindle.temperature_c",
                           "status.mode", "tool.wear_percent"};
    for (int i = 0; i < 5; i++) {
        s[i].machine = (uint32_t)m;
        s[i].sensor = (uint16_t)catalog_sensor_find(t, names[i]);
        s[i].ts_ms = 1795341600250LL;
        s[i].kind = SAMPLE_VALUE;
        s[i].u.value = 10.25 * (i + 1);
    }
    s[3].kind = SAMPLE_TEXT;
    snprintf(s[3].u.text, sizeof s[3].u.text, "AU\"TO");
    char buf[1024];
    int len = mqtt_codec_encode(f->cat, m, 1795341600250LL, s, 5, buf, sizeof buf);
    assert_true(len > 0);
    assert_string_equal(buf, "{\"machine_id\":\"CNC-001\",\"type\":\"cnc-machining-centre\","
                             "\"ts\":\"2026-11-22T10:00:00.250Z\",\"data\":{\"axes\":{\"x\":"
                             "{\"position_mm\":20.5}},\"spindle\":{\"rpm\":10.25,"
                             "\"temperature_c\":30.75},\"status\":{\"mode\":\"AU\\\"TO\"},"
                             "\"tool\":{\"wear_percent\":51.25}}}");
    int n = mqtt_codec_decode(f->codec, NULL, buf, (size_t)len, 0, f->out, 256);
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++) {
        const struct sample *got = find(f, n, m, names[i]);
        assert_non_null(got);
        assert_true(got->ts_ms == s[i].ts_ms);
        if (i == 3)
            assert_string_equal(got->u.text, "AU\"TO");
        else
            assert_true(got->u.value == s[i].u.value);
    }
    assert_int_equal(mqtt_codec_encode(f->cat, m, 0, s, 5, buf, 40), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_own_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cnc_simulator_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cnc_api_envelope_learns_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kafka_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_milliseconds_and_fraction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_and_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_numbers_and_nan_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_characters_in_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_machine_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_machines_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sparkplug_group_and_node_become_area_and_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_encode_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_timestamp_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
