// SPDX-License-Identifier: MIT
/* Exporting recorded history: CSV, JSON lines or a consistent SQLite copy of what a query
 * selects, read through a store_read reader. */
#include "store_export.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_escape.h"
#include "store.h"
#include "store_read_private.h"

#define OUT_BUF (1 << 20)

/* A buffered writer: one fwrite per megabyte, the first error kept. */
struct out_buf {
    FILE *out;
    char *buf;
    size_t len;
    bool failed;
};

static void out_flush(struct out_buf *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->out) != o->len)
        o->failed = true;
    o->len = 0;
}

static inline char *out_reserve(struct out_buf *o, size_t n)
{
    if (o->len + n > OUT_BUF)
        out_flush(o);
    return o->buf + o->len;
}

static void out_str(struct out_buf *o, const char *s, size_t n)
{
    if (n > OUT_BUF / 2) {
        out_flush(o);
        if (fwrite(s, 1, n, o->out) != n)
            o->failed = true;
        return;
    }
    memcpy(out_reserve(o, n), s, n);
    o->len += n;
}

/* "2026-11-22T10:00:00." for a whole second; days from the civil calendar, no gmtime per row. */
static void format_second(int64_t sec, char *out)
{
    int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
    int64_t rem = sec - days * 86400;
    /* Howard Hinnant's days_from_civil inverse. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02d.", (int)y, (int)m, (int)d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

struct ts_cache {
    int64_t sec;
    char text[24]; /* "YYYY-MM-DDTHH:MM:SS." = 20 chars */
};

static inline size_t format_ts(struct ts_cache *c, int64_t ms, char *dst)
{
    int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int milli = (int)(ms - sec * 1000);
    if (sec != c->sec) {
        c->sec = sec;
        format_second(sec, c->text);
    }
    memcpy(dst, c->text, 20);
    dst[20] = (char)('0' + milli / 100);
    dst[21] = (char)('0' + milli / 10 % 10);
    dst[22] = (char)('0' + milli % 10);
    dst[23] = 'Z';
    return 24;
}

void store_export_format_time(int64_t ms, char *buf, size_t len)
{
    struct ts_cache c = {.sec = INT64_MIN};
    char tmp[32];
    size_t n = format_ts(&c, ms, tmp);
    tmp[n] = '\0';
    snprintf(buf, len, "%s", tmp);
}

static size_t format_u64(uint64_t u, char *dst)
{
    char tmp[24];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        dst[k++] = tmp[--n];
    return k;
}

/* The fewest of 15 or 16 significant digits that read back as the same double, by integer
 * scaling (no printf), else %.17g, which always reads back exactly. */
static size_t format_double(double v, char *dst)
{
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double a = fabs(v);
    if (a >= 1e-6 && a < 1e15) {
        int e = 0; /* floor(log10(a)) from the table */
        if (a >= 1) {
            while (e < 15 && a >= pow10[e + 1])
                e++;
        } else {
            while (e > -7 && a < 1 / pow10[-e])
                e--;
        }
        for (int digits = 15; digits <= 16; digits++) {
            int k = digits - 1 - e; /* decimals */
            if (k < 0 || k > 22)
                break;
            double scaled = a * pow10[k];
            if (scaled >= 9007199254740992.0)
                break;
            uint64_t u = (uint64_t)(scaled + 0.5);
            if ((double)u / pow10[k] != a)
                continue;
            size_t n = 0;
            if (signbit(v))
                dst[n++] = '-';
            char digs[24];
            size_t len = format_u64(u, digs);
            while (k > 0 && digs[len - 1] == '0') { /* trailing zeros of the fraction */
                len--;
                k--;
            }
            if ((size_t)k >= len) { /* 0.000ddd */
                dst[n++] = '0';
                dst[n++] = '.';
                for (size_t z = 0; z < (size_t)k - len; z++)
                    dst[n++] = '0';
                memcpy(dst + n, digs, len);
                return n + len;
            }
            memcpy(dst + n, digs, len - (size_t)k);
            n += len - (size_t)k;
            if (k > 0) {
                dst[n++] = '.';
                memcpy(dst + n, digs + len - (size_t)k, (size_t)k);
                n += (size_t)k;
            }
            return n;
        }
    }
    if (v == 0) {
        memcpy(dst, signbit(v) ? "-0" : "0", 2);
        return signbit(v) ? 2 : 1;
    }
    if (a < 1e-6 || a >= 1e15) { /* rare magnitudes: the slow shortest */
        int n = snprintf(dst, 32, "%.15g", v);
        if (strtod(dst, NULL) == v)
            return (size_t)n;
    }
    return (size_t)snprintf(dst, 32, "%.17g", v);
}

