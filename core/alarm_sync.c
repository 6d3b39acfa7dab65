// SPDX-License-Identifier: MIT
/* The shared alarm list across consoles: alarm states out on P/alarms/..., remote actions in. */
#include "alarm_sync.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "alarm.h"
#include "clock.h"
#include "json_escape.h"

#define SYNC_RING 4096
#define SYNC_TABLE 8192 /* power of two, twice the manager's default capacity */
#define SYNC_KEY_MAX (CATALOG_NAME_MAX + ALARM_CONDITION_MAX + 2)
#define SYNC_PENDING_MS (10 * 60 * 1000)
/* JSON numbers are doubles: past 2^53 ms (285,000 years) a time no longer fits int64_t safely. */
#define SYNC_MS_MAX 9007199254740992.0
#define SYNC_SKEW_DEFAULT_MS (5 * 60 * 1000)
#define SYNC_KEY_BYTES_MIN 16
#define SYNC_KEY_BYTES_MAX 1024

struct sync_action {
    char action[16];
    char operator_name[ALARM_OPERATOR_MAX];
    char host[ALARM_HOST_MAX];
    char origin[160];
    int64_t wall_ts_ms;
    int64_t duration_ms; /* shelve: 0 one-shot */
    char reason[ALARM_TEXT_MAX];
    char sig[65]; /* HMAC-SHA256 in hex with a shared key, "" without */
};

struct sync_entry {
    char key[SYNC_KEY_MAX]; /* "<machine_id>/<condition>", "" when free */
    char machine_id[CATALOG_NAME_MAX];
    char condition[ALARM_CONDITION_MAX];
    bool has_action;
    struct sync_action last; /* the winning action so far */
    bool pending;            /* last is remote and not yet applied here */
    int64_t pending_since_ms;
};

struct sync_change {
    struct alarm_info info;
    int what;
    bool has_action;
    bool remote; /* made here on behalf of another console: not published again */
    struct alarm_action act;
};

struct alarm_sync {
    struct alarm_manager *am;
    struct mqtt *conn;
    char prefix[64];
    int qos;
    int64_t max_skew_ms; /* remote actions dated further ahead of our clock are refused */
    unsigned char key[SYNC_KEY_BYTES_MAX];
    size_t key_len; /* 0: actions are neither signed nor checked */

    pthread_mutex_t ring_lock;
    struct sync_change *ring;
    size_t ring_head, ring_count;

    /* network thread only */
    struct sync_entry *table;
    int pending_count;
    uint64_t connects;
    int64_t last_retry_ms;
    struct sync_change drained[64];
    struct alarm_info *all; /* republished after every (re)connection */
    char buf[8192];

    _Atomic uint64_t sent, applied, ignored, dropped, refused;
};

/* A topic level from a name: '/', '+' and '#' would change the topic's shape. */
static void sync_level(const char *src, char *dst, size_t len)
{
    size_t i = 0;
    for (; src[i] && i + 1 < len; i++)
        dst[i] = (src[i] == '/' || src[i] == '+' || src[i] == '#') ? '_' : src[i];
    dst[i] = '\0';
}

static uint64_t sync_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static _Thread_local bool sync_applying_remote;

static void sync_key(const char *machine_id, const char *condition, char *out, size_t len)
{
    char m[CATALOG_NAME_MAX], c[ALARM_CONDITION_MAX];
    sync_level(machine_id, m, sizeof m);
    sync_level(condition, c, sizeof c);
    snprintf(out, len, "%s/%s", m, c);
}

/* Finds the entry of key, or the free slot where it goes (NULL when the table is full). */
static struct sync_entry *sync_lookup(struct alarm_sync *s, const char *key, bool create)
{
    size_t j = (size_t)sync_hash(key, strlen(key)) & (SYNC_TABLE - 1);
    for (size_t probes = 0; probes < SYNC_TABLE; probes++, j = (j + 1) & (SYNC_TABLE - 1)) {
        struct sync_entry *e = &s->table[j];
        if (strcmp(e->key, key) == 0)
            return e;
        if (!e->key[0]) {
            if (!create)
                return NULL;
            snprintf(e->key, sizeof e->key, "%s", key);
            return e;
        }
    }
    return NULL;
}

