// SPDX-License-Identifier: MIT
/* Maintenance reports from the history database: availability, alarms, anomalies, health, the
 * plan's actions and recommendations, as JSON, Markdown or CSV. */
#include "report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "maint.h"

#define REPORT_TOP 3
#define REPORT_FLOOD_PER_10MIN 10 /* ISA-18.2: more than 10 new alarms in 10 minutes is a flood */

struct report_db {
    sqlite3 *db;
    int64_t from, to;
    char *err;
    size_t errlen;
    bool failed;
    long plant_counts[MAINT_STATUS_COUNT]; /* status minutes of the machines reported so far */
};

int report_parse_period(const char *text, int64_t *span_ms, int64_t *from_ms, int64_t *to_ms,
                        char *err, size_t errlen)
{
    *span_ms = *from_ms = *to_ms = 0;
    const char *dots = strstr(text, "..");
    if (dots) {
        char from[64];
        snprintf(from, sizeof from, "%.*s", (int)(dots - text), text);
        if (clock_parse_iso8601_partial(from, from_ms) < 0 ||
            clock_parse_iso8601_partial(dots + 2, to_ms) < 0 || *to_ms <= *from_ms) {
            snprintf(err, errlen,
                     "--period %s: expected FROM..TO, two ISO-8601 dates or times, FROM first",
                     text);
            return -1;
        }
        return 0;
    }
    double s;
    if (clock_parse_duration(text, &s) < 0 || !(s > 0)) {
        snprintf(err, errlen, "--period %s: expected 24h, 7d, 30d, 90d, 365d or FROM..TO", text);
        return -1;
    }
    *span_ms = (int64_t)(s * 1000.0);
    return 0;
}

static int report_open(struct report_db *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->err = err;
    r->errlen = errlen;
    int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        sqlite3_busy_timeout(r->db, 5000);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM machine_status LIMIT 1", -1, &st, NULL);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 r->db && strstr(sqlite3_errmsg(r->db), "no such table")
                     ? "no maintenance record (schema older than 5, or not a twintop history)"
                 : r->db ? sqlite3_errmsg(r->db)
                         : sqlite3_errstr(rc));
        sqlite3_close(r->db);
        r->db = NULL;
        return -1;
    }
    return 0;
}

static sqlite3_stmt *report_prepare(struct report_db *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        if (!r->failed)
            snprintf(r->err, r->errlen, "report: %s", sqlite3_errmsg(r->db));
        r->failed = true;
        return NULL;
    }
    return st;
}

/* Binds ?1 machine_id (NULL: every machine, the SQL tests ?1 IS NULL), ?2 from, ?3 to. */
static sqlite3_stmt *report_query(struct report_db *r, const char *sql, const char *machine)
{
    sqlite3_stmt *st = report_prepare(r, sql);
    if (!st)
        return NULL;
    if (machine)
        sqlite3_bind_text(st, 1, machine, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int64(st, 2, r->from);
    sqlite3_bind_int64(st, 3, r->to);
    return st;
}

int report_newest_ms(const char *db_path, int64_t *newest_ms, char *err, size_t errlen)
{
    struct report_db r;
    *newest_ms = 0;
    if (report_open(&r, db_path, err, errlen) < 0)
        return -1;
    sqlite3_stmt *st = report_prepare(&r, "SELECT max((SELECT max(ts_ms) FROM machine_status s"
                                          " WHERE s.machine_id = m.machine_id)) FROM machines m");
    if (st && sqlite3_step(st) == SQLITE_ROW)
        *newest_ms = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(r.db);
    return r.failed ? -1 : 0;
}

static void json_time(cJSON *o, const char *name, int64_t ms)
{
    char iso[32];
    if (ms <= 0) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    clock_format_iso8601(ms, iso, sizeof iso);
    cJSON_AddStringToObject(o, name, iso);
}

static void json_number_or_null(cJSON *o, const char *name, double v, double scale)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, name, round(v * scale) / scale);
    else
        cJSON_AddNullToObject(o, name);
}

