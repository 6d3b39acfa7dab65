// SPDX-License-Identifier: MIT
/* The alarm manager: every state transition (valid and refused), shelve expiry, flood,
 * chattering, stale, first-out, limit-event mapping and the action records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "catalog.h"
#include "fixture.h"

#define T0 1700000000000LL
#define MIN (60 * 1000LL)

static struct alarm_operator alice = {"alice", "10.0.0.7"};

struct recorder {
    int actions;
    struct alarm_action last;
    int changes[16];
};

static void record(void *ctx, enum alarm_change what, const struct alarm_info *a,
                   const struct alarm_action *act)
{
    struct recorder *r = ctx;
    (void)a;
    r->changes[what]++;
    if (act) {
        r->actions++;
        r->last = *act;
    }
}

static struct alarm_manager *mk(void)
{
    char err[128];
    struct alarm_manager *m = alarm_manager_create(NULL, 64, err, sizeof err);
    assert_non_null(m);
    return m;
}

static int feed(struct alarm_manager *m, const char *machine, const char *cond, bool active,
                int prio, int64_t ts)
{
    struct alarm_input in = {.ts_ms = ts,
                             .machine_id = machine,
                             .condition = cond,
                             .priority = prio,
                             .active = active,
                             .value = 7.5};
    return alarm_update(m, &in);
}

static int state_of(struct alarm_manager *m, uint32_t id)
{
    struct alarm_info a;
    assert_int_equal(alarm_get(m, id, &a), 0);
    return a.state;
}

enum act {
    A_ACTIVATE,
    A_CLEAR,
    A_ACK,
    A_SHELVE,
    A_SHELVE_ONESHOT,
    A_SHELVE_NOREASON,
    A_UNSHELVE,
    A_SUPPRESS,
    A_UNSUPPRESS,
    A_OOS,
    A_IN_SERVICE,
    A_NOTE,
    A_COUNT
};
static const char *const act_names[A_COUNT] = {
    "activate", "clear",    "ack",        "shelve", "shelve-oneshot", "shelve-noreason",
    "unshelve", "suppress", "unsuppress", "oos",    "in-service",     "note"};

/* Brings a fresh alarm into a state; returns its id. */
static uint32_t setup_state(struct alarm_manager *m, int state)
{
    char msg[160];
    int id = feed(m, "PUMP_001", "vibration_mm_s:hi", true, ALARM_PRIO_HIGH, T0);
    assert_true(id > 0);
    switch (state) {
    case ALARM_NORMAL:
        assert_int_equal(alarm_ack(m, (uint32_t)id, &alice, msg, sizeof msg), 0);
        feed(m, "PUMP_001", "vibration_mm_s:hi", false, 0, T0 + 1000);
        break;
    case ALARM_ACTIVE_ACKED:
        assert_int_equal(alarm_ack(m, (uint32_t)id, &alice, msg, sizeof msg), 0);
        break;
    case ALARM_CLEARED_UNACKED:
        feed(m, "PUMP_001", "vibration_mm_s:hi", false, 0, T0 + 1000);
        break;
    case ALARM_SHELVED:
        assert_int_equal(
            alarm_shelve(m, (uint32_t)id, &alice, 3600000, "sensor repair", msg, sizeof msg), 0);
        break;
    case ALARM_SUPPRESSED:
        assert_int_equal(alarm_suppress(m, (uint32_t)id, &alice, true, "stopped", msg, sizeof msg),
                         0);
        break;
    case ALARM_OUT_OF_SERVICE:
        assert_int_equal(
            alarm_set_out_of_service(m, (uint32_t)id, &alice, true, "maintenance", msg, sizeof msg),
            0);
        break;
    }
    assert_int_equal(state_of(m, (uint32_t)id), state);
    return (uint32_t)id;
}

