// SPDX-License-Identifier: MIT
/* The MQTT publisher (telemetry, twin state, events, alarms) and the shared alarm list across consoles. */
#include "publish.h"

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

#define PUBLISH_SAMPLE_QUEUE (1u << 16)
#define PUBLISH_BATCH 4096
#define PUBLISH_EVENTS_MAX 1024
#define PUBLISH_BUF (64 * 1024)
/* A state that did not change is still repeated this often, so late joiners see it fresh. */
#define PUBLISH_STATE_REFRESH_S 30

struct publisher {
    char prefix[64];
    int qos;
    struct catalog *cat;
    struct engine *engine;
    struct mqtt *conn;
    struct queue *samples;
    bool telemetry;

    pthread_mutex_t ev_lock;
    struct event events[PUBLISH_EVENTS_MAX];
    size_t ev_head, ev_count;
    _Atomic uint64_t ev_dropped;

    pthread_t thread;
    bool running;
    _Atomic bool stop;

    struct snapshot *snap;
    int cap;
    uint64_t *state_sig;   /* per machine: signature of the last published state */
    double *state_wall;    /* when it was published */
    double *report_wall;   /* when the last report went out, 0: never */
    double last_snapshot_wall;

    _Atomic uint64_t n_telemetry, n_states, n_anomalies, n_reports, n_refused;
    struct sample batch[PUBLISH_BATCH];
    struct event ev_batch[64];
    char buf[PUBLISH_BUF];
};


/* A topic level from a name: '/', '+' and '#' would change the topic's shape. */
static void publish_level(const char *src, char *dst, size_t len)
{
    size_t i = 0;
    for (; src[i] && i + 1 < len; i++)
        dst[i] = (src[i] == '/' || src[i] == '+' || src[i] == '#') ? '_' : src[i];
    dst[i] = '\0';
}

static void publish_machine_topic(struct publisher *p, int machine, const char *leaf, char *out,
                                  size_t len)
{
    const struct catalog_machine *m = catalog_machine_at(p->cat, machine);
    char type[CATALOG_NAME_MAX], id[CATALOG_NAME_MAX];
    publish_level(m->type->name, type, sizeof type);
    publish_level(m->id, id, sizeof id);
    snprintf(out, len, "%s/%s/%s/%s", p->prefix, type, id, leaf);
}

static bool publish_loops_back(const struct config *cfg)
{
    if (!cfg->mqtt_url[0])
        return false;
    char h1[256], h2[256], e[160];
    int p1, p2;
    bool t1, t2;
    if (mqtt_url_parse(cfg->mqtt_url, h1, sizeof h1, &p1, &t1, e, sizeof e) < 0 ||
        mqtt_url_parse(cfg->publish_url, h2, sizeof h2, &p2, &t2, e, sizeof e) < 0)
        return false;
    if (strcmp(h1, h2) != 0 || p1 != p2)
        return false;
    char probe[200];
    snprintf(probe, sizeof probe, "%s/some-type/some-id/telemetry", cfg->topic_prefix);
    if (cfg->topic_count == 0)
        return mqtt_topic_matches("dt/+/+/telemetry", probe);
    for (int i = 0; i < cfg->topic_count; i++)
        if (mqtt_topic_matches(cfg->topics[i], probe))
            return true;
    return false;
}

struct publisher *publish_create(const struct config *cfg, struct catalog *cat,
                                 struct engine *engine, char *err, size_t errlen)
{
    struct publisher *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "publisher: out of memory");
        return NULL;
    }
    snprintf(p->prefix, sizeof p->prefix, "%s", cfg->topic_prefix[0] ? cfg->topic_prefix : "dt");
    p->qos = cfg->qos;
    p->cat = cat;
    p->engine = engine;
    p->telemetry = !publish_loops_back(cfg);
    pthread_mutex_init(&p->ev_lock, NULL);
    p->cap = catalog_max_machines(cat);
    if (p->cap < catalog_machine_count(cat))
        p->cap = catalog_machine_count(cat);
    p->samples = queue_create(PUBLISH_SAMPLE_QUEUE);
    p->snap = snapshot_create(p->cap);
    p->state_sig = calloc((size_t)p->cap, sizeof *p->state_sig);
    p->state_wall = calloc((size_t)p->cap, sizeof *p->state_wall);
    p->report_wall = calloc((size_t)p->cap, sizeof *p->report_wall);
    if (!p->samples || !p->snap || !p->state_sig || !p->state_wall || !p->report_wall) {
        snprintf(err, errlen, "publisher: out of memory");
        publish_destroy(p);
        return NULL;
    }
    p->conn = mqtt_create(cfg, cfg->publish_url, "pub", false, err, errlen);
    if (!p->conn) {
        publish_destroy(p);
        return NULL;
    }
    return p;
}

