// SPDX-License-Identifier: MIT
/* Sparkplug B host: spBv1.0/ births, data, deaths and STATE to samples, with alias tables per
 * node, seq checking and rebirth requests. */
#include "sparkplug.h"
#include "sparkplug_b.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Org__Eclipse__Tahu__Protobuf__Payload spb_payload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric spb_metric;

#define SPB_PREFIX "spBv1.0/"
#define SPB_ID_MAX 64
#define SPB_DEVICES_MAX 256

/* Sparkplug data types (the specification's DataType enum). */
enum {
    SPB_INT8 = 1,
    SPB_INT16,
    SPB_INT32,
    SPB_INT64,
    SPB_UINT8,
    SPB_UINT16,
    SPB_UINT32,
    SPB_UINT64,
    SPB_FLOAT,
    SPB_DOUBLE,
    SPB_BOOLEAN,
    SPB_STRING,
    SPB_DATETIME,
    SPB_TEXT,
    SPB_UUID,
    SPB_DATASET,
    SPB_BYTES,
    SPB_FILE,
    SPB_TEMPLATE
};

enum spb_kind {
    SPB_NBIRTH,
    SPB_NDEATH,
    SPB_DBIRTH,
    SPB_DDEATH,
    SPB_NDATA,
    SPB_DDATA,
    SPB_NCMD,
    SPB_DCMD,
    SPB_KIND_COUNT
};
static const char *const spb_kind_names[SPB_KIND_COUNT] = {"NBIRTH", "NDEATH", "DBIRTH", "DDEATH",
                                                           "NDATA",  "DDATA",  "NCMD",   "DCMD"};

struct spb_alias {
    uint64_t alias;
    int device; /* index into the node's devices, -1 for the node itself */
    uint32_t datatype;
    char name[CATALOG_NAME_MAX];
    char sensor[CATALOG_NAME_MAX]; /* the sensor name it maps to (spb_sensor_name) */
};

struct spb_device {
    char id[SPB_ID_MAX];
    char machine_id[CATALOG_NAME_MAX];
    bool alive;
};

struct spb_node {
    char group[SPB_ID_MAX], id[SPB_ID_MAX];
    bool born, online;
    bool ever_born; /* false: known only from data, a rebirth was asked for */
    uint8_t seq;    /* last seen */
    uint64_t bdseq;
    int64_t last_rebirth_ms;
    struct spb_alias *aliases; /* sorted by alias */
    int alias_count, alias_cap;
    struct spb_device devices[SPB_DEVICES_MAX];
    int device_count;
};

/* Unpacking allocates every metric: from a bump arena reset per message instead of malloc and
 * free_unpacked (a third of the decode time). A message that outgrows it is unpacked again with
 * the default allocator. */
#define SPB_ARENA_BYTES (1u << 20)

struct spb_arena {
    ProtobufCAllocator allocator;
    size_t used;
    bool exhausted;
    _Alignas(16) unsigned char mem[SPB_ARENA_BYTES];
};

struct sparkplug {
    struct spb_arena arena;
    struct catalog *cat;
    struct mqtt_codec *codec;
    sparkplug_send_fn send;
    void *send_ctx;
    pthread_mutex_t lock; /* the node table's shape, for sparkplug_get_stats */
    struct spb_node nodes[SPARKPLUG_NODES_MAX];
    int node_count;
    _Atomic uint64_t received, decoded, samples, historical, births, deaths, seq_gaps,
        unknown_aliases, rebirths, states;
    _Atomic uint64_t rejected[SPARKPLUG_REJECT_COUNT];
    _Atomic uint64_t skipped[SPARKPLUG_SKIP_COUNT];
    char primary_host[64];
    bool primary_online;
    struct mqtt_codec_record rec;
};

/* A parsed topic: spBv1.0/<group>/<kind>/<node>[/<device>]. */
struct spb_topic {
    char group[SPB_ID_MAX], node[SPB_ID_MAX], device[SPB_ID_MAX];
    int kind;
};

static const char *const reject_names[SPARKPLUG_REJECT_COUNT] = {
    "ok",       "not_protobuf", "bad_topic", "before_birth", "bdseq_mismatch",
    "node_cap", "too_large",    "no_sample"};
static const char *const skip_names[SPARKPLUG_SKIP_COUNT] = {"dataset", "template", "file",
                                                             "bytes",   "other",    "historical"};

const char *sparkplug_reject_name(int reason)
{
    return reason > 0 && reason < SPARKPLUG_REJECT_COUNT ? reject_names[reason] : "?";
}

const char *sparkplug_skip_name(int kind)
{
    return kind >= 0 && kind < SPARKPLUG_SKIP_COUNT ? skip_names[kind] : "?";
}

bool sparkplug_topic(const char *topic)
{
    return strncmp(topic, SPB_PREFIX, strlen(SPB_PREFIX)) == 0;
}

static void *spb_arena_alloc(void *data, size_t size)
{
    struct spb_arena *a = data;
    size_t need = (size + 15) & ~(size_t)15;
    if (need > SPB_ARENA_BYTES - a->used) {
        a->exhausted = true;
        return NULL;
    }
    void *p = a->mem + a->used;
    a->used += need;
    return p;
}

