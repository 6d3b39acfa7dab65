// SPDX-License-Identifier: MIT
/* Reading history back: record -> export round trips in every format, filters, rollups, the
 * alarm log, unknown names, exports while another process records, time-ordered iteration for
 * replay, and time parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
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
#include "store_export.h"
#include "fixture.h"

#define BASE_MS 1795000000000LL /* 2026-11-18T11:06:40Z */
#define N 20000                 /* numeric samples in the fixture file */

struct fixture {
    struct catalog *cat;
    char dir[64];
    char path[128];
};

/* Sample i: P1/P2 x temp_c/flow_m3h, four per 100 ms step, values with long fractions. */
static struct sample stream_sample(int64_t i)
{
    struct sample s = {0};
    s.machine = (uint32_t)(i % 2);
    s.sensor = (uint16_t)((i / 2) % 2);
    s.ts_ms = BASE_MS + (i / 4) * 100;
    s.kind = SAMPLE_VALUE;
    s.u.value = (double)i / 7.0 + 0.1;
    return s;
}

static int64_t stream_index(double v)
{
    return (int64_t)llround((v - 0.1) * 7.0);
}

static void record(struct catalog *cat, const char *path, int64_t from, int64_t to, bool text)
{
    char err[256];
    struct store_options o;
    store_options_default(&o);
    o.block_when_full = true;
    struct store *st = store_open(path, &o, cat, err, sizeof err);
    if (!st)
        fail_msg("%s", err);
    struct engine_sink sink = store_sink(st);
    struct sample buf[512];
    size_t n = 0;
    for (int64_t i = from; i < to; i++) {
        buf[n++] = stream_sample(i);
        if (n == 512 || i + 1 == to) {
            sink.on_samples(sink.ctx, buf, n);
            n = 0;
        }
    }
    if (text) { /* a text channel, with a comma and a quote to escape */
        struct sample t = {.ts_ms = BASE_MS + 50, .machine = 1, .sensor = 2, .kind = SAMPLE_TEXT};
        snprintf(t.u.text, sizeof t.u.text, "A,\"B\"");
        sink.on_samples(sink.ctx, &t, 1);
    }
    store_close(st);
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    f.cat = fixture_catalog("tests/data/mini.json");
    assert_int_equal(fixture_tmpdir("export", f.dir, sizeof f.dir), 0);
    snprintf(f.path, sizeof f.path, "%s/history.db", f.dir);
    record(f.cat, f.path, 0, N, true);
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

static struct store_reader *open_reader(const char *path)
{
    char err[512];
    struct store_reader *r = store_read_open(path, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    return r;
}

/* Exports into a memory buffer. */
static char *export_mem(struct store_reader *r, const struct store_query *q, enum store_format fmt,
                        long long *rows, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    *rows = store_export_write(r, q, fmt, out, err, errlen);
    fclose(out);
    return buf;
}

static int64_t query_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void check_row(const char *ts, const char *machine, const char *sensor, double value)
{
    char err[256];
    int64_t ms;
    int64_t i = stream_index(value);
    struct sample e = stream_sample(i);
    assert_int_equal(store_read_parse_time(ts, 0, &ms, err, sizeof err), 0);
    assert_int_equal(ms, e.ts_ms);
    assert_string_equal(machine, e.machine ? "P2" : "P1");
    assert_string_equal(sensor, e.sensor ? "flow_m3h" : "temp_c");
    assert_true(value == e.u.value); /* bit for bit, not nearly */
}

static void test_csv_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    char err[512];
    long long rows;
    char *csv = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    assert_int_equal(rows, N + 1);
    assert_int_equal(rows, query_int(f->path, "SELECT count(*) FROM samples"));
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    assert_string_equal(line, "ts,machine_id,sensor,value");
    int64_t seen = 0, text = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        if (strstr(line, "status.mode")) {
            assert_string_equal(line, "2026-11-18T11:06:40.050Z,P2,status.mode,\"A,\"\"B\"\"\"");
            text++;
            continue;
        }
        char ts[32], machine[16], sensor[32];
        double v;
        assert_int_equal(sscanf(line, "%31[^,],%15[^,],%31[^,],%lf", ts, machine, sensor, &v), 4);
        assert_int_equal(strlen(ts), 24);
        check_row(ts, machine, sensor, v);
        seen++;
    }
    assert_int_equal(seen, N);
    assert_int_equal(text, 1);
    free(csv);
    store_read_close(r);
}