static void publish_on_samples(void *ctx, const struct sample *s, size_t n)
{
    struct publisher *p = ctx;
    if (p->telemetry)
        queue_push(p->samples, s, n); /* full: counted by the queue */
}

static void publish_on_event(void *ctx, const struct event *ev)
{
    struct publisher *p = ctx;
    if (ev->kind != EVENT_ANOMALY && ev->kind != EVENT_LIMIT)
        return;
    pthread_mutex_lock(&p->ev_lock);
    if (p->ev_count < PUBLISH_EVENTS_MAX) {
        p->events[(p->ev_head + p->ev_count) % PUBLISH_EVENTS_MAX] = *ev;
        p->ev_count++;
    } else {
        atomic_fetch_add(&p->ev_dropped, 1);
    }
    pthread_mutex_unlock(&p->ev_lock);
}

struct engine_sink publish_sink(struct publisher *p)
{
    struct engine_sink sink = {.ctx = p, .on_samples = publish_on_samples,
                               .on_event = publish_on_event};
    return sink;
}

static void publish_send(struct publisher *p, const char *topic, const char *payload, int len,
                         bool retain, _Atomic uint64_t *counter)
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

/* Samples arrive in ticks (one machine, one time, contiguous): one message per tick. */
static void publish_telemetry(struct publisher *p, const struct sample *s, size_t n)
{
    char topic[300];
    int machines = catalog_machine_count(p->cat);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && s[j].machine == s[i].machine && s[j].ts_ms == s[i].ts_ms)
            j++;
        int m = (int)s[i].machine;
        if (m < machines) {
            int len = codec_encode(p->cat, m, s[i].ts_ms, s + i, j - i, p->buf, sizeof p->buf);
            publish_machine_topic(p, m, "telemetry", topic, sizeof topic);
            publish_send(p, topic, p->buf, len, false, &p->n_telemetry);
        }
        i = j;
    }
}

struct publish_out {
    char *buf;
    size_t len, off;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void publish_put(struct publish_out *o,
                                                              const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= o->len - o->off)
        o->overflow = true;
    else
        o->off += (size_t)w;
}

static void publish_put_str(struct publish_out *o, const char *s)
{
    if (!o->overflow && json_append_string(o->buf, o->len, &o->off, s) != 0)
        o->overflow = true;
}

static void publish_put_num(struct publish_out *o, double v)
{
    if (isfinite(v))
        publish_put(o, "%.6g", v);
    else
        publish_put(o, "null");
}

static void publish_put_head(struct publish_out *o, struct publisher *p, int machine, int64_t ts)
{
    const struct catalog_machine *m = catalog_machine_at(p->cat, machine);
    char when[40];
    clock_format_iso8601(ts, when, sizeof when);
    publish_put(o, "{\"machine_id\":");
    publish_put_str(o, m->id);
    publish_put(o, ",\"type\":");
    publish_put_str(o, m->type->name);
    publish_put(o, ",\"ts\":\"%s\"", when);
}

static int publish_event_json(struct publisher *p, const struct event *ev)
{
    struct publish_out o = {.buf = p->buf, .len = sizeof p->buf};
    publish_put_head(&o, p, ev->machine, ev->ts_ms);
    publish_put(&o, ",\"kind\":\"%s\",\"sensor\":", ev->kind == EVENT_LIMIT ? "limit" : "anomaly");
    publish_put_str(&o, ev->sensor_name);
    publish_put(&o, ",\"detector\":");
    publish_put_str(&o, ev->detector);
    publish_put(&o, ",\"value\":");
    publish_put_num(&o, ev->value);
    publish_put(&o, ",\"score\":");
    publish_put_num(&o, ev->score);
    publish_put(&o, ",\"state\":\"%s\",\"reason\":",
                ev->kind == EVENT_LIMIT ? twin_state_name(ev->state) : "anomaly");
    publish_put_str(&o, ev->reason);
    publish_put(&o, "}");
    return o.overflow ? -1 : (int)o.off;
}

static void publish_events(struct publisher *p)
{
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&p->ev_lock);
        while (p->ev_count > 0 && n < sizeof p->ev_batch / sizeof *p->ev_batch) {
            p->ev_batch[n++] = p->events[p->ev_head];
            p->ev_head = (p->ev_head + 1) % PUBLISH_EVENTS_MAX;
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
            publish_machine_topic(p, ev->machine, "anomaly", topic, sizeof topic);
            publish_send(p, topic, p->buf, publish_event_json(p, ev), false, &p->n_anomalies);
        }
    }
}

