// SPDX-License-Identifier: MIT
/* The twin engine thread: drains the ingest queue, owns twin state, publishes snapshots. */
#include "engine.h"
#include "alarm.h"

#include "detect.h"
#include "health.h"
#include "clock.h"
#include "maint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ENGINE_BATCH 4096
#define ENGINE_SINKS_MAX 8
#define ENGINE_EVENTS_MAX 1024
/* What the console shows of a sensor's history: the detail chart's last 5 plant minutes. */
#define ENGINE_HISTORY_SPAN_S 300.0
#define ENGINE_RING_FIRST 16 /* a ring starts this long and doubles up to its length */

/* One sensor's twin: a ring of recent values and the limit state machine. */
struct twin_sensor {
    float *values;   /* ring of len values, grown as samples arrive */
    int32_t *ts_off; /* their times, ms after ts_base */
    int64_t ts_base;
    uint32_t len, cap, head, count; /* len: the ring's full length; cap: allocated so far */
    double sum, sumsq;              /* over the ring, for mean and stddev */
    float min, max;                 /* over the ring; stale after the ring dropped one of them */
    bool minmax_stale;
    double last;
    int64_t last_ts;
    uint8_t state;   /* enum twin_state entered */
    uint8_t pending; /* state waiting out the on-delay */
    int64_t pending_since;
    char text[SAMPLE_TEXT_MAX];
    float anomaly;
};

struct twin_machine {
    struct twin_sensor *sensors; /* sensor_cap of them, grown as the sensors report */
    int sensor_cap;
    bool changed; /* since the last snapshot */
    bool stale;   /* as the last snapshot showed it */
    int64_t last_ts;
    double last_wall; /* wall seconds of the last sample, for staleness */
    uint64_t samples;
    uint64_t alarms_raised;
    struct detect_machine *detect; /* detector stack, created on the first value */
    struct health *health;
    int64_t next_status_ms; /* plant time of its next EVENT_STATUS */
    int alarm_sensors;      /* sensors in TWIN_ALARM */
    int warn_sensors;
    bool offline; /* its source said it died (SAMPLE_OFFLINE); cleared by the next reading */
};

struct engine {
    struct catalog *cat;
    struct queue *q;
    struct engine_options opt;
    int capacity; /* twin_machine slots allocated, grown with the catalog's machines */
    struct twin_machine *machines;
    /* What the next publication must look at: the machines that changed, and when the first
     * one might go stale (then, or on rescan, it looks at all). */
    int *dirty;
    int dirty_count, dirty_cap;
    double next_stale_wall;
    atomic_bool rescan;

    pthread_mutex_t state_lock; /* twin state: engine thread writes, engine_history reads */
    pthread_mutex_t snap_lock;  /* the published snapshot */
    struct snapshot *published;

    struct engine_sink sinks[ENGINE_SINKS_MAX];
    int sink_count;
    struct event events[ENGINE_EVENTS_MAX];
    /* reports merged into an open episode: not events for the sinks (one event per episode),
     * but the alarm manager still counts them, so a sustained anomaly raises its alarm */
    struct event merged[ENGINE_EVENTS_MAX];
    int merged_count;
    int event_count;
    struct alarm_manager *alarms;
    struct maint *maint;

    pthread_t thread;
    bool running;
    atomic_bool stop;
    bool input_ended;
    int wake[2];

    int64_t sim_time_ms;
    uint64_t samples_total;
    uint64_t alarms_raised;
    _Atomic double speed;
    double rate_wall;      /* wall time the rate window started */
    uint64_t rate_samples; /* samples_total then */
    double samples_per_s;
    double last_snapshot_wall;
    uint64_t seq;
};

const char *twin_state_name(int state)
{
    static const char *names[] = {"ok", "warn", "alarm", "stale"};
    return state >= 0 && state < 4 ? names[state] : "?";
}

/* Machines a new snapshot holds room for before it grows. */
#define SNAPSHOT_FIRST_CAPACITY 64

struct snapshot *snapshot_create(int capacity)
{
    struct snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (capacity > SNAPSHOT_FIRST_CAPACITY)
        capacity = SNAPSHOT_FIRST_CAPACITY;
    if (capacity < 1)
        capacity = 1;
    s->machines = calloc((size_t)capacity, sizeof *s->machines);
    if (!s->machines) {
        free(s);
        return NULL;
    }
    s->machine_capacity = capacity;
    return s;
}

void snapshot_free(struct snapshot *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->machine_capacity; i++)
        free(s->machines[i].sensors);
    free(s->machines);
    free(s);
}

/* Room for n machines; false (capacity unchanged) when out of memory. */
static bool snapshot_reserve(struct snapshot *s, int n)
{
    if (n <= s->machine_capacity)
        return true;
    int cap = s->machine_capacity * 2 > n ? s->machine_capacity * 2 : n;
    struct snapshot_machine *grown = realloc(s->machines, (size_t)cap * sizeof *grown);
    if (!grown)
        return false;
    memset(grown + s->machine_capacity, 0, (size_t)(cap - s->machine_capacity) * sizeof *grown);
    s->machines = grown;
    s->machine_capacity = cap;
    return true;
}