/* Later wall time wins; ties go to the greater operator name, then the action name. */
static int sync_action_cmp(const struct sync_action *a, const struct sync_action *b)
{
    if (a->wall_ts_ms != b->wall_ts_ms)
        return a->wall_ts_ms < b->wall_ts_ms ? -1 : 1;
    int c = strcmp(a->operator_name, b->operator_name);
    return c ? c : strcmp(a->action, b->action);
}

/* The shared key: the file's bytes without a trailing newline; refused when group or others
 * may read it, or shorter than 16 bytes. */
static int sync_key_read(struct alarm_sync *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "--alarm-key %s: %s", path,
                 f ? "not a regular file" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "--alarm-key %s: permissions %04o are too open: the key must not be accessible by "
                 "group or others (chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        fclose(f);
        return -1;
    }
    size_t n = fread(s->key, 1, sizeof s->key, f);
    bool longer = fgetc(f) != EOF;
    fclose(f);
    while (n > 0 && (s->key[n - 1] == '\n' || s->key[n - 1] == '\r'))
        n--;
    if (longer || n < SYNC_KEY_BYTES_MIN) {
        snprintf(err, errlen, "--alarm-key %s: a key is %d to %d bytes", path, SYNC_KEY_BYTES_MIN,
                 SYNC_KEY_BYTES_MAX);
        return -1;
    }
    s->key_len = n;
    return 0;
}

static void sync_sign_field(EVP_MAC_CTX *ctx, const char *text, size_t cap)
{
    char clean[ALARM_TEXT_MAX], len[24];
    mqtt_codec_sanitize_text(text, clean, cap < sizeof clean ? cap : sizeof clean);
    int n = snprintf(len, sizeof len, "%zu:", strlen(clean));
    EVP_MAC_update(ctx, (const unsigned char *)len, (size_t)n);
    EVP_MAC_update(ctx, (const unsigned char *)clean, strlen(clean));
}

/* HMAC-SHA256 over the alarm and every field of the action, each as "length:text" after the
 * sanitising a receiver applies, so that both ends hash the same bytes. out: 64 hex digits. */
