// SPDX-License-Identifier: MIT
/* Replay: recorded samples come back through the engine in time order with the recorded values,
 * machines the catalog lacks are learned, and pause holds the stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "engine.h"
#include "queue.h"
#include "store.h"
#include "store_replay.h"
#include "fixture.h"

#define BASE_MS 1795000000000LL
#define N 12000

struct capture {
    pthread_mutex_t lock;
    struct sample *s;
    size_t n, cap;
};

static void capture_samples(void *ctx, const struct sample *s, size_t n)
{
    struct capture *c = ctx;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n && c->n < c->cap; i++)
        c->s[c->n++] = s[i];
    pthread_mutex_unlock(&c->lock);
}

struct fixture {
    char dir[64];
    char path[128];
    struct catalog *record_cat;
    int learned; /* index of the learned machine in record_cat */
};

/* Sample i: P1/P2/X9 round robin, two sensors each, 6 samples per 250 ms step. */
static struct sample stream_sample(const struct fixture *f, int64_t i)
{
    struct sample s = {0};
    int m = (int)(i % 3);
    s.machine = (uint32_t)(m == 2 ? f->learned : m);
    s.sensor = (uint16_t)((i / 3) % 2);
    s.ts_ms = BASE_MS + (i / 6) * 250;
    s.kind = SAMPLE_VALUE;
    s.u.value = sin((double)i) * 100.0;
    return s;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    char err[512] = "";
    f.record_cat = fixture_catalog("tests/data/mini.json");
    catalog_set_max_machines(f.record_cat, 8);
    f.learned = catalog_add_machine(f.record_cat, "X9", "lathe");
    assert_true(f.learned >= 2);
    assert_int_equal(catalog_add_sensor(f.record_cat, f.learned, "rpm", false), 0);
    assert_int_equal(catalog_add_sensor(f.record_cat, f.learned, "load_pct", false), 1);
    assert_int_equal(fixture_tmpdir("replay", f.dir, sizeof f.dir), 0);
    snprintf(f.path, sizeof f.path, "%s/history.db", f.dir);
    struct store_options o;
    store_options_default(&o);
    o.block_when_full = true;
    struct store *st = store_open(f.path, &o, f.record_cat, err, sizeof err);
    if (!st)
        fail_msg("%s", err);
    struct engine_sink sink = store_sink(st);
    for (int64_t i = 0; i < N; i++) {
        struct sample s = stream_sample(&f, i);
        sink.on_samples(sink.ctx, &s, 1);
    }
    struct sample t = {.ts_ms = BASE_MS + 500, .machine = 0, .sensor = 2, .kind = SAMPLE_TEXT};
    snprintf(t.u.text, sizeof t.u.text, "RUN");
    sink.on_samples(sink.ctx, &t, 1);
    store_close(st);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fixture_rmtree(f->dir), 0);
    catalog_free(f->record_cat);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_replay_reproduces_values(void **state)
{
    struct fixture *f = *state;
    char err[512];
    struct catalog *cat = catalog_load("tests/data/mini.json", err, sizeof err);
    assert_non_null(cat);
    catalog_set_max_machines(cat, 8);
    struct queue *q = queue_create(4096);
    struct engine_options eo = {.history_len = 64, .mode = "REPLAY"};
    struct engine *e = engine_create(cat, q, &eo, err, sizeof err);
    assert_non_null(e);
    struct capture c = {.cap = N + 16};
    pthread_mutex_init(&c.lock, NULL);
    c.s = calloc(c.cap, sizeof *c.s);
    struct engine_sink sink = {.ctx = &c, .on_samples = capture_samples};
    assert_int_equal(engine_add_sink(e, &sink), 0);
    assert_int_equal(engine_start(e), 0);

    struct store_replay *r = store_replay_open(f->path, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    int64_t oldest, newest;
    store_replay_range(r, 0, &oldest, &newest);
    assert_int_equal(oldest, BASE_MS);
    assert_int_equal(newest, BASE_MS + (N / 6 - 1) * 250);
    struct store_query query;
    store_read_query_default(&query);
    assert_int_equal(store_replay_start(r, &query, cat, q, 0, err, sizeof err), 0);
    for (int i = 0; i < 3000 && !(store_replay_done(r) && queue_length(q) == 0); i++)
        sleep_ms(10);
    assert_true(store_replay_done(r));
    assert_string_equal(store_replay_error(r), "");
    assert_int_equal(store_replay_rows(r), N + 1);
    assert_int_equal(store_replay_skipped(r), 0);
    assert_int_equal(store_replay_clock(r), newest);
    engine_stop(e);
    store_replay_close(r);

    /* The learned machine came back by name, with its sensors. */
    int x9 = catalog_machine_find(cat, "X9");
    assert_true(x9 >= 2);
    assert_int_equal(catalog_sensor_find(catalog_machine_at(cat, x9)->type, "load_pct"), 1);
    /* Every recorded value, in time order, bit for bit. */
    assert_int_equal(c.n, N + 1);
    int64_t last_ts = 0, numeric = 0;
    for (size_t k = 0; k < c.n; k++) {
        const struct sample *s = &c.s[k];
        assert_true(s->ts_ms >= last_ts);
        last_ts = s->ts_ms;
        if (s->kind == SAMPLE_TEXT) {
            assert_string_equal(s->u.text, "RUN");
            assert_int_equal(s->machine, 0);
            assert_int_equal(s->sensor, 2);
            continue;
        }
        /* Within a step, order is by sensor id: find i by value among the step's six. */
        int64_t step = (s->ts_ms - BASE_MS) / 250;
        bool found = false;
        for (int64_t i = step * 6; i < step * 6 + 6 && !found; i++) {
            struct sample want = stream_sample(f, i);
            int machine = (int)(i % 3) == 2 ? x9 : (int)(i % 3);
            if (want.u.value == s->u.value) {
                assert_int_equal(s->machine, machine);
                assert_int_equal(s->sensor, want.sensor);
                found = true;
            }
        }
        assert_true(found);
        numeric++;
    }
    assert_int_equal(numeric, N);
    engine_destroy(e);
    queue_destroy(q);
    catalog_free(cat);
    free(c.s);
    pthread_mutex_destroy(&c.lock);
}

static void test_replay_pause_and_speed(void **state)
{
    struct fixture *f = *state;
    char err[512];
    struct catalog *cat = catalog_load("tests/data/mini.json", err, sizeof err);
    assert_non_null(cat);
    catalog_set_max_machines(cat, 8);
    struct queue *q = queue_create(1 << 16);
    struct store_replay *r = store_replay_open(f->path, err, sizeof err);
    assert_non_null(r);
    struct store_query query;
    store_read_query_default(&query);
    query.machines[query.machine_count++] = "P1";
    /* Real time: 500 s of recording cannot be through in the few seconds this test takes. */
    assert_int_equal(store_replay_start(r, &query, cat, q, 1.0, err, sizeof err), 0);
    for (int i = 0; i < 500 && store_replay_rows(r) == 0; i++)
        sleep_ms(10);
    assert_true(store_replay_rows(r) > 0);
    store_replay_toggle_pause(r);
    assert_true(store_replay_paused(r));
    sleep_ms(300);
    uint64_t held = store_replay_rows(r);
    int64_t clock = store_replay_clock(r);
    sleep_ms(500);
    assert_int_equal(store_replay_rows(r), held);
    assert_int_equal(store_replay_clock(r), clock);
    assert_false(store_replay_done(r));
    assert_true(store_replay_scale_speed(r, 2.0) == 2.0);
    assert_true(store_replay_scale_speed(r, 1e9) == 100000.0);
    store_replay_toggle_pause(r);
    for (int i = 0; i < 1000 && !store_replay_done(r); i++)
        sleep_ms(10);
    assert_true(store_replay_done(r));
    /* Only P1: two sensors in every step, plus its text channel. */
    assert_int_equal(store_replay_rows(r), N / 3 + 1);
    size_t got = 0;
    struct sample buf[512];
    size_t n;
    while ((n = queue_pop(q, buf, 512, 0)) > 0)
        for (size_t i = 0; i < n; i++, got++)
            assert_int_equal(buf[i].machine, 0);
    assert_int_equal(got, N / 3 + 1);
    store_replay_close(r);
    queue_destroy(q);
    catalog_free(cat);
}

static void test_replay_bad_input(void **state)
{
    struct fixture *f = *state;
    char err[512], path[160];
    snprintf(path, sizeof path, "%s/none.db", f->dir);
    assert_null(store_replay_open(path, err, sizeof err));
    assert_non_null(strstr(err, "none.db"));
    struct store_replay *r = store_replay_open(f->path, err, sizeof err);
    assert_non_null(r);
    struct store_query query;
    store_read_query_default(&query);
    query.machines[query.machine_count++] = "NOPE";
    struct queue *q = queue_create(16);
    assert_int_equal(store_replay_start(r, &query, NULL, q, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown machine 'NOPE'"));
    store_replay_close(r);
    queue_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replay_reproduces_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_pause_and_speed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