static uint64_t publish_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The state body without its time, so that an unchanged state has an unchanged signature. */
static void publish_state_body(struct publish_out *o, const struct snapshot_machine *sm)
{
    publish_put(o, ",\"status\":\"%s\",\"health\":", twin_state_name(sm->state));
    publish_put_num(o, sm->health);
    publish_put(o, ",\"rul_hours\":");
    publish_put_num(o, sm->rul_hours);
    publish_put(o, ",\"rul_confidence\":%.2f,\"anomaly\":%.2f,\"detector\":",
                isfinite(sm->rul_confidence) ? sm->rul_confidence : 0.0,
                isfinite(sm->anomaly) ? sm->anomaly : 0.0);
    publish_put_str(o, sm->detector);
    publish_put(o, ",\"reason\":");
    publish_put_str(o, sm->reason);
    publish_put(o, ",\"alarms_raised\":%llu}", (unsigned long long)sm->alarms_raised);
}

static void publish_state(struct publisher *p, int i, const struct snapshot_machine *sm, double now)
{
    char body[1024];
    struct publish_out b = {.buf = body, .len = sizeof body};
    publish_state_body(&b, sm);
    if (b.overflow)
        return;
    uint64_t sig = publish_hash(body, b.off);
    if (sig == p->state_sig[i] && now - p->state_wall[i] < PUBLISH_STATE_REFRESH_S)
        return;
    struct publish_out o = {.buf = p->buf, .len = sizeof p->buf};
    publish_put_head(&o, p, i, sm->last_ts_ms);
    publish_put(&o, "%s", body);
    char topic[300];
    publish_machine_topic(p, i, "state", topic, sizeof topic);
    uint64_t before = atomic_load(&p->n_states);
    publish_send(p, topic, p->buf, o.overflow ? -1 : (int)o.off, true, &p->n_states);
    if (atomic_load(&p->n_states) != before) {
        p->state_sig[i] = sig;
        p->state_wall[i] = now;
    }
}

static void publish_report(struct publisher *p, int i, const struct snapshot_machine *sm,
                           double now)
{
    if (p->report_wall[i] > 0 && now - p->report_wall[i] < PUBLISH_REPORT_PERIOD_S)
        return;
    const struct catalog_type *t = catalog_machine_at(p->cat, i)->type;
    struct publish_out o = {.buf = p->buf, .len = sizeof p->buf};
    publish_put_head(&o, p, i, sm->last_ts_ms);
    publish_put(&o, ",\"period_s\":%d,\"samples\":%llu,\"status\":\"%s\",\"health\":",
                PUBLISH_REPORT_PERIOD_S, (unsigned long long)sm->samples,
                twin_state_name(sm->state));
    publish_put_num(&o, sm->health);
    publish_put(&o, ",\"rul_hours\":");
    publish_put_num(&o, sm->rul_hours);
    publish_put(&o, ",\"alarms_raised\":%llu,\"sensors\":{", (unsigned long long)sm->alarms_raised);
    int n = sm->sensor_count < catalog_sensor_count(t) ? sm->sensor_count : catalog_sensor_count(t);
    bool first = true;
    for (int s = 0; s < n; s++) {
        const struct snapshot_sensor *ss = &sm->sensors[s];
        if (ss->ts_ms == 0)
            continue;
        publish_put(&o, "%s", first ? "" : ",");
        first = false;
        publish_put_str(&o, t->sensors[s].name);
        if (t->sensors[s].is_text) {
            char text[SAMPLE_TEXT_MAX];
            memcpy(text, ss->text, sizeof text);
            text[SAMPLE_TEXT_MAX - 1] = '\0';
            publish_put(&o, ":{\"text\":");
            publish_put_str(&o, text);
            publish_put(&o, "}");
            continue;
        }
        publish_put(&o, ":{\"unit\":");
        publish_put_str(&o, t->sensors[s].unit);
        publish_put(&o, ",\"last\":");
        publish_put_num(&o, ss->value);
        publish_put(&o, ",\"mean\":");
        publish_put_num(&o, ss->mean);
        publish_put(&o, ",\"stddev\":");
        publish_put_num(&o, ss->stddev);
        publish_put(&o, ",\"min\":");
        publish_put_num(&o, ss->min);
        publish_put(&o, ",\"max\":");
        publish_put_num(&o, ss->max);
        publish_put(&o, ",\"state\":\"%s\",\"anomaly\":%.2f}", twin_state_name(ss->state),
                    isfinite(ss->anomaly) ? ss->anomaly : 0.0);
    }
    publish_put(&o, "}}");
    char id[CATALOG_NAME_MAX], topic[300];
    publish_level(catalog_machine_at(p->cat, i)->id, id, sizeof id);
    snprintf(topic, sizeof topic, "%s/reports/%s", p->prefix, id);
    uint64_t before = atomic_load(&p->n_reports);
    publish_send(p, topic, p->buf, o.overflow ? -1 : (int)o.off, true, &p->n_reports);
    if (atomic_load(&p->n_reports) != before)
        p->report_wall[i] = now;
}

