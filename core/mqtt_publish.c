// SPDX-License-Identifier: MIT
/* The MQTT publisher: telemetry, twin state, anomaly events and reports (alarms are
 * alarm_sync.c's). */
#include "mqtt_publish.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "alarm.h"
#include "mqtt_codec.h"
#include "queue.h"
#include "clock.h"
#include "json_escape.h"
#include "maint.h"
#include "report.h"
#include "sparkplug.h"

#define MQTT_PUBLISH_SAMPLE_QUEUE (1u << 16)
#define MQTT_PUBLISH_BATCH 4096
#define MQTT_PUBLISH_EVENTS_MAX 1024
#define MQTT_PUBLISH_BUF (64 * 1024)
/* A state that did not change is still repeated this often, so late joiners see it fresh. */
#define MQTT_PUBLISH_STATE_REFRESH_S 30

struct mqtt_publisher {
    char prefix[64];
    int qos;
    struct catalog *cat;
    struct engine *engine;
    struct mqtt *conn;
    struct queue *samples;
    bool telemetry;
    bool block_when_full; /* the sink waits for room: --speed max loses no telemetry */

    pthread_mutex_t ev_lock;
    struct event events[MQTT_PUBLISH_EVENTS_MAX];
    size_t ev_head, ev_count;
    _Atomic uint64_t ev_dropped;

    pthread_t thread;
    bool running;
    _Atomic bool stop;

    struct snapshot *snap;
    int cap;
    uint64_t *state_sig; /* per machine: signature of the last published state */
    double *state_wall;  /* when it was published */
    double *report_wall; /* when the last report went out, 0: never */
    double last_snapshot_wall;

    _Atomic uint64_t n_telemetry, n_states, n_anomalies, n_reports, n_refused;
    _Atomic uint64_t n_plans, n_daily;
    struct maint *maint;
    char report_db[1024];
    int64_t report_hour; /* plant hour of the last daily report publication; 0: none yet */

    /* Sparkplug B edge node; everything but spb_rebirth belongs to the publisher thread. */
    bool spb;
    char spb_group[64], spb_node[64];
    _Atomic uint64_t spb_bdseq; /* this session's: set by the network thread before connecting */
    bool spb_session;           /* a connection was attempted: the next one is a new session */
    uint8_t spb_seq;
    bool spb_node_born;
    int spb_slots;    /* machines the three arrays below hold: grown as machines appear */
    bool *spb_born;   /* per machine: DBIRTH sent in this birth */
    int64_t *spb_ts;  /* per machine and sensor: the time of the value in spb_last */
    double *spb_last; /* per machine and sensor (CATALOG_SENSORS_MAX each): last sent, NAN */
    _Atomic bool spb_rebirth;
    _Atomic uint64_t n_births, n_rebirth_requests;
    struct sample batch[MQTT_PUBLISH_BATCH];
    struct event ev_batch[64];
    char buf[MQTT_PUBLISH_BUF];
};

/* A topic level from a name: '/', '+' and '#' would change the topic's shape. */
static void mqtt_publish_level(const char *src, char *dst, size_t len)
{
    size_t i = 0;
    for (; src[i] && i + 1 < len; i++)
        dst[i] = (src[i] == '/' || src[i] == '+' || src[i] == '#') ? '_' : src[i];
    dst[i] = '\0';
}

/* Appends level src (sanitised, at most CATALOG_NAME_MAX - 1 bytes) and a '/' or the end. */
static size_t mqtt_publish_put_level(char *out, size_t off, size_t len, const char *src, bool last)
{
    size_t n = 0;
    for (; src[n] && n + 1 < CATALOG_NAME_MAX && off + 1 < len; n++, off++)
        out[off] = (src[n] == '/' || src[n] == '+' || src[n] == '#') ? '_' : src[n];
    if (!last && off + 1 < len)
        out[off++] = '/';
    out[off] = '\0';
    return off;
}

/* P/<type>/<id>/<leaf>, written without snprintf: it runs once per telemetry message. */
static void mqtt_publish_machine_topic(struct mqtt_publisher *p, int machine, const char *leaf,
                                       char *out, size_t len)
{
    const struct catalog_machine *m = catalog_machine_at(p->cat, machine);
    size_t plen = strnlen(p->prefix, sizeof p->prefix), off;
    if (len < plen + 2 * CATALOG_NAME_MAX + 16) {
        snprintf(out, len, "%s/", p->prefix); /* callers pass 300 bytes: not reached */
        return;
    }
    memcpy(out, p->prefix, plen);
    out[plen] = '/';
    off = mqtt_publish_put_level(out, plen + 1, len, m->type->name, false);
    off = mqtt_publish_put_level(out, off, len, m->id, false);
    mqtt_publish_put_level(out, off, len, leaf, true);
}

