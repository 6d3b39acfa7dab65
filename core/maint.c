// SPDX-License-Identifier: MIT
/* The maintenance plan: fault modes matched to each machine's drift, urgency from remaining life
 * against the action's lead time, work marked done. */
#include "maint.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

#define MAINT_LEVEL_TAU_S 600.0
#define MAINT_ASSESS_MS 60000
#define MAINT_TREND_LEN 60 /* progress points a minute apart: the last hour */
#define MAINT_DONE_MAX 16
#define MAINT_TOOL_FAULT "tool_wear"
#define MAINT_HOLD 1.1

struct maint_sensor {
    bool seen, based;
    double level;
    int64_t last_ms;
    double base_sum;
    long base_n;
    double baseline;
    int64_t event_ms; /* first anomaly on this sensor since the baseline */
    char detector[24];
    double trend[MAINT_TREND_LEN]; /* progress once a minute, a ring */
    int trend_head, trend_n;
};

struct maint_machine {
    int64_t start_ms, next_ms;
    struct maint_sensor s[CATALOG_SENSORS_MAX];
    double peak_score;
    struct maint_action act[MAINT_ACTIONS_MAX]; /* published under lock */
};

struct maint_done_request {
    int machine;
    char fault[CATALOG_NAME_MAX];
    struct alarm_operator op;
    char note[160];
    int64_t ts_ms, wall_ms;
    struct maint_action was;
};

struct maint {
    const struct catalog *cat;
    int capacity;
    double recommend_score;
    struct maint_machine *machines;
    pthread_mutex_t lock;
    struct maint_done_request done[MAINT_DONE_MAX];
    int done_n;
    void (*hook)(void *ctx, int machine, const char *fault);
    void *hook_ctx;
};

static const char *const urgency_names[] = {"low", "medium", "high", "critical"};
static const char *const status_names[MAINT_STATUS_COUNT] = {"running", "idle", "alarm", "stale",
                                                             "out_of_service"};

const char *maint_urgency_name(int urgency)
{
    return urgency >= 0 && urgency < 4 ? urgency_names[urgency] : "?";
}

int maint_urgency_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, urgency_names[i]) == 0)
            return i;
    return -1;
}

const char *maint_status_name(int status)
{
    return status >= 0 && status < MAINT_STATUS_COUNT ? status_names[status] : "?";
}

int maint_run_sensor(const struct catalog_type *t)
{
    for (int i = 0; i < t->sensor_count; i++) {
        const char *n = t->sensors[i].name;
        size_t len = strlen(n);
        if (!t->sensors[i].is_text && t->sensors[i].nominal > 0 &&
            ((len > 4 && strcmp(n + len - 4, "_rpm") == 0) || strstr(n, "speed") ||
             strcmp(n, "spindle.rpm") == 0))
            return i;
    }
    return -1;
}

int maint_status_of(const struct catalog_type *t, int twin_state, double run_value)
{
    if (twin_state == TWIN_STALE)
        return MAINT_STALE;
    if (twin_state == TWIN_ALARM)
        return MAINT_IN_ALARM;
    int run = maint_run_sensor(t);
    if (run >= 0 && isfinite(run_value) && run_value < 0.2 * t->sensors[run].nominal)
        return MAINT_IDLE;
    return MAINT_RUNNING;
}

struct maint *maint_create(const struct catalog *cat, int capacity, char *err, size_t errlen)
{
    struct maint *m = calloc(1, sizeof *m);
    if (m)
        m->machines = calloc((size_t)capacity, sizeof *m->machines);
    if (!m || !m->machines) {
        free(m);
        snprintf(err, errlen, "maint: out of memory");
        return NULL;
    }
    m->cat = cat;
    m->capacity = capacity;
    m->recommend_score = MAINT_RECOMMEND_SCORE;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void maint_free(struct maint *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->machines);
    free(m);
}

static struct maint_machine *machine_at(struct maint *m, int machine)
{
    if (machine < 0 || machine >= m->capacity || machine >= catalog_machine_count(m->cat))
        return NULL;
    return &m->machines[machine];
}