/* Shares in tenths of a percent by the largest remainder, so they sum to exactly 100. */
static void availability(cJSON *o, const long counts[MAINT_STATUS_COUNT])
{
    long total = 0;
    for (int i = 0; i < MAINT_STATUS_COUNT; i++)
        total += counts[i];
    long tenths[MAINT_STATUS_COUNT], given = 0;
    double rest[MAINT_STATUS_COUNT];
    for (int i = 0; i < MAINT_STATUS_COUNT; i++) {
        double exact = total ? 1000.0 * (double)counts[i] / (double)total : 0;
        tenths[i] = (long)floor(exact);
        rest[i] = exact - (double)tenths[i];
        given += tenths[i];
    }
    while (total && given < 1000) {
        int at = 0;
        for (int i = 1; i < MAINT_STATUS_COUNT; i++)
            if (rest[i] > rest[at])
                at = i;
        tenths[at]++;
        rest[at] = -1;
        given++;
    }
    for (int i = 0; i < MAINT_STATUS_COUNT; i++)
        cJSON_AddNumberToObject(o, maint_status_name(i), (double)tenths[i] / 10.0);
}

/* One machine's minutes by state (through the (machine_id, ts_ms) index), added to the plant's;
 * machine NULL: the plant's sum so far. */
static cJSON *report_availability(struct report_db *r, const char *machine, long *minutes)
{
    long counts[MAINT_STATUS_COUNT] = {0};
    sqlite3_stmt *st = machine ? report_query(r,
                                              "SELECT state, count(*) FROM machine_status WHERE"
                                              " machine_id = ?1 AND ts_ms >= ?2 AND ts_ms < ?3"
                                              " GROUP BY 1",
                                              machine)
                               : NULL;
    while (st && sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < MAINT_STATUS_COUNT; i++)
            if (strcmp((const char *)sqlite3_column_text(st, 0), maint_status_name(i)) == 0)
                counts[i] += sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    for (int i = 0; i < MAINT_STATUS_COUNT; i++) {
        if (machine)
            r->plant_counts[i] += counts[i];
        else
            counts[i] = r->plant_counts[i];
    }
    cJSON *o = cJSON_CreateObject();
    availability(o, counts);
    *minutes = 0;
    for (int i = 0; i < MAINT_STATUS_COUNT; i++)
        *minutes += counts[i];
    return o;
}