static int apply(struct alarm_manager *m, uint32_t id, enum act a, char *msg, size_t len)
{
    switch (a) {
    case A_ACTIVATE:
        return feed(m, "PUMP_001", "vibration_mm_s:hi", true, ALARM_PRIO_HIGH, T0 + 2000) > 0 ? 0
                                                                                              : -1;
    case A_CLEAR:
        return feed(m, "PUMP_001", "vibration_mm_s:hi", false, 0, T0 + 2000) > 0 ? 0 : -1;
    case A_ACK:
        return alarm_ack(m, id, &alice, msg, len);
    case A_SHELVE:
        return alarm_shelve(m, id, &alice, 600000, "known fault", msg, len);
    case A_SHELVE_ONESHOT:
        return alarm_shelve(m, id, &alice, 0, "until it clears", msg, len);
    case A_SHELVE_NOREASON:
        return alarm_shelve(m, id, &alice, 600000, "  ", msg, len);
    case A_UNSHELVE:
        return alarm_unshelve(m, id, &alice, "done", msg, len);
    case A_SUPPRESS:
        return alarm_suppress(m, id, &alice, true, "machine stopped", msg, len);
    case A_UNSUPPRESS:
        return alarm_suppress(m, id, &alice, false, "machine running", msg, len);
    case A_OOS:
        return alarm_set_out_of_service(m, id, &alice, true, "maintenance", msg, len);
    case A_IN_SERVICE:
        return alarm_set_out_of_service(m, id, &alice, false, "back", msg, len);
    case A_NOTE:
        return alarm_note(m, id, &alice, "checked on site", msg, len);
    default:
        return -1;
    }
}

/* -1 in the table: refused, state unchanged. */
#define R (-1)
/* clang-format off */
static const int transitions[ALARM_STATE_COUNT][A_COUNT] = {
    /*                       activate               clear                  ack                 shelve         oneshot        noreason unshelve       suppress          unsuppress     oos                   in-service     note */
    [ALARM_NORMAL] =          {ALARM_ACTIVE_UNACKED, ALARM_NORMAL,          R,                  ALARM_SHELVED, R,             R,       R,             ALARM_SUPPRESSED, R,             ALARM_OUT_OF_SERVICE, R,             ALARM_NORMAL},
    [ALARM_ACTIVE_UNACKED] =  {ALARM_ACTIVE_UNACKED, ALARM_CLEARED_UNACKED, ALARM_ACTIVE_ACKED, ALARM_SHELVED, ALARM_SHELVED, R,       R,             ALARM_SUPPRESSED, R,             ALARM_OUT_OF_SERVICE, R,             ALARM_ACTIVE_UNACKED},
    [ALARM_ACTIVE_ACKED] =    {ALARM_ACTIVE_ACKED,   ALARM_NORMAL,          R,                  ALARM_SHELVED, ALARM_SHELVED, R,       R,             ALARM_SUPPRESSED, R,             ALARM_OUT_OF_SERVICE, R,             ALARM_ACTIVE_ACKED},
    [ALARM_CLEARED_UNACKED] = {ALARM_ACTIVE_UNACKED, ALARM_CLEARED_UNACKED, ALARM_NORMAL,       ALARM_SHELVED, R,             R,       R,             ALARM_SUPPRESSED, R,             ALARM_OUT_OF_SERVICE, R,             ALARM_CLEARED_UNACKED},
    [ALARM_SHELVED] =         {ALARM_SHELVED,        ALARM_SHELVED,         R,                  R,             R,             R,       ALARM_ACTIVE_UNACKED, ALARM_SUPPRESSED, R,      ALARM_OUT_OF_SERVICE, R,             ALARM_SHELVED},
    [ALARM_SUPPRESSED] =      {ALARM_SUPPRESSED,     ALARM_SUPPRESSED,      R,                  R,             R,             R,       R,             R,                ALARM_ACTIVE_UNACKED, ALARM_OUT_OF_SERVICE, R,      ALARM_SUPPRESSED},
    [ALARM_OUT_OF_SERVICE] =  {ALARM_OUT_OF_SERVICE, ALARM_OUT_OF_SERVICE,  R,                  R,             R,             R,       R,             R,                R,             R,                    ALARM_ACTIVE_UNACKED, ALARM_OUT_OF_SERVICE},
};
/* clang-format on */