static bool mqtt_publish_loops_back(const struct mqtt_publish_options *opt)
{
    const struct mqtt_feed_options *feed = opt->feed;
    if (!feed || !feed->url || !feed->url[0])
        return false;
    char h1[256], h2[256], e[160];
    int p1, p2;
    bool t1, t2;
    if (mqtt_url_parse(feed->url, h1, sizeof h1, &p1, &t1, e, sizeof e) < 0 ||
        mqtt_url_parse(opt->url, h2, sizeof h2, &p2, &t2, e, sizeof e) < 0)
        return false;
    if (strcmp(h1, h2) != 0 || p1 != p2)
        return false;
    char probe[200];
    if (opt->sparkplug)
        snprintf(probe, sizeof probe, "spBv1.0/%s/DDATA/%s/some-id",
                 opt->sparkplug_group && opt->sparkplug_group[0] ? opt->sparkplug_group : "twintop",
                 opt->sparkplug_node && opt->sparkplug_node[0] ? opt->sparkplug_node : "demo");
    else
        snprintf(probe, sizeof probe, "%s/some-type/some-id/telemetry",
                 opt->topic_prefix ? opt->topic_prefix : "");
    if (feed->topic_count == 0)
        return mqtt_topic_matches("dt/+/+/telemetry", probe);
    for (int i = 0; i < feed->topic_count; i++)
        if (mqtt_topic_matches(feed->topics[i], probe))
            return true;
    return false;
}

static void mqtt_publish_spb_topic(const struct mqtt_publisher *p, const char *kind, int machine,
                                   char *out, size_t len)
{
    if (machine < 0) {
        snprintf(out, len, "spBv1.0/%s/%s/%s", p->spb_group, kind, p->spb_node);
        return;
    }
    char id[CATALOG_NAME_MAX];
    mqtt_publish_level(catalog_machine_at(p->cat, machine)->id, id, sizeof id);
    snprintf(out, len, "spBv1.0/%s/%s/%s/%s", p->spb_group, kind, p->spb_node, id);
}

/* Before every connection attempt, on the network thread: a new session's bdSeq (0 first, then
 * one more, modulo 256) in the NDEATH will, which the next NBIRTH repeats. */
static void mqtt_publish_spb_session(void *ctx, struct mqtt *conn)
{
    struct mqtt_publisher *p = ctx;
    uint64_t bdseq = p->spb_session ? (atomic_load(&p->spb_bdseq) + 1) % 256 : 0;
    p->spb_session = true;
    atomic_store(&p->spb_bdseq, bdseq);
    uint8_t death[64];
    char topic[200];
    int len = sparkplug_encode_node_death(bdseq, death, sizeof death);
    mqtt_publish_spb_topic(p, "NDEATH", -1, topic, sizeof topic);
    if (len >= 0) /* the same will was accepted at setup: only memory could fail it now */
        mqtt_set_will(conn, topic, death, (size_t)len, 1, false);
}

/* NCMD on the network thread: only a flag, the publisher thread rebirths. */
static void mqtt_publish_spb_command(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct mqtt_publisher *p = ctx;
    (void)topic;
    if (sparkplug_is_rebirth_request(payload, len)) {
        atomic_fetch_add(&p->n_rebirth_requests, 1);
        atomic_store(&p->spb_rebirth, true);
    }
}

/* Room in the per-machine Sparkplug arrays for machines [0, machines): grown by doubling, so a
 * large --max-machines costs nothing until the machines exist. Returns 0, or -1 out of memory
 * (the arrays stay as they were). */
static int mqtt_publish_spb_reserve(struct mqtt_publisher *p, int machines)
{
    if (machines <= p->spb_slots)
        return 0;
    int slots = p->spb_slots ? p->spb_slots : 1;
    while (slots < machines)
        slots *= 2;
    if (slots > p->cap)
        slots = p->cap > machines ? p->cap : machines;
    size_t old = (size_t)p->spb_slots, n = (size_t)slots;
    bool *born = realloc(p->spb_born, n * sizeof *born);
    if (born)
        p->spb_born = born;
    int64_t *ts = born ? realloc(p->spb_ts, n * CATALOG_SENSORS_MAX * sizeof *ts) : NULL;
    if (ts)
        p->spb_ts = ts;
    double *last = ts ? realloc(p->spb_last, n * CATALOG_SENSORS_MAX * sizeof *last) : NULL;
    if (!last)
        return -1;
    p->spb_last = last;
    memset(born + old, 0, (n - old) * sizeof *born);
    memset(ts + old * CATALOG_SENSORS_MAX, 0, (n - old) * CATALOG_SENSORS_MAX * sizeof *ts);
    for (size_t i = old * CATALOG_SENSORS_MAX; i < n * CATALOG_SENSORS_MAX; i++)
        last[i] = NAN;
    p->spb_slots = slots;
    return 0;
}

