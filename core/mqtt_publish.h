// SPDX-License-Identifier: MIT
#ifndef TWINTOP_MQTT_PUBLISH_H
#define TWINTOP_MQTT_PUBLISH_H
/*
 * The MQTT publisher (--publish URL, --topic-prefix P, default "dt"); its topics:
 *   P/<type>/<id>/telemetry  samples of one machine at one time, twintop's own format
 *   P/<type>/<id>/state      twin state (status, health, RUL, anomaly), retained, on change
 *   P/<type>/<id>/anomaly    anomaly and limit events
 *   P/reports/<id>           periodic analytics report, retained
 *   P/maintenance/<id>       the machine's maintenance plan (maint_plan_json), retained, on change
 *   P/reports/daily/<date>   the maintenance report of a plant day (core/report.h), retained
 * (alarms, P/alarms/<machine_id>/<condition>, are core/alarm_sync.h's.)
 *
 * It is an engine sink: on_samples and on_event run on the engine thread and only copy into
 * the publisher's own bounded queues (what does not fit is counted, never waited for, unless
 * block_when_full). The publisher thread groups samples per machine tick, encodes them with
 * mqtt_codec_encode, reads the engine snapshot once a second for state and reports, and hands
 * messages to libmosquitto.
 *
 * As a Sparkplug B edge node: NBIRTH (bdSeq, Node Control/Rebirth) on every connection, a DBIRTH
 * per machine before its first DDATA, DDATA by alias with report by exception (a value goes out
 * when it moved more than a tenth of its catalog deadband), seq consecutive over the node's
 * messages, the NDEATH registered as the will and sent before a clean disconnect, and a full
 * rebirth when an NCMD asks for one (the flag is set on the network thread, acted on here).
 *
 * Threads: mqtt_publish_create/start/stop/destroy on the main thread; the sink on the engine
 * thread; mqtt_publish_headless_json from any thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "engine.h"
#include "mqtt.h"

/* Seconds between two reports of a machine. */
#define MQTT_PUBLISH_REPORT_PERIOD_S 60

struct mqtt_publisher;

/* What the publisher reads from the command line; strings are read by mqtt_publish_create only. */
struct mqtt_publish_options {
    struct mqtt_options conn;
    const char *url;          /* --publish */
    const char *topic_prefix; /* --topic-prefix; NULL or "": "dt" */
    int qos;
    const struct mqtt_feed_options *feed; /* the feed's broker and patterns; NULL: no feed */
    /* --publish-format sparkplug: telemetry as a Sparkplug B edge node (one device per machine)
     * instead of JSON; state, anomalies and reports stay JSON. */
    bool sparkplug;
    const char *sparkplug_group; /* --sparkplug-group; NULL or "": "twintop" */
    const char *sparkplug_node;  /* --sparkplug-node; NULL or "": "demo" */
    struct maint *maint;         /* the maintenance plan to publish; NULL: none */
    const char *report_db;       /* history file for the daily report; NULL or "": none */
    /* The sink waits for room instead of dropping telemetry (--speed max and replay runs, as
     * store_options.block_when_full): the plant runs at the publisher's pace. */
    bool block_when_full;
};

/* Publishes to opt->url with its own connection. When the feed is attached to the same broker
 * and its subscriptions would take our telemetry back in, telemetry is off (a relay must not
 * loop); state, anomalies and reports still go out. */
struct mqtt_publisher *mqtt_publish_create(const struct mqtt_publish_options *opt,
                                           struct catalog *cat, struct engine *engine, char *err,
                                           size_t errlen);
/* The sink to register with engine_add_sink before engine_start. */
struct engine_sink mqtt_publish_sink(struct mqtt_publisher *p);
int mqtt_publish_start(struct mqtt_publisher *p, char *err, size_t errlen);
/* Publishes what is queued (up to a second), disconnects, joins the thread. */
void mqtt_publish_stop(struct mqtt_publisher *p);
void mqtt_publish_destroy(struct mqtt_publisher *p);
struct mqtt *mqtt_publish_connection(struct mqtt_publisher *p);
/* Whether telemetry goes out (false when it would loop back into our own feed). */
bool mqtt_publish_telemetry_enabled(const struct mqtt_publisher *p);

struct mqtt_publish_stats {
    uint64_t telemetry, states, anomalies, reports; /* messages handed to the connection */
    uint64_t plans, daily_reports;
    uint64_t dropped; /* samples or events that did not fit, or messages refused */
};
void mqtt_publish_get_stats(struct mqtt_publisher *p, struct mqtt_publish_stats *out);
/* Writes ,"publish":{"state":…,"telemetry":N,"states":N,"anomalies":N,"reports":N,
 * "dropped":N} for the headless status line (struct headless_extra). */
void mqtt_publish_headless_json(void *publisher, char *out, size_t len);

#endif
