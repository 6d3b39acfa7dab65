// SPDX-License-Identifier: MIT
/* core/mqtt against a real mosquitto (own config, free loopback port): formats and garbage,
 * broker restart with zero loss at QoS 1, TLS with a CA made here, password authentication,
 * shared subscriptions. Waits are bounded (a stuck broker fails the test, it never hangs it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>

#include "catalog.h"
#include "mqtt_codec.h"
#include "config.h"
#include "mqtt.h"
#include "queue.h"
#include "test_mqtt_broker.h"
#include "fixture.h"

#define WAIT_MS 60000

static const char *catalog_json =
    "{\"types\":[{\"name\":\"centrifugal-pump\",\"sensors\":["
    "{\"name\":\"speed_rpm\",\"display\":[0,2000],\"normal\":[1400,1550]},"
    "{\"name\":\"seq\",\"display\":[0,1e9],\"normal\":[0,1e9]},"
    "{\"name\":\"vibration_mm_s\",\"display\":[0,12],\"normal\":[0,2.8]}],"
    "\"tile\":[\"speed_rpm\",\"vibration_mm_s\"]},"
    "{\"name\":\"cnc-machining-centre\",\"sensors\":["
    "{\"name\":\"spindle.rpm\",\"display\":[0,12000],\"normal\":[0,12000]},"
    "{\"name\":\"spindle.temperature_c\",\"display\":[0,120],\"normal\":[20,80]},"
    "{\"name\":\"status.mode\",\"text\":true}],"
    "\"tile\":[\"spindle.rpm\",\"spindle.temperature_c\"]}],"
    "\"machines\":[{\"id\":\"PUMP_001\",\"type\":\"centrifugal-pump\"},"
    "{\"id\":\"CNC-001\",\"type\":\"cnc-machining-centre\"}]}";

struct env {
    struct test_broker broker;
    struct catalog *cat;
    struct queue *q;
    struct config cfg;
    struct mqtt_feed *feed;
    struct mqtt *pub;
    struct sample got[1 << 16];
    size_t got_n;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int env_setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    char err[256];
    e->cat = catalog_parse(catalog_json, "test", err, sizeof err);
    e->q = queue_create(1 << 20);
    config_defaults(&e->cfg, "test_mqtt");
    *state = e;
    return e->cat && e->q ? 0 : -1;
}

static int env_teardown(void **state)
{
    struct env *e = *state;
    mqtt_feed_destroy(e->feed);
    mqtt_destroy(e->pub);
    test_broker_cleanup(&e->broker);
    queue_destroy(e->q);
    catalog_free(e->cat);
    free(e);
    return 0;
}

static void env_url(struct env *e, const char *scheme, char *url, size_t len)
{
    snprintf(url, len, "%s://127.0.0.1:%d", scheme, e->broker.port);
}

static void env_feed(struct env *e)
{
    char err[256];
    env_url(e, "mqtt", e->cfg.mqtt_url, sizeof e->cfg.mqtt_url);
    e->feed = mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                               e->q, err, sizeof err);
    if (!e->feed)
        fail_msg("feed: %s", err);
    assert_int_equal(mqtt_feed_start(e->feed, err, sizeof err), 0);
}

static struct mqtt *env_publisher(struct env *e, const char *client_id)
{
    struct config pc;
    config_defaults(&pc, "test_mqtt");
    snprintf(pc.client_id, sizeof pc.client_id, "%s", client_id);
    char url[64], err[256];
    env_url(e, "mqtt", url, sizeof url);
    struct mqtt *m = mqtt_create(test_conn_options(&pc, &(struct mqtt_options){0}), url, "pub",
                                 true, err, sizeof err);
    if (!m)
        fail_msg("publisher: %s", err);
    assert_int_equal(mqtt_start(m, err, sizeof err), 0);
    return m;
}

static bool wait_state(struct mqtt *m, int state)
{
    struct mqtt_status st;
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(20)) {
        mqtt_get_status(m, &st);
        if (st.state == state)
            return true;
    }
    return false;
}

static void publish_ok(struct mqtt *m, const char *topic, const void *payload, size_t len)
{
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(10))
        if (mqtt_publish(m, topic, payload, len, 1, false) == 0)
            return;
    fail_msg("could not publish on %s", topic);
}

static void drain(struct env *e)
{
    size_t room = sizeof e->got / sizeof *e->got - e->got_n;
    e->got_n += queue_pop(e->q, e->got + e->got_n, room, 20);
}

static bool wait_received(struct env *e, uint64_t received)
{
    struct mqtt_codec_stats cs;
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end;) {
        drain(e);
        mqtt_feed_stats(e->feed, NULL, &cs);
        if (cs.received >= received) {
            drain(e);
            return true;
        }
    }
    return false;
}

static const struct sample *find_sample(struct env *e, const char *machine, const char *sensor)
{
    int m = catalog_machine_find(e->cat, machine);
    if (m < 0)
        return NULL;
    int s = catalog_sensor_find(catalog_machine_at(e->cat, m)->type, sensor);
    for (size_t i = 0; i < e->got_n; i++)
        if ((int)e->got[i].machine == m && e->got[i].sensor == s)
            return &e->got[i];
    return NULL;
}

static void test_formats_and_garbage(void **state)
{
    struct env *e = *state;
    assert_int_equal(test_broker_start(&e->broker, NULL), 0);
    env_feed(e);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_CONNECTED));
    e->pub = env_publisher(e, "garbage-pub");
    assert_true(wait_state(e->pub, MQTT_CONNECTED));

    static const char *good[] = {
        "{\"machine_id\":\"PUMP_001\",\"type\":\"centrifugal-pump\","
        "\"ts\":\"2026-11-22T10:00:00.250Z\",\"data\":{\"speed_rpm\":1480}}",
        "{\"timestamp\":\"2026-02-04T06:40:00Z\",\"machine_id\":\"CNC-001\","
        "\"spindle\":{\"rpm\":8000},\"status\":{\"mode\":\"AUTO\"}}",
        "{\"timestamp\":\"2026-02-04T06:40:00Z\",\"machine_id\":\"CNC-9\","
        "\"data\":{\"spindle\":{\"temperature_c\":95.0}}}",
        "{\"machineId\":\"PUMP_001\",\"timestamp\":1763805600,\"sensorData\":"
        "{\"vibration\":3.25},\"status\":\"NORMAL\"}",
    };
    char binary[512];
    for (size_t i = 0; i < sizeof binary; i++)
        binary[i] = (char)(i * 37 + 11);
    size_t big_len = 1024 * 1024;
    char *big = malloc(big_len);
    memset(big, ' ', big_len);
    memcpy(big, "{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1}}", 47);
    struct {
        const char *payload;
        size_t len;
    } bad[] = {
        {binary, sizeof binary},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_", 0},
        {big, big_len},
        {"{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":\"NaN\"}}", 0},
        {"{\"data\":{\"speed_rpm\":1}}", 0},
        {"{\"machine_id\":\"PUMP_001\",\"ts\":\"never\",\"data\":{\"speed_rpm\":1}}", 0},
        {"not json", 0},
    };
    size_t nbad = sizeof bad / sizeof *bad;
    /* good, bad, good, bad …: good payloads around garbage must all arrive */
    for (size_t i = 0; i < nbad || i < 4; i++) {
        if (i < 4)
            publish_ok(e->pub, "dt/cnc/x/telemetry", good[i], strlen(good[i]));
        if (i < nbad)
            publish_ok(e->pub, "dt/x/y/telemetry", bad[i].payload,
                       bad[i].len ? bad[i].len : strlen(bad[i].payload));
    }
    /* huge numbers and control characters in the id still decode, sanitised */
    const char *odd = "{\"machine_id\":\"EV\\u001b[2JIL\",\"data\":{\"a\":1e308,\"b\":-1e999}}";
    publish_ok(e->pub, "dt/x/y/telemetry", odd, strlen(odd));
    free(big);
    assert_true(wait_received(e, 4 + nbad + 1));

    struct mqtt_codec_stats cs;
    struct mqtt_status st;
    mqtt_feed_stats(e->feed, &st, &cs);
    assert_int_equal(cs.received, 4 + nbad + 1);
    assert_int_equal(cs.decoded, 5);
    assert_int_equal(cs.rejected[MQTT_CODEC_NOT_JSON], 3);
    assert_int_equal(cs.rejected[MQTT_CODEC_TOO_LARGE], 1);
    assert_int_equal(cs.rejected[MQTT_CODEC_NO_NUMERIC_FIELD], 1);
    assert_int_equal(cs.rejected[MQTT_CODEC_NO_MACHINE_ID], 1);
    assert_int_equal(cs.rejected[MQTT_CODEC_BAD_TIMESTAMP], 1);
    assert_true(find_sample(e, "PUMP_001", "speed_rpm")->u.value == 1480);
    assert_true(find_sample(e, "PUMP_001", "vibration_mm_s")->u.value == 3.25);
    assert_string_equal(find_sample(e, "CNC-001", "status.mode")->u.text, "AUTO");
    assert_true(find_sample(e, "CNC-9", "spindle.temperature_c")->u.value == 95.0);
    assert_true(find_sample(e, "EV__2JIL", "a")->u.value == 1e308);

    char json[1024];
    mqtt_feed_headless_json(e->feed, json, sizeof json);
    assert_non_null(strstr(json, ",\"mqtt\":{\"state\":\"connected\""));
    assert_non_null(strstr(json, "\"received\":12,\"rejected\":{\"not_json\":3,"));
    char line[256];
    mqtt_feed_status_line(e->feed, line, sizeof line);
    assert_non_null(strstr(line, "connected"));
    assert_non_null(strstr(line, "rej 7"));
}