/* Room for n sensors in one snapshot machine. */
static bool snapshot_machine_reserve(struct snapshot_machine *m, int n)
{
    if (n <= m->sensor_cap)
        return true;
    struct snapshot_sensor *grown = realloc(m->sensors, (size_t)n * sizeof *grown);
    if (!grown)
        return false;
    m->sensors = grown;
    m->sensor_cap = n;
    return true;
}

struct engine *engine_create(struct catalog *cat, struct queue *q, const struct engine_options *opt,
                             char *err, size_t errlen)
{
    struct engine *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "engine: out of memory");
        return NULL;
    }
    e->cat = cat;
    e->q = q;
    e->opt = *opt;
    if (!e->opt.history_len)
        e->opt.history_len = 1024;
    if (e->opt.stale_after_s <= 0)
        e->opt.stale_after_s = 5;
    if (e->opt.snapshot_period_ms <= 0)
        e->opt.snapshot_period_ms = 100;
    if (!e->opt.mode)
        e->opt.mode = "DEMO";
    e->capacity = catalog_machine_count(cat) > 0 ? catalog_machine_count(cat) : 1;
    e->machines = calloc((size_t)e->capacity, sizeof *e->machines);
    e->published = snapshot_create(e->capacity);
    e->wake[0] = e->wake[1] = -1;
    if (!e->machines || !e->published || pipe2(e->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "engine: %s",
                 e->machines && e->published ? strerror(errno) : "out of memory");
        engine_destroy(e);
        return NULL;
    }
    pthread_mutex_init(&e->state_lock, NULL);
    pthread_mutex_init(&e->snap_lock, NULL);
    e->rate_wall = clock_monotonic_s();
    snprintf(e->published->mode, sizeof e->published->mode, "%s", e->opt.mode);
    return e;
}

int engine_add_sink(struct engine *e, const struct engine_sink *sink)
{
    if (e->sink_count >= ENGINE_SINKS_MAX || e->running)
        return -1;
    e->sinks[e->sink_count++] = *sink;
    return 0;
}

static void emit(struct engine *e, const struct event *ev)
{
    if (e->event_count < ENGINE_EVENTS_MAX)
        e->events[e->event_count++] = *ev;
    if (e->maint && ev->kind == EVENT_ANOMALY)
        maint_on_event(e->maint, ev);
}

void engine_set_maint(struct engine *e, struct maint *m)
{
    e->maint = m;
}

void engine_set_alarms(struct engine *e, struct alarm_manager *m)
{
    e->alarms = m;
}

/* Feeds this batch's events to the alarm manager and queues its EVENT_ALARM records behind
 * them; what does not fit waits in the manager for the next batch. */
static void alarms_feed(struct engine *e)
{
    if (!e->alarms)
        return;
    for (int i = 0; i < e->merged_count; i++)
        alarm_on_event(e->alarms, &e->merged[i]);
    e->merged_count = 0;
    int n = e->event_count;
    for (int i = 0; i < n; i++)
        alarm_on_event(e->alarms, &e->events[i]);
    alarm_tick(e->alarms, e->sim_time_ms);
    while (e->event_count < ENGINE_EVENTS_MAX &&
           alarm_drain_events(e->alarms, &e->events[e->event_count], 1) == 1)
        e->event_count++;
}

static void flush_events(struct engine *e)
{
    for (int i = 0; i < e->event_count; i++)
        for (int s = 0; s < e->sink_count; s++)
            if (e->sinks[s].on_event)
                e->sinks[s].on_event(e->sinks[s].ctx, &e->events[i]);
    e->event_count = 0;
}

/* The level a value stands at, given the level already entered: leaving a level needs the
 * value back inside its limit by the deadband, so a value sitting on a limit does not chatter. */
static int limit_level(const struct catalog_sensor *cs, double v, int entered)
{
    double db_alarm = entered >= TWIN_ALARM ? cs->deadband : 0;
    double db_warn = entered >= TWIN_WARN ? cs->deadband : 0;
    if ((!isnan(cs->alarm_hi) && v >= cs->alarm_hi - db_alarm) ||
        (!isnan(cs->alarm_lo) && v <= cs->alarm_lo + db_alarm))
        return TWIN_ALARM;
    if ((!isnan(cs->warn_hi) && v >= cs->warn_hi - db_warn) ||
        (!isnan(cs->warn_lo) && v <= cs->warn_lo + db_warn))
        return TWIN_WARN;
    return TWIN_OK;
}