static void spb_arena_free(void *data, void *ptr)
{
    (void)data; /* the whole arena is reset after the message */
    (void)ptr;
}

struct sparkplug *sparkplug_create(struct catalog *cat, struct mqtt_codec *codec)
{
    struct sparkplug *sp = calloc(1, sizeof *sp);
    if (!sp)
        return NULL;
    sp->arena.allocator.alloc = spb_arena_alloc;
    sp->arena.allocator.free = spb_arena_free;
    sp->arena.allocator.allocator_data = &sp->arena;
    sp->cat = cat;
    sp->codec = codec;
    pthread_mutex_init(&sp->lock, NULL);
    return sp;
}

void sparkplug_destroy(struct sparkplug *sp)
{
    if (!sp)
        return;
    for (int i = 0; i < sp->node_count; i++)
        free(sp->nodes[i].aliases);
    pthread_mutex_destroy(&sp->lock);
    free(sp);
}

void sparkplug_set_sender(struct sparkplug *sp, sparkplug_send_fn fn, void *ctx)
{
    sp->send = fn;
    sp->send_ctx = ctx;
}

static int spb_reject(struct sparkplug *sp, int reason)
{
    atomic_fetch_add(&sp->rejected[reason], 1);
    return -reason;
}

/* Copies one topic level (up to '/' or the end) into out; returns the rest or NULL. */
static const char *spb_level(const char *p, char *out, size_t len)
{
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n >= len)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return slash ? slash + 1 : p + n;
}

static int spb_topic_parse(const char *topic, struct spb_topic *t)
{
    char kind[16];
    const char *p = topic + strlen(SPB_PREFIX);
    t->device[0] = '\0';
    if (!(p = spb_level(p, t->group, sizeof t->group)) || !(p = spb_level(p, kind, sizeof kind)) ||
        !(p = spb_level(p, t->node, sizeof t->node)))
        return -1;
    if (*p && (!(p = spb_level(p, t->device, sizeof t->device)) || *p))
        return -1;
    for (int k = 0; k < SPB_KIND_COUNT; k++)
        if (strcmp(kind, spb_kind_names[k]) == 0) {
            t->kind = k;
            bool device_kind =
                k == SPB_DBIRTH || k == SPB_DDEATH || k == SPB_DDATA || k == SPB_DCMD;
            return device_kind == (t->device[0] != '\0') ? 0 : -1;
        }
    return -1;
}

static struct spb_node *spb_node_find(struct sparkplug *sp, const struct spb_topic *t, bool add)
{
    for (int i = 0; i < sp->node_count; i++)
        if (strcmp(sp->nodes[i].id, t->node) == 0 && strcmp(sp->nodes[i].group, t->group) == 0)
            return &sp->nodes[i];
    if (!add || sp->node_count >= SPARKPLUG_NODES_MAX)
        return NULL;
    pthread_mutex_lock(&sp->lock);
    struct spb_node *n = &sp->nodes[sp->node_count++];
    memset(n, 0, sizeof *n);
    snprintf(n->group, sizeof n->group, "%s", t->group);
    snprintf(n->id, sizeof n->id, "%s", t->node);
    pthread_mutex_unlock(&sp->lock);
    return n;
}

/* Whether another node already carries a device with this id (its machine keeps the plain id). */
static bool spb_device_id_taken(const struct sparkplug *sp, const struct spb_node *self,
                                const char *device)
{
    for (int i = 0; i < sp->node_count; i++) {
        const struct spb_node *n = &sp->nodes[i];
        if (n == self)
            continue;
        for (int d = 0; d < n->device_count; d++)
            if (strcmp(n->devices[d].id, device) == 0 &&
                strcmp(n->devices[d].machine_id, device) == 0)
                return true;
    }
    return false;
}