static void publish_snapshot(struct publisher *p, double now)
{
    engine_snapshot(p->engine, p->snap);
    int n = p->snap->machine_count < p->cap ? p->snap->machine_count : p->cap;
    for (int i = 0; i < n; i++) {
        const struct snapshot_machine *sm = &p->snap->machines[i];
        if (sm->samples == 0)
            continue; /* nothing known yet: no state to claim */
        publish_state(p, i, sm, now);
        publish_report(p, i, sm, now);
    }
}

static void *publish_thread(void *arg)
{
    struct publisher *p = arg;
    uint64_t connects = 0;
    for (;;) {
        bool stopping = atomic_load(&p->stop);
        size_t n = queue_pop(p->samples, p->batch, PUBLISH_BATCH, stopping ? 0 : 100);
        if (n)
            publish_telemetry(p, p->batch, n);
        publish_events(p);
        struct mqtt_status st;
        mqtt_get_status(p->conn, &st);
        if (st.connects != connects && st.state == MQTT_CONNECTED) {
            /* A new connection: the retained state may be stale on the broker, repeat it. */
            connects = st.connects;
            memset(p->state_sig, 0, (size_t)p->cap * sizeof *p->state_sig);
        }
        double now = clock_monotonic_s();
        if (now - p->last_snapshot_wall >= 1.0 || (stopping && n == 0)) {
            p->last_snapshot_wall = now;
            publish_snapshot(p, now);
        }
        if (stopping && n == 0)
            break;
    }
    return NULL;
}

int publish_start(struct publisher *p, char *err, size_t errlen)
{
    if (mqtt_start(p->conn, err, errlen) < 0)
        return -1;
    atomic_store(&p->stop, false);
    if (pthread_create(&p->thread, NULL, publish_thread, p) != 0) {
        snprintf(err, errlen, "cannot start the publisher thread");
        return -1;
    }
    p->running = true;
    return 0;
}

void publish_stop(struct publisher *p)
{
    if (!p || !p->running)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    p->running = false;
    mqtt_stop(p->conn);
}

void publish_destroy(struct publisher *p)
{
    if (!p)
        return;
    publish_stop(p);
    mqtt_destroy(p->conn);
    queue_destroy(p->samples);
    snapshot_free(p->snap);
    free(p->state_sig);
    free(p->state_wall);
    free(p->report_wall);
    pthread_mutex_destroy(&p->ev_lock);
    free(p);
}

struct mqtt *publish_connection(struct publisher *p)
{
    return p->conn;
}

bool publish_telemetry_enabled(const struct publisher *p)
{
    return p->telemetry;
}

void publish_get_stats(struct publisher *p, struct publish_stats *out)
{
    out->telemetry = atomic_load(&p->n_telemetry);
    out->states = atomic_load(&p->n_states);
    out->anomalies = atomic_load(&p->n_anomalies);
    out->reports = atomic_load(&p->n_reports);
    out->dropped = atomic_load(&p->n_refused) + atomic_load(&p->ev_dropped) +
                   queue_drops(p->samples);
}

void publish_headless_json(void *publisher, char *out, size_t len)
{
    struct publisher *p = publisher;
    struct publish_stats ps;
    struct mqtt_status st;
    publish_get_stats(p, &ps);
    mqtt_get_status(p->conn, &st);
    snprintf(out, len,
             ",\"publish\":{\"state\":\"%s\",\"attempt\":%d,\"telemetry_enabled\":%s,"
             "\"telemetry\":%llu,\"states\":%llu,\"anomalies\":%llu,\"reports\":%llu,"
             "\"dropped\":%llu}",
             mqtt_state_name(st.state), st.attempt, p->telemetry ? "true" : "false",
             (unsigned long long)ps.telemetry, (unsigned long long)ps.states,
             (unsigned long long)ps.anomalies, (unsigned long long)ps.reports,
             (unsigned long long)ps.dropped);
}

