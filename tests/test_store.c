// SPDX-License-Identifier: MIT
/* The history recorder: schema and migration, recording through the sink, rollups, anomalies,
 * retention, a full disk and a read-only file, and a child killed mid-recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "store.h"
#include "fixture.h"

#define BASE_MS 1795000000000LL /* 2026-11-18: a fixed plant clock */

struct fixture {
    struct catalog *cat;
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    f.cat = fixture_catalog("tests/data/mini.json");
    assert_int_equal(fixture_tmpdir("store", f.dir, sizeof f.dir), 0);
    snprintf(f.path, sizeof f.path, "%s/sub/history.db", f.dir);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(fixture_rmtree(f->dir), 0);
    catalog_free(f->cat);
    return 0;
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static double query_double(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    double v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Sample i of a deterministic stream: P1/P2 x temp_c/flow_m3h, 4 samples per 100 ms step. */
static struct sample stream_sample(int64_t i, int64_t base_ms)
{
    struct sample s = {0};
    s.machine = (uint32_t)(i % 2);
    s.sensor = (uint16_t)((i / 2) % 2);
    s.ts_ms = base_ms + (i / 4) * 100;
    s.kind = SAMPLE_VALUE;
    s.u.value = (double)i + 0.25;
    return s;
}

static void push_stream(struct engine_sink *sink, int64_t from, int64_t to, int64_t base_ms)
{
    struct sample buf[256];
    size_t n = 0;
    for (int64_t i = from; i < to; i++) {
        buf[n++] = stream_sample(i, base_ms);
        if (n == 256 || i + 1 == to) {
            sink->on_samples(sink->ctx, buf, n);
            n = 0;
        }
    }
}

static struct store *open_store(struct fixture *f, struct store_options *o)
{
    char err[512] = "";
    struct store *st = store_open(f->path, o, f->cat, err, sizeof err);
    if (!st)
        fail_msg("store_open: %s", err);
    return st;
}

static void test_schema_created(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_store(f, NULL);
    struct store_status s;
    store_status(st, &s);
    assert_true(s.enabled);
    assert_true(s.recording);
    store_close(st);
    sqlite3 *db = open_db(f->path);
    assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE"
                                   " journal_mode = 'wal'"),
                     1);
    const char *names[] = {"machines",    "sensors", "raw_samples", "samples",
                           "rollup_data", "rollups", "anomalies"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_schema WHERE name = '%s'", names[i]);
        assert_int_equal(query_int(db, sql), 1);
    }
    /* The view columns the docs promise. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM (SELECT machine_id, sensor, ts_ms, value"
                                   " FROM samples)"),
                     0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM (SELECT \"window\", machine_id, sensor,"
                                   " bucket_start_ms, count, min, max, mean FROM rollups)"),
                     0);
    sqlite3_close(db);
}

static void test_foreign_file_refused(void **state)
{
    struct fixture *f = *state;
    char path[160], err[512] = "";
    snprintf(path, sizeof path, "%s/other.db", f->dir);
    sqlite3 *db = open_db(path);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE invoices(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(store_open(path, NULL, f->cat, err, sizeof err));
    assert_non_null(strstr(err, "not a twintop history file"));

    snprintf(path, sizeof path, "%s/text.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 100; i++)
        fputs("this is not a database, just some text that goes on\n", fp);
    fclose(fp);
    assert_null(store_open(path, NULL, f->cat, err, sizeof err));
    assert_non_null(strstr(err, "text.db"));
}

static void test_migration_v1_to_v2(void **state)
{
    struct fixture *f = *state;
    char err[512] = "";
    char path[160];
    snprintf(path, sizeof path, "%s/v1.db", f->dir);
    assert_int_equal(store_init_schema(path, 1, err, sizeof err), 0);
    sqlite3 *db = open_db(path);
    assert_int_equal(query_int(db, "PRAGMA user_version"), 1);
    /* A version-1 file with two minutes of one sensor: 0..119 at one value per second. */
    const char *sql =
        "INSERT INTO machines(id, machine_id, type) VALUES (1, 'P1', 'test-pump');"
        "INSERT INTO sensors(id, machine, name) VALUES (1, 1, 'temp_c');"
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 119)"
        "  INSERT INTO raw_samples SELECT ((1795000040000 + i * 1000) << 14) | 1, i FROM n;";
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'rollups'"), 0);
    sqlite3_close(db);

    struct store *st = store_open(path, NULL, f->cat, err, sizeof err);
    assert_non_null(st);
    store_close(st);

    db = open_db(path);
    assert_int_equal(query_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM alarm_events"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples"), 120);
    /* 1795000040000 is 20 s into a minute: buckets of 40, 60 and 20 samples. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM rollups WHERE \"window\" = '1min'"), 3);
    assert_int_equal(query_int(db, "SELECT count FROM rollups WHERE \"window\" = '1min'"
                                   " ORDER BY bucket_start_ms LIMIT 1"),
                     40);
    assert_int_equal(query_int(db, "SELECT sum(count) FROM rollups WHERE \"window\" = '1hour'"),
                     120);
    assert_true(fabs(query_double(db, "SELECT mean FROM rollups WHERE \"window\" = '1min'"
                                      " AND machine_id = 'P1' AND sensor = 'temp_c'"
                                      " ORDER BY bucket_start_ms LIMIT 1 OFFSET 1") -
                     69.5) < 1e-9);
    sqlite3_close(db);

    /* A newer file than this build is refused, not damaged. */
    db = open_db(path);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_null(store_open(path, NULL, f->cat, err, sizeof err));
    assert_non_null(strstr(err, "newer"));
}

