// SPDX-License-Identifier: MIT
/* MQTT with libmosquitto: the connection and the feed that turns a subscription into samples. */
#include "mqtt.h"
#include "clock.h"
#include "json_escape.h"
#include "sparkplug.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MQTT_TOPICS_MAX (MQTT_FEED_TOPICS_MAX + 4)
#define MQTT_KEEPALIVE_S 30
#define MQTT_BACKOFF_MAX_S 30
/* MQTT 5 session expiry: a named client keeps its session a week, a default-named one (its id
 * carries the pid, so no later process resumes it) ten minutes, enough for broker restarts. */
#define MQTT_SESSION_NAMED_S (7 * 24 * 3600)
#define MQTT_SESSION_DEFAULT_S 600

struct mqtt {
    struct mosquitto *mosq;
    char host[256];
    int port;
    bool tls;
    int version;
    bool persistent;
    bool named; /* client id given by the user */
    char client_id[160];
    int topic_count;
    char topics[MQTT_TOPICS_MAX][300];
    int topic_qos[MQTT_TOPICS_MAX];
    mqtt_message_fn handler;
    mqtt_idle_fn idle;
    void *idle_ctx;
    mqtt_connect_fn before_connect;
    void *before_connect_ctx;
    void *handler_ctx;
    int max_pending;
    bool single_thread;

    pthread_t thread;
    bool running;
    pthread_mutex_t lock; /* guards status and the stop flag's condition */
    pthread_cond_t wake;
    bool stop;
    struct mqtt_status status;
    bool connack_failed; /* the broker refused: keep its reason as last error */
    bool connack_ok;
    int suback_pending; /* network thread only */

    _Atomic int connected;
    _Atomic int pending; /* QoS 1 publishes not yet acknowledged */
    _Atomic uint64_t messages, published, publish_dropped;
};

static pthread_once_t mqtt_once = PTHREAD_ONCE_INIT;

static void mqtt_lib_init(void)
{
    mosquitto_lib_init();
}

const char *mqtt_state_name(int state)
{
    switch (state) {
    case MQTT_CONNECTING:
        return "connecting";
    case MQTT_CONNECTED:
        return "connected";
    case MQTT_RECONNECTING:
        return "reconnecting";
    default:
        return "stopped";
    }
}