static void test_transition_table(void **state)
{
    (void)state;
    for (int from = 0; from < ALARM_STATE_COUNT; from++) {
        for (int a = 0; a < A_COUNT; a++) {
            struct alarm_manager *m = mk();
            struct recorder rec = {0};
            uint32_t id = setup_state(m, from);
            struct alarm_listener l = {&rec, record};
            alarm_add_listener(m, &l);
            char msg[160] = "";
            int rc = apply(m, id, (enum act)a, msg, sizeof msg);
            int want = transitions[from][a];
            int got = state_of(m, id);
            bool process = a == A_ACTIVATE || a == A_CLEAR;
            if (want == R) {
                if (rc == 0 || got != from)
                    fail_msg("%s + %s: expected refusal, got rc %d state %s",
                             alarm_state_name(from), act_names[a], rc, alarm_state_name(got));
                assert_true(strlen(msg) > 0); /* the refusal says why */
                assert_int_equal(rec.actions, 0);
            } else {
                if (rc != 0 || got != want)
                    fail_msg("%s + %s: expected %s, got rc %d state %s (%s)",
                             alarm_state_name(from), act_names[a], alarm_state_name(want), rc,
                             alarm_state_name(got), msg);
                if (!process)
                    assert_int_equal(rec.actions, 1);
                if (!process) {
                    assert_string_equal(rec.last.operator_name, "alice");
                    assert_string_equal(rec.last.host, "10.0.0.7");
                    assert_int_equal(rec.last.alarm_id, id);
                }
            }
            alarm_manager_destroy(m);
        }
    }
}

static void test_refusal_messages(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    char msg[160];
    uint32_t id = setup_state(m, ALARM_NORMAL);
    assert_int_equal(alarm_ack(m, id, &alice, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "nothing to acknowledge"));
    uint32_t id2 = (uint32_t)feed(m, "FAN_001", "vibration_mm_s:hi", true, 2, T0);
    assert_int_equal(alarm_shelve(m, id2, &alice, 60000, "", msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "reason"));
    assert_int_equal(alarm_ack(m, 999, &alice, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "999"));
    alarm_manager_destroy(m);
}

static void test_repeat_updates_one_alarm(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    int id = 0;
    for (int i = 0; i < 5; i++) {
        int got = feed(m, "PUMP_001", "flow_m3h:lo", true, ALARM_PRIO_MEDIUM, T0 + i * 10 * MIN);
        feed(m, "PUMP_001", "flow_m3h:lo", false, 0, T0 + i * 10 * MIN + MIN);
        if (id)
            assert_int_equal(got, id);
        id = got;
    }
    struct alarm_info a;
    assert_int_equal(alarm_get(m, (uint32_t)id, &a), 0);
    assert_int_equal(alarm_count(m), 1);
    assert_int_equal(a.count, 5);
    assert_true(a.last_ts_ms == T0 + 40 * MIN + MIN);
    assert_true(a.first_ts_ms == T0);
    assert_true(a.last_value == 7.5);
    alarm_manager_destroy(m);
}

