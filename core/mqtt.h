// SPDX-License-Identifier: MIT
#ifndef TWINTOP_MQTT_H
#define TWINTOP_MQTT_H
/*
 * MQTT with libmosquitto: a connection (struct mqtt) and the feed that turns a subscription into
 * samples on the ingest queue (struct mqtt_feed).
 *
 * A connection owns one network thread that connects, reads, writes and reconnects with
 * exponential backoff (1, 2, 4 … 30 s). It runs its own loop over mosquitto_loop() rather than
 * mosquitto_loop_start() because that loop neither counts attempts nor survives TLS or
 * authentication errors, and the console must show "reconnecting (attempt n)" and keep trying.
 * Sessions are persistent (clean session off; MQTT 5 session expiry set) so that a console or
 * recorder that reconnects gets what it missed at QoS 1.
 *
 * Threads: create/start/stop/destroy on the main thread. mqtt_publish and mqtt_get_status from
 * any thread (libmosquitto is told it is threaded: publish only queues and wakes the loop). The
 * message handler runs on the network thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "journal.h"
#include "mqtt_codec.h"
#include "queue.h"

enum mqtt_state { MQTT_STOPPED = 0, MQTT_CONNECTING, MQTT_CONNECTED, MQTT_RECONNECTING };

struct mqtt_status {
    int state;   /* enum mqtt_state */
    int attempt; /* failed attempts since the last good connection */
    uint64_t connects;
    uint64_t messages;        /* messages received */
    uint64_t published;       /* messages handed to the broker connection */
    uint64_t publish_dropped; /* not sent: disconnected, or too many waiting for the broker */
    char last_error[160];
    char endpoint[300]; /* host:port */
};

/* "stopped", "connecting", "connected", "reconnecting". */
const char *mqtt_state_name(int state);

/* Splits mqtt://host[:port] or mqtts://host[:port] (default ports 1883 / 8883). */
int mqtt_url_parse(const char *url, char *host, size_t hostlen, int *port, bool *tls, char *err,
                   size_t errlen);

/* Reads the first line of a password file. Refuses (like ssh) a file that the group or others
 * may read, or that is not a regular file. Returns 0 or -1 with the reason in err. */
int mqtt_password_read(const char *path, char *out, size_t len, char *err, size_t errlen);

/* Moves TWINTOP_MQTT_PASSWORD out of the environment into this module, so that no child process
 * (the notify hook and what it runs) inherits it; mqtt_create uses it from there. Call it first
 * in main, before any thread starts (unsetenv is not thread-safe); later calls find nothing. */
void mqtt_password_take_env(void);

/* Whether topic matches a subscription pattern (+ and #; a $share/<group>/ prefix is skipped). */
bool mqtt_topic_matches(const char *pattern, const char *topic);

typedef void (*mqtt_message_fn)(void *ctx, const char *topic, const void *payload, size_t len);

struct mqtt;

/* How a connection names and secures itself (--client-id, --mqtt-version, --cafile, --capath,
 * --cert, --key, --insecure, --user, --password-file). Strings are read by mqtt_create only;
 * NULL or "" means not given. */
struct mqtt_options {
    const char *client_id; /* else twintop-<host>-<pid>-<role> */
    int version;           /* 3, else 5 */
    const char *cafile, *capath, *certfile, *keyfile;
    bool insecure;
    const char *user;          /* else TWINTOP_MQTT_USER */
    const char *password_file; /* unless TWINTOP_MQTT_PASSWORD is set */
};

/* A connection to url. role names the connection in the client id ("feed", "pub"): the feed
 * uses opt->client_id as it is, other roles add "-<role>". The password comes from
 * TWINTOP_MQTT_PASSWORD or opt->password_file, never from argv. persistent: clean session off.
 * NULL with a message on a bad URL, password file or TLS file. */
struct mqtt *mqtt_create(const struct mqtt_options *opt, const char *url, const char *role,
                         bool persistent, char *err, size_t errlen);
/* The message the broker publishes when the connection is lost without a clean disconnect (the
 * Sparkplug NDEATH). Before mqtt_start. Returns 0 or -1. */
int mqtt_set_will(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                  bool retain);
/* Adds a subscription made on every (re)connection. Before mqtt_start. */
int mqtt_subscribe(struct mqtt *m, const char *pattern, int qos);
/* Sets the handler of received messages. Before mqtt_start. */
void mqtt_set_handler(struct mqtt *m, mqtt_message_fn fn, void *ctx);
/* Called on the network thread after every read/write round; returns true while it holds work
 * it wants to be called again for soon (the round then waits at most a few milliseconds).
 * The feed uses it to push samples in batches instead of one queue wake-up per message. */
typedef bool (*mqtt_idle_fn)(void *ctx);
void mqtt_set_idle(struct mqtt *m, mqtt_idle_fn fn, void *ctx);
/* Called on the network thread before every connection attempt (the first one too), where a
 * will that changes per session is set (Sparkplug's bdSeq). Before mqtt_start. */