static cJSON *report_alarms(struct report_db *r, const char *machine)
{
    cJSON *o = cJSON_CreateObject(), *by = cJSON_CreateObject(), *top = cJSON_CreateArray();
    static const char *const prio[] = {"low", "medium", "high", "critical"};
    long total = 0;
    for (int p = 0; p < 4; p++) {
        sqlite3_stmt *st = report_query(r,
                                        "SELECT count(*) FROM alarm_events WHERE change = 'raise'"
                                        " AND (?1 IS NULL OR machine_id = ?1) AND ts_ms >= ?2"
                                        " AND ts_ms < ?3 AND priority = ?4",
                                        machine);
        long n = 0;
        if (st) {
            sqlite3_bind_text(st, 4, prio[p], -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        cJSON_AddNumberToObject(by, prio[p], (double)n);
        total += n;
    }
    sqlite3_stmt *st = report_query(r,
                                    "SELECT machine_id, condition, count(*) FROM alarm_events"
                                    " WHERE change = 'raise' AND (?1 IS NULL OR machine_id = ?1)"
                                    " AND ts_ms >= ?2 AND ts_ms < ?3 GROUP BY 1, 2"
                                    " ORDER BY 3 DESC, 1, 2 LIMIT 5",
                                    machine);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        cJSON *c = cJSON_CreateObject();
        if (!machine)
            cJSON_AddStringToObject(c, "machine_id", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddStringToObject(c, "condition", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddNumberToObject(c, "count", (double)sqlite3_column_int64(st, 2));
        cJSON_AddItemToArray(top, c);
    }
    sqlite3_finalize(st);
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddItemToObject(o, "by_priority", by);
    cJSON_AddItemToObject(o, "top_conditions", top);
    return o;
}

static cJSON *report_anomalies(struct report_db *r, const char *machine)
{
    cJSON *o = cJSON_CreateObject(), *by = cJSON_CreateObject();
    long total = 0;
    sqlite3_stmt *st = report_query(r,
                                    "SELECT detector, count(*) FROM anomalies WHERE (?1 IS NULL OR"
                                    " machine_id = ?1) AND ts_ms >= ?2 AND ts_ms < ?3 GROUP BY 1"
                                    " ORDER BY 2 DESC",
                                    machine);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        long n = sqlite3_column_int64(st, 1);
        cJSON_AddNumberToObject(by, (const char *)sqlite3_column_text(st, 0), (double)n);
        total += n;
    }
    sqlite3_finalize(st);
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddItemToObject(o, "by_detector", by);
    return o;
}

/* Health at the first and last status minute that has one; RUL of the last minute. */
static void report_health(struct report_db *r, const char *machine, cJSON *m)
{
    double start = NAN, end = NAN, rul = NAN;
    int64_t t0 = 0, t1 = 0;
    sqlite3_stmt *st = report_query(r,
                                    "SELECT ts_ms, health FROM machine_status WHERE machine_id = ?1"
                                    " AND ts_ms >= ?2 AND ts_ms < ?3 AND health IS NOT NULL"
                                    " ORDER BY ts_ms LIMIT 1",
                                    machine);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        t0 = sqlite3_column_int64(st, 0);
        start = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    st = report_query(r,
                      "SELECT ts_ms, health, rul_hours FROM machine_status WHERE machine_id = ?1"
                      " AND ts_ms >= ?2 AND ts_ms < ?3 AND health IS NOT NULL"
                      " ORDER BY ts_ms DESC LIMIT 1",
                      machine);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        t1 = sqlite3_column_int64(st, 0);
        end = sqlite3_column_double(st, 1);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            rul = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    json_number_or_null(m, "health_start", start, 10);
    json_number_or_null(m, "health_end", end, 10);
    double days = (double)(t1 - t0) / 86400000.0;
    json_number_or_null(m, "health_trend_per_day", days > 0.01 ? (end - start) / days : NAN, 10);
    json_number_or_null(m, "rul_hours", rul, 10);
}

/* Minutes (5-minute buckets) each sensor's mean spent outside its normal band. */
static cJSON *report_outside(struct report_db *r, const struct catalog_type *t, const char *machine)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; t && i < t->sensor_count; i++) {
        const struct catalog_sensor *cs = &t->sensors[i];
        if (cs->is_text || (!isfinite(cs->normal_lo) && !isfinite(cs->normal_hi)))
            continue;
        sqlite3_stmt *st = report_query(
            r,
            "SELECT count(*) FROM rollup_data WHERE win = 1 AND sensor IN (SELECT s.id FROM"
            " sensors s JOIN machines m ON m.id = s.machine WHERE m.machine_id = ?1 AND s.name ="
            " ?4) AND bucket_start_ms >= ?2 AND bucket_start_ms < ?3 AND (sum / count < ?5 OR"
            " sum / count > ?6)",
            machine);
        long n = 0;
        if (st) {
            sqlite3_bind_text(st, 4, cs->name, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 5, isfinite(cs->normal_lo) ? cs->normal_lo : -INFINITY);
            sqlite3_bind_double(st, 6, isfinite(cs->normal_hi) ? cs->normal_hi : INFINITY);
            if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (!n)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "sensor", cs->name);
        cJSON_AddNumberToObject(o, "minutes", (double)(n * 5));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static const char *column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int64_t column_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

/* One entry per recommendation (machine, fault, first recommended) with its latest judgement,
 * whether and by whom it was done. */
static cJSON *report_actions(struct report_db *r, const char *machine)
{
    cJSON *arr = cJSON_CreateArray();
    sqlite3_stmt *st = report_query(
        r,
        "SELECT a.fault, a.component, a.action, a.urgency, a.first_recommended_ms, a.due_ms,"
        " a.evidence, a.change, a.ts_ms, a.operator, a.host, a.sensor,"
        " (SELECT max(CASE urgency WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1"
        "  ELSE 0 END) FROM maint_actions b WHERE b.machine_id = a.machine_id AND b.fault = a.fault"
        "  AND b.first_recommended_ms = a.first_recommended_ms AND b.change != 'done')"
        " FROM maint_actions a WHERE a.machine_id = ?1 AND a.id = (SELECT max(c.id) FROM"
        " maint_actions c WHERE c.machine_id = a.machine_id AND c.fault = a.fault AND"
        " c.first_recommended_ms = a.first_recommended_ms)"
        " AND a.first_recommended_ms < ?3 AND a.ts_ms >= ?2 ORDER BY a.first_recommended_ms",
        machine);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        const char *change = column_text(st, 7);
        bool done = strcmp(change, "done") == 0;
        cJSON_AddStringToObject(o, "component", column_text(st, 1));
        cJSON_AddStringToObject(o, "action", column_text(st, 2));
        cJSON_AddStringToObject(o, "urgency", column_text(st, 3));
        cJSON_AddStringToObject(o, "highest_urgency",
                                maint_urgency_name(sqlite3_column_int(st, 12)));
        json_time(o, "first_recommended", column_time(st, 4));
        json_time(o, "due", column_time(st, 5));
        cJSON_AddStringToObject(o, "fault", column_text(st, 0));
        cJSON_AddStringToObject(o, "sensor", column_text(st, 11));
        cJSON_AddStringToObject(o, "state",
                                done                           ? "done"
                                : strcmp(change, "clear") == 0 ? "cleared"
                                                               : "open");
        if (done) {
            json_time(o, "done", column_time(st, 8));
            cJSON_AddStringToObject(o, "done_by", column_text(st, 9));
            cJSON_AddStringToObject(o, "done_from", column_text(st, 10));
            cJSON_AddStringToObject(o, "note", column_text(st, 6));
        } else {
            cJSON_AddStringToObject(o, "evidence", column_text(st, 6));
        }
        cJSON_AddItemToArray(arr, o);
    }
    sqlite3_finalize(st);
    return arr;
}

/* "water_out_c rose 2.6 °C ... : clean the fill before 2026-12-04 (critical)". */
static void report_recommend(cJSON *recs, const char *machine, const cJSON *actions)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, actions)
    {
        const char *state = cJSON_GetObjectItem(a, "state")->valuestring;
        if (strcmp(state, "open") != 0)
            continue;
        const cJSON *due = cJSON_GetObjectItem(a, "due");
        char text[512], by[64] = "now";
        if (strcmp(cJSON_GetObjectItem(a, "urgency")->valuestring, "critical") != 0)
            snprintf(by, sizeof by, "when it can be planned");
        if (cJSON_IsString(due))
            snprintf(by, sizeof by, "before %.16s UTC", due->valuestring);
        snprintf(text, sizeof text, "%s: %s; %s the %s %s (%s urgency).", machine,
                 cJSON_GetObjectItem(a, "evidence")->valuestring,
                 cJSON_GetObjectItem(a, "action")->valuestring,
                 cJSON_GetObjectItem(a, "component")->valuestring, by,
                 cJSON_GetObjectItem(a, "urgency")->valuestring);
        cJSON_AddItemToArray(recs, cJSON_CreateString(text));
    }
}

