// SPDX-License-Identifier: MIT
/* The alarm manager: the ISA-18.2 alarm lifecycle, operator actions and queries.
 *
 * The state of an alarm (alarm_state in alarm.h) is derived from three facts by derive_state():
 * active (the process condition is present), acked, and an overlay that hides it (shelved,
 * suppressed, out of service; the overlays win in that order of precedence, out of service first).
 *
 *              activate()                         ack_locked()
 *   NORMAL ----------------------> ACTIVE_UNACKED -------------------> ACTIVE_ACKED
 *    ^  ^  (a limit past its          |            (alarm_ack, ack_all)    |
 *    |  |   on-delay, an anomaly)     | deactivate() (back inside the      |
 *    |  |                             v  deadband, verified, auto-clear)   |
 *    |  +---- ack_locked() ---- CLEARED_UNACKED (RTN unacked)              |
 *    +---------------------------- deactivate() ---------------------------+
 *
 *   A repeat while CLEARED_UNACKED goes back to ACTIVE_UNACKED (activate()); a priority rise
 *   while active re-annunciates (ALARM_CHANGE_ESCALATED, update_locked()).
 *
 *   Overlays, from any state (the process state goes on underneath and shows again after):
 *     SHELVED          alarm_shelve()                 -> unshelve_locked(): alarm_unshelve(), on
 *                      (timed or one-shot)               expiry in tick_slot(), a one-shot on clear
 *                                                        in deactivate()
 *     SUPPRESSED       alarm_suppress(on)             -> alarm_suppress(off)
 *     OUT_OF_SERVICE   alarm_set_out_of_service(on)   -> alarm_set_out_of_service(off)
 *   Entering an overlay marks the alarm acknowledged; leaving it while the condition is still
 *   active makes it ACTIVE_UNACKED again (overlay_off(), unshelve_locked()) so that the operator
 *   sees it. A condition that clears while hidden is acknowledged by deactivate().
 *   Flags beside the state: stale (active longer than ALARM_STALE_MS) and chattering (too many
 *   transitions in ALARM_CHATTER_WINDOW_MS), both kept by tick_slot().
 */
#include "alarm.h"
#include "clock.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define ALARM_LISTENERS_MAX 4
#define ALARM_EVENT_RING 1024
#define ALARM_FLOOD_RING 256
#define ALARM_TICK_PERIOD_MS 250
#define ALARM_TRACKED_MACHINES 256

struct alarm_slot {
    struct alarm_info info;
    uint64_t hash;
    int64_t pending_since_ms; /* on-delay running; 0 when none */
    int pending_priority;
    double pending_value;
    int64_t transitions[ALARM_CHATTER_TRANSITIONS]; /* newest activation/clear times, ring */
    int transition_head;
    bool unverified; /* restored active: awaits re-confirmation */
    int64_t verify_by_ms;
    int64_t auto_clear_ms; /* detector alarms clear when not refreshed; 0: never */
};

/* Strong anomaly events of one machine, newest last: an "anomaly" alarm needs several. */
struct anomaly_track {
    char machine_id[CATALOG_NAME_MAX];
    int64_t ts[ALARM_ANOMALY_EVENTS];
    int head;
};

struct alarm_manager {
    pthread_mutex_t lock;
    struct anomaly_track tracks[ALARM_TRACKED_MACHINES];
    int track_count;
    struct catalog *cat;
    struct alarm_slot *slots;
    int count, capacity;
    uint32_t next_id;
    struct alarm_listener listeners[ALARM_LISTENERS_MAX];
    int listener_count;
    struct event ring[ALARM_EVENT_RING];
    size_t ring_head, ring_len;
    uint64_t events_dropped;
    int64_t flood_ts[ALARM_FLOOD_RING];
    int flood_head, flood_len;
    int64_t now_ms, last_tick_ms;
    uint64_t bell_seq, seq;
};

static const char *const priority_names[ALARM_PRIO_COUNT] = {"low", "medium", "high", "critical"};
static const char *const state_names[ALARM_STATE_COUNT] = {
    "normal",  "active_unacked", "active_acked",  "cleared_unacked",
    "shelved", "suppressed",     "out_of_service"};
static const char *const state_labels[ALARM_STATE_COUNT] = {
    "NORMAL", "UNACK", "ACKED", "RTN-UNACK", "SHELVED", "SUPPR", "OOS"};
static const char *const change_names[] = {
    "raise", "escalate", "update",     "clear",          "ack",        "shelve", "unshelve",
    "note",  "suppress", "unsuppress", "out_of_service", "in_service", "flag"};

const char *alarm_priority_name(int priority)
{
    if (priority < 0 || priority >= ALARM_PRIO_COUNT)
        return "unknown";
    return priority_names[priority];
}

int alarm_priority_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < ALARM_PRIO_COUNT; i++)
        if (strcasecmp(name, priority_names[i]) == 0)
            return i;
    if (strcasecmp(name, "warning") == 0 || strcasecmp(name, "warn") == 0)
        return ALARM_PRIO_MEDIUM;
    if (strcasecmp(name, "alarm") == 0)
        return ALARM_PRIO_HIGH;
    return -1;
}

const char *alarm_state_name(int state)
{
    if (state < 0 || state >= ALARM_STATE_COUNT)
        return "unknown";
    return state_names[state];
}

const char *alarm_state_label(int state)
{
    if (state < 0 || state >= ALARM_STATE_COUNT)
        return "?";
    return state_labels[state];
}

int alarm_state_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < ALARM_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

