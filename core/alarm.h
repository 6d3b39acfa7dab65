// SPDX-License-Identifier: MIT
#ifndef TWINTOP_ALARM_H
#define TWINTOP_ALARM_H
/*
 * The alarm manager: one alarm per (machine, condition), with the ISA-18.2 / IEC 62682
 * lifecycle, operator actions (ack, shelve, unshelve, note, suppress, out of service),
 * first-out, flood, chattering and stale detection. See the README.
 *
 * A condition is a sensor limit ("vibration_mm_s:hi", "suction_pressure_bar:lo") or the
 * machine's detectors ("anomaly": a sustained strong anomaly from any detector). The
 * displayed state is derived from the process condition (active), the acknowledgement (acked)
 * and the overlays (out of service, then suppressed, then shelved), in that order.
 *
 * Threads: the engine thread feeds process changes (alarm_update, alarm_on_event, alarm_tick)
 * with plant time; the UI thread calls the operator actions and the copy-out functions.
 * Every public function takes the manager's internal mutex for a short, allocation-free,
 * I/O-free critical section, so any thread may call any function. Operator actions are
 * validated and applied at once (the caller gets the refusal message synchronously).
 * Every change is also appended as an EVENT_ALARM to a bounded internal ring that the engine
 * drains with alarm_drain_events and hands to its sinks; and it is passed to the listeners
 * (the SQLite store, the notify hook), which are called under the lock and must only copy
 * into their own queues. Plant time ("now") is the newest time fed by the engine; action
 * records carry both that and the wall-clock time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "event.h"

#define ALARM_CONDITION_MAX 64
#define ALARM_OPERATOR_MAX 64
#define ALARM_HOST_MAX 64
#define ALARM_TEXT_MAX 160
#define ALARM_CAPACITY_DEFAULT 4096

/* Flood: more than ALARM_FLOOD_LIMIT new alarms within ALARM_FLOOD_WINDOW_MS of plant time. */
#define ALARM_FLOOD_LIMIT 10
#define ALARM_FLOOD_WINDOW_MS (10 * 60 * 1000)
/* Chattering: ALARM_CHATTER_TRANSITIONS or more activations within a minute. */
#define ALARM_CHATTER_TRANSITIONS 3
#define ALARM_CHATTER_WINDOW_MS (60 * 1000)
#define ALARM_CHATTER_ON_DELAY_MS (5 * 1000)      /* first raise of the on-delay */
#define ALARM_CHATTER_ON_DELAY_MAX_MS (60 * 1000) /* doubles up to this */
/* Stale: active for more than a day. */
#define ALARM_STALE_MS (24LL * 3600 * 1000)
/* Detectors: a machine's "anomaly" alarm (low priority) is raised by ALARM_ANOMALY_EVENTS
 * anomaly events scoring at least ALARM_ANOMALY_SCORE within ALARM_ANOMALY_WINDOW_MS of plant
 * time, and clears when no such event came for that long. */
#define ALARM_ANOMALY_SCORE 0.9
#define ALARM_ANOMALY_EVENTS 3
#define ALARM_ANOMALY_WINDOW_MS (10 * 60 * 1000)
/* A restored active alarm that no detector re-confirms within this plant time is cleared. */
#define ALARM_RESTORE_VERIFY_MS (120 * 1000)

enum alarm_priority {
    ALARM_PRIO_LOW = 0,
    ALARM_PRIO_MEDIUM = 1,
    ALARM_PRIO_HIGH = 2,
    ALARM_PRIO_CRITICAL = 3,
};
#define ALARM_PRIO_COUNT 4

enum alarm_state {
    ALARM_NORMAL = 0,
    ALARM_ACTIVE_UNACKED = 1,  /* in alarm, not yet acknowledged */
    ALARM_ACTIVE_ACKED = 2,    /* in alarm, acknowledged */
    ALARM_CLEARED_UNACKED = 3, /* returned to normal before anyone acknowledged */
    ALARM_SHELVED = 4,         /* hidden by an operator, timed or one-shot */
    ALARM_SUPPRESSED = 5,      /* hidden by design (e.g. machine stopped) */
    ALARM_OUT_OF_SERVICE = 6,  /* removed from service (maintenance) */
};
#define ALARM_STATE_COUNT 7

/* What happened to an alarm; the name is the `action` column of alarm_actions for operator
 * actions. */