void maint_set_recommend_score(struct maint *m, double score)
{
    m->recommend_score = score;
}

void maint_on_sample(struct maint *m, int machine, int sensor, double value, int64_t ts_ms)
{
    struct maint_machine *mm = machine_at(m, machine);
    if (!mm || sensor < 0 || sensor >= CATALOG_SENSORS_MAX || !isfinite(value))
        return;
    if (!mm->start_ms)
        mm->start_ms = ts_ms;
    struct maint_sensor *s = &mm->s[sensor];
    if (!s->seen) {
        s->seen = true;
        s->level = value;
    } else if (ts_ms > s->last_ms) {
        double a = 1.0 - exp(-(double)(ts_ms - s->last_ms) / 1000.0 / MAINT_LEVEL_TAU_S);
        s->level += a * (value - s->level);
    }
    s->last_ms = ts_ms;
    if (!s->based) {
        s->base_sum += value;
        s->base_n++;
        if ((double)(ts_ms - mm->start_ms) >= MAINT_WARMUP_S * 1000.0) {
            s->baseline = s->base_sum / (double)s->base_n;
            s->level = s->baseline;
            s->based = true;
        }
    }
}

void maint_on_event(struct maint *m, const struct event *ev)
{
    struct maint_machine *mm = ev->kind == EVENT_ANOMALY ? machine_at(m, ev->machine) : NULL;
    if (!mm || ev->sensor < 0 || ev->sensor >= CATALOG_SENSORS_MAX)
        return;
    struct maint_sensor *s = &mm->s[ev->sensor];
    if (!s->based)
        return;
    if (!s->event_ms)
        s->event_ms = ev->ts_ms;
    snprintf(s->detector, sizeof s->detector, "%s", ev->detector);
}

/* The distance from the baseline to the limit on the side dir points at: alarm, else warn,
 * else twice the normal band's half-width. */
static double progress_scale(const struct catalog_sensor *cs, double base, int dir)
{
    double lim = dir > 0 ? cs->alarm_hi : cs->alarm_lo;
    if (!isfinite(lim))
        lim = dir > 0 ? cs->warn_hi : cs->warn_lo;
    if (isfinite(lim) && (lim - base) * dir > 0)
        return fabs(lim - base);
    double band = cs->normal_hi - cs->normal_lo;
    return isfinite(band) && band > 0 ? band : fabs(cs->nominal) * 0.5 + 1.0;
}

static double sensor_progress(const struct catalog_type *t, const struct maint_sensor *s,
                              int sensor, int dir)
{
    if (!s->based)
        return NAN;
    const struct catalog_sensor *cs = &t->sensors[sensor];
    return dir * (s->level - s->baseline) / progress_scale(cs, s->baseline, dir);
}

/* As sensor_progress, the compensating sensor's drift (ref, may be NULL) taken off first. */
static double fault_progress(const struct catalog_type *t, const struct maint_sensor *s,
                             const struct maint_sensor *ref, int sensor, int dir)
{
    if (!s->based || (ref && !ref->based))
        return NAN;
    const struct catalog_sensor *cs = &t->sensors[sensor];
    double drift = s->level - s->baseline - (ref ? ref->level - ref->baseline : 0);
    return dir * drift / progress_scale(cs, s->baseline, dir);
}

/* Weighted mean of the signature's progress, clamped per sensor to 0..1.5 (the first sensor
 * counts twice), less what its "steady" sensors moved either way; primary: the moving sensor
 * that moved most. NAN while a signature sensor has no baseline. */