static int spb_device_find(struct sparkplug *sp, struct spb_node *n, const char *device, bool add)
{
    for (int d = 0; d < n->device_count; d++)
        if (strcmp(n->devices[d].id, device) == 0)
            return d;
    if (!add || n->device_count >= SPB_DEVICES_MAX)
        return -1;
    struct spb_device *dev = &n->devices[n->device_count];
    snprintf(dev->id, sizeof dev->id, "%s", device);
    char raw[2 * SPB_ID_MAX + 2];
    if (spb_device_id_taken(sp, n, device))
        snprintf(raw, sizeof raw, "%s/%s", n->id, device);
    else
        snprintf(raw, sizeof raw, "%s", device);
    size_t k = 0; /* like mqtt_codec_sanitize_id, but the NODE/DEVICE slash stays */
    for (const char *p = raw; *p && k + 1 < sizeof dev->machine_id; p++)
        dev->machine_id[k++] = (char)(strchr("/_.:-", *p) || (*p >= '0' && *p <= '9') ||
                                              (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
                                          ? *p
                                          : '_');
    dev->machine_id[k] = '\0';
    return n->device_count++;
}

/* By alias, then device: aliases are unique per node, but some edge nodes reuse them per device. */
static int spb_alias_cmp(const void *a, const void *b)
{
    const struct spb_alias *x = a, *y = b;
    if (x->alias != y->alias)
        return x->alias < y->alias ? -1 : 1;
    return (x->device > y->device) - (x->device < y->device);
}

static const struct spb_alias *spb_alias_find(const struct spb_node *n, int device, uint64_t alias)
{
    struct spb_alias key = {.alias = alias, .device = device};
    return n->aliases ? bsearch(&key, n->aliases, (size_t)n->alias_count, sizeof key, spb_alias_cmp)
                      : NULL;
}

static const struct spb_alias *spb_name_find(const struct spb_node *n, int device, const char *name)
{
    for (int i = 0; i < n->alias_count; i++)
        if (n->aliases[i].device == device && strcmp(n->aliases[i].name, name) == 0)
            return &n->aliases[i];
    return NULL;
}

/* Metric names become sensor names: "/" separates levels as "." does in JSON feeds. */
static void spb_sensor_name(const char *metric, char *out, size_t len)
{
    char dotted[CATALOG_NAME_MAX];
    size_t k = 0;
    for (const char *p = metric; *p && k + 1 < sizeof dotted; p++)
        dotted[k++] = *p == '/' ? '.' : *p;
    dotted[k] = '\0';
    mqtt_codec_sanitize_id(dotted, out, len);
}

static void spb_birth_metrics(struct spb_node *n, int device, const spb_payload *pl)
{
    int keep = 0; /* a DBIRTH replaces that device's metrics */
    for (int i = 0; i < n->alias_count; i++)
        if (n->aliases[i].device != device)
            n->aliases[keep++] = n->aliases[i];
    n->alias_count = keep;
    for (size_t i = 0; i < pl->n_metrics; i++) {
        const spb_metric *m = pl->metrics[i];
        if (!m->name || !m->has_datatype)
            continue;
        if (n->alias_count == n->alias_cap) {
            int cap = n->alias_cap ? 2 * n->alias_cap : 64;
            struct spb_alias *a = realloc(n->aliases, (size_t)cap * sizeof *a);
            if (!a)
                break;
            n->aliases = a;
            n->alias_cap = cap;
        }
        struct spb_alias *a = &n->aliases[n->alias_count++];
        /* metrics without an alias are found by name; give them one no wire alias can reach */
        a->alias = m->has_alias ? m->alias : UINT64_MAX - (uint64_t)n->alias_count;
        a->device = device;
        a->datatype = m->datatype;
        snprintf(a->name, sizeof a->name, "%s", m->name);
        spb_sensor_name(m->name, a->sensor, sizeof a->sensor);
    }
    if (n->alias_count > 1) /* qsort must not see the NULL table of a birth without metrics */
        qsort(n->aliases, (size_t)n->alias_count, sizeof *n->aliases, spb_alias_cmp);
}

static void spb_request_rebirth(struct sparkplug *sp, struct spb_node *n, int64_t now_ms)
{
    if (!sp->send || (n->last_rebirth_ms && now_ms - n->last_rebirth_ms < SPARKPLUG_REBIRTH_GAP_MS))
        return;
    n->last_rebirth_ms = now_ms;
    uint8_t buf[128];
    int len = sparkplug_encode_rebirth(now_ms, buf, sizeof buf);
    char topic[3 * SPB_ID_MAX];
    snprintf(topic, sizeof topic, SPB_PREFIX "%s/NCMD/%s", n->group, n->id);
    if (len > 0 && sp->send(sp->send_ctx, topic, buf, (size_t)len) == 0)
        atomic_fetch_add(&sp->rebirths, 1);
}

int sparkplug_encode_rebirth(int64_t ts_ms, uint8_t *buf, size_t len)
{
    spb_metric metric = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__INIT;
    static char rebirth_name[] = "Node Control/Rebirth"; /* protobuf-c's fields are not const */
    metric.name = rebirth_name;
    metric.has_datatype = true;
    metric.datatype = SPB_BOOLEAN;
    metric.has_timestamp = true;
    metric.timestamp = (uint64_t)ts_ms;
    metric.value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
    metric.boolean_value = true;
    spb_metric *metrics[] = {&metric};
    spb_payload pl = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__INIT;
    pl.has_timestamp = true;
    pl.timestamp = (uint64_t)ts_ms;
    pl.n_metrics = 1;
    pl.metrics = metrics;
    size_t need = org__eclipse__tahu__protobuf__payload__get_packed_size(&pl);
    if (need > len)
        return -1;
    return (int)org__eclipse__tahu__protobuf__payload__pack(&pl, buf);
}

/* A metric's value as a record field; false (and counted by kind) when it is not recorded. */
static bool spb_field(struct sparkplug *sp, const spb_metric *m, uint32_t datatype,
                      struct mqtt_codec_field *f)
{
    f->is_text = false;
    int skip = SPARKPLUG_SKIP_OTHER;
    switch (m->value_case) {
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE:
        /* Int8..Int32 travel as the two's complement in a uint32 */
        f->value = datatype >= SPB_INT8 && datatype <= SPB_INT32 ? (double)(int32_t)m->int_value
                                                                 : (double)m->int_value;
        return true;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE:
        f->value = datatype == SPB_INT64 ? (double)(int64_t)m->long_value : (double)m->long_value;
        return true;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_FLOAT_VALUE:
        f->value = m->float_value;
        return true;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE:
        f->value = m->double_value;
        return true;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE:
        f->value = m->boolean_value ? 1.0 : 0.0;
        return true;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE:
        f->is_text = true;
        mqtt_codec_sanitize_text(m->string_value, f->text, sizeof f->text);
        return true;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BYTES_VALUE:
        skip = datatype == SPB_FILE ? SPARKPLUG_SKIP_FILE : SPARKPLUG_SKIP_BYTES;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DATASET_VALUE:
        skip = SPARKPLUG_SKIP_DATASET;
        break;
    case ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_TEMPLATE_VALUE:
        skip = SPARKPLUG_SKIP_TEMPLATE;
        break;
    default:
        break;
    }
    atomic_fetch_add(&sp->skipped[skip], 1);
    return false;
}

/* Node bookkeeping metrics are not sensors. */
static bool spb_control_metric(const char *name)
{
    return strcmp(name, "bdSeq") == 0 || strncmp(name, "Node Control/", 13) == 0 ||
           strncmp(name, "Properties/", 11) == 0;
}

/* One metric of a device (or the node, device -1) as a record field; false when it is a control
 * metric, null, of a skipped kind, or unknown (then *unknown is set). */
static bool spb_metric_field(struct sparkplug *sp, struct spb_node *n, int device,
                             const spb_metric *m, bool *unknown, struct mqtt_codec_field *f)
{
    const struct spb_alias *a = m->name        ? spb_name_find(n, device, m->name)
                                : m->has_alias ? spb_alias_find(n, device, m->alias)
                                               : NULL;
    const char *name = m->name ? m->name : a ? a->name : NULL;
    if (!name || (!a && !m->has_datatype) || (a && a->device != device)) {
        *unknown = true;
        atomic_fetch_add(&sp->unknown_aliases, 1);
        return false;
    }
    if (spb_control_metric(name) || (m->has_is_null && m->is_null))
        return false;
    if (!spb_field(sp, m, m->has_datatype ? m->datatype : a->datatype, f))
        return false;
    if (a)
        memcpy(f->name, a->sensor, sizeof f->name);
    else
        spb_sensor_name(name, f->name, sizeof f->name);
    return f->name[0] != '\0';
}

static bool spb_is_historical(const spb_metric *m)
{
    return m->has_is_historical && m->is_historical;
}

/* A metric stamped with a time of its own (a birth's last values, a buffered reading): decoded
 * on its own at that time rather than at the payload's. */
static bool spb_own_time(const spb_metric *m, const spb_payload *pl)
{
    return m->has_timestamp && (!pl->has_timestamp || m->timestamp != pl->timestamp);
}

/* Fills sp->rec with the live metrics of one device (or the node, device -1) in a message. */
static void spb_record(struct sparkplug *sp, struct spb_node *n, int device, const spb_payload *pl,
                       int64_t now_ms, bool *unknown)
{
    struct mqtt_codec_record *rec = &sp->rec;
    snprintf(rec->machine_id, sizeof rec->machine_id, "%s",
             device >= 0 ? n->devices[device].machine_id : n->id);
    rec->type[0] = '\0';
    /* a machine learned from this feed stands in its group (area) and edge node (line) */
    snprintf(rec->area, sizeof rec->area, "%s", n->group);
    snprintf(rec->line, sizeof rec->line, "%s", n->id);
    rec->ts_ms = pl->has_timestamp ? (int64_t)pl->timestamp : now_ms;
    rec->field_count = 0;
    for (size_t i = 0; i < pl->n_metrics && rec->field_count < MQTT_CODEC_FIELDS_MAX; i++)
        if (!spb_is_historical(pl->metrics[i]) && !spb_own_time(pl->metrics[i], pl) &&
            spb_metric_field(sp, n, device, pl->metrics[i], unknown,
                             &rec->fields[rec->field_count]))
            rec->field_count++;
}

/* The metrics of a message with a time of their own, each decoded at it: the is_historical ones
 * (store-and-forward after an outage) become SAMPLE_HISTORICAL (history only, never live state;
 * text ones are counted as skipped), the others live readings. Returns the samples written. */
static int spb_timed(struct sparkplug *sp, struct spb_node *n, int device, const spb_payload *pl,
                     int64_t now_ms, bool *unknown, struct sample *out, size_t max)
{
    struct mqtt_codec_record *rec = &sp->rec;
    size_t k = 0;
    for (size_t i = 0; i < pl->n_metrics && k < max; i++) {
        const spb_metric *m = pl->metrics[i];
        bool historical = spb_is_historical(m);
        if ((!historical && !spb_own_time(m, pl)) ||
            !spb_metric_field(sp, n, device, m, unknown, rec->fields))
            continue;
        if (historical && rec->fields[0].is_text) {
            atomic_fetch_add(&sp->skipped[SPARKPLUG_SKIP_HISTORICAL], 1);
            continue;
        }
        rec->ts_ms = m->has_timestamp    ? (int64_t)m->timestamp
                     : pl->has_timestamp ? (int64_t)pl->timestamp
                                         : now_ms;
        rec->field_count = 1;
        if (mqtt_codec_check_time(sp->codec, rec->ts_ms, now_ms) < 0)
            continue;
        int got = mqtt_codec_decode_record(sp->codec, rec, out + k, max - k);
        if (got <= 0)
            continue;
        for (int j = 0; historical && j < got; j++)
            out[k + (size_t)j].kind = SAMPLE_HISTORICAL;
        atomic_fetch_add(historical ? &sp->historical : &sp->samples, (uint64_t)got);
        k += (size_t)got;
    }
    return (int)k;
}

/* seq of every node message but NDEATH: consecutive modulo 256, reset by NBIRTH. */
static bool spb_seq_ok(struct sparkplug *sp, struct spb_node *n, const spb_payload *pl, int kind)
{
    uint8_t seq = pl->has_seq ? (uint8_t)(pl->seq & 0xff) : 0;
    bool ok = kind == SPB_NBIRTH || (pl->has_seq && seq == (uint8_t)(n->seq + 1));
    n->seq = seq;
    if (!ok)
        atomic_fetch_add(&sp->seq_gaps, 1);
    return ok;
}

static uint64_t spb_bdseq(const spb_payload *pl, bool *found)
{
    for (size_t i = 0; i < pl->n_metrics; i++) {
        const spb_metric *m = pl->metrics[i];
        if (m->name && strcmp(m->name, "bdSeq") == 0) {
            *found = true;
            return m->value_case == ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_INT_VALUE
                       ? m->int_value
                       : m->long_value;
        }
    }
    *found = false;
    return 0;
}

/* One offline marker for the machine a node or device reports as (if the catalog knows it). */
static int spb_offline(const struct sparkplug *sp, const char *machine_id, int64_t now_ms,
                       struct sample *out, size_t max)
{
    int m = catalog_machine_find(sp->cat, machine_id);
    if (m < 0 || max == 0)
        return 0;
    out[0] = (struct sample){.ts_ms = now_ms, .machine = (uint32_t)m, .kind = SAMPLE_OFFLINE};
    return 1;
}

/* NDEATH: the node and every device behind it are offline, their machines stale at once. */
static int spb_node_death(struct sparkplug *sp, struct spb_node *n, int64_t now_ms,
                          struct sample *out, size_t max)
{
    int k = 0;
    pthread_mutex_lock(&sp->lock);
    n->online = false;
    n->born = false;
    for (int d = 0; d < n->device_count; d++) {
        if (n->devices[d].alive)
            k += spb_offline(sp, n->devices[d].machine_id, now_ms, out + k, max - (size_t)k);
        n->devices[d].alive = false;
    }
    k += spb_offline(sp, n->id, now_ms, out + k, max - (size_t)k);
    pthread_mutex_unlock(&sp->lock);
    atomic_fetch_add(&sp->deaths, 1);
    return k;
}

static int spb_samples(struct sparkplug *sp, int64_t now_ms, struct sample *out, size_t max)
{
    if (sp->rec.field_count == 0)
        return 0;
    if (mqtt_codec_check_time(sp->codec, sp->rec.ts_ms, now_ms) < 0)
        return 0; /* counted as the feed's future_timestamp */
    int n = mqtt_codec_decode_record(sp->codec, &sp->rec, out, max);
    if (n < 0)
        return spb_reject(sp, SPARKPLUG_NO_SAMPLE);
    atomic_fetch_add(&sp->samples, (uint64_t)n);
    return n;
}

static int spb_node_message(struct sparkplug *sp, const struct spb_topic *t, const spb_payload *pl,
                            int64_t now_ms, struct sample *out, size_t max)
{
    /* A node first heard from in its data (a host that joined after the birth) is added too, so
     * that it can be asked for a rebirth. */
    bool add = t->kind != SPB_NDEATH && t->kind != SPB_NCMD && t->kind != SPB_DCMD;
    struct spb_node *n = spb_node_find(sp, t, add);
    if (!n)
        return spb_reject(sp, add ? SPARKPLUG_NODE_CAP : SPARKPLUG_BEFORE_BIRTH);
    if (t->kind == SPB_NDEATH) {
        bool found;
        uint64_t bdseq = spb_bdseq(pl, &found);
        if (!n->born || !found || bdseq != n->bdseq)
            return spb_reject(sp, SPARKPLUG_BDSEQ_MISMATCH);
        return spb_node_death(sp, n, now_ms, out, max);
    }
    if (t->kind == SPB_NCMD || t->kind == SPB_DCMD)
        return 0; /* commands to the node, another host's business */
    if (t->kind == SPB_NBIRTH) {
        bool found;
        pthread_mutex_lock(&sp->lock);
        n->bdseq = spb_bdseq(pl, &found);
        n->born = n->online = n->ever_born = true;
        n->alias_count = 0;
        for (int d = 0; d < n->device_count; d++)
            n->devices[d].alive = false;
        pthread_mutex_unlock(&sp->lock);
        spb_birth_metrics(n, -1, pl);
        atomic_fetch_add(&sp->births, 1);
    } else if (!n->born) {
        spb_request_rebirth(sp, n, now_ms);
        return spb_reject(sp, SPARKPLUG_BEFORE_BIRTH);
    }
    if (!spb_seq_ok(sp, n, pl, t->kind))
        spb_request_rebirth(sp, n, now_ms);
    int device = -1;
    if (t->device[0]) {
        device = spb_device_find(sp, n, t->device, t->kind == SPB_DBIRTH);
        if (device < 0 || (t->kind != SPB_DBIRTH && !n->devices[device].alive)) {
            spb_request_rebirth(sp, n, now_ms);
            return spb_reject(sp, device < 0 && t->kind == SPB_DBIRTH ? SPARKPLUG_NODE_CAP
                                                                      : SPARKPLUG_BEFORE_BIRTH);
        }
        if (t->kind == SPB_DDEATH) {
            n->devices[device].alive = false;
            atomic_fetch_add(&sp->deaths, 1);
            return spb_offline(sp, n->devices[device].machine_id, now_ms, out, max);
        }
        if (t->kind == SPB_DBIRTH) {
            n->devices[device].alive = true;
            spb_birth_metrics(n, device, pl);
            atomic_fetch_add(&sp->births, 1);
        }
    }
    bool unknown = false;
    spb_record(sp, n, device, pl, now_ms, &unknown);
    if (unknown)
        spb_request_rebirth(sp, n, now_ms);
    int got = spb_samples(sp, now_ms, out, max);
    if (got < 0 || (size_t)got >= max)
        return got;
    got += spb_timed(sp, n, device, pl, now_ms, &unknown, out + got, max - (size_t)got);
    if (unknown)
        spb_request_rebirth(sp, n, now_ms);
    return got;
}

/* spBv1.0/STATE/<host_id> (Sparkplug 3.0): {"online":true,"timestamp":…}, shown only. */
static int spb_state(struct sparkplug *sp, const char *host, const void *payload, size_t len)
{
    char text[256];
    size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
    memcpy(text, payload, n);
    text[n] = '\0';
    pthread_mutex_lock(&sp->lock);
    mqtt_codec_sanitize_id(host, sp->primary_host, sizeof sp->primary_host);
    sp->primary_online = strstr(text, "\"online\":true") || strstr(text, "\"online\": true") ||
                         strcmp(text, "ONLINE") == 0;
    pthread_mutex_unlock(&sp->lock);
    atomic_fetch_add(&sp->states, 1);
    return 0;
}

int sparkplug_decode(struct sparkplug *sp, const char *topic, const void *payload, size_t len,
                     int64_t now_ms, struct sample *out, size_t max)
{
    atomic_fetch_add(&sp->received, 1);
    if (strncmp(topic, SPB_PREFIX "STATE/", strlen(SPB_PREFIX "STATE/")) == 0)
        return spb_state(sp, topic + strlen(SPB_PREFIX "STATE/"), payload, len);
    struct spb_topic t;
    if (spb_topic_parse(topic, &t) < 0)
        return spb_reject(sp, SPARKPLUG_BAD_TOPIC);
    if (len > MQTT_CODEC_PAYLOAD_MAX)
        return spb_reject(sp, SPARKPLUG_TOO_LARGE);
    sp->arena.used = 0;
    sp->arena.exhausted = false;
    ProtobufCAllocator *alloc = &sp->arena.allocator;
    spb_payload *pl = org__eclipse__tahu__protobuf__payload__unpack(alloc, len, payload);
    if (!pl && sp->arena.exhausted) {
        alloc = NULL;
        pl = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, payload);
    }
    if (!pl)
        return spb_reject(sp, SPARKPLUG_NOT_PROTOBUF);
    int rc = spb_node_message(sp, &t, pl, now_ms, out, max);
    if (!alloc)
        org__eclipse__tahu__protobuf__payload__free_unpacked(pl, NULL);
    if (rc >= 0)
        atomic_fetch_add(&sp->decoded, 1);
    return rc;
}