static void out_value(struct out_buf *o, sqlite3_stmt *q, int col, bool json)
{
    int type = sqlite3_column_type(q, col);
    if (type == SQLITE_NULL) {
        if (json)
            out_str(o, "null", 4);
        return;
    }
    if (type == SQLITE_INTEGER || type == SQLITE_FLOAT) {
        char *p = out_reserve(o, 40);
        o->len += format_double(sqlite3_column_double(q, col), p);
        return;
    }
    const char *t = (const char *)sqlite3_column_text(q, col);
    if (!t)
        t = "";
    if (json) {
        size_t n = json_escape(NULL, 0, t);
        char *p = out_reserve(o, n + 2);
        p[0] = '"';
        json_escape(p + 1, n + 1, t);
        p[n + 1] = '"';
        o->len += n + 2;
    } else {
        size_t n = store_read_csv_field(NULL, t);
        char *p = out_reserve(o, n);
        store_read_csv_field(p, t);
        o->len += n;
    }
}

static long long export_raw(struct store_reader *r, const struct store_query *q, bool json,
                            struct out_buf *o, const bool *allow, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, "SELECT key, value FROM raw_samples WHERE key >= ?1 AND key < ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        return -1;
    }
    int64_t lo, hi;
    store_read_key_range(r, q, &lo, &hi);
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    if (!json)
        out_str(o, "ts,machine_id,sensor,value\n", 27);
    struct ts_cache tc = {.sec = INT64_MIN};
    long long rows = 0;
    int rc;
    int64_t next = lo;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t key = (uint64_t)sqlite3_column_int64(st, 0);
        next = (int64_t)key + 1;
        int id = (int)(key & STORE_SENSOR_MAX);
        if (id >= r->sensor_cap || r->sensors[id].machine < 0 || (allow && !allow[id]))
            continue;
        const struct reader_sensor *s = &r->sensors[id];
        int64_t ts = (int64_t)(key >> STORE_SENSOR_BITS);
        const char *prefix = json ? s->json : s->csv;
        size_t plen = strlen(prefix);
        char *p = out_reserve(o, plen + 40);
        if (json) {
            memcpy(p, "{\"ts\":\"", 7);
            o->len += 7 + format_ts(&tc, ts, p + 7);
            memcpy(o->buf + o->len, prefix, plen);
            o->len += plen;
            out_str(o, "\"value\":", 8);
            out_value(o, st, 1, true);
            out_str(o, "}\n", 2);
        } else {
            o->len += format_ts(&tc, ts, p);
            memcpy(o->buf + o->len, prefix, plen);
            o->len += plen;
            out_value(o, st, 1, false);
            out_str(o, "\n", 1);
        }
        rows++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        rows = -1;
    } else if (store_read_scan_short(r, next, hi, err, errlen) != 0) {
        rows = -1;
    }
    sqlite3_finalize(st);
    return rows;
}