static void test_shelve_expiry(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    struct recorder rec = {0};
    struct alarm_listener l = {&rec, record};
    alarm_add_listener(m, &l);
    char msg[160];
    uint32_t id = (uint32_t)feed(m, "BOIL_001", "drum_level_pct:lo", true, 3, T0);
    alarm_tick(m, T0);
    assert_int_equal(
        alarm_shelve(m, id, &alice, 30 * MIN, "level transmitter swap", msg, sizeof msg), 0);
    alarm_tick(m, T0 + 29 * MIN);
    assert_int_equal(state_of(m, id), ALARM_SHELVED);
    alarm_tick(m, T0 + 31 * MIN);
    assert_int_equal(state_of(m, id), ALARM_ACTIVE_UNACKED); /* still active: shows again */
    assert_string_equal(rec.last.action, "unshelve");
    assert_string_equal(rec.last.operator_name, "system");
    /* one-shot: ends when the condition clears */
    assert_int_equal(alarm_shelve(m, id, &alice, 0, "until repaired", msg, sizeof msg), 0);
    feed(m, "BOIL_001", "drum_level_pct:lo", false, 0, T0 + 40 * MIN);
    assert_int_equal(state_of(m, id), ALARM_NORMAL);
    /* a timed shelve of an inactive alarm expires to normal */
    assert_int_equal(alarm_shelve(m, id, &alice, MIN, "test", msg, sizeof msg), 0);
    alarm_tick(m, T0 + 42 * MIN);
    assert_int_equal(state_of(m, id), ALARM_NORMAL);
    alarm_manager_destroy(m);
}

static void test_flood(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    struct alarm_banner b;
    char cond[32];
    for (int i = 0; i < 10; i++) {
        snprintf(cond, sizeof cond, "s%d:hi", i);
        feed(m, "CNC-001", cond, true, ALARM_PRIO_MEDIUM, T0 + i * 30000);
    }
    alarm_tick(m, T0 + 5 * MIN);
    alarm_get_banner(m, &b);
    assert_false(b.flood);
    assert_int_equal(b.flood_new, 10);
    assert_int_equal(b.unacked[ALARM_PRIO_MEDIUM], 10);
    feed(m, "CNC-001", "s10:hi", true, ALARM_PRIO_CRITICAL, T0 + 6 * MIN);
    alarm_get_banner(m, &b);
    assert_true(b.flood);
    assert_int_equal(b.flood_new, 11);
    assert_int_equal(b.unacked[ALARM_PRIO_CRITICAL], 1);
    /* the window slides: 10 minutes after the first ones the flood is over */
    alarm_tick(m, T0 + 14 * MIN);
    alarm_get_banner(m, &b);
    assert_false(b.flood);
    alarm_manager_destroy(m);
}

static void test_chatter_raises_on_delay(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    struct alarm_info a;
    uint32_t id = (uint32_t)feed(m, "FAN_001", "vibration_mm_s:hi", true, 1, T0);
    feed(m, "FAN_001", "vibration_mm_s:hi", false, 0, T0 + 10000);
    alarm_get(m, id, &a);
    assert_false(a.chattering);
    feed(m, "FAN_001", "vibration_mm_s:hi", true, 1, T0 + 20000); /* third transition */
    alarm_get(m, id, &a);
    assert_true(a.chattering);
    assert_true(a.on_delay_ms == ALARM_CHATTER_ON_DELAY_MS);
    assert_int_equal(a.count, 2);
    /* with the on-delay, a short blip no longer raises the alarm */
    feed(m, "FAN_001", "vibration_mm_s:hi", false, 0, T0 + 21000);
    feed(m, "FAN_001", "vibration_mm_s:hi", true, 1, T0 + 22000);
    feed(m, "FAN_001", "vibration_mm_s:hi", false, 0, T0 + 23000);
    alarm_get(m, id, &a);
    assert_int_equal(a.count, 2);
    /* a condition that holds past the on-delay is raised by the tick */
    feed(m, "FAN_001", "vibration_mm_s:hi", true, 1, T0 + 30000);
    alarm_tick(m, T0 + 36000);
    alarm_get(m, id, &a);
    assert_int_equal(a.count, 3);
    assert_true(a.active);
    /* quiet for a while: the flag drops, the raised on-delay stays */
    alarm_tick(m, T0 + 10 * MIN);
    alarm_get(m, id, &a);
    assert_false(a.chattering);
    assert_true(a.on_delay_ms >= ALARM_CHATTER_ON_DELAY_MS);
    alarm_manager_destroy(m);
}