static int mqtt_publish_spb_setup(struct mqtt_publisher *p, const struct mqtt_publish_options *opt,
                                  char *err, size_t errlen)
{
    p->spb = true;
    mqtt_publish_level(opt->sparkplug_group && opt->sparkplug_group[0] ? opt->sparkplug_group
                                                                       : "twintop",
                       p->spb_group, sizeof p->spb_group);
    mqtt_publish_level(opt->sparkplug_node && opt->sparkplug_node[0] ? opt->sparkplug_node : "demo",
                       p->spb_node, sizeof p->spb_node);
    if (mqtt_publish_spb_reserve(p, 1) != 0) { /* grown as machines report */
        snprintf(err, errlen, "publisher: out of memory");
        return -1;
    }
    uint8_t death[64];
    int len = sparkplug_encode_node_death(0, death, sizeof death);
    char topic[200];
    mqtt_publish_spb_topic(p, "NDEATH", -1, topic, sizeof topic);
    if (len < 0 || mqtt_set_will(p->conn, topic, death, (size_t)len, 1, false) < 0) {
        snprintf(err, errlen, "publisher: cannot register the Sparkplug NDEATH will");
        return -1;
    }
    mqtt_set_before_connect(p->conn, mqtt_publish_spb_session, p); /* a bdSeq per session */
    mqtt_publish_spb_topic(p, "NCMD", -1, topic, sizeof topic);
    if (mqtt_subscribe(p->conn, topic, 1) < 0) {
        snprintf(err, errlen, "publisher: cannot subscribe %s", topic);
        return -1;
    }
    mqtt_set_handler(p->conn, mqtt_publish_spb_command, p);
    return 0;
}

struct mqtt_publisher *mqtt_publish_create(const struct mqtt_publish_options *opt,
                                           struct catalog *cat, struct engine *engine, char *err,
                                           size_t errlen)
{
    struct mqtt_publisher *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "publisher: out of memory");
        return NULL;
    }
    snprintf(p->prefix, sizeof p->prefix, "%s",
             opt->topic_prefix && opt->topic_prefix[0] ? opt->topic_prefix : "dt");
    p->qos = opt->qos;
    p->cat = cat;
    p->engine = engine;
    p->maint = opt->maint;
    snprintf(p->report_db, sizeof p->report_db, "%s", opt->report_db ? opt->report_db : "");
    p->telemetry = !mqtt_publish_loops_back(opt);
    p->block_when_full = opt->block_when_full;
    pthread_mutex_init(&p->ev_lock, NULL);
    p->cap = catalog_max_machines(cat);
    if (p->cap < catalog_machine_count(cat))
        p->cap = catalog_machine_count(cat);
    p->samples = queue_create(MQTT_PUBLISH_SAMPLE_QUEUE);
    p->snap = snapshot_create(p->cap);
    p->state_sig = calloc((size_t)p->cap, sizeof *p->state_sig);
    p->state_wall = calloc((size_t)p->cap, sizeof *p->state_wall);
    p->report_wall = calloc((size_t)p->cap, sizeof *p->report_wall);
    if (!p->samples || !p->snap || !p->state_sig || !p->state_wall || !p->report_wall) {
        snprintf(err, errlen, "publisher: out of memory");
        mqtt_publish_destroy(p);
        return NULL;
    }
    p->conn = mqtt_create(&opt->conn, opt->url, "pub", false, err, errlen);
    if (!p->conn) {
        mqtt_publish_destroy(p);
        return NULL;
    }
    if (opt->sparkplug && mqtt_publish_spb_setup(p, opt, err, errlen) < 0) {
        mqtt_publish_destroy(p);
        return NULL;
    }
    return p;
}

/* Live readings only: a historical one (store-and-forward) is history's, not telemetry. */
static void mqtt_publish_on_samples(void *ctx, const struct sample *s, size_t n)
{
    struct mqtt_publisher *p = ctx;
    /* Historical readings are history only. Waiting for room paces the engine, and through its
     * queue the simulator, to the publisher. */
    for (size_t a = 0; p->telemetry && a < n;) {
        size_t b = a;
        while (b < n && s[b].kind != SAMPLE_HISTORICAL)
            b++;
        if (b > a && (!p->block_when_full || queue_push_wait(p->samples, s + a, b - a) < 0))
            queue_push(p->samples, s + a, b - a); /* full: counted by the queue */
        a = b + 1;
    }
}