static long long export_rollups(struct store_reader *r, const struct store_query *q, bool json,
                                struct out_buf *o, const bool *allow, char *err, size_t errlen)
{
    if (r->version < 2) {
        snprintf(err, errlen, "%s: no rollups in a version %d file", r->path, r->version);
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT sensor, bucket_start_ms, count, min, max, sum / count"
                           " FROM rollup_data WHERE win = ?1 AND bucket_start_ms >= ?2 AND"
                           " bucket_start_ms < ?3 ORDER BY bucket_start_ms, sensor",
                           -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        return -1;
    }
    sqlite3_bind_int(st, 1, q->rollup);
    sqlite3_bind_int64(st, 2, q->since_ms);
    sqlite3_bind_int64(st, 3, q->until_ms);
    const char *win = store_window_names[q->rollup];
    if (!json)
        out_str(o, "ts,machine_id,sensor,window,count,min,max,mean\n", 47);
    struct ts_cache tc = {.sec = INT64_MIN};
    long long rows = 0;
    int rc;
    static const char *const names[] = {"count", "min", "max", "mean"};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        if (id < 0 || id >= r->sensor_cap || r->sensors[id].machine < 0 || (allow && !allow[id]))
            continue;
        const struct reader_sensor *s = &r->sensors[id];
        char *p = out_reserve(o, 40);
        if (json) {
            memcpy(p, "{\"ts\":\"", 7);
            o->len += 7 + format_ts(&tc, sqlite3_column_int64(st, 1), p + 7);
            out_str(o, s->json, strlen(s->json));
            out_str(o, "\"window\":\"", 10);
            out_str(o, win, strlen(win));
            out_str(o, "\"", 1);
            for (int c = 0; c < 4; c++) {
                char key[16];
                out_str(o, key, (size_t)snprintf(key, sizeof key, ",\"%s\":", names[c]));
                out_value(o, st, 2 + c, true);
            }
            out_str(o, "}\n", 2);
        } else {
            o->len += format_ts(&tc, sqlite3_column_int64(st, 1), p);
            out_str(o, s->csv, strlen(s->csv));
            out_str(o, win, strlen(win));
            for (int c = 0; c < 4; c++) {
                out_str(o, ",", 1);
                out_value(o, st, 2 + c, false);
            }
            out_str(o, "\n", 1);
        }
        rows++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        rows = -1;
    }
    sqlite3_finalize(st);
    return rows;
}

static bool reader_has_table(struct store_reader *r, const char *name)
{
    sqlite3_stmt *q;
    bool found = false;
    if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(q) == SQLITE_ROW;
    }
    sqlite3_finalize(q);
    return found;
}

/* The alarm log: process changes (raise, escalate, clear, flag) from our alarm_events, and
 * operator actions with who, where and why from the alarm manager's alarm_actions. */
static int alarm_log_query(struct store_reader *r, sqlite3_stmt **out, char *err, size_t errlen)
{
    bool events = reader_has_table(r, "alarm_events");
    bool actions = reader_has_table(r, "alarm_actions");
    bool alarms = reader_has_table(r, "alarms");
    if (!events && !actions) {
        snprintf(err, errlen, "%s holds no alarm log", r->path);
        return 1;
    }
    char sql[2048], run[40] = "";
    size_t n = 0;
    if (r->version >= 4 && r->run > 0)
        snprintf(run, sizeof run, " AND e.run = %lld", (long long)r->run);
    if (events)
        n += (size_t)snprintf(
            sql + n, sizeof sql - n,
            "SELECT e.ts_ms, %s, e.machine_id, e.condition, e.priority, e.change, '', '',"
            " e.reason, 0, e.id FROM alarm_events e WHERE e.ts_ms >= ?1 AND e.ts_ms < ?2%s%s",
            alarms ? "(SELECT id FROM alarms a WHERE a.machine_id = e.machine_id AND"
                     " a.condition = e.condition)"
                   : "NULL",
            actions ? " AND e.change NOT IN ('ack', 'shelve', 'unshelve', 'note', 'suppress',"
                      " 'unsuppress', 'out_of_service', 'in_service')"
                    : "",
            run);
    if (actions)
        n += (size_t)snprintf(sql + n, sizeof sql - n,
                              "%sSELECT a.ts_ms, a.alarm_id, a.machine_id, a.condition, %s,"
                              " a.action, a.operator, a.host, a.reason, 1, a.id"
                              " FROM alarm_actions a%s WHERE a.ts_ms >= ?1 AND a.ts_ms < ?2",
                              events ? " UNION ALL " : "", alarms ? "al.priority" : "''",
                              alarms ? " LEFT JOIN alarms al ON al.id = a.alarm_id" : "");
    snprintf(sql + n, sizeof sql - n, " ORDER BY 1, 10, 11");
    if (sqlite3_prepare_v2(r->db, sql, -1, out, NULL) != SQLITE_OK) {
        /* An alarm manager of another version: say what is wrong, export nothing. */
        snprintf(err, errlen, "%s: reading the alarm log: %s", r->path, sqlite3_errmsg(r->db));
        return -1;
    }
    return 0;
}