void sparkplug_get_stats(struct sparkplug *sp, struct sparkplug_stats *out)
{
    memset(out, 0, sizeof *out);
    out->received = atomic_load(&sp->received);
    out->decoded = atomic_load(&sp->decoded);
    out->samples = atomic_load(&sp->samples);
    out->births = atomic_load(&sp->births);
    out->deaths = atomic_load(&sp->deaths);
    out->historical = atomic_load(&sp->historical);
    out->seq_gaps = atomic_load(&sp->seq_gaps);
    out->unknown_aliases = atomic_load(&sp->unknown_aliases);
    out->rebirths_requested = atomic_load(&sp->rebirths);
    out->states = atomic_load(&sp->states);
    for (int i = 1; i < SPARKPLUG_REJECT_COUNT; i++)
        out->rejected[i] = atomic_load(&sp->rejected[i]);
    for (int i = 0; i < SPARKPLUG_SKIP_COUNT; i++)
        out->skipped[i] = atomic_load(&sp->skipped[i]);
    pthread_mutex_lock(&sp->lock);
    for (int i = 0; i < sp->node_count; i++) {
        if (sp->nodes[i].online)
            out->nodes_online++;
        else if (sp->nodes[i].ever_born)
            out->nodes_dead++;
        else
            out->nodes_awaiting_birth++;
    }
    snprintf(out->primary_host, sizeof out->primary_host, "%s", sp->primary_host);
    out->primary_online = sp->primary_online;
    pthread_mutex_unlock(&sp->lock);
}

