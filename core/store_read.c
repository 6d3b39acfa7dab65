// SPDX-License-Identifier: MIT
/* Reading recorded history: opening a file read-only, checking a query's names, time-ordered
 * iteration for replay, rollup series for charts, --since / --until times. */
#include "store_read.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "json_escape.h"
#include "store.h"
#include "store_read_private.h"

void store_read_query_default(struct store_query *q)
{
    memset(q, 0, sizeof *q);
    q->since_ms = INT64_MIN;
    q->until_ms = INT64_MAX;
    q->rollup = -1;
}

/* CSV field, quoted when it holds a separator, a quote or a line break. */
size_t store_read_csv_field(char *dst, const char *s)
{
    size_t n = 0;
    if (!strpbrk(s, ",\"\r\n")) {
        size_t l = strlen(s);
        if (dst)
            memcpy(dst, s, l);
        return l;
    }
    if (dst)
        dst[n] = '"';
    n++;
    for (; *s; s++) {
        if (*s == '"') {
            if (dst)
                dst[n] = '"';
            n++;
        }
        if (dst)
            dst[n] = *s;
        n++;
    }
    if (dst)
        dst[n] = '"';
    return n + 1;
}

static char *make_csv_prefix(const char *machine, const char *sensor)
{
    size_t n = 3 + store_read_csv_field(NULL, machine) + store_read_csv_field(NULL, sensor);
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    size_t k = 0;
    p[k++] = ',';
    k += store_read_csv_field(p + k, machine);
    p[k++] = ',';
    k += store_read_csv_field(p + k, sensor);
    p[k++] = ',';
    p[k] = '\0';
    return p;
}

static char *make_json_prefix(const char *machine, const char *sensor)
{
    static const char a[] = "\",\"machine_id\":\"", b[] = "\",\"sensor\":\"", c[] = "\",";
    size_t n = sizeof a + sizeof b + sizeof c + json_escape(NULL, 0, machine) +
               json_escape(NULL, 0, sensor);
    char *p = malloc(n);
    if (!p)
        return NULL;
    size_t k = 0;
    memcpy(p + k, a, sizeof a - 1);
    k += sizeof a - 1;
    k += json_escape(p + k, n - k, machine);
    memcpy(p + k, b, sizeof b - 1);
    k += sizeof b - 1;
    k += json_escape(p + k, n - k, sensor);
    memcpy(p + k, c, sizeof c - 1);
    k += sizeof c - 1;
    p[k] = '\0';
    return p;
}

static void reader_free_names(struct store_reader *r)
{
    for (int i = 0; i < r->machine_count; i++) {
        free(r->machines[i].id);
        free(r->machines[i].type);
        free(r->machines[i].area);
        free(r->machines[i].line);
    }
    for (int i = 0; i < r->sensor_cap; i++) {
        free(r->sensors[i].name);
        free(r->sensors[i].csv);
        free(r->sensors[i].json);
    }
    free(r->machines);
    free(r->sensors);
    r->machines = NULL;
    r->sensors = NULL;
    r->machine_count = r->sensor_cap = 0;
}

static char *dup_text(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return strdup(t ? (const char *)t : "");
}