__attribute__((format(printf, 3, 4))) static void mqtt_fail(char *err, size_t len, const char *fmt,
                                                            ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

int mqtt_url_parse(const char *url, char *host, size_t hostlen, int *port, bool *tls, char *err,
                   size_t errlen)
{
    const char *rest;
    if (strncmp(url, "mqtt://", 7) == 0) {
        *tls = false;
        *port = 1883;
        rest = url + 7;
    } else if (strncmp(url, "mqtts://", 8) == 0) {
        *tls = true;
        *port = 8883;
        rest = url + 8;
    } else {
        mqtt_fail(err, errlen, "%s: the URL must start with mqtt:// or mqtts://", url);
        return -1;
    }
    const char *end = rest + strcspn(rest, "/");
    const char *colon = NULL;
    if (*rest == '[') { /* [::1]:1883 */
        const char *close = memchr(rest, ']', (size_t)(end - rest));
        if (!close) {
            mqtt_fail(err, errlen, "%s: unclosed [ in the host", url);
            return -1;
        }
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        size_t hl = (size_t)(close - rest - 1);
        if (hl == 0 || hl >= hostlen) {
            mqtt_fail(err, errlen, "%s: bad host", url);
            return -1;
        }
        memcpy(host, rest + 1, hl);
        host[hl] = '\0';
    } else {
        colon = memchr(rest, ':', (size_t)(end - rest));
        size_t hl = (size_t)((colon ? colon : end) - rest);
        if (hl == 0 || hl >= hostlen) {
            mqtt_fail(err, errlen, "%s: no host (mqtt://host:port)", url);
            return -1;
        }
        memcpy(host, rest, hl);
        host[hl] = '\0';
    }
    if (colon) {
        char *num_end;
        long p = strtol(colon + 1, &num_end, 10);
        if (num_end == colon + 1 || num_end != end || p < 1 || p > 65535) {
            mqtt_fail(err, errlen, "%s: the port must be a number 1..65535", url);
            return -1;
        }
        *port = (int)p;
    }
    if (*end && strcmp(end, "/") != 0) {
        mqtt_fail(err, errlen, "%s: unexpected path %s (topics go in --topic)", url, end);
        return -1;
    }
    return 0;
}

int mqtt_password_read(const char *path, char *out, size_t len, char *err, size_t errlen)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    if (!f) {
        mqtt_fail(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        mqtt_fail(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        fclose(f);
        mqtt_fail(err, errlen,
                  "%s: permissions %04o are too open: the password file must not be accessible "
                  "by group or others (chmod 600 %s)",
                  path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    if (!fgets(out, (int)len, f)) {
        fclose(f);
        mqtt_fail(err, errlen, "%s: empty password file", path);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

bool mqtt_topic_matches(const char *pattern, const char *topic)
{
    if (strncmp(pattern, "$share/", 7) == 0) {
        const char *slash = strchr(pattern + 7, '/');
        if (!slash)
            return false;
        pattern = slash + 1;
    }
    bool result = false;
    return mosquitto_topic_matches_sub(pattern, topic, &result) == MOSQ_ERR_SUCCESS && result;
}

static void mqtt_set_error(struct mqtt *m, const char *text)
{
    pthread_mutex_lock(&m->lock);
    snprintf(m->status.last_error, sizeof m->status.last_error, "%s", text);
    pthread_mutex_unlock(&m->lock);
}

static void mqtt_set_state(struct mqtt *m, int state)
{
    pthread_mutex_lock(&m->lock);
    m->status.state = state;
    if (state == MQTT_CONNECTED) {
        m->status.attempt = 0;
        m->status.connects++;
    }
    pthread_mutex_unlock(&m->lock);
}

static void mqtt_on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                            const mosquitto_property *props)
{
    (void)flags;
    (void)props;
    struct mqtt *m = obj;
    if (rc != 0) {
        char text[160];
        snprintf(text, sizeof text, "broker refused: %s",
                 m->version == 5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc));
        mqtt_set_error(m, text);
        m->connack_failed = true;
        return;
    }
    m->connack_ok = true;
    /* The library formats a log line for every packet while a log callback is set: keep it
     * only for connecting, where TLS failures are explained. */
    mosquitto_log_callback_set(mosq, NULL);
    atomic_store(&m->pending, 0);
    atomic_store(&m->connected, 1);
    /* "connected" is shown once the subscriptions are in place: from then on nothing sent to
     * the topics is missed. */
    m->suback_pending = m->topic_count;
    for (int i = 0; i < m->topic_count; i++)
        if (mosquitto_subscribe(mosq, NULL, m->topics[i], m->topic_qos[i]) != MOSQ_ERR_SUCCESS)
            m->suback_pending--;
    if (m->suback_pending <= 0)
        mqtt_set_state(m, MQTT_CONNECTED);
}

static void mqtt_on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                              const int *granted)
{
    (void)mosq;
    (void)mid;
    struct mqtt *m = obj;
    for (int i = 0; i < qos_count; i++)
        if (granted[i] > 2) { /* 0x80: refused, e.g. $share on a broker without it */
            char text[160];
            snprintf(text, sizeof text, "subscription refused by the broker (%d)", granted[i]);
            mqtt_set_error(m, text);
        }
    if (--m->suback_pending == 0)
        mqtt_set_state(m, MQTT_CONNECTED);
}

static void mqtt_on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    (void)mosq;
    struct mqtt *m = obj;
    atomic_fetch_add(&m->messages, 1);
    if (m->handler)
        m->handler(m->handler_ctx, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

static void mqtt_on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    (void)mosq;
    (void)mid;
    struct mqtt *m = obj;
    if (atomic_fetch_sub(&m->pending, 1) <= 0)
        atomic_store(&m->pending, 0);
}

static void mqtt_on_log(struct mosquitto *mosq, void *obj, int level, const char *text)
{
    /* TLS failures are only explained in the library's log, and the certificate's problem
     * only in the TLS session, which still exists while the failure is logged. */
    if (level != MOSQ_LOG_ERR)
        return;
    SSL *ssl = mosquitto_ssl_get(mosq);
    long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify == X509_V_OK) {
        mqtt_set_error(obj, text);
        return;
    }
    char why[160];
    const struct mqtt *m = obj;
    if (verify == X509_V_ERR_UNSPECIFIED) /* what libmosquitto's own host name check leaves */
        snprintf(why, sizeof why,
                 "TLS: the server's certificate is not issued for %s (connect by the name it "
                 "carries, or --insecure)",
                 m->host);
    else
        snprintf(why, sizeof why, "TLS: the server's certificate is not trusted: %s",
                 X509_verify_cert_error_string(verify));
    mqtt_set_error(obj, why);
}

static int mqtt_key_password(char *buf, int size, int rwflag, void *userdata)
{
    (void)rwflag;
    (void)userdata;
    (void)size;
    buf[0] = '\0';
    return 0; /* never prompt on the terminal behind ncurses */
}

/* An option given: not NULL, not "". */
static bool mqtt_given(const char *s)
{
    return s && s[0];
}

static void mqtt_client_id_build(struct mqtt *m, const struct mqtt_options *opt, const char *role)
{
    if (mqtt_given(opt->client_id)) {
        m->named = true;
        if (strcmp(role, "feed") == 0)
            snprintf(m->client_id, sizeof m->client_id, "%s", opt->client_id);
        else
            snprintf(m->client_id, sizeof m->client_id, "%s-%s", opt->client_id, role);
        return;
    }
    char host[64] = "host";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    host[strcspn(host, ".")] = '\0';
    snprintf(m->client_id, sizeof m->client_id, "twintop-%s-%ld-%s", host, (long)getpid(), role);
}

static int mqtt_setup_tls(struct mqtt *m, const struct mqtt_options *opt, char *err, size_t errlen)
{
    bool any = mqtt_given(opt->cafile) || mqtt_given(opt->capath) || mqtt_given(opt->certfile) ||
               mqtt_given(opt->keyfile);
    if (!m->tls) {
        if (any) {
            mqtt_fail(err, errlen, "--cafile/--capath/--cert/--key need an mqtts:// URL");
            return -1;
        }
        return 0;
    }
    if (!mqtt_given(opt->certfile) != !mqtt_given(opt->keyfile)) {
        mqtt_fail(err, errlen, "--cert and --key go together");
        return -1;
    }
    if (!mqtt_given(opt->cafile) && !mqtt_given(opt->capath)) {
        /* The system's CAs, as OpenSSL finds them. Not MOSQ_OPT_TLS_USE_OS_CERTS: libmosquitto
         * 2.0 refuses every reconnection with it ("Invalid function arguments provided"). */
        const char *file = getenv(X509_get_default_cert_file_env());
        const char *dir = getenv(X509_get_default_cert_dir_env());
        file = mqtt_given(file) ? file : X509_get_default_cert_file();
        dir = mqtt_given(dir) ? dir : X509_get_default_cert_dir();
        bool has_file = access(file, R_OK) == 0, has_dir = access(dir, R_OK | X_OK) == 0;
        if (!has_file && !has_dir) {
            mqtt_fail(err, errlen, "no CA certificates in %s or %s: give --cafile or --capath",
                      file, dir);
            return -1;
        }
        int rc =
            mosquitto_tls_set(m->mosq, has_file ? file : NULL, has_dir ? dir : NULL,
                              mqtt_given(opt->certfile) ? opt->certfile : NULL,
                              mqtt_given(opt->keyfile) ? opt->keyfile : NULL, mqtt_key_password);
        if (rc != MOSQ_ERR_SUCCESS) {
            mqtt_fail(err, errlen, "TLS setup: %s", mosquitto_strerror(rc));
            return -1;
        }
    } else {
        const char *files[] = {opt->cafile, opt->certfile, opt->keyfile};
        for (size_t i = 0; i < 3; i++)
            if (mqtt_given(files[i]) && access(files[i], R_OK) != 0) {
                mqtt_fail(err, errlen, "%s: %s", files[i], strerror(errno));
                return -1;
            }
    }
    if (mqtt_given(opt->cafile) || mqtt_given(opt->capath)) {
        int rc =
            mosquitto_tls_set(m->mosq, mqtt_given(opt->cafile) ? opt->cafile : NULL,
                              mqtt_given(opt->capath) ? opt->capath : NULL,
                              mqtt_given(opt->certfile) ? opt->certfile : NULL,
                              mqtt_given(opt->keyfile) ? opt->keyfile : NULL, mqtt_key_password);
        if (rc != MOSQ_ERR_SUCCESS) {
            mqtt_fail(err, errlen, "TLS setup: %s", mosquitto_strerror(rc));
            return -1;
        }
    }
    if (opt->insecure)
        mosquitto_tls_insecure_set(m->mosq, true);
    return 0;
}

/* TWINTOP_MQTT_PASSWORD once taken out of the environment (mqtt_password_take_env). */
static char mqtt_env_password[256];

void mqtt_password_take_env(void)
{
    const char *pw = getenv("TWINTOP_MQTT_PASSWORD");
    if (!pw)
        return;
    snprintf(mqtt_env_password, sizeof mqtt_env_password, "%s", pw);
    unsetenv("TWINTOP_MQTT_PASSWORD");
}

static int mqtt_setup_credentials(struct mqtt *m, const struct mqtt_options *opt, char *err,
                                  size_t errlen)
{
    const char *user = mqtt_given(opt->user) ? opt->user : getenv("TWINTOP_MQTT_USER");
    mqtt_password_take_env();
    char password[256] = "";
    if (mqtt_env_password[0]) {
        snprintf(password, sizeof password, "%s", mqtt_env_password);
    } else if (mqtt_given(opt->password_file)) {
        if (mqtt_password_read(opt->password_file, password, sizeof password, err, errlen) < 0)
            return -1;
    }
    if (password[0] && !(user && *user)) {
        mqtt_fail(err, errlen, "a broker password needs a user (--user or TWINTOP_MQTT_USER)");
        return -1;
    }
    if (user && *user) {
        int rc = mosquitto_username_pw_set(m->mosq, user, password[0] ? password : NULL);
        memset(password, 0, sizeof password);
        if (rc != MOSQ_ERR_SUCCESS) {
            mqtt_fail(err, errlen, "broker credentials: %s", mosquitto_strerror(rc));
            return -1;
        }
    }
    return 0;
}

struct mqtt *mqtt_create(const struct mqtt_options *opt, const char *url, const char *role,
                         bool persistent, char *err, size_t errlen)
{
    pthread_once(&mqtt_once, mqtt_lib_init);
    struct mqtt *m = calloc(1, sizeof *m);
    if (!m) {
        mqtt_fail(err, errlen, "out of memory");
        return NULL;
    }
    if (mqtt_url_parse(url, m->host, sizeof m->host, &m->port, &m->tls, err, errlen) < 0) {
        free(m);
        return NULL;
    }
    m->version = opt->version == 3 ? 3 : 5;
    m->persistent = persistent;
    m->max_pending = 10000;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->wake, NULL);
    snprintf(m->status.endpoint, sizeof m->status.endpoint, "%s:%d", m->host, m->port);
    mqtt_client_id_build(m, opt, role);
    m->mosq = mosquitto_new(m->client_id, !persistent, m);
    if (!m->mosq) {
        mqtt_fail(err, errlen, "mosquitto_new: %s", strerror(errno));
        mqtt_destroy(m);
        return NULL;
    }
    mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         m->version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_threaded_set(m->mosq, true);
    mosquitto_max_inflight_messages_set(m->mosq, 100);
    /* MQTT 5: let the broker keep more QoS 1 messages in flight towards us than its default
     * 20, so draining a backlog is not paced by round trips. */
    mosquitto_int_option(m->mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 1000);
    mosquitto_connect_v5_callback_set(m->mosq, mqtt_on_connect);
    mosquitto_message_callback_set(m->mosq, mqtt_on_message);
    mosquitto_publish_callback_set(m->mosq, mqtt_on_publish);
    mosquitto_subscribe_callback_set(m->mosq, mqtt_on_subscribe);
    mosquitto_log_callback_set(m->mosq, mqtt_on_log);
    if (mqtt_setup_tls(m, opt, err, errlen) < 0 ||
        mqtt_setup_credentials(m, opt, err, errlen) < 0) {
        mqtt_destroy(m);
        return NULL;
    }
    return m;
}

int mqtt_set_will(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                  bool retain)
{
    return mosquitto_will_set(m->mosq, topic, (int)len, payload, qos, retain) == MOSQ_ERR_SUCCESS
               ? 0
               : -1;
}

int mqtt_subscribe(struct mqtt *m, const char *pattern, int qos)
{
    if (m->topic_count >= MQTT_TOPICS_MAX || strlen(pattern) >= sizeof m->topics[0])
        return -1;
    if (mosquitto_sub_topic_check(pattern) != MOSQ_ERR_SUCCESS)
        return -1;
    snprintf(m->topics[m->topic_count], sizeof m->topics[0], "%s", pattern);
    m->topic_qos[m->topic_count++] = qos;
    return 0;
}

void mqtt_set_before_connect(struct mqtt *m, mqtt_connect_fn fn, void *ctx)
{
    m->before_connect = fn;
    m->before_connect_ctx = ctx;
}

void mqtt_set_idle(struct mqtt *m, mqtt_idle_fn fn, void *ctx)
{
    m->idle = fn;
    m->idle_ctx = ctx;
}

void mqtt_set_handler(struct mqtt *m, mqtt_message_fn fn, void *ctx)
{
    m->handler = fn;
    m->handler_ctx = ctx;
}

void mqtt_set_max_pending(struct mqtt *m, int max)
{
    m->max_pending = max;
}

/* Sleeps up to seconds, waking early on stop. Returns true when stopping. */
static bool mqtt_sleep(struct mqtt *m, int seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&m->lock);
    while (!m->stop && pthread_cond_timedwait(&m->wake, &m->lock, &until) == 0)
        ;
    bool stop = m->stop;
    pthread_mutex_unlock(&m->lock);
    return stop;
}