static cJSON *report_machine(struct report_db *r, const struct catalog *cat, const char *machine,
                             cJSON *recs)
{
    cJSON *m = cJSON_CreateObject();
    long minutes;
    cJSON_AddStringToObject(m, "machine_id", machine);
    cJSON_AddItemToObject(m, "availability_pct", report_availability(r, machine, &minutes));
    cJSON_AddNumberToObject(m, "minutes_recorded", (double)minutes);
    cJSON_AddItemToObject(m, "alarms", report_alarms(r, machine));
    cJSON_AddItemToObject(m, "anomalies", report_anomalies(r, machine));
    report_health(r, machine, m);
    int at = cat ? catalog_machine_find(cat, machine) : -1;
    cJSON_AddItemToObject(
        m, "sensors_outside_normal",
        report_outside(r, at >= 0 ? catalog_machine_at(cat, at)->type : NULL, machine));
    cJSON *actions = report_actions(r, machine);
    cJSON_AddItemToObject(m, "actions", actions);
    report_recommend(recs, machine, actions);
    return m;
}

/* ISA-18.2 figures over the period: the mean and the peak of new alarms per 10 minutes, the
 * share of 10-minute periods in flood. */
static cJSON *report_kpis(struct report_db *r, const char *machine)
{
    cJSON *o = cJSON_CreateObject();
    long periods = (long)((r->to - r->from + 599999) / 600000), flood = 0, peak = 0, total = 0;
    sqlite3_stmt *st = report_query(r,
                                    "SELECT (ts_ms - ?2) / 600000, count(*) FROM alarm_events"
                                    " WHERE change = 'raise' AND (?1 IS NULL OR machine_id = ?1)"
                                    " AND ts_ms >= ?2 AND ts_ms < ?3 GROUP BY 1",
                                    machine);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        long n = sqlite3_column_int64(st, 1);
        total += n;
        peak = n > peak ? n : peak;
        flood += n > REPORT_FLOOD_PER_10MIN;
    }
    sqlite3_finalize(st);
    cJSON_AddNumberToObject(o, "alarms_per_10min",
                            periods ? round(100.0 * total / periods) / 100 : 0);
    cJSON_AddNumberToObject(o, "peak_alarms_per_10min", (double)peak);
    cJSON_AddNumberToObject(o, "flood_pct", periods ? round(1000.0 * flood / periods) / 10 : 0);
    return o;
}