/* Machine and sensor names, read inside the caller's read transaction. */
int store_read_load_names(struct store_reader *r, char *err, size_t errlen)
{
    reader_free_names(r);
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(r->db,
                                "SELECT (SELECT count(*) FROM machines), (SELECT coalesce(max(id),"
                                " 0) + 1 FROM sensors)",
                                -1, &q, NULL);
    if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        sqlite3_finalize(q);
        return -1;
    }
    int machines = sqlite3_column_int(q, 0), sensors = sqlite3_column_int(q, 1);
    sqlite3_finalize(q);
    r->machines = calloc((size_t)machines + 1, sizeof *r->machines);
    r->sensors = calloc((size_t)sensors, sizeof *r->sensors);
    if (!r->machines || !r->sensors) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->sensor_cap = sensors;
    for (int i = 0; i < sensors; i++)
        r->sensors[i].machine = -1;
    /* machines.id -> index through a small map */
    int64_t *ids = calloc((size_t)machines + 1, sizeof *ids);
    if (!ids) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sqlite3_prepare_v2(
        r->db,
        r->version >= 7
            ? "SELECT id, machine_id, type, area, line FROM machines ORDER BY machine_id"
            : "SELECT id, machine_id, type, '', '' FROM machines ORDER BY machine_id",
        -1, &q, NULL);
    while (r->machine_count < machines && sqlite3_step(q) == SQLITE_ROW) {
        ids[r->machine_count] = sqlite3_column_int64(q, 0);
        r->machines[r->machine_count].id = dup_text(q, 1);
        r->machines[r->machine_count].type = dup_text(q, 2);
        r->machines[r->machine_count].area = dup_text(q, 3);
        r->machines[r->machine_count].line = dup_text(q, 4);
        r->machine_count++;
    }
    sqlite3_finalize(q);
    sqlite3_prepare_v2(r->db,
                       r->version >= 4 ? "SELECT id, machine, name, is_text, run FROM sensors"
                                       : "SELECT id, machine, name, is_text, 1 FROM sensors",
                       -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        int id = sqlite3_column_int(q, 0);
        int64_t mid = sqlite3_column_int64(q, 1);
        if (id < 0 || id >= sensors)
            continue;
        int m = -1;
        for (int i = 0; i < r->machine_count; i++)
            if (ids[i] == mid)
                m = i;
        if (m < 0)
            continue;
        struct reader_sensor *s = &r->sensors[id];
        s->machine = m;
        s->run = sqlite3_column_int64(q, 4);
        s->name = dup_text(q, 2);
        s->is_text = sqlite3_column_int(q, 3) != 0;
        s->csv = s->name ? make_csv_prefix(r->machines[m].id, s->name) : NULL;
        s->json = s->name ? make_json_prefix(r->machines[m].id, s->name) : NULL;
        if (!s->name || !s->csv || !s->json) {
            s->machine = -1;
            snprintf(err, errlen, "out of memory");
            sqlite3_finalize(q);
            free(ids);
            return -1;
        }
    }
    sqlite3_finalize(q);
    free(ids);
    return 0;
}

/* Opens path read-only and reads its schema version into r. Returns an SQLite code. */
static int reader_open_version(struct store_reader *r, const char *path)
{
    int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    sqlite3_stmt *q = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(r->db, 5000);
        rc = sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &q, NULL);
    }
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        r->version = sqlite3_column_int(q, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc;
}

/* path as a file: URI with immutable=1 (percent-encoding what a URI reserves). */
static void reader_immutable_uri(const char *path, char *out, size_t len)
{
    if (strncmp(path, "file:", 5) == 0) {
        snprintf(out, len, "%s%cimmutable=1", path, strchr(path, '?') ? '&' : '?');
        return;
    }
    size_t k = (size_t)snprintf(out, len, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < len; p++) {
        if (*p == '?' || *p == '#' || *p == '%' || *p < 0x20)
            k += (size_t)snprintf(out + k, len - k, "%%%02X", *p);
        else
            out[k++] = (char)*p;
    }
    snprintf(out + k, len - k, "?immutable=1");
}

struct store_reader *store_read_open(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (strncmp(path, "file:", 5) != 0) {
        if (stat(path, &sb) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
        if (S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "%s: is a directory", path);
            return NULL;
        }
        if (access(path, R_OK) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
    }
    struct store_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    int rc = reader_open_version(r, path);
    char wal[sizeof r->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", path);
    if ((rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY) && stat(wal, &sb) == 0 && sb.st_size > 0) {
        /* immutable would read the file without the commits its WAL still holds */
        snprintf(err, errlen,
                 "%s: cannot be opened read-only with its WAL (%s holds commits not in the file "
                 "yet): copy both to a writable folder",
                 path, wal);
        store_read_close(r);
        return NULL;
    }
    if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY) {
        /* A WAL file on a read-only file system: no -shm can be made. Nothing writes there. */
        char uri[3 * sizeof r->path + 32];
        reader_immutable_uri(path, uri, sizeof uri);
        sqlite3_close(r->db);
        r->db = NULL;
        rc = reader_open_version(r, uri);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == SQLITE_NOTADB ? "not a database file"
                 : r->db             ? sqlite3_errmsg(r->db)
                                     : sqlite3_errstr(rc));
        store_read_close(r);
        return NULL;
    }
    if (r->version < 1 || r->version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 r->version ? "%s: schema version %d is newer than this twintop"
                            : "%s: not a twintop history file (no schema version)",
                 path, r->version);
        store_read_close(r);
        return NULL;
    }
    return r;
}

