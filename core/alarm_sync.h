// SPDX-License-Identifier: MIT
#ifndef TWINTOP_ALARM_SYNC_H
#define TWINTOP_ALARM_SYNC_H
/*
 * One alarm list across consoles, synchronised through the MQTT broker.
 *
 * Every change of an alarm goes out retained on P/alarms/<machine_id>/<condition> with the
 * alarm's whole state (alarm_info_to_json), the console it came from ("origin") and the latest
 * operator action known for it ("last_action": action, operator, host, wall_ts_ms, duration_ms,
 * reason). Actions from other consoles (and the retained ones met on connecting) are applied to
 * the local manager under the remote operator's name. Conflicts resolve the same way on every
 * console: the action with the later wall_ts_ms wins, ties go to the greater operator name, and
 * an action older than the one already applied is ignored. An action for an alarm this console
 * has not raised yet waits (up to ten minutes) and is applied when the alarm appears.
 *
 * Trust: an action dated more than the clock-skew tolerance ahead of this console's clock is
 * refused (it would win every later conflict). With a shared key (--alarm-key) every action
 * this console makes carries "sig", HMAC-SHA256 over the alarm and the action's fields, relayed
 * unchanged by the others, and actions without a valid one are refused: a publisher without the
 * key cannot acknowledge or shelve anything.
 *
 * Threads: create/start/stop/destroy on the main thread, create before the engine starts (it
 * adds a listener to the manager). The listener only copies into a bounded ring; publishing and
 * applying run on the connection's network thread. */
#include <stddef.h>
#include <stdint.h>
#include "mqtt.h"

struct alarm_manager;
struct alarm_sync;

/* What the synchronisation reads from the command line; strings are read by create only. */
struct alarm_sync_options {
    struct mqtt_options conn;
    const char *url;           /* the --publish URL, else the --mqtt one */
    const char *topic_prefix;  /* --topic-prefix; NULL or "": "dt" */
    int64_t max_clock_skew_ms; /* --max-clock-skew: later-dated remote actions refused (0: 5 min) */
    const char *key_file;      /* --alarm-key: sign ours, refuse unsigned ones (NULL or "": off) */
};

/* Synchronises am through the broker at opt->url with its own connection (always QoS 1).
 * NULL with a message on error. */
struct alarm_sync *alarm_sync_create(const struct alarm_sync_options *opt, struct alarm_manager *am,
                                     char *err, size_t errlen);
int alarm_sync_start(struct alarm_sync *s, char *err, size_t errlen);
void alarm_sync_stop(struct alarm_sync *s);
/* Removes the listener; call before the manager is destroyed. */
void alarm_sync_destroy(struct alarm_sync *s);
struct mqtt *alarm_sync_connection(struct alarm_sync *s);

struct alarm_sync_stats {
    uint64_t sent;    /* alarm states published */
    uint64_t applied; /* remote actions applied here */
    uint64_t ignored; /* remote actions older than what is known, or refused by the manager */
    uint64_t pending; /* remote actions waiting for their alarm */
    uint64_t dropped; /* local changes that did not fit the ring */
    uint64_t refused; /* remote actions dated beyond the clock skew, or not signed with our key */
};
void alarm_sync_get_stats(struct alarm_sync *s, struct alarm_sync_stats *out);
/* Writes ,"alarm_sync":{"state":…,"sent":N,"applied":N,"ignored":N,"pending":N,"dropped":N,
 * "refused":N}. */
void alarm_sync_headless_json(void *sync, char *out, size_t len);

#endif