static bool mqtt_stopping(struct mqtt *m)
{
    pthread_mutex_lock(&m->lock);
    bool stop = m->stop;
    pthread_mutex_unlock(&m->lock);
    return stop;
}

static int mqtt_connect_once(struct mqtt *m)
{
    mosquitto_log_callback_set(m->mosq, mqtt_on_log);
    m->connack_failed = false;
    m->connack_ok = false;
    if (m->before_connect)
        m->before_connect(m->before_connect_ctx, m);
    if (m->version != 5)
        return mosquitto_connect(m->mosq, m->host, m->port, MQTT_KEEPALIVE_S);
    mosquitto_property *props = NULL;
    if (m->persistent)
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     m->named ? MQTT_SESSION_NAMED_S : MQTT_SESSION_DEFAULT_S);
    int rc = mosquitto_connect_bind_v5(m->mosq, m->host, m->port, MQTT_KEEPALIVE_S, NULL, props);
    mosquitto_property_free_all(&props);
    return rc;
}

static void mqtt_record_failure(struct mqtt *m, int rc, int saved_errno)
{
    if (m->connack_failed)
        return; /* the broker's reason says more than "connection lost" */
    char text[160];
    if (rc == MOSQ_ERR_ERRNO)
        snprintf(text, sizeof text, "%s", strerror(saved_errno));
    else
        snprintf(text, sizeof text, "%s", mosquitto_strerror(rc));
    /* A TLS failure was already explained by the library's log line. */
    if (rc == MOSQ_ERR_TLS) {
        pthread_mutex_lock(&m->lock);
        bool have = m->status.last_error[0] != '\0';
        pthread_mutex_unlock(&m->lock);
        if (have)
            return;
    }
    mqtt_set_error(m, text);
}