static void mqtt_publish_on_event(void *ctx, const struct event *ev)
{
    struct mqtt_publisher *p = ctx;
    if (ev->kind != EVENT_ANOMALY && ev->kind != EVENT_LIMIT &&
        !(ev->kind == EVENT_MAINT && p->maint))
        return;
    pthread_mutex_lock(&p->ev_lock);
    if (p->ev_count < MQTT_PUBLISH_EVENTS_MAX) {
        p->events[(p->ev_head + p->ev_count) % MQTT_PUBLISH_EVENTS_MAX] = *ev;
        p->ev_count++;
    } else {
        atomic_fetch_add(&p->ev_dropped, 1);
    }
    pthread_mutex_unlock(&p->ev_lock);
}

struct engine_sink mqtt_publish_sink(struct mqtt_publisher *p)
{
    struct engine_sink sink = {
        .ctx = p, .on_samples = mqtt_publish_on_samples, .on_event = mqtt_publish_on_event};
    return sink;
}

static void mqtt_publish_send(struct mqtt_publisher *p, const char *topic, const char *payload,
                              int len, bool retain, _Atomic uint64_t *counter)
{
    if (len < 0) {
        atomic_fetch_add(&p->n_refused, 1);
        return;
    }
    if (mqtt_publish(p->conn, topic, payload, (size_t)len, p->qos, retain) == 0)
        atomic_fetch_add(counter, 1);
    else
        atomic_fetch_add(&p->n_refused, 1);
}

/* Samples arrive in ticks (one machine, one time, contiguous): the end of the tick at s[i]. */
static size_t mqtt_publish_tick_end(const struct sample *s, size_t i, size_t n)
{
    size_t j = i + 1;
    while (j < n && s[j].machine == s[i].machine && s[j].ts_ms == s[i].ts_ms)
        j++;
    return j;
}

/* One JSON message per tick. */
static void mqtt_publish_telemetry(struct mqtt_publisher *p, const struct sample *s, size_t n)
{
    char topic[300];
    int machines = catalog_machine_count(p->cat);
    for (size_t i = 0; i < n;) {
        size_t j = mqtt_publish_tick_end(s, i, n);
        int m = (int)s[i].machine;
        if (m < machines) {
            int len = mqtt_codec_encode(p->cat, m, s[i].ts_ms, s + i, j - i, p->buf, sizeof p->buf);
            mqtt_publish_machine_topic(p, m, "telemetry", topic, sizeof topic);
            mqtt_publish_send(p, topic, p->buf, len, false, &p->n_telemetry);
        }
        i = j;
    }
}

static void mqtt_publish_spb_send(struct mqtt_publisher *p, const char *topic, int len,
                                  _Atomic uint64_t *counter)
{
    mqtt_publish_send(p, topic, p->buf, len, false, counter);
    p->spb_seq++; /* consecutive over every node message but NDEATH, wrapping at 256 */
}

static void mqtt_publish_spb_device_birth(struct mqtt_publisher *p, int m)
{
    char topic[300];
    mqtt_publish_spb_topic(p, "DBIRTH", m, topic, sizeof topic);
    int len =
        sparkplug_encode_device_birth(p->cat, m, p->spb_last + (size_t)m * CATALOG_SENSORS_MAX,
                                      p->spb_ts + (size_t)m * CATALOG_SENSORS_MAX, p->spb_seq,
                                      clock_wall_ms(), (uint8_t *)p->buf, sizeof p->buf);
    mqtt_publish_spb_send(p, topic, len, &p->n_births);
    p->spb_born[m] = true;
}

/* NBIRTH then a DBIRTH for every machine seen so far: on each connection and on NCMD rebirth. */
static void mqtt_publish_spb_birth(struct mqtt_publisher *p)
{
    char topic[300];
    mqtt_publish_spb_topic(p, "NBIRTH", -1, topic, sizeof topic);
    p->spb_seq = 0;
    int len = sparkplug_encode_node_birth(atomic_load(&p->spb_bdseq), clock_wall_ms(),
                                          (uint8_t *)p->buf, sizeof p->buf);
    mqtt_publish_spb_send(p, topic, len, &p->n_births);
    p->spb_node_born = true;
    int machines = catalog_machine_count(p->cat);
    for (int m = 0; m < machines && m < p->spb_slots; m++) {
        p->spb_born[m] = false;
        for (int s = 0; s < CATALOG_SENSORS_MAX; s++)
            if (p->spb_last[(size_t)m * CATALOG_SENSORS_MAX + (size_t)s] ==
                p->spb_last[(size_t)m * CATALOG_SENSORS_MAX + (size_t)s]) {
                mqtt_publish_spb_device_birth(p, m); /* only machines that have reported */
                break;
            }
    }
}

