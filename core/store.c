// SPDX-License-Identifier: MIT
/* The history recorder: one SQLite writer thread, batched transactions, rollups, retention. */
#include "store.h"
#include "maint.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "queue.h"
#include "clock.h"

#define STORE_CHUNK 8192 /* samples moved from the queue per pop: short holds of its lock */
#define STORE_BATCH_MAX (1 << 16) /* samples per transaction at most */
#define STORE_EVENTS_MAX 4096
#define STORE_BUSY_MS 5000
#define STORE_PRUNE_ROLLUP_SENSORS 16 /* sensors whose rollups are pruned per commit */
#define STORE_PRUNE_MIN 20000 /* raw rows pruned per commit beyond twice the batch: catches up */
/* Rows per multi-row INSERT: one statement run (cursor open, VDBE start and halt) per this many
 * samples instead of one per sample. */
#define STORE_INSERT_ROWS 64
#define STORE_RADIX_BITS 11 /* digit of the batch's key sort: 2,048 counters, four passes */

/* One rollup bucket's part that is not in the file yet (merged in with an upsert). */
struct rollup_acc {
    int64_t bucket;
    uint32_t count;
    bool dirty;
    double min, max, sum;
};

struct batch_key {
    uint64_t key;
    uint32_t index;
};

enum store_stmt {
    STMT_INSERT_RAW,
    STMT_INSERT_RAW_MANY,
    STMT_UPSERT_ROLLUP,
    STMT_INSERT_ANOMALY,
    STMT_INSERT_ALARM_EVENT,
    STMT_FIND_MACHINE,
    STMT_INSERT_MACHINE,
    STMT_PLACE_MACHINE,
    STMT_FIND_SENSOR,
    STMT_INSERT_SENSOR,
    STMT_PRUNE_RAW,
    STMT_PRUNE_ROLLUP,
    STMT_PRUNE_ANOMALY,
    STMT_PRUNE_ALARM_EVENT,
    STMT_PRUNE_STATUS,
    STMT_INSERT_STATUS,
    STMT_INSERT_MAINT,
    STMT_UPDATE_RUN,
    STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_INSERT_RAW] = "INSERT INTO raw_samples(key, value) VALUES (?1, ?2)",
    [STMT_INSERT_RAW_MANY] = NULL, /* STORE_INSERT_ROWS of the above: store_insert_many_sql */
    [STMT_UPSERT_ROLLUP] =
        "INSERT INTO rollup_data(win, sensor, bucket_start_ms, count, min, max, sum)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT(win, sensor, bucket_start_ms) DO UPDATE SET"
        " count = count + excluded.count, min = min(min, excluded.min),"
        " max = max(max, excluded.max), sum = sum + excluded.sum",
    [STMT_INSERT_ANOMALY] = "INSERT INTO anomalies(ts_ms, machine_id, sensor, detector, value,"
                            " score, reason, run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [STMT_INSERT_ALARM_EVENT] = "INSERT INTO alarm_events(ts_ms, machine_id, condition, change,"
                                " state, priority, value, reason, run)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [STMT_FIND_MACHINE] = "SELECT id FROM machines WHERE machine_id = ?1",
    [STMT_INSERT_MACHINE] =
        "INSERT INTO machines(machine_id, type, area, line) VALUES (?1, ?2, ?3, ?4)",
    [STMT_PLACE_MACHINE] = "UPDATE machines SET area = ?2, line = ?3 WHERE id = ?1 AND"
                           " (area IS NOT ?2 OR line IS NOT ?3)",
    [STMT_FIND_SENSOR] = "SELECT id FROM sensors WHERE run = ?3 AND machine = ?1 AND name = ?2",
    [STMT_INSERT_SENSOR] =
        "INSERT INTO sensors(machine, name, unit, is_text, run) VALUES (?1, ?2, ?3, ?4, ?5)",
    /* Deletes at most ?2 of the oldest rows below the cutoff ?1: no long stall. */
    [STMT_PRUNE_RAW] =
        "DELETE FROM raw_samples WHERE key < ?1 AND key <= coalesce((SELECT key FROM raw_samples"
        " WHERE key < ?1 ORDER BY key LIMIT 1 OFFSET ?2), ?1)",
    [STMT_PRUNE_ROLLUP] =
        "DELETE FROM rollup_data WHERE win = ?1 AND sensor = ?2 AND bucket_start_ms < ?3"
        " AND bucket_start_ms <= coalesce((SELECT bucket_start_ms FROM rollup_data"
        " WHERE win = ?1 AND sensor = ?2 AND bucket_start_ms < ?3 ORDER BY bucket_start_ms"
        " LIMIT 1 OFFSET 2000), ?3)",
    [STMT_PRUNE_ANOMALY] = "DELETE FROM anomalies WHERE id IN (SELECT id FROM anomalies"
                           " WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT 500)",
    [STMT_PRUNE_ALARM_EVENT] = "DELETE FROM alarm_events WHERE id IN (SELECT id FROM alarm_events"
                               " WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT 500)",
    [STMT_PRUNE_STATUS] = "DELETE FROM machine_status WHERE id IN (SELECT id FROM machine_status"
                          " WHERE ts_ms < ?1 ORDER BY ts_ms LIMIT 500)",
    [STMT_INSERT_STATUS] = "INSERT INTO machine_status(run, ts_ms, machine_id, state, health,"
                           " rul_hours, anomaly) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [STMT_INSERT_MAINT] =
        "INSERT INTO maint_actions(run, ts_ms, machine_id, fault, component, action, change,"
        " urgency, first_recommended_ms, due_ms, due_earliest_ms, due_latest_ms, rul_hours, sensor,"
        " evidence, operator, host, wall_ts_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [STMT_UPDATE_RUN] = "UPDATE runs SET ended_wall_ms = ?2, samples = samples + ?5,"
                        " first_ts_ms = coalesce(min(first_ts_ms, ?3), ?3),"
                        " last_ts_ms = coalesce(max(last_ts_ms, ?4), ?4) WHERE id = ?1",
};