static long long export_alarms(struct store_reader *r, const struct store_query *q, bool json,
                               struct out_buf *o, char *err, size_t errlen)
{
    static const char *const cols[] = {"alarm_id", "machine_id", "condition", "priority",
                                       "action",   "operator",   "host",      "reason"};
    if (!json)
        out_str(o, "ts,alarm_id,machine_id,condition,priority,action,operator,host,reason\n", 70);
    sqlite3_stmt *st = NULL;
    int found = alarm_log_query(r, &st, err, errlen);
    if (found != 0)
        return found > 0 ? 0 : -1;
    sqlite3_bind_int64(st, 1, q->since_ms);
    sqlite3_bind_int64(st, 2, q->until_ms);
    struct ts_cache tc = {.sec = INT64_MIN};
    long long rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *machine = (const char *)sqlite3_column_text(st, 2);
        if (!store_read_machine_chosen(q, machine ? machine : ""))
            continue;
        char *p = out_reserve(o, 40);
        if (json) {
            memcpy(p, "{\"ts\":\"", 7);
            o->len += 7 + format_ts(&tc, sqlite3_column_int64(st, 0), p + 7);
            out_str(o, "\"", 1);
        } else {
            o->len += format_ts(&tc, sqlite3_column_int64(st, 0), p);
        }
        for (int c = 0; c < 8; c++) {
            if (json) {
                char key[24];
                out_str(o, key, (size_t)snprintf(key, sizeof key, ",\"%s\":", cols[c]));
            } else {
                out_str(o, ",", 1);
            }
            if (sqlite3_column_type(st, 1 + c) == SQLITE_INTEGER) {
                char num[24];
                out_str(o, num,
                        (size_t)snprintf(num, sizeof num, "%lld", sqlite3_column_int64(st, 1 + c)));
            } else {
                out_value(o, st, 1 + c, json);
            }
        }
        out_str(o, json ? "}\n" : "\n", json ? 2 : 1);
        rows++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(r->db));
        rows = -1;
    }
    sqlite3_finalize(st);
    return rows;
}