static int sync_sign(const struct alarm_sync *s, const char *machine_id, const char *condition,
                     const struct sync_action *a, char out[65])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    unsigned char md[32];
    size_t mdlen = 0;
    int rc = -1;
    if (ctx && EVP_MAC_init(ctx, s->key, s->key_len, params)) {
        sync_sign_field(ctx, machine_id, CATALOG_NAME_MAX);
        sync_sign_field(ctx, condition, ALARM_CONDITION_MAX);
        sync_sign_field(ctx, a->action, sizeof a->action);
        sync_sign_field(ctx, a->operator_name, sizeof a->operator_name);
        sync_sign_field(ctx, a->host, sizeof a->host);
        sync_sign_field(ctx, a->origin, sizeof a->origin);
        sync_sign_field(ctx, a->reason, sizeof a->reason);
        char times[48];
        int n = snprintf(times, sizeof times, "%lld:%lld", (long long)a->wall_ts_ms,
                         (long long)a->duration_ms);
        EVP_MAC_update(ctx, (const unsigned char *)times, (size_t)n);
        if (EVP_MAC_final(ctx, md, &mdlen, sizeof md) && mdlen == sizeof md)
            rc = 0;
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    for (size_t i = 0; rc == 0 && i < sizeof md; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    if (rc != 0)
        out[0] = '\0';
    return rc;
}

static void sync_on_change(void *ctx, enum alarm_change what, const struct alarm_info *a,
                           const struct alarm_action *act)
{
    struct alarm_sync *s = ctx;
    if (what == ALARM_CHANGE_UPDATED)
        return; /* a new value of an unchanged alarm: not worth a retained message */
    pthread_mutex_lock(&s->ring_lock);
    if (s->ring_count < SYNC_RING) {
        struct sync_change *c = &s->ring[(s->ring_head + s->ring_count) % SYNC_RING];
        c->info = *a;
        c->what = what;
        c->has_action = act != NULL;
        c->remote = sync_applying_remote;
        if (act)
            c->act = *act;
        s->ring_count++;
    } else {
        atomic_fetch_add(&s->dropped, 1);
    }
    pthread_mutex_unlock(&s->ring_lock);
}

static void sync_put_action(struct json_out *o, const struct sync_action *a)
{
    json_out_printf(o, ",\"last_action\":{\"action\":");
    json_out_string(o, a->action);
    json_out_printf(o, ",\"operator\":");
    json_out_string(o, a->operator_name);
    json_out_printf(o, ",\"host\":");
    json_out_string(o, a->host);
    json_out_printf(o, ",\"origin\":");
    json_out_string(o, a->origin);
    json_out_printf(o, ",\"wall_ts_ms\":%lld,\"duration_ms\":%lld,\"reason\":",
                    (long long)a->wall_ts_ms, (long long)a->duration_ms);
    json_out_string(o, a->reason);
    if (a->sig[0]) {
        json_out_printf(o, ",\"sig\":");
        json_out_string(o, a->sig);
    }
    json_out_printf(o, "}");
}

static void sync_publish(struct alarm_sync *s, const struct alarm_info *a, const char *change)
{
    char key[SYNC_KEY_MAX], topic[300];
    sync_key(a->machine_id, a->condition, key, sizeof key);
    struct sync_entry *e = sync_lookup(s, key, false);
    char *json = alarm_info_to_json(a, change);
    if (!json)
        return;
    size_t jl = strlen(json);
    struct json_out o = {.buf = s->buf, .len = sizeof s->buf};
    if (jl > 1 && json[jl - 1] == '}') {
        json[jl - 1] = '\0'; /* our members go inside the alarm's object */
        json_out_printf(&o, "%s,\"alarm_id\":", json);
        json_out_string(&o, key);
        json_out_printf(&o, ",\"origin\":");
        json_out_string(&o, mqtt_client_id(s->conn));
        if (e && e->has_action)
            sync_put_action(&o, &e->last);
        json_out_printf(&o, "}");
    }
    free(json);
    if (o.overflow || o.off == 0)
        return;
    snprintf(topic, sizeof topic, "%s/alarms/%s", s->prefix, key);
    if (mqtt_publish(s->conn, topic, s->buf, o.off, s->qos, true) == 0)
        atomic_fetch_add(&s->sent, 1);
}

static void sync_local_change(struct alarm_sync *s, const struct sync_change *c)
{
    if (c->has_action && !c->remote) {
        char key[SYNC_KEY_MAX];
        sync_key(c->info.machine_id, c->info.condition, key, sizeof key);
        struct sync_entry *e = sync_lookup(s, key, true);
        if (e) {
            struct sync_action a = {0};
            snprintf(a.action, sizeof a.action, "%s", c->act.action);
            snprintf(a.operator_name, sizeof a.operator_name, "%s", c->act.operator_name);
            snprintf(a.host, sizeof a.host, "%s", c->act.host);
            snprintf(a.origin, sizeof a.origin, "%s", mqtt_client_id(s->conn));
            snprintf(a.reason, sizeof a.reason, "%s", c->act.reason);
            a.wall_ts_ms = c->act.wall_ts_ms;
            if (c->what == ALARM_CHANGE_SHELVE && c->info.shelved_until_ms > 0)
                a.duration_ms = c->info.shelved_until_ms - c->act.ts_ms;
            if (s->key_len)
                sync_sign(s, c->info.machine_id, c->info.condition, &a, a.sig);
            snprintf(e->machine_id, sizeof e->machine_id, "%s", c->info.machine_id);
            snprintf(e->condition, sizeof e->condition, "%s", c->info.condition);
            if (!e->has_action || sync_action_cmp(&a, &e->last) > 0) {
                e->last = a;
                e->has_action = true;
                if (e->pending)
                    s->pending_count--;
                e->pending = false;
            }
        }
    }
    if (!c->remote)
        sync_publish(s, &c->info, alarm_change_name((enum alarm_change)c->what));
}

/* Applies e->last to the local manager. True when done (applied, or refused for good). */
static bool sync_apply(struct alarm_sync *s, struct sync_entry *e)
{
    uint32_t id = alarm_find(s->am, e->machine_id, e->condition);
    if (id == 0)
        return false;
    struct alarm_operator op = {0};
    snprintf(op.name, sizeof op.name, "%s", e->last.operator_name);
    snprintf(op.host, sizeof op.host, "%s", e->last.host);
    const char *why = e->last.reason;
    char msg[256];
    int rc = -1;
    sync_applying_remote = true;
    if (strcmp(e->last.action, "ack") == 0)
        rc = alarm_ack(s->am, id, &op, msg, sizeof msg);
    else if (strcmp(e->last.action, "shelve") == 0)
        rc = alarm_shelve(s->am, id, &op, e->last.duration_ms, why, msg, sizeof msg);
    else if (strcmp(e->last.action, "unshelve") == 0)
        rc = alarm_unshelve(s->am, id, &op, why, msg, sizeof msg);
    else if (strcmp(e->last.action, "note") == 0)
        rc = alarm_note(s->am, id, &op, why, msg, sizeof msg);
    else if (strcmp(e->last.action, "suppress") == 0 || strcmp(e->last.action, "unsuppress") == 0)
        rc = alarm_suppress(s->am, id, &op, e->last.action[0] == 's', why, msg, sizeof msg);
    else if (strcmp(e->last.action, "out_of_service") == 0 ||
             strcmp(e->last.action, "in_service") == 0)
        rc = alarm_set_out_of_service(s->am, id, &op, e->last.action[0] == 'o', why, msg,
                                      sizeof msg);
    sync_applying_remote = false;
    /* A refusal ("not awaiting acknowledgement") means this console is already there. */
    atomic_fetch_add(rc == 0 ? &s->applied : &s->ignored, 1);
    return true;
}

static void sync_copy_text(const cJSON *obj, const char *name, char *out, size_t len)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    mqtt_codec_sanitize_text(cJSON_IsString(it) ? it->valuestring : "", out, len);
}

