// SPDX-License-Identifier: MIT
/* The MQTT JSON payload decoder and encoder: telemetry payloads to samples and back. */
#include "mqtt_codec.h"
#include "clock.h"
#include "json_escape.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Plant time must be plausible: 1970 .. 2200. */
#define MQTT_CODEC_TS_MAX_MS 7258118400000LL
/* Epoch numbers above this are milliseconds, below seconds (1e11 s is year 5138). */
#define MQTT_CODEC_TS_MS_THRESHOLD 1e11
#define MQTT_CODEC_DEPTH_MAX 8
/* cJSON's nodes and strings of one payload: a typical message needs 1-2 KB; beyond, malloc. */
#define MQTT_CODEC_ARENA_BYTES (32 * 1024)

/* While a codec parses on a thread, cJSON allocates from that codec's arena (bump pointer,
 * emptied per message, no free per node); every other cJSON user in the process, and what does
 * not fit, gets malloc. The hooks are process-wide (cJSON_InitHooks), the arena per thread. */
struct mqtt_codec_arena {
    size_t used;
    bool spilled; /* something of this message came from malloc: cJSON_Delete must run */
    alignas(max_align_t) unsigned char mem[MQTT_CODEC_ARENA_BYTES];
};

static _Thread_local struct mqtt_codec_arena *mqtt_codec_tls_arena;

static void *mqtt_codec_arena_alloc(size_t size)
{
    struct mqtt_codec_arena *a = mqtt_codec_tls_arena;
    size_t need = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (a && need >= size && need <= sizeof a->mem - a->used) {
        void *p = a->mem + a->used;
        a->used += need;
        return p;
    }
    if (a)
        a->spilled = true;
    return malloc(size);
}

static void mqtt_codec_arena_free(void *p)
{
    const struct mqtt_codec_arena *a = mqtt_codec_tls_arena;
    uintptr_t u = (uintptr_t)p, lo = a ? (uintptr_t)a->mem : 0;
    if (a && u >= lo && u < lo + sizeof a->mem)
        return; /* emptied with the arena */
    free(p);
}

static void mqtt_codec_install_hooks(void)
{
    cJSON_Hooks hooks = {.malloc_fn = mqtt_codec_arena_alloc, .free_fn = mqtt_codec_arena_free};
    cJSON_InitHooks(&hooks);
}

static const char *const reject_names[MQTT_CODEC_REJECT_COUNT] = {
    [MQTT_CODEC_OK] = "ok",
    [MQTT_CODEC_NOT_JSON] = "not_json",
    [MQTT_CODEC_NO_MACHINE_ID] = "no_machine_id",
    [MQTT_CODEC_NO_NUMERIC_FIELD] = "no_numeric_field",
    [MQTT_CODEC_TOO_LARGE] = "too_large",
    [MQTT_CODEC_BAD_TIMESTAMP] = "bad_timestamp",
    [MQTT_CODEC_MACHINE_CAP] = "machine_cap",
    [MQTT_CODEC_FUTURE_TIMESTAMP] = "future_timestamp",
};

const char *mqtt_codec_reject_name(int reason)
{
    if (reason < 0 || reason >= MQTT_CODEC_REJECT_COUNT)
        return "unknown";
    return reject_names[reason];
}

static bool mqtt_codec_id_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.' || ch == ':';
}

size_t mqtt_codec_sanitize_id(const char *src, char *dst, size_t len)
{
    size_t n = 0;
    if (len == 0)
        return 0;
    for (; src[n] && n + 1 < len; n++)
        dst[n] = mqtt_codec_id_char((unsigned char)src[n]) ? src[n] : '_';
    dst[n] = '\0';
    return n;
}

