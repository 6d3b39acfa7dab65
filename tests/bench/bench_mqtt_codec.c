// SPDX-License-Identifier: MIT
/* Without arguments: decode throughput of the three payload formats (BENCH lines).
 * With "publish PORT TOPIC < lines": a QoS 1 publisher for bench_mqtt.sh that, unlike
 * mosquitto_pub -l, waits until the broker has acknowledged every line before it exits.
 * With "drain PORT CLIENT_ID N": core/mqtt's feed (connection, decode, batching, queue) drains N
 * messages of a persistent session into a queue that a plain thread empties; prints seconds.
 * That is the transport and decoding part of twintop alone, without the engine.
 * With "decode N" or "encode N": N rounds of one own-format message, silent, for callgrind
 * (tests/bench/pipeline.sh takes the difference of two counts per message). */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "mqtt_codec.h"
#include "config.h"
#include "mqtt.h"
#include "queue.h"

#include <pthread.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long acked;

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    (void)m;
    (void)obj;
    (void)mid;
    acked++;
}

static int publish_lines(int port, const char *topic)
{
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new("bench-publisher", true, NULL);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_max_inflight_messages_set(m, 100);
    if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "bench publisher: cannot connect to port %d\n", port);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long sent = 0;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            len--;
        while (sent - acked >= 90) /* within max inflight: queued ones get sent twice */
            if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS)
                return 1;
        if (mosquitto_publish(m, NULL, topic, (int)len, line, 1, false) != MOSQ_ERR_SUCCESS)
            return 1;
        sent++;
        mosquitto_loop(m, 0, 1);
    }
    while (acked < sent)
        if (mosquitto_loop(m, 100, 1) != MOSQ_ERR_SUCCESS)
            return 1;
    mosquitto_disconnect(m);
    mosquitto_loop(m, 100, 1);
    mosquitto_destroy(m);
    free(line);
    fprintf(stderr, "bench publisher: %ld messages acknowledged\n", acked);
    return 0;
}

static volatile int drain_done;

static void *drain_consumer(void *arg)
{
    struct queue *q = arg;
    static struct sample buf[4096];
    while (!drain_done)
        queue_pop(q, buf, 4096, 50);
    return NULL;
}