static void mqtt_publish_spb_node_death(struct mqtt_publisher *p)
{
    char topic[300];
    mqtt_publish_spb_topic(p, "NDEATH", -1, topic, sizeof topic);
    int len =
        sparkplug_encode_node_death(atomic_load(&p->spb_bdseq), (uint8_t *)p->buf, sizeof p->buf);
    mqtt_publish_send(p, topic, p->buf, len, false, &p->n_births);
}

/* Report by exception: a value goes out when it moved more than a tenth of its deadband. */
static size_t mqtt_publish_spb_filter(struct mqtt_publisher *p, int m, struct sample *s, size_t n)
{
    const struct catalog_type *t = catalog_machine_at(p->cat, m)->type;
    double *last = p->spb_last + (size_t)m * CATALOG_SENSORS_MAX;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int sensor = s[i].sensor;
        if (sensor >= CATALOG_SENSORS_MAX || sensor >= catalog_sensor_count(t))
            continue;
        if (s[i].kind == SAMPLE_VALUE) {
            double db =
                isfinite(t->sensors[sensor].deadband) ? t->sensors[sensor].deadband / 10 : 0;
            if (last[sensor] == last[sensor] && fabs(s[i].u.value - last[sensor]) <= db)
                continue;
            last[sensor] = s[i].u.value;
            p->spb_ts[(size_t)m * CATALOG_SENSORS_MAX + (size_t)sensor] = s[i].ts_ms;
        } else if (last[sensor] != last[sensor]) {
            last[sensor] = 0; /* a text channel: reported, so the machine has a birth */
        }
        s[k++] = s[i];
    }
    return k;
}

static void mqtt_publish_spb_telemetry(struct mqtt_publisher *p, struct sample *s, size_t n)
{
    if (!p->spb_node_born)
        return; /* not connected yet: the birth on connection carries the last values */
    char topic[300];
    int machines = catalog_machine_count(p->cat);
    for (size_t i = 0; i < n;) {
        size_t j = mqtt_publish_tick_end(s, i, n);
        int m = (int)s[i].machine;
        int64_t ts = s[i].ts_ms;
        bool room = m < machines && mqtt_publish_spb_reserve(p, m + 1) == 0;
        size_t k = room ? mqtt_publish_spb_filter(p, m, s + i, j - i) : 0; /* else: no memory */
        if (k > 0) {
            if (!p->spb_born[m])
                mqtt_publish_spb_device_birth(p, m);
            mqtt_publish_spb_topic(p, "DDATA", m, topic, sizeof topic);
            int len = sparkplug_encode_device_data(m, s + i, k, p->spb_seq, ts, (uint8_t *)p->buf,
                                                   sizeof p->buf);
            mqtt_publish_spb_send(p, topic, len, &p->n_telemetry);
        }
        i = j;
    }
}

static void mqtt_publish_put_num(struct json_out *o, double v)
{
    if (isfinite(v))
        json_out_printf(o, "%.6g", v);
    else
        json_out_printf(o, "null");
}

static void mqtt_publish_put_head(struct json_out *o, struct mqtt_publisher *p, int machine,
                                  int64_t ts)
{
    const struct catalog_machine *m = catalog_machine_at(p->cat, machine);
    char when[40];
    clock_format_iso8601(ts, when, sizeof when);
    json_out_printf(o, "{\"machine_id\":");
    json_out_string(o, m->id);
    json_out_printf(o, ",\"type\":");
    json_out_string(o, m->type->name);
    json_out_printf(o, ",\"ts\":\"%s\"", when);
}

static int mqtt_publish_event_json(struct mqtt_publisher *p, const struct event *ev)
{
    struct json_out o = {.buf = p->buf, .len = sizeof p->buf};
    mqtt_publish_put_head(&o, p, ev->machine, ev->ts_ms);
    json_out_printf(&o,
                    ",\"kind\":\"%s\",\"sensor\":", ev->kind == EVENT_LIMIT ? "limit" : "anomaly");
    json_out_string(&o, ev->sensor_name);
    json_out_printf(&o, ",\"detector\":");
    json_out_string(&o, ev->detector);
    json_out_printf(&o, ",\"value\":");
    mqtt_publish_put_num(&o, ev->value);
    json_out_printf(&o, ",\"score\":");
    mqtt_publish_put_num(&o, ev->score);
    json_out_printf(&o, ",\"state\":\"%s\",\"reason\":",
                    ev->kind == EVENT_LIMIT ? twin_state_name(ev->state) : "anomaly");
    json_out_string(&o, ev->reason);
    json_out_printf(&o, "}");
    return o.overflow ? -1 : (int)o.off;
}

