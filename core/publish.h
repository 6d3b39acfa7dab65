// SPDX-License-Identifier: MIT
#ifndef TWINTOP_PUBLISH_H
#define TWINTOP_PUBLISH_H
/*
 * The MQTT publisher (--publish URL, --topic-prefix P, default "dt"); its topics:
 *   P/<type>/<id>/telemetry  samples of one machine at one time, twintop's own format
 *   P/<type>/<id>/state      twin state (status, health, RUL, anomaly), retained, on change
 *   P/<type>/<id>/anomaly    anomaly and limit events
 *   P/reports/<id>           periodic analytics report, retained
 * (alarms, P/alarms/<machine_id>/<condition>, are the alarm synchronisation's; see the README.)
 *
 * It is an engine sink: on_samples and on_event run on the engine thread and only copy into
 * the publisher's own bounded queues (what does not fit is counted, never waited for). The
 * publisher thread groups samples per machine tick, encodes them with codec_encode, reads the
 * engine snapshot once a second for state and reports, and hands messages to libmosquitto.
 *
 * Threads: publish_create/start/stop/destroy on the main thread; the sink on the engine thread;
 * publish_headless_json from any thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "config.h"
#include "engine.h"
#include "mqtt.h"

/* Seconds between two reports of a machine. */
#define PUBLISH_REPORT_PERIOD_S 60

struct publisher;

/* Publishes to cfg->publish_url with its own connection. feed_conn, when the feed is attached
 * to the same broker and its subscriptions would take our telemetry back in, turns telemetry
 * off (a relay must not loop); state, anomalies and reports still go out. */
struct publisher *publish_create(const struct config *cfg, struct catalog *cat,
                                 struct engine *engine, char *err, size_t errlen);
/* The sink to register with engine_add_sink before engine_start. */
struct engine_sink publish_sink(struct publisher *p);
int publish_start(struct publisher *p, char *err, size_t errlen);
/* Publishes what is queued (up to a second), disconnects, joins the thread. */
void publish_stop(struct publisher *p);
void publish_destroy(struct publisher *p);
struct mqtt *publish_connection(struct publisher *p);
/* Whether telemetry goes out (false when it would loop back into our own feed). */
bool publish_telemetry_enabled(const struct publisher *p);

struct publish_stats {
    uint64_t telemetry, states, anomalies, reports; /* messages handed to the connection */
    uint64_t dropped; /* samples or events that did not fit, or messages refused */
};
void publish_get_stats(struct publisher *p, struct publish_stats *out);
/* Writes ,"publish":{"state":…,"telemetry":N,"states":N,"anomalies":N,"reports":N,
 * "dropped":N} for the headless status line (struct headless_extra). */
void publish_headless_json(void *publisher, char *out, size_t len);

/* ---- one alarm list across consoles ----
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
 * Threads: create/start/stop/destroy on the main thread, create before the engine starts (it
 * adds a listener to the manager). The listener only copies into a bounded ring; publishing and
 * applying run on the connection's network thread. */
struct alarm_manager;
struct publish_alarms;

/* Synchronises am through the broker at url (the --publish URL, else the --mqtt one) with its
 * own connection. NULL with a message on error. */
struct publish_alarms *publish_alarms_create(const struct config *cfg, const char *url,
                                             struct alarm_manager *am, char *err, size_t errlen);
int publish_alarms_start(struct publish_alarms *s, char *err, size_t errlen);
void publish_alarms_stop(struct publish_alarms *s);
/* Removes the listener; call before the manager is destroyed. */
void publish_alarms_destroy(struct publish_alarms *s);
struct mqtt *publish_alarms_connection(struct publish_alarms *s);

struct publish_alarms_stats {
    uint64_t sent;     /* alarm states published */
    uint64_t applied;  /* remote actions applied here */
    uint64_t ignored;  /* remote actions older than what is known, or refused by the manager */
    uint64_t pending;  /* remote actions waiting for their alarm */
    uint64_t dropped;  /* local changes that did not fit the ring */
};
void publish_alarms_get_stats(struct publish_alarms *s, struct publish_alarms_stats *out);
/* Writes ,"alarm_sync":{"state":…,"sent":N,"applied":N,"ignored":N,"pending":N,"dropped":N}. */
void publish_alarms_headless_json(void *sync, char *out, size_t len);

#endif