static void test_record_values_rollups_events(void **state)
{
    struct fixture *f = *state;
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 50;
    struct store *st = open_store(f, &o);
    struct engine_sink sink = store_sink(st);
    const int64_t n = 40000; /* 10,000 steps of 100 ms: 1000 s of plant time */
    push_stream(&sink, 0, n, BASE_MS);
    /* A text channel and an anomaly. */
    struct sample text = {.ts_ms = BASE_MS, .machine = 1, .sensor = 2, .kind = SAMPLE_TEXT};
    snprintf(text.u.text, sizeof text.u.text, "AUTO");
    sink.on_samples(sink.ctx, &text, 1);
    struct event ev = {.kind = EVENT_ANOMALY,
                       .ts_ms = BASE_MS + 5000,
                       .machine = 0,
                       .sensor = 0,
                       .value = 99.5,
                       .score = 0.875};
    snprintf(ev.machine_id, sizeof ev.machine_id, "P1");
    snprintf(ev.sensor_name, sizeof ev.sensor_name, "temp_c");
    snprintf(ev.detector, sizeof ev.detector, "zscore");
    snprintf(ev.reason, sizeof ev.reason, "|z| = 4.2");
    sink.on_event(sink.ctx, &ev);
    struct event limit = ev;
    limit.kind = EVENT_LIMIT;
    sink.on_event(sink.ctx, &limit);
    /* Alarm changes: a raise is logged, a value-only update is not. */
    struct event alarm = {
        .kind = EVENT_ALARM, .ts_ms = BASE_MS + 6000, .value = 101.5, .state = 1, .priority = 2};
    snprintf(alarm.machine_id, sizeof alarm.machine_id, "P1");
    snprintf(alarm.sensor_name, sizeof alarm.sensor_name, "temp_c:hi");
    snprintf(alarm.detector, sizeof alarm.detector, "raise");
    snprintf(alarm.reason, sizeof alarm.reason, "temp_c 101.5 above 100");
    sink.on_event(sink.ctx, &alarm);
    snprintf(alarm.detector, sizeof alarm.detector, "update");
    sink.on_event(sink.ctx, &alarm);
    /* The same sample twice is stored once and counted. */
    struct sample dup = stream_sample(5, BASE_MS);
    assert_int_equal(store_flush(st, 20000), 0);
    sink.on_samples(sink.ctx, &dup, 1);
    assert_int_equal(store_flush(st, 20000), 0);
    struct store_status s;
    store_status(st, &s);
    assert_int_equal(s.written, n + 1);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.events_written, 2);
    char line[256];
    store_status_text(&s, line, sizeof line);
    assert_string_equal(line, "rec 40001");
    store_close(st);

    sqlite3 *db = open_db(f->path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples"), n + 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM machines"), 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sensors"), 5);
    /* Every value where it was sent: sample i is P(i%2), sensor (i/2)%2, at step i/4. */
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT machine_id, sensor, ts_ms, value FROM samples"
                                        " WHERE typeof(value) = 'real'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    int64_t rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        double v = sqlite3_column_double(q, 3);
        int64_t i = (int64_t)(v - 0.25);
        struct sample e = stream_sample(i, BASE_MS);
        assert_true(v == e.u.value);
        assert_string_equal((const char *)sqlite3_column_text(q, 0), e.machine ? "P2" : "P1");
        assert_string_equal((const char *)sqlite3_column_text(q, 1),
                            e.sensor ? "flow_m3h" : "temp_c");
        assert_int_equal(sqlite3_column_int64(q, 2), e.ts_ms);
        rows++;
    }
    sqlite3_finalize(q);
    assert_int_equal(rows, n);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples WHERE value = 'AUTO' AND"
                                   " sensor = 'status.mode' AND machine_id = 'P2'"),
                     1);
    /* Rollups agree with the raw data, window by window. */
    for (int w = 0; w < STORE_WINDOWS; w++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM rollups r JOIN (SELECT machine_id, sensor,"
                 " (ts_ms / %lld) * %lld AS b, count(*) AS c, min(value) AS lo, max(value) AS hi,"
                 " avg(value) AS m FROM samples WHERE typeof(value) = 'real' GROUP BY 1, 2, 3) x"
                 " ON x.machine_id = r.machine_id AND x.sensor = r.sensor AND x.b ="
                 " r.bucket_start_ms WHERE r.\"window\" = '%s' AND r.count = x.c AND r.min = x.lo"
                 " AND r.max = x.hi AND abs(r.mean - x.m) < 1e-6",
                 (long long)store_window_ms[w], (long long)store_window_ms[w],
                 store_window_names[w]);
        int64_t good = query_int(db, sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM rollups WHERE \"window\" = '%s'",
                 store_window_names[w]);
        assert_int_equal(good, query_int(db, sql));
        assert_true(good > 0);
    }
    assert_int_equal(query_int(db, "SELECT sum(count) FROM rollups WHERE \"window\" = '1min'"), n);
    assert_int_equal(query_int(db, "SELECT count(*) FROM anomalies WHERE machine_id = 'P1' AND"
                                   " sensor = 'temp_c' AND detector = 'zscore' AND score = 0.875"
                                   " AND reason = '|z| = 4.2'"),
                     1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM alarm_events"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM alarm_events WHERE machine_id = 'P1' AND"
                                   " condition = 'temp_c:hi' AND change = 'raise' AND state ="
                                   " 'active_unacked' AND priority = 'high' AND value = 101.5"),
                     1);
    sqlite3_close(db);
}