static void limit_event(struct engine *e, int mi, int si, const struct twin_sensor *ts, int64_t now)
{
    const struct catalog_machine *m = catalog_machine_at(e->cat, mi);
    const struct catalog_sensor *cs = &m->type->sensors[si];
    struct event ev = {.kind = EVENT_LIMIT,
                       .ts_ms = now,
                       .machine = mi,
                       .sensor = si,
                       .value = ts->last,
                       .state = ts->state,
                       .score = ts->state / 2.0};
    snprintf(ev.machine_id, sizeof ev.machine_id, "%s", m->id);
    snprintf(ev.sensor_name, sizeof ev.sensor_name, "%s", cs->name);
    snprintf(ev.detector, sizeof ev.detector, "limit");
    snprintf(ev.reason, sizeof ev.reason, "%s %s: %.4g %s", cs->name, twin_state_name(ts->state),
             ts->last, cs->unit);
    emit(e, &ev);
}

static void limit_update(struct engine *e, struct twin_machine *tm, int mi, int si,
                         const struct catalog_sensor *cs, struct twin_sensor *ts)
{
    int level = limit_level(cs, ts->last, ts->state);
    int before = ts->state;
    if (level > ts->state) {
        if (ts->pending != level) {
            ts->pending = (uint8_t)level;
            ts->pending_since = ts->last_ts;
        }
        if ((double)(ts->last_ts - ts->pending_since) >= cs->on_delay_s * 1000.0)
            ts->state = (uint8_t)level;
    } else {
        ts->state = (uint8_t)level;
        ts->pending = (uint8_t)level;
    }
    if (ts->state == before)
        return;
    tm->alarm_sensors += (ts->state == TWIN_ALARM) - (before == TWIN_ALARM);
    tm->warn_sensors += (ts->state == TWIN_WARN) - (before == TWIN_WARN);
    if (ts->state == TWIN_ALARM) {
        tm->alarms_raised++;
        e->alarms_raised++;
    }
    limit_event(e, mi, si, ts, ts->last_ts);
}

/* The ring's full length for a sensor of type t: what the console shows (the last 5 plant
 * minutes at the type's sample period), never more than history_len. */
static uint32_t twin_ring_len(const struct engine *e, const struct catalog_type *t)
{
    double want = ceil(ENGINE_HISTORY_SPAN_S / t->sample_period_s);
    size_t len = want < (double)e->opt.history_len ? (size_t)want : e->opt.history_len;
    return len < 2 ? 2 : (uint32_t)len;
}

/* Room for one more value: the ring grows (doubling, up to len) while it is not yet full. */
static int twin_ring_reserve(struct twin_sensor *ts)
{
    if (ts->count < ts->cap || ts->cap == ts->len)
        return 0;
    uint32_t cap = ts->cap ? ts->cap * 2 : ENGINE_RING_FIRST;
    cap = cap < ts->len ? cap : ts->len;
    float *values = realloc(ts->values, cap * sizeof *values);
    if (!values)
        return -1;
    ts->values = values;
    int32_t *off = realloc(ts->ts_off, cap * sizeof *off);
    if (!off)
        return -1;
    ts->ts_off = off;
    ts->cap = cap;
    return 0;
}

static int64_t twin_ts(const struct twin_sensor *ts, uint32_t slot)
{
    return ts->ts_base + ts->ts_off[slot];
}

/* Times are kept as 32-bit offsets; one that does not fit moves the base (rare: 24 days). */
static int32_t twin_ts_offset(struct twin_sensor *ts, int64_t t)
{
    if (ts->count == 0)
        ts->ts_base = t;
    int64_t off = t - ts->ts_base;
    if (off > INT32_MAX || off < INT32_MIN) {
        for (uint32_t i = 0; i < ts->count; i++) {
            uint32_t slot = (ts->head + i) % ts->len;
            int64_t moved = twin_ts(ts, slot) - t;
            ts->ts_off[slot] = (int32_t)(moved < INT32_MIN ? INT32_MIN : moved);
        }
        ts->ts_base = t;
        off = 0;
    }
    return (int32_t)off;
}