/* A remote action may count: signed with our key when we have one, and not dated beyond the
 * clock-skew tolerance (the latest action wins: one dated far ahead would pin the alarm). */
static bool sync_trusted(const struct alarm_sync *s, const char *machine_id, const char *condition,
                         const struct sync_action *a)
{
    if (a->wall_ts_ms > clock_wall_ms() + s->max_skew_ms)
        return false;
    if (!s->key_len)
        return true;
    char want[65];
    return strlen(a->sig) == 64 && sync_sign(s, machine_id, condition, a, want) == 0 &&
           CRYPTO_memcmp(want, a->sig, 64) == 0;
}

static void sync_on_message(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct alarm_sync *s = ctx;
    (void)topic;
    cJSON *root = cJSON_ParseWithLength(payload, len);
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(root, "origin");
    const cJSON *last = cJSON_GetObjectItemCaseSensitive(root, "last_action");
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(root, "machine_id");
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(root, "condition");
    const cJSON *wall = cJSON_GetObjectItemCaseSensitive(last, "wall_ts_ms");
    const cJSON *act_origin = cJSON_GetObjectItemCaseSensitive(last, "origin");
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(last, "duration_ms");
    if (!cJSON_IsString(mid) || !cJSON_IsString(cond) || !cJSON_IsObject(last) ||
        !cJSON_IsNumber(wall) || !(wall->valuedouble >= 0 && wall->valuedouble <= SYNC_MS_MAX) ||
        (cJSON_IsNumber(dur) && !(dur->valuedouble <= SYNC_MS_MAX)) || !cJSON_IsString(origin) ||
        (cJSON_IsString(act_origin) &&
         strcmp(act_origin->valuestring, mqtt_client_id(s->conn)) == 0) ||
        strlen(mid->valuestring) >= CATALOG_NAME_MAX ||
        strlen(cond->valuestring) >= ALARM_CONDITION_MAX) {
        cJSON_Delete(root); /* ours, or nothing to apply */
        return;
    }
    struct sync_action a = {0};
    sync_copy_text(last, "action", a.action, sizeof a.action);
    sync_copy_text(last, "operator", a.operator_name, sizeof a.operator_name);
    sync_copy_text(last, "host", a.host, sizeof a.host);
    sync_copy_text(last, "origin", a.origin, sizeof a.origin);
    sync_copy_text(last, "reason", a.reason, sizeof a.reason);
    a.wall_ts_ms = (int64_t)wall->valuedouble;
    a.duration_ms = cJSON_IsNumber(dur) && dur->valuedouble > 0 ? (int64_t)dur->valuedouble : 0;
    char key[SYNC_KEY_MAX], machine_id[CATALOG_NAME_MAX], condition[ALARM_CONDITION_MAX];
    mqtt_codec_sanitize_text(mid->valuestring, machine_id, sizeof machine_id);
    mqtt_codec_sanitize_text(cond->valuestring, condition, sizeof condition);
    sync_copy_text(last, "sig", a.sig, sizeof a.sig);
    cJSON_Delete(root);
    if (!sync_trusted(s, machine_id, condition, &a)) {
        atomic_fetch_add(&s->refused, 1);
        return;
    }
    sync_key(machine_id, condition, key, sizeof key);
    struct sync_entry *e = sync_lookup(s, key, true);
    if (!e)
        return;
    if (e->has_action && sync_action_cmp(&a, &e->last) <= 0) {
        if (sync_action_cmp(&a, &e->last) < 0)
            atomic_fetch_add(&s->ignored, 1); /* older than what won already */
        return;
    }
    snprintf(e->machine_id, sizeof e->machine_id, "%s", machine_id);
    snprintf(e->condition, sizeof e->condition, "%s", condition);
    e->last = a;
    e->has_action = true;
    if (sync_apply(s, e)) {
        if (e->pending)
            s->pending_count--;
        e->pending = false;
    } else if (!e->pending) {
        e->pending = true;
        e->pending_since_ms = clock_wall_ms();
        s->pending_count++;
    }
}