/* ---- one alarm list across consoles ---- */

#define SYNC_RING 4096
#define SYNC_TABLE 8192 /* power of two, twice the manager's default capacity */
#define SYNC_KEY_MAX (CATALOG_NAME_MAX + ALARM_CONDITION_MAX + 2)
#define SYNC_PENDING_MS (10 * 60 * 1000)

struct sync_action {
    char action[16];
    char operator_name[ALARM_OPERATOR_MAX];
    char host[ALARM_HOST_MAX];
    char origin[160];
    int64_t wall_ts_ms;
    int64_t duration_ms; /* shelve: 0 one-shot */
    char reason[ALARM_TEXT_MAX];
};

struct sync_entry {
    char key[SYNC_KEY_MAX]; /* "<machine_id>/<condition>", "" when free */
    char machine_id[CATALOG_NAME_MAX];
    char condition[ALARM_CONDITION_MAX];
    bool has_action;
    struct sync_action last; /* the winning action so far */
    bool pending;            /* last is remote and not yet applied here */
    int64_t pending_since_ms;
};

struct sync_change {
    struct alarm_info info;
    int what;
    bool has_action;
    bool remote; /* made here on behalf of another console: not published again */
    struct alarm_action act;
};

struct publish_alarms {
    struct alarm_manager *am;
    struct mqtt *conn;
    char prefix[64];
    int qos;

    pthread_mutex_t ring_lock;
    struct sync_change *ring;
    size_t ring_head, ring_count;

    /* network thread only */
    struct sync_entry *table;
    int pending_count;
    uint64_t connects;
    int64_t last_retry_ms;
    struct sync_change drained[64];
    struct alarm_info *all; /* republished after every (re)connection */
    char buf[8192];

    _Atomic uint64_t sent, applied, ignored, dropped;
};

static _Thread_local bool sync_applying_remote;


static void sync_key(const char *machine_id, const char *condition, char *out, size_t len)
{
    char m[CATALOG_NAME_MAX], c[ALARM_CONDITION_MAX];
    publish_level(machine_id, m, sizeof m);
    publish_level(condition, c, sizeof c);
    snprintf(out, len, "%s/%s", m, c);
}

/* Finds the entry of key, or the free slot where it goes (NULL when the table is full). */
static struct sync_entry *sync_lookup(struct publish_alarms *s, const char *key, bool create)
{
    size_t j = (size_t)publish_hash(key, strlen(key)) & (SYNC_TABLE - 1);
    for (size_t probes = 0; probes < SYNC_TABLE; probes++, j = (j + 1) & (SYNC_TABLE - 1)) {
        struct sync_entry *e = &s->table[j];
        if (strcmp(e->key, key) == 0)
            return e;
        if (!e->key[0]) {
            if (!create)
                return NULL;
            snprintf(e->key, sizeof e->key, "%s", key);
            return e;
        }
    }
    return NULL;
}

/* Later wall time wins; ties go to the greater operator name, then the action name. */
static int sync_action_cmp(const struct sync_action *a, const struct sync_action *b)
{
    if (a->wall_ts_ms != b->wall_ts_ms)
        return a->wall_ts_ms < b->wall_ts_ms ? -1 : 1;
    int c = strcmp(a->operator_name, b->operator_name);
    return c ? c : strcmp(a->action, b->action);
}

static void sync_on_change(void *ctx, enum alarm_change what, const struct alarm_info *a,
                           const struct alarm_action *act)
{
    struct publish_alarms *s = ctx;
    if (what == ALARM_CHANGE_UPDATED)
        return; /* a new value of an unchanged alarm: not worth a retained message */
    pthread_mutex_lock(&s->ring_lock);
    if (s->ring_count < SYNC_RING) {
        struct sync_change *c = &s->ring[(s->ring_head + s->ring_count) % SYNC_RING];
        c->info = *a;
        c->what = what;
        c->has_action = act != NULL;
        c->remote = sync_applying_remote;
        if (act)
            c->act = *act;
        s->ring_count++;
    } else {
        atomic_fetch_add(&s->dropped, 1);
    }
    pthread_mutex_unlock(&s->ring_lock);
}