static void twin_minmax_scan(struct twin_sensor *ts)
{
    float lo = INFINITY, hi = -INFINITY;
    for (uint32_t i = 0; i < ts->count; i++) {
        float v = ts->values[(ts->head + i) % ts->len];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    ts->min = lo;
    ts->max = hi;
    ts->minmax_stale = false;
}

static void twin_push(struct twin_sensor *ts, double v, int64_t t)
{
    uint32_t n = ts->len;
    uint32_t slot = (ts->head + ts->count) % n;
    float fv = (float)v;
    int32_t off = twin_ts_offset(ts, t);
    if (ts->count == 0) {
        ts->min = ts->max = fv;
        ts->minmax_stale = false;
    }
    if (ts->count == n) {
        float old = ts->values[ts->head];
        ts->sum -= old;
        ts->sumsq -= (double)old * old;
        /* dropping the extreme leaves min/max to be found again, once, when shown */
        ts->minmax_stale |= old <= ts->min || old >= ts->max;
        ts->head = (ts->head + 1) % n;
        slot = (ts->head + n - 1) % n;
    } else {
        ts->count++;
    }
    ts->values[slot] = fv;
    ts->ts_off[slot] = off;
    ts->sum += fv;
    ts->sumsq += (double)fv * fv;
    ts->min = fv < ts->min ? fv : ts->min;
    ts->max = fv > ts->max ? fv : ts->max;
    /* Running sums drift; recompute exactly once per lap of the ring. */
    if (slot == n - 1) {
        double sum = 0, sq = 0;
        for (uint32_t i = 0; i < ts->count; i++) {
            double x = ts->values[(ts->head + i) % n];
            sum += x;
            sq += x * x;
        }
        ts->sum = sum;
        ts->sumsq = sq;
    }
}

/* The twin of a machine, its slot allocated when the catalog has grown past the engine's. */
static struct twin_machine *twin_machine_at(struct engine *e, int mi)
{
    if (mi >= e->capacity) {
        int cap = e->capacity * 2 > mi + 1 ? e->capacity * 2 : mi + 1;
        struct twin_machine *grown = realloc(e->machines, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + e->capacity, 0, (size_t)(cap - e->capacity) * sizeof *grown);
        e->machines = grown;
        e->capacity = cap;
    }
    return &e->machines[mi];
}

/* A machine's sensor twin, the machine's array grown to the sensor's index. */
static struct twin_sensor *twin_sensor_at(struct twin_machine *tm, int si, int count)
{
    if (si >= tm->sensor_cap) {
        int cap = count > si ? count : si + 1;
        struct twin_sensor *grown = realloc(tm->sensors, (size_t)cap * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + tm->sensor_cap, 0, (size_t)(cap - tm->sensor_cap) * sizeof *grown);
        tm->sensors = grown;
        tm->sensor_cap = cap;
    }
    return &tm->sensors[si];
}

/* Detectors and health see (machine, sensor, value, time) after the limits; a firing detector
 * becomes an EVENT_ANOMALY for the sinks. */
static void detect_sample(struct engine *e, struct twin_machine *tm, int mi,
                          const struct catalog_machine *m, const struct sample *s)
{
    char err[160];
    if (!tm->detect && !(tm->detect = detect_machine_create(m->type, NULL, 0x5eedull + (uint64_t)mi,
                                                            err, sizeof err)))
        return;
    if (!tm->health && !(tm->health = health_create(m->type, 0, err, sizeof err)))
        return;
    struct detect_result r;
    /* a sample past a warn/alarm limit (pending = the level the value stands at now, before
     * the on-delay) is scored but must not be learned as normal */
    const struct twin_sensor *ts = &tm->sensors[s->sensor];
    detect_machine_set_abnormal(tm->detect, s->sensor,
                                ts->pending >= TWIN_WARN || ts->state >= TWIN_WARN);
    detect_machine_update(tm->detect, s->sensor, s->u.value, s->ts_ms, &r);
    tm->sensors[s->sensor].anomaly = r.score;
    health_update(tm->health, s->sensor, s->u.value, s->ts_ms);
    if (e->maint)
        maint_on_sample(e->maint, mi, s->sensor, s->u.value, s->ts_ms);
    struct event ev;
    if (r.emit) {
        detect_machine_event(tm->detect, mi, m->id, s->sensor, s->ts_ms, &ev);
        emit(e, &ev);
    }
    if (r.emit_machine) {
        detect_machine_event(tm->detect, mi, m->id, -1, s->ts_ms, &ev);
        emit(e, &ev);
    }
    if (r.merged && e->alarms && e->merged_count < ENGINE_EVENTS_MAX)
        detect_machine_event(tm->detect, mi, m->id, r.merged_machine ? -1 : s->sensor, s->ts_ms,
                             &e->merged[e->merged_count++]);
}

/* Queues a machine for the next publication; when the queue cannot grow, that one looks at all. */
static void twin_mark_changed(struct engine *e, struct twin_machine *tm, int mi)
{
    tm->changed = true;
    if (e->dirty_count == e->dirty_cap) {
        int cap = e->dirty_cap ? e->dirty_cap * 2 : 256;
        int *grown = realloc(e->dirty, (size_t)cap * sizeof *grown);
        if (!grown) {
            atomic_store(&e->rescan, true);
            return;
        }
        e->dirty = grown;
        e->dirty_cap = cap;
    }
    e->dirty[e->dirty_count++] = mi;
}

/* Wall seconds without a sample before a machine is stale. A plant slowed below real time
 * (or paused, a speed of almost nothing) samples less often in wall time, so the limit stretches
 * with it; at real time and faster it is the configured one. */
static double stale_after_wall_s(const struct engine *e)
{
    double speed = atomic_load(&((struct engine *)e)->speed);
    if (speed > 0 && speed < 1)
        return e->opt.stale_after_s / speed;
    return e->opt.stale_after_s;
}

static void status_event(struct engine *e, int mi, int64_t now, bool stale)
{
    const struct twin_machine *tm = &e->machines[mi];
    const struct catalog_machine *m = catalog_machine_at(e->cat, mi);
    int state = tm->alarm_sensors ? TWIN_ALARM : tm->warn_sensors ? TWIN_WARN : TWIN_OK;
    int run = maint_run_sensor(m->type);
    double run_value =
        run >= 0 && run < tm->sensor_cap && tm->sensors[run].count ? tm->sensors[run].last : NAN;
    struct event ev = {.kind = EVENT_STATUS, .ts_ms = now, .machine = mi, .sensor = -1};
    snprintf(ev.machine_id, sizeof ev.machine_id, "%s", m->id);
    ev.state = maint_status_of(m->type, stale ? TWIN_STALE : state, run_value);
    ev.value = NAN;
    ev.maint.rul_hours = NAN;
    if (tm->health) {
        struct health_estimate h;
        health_get(tm->health, &h);
        ev.value = h.health;
        ev.maint.rul_hours = h.rul_hours;
    }
    ev.score =
        tm->detect && !detect_machine_warming(tm->detect) ? detect_machine_score(tm->detect) : NAN;
    emit(e, &ev);
}

/* Once a minute of the machine's own clock: its status, and its plan judged again. */
static void maint_minute(struct engine *e, struct twin_machine *tm, int mi, int64_t ts_ms)
{
    if (!e->maint || ts_ms < tm->next_status_ms)
        return;
    tm->next_status_ms = (ts_ms / 60000 + 1) * 60000;
    status_event(e, mi, ts_ms, false);
    if (!tm->health)
        return;
    struct health_estimate h;
    health_get(tm->health, &h);
    struct event out[MAINT_ACTIONS_MAX * 2];
    int k = maint_assess(e->maint, mi, &h, ts_ms, out, MAINT_ACTIONS_MAX * 2);
    for (int j = 0; j < k; j++)
        emit(e, &out[j]);
}

/* Machines gone quiet (stale by the wall clock, as in the snapshot) are recorded stale once a
 * plant minute; work marked done restarts its machine's health baseline. */
static void maint_feed(struct engine *e, double wall)
{
    if (!e->maint)
        return;
    int n = catalog_machine_count(e->cat);
    n = n < e->capacity ? n : e->capacity;
    /* a simulation at full speed only ever waits for the queue: its machines are never stale */
    bool racing = atomic_load(&e->speed) == 0 && strcmp(e->opt.mode, "DEMO") == 0;
    for (int i = 0; e->sim_time_ms && !e->input_ended && !racing && i < n; i++) {
        struct twin_machine *tm = &e->machines[i];
        if (wall - tm->last_wall > stale_after_wall_s(e) && e->sim_time_ms >= tm->next_status_ms) {
            tm->next_status_ms = (e->sim_time_ms / 60000 + 1) * 60000;
            status_event(e, i, e->sim_time_ms, true);
        }
    }
    struct event done;
    int mi;
    while (maint_take_done(e->maint, &done, &mi) == 1) {
        if (mi < 0 || mi >= e->capacity)
            continue;
        pthread_mutex_lock(&e->state_lock);
        health_free(e->machines[mi].health);
        e->machines[mi].health = NULL; /* created again on the next sample: a fresh baseline */
        pthread_mutex_unlock(&e->state_lock);
        emit(e, &done);
    }
}

static void process_one(struct engine *e, const struct sample *s, double wall)
{
    struct catalog_machine *m = catalog_machine_at(e->cat, (int)s->machine);
    int count = m ? catalog_sensor_count(m->type) : 0;
    if (!m || s->sensor >= count)
        return;
    struct twin_machine *tm = twin_machine_at(e, (int)s->machine);
    if (!tm)
        return;
    if (s->kind == SAMPLE_OFFLINE || s->kind == SAMPLE_HISTORICAL) {
        /* a death marks the machine stale until its next reading; a historical reading is
         * history's, not the twin's (the sinks record it) */
        if (s->kind == SAMPLE_OFFLINE && !tm->offline) {
            tm->offline = true;
            if (!tm->changed)
                twin_mark_changed(e, tm, (int)s->machine);
        }
        return;
    }
    tm->offline = false;
    struct twin_sensor *ts = twin_sensor_at(tm, s->sensor, count);
    if (!ts)
        return;
    const struct catalog_sensor *cs = &m->type->sensors[s->sensor];
    if (!tm->changed)
        twin_mark_changed(e, tm, (int)s->machine);
    tm->samples++;
    tm->last_wall = wall;
    if (s->ts_ms > tm->last_ts)
        tm->last_ts = s->ts_ms;
    if (s->ts_ms > e->sim_time_ms)
        e->sim_time_ms = s->ts_ms;
    ts->last_ts = s->ts_ms;
    if (s->kind == SAMPLE_TEXT) {
        memcpy(ts->text, s->u.text, sizeof ts->text);
        ts->text[sizeof ts->text - 1] = '\0';
        return;
    }
    if (!isfinite(s->u.value))
        return;
    if (!ts->len)
        ts->len = twin_ring_len(e, m->type);
    if (twin_ring_reserve(ts))
        return;
    ts->last = s->u.value;
    twin_push(ts, s->u.value, s->ts_ms);
    if (!cs->is_text)
        limit_update(e, tm, (int)s->machine, s->sensor, cs, ts);
    detect_sample(e, tm, (int)s->machine, m, s);
    maint_minute(e, tm, (int)s->machine, s->ts_ms);
}

/* Hands the sinks the readings of a batch: the offline markers are the engine's alone, so the
 * sinks get each run of readings between them. */
static void engine_to_sinks(struct engine *e, const struct sample *s, size_t n)
{
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && s[b].kind != SAMPLE_OFFLINE)
            b++;
        for (int k = 0; k < e->sink_count && b > a; k++)
            if (e->sinks[k].on_samples)
                e->sinks[k].on_samples(e->sinks[k].ctx, s + a, b - a);
        a = b + 1;
    }
}