void sparkplug_headless_json(struct sparkplug *sp, char *out, size_t len)
{
    struct sparkplug_stats s;
    sparkplug_get_stats(sp, &s);
    if (len)
        out[0] = '\0';
    if (s.received == 0)
        return;
    char rej[256], skip[200];
    size_t off = 0;
    for (int i = 1; i < SPARKPLUG_REJECT_COUNT && off < sizeof rej; i++)
        off += (size_t)snprintf(rej + off, sizeof rej - off, "%s\"%s\":%llu", i > 1 ? "," : "",
                                reject_names[i], (unsigned long long)s.rejected[i]);
    off = 0;
    for (int i = 0; i < SPARKPLUG_SKIP_COUNT && off < sizeof skip; i++)
        off += (size_t)snprintf(skip + off, sizeof skip - off, "%s\"%s\":%llu", i ? "," : "",
                                skip_names[i], (unsigned long long)s.skipped[i]);
    snprintf(
        out, len,
        ",\"sparkplug\":{\"received\":%llu,\"decoded\":%llu,\"samples\":%llu,\"historical\":%llu,"
        "\"births\":%llu,"
        "\"deaths\":%llu,\"seq_gaps\":%llu,\"unknown_aliases\":%llu,\"rebirths_requested\":%llu,"
        "\"nodes_online\":%d,\"nodes_dead\":%d,\"nodes_awaiting_birth\":%d,\"states\":%llu,"
        "\"primary_host\":\"%s\","
        "\"primary_online\":%s,\"rejected\":{%s},\"skipped\":{%s}}",
        (unsigned long long)s.received, (unsigned long long)s.decoded,
        (unsigned long long)s.samples, (unsigned long long)s.historical,
        (unsigned long long)s.births, (unsigned long long)s.deaths, (unsigned long long)s.seq_gaps,
        (unsigned long long)s.unknown_aliases, (unsigned long long)s.rebirths_requested,
        s.nodes_online, s.nodes_dead, s.nodes_awaiting_birth, (unsigned long long)s.states,
        s.primary_host, s.primary_online ? "true" : "false", rej, skip);
}