static double fault_score(const struct catalog_type *t, const struct maint_machine *mm,
                          const struct catalog_fault *f, int *primary)
{
    double sum = 0, weight = 0, best = -INFINITY;
    const struct maint_sensor *ref = f->compensate >= 0 ? &mm->s[f->compensate] : NULL;
    *primary = f->signature_count ? f->signature[0] : -1;
    for (int k = 0; k < f->signature_count; k++) {
        int si = f->signature[k], dir = f->signature_dir[k];
        double p = dir ? fault_progress(t, &mm->s[si], ref, si, dir)
                       : fmax(sensor_progress(t, &mm->s[si], si, 1),
                              sensor_progress(t, &mm->s[si], si, -1));
        if (isnan(p))
            return NAN;
        if (!dir) {
            sum -= fmin(1.5, fmax(0.0, p));
            continue;
        }
        double w = k == 0 ? 2.0 : 1.0;
        sum += w * fmin(1.5, fmax(0.0, p));
        weight += w;
        if (p > best) {
            best = p;
            *primary = si;
        }
    }
    return weight > 0 ? sum / weight : NAN;
}

/* Hours until the primary sensor's progress reaches 1 on its last hour's trend; NAN when flat. */
static double trend_rul(const struct maint_sensor *s, double now_p)
{
    if (s->trend_n < 15)
        return NAN;
    double st = 0, sy = 0, stt = 0, sty = 0;
    int n = s->trend_n;
    for (int i = 0; i < n; i++) {
        double t = (double)i / 60.0, y = s->trend[(s->trend_head + i) % MAINT_TREND_LEN];
        st += t;
        sy += y;
        stt += t * t;
        sty += t * y;
    }
    double var = stt - st * st / n;
    double slope = var > 0 ? (sty - st * sy / n) / var : 0;
    if (!(slope > 1e-6))
        return NAN;
    return fmax(0.0, (1.0 - now_p) / slope);
}

static int urgency_for(double rul_h, double lead_h, double primary_progress)
{
    if (primary_progress >= 1.0)
        return MAINT_CRITICAL;
    if (isnan(rul_h))
        return MAINT_LOW;
    if (rul_h <= lead_h)
        return MAINT_CRITICAL;
    if (rul_h <= 2 * lead_h)
        return MAINT_HIGH;
    return rul_h <= 4 * lead_h ? MAINT_MEDIUM : MAINT_LOW;
}

static void set_due(struct maint_action *a, int64_t now_ms, double rul_h, float conf)
{
    a->rul_hours = rul_h;
    a->confidence = conf;
    a->due_ms = a->due_lo_ms = a->due_hi_ms = 0;
    if (isnan(rul_h))
        return;
    double ms = rul_h * 3.6e6, half = ms * (1.0 - 0.8 * fmin(1.0, fmax(0.0, conf)));
    a->due_ms = now_ms + (int64_t)ms;
    a->due_lo_ms = now_ms + (int64_t)(ms - half);
    a->due_hi_ms = now_ms + (int64_t)(ms + half);
}

static void clock_hhmm(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%m-%d %H:%M", &tm);
}

static void evidence_text(const struct catalog_type *t, struct maint_action *a)
{
    const struct catalog_sensor *cs = &t->sensors[a->sensor];
    double delta = a->level - a->baseline;
    char since[24];
    clock_hhmm(a->since_ms, since, sizeof since);
    snprintf(a->evidence, sizeof a->evidence, "%s %s %.3g %s from its baseline %.4g since %s (%s)",
             cs->name, delta >= 0 ? "rose" : "fell", fabs(delta), cs->unit, a->baseline, since,
             a->detector);
}