typedef void (*mqtt_connect_fn)(void *ctx, struct mqtt *m);
void mqtt_set_before_connect(struct mqtt *m, mqtt_connect_fn fn, void *ctx);
/* Caps messages waiting for the broker's acknowledgement; QoS 1 publishes past it are dropped
 * and counted (default 10000), so a broker outage cannot eat memory. */
void mqtt_set_max_pending(struct mqtt *m, int max);
/* Declares that nothing but the network thread uses the connection (a subscriber: no
 * mqtt_publish from other threads, which then fails). libmosquitto then writes acknowledgements
 * at once instead of waking its loop through a socket pair: two system calls less per message.
 * Before mqtt_start. */
void mqtt_set_single_thread(struct mqtt *m);
/* libmosquitto 2.0 writes a QoS 1 PUBACK as it reads the PUBLISH, before the handler runs, when
 * the connection is not marked threaded; marked threaded it only queues it, and the loop writes
 * it after the handler returned. The journal needs the latter: what the broker forgets is on
 * disk. Costs the socket-pair wake-up per message that mqtt_set_single_thread saves. After it. */
void mqtt_set_ack_after_handler(struct mqtt *m);
int mqtt_start(struct mqtt *m, char *err, size_t errlen);
/* Disconnects cleanly (pending QoS 1 messages get up to a second), joins the thread. */
void mqtt_stop(struct mqtt *m);
void mqtt_destroy(struct mqtt *m);
/* Queues one message. Returns 0, or -1 when it was dropped (not connected at QoS 0, or the
 * pending cap reached). Never blocks on the network. */
int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                 bool retain);
void mqtt_get_status(struct mqtt *m, struct mqtt_status *out);
/* The client id in use. */
const char *mqtt_client_id(const struct mqtt *m);

/* ---- the feed: subscription -> codec -> ingest queue ---- */

struct mqtt_feed;

#define MQTT_FEED_TOPICS_MAX 16

/* What the feed reads from the command line; strings are read by mqtt_feed_create only. */
struct mqtt_feed_options {
    struct mqtt_options conn;
    const char *url;                          /* --mqtt */
    const char *topics[MQTT_FEED_TOPICS_MAX]; /* --topic; none: dt/+/+/telemetry */
    int topic_count;
    int qos;
    const char *share_group;   /* --share-group: $share/<group>/ before every pattern */
    const char *topic_prefix;  /* --topic-prefix, twintop's own output topics; NULL or "": "dt" */
    int64_t max_clock_skew_ms; /* --max-clock-skew (mqtt_codec_set_max_skew); 0: the default */
    /* At-least-once to disk: every message appended here before it is acknowledged; NULL: none.
     * committed() says how many of the samples the feed pushed the store has committed
     * (store_committed); it is called on the network thread. */
    struct journal *journal;
    uint64_t (*committed)(void *ctx);
    void *committed_ctx;
};

/* Subscribes opt->topics (default dt/+/+/telemetry; $share/<group>/… with a share group) at
 * opt->qos on opt->url and decodes every message onto q. Messages on twintop's own
 * non-telemetry topics (…/state, …/anomaly, <prefix>/alarms/…, <prefix>/reports/…) are
 * skipped, so a wide pattern such as "#" does not read state back as telemetry. Samples are pushed
 * with queue_push_wait: a full queue holds the network thread back (the broker keeps the backlog)
 * instead of losing acknowledged QoS 1 messages. */
struct mqtt_feed *mqtt_feed_create(const struct mqtt_feed_options *opt, struct catalog *cat,
                                   struct queue *q, char *err, size_t errlen);
/* Decodes the records a killed recorder left in the journal onto the queue, with their receive
 * times, before mqtt_feed_start. Returns how many, or -1 with the reason in err. */
long long mqtt_feed_replay_journal(struct mqtt_feed *f, char *err, size_t errlen);
int mqtt_feed_start(struct mqtt_feed *f, char *err, size_t errlen);
void mqtt_feed_stop(struct mqtt_feed *f);
void mqtt_feed_destroy(struct mqtt_feed *f);
/* The feed's connection (to share it for alarm synchronisation). */
struct mqtt *mqtt_feed_connection(struct mqtt_feed *f);
void mqtt_feed_stats(struct mqtt_feed *f, struct mqtt_status *st, struct mqtt_codec_stats *cs);
/* Writes ,"mqtt":{"state":…,"attempt":n,"last_error":…,"received":N,"rejected":{…},
 * "machines":n,"max_machines":n} for the headless status line (struct headless_extra). */
void mqtt_feed_headless_json(void *feed, char *out, size_t len);
/* One short line for the console header (struct tui_status): "broker connected rx N rej N",
 * "broker reconnecting (attempt 3): Connection refused" or "broker connecting host:port". */
void mqtt_feed_status_line(void *feed, char *out, size_t len);

#endif