/* ---- edge node encoding ---- */

uint64_t sparkplug_alias(int machine, int sensor)
{
    return (uint64_t)machine * CATALOG_SENSORS_MAX + (uint64_t)sensor + 1;
}

static int spb_pack(spb_payload *pl, uint8_t *buf, size_t len)
{
    if (org__eclipse__tahu__protobuf__payload__get_packed_size(pl) > len)
        return -1;
    return (int)org__eclipse__tahu__protobuf__payload__pack(pl, buf);
}

static void spb_payload_head(spb_payload *pl, bool with_seq, uint8_t seq, int64_t ts_ms)
{
    spb_payload init = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__INIT;
    *pl = init;
    pl->has_timestamp = ts_ms > 0;
    pl->timestamp = (uint64_t)ts_ms;
    pl->has_seq = with_seq;
    pl->seq = seq;
}

static void spb_bdseq_metric(spb_metric *m, uint64_t bdseq)
{
    static char name[] = "bdSeq";
    spb_metric init = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__INIT;
    *m = init;
    m->name = name;
    m->has_datatype = true;
    m->datatype = SPB_INT64;
    m->value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_LONG_VALUE;
    m->long_value = bdseq;
}

int sparkplug_encode_node_birth(uint64_t bdseq, int64_t ts_ms, uint8_t *buf, size_t len)
{
    static char rebirth[] = "Node Control/Rebirth";
    spb_metric m[2], init = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__INIT;
    spb_bdseq_metric(&m[0], bdseq);
    m[1] = init;
    m[1].name = rebirth;
    m[1].has_datatype = true;
    m[1].datatype = SPB_BOOLEAN;
    m[1].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
    m[1].boolean_value = false;
    spb_metric *list[] = {&m[0], &m[1]};
    spb_payload pl;
    spb_payload_head(&pl, true, 0, ts_ms);
    pl.n_metrics = 2;
    pl.metrics = list;
    return spb_pack(&pl, buf, len);
}