/* The diagnosed fault's entry, or an empty one (fault[0] == 0) when nothing reaches the score. */
static void diagnose(const struct catalog_type *t, struct maint_machine *mm, double threshold,
                     const struct health_estimate *h, int64_t now_ms, struct maint_action *out)
{
    int best = -1, primary = -1;
    double best_rank = 0, best_score = 0;
    for (int i = 0; i < t->fault_count; i++) {
        const struct catalog_fault *f = &t->faults[i];
        int p = -1;
        double sc =
            f->component[0] && strcmp(f->component, "tool") != 0 ? fault_score(t, mm, f, &p) : NAN;
        if (sc > mm->peak_score)
            mm->peak_score = sc;
        /* hysteresis: the fault already planned stays until it falls to 1/1.1 of the score, and
         * another must beat it by a tenth to take its place */
        bool incumbent = strcmp(mm->act[0].fault, f->name) == 0;
        double rank = incumbent ? sc * MAINT_HOLD : sc;
        if (rank >= threshold && rank > best_rank) {
            best_rank = rank;
            best_score = sc;
            best = i;
            primary = p;
        }
    }
    memset(out, 0, sizeof *out);
    if (best < 0)
        return;
    const struct catalog_fault *f = &t->faults[best];
    struct maint_sensor *s = &mm->s[primary];
    int dir = 1;
    for (int k = 0; k < f->signature_count; k++)
        if (f->signature[k] == primary)
            dir = f->signature_dir[k];
    double p = sensor_progress(t, s, primary, dir);
    snprintf(out->fault, sizeof out->fault, "%s", f->name);
    snprintf(out->component, sizeof out->component, "%s", f->component);
    snprintf(out->action, sizeof out->action, "%s", f->action);
    out->lead_time_h = f->lead_time_h;
    out->score = best_score;
    out->sensor = primary;
    out->baseline = s->baseline;
    out->level = s->level;
    bool health_agrees = false;
    for (int k = 0; h && k < f->signature_count; k++)
        health_agrees |= f->signature[k] == h->worst_sensor;
    double rul = health_agrees ? h->rul_hours : NAN;
    float conf = health_agrees ? h->rul_confidence : 0.0f;
    if (isnan(rul)) {
        rul = trend_rul(s, p);
        conf = 0.5f;
    }
    set_due(out, now_ms, rul, conf);
    out->urgency = urgency_for(rul, f->lead_time_h, p);
    out->since_ms = now_ms;
    snprintf(out->detector, sizeof out->detector, "trend");
    for (int k = 0; k < f->signature_count; k++) {
        const struct maint_sensor *e = &mm->s[f->signature[k]];
        if (e->event_ms && e->event_ms < out->since_ms) {
            out->since_ms = e->event_ms;
            snprintf(out->detector, sizeof out->detector, "%s", e->detector);
        }
    }
}

/* The CNC tool: a "replace" entry once its RUL is under 4 lead times. A CNC changes worn tools
 * itself (tool life management), so while the wear stays inside the catalog's normal band the
 * entry is routine (low); it rises with the RUL only once the wear leaves the band: a change
 * that did not happen, or a tool wearing faster than its life (chipping). */
static void tool_entry(const struct catalog_type *t, const struct maint_machine *mm,
                       const struct health_estimate *h, int64_t now_ms, struct maint_action *out)
{
    memset(out, 0, sizeof *out);
    int wear = catalog_sensor_find(t, "tool.wear_percent");
    const struct catalog_fault *f = NULL;
    for (int i = 0; i < t->fault_count && !f; i++)
        if (strcmp(t->faults[i].component, "tool") == 0)
            f = &t->faults[i];
    if (!h || wear < 0 || !f || isnan(h->tool_rul_min) ||
        h->tool_rul_min / 60.0 > 4 * f->lead_time_h)
        return;
    snprintf(out->fault, sizeof out->fault, MAINT_TOOL_FAULT);
    snprintf(out->component, sizeof out->component, "tool");
    snprintf(out->action, sizeof out->action, "%s", f->action);
    out->lead_time_h = f->lead_time_h;
    out->sensor = wear;
    out->score = 1.0;
    set_due(out, now_ms, h->tool_rul_min / 60.0, 0.8f);
    out->urgency = urgency_for(out->rul_hours, f->lead_time_h, 0);
    const struct maint_sensor *ws = &mm->s[wear];
    if (out->urgency > MAINT_LOW && ws->seen && ws->level <= t->sensors[wear].normal_hi)
        out->urgency = MAINT_LOW;
    out->since_ms = now_ms;
    snprintf(out->detector, sizeof out->detector, "tool_rul");
    snprintf(out->evidence, sizeof out->evidence, "tool RUL %.0f cutting minutes (lead %.0f min)",
             h->tool_rul_min, f->lead_time_h * 60);
}