size_t mqtt_codec_sanitize_text(const char *src, char *dst, size_t len)
{
    size_t n = 0;
    if (len == 0)
        return 0;
    for (; src[n] && n + 1 < len; n++) {
        unsigned char ch = (unsigned char)src[n];
        dst[n] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    dst[n] = '\0';
    return n;
}

static int mqtt_codec_epoch_ms(double v, int64_t *ms)
{
    if (!isfinite(v) || v < 0)
        return -1;
    double m = v >= MQTT_CODEC_TS_MS_THRESHOLD ? v : v * 1000.0;
    if (m >= (double)MQTT_CODEC_TS_MAX_MS)
        return -1;
    *ms = (int64_t)llround(m);
    return 0;
}

static int mqtt_codec_timestamp(const cJSON *item, int64_t now_ms, int64_t *ms)
{
    if (!item || cJSON_IsNull(item)) {
        *ms = now_ms;
        return 0;
    }
    if (cJSON_IsNumber(item))
        return mqtt_codec_epoch_ms(item->valuedouble, ms);
    if (!cJSON_IsString(item))
        return -1;
    const char *s = item->valuestring;
    if (clock_parse_iso8601(s, ms) == 0)
        return *ms >= 0 && *ms < MQTT_CODEC_TS_MAX_MS ? 0 : -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return -1;
    return mqtt_codec_epoch_ms(v, ms);
}

/* The members twintop reads itself; the rest are fields. */
enum mqtt_codec_meta {
    MQTT_CODEC_META_NONE,
    MQTT_CODEC_META_ID,
    MQTT_CODEC_META_ID_CAMEL,
    MQTT_CODEC_META_TYPE,
    MQTT_CODEC_META_TYPE_CAMEL,
    MQTT_CODEC_META_TS,
    MQTT_CODEC_META_TIMESTAMP,
    MQTT_CODEC_META_COUNT
};

static enum mqtt_codec_meta mqtt_codec_meta_of(const char *key)
{
    static const char *const meta[MQTT_CODEC_META_COUNT] = {
        [MQTT_CODEC_META_ID] = "machine_id", [MQTT_CODEC_META_ID_CAMEL] = "machineId",
        [MQTT_CODEC_META_TYPE] = "type",     [MQTT_CODEC_META_TYPE_CAMEL] = "machineType",
        [MQTT_CODEC_META_TS] = "ts",         [MQTT_CODEC_META_TIMESTAMP] = "timestamp"};
    if (key[0] != 'm' && key[0] != 't')
        return MQTT_CODEC_META_NONE; /* most members: one comparison */
    for (int i = 1; i < MQTT_CODEC_META_COUNT; i++)
        if (strcmp(key, meta[i]) == 0)
            return (enum mqtt_codec_meta)i;
    return MQTT_CODEC_META_NONE;
}

static void mqtt_codec_add_field(struct mqtt_codec_record *rec, const char *name, const cJSON *item)
{
    if (rec->field_count >= MQTT_CODEC_FIELDS_MAX)
        return;
    struct mqtt_codec_field *f = &rec->fields[rec->field_count];
    if (cJSON_IsNumber(item)) {
        if (!isfinite(item->valuedouble))
            return;
        f->is_text = false;
        f->value = item->valuedouble;
    } else if (cJSON_IsBool(item)) {
        f->is_text = false;
        f->value = cJSON_IsTrue(item) ? 1.0 : 0.0;
    } else if (cJSON_IsString(item)) {
        f->is_text = true;
        f->value = NAN;
        mqtt_codec_sanitize_text(item->valuestring, f->text, sizeof f->text);
    } else {
        return; /* null and arrays carry no sample */
    }
    memcpy(f->name, name, strlen(name) + 1);
    rec->field_count++;
}

static void mqtt_codec_flatten(struct mqtt_codec_record *rec, const char *prefix, const cJSON *obj,
                               int depth);

/* One member under prefix ("" at the top): objects recurse with dotted names. */
static void mqtt_codec_flatten_item(struct mqtt_codec_record *rec, const char *prefix,
                                    const cJSON *it, int depth)
{
    if (!it->string)
        return;
    char name[CATALOG_NAME_MAX];
    size_t klen = strlen(it->string), plen = strlen(prefix);
    if (klen == 0 || klen >= CATALOG_NAME_MAX)
        return;
    size_t w = plen + (plen ? 1 : 0) + klen;
    if (w >= sizeof name)
        return; /* a truncated name could alias another sensor */
    memcpy(name, prefix, plen);
    if (plen)
        name[plen++] = '.';
    mqtt_codec_sanitize_id(it->string, name + plen, klen + 1);
    if (cJSON_IsObject(it))
        mqtt_codec_flatten(rec, name, it, depth + 1);
    else
        mqtt_codec_add_field(rec, name, it);
}

/* Flattens the members of obj under prefix into rec. */
static void mqtt_codec_flatten(struct mqtt_codec_record *rec, const char *prefix, const cJSON *obj,
                               int depth)
{
    if (depth > MQTT_CODEC_DEPTH_MAX)
        return;
    for (const cJSON *it = obj->child; it; it = it->next)
        mqtt_codec_flatten_item(rec, prefix, it, depth);
}

/* The <type> of .../<type>/<id>/telemetry, or "". */
static void mqtt_codec_topic_type(const char *topic, char *out, size_t len)
{
    out[0] = '\0';
    if (!topic)
        return;
    const char *levels[64];
    size_t lens[64];
    int n = 0;
    const char *p = topic;
    while (n < 64) {
        const char *slash = strchr(p, '/');
        levels[n] = p;
        lens[n] = slash ? (size_t)(slash - p) : strlen(p);
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (n < 3 || lens[n - 1] != 9 || strncmp(levels[n - 1], "telemetry", 9) != 0)
        return;
    size_t tl = lens[n - 3];
    if (tl == 0 || tl >= CATALOG_NAME_MAX)
        return;
    char raw[CATALOG_NAME_MAX];
    memcpy(raw, levels[n - 3], tl);
    raw[tl] = '\0';
    mqtt_codec_sanitize_id(raw, out, len);
}

static int mqtt_codec_machine_id(const cJSON *id, char *out, size_t len)
{
    char raw[64];
    if (cJSON_IsString(id)) {
        if (strlen(id->valuestring) >= len)
            return -1; /* truncating could alias another machine */
        snprintf(raw, sizeof raw, "%s", id->valuestring);
    } else if (cJSON_IsNumber(id) && isfinite(id->valuedouble) && fabs(id->valuedouble) < 1e15) {
        snprintf(raw, sizeof raw, "%.0f", id->valuedouble);
    } else {
        return -1;
    }
    return mqtt_codec_sanitize_id(raw, out, len) > 0 ? 0 : -1;
}

/* One pass over the members: the meta ones are kept (the first of each name), the others
 * flattened into fields as they come. */
static int mqtt_codec_parse_root(const cJSON *root, const char *topic, int64_t now_ms,
                                 struct mqtt_codec_record *rec)
{
    if (!cJSON_IsObject(root))
        return MQTT_CODEC_NOT_JSON;
    const cJSON *meta[MQTT_CODEC_META_COUNT] = {0};
    for (const cJSON *it = root->child; it; it = it->next) {
        if (!it->string)
            continue;
        enum mqtt_codec_meta k = mqtt_codec_meta_of(it->string);
        if (k != MQTT_CODEC_META_NONE) {
            if (!meta[k])
                meta[k] = it;
            continue;
        }
        bool envelope = strcmp(it->string, "data") == 0 || strcmp(it->string, "sensorData") == 0;
        if (envelope && cJSON_IsObject(it))
            mqtt_codec_flatten(rec, "", it, 1);
        else
            mqtt_codec_flatten_item(rec, "", it, 0);
    }
    const cJSON *id =
        meta[MQTT_CODEC_META_ID] ? meta[MQTT_CODEC_META_ID] : meta[MQTT_CODEC_META_ID_CAMEL];
    if (mqtt_codec_machine_id(id, rec->machine_id, sizeof rec->machine_id) < 0)
        return MQTT_CODEC_NO_MACHINE_ID;
    const cJSON *type = meta[MQTT_CODEC_META_TYPE];
    if (!cJSON_IsString(type))
        type = meta[MQTT_CODEC_META_TYPE_CAMEL];
    rec->type[0] = '\0';
    if (cJSON_IsString(type) && strlen(type->valuestring) < sizeof rec->type)
        mqtt_codec_sanitize_id(type->valuestring, rec->type, sizeof rec->type);
    if (!rec->type[0])
        mqtt_codec_topic_type(topic, rec->type, sizeof rec->type);
    const cJSON *ts =
        meta[MQTT_CODEC_META_TS] ? meta[MQTT_CODEC_META_TS] : meta[MQTT_CODEC_META_TIMESTAMP];
    if (mqtt_codec_timestamp(ts, now_ms, &rec->ts_ms) < 0)
        return MQTT_CODEC_BAD_TIMESTAMP;
    for (int i = 0; i < rec->field_count; i++)
        if (!rec->fields[i].is_text)
            return MQTT_CODEC_OK;
    return MQTT_CODEC_NO_NUMERIC_FIELD;
}

/* Parses with cJSON allocating from arena (NULL: malloc). */
static int mqtt_codec_parse_in(const void *payload, size_t len, const char *topic, int64_t now_ms,
                               struct mqtt_codec_record *rec, struct mqtt_codec_arena *arena)
{
    rec->field_count = 0;
    rec->machine_id[0] = rec->type[0] = rec->area[0] = rec->line[0] = '\0';
    rec->ts_ms = now_ms;
    if (len > MQTT_CODEC_PAYLOAD_MAX)
        return MQTT_CODEC_TOO_LARGE;
    if (!payload || len == 0)
        return MQTT_CODEC_NOT_JSON;
    if (arena) {
        arena->used = 0;
        arena->spilled = false;
    }
    mqtt_codec_tls_arena = arena;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(payload, len, &end, false);
    int rc = root ? MQTT_CODEC_OK : MQTT_CODEC_NOT_JSON;
    /* Trailing bytes other than blanks (or the NUL some publishers add) mean garbage. */
    const char *stop = (const char *)payload + len;
    for (; root && end && end < stop && rc == MQTT_CODEC_OK; end++)
        if (*end != ' ' && *end != '\n' && *end != '\r' && *end != '\t' && *end != '\0')
            rc = MQTT_CODEC_NOT_JSON;
    if (rc == MQTT_CODEC_OK)
        rc = mqtt_codec_parse_root(root, topic, now_ms, rec);
    if (!arena || arena->spilled)
        cJSON_Delete(root); /* arena blocks are skipped by the free hook */
    mqtt_codec_tls_arena = NULL;
    return rc;
}

int mqtt_codec_parse(const void *payload, size_t len, const char *topic, int64_t now_ms,
                     struct mqtt_codec_record *rec)
{
    return mqtt_codec_parse_in(payload, len, topic, now_ms, rec, NULL);
}

/* ---- mapping onto the catalog ---- */

struct mqtt_codec_slot {
    char id[CATALOG_NAME_MAX];
    int machine; /* -1: empty */
};

struct mqtt_codec {
    struct catalog *cat;
    struct mqtt_codec_record rec;
    struct mqtt_codec_arena arena;
    struct mqtt_codec_slot *slots; /* open addressing, id -> machine index */
    size_t slot_count;             /* power of two */
    size_t slot_used;
    int last_machine;
    int64_t max_skew_ms; /* < 0: no limit */
    _Atomic uint64_t received, decoded, samples, rejected_total, fields_unmapped, learned;
    _Atomic uint64_t rejected[MQTT_CODEC_REJECT_COUNT];
};

static uint64_t mqtt_codec_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int mqtt_codec_slots_alloc(struct mqtt_codec *c, size_t count)
{
    struct mqtt_codec_slot *slots = malloc(count * sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < count; i++)
        slots[i].machine = -1;
    struct mqtt_codec_slot *old = c->slots;
    size_t old_count = c->slot_count;
    c->slots = slots;
    c->slot_count = count;
    c->slot_used = 0;
    for (size_t i = 0; i < old_count; i++) {
        if (old[i].machine < 0)
            continue;
        size_t j = mqtt_codec_hash(old[i].id) & (count - 1);
        while (slots[j].machine >= 0)
            j = (j + 1) & (count - 1);
        slots[j] = old[i];
        c->slot_used++;
    }
    free(old);
    return 0;
}

static int mqtt_codec_cache_find(const struct mqtt_codec *c, const char *id)
{
    size_t j = mqtt_codec_hash(id) & (c->slot_count - 1);
    while (c->slots[j].machine >= 0) {
        if (strcmp(c->slots[j].id, id) == 0)
            return c->slots[j].machine;
        j = (j + 1) & (c->slot_count - 1);
    }
    return -1;
}

static void mqtt_codec_cache_put(struct mqtt_codec *c, const char *id, int machine)
{
    if ((c->slot_used + 1) * 2 > c->slot_count && mqtt_codec_slots_alloc(c, c->slot_count * 2) < 0)
        return; /* out of memory: lookups fall back to the catalog */
    size_t j = mqtt_codec_hash(id) & (c->slot_count - 1);
    while (c->slots[j].machine >= 0)
        j = (j + 1) & (c->slot_count - 1);
    snprintf(c->slots[j].id, sizeof c->slots[j].id, "%s", id);
    c->slots[j].machine = machine;
    c->slot_used++;
}

struct mqtt_codec *mqtt_codec_create(struct catalog *cat)
{
    static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
    pthread_once(&hooks_once, mqtt_codec_install_hooks);
    struct mqtt_codec *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cat = cat;
    c->last_machine = -1;
    c->max_skew_ms = MQTT_CODEC_SKEW_DEFAULT_MS;
    if (mqtt_codec_slots_alloc(c, 64) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

void mqtt_codec_destroy(struct mqtt_codec *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c);
}

static int mqtt_codec_reject(struct mqtt_codec *c, int reason)
{
    atomic_fetch_add(&c->rejected[reason], 1);
    atomic_fetch_add(&c->rejected_total, 1);
    return -reason;
}

static int mqtt_codec_machine(struct mqtt_codec *c, const struct mqtt_codec_record *rec)
{
    int m = mqtt_codec_cache_find(c, rec->machine_id);
    if (m >= 0)
        return m;
    m = catalog_machine_find(c->cat, rec->machine_id);
    if (m < 0) {
        m = catalog_add_machine_at(c->cat, rec->machine_id, rec->type[0] ? rec->type : NULL,
                                   rec->area, rec->line);
        if (m < 0)
            return -1;
        atomic_fetch_add(&c->learned, 1);
    }
    mqtt_codec_cache_put(c, rec->machine_id, m);
    return m;
}

/* Generic names of the Kafka twin ("temperature") onto a catalog type's sensors. */
static int mqtt_codec_sensor_alias(const struct catalog_type *t, const char *name)
{
    static const struct {
        const char *wire, *token;
    } aliases[] = {{"temperature", "temp"}, {"vibration", "vibration"}, {"pressure", "pressure"},
                   {"rpm", "rpm"},          {"speed", "speed"},         {"load", "load"},
                   {"current", "current"},  {"power", "power"}};
    int count = catalog_sensor_count(t);
    size_t nlen = strlen(name);
    for (int i = 0; i < count; i++) /* "vibration" -> "vibration_mm_s" */
        if (strncmp(t->sensors[i].name, name, nlen) == 0 && t->sensors[i].name[nlen] == '_')
            return i;
    for (size_t a = 0; a < sizeof aliases / sizeof *aliases; a++) {
        if (strcmp(name, aliases[a].wire) != 0)
            continue;
        for (int i = 0; i < count; i++)
            if (!t->sensors[i].is_text && strstr(t->sensors[i].name, aliases[a].token))
                return i;
    }
    return -1;
}

static int mqtt_codec_sensor(struct mqtt_codec *c, int machine, const struct mqtt_codec_field *f)
{
    struct catalog_machine *m = catalog_machine_at(c->cat, machine);
    int s = catalog_sensor_find(m->type, f->name);
    if (s >= 0)
        return s;
    /* Catalog types (and learned copies of them) first try the generic Kafka names. */
    if (!m->type->learned || catalog_type_find(c->cat, m->type->name)) {
        s = mqtt_codec_sensor_alias(m->type, f->name);
        if (s >= 0 || !m->type->learned)
            return s;
    }
    return catalog_add_sensor(c->cat, machine, f->name, f->is_text);
}

/* Fills one sample from a field for sensor s; false when the kinds do not fit. */
static bool mqtt_codec_fill(const struct catalog_sensor *sensor, const struct mqtt_codec_field *f,
                            struct sample *out)
{
    if (sensor->is_text) {
        out->kind = SAMPLE_TEXT;
        if (f->is_text) {
            memcpy(out->u.text, f->text, sizeof out->u.text);
        } else {
            char num[32];
            snprintf(num, sizeof num, "%.6g", f->value);
            mqtt_codec_sanitize_text(num, out->u.text, sizeof out->u.text);
        }
        return true;
    }
    out->kind = SAMPLE_VALUE;
    if (!f->is_text) {
        out->u.value = f->value;
        return true;
    }
    char *end; /* "95.0" as text still counts; "NaN" does not */
    double v = strtod(f->text, &end);
    if (end == f->text || *end != '\0' || !isfinite(v))
        return false;
    out->u.value = v;
    return true;
}

void mqtt_codec_set_max_skew(struct mqtt_codec *c, int64_t max_skew_ms)
{
    c->max_skew_ms = max_skew_ms;
}

int mqtt_codec_decode(struct mqtt_codec *c, const char *topic, const void *payload, size_t len,
                      int64_t now_ms, struct sample *out, size_t max)
{
    atomic_fetch_add(&c->received, 1);
    struct mqtt_codec_record *rec = &c->rec;
    int rc = mqtt_codec_parse_in(payload, len, topic, now_ms, rec, &c->arena);
    if (rc != MQTT_CODEC_OK)
        return mqtt_codec_reject(c, rc);
    rc = mqtt_codec_check_time(c, rec->ts_ms, now_ms);
    return rc < 0 ? rc : mqtt_codec_decode_record(c, rec, out, max);
}

int mqtt_codec_check_time(struct mqtt_codec *c, int64_t ts_ms, int64_t now_ms)
{
    if (c->max_skew_ms >= 0 && ts_ms - now_ms > c->max_skew_ms)
        return mqtt_codec_reject(c, MQTT_CODEC_FUTURE_TIMESTAMP);
    return 0;
}

int mqtt_codec_decode_record(struct mqtt_codec *c, const struct mqtt_codec_record *rec,
                             struct sample *out, size_t max)
{
    int machine = mqtt_codec_machine(c, rec);
    if (machine < 0)
        return mqtt_codec_reject(c, MQTT_CODEC_MACHINE_CAP);
    const struct catalog_type *type = catalog_machine_at(c->cat, machine)->type;
    size_t n = 0;
    bool numeric = false;
    uint64_t unmapped = 0;
    for (int i = 0; i < rec->field_count && n < max; i++) {
        const struct mqtt_codec_field *f = &rec->fields[i];
        int s = mqtt_codec_sensor(c, machine, f);
        if (s < 0) {
            unmapped++;
            continue;
        }
        struct sample *smp = &out[n];
        smp->ts_ms = rec->ts_ms;
        smp->machine = (uint32_t)machine;
        smp->sensor = (uint16_t)s;
        if (!mqtt_codec_fill(&type->sensors[s], f, smp))
            continue;
        numeric |= smp->kind == SAMPLE_VALUE;
        n++;
    }
    if (unmapped)
        atomic_fetch_add(&c->fields_unmapped, unmapped);
    if (!numeric)
        return mqtt_codec_reject(c, MQTT_CODEC_NO_NUMERIC_FIELD);
    c->last_machine = machine;
    atomic_fetch_add(&c->decoded, 1);
    atomic_fetch_add(&c->samples, n);
    return (int)n;
}

int mqtt_codec_last_machine(const struct mqtt_codec *c)
{
    return c->last_machine;
}

void mqtt_codec_get_stats(const struct mqtt_codec *c, struct mqtt_codec_stats *out)
{
    memset(out, 0, sizeof *out);
    out->received = atomic_load(&c->received);
    out->decoded = atomic_load(&c->decoded);
    out->samples = atomic_load(&c->samples);
    out->rejected_total = atomic_load(&c->rejected_total);
    out->fields_unmapped = atomic_load(&c->fields_unmapped);
    out->machines_learned = atomic_load(&c->learned);
    for (int i = 1; i < MQTT_CODEC_REJECT_COUNT; i++)
        out->rejected[i] = atomic_load(&c->rejected[i]);
}

int mqtt_codec_stats_json(const struct mqtt_codec_stats *s, char *buf, size_t len)
{
    size_t off = 0;
    int w =
        snprintf(buf, len, "{\"received\":%llu,\"rejected\":{", (unsigned long long)s->received);
    for (int i = 1; i < MQTT_CODEC_REJECT_COUNT && w >= 0; i++) {
        off += (size_t)w;
        w = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "%s\"%s\":%llu",
                     i > 1 ? "," : "", reject_names[i], (unsigned long long)s->rejected[i]);
    }
    off += (size_t)w;
    w = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0, "}}");
    return (int)(off + (size_t)w);
}

/* ---- encoding ---- */

struct mqtt_codec_named {
    const char *name;
    const struct sample *s;
};

/* By name; a message has a few dozen members at most, insertion sort is cheapest. */
static void mqtt_codec_sort_named(struct mqtt_codec_named *named, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct mqtt_codec_named x = named[i];
        size_t j = i;
        for (; j > 0 && strcmp(named[j - 1].name, x.name) > 0; j--)
            named[j] = named[j - 1];
        named[j] = x;
    }
}