const char *alarm_change_name(enum alarm_change what)
{
    if ((int)what < 0 || (size_t)what >= sizeof change_names / sizeof change_names[0])
        return "unknown";
    return change_names[what];
}

int alarm_priority_for_limit(int twin_state, bool safety_critical)
{
    if (twin_state == TWIN_WARN)
        return ALARM_PRIO_MEDIUM;
    if (twin_state != TWIN_ALARM)
        return ALARM_PRIO_LOW;
    return safety_critical ? ALARM_PRIO_CRITICAL : ALARM_PRIO_HIGH;
}

/* The catalog's safety_critical flag of the event's sensor (false without a catalog). */
static bool limit_is_safety(const struct alarm_manager *m, const struct event *ev)
{
    if (!m->cat)
        return false;
    int mi = ev->machine >= 0 ? ev->machine : catalog_machine_find(m->cat, ev->machine_id);
    const struct catalog_machine *cm = mi >= 0 ? catalog_machine_at(m->cat, mi) : NULL;
    if (!cm)
        return false;
    int n = catalog_sensor_count(cm->type);
    for (int i = 0; i < n; i++)
        if (strcmp(cm->type->sensors[i].name, ev->sensor_name) == 0)
            return cm->type->sensors[i].safety_critical;
    return false;
}

/* Copies text without control characters (it reaches the terminal and the database). */
static void copy_clean(char *dst, size_t len, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src && src[i] && j + 1 < len; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    dst[j] = '\0';
}

/* snprintf where truncation of operator text is accepted. */
__attribute__((format(printf, 3, 4))) static void text_printf(char *dst, size_t len,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, len, fmt, ap);
    va_end(ap);
}

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}


static uint64_t key_hash(const char *machine, const char *condition)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = machine; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = condition; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

struct alarm_manager *alarm_manager_create(struct catalog *cat, int capacity, char *err,
                                           size_t errlen)
{
    if (capacity <= 0)
        capacity = ALARM_CAPACITY_DEFAULT;
    struct alarm_manager *m = calloc(1, sizeof *m);
    if (m)
        m->slots = calloc((size_t)capacity, sizeof *m->slots);
    if (!m || !m->slots) {
        free(m);
        snprintf(err, errlen, "alarm manager: out of memory for %d alarms", capacity);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->cat = cat;
    m->capacity = capacity;
    m->next_id = 1;
    return m;
}

void alarm_manager_destroy(struct alarm_manager *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->slots);
    free(m);
}