static void test_broker_restart_zero_loss(void **state)
{
    struct env *e = *state;
    const int total = 3000;
    assert_int_equal(test_broker_start(&e->broker, NULL), 0);
    /* A small ingest queue holds the feed back while the test does not drain it, so most of
     * the feed sits in the broker's session queue when the broker is killed. */
    queue_destroy(e->q);
    e->q = queue_create(256);
    snprintf(e->cfg.client_id, sizeof e->cfg.client_id, "zero-loss-%d", (int)getpid());
    env_feed(e);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_CONNECTED));
    e->pub = env_publisher(e, "zero-loss-pub");
    assert_true(wait_state(e->pub, MQTT_CONNECTED));
    /* The feed disconnects while messages keep coming: the broker queues them for its session. */
    bool *seen = calloc((size_t)total, sizeof *seen);
    int restarted = 0;
    char payload[128];
    for (int i = 0; i < total; i++) {
        snprintf(payload, sizeof payload, "{\"machine_id\":\"PUMP_001\",\"data\":{\"seq\":%d}}", i);
        if (i == total / 3 || i == 2 * total / 3) {
            test_sleep_ms(100);
            test_broker_stop(&e->broker);
            assert_int_equal(test_broker_start(&e->broker, NULL), 0);
            restarted++;
        }
        publish_ok(e->pub, "dt/centrifugal-pump/PUMP_001/telemetry", payload, strlen(payload));
    }
    int pump = catalog_machine_find(e->cat, "PUMP_001");
    int seq = catalog_sensor_find(catalog_machine_at(e->cat, pump)->type, "seq");
    int unique = 0;
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end && unique < total;) {
        drain(e);
        for (size_t i = 0; i < e->got_n; i++) {
            int v = (int)e->got[i].u.value;
            if (e->got[i].sensor == seq && v >= 0 && v < total && !seen[v]) {
                seen[v] = true;
                unique++;
            }
        }
        e->got_n = 0;
    }
    struct mqtt_status st;
    mqtt_feed_stats(e->feed, &st, NULL);
    free(seen);
    assert_int_equal(restarted, 2);
    assert_true(st.connects >= 2); /* it really lost the broker and came back */
    assert_int_equal(unique, total);
}