/* The encoder writes its bytes itself: vsnprintf cost ~60,000 instructions a message. */
static void mqtt_codec_put(struct json_out *o, const char *s, size_t n)
{
    if (o->overflow || n >= o->len - o->off) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->off, s, n);
    o->off += n;
    o->buf[o->off] = '\0';
}

/* Exactly width decimal digits of v (zero-padded) at p. */
static void mqtt_codec_digits(char *p, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static int mqtt_codec_digit_count(uint64_t v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static const double mqtt_codec_pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6, 1e7,
                                          1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14};

/* v as printf's "%.10g" writes it: fixed notation for 1e-4 <= |v| < 1e10 written here (the
 * product is rounded once, so only a tie in the eleventh digit may differ), the rest by
 * snprintf. */
static void mqtt_codec_put_number(struct json_out *o, double v)
{
    double a = fabs(v);
    char text[40];
    size_t n = 0;
    if (v == 0) {
        mqtt_codec_put(o, signbit(v) ? "-0" : "0", signbit(v) ? 2 : 1);
        return;
    }
    if (a >= 1e-4 && a < 1e10) {
        int e = 9; /* a's decimal exponent: 10^e <= a */
        while (e > 0 && a < mqtt_codec_pow10[e])
            e--;
        while (e > -4 && e <= 0 && a * mqtt_codec_pow10[-e] < 1)
            e--;
        int frac = 9 - e; /* ten significant digits, frac of them after the point */
        double scaled = a * mqtt_codec_pow10[frac];
        uint64_t m = (uint64_t)llround(scaled);
        if (m < 10000000000ULL && m >= 1000000000ULL) {
            uint64_t unit = (uint64_t)mqtt_codec_pow10[frac];
            uint64_t ip = m / unit, fp = m % unit;
            if (v < 0)
                text[n++] = '-';
            int id = mqtt_codec_digit_count(ip);
            mqtt_codec_digits(text + n, ip, id);
            n += (size_t)id;
            if (fp) {
                int width = frac;
                while (fp % 10 == 0) {
                    fp /= 10;
                    width--;
                }
                text[n++] = '.';
                mqtt_codec_digits(text + n, fp, width);
                n += (size_t)width;
            }
            mqtt_codec_put(o, text, n);
            return;
        }
    }
    int w = snprintf(text, sizeof text, "%.10g", v);
    mqtt_codec_put(o, text, w > 0 ? (size_t)w : 0);
}

/* "YYYY-MM-DDThh:mm:ss.mmmZ" as clock_format_iso8601 writes it, without gmtime and snprintf
 * (days to civil date: H. Hinnant's algorithm). */
static void mqtt_codec_put_time(struct json_out *o, int64_t ms)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400, frac = ms - secs * 1000;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    if (year < 0 || year > 9999) {
        char when[40];
        clock_format_iso8601(ms, when, sizeof when);
        mqtt_codec_put(o, when, strlen(when));
        return;
    }
    char t[24] = "0000-00-00T00:00:00.000Z";
    mqtt_codec_digits(t, (uint64_t)year, 4);
    mqtt_codec_digits(t + 5, (uint64_t)month, 2);
    mqtt_codec_digits(t + 8, (uint64_t)day, 2);
    mqtt_codec_digits(t + 11, (uint64_t)(sod / 3600), 2);
    mqtt_codec_digits(t + 14, (uint64_t)(sod / 60 % 60), 2);
    mqtt_codec_digits(t + 17, (uint64_t)(sod % 60), 2);
    mqtt_codec_digits(t + 20, (uint64_t)frac, 3);
    mqtt_codec_put(o, t, sizeof t);
}