static void sync_retry_pending(struct alarm_sync *s, int64_t now)
{
    for (size_t i = 0; i < SYNC_TABLE && s->pending_count > 0; i++) {
        struct sync_entry *e = &s->table[i];
        if (!e->key[0] || !e->pending)
            continue;
        if (sync_apply(s, e) || now - e->pending_since_ms > SYNC_PENDING_MS) {
            e->pending = false;
            s->pending_count--;
        }
    }
}

static bool sync_idle(void *ctx)
{
    struct alarm_sync *s = ctx;
    struct mqtt_status st;
    mqtt_get_status(s->conn, &st);
    if (st.state == MQTT_CONNECTED && st.connects != s->connects) {
        /* (Re)connected: the broker's retained view may be behind ours. */
        s->connects = st.connects;
        int n = alarm_list(s->am, ALARM_LIST_ALL, NULL, s->all, ALARM_CAPACITY_DEFAULT);
        for (int i = 0; i < n; i++)
            sync_publish(s, &s->all[i], "sync");
    }
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&s->ring_lock);
        while (s->ring_count > 0 && n < sizeof s->drained / sizeof *s->drained) {
            s->drained[n++] = s->ring[s->ring_head];
            s->ring_head = (s->ring_head + 1) % SYNC_RING;
            s->ring_count--;
        }
        pthread_mutex_unlock(&s->ring_lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            sync_local_change(s, &s->drained[i]);
        if (s->pending_count > 0)
            s->last_retry_ms = 0; /* a new alarm may be the one an action waits for */
    }
    int64_t now = clock_wall_ms();
    if (s->pending_count > 0 && now - s->last_retry_ms >= 1000) {
        s->last_retry_ms = now;
        sync_retry_pending(s, now);
    }
    return false;
}