void engine_process(struct engine *e, const struct sample *s, size_t n)
{
    double wall = clock_monotonic_s();
    size_t offline = 0; /* markers, not readings */
    pthread_mutex_lock(&e->state_lock);
    for (size_t i = 0; i < n; i++) {
        offline += s[i].kind == SAMPLE_OFFLINE;
        process_one(e, &s[i], wall);
    }
    e->samples_total += n - offline;
    pthread_mutex_unlock(&e->state_lock);
    engine_to_sinks(e, s, n);
    maint_feed(e, wall);
    alarms_feed(e);
    flush_events(e);
}

static void snapshot_sensor_fill(struct twin_sensor *ts, struct snapshot_sensor *out)
{
    out->value = ts->last;
    out->ts_ms = ts->last_ts;
    out->state = ts->state;
    out->anomaly = ts->anomaly;
    memcpy(out->text, ts->text, sizeof out->text);
    if (!ts->count) {
        out->value = NAN;
        out->mean = out->stddev = out->min = out->max = NAN;
        return;
    }
    double mean = ts->sum / (double)ts->count;
    double var = ts->sumsq / (double)ts->count - mean * mean;
    out->mean = mean;
    out->stddev = var > 0 ? sqrt(var) : 0;
    if (ts->minmax_stale)
        twin_minmax_scan(ts);
    out->min = ts->min;
    out->max = ts->max;
}