int sparkplug_encode_node_death(uint64_t bdseq, uint8_t *buf, size_t len)
{
    spb_metric m;
    spb_bdseq_metric(&m, bdseq);
    spb_metric *list[] = {&m};
    spb_payload pl;
    spb_payload_head(&pl, false, 0, 0);
    pl.n_metrics = 1;
    pl.metrics = list;
    return spb_pack(&pl, buf, len);
}

int sparkplug_encode_device_death(uint8_t seq, int64_t ts_ms, uint8_t *buf, size_t len)
{
    spb_payload pl;
    spb_payload_head(&pl, true, seq, ts_ms);
    return spb_pack(&pl, buf, len);
}

int sparkplug_encode_device_birth(const struct catalog *cat, int machine, const double *last,
                                  const int64_t *last_ts, uint8_t seq, int64_t ts_ms, uint8_t *buf,
                                  size_t len)
{
    const struct catalog_type *t = catalog_machine_at(cat, machine)->type;
    int count = catalog_sensor_count(t);
    static char eng_unit[] = "engUnit";
    static char empty[] = "";
    spb_metric m[CATALOG_SENSORS_MAX], *list[CATALOG_SENSORS_MAX];
    Org__Eclipse__Tahu__Protobuf__Payload__PropertySet props[CATALOG_SENSORS_MAX];
    Org__Eclipse__Tahu__Protobuf__Payload__PropertyValue unit[CATALOG_SENSORS_MAX],
        *unit_list[CATALOG_SENSORS_MAX];
    char *keys[] = {eng_unit};
    for (int s = 0; s < count; s++) {
        const struct catalog_sensor *cs = &t->sensors[s];
        spb_metric init = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__INIT;
        m[s] = init;
        m[s].name = (char *)cs->name; /* protobuf-c only reads it while packing */
        m[s].has_alias = true;
        m[s].alias = sparkplug_alias(machine, s);
        m[s].has_datatype = true;
        m[s].datatype = cs->is_text ? SPB_STRING : SPB_DOUBLE;
        if (cs->is_text || !last || last[s] != last[s]) {
            m[s].has_is_null = true;
            m[s].is_null = true;
        } else {
            m[s].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
            m[s].double_value = last[s];
            if (last_ts && last_ts[s]) { /* the value's own time, not the birth's */
                m[s].has_timestamp = true;
                m[s].timestamp = (uint64_t)last_ts[s];
            }
        }
        Org__Eclipse__Tahu__Protobuf__Payload__PropertyValue uinit =
            ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__PROPERTY_VALUE__INIT;
        unit[s] = uinit;
        unit[s].has_type = true;
        unit[s].type = SPB_STRING;
        unit[s].value_case =
            ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__PROPERTY_VALUE__VALUE_STRING_VALUE;
        unit[s].string_value = cs->unit[0] ? (char *)cs->unit : empty;
        unit_list[s] = &unit[s];
        Org__Eclipse__Tahu__Protobuf__Payload__PropertySet pinit =
            ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__PROPERTY_SET__INIT;
        props[s] = pinit;
        props[s].n_keys = 1;
        props[s].keys = keys;
        props[s].n_values = 1;
        props[s].values = &unit_list[s];
        m[s].properties = &props[s];
        list[s] = &m[s];
    }
    spb_payload pl;
    spb_payload_head(&pl, true, seq, ts_ms);
    pl.n_metrics = (size_t)count;
    pl.metrics = list;
    return spb_pack(&pl, buf, len);
}