void store_read_close(struct store_reader *r)
{
    if (!r)
        return;
    reader_free_names(r);
    sqlite3_close(r->db);
    free(r);
}

static int64_t reader_edge_ms(struct store_reader *r, const char *sql)
{
    sqlite3_stmt *q;
    int64_t v = 0;
    if (sqlite3_prepare_v2(r->db, sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(q, 0) >> STORE_SENSOR_BITS;
    sqlite3_finalize(q);
    return v;
}

int64_t store_read_newest_ms(struct store_reader *r)
{
    return reader_edge_ms(r, "SELECT max(key) FROM raw_samples");
}

int64_t store_read_oldest_ms(struct store_reader *r)
{
    return reader_edge_ms(r, "SELECT min(key) FROM raw_samples");
}

int store_read_runs(struct store_reader *r, int (*fn)(void *ctx, const struct store_run *run),
                    void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *q;
    const char *sql =
        r->version >= 4
            ? "SELECT id, source, scenario, seed, speed, catalog, started_wall_ms, ended_wall_ms,"
              " first_ts_ms, last_ts_ms, samples FROM runs ORDER BY id"
            : "SELECT 1, 'legacy', '', NULL, NULL, '', min(key) >> 14, max(key) >> 14,"
              " min(key) >> 14, max(key) >> 14, count(*) FROM raw_samples HAVING count(*) > 0";
    if (sqlite3_prepare_v2(r->db, sql, -1, &q, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        return -1;
    }
    int rc, result = 0;
    while (!result && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct store_run run = {
            .id = sqlite3_column_int64(q, 0),
            .source = (const char *)sqlite3_column_text(q, 1),
            .scenario = (const char *)sqlite3_column_text(q, 2),
            .seed = sqlite3_column_int64(q, 3),
            .speed = sqlite3_column_double(q, 4),
            .catalog = (const char *)sqlite3_column_text(q, 5),
            .started_wall_ms = sqlite3_column_int64(q, 6),
            .ended_wall_ms = sqlite3_column_int64(q, 7),
            .first_ts_ms = sqlite3_column_int64(q, 8),
            .last_ts_ms = sqlite3_column_int64(q, 9),
            .samples = sqlite3_column_int64(q, 10),
        };
        run.source = run.source ? run.source : "";
        run.scenario = run.scenario ? run.scenario : "";
        run.catalog = run.catalog ? run.catalog : "";
        result = fn(ctx, &run);
    }
    if (!result && rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        result = -1;
    }
    sqlite3_finalize(q);
    return result;
}

void store_read_run_span(struct store_reader *r, int64_t run, int64_t *oldest_ms,
                         int64_t *newest_ms)
{
    *oldest_ms = *newest_ms = 0;
    if (run == 0)
        run = store_read_latest_run(r);
    if (run == STORE_RUN_ALL || r->version < 4) {
        *oldest_ms = store_read_oldest_ms(r);
        *newest_ms = store_read_newest_ms(r);
        return;
    }
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT first_ts_ms, last_ts_ms FROM runs WHERE id = ?1", -1, &q,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, run);
        if (sqlite3_step(q) == SQLITE_ROW) {
            *oldest_ms = sqlite3_column_int64(q, 0);
            *newest_ms = sqlite3_column_int64(q, 1);
        }
    }
    sqlite3_finalize(q);
}

int store_read_parse_run(const char *text, int64_t *run, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || errno || v < 1) {
        snprintf(err, errlen, "'%s' is not a run id (1, 2, ...; twintop runs lists them)", text);
        return -1;
    }
    *run = v;
    return 0;
}

static int find_machine(const struct store_reader *r, const char *id)
{
    for (int i = 0; i < r->machine_count; i++)
        if (strcmp(r->machines[i].id, id) == 0)
            return i;
    return -1;
}

bool store_read_machine_chosen(const struct store_query *q, const char *id)
{
    if (!q->machine_count)
        return true;
    for (int i = 0; i < q->machine_count; i++)
        if (strcmp(q->machines[i], id) == 0)
            return true;
    return false;
}

static bool sensor_chosen(const struct store_query *q, const char *name)
{
    if (!q->sensor_count)
        return true;
    for (int i = 0; i < q->sensor_count; i++)
        if (strcmp(q->sensors[i], name) == 0)
            return true;
    return false;
}

int64_t store_read_latest_run(struct store_reader *r)
{
    if (r->version < 4)
        return reader_edge_ms(r, "SELECT count(*) > 0 FROM sensors") ? 1 : 0;
    sqlite3_stmt *q;
    int64_t id = 0;
    if (sqlite3_prepare_v2(r->db, "SELECT max(id) FROM runs", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return id;
}

/* Resolves q->run into r->run and its plant-time span (the key range export and replay scan). */
static int reader_resolve_run(struct store_reader *r, const struct store_query *q, char *err,
                              size_t errlen)
{
    r->run_first_ms = r->run_end_ms = 0;
    r->run = q->run == 0 ? store_read_latest_run(r) : q->run;
    if (r->version < 4) { /* one legacy run: 1 is every row */
        if (r->run > 1) {
            snprintf(err, errlen, "no run %lld in %s (it has one legacy run, 1)", (long long)r->run,
                     r->path);
            return -1;
        }
        r->run = STORE_RUN_ALL;
        return 0;
    }
    if (r->run == STORE_RUN_ALL || r->run == 0)
        return 0;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, "SELECT first_ts_ms, last_ts_ms FROM runs WHERE id = ?1", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, r->run);
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        r->run_first_ms = sqlite3_column_int64(st, 0);
        r->run_end_ms = sqlite3_column_int64(st, 1) + 1;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    snprintf(err, errlen, "no run %lld in %s (twintop runs --db %s lists them)", (long long)r->run,
             r->path, r->path);
    return -1;
}

int store_read_check_names(struct store_reader *r, const struct store_query *q, char *err,
                           size_t errlen)
{
    if (reader_resolve_run(r, q, err, errlen) != 0)
        return -1;
    for (int i = 0; i < q->machine_count; i++) {
        if (find_machine(r, q->machines[i]) >= 0)
            continue;
        int n =
            snprintf(err, errlen, "unknown machine '%s' in %s; known:", q->machines[i], r->path);
        for (int k = 0; k < r->machine_count && n > 0 && (size_t)n < errlen; k++)
            n += snprintf(err + n, errlen - (size_t)n, "%s %s", k ? "," : "", r->machines[k].id);
        if (!r->machine_count && n > 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, " none (nothing recorded)");
        return -1;
    }
    for (int i = 0; i < q->sensor_count; i++) {
        bool found = false;
        for (int k = 0; k < r->sensor_cap && !found; k++)
            found = r->sensors[k].machine >= 0 &&
                    store_read_machine_chosen(q, r->machines[r->sensors[k].machine].id) &&
                    strcmp(r->sensors[k].name, q->sensors[i]) == 0;
        if (found)
            continue;
        int n = snprintf(err, errlen, "unknown sensor '%s' in %s; known:", q->sensors[i], r->path);
        int shown = 0;
        for (int k = 0; k < r->sensor_cap && n > 0 && (size_t)n < errlen; k++) {
            const struct reader_sensor *s = &r->sensors[k];
            if (s->machine < 0 || !store_read_machine_chosen(q, r->machines[s->machine].id))
                continue;
            bool dup = false;
            for (int j = 0; j < k && !dup; j++)
                dup = r->sensors[j].machine >= 0 && strcmp(r->sensors[j].name, s->name) == 0 &&
                      store_read_machine_chosen(q, r->machines[r->sensors[j].machine].id);
            if (!dup)
                n += snprintf(err + n, errlen - (size_t)n, "%s %s", shown++ ? "," : "", s->name);
        }
        return -1;
    }
    return 0;
}

int store_read_check(struct store_reader *r, const struct store_query *q, char *err, size_t errlen)
{
    sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
    int rc = store_read_load_names(r, err, errlen);
    if (rc == 0)
        rc = store_read_check_names(r, q, err, errlen);
    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* Sensor ids the query selects: allow[id]; NULL when it selects every sensor. */
bool *store_read_allowed(const struct store_reader *r, const struct store_query *q, bool *oom)
{
    *oom = false;
    bool by_run = r->run > 0 && r->version >= 4;
    if (!q->machine_count && !q->sensor_count && !by_run)
        return NULL;
    bool *allow = calloc((size_t)r->sensor_cap + 1, sizeof *allow);
    if (!allow) {
        *oom = true;
        return NULL;
    }
    for (int k = 0; k < r->sensor_cap; k++) {
        const struct reader_sensor *s = &r->sensors[k];
        allow[k] = s->machine >= 0 && store_read_machine_chosen(q, r->machines[s->machine].id) &&
                   sensor_chosen(q, s->name) && (!by_run || s->run == r->run);
    }
    return allow;
}

void store_read_key_range(const struct store_reader *r, const struct store_query *q, int64_t *lo,
                          int64_t *hi)
{
    const int64_t limit = INT64_MAX >> STORE_SENSOR_BITS;
    *lo = q->since_ms <= 0       ? 0
          : q->since_ms >= limit ? INT64_MAX
                                 : q->since_ms << STORE_SENSOR_BITS;
    *hi = q->until_ms >= limit ? INT64_MAX
          : q->until_ms <= 0   ? 0
                               : q->until_ms << STORE_SENSOR_BITS;
    if (r->run > 0 && r->run_end_ms > 0) { /* the run's own span: a short scan of a big file */
        int64_t first = r->run_first_ms << STORE_SENSOR_BITS,
                end = r->run_end_ms << STORE_SENSOR_BITS;
        if (*lo < first)
            *lo = first;
        if (*hi > end)
            *hi = end;
    }
}

int store_read_scan_short(struct store_reader *r, int64_t next, int64_t hi, char *err,
                          size_t errlen)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT max(key) FROM raw_samples WHERE key >= ?1 AND key < ?2",
                           -1, &q, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_int64(q, 1, next);
    sqlite3_bind_int64(q, 2, hi);
    int rc = sqlite3_step(q), result = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
        /* A forward scan that stops before rows a seek from the right still finds: a page
         * between them is damaged (a WITHOUT ROWID b-tree can end a scan without an error). */
        int64_t last = sqlite3_column_int64(q, 0);
        snprintf(err, errlen,
                 "%s: database disk image is malformed (raw_samples: the scan ends at %lld ms,"
                 " rows up to %lld ms are beyond a damaged page)",
                 r->path, (long long)(next >> STORE_SENSOR_BITS),
                 (long long)(last >> STORE_SENSOR_BITS));
        result = 1;
    } else if (rc != SQLITE_ROW) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errstr(rc));
        result = -1;
    }
    sqlite3_finalize(q);
    return result;
}