static int drain_feed(int port, const char *client_id, long n)
{
    char err[256];
    struct catalog *cat = catalog_load("data/machines.json", err, sizeof err);
    if (!cat) {
        fprintf(stderr, "bench drain: %s\n", err);
        return 1;
    }
    struct config cfg;
    config_defaults(&cfg, "bench_mqtt_codec");
    if (getenv("BENCH_V3"))
        cfg.mqtt_version = 3;
    snprintf(cfg.mqtt_url, sizeof cfg.mqtt_url, "mqtt://127.0.0.1:%d", port);
    snprintf(cfg.client_id, sizeof cfg.client_id, "%s", client_id);
    struct queue *q = queue_create(1u << 18);
    struct mqtt_feed_options fo = {
        .conn = {.client_id = cfg.client_id, .version = cfg.mqtt_version},
        .url = cfg.mqtt_url,
        .qos = cfg.qos,
        .topic_prefix = cfg.topic_prefix,
    };
    struct mqtt_feed *f = mqtt_feed_create(&fo, cat, q, err, sizeof err);
    if (!f) {
        fprintf(stderr, "bench drain: %s\n", err);
        return 1;
    }
    pthread_t consumer;
    pthread_create(&consumer, NULL, drain_consumer, q);
    double t0 = now_s();
    mqtt_feed_start(f, err, sizeof err);
    struct mqtt_codec_stats cs = {0};
    while (now_s() - t0 < 600) {
        struct mqtt_status st;
        mqtt_feed_stats(f, &st, &cs);
        if ((long)cs.received >= n && (n > 0 || st.state == MQTT_CONNECTED))
            break; /* n == 0 only registers the session: wait for the subscription */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double dt = now_s() - t0;
    if (getenv("BENCH_DRAIN_LINGER")) { /* count redeliveries after the backlog */
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
        mqtt_feed_stats(f, NULL, &cs);
        fprintf(stderr, "bench drain: received %llu of %ld\n", (unsigned long long)cs.received, n);
    }
    mqtt_feed_stop(f);
    drain_done = 1;
    pthread_join(consumer, NULL);
    mqtt_feed_destroy(f);
    queue_destroy(q);
    catalog_free(cat);
    if ((long)cs.received < n)
        return 1;
    printf("%.3f\n", dt);
    return 0;
}

static const char bench_own_payload[] =
    "{\"machine_id\":\"PUMP_001\",\"type\":\"centrifugal-pump\",\"ts\":"
    "\"2026-11-22T10:00:00.250Z\",\"data\":{\"speed_rpm\":1480.2,\"flow_m3h\":120.1,"
    "\"discharge_pressure_bar\":6.51,\"suction_pressure_bar\":1.2,"
    "\"motor_current_a\":45.3,\"bearing_temp_c\":55.1,\"vibration_mm_s\":2.01}}";

/* N decodes of the own payload, or N encodes of what it decodes to. */
static int bench_rounds(struct catalog *cat, bool encode, long n)
{
    struct mqtt_codec *c = mqtt_codec_create(cat);
    if (!c)
        return 1;
    mqtt_codec_set_max_skew(c, -1);
    struct sample out[MQTT_CODEC_FIELDS_MAX];
    size_t len = strlen(bench_own_payload);
    int k = mqtt_codec_decode(c, NULL, bench_own_payload, len, 0, out, MQTT_CODEC_FIELDS_MAX);
    int machine = mqtt_codec_last_machine(c);
    char buf[4096];
    long bytes = 0;
    for (long i = 0; i < n && k > 0; i++) {
        if (encode)
            bytes +=
                mqtt_codec_encode(cat, machine, out[0].ts_ms + i, out, (size_t)k, buf, sizeof buf);
        else
            bytes +=
                mqtt_codec_decode(c, NULL, bench_own_payload, len, 0, out, MQTT_CODEC_FIELDS_MAX);
    }
    mqtt_codec_destroy(c);
    if (k <= 0 || bytes <= 0) {
        fprintf(stderr, "bench_mqtt_codec: the own payload does not %s\n",
                encode ? "encode" : "decode");
        return 1;
    }
    return 0;
}

static void bench_format(struct mqtt_codec *c, const char *name, const char *payload, int rounds)
{
    struct sample out[MQTT_CODEC_FIELDS_MAX];
    size_t len = strlen(payload);
    double t0 = now_s();
    for (int i = 0; i < rounds; i++)
        if (mqtt_codec_decode(c, "dt/cnc-machining-centre/CNC-001/telemetry", payload, len, 0, out,
                              MQTT_CODEC_FIELDS_MAX) <= 0) {
            fprintf(stderr, "bench_mqtt_codec: %s does not decode\n", name);
            exit(1);
        }
    double dt = now_s() - t0;
    printf("BENCH codec_decode_%s %.0f msg/s\n", name, rounds / dt);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "drain") == 0)
        return drain_feed(atoi(argv[2]), argv[3], atol(argv[4]));
    if (argc == 4 && strcmp(argv[1], "publish") == 0)
        return publish_lines(atoi(argv[2]), argv[3]);
    char err[256];
    struct catalog *cat = catalog_load("data/machines.json", err, sizeof err);
    if (!cat) {
        fprintf(stderr, "bench_mqtt_codec: %s\n", err);
        return 1;
    }
    if (argc == 3 && (strcmp(argv[1], "decode") == 0 || strcmp(argv[1], "encode") == 0)) {
        int rc = bench_rounds(cat, argv[1][0] == 'e', atol(argv[2]));
        catalog_free(cat);
        return rc;
    }
    struct mqtt_codec *c = mqtt_codec_create(cat);
    if (c) /* decoded at now = 0: the time policy would refuse every payload */
        mqtt_codec_set_max_skew(c, -1);
    const int rounds = 200000;
    bench_format(c, "own", bench_own_payload, rounds);
    bench_format(c, "cnc",
                 "{\"timestamp\":\"2026-02-04T06:40:00Z\",\"machine_id\":\"CNC-001\",\"spindle\":"
                 "{\"rpm\":8000,\"load_percent\":45,\"temperature_c\":42.5,\"vibration_mm_s\":1.1},"
                 "\"axes\":{\"x\":{\"position_mm\":1},\"y\":{\"position_mm\":2},\"z\":"
                 "{\"position_mm\":3}},\"tool\":{\"wear_percent\":12,\"runtime_minutes\":30},"
                 "\"coolant\":{\"flow_rate_lpm\":20,\"temperature_c\":22,\"pressure_bar\":4},"
                 "\"status\":{\"mode\":\"AUTO\",\"program\":\"O1234\"}}",
                 rounds);
    bench_format(c, "kafka",
                 "{\"machineId\":\"PUMP_001\",\"timestamp\":1763805600,\"sensorData\":"
                 "{\"temperature\":61.5,\"vibration\":3.2,\"load\":70,\"pressure\":6.6,"
                 "\"rpm\":1475},\"status\":\"NORMAL\"}",
                 rounds);
    mqtt_codec_destroy(c);
    catalog_free(cat);
    return 0;
}
