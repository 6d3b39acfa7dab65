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

/* One sensor's twin: a ring of recent values and the limit state machine. */
struct twin_sensor {
    double *values; /* ring of history_len, allocated on the first sample */
    int64_t *ts;
    size_t head, count;
    double sum, sumsq; /* over the ring, for mean and stddev */
    double last;
    int64_t last_ts;
    uint8_t state;   /* enum twin_state entered */
    uint8_t pending; /* state waiting out the on-delay */
    int64_t pending_since;
    char text[SAMPLE_TEXT_MAX];
    float anomaly;
};

struct twin_machine {
    struct twin_sensor *sensors; /* CATALOG_SENSORS_MAX, allocated on the first sample */
    int64_t last_ts;
    double last_wall; /* wall seconds of the last sample, for staleness */
    uint64_t samples;
    uint64_t alarms_raised;
    struct detect_machine *detect; /* detector stack, created on the first value */
    struct health *health;
    int64_t next_status_ms; /* plant time of its next EVENT_STATUS */
    int alarm_sensors;      /* sensors in TWIN_ALARM */
    int warn_sensors;
};

struct engine {
    struct catalog *cat;
    struct queue *q;
    struct engine_options opt;
    int capacity;
    struct twin_machine *machines;

    pthread_mutex_t state_lock; /* twin state: engine thread writes, engine_history reads */
    pthread_mutex_t snap_lock;  /* the published snapshot */
    struct snapshot *published;