int store_read_each(struct store_reader *r, const struct store_query *q,
                    int (*fn)(void *ctx, const struct store_row *row), void *ctx, char *err,
                    size_t errlen)
{
    err[0] = '\0';
    if (store_read_check(r, q, err, errlen) != 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT key, value FROM raw_samples WHERE key >= ?1 AND key < ?2"
                           " ORDER BY key LIMIT 8192",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        return -1;
    }
    int64_t lo, hi;
    store_read_key_range(r, q, &lo, &hi);
    bool oom;
    bool *allow = store_read_allowed(r, q, &oom);
    int result = 0;
    /* Chunks of 8192 rows, each its own short read: a long replay never pins the WAL. */
    int64_t reloaded_at = -1;
    bool short_once = false;
    for (bool more = true; more && !result;) {
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        int rows = 0, step = SQLITE_DONE;
        bool reload = false;
        while (!result && (step = sqlite3_step(st)) == SQLITE_ROW) {
            rows++;
            int64_t key = sqlite3_column_int64(st, 0);
            int id = (int)(key & STORE_SENSOR_MAX);
            bool known = id < r->sensor_cap && r->sensors[id].machine >= 0;
            if (!known && reloaded_at != key) {
                /* A sensor recorded after this replay started: learn its name, go on. */
                reload = true;
                reloaded_at = key;
                break;
            }
            lo = key + 1;
            if (!known || (allow && !allow[id]))
                continue;
            const struct reader_sensor *s = &r->sensors[id];
            struct store_row row = {
                .ts_ms = key >> STORE_SENSOR_BITS,
                .sensor_id = id,
                .machine_id = r->machines[s->machine].id,
                .machine_type = r->machines[s->machine].type,
                .machine_area = r->machines[s->machine].area,
                .machine_line = r->machines[s->machine].line,
                .sensor = s->name,
            };
            int type = sqlite3_column_type(st, 1);
            row.is_text = type == SQLITE_TEXT || type == SQLITE_BLOB;
            row.value = type == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
            row.text = row.is_text ? (const char *)sqlite3_column_text(st, 1) : NULL;
            result = fn(ctx, &row);
        }
        sqlite3_reset(st);
        if (!result && step != SQLITE_ROW && step != SQLITE_DONE) {
            /* a corrupt page: say so instead of ending early as if the history ended there */
            snprintf(err, errlen, "%s: %s", r->path, sqlite3_errstr(step));
            result = -1;
            break;
        }
        if (reload) {
            free(allow);
            allow = NULL;
            if (store_read_check(r, q, err, errlen) != 0) {
                result = -1;
                break;
            }
            allow = store_read_allowed(r, q, &oom);
        }
        more = rows > 0 && !result;
        if (!more && !result) {
            /* rows beyond the scan's end: recorded meanwhile (scan once more), or a damaged page */
            int short_scan = store_read_scan_short(r, lo, hi, err, errlen);
            if (short_scan < 0 || (short_scan > 0 && short_once))
                result = -1;
            else if (short_scan > 0)
                more = short_once = true;
        } else if (rows > 0) {
            short_once = false;
        }
    }
    free(allow);
    sqlite3_finalize(st);
    return result;
}