static void event_fill(struct event *ev, const struct maint_action *a, const char *change,
                       int64_t now_ms)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = EVENT_MAINT;
    ev->ts_ms = now_ms;
    ev->machine = a->machine;
    ev->sensor = a->sensor;
    snprintf(ev->machine_id, sizeof ev->machine_id, "%s", a->machine_id);
    snprintf(ev->detector, sizeof ev->detector, "%s", change);
    ev->priority = a->urgency;
    ev->score = a->score;
    ev->value = a->level;
    snprintf(ev->reason, sizeof ev->reason, "%s", a->evidence);
    snprintf(ev->maint.fault, sizeof ev->maint.fault, "%s", a->fault);
    snprintf(ev->maint.component, sizeof ev->maint.component, "%s", a->component);
    snprintf(ev->maint.action, sizeof ev->maint.action, "%s", a->action);
    ev->maint.rul_hours = a->rul_hours;
    ev->maint.first_ms = a->first_ms;
    ev->maint.due_ms = a->due_ms;
    ev->maint.due_lo_ms = a->due_lo_ms;
    ev->maint.due_hi_ms = a->due_hi_ms;
}

/* Folds the new judgement into slot: keeps first_ms and since_ms, says what changed. */
static const char *merge(struct maint_action *slot, struct maint_action *now, int64_t now_ms)
{
    bool had = slot->fault[0] != 0, has = now->fault[0] != 0;
    if (!had && !has)
        return NULL;
    if (had && (!has || strcmp(slot->fault, now->fault) != 0)) {
        slot->fault[0] = 0;
        return "clear";
    }
    const char *change = "recommend";
    if (had) {
        now->first_ms = slot->first_ms;
        if (slot->since_ms < now->since_ms) {
            now->since_ms = slot->since_ms;
            memcpy(now->detector, slot->detector, sizeof now->detector);
        }
        int64_t shift = llabs(now->due_ms - slot->due_ms);
        change = now->urgency > slot->urgency    ? "escalate"
                 : now->urgency != slot->urgency ? "update"
                 : (now->due_ms == 0) != (slot->due_ms == 0) ||
                         (now->due_ms && shift > (now->due_ms - now_ms) / 5 + 600000)
                     ? "update"
                     : NULL;
    } else {
        now->first_ms = now_ms;
    }
    *slot = *now;
    return change;
}

static void trend_push(struct maint_sensor *s, double p)
{
    if (isnan(p))
        return;
    if (s->trend_n < MAINT_TREND_LEN) {
        s->trend[(s->trend_head + s->trend_n++) % MAINT_TREND_LEN] = p;
    } else {
        s->trend[s->trend_head] = p;
        s->trend_head = (s->trend_head + 1) % MAINT_TREND_LEN;
    }
}

/* Once a minute each sensor's largest progress towards either limit joins its trend ring. */
static void trends_update(const struct catalog_type *t, struct maint_machine *mm)
{
    for (int i = 0; i < t->sensor_count && i < CATALOG_SENSORS_MAX; i++) {
        struct maint_sensor *s = &mm->s[i];
        if (!s->based || t->sensors[i].is_text)
            continue;
        double up = sensor_progress(t, s, i, 1), down = sensor_progress(t, s, i, -1);
        trend_push(s, fmax(up, down));
    }
}