/* The machine's whole plan, retained, so a late subscriber sees what is to do now. */
static void mqtt_publish_plan(struct mqtt_publisher *p, int machine, int64_t ts_ms)
{
    char *json = maint_plan_json(p->maint, machine, ts_ms);
    char topic[300], id[CATALOG_NAME_MAX];
    mqtt_publish_level(catalog_machine_at(p->cat, machine)->id, id, sizeof id);
    snprintf(topic, sizeof topic, "%s/maintenance/%s", p->prefix, id);
    mqtt_publish_send(p, topic, json, json ? (int)strlen(json) : -1, true, &p->n_plans);
    free(json);
}

static void mqtt_publish_day_report(struct mqtt_publisher *p, int64_t day, int64_t to_ms)
{
    struct report_options o = {
        .db_path = p->report_db, .from_ms = day, .to_ms = to_ms, .cat = p->cat};
    char err[256], date[32], topic[300];
    char *json = report_build_json(&o, err, sizeof err);
    clock_format_iso8601(day, date, sizeof date);
    snprintf(topic, sizeof topic, "%s/reports/daily/%.10s", p->prefix, date);
    mqtt_publish_send(p, topic, json, json ? (int)strlen(json) : -1, true, &p->n_daily);
    free(json);
}

/* The plant day's maintenance report from the history file, retained: the day so far once a
 * plant hour and when the publisher stops (final: the recorder has flushed by then), the whole
 * day once it is over. */
static void mqtt_publish_daily(struct mqtt_publisher *p, int64_t plant_ms, bool final)
{
    const int64_t day_ms = 86400000, hour_ms = 3600000;
    int64_t hour = plant_ms - plant_ms % hour_ms, day = plant_ms - plant_ms % day_ms;
    if (!p->report_db[0] || plant_ms <= 0)
        return;
    if (final) {
        mqtt_publish_day_report(p, day, plant_ms + 1);
        return;
    }
    if (hour <= p->report_hour)
        return;
    if (p->report_hour && p->report_hour - p->report_hour % day_ms < day)
        mqtt_publish_day_report(p, p->report_hour - p->report_hour % day_ms, day);
    if (p->report_hour)
        mqtt_publish_day_report(p, day, hour);
    p->report_hour = hour;
}

static void mqtt_publish_events(struct mqtt_publisher *p)
{
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&p->ev_lock);
        while (p->ev_count > 0 && n < sizeof p->ev_batch / sizeof *p->ev_batch) {
            p->ev_batch[n++] = p->events[p->ev_head];
            p->ev_head = (p->ev_head + 1) % MQTT_PUBLISH_EVENTS_MAX;
            p->ev_count--;
        }
        pthread_mutex_unlock(&p->ev_lock);
        if (n == 0)
            return;
        char topic[300];
        for (size_t i = 0; i < n; i++) {
            const struct event *ev = &p->ev_batch[i];
            if (ev->machine < 0 || ev->machine >= catalog_machine_count(p->cat))
                continue;
            if (ev->kind == EVENT_MAINT) {
                mqtt_publish_plan(p, ev->machine, ev->ts_ms);
                continue;
            }
            mqtt_publish_machine_topic(p, ev->machine, "anomaly", topic, sizeof topic);
            mqtt_publish_send(p, topic, p->buf, mqtt_publish_event_json(p, ev), false,
                              &p->n_anomalies);
        }
    }
}

static uint64_t mqtt_publish_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The state body without its time, so that an unchanged state has an unchanged signature. */
static void mqtt_publish_state_body(struct json_out *o, const struct snapshot_machine *sm)
{
    json_out_printf(o, ",\"status\":\"%s\",\"health\":", twin_state_name(sm->state));
    mqtt_publish_put_num(o, sm->health);
    json_out_printf(o, ",\"rul_hours\":");
    mqtt_publish_put_num(o, sm->rul_hours);
    json_out_printf(o, ",\"rul_confidence\":%.2f,\"anomaly\":%.2f,\"detector\":",
                    isfinite(sm->rul_confidence) ? sm->rul_confidence : 0.0,
                    isfinite(sm->anomaly) ? sm->anomaly : 0.0);
    json_out_string(o, sm->detector);
    json_out_printf(o, ",\"reason\":");
    json_out_string(o, sm->reason);
    json_out_printf(o, ",\"alarms_raised\":%llu}", (unsigned long long)sm->alarms_raised);
}

static void mqtt_publish_state(struct mqtt_publisher *p, int i, const struct snapshot_machine *sm,
                               double now)
{
    char body[1024];
    struct json_out b = {.buf = body, .len = sizeof body};
    mqtt_publish_state_body(&b, sm);
    if (b.overflow)
        return;
    uint64_t sig = mqtt_publish_hash(body, b.off);
    if (sig == p->state_sig[i] && now - p->state_wall[i] < MQTT_PUBLISH_STATE_REFRESH_S)
        return;
    struct json_out o = {.buf = p->buf, .len = sizeof p->buf};
    mqtt_publish_put_head(&o, p, i, sm->last_ts_ms);
    json_out_printf(&o, "%s", body);
    char topic[300];
    mqtt_publish_machine_topic(p, i, "state", topic, sizeof topic);
    uint64_t before = atomic_load(&p->n_states);
    mqtt_publish_send(p, topic, p->buf, o.overflow ? -1 : (int)o.off, true, &p->n_states);
    if (atomic_load(&p->n_states) != before) {
        p->state_sig[i] = sig;
        p->state_wall[i] = now;
    }
}