static void sync_put_action(struct publish_out *o, const struct sync_action *a)
{
    publish_put(o, ",\"last_action\":{\"action\":");
    publish_put_str(o, a->action);
    publish_put(o, ",\"operator\":");
    publish_put_str(o, a->operator_name);
    publish_put(o, ",\"host\":");
    publish_put_str(o, a->host);
    publish_put(o, ",\"origin\":");
    publish_put_str(o, a->origin);
    publish_put(o, ",\"wall_ts_ms\":%lld,\"duration_ms\":%lld,\"reason\":",
                (long long)a->wall_ts_ms, (long long)a->duration_ms);
    publish_put_str(o, a->reason);
    publish_put(o, "}");
}

static void sync_publish(struct publish_alarms *s, const struct alarm_info *a, const char *change)
{
    char key[SYNC_KEY_MAX], topic[300];
    sync_key(a->machine_id, a->condition, key, sizeof key);
    struct sync_entry *e = sync_lookup(s, key, false);
    char *json = alarm_info_to_json(a, change);
    if (!json)
        return;
    size_t jl = strlen(json);
    struct publish_out o = {.buf = s->buf, .len = sizeof s->buf};
    if (jl > 1 && json[jl - 1] == '}') {
        json[jl - 1] = '\0'; /* our members go inside the alarm's object */
        publish_put(&o, "%s,\"alarm_id\":", json);
        publish_put_str(&o, key);
        publish_put(&o, ",\"origin\":");
        publish_put_str(&o, mqtt_client_id(s->conn));
        if (e && e->has_action)
            sync_put_action(&o, &e->last);
        publish_put(&o, "}");
    }
    free(json);
    if (o.overflow || o.off == 0)
        return;
    snprintf(topic, sizeof topic, "%s/alarms/%s", s->prefix, key);
    if (mqtt_publish(s->conn, topic, s->buf, o.off, s->qos, true) == 0)
        atomic_fetch_add(&s->sent, 1);
}

static void sync_local_change(struct publish_alarms *s, const struct sync_change *c)
{
    if (c->has_action && !c->remote) {
        char key[SYNC_KEY_MAX];
        sync_key(c->info.machine_id, c->info.condition, key, sizeof key);
        struct sync_entry *e = sync_lookup(s, key, true);
        if (e) {
            struct sync_action a = {0};
            snprintf(a.action, sizeof a.action, "%s", c->act.action);
            snprintf(a.operator_name, sizeof a.operator_name, "%s", c->act.operator_name);
            snprintf(a.host, sizeof a.host, "%s", c->act.host);
            snprintf(a.origin, sizeof a.origin, "%s", mqtt_client_id(s->conn));
            snprintf(a.reason, sizeof a.reason, "%s", c->act.reason);
            a.wall_ts_ms = c->act.wall_ts_ms;
            if (c->what == ALARM_CHANGE_SHELVE && c->info.shelved_until_ms > 0)
                a.duration_ms = c->info.shelved_until_ms - c->act.ts_ms;
            snprintf(e->machine_id, sizeof e->machine_id, "%s", c->info.machine_id);
            snprintf(e->condition, sizeof e->condition, "%s", c->info.condition);
            if (!e->has_action || sync_action_cmp(&a, &e->last) > 0) {
                e->last = a;
                e->has_action = true;
                if (e->pending)
                    s->pending_count--;
                e->pending = false;
            }
        }
    }
    if (!c->remote)
        sync_publish(s, &c->info, alarm_change_name((enum alarm_change)c->what));
}

/* Applies e->last to the local manager. True when done (applied, or refused for good). */
static bool sync_apply(struct publish_alarms *s, struct sync_entry *e)
{
    uint32_t id = alarm_find(s->am, e->machine_id, e->condition);
    if (id == 0)
        return false;
    struct alarm_operator op = {0};
    snprintf(op.name, sizeof op.name, "%s", e->last.operator_name);
    snprintf(op.host, sizeof op.host, "%s", e->last.host);
    const char *why = e->last.reason;
    char msg[256];
    int rc = -1;
    sync_applying_remote = true;
    if (strcmp(e->last.action, "ack") == 0)
        rc = alarm_ack(s->am, id, &op, msg, sizeof msg);
    else if (strcmp(e->last.action, "shelve") == 0)
        rc = alarm_shelve(s->am, id, &op, e->last.duration_ms, why, msg, sizeof msg);
    else if (strcmp(e->last.action, "unshelve") == 0)
        rc = alarm_unshelve(s->am, id, &op, why, msg, sizeof msg);
    else if (strcmp(e->last.action, "note") == 0)
        rc = alarm_note(s->am, id, &op, why, msg, sizeof msg);
    else if (strcmp(e->last.action, "suppress") == 0 || strcmp(e->last.action, "unsuppress") == 0)
        rc = alarm_suppress(s->am, id, &op, e->last.action[0] == 's', why, msg, sizeof msg);
    else if (strcmp(e->last.action, "out_of_service") == 0 ||
             strcmp(e->last.action, "in_service") == 0)
        rc = alarm_set_out_of_service(s->am, id, &op, e->last.action[0] == 'o', why, msg,
                                      sizeof msg);
    sync_applying_remote = false;
    /* A refusal ("not awaiting acknowledgement") means this console is already there. */
    atomic_fetch_add(rc == 0 ? &s->applied : &s->ignored, 1);
    return true;
}