static void test_reconnect_status(void **state)
{
    struct env *e = *state;
    e->broker.port = test_free_port(); /* nothing listens yet */
    env_feed(e);
    struct mqtt_status st;
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(50)) {
        mqtt_get_status(mqtt_feed_connection(e->feed), &st);
        if (st.attempt >= 2)
            break;
    }
    assert_true(st.attempt >= 2);
    assert_int_equal(st.state, MQTT_CONNECTING);
    assert_non_null(strstr(st.last_error, "refused"));
    char line[256];
    mqtt_feed_status_line(e->feed, line, sizeof line);
    assert_non_null(strstr(line, "(attempt "));
    assert_int_equal(test_broker_start(&e->broker, NULL), 0);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_CONNECTED));
    mqtt_get_status(mqtt_feed_connection(e->feed), &st);
    assert_int_equal(st.attempt, 0);
    /* the broker goes away: reconnecting, with attempts counted */
    test_broker_stop(&e->broker);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_RECONNECTING));
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

static void test_tls(void **state)
{
    struct env *e = *state;
    struct test_broker *b = &e->broker;
    assert_int_equal(fixture_tmpdir("mqtt", b->dir, sizeof b->dir), 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=twintop-test-ca"
             " -keyout ca.key -out ca.crt 2>/dev/null >/dev/null &&"
             " openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key"
             " -out server.csr 2>/dev/null >/dev/null &&"
             " printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext &&"
             " openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
             " -extfile san.ext -out server.crt 2>/dev/null >/dev/null && chmod 644 server.key",
             b->dir);
    assert_int_equal(run(cmd), 0);
    char conf[1024];
    snprintf(
        conf, sizeof conf,
        "allow_anonymous true\ncafile %s/ca.crt\ncertfile %s/server.crt\nkeyfile %s/server.key",
        b->dir, b->dir, b->dir);
    assert_int_equal(test_broker_start(b, conf), 0);

    /* without the test CA the server is not trusted: the error is shown, it keeps trying */
    char err[256];
    env_url(e, "mqtts", e->cfg.mqtt_url, sizeof e->cfg.mqtt_url);
    e->feed = mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                               e->q, err, sizeof err);
    assert_non_null(e->feed);
    assert_int_equal(mqtt_feed_start(e->feed, err, sizeof err), 0);
    struct mqtt_status st;
    /* the second attempt too: libmosquitto's OS-certificate option broke reconnections */
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(50)) {
        mqtt_get_status(mqtt_feed_connection(e->feed), &st);
        if (st.attempt >= 2 && st.last_error[0])
            break;
    }
    assert_true(st.attempt >= 2);
    assert_int_not_equal(st.state, MQTT_CONNECTED);
    fprintf(stderr, "untrusted server: %s\n", st.last_error);
    assert_non_null(strstr(st.last_error, "self-signed certificate in certificate chain"));
    mqtt_feed_destroy(e->feed);
    e->feed = NULL;

    /* the right CA, the wrong name: the error says which name the certificate lacks */
    snprintf(e->cfg.cafile, sizeof e->cfg.cafile, "%s/ca.crt", b->dir);
    snprintf(e->cfg.mqtt_url, sizeof e->cfg.mqtt_url, "mqtts://localhost:%d", b->port);
    e->feed = mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                               e->q, err, sizeof err);
    assert_non_null(e->feed);
    assert_int_equal(mqtt_feed_start(e->feed, err, sizeof err), 0);
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(50)) {
        mqtt_get_status(mqtt_feed_connection(e->feed), &st);
        if (st.attempt >= 1 && st.last_error[0])
            break;
    }
    fprintf(stderr, "wrong name: %s\n", st.last_error);
    assert_non_null(strstr(st.last_error, "not issued for localhost"));
    mqtt_feed_destroy(e->feed);
    e->feed = NULL;
    e->cfg.cafile[0] = '\0';
    env_url(e, "mqtts", e->cfg.mqtt_url, sizeof e->cfg.mqtt_url);

    /* with --cafile it connects and data flows */
    snprintf(e->cfg.cafile, sizeof e->cfg.cafile, "%s/ca.crt", b->dir);
    e->feed = mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                               e->q, err, sizeof err);
    if (!e->feed)
        fail_msg("%s", err);
    assert_int_equal(mqtt_feed_start(e->feed, err, sizeof err), 0);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_CONNECTED));
    struct config pc = e->cfg;
    snprintf(pc.client_id, sizeof pc.client_id, "tls-pub");
    e->pub = mqtt_create(test_conn_options(&pc, &(struct mqtt_options){0}), e->cfg.mqtt_url, "pub",
                         false, err, sizeof err);
    assert_non_null(e->pub);
    assert_int_equal(mqtt_start(e->pub, err, sizeof err), 0);
    assert_true(wait_state(e->pub, MQTT_CONNECTED));
    const char *p = "{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1234}}";
    publish_ok(e->pub, "dt/centrifugal-pump/PUMP_001/telemetry", p, strlen(p));
    assert_true(wait_received(e, 1));
    assert_true(find_sample(e, "PUMP_001", "speed_rpm")->u.value == 1234);

    /* a TLS option on a plain URL is a mistake the user hears about */
    struct config plain = e->cfg;
    env_url(e, "mqtt", plain.mqtt_url, sizeof plain.mqtt_url);
    assert_null(mqtt_create(test_conn_options(&plain, &(struct mqtt_options){0}), plain.mqtt_url,
                            "x", false, err, sizeof err));
    assert_non_null(strstr(err, "mqtts://"));
}

