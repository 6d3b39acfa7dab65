// SPDX-License-Identifier: MIT
/* The engine: limit states with deadband and on-delay, events, snapshots, history; the queue
 * under several producer threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "engine.h"
#include "queue.h"
#include "fixture.h"

struct fixture {
    struct catalog *cat;
    struct queue *q;
    struct engine *e;
    struct snapshot *snap;
    struct event events[64];
    int event_count;
};

static void record_event(void *ctx, const struct event *ev)
{
    struct fixture *f = ctx;
    if (f->event_count < 64)
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
    assert_non_null(f.e);
    struct engine_sink sink = {.ctx = &f, .on_event = record_event};
    assert_int_equal(engine_add_sink(f.e, &sink), 0);
    f.snap = snapshot_create(8);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    snapshot_free(f->snap);
    engine_destroy(f->e);
    queue_destroy(f->q);
    catalog_free(f->cat);
    return 0;
}

/* Feeds temp_c of machine 0 at one sample per second from t0 and returns the sensor state. */
static int feed_temp(struct fixture *f, int64_t t_s, double value)
{
    struct sample s = {.ts_ms = t_s * 1000, .machine = 0, .sensor = 0, .kind = SAMPLE_VALUE};
    s.u.value = value;
    engine_process(f->e, &s, 1);
    engine_snapshot(f->e, f->snap);
    return f->snap->machines[0].sensors[0].state;
}

struct limit_step {
    int64_t t_s;
    double value;
    int want;
};

static void test_on_delay_and_deadband(void **state)
{
    struct fixture *f = *state;
    /* temp_c: warn 80, alarm 100, deadband 2, on-delay 5 s. */
    static const struct limit_step steps[] = {
        {0, 50, TWIN_OK},    {1, 85, TWIN_OK},   /* above warn, on-delay running */
        {4, 85, TWIN_OK},    {6, 85, TWIN_WARN}, /* held 5 s: entered */
        {7, 79, TWIN_WARN},                      /* inside warn by less than the deadband: stays */
        {8, 77.9, TWIN_OK},                      /* past the deadband: clears at once */
        {9, 105, TWIN_OK},                       /* a spike shorter than the on-delay ... */
        {10, 50, TWIN_OK},                       /* ... never alarms */
        {20, 101, TWIN_OK},  {25, 101, TWIN_ALARM}, {26, 99, TWIN_ALARM}, /* deadband */
        {27, 97, TWIN_WARN}, /* below alarm by more than the deadband, still above warn */
        {28, 60, TWIN_OK},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int got = feed_temp(f, steps[i].t_s, steps[i].value);
        if (got != steps[i].want)
            fail_msg("step %zu (t=%llds v=%.1f): state %s, want %s", i, (long long)steps[i].t_s,
                     steps[i].value, twin_state_name(got), twin_state_name(steps[i].want));
    }
    assert_int_equal(f->snap->machines[0].alarms_raised, 1);
    assert_int_equal(f->snap->alarms_raised, 1);
    /* Each change was an event: warn, ok, alarm, warn, ok. */
    assert_int_equal(f->event_count, 5);
    assert_int_equal(f->events[2].kind, EVENT_LIMIT);
    assert_int_equal(f->events[2].state, TWIN_ALARM);
    assert_string_equal(f->events[2].machine_id, "P1");
    assert_string_equal(f->events[2].sensor_name, "temp_c");
}

static void test_low_limits_and_machine_state(void **state)
{
    struct fixture *f = *state;
    struct sample s = {.ts_ms = 1000, .machine = 1, .sensor = 1, .kind = SAMPLE_VALUE};
    s.u.value = 25; /* below the low alarm, no on-delay */
    engine_process(f->e, &s, 1);
    engine_snapshot(f->e, f->snap);
    assert_int_equal(f->snap->machines[1].state, TWIN_ALARM);
    assert_int_equal(f->snap->machines[0].state, TWIN_STALE); /* no data yet */
    assert_int_equal(f->snap->states[TWIN_ALARM], 1);
    assert_int_equal(f->snap->states[TWIN_STALE], 1);
}

static size_t sink_readings, sink_markers;

static void count_samples(void *ctx, const struct sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++)
        *(s[i].kind == SAMPLE_OFFLINE ? &sink_markers : &sink_readings) += 1;
}

/* A source's death (SAMPLE_OFFLINE) makes its machine stale at once, even within the silence
 * bound; no sink ever sees the marker; the next reading makes the machine current again. */
static void test_offline_marker(void **state)
{
    struct fixture *f = *state;
    struct engine_sink sink = {.on_samples = count_samples};
    assert_int_equal(engine_add_sink(f->e, &sink), 0);
    sink_readings = sink_markers = 0;
    struct sample b[4] = {
        {.ts_ms = 1000, .machine = 0, .sensor = 0, .kind = SAMPLE_VALUE, .u.value = 50},
        {.ts_ms = 1000, .machine = 1, .sensor = 1, .kind = SAMPLE_VALUE, .u.value = 110},
        {.ts_ms = 1500, .machine = 0, .kind = SAMPLE_OFFLINE},
        {.ts_ms = 2000, .machine = 1, .sensor = 1, .kind = SAMPLE_VALUE, .u.value = 111},
    };
    engine_process(f->e, b, 4);
    engine_snapshot(f->e, f->snap);
    assert_int_equal(f->snap->machines[0].state, TWIN_STALE);
    assert_int_equal(f->snap->machines[1].state, TWIN_OK);
    assert_int_equal(sink_readings, 3);
    assert_int_equal(sink_markers, 0);
    assert_int_equal(f->snap->samples_total, 3);
    assert_int_equal(feed_temp(f, 3, 50), TWIN_OK);
    assert_int_equal(f->snap->machines[0].state, TWIN_OK);
    assert_int_equal(sink_readings, 4);
}