long long store_export_write(struct store_reader *r, const struct store_query *q,
                             enum store_format format, FILE *out, char *err, size_t errlen)
{
    if (format == STORE_FORMAT_SQLITE) {
        snprintf(err, errlen, "an SQLite copy goes through store_export_copy");
        return -1;
    }
    struct out_buf o = {.out = out, .buf = malloc(OUT_BUF)};
    if (!o.buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* One read transaction: names and rows from the same snapshot. */
    long long rows = -1;
    err[0] = '\0';
    sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
    if (store_read_load_names(r, err, errlen) == 0 &&
        store_read_check_names(r, q, err, errlen) == 0) {
        bool oom;
        bool *allow = store_read_allowed(r, q, &oom);
        bool json = format == STORE_FORMAT_JSONL;
        if (oom)
            snprintf(err, errlen, "out of memory");
        else if (q->alarms)
            rows = export_alarms(r, q, json, &o, err, errlen);
        else if (q->rollup >= 0 && q->rollup < STORE_WINDOWS)
            rows = export_rollups(r, q, json, &o, allow, err, errlen);
        else
            rows = export_raw(r, q, json, &o, allow, err, errlen);
        free(allow);
    }
    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    out_flush(&o);
    if (fflush(out) != 0 || o.failed || ferror(out)) {
        int saved = errno;
        snprintf(err, errlen, "writing the export: %s", strerror(saved));
        errno = saved; /* EPIPE: the reader went away (export | head), for the caller to tell */
        rows = -1;
    }
    free(o.buf);
    return rows;
}

/* ATTACH needs a URI: percent-encode what URIs reserve. */
static void uri_for(const char *path, char *out, size_t len)
{
    size_t k = (size_t)snprintf(out, len, "file:");
    for (const char *p = path; *p && k + 4 < len; p++) {
        if (*p == '?' || *p == '#' || *p == '%' || *p == '\'')
            k += (size_t)snprintf(out + k, len - k, "%%%02X", (unsigned char)*p);
        else
            out[k++] = *p;
    }
    out[k] = '\0';
    snprintf(out + k, len - k, "?mode=ro");
}

static int copy_filtered(struct store_reader *r, const struct store_query *q, sqlite3 *dst,
                         char *err, size_t errlen)
{
    char uri[2200];
    uri_for(r->path, uri, sizeof uri);
    char *sql = sqlite3_mprintf("ATTACH %Q AS src", uri);
    int rc = sqlite3_exec(dst, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", r->path, sqlite3_errmsg(dst));
        return -1;
    }
    if (store_schema_apply(dst, STORE_SCHEMA_VERSION, err, errlen) != 0)
        return -1;
    /* The chosen sensor ids as an SQL list: integers only, nothing to escape. */
    bool oom;
    bool *allow = store_read_allowed(r, q, &oom);
    size_t cap = 64 + (size_t)r->sensor_cap * 7;
    char *ids = malloc(cap);
    if (oom || !ids) {
        free(allow);
        free(ids);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = (size_t)snprintf(ids, cap, "(-1");
    for (int k = 0; k < r->sensor_cap; k++)
        if (r->sensors[k].machine >= 0 && (!allow || allow[k]))
            n += (size_t)snprintf(ids + n, cap - n, ",%d", k);
    snprintf(ids + n, cap - n, ")");
    free(allow);
    int64_t lo, hi;
    store_read_key_range(r, q, &lo, &hi);
    /* Tables by the source's version: a version-1 file has no rollups, anomalies or alarm log. */
    char rollups[512] = "", anomalies[768] = "", events[768] = "", runs[256] = "", run[40] = "";
    bool v4 = r->version >= 4;
    if (v4 && r->run > 0)
        snprintf(run, sizeof run, " AND run = %lld", (long long)r->run);
    if (v4)
        snprintf(runs, sizeof runs,
                 "INSERT INTO main.runs SELECT * FROM src.runs WHERE id IN"
                 " (SELECT run FROM main.sensors);");
    else
        snprintf(runs, sizeof runs,
                 "INSERT INTO main.runs(id, source, started_wall_ms) SELECT 1, 'legacy', 0"
                 " WHERE EXISTS (SELECT 1 FROM main.sensors);");
    /* Column lists, not *: the copy has the current schema, the source may be older. */
    const char *ev_cols = v4 ? "id, ts_ms, machine_id, sensor, detector, value, score, reason, run"
                             : "id, ts_ms, machine_id, sensor, detector, value, score, reason";
    const char *al_cols =
        v4 ? "id, ts_ms, machine_id, condition, change, state, priority, value, reason, run"
           : "id, ts_ms, machine_id, condition, change, state, priority, value, reason";
    if (r->version >= 2) {
        snprintf(rollups, sizeof rollups,
                 "INSERT INTO main.rollup_data SELECT * FROM src.rollup_data WHERE sensor IN"
                 " (SELECT id FROM main.sensors) AND bucket_start_ms >= %lld AND"
                 " bucket_start_ms < %lld;",
                 (long long)q->since_ms, (long long)q->until_ms);
        snprintf(anomalies, sizeof anomalies,
                 "INSERT INTO main.anomalies(%s) SELECT %s FROM src.anomalies WHERE ts_ms >= %lld"
                 " AND ts_ms < %lld AND machine_id IN (SELECT machine_id FROM main.machines)%s;",
                 ev_cols, ev_cols, (long long)q->since_ms, (long long)q->until_ms, run);
    }
    if (r->version >= 3)
        snprintf(
            events, sizeof events,
            "INSERT INTO main.alarm_events(%s) SELECT %s FROM src.alarm_events WHERE ts_ms >="
            " %lld AND ts_ms < %lld AND machine_id IN (SELECT machine_id FROM main.machines)%s;",
            al_cols, al_cols, (long long)q->since_ms, (long long)q->until_ms, run);
    const char *mcols =
        r->version >= 7 ? "id, machine_id, type, area, line" : "id, machine_id, type";
    char *script = sqlite3_mprintf(
        "BEGIN;"
        "INSERT INTO main.machines(%s) SELECT %s FROM src.machines WHERE id IN"
        " (SELECT machine FROM src.sensors WHERE id IN %s);"
        "INSERT INTO main.sensors(id, machine, name, unit, is_text%s)"
        " SELECT id, machine, name, unit, is_text%s FROM src.sensors WHERE id IN %s;"
        "INSERT INTO main.raw_samples SELECT key, value FROM src.raw_samples"
        " WHERE key >= %lld AND key < %lld AND (key & %d) IN %s;"
        "%s%s%s%s",
        mcols, mcols, ids, v4 ? ", run" : "", v4 ? ", run" : "", ids, (long long)lo, (long long)hi,
        STORE_SENSOR_MAX, ids, runs, rollups, anomalies, events);
    free(ids);
    rc = script ? sqlite3_exec(dst, script, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(script);
    /* The alarm manager's tables, when the file has them, for the chosen machines. */
    static const char *const alarm_tables[] = {"alarms", "alarm_actions"};
    for (int t = 0; t < 2 && rc == SQLITE_OK; t++) {
        sqlite3_stmt *st;
        char *get =
            sqlite3_mprintf("SELECT sql FROM src.sqlite_schema WHERE name = %Q", alarm_tables[t]);
        rc = sqlite3_prepare_v2(dst, get, -1, &st, NULL);
        sqlite3_free(get);
        if (rc != SQLITE_OK)
            break;
        char *ddl = NULL;
        if (sqlite3_step(st) == SQLITE_ROW)
            ddl = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (!ddl)
            continue;
        rc = sqlite3_exec(dst, ddl, NULL, NULL, NULL);
        sqlite3_free(ddl);
        char when[96] = "";
        if (t == 1)
            snprintf(when, sizeof when, " AND ts_ms >= %lld AND ts_ms < %lld",
                     (long long)q->since_ms, (long long)q->until_ms);
        char *copy = sqlite3_mprintf("INSERT INTO main.%s SELECT * FROM src.%s WHERE machine_id"
                                     " IN (SELECT machine_id FROM main.machines)%s",
                                     alarm_tables[t], alarm_tables[t], when);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(dst, copy, NULL, NULL, NULL);
        sqlite3_free(copy);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "copying: %s", sqlite3_errmsg(dst));
        sqlite3_exec(dst, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    sqlite3_exec(dst, "DETACH src", NULL, NULL, NULL);
    return 0;
}

int store_export_copy(struct store_reader *r, const struct store_query *q, const char *out_path,
                      char *err, size_t errlen)
{
    struct stat sb;
    if (stat(out_path, &sb) == 0) {
        snprintf(err, errlen, "%s already exists; an SQLite copy needs a new file", out_path);
        return -1;
    }
    err[0] = '\0';
    sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
    int rc =
        store_read_load_names(r, err, errlen) == 0 && store_read_check_names(r, q, err, errlen) == 0
            ? 0
            : -1;
    sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    if (rc != 0)
        return -1;
    bool whole = !q->machine_count && !q->sensor_count && q->since_ms == INT64_MIN &&
                 q->until_ms == INT64_MAX &&
                 (r->run == STORE_RUN_ALL || store_read_latest_run(r) <= 1);
    if (whole) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(r->db, "VACUUM INTO ?1", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, out_path, -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
        if (rc != SQLITE_OK)
            snprintf(err, errlen, "copying to %s: %s", out_path, sqlite3_errmsg(r->db));
        sqlite3_finalize(st);
    } else {
        sqlite3 *dst = NULL;
        rc = sqlite3_open_v2(out_path, &dst,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
        if (rc != SQLITE_OK)
            snprintf(err, errlen, "%s: %s", out_path, dst ? sqlite3_errmsg(dst) : "cannot open");
        else
            rc = copy_filtered(r, q, dst, err, errlen) == 0 ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_close(dst);
    }
    if (rc != SQLITE_OK) {
        unlink(out_path);
        return -1;
    }
    return 0;
}

long long store_export_machine_csv(const char *db_path, const char *machine_id, int64_t since_ms,
                                   int64_t until_ms, const char *out_path, char *err, size_t errlen)
{
    struct store_reader *r = store_read_open(db_path, err, errlen);
    if (!r)
        return -1;
    struct store_query q;
    store_read_query_default(&q);
    q.machines[0] = machine_id;
    q.machine_count = 1;
    q.since_ms = since_ms;
    q.until_ms = until_ms;
    FILE *out = fopen(out_path, "w");
    if (!out) {
        snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
        store_read_close(r);
        return -1;
    }
    long long rows = store_export_write(r, &q, STORE_FORMAT_CSV, out, err, errlen);
    if (fclose(out) != 0 && rows >= 0) {
        snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
        rows = -1;
    }
    if (rows < 0)
        unlink(out_path); /* no half file under the announced name */
    store_read_close(r);
    return rows;
}