struct alarm_sync *alarm_sync_create(const struct alarm_sync_options *opt, struct alarm_manager *am,
                                     char *err, size_t errlen)
{
    struct alarm_sync *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "alarm sync: out of memory");
        return NULL;
    }
    s->am = am;
    s->qos = 1; /* alarm state must not be lost, whatever --qos says for telemetry */
    snprintf(s->prefix, sizeof s->prefix, "%s",
             opt->topic_prefix && opt->topic_prefix[0] ? opt->topic_prefix : "dt");
    s->max_skew_ms = opt->max_clock_skew_ms > 0 ? opt->max_clock_skew_ms : SYNC_SKEW_DEFAULT_MS;
    if (opt->key_file && opt->key_file[0] && sync_key_read(s, opt->key_file, err, errlen) != 0) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->ring_lock, NULL);
    s->ring = calloc(SYNC_RING, sizeof *s->ring);
    s->table = calloc(SYNC_TABLE, sizeof *s->table);
    s->all = calloc(ALARM_CAPACITY_DEFAULT, sizeof *s->all);
    if (!s->ring || !s->table || !s->all) {
        snprintf(err, errlen, "alarm sync: out of memory");
        alarm_sync_destroy(s);
        return NULL;
    }
    s->conn = mqtt_create(&opt->conn, opt->url, "alarms", false, err, errlen);
    if (!s->conn) {
        alarm_sync_destroy(s);
        return NULL;
    }
    char pattern[128];
    snprintf(pattern, sizeof pattern, "%s/alarms/#", s->prefix);
    mqtt_subscribe(s->conn, pattern, 1);
    mqtt_set_handler(s->conn, sync_on_message, s);
    mqtt_set_idle(s->conn, sync_idle, s);
    struct alarm_listener l = {.ctx = s, .on_change = sync_on_change};
    if (alarm_add_listener(am, &l) < 0) {
        snprintf(err, errlen, "alarm sync: the alarm manager has no room for another listener");
        alarm_sync_destroy(s);
        return NULL;
    }
    return s;
}

int alarm_sync_start(struct alarm_sync *s, char *err, size_t errlen)
{
    return mqtt_start(s->conn, err, errlen);
}

void alarm_sync_stop(struct alarm_sync *s)
{
    if (s)
        mqtt_stop(s->conn);
}

void alarm_sync_destroy(struct alarm_sync *s)
{
    if (!s)
        return;
    if (s->am)
        alarm_remove_listener(s->am, s);
    mqtt_destroy(s->conn);
    pthread_mutex_destroy(&s->ring_lock);
    free(s->ring);
    free(s->table);
    free(s->all);
    free(s);
}

struct mqtt *alarm_sync_connection(struct alarm_sync *s)
{
    return s->conn;
}

void alarm_sync_get_stats(struct alarm_sync *s, struct alarm_sync_stats *out)
{
    out->sent = atomic_load(&s->sent);
    out->applied = atomic_load(&s->applied);
    out->ignored = atomic_load(&s->ignored);
    out->pending = (uint64_t)(s->pending_count > 0 ? s->pending_count : 0);
    out->dropped = atomic_load(&s->dropped);
    out->refused = atomic_load(&s->refused);
}

void alarm_sync_headless_json(void *sync, char *out, size_t len)
{
    struct alarm_sync *s = sync;
    struct alarm_sync_stats ps;
    struct mqtt_status st;
    alarm_sync_get_stats(s, &ps);
    mqtt_get_status(s->conn, &st);
    snprintf(out, len,
             ",\"alarm_sync\":{\"state\":\"%s\",\"sent\":%llu,\"applied\":%llu,\"ignored\":%llu,"
             "\"pending\":%llu,\"dropped\":%llu,\"refused\":%llu}",
             mqtt_state_name(st.state), (unsigned long long)ps.sent, (unsigned long long)ps.applied,
             (unsigned long long)ps.ignored, (unsigned long long)ps.pending,
             (unsigned long long)ps.dropped, (unsigned long long)ps.refused);
}