static void mqtt_publish_report(struct mqtt_publisher *p, int i, const struct snapshot_machine *sm,
                                double now)
{
    if (p->report_wall[i] > 0 && now - p->report_wall[i] < MQTT_PUBLISH_REPORT_PERIOD_S)
        return;
    const struct catalog_type *t = catalog_machine_at(p->cat, i)->type;
    struct json_out o = {.buf = p->buf, .len = sizeof p->buf};
    mqtt_publish_put_head(&o, p, i, sm->last_ts_ms);
    json_out_printf(&o, ",\"period_s\":%d,\"samples\":%llu,\"status\":\"%s\",\"health\":",
                    MQTT_PUBLISH_REPORT_PERIOD_S, (unsigned long long)sm->samples,
                    twin_state_name(sm->state));
    mqtt_publish_put_num(&o, sm->health);
    json_out_printf(&o, ",\"rul_hours\":");
    mqtt_publish_put_num(&o, sm->rul_hours);
    json_out_printf(&o, ",\"alarms_raised\":%llu,\"sensors\":{",
                    (unsigned long long)sm->alarms_raised);
    int n = sm->sensor_count < catalog_sensor_count(t) ? sm->sensor_count : catalog_sensor_count(t);
    bool first = true;
    for (int s = 0; s < n; s++) {
        const struct snapshot_sensor *ss = &sm->sensors[s];
        if (ss->ts_ms == 0)
            continue;
        json_out_printf(&o, "%s", first ? "" : ",");
        first = false;
        json_out_string(&o, t->sensors[s].name);
        if (t->sensors[s].is_text) {
            char text[SAMPLE_TEXT_MAX];
            memcpy(text, ss->text, sizeof text);
            text[SAMPLE_TEXT_MAX - 1] = '\0';
            json_out_printf(&o, ":{\"text\":");
            json_out_string(&o, text);
            json_out_printf(&o, "}");
            continue;
        }
        json_out_printf(&o, ":{\"unit\":");
        json_out_string(&o, t->sensors[s].unit);
        json_out_printf(&o, ",\"last\":");
        mqtt_publish_put_num(&o, ss->value);
        json_out_printf(&o, ",\"mean\":");
        mqtt_publish_put_num(&o, ss->mean);
        json_out_printf(&o, ",\"stddev\":");
        mqtt_publish_put_num(&o, ss->stddev);
        json_out_printf(&o, ",\"min\":");
        mqtt_publish_put_num(&o, ss->min);
        json_out_printf(&o, ",\"max\":");
        mqtt_publish_put_num(&o, ss->max);
        json_out_printf(&o, ",\"state\":\"%s\",\"anomaly\":%.2f}", twin_state_name(ss->state),
                        isfinite(ss->anomaly) ? ss->anomaly : 0.0);
    }
    json_out_printf(&o, "}}");
    char id[CATALOG_NAME_MAX], topic[300];
    mqtt_publish_level(catalog_machine_at(p->cat, i)->id, id, sizeof id);
    snprintf(topic, sizeof topic, "%s/reports/%s", p->prefix, id);
    uint64_t before = atomic_load(&p->n_reports);
    mqtt_publish_send(p, topic, p->buf, o.overflow ? -1 : (int)o.off, true, &p->n_reports);
    if (atomic_load(&p->n_reports) != before)
        p->report_wall[i] = now;
}

static void mqtt_publish_snapshot(struct mqtt_publisher *p, double now, bool final)
{
    engine_snapshot(p->engine, p->snap);
    mqtt_publish_daily(p, p->snap->sim_time_ms, final);
    int n = p->snap->machine_count < p->cap ? p->snap->machine_count : p->cap;
    for (int i = 0; i < n; i++) {
        const struct snapshot_machine *sm = &p->snap->machines[i];
        if (sm->samples == 0)
            continue; /* nothing known yet: no state to claim */
        mqtt_publish_state(p, i, sm, now);
        mqtt_publish_report(p, i, sm, now);
    }
}