#define MQTT_CODEC_PUT_LIT(o, lit) mqtt_codec_put((o), (lit), sizeof(lit) - 1)

/* A quoted string: ids and names need no escape, copied as they are; the rest json_escape. */
static void mqtt_codec_put_string(struct json_out *o, const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] == '"' || s[n] == '\\' || (unsigned char)s[n] < 0x20)
            break;
    if (s[n]) {
        json_out_string(o, s);
        return;
    }
    MQTT_CODEC_PUT_LIT(o, "\"");
    mqtt_codec_put(o, s, n);
    MQTT_CODEC_PUT_LIT(o, "\"");
}

/* ,"name": (or without the comma for the first member of an object). */
static void mqtt_codec_put_key(struct json_out *o, bool first, const char *name, size_t len)
{
    if (!first)
        MQTT_CODEC_PUT_LIT(o, ",");
    MQTT_CODEC_PUT_LIT(o, "\"");
    mqtt_codec_put(o, name, len);
    MQTT_CODEC_PUT_LIT(o, "\":");
}

/* Length of the object path of a dotted name (up to its last dot), in components. */
static int mqtt_codec_split(const char *name, const char *parts[MQTT_CODEC_DEPTH_MAX + 1],
                            size_t lens[MQTT_CODEC_DEPTH_MAX + 1])
{
    int k = 0;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        parts[k] = p;
        lens[k] = dot ? (size_t)(dot - p) : strlen(p);
        k++;
        if (!dot || k == MQTT_CODEC_DEPTH_MAX + 1)
            break;
        p = dot + 1;
    }
    if (k == MQTT_CODEC_DEPTH_MAX + 1) /* too deep: keep the tail dotted in the leaf */
        lens[k - 1] = strlen(parts[k - 1]);
    return k;
}