    struct engine_sink sinks[ENGINE_SINKS_MAX];
    int sink_count;
    struct event events[ENGINE_EVENTS_MAX];
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

struct snapshot *snapshot_create(int capacity)
{
    struct snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
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
    if (s)
        free(s->machines);
    free(s);
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
    e->capacity = catalog_max_machines(cat);
    if (e->capacity < catalog_machine_count(cat))
        e->capacity = catalog_machine_count(cat);
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

static int twin_alloc_sensor(struct engine *e, struct twin_sensor *ts)
{
    ts->values = malloc(e->opt.history_len * sizeof *ts->values);
    ts->ts = malloc(e->opt.history_len * sizeof *ts->ts);
    if (!ts->values || !ts->ts) {
        free(ts->values);
        free(ts->ts);
        ts->values = NULL;
        ts->ts = NULL;
        return -1;
    }
    return 0;
}

static void twin_push(struct engine *e, struct twin_sensor *ts, double v, int64_t t)
{
    size_t n = e->opt.history_len;
    size_t slot = (ts->head + ts->count) % n;
    if (ts->count == n) {
        double old = ts->values[ts->head];
        ts->sum -= old;
        ts->sumsq -= old * old;
        ts->head = (ts->head + 1) % n;
        slot = (ts->head + n - 1) % n;
    } else {
        ts->count++;
    }
    ts->values[slot] = v;
    ts->ts[slot] = t;
    ts->sum += v;
    ts->sumsq += v * v;
    /* Running sums drift; recompute exactly once per lap of the ring. */
    if (slot == n - 1) {
        double s = 0, sq = 0;
        for (size_t i = 0; i < ts->count; i++) {
            double x = ts->values[(ts->head + i) % n];
            s += x;
            sq += x * x;
        }
        ts->sum = s;
        ts->sumsq = sq;
    }
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
        run >= 0 && tm->sensors && tm->sensors[run].count ? tm->sensors[run].last : NAN;
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
    if (!m || (int)s->machine >= e->capacity || s->sensor >= catalog_sensor_count(m->type))
        return;
    struct twin_machine *tm = &e->machines[s->machine];
    if (!tm->sensors && !(tm->sensors = calloc(CATALOG_SENSORS_MAX, sizeof *tm->sensors)))
        return;
    struct twin_sensor *ts = &tm->sensors[s->sensor];
    const struct catalog_sensor *cs = &m->type->sensors[s->sensor];
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
    if (!ts->values && twin_alloc_sensor(e, ts))
        return;
    ts->last = s->u.value;
    twin_push(e, ts, s->u.value, s->ts_ms);
    if (!cs->is_text)
        limit_update(e, tm, (int)s->machine, s->sensor, cs, ts);
    detect_sample(e, tm, (int)s->machine, m, s);
    maint_minute(e, tm, (int)s->machine, s->ts_ms);
}

void engine_process(struct engine *e, const struct sample *s, size_t n)
{
    double wall = clock_monotonic_s();
    pthread_mutex_lock(&e->state_lock);
    for (size_t i = 0; i < n; i++)
        process_one(e, &s[i], wall);
    e->samples_total += n;
    pthread_mutex_unlock(&e->state_lock);
    for (int k = 0; k < e->sink_count; k++)
        if (e->sinks[k].on_samples)
            e->sinks[k].on_samples(e->sinks[k].ctx, s, n);
    maint_feed(e, wall);
    alarms_feed(e);
    flush_events(e);
}

static void snapshot_sensor_fill(const struct engine *e, const struct twin_sensor *ts,
                                 struct snapshot_sensor *out)
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
    double lo = INFINITY, hi = -INFINITY;
    size_t n = e->opt.history_len;
    for (size_t i = 0; i < ts->count; i++) {
        double v = ts->values[(ts->head + i) % n];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    out->min = lo;
    out->max = hi;
}

static void snapshot_machine_fill(const struct engine *e, int mi, double wall,
                                  struct snapshot_machine *out)
{
    const struct twin_machine *tm = &e->machines[mi];
    const struct catalog_type *t = catalog_machine_at(e->cat, mi)->type;
    memset(out, 0, offsetof(struct snapshot_machine, sensors));
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
    out->state = tm->alarm_sensors ? TWIN_ALARM : tm->warn_sensors ? TWIN_WARN : TWIN_OK;
    /* Once the producers have ended (engine stopped) a quiet machine is finished, not stale. */
    if (!tm->samples || (!e->input_ended && wall - tm->last_wall > stale_after_wall_s(e)))
        out->state = TWIN_STALE;
    out->spark_len = 0;
    if (!tm->sensors) {
        for (int i = 0; i < out->sensor_count; i++) {
            memset(&out->sensors[i], 0, sizeof out->sensors[i]);
            out->sensors[i].value = NAN;
        }
        return;
    }
    for (int i = 0; i < out->sensor_count; i++) {
        snapshot_sensor_fill(e, &tm->sensors[i], &out->sensors[i]);
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
    const struct twin_sensor *spark = t->tile_count ? &tm->sensors[t->tile[0]] : NULL;
    if (spark && spark->count) {
        size_t n = spark->count < SNAPSHOT_SPARK_LEN ? spark->count : SNAPSHOT_SPARK_LEN;
        size_t len = e->opt.history_len;
        for (size_t i = 0; i < n; i++)
            out->spark[i] = (float)spark->values[(spark->head + spark->count - n + i) % len];
        out->spark_len = (int)n;
    }
}

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
    if (n > e->capacity)
        n = e->capacity;
    s->seq = ++e->seq;
    s->sim_time_ms = e->sim_time_ms;
    s->speed = atomic_load(&e->speed);
    s->samples_per_s = e->samples_per_s;
    s->samples_total = e->samples_total;
    s->queue_drops = e->q ? queue_drops(e->q) : 0;
    s->alarms_raised = e->alarms_raised;
    memset(s->states, 0, sizeof s->states);
    for (int i = 0; i < n; i++) {
        snapshot_machine_fill(e, i, wall, &s->machines[i]);
        s->states[s->machines[i].state]++;
    }
    s->machine_count = n;
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
            if (!ts)
                continue;
            for (int k = 0; k < CATALOG_SENSORS_MAX; k++) {
                free(ts[k].values);
                free(ts[k].ts);
            }
            free(ts);
        }
        for (int i = 0; i < e->capacity; i++) {
            detect_machine_free(e->machines[i].detect);
            health_free(e->machines[i].health);
        }
        free(e->machines);
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
    int n = s->machine_count < dst->machine_capacity ? s->machine_count : dst->machine_capacity;
    struct snapshot_machine *keep = dst->machines;
    int cap = dst->machine_capacity;
    *dst = *s;
    dst->machines = keep;
    dst->machine_capacity = cap;
    dst->machine_count = n;
    for (int i = 0; i < n; i++) {
        /* Copy only the sensors a machine has: learned machines rarely fill all 64. */
        size_t head = offsetof(struct snapshot_machine, sensors);
        memcpy(&dst->machines[i], &s->machines[i], head);
        memcpy(dst->machines[i].sensors, s->machines[i].sensors,
               (size_t)s->machines[i].sensor_count * sizeof(struct snapshot_sensor));
        dst->machines[i].spark_len = s->machines[i].spark_len;
        memcpy(dst->machines[i].spark, s->machines[i].spark, sizeof dst->machines[i].spark);
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
    if (machine >= 0 && machine < e->capacity && sensor >= 0 && sensor < CATALOG_SENSORS_MAX &&
        e->machines[machine].sensors) {
        const struct twin_sensor *ts = &e->machines[machine].sensors[sensor];
        size_t n = ts->count < max ? ts->count : max;
        size_t len = e->opt.history_len;
        for (size_t i = 0; i < n; i++) {
            size_t at = (ts->head + ts->count - n + i) % len;
            if (values)
                values[i] = ts->values[at];
            if (ts_ms)
                ts_ms[i] = ts->ts[at];
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
}