static void *mqtt_thread(void *arg)
{
    struct mqtt *m = arg;
    int backoff = 1;
    bool ever = false, busy = false;
    while (!mqtt_stopping(m)) {
        int rc = mqtt_connect_once(m);
        int saved = errno;
        while (rc == MOSQ_ERR_SUCCESS && !mqtt_stopping(m)) {
            rc = mosquitto_loop(m->mosq, busy ? 2 : 200, 1);
            saved = errno;
            busy = m->idle && m->idle(m->idle_ctx);
            if (m->connack_ok) {
                ever = true;
                backoff = 1;
            }
            if (m->connack_failed && rc == MOSQ_ERR_SUCCESS)
                rc = MOSQ_ERR_CONN_REFUSED;
        }
        atomic_store(&m->connected, 0);
        if (mqtt_stopping(m))
            break;
        mqtt_record_failure(m, rc, saved);
        mosquitto_disconnect(m->mosq);
        pthread_mutex_lock(&m->lock);
        m->status.state = ever ? MQTT_RECONNECTING : MQTT_CONNECTING;
        m->status.attempt++;
        pthread_mutex_unlock(&m->lock);
        if (mqtt_sleep(m, backoff))
            break;
        backoff = backoff * 2 > MQTT_BACKOFF_MAX_S ? MQTT_BACKOFF_MAX_S : backoff * 2;
    }
    if (atomic_load(&m->connected)) {
        /* Give acknowledgements of what we already processed a moment to leave. */
        for (int i = 0; i < 5 && atomic_load(&m->pending) > 0; i++)
            mosquitto_loop(m->mosq, 100, 1);
        mosquitto_disconnect(m->mosq);
        mosquitto_loop(m->mosq, 100, 1);
    }
    atomic_store(&m->connected, 0);
    mqtt_set_state(m, MQTT_STOPPED);
    return NULL;
}