static int report_machines(struct report_db *r, const struct report_options *opt, cJSON *list,
                           cJSON *recs)
{
    sqlite3_stmt *st = report_query(r,
                                    "SELECT m.machine_id FROM machines m WHERE (?1 IS NULL OR"
                                    " m.machine_id = ?1) AND EXISTS (SELECT 1 FROM machine_status"
                                    " s WHERE s.machine_id = m.machine_id AND s.ts_ms >= ?2 AND"
                                    " s.ts_ms < ?3) ORDER BY 1",
                                    opt->machine_id && opt->machine_id[0] ? opt->machine_id : NULL);
    int n = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        char id[CATALOG_NAME_MAX];
        snprintf(id, sizeof id, "%s", column_text(st, 0));
        cJSON_AddItemToArray(list, report_machine(r, opt->cat, id, recs));
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

char *report_build_json(const struct report_options *opt, char *err, size_t errlen)
{
    struct report_db r;
    if (report_open(&r, opt->db_path, err, errlen) < 0)
        return NULL;
    r.from = opt->from_ms;
    r.to = opt->to_ms;
    cJSON *root = cJSON_CreateObject(), *period = cJSON_CreateObject();
    cJSON *plant = cJSON_CreateObject(), *list = cJSON_CreateArray(), *recs = cJSON_CreateArray();
    cJSON_AddItemToObject(root, "period", period);
    json_time(period, "from", r.from);
    json_time(period, "to", r.to);
    cJSON_AddItemToObject(root, "plant", plant);
    int n = report_machines(&r, opt, list, recs);
    long minutes;
    cJSON_AddNumberToObject(plant, "machines", n);
    const char *only = opt->machine_id && opt->machine_id[0] ? opt->machine_id : NULL;
    cJSON_AddItemToObject(plant, "availability_pct", report_availability(&r, NULL, &minutes));
    cJSON_AddItemToObject(plant, "alarms", report_alarms(&r, only));
    cJSON_AddItemToObject(plant, "alarm_kpis", report_kpis(&r, only));
    cJSON_AddItemToObject(plant, "anomalies", report_anomalies(&r, only));
    cJSON_AddItemToObject(root, "machines", list);
    cJSON_AddItemToObject(root, "recommendations", recs);
    char *text = NULL;
    if (!r.failed && opt->machine_id && opt->machine_id[0] && n == 0)
        snprintf(err, errlen, "--machine %s: no record of that machine in the period",
                 opt->machine_id);
    else if (!r.failed)
        text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    sqlite3_close(r.db);
    return text;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void md_number(FILE *out, double v, const char *unit)
{
    if (isfinite(v))
        fprintf(out, "%.1f%s", v, unit);
    else
        fprintf(out, "-");
}

static void md_availability(FILE *out, const cJSON *a)
{
    for (int i = 0; i < MAINT_STATUS_COUNT; i++)
        fprintf(out, "%s%s %.1f %%", i ? ", " : "", maint_status_name(i),
                num(a, maint_status_name(i)));
}

static void md_machine(FILE *out, const cJSON *m)
{
    const cJSON *al = cJSON_GetObjectItem(m, "alarms"),
                *by = cJSON_GetObjectItem(al, "by_priority");
    fprintf(out, "\n## %s\n\n- Availability: ", str(m, "machine_id"));
    md_availability(out, cJSON_GetObjectItem(m, "availability_pct"));
    fprintf(out, "\n- Alarms: %.0f (critical %.0f, high %.0f, medium %.0f, low %.0f)",
            num(al, "total"), num(by, "critical"), num(by, "high"), num(by, "medium"),
            num(by, "low"));
    const cJSON *c;
    int k = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(al, "top_conditions"))
        fprintf(out, "%s%s x%.0f", k++ ? ", " : "; top: ", str(c, "condition"), num(c, "count"));
    fprintf(out, "\n- Anomaly events: %.0f\n- Health: ",
            num(cJSON_GetObjectItem(m, "anomalies"), "total"));
    md_number(out, num(m, "health_start"), "");
    fprintf(out, " at start, ");
    md_number(out, num(m, "health_end"), "");
    fprintf(out, " at end (trend ");
    md_number(out, num(m, "health_trend_per_day"), "/day");
    fprintf(out, "); RUL now ");
    md_number(out, num(m, "rul_hours"), " h");
    fprintf(out, "\n");
    k = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "sensors_outside_normal"))
        fprintf(out, "%s%s %.0f min", k++ ? ", " : "- Outside the normal band: ", str(c, "sensor"),
                num(c, "minutes"));
    if (k)
        fprintf(out, "\n");
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "actions"))
    {
        fprintf(out, "- Action: %s %s, %s urgency, first recommended %s, due %s: %s",
                str(c, "action"), str(c, "component"), str(c, "urgency"),
                str(c, "first_recommended"), str(c, "due")[0] ? str(c, "due") : "-",
                str(c, "state"));
        if (strcmp(str(c, "state"), "done") == 0)
            fprintf(out, " %s by %s%s%s (\"%s\")", str(c, "done"), str(c, "done_by"),
                    str(c, "done_from")[0] ? " from " : "", str(c, "done_from"), str(c, "note"));
        fprintf(out, "\n");
    }
}