static void test_stale_and_first_out(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    struct alarm_info a, b;
    uint32_t first = (uint32_t)feed(m, "KILN_001", "shell_temp_c:hi", true, 2, T0);
    uint32_t second = (uint32_t)feed(m, "KILN_001", "drive_current_a:hi", true, 1, T0 + 1000);
    uint32_t other = (uint32_t)feed(m, "GEAR_001", "oil_temp_c:hi", true, 1, T0 + 2000);
    alarm_get(m, first, &a);
    alarm_get(m, second, &b);
    assert_true(a.first_out);
    assert_false(b.first_out);
    alarm_get(m, other, &b);
    assert_true(b.first_out);
    alarm_tick(m, T0 + 23 * 3600 * 1000LL);
    alarm_get(m, first, &a);
    assert_false(a.stale);
    alarm_tick(m, T0 + 25 * 3600 * 1000LL);
    alarm_get(m, first, &a);
    assert_true(a.stale);
    struct alarm_banner ban;
    alarm_get_banner(m, &ban);
    assert_int_equal(ban.stale, 3);
    alarm_manager_destroy(m);
}

static void test_sort_filter_and_hidden_list(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    char msg[160];
    feed(m, "PUMP_001", "a:hi", true, ALARM_PRIO_LOW, T0 + 3000);
    feed(m, "PUMP_001", "b:hi", true, ALARM_PRIO_CRITICAL, T0 + 1000);
    feed(m, "FAN_001", "c:hi", true, ALARM_PRIO_CRITICAL, T0 + 2000);
    uint32_t d = (uint32_t)feed(m, "FAN_001", "d:lo", true, ALARM_PRIO_HIGH, T0 + 4000);
    alarm_shelve(m, d, &alice, MIN, "noisy", msg, sizeof msg);
    struct alarm_info list[8];
    int n = alarm_list(m, ALARM_LIST_CURRENT, NULL, list, 8);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].condition, "c:hi"); /* critical, newest */
    assert_string_equal(list[1].condition, "b:hi");
    assert_string_equal(list[2].condition, "a:hi");
    n = alarm_list(m, ALARM_LIST_HIDDEN, NULL, list, 8);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].shelve_reason, "noisy");
    n = alarm_list(m, ALARM_LIST_CURRENT, "pump", list, 8);
    assert_int_equal(n, 2);
    n = alarm_list(m, ALARM_LIST_CURRENT, " pump  CRIT ", list, 8);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].condition, "b:hi");
    n = alarm_list(m, ALARM_LIST_CURRENT, "fan active", list, 8);
    assert_int_equal(n, 1);
    n = alarm_list(m, ALARM_LIST_CURRENT, "fan cleared", list, 8);
    assert_int_equal(n, 0);
    uint32_t ids[8];
    n = alarm_list(m, ALARM_LIST_CURRENT, NULL, list, 8);
    for (int i = 0; i < n; i++)
        ids[i] = list[i].id;
    assert_int_equal(alarm_ack_all(m, ids, n, &alice, msg, sizeof msg), 3);
    assert_int_equal(alarm_ack_all(m, ids, n, &alice, msg, sizeof msg), 0);
    struct alarm_banner b;
    alarm_get_banner(m, &b);
    assert_int_equal(b.unacked[ALARM_PRIO_CRITICAL], 0);
    assert_int_equal(b.active[ALARM_PRIO_CRITICAL], 2);
    assert_int_equal(b.shelved, 1);
    alarm_manager_destroy(m);
}