/* A machine with no samples for longer than the stale limit (or none yet, or its source said it
 * died: SAMPLE_OFFLINE). Once the producers
 * have ended (engine stopped) a quiet machine is finished, not stale. */
static bool twin_is_stale(const struct engine *e, const struct twin_machine *tm, double wall)
{
    return !tm->samples || tm->offline ||
           (!e->input_ended && wall - tm->last_wall > stale_after_wall_s(e));
}

static void snapshot_machine_fill(struct engine *e, int mi, struct twin_machine *tm,
                                  struct snapshot_machine *out)
{
    const struct catalog_machine *cm = catalog_machine_at(e->cat, mi);
    const struct catalog_type *t = cm->type;
    struct snapshot_sensor *keep = out->sensors;
    int keep_cap = out->sensor_cap;
    memset(out, 0, sizeof *out);
    out->sensors = keep;
    out->sensor_cap = keep_cap;
    out->area = cm->area;
    out->line = cm->line;
    out->health = NAN;
    out->anomaly = NAN; /* nothing judged yet */
    out->pca = NAN;
    out->rul_hours = NAN;
    out->tool_rul_min = NAN;
    out->spindle_health = NAN;
    out->samples = tm->samples;
    out->last_ts_ms = tm->last_ts;
    out->alarms_raised = tm->alarms_raised;
    out->sensor_count = catalog_sensor_count(t);
    if (!snapshot_machine_reserve(out, out->sensor_count))
        out->sensor_count = out->sensor_cap;
    out->state = tm->alarm_sensors ? TWIN_ALARM : tm->warn_sensors ? TWIN_WARN : TWIN_OK;
    if (tm->stale)
        out->state = TWIN_STALE;
    out->spark_len = 0;
    for (int i = 0; i < out->sensor_count; i++) {
        if (i >= tm->sensor_cap) {
            memset(&out->sensors[i], 0, sizeof out->sensors[i]);
            out->sensors[i].value = NAN;
            out->sensors[i].mean = out->sensors[i].stddev = NAN;
            out->sensors[i].min = out->sensors[i].max = NAN;
            continue;
        }
        snapshot_sensor_fill(&tm->sensors[i], &out->sensors[i]);
        if (out->sensors[i].anomaly > out->anomaly)
            out->anomaly = out->sensors[i].anomaly;
    }
    if (tm->detect) {
        /* a sensor whose detectors have not seen their warm-up yet has no score: "--", not 0 */
        for (int i = 0; i < out->sensor_count; i++)
            if (detect_machine_sensor_warming(tm->detect, i))
                out->sensors[i].anomaly = NAN;
        out->anomaly = detect_machine_warming(tm->detect) ? NAN : detect_machine_score(tm->detect);
        snprintf(out->detector, sizeof out->detector, "%s", detect_machine_detector(tm->detect));
        detect_machine_reason(tm->detect, out->reason, sizeof out->reason);
        out->pca =
            detect_machine_pca_ready(tm->detect) ? detect_machine_pca_score(tm->detect) : NAN;
        out->pca_top_n = detect_machine_pca_top(tm->detect, out->pca_top, out->pca_share, 3);
    }
    if (tm->health) {
        struct health_estimate h;
        health_get(tm->health, &h);
        out->health = h.health;
        out->rul_hours = h.rul_hours;
        out->rul_confidence = h.rul_confidence;
        out->tool_rul_min = h.tool_rul_min;
        out->spindle_health = h.spindle_health;
    }
    const struct twin_sensor *spark =
        t->tile_count && t->tile[0] < tm->sensor_cap ? &tm->sensors[t->tile[0]] : NULL;
    if (spark && spark->count) {
        uint32_t n = spark->count < SNAPSHOT_SPARK_LEN ? spark->count : SNAPSHOT_SPARK_LEN;
        for (uint32_t i = 0; i < n; i++)
            out->spark[i] = spark->values[(spark->head + spark->count - n + i) % spark->len];
        out->spark_len = (int)n;
    }
}