int maint_assess(struct maint *m, int machine, const struct health_estimate *h, int64_t now_ms,
                 struct event *out, int max)
{
    struct maint_machine *mm = machine_at(m, machine);
    if (!mm || now_ms < mm->next_ms || !mm->start_ms)
        return 0;
    mm->next_ms = now_ms + MAINT_ASSESS_MS;
    const struct catalog_machine *cm = catalog_machine_at(m->cat, machine);
    const struct catalog_type *t = cm->type;
    trends_update(t, mm);
    struct maint_action fresh[MAINT_ACTIONS_MAX];
    diagnose(t, mm, m->recommend_score, h, now_ms, &fresh[0]);
    tool_entry(t, mm, h, now_ms, &fresh[1]);
    int n = 0;
    pthread_mutex_lock(&m->lock);
    for (int k = 0; k < MAINT_ACTIONS_MAX; k++) {
        fresh[k].machine = machine;
        snprintf(fresh[k].machine_id, sizeof fresh[k].machine_id, "%s", cm->id);
        if (k == 0 && fresh[k].fault[0])
            evidence_text(t, &fresh[k]);
        struct maint_action was = mm->act[k];
        const char *change = merge(&mm->act[k], &fresh[k], now_ms);
        if (change && n < max)
            event_fill(&out[n++], strcmp(change, "clear") == 0 ? &was : &mm->act[k], change,
                       now_ms);
        if (change && strcmp(change, "clear") == 0 && fresh[k].fault[0] &&
            merge(&mm->act[k], &fresh[k], now_ms) && n < max)
            event_fill(&out[n++], &mm->act[k], "recommend", now_ms);
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

void maint_set_done_hook(struct maint *m, void (*hook)(void *ctx, int machine, const char *fault),
                         void *ctx)
{
    m->hook = hook;
    m->hook_ctx = ctx;
}

int maint_done(struct maint *m, int machine, const char *fault, const struct alarm_operator *op,
               const char *note, int64_t now_ms, char *msg, size_t msglen)
{
    struct maint_machine *mm = machine_at(m, machine);
    const char *id = mm ? catalog_machine_at(m->cat, machine)->id : "?";
    int found = -1;
    pthread_mutex_lock(&m->lock);
    for (int k = 0; mm && k < MAINT_ACTIONS_MAX && found < 0; k++)
        if (mm->act[k].fault[0] && strcmp(mm->act[k].fault, fault) == 0)
            found = k;
    if (found < 0 || m->done_n >= MAINT_DONE_MAX) {
        pthread_mutex_unlock(&m->lock);
        snprintf(msg, msglen,
                 found < 0 ? "%s has no planned action for %s"
                           : "%s: too many actions waiting to be recorded (%s)",
                 id, fault);
        return -1;
    }
    struct maint_done_request *r = &m->done[m->done_n++];
    memset(r, 0, sizeof *r);
    r->machine = machine;
    snprintf(r->fault, sizeof r->fault, "%s", fault);
    r->op = *op;
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    r->ts_ms = now_ms;
    r->wall_ms = clock_wall_ms();
    r->was = mm->act[found];
    mm->act[found].fault[0] = 0;
    pthread_mutex_unlock(&m->lock);
    if (m->hook)
        m->hook(m->hook_ctx, machine, fault);
    snprintf(msg, msglen, "%s %s %s: done", id, r->was.component, r->was.action);
    return 0;
}

/* A done action restarts the evidence: baselines are learned again from now on. */
static void machine_restart(struct maint_machine *mm, int64_t now_ms)
{
    memset(mm->s, 0, sizeof mm->s);
    mm->start_ms = now_ms;
    mm->next_ms = 0;
}

int maint_take_done(struct maint *m, struct event *out, int *machine)
{
    pthread_mutex_lock(&m->lock);
    if (!m->done_n) {
        pthread_mutex_unlock(&m->lock);
        return 0;
    }
    struct maint_done_request r = m->done[0];
    memmove(&m->done[0], &m->done[1], (size_t)(m->done_n - 1) * sizeof m->done[0]);
    m->done_n--;
    struct maint_machine *mm = &m->machines[r.machine];
    for (int k = 0; k < MAINT_ACTIONS_MAX; k++)
        mm->act[k].fault[0] = 0;
    pthread_mutex_unlock(&m->lock);
    machine_restart(mm, r.ts_ms);
    event_fill(out, &r.was, "done", r.ts_ms);
    snprintf(out->reason, sizeof out->reason, "%s", r.note);
    snprintf(out->maint.who, sizeof out->maint.who, "%s", r.op.name);
    snprintf(out->maint.host, sizeof out->maint.host, "%s", r.op.host);
    out->value = (double)r.wall_ms;
    *machine = r.machine;
    return 1;
}

double maint_peak_score(struct maint *m, int machine)
{
    struct maint_machine *mm = machine_at(m, machine);
    return mm ? mm->peak_score : NAN;
}

static int action_cmp(const void *pa, const void *pb)
{
    const struct maint_action *a = pa, *b = pb;
    if ((a->due_ms == 0) != (b->due_ms == 0))
        return a->due_ms == 0 ? 1 : -1;
    if (a->due_ms != b->due_ms)
        return a->due_ms < b->due_ms ? -1 : 1;
    if (a->urgency != b->urgency)
        return b->urgency - a->urgency;
    return a->machine - b->machine;
}

int maint_plan(struct maint *m, struct maint_action *out, int max)
{
    int n = 0;
    int machines = catalog_machine_count(m->cat);
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < machines && i < m->capacity; i++)
        for (int k = 0; k < MAINT_ACTIONS_MAX && n < max; k++)
            if (m->machines[i].act[k].fault[0])
                out[n++] = m->machines[i].act[k];
    pthread_mutex_unlock(&m->lock);
    qsort(out, (size_t)n, sizeof *out, action_cmp);
    return n;
}

void maint_counts(struct maint *m, int64_t now_ms, int *overdue, int *due_shift)
{
    *overdue = *due_shift = 0;
    int machines = catalog_machine_count(m->cat);
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < machines && i < m->capacity; i++)
        for (int k = 0; k < MAINT_ACTIONS_MAX; k++) {
            const struct maint_action *a = &m->machines[i].act[k];
            if (!a->fault[0] || !a->due_ms)
                continue;
            *overdue += a->due_ms <= now_ms;
            *due_shift += a->due_ms > now_ms && a->due_ms <= now_ms + MAINT_SHIFT_MS;
        }
    pthread_mutex_unlock(&m->lock);
}