static void mqtt_codec_put_value(struct json_out *o, const struct sample *s)
{
    if (s->kind == SAMPLE_TEXT) {
        char text[SAMPLE_TEXT_MAX];
        memcpy(text, s->u.text, sizeof text);
        text[SAMPLE_TEXT_MAX - 1] = '\0';
        mqtt_codec_put_string(o, text);
    } else {
        mqtt_codec_put_number(o, s->u.value);
    }
}

int mqtt_codec_encode(const struct catalog *cat, int machine, int64_t ts_ms, const struct sample *s,
                      size_t n, char *buf, size_t len)
{
    const struct catalog_machine *m = catalog_machine_at(cat, machine);
    struct mqtt_codec_named named[CATALOG_SENSORS_MAX * 2];
    size_t count = 0;
    int sensor_count = catalog_sensor_count(m->type);
    for (size_t i = 0; i < n && count < sizeof named / sizeof *named; i++) {
        if ((int)s[i].machine != machine || s[i].sensor >= sensor_count)
            continue;
        if (s[i].kind == SAMPLE_VALUE && !isfinite(s[i].u.value))
            continue;
        named[count].name = m->type->sensors[s[i].sensor].name;
        named[count].s = &s[i];
        count++;
    }
    mqtt_codec_sort_named(named, count);
    struct json_out o = {.buf = buf, .len = len};
    MQTT_CODEC_PUT_LIT(&o, "{\"machine_id\":");
    mqtt_codec_put_string(&o, m->id);
    MQTT_CODEC_PUT_LIT(&o, ",\"type\":");
    mqtt_codec_put_string(&o, m->type->name);
    MQTT_CODEC_PUT_LIT(&o, ",\"ts\":\"");
    mqtt_codec_put_time(&o, ts_ms);
    MQTT_CODEC_PUT_LIT(&o, "\",\"data\":{");
    const char *prev[MQTT_CODEC_DEPTH_MAX + 1];
    size_t prev_len[MQTT_CODEC_DEPTH_MAX + 1];
    int prev_depth = 0; /* open objects below "data" */
    bool first[MQTT_CODEC_DEPTH_MAX + 2] = {true};
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && strcmp(named[i].name, named[i - 1].name) == 0)
            continue; /* the same sensor twice at one time: keep the first */
        const char *parts[MQTT_CODEC_DEPTH_MAX + 1];
        size_t lens[MQTT_CODEC_DEPTH_MAX + 1];
        int k = mqtt_codec_split(named[i].name, parts, lens);
        int common = 0;
        while (common < prev_depth && common < k - 1 && lens[common] == prev_len[common] &&
               memcmp(parts[common], prev[common], lens[common]) == 0)
            common++;
        for (; prev_depth > common; prev_depth--)
            MQTT_CODEC_PUT_LIT(&o, "}");
        for (int d = common; d < k - 1; d++) {
            mqtt_codec_put_key(&o, first[d], parts[d], lens[d]);
            MQTT_CODEC_PUT_LIT(&o, "{");
            first[d] = false;
            prev[d] = parts[d];
            prev_len[d] = lens[d];
            first[d + 1] = true;
            prev_depth = d + 1;
        }
        mqtt_codec_put_key(&o, first[k - 1], parts[k - 1], lens[k - 1]);
        first[k - 1] = false;
        mqtt_codec_put_value(&o, named[i].s);
    }
    for (; prev_depth > 0; prev_depth--)
        MQTT_CODEC_PUT_LIT(&o, "}");
    MQTT_CODEC_PUT_LIT(&o, "}}");
    return o.overflow ? -1 : (int)o.off;
}