/* Refills machine i of the published snapshot when it changed (or went stale or back, or is
 * new to it), keeping the per-state counts; returns when it may go stale next (INFINITY: is). */
static double publish_machine(struct engine *e, struct snapshot *s, int i, double wall)
{
    struct twin_machine *tm = &e->machines[i];
    bool stale = twin_is_stale(e, tm, wall);
    bool known = i < s->machine_count;
    if (tm->changed || stale != tm->stale || !known) {
        if (known)
            s->states[s->machines[i].state]--;
        tm->stale = stale;
        tm->changed = false;
        snapshot_machine_fill(e, i, tm, &s->machines[i]);
        s->machines[i].changed_seq = s->seq;
        s->changed_seq = s->seq;
        s->states[s->machines[i].state]++;
    }
    return stale ? INFINITY : tm->last_wall + stale_after_wall_s(e);
}

/* Publishes a snapshot. Cost follows change: the machines that had samples since the last one
 * are refilled; all are looked at only when one may have gone stale (or the speed, and with it
 * the stale limit, changed). With nothing arriving a publication costs next to nothing. */
static void engine_publish(struct engine *e, double wall)
{
    if (wall - e->rate_wall >= 1.0) {
        e->samples_per_s = (double)(e->samples_total - e->rate_samples) / (wall - e->rate_wall);
        e->rate_wall = wall;
        e->rate_samples = e->samples_total;
    }
    pthread_mutex_lock(&e->state_lock);
    pthread_mutex_lock(&e->snap_lock);
    struct snapshot *s = e->published;
    int n = catalog_machine_count(e->cat);
    if (!snapshot_reserve(s, n))
        n = s->machine_capacity;
    if (n > 0 && !twin_machine_at(e, n - 1))
        n = e->capacity;
    if (n < s->machine_count)
        n = s->machine_count;
    s->seq = ++e->seq;
    s->sim_time_ms = e->sim_time_ms;
    s->speed = atomic_load(&e->speed);
    s->samples_per_s = e->samples_per_s;
    s->samples_total = e->samples_total;
    s->queue_drops = e->q ? queue_drops(e->q) : 0;
    s->alarms_raised = e->alarms_raised;
    if (atomic_exchange(&e->rescan, false) || wall >= e->next_stale_wall) {
        double next = INFINITY;
        for (int i = 0; i < n; i++)
            next = fmin(next, publish_machine(e, s, i, wall));
        e->next_stale_wall = next;
        s->machine_count = n;
    } else {
        double next = e->next_stale_wall;
        for (int i = s->machine_count; i < n; i++) /* new to the snapshot */
            next = fmin(next, publish_machine(e, s, i, wall));
        s->machine_count = n;
        for (int k = 0; k < e->dirty_count; k++) {
            if (e->dirty[k] < n)
                next = fmin(next, publish_machine(e, s, e->dirty[k], wall));
            else
                atomic_store(&e->rescan, true); /* beyond the snapshot's room: try again */
        }
        e->next_stale_wall = next;
    }
    e->dirty_count = 0;
    pthread_mutex_unlock(&e->snap_lock);
    pthread_mutex_unlock(&e->state_lock);
    e->last_snapshot_wall = wall;
    char b = 1;
    if (write(e->wake[1], &b, 1) < 0 && errno != EAGAIN)
        perror("engine: wake pipe");
}