int alarm_add_listener(struct alarm_manager *m, const struct alarm_listener *l)
{
    pthread_mutex_lock(&m->lock);
    int rc = -1;
    if (m->listener_count < ALARM_LISTENERS_MAX) {
        m->listeners[m->listener_count++] = *l;
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

void alarm_remove_listener(struct alarm_manager *m, void *ctx)
{
    pthread_mutex_lock(&m->lock);
    int j = 0;
    for (int i = 0; i < m->listener_count; i++)
        if (m->listeners[i].ctx != ctx)
            m->listeners[j++] = m->listeners[i];
    m->listener_count = j;
    pthread_mutex_unlock(&m->lock);
}

static bool hidden(const struct alarm_info *a)
{
    return a->shelved || a->suppressed || a->out_of_service;
}

static int derive_state(const struct alarm_info *a)
{
    if (a->out_of_service)
        return ALARM_OUT_OF_SERVICE;
    if (a->suppressed)
        return ALARM_SUPPRESSED;
    if (a->shelved)
        return ALARM_SHELVED;
    if (a->active)
        return a->acked ? ALARM_ACTIVE_ACKED : ALARM_ACTIVE_UNACKED;
    return a->acked ? ALARM_NORMAL : ALARM_CLEARED_UNACKED;
}

static struct alarm_slot *slot_find(struct alarm_manager *m, const char *machine,
                                    const char *condition)
{
    uint64_t h = key_hash(machine, condition);
    for (int i = 0; i < m->count; i++) {
        struct alarm_slot *s = &m->slots[i];
        if (s->hash == h && strcmp(s->info.machine_id, machine) == 0 &&
            strcmp(s->info.condition, condition) == 0)
            return s;
    }
    return NULL;
}

static struct alarm_slot *slot_by_id(struct alarm_manager *m, uint32_t id)
{
    for (int i = 0; i < m->count; i++)
        if (m->slots[i].info.id == id)
            return &m->slots[i];
    return NULL;
}

static struct alarm_slot *slot_new(struct alarm_manager *m, const char *machine,
                                   const char *condition, uint32_t id)
{
    if (m->count >= m->capacity)
        return NULL;
    struct alarm_slot *s = &m->slots[m->count++];
    memset(s, 0, sizeof *s);
    copy_clean(s->info.machine_id, sizeof s->info.machine_id, machine);
    copy_clean(s->info.condition, sizeof s->info.condition, condition);
    s->hash = key_hash(s->info.machine_id, s->info.condition);
    s->info.id = id ? id : m->next_id;
    if (s->info.id >= m->next_id)
        m->next_id = s->info.id + 1;
    s->info.acked = true;
    s->info.state = ALARM_NORMAL;
    return s;
}

static void push_event(struct alarm_manager *m, enum alarm_change what, const struct alarm_info *a,
                       const struct alarm_action *act)
{
    if (m->ring_len == ALARM_EVENT_RING) {
        m->ring_head = (m->ring_head + 1) % ALARM_EVENT_RING;
        m->ring_len--;
        m->events_dropped++;
    }
    struct event *ev = &m->ring[(m->ring_head + m->ring_len++) % ALARM_EVENT_RING];
    memset(ev, 0, sizeof *ev);
    ev->kind = EVENT_ALARM;
    ev->ts_ms = act ? act->ts_ms : (a->last_ts_ms ? a->last_ts_ms : m->now_ms);
    ev->machine = -1;
    ev->sensor = -1;
    if (m->cat) {
        ev->machine = catalog_machine_find(m->cat, a->machine_id);
        if (ev->machine >= 0) {
            char sensor[CATALOG_NAME_MAX];
            snprintf(sensor, sizeof sensor, "%.*s", (int)strcspn(a->condition, ":"), a->condition);
            ev->sensor = catalog_sensor_find(catalog_machine_at(m->cat, ev->machine)->type, sensor);
        }
    }
    snprintf(ev->machine_id, sizeof ev->machine_id, "%s", a->machine_id);
    copy_clean(ev->sensor_name, sizeof ev->sensor_name, a->condition);
    snprintf(ev->detector, sizeof ev->detector, "%s", alarm_change_name(what));
    ev->value = a->last_value;
    ev->score = 1.0;
    ev->state = a->state;
    ev->priority = a->priority;
    if (act)
        text_printf(ev->reason, sizeof ev->reason, "%s by %s: %s", act->action, act->operator_name,
                    act->reason);
    else
        snprintf(ev->reason, sizeof ev->reason, "%s", a->message);
}

/* Publishes a change: derived state, sequence, event ring, listeners. Lock held. */
static void emit(struct alarm_manager *m, struct alarm_slot *s, enum alarm_change what,
                 const struct alarm_action *act)
{
    struct alarm_info *a = &s->info;
    a->state = derive_state(a);
    if (a->state == ALARM_NORMAL)
        a->first_out = false;
    m->seq++;
    push_event(m, what, a, act);
    for (int i = 0; i < m->listener_count; i++)
        m->listeners[i].on_change(m->listeners[i].ctx, what, a, act);
}

static void make_action(struct alarm_manager *m, struct alarm_action *act,
                        const struct alarm_info *a, const char *action,
                        const struct alarm_operator *op, const char *reason)
{
    memset(act, 0, sizeof *act);
    act->alarm_id = a->id;
    snprintf(act->machine_id, sizeof act->machine_id, "%s", a->machine_id);
    snprintf(act->condition, sizeof act->condition, "%s", a->condition);
    snprintf(act->action, sizeof act->action, "%s", action);
    copy_clean(act->operator_name, sizeof act->operator_name, op ? op->name : "system");
    copy_clean(act->host, sizeof act->host, op ? op->host : "");
    act->ts_ms = m->now_ms;
    act->wall_ts_ms = clock_wall_ms();
    copy_clean(act->reason, sizeof act->reason, reason ? reason : "");
}

static void record_transition(struct alarm_manager *m, struct alarm_slot *s, int64_t ts)
{
    s->transitions[s->transition_head] = ts;
    s->transition_head = (s->transition_head + 1) % ALARM_CHATTER_TRANSITIONS;
    /* the oldest of the last N transitions sits at head now */
    int64_t oldest = s->transitions[s->transition_head];
    if (oldest > 0 && ts - oldest <= ALARM_CHATTER_WINDOW_MS && !s->info.chattering) {
        s->info.chattering = true;
        s->info.on_delay_ms =
            s->info.on_delay_ms ? s->info.on_delay_ms * 2 : ALARM_CHATTER_ON_DELAY_MS;
        if (s->info.on_delay_ms > ALARM_CHATTER_ON_DELAY_MAX_MS)
            s->info.on_delay_ms = ALARM_CHATTER_ON_DELAY_MAX_MS;
        emit(m, s, ALARM_CHANGE_FLAG, NULL);
    }
}

static bool machine_clear(struct alarm_manager *m, const struct alarm_slot *except)
{
    for (int i = 0; i < m->count; i++) {
        const struct alarm_slot *o = &m->slots[i];
        if (o != except && strcmp(o->info.machine_id, except->info.machine_id) == 0 &&
            !hidden(&o->info) && (o->info.active || !o->info.acked))
            return false;
    }
    return true;
}

static void flood_push(struct alarm_manager *m, int64_t ts)
{
    m->flood_ts[(m->flood_head + m->flood_len) % ALARM_FLOOD_RING] = ts;
    if (m->flood_len < ALARM_FLOOD_RING)
        m->flood_len++;
    else
        m->flood_head = (m->flood_head + 1) % ALARM_FLOOD_RING;
}

static int flood_count(const struct alarm_manager *m)
{
    int n = 0;
    for (int i = 0; i < m->flood_len; i++)
        if (m->flood_ts[(m->flood_head + i) % ALARM_FLOOD_RING] > m->now_ms - ALARM_FLOOD_WINDOW_MS)
            n++;
    return n;
}

static void activate(struct alarm_manager *m, struct alarm_slot *s, int64_t ts, int priority,
                     double value, const char *message)
{
    struct alarm_info *a = &s->info;
    a->first_out = machine_clear(m, s);
    a->active = true;
    a->count++;
    a->active_since_ms = ts;
    a->last_ts_ms = ts;
    if (!a->first_ts_ms)
        a->first_ts_ms = ts;
    a->priority = priority;
    a->last_value = value;
    if (message)
        copy_clean(a->message, sizeof a->message, message);
    s->pending_since_ms = 0;
    s->unverified = false;
    if (!hidden(a)) {
        a->acked = false;
        a->acked_by[0] = '\0';
        a->acked_ts_ms = 0;
        flood_push(m, ts);
        if (priority >= ALARM_PRIO_HIGH)
            m->bell_seq++;
    }
    emit(m, s, ALARM_CHANGE_RAISED, NULL);
    record_transition(m, s, ts);
}

static void deactivate(struct alarm_manager *m, struct alarm_slot *s, int64_t ts)
{
    struct alarm_info *a = &s->info;
    a->active = false;
    a->active_since_ms = 0;
    a->last_ts_ms = ts;
    a->stale = false;
    s->unverified = false;
    s->auto_clear_ms = 0;
    if (hidden(a))
        a->acked = true;
    emit(m, s, ALARM_CHANGE_CLEARED, NULL);
    record_transition(m, s, ts);
    if (a->shelved && a->shelve_oneshot) {
        struct alarm_action act;
        a->shelved = a->shelve_oneshot = false;
        a->shelve_reason[0] = '\0';
        make_action(m, &act, a, "unshelve", NULL, "one-shot shelve ended: condition cleared");
        emit(m, s, ALARM_CHANGE_UNSHELVE, &act);
    }
}

static void advance_now(struct alarm_manager *m, int64_t ts)
{
    if (ts > m->now_ms)
        m->now_ms = ts;
}

static int update_locked(struct alarm_manager *m, const struct alarm_input *in)
{
    advance_now(m, in->ts_ms);
    struct alarm_slot *s = slot_find(m, in->machine_id, in->condition);
    if (!s) {
        if (!in->active)
            return 0;
        s = slot_new(m, in->machine_id, in->condition, 0);
        if (!s)
            return -1;
    }
    struct alarm_info *a = &s->info;
    int prio = in->priority < 0                   ? 0
               : in->priority >= ALARM_PRIO_COUNT ? ALARM_PRIO_COUNT - 1
                                                  : in->priority;
    if (!in->active) {
        s->pending_since_ms = 0;
        if (a->active) {
            a->last_value = in->value; /* the value it cleared at */
            deactivate(m, s, in->ts_ms);
        }
        return (int)a->id;
    }
    if (!a->active) {
        if (a->on_delay_ms > 0) {
            if (!s->pending_since_ms)
                s->pending_since_ms = in->ts_ms;
            s->pending_priority = prio;
            s->pending_value = in->value;
            if (in->ts_ms - s->pending_since_ms < a->on_delay_ms)
                return (int)a->id;
        }
        activate(m, s, in->ts_ms, prio, in->value, in->message);
        return (int)a->id;
    }
    s->unverified = false;
    a->last_value = in->value;
    a->last_ts_ms = in->ts_ms;
    if (in->message)
        copy_clean(a->message, sizeof a->message, in->message);
    if (prio > a->priority) {
        a->priority = prio;
        if (!hidden(a)) {
            a->acked = false;
            a->acked_by[0] = '\0';
            if (prio >= ALARM_PRIO_HIGH)
                m->bell_seq++;
        }
        emit(m, s, ALARM_CHANGE_ESCALATED, NULL);
    } else if (prio != a->priority) {
        a->priority = prio;
        emit(m, s, ALARM_CHANGE_UPDATED, NULL);
    }
    return (int)a->id;
}

int alarm_update(struct alarm_manager *m, const struct alarm_input *in)
{
    if (!in->machine_id || !in->condition || !in->machine_id[0] || !in->condition[0])
        return -1;
    pthread_mutex_lock(&m->lock);
    int rc = update_locked(m, in);
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Which side of the normal band a value lies on, from the catalog when known. */
static bool value_is_high(struct alarm_manager *m, const struct event *ev)
{
    if (!m->cat || ev->machine < 0 || ev->machine >= catalog_machine_count(m->cat))
        return true;
    const struct catalog_type *t = catalog_machine_at(m->cat, ev->machine)->type;
    if (ev->sensor < 0 || ev->sensor >= catalog_sensor_count(t))
        return true;
    const struct catalog_sensor *cs = &t->sensors[ev->sensor];
    double mid = cs->nominal;
    if (isfinite(cs->normal_lo) && isfinite(cs->normal_hi))
        mid = (cs->normal_lo + cs->normal_hi) / 2;
    if (!isfinite(cs->warn_lo) && !isfinite(cs->alarm_lo))
        return true;
    if (!isfinite(cs->warn_hi) && !isfinite(cs->alarm_hi))
        return false;
    return ev->value >= mid;
}

static void on_limit(struct alarm_manager *m, const struct event *ev)
{
    char hi[ALARM_CONDITION_MAX], lo[ALARM_CONDITION_MAX], msg[ALARM_TEXT_MAX];
    snprintf(hi, sizeof hi, "%s:hi", ev->sensor_name);
    snprintf(lo, sizeof lo, "%s:lo", ev->sensor_name);
    struct alarm_input in = {.ts_ms = ev->ts_ms, .machine_id = ev->machine_id, .value = ev->value};
    if (ev->state == TWIN_STALE)
        return;
    if (ev->state == TWIN_OK) {
        in.condition = hi;
        update_locked(m, &in);
        in.condition = lo;
        update_locked(m, &in);
        return;
    }
    bool high = value_is_high(m, ev);
    in.condition = high ? lo : hi; /* the other side cannot be active now */
    update_locked(m, &in);
    if (ev->reason[0])
        snprintf(msg, sizeof msg, "%s", ev->reason);
    else
        snprintf(msg, sizeof msg, "%s %s limit (%g)", ev->sensor_name,
                 ev->state == TWIN_ALARM ? "alarm" : "warn", ev->value);
    in.condition = high ? hi : lo;
    in.active = true;
    in.priority = alarm_priority_for_limit(ev->state, limit_is_safety(m, ev));
    in.message = msg;
    update_locked(m, &in);
}

static struct anomaly_track *track_for(struct alarm_manager *m, const char *machine_id)
{
    for (int i = 0; i < m->track_count; i++)
        if (strcmp(m->tracks[i].machine_id, machine_id) == 0)
            return &m->tracks[i];
    if (m->track_count == ALARM_TRACKED_MACHINES)
        return NULL;
    struct anomaly_track *t = &m->tracks[m->track_count++];
    memset(t, 0, sizeof *t);
    copy_clean(t->machine_id, sizeof t->machine_id, machine_id);
    return t;
}

/* Detectors fire often on noise; an alarm must call for action, so only a sustained strong
 * anomaly (several strong events within the window) raises the machine's "anomaly" alarm. */
static void on_anomaly(struct alarm_manager *m, const struct event *ev)
{
    if (ev->score < ALARM_ANOMALY_SCORE)
        return;
    struct anomaly_track *t = track_for(m, ev->machine_id);
    if (!t)
        return;
    t->ts[t->head] = ev->ts_ms;
    t->head = (t->head + 1) % ALARM_ANOMALY_EVENTS;
    int64_t oldest = t->ts[t->head];
    struct alarm_slot *s = slot_find(m, ev->machine_id, "anomaly");
    bool sustained = oldest > 0 && ev->ts_ms - oldest <= ALARM_ANOMALY_WINDOW_MS;
    if (!sustained && !(s && s->info.active))
        return;
    char msg[ALARM_TEXT_MAX];
    if (ev->sensor_name[0])
        text_printf(msg, sizeof msg, "%s on %s: %s", ev->detector, ev->sensor_name, ev->reason);
    else
        text_printf(msg, sizeof msg, "%s: %s", ev->detector, ev->reason);
    struct alarm_input in = {.ts_ms = ev->ts_ms,
                             .machine_id = ev->machine_id,
                             .condition = "anomaly",
                             .priority = ALARM_PRIO_LOW,
                             .active = true,
                             .value = ev->score,
                             .message = msg};
    int id = update_locked(m, &in);
    if (id > 0 && (s = slot_by_id(m, (uint32_t)id)) && s->info.active)
        s->auto_clear_ms = ev->ts_ms + ALARM_ANOMALY_WINDOW_MS;
}

void alarm_on_event(struct alarm_manager *m, const struct event *ev)
{
    if (ev->kind != EVENT_LIMIT && ev->kind != EVENT_ANOMALY)
        return;
    if (!ev->machine_id[0] || !ev->sensor_name[0]) {
        if (ev->kind == EVENT_LIMIT || !ev->machine_id[0])
            return;
    }
    pthread_mutex_lock(&m->lock);
    if (ev->kind == EVENT_LIMIT)
        on_limit(m, ev);
    else
        on_anomaly(m, ev);
    pthread_mutex_unlock(&m->lock);
}

static void unshelve_locked(struct alarm_manager *m, struct alarm_slot *s,
                            const struct alarm_operator *op, const char *reason)
{
    struct alarm_info *a = &s->info;
    struct alarm_action act;
    a->shelved = a->shelve_oneshot = false;
    a->shelved_until_ms = 0;
    a->shelve_reason[0] = '\0';
    if (!hidden(a) && a->active) {
        a->acked = false; /* it shows again: the operator must see it */
        if (a->priority >= ALARM_PRIO_HIGH)
            m->bell_seq++;
    }
    make_action(m, &act, a, "unshelve", op, reason);
    emit(m, s, ALARM_CHANGE_UNSHELVE, &act);
}

static void tick_slot(struct alarm_manager *m, struct alarm_slot *s)
{
    struct alarm_info *a = &s->info;
    int64_t now = m->now_ms;
    if (!a->active && s->pending_since_ms && now - s->pending_since_ms >= a->on_delay_ms)
        activate(m, s, now, s->pending_priority, s->pending_value, NULL);
    if (a->shelved && !a->shelve_oneshot && a->shelved_until_ms && a->shelved_until_ms <= now)
        unshelve_locked(m, s, NULL, "shelve expired");
    if (s->unverified) {
        if (!s->verify_by_ms)
            s->verify_by_ms = now + ALARM_RESTORE_VERIFY_MS;
        else if (now >= s->verify_by_ms)
            deactivate(m, s, now);
    }
    if (a->active && s->auto_clear_ms && now >= s->auto_clear_ms)
        deactivate(m, s, now);
    bool stale = a->active && a->active_since_ms && now - a->active_since_ms > ALARM_STALE_MS;
    int64_t oldest = s->transitions[s->transition_head];
    int64_t newest = s->transitions[(s->transition_head + ALARM_CHATTER_TRANSITIONS - 1) %
                                    ALARM_CHATTER_TRANSITIONS];
    bool chattering = oldest > 0 && newest - oldest <= ALARM_CHATTER_WINDOW_MS &&
                      now - oldest <= ALARM_CHATTER_WINDOW_MS;
    if (stale != a->stale || (a->chattering && !chattering)) {
        a->stale = stale;
        if (!chattering)
            a->chattering = false;
        emit(m, s, ALARM_CHANGE_FLAG, NULL);
    }
}

void alarm_tick(struct alarm_manager *m, int64_t now_ms)
{
    pthread_mutex_lock(&m->lock);
    advance_now(m, now_ms);
    if (m->now_ms - m->last_tick_ms >= ALARM_TICK_PERIOD_MS || m->now_ms < m->last_tick_ms) {
        m->last_tick_ms = m->now_ms;
        for (int i = 0; i < m->count; i++)
            tick_slot(m, &m->slots[i]);
    }
    pthread_mutex_unlock(&m->lock);
}

size_t alarm_drain_events(struct alarm_manager *m, struct event *out, size_t max)
{
    pthread_mutex_lock(&m->lock);
    size_t n = 0;
    while (n < max && m->ring_len > 0) {
        out[n++] = m->ring[m->ring_head];
        m->ring_head = (m->ring_head + 1) % ALARM_EVENT_RING;
        m->ring_len--;
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}

/* Looks the alarm up for an operator action; fills msg when unknown. Lock held. */
static struct alarm_slot *action_slot(struct alarm_manager *m, uint32_t id, char *msg,
                                      size_t msglen)
{
    struct alarm_slot *s = slot_by_id(m, id);
    if (!s)
        snprintf(msg, msglen, "no alarm with id %u", id);
    return s;
}

static const char *hidden_word(const struct alarm_info *a)
{
    return a->out_of_service ? "out of service" : a->suppressed ? "suppressed" : "shelved";
}

static int ack_locked(struct alarm_manager *m, struct alarm_slot *s,
                      const struct alarm_operator *op, const char *reason, char *msg, size_t msglen)
{
    struct alarm_info *a = &s->info;
    if (hidden(a)) {
        snprintf(msg, msglen, "%s %s is %s: unshelve or return it to service first", a->machine_id,
                 a->condition, hidden_word(a));
        return -1;
    }
    if (a->acked) {
        if (a->active)
            snprintf(msg, msglen, "%s %s is already acknowledged by %s", a->machine_id,
                     a->condition, a->acked_by[0] ? a->acked_by : "someone");
        else
            snprintf(msg, msglen, "%s %s is normal: nothing to acknowledge", a->machine_id,
                     a->condition);
        return -1;
    }
    struct alarm_action act;
    make_action(m, &act, a, "ack", op, reason);
    a->acked = true;
    copy_clean(a->acked_by, sizeof a->acked_by, act.operator_name);
    a->acked_ts_ms = m->now_ms;
    emit(m, s, ALARM_CHANGE_ACK, &act);
    snprintf(msg, msglen, "acknowledged %s %s", a->machine_id, a->condition);
    return 0;
}

int alarm_ack(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op, char *msg,
              size_t msglen)
{
    pthread_mutex_lock(&m->lock);
    struct alarm_slot *s = action_slot(m, id, msg, msglen);
    int rc = s ? ack_locked(m, s, op, "", msg, msglen) : -1;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int alarm_ack_all(struct alarm_manager *m, const uint32_t *ids, int n,
                  const struct alarm_operator *op, char *msg, size_t msglen)
{
    char ignored[ALARM_TEXT_MAX];
    int acked = 0;
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < n; i++) {
        struct alarm_slot *s = slot_by_id(m, ids[i]);
        if (s && !hidden(&s->info) && !s->info.acked &&
            ack_locked(m, s, op, "ack all visible", ignored, sizeof ignored) == 0)
            acked++;
    }
    pthread_mutex_unlock(&m->lock);
    if (acked)
        snprintf(msg, msglen, "acknowledged %d of %d alarms", acked, n);
    else
        snprintf(msg, msglen, "none of the %d alarms awaits acknowledgement", n);
    return acked;
}

int alarm_shelve(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
                 int64_t duration_ms, const char *reason, char *msg, size_t msglen)
{
    if (blank(reason)) {
        snprintf(msg, msglen, "shelving needs a reason");
        return -1;
    }
    if (duration_ms < 0) {
        snprintf(msg, msglen, "shelve duration must not be negative");
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    int rc = -1;
    struct alarm_slot *s = action_slot(m, id, msg, msglen);
    struct alarm_info *a = s ? &s->info : NULL;
    if (!a) {
    } else if (hidden(a)) {
        snprintf(msg, msglen, "%s %s is already %s", a->machine_id, a->condition, hidden_word(a));
    } else if (duration_ms == 0 && !a->active) {
        snprintf(msg, msglen, "%s %s is not active: a one-shot shelve needs a duration",
                 a->machine_id, a->condition);
    } else {
        struct alarm_action act;
        char why[ALARM_TEXT_MAX];
        if (duration_ms)
            snprintf(why, sizeof why, "%s (for %lld s)", reason, (long long)(duration_ms / 1000));
        else
            snprintf(why, sizeof why, "%s (until it clears)", reason);
        make_action(m, &act, a, "shelve", op, why);
        a->shelved = true;
        a->shelve_oneshot = duration_ms == 0;
        a->shelved_until_ms = duration_ms ? m->now_ms + duration_ms : 0;
        copy_clean(a->shelve_reason, sizeof a->shelve_reason, reason);
        a->acked = true; /* a shelved alarm is not annunciated */
        emit(m, s, ALARM_CHANGE_SHELVE, &act);
        snprintf(msg, msglen, "shelved %s %s", a->machine_id, a->condition);
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int alarm_unshelve(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
                   const char *reason, char *msg, size_t msglen)
{
    pthread_mutex_lock(&m->lock);
    int rc = -1;
    struct alarm_slot *s = action_slot(m, id, msg, msglen);
    if (s && !s->info.shelved) {
        snprintf(msg, msglen, "%s %s is not shelved", s->info.machine_id, s->info.condition);
    } else if (s) {
        unshelve_locked(m, s, op, reason);
        snprintf(msg, msglen, "unshelved %s %s", s->info.machine_id, s->info.condition);
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int alarm_note(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
               const char *text, char *msg, size_t msglen)
{
    if (blank(text)) {
        snprintf(msg, msglen, "a note needs some text");
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    struct alarm_slot *s = action_slot(m, id, msg, msglen);
    if (s) {
        struct alarm_action act;
        make_action(m, &act, &s->info, "note", op, text);
        copy_clean(s->info.note, sizeof s->info.note, text);
        emit(m, s, ALARM_CHANGE_NOTE, &act);
        snprintf(msg, msglen, "note added to %s %s", s->info.machine_id, s->info.condition);
    }
    pthread_mutex_unlock(&m->lock);
    return s ? 0 : -1;
}

/* Leaves an overlay: an active alarm shows again, unacknowledged. Lock held. */
static void overlay_off(struct alarm_manager *m, struct alarm_info *a)
{
    if (!hidden(a) && a->active) {
        a->acked = false;
        if (a->priority >= ALARM_PRIO_HIGH)
            m->bell_seq++;
    }
}

int alarm_suppress(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op, bool on,
                   const char *reason, char *msg, size_t msglen)
{
    pthread_mutex_lock(&m->lock);
    int rc = -1;
    struct alarm_slot *s = action_slot(m, id, msg, msglen);
    struct alarm_info *a = s ? &s->info : NULL;
    if (a && a->out_of_service) {
        snprintf(msg, msglen, "%s %s is out of service", a->machine_id, a->condition);
    } else if (a && a->suppressed == on) {
        snprintf(msg, msglen, "%s %s is %s suppressed", a->machine_id, a->condition,
                 on ? "already" : "not");
    } else if (a) {
        struct alarm_action act;
        make_action(m, &act, a, on ? "suppress" : "unsuppress", op, reason);
        a->suppressed = on;
        if (on)
            a->acked = true;
        else
            overlay_off(m, a);
        emit(m, s, on ? ALARM_CHANGE_SUPPRESS : ALARM_CHANGE_UNSUPPRESS, &act);
        snprintf(msg, msglen, "%s %s %s", on ? "suppressed" : "unsuppressed", a->machine_id,
                 a->condition);
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int alarm_set_out_of_service(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
                             bool on, const char *reason, char *msg, size_t msglen)
{
    if (on && blank(reason)) {
        snprintf(msg, msglen, "removing from service needs a reason");
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    int rc = -1;
    struct alarm_slot *s = action_slot(m, id, msg, msglen);
    struct alarm_info *a = s ? &s->info : NULL;
    if (a && a->out_of_service == on) {
        snprintf(msg, msglen, "%s %s is %s out of service", a->machine_id, a->condition,
                 on ? "already" : "not");
    } else if (a) {
        struct alarm_action act;
        make_action(m, &act, a, on ? "out_of_service" : "in_service", op, reason);
        a->out_of_service = on;
        if (on)
            a->acked = true;
        else
            overlay_off(m, a);
        emit(m, s, on ? ALARM_CHANGE_OUT_OF_SERVICE : ALARM_CHANGE_IN_SERVICE, &act);
        snprintf(msg, msglen, "%s %s %s", a->machine_id, a->condition,
                 on ? "removed from service" : "returned to service");
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static bool list_wants(enum alarm_list_kind kind, const struct alarm_info *a)
{
    if (kind == ALARM_LIST_ALL)
        return true;
    if (kind == ALARM_LIST_HIDDEN)
        return hidden(a);
    return !hidden(a) && a->state != ALARM_NORMAL;
}

static bool term_matches(const struct alarm_info *a, const char *term)
{
    return strcasestr(a->machine_id, term) || strcasestr(a->condition, term) ||
           strcasestr(alarm_priority_name(a->priority), term) ||
           strcasestr(alarm_state_name(a->state), term);
}

/* Every blank-separated term of the filter must match one of the columns. */
static bool matches(const struct alarm_info *a, const char *filter)
{
    char term[ALARM_CONDITION_MAX];
    while (filter && *filter) {
        filter += strspn(filter, " \t");
        size_t n = strcspn(filter, " \t");
        if (n == 0)
            break;
        snprintf(term, sizeof term, "%.*s", (int)(n < sizeof term ? n : sizeof term - 1), filter);
        if (!term_matches(a, term))
            return false;
        filter += n;
    }
    return true;
}

static int by_priority_then_time(const void *pa, const void *pb)
{
    const struct alarm_info *a = pa, *b = pb;
    if (a->priority != b->priority)
        return b->priority - a->priority;
    if (a->last_ts_ms != b->last_ts_ms)
        return a->last_ts_ms < b->last_ts_ms ? 1 : -1;
    return a->id < b->id ? -1 : a->id > b->id;
}

int alarm_list(struct alarm_manager *m, enum alarm_list_kind kind, const char *filter,
               struct alarm_info *out, int max)
{
    int n = 0;
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->count && n < max; i++)
        if (list_wants(kind, &m->slots[i].info) && matches(&m->slots[i].info, filter))
            out[n++] = m->slots[i].info;
    pthread_mutex_unlock(&m->lock);
    qsort(out, (size_t)n, sizeof *out, by_priority_then_time);
    return n;
}

int alarm_get(struct alarm_manager *m, uint32_t id, struct alarm_info *out)
{
    pthread_mutex_lock(&m->lock);
    struct alarm_slot *s = slot_by_id(m, id);
    if (s)
        *out = s->info;
    pthread_mutex_unlock(&m->lock);
    return s ? 0 : -1;
}

uint32_t alarm_find(struct alarm_manager *m, const char *machine_id, const char *condition)
{
    pthread_mutex_lock(&m->lock);
    struct alarm_slot *s = slot_find(m, machine_id, condition);
    uint32_t id = s ? s->info.id : 0;
    pthread_mutex_unlock(&m->lock);
    return id;
}

void alarm_get_banner(struct alarm_manager *m, struct alarm_banner *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->count; i++) {
        const struct alarm_info *a = &m->slots[i].info;
        out->shelved += a->shelved && !a->suppressed && !a->out_of_service;
        out->suppressed += a->suppressed && !a->out_of_service;
        out->out_of_service += a->out_of_service;
        out->chattering += a->chattering;
        out->stale += a->stale;
        if (hidden(a))
            continue;
        out->unacked[a->priority] += !a->acked;
        out->active[a->priority] += a->active;
    }
    out->flood_new = flood_count(m);
    out->flood = out->flood_new > ALARM_FLOOD_LIMIT;
    out->bell_seq = m->bell_seq;
    out->seq = m->seq;
    out->events_dropped = m->events_dropped;
    pthread_mutex_unlock(&m->lock);
}

int alarm_count(struct alarm_manager *m)
{
    pthread_mutex_lock(&m->lock);
    int n = m->count;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int alarm_restore(struct alarm_manager *m, const struct alarm_info *a, int64_t now_ms)
{
    pthread_mutex_lock(&m->lock);
    advance_now(m, now_ms);
    struct alarm_slot *s = slot_find(m, a->machine_id, a->condition);
    if (!s)
        s = slot_new(m, a->machine_id, a->condition, a->id);
    if (s) {
        uint32_t id = s->info.id;
        s->info = *a;
        s->info.id = id;
        s->info.stale = s->info.chattering = false;
        if (s->info.priority < 0 || s->info.priority >= ALARM_PRIO_COUNT)
            s->info.priority = ALARM_PRIO_MEDIUM;
        s->unverified = a->active;
        s->info.state = derive_state(&s->info);
        if (s->info.shelved && !s->info.shelve_oneshot && s->info.shelved_until_ms <= now_ms)
            unshelve_locked(m, s, NULL, "shelve expired before start-up");
        if (s->info.shelved && s->info.shelve_oneshot && !s->info.active)
            unshelve_locked(m, s, NULL, "one-shot shelve: condition cleared before start-up");
    }
    pthread_mutex_unlock(&m->lock);
    return s ? 0 : -1;
}

void alarm_operator_init(struct alarm_operator *op, const char *operator_name)
{
    char login[ALARM_OPERATOR_MAX] = "";
    memset(op, 0, sizeof *op);
    if (operator_name && !blank(operator_name)) {
        copy_clean(op->name, sizeof op->name, operator_name);
    } else if (getlogin_r(login, sizeof login) == 0 && login[0]) {
        copy_clean(op->name, sizeof op->name, login);
    } else {
        struct passwd pw, *found = NULL;
        char buf[1024];
        if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found)
            copy_clean(op->name, sizeof op->name, found->pw_name);
        else
            snprintf(op->name, sizeof op->name, "uid%ld", (long)geteuid());
    }
    const char *ssh = getenv("SSH_CLIENT");
    if (!ssh || !ssh[0])
        ssh = getenv("SSH_CONNECTION");
    if (ssh && ssh[0]) {
        char host[ALARM_HOST_MAX];
        snprintf(host, sizeof host, "%.*s", (int)strcspn(ssh, " "), ssh);
        copy_clean(op->host, sizeof op->host, host);
    }
}

char *alarm_info_to_json(const struct alarm_info *a, const char *change)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "id", a->id);
    cJSON_AddStringToObject(o, "machine_id", a->machine_id);
    cJSON_AddStringToObject(o, "condition", a->condition);
    cJSON_AddStringToObject(o, "priority", alarm_priority_name(a->priority));
    cJSON_AddStringToObject(o, "state", alarm_state_name(a->state));
    if (change)
        cJSON_AddStringToObject(o, "change", change);
    cJSON_AddBoolToObject(o, "active", a->active);
    cJSON_AddBoolToObject(o, "acked", a->acked);
    cJSON_AddStringToObject(o, "acked_by", a->acked_by);
    cJSON_AddNumberToObject(o, "acked_ts_ms", (double)a->acked_ts_ms);
    cJSON_AddBoolToObject(o, "shelved", a->shelved);
    cJSON_AddNumberToObject(o, "shelved_until_ms", (double)a->shelved_until_ms);
    cJSON_AddStringToObject(o, "shelve_reason", a->shelve_reason);
    cJSON_AddBoolToObject(o, "first_out", a->first_out);
    cJSON_AddBoolToObject(o, "chattering", a->chattering);
    cJSON_AddBoolToObject(o, "stale", a->stale);
    cJSON_AddNumberToObject(o, "first_ts_ms", (double)a->first_ts_ms);
    cJSON_AddNumberToObject(o, "last_ts_ms", (double)a->last_ts_ms);
    cJSON_AddNumberToObject(o, "count", a->count);
    if (isfinite(a->last_value))
        cJSON_AddNumberToObject(o, "value", a->last_value);
    else
        cJSON_AddNullToObject(o, "value");
    cJSON_AddStringToObject(o, "message", a->message);
    cJSON_AddStringToObject(o, "note", a->note);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