static void test_limit_events_and_escalation(void **state)
{
    (void)state;
    char err[256];
    /* The safety flag comes from the real catalog: drum_level_pct is marked safety_critical. */
    struct catalog *cat = fixture_catalog("data/machines.json");
    struct alarm_manager *m = alarm_manager_create(cat, 64, err, sizeof err);
    assert_non_null(m);
    struct event ev = {.kind = EVENT_LIMIT,
                       .ts_ms = T0,
                       .machine = -1,
                       .sensor = -1,
                       .machine_id = "BOIL_001",
                       .sensor_name = "drum_level_pct",
                       .value = 80,
                       .state = TWIN_WARN};
    alarm_on_event(m, &ev);
    uint32_t id = alarm_find(m, "BOIL_001", "drum_level_pct:hi");
    assert_true(id > 0);
    struct alarm_info a;
    alarm_get(m, id, &a);
    assert_int_equal(a.priority, ALARM_PRIO_MEDIUM);
    char msg[160];
    assert_int_equal(alarm_ack(m, id, &alice, msg, sizeof msg), 0);
    struct alarm_banner b0, b1;
    alarm_get_banner(m, &b0);
    ev.state = TWIN_ALARM;
    ev.ts_ms += 1000;
    alarm_on_event(m, &ev);
    alarm_get(m, id, &a);
    assert_int_equal(a.priority, ALARM_PRIO_CRITICAL); /* safety sensor */
    assert_int_equal(a.state, ALARM_ACTIVE_UNACKED);   /* escalation re-annunciates */
    alarm_get_banner(m, &b1);
    assert_true(b1.bell_seq > b0.bell_seq);
    ev.state = TWIN_OK;
    ev.ts_ms += 1000;
    alarm_on_event(m, &ev);
    alarm_get(m, id, &a);
    assert_int_equal(a.state, ALARM_CLEARED_UNACKED);
    struct event out[16];
    size_t n = alarm_drain_events(m, out, 16);
    assert_true(n >= 4); /* raise, ack, escalate, clear */
    assert_int_equal(out[0].kind, EVENT_ALARM);
    assert_string_equal(out[0].machine_id, "BOIL_001");
    assert_string_equal(out[0].sensor_name, "drum_level_pct:hi");
    assert_int_equal(alarm_drain_events(m, out, 16), 0);
    /* anomaly events: only a sustained strong anomaly raises the machine's "anomaly" alarm */
    struct event an = {.kind = EVENT_ANOMALY,
                       .ts_ms = T0 + 5000,
                       .machine = -1,
                       .sensor = -1,
                       .machine_id = "PUMP_001",
                       .sensor_name = "flow_m3h",
                       .detector = "zscore",
                       .score = 0.95,
                       .reason = "flow far below its baseline"};
    alarm_on_event(m, &an);
    an.ts_ms += MIN;
    alarm_on_event(m, &an);
    an.score = 0.7; /* weak: does not count */
    an.ts_ms += MIN;
    alarm_on_event(m, &an);
    assert_int_equal(alarm_find(m, "PUMP_001", "anomaly"), 0);
    an.score = 0.92;
    an.ts_ms += 20 * MIN; /* the first two are too old now */
    alarm_on_event(m, &an);
    assert_int_equal(alarm_find(m, "PUMP_001", "anomaly"), 0);
    an.ts_ms += MIN;
    alarm_on_event(m, &an);
    an.ts_ms += MIN;
    alarm_on_event(m, &an);
    id = alarm_find(m, "PUMP_001", "anomaly");
    assert_true(id > 0);
    alarm_get(m, id, &a);
    assert_true(a.active);
    assert_int_equal(a.priority, ALARM_PRIO_LOW);
    assert_non_null(strstr(a.message, "zscore on flow_m3h"));
    alarm_tick(m, an.ts_ms + 9 * MIN);
    alarm_get(m, id, &a);
    assert_true(a.active);
    alarm_tick(m, an.ts_ms + 11 * MIN);
    alarm_get(m, id, &a);
    assert_false(a.active);
    alarm_manager_destroy(m);
    catalog_free(cat);
}