void mqtt_set_single_thread(struct mqtt *m)
{
    m->single_thread = true;
    mosquitto_threaded_set(m->mosq, false);
}

void mqtt_set_ack_after_handler(struct mqtt *m)
{
    mosquitto_threaded_set(m->mosq, true);
}

int mqtt_start(struct mqtt *m, char *err, size_t errlen)
{
    if (m->running)
        return 0;
    m->stop = false;
    m->status.state = MQTT_CONNECTING;
    if (pthread_create(&m->thread, NULL, mqtt_thread, m) != 0) {
        mqtt_fail(err, errlen, "cannot start the MQTT thread");
        return -1;
    }
    m->running = true;
    return 0;
}

void mqtt_stop(struct mqtt *m)
{
    if (!m || !m->running)
        return;
    pthread_mutex_lock(&m->lock);
    m->stop = true;
    pthread_cond_broadcast(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    m->running = false;
}

void mqtt_destroy(struct mqtt *m)
{
    if (!m)
        return;
    mqtt_stop(m);
    if (m->mosq)
        mosquitto_destroy(m->mosq);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->wake);
    free(m);
}

int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                 bool retain)
{
    if ((m->single_thread && !(m->running && pthread_equal(pthread_self(), m->thread))) ||
        !atomic_load(&m->connected) || (qos > 0 && atomic_load(&m->pending) >= m->max_pending)) {
        atomic_fetch_add(&m->publish_dropped, 1);
        return -1;
    }
    if (qos > 0)
        atomic_fetch_add(&m->pending, 1);
    int rc = mosquitto_publish(m->mosq, NULL, topic, (int)len, payload, qos, retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        if (qos > 0)
            atomic_fetch_sub(&m->pending, 1);
        atomic_fetch_add(&m->publish_dropped, 1);
        return -1;
    }
    atomic_fetch_add(&m->published, 1);
    return 0;
}