static void test_password(void **state)
{
    struct env *e = *state;
    struct test_broker *b = &e->broker;
    assert_int_equal(fixture_tmpdir("mqtt", b->dir, sizeof b->dir), 0);
    char cmd[1024], conf[512], pwfile[300];
    snprintf(cmd, sizeof cmd, "mosquitto_passwd -b -c %s/passwd operator 's3cret pass' >/dev/null",
             b->dir);
    assert_int_equal(run(cmd), 0);
    snprintf(conf, sizeof conf, "allow_anonymous false\npassword_file %s/passwd", b->dir);
    assert_int_equal(test_broker_start(b, conf), 0);
    snprintf(pwfile, sizeof pwfile, "%s/pw", b->dir);
    FILE *f = fopen(pwfile, "w");
    fputs("s3cret pass\n", f);
    fclose(f);
    unsetenv("TWINTOP_MQTT_PASSWORD");
    unsetenv("TWINTOP_MQTT_USER");

    char err[256];
    env_url(e, "mqtt", e->cfg.mqtt_url, sizeof e->cfg.mqtt_url);
    snprintf(e->cfg.user, sizeof e->cfg.user, "operator");
    snprintf(e->cfg.password_file, sizeof e->cfg.password_file, "%s", pwfile);
    chmod(pwfile, 0644); /* readable by others: refused, like ssh */
    assert_null(mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                                 e->q, err, sizeof err));
    assert_non_null(strstr(err, "too open"));
    chmod(pwfile, 0600);

    /* a wrong password (from the environment, which wins) is refused by the broker */
    setenv("TWINTOP_MQTT_PASSWORD", "wrong", 1);
    e->feed = mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                               e->q, err, sizeof err);
    assert_non_null(e->feed);
    assert_int_equal(mqtt_feed_start(e->feed, err, sizeof err), 0);
    struct mqtt_status st;
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(50)) {
        mqtt_get_status(mqtt_feed_connection(e->feed), &st);
        if (st.attempt >= 1)
            break;
    }
    assert_true(st.attempt >= 1);
    assert_non_null(strstr(st.last_error, "refused"));
    assert_null(getenv("TWINTOP_MQTT_PASSWORD")); /* taken: no child process inherits it */
    mqtt_feed_destroy(e->feed);
    e->feed = NULL;
    setenv("TWINTOP_MQTT_PASSWORD", "", 1); /* empty: no password from the environment */

    /* the right one from the 0600 file, the user from the environment */
    e->cfg.user[0] = '\0';
    setenv("TWINTOP_MQTT_USER", "operator", 1);
    e->feed = mqtt_feed_create(test_feed_options(&e->cfg, &(struct mqtt_feed_options){0}), e->cat,
                               e->q, err, sizeof err);
    if (!e->feed)
        fail_msg("%s", err);
    assert_int_equal(mqtt_feed_start(e->feed, err, sizeof err), 0);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_CONNECTED));
    e->pub = mqtt_create(test_conn_options(&e->cfg, &(struct mqtt_options){0}), e->cfg.mqtt_url,
                         "pub", false, err, sizeof err);
    assert_int_equal(mqtt_start(e->pub, err, sizeof err), 0);
    assert_true(wait_state(e->pub, MQTT_CONNECTED));
    const char *p = "{\"machine_id\":\"PUMP_001\",\"data\":{\"speed_rpm\":1111}}";
    publish_ok(e->pub, "dt/centrifugal-pump/PUMP_001/telemetry", p, strlen(p));
    assert_true(wait_received(e, 1));
    unsetenv("TWINTOP_MQTT_USER");
}