struct store {
    char path[1024];
    struct store_options opt;
    const struct catalog *cat;
    struct queue *q;

    pthread_mutex_t ev_lock; /* guards the event ring */
    struct event *ev_ring;
    size_t ev_head, ev_count;
    _Atomic uint64_t events_dropped;

    pthread_mutex_t status_lock; /* guards recording and reason */
    bool recording;
    char reason[160];

    _Atomic uint64_t written, dropped, processed, events_written, duplicates, pruned, too_old;
    _Atomic uint64_t committed; /* store_committed */
    bool commit_failed;         /* writer thread */
    _Atomic int64_t run_id;     /* written once by the writer (or store_open), read by status */
    char run_source[16], run_scenario[256], run_catalog[1024];
    _Atomic int64_t last_commit_ms;
    _Atomic int64_t max_db_bytes;
    _Atomic bool max_changed;
    _Atomic bool flush_requested;
    _Atomic bool stop;
    pthread_t thread;
    bool thread_started;

    /* Everything below belongs to the writer thread. */
    sqlite3 *db;
    sqlite3_stmt *stmt[STMT_COUNT];
    int64_t next_retry_ms;
    int map_cap;          /* machines covered by sensor_map */
    int32_t *machine_map; /* catalog machine -> machines.id (0: not known yet) */
    int32_t *sensor_map;  /* [machine * CATALOG_SENSORS_MAX + sensor] -> sensors.id, -1 refused */
    int max_sensor_id;
    struct rollup_acc *acc; /* [sensor id * STORE_WINDOWS + window] */
    int *dirty;             /* indices of acc with a pending part */
    size_t dirty_count;
    struct sample *batch;
    size_t batch_count;
    int64_t batch_start_ms;
    struct batch_key *keys, *keys_tmp; /* keys_tmp: the other half of the radix sort */
    struct event *ev_batch;
    size_t ev_batch_count;
    int64_t newest_ts_ms;
    int64_t cutoff_ms; /* raw samples below it are refused and pruned (this batch); 0: none */
    int64_t batch_first_ms, batch_last_ms;
    int prune_sensor;
};

void store_options_default(struct store_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->retain_raw_s = 7 * 86400.0;
    opt->retain_rollups_s = 400 * 86400.0;
    opt->commit_ms = 500;
    opt->queue_capacity = 1 << 19;
    opt->retry_ms = 2000;
}

static void store_set_state(struct store *st, bool recording, const char *reason)
{
    pthread_mutex_lock(&st->status_lock);
    st->recording = recording;
    snprintf(st->reason, sizeof st->reason, "%s", recording ? "" : reason);
    pthread_mutex_unlock(&st->status_lock);
}

static void store_db_close(struct store *st)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        sqlite3_finalize(st->stmt[i]);
        st->stmt[i] = NULL;
    }
    sqlite3_close(st->db);
    st->db = NULL;
}

static void store_apply_max_size(struct store *st)
{
    int64_t max = atomic_load(&st->max_db_bytes);
    int64_t pages = max > 0 ? max / 4096 : 0xfffffffe;
    char sql[80];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)(pages ? pages : 1));
    sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

/* Mappings, accumulators and new machine/sensor rows live and die with the transaction. */
static void store_forget_mappings(struct store *st)
{
    if (st->map_cap) {
        memset(st->machine_map, 0, sizeof *st->machine_map * (size_t)st->map_cap);
        memset(st->sensor_map, 0,
               sizeof *st->sensor_map * (size_t)st->map_cap * CATALOG_SENSORS_MAX);
    }
    for (size_t i = 0; i < st->dirty_count; i++) {
        struct rollup_acc *a = &st->acc[st->dirty[i]];
        a->dirty = false;
        a->count = 0;
    }
    st->dirty_count = 0;
}