static void test_restore(void **state)
{
    (void)state;
    struct alarm_manager *m = mk();
    struct recorder rec = {0};
    struct alarm_listener l = {&rec, record};
    alarm_add_listener(m, &l);
    struct alarm_info a = {.id = 42,
                           .machine_id = "PUMP_001",
                           .condition = "x:hi",
                           .priority = 2,
                           .active = true,
                           .acked = false,
                           .shelved = true,
                           .shelved_until_ms = T0 - 1000,
                           .count = 3};
    assert_int_equal(alarm_restore(m, &a, T0), 0);
    struct alarm_info b = {.id = 43,
                           .machine_id = "PUMP_001",
                           .condition = "y:hi",
                           .priority = 2,
                           .active = true,
                           .acked = true,
                           .acked_by = "bob"};
    assert_int_equal(alarm_restore(m, &b, T0), 0);
    assert_int_equal(state_of(m, 42), ALARM_ACTIVE_UNACKED); /* expired shelve undone */
    assert_int_equal(rec.actions, 1);
    assert_string_equal(rec.last.action, "unshelve");
    assert_int_equal(state_of(m, 43), ALARM_ACTIVE_ACKED);
    /* 42 is re-confirmed by the engine, 43 is not and clears after the verify window */
    alarm_tick(m, T0 + 1000);
    feed(m, "PUMP_001", "x:hi", true, 2, T0 + 2000);
    alarm_tick(m, T0 + ALARM_RESTORE_VERIFY_MS + 5000);
    assert_int_equal(state_of(m, 42), ALARM_ACTIVE_UNACKED);
    assert_int_equal(state_of(m, 43), ALARM_NORMAL);
    /* new alarms get ids past the restored ones */
    assert_true(feed(m, "PUMP_001", "z:hi", true, 1, T0 + 3000) > 43);
    alarm_manager_destroy(m);
}

static void test_operator_and_json(void **state)
{
    (void)state;
    struct alarm_operator op;
    setenv("SSH_CLIENT", "192.0.2.9 50000 22", 1);
    alarm_operator_init(&op, "carol");
    assert_string_equal(op.name, "carol");
    assert_string_equal(op.host, "192.0.2.9");
    unsetenv("SSH_CLIENT");
    setenv("SSH_CONNECTION", "198.51.100.1 4000 10.0.0.1 22", 1);
    alarm_operator_init(&op, NULL);
    assert_true(strlen(op.name) > 0);
    assert_string_equal(op.host, "198.51.100.1");
    unsetenv("SSH_CONNECTION");
    alarm_operator_init(&op, "");
    assert_string_equal(op.host, "");

    assert_int_equal(alarm_priority_parse("warning"), ALARM_PRIO_MEDIUM);
    assert_int_equal(alarm_priority_parse("CRITICAL"), ALARM_PRIO_CRITICAL);
    assert_int_equal(alarm_priority_parse("bogus"), -1);
    assert_int_equal(alarm_priority_for_limit(TWIN_WARN, true), ALARM_PRIO_MEDIUM);
    assert_int_equal(alarm_priority_for_limit(TWIN_ALARM, false), ALARM_PRIO_HIGH);
    assert_int_equal(alarm_priority_for_limit(TWIN_ALARM, true), ALARM_PRIO_CRITICAL);
    for (int s = 0; s < ALARM_STATE_COUNT; s++)
        assert_int_equal(alarm_state_parse(alarm_state_name(s)), s);

    struct alarm_info a = {.id = 7,
                           .machine_id = "PUMP_001",
                           .condition = "q\"uote:hi",
                           .priority = 3,
                           .state = ALARM_ACTIVE_UNACKED,
                           .active = true,
                           .last_value = 9.25,
                           .count = 2};
    char *json = alarm_info_to_json(&a, "raise");
    assert_non_null(json);
    assert_non_null(strstr(json, "\"priority\":\"critical\""));
    assert_non_null(strstr(json, "\"condition\":\"q\\\"uote:hi\""));
    assert_non_null(strstr(json, "\"value\":9.25"));
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_refusal_messages),
        cmocka_unit_test(test_repeat_updates_one_alarm),
        cmocka_unit_test(test_shelve_expiry),
        cmocka_unit_test(test_flood),
        cmocka_unit_test(test_chatter_raises_on_delay),
        cmocka_unit_test(test_stale_and_first_out),
        cmocka_unit_test(test_sort_filter_and_hidden_list),
        cmocka_unit_test(test_limit_events_and_escalation),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_operator_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