static void *mqtt_publish_thread(void *arg)
{
    struct mqtt_publisher *p = arg;
    uint64_t connects = 0;
    for (;;) {
        bool stopping = atomic_load(&p->stop);
        size_t n = queue_pop(p->samples, p->batch, MQTT_PUBLISH_BATCH, stopping ? 0 : 100);
        if (n && p->spb)
            mqtt_publish_spb_telemetry(p, p->batch, n);
        else if (n)
            mqtt_publish_telemetry(p, p->batch, n);
        mqtt_publish_events(p);
        struct mqtt_status st;
        mqtt_get_status(p->conn, &st);
        if (st.connects != connects && st.state == MQTT_CONNECTED) {
            /* A new connection: the retained state may be stale on the broker, repeat it. */
            connects = st.connects;
            memset(p->state_sig, 0, (size_t)p->cap * sizeof *p->state_sig);
            if (p->spb)
                atomic_store(&p->spb_rebirth, true);
        }
        if (p->spb && st.state == MQTT_CONNECTED && atomic_exchange(&p->spb_rebirth, false))
            mqtt_publish_spb_birth(p);
        double now = clock_monotonic_s();
        if (now - p->last_snapshot_wall >= 1.0 || (stopping && n == 0)) {
            p->last_snapshot_wall = now;
            mqtt_publish_snapshot(p, now, stopping && n == 0);
        }
        if (stopping && n == 0)
            break;
    }
    if (p->spb && p->spb_node_born)
        mqtt_publish_spb_node_death(p); /* a clean stop: the will is not sent */
    return NULL;
}

int mqtt_publish_start(struct mqtt_publisher *p, char *err, size_t errlen)
{
    if (mqtt_start(p->conn, err, errlen) < 0)
        return -1;
    atomic_store(&p->stop, false);
    if (pthread_create(&p->thread, NULL, mqtt_publish_thread, p) != 0) {
        snprintf(err, errlen, "cannot start the publisher thread");
        return -1;
    }
    p->running = true;
    return 0;
}

void mqtt_publish_stop(struct mqtt_publisher *p)
{
    if (!p || !p->running)
        return;
    atomic_store(&p->stop, true);
    queue_close(p->samples); /* a sink waiting for room gives up; what is queued still goes */
    pthread_join(p->thread, NULL);
    p->running = false;
    mqtt_stop(p->conn);
}

void mqtt_publish_destroy(struct mqtt_publisher *p)
{
    if (!p)
        return;
    mqtt_publish_stop(p);
    mqtt_destroy(p->conn);
    queue_destroy(p->samples);
    snapshot_free(p->snap);
    free(p->state_sig);
    free(p->state_wall);
    free(p->report_wall);
    free(p->spb_born);
    free(p->spb_ts);
    free(p->spb_last);
    pthread_mutex_destroy(&p->ev_lock);
    free(p);
}

struct mqtt *mqtt_publish_connection(struct mqtt_publisher *p)
{
    return p->conn;
}

bool mqtt_publish_telemetry_enabled(const struct mqtt_publisher *p)
{
    return p->telemetry;
}

void mqtt_publish_get_stats(struct mqtt_publisher *p, struct mqtt_publish_stats *out)
{
    out->telemetry = atomic_load(&p->n_telemetry);
    out->states = atomic_load(&p->n_states);
    out->anomalies = atomic_load(&p->n_anomalies);
    out->reports = atomic_load(&p->n_reports);
    out->plans = atomic_load(&p->n_plans);
    out->daily_reports = atomic_load(&p->n_daily);
    out->dropped =
        atomic_load(&p->n_refused) + atomic_load(&p->ev_dropped) + queue_drops(p->samples);
}

void mqtt_publish_headless_json(void *publisher, char *out, size_t len)
{
    struct mqtt_publisher *p = publisher;
    struct mqtt_publish_stats ps;
    struct mqtt_status st;
    mqtt_publish_get_stats(p, &ps);
    mqtt_get_status(p->conn, &st);
    snprintf(out, len,
             ",\"publish\":{\"state\":\"%s\",\"attempt\":%d,\"telemetry_enabled\":%s,"
             "\"telemetry\":%llu,\"states\":%llu,\"anomalies\":%llu,\"reports\":%llu,"
             "\"dropped\":%llu,\"format\":\"%s\",\"births\":%llu,\"rebirth_requests\":%llu,"
             "\"plans\":%llu,\"daily_reports\":%llu}",
             mqtt_state_name(st.state), st.attempt, p->telemetry ? "true" : "false",
             (unsigned long long)ps.telemetry, (unsigned long long)ps.states,
             (unsigned long long)ps.anomalies, (unsigned long long)ps.reports,
             (unsigned long long)ps.dropped, p->spb ? "sparkplug" : "json",
             (unsigned long long)atomic_load(&p->n_births),
             (unsigned long long)atomic_load(&p->n_rebirth_requests), (unsigned long long)ps.plans,
             (unsigned long long)ps.daily_reports);
}