enum alarm_change {
    ALARM_CHANGE_RAISED = 0, /* became active (new or repeat) */
    ALARM_CHANGE_ESCALATED,  /* priority rose while active: re-annunciated */
    ALARM_CHANGE_UPDATED,    /* value or priority changed without a state change */
    ALARM_CHANGE_CLEARED,    /* process condition returned to normal */
    ALARM_CHANGE_ACK,
    ALARM_CHANGE_SHELVE,
    ALARM_CHANGE_UNSHELVE, /* by an operator, on expiry or on clear (one-shot) */
    ALARM_CHANGE_NOTE,
    ALARM_CHANGE_SUPPRESS,
    ALARM_CHANGE_UNSUPPRESS,
    ALARM_CHANGE_OUT_OF_SERVICE,
    ALARM_CHANGE_IN_SERVICE,
    ALARM_CHANGE_FLAG, /* chattering or stale flag changed */
};

/* One alarm with every column the UI shows and the store keeps. */
struct alarm_info {
    uint32_t id;
    char machine_id[CATALOG_NAME_MAX];
    char condition[ALARM_CONDITION_MAX];
    int priority; /* enum alarm_priority */
    int state;    /* enum alarm_state, derived */
    bool active;  /* process condition present (also while shelved etc.) */
    bool acked;   /* nothing awaits acknowledgement */
    bool shelved, shelve_oneshot, suppressed, out_of_service;
    bool first_out; /* the first alarm of its machine since the machine was clear */
    bool chattering, stale;
    int64_t first_ts_ms;     /* first ever activation (plant time) */
    int64_t last_ts_ms;      /* last change of the process condition or value */
    int64_t active_since_ms; /* start of the current activation, 0 when inactive */
    int64_t acked_ts_ms;
    int64_t shelved_until_ms; /* timed shelve end (plant time); 0 for one-shot or none */
    int64_t on_delay_ms;      /* extra on-delay added after chattering */
    uint32_t count;           /* activations */
    double last_value;
    char acked_by[ALARM_OPERATOR_MAX];
    char shelve_reason[ALARM_TEXT_MAX];
    char message[ALARM_TEXT_MAX];
    char note[ALARM_TEXT_MAX];
};

/* Who acts: --operator NAME, else the login name; the SSH client address when there is one. */
struct alarm_operator {
    char name[ALARM_OPERATOR_MAX];
    char host[ALARM_HOST_MAX];
};

/* One audit record (a row of alarm_actions). */
struct alarm_action {
    uint32_t alarm_id;
    char machine_id[CATALOG_NAME_MAX];
    char condition[ALARM_CONDITION_MAX];
    char action[16]; /* "ack", "shelve", "unshelve", "note", ... */
    char operator_name[ALARM_OPERATOR_MAX];
    char host[ALARM_HOST_MAX];
    int64_t ts_ms;      /* plant time */
    int64_t wall_ts_ms; /* wall-clock time of the action */
    char reason[ALARM_TEXT_MAX];
};

/* A process input: the condition is present (active) or not, with its priority and value. */
struct alarm_input {
    int64_t ts_ms; /* plant time */
    const char *machine_id;
    const char *condition;
    int priority;
    bool active;
    double value;
    const char *message; /* may be NULL */
};

/* Called under the manager's lock for every change: copy what you need and return; never
 * block, never call back into the manager. act is NULL for process changes. */
struct alarm_listener {
    void *ctx;
    void (*on_change)(void *ctx, enum alarm_change what, const struct alarm_info *a,
                      const struct alarm_action *act);
};

/* Banner figures for every view. */
struct alarm_banner {
    int unacked[ALARM_PRIO_COUNT]; /* annunciated alarms awaiting acknowledgement */
    int active[ALARM_PRIO_COUNT];  /* annunciated active alarms */
    int shelved, suppressed, out_of_service;
    int chattering, stale;
    bool flood;
    int flood_new;           /* new alarms in the flood window */
    uint64_t bell_seq;       /* increases on every new or escalated high/critical alarm */
    uint64_t seq;            /* increases on every change */
    uint64_t events_dropped; /* EVENT_ALARM records lost because nobody drained the ring */
};

enum alarm_list_kind {
    ALARM_LIST_CURRENT = 0, /* not normal and not hidden: what the operator must see */
    ALARM_LIST_HIDDEN = 1,  /* shelved, suppressed or out of service */
    ALARM_LIST_ALL = 2,
};

struct alarm_manager;

/* Creates a manager for up to capacity alarms (0: ALARM_CAPACITY_DEFAULT). cat may be NULL;
 * with it, alarm_on_event maps limit events to conditions and events carry catalog indices.
 * Returns NULL with a message in err. */
struct alarm_manager *alarm_manager_create(struct catalog *cat, int capacity, char *err,
                                           size_t errlen);
void alarm_manager_destroy(struct alarm_manager *m);

/* Adds a listener (at most 4), before other threads use the manager. Returns 0 or -1. */
int alarm_add_listener(struct alarm_manager *m, const struct alarm_listener *l);
/* Removes every listener with this ctx; after it returns the listener is never called again. */
void alarm_remove_listener(struct alarm_manager *m, void *ctx);

