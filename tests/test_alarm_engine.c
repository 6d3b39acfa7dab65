// SPDX-License-Identifier: MIT
/* The alarm manager inside the engine: limit transitions become alarms (hi/lo from the catalog's
 * limits), EVENT_ALARM records reach the sinks after the limit events, and operator actions
 * taken between batches reach the sinks on the next (or an idle) pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "alarm.h"
#include "catalog.h"
#include "engine.h"
#include "queue.h"
#include "fixture.h"

#define T0 1700000000000LL

struct fixture {
    struct catalog *cat;
    struct queue *q;
    struct engine *e;
    struct alarm_manager *m;
    struct event events[128];
    int event_count;
};

static void record_event(void *ctx, const struct event *ev)
{
    struct fixture *f = ctx;
    if (f->event_count < 128)
        f->events[f->event_count++] = *ev;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    char err[512] = "";
    f.cat = fixture_catalog("tests/data/mini.json");
    f.q = queue_create(1024);
    struct engine_options o = {.history_len = 16, .stale_after_s = 3600};
    f.e = engine_create(f.cat, f.q, &o, err, sizeof err);
    f.m = alarm_manager_create(f.cat, 0, err, sizeof err);
    assert_non_null(f.e);
    assert_non_null(f.m);
    engine_set_alarms(f.e, f.m);
    struct engine_sink sink = {.ctx = &f, .on_event = record_event};
    assert_int_equal(engine_add_sink(f.e, &sink), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    engine_destroy(f->e);
    alarm_manager_destroy(f->m);
    queue_destroy(f->q);
    catalog_free(f->cat);
    return 0;
}

static void push(struct fixture *f, int machine, int sensor, double value, int64_t ts)
{
    struct sample s = {.ts_ms = ts,
                       .machine = (uint32_t)machine,
                       .sensor = (uint16_t)sensor,
                       .kind = SAMPLE_VALUE};
    s.u.value = value;
    engine_process(f->e, &s, 1);
}

static int count_kind(struct fixture *f, int kind, const char *detector)
{
    int n = 0;
    for (int i = 0; i < f->event_count; i++)
        if (f->events[i].kind == kind && (!detector || !strcmp(f->events[i].detector, detector)))
            n++;
    return n;
}

static void test_limits_become_alarms(void **state)
{
    struct fixture *f = *state;
    /* flow_m3h (sensor 1) of P2 falls below its warn (60) then alarm (30) low limits */
    push(f, 1, 1, 110, T0);
    push(f, 1, 1, 50, T0 + 1000);
    uint32_t id = alarm_find(f->m, "P2", "flow_m3h:lo");
    assert_true(id > 0);
    struct alarm_info a;
    alarm_get(f->m, id, &a);
    assert_int_equal(a.priority, ALARM_PRIO_MEDIUM);
    assert_int_equal(a.state, ALARM_ACTIVE_UNACKED);
    assert_true(a.last_value == 50);
    push(f, 1, 1, 20, T0 + 2000);
    alarm_get(f->m, id, &a);
    assert_int_equal(a.priority, ALARM_PRIO_HIGH);
    assert_int_equal(count_kind(f, EVENT_LIMIT, NULL), 2);
    assert_int_equal(count_kind(f, EVENT_ALARM, "raise"), 1);
    assert_int_equal(count_kind(f, EVENT_ALARM, "escalate"), 1);
    /* the alarm record follows the limit event that caused it, with catalog indices */
    for (int i = 0; i < f->event_count; i++) {
        if (f->events[i].kind == EVENT_ALARM) {
            assert_int_equal(f->events[i - 1].kind, EVENT_LIMIT);
            assert_int_equal(f->events[i].machine, 1);
            assert_int_equal(f->events[i].sensor, 1);
            assert_string_equal(f->events[i].sensor_name, "flow_m3h:lo");
            break;
        }
    }
    /* operator ack between batches reaches the sinks on an idle pass */
    char msg[160];
    struct alarm_operator op = {"alice", ""};
    assert_int_equal(alarm_ack(f->m, id, &op, msg, sizeof msg), 0);
    engine_process(f->e, NULL, 0);
    assert_int_equal(count_kind(f, EVENT_ALARM, "ack"), 1);
    /* back to normal: the alarm clears and, being acknowledged, returns to normal */
    push(f, 1, 1, 110, T0 + 3000);
    alarm_get(f->m, id, &a);
    assert_int_equal(a.state, ALARM_NORMAL);
    assert_int_equal(count_kind(f, EVENT_ALARM, "clear"), 1);
    /* temp_c is a high-side limit */
    push(f, 0, 0, 50, T0 + 4000);
    push(f, 0, 0, 90, T0 + 5000);
    push(f, 0, 0, 90, T0 + 11000); /* after its 5 s on-delay */
    assert_true(alarm_find(f->m, "P1", "temp_c:hi") > 0);
    assert_int_equal(alarm_find(f->m, "P1", "temp_c:lo"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_limits_become_alarms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