static void sync_copy_text(const cJSON *obj, const char *name, char *out, size_t len)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    codec_sanitize_text(cJSON_IsString(it) ? it->valuestring : "", out, len);
}

static void sync_on_message(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct publish_alarms *s = ctx;
    (void)topic;
    cJSON *root = cJSON_ParseWithLength(payload, len);
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(root, "origin");
    const cJSON *last = cJSON_GetObjectItemCaseSensitive(root, "last_action");
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(root, "machine_id");
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(root, "condition");
    const cJSON *wall = cJSON_GetObjectItemCaseSensitive(last, "wall_ts_ms");
    const cJSON *act_origin = cJSON_GetObjectItemCaseSensitive(last, "origin");
    if (!cJSON_IsString(mid) || !cJSON_IsString(cond) || !cJSON_IsObject(last) ||
        !cJSON_IsNumber(wall) || !cJSON_IsString(origin) ||
        (cJSON_IsString(act_origin) && strcmp(act_origin->valuestring, mqtt_client_id(s->conn)) == 0) ||
        strlen(mid->valuestring) >= CATALOG_NAME_MAX ||
        strlen(cond->valuestring) >= ALARM_CONDITION_MAX) {
        cJSON_Delete(root); /* ours, or nothing to apply */
        return;
    }
    struct sync_action a = {0};
    sync_copy_text(last, "action", a.action, sizeof a.action);
    sync_copy_text(last, "operator", a.operator_name, sizeof a.operator_name);
    sync_copy_text(last, "host", a.host, sizeof a.host);
    sync_copy_text(last, "origin", a.origin, sizeof a.origin);
    sync_copy_text(last, "reason", a.reason, sizeof a.reason);
    a.wall_ts_ms = (int64_t)wall->valuedouble;
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(last, "duration_ms");
    a.duration_ms = cJSON_IsNumber(dur) && dur->valuedouble > 0 ? (int64_t)dur->valuedouble : 0;
    char key[SYNC_KEY_MAX], machine_id[CATALOG_NAME_MAX], condition[ALARM_CONDITION_MAX];
    codec_sanitize_text(mid->valuestring, machine_id, sizeof machine_id);
    codec_sanitize_text(cond->valuestring, condition, sizeof condition);
    cJSON_Delete(root);
    sync_key(machine_id, condition, key, sizeof key);
    struct sync_entry *e = sync_lookup(s, key, true);
    if (!e)
        return;
    if (e->has_action && sync_action_cmp(&a, &e->last) <= 0) {
        if (sync_action_cmp(&a, &e->last) < 0)
            atomic_fetch_add(&s->ignored, 1); /* older than what won already */
        return;
    }
    snprintf(e->machine_id, sizeof e->machine_id, "%s", machine_id);
    snprintf(e->condition, sizeof e->condition, "%s", condition);
    e->last = a;
    e->has_action = true;
    if (sync_apply(s, e)) {
        if (e->pending)
            s->pending_count--;
        e->pending = false;
    } else if (!e->pending) {
        e->pending = true;
        e->pending_since_ms = clock_wall_ms();
        s->pending_count++;
    }
}

static void sync_retry_pending(struct publish_alarms *s, int64_t now)
{
    for (size_t i = 0; i < SYNC_TABLE && s->pending_count > 0; i++) {
        struct sync_entry *e = &s->table[i];
        if (!e->key[0] || !e->pending)
            continue;
        if (sync_apply(s, e) || now - e->pending_since_ms > SYNC_PENDING_MS) {
            e->pending = false;
            s->pending_count--;
        }
    }
}

