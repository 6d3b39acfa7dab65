// SPDX-License-Identifier: MIT
/* One alarm list across consoles: two alarm managers, each synchronised through a real
 * mosquitto (own config, free loopback port). An acknowledgement on one shows on the other
 * with the operator's name; conflicts end the same way on both; an action for an alarm a
 * console has not raised yet waits for it; an action dated beyond the clock skew, or (with a
 * shared key) unsigned or forged, is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <sys/stat.h>

#include "alarm.h"
#include "config.h"
#include "mqtt.h"
#include "alarm_sync.h"
#include "fixture.h"
#include "test_mqtt_broker.h"

#define WAIT_MS 30000

struct console {
    struct alarm_manager *am;
    struct alarm_sync *sync;
    struct alarm_operator op;
};

struct env {
    struct test_broker broker;
    struct console a, b;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *console_key; /* --alarm-key of the consoles setup opens */

static void console_open(struct env *e, struct console *c, const char *id, const char *operator)
{
    char err[256];
    struct config cfg;
    config_defaults(&cfg, "test_alarm_sync");
    snprintf(cfg.client_id, sizeof cfg.client_id, "%s-%d", id, (int)getpid());
    char url[64];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", e->broker.port);
    c->am = alarm_manager_create(NULL, 0, err, sizeof err);
    assert_non_null(c->am);
    struct alarm_sync_options ao = {
        .url = url, .topic_prefix = cfg.topic_prefix, .key_file = console_key};
    test_conn_options(&cfg, &ao.conn);
    c->sync = alarm_sync_create(&ao, c->am, err, sizeof err);
    if (!c->sync)
        fail_msg("%s", err);
    assert_int_equal(alarm_sync_start(c->sync, err, sizeof err), 0);
    alarm_operator_init(&c->op, operator);
    struct mqtt_status st;
    for (int64_t end = mono_ms() + WAIT_MS; mono_ms() < end; test_sleep_ms(20)) {
        mqtt_get_status(alarm_sync_connection(c->sync), &st);
        if (st.state == MQTT_CONNECTED)
            return;
    }
    fail_msg("console %s did not connect", id);
}

static void console_close(struct console *c)
{
    alarm_sync_destroy(c->sync);
    alarm_manager_destroy(c->am);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    *state = e;
    if (test_broker_start(&e->broker, NULL) != 0)
        return -1;
    console_open(e, &e->a, "console-a", "alice");
    console_open(e, &e->b, "console-b", "bob");
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    console_close(&e->a);
    console_close(&e->b);
    test_broker_cleanup(&e->broker);
    free(e);
    return 0;
}

static uint32_t raise_alarm(struct console *c, const char *machine, const char *condition)
{
    struct alarm_input in = {.ts_ms = 1795341600000LL,
                             .machine_id = machine,
                             .condition = condition,
                             .priority = ALARM_PRIO_HIGH,
                             .active = true,
                             .value = 7.5,
                             .message = "vibration above 7.1 mm/s"};
    int id = alarm_update(c->am, &in);
    assert_true(id > 0);
    return (uint32_t)id;
}

typedef bool (*alarm_pred)(const struct alarm_info *a);

static bool wait_alarm(struct console *c, uint32_t id, alarm_pred pred, struct alarm_info *out)
{
    for (int64_t end = mono_ms() + WAIT_MS; mono_ms() < end; test_sleep_ms(10)) {
        if (alarm_get(c->am, id, out) == 0 && pred(out))
            return true;
    }
    return false;
}

static bool is_acked(const struct alarm_info *a)
{
    return a->acked;
}

static bool is_shelved(const struct alarm_info *a)
{
    return a->shelved;
}

static bool is_unshelved(const struct alarm_info *a)
{
    return !a->shelved;
}

static void test_ack_shared(void **state)
{
    struct env *e = *state;
    uint32_t ia = raise_alarm(&e->a, "PUMP_001", "vibration_mm_s:hi");
    uint32_t ib = raise_alarm(&e->b, "PUMP_001", "vibration_mm_s:hi");
    char msg[256];
    int64_t t0 = mono_ms();
    assert_int_equal(alarm_ack(e->a.am, ia, &e->a.op, msg, sizeof msg), 0);
    struct alarm_info info;
    assert_true(wait_alarm(&e->b, ib, is_acked, &info));
    fprintf(stderr, "ack seen on the other console after %lld ms\n", (long long)(mono_ms() - t0));
    assert_string_equal(info.acked_by, "alice"); /* who did it */
    assert_int_equal(info.state, ALARM_ACTIVE_ACKED);
    /* nothing echoes back: alice's console recorded one ack, bob's applied one */
    struct alarm_sync_stats sa, sb;
    test_sleep_ms(300);
    alarm_sync_get_stats(e->a.sync, &sa);
    alarm_sync_get_stats(e->b.sync, &sb);
    assert_int_equal(sb.applied, 1);
    assert_int_equal(sa.applied, 0);
}