/* Rows go in 64 to a statement: a batch that overlaps what is stored keeps every new row, counts
 * each old one as a duplicate once, and the rollups count each sample once. */
static void test_overlapping_batch(void **state)
{
    struct fixture *f = *state;
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 50;
    struct store *st = open_store(f, &o);
    struct engine_sink sink = store_sink(st);
    push_stream(&sink, 0, 1000, BASE_MS);
    assert_int_equal(store_flush(st, 20000), 0);
    push_stream(&sink, 900, 2000, BASE_MS); /* 100 again, then 1000 new */
    assert_int_equal(store_flush(st, 20000), 0);
    struct store_status s;
    store_status(st, &s);
    assert_int_equal(s.written, 2000);
    assert_int_equal(s.duplicates, 100);
    store_close(st);
    sqlite3 *db = open_db(f->path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples"), 2000);
    assert_int_equal(query_int(db, "SELECT sum(count) FROM rollups WHERE \"window\" = '1hour'"),
                     2000);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples WHERE value = 1950.25"), 1);
    sqlite3_close(db);
}

static void test_retention_prunes(void **state)
{
    struct fixture *f = *state;
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 50;
    o.retain_raw_s = 3600;
    o.retain_rollups_s = 86400;
    struct store *st = open_store(f, &o);
    struct engine_sink sink = store_sink(st);
    int64_t now = (int64_t)time(NULL) * 1000;
    /* 3 days ago, 3 hours ago, and now: 4000 samples each. */
    push_stream(&sink, 0, 4000, now - 3 * 86400000LL);
    assert_int_equal(store_flush(st, 20000), 0);
    push_stream(&sink, 4000, 8000, now - 3 * 3600000LL);
    assert_int_equal(store_flush(st, 20000), 0);
    push_stream(&sink, 8000, 12000, now - 100000);
    assert_int_equal(store_flush(st, 20000), 0);
    /* One more commit so the pruning sees the newest time. */
    push_stream(&sink, 12000, 12004, now);
    assert_int_equal(store_flush(st, 20000), 0);
    struct store_status s;
    store_status(st, &s);
    store_close(st);
    assert_int_equal(s.pruned, 8000);
    sqlite3 *db = open_db(f->path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples"), 4004);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT min(ts_ms) >= %lld FROM samples", (long long)(now - 3600000));
    assert_int_equal(query_int(db, sql), 1);
    /* Rollups: the 3-day-old buckets are gone, the 3-hour-old ones stay. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM rollup_data WHERE bucket_start_ms < %lld",
             (long long)(now - 86400000LL - 3600000));
    assert_int_equal(query_int(db, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT sum(count) FROM rollups WHERE \"window\" = '1min' AND bucket_start_ms < %lld",
             (long long)(now - 3600000));
    assert_int_equal(query_int(db, sql), 4000);
    sqlite3_close(db);
}

/* A backlog far beyond one chunk goes in small deletes, commit after commit, never in one. */
static void test_retention_is_incremental(void **state)
{
    struct fixture *f = *state;
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 20;
    o.retain_raw_s = 3600;
    o.block_when_full = true;
    int64_t now = (int64_t)time(NULL) * 1000;
    /* 60,000 samples from two hours ago, recorded with retention off. */
    struct store_options keep = o;
    keep.retain_raw_s = 0;
    struct store *st = open_store(f, &keep);
    struct engine_sink sink = store_sink(st);
    push_stream(&sink, 0, 60000, now - 2 * 3600000LL);
    store_close(st);
    st = open_store(f, &o);
    sink = store_sink(st);
    struct store_status s;
    uint64_t previous = 0;
    int commits = 0;
    for (int64_t i = 0; i < 400 && previous < 60000; i++, commits++) {
        push_stream(&sink, 60000 + i * 4, 60004 + i * 4, now);
        assert_int_equal(store_flush(st, 20000), 0);
        store_status(st, &s);
        assert_true(s.pruned - previous <= 2 * 4 + 20000); /* one chunk per commit at most */
        previous = s.pruned;
    }
    assert_int_equal(s.pruned, 60000);
    assert_true(commits >= 3);
    store_close(st);
    sqlite3 *db = open_db(f->path);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM samples WHERE ts_ms < %lld",
             (long long)(now - 3600000));
    assert_int_equal(query_int(db, sql), 0);
    sqlite3_close(db);
}

static void wait_for(struct store *st, bool recording)
{
    struct store_status s;
    for (int i = 0; i < 1000; i++) {
        store_status(st, &s);
        if (s.recording == recording)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("store never became %s", recording ? "recording" : "stopped");
}

static void test_full_disk_then_resume(void **state)
{
    struct fixture *f = *state;
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 50;
    o.retry_ms = 100;
    o.max_db_bytes = 256 * 1024;
    struct store *st = open_store(f, &o);
    struct engine_sink sink = store_sink(st);
    /* ~2 MB of samples cannot fit under a 256 kB cap. */
    push_stream(&sink, 0, 100000, BASE_MS);
    assert_int_equal(store_flush(st, 20000), 0);
    struct store_status s;
    store_status(st, &s);
    assert_false(s.recording);
    char line[256];
    store_status_text(&s, line, sizeof line);
    assert_string_equal(line, "recording stopped: database or disk is full");
    assert_true(s.dropped > 0);
    assert_int_equal(s.written + s.dropped, 100000);
    uint64_t written_before = s.written;

    /* Space comes back: recording resumes and everything after that is kept. */
    store_set_max_db_bytes(st, 0);
    for (int i = 0; i < 100 && !s.recording; i++) {
        push_stream(&sink, 100000 + i * 4, 100004 + i * 4, BASE_MS);
        assert_int_equal(store_flush(st, 20000), 0);
        store_status(st, &s);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    assert_true(s.recording);
    push_stream(&sink, 200000, 210000, BASE_MS);
    assert_int_equal(store_flush(st, 20000), 0);
    store_status(st, &s);
    assert_true(s.recording);
    assert_true(s.written >= written_before + 10000);
    store_close(st);
    sqlite3 *db = open_db(f->path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM samples"), (int64_t)s.written);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE"
                                   " integrity_check = 'ok'"),
                     1);
    sqlite3_close(db);
}

/* Another program holds the write lock past the busy timeout: stopped with SQLite's reason,
 * then back to recording once the lock is gone. */
static void test_locked_file_then_resume(void **state)
{
    struct fixture *f = *state;
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 20;
    o.retry_ms = 50;
    struct store *st = open_store(f, &o);
    struct engine_sink sink = store_sink(st);
    push_stream(&sink, 0, 100, BASE_MS);
    assert_int_equal(store_flush(st, 20000), 0);
    sqlite3 *other = open_db(f->path);
    assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    push_stream(&sink, 100, 200, BASE_MS);
    assert_int_equal(store_flush(st, 30000), 0); /* waits out the 5 s busy timeout */
    struct store_status s;
    store_status(st, &s);
    assert_false(s.recording);
    assert_string_equal(s.reason, "database is locked");
    assert_int_equal(s.dropped, 100);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    for (int i = 0; i < 200 && !(s.recording && s.written > 100); i++) {
        push_stream(&sink, 200 + i * 4, 204 + i * 4, BASE_MS);
        assert_int_equal(store_flush(st, 20000), 0);
        store_status(st, &s);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    assert_true(s.recording);
    assert_true(s.written > 100);
    store_close(st);
}

static void test_read_only_file(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_store(f, NULL);
    store_close(st);
    char uri[256];
    snprintf(uri, sizeof uri, "file:%s?mode=ro", f->path);
    char err[512] = "";
    struct store_options o;
    store_options_default(&o);
    o.commit_ms = 20;
    o.retry_ms = 50;
    st = store_open(uri, &o, f->cat, err, sizeof err);
    assert_non_null(st);
    struct engine_sink sink = store_sink(st);
    push_stream(&sink, 0, 1000, BASE_MS);
    assert_int_equal(store_flush(st, 20000), 0);
    struct store_status s;
    store_status(st, &s);
    assert_false(s.recording);
    assert_non_null(strstr(s.reason, "read-only"));
    assert_int_equal(s.written, 0);
    assert_int_equal(s.dropped, 1000);
    store_close(st);

    /* A file the user cannot write (meaningless for root, who writes anyway). */
    if (geteuid() != 0) {
        assert_int_equal(chmod(f->path, 0444), 0);
        st = store_open(f->path, &o, f->cat, err, sizeof err);
        assert_non_null(st);
        wait_for(st, false);
        assert_int_equal(chmod(f->path, 0644), 0);
        push_stream(&sink, 0, 4, BASE_MS);
        sink = store_sink(st);
        for (int i = 0; i < 200; i++) {
            push_stream(&sink, i * 4, i * 4 + 4, BASE_MS);
            store_flush(st, 20000);
            store_status(st, &s);
            if (s.recording && s.written)
                break;
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
        assert_true(s.recording);
        store_close(st);
    }
}

/* The child records as fast as it can and reports what the store says is written; the parent
 * kills it without warning. Whatever was reported must be in the file, intact. */
static void test_sigkill_mid_recording(void **state)
{
    struct fixture *f = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char err[256];
        struct store_options o;
        store_options_default(&o);
        o.commit_ms = 100;
        o.block_when_full = true;
        struct store *st = store_open(f->path, &o, f->cat, err, sizeof err);
        if (!st)
            _exit(3);
        struct engine_sink sink = store_sink(st);
        for (int64_t i = 0;; i += 4000) {
            push_stream(&sink, i, i + 4000, BASE_MS);
            struct store_status s;
            store_status(st, &s);
            uint64_t w = s.written;
            if (write(fds[1], &w, sizeof w) != sizeof w)
                _exit(4);
        }
    }
    close(fds[1]);
    uint64_t reported = 0, w;
    while (reported < 300000 && read(fds[0], &w, sizeof w) == sizeof w)
        reported = w;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    while (read(fds[0], &w, sizeof w) == sizeof w)
        reported = w > reported ? w : reported;
    close(fds[0]);

    sqlite3 *db = open_db(f->path);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
    sqlite3_finalize(q);
    int64_t count = query_int(db, "SELECT count(*) FROM samples");
    assert_true((uint64_t)count >= reported);
    /* Batches commit in queue order: what is there is exactly the first count samples. */
    assert_int_equal(query_int(db, "SELECT count(DISTINCT value) FROM samples"), count);
    assert_true(query_double(db, "SELECT max(value) FROM samples") == (double)(count - 1) + 0.25);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_v1_to_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_values_rollups_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlapping_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_prunes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_is_incremental, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_then_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_file_then_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_mid_recording, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