static void test_shared_subscription(void **state)
{
    struct env *e = *state;
    assert_int_equal(test_broker_start(&e->broker, NULL), 0);
    snprintf(e->cfg.share_group, sizeof e->cfg.share_group, "recorders");
    env_feed(e);
    struct queue *q2 = queue_create(1 << 16);
    char err[256];
    struct config cfg2 = e->cfg;
    snprintf(cfg2.client_id, sizeof cfg2.client_id, "second-recorder-%d", (int)getpid());
    struct mqtt_feed *second = mqtt_feed_create(
        test_feed_options(&cfg2, &(struct mqtt_feed_options){0}), e->cat, q2, err, sizeof err);
    assert_non_null(second);
    assert_int_equal(mqtt_feed_start(second, err, sizeof err), 0);
    assert_true(wait_state(mqtt_feed_connection(e->feed), MQTT_CONNECTED));
    assert_true(wait_state(mqtt_feed_connection(second), MQTT_CONNECTED));
    e->pub = env_publisher(e, "share-pub");
    assert_true(wait_state(e->pub, MQTT_CONNECTED));
    test_sleep_ms(300); /* SUBACKs */
    const int total = 400;
    char payload[128];
    for (int i = 0; i < total; i++) {
        snprintf(payload, sizeof payload, "{\"machine_id\":\"PUMP_001\",\"data\":{\"seq\":%d}}", i);
        publish_ok(e->pub, "dt/centrifugal-pump/PUMP_001/telemetry", payload, strlen(payload));
    }
    struct mqtt_codec_stats a, b;
    for (int64_t end = now_ms() + WAIT_MS; now_ms() < end; test_sleep_ms(20)) {
        mqtt_feed_stats(e->feed, NULL, &a);
        mqtt_feed_stats(second, NULL, &b);
        if (a.received + b.received >= (uint64_t)total)
            break;
    }
    /* each message went to one member of the group, and both members got work */
    assert_int_equal(a.received + b.received, total);
    assert_true(a.received > 0 && b.received > 0);
    mqtt_feed_destroy(second);
    queue_destroy(q2);
}

static void test_url_parse(void **state)
{
    (void)state;
    char host[64], err[128];
    int port;
    bool tls;
    assert_int_equal(
        mqtt_url_parse("mqtt://broker.local", host, sizeof host, &port, &tls, err, sizeof err), 0);
    assert_string_equal(host, "broker.local");
    assert_int_equal(port, 1883);
    assert_false(tls);
    assert_int_equal(
        mqtt_url_parse("mqtts://[::1]:8884/", host, sizeof host, &port, &tls, err, sizeof err), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8884);
    assert_true(tls);
    assert_int_equal(mqtt_url_parse("http://x", host, sizeof host, &port, &tls, err, sizeof err),
                     -1);
    assert_int_equal(
        mqtt_url_parse("mqtt://x:99999", host, sizeof host, &port, &tls, err, sizeof err), -1);
    assert_int_equal(
        mqtt_url_parse("mqtt://:1883", host, sizeof host, &port, &tls, err, sizeof err), -1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test_setup_teardown(test_formats_and_garbage, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_status, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_broker_restart_zero_loss, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_tls, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_password, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_shared_subscription, env_setup, env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