static void test_latest_action_wins(void **state)
{
    struct env *e = *state;
    uint32_t ia = raise_alarm(&e->a, "FAN_001", "vibration_mm_s:hi");
    uint32_t ib = raise_alarm(&e->b, "FAN_001", "vibration_mm_s:hi");
    char msg[256];
    struct alarm_info info;
    assert_int_equal(
        alarm_shelve(e->a.am, ia, &e->a.op, 3600000, "bearing swap planned", msg, sizeof msg), 0);
    assert_true(wait_alarm(&e->b, ib, is_shelved, &info));
    test_sleep_ms(5); /* a later wall clock */
    assert_int_equal(alarm_unshelve(e->b.am, ib, &e->b.op, "not now", msg, sizeof msg), 0);
    assert_true(wait_alarm(&e->a, ia, is_unshelved, &info));
    /* and it stays that way on both */
    test_sleep_ms(300);
    assert_int_equal(alarm_get(e->a.am, ia, &info), 0);
    assert_false(info.shelved);
    assert_int_equal(alarm_get(e->b.am, ib, &info), 0);
    assert_false(info.shelved);
}

static const char *remote_sig; /* the "sig" member remote_action adds, NULL: none */

/* Publishes a crafted action from a third console "console-x". */
static void remote_action(struct env *e, const char *machine, const char *condition,
                          const char *action, const char *operator, long long wall_ts)
{
    struct config cfg;
    config_defaults(&cfg, "test_alarm_sync");
    snprintf(cfg.client_id, sizeof cfg.client_id, "console-x-%d", (int)getpid());
    char url[64], err[256], topic[200], payload[1024];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", e->broker.port);
    struct mqtt *m = mqtt_create(test_conn_options(&cfg, &(struct mqtt_options){0}), url, "x",
                                 false, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(mqtt_start(m, err, sizeof err), 0);
    snprintf(topic, sizeof topic, "dt/alarms/%s/%s/x-%s", machine, condition, operator);
    snprintf(payload, sizeof payload,
             "{\"machine_id\":\"%s\",\"condition\":\"%s\",\"origin\":\"console-x\","
             "\"last_action\":{\"action\":\"%s\",\"operator\":\"%s\",\"host\":\"x\","
             "\"origin\":\"console-x\",\"wall_ts_ms\":%lld,\"duration_ms\":3600000,"
             "\"reason\":\"tie\"%s%s%s}}",
             machine, condition, action, operator, wall_ts, remote_sig ? ",\"sig\":\"" : "",
             remote_sig ? remote_sig : "", remote_sig ? "\"" : "");
    for (int64_t end = mono_ms() + WAIT_MS; mono_ms() < end; test_sleep_ms(10))
        if (mqtt_publish(m, topic, payload, strlen(payload), 1, false) == 0)
            break;
    test_sleep_ms(200);
    mqtt_destroy(m);
}

static void test_tie_goes_to_operator_name(void **state)
{
    struct env *e = *state;
    /* Same wall time, two orders of arrival: "zed" beats "amy" on both consoles either way. */
    uint32_t a1 = raise_alarm(&e->a, "KILN_001", "shell_temp_c:hi");
    uint32_t b1 = raise_alarm(&e->b, "KILN_001", "shell_temp_c:hi");
    uint32_t a2 = raise_alarm(&e->a, "BOIL_001", "drum_level_pct:lo");
    uint32_t b2 = raise_alarm(&e->b, "BOIL_001", "drum_level_pct:lo");
    long long t = 1795341700000LL;
    remote_action(e, "KILN_001", "shell_temp_c:hi", "unshelve", "amy", t);
    remote_action(e, "KILN_001", "shell_temp_c:hi", "shelve", "zed", t);
    remote_action(e, "BOIL_001", "drum_level_pct:lo", "shelve", "zed", t);
    remote_action(e, "BOIL_001", "drum_level_pct:lo", "unshelve", "amy", t);
    struct alarm_info info;
    assert_true(wait_alarm(&e->a, a1, is_shelved, &info));
    assert_true(wait_alarm(&e->b, b1, is_shelved, &info));
    assert_true(wait_alarm(&e->a, a2, is_shelved, &info));
    assert_true(wait_alarm(&e->b, b2, is_shelved, &info));
    test_sleep_ms(300);
    for (int i = 0; i < 4; i++) {
        struct console *c = i % 2 ? &e->b : &e->a;
        uint32_t id = i == 0 ? a1 : i == 1 ? b1 : i == 2 ? a2 : b2;
        assert_int_equal(alarm_get(c->am, id, &info), 0);
        assert_true(info.shelved);
    }
}

static void test_action_waits_for_its_alarm(void **state)
{
    struct env *e = *state;
    uint32_t ia = raise_alarm(&e->a, "CRANE_001", "brake_temp_c:hi");
    char msg[256];
    assert_int_equal(alarm_ack(e->a.am, ia, &e->a.op, msg, sizeof msg), 0);
    test_sleep_ms(500); /* B has not seen this condition yet: the ack waits */
    struct alarm_sync_stats sb;
    alarm_sync_get_stats(e->b.sync, &sb);
    assert_int_equal(sb.pending, 1);
    uint32_t ib = raise_alarm(&e->b, "CRANE_001", "brake_temp_c:hi");
    struct alarm_info info;
    assert_true(wait_alarm(&e->b, ib, is_acked, &info));
    assert_string_equal(info.acked_by, "alice");
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One retained action dated far ahead would win every later conflict: refused, counted. */
static void test_future_action_refused(void **state)
{
    struct env *e = *state;
    uint32_t ia = raise_alarm(&e->a, "GEAR_001", "oil_temp_c:hi");
    remote_action(e, "GEAR_001", "oil_temp_c:hi", "shelve", "mallory", wall_ms() + 3600 * 1000);
    remote_action(e, "GEAR_001", "oil_temp_c:hi", "ack", "mallory", 4102444800000LL); /* 2100 */
    test_sleep_ms(300);
    struct alarm_info info;
    assert_int_equal(alarm_get(e->a.am, ia, &info), 0);
    assert_false(info.shelved);
    assert_false(info.acked);
    struct alarm_sync_stats sa;
    alarm_sync_get_stats(e->a.sync, &sa);
    assert_int_equal(sa.refused, 2);
    /* within the tolerance it counts */
    remote_action(e, "GEAR_001", "oil_temp_c:hi", "ack", "carol", wall_ms() + 1000);
    assert_true(wait_alarm(&e->a, ia, is_acked, &info));
    assert_string_equal(info.acked_by, "carol");
}

static char key_path[300];

static int setup_signed(void **state)
{
    char dir[256];
    if (fixture_tmpdir("alarm-key", dir, sizeof dir) != 0)
        return -1;
    snprintf(key_path, sizeof key_path, "%s/alarm.key", dir);
    FILE *f = fopen(key_path, "w");
    fputs("correct horse battery staple 42\n", f);
    fclose(f);
    chmod(key_path, 0600);
    console_key = key_path;
    int rc = setup(state);
    console_key = NULL;
    return rc;
}

/* With a shared key: signed actions travel, a stranger's or a forged one does nothing. */
static void test_signed_actions(void **state)
{
    struct env *e = *state;
    uint32_t ia = raise_alarm(&e->a, "PRESS_001", "ram_force_kn:hi");
    uint32_t ib = raise_alarm(&e->b, "PRESS_001", "ram_force_kn:hi");
    remote_action(e, "PRESS_001", "ram_force_kn:hi", "shelve", "mallory", wall_ms());
    remote_sig = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    remote_action(e, "PRESS_001", "ram_force_kn:hi", "ack", "mallory", wall_ms());
    remote_sig = NULL;
    test_sleep_ms(300);
    struct alarm_info info;
    assert_int_equal(alarm_get(e->b.am, ib, &info), 0);
    assert_false(info.shelved);
    assert_false(info.acked);
    struct alarm_sync_stats sb;
    alarm_sync_get_stats(e->b.sync, &sb);
    assert_int_equal(sb.refused, 2);
    char msg[256];
    assert_int_equal(alarm_ack(e->a.am, ia, &e->a.op, msg, sizeof msg), 0);
    assert_true(wait_alarm(&e->b, ib, is_acked, &info));
    assert_string_equal(info.acked_by, "alice");

    /* a key others may read is refused, like ssh's */
    chmod(key_path, 0640);
    char url[64], err[256];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", e->broker.port);
    struct alarm_sync_options ao = {.url = url, .key_file = key_path};
    struct config cfg;
    config_defaults(&cfg, "test_alarm_sync");
    test_conn_options(&cfg, &ao.conn);
    struct alarm_manager *am = alarm_manager_create(NULL, 0, err, sizeof err);
    assert_null(alarm_sync_create(&ao, am, err, sizeof err));
    assert_non_null(strstr(err, "too open"));
    alarm_manager_destroy(am);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ack_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latest_action_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tie_goes_to_operator_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_action_waits_for_its_alarm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_action_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_actions, setup_signed, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