static void md_write(FILE *out, const cJSON *root)
{
    const cJSON *p = cJSON_GetObjectItem(root, "period"),
                *plant = cJSON_GetObjectItem(root, "plant");
    const cJSON *al = cJSON_GetObjectItem(plant, "alarms"),
                *by = cJSON_GetObjectItem(al, "by_priority");
    const cJSON *kpi = cJSON_GetObjectItem(plant, "alarm_kpis"), *x;
    fprintf(out, "# Maintenance report %s .. %s\n\n## Recommendations\n\n", str(p, "from"),
            str(p, "to"));
    int k = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(root, "recommendations"))
        fprintf(out, "%d. %s\n", ++k, x->valuestring);
    if (!k)
        fprintf(out, "Nothing to do: no machine drifts towards a fault.\n");
    fprintf(out, "\n## Plant (%.0f machines)\n\n- Availability: ", num(plant, "machines"));
    md_availability(out, cJSON_GetObjectItem(plant, "availability_pct"));
    fprintf(out,
            "\n- Alarms: %.0f (critical %.0f, high %.0f, medium %.0f, low %.0f); %.2f per 10 "
            "min, peak %.0f, %.1f %% of 10-min periods in flood\n",
            num(al, "total"), num(by, "critical"), num(by, "high"), num(by, "medium"),
            num(by, "low"), num(kpi, "alarms_per_10min"), num(kpi, "peak_alarms_per_10min"),
            num(kpi, "flood_pct"));
    k = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(al, "top_conditions"))
        fprintf(out, "%s%s %s x%.0f", k++ ? ", " : "- Top conditions: ", str(x, "machine_id"),
                str(x, "condition"), num(x, "count"));
    fprintf(out, "%s- Anomaly events: %.0f\n", k ? "\n" : "",
            num(cJSON_GetObjectItem(plant, "anomalies"), "total"));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(root, "machines")) md_machine(out, x);
}