static void test_jsonl_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    char err[512];
    long long rows;
    char *jsonl = export_mem(r, &q, STORE_FORMAT_JSONL, &rows, err, sizeof err);
    assert_int_equal(rows, N + 1);
    char *save = NULL;
    int64_t seen = 0;
    for (char *line = strtok_r(jsonl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(line);
        if (!o)
            fail_msg("not JSON: %s", line);
        const char *ts = cJSON_GetObjectItem(o, "ts")->valuestring;
        const char *machine = cJSON_GetObjectItem(o, "machine_id")->valuestring;
        const char *sensor = cJSON_GetObjectItem(o, "sensor")->valuestring;
        cJSON *value = cJSON_GetObjectItem(o, "value");
        if (cJSON_IsString(value)) {
            assert_string_equal(value->valuestring, "A,\"B\"");
        } else {
            /* cJSON parses numbers with strtod: exact when the text round-trips. */
            check_row(ts, machine, sensor, value->valuedouble);
            seen++;
        }
        cJSON_Delete(o);
    }
    assert_int_equal(seen, N);
    free(jsonl);
    store_read_close(r);
}

static void test_sqlite_copies(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    char err[512], whole[160], part[160];
    snprintf(whole, sizeof whole, "%s/copy.db", f->dir);
    snprintf(part, sizeof part, "%s/part.db", f->dir);
    assert_int_equal(store_export_copy(r, &q, whole, err, sizeof err), 0);
    assert_int_equal(query_int(whole, "SELECT count(*) FROM samples"), N + 1);
    assert_int_equal(query_int(whole, "SELECT count(*) FROM pragma_integrity_check WHERE"
                                      " integrity_check = 'ok'"),
                     1);
    assert_int_equal(query_int(whole, "SELECT sum(value * 7) FROM samples WHERE"
                                      " typeof(value) = 'real'"),
                     query_int(f->path, "SELECT sum(value * 7) FROM samples WHERE"
                                        " typeof(value) = 'real'"));
    /* An existing file is never overwritten. */
    assert_int_equal(store_export_copy(r, &q, whole, err, sizeof err), -1);
    assert_non_null(strstr(err, "already exists"));

    /* Filtered: P2's flow over the first 100 s. */
    q.machines[q.machine_count++] = "P2";
    q.sensors[q.sensor_count++] = "flow_m3h";
    q.since_ms = BASE_MS;
    q.until_ms = BASE_MS + 100000;
    assert_int_equal(store_export_copy(r, &q, part, err, sizeof err), 0);
    assert_int_equal(query_int(part, "SELECT count(*) FROM samples"), 1000);
    assert_int_equal(query_int(part, "SELECT count(*) FROM samples WHERE machine_id != 'P2' OR"
                                     " sensor != 'flow_m3h'"),
                     0);
    assert_int_equal(query_int(part, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_true(query_int(part, "SELECT count(*) FROM rollups") > 0);
    store_read_close(r);
}

static void test_filters_and_rollups(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    char err[512];
    long long rows;
    q.machines[q.machine_count++] = "P1";
    q.since_ms = BASE_MS + 1000;
    q.until_ms = BASE_MS + 2000; /* 10 steps x 2 sensors */
    char *out = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    assert_int_equal(rows, 20);
    assert_null(strstr(out, "P2"));
    free(out);

    store_read_query_default(&q);
    q.rollup = store_window_find("1min");
    out = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    assert_int_equal(rows, query_int(f->path, "SELECT count(*) FROM rollups WHERE"
                                              " \"window\" = '1min'"));
    assert_non_null(strstr(out, "ts,machine_id,sensor,window,count,min,max,mean\n"));
    assert_non_null(strstr(out, ",P1,temp_c,1min,"));
    free(out);
    out = export_mem(r, &q, STORE_FORMAT_JSONL, &rows, err, sizeof err);
    cJSON *first = cJSON_Parse(out);
    assert_non_null(first);
    assert_string_equal(cJSON_GetObjectItem(first, "window")->valuestring, "1min");
    assert_true(cJSON_GetObjectItem(first, "count")->valuedouble >= 1);
    cJSON_Delete(first);
    free(out);

    int64_t ts[16];
    double mean[16], lo[16], hi[16];
    int n =
        store_read_rollup_series(r, "P1", "temp_c", 1, INT64_MIN, INT64_MAX, ts, mean, lo, hi, 16);
    assert_true(n >= 1);
    for (int i = 1; i < n; i++)
        assert_true(ts[i] > ts[i - 1]);
    assert_true(lo[0] <= mean[0] && mean[0] <= hi[0]);
    store_read_close(r);
}

static void test_alarm_log(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    q.alarms = true;
    char err[512] = "";
    long long rows;
    char *out = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    assert_int_equal(rows, 0); /* nothing happened yet */
    free(out);
    store_read_close(r);

    /* The alarm manager's tables, as it creates them beside ours. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    const char *sql =
        "CREATE TABLE alarms(id INTEGER PRIMARY KEY, machine_id TEXT, condition TEXT,"
        " priority TEXT, state TEXT);"
        "CREATE TABLE alarm_actions(id INTEGER PRIMARY KEY, alarm_id INTEGER, machine_id TEXT,"
        " condition TEXT, action TEXT, operator TEXT, host TEXT, ts_ms INTEGER, reason TEXT);"
        "INSERT INTO alarms VALUES (7, 'P1', 'temp_c:hi', 'high', 'acked');"
        "INSERT INTO alarm_actions VALUES (1, 7, 'P1', 'temp_c:hi', 'raise', '', 'h1',"
        " 1795000001000, 'temp_c 101 > 100');"
        "INSERT INTO alarm_actions VALUES (2, 7, 'P1', 'temp_c:hi', 'ack', 'ana', 'h1',"
        " 1795000002500, 'checked, valve open');"
        /* Our log of process changes; its ack is left out (alarm_actions has who and why). */
        "INSERT INTO alarm_events(ts_ms, machine_id, condition, change, state, priority, value,"
        " reason) VALUES (1795000002000, 'P1', 'temp_c:hi', 'escalate', 'active_unacked',"
        " 'high', 120, 'temp_c 120 > 110'),"
        " (1795000002500, 'P1', 'temp_c:hi', 'ack', 'active_acked', 'high', 120, 'x'),"
        " (1795000003000, 'P1', 'temp_c:hi', 'clear', 'normal', 'high', 90, 'back');";
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    r = open_reader(f->path);
    out = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    assert_int_equal(rows, 4);
    assert_string_equal(out,
                        "ts,alarm_id,machine_id,condition,priority,action,operator,host,reason\n"
                        "2026-11-18T11:06:41.000Z,7,P1,temp_c:hi,high,raise,,h1,temp_c 101 > 100\n"
                        "2026-11-18T11:06:42.000Z,7,P1,temp_c:hi,high,escalate,,,temp_c 120 > 110\n"
                        "2026-11-18T11:06:42.500Z,7,P1,temp_c:hi,high,ack,ana,h1,"
                        "\"checked, valve open\"\n"
                        "2026-11-18T11:06:43.000Z,7,P1,temp_c:hi,high,clear,,,back\n");
    free(out);
    out = export_mem(r, &q, STORE_FORMAT_JSONL, &rows, err, sizeof err);
    assert_non_null(strstr(out, "\"operator\":\"ana\""));
    assert_non_null(strstr(out, "\"alarm_id\":7,"));
    free(out);
    q.machines[q.machine_count++] = "P2";
    out = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    assert_int_equal(rows, 0);
    free(out);
    store_read_close(r);
}

/* Files of older versions are read as they are: no alarm log in version 2, no rollups in 1. */
static void test_older_files(void **state)
{
    struct fixture *f = *state;
    char err[512], path[160], copy[160];
    snprintf(path, sizeof path, "%s/v2.db", f->dir);
    assert_int_equal(store_init_schema(path, 2, err, sizeof err), 0);
    struct store_reader *r = open_reader(path);
    struct store_query q;
    store_read_query_default(&q);
    q.alarms = true;
    long long rows;
    err[0] = '\0';
    free(export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err));
    assert_int_equal(rows, 0);
    assert_non_null(strstr(err, "holds no alarm log"));
    store_read_close(r);

    snprintf(path, sizeof path, "%s/v1.db", f->dir);
    assert_int_equal(store_init_schema(path, 1, err, sizeof err), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO machines VALUES (1, 'P1', 'test-pump');"
                                  "INSERT INTO sensors(id, machine, name) VALUES (1, 1, 'temp_c');"
                                  "INSERT INTO raw_samples VALUES ((1795000000000 << 14) | 1, 4.5);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    r = open_reader(path);
    store_read_query_default(&q);
    q.rollup = 0;
    free(export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err));
    assert_int_equal(rows, -1);
    assert_non_null(strstr(err, "no rollups"));
    store_read_query_default(&q);
    q.machines[q.machine_count++] = "P1";
    snprintf(copy, sizeof copy, "%s/v1-copy.db", f->dir);
    if (store_export_copy(r, &q, copy, err, sizeof err) != 0)
        fail_msg("filtered copy of a version-1 file: %s", err);
    assert_int_equal(query_int(copy, "SELECT count(*) FROM samples WHERE value = 4.5"), 1);
    assert_int_equal(query_int(copy, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    store_read_close(r);
}

static void test_unknown_names_and_bad_files(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    q.machines[q.machine_count++] = "PUMP_999";
    char err[512];
    long long rows;
    char *out = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
    free(out);
    assert_int_equal(rows, -1);
    assert_non_null(strstr(err, "unknown machine 'PUMP_999'"));
    assert_non_null(strstr(err, "known: P1, P2"));
    store_read_query_default(&q);
    q.sensors[q.sensor_count++] = "rpm";
    assert_int_equal(store_read_check(r, &q, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown sensor 'rpm'"));
    assert_non_null(strstr(err, "temp_c"));
    store_read_close(r);

    char path[160];
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    assert_null(store_read_open(path, err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
    assert_null(store_read_open(f->dir, err, sizeof err));
    assert_non_null(strstr(err, "is a directory"));
    snprintf(path, sizeof path, "%s/plain.txt", f->dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < 200; i++)
        fputs("not sqlite at all\n", fp);
    fclose(fp);
    assert_null(store_read_open(path, err, sizeof err));
    assert_non_null(strstr(err, "not a database"));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    rewind(fp);
    char *buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, fp), *len);
    fclose(fp);
    return buf;
}

static void test_export_never_modifies_source(void **state)
{
    struct fixture *f = *state;
    size_t before_len, after_len;
    char *before = slurp(f->path, &before_len);
    struct stat sb0, sb1;
    assert_int_equal(stat(f->path, &sb0), 0);
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    char err[512], copy[160];
    long long rows;
    free(export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err));
    free(export_mem(r, &q, STORE_FORMAT_JSONL, &rows, err, sizeof err));
    snprintf(copy, sizeof copy, "%s/c.db", f->dir);
    assert_int_equal(store_export_copy(r, &q, copy, err, sizeof err), 0);
    q.machines[q.machine_count++] = "P1";
    snprintf(copy, sizeof copy, "%s/d.db", f->dir);
    assert_int_equal(store_export_copy(r, &q, copy, err, sizeof err), 0);
    store_read_close(r);
    char *after = slurp(f->path, &after_len);
    assert_int_equal(stat(f->path, &sb1), 0);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    assert_int_equal(sb0.st_mtim.tv_sec, sb1.st_mtim.tv_sec);
    assert_int_equal(sb0.st_mtim.tv_nsec, sb1.st_mtim.tv_nsec);
    free(before);
    free(after);
}

/* What a snapshot holds is a prefix of the stream: the recorder commits in order. */
static void check_prefix(const char *db_path, int64_t *count)
{
    *count = query_int(db_path, "SELECT count(*) FROM samples");
    if (*count == 0)
        return;
    int64_t top = query_int(db_path, "SELECT CAST(round((max(value) - 0.1) * 7) AS INTEGER)"
                                     " FROM samples");
    assert_int_equal(top, *count - 1);
}

static void test_export_while_recording(void **state)
{
    struct fixture *f = *state;
    char live[160];
    snprintf(live, sizeof live, "%s/live.db", f->dir);
    char err[512];
    /* Create the schema first so the reader never races the creation. */
    assert_int_equal(store_init_schema(live, STORE_SCHEMA_VERSION, err, sizeof err), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int64_t i = 0;; i += 20000)
            record(f->cat, live, i, i + 20000, false);
    }
    int64_t last = 0;
    for (int round = 0; round < 4; round++) {
        /* Wait for the recorder to move on. */
        struct store_reader *r = NULL;
        for (int i = 0; i < 1000; i++) {
            r = open_reader(live);
            if (store_read_newest_ms(r) > BASE_MS + (last / 4) * 100)
                break;
            store_read_close(r);
            r = NULL;
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
        assert_non_null(r);
        struct store_query q;
        store_read_query_default(&q);
        q.run = STORE_RUN_ALL; /* each record() above is a run of its own */
        long long rows;
        char *csv = export_mem(r, &q, STORE_FORMAT_CSV, &rows, err, sizeof err);
        if (rows < 0)
            fail_msg("export while recording: %s", err);
        /* The CSV is one snapshot: its last line is sample rows - 1. */
        char *lastline = csv + strlen(csv) - 2;
        while (lastline > csv && *lastline != '\n')
            lastline--;
        double v = strtod(strrchr(lastline + 1, ',') + 1, NULL);
        int64_t top = stream_index(v);
        assert_int_equal(top, rows - 1);
        free(csv);
        char copy[160];
        snprintf(copy, sizeof copy, "%s/live-copy-%d.db", f->dir, round);
        if (store_export_copy(r, &q, copy, err, sizeof err) != 0)
            fail_msg("copy while recording: %s", err);
        store_read_close(r);
        int64_t count;
        check_prefix(copy, &count);
        assert_int_equal(query_int(copy, "SELECT count(*) FROM pragma_integrity_check WHERE"
                                         " integrity_check = 'ok'"),
                         1);
        assert_true(count >= rows);
        assert_true(count >= last);
        last = count;
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(last > 0);
}

struct replay_check {
    int64_t rows, text, last_ts;
    bool ordered;
};

static int replay_row(void *ctx, const struct store_row *row)
{
    struct replay_check *c = ctx;
    if (row->ts_ms < c->last_ts)
        c->ordered = false;
    c->last_ts = row->ts_ms;
    if (row->is_text) {
        c->text++;
        assert_string_equal(row->text, "A,\"B\"");
        return 0;
    }
    struct sample e = stream_sample(stream_index(row->value));
    assert_true(row->value == e.u.value);
    assert_int_equal(row->ts_ms, e.ts_ms);
    assert_string_equal(row->machine_id, e.machine ? "P2" : "P1");
    assert_string_equal(row->machine_type, "test-pump");
    assert_string_equal(row->sensor, e.sensor ? "flow_m3h" : "temp_c");
    c->rows++;
    return 0;
}

static int stop_early(void *ctx, const struct store_row *row)
{
    (void)row;
    return ++*(int *)ctx == 10 ? 42 : 0;
}

static void test_each_in_time_order(void **state)
{
    struct fixture *f = *state;
    struct store_reader *r = open_reader(f->path);
    struct store_query q;
    store_read_query_default(&q);
    char err[256];
    struct replay_check c = {.ordered = true};
    assert_int_equal(store_read_each(r, &q, replay_row, &c, err, sizeof err), 0);
    assert_int_equal(c.rows, N);
    assert_int_equal(c.text, 1);
    assert_true(c.ordered);
    int calls = 0;
    assert_int_equal(store_read_each(r, &q, stop_early, &calls, err, sizeof err), 42);
    assert_int_equal(calls, 10);
    assert_int_equal(store_read_oldest_ms(r), BASE_MS);
    assert_int_equal(store_read_newest_ms(r), BASE_MS + (N / 4 - 1) * 100);
    store_read_close(r);
}

static void test_parse_time(void **state)
{
    (void)state;
    char err[256];
    int64_t ms;
    assert_int_equal(store_read_parse_time("2026-11-18T11:06:40.250Z", 0, &ms, err, sizeof err), 0);
    assert_int_equal(ms, BASE_MS + 250);
    assert_int_equal(store_read_parse_time("2026-11-18 11:06:40", 0, &ms, err, sizeof err), 0);
    assert_int_equal(ms, BASE_MS);
    assert_int_equal(store_read_parse_time("2026-11-18T12:06:40+01:00", 0, &ms, err, sizeof err),
                     0);
    assert_int_equal(ms, BASE_MS);
    assert_int_equal(store_read_parse_time("2026-11-18", 0, &ms, err, sizeof err), 0);
    assert_int_equal(ms, BASE_MS - (11 * 3600 + 6 * 60 + 40) * 1000LL);
    assert_int_equal(store_read_parse_time("1795000000000", 0, &ms, err, sizeof err), 0);
    assert_int_equal(ms, BASE_MS);
    assert_int_equal(store_read_parse_time("-2h", BASE_MS, &ms, err, sizeof err), 0);
    assert_int_equal(ms, BASE_MS - 7200000);
    assert_int_equal(store_read_parse_time("-90s", BASE_MS, &ms, err, sizeof err), 0);
    assert_int_equal(ms, BASE_MS - 90000);
    assert_int_equal(store_read_parse_time("yesterday", 0, &ms, err, sizeof err), -1);
    assert_non_null(strstr(err, "'yesterday' is not a time"));
    assert_int_equal(store_read_parse_time("-2 parsecs", 0, &ms, err, sizeof err), -1);
    assert_int_equal(store_read_parse_time("2026-13-01", 0, &ms, err, sizeof err), -1);
    char buf[32];
    store_export_format_time(BASE_MS + 7, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-18T11:06:40.007Z");
    store_export_format_time(951782400000LL, buf, sizeof buf); /* a leap day */
    assert_string_equal(buf, "2000-02-29T00:00:00.000Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters_and_rollups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alarm_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_names_and_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_never_modifies_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_while_recording, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_in_time_order, setup, teardown),
        cmocka_unit_test(test_parse_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