/* Feeds one process input (engine thread). Returns the alarm id, 0 when the input was an
 * inactive condition for an unknown alarm (nothing to do), or -1 when the manager is full. */
int alarm_update(struct alarm_manager *m, const struct alarm_input *in);

/* Maps an engine event to alarm inputs: EVENT_LIMIT (state warn/alarm/ok on a sensor) drives
 * "<sensor>:hi" / "<sensor>:lo"; EVENT_ANOMALY drives "<sensor>:<detector>" or "<detector>".
 * Other kinds are ignored. */
void alarm_on_event(struct alarm_manager *m, const struct event *ev);

/* Advances plant time: shelve expiry, on-delay promotion, stale and chatter flags, flood window,
 * verification of restored alarms. Cheap; call once per engine batch. */
void alarm_tick(struct alarm_manager *m, int64_t now_ms);

/* Moves up to max pending EVENT_ALARM records into out (engine thread, to hand to sinks). */
size_t alarm_drain_events(struct alarm_manager *m, struct event *out, size_t max);

/* Operator actions. Each returns 0 and records an action, or -1 with the refusal in msg
 * ("PUMP_001 flow_m3h:lo is not awaiting acknowledgement"). duration_ms 0 shelves one-shot
 * (until the condition clears; the alarm must be active). */
int alarm_ack(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op, char *msg,
              size_t msglen);
/* Acknowledges every alarm of ids that awaits it. Returns how many were acknowledged (0 with a
 * message when none could be). */
int alarm_ack_all(struct alarm_manager *m, const uint32_t *ids, int n,
                  const struct alarm_operator *op, char *msg, size_t msglen);
int alarm_shelve(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
                 int64_t duration_ms, const char *reason, char *msg, size_t msglen);
int alarm_unshelve(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
                   const char *reason, char *msg, size_t msglen);
int alarm_note(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
               const char *text, char *msg, size_t msglen);
int alarm_suppress(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op, bool on,
                   const char *reason, char *msg, size_t msglen);
int alarm_set_out_of_service(struct alarm_manager *m, uint32_t id, const struct alarm_operator *op,
                             bool on, const char *reason, char *msg, size_t msglen);

/* Copies alarms of a kind matching filter (blank-separated terms, each a case-insensitive
 * substring of machine, condition, priority or state; NULL or "" for all) into out, sorted by
 * priority (highest first) then time (newest first). Returns the number copied (at most max). */
int alarm_list(struct alarm_manager *m, enum alarm_list_kind kind, const char *filter,
               struct alarm_info *out, int max);
/* Copies one alarm. Returns 0, or -1 when unknown. */
int alarm_get(struct alarm_manager *m, uint32_t id, struct alarm_info *out);
/* The id of (machine, condition), or 0. */
uint32_t alarm_find(struct alarm_manager *m, const char *machine_id, const char *condition);
void alarm_get_banner(struct alarm_manager *m, struct alarm_banner *out);
int alarm_count(struct alarm_manager *m);

/* Restores an alarm loaded from the store (start-up, before the engine runs). An expired timed
 * shelve (shelved_until_ms <= now_ms) is unshelved and recorded. Active alarms must be
 * re-confirmed by the engine within ALARM_RESTORE_VERIFY_MS of plant time, else they clear.
 * Returns 0, or -1 when full. Listeners see changes made here, not the restore itself. */
int alarm_restore(struct alarm_manager *m, const struct alarm_info *a, int64_t now_ms);

/* Fills op from --operator (may be NULL or ""), else the login name, and the SSH client
 * address from SSH_CLIENT or SSH_CONNECTION. */
void alarm_operator_init(struct alarm_operator *op, const char *operator_name);

/* The priority for a limit state: warn -> medium, alarm -> high, alarm on a sensor the catalog
 * marks "safety_critical" (data/machines.json) -> critical. */
int alarm_priority_for_limit(int twin_state, bool safety_critical);

const char *alarm_priority_name(int priority); /* "low", "medium", "high", "critical" */
/* Parses a priority name; "warning"/"warn" give medium, "alarm" high. -1 when unknown. */
int alarm_priority_parse(const char *name);
const char *alarm_state_name(int state);  /* "normal", "active_unacked", ... */
const char *alarm_state_label(int state); /* short: "NORM", "UNACK", "ACKED", ... */
int alarm_state_parse(const char *name);
const char *alarm_change_name(enum alarm_change what); /* "raise", "clear", "ack", ... */

/* The alarm as a JSON object text (cJSON), malloc'd; NULL when out of memory. */
char *alarm_info_to_json(const struct alarm_info *a, const char *change);

#endif