static void csv_number(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, ",%g", v);
    else
        fprintf(out, ",");
}

/* One row per machine and one for the plant ("PLANT"). */
static void csv_row(FILE *out, const char *id, const cJSON *m)
{
    const cJSON *a = cJSON_GetObjectItem(m, "availability_pct"),
                *al = cJSON_GetObjectItem(m, "alarms");
    const cJSON *by = cJSON_GetObjectItem(al, "by_priority");
    fprintf(out, "%s", id);
    for (int i = 0; i < MAINT_STATUS_COUNT; i++)
        csv_number(out, num(a, maint_status_name(i)));
    csv_number(out, num(al, "total"));
    csv_number(out, num(by, "critical"));
    csv_number(out, num(by, "high"));
    csv_number(out, num(by, "medium"));
    csv_number(out, num(by, "low"));
    csv_number(out, num(cJSON_GetObjectItem(m, "anomalies"), "total"));
    csv_number(out, num(m, "health_start"));
    csv_number(out, num(m, "health_end"));
    csv_number(out, num(m, "rul_hours"));
    int open = 0, done = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(m, "actions"))
    {
        open += strcmp(str(c, "state"), "open") == 0;
        done += strcmp(str(c, "state"), "done") == 0;
    }
    fprintf(out, ",%d,%d\n", open, done);
}

static void csv_write(FILE *out, const cJSON *root)
{
    fprintf(out, "machine_id");
    for (int i = 0; i < MAINT_STATUS_COUNT; i++)
        fprintf(out, ",%s_pct", maint_status_name(i));
    fprintf(out, ",alarms,alarms_critical,alarms_high,alarms_medium,alarms_low,anomalies,"
                 "health_start,health_end,rul_hours,actions_open,actions_done\n");
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(root, "machines"))
        csv_row(out, str(m, "machine_id"), m);
    csv_row(out, "PLANT", cJSON_GetObjectItem(root, "plant"));
}

int report_write(FILE *out, const char *json, const char *format, char *err, size_t errlen)
{
    if (strcmp(format, "json") == 0) {
        fprintf(out, "%s\n", json);
        return 0;
    }
    if (strcmp(format, "md") != 0 && strcmp(format, "csv") != 0) {
        snprintf(err, errlen, "--format %s: expected md, json or csv", format);
        return -1;
    }
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsArray(cJSON_GetObjectItem(root, "machines"))) {
        cJSON_Delete(root);
        snprintf(err, errlen, "report: not a report document");
        return -1;
    }
    if (format[0] == 'm')
        md_write(out, root);
    else
        csv_write(out, root);
    cJSON_Delete(root);
    return 0;
}