static bool sync_idle(void *ctx)
{
    struct publish_alarms *s = ctx;
    struct mqtt_status st;
    mqtt_get_status(s->conn, &st);
    if (st.state == MQTT_CONNECTED && st.connects != s->connects) {
        /* (Re)connected: the broker's retained view may be behind ours. */
        s->connects = st.connects;
        int n = alarm_list(s->am, ALARM_LIST_ALL, NULL, s->all, ALARM_CAPACITY_DEFAULT);
        for (int i = 0; i < n; i++)
            sync_publish(s, &s->all[i], "sync");
    }
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&s->ring_lock);
        while (s->ring_count > 0 && n < sizeof s->drained / sizeof *s->drained) {
            s->drained[n++] = s->ring[s->ring_head];
            s->ring_head = (s->ring_head + 1) % SYNC_RING;
            s->ring_count--;
        }
        pthread_mutex_unlock(&s->ring_lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            sync_local_change(s, &s->drained[i]);
        if (s->pending_count > 0)
            s->last_retry_ms = 0; /* a new alarm may be the one an action waits for */
    }
    int64_t now = clock_wall_ms();
    if (s->pending_count > 0 && now - s->last_retry_ms >= 1000) {
        s->last_retry_ms = now;
        sync_retry_pending(s, now);
    }
    return false;
}

struct publish_alarms *publish_alarms_create(const struct config *cfg, const char *url,
                                             struct alarm_manager *am, char *err, size_t errlen)
{
    struct publish_alarms *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "alarm sync: out of memory");
        return NULL;
    }
    s->am = am;
    s->qos = 1; /* alarm state must not be lost, whatever --qos says for telemetry */
    snprintf(s->prefix, sizeof s->prefix, "%s", cfg->topic_prefix[0] ? cfg->topic_prefix : "dt");
    pthread_mutex_init(&s->ring_lock, NULL);
    s->ring = calloc(SYNC_RING, sizeof *s->ring);
    s->table = calloc(SYNC_TABLE, sizeof *s->table);
    s->all = calloc(ALARM_CAPACITY_DEFAULT, sizeof *s->all);
    if (!s->ring || !s->table || !s->all) {
        snprintf(err, errlen, "alarm sync: out of memory");
        publish_alarms_destroy(s);
        return NULL;
    }
    s->conn = mqtt_create(cfg, url, "alarms", false, err, errlen);
    if (!s->conn) {
        publish_alarms_destroy(s);
        return NULL;
    }
    char pattern[128];
    snprintf(pattern, sizeof pattern, "%s/alarms/#", s->prefix);
    mqtt_subscribe(s->conn, pattern, 1);
    mqtt_set_handler(s->conn, sync_on_message, s);
    mqtt_set_idle(s->conn, sync_idle, s);
    struct alarm_listener l = {.ctx = s, .on_change = sync_on_change};
    if (alarm_add_listener(am, &l) < 0) {
        snprintf(err, errlen, "alarm sync: the alarm manager has no room for another listener");
        publish_alarms_destroy(s);
        return NULL;
    }
    return s;
}

int publish_alarms_start(struct publish_alarms *s, char *err, size_t errlen)
{
    return mqtt_start(s->conn, err, errlen);
}

void publish_alarms_stop(struct publish_alarms *s)
{
    if (s)
        mqtt_stop(s->conn);
}

void publish_alarms_destroy(struct publish_alarms *s)
{
    if (!s)
        return;
    if (s->am)
        alarm_remove_listener(s->am, s);
    mqtt_destroy(s->conn);
    pthread_mutex_destroy(&s->ring_lock);
    free(s->ring);
    free(s->table);
    free(s->all);
    free(s);
}

struct mqtt *publish_alarms_connection(struct publish_alarms *s)
{
    return s->conn;
}

void publish_alarms_get_stats(struct publish_alarms *s, struct publish_alarms_stats *out)
{
    out->sent = atomic_load(&s->sent);
    out->applied = atomic_load(&s->applied);
    out->ignored = atomic_load(&s->ignored);
    out->pending = (uint64_t)(s->pending_count > 0 ? s->pending_count : 0);
    out->dropped = atomic_load(&s->dropped);
}

void publish_alarms_headless_json(void *sync, char *out, size_t len)
{
    struct publish_alarms *s = sync;
    struct publish_alarms_stats ps;
    struct mqtt_status st;
    publish_alarms_get_stats(s, &ps);
    mqtt_get_status(s->conn, &st);
    snprintf(out, len,
             ",\"alarm_sync\":{\"state\":\"%s\",\"sent\":%llu,\"applied\":%llu,\"ignored\":%llu,"
             "\"pending\":%llu,\"dropped\":%llu}",
             mqtt_state_name(st.state), (unsigned long long)ps.sent,
             (unsigned long long)ps.applied, (unsigned long long)ps.ignored,
             (unsigned long long)ps.pending, (unsigned long long)ps.dropped);
}