/* The run's row, inserted the first time the file opens (a reopen after a failure goes on). */
static int store_run_begin(struct store *st)
{
    if (atomic_load(&st->run_id))
        return SQLITE_OK;
    sqlite3_stmt *q;
    if (st->opt.run.resume > 0 && sqlite3_prepare_v2(st->db, "SELECT id FROM runs WHERE id = ?1",
                                                     -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, st->opt.run.resume);
        if (sqlite3_step(q) == SQLITE_ROW)
            atomic_store(&st->run_id, st->opt.run.resume);
        sqlite3_finalize(q);
        if (atomic_load(&st->run_id))
            return SQLITE_OK;
    }
    int rc =
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO runs(source, scenario, seed, speed, catalog,"
                           " started_wall_ms, ended_wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                           -1, &q, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(q, 1, st->run_source, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, st->run_scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, (sqlite3_int64)st->opt.run.seed);
    sqlite3_bind_double(q, 4, st->opt.run.speed);
    sqlite3_bind_text(q, 5, st->run_catalog, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, clock_wall_ms());
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rc;
    atomic_store(&st->run_id, (int64_t)sqlite3_last_insert_rowid(st->db));
    return SQLITE_OK;
}

/* INSERT INTO raw_samples(key, value) VALUES (?,?),(?,?),... with STORE_INSERT_ROWS rows. */
static void store_insert_many_sql(char *sql, size_t len)
{
    size_t off = (size_t)snprintf(sql, len, "INSERT INTO raw_samples(key, value) VALUES ");
    for (int r = 0; r < STORE_INSERT_ROWS && off + 8 < len; r++)
        off += (size_t)snprintf(sql + off, len - off, "%s(?,?)", r ? "," : "");
}

/* Opens the connection. Returns 0; a negative SQLite code with the reason in why otherwise;
 * fatal is set when retrying cannot help (not our file, newer schema). */
static int store_db_open(struct store *st, char *why, size_t whylen, bool *fatal)
{
    *fatal = false;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(st->path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(why, whylen, "%s", st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        store_db_close(st);
        return -rc;
    }
    sqlite3_extended_result_codes(st->db, 0);
    sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
    if (sqlite3_db_readonly(st->db, "main") == 1) { /* SQLite fell back to read-only */
        snprintf(why, whylen, "the file is read-only");
        store_db_close(st);
        return -SQLITE_READONLY;
    }
    rc = sqlite3_exec(st->db,
                      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                      " PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -16384",
                      NULL, NULL, NULL);
    if (rc == SQLITE_NOTADB) {
        snprintf(why, whylen, "not a database file");
        *fatal = true;
        store_db_close(st);
        return -rc;
    }
    store_apply_max_size(st);
    rc = store_schema_apply(st->db, STORE_SCHEMA_VERSION, why, whylen);
    if (rc != 0) {
        *fatal = rc == -SQLITE_MISMATCH || rc == -SQLITE_NOTADB;
        store_db_close(st);
        return rc;
    }
    char many[STORE_INSERT_ROWS * 8 + 64];
    store_insert_many_sql(many, sizeof many);
    for (int i = 0; i < STMT_COUNT; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i] ? stmt_sql[i] : many, -1,
                                SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
        if (rc != SQLITE_OK) {
            snprintf(why, whylen, "%s", sqlite3_errmsg(st->db));
            store_db_close(st);
            return -rc;
        }
    }
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        snprintf(why, whylen, "the file is read-only");
        store_db_close(st);
        return -SQLITE_READONLY;
    }
    store_forget_mappings(st);
    rc = store_run_begin(st);
    if (rc != SQLITE_OK) {
        snprintf(why, whylen, "%s", sqlite3_errmsg(st->db)); /* as a commit would say it */
        store_db_close(st);
        return -rc;
    }
    return 0;
}

/* Machine and sensor rows for a catalog entry, created on first sight. Returns the sensor id,
 * -1 for one that can never be recorded, or -2 on a database error. */
static int store_map_sensor(struct store *st, int machine, int sensor)
{
    if (machine < 0 || machine >= catalog_machine_count(st->cat))
        return -1;
    if (machine >= st->map_cap) {
        int cap = st->map_cap ? st->map_cap : 64;
        while (cap <= machine)
            cap *= 2;
        int32_t *mm = realloc(st->machine_map, sizeof *mm * (size_t)cap);
        if (!mm)
            return -1;
        st->machine_map = mm;
        int32_t *sm = realloc(st->sensor_map, sizeof *sm * (size_t)cap * CATALOG_SENSORS_MAX);
        if (!sm)
            return -1;
        st->sensor_map = sm;
        memset(mm + st->map_cap, 0, sizeof *mm * (size_t)(cap - st->map_cap));
        memset(sm + (size_t)st->map_cap * CATALOG_SENSORS_MAX, 0,
               sizeof *sm * (size_t)(cap - st->map_cap) * CATALOG_SENSORS_MAX);
        st->map_cap = cap;
    }
    int32_t *slot = &st->sensor_map[(size_t)machine * CATALOG_SENSORS_MAX + (size_t)sensor];
    if (*slot)
        return *slot;
    const struct catalog_machine *m = catalog_machine_at(st->cat, machine);
    if (sensor >= catalog_sensor_count(m->type))
        return -1;
    const struct catalog_sensor *cs = &m->type->sensors[sensor];
    sqlite3_stmt *q;
    if (!st->machine_map[machine]) {
        q = st->stmt[STMT_FIND_MACHINE];
        sqlite3_bind_text(q, 1, m->id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(q);
        int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
        sqlite3_reset(q);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return -2;
        if (!id) {
            q = st->stmt[STMT_INSERT_MACHINE];
            sqlite3_bind_text(q, 1, m->id, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, m->type->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, m->area, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 4, m->line, -1, SQLITE_STATIC);
            rc = sqlite3_step(q);
            sqlite3_reset(q);
            if (rc != SQLITE_DONE)
                return -2;
            id = sqlite3_last_insert_rowid(st->db);
        } else if (m->area[0] || m->line[0]) {
            /* known from an earlier run: where it stands now (a feed may have moved it) */
            q = st->stmt[STMT_PLACE_MACHINE];
            sqlite3_bind_int64(q, 1, id);
            sqlite3_bind_text(q, 2, m->area, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, m->line, -1, SQLITE_STATIC);
            rc = sqlite3_step(q);
            sqlite3_reset(q);
            if (rc != SQLITE_DONE)
                return -2;
        }
        st->machine_map[machine] = (int32_t)id;
    }
    q = st->stmt[STMT_FIND_SENSOR];
    sqlite3_bind_int64(q, 1, st->machine_map[machine]);
    sqlite3_bind_text(q, 2, cs->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, atomic_load(&st->run_id));
    int rc = sqlite3_step(q);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -2;
    if (!id) {
        q = st->stmt[STMT_INSERT_SENSOR];
        sqlite3_bind_int64(q, 1, st->machine_map[machine]);
        sqlite3_bind_text(q, 2, cs->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, cs->unit, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 4, cs->is_text);
        sqlite3_bind_int64(q, 5, atomic_load(&st->run_id));
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc == SQLITE_CONSTRAINT) { /* the id CHECK: the key has room for 16383 sensors */
            *slot = -1;
            return -1;
        }
        if (rc != SQLITE_DONE)
            return -2;
        id = sqlite3_last_insert_rowid(st->db);
    }
    *slot = (int32_t)id;
    if (id > st->max_sensor_id)
        st->max_sensor_id = (int)id;
    return (int)id;
}