int sparkplug_encode_device_data(int machine, const struct sample *s, size_t n, uint8_t seq,
                                 int64_t ts_ms, uint8_t *buf, size_t len)
{
    spb_metric m[CATALOG_SENSORS_MAX], *list[CATALOG_SENSORS_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < CATALOG_SENSORS_MAX; i++) {
        if ((int)s[i].machine != machine)
            continue;
        spb_metric init = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__INIT;
        m[k] = init;
        m[k].has_alias = true;
        m[k].alias = sparkplug_alias(machine, s[i].sensor);
        m[k].has_timestamp = true;
        m[k].timestamp = (uint64_t)s[i].ts_ms;
        if (s[i].kind == SAMPLE_TEXT) {
            m[k].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_STRING_VALUE;
            m[k].string_value = (char *)s[i].u.text;
        } else {
            m[k].value_case = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
            m[k].double_value = s[i].u.value;
        }
        list[k] = &m[k];
        k++;
    }
    spb_payload pl;
    spb_payload_head(&pl, true, seq, ts_ms);
    pl.n_metrics = k;
    pl.metrics = list;
    return spb_pack(&pl, buf, len);
}

bool sparkplug_is_rebirth_request(const void *payload, size_t len)
{
    spb_payload *pl = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, payload);
    if (!pl)
        return false;
    bool rebirth = false;
    for (size_t i = 0; i < pl->n_metrics; i++) {
        const spb_metric *m = pl->metrics[i];
        if (m->name && strcmp(m->name, "Node Control/Rebirth") == 0 &&
            m->value_case == ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE &&
            m->boolean_value)
            rebirth = true;
    }
    org__eclipse__tahu__protobuf__payload__free_unpacked(pl, NULL);
    return rebirth;
}