static void *engine_main(void *arg)
{
    struct engine *e = arg;
    struct sample *batch = malloc(ENGINE_BATCH * sizeof *batch);
    if (!batch)
        return NULL;
    for (;;) {
        size_t n = queue_pop(e->q, batch, ENGINE_BATCH, 50);
        if (n) {
            engine_process(e, batch, n);
        } else if (e->alarms || e->maint) { /* idle: operator actions still reach the sinks */
            maint_feed(e, clock_monotonic_s());
            alarms_feed(e);
            flush_events(e);
        }
        double wall = clock_monotonic_s();
        if ((wall - e->last_snapshot_wall) * 1000.0 >= e->opt.snapshot_period_ms)
            engine_publish(e, wall);
        if (!n && atomic_load(&e->stop))
            break;
    }
    e->input_ended = true;
    atomic_store(&e->rescan, true);
    engine_publish(e, clock_monotonic_s());
    free(batch);
    return NULL;
}

int engine_start(struct engine *e)
{
    if (e->running)
        return 0;
    atomic_store(&e->stop, false);
    if (pthread_create(&e->thread, NULL, engine_main, e) != 0)
        return -1;
    e->running = true;
    return 0;
}

void engine_stop(struct engine *e)
{
    if (!e || !e->running)
        return;
    atomic_store(&e->stop, true);
    pthread_join(e->thread, NULL);
    e->running = false;
}

void engine_destroy(struct engine *e)
{
    if (!e)
        return;
    engine_stop(e);
    if (e->machines) {
        for (int i = 0; i < e->capacity; i++) {
            struct twin_sensor *ts = e->machines[i].sensors;
            for (int k = 0; k < e->machines[i].sensor_cap; k++) {
                free(ts[k].values);
                free(ts[k].ts_off);
            }
            free(ts);
        }
        for (int i = 0; i < e->capacity; i++) {
            detect_machine_free(e->machines[i].detect);
            health_free(e->machines[i].health);
        }
        free(e->machines);
        free(e->dirty);
        pthread_mutex_destroy(&e->state_lock);
        pthread_mutex_destroy(&e->snap_lock);
    }
    snapshot_free(e->published);
    if (e->wake[0] >= 0)
        close(e->wake[0]);
    if (e->wake[1] >= 0)
        close(e->wake[1]);
    free(e);
}

uint64_t engine_snapshot(struct engine *e, struct snapshot *dst)
{
    if (!e->running) /* tests and benchmarks drive the engine by hand */
        engine_publish(e, clock_monotonic_s());
    pthread_mutex_lock(&e->snap_lock);
    const struct snapshot *s = e->published;
    snapshot_reserve(dst, s->machine_count);
    int n = s->machine_count < dst->machine_capacity ? s->machine_count : dst->machine_capacity;
    /* a machine dst already holds at its newest change is not copied again */
    bool same_source = dst->source == e && dst->seq <= s->seq;
    bool unchanged = same_source && dst->seq >= s->changed_seq && dst->machine_count == n;
    struct snapshot_machine *keep = dst->machines;
    int cap = dst->machine_capacity;
    *dst = *s;
    dst->machines = keep;
    dst->machine_capacity = cap;
    dst->machine_count = n;
    dst->source = e;
    for (int i = 0; i < n && !unchanged; i++) {
        const struct snapshot_machine *from = &s->machines[i];
        struct snapshot_machine *to = &dst->machines[i];
        if (same_source && to->changed_seq == from->changed_seq)
            continue;
        struct snapshot_sensor *sensors = to->sensors;
        int sensor_cap = to->sensor_cap;
        *to = *from;
        to->sensors = sensors;
        to->sensor_cap = sensor_cap;
        if (!snapshot_machine_reserve(to, from->sensor_count))
            to->sensor_count = to->sensor_cap;
        memcpy(to->sensors, from->sensors, (size_t)to->sensor_count * sizeof *to->sensors);
        if (to->sensor_count < from->sensor_count)
            to->changed_seq = 0; /* incomplete: copy again next time */
    }
    uint64_t seq = s->seq;
    pthread_mutex_unlock(&e->snap_lock);
    return seq;
}

size_t engine_history(struct engine *e, int machine, int sensor, double *values, int64_t *ts_ms,
                      size_t max)
{
    size_t got = 0;
    pthread_mutex_lock(&e->state_lock);
    if (machine >= 0 && machine < e->capacity && sensor >= 0 &&
        sensor < e->machines[machine].sensor_cap) {
        const struct twin_sensor *ts = &e->machines[machine].sensors[sensor];
        size_t n = ts->count < max ? ts->count : max;
        for (size_t i = 0; i < n; i++) {
            uint32_t at = (uint32_t)((ts->head + ts->count - n + i) % ts->len);
            if (values)
                values[i] = ts->values[at];
            if (ts_ms)
                ts_ms[i] = twin_ts(ts, at);
        }
        got = n;
    }
    pthread_mutex_unlock(&e->state_lock);
    return got;
}

int engine_wake_fd(struct engine *e)
{
    return e->wake[0];
}

void engine_set_speed(struct engine *e, double speed)
{
    atomic_store(&e->speed, speed);
    atomic_store(&e->rescan, true); /* the stale limit follows the speed */
}