static void test_history_and_statistics(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 40; i++)
        feed_temp(f, i, 50 + i % 4); /* the ring holds 16 */
    double v[32];
    int64_t ts[32];
    size_t n = engine_history(f->e, 0, 0, v, ts, 32);
    assert_int_equal(n, 16);
    assert_true(ts[0] == 24000 && ts[15] == 39000);
    assert_true(v[15] == 53);
    const struct snapshot_sensor *ss = &f->snap->machines[0].sensors[0];
    assert_true(fabs(ss->mean - 51.5) < 1e-9);
    assert_true(ss->min == 50 && ss->max == 53);
    assert_true(fabs(ss->stddev - sqrt(1.25)) < 1e-9);
    assert_int_equal(f->snap->machines[0].spark_len, 16);
}

static void test_text_channel(void **state)
{
    struct fixture *f = *state;
    struct sample s = {.ts_ms = 1000, .machine = 0, .sensor = 2, .kind = SAMPLE_TEXT};
    snprintf(s.u.text, sizeof s.u.text, "AUTO");
    engine_process(f->e, &s, 1);
    engine_snapshot(f->e, f->snap);
    assert_string_equal(f->snap->machines[0].sensors[2].text, "AUTO");
}

/* Machines learned after the engine and the snapshot were made (past the snapshot's first room)
 * all show up, and a snapshot copies only the machines that changed since it was last filled. */
static void test_snapshot_grows_and_copies_changes(void **state)
{
    struct fixture *f = *state;
    catalog_set_max_machines(f->cat, 2 + 200);
    char id[16];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof id, "L%03d", i);
        int m = catalog_add_machine(f->cat, id, "test-pump");
        assert_int_equal(m, 2 + i);
        struct sample s = {.ts_ms = 1000, .machine = (uint32_t)m, .sensor = 1};
        s.u.value = 100 + i;
        engine_process(f->e, &s, 1);
    }
    engine_snapshot(f->e, f->snap);
    assert_int_equal(f->snap->machine_count, 202);
    assert_true(f->snap->machine_capacity >= 202);
    assert_true(f->snap->machines[201].sensors[1].value == 299);
    assert_int_equal(f->snap->states[TWIN_OK], 200);
    /* A mark in the copy of an unchanged machine survives the next copy; the changed one is new. */
    f->snap->machines[150].samples = 12345;
    struct sample s = {.ts_ms = 2000, .machine = 2, .sensor = 1};
    s.u.value = 120;
    engine_process(f->e, &s, 1);
    engine_snapshot(f->e, f->snap);
    assert_true(f->snap->machines[2].sensors[1].value == 120);
    assert_int_equal(f->snap->machines[2].samples, 2);
    assert_int_equal(f->snap->machines[150].samples, 12345);
    /* Nothing arriving: nothing copied, and the counts stay right. */
    engine_snapshot(f->e, f->snap);
    assert_int_equal(f->snap->machines[150].samples, 12345);
    assert_int_equal(f->snap->states[TWIN_OK] + f->snap->states[TWIN_STALE], 202);
    /* A new snapshot gets every machine. */
    struct snapshot *fresh = snapshot_create(1);
    engine_snapshot(f->e, fresh);
    assert_int_equal(fresh->machine_count, 202);
    assert_int_equal(fresh->machines[150].samples, 1);
    snapshot_free(fresh);
}

#define PRODUCERS 4
#define PER_PRODUCER 50000

static void *producer(void *arg)
{
    struct queue *q = arg;
    struct sample batch[5];
    memset(batch, 0, sizeof batch);
    for (int i = 0; i < PER_PRODUCER / 5; i++)
        if (queue_push_wait(q, batch, 5))
            return (void *)1;
    return NULL;
}

static void test_queue_many_producers(void **state)
{
    (void)state;
    struct queue *q = queue_create(4096);
    pthread_t t[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++)
        pthread_create(&t[i], NULL, producer, q);
    struct sample out[512];
    size_t total = 0;
    while (total < PRODUCERS * PER_PRODUCER)
        total += queue_pop(q, out, 512, 100);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(total, PRODUCERS * PER_PRODUCER);
    assert_int_equal(queue_drops(q), 0);
    /* A full queue drops whole batches and counts them; it never blocks. */
    struct sample big[4096];
    memset(big, 0, sizeof big);
    assert_int_equal(queue_push(q, big, 4000), 0);
    assert_int_equal(queue_push(q, big, 200), -1);
    assert_int_equal(queue_drops(q), 200);
    assert_int_equal(queue_length(q), 4000);
    queue_close(q);
    assert_int_equal(queue_pop(q, out, 512, 0), 512);
    queue_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_on_delay_and_deadband, setup, teardown),
        cmocka_unit_test_setup_teardown(test_low_limits_and_machine_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_statistics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_channel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_grows_and_copies_changes, setup, teardown),
        cmocka_unit_test(test_queue_many_producers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