void mqtt_get_status(struct mqtt *m, struct mqtt_status *out)
{
    pthread_mutex_lock(&m->lock);
    *out = m->status;
    pthread_mutex_unlock(&m->lock);
    out->messages = atomic_load(&m->messages);
    out->published = atomic_load(&m->published);
    out->publish_dropped = atomic_load(&m->publish_dropped);
}

const char *mqtt_client_id(const struct mqtt *m)
{
    return m->client_id;
}

/* ---- feed ---- */

/* Samples decoded from several messages go onto the queue together: one wake-up of the engine
 * per batch instead of per message (that wake-up cost more than decoding). A batch leaves when
 * it is nearly full or MQTT_FEED_LINGER_MS after its first sample. */
#define MQTT_FEED_BATCH 1024
#define MQTT_FEED_LINGER_MS 5

struct mqtt_feed {
    struct mqtt *conn;
    char prefix[64];
    _Atomic uint64_t skipped;
    size_t pending;        /* samples decoded but not yet pushed */
    int64_t pending_since; /* monotonic ms of the oldest */
    struct catalog *cat;
    struct queue *q;
    struct mqtt_codec *codec;
    struct sparkplug *sparkplug; /* spBv1.0/ topics */
    struct journal *journal;
    uint64_t (*committed)(void *ctx);
    void *committed_ctx;
    uint64_t pushed; /* samples pushed onto the queue, for journal_mark */
    uint64_t replayed;
    struct sample batch[MQTT_FEED_BATCH];
};

static bool mqtt_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Topics twintop publishes that are not telemetry. */
static bool mqtt_feed_own_output(const struct mqtt_feed *f, const char *topic)
{
    size_t pl = strlen(f->prefix);
    if (strncmp(topic, f->prefix, pl) == 0 && topic[pl] == '/' &&
        (strncmp(topic + pl + 1, "alarms/", 7) == 0 || strncmp(topic + pl + 1, "reports/", 8) == 0))
        return true;
    return mqtt_ends_with(topic, "/state") || mqtt_ends_with(topic, "/anomaly");
}

static void mqtt_feed_flush(struct mqtt_feed *f)
{
    size_t cap = queue_capacity(f->q);
    for (size_t off = 0; off < f->pending;) {
        size_t n = f->pending - off < cap ? f->pending - off : cap;
        if (queue_push_wait(f->q, f->batch + off, n) < 0) {
            f->pending = 0;
            return; /* closed: shutting down; the journal keeps what did not get in */
        }
        off += n;
        f->pushed += n;
    }
    f->pending = 0;
    if (f->journal)
        journal_mark(f->journal, f->pushed);
}

/* fdatasync of the journal at most this often: the power-loss window, as the store's commit. */
#define MQTT_FEED_JOURNAL_SYNC_MS 500

static bool mqtt_feed_idle(void *ctx)
{
    struct mqtt_feed *f = ctx;
    if (f->pending > 0 && (f->pending + MQTT_CODEC_FIELDS_MAX > MQTT_FEED_BATCH ||
                           clock_monotonic_ms() - f->pending_since >= MQTT_FEED_LINGER_MS))
        mqtt_feed_flush(f);
    if (f->journal)
        journal_sync(f->journal, f->committed(f->committed_ctx), MQTT_FEED_JOURNAL_SYNC_MS);
    return f->pending > 0;
}