static void json_time(cJSON *o, const char *name, int64_t ms)
{
    char iso[32];
    if (!ms) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    clock_format_iso8601(ms, iso, sizeof iso);
    cJSON_AddStringToObject(o, name, iso);
}

char *maint_plan_json(struct maint *m, int machine, int64_t now_ms)
{
    struct maint_machine *mm = machine_at(m, machine);
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    if (!mm || !root || !arr) {
        cJSON_Delete(root);
        cJSON_Delete(arr);
        return NULL;
    }
    const struct catalog_machine *cm = catalog_machine_at(m->cat, machine);
    cJSON_AddStringToObject(root, "machine_id", cm->id);
    json_time(root, "ts", now_ms);
    cJSON_AddItemToObject(root, "actions", arr);
    pthread_mutex_lock(&m->lock);
    for (int k = 0; k < MAINT_ACTIONS_MAX; k++) {
        const struct maint_action *a = &mm->act[k];
        cJSON *o = a->fault[0] ? cJSON_CreateObject() : NULL;
        if (!o)
            continue;
        cJSON_AddStringToObject(o, "component", a->component);
        cJSON_AddStringToObject(o, "action", a->action);
        cJSON_AddStringToObject(o, "urgency", maint_urgency_name(a->urgency));
        json_time(o, "first_recommended", a->first_ms);
        json_time(o, "due", a->due_ms);
        json_time(o, "due_earliest", a->due_lo_ms);
        json_time(o, "due_latest", a->due_hi_ms);
        cJSON_AddStringToObject(o, "fault", a->fault);
        cJSON_AddStringToObject(o, "sensor", cm->type->sensors[a->sensor].name);
        cJSON_AddStringToObject(o, "detector", a->detector);
        cJSON_AddStringToObject(o, "evidence", a->evidence);
        cJSON_AddItemToArray(arr, o);
    }
    pthread_mutex_unlock(&m->lock);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