static int rollup_flush_one(struct store *st, int index)
{
    struct rollup_acc *a = &st->acc[index];
    sqlite3_stmt *q = st->stmt[STMT_UPSERT_ROLLUP];
    sqlite3_bind_int(q, 1, index % STORE_WINDOWS);
    sqlite3_bind_int(q, 2, index / STORE_WINDOWS);
    sqlite3_bind_int64(q, 3, a->bucket);
    sqlite3_bind_int64(q, 4, a->count);
    sqlite3_bind_double(q, 5, a->min);
    sqlite3_bind_double(q, 6, a->max);
    sqlite3_bind_double(q, 7, a->sum);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    a->count = 0;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int rollup_add(struct store *st, int sensor_id, int64_t ts_ms, double value)
{
    for (int w = 0; w < STORE_WINDOWS; w++) {
        int index = sensor_id * STORE_WINDOWS + w;
        struct rollup_acc *a = &st->acc[index];
        int64_t bucket = ts_ms - ts_ms % store_window_ms[w];
        if (a->count && a->bucket != bucket) {
            int rc = rollup_flush_one(st, index);
            if (rc != SQLITE_OK)
                return rc;
        }
        if (!a->count) {
            a->bucket = bucket;
            a->min = a->max = value;
            a->sum = 0;
        }
        if (value < a->min)
            a->min = value;
        if (value > a->max)
            a->max = value;
        a->sum += value;
        a->count++;
        if (!a->dirty) {
            a->dirty = true;
            st->dirty[st->dirty_count++] = index;
        }
    }
    return SQLITE_OK;
}

static int rollup_flush_all(struct store *st)
{
    for (size_t i = 0; i < st->dirty_count; i++) {
        int index = st->dirty[i];
        st->acc[index].dirty = false;
        if (st->acc[index].count) {
            int rc = rollup_flush_one(st, index);
            if (rc != SQLITE_OK)
                return rc;
        }
    }
    st->dirty_count = 0;
    return SQLITE_OK;
}

/* Sorts st->keys[0..n) by key: a stable LSD radix sort over the batch's key span (a batch is
 * one sorted run per machine, interleaved; qsort cost ~1,500 instructions per sample there). */
static void store_sort_keys(struct store *st, size_t n)
{
    uint64_t lo = st->keys[0].key, hi = lo;
    for (size_t i = 1; i < n; i++) {
        lo = st->keys[i].key < lo ? st->keys[i].key : lo;
        hi = st->keys[i].key > hi ? st->keys[i].key : hi;
    }
    const uint64_t mask = (1u << STORE_RADIX_BITS) - 1;
    for (int shift = 0; shift < 64 && ((hi - lo) >> shift); shift += STORE_RADIX_BITS) {
        size_t pos[1u << STORE_RADIX_BITS] = {0};
        for (size_t i = 0; i < n; i++)
            pos[((st->keys[i].key - lo) >> shift) & mask]++;
        for (size_t d = 0, sum = 0; d <= mask; d++) {
            size_t c = pos[d];
            pos[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            st->keys_tmp[pos[((st->keys[i].key - lo) >> shift) & mask]++] = st->keys[i];
        struct batch_key *t = st->keys;
        st->keys = st->keys_tmp;
        st->keys_tmp = t;
    }
}

/* Maps the batch to keys, sorted so that rows go in append order (full pages). */
static int batch_keys(struct store *st, size_t *count, size_t *invalid)
{
    size_t n = 0;
    *invalid = 0;
    bool sorted = true;
    for (size_t i = 0; i < st->batch_count; i++) {
        const struct sample *s = &st->batch[i];
        int32_t id;
        size_t slot = (size_t)s->machine * CATALOG_SENSORS_MAX + s->sensor;
        if (s->machine < (uint32_t)st->map_cap && s->sensor < CATALOG_SENSORS_MAX &&
            st->sensor_map[slot] > 0)
            id = st->sensor_map[slot];
        else if (s->sensor >= CATALOG_SENSORS_MAX || s->ts_ms < 0)
            id = -1;
        else
            id = store_map_sensor(st, (int)s->machine, s->sensor);
        if (id == -2)
            return sqlite3_errcode(st->db);
        if (id < 0) {
            (*invalid)++;
            continue;
        }
        if (s->ts_ms < st->cutoff_ms) {
            atomic_fetch_add(&st->too_old, 1);
            continue;
        }
        st->keys[n].key = (uint64_t)s->ts_ms << STORE_SENSOR_BITS | (uint64_t)id;
        st->keys[n].index = (uint32_t)i;
        if (n && st->keys[n].key < st->keys[n - 1].key)
            sorted = false;
        if (s->ts_ms > st->newest_ts_ms)
            st->newest_ts_ms = s->ts_ms;
        n++;
    }
    if (!sorted)
        store_sort_keys(st, n);
    *count = n;
    if (n) {
        st->batch_first_ms = (int64_t)(st->keys[0].key >> STORE_SENSOR_BITS);
        st->batch_last_ms = (int64_t)(st->keys[n - 1].key >> STORE_SENSOR_BITS);
    }
    return SQLITE_OK;
}

static void store_bind_value(sqlite3_stmt *q, int col, const struct sample *s)
{
    if (s->kind == SAMPLE_TEXT)
        sqlite3_bind_text(q, col, s->u.text, (int)strnlen(s->u.text, SAMPLE_TEXT_MAX),
                          SQLITE_STATIC);
    else
        sqlite3_bind_double(q, col, s->u.value);
}

/* Rows keys[i .. i + rows) in one statement (rows is 1 or STORE_INSERT_ROWS). SQLITE_CONSTRAINT
 * when one of them is stored already: the statement is undone as a whole. */
static int store_insert_rows(struct store *st, size_t i, int rows)
{
    sqlite3_stmt *q = st->stmt[rows == 1 ? STMT_INSERT_RAW : STMT_INSERT_RAW_MANY];
    for (int r = 0; r < rows; r++) {
        const struct batch_key *k = &st->keys[i + (size_t)r];
        sqlite3_bind_int64(q, 2 * r + 1, (sqlite3_int64)k->key);
        store_bind_value(q, 2 * r + 2, &st->batch[k->index]);
    }
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The rollups of a row that went in. */
static int store_row_added(struct store *st, size_t i, uint64_t *inserted)
{
    const struct sample *s = &st->batch[st->keys[i].index];
    (*inserted)++;
    if (s->kind == SAMPLE_TEXT || s->u.value != s->u.value)
        return SQLITE_OK;
    return rollup_add(st, (int)(st->keys[i].key & STORE_SENSOR_MAX), s->ts_ms, s->u.value);
}

/* One row alone: a duplicate is counted and left out. */
static int store_insert_one(struct store *st, size_t i, uint64_t *inserted)
{
    int rc = store_insert_rows(st, i, 1);
    if (rc == SQLITE_CONSTRAINT) { /* the same sensor and millisecond again: kept once */
        atomic_fetch_add(&st->duplicates, 1);
        return SQLITE_OK;
    }
    return rc == SQLITE_OK ? store_row_added(st, i, inserted) : rc;
}

static int store_insert_samples(struct store *st, size_t n, uint64_t *inserted)
{
    size_t i = 0;
    while (i < n) {
        size_t rows = n - i >= STORE_INSERT_ROWS ? STORE_INSERT_ROWS : 1;
        int rc = rows > 1 ? store_insert_rows(st, i, (int)rows) : SQLITE_CONSTRAINT;
        for (size_t r = 0; r < rows && rc == SQLITE_OK; r++)
            rc = store_row_added(st, i + r, inserted);
        if (rc == SQLITE_CONSTRAINT) /* a duplicate among them: row by row */
            for (size_t r = 0; r < rows && (rc == SQLITE_CONSTRAINT || rc == SQLITE_OK); r++)
                rc = store_insert_one(st, i + r, inserted);
        if (rc != SQLITE_OK)
            return rc;
        i += rows;
    }
    return SQLITE_OK;
}

static void bind_real_or_null(sqlite3_stmt *q, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

static void bind_time_or_null(sqlite3_stmt *q, int i, int64_t ms)
{
    if (ms)
        sqlite3_bind_int64(q, i, ms);
    else
        sqlite3_bind_null(q, i);
}

static sqlite3_stmt *store_bind_status(struct store *st, const struct event *e)
{
    sqlite3_stmt *q = st->stmt[STMT_INSERT_STATUS];
    sqlite3_bind_int64(q, 1, atomic_load(&st->run_id));
    sqlite3_bind_int64(q, 2, e->ts_ms);
    sqlite3_bind_text(q, 3, e->machine_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, maint_status_name(e->state), -1, SQLITE_STATIC);
    bind_real_or_null(q, 5, e->value);
    bind_real_or_null(q, 6, e->maint.rul_hours);
    bind_real_or_null(q, 7, e->score);
    return q;
}

static sqlite3_stmt *store_bind_maint(struct store *st, const struct event *e)
{
    sqlite3_stmt *q = st->stmt[STMT_INSERT_MAINT];
    const struct event_maint *m = &e->maint;
    bool done = strcmp(e->detector, "done") == 0;
    sqlite3_bind_int64(q, 1, atomic_load(&st->run_id));
    sqlite3_bind_int64(q, 2, e->ts_ms);
    sqlite3_bind_text(q, 3, e->machine_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, m->fault, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, m->component, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, m->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, e->detector, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, maint_urgency_name(e->priority), -1, SQLITE_STATIC);
    bind_time_or_null(q, 9, m->first_ms);
    bind_time_or_null(q, 10, m->due_ms);
    bind_time_or_null(q, 11, m->due_lo_ms);
    bind_time_or_null(q, 12, m->due_hi_ms);
    bind_real_or_null(q, 13, m->rul_hours);
    sqlite3_bind_text(q, 14, e->sensor_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 15, e->reason, -1, SQLITE_STATIC);
    if (done) {
        sqlite3_bind_text(q, 16, m->who, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 17, m->host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 18, (int64_t)e->value);
    } else {
        for (int i = 16; i <= 18; i++)
            sqlite3_bind_null(q, i);
    }
    return q;
}

static int store_insert_event(struct store *st, const struct event *e)
{
    sqlite3_stmt *q;
    if (e->kind == EVENT_STATUS) {
        q = store_bind_status(st, e);
    } else if (e->kind == EVENT_MAINT) {
        q = store_bind_maint(st, e);
    } else if (e->kind == EVENT_ALARM) {
        q = st->stmt[STMT_INSERT_ALARM_EVENT];
        sqlite3_bind_int64(q, 1, e->ts_ms);
        sqlite3_bind_text(q, 2, e->machine_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, e->sensor_name, -1, SQLITE_STATIC); /* the condition */
        sqlite3_bind_text(q, 4, e->detector, -1, SQLITE_STATIC);    /* the change */
        sqlite3_bind_text(q, 5, alarm_state_name(e->state), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, alarm_priority_name(e->priority), -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 7, e->value);
        sqlite3_bind_text(q, 8, e->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 9, atomic_load(&st->run_id));
    } else {
        q = st->stmt[STMT_INSERT_ANOMALY];
        sqlite3_bind_int64(q, 1, e->ts_ms);
        sqlite3_bind_text(q, 2, e->machine_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, e->sensor_name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, e->detector, -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 5, e->value);
        sqlite3_bind_double(q, 6, e->score);
        sqlite3_bind_text(q, 7, e->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 8, atomic_load(&st->run_id));
    }
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int store_insert_events(struct store *st)
{
    for (size_t i = 0; i < st->ev_batch_count; i++) {
        int rc = store_insert_event(st, &st->ev_batch[i]);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* The retention's "now" for this batch: the wall clock for a live run; for a simulated one its
 * newest plant time so far, never ahead of the wall clock (a sped-up run must not prune the
 * present). One value per batch, so the refusal and the pruning agree. */
static int64_t store_retention_now(const struct store *st)
{
    int64_t wall = clock_wall_ms();
    if (st->opt.run.live)
        return wall;
    return st->newest_ts_ms > 0 && st->newest_ts_ms < wall ? st->newest_ts_ms : wall;
}

static void store_set_cutoff(struct store *st)
{
    st->cutoff_ms = 0;
    if (st->opt.retain_raw_s > 0 && (st->opt.run.live || st->newest_ts_ms > 0))
        st->cutoff_ms = store_retention_now(st) - (int64_t)(st->opt.retain_raw_s * 1000.0);
    if (st->cutoff_ms < 0)
        st->cutoff_ms = 0;
}

static int store_update_run(struct store *st, uint64_t inserted)
{
    sqlite3_stmt *q = st->stmt[STMT_UPDATE_RUN];
    sqlite3_bind_int64(q, 1, atomic_load(&st->run_id));
    sqlite3_bind_int64(q, 2, clock_wall_ms());
    if (inserted) {
        sqlite3_bind_int64(q, 3, st->batch_first_ms);
        sqlite3_bind_int64(q, 4, st->batch_last_ms);
    } else {
        sqlite3_bind_null(q, 3);
        sqlite3_bind_null(q, 4);
    }
    sqlite3_bind_int64(q, 5, (sqlite3_int64)inserted);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Raw samples below this batch's cutoff; rollups and events by the same "now". */
static int store_prune(struct store *st, size_t batch)
{
    if (st->newest_ts_ms <= 0 && !st->opt.run.live)
        return SQLITE_OK;
    int64_t now = store_retention_now(st);
    if (st->opt.retain_raw_s > 0) {
        int64_t cutoff = st->cutoff_ms;
        if (cutoff > 0) {
            sqlite3_stmt *q = st->stmt[STMT_PRUNE_RAW];
            sqlite3_bind_int64(q, 1, (sqlite3_int64)((uint64_t)cutoff << STORE_SENSOR_BITS));
            /* The OFFSET row is the last one deleted: chunk - 1 for chunk rows. */
            sqlite3_bind_int64(q, 2, (sqlite3_int64)(2 * batch + STORE_PRUNE_MIN - 1));
            int rc = sqlite3_step(q);
            sqlite3_reset(q);
            if (rc != SQLITE_DONE)
                return rc;
            atomic_fetch_add(&st->pruned, (uint64_t)sqlite3_changes(st->db));
        }
    }
    if (st->opt.retain_rollups_s > 0 && st->max_sensor_id > 0) {
        int64_t cutoff = now - (int64_t)(st->opt.retain_rollups_s * 1000.0);
        for (int i = 0; i < STORE_PRUNE_ROLLUP_SENSORS; i++) {
            st->prune_sensor = st->prune_sensor % st->max_sensor_id + 1;
            for (int w = 0; w < STORE_WINDOWS; w++) {
                sqlite3_stmt *q = st->stmt[STMT_PRUNE_ROLLUP];
                sqlite3_bind_int(q, 1, w);
                sqlite3_bind_int(q, 2, st->prune_sensor);
                sqlite3_bind_int64(q, 3, cutoff);
                int rc = sqlite3_step(q);
                sqlite3_reset(q);
                if (rc != SQLITE_DONE)
                    return rc;
            }
        }
        for (int k = STMT_PRUNE_ANOMALY; k <= STMT_PRUNE_STATUS; k++) {
            sqlite3_stmt *q = st->stmt[k];
            sqlite3_bind_int64(q, 1, cutoff);
            int rc = sqlite3_step(q);
            sqlite3_reset(q);
            if (rc != SQLITE_DONE)
                return rc;
        }
    }
    return SQLITE_OK;
}

/* why: SQLite's message, taken before the rollback replaces it. */
static void store_fail(struct store *st, int rc, const char *why)
{
    store_set_state(st, false, rc == SQLITE_FULL ? "database or disk is full" : why);
    store_db_close(st);
    st->next_retry_ms = clock_monotonic_ms() + st->opt.retry_ms;
}

/* Writes the pending batch in one transaction. On failure the batch is counted as dropped and
 * the store goes to the stopped state. */
static void store_write_batch(struct store *st)
{
    size_t total = st->batch_count;
    if (!st->db && clock_monotonic_ms() >= st->next_retry_ms) {
        char why[160];
        bool fatal;
        if (store_db_open(st, why, sizeof why, &fatal) == 0)
            store_set_state(st, true, "");
        else {
            store_set_state(st, false, why);
            st->next_retry_ms = clock_monotonic_ms() + st->opt.retry_ms;
        }
    }
    if (!st->db) {
        atomic_fetch_add(&st->dropped, total);
        atomic_fetch_add(&st->events_dropped, st->ev_batch_count);
        if (total)
            st->commit_failed = true;
        goto done;
    }
    if (atomic_exchange(&st->max_changed, false))
        store_apply_max_size(st);
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    size_t n = 0, invalid = 0;
    uint64_t inserted = 0;
    store_set_cutoff(st);
    if (rc == SQLITE_OK)
        rc = batch_keys(st, &n, &invalid);
    if (rc == SQLITE_OK)
        rc = store_insert_samples(st, n, &inserted);
    if (rc == SQLITE_OK)
        rc = store_update_run(st, inserted);
    if (rc == SQLITE_OK)
        rc = rollup_flush_all(st);
    if (rc == SQLITE_OK)
        rc = store_insert_events(st);
    if (rc == SQLITE_OK)
        rc = store_prune(st, n);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        char why[160];
        snprintf(why, sizeof why, "%s", sqlite3_errmsg(st->db));
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        store_forget_mappings(st);
        atomic_fetch_add(&st->dropped, total);
        atomic_fetch_add(&st->events_dropped, st->ev_batch_count);
        st->commit_failed = true;
        store_fail(st, rc, why);
        goto done;
    }
    atomic_fetch_add(&st->written, inserted);
    atomic_fetch_add(&st->dropped, invalid);
    if (!st->commit_failed)
        atomic_store(&st->committed, atomic_load(&st->processed) + total);
    atomic_fetch_add(&st->events_written, st->ev_batch_count);
    atomic_store(&st->last_commit_ms, clock_wall_ms());
    bool was_recording;
    pthread_mutex_lock(&st->status_lock);
    was_recording = st->recording;
    pthread_mutex_unlock(&st->status_lock);
    if (!was_recording)
        store_set_state(st, true, "");
done:
    atomic_fetch_add(&st->processed, total);
    st->batch_count = 0;
    st->ev_batch_count = 0;
}

static void store_take_events(struct store *st)
{
    pthread_mutex_lock(&st->ev_lock);
    while (st->ev_count && st->ev_batch_count < STORE_EVENTS_MAX) {
        st->ev_batch[st->ev_batch_count++] = st->ev_ring[st->ev_head];
        st->ev_head = (st->ev_head + 1) % STORE_EVENTS_MAX;
        st->ev_count--;
    }
    pthread_mutex_unlock(&st->ev_lock);
}

static void *store_writer(void *arg)
{
    struct store *st = arg;
    for (;;) {
        bool stopping = atomic_load(&st->stop);
        int wait = 50;
        if (st->batch_count || st->ev_batch_count) {
            int64_t left = st->batch_start_ms + st->opt.commit_ms - clock_monotonic_ms();
            wait = left < 0 ? 0 : left < wait ? (int)left : wait;
        }
        size_t room = STORE_BATCH_MAX - st->batch_count;
        size_t n = queue_pop(st->q, st->batch + st->batch_count,
                             room < STORE_CHUNK ? room : STORE_CHUNK, stopping ? 0 : wait);
        if (n && !st->batch_count && !st->ev_batch_count)
            st->batch_start_ms = clock_monotonic_ms();
        st->batch_count += n;
        size_t before = st->ev_batch_count;
        store_take_events(st);
        if (!before && st->ev_batch_count && !st->batch_count)
            st->batch_start_ms = clock_monotonic_ms();
        bool pending = st->batch_count || st->ev_batch_count;
        bool due = pending && (clock_monotonic_ms() - st->batch_start_ms >= st->opt.commit_ms ||
                               st->batch_count == STORE_BATCH_MAX ||
                               (n == 0 && (stopping || atomic_load(&st->flush_requested))));
        if (due)
            store_write_batch(st);
        if (stopping && n == 0 && !pending)
            break;
    }
    return NULL;
}

static void store_on_samples(void *ctx, const struct sample *samples, size_t n)
{
    struct store *st = ctx;
    if (st->opt.block_when_full)
        queue_push_wait(st->q, samples, n);
    else
        queue_push(st->q, samples, n);
}

static void store_on_event(void *ctx, const struct event *ev)
{
    struct store *st = ctx;
    /* Anomalies, and alarm changes except value-only updates (they would flood the log). */
    if (ev->kind != EVENT_ANOMALY && ev->kind != EVENT_MAINT && ev->kind != EVENT_STATUS &&
        !(ev->kind == EVENT_ALARM && strcmp(ev->detector, "update") != 0))
        return;
    pthread_mutex_lock(&st->ev_lock);
    if (st->ev_count < STORE_EVENTS_MAX) {
        st->ev_ring[(st->ev_head + st->ev_count) % STORE_EVENTS_MAX] = *ev;
        st->ev_count++;
    } else {
        atomic_fetch_add(&st->events_dropped, 1);
    }
    pthread_mutex_unlock(&st->ev_lock);
}

struct engine_sink store_sink(struct store *st)
{
    struct engine_sink sink = {
        .ctx = st, .on_samples = store_on_samples, .on_event = store_on_event};
    return sink;
}

/* mkdir -p of the file's folder, so the default path works on a fresh account. */
static void store_make_parent(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir || strncmp(path, "file:", 5) == 0)
        return;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(dir, 0700);
        *p = '/';
    }
    mkdir(dir, 0700);
}

static void store_free(struct store *st)
{
    store_db_close(st);
    queue_destroy(st->q);
    pthread_mutex_destroy(&st->ev_lock);
    pthread_mutex_destroy(&st->status_lock);
    free(st->ev_ring);
    free(st->ev_batch);
    free(st->machine_map);
    free(st->sensor_map);
    free(st->acc);
    free(st->dirty);
    free(st->batch);
    free(st->keys);
    free(st->keys_tmp);
    free(st);
}

struct store *store_open(const char *path, const struct store_options *opt,
                         const struct catalog *cat, char *err, size_t errlen)
{
    struct store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&st->ev_lock, NULL);
    pthread_mutex_init(&st->status_lock, NULL);
    snprintf(st->path, sizeof st->path, "%s", path);
    if (opt)
        st->opt = *opt;
    else
        store_options_default(&st->opt);
    if (st->opt.commit_ms <= 0)
        st->opt.commit_ms = 500;
    if (!st->opt.queue_capacity)
        st->opt.queue_capacity = 1 << 19;
    if (st->opt.retry_ms <= 0)
        st->opt.retry_ms = 2000;
    st->max_db_bytes = st->opt.max_db_bytes;
    st->cat = cat;
    const struct store_run_info *run = &st->opt.run;
    snprintf(st->run_source, sizeof st->run_source, "%s", run->source ? run->source : "demo");
    snprintf(st->run_scenario, sizeof st->run_scenario, "%s", run->scenario ? run->scenario : "");
    snprintf(st->run_catalog, sizeof st->run_catalog, "%s", run->catalog ? run->catalog : "");
    st->opt.run.source = st->opt.run.scenario = st->opt.run.catalog = NULL;
    st->q = queue_create(st->opt.queue_capacity);
    st->ev_ring = calloc(STORE_EVENTS_MAX, sizeof *st->ev_ring);
    st->ev_batch = calloc(STORE_EVENTS_MAX, sizeof *st->ev_batch);
    st->acc = calloc((size_t)(STORE_SENSOR_MAX + 1) * STORE_WINDOWS, sizeof *st->acc);
    st->dirty = calloc((size_t)(STORE_SENSOR_MAX + 1) * STORE_WINDOWS, sizeof *st->dirty);
    st->batch = malloc(sizeof *st->batch * STORE_BATCH_MAX);
    st->keys = malloc(sizeof *st->keys * STORE_BATCH_MAX);
    st->keys_tmp = malloc(sizeof *st->keys_tmp * STORE_BATCH_MAX);
    if (!st->q || !st->ev_ring || !st->ev_batch || !st->acc || !st->dirty || !st->batch ||
        !st->keys || !st->keys_tmp) {
        snprintf(err, errlen, "out of memory");
        store_free(st);
        return NULL;
    }
    store_make_parent(path);
    char why[160];
    bool fatal;
    int rc = store_db_open(st, why, sizeof why, &fatal);
    if (rc != 0) {
        if (fatal || (st->opt.must_open && rc != -SQLITE_FULL)) {
            snprintf(err, errlen, "%s: %s", path, why);
            store_free(st);
            return NULL;
        }
        store_set_state(st, false, why);
        st->next_retry_ms = clock_monotonic_ms() + st->opt.retry_ms;
    } else {
        store_set_state(st, true, "");
    }
    if (pthread_create(&st->thread, NULL, store_writer, st) != 0) {
        snprintf(err, errlen, "cannot start the writer thread: %s", strerror(errno));
        store_free(st);
        return NULL;
    }
    st->thread_started = true;
    pthread_setname_np(st->thread, "twintop-store");
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    if (st->thread_started) {
        queue_close(st->q);
        atomic_store(&st->stop, true);
        pthread_join(st->thread, NULL);
    }
    if (st->db)
        sqlite3_exec(st->db, "PRAGMA optimize", NULL, NULL, NULL);
    store_free(st);
}

void store_status(struct store *st, struct store_status *out)
{
    memset(out, 0, sizeof *out);
    if (!st)
        return;
    out->enabled = true;
    pthread_mutex_lock(&st->status_lock);
    out->recording = st->recording;
    snprintf(out->reason, sizeof out->reason, "%s", st->reason);
    pthread_mutex_unlock(&st->status_lock);
    out->written = atomic_load(&st->written);
    out->dropped = atomic_load(&st->dropped) + queue_drops(st->q);
    out->queued = queue_length(st->q);
    out->events_written = atomic_load(&st->events_written);
    out->events_dropped = atomic_load(&st->events_dropped);
    out->duplicates = atomic_load(&st->duplicates);
    out->pruned = atomic_load(&st->pruned);
    out->too_old = atomic_load(&st->too_old);
    out->run_id = atomic_load(&st->run_id);
    out->last_commit_ms = atomic_load(&st->last_commit_ms);
    snprintf(out->path, sizeof out->path, "%s", st->path);
}

void store_status_text(const struct store_status *s, char *buf, size_t len)
{
    if (!s->enabled)
        snprintf(buf, len, "no db");
    else if (!s->recording)
        snprintf(buf, len, "recording stopped: %s", s->reason);
    else if (s->dropped)
        snprintf(buf, len, "rec %llu (%llu dropped)", (unsigned long long)s->written,
                 (unsigned long long)s->dropped);
    else
        snprintf(buf, len, "rec %llu", (unsigned long long)s->written);
}

void store_status_json(void *ctx, char *out, size_t len)
{
    struct store_status s;
    store_status(ctx, &s);
    /* reasons come from SQLite messages: keep them JSON-safe */
    char reason[sizeof s.reason];
    size_t k = 0;
    const char *src = s.enabled ? s.reason : "no db";
    for (; *src && k + 1 < sizeof reason; src++)
        reason[k++] = *src == '"' || *src == '\\' || (unsigned char)*src < 0x20 ? '\'' : *src;
    reason[k] = '\0';
    snprintf(out, len,
             ",\"db\":{\"recording\":%s,\"reason\":\"%s\",\"run\":%lld,\"written\":%llu,"
             "\"dropped\":%llu,\"queued\":%llu,\"too_old\":%llu}",
             s.recording ? "true" : "false", reason, (long long)s.run_id,
             (unsigned long long)s.written, (unsigned long long)s.dropped,
             (unsigned long long)s.queued, (unsigned long long)s.too_old);
}

int store_flush(struct store *st, int timeout_ms)
{
    if (!st)
        return 0;
    uint64_t target = queue_pushed(st->q);
    int64_t deadline = clock_monotonic_ms() + timeout_ms;
    atomic_store(&st->flush_requested, true);
    int rc = 0;
    while (atomic_load(&st->processed) < target) {
        if (clock_monotonic_ms() >= deadline) {
            rc = -1;
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&st->flush_requested, false);
    return rc;
}

uint64_t store_committed(struct store *st)
{
    return st ? atomic_load(&st->committed) : 0;
}

void store_set_max_db_bytes(struct store *st, int64_t max_bytes)
{
    atomic_store(&st->max_db_bytes, max_bytes);
    atomic_store(&st->max_changed, true);
}