static void mqtt_feed_decode(struct mqtt_feed *f, int64_t now_ms, const char *topic,
                             const void *payload, size_t len)
{
    if (f->pending + MQTT_CODEC_FIELDS_MAX > MQTT_FEED_BATCH)
        mqtt_feed_flush(f);
    int n = sparkplug_topic(topic)
                ? sparkplug_decode(f->sparkplug, topic, payload, len, now_ms, f->batch + f->pending,
                                   MQTT_CODEC_FIELDS_MAX)
                : mqtt_codec_decode(f->codec, topic, payload, len, now_ms, f->batch + f->pending,
                                    MQTT_CODEC_FIELDS_MAX);
    if (n > 0) {
        if (f->pending == 0)
            f->pending_since = clock_monotonic_ms();
        f->pending += (size_t)n;
    }
}

static void mqtt_feed_on_message(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct mqtt_feed *f = ctx;
    if (mqtt_feed_own_output(f, topic)) {
        atomic_fetch_add(&f->skipped, 1);
        return;
    }
    int64_t now = clock_wall_ms();
    if (f->journal) /* on disk before libmosquitto writes the PUBACK (mqtt_set_ack_after_handler) */
        journal_append(f->journal, now, topic, payload, len);
    mqtt_feed_decode(f, now, topic, payload, len);
}

static int mqtt_feed_replay_one(void *ctx, int64_t received_ms, const char *topic,
                                const void *payload, size_t len)
{
    struct mqtt_feed *f = ctx;
    mqtt_feed_decode(f, received_ms, topic, payload, len);
    f->replayed++;
    return 0;
}

long long mqtt_feed_replay_journal(struct mqtt_feed *f, char *err, size_t errlen)
{
    if (!f->journal || !journal_left(f->journal))
        return 0;
    if (journal_each(f->journal, mqtt_feed_replay_one, f, err, errlen) != 0)
        return -1;
    mqtt_feed_flush(f);
    return (long long)f->replayed;
}

/* Rebirth requests (NCMD), from the network thread: the single-thread connection allows it. */
static int mqtt_feed_send(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct mqtt_feed *f = ctx;
    return mqtt_publish(f->conn, topic, payload, len, 0, false);
}

struct mqtt_feed *mqtt_feed_create(const struct mqtt_feed_options *opt, struct catalog *cat,
                                   struct queue *q, char *err, size_t errlen)
{
    struct mqtt_feed *f = calloc(1, sizeof *f);
    if (!f) {
        mqtt_fail(err, errlen, "out of memory");
        return NULL;
    }
    f->cat = cat;
    f->q = q;
    snprintf(f->prefix, sizeof f->prefix, "%s",
             mqtt_given(opt->topic_prefix) ? opt->topic_prefix : "dt");
    f->codec = mqtt_codec_create(cat);
    if (f->codec && opt->max_clock_skew_ms > 0)
        mqtt_codec_set_max_skew(f->codec, opt->max_clock_skew_ms);
    f->sparkplug = f->codec ? sparkplug_create(cat, f->codec) : NULL;
    f->conn = f->sparkplug ? mqtt_create(&opt->conn, opt->url, "feed", true, err, errlen) : NULL;
    if (!f->conn) {
        if (!f->sparkplug)
            mqtt_fail(err, errlen, "out of memory");
        mqtt_feed_destroy(f);
        return NULL;
    }
    int count = opt->topic_count > 0 ? opt->topic_count : 1;
    for (int i = 0; i < count; i++) {
        const char *topic = opt->topic_count > 0 ? opt->topics[i] : "dt/+/+/telemetry";
        char full[300];
        if (mqtt_given(opt->share_group))
            snprintf(full, sizeof full, "$share/%s/%s", opt->share_group, topic);
        else
            snprintf(full, sizeof full, "%s", topic);
        if (mqtt_subscribe(f->conn, full, opt->qos) < 0) {
            mqtt_fail(err, errlen, "--topic %s: not a valid subscription pattern", full);
            mqtt_feed_destroy(f);
            return NULL;
        }
    }
    mqtt_set_handler(f->conn, mqtt_feed_on_message, f);
    mqtt_set_idle(f->conn, mqtt_feed_idle, f);
    mqtt_set_single_thread(f->conn);
    f->journal = opt->journal;
    f->committed = opt->committed;
    f->committed_ctx = opt->committed_ctx;
    if (f->journal)
        mqtt_set_ack_after_handler(f->conn);
    sparkplug_set_sender(f->sparkplug, mqtt_feed_send, f);
    return f;
}