int store_read_rollup_series(struct store_reader *r, const char *machine_id, const char *sensor,
                             int window, int64_t since_ms, int64_t until_ms, int64_t *ts_ms,
                             double *mean, double *min, double *max, int max_points)
{
    if (r->version < 2 || window < 0 || window >= STORE_WINDOWS || max_points <= 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            r->db,
            "SELECT d.bucket_start_ms, d.sum / d.count, d.min, d.max FROM rollup_data d"
            " WHERE d.sensor = (SELECT s.id FROM sensors s JOIN machines m ON m.id = s.machine"
            " WHERE m.machine_id = ?1 AND s.name = ?2 ORDER BY s.id DESC LIMIT 1) AND d.win = ?3"
            " AND d.bucket_start_ms >= ?4 AND d.bucket_start_ms < ?5"
            " ORDER BY d.bucket_start_ms DESC LIMIT ?6",
            -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, machine_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sensor, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, window);
    sqlite3_bind_int64(st, 4, since_ms);
    sqlite3_bind_int64(st, 5, until_ms);
    sqlite3_bind_int(st, 6, max_points);
    int n = 0;
    while (n < max_points && sqlite3_step(st) == SQLITE_ROW) {
        ts_ms[n] = sqlite3_column_int64(st, 0);
        mean[n] = sqlite3_column_double(st, 1);
        min[n] = sqlite3_column_double(st, 2);
        max[n] = sqlite3_column_double(st, 3);
        n++;
    }
    sqlite3_finalize(st);
    for (int i = 0; i < n / 2; i++) {
        int j = n - 1 - i;
        int64_t t = ts_ms[i];
        ts_ms[i] = ts_ms[j];
        ts_ms[j] = t;
        double v = mean[i];
        mean[i] = mean[j];
        mean[j] = v;
        v = min[i];
        min[i] = min[j];
        min[j] = v;
        v = max[i];
        max[i] = max[j];
        max[j] = v;
    }
    return n;
}

int store_read_parse_time(const char *text, int64_t newest_ms, int64_t *out_ms, char *err,
                          size_t errlen)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t wall = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (strcmp(text, "now") == 0) {
        *out_ms = wall;
        return 0;
    }
    if (text[0] == '-' && text[1]) {
        double s;
        if (clock_parse_duration(text + 1, &s) != 0) {
            snprintf(err, errlen, "'%s' is not a relative time (like -2h, -30m, -7d)", text);
            return -1;
        }
        *out_ms = (newest_ms ? newest_ms : wall) - (int64_t)(s * 1000.0);
        return 0;
    }
    const char *p = text;
    while (isdigit((unsigned char)*p))
        p++;
    if (p != text && !*p && p - text > 8) {
        *out_ms = strtoll(text, NULL, 10);
        return 0;
    }
    if (clock_parse_iso8601_partial(text, out_ms) != 0) {
        snprintf(err, errlen,
                 "'%s' is not a time (ISO-8601 like 2026-11-22T10:00:00Z, epoch ms, now, or"
                 " relative like -2h)",
                 text);
        return -1;
    }
    return 0;
}