int mqtt_feed_start(struct mqtt_feed *f, char *err, size_t errlen)
{
    return mqtt_start(f->conn, err, errlen);
}

void mqtt_feed_stop(struct mqtt_feed *f)
{
    if (!f)
        return;
    mqtt_stop(f->conn);
    mqtt_feed_flush(f); /* the network thread is gone: its last batch is ours to push */
}

void mqtt_feed_destroy(struct mqtt_feed *f)
{
    if (!f)
        return;
    mqtt_destroy(f->conn);
    sparkplug_destroy(f->sparkplug);
    mqtt_codec_destroy(f->codec);
    free(f);
}

struct mqtt *mqtt_feed_connection(struct mqtt_feed *f)
{
    return f->conn;
}

void mqtt_feed_stats(struct mqtt_feed *f, struct mqtt_status *st, struct mqtt_codec_stats *cs)
{
    if (st)
        mqtt_get_status(f->conn, st);
    if (cs)
        mqtt_codec_get_stats(f->codec, cs);
}

void mqtt_feed_headless_json(void *feed, char *out, size_t len)
{
    struct mqtt_feed *f = feed;
    struct mqtt_status st;
    struct mqtt_codec_stats cs;
    mqtt_feed_stats(f, &st, &cs);
    char counts[512], error[340];
    mqtt_codec_stats_json(&cs, counts, sizeof counts);
    json_escape(error, sizeof error, st.last_error);
    /* counts is {"received":N,"rejected":{…}}: splice its members into ours */
    size_t cl = strlen(counts);
    if (cl >= 2)
        counts[cl - 1] = '\0';
    snprintf(out, len,
             ",\"mqtt\":{\"state\":\"%s\",\"attempt\":%d,\"connects\":%llu,\"last_error\":\"%s\","
             "%s,\"decoded\":%llu,\"samples\":%llu,\"machines\":%d,\"max_machines\":%d}",
             mqtt_state_name(st.state), st.attempt, (unsigned long long)st.connects, error,
             counts + 1, (unsigned long long)cs.decoded, (unsigned long long)cs.samples,
             catalog_machine_count(f->cat), catalog_max_machines(f->cat));
    size_t used = strlen(out);
    if (used < len)
        sparkplug_headless_json(f->sparkplug, out + used, len - used);
    used = strlen(out);
    if (f->journal && used < len)
        snprintf(out + used, len - used, ",\"journal\":{\"replayed\":%llu,\"errors\":%llu}",
                 (unsigned long long)f->replayed, (unsigned long long)journal_errors(f->journal));
}

void mqtt_feed_status_line(void *feed, char *out, size_t len)
{
    struct mqtt_feed *f = feed;
    struct mqtt_status st;
    struct mqtt_codec_stats cs;
    mqtt_feed_stats(f, &st, &cs);
    if (st.state == MQTT_CONNECTED && cs.rejected[MQTT_CODEC_MACHINE_CAP] > 0)
        snprintf(out, len, "broker connected rx %llu rej %llu (%llu over the machine cap)",
                 (unsigned long long)cs.received, (unsigned long long)cs.rejected_total,
                 (unsigned long long)cs.rejected[MQTT_CODEC_MACHINE_CAP]);
    else if (st.state == MQTT_CONNECTED)
        snprintf(out, len, "broker connected rx %llu rej %llu", (unsigned long long)cs.received,
                 (unsigned long long)cs.rejected_total);
    else if (st.attempt > 0)
        snprintf(out, len, "broker %s (attempt %d): %s", mqtt_state_name(st.state), st.attempt,
                 st.last_error);
    else
        snprintf(out, len, "broker %s %s", mqtt_state_name(st.state), st.endpoint);
    struct sparkplug_stats sp;
    if (!f->sparkplug)
        return;
    sparkplug_get_stats(f->sparkplug, &sp);
    size_t used = strlen(out);
    if (sp.nodes_online + sp.nodes_dead + sp.nodes_awaiting_birth == 0 || used >= len)
        return;
    used += (size_t)snprintf(out + used, len - used, " | spB nodes %d online %d dead",
                             sp.nodes_online, sp.nodes_dead);
    if (sp.nodes_awaiting_birth && used < len)
        used +=
            (size_t)snprintf(out + used, len - used, " %d awaiting birth", sp.nodes_awaiting_birth);
    if (used < len)
        snprintf(out + used, len - used, ", %llu seq gaps", (unsigned long long)sp.seq_gaps);
}
