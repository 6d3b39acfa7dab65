// SPDX-License-Identifier: MIT
/* The plant catalog: machine types, sensors, limits and machines from data/machines.json. */
#include "catalog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CATALOG_DEFAULT_MAX_MACHINES 1000
/* Machines live in chunks that never move, allocated as the plant grows: readers index them
 * without a lock, and memory follows the machines that exist, not the cap. */
#define CATALOG_CHUNK_SHIFT 10
#define CATALOG_CHUNK (1 << CATALOG_CHUNK_SHIFT)
#define CATALOG_CHUNKS (CATALOG_MACHINES_LIMIT / CATALOG_CHUNK)

struct catalog {
    int type_count;
    struct catalog_type *types; /* CATALOG_TYPES_MAX */
    int max_machines;           /* cap on learned + catalog machines */
    _Atomic int machine_count;
    struct catalog_machine *_Atomic chunks[CATALOG_CHUNKS];
    pthread_mutex_t add_lock; /* serialises writers; readers need no lock */
    /* Learned machines share their catalog type until a payload brings a sensor the type lacks
     * (then the machine gets a private copy); the superseded and private types are owned here. */
    struct catalog_type **owned;
    int owned_count, owned_cap;
    /* id -> machine: open addressing, replaced by one twice the size as it fills; readers use
     * whichever table they loaded (a retired one lives until catalog_free). */
    struct catalog_index *_Atomic index;
    struct catalog_index *retired;
};

struct catalog_index {
    struct catalog_index *next_retired;
    unsigned mask;
    int used;
    _Atomic int slot[]; /* machine index + 1, 0: empty */
};

static int catalog_machine_find_below(const struct catalog *c, const char *id, int n);

static void fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

/* Copies a string field; an over-long name is an error, not a silent truncation. */
static int copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int read_pair(const cJSON *arr, double *lo, double *hi, bool allow_null)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 2)
        return -1;
    const cJSON *a = cJSON_GetArrayItem(arr, 0), *b = cJSON_GetArrayItem(arr, 1);
    if (cJSON_IsNumber(a))
        *lo = a->valuedouble;
    else if (allow_null && cJSON_IsNull(a))
        *lo = NAN;
    else
        return -1;
    if (cJSON_IsNumber(b))
        *hi = b->valuedouble;
    else if (allow_null && cJSON_IsNull(b))
        *hi = NAN;
    else
        return -1;
    return 0;
}

static int read_number(const cJSON *obj, const char *key, double def, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return -1;
    *out = v->valuedouble;
    return 0;
}

/* Where a sensor's limits must sit: warn inside alarm, both outside the normal band. */
static const char *check_limits(const struct catalog_sensor *s)
{
    if (s->display_min >= s->display_max)
        return "display range is empty (min must be below max)";
    if (s->normal_lo > s->normal_hi)
        return "normal band is reversed";
    if (!isnan(s->warn_hi) && s->warn_hi < s->normal_hi)
        return "high warn limit lies inside the normal band";
    if (!isnan(s->warn_lo) && s->warn_lo > s->normal_lo)
        return "low warn limit lies inside the normal band";
    if (!isnan(s->alarm_hi) && !isnan(s->warn_hi) && s->alarm_hi < s->warn_hi)
        return "high alarm limit is below the high warn limit";
    if (!isnan(s->alarm_lo) && !isnan(s->warn_lo) && s->alarm_lo > s->warn_lo)
        return "low alarm limit is above the low warn limit";
    if (s->deadband < 0)
        return "deadband is negative";
    if (s->on_delay_s < 0)
        return "on_delay_s is negative";
    if (s->z_window < 0 || s->z_window > 100000)
        return "z_window out of range (0..100000)";
    return NULL;
}

static int parse_sensor(const cJSON *js, struct catalog_sensor *s, const char *why[1])
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(js, "name");
    const cJSON *unit = cJSON_GetObjectItemCaseSensitive(js, "unit");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(js, "text");
    memset(s, 0, sizeof *s);
    s->warn_lo = s->warn_hi = s->alarm_lo = s->alarm_hi = NAN;
    if (!cJSON_IsString(name) || copy_name(s->name, sizeof s->name, name->valuestring)) {
        *why = "missing or over-long \"name\"";
        return -1;
    }
    if (unit && (!cJSON_IsString(unit) || strlen(unit->valuestring) >= sizeof s->unit)) {
        *why = "\"unit\" must be a short string";
        return -1;
    }
    if (unit)
        strcpy(s->unit, unit->valuestring);
    if (text && !cJSON_IsBool(text)) {
        *why = "\"text\" must be true or false";
        return -1;
    }
    s->is_text = cJSON_IsTrue(text);
    const cJSON *safety = cJSON_GetObjectItemCaseSensitive(js, "safety_critical");
    if (safety && !cJSON_IsBool(safety)) {
        *why = "\"safety_critical\" must be true or false";
        return -1;
    }
    s->safety_critical = cJSON_IsTrue(safety);
    if (s->is_text)
        return 0;
    if (read_pair(cJSON_GetObjectItemCaseSensitive(js, "display"), &s->display_min, &s->display_max,
                  false)) {
        *why = "\"display\" must be [min, max] numbers";
        return -1;
    }
    if (read_pair(cJSON_GetObjectItemCaseSensitive(js, "normal"), &s->normal_lo, &s->normal_hi,
                  false)) {
        *why = "\"normal\" must be [low, high] numbers";
        return -1;
    }
    const cJSON *warn = cJSON_GetObjectItemCaseSensitive(js, "warn");
    const cJSON *alarm = cJSON_GetObjectItemCaseSensitive(js, "alarm");
    if (warn && read_pair(warn, &s->warn_lo, &s->warn_hi, true)) {
        *why = "\"warn\" must be [low, high] numbers or null";
        return -1;
    }
    if (alarm && read_pair(alarm, &s->alarm_lo, &s->alarm_hi, true)) {
        *why = "\"alarm\" must be [low, high] numbers or null";
        return -1;
    }
    double zw = 0;
    if (read_number(js, "nominal", (s->normal_lo + s->normal_hi) / 2, &s->nominal) ||
        read_number(js, "deadband", 0, &s->deadband) ||
        read_number(js, "on_delay_s", 0, &s->on_delay_s) || read_number(js, "z_window", 0, &zw) ||
        read_number(js, "z_threshold", 0, &s->z_threshold)) {
        *why = "nominal, deadband, on_delay_s, z_window and z_threshold must be numbers";
        return -1;
    }
    s->z_window = (int)zw;
    *why = check_limits(s);
    return *why ? -1 : 0;
}

/* A fault's "component", "action", "lead_time_h", "signature" ({"sensor": "up"|"down"|"steady"})
 * and "compensate" (a sensor name): all optional, but a component needs an action and the
 * sensors must exist. */
static bool k_first(const struct catalog_fault *f)
{
    return f->signature_count == 0;
}

static int parse_fault_maintenance(const struct catalog_type *t, struct catalog_fault *f,
                                   const cJSON *js, const char *file, char *err, size_t len)
{
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(js, "component");
    const cJSON *ja = cJSON_GetObjectItemCaseSensitive(js, "action");
    const cJSON *jl = cJSON_GetObjectItemCaseSensitive(js, "lead_time_h");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(js, "signature");
    if ((jc &&
         (!cJSON_IsString(jc) || copy_name(f->component, sizeof f->component, jc->valuestring))) ||
        (ja && (!cJSON_IsString(ja) || copy_name(f->action, sizeof f->action, ja->valuestring))) ||
        (jc && !ja)) {
        fail(err, len,
             "%s: type %s fault %s: \"component\" and \"action\" must be short names, "
             "given together",
             file, t->name, f->name);
        return -1;
    }
    if (jl && (!cJSON_IsNumber(jl) || !(jl->valuedouble >= 0))) {
        fail(err, len, "%s: type %s fault %s: \"lead_time_h\" must be hours >= 0", file, t->name,
             f->name);
        return -1;
    }
    f->lead_time_h = jl ? jl->valuedouble : 0;
    if (sig && (!cJSON_IsObject(sig) || cJSON_GetArraySize(sig) > CATALOG_SIGNATURE_MAX)) {
        fail(err, len,
             "%s: type %s fault %s: \"signature\" must be an object of at most %d "
             "sensors",
             file, t->name, f->name, CATALOG_SIGNATURE_MAX);
        return -1;
    }
    const cJSON *js_sensor;
    cJSON_ArrayForEach(js_sensor, sig)
    {
        int idx = catalog_sensor_find(t, js_sensor->string);
        const char *dir = cJSON_IsString(js_sensor) ? js_sensor->valuestring : "";
        int sign = strcmp(dir, "up") == 0       ? 1
                   : strcmp(dir, "down") == 0   ? -1
                   : strcmp(dir, "steady") == 0 ? 0
                                                : 2;
        if (idx < 0 || t->sensors[idx].is_text || sign == 2 || (k_first(f) && sign == 0)) {
            fail(err, len, "%s: type %s fault %s: signature %s: %s", file, t->name, f->name,
                 js_sensor->string,
                 idx < 0     ? "no such numeric sensor"
                 : sign == 2 ? "must be \"up\", \"down\" or \"steady\""
                             : "the first sensor must move (\"up\" or \"down\")");
            return -1;
        }
        f->signature[f->signature_count] = idx;
        f->signature_dir[f->signature_count++] = sign;
    }
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(js, "compensate");
    f->compensate = jp && cJSON_IsString(jp) ? catalog_sensor_find(t, jp->valuestring) : -1;
    if (jp && (f->compensate < 0 || t->sensors[f->compensate].is_text)) {
        fail(err, len, "%s: type %s fault %s: \"compensate\" must name a numeric sensor", file,
             t->name, f->name);
        return -1;
    }
    return 0;
}

static int parse_type(const cJSON *jt, struct catalog_type *t, const char *file, char *err,
                      size_t len)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(jt, "name");
    if (!cJSON_IsString(name) || copy_name(t->name, sizeof t->name, name->valuestring)) {
        fail(err, len, "%s: type: missing or over-long \"name\"", file);
        return -1;
    }
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(jt, "label");
    const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(jt, "pattern");
    snprintf(t->label, sizeof t->label, "%s", cJSON_IsString(label) ? label->valuestring : t->name);
    snprintf(t->pattern, sizeof t->pattern, "%s",
             cJSON_IsString(pattern) ? pattern->valuestring : "continuous");
    if (read_number(jt, "sample_period_s", 1.0, &t->sample_period_s) || t->sample_period_s <= 0 ||
        t->sample_period_s > 3600) {
        fail(err, len, "%s: type %s: sample_period_s must be a number in (0, 3600]", file, t->name);
        return -1;
    }
    const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(jt, "sensors");
    if (!cJSON_IsArray(sensors) || cJSON_GetArraySize(sensors) == 0) {
        fail(err, len, "%s: type %s: \"sensors\" must be a non-empty array", file, t->name);
        return -1;
    }
    if (cJSON_GetArraySize(sensors) > CATALOG_SENSORS_MAX) {
        fail(err, len, "%s: type %s: more than %d sensors", file, t->name, CATALOG_SENSORS_MAX);
        return -1;
    }
    const cJSON *js;
    cJSON_ArrayForEach(js, sensors)
    {
        struct catalog_sensor *s = &t->sensors[t->sensor_count];
        const char *why = NULL;
        if (parse_sensor(js, s, &why)) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(js, "name");
            fail(err, len, "%s: type %s sensor %s: %s", file, t->name,
                 cJSON_IsString(n) ? n->valuestring : "#?", why);
            return -1;
        }
        if (catalog_sensor_find(t, s->name) >= 0) {
            fail(err, len, "%s: type %s sensor %s: defined twice", file, t->name, s->name);
            return -1;
        }
        t->sensor_count++;
    }
    const cJSON *tile = cJSON_GetObjectItemCaseSensitive(jt, "tile");
    int tiles = cJSON_IsArray(tile) ? cJSON_GetArraySize(tile) : -1;
    if (tiles < 2 || tiles > CATALOG_TILE_MAX) {
        fail(err, len, "%s: type %s: \"tile\" must list 2 to %d sensor names", file, t->name,
             CATALOG_TILE_MAX);
        return -1;
    }
    cJSON_ArrayForEach(js, tile)
    {
        int idx = cJSON_IsString(js) ? catalog_sensor_find(t, js->valuestring) : -1;
        if (idx < 0 || t->sensors[idx].is_text) {
            fail(err, len, "%s: type %s: tile sensor %s is not a numeric sensor of this type", file,
                 t->name, cJSON_IsString(js) ? js->valuestring : "?");
            return -1;
        }
        t->tile[t->tile_count++] = idx;
    }
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(jt, "faults");
    if (faults && (!cJSON_IsArray(faults) || cJSON_GetArraySize(faults) > CATALOG_FAULTS_MAX)) {
        fail(err, len, "%s: type %s: \"faults\" must be an array of at most %d", file, t->name,
             CATALOG_FAULTS_MAX);
        return -1;
    }
    cJSON_ArrayForEach(js, faults)
    {
        struct catalog_fault *f = &t->faults[t->fault_count];
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(js, "name");
        const cJSON *fd = cJSON_GetObjectItemCaseSensitive(js, "description");
        if (!cJSON_IsString(fn) || copy_name(f->name, sizeof f->name, fn->valuestring)) {
            fail(err, len, "%s: type %s fault #%d: missing or over-long \"name\"", file, t->name,
                 t->fault_count + 1);
            return -1;
        }
        snprintf(f->description, sizeof f->description, "%s",
                 cJSON_IsString(fd) ? fd->valuestring : "");
        if (parse_fault_maintenance(t, f, js, file, err, len) < 0)
            return -1;
        t->fault_count++;
    }
    return 0;
}

static struct catalog *catalog_alloc(void)
{
    struct catalog *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->add_lock, NULL);
    c->types = calloc(CATALOG_TYPES_MAX, sizeof *c->types);
    if (!c->types) {
        catalog_free(c);
        return NULL;
    }
    c->max_machines = CATALOG_MACHINES_LIMIT;
    return c;
}

/* The slot of machine i, its chunk allocated when it is the first of a new one (writers only:
 * under add_lock, or while loading). NULL when out of memory. */
static struct catalog_machine *catalog_slot(struct catalog *c, int i)
{
    int k = i >> CATALOG_CHUNK_SHIFT;
    struct catalog_machine *chunk = atomic_load(&c->chunks[k]);
    if (!chunk) {
        chunk = calloc(CATALOG_CHUNK, sizeof *chunk);
        if (!chunk)
            return NULL;
        atomic_store(&c->chunks[k], chunk);
    }
    return &chunk[i & (CATALOG_CHUNK - 1)];
}

static unsigned catalog_hash(const char *id)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static struct catalog_machine *catalog_entry(const struct catalog *c, int i)
{
    struct catalog *w = (struct catalog *)c;
    return &atomic_load(&w->chunks[i >> CATALOG_CHUNK_SHIFT])[i & (CATALOG_CHUNK - 1)];
}

static void catalog_index_insert(struct catalog_index *x, const char *id, int machine)
{
    unsigned k = catalog_hash(id) & x->mask;
    while (atomic_load(&x->slot[k]))
        k = (k + 1) & x->mask;
    atomic_store(&x->slot[k], machine + 1);
    x->used++;
}

/* Makes machine (its entry already holding id) findable. Writers only. */
static int catalog_index_put(struct catalog *c, const char *id, int machine)
{
    struct catalog_index *x = atomic_load(&c->index);
    if (!x || 2 * (x->used + 1) > (int)x->mask + 1) {
        unsigned size = x ? 2 * (x->mask + 1) : 1024;
        struct catalog_index *grown = calloc(1, sizeof *grown + size * sizeof grown->slot[0]);
        if (!grown)
            return -1;
        grown->mask = size - 1;
        for (int i = 0; i < machine; i++)
            catalog_index_insert(grown, catalog_entry(c, i)->id, i);
        if (x) {
            x->next_retired = c->retired;
            c->retired = x;
        }
        atomic_store(&c->index, grown);
        x = grown;
    }
    catalog_index_insert(x, id, machine);
    return 0;
}

/* Keeps a type the catalog must free (a learned machine's own, or one it superseded). */
static int catalog_own(struct catalog *c, struct catalog_type *t)
{
    if (c->owned_count == c->owned_cap) {
        int cap = c->owned_cap ? c->owned_cap * 2 : 64;
        struct catalog_type **grown = realloc(c->owned, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        c->owned = grown;
        c->owned_cap = cap;
    }
    c->owned[c->owned_count++] = t;
    return 0;
}

/* The line of a byte offset, for JSON syntax errors. */
static int line_of(const char *text, const char *at)
{
    int line = 1;
    for (const char *p = text; p < at && *p; p++)
        line += *p == '\n';
    return line;
}

/* The optional "area" and "line" of a machine: strings of 1 to CATALOG_NAME_MAX - 1 bytes. */
static int parse_location(const cJSON *jm, struct catalog_machine *m, const char *file, char *err,
                          size_t len)
{
    static const char *const keys[] = {"area", "line"};
    char *dst[] = {m->area, m->line};
    for (int k = 0; k < 2; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(jm, keys[k]);
        if (!v)
            continue;
        if (!cJSON_IsString(v) || copy_name(dst[k], CATALOG_NAME_MAX, v->valuestring)) {
            fail(err, len, "%s: machine %s: \"%s\" must be a string of 1 to %d bytes", file, m->id,
                 keys[k], CATALOG_NAME_MAX - 1);
            return -1;
        }
    }
    return 0;
}

static int parse_machines(struct catalog *c, const cJSON *machines, const char *file, char *err,
                          size_t len)
{
    if (!cJSON_IsArray(machines) || cJSON_GetArraySize(machines) == 0) {
        fail(err, len, "%s: \"machines\" must be a non-empty array", file);
        return -1;
    }
    if (cJSON_GetArraySize(machines) > CATALOG_FILE_MACHINES_MAX) {
        fail(err, len, "%s: more than %d machines", file, CATALOG_FILE_MACHINES_MAX);
        return -1;
    }
    const cJSON *jm;
    int n = 0;
    cJSON_ArrayForEach(jm, machines)
    {
        struct catalog_machine *m = catalog_slot(c, n);
        if (!m) {
            fail(err, len, "%s: out of memory", file);
            return -1;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(jm, "id");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(jm, "type");
        if (!cJSON_IsString(id) || copy_name(m->id, sizeof m->id, id->valuestring)) {
            fail(err, len, "%s: machine #%d: missing or over-long \"id\"", file, n + 1);
            return -1;
        }
        if (!cJSON_IsString(type) || !(m->type = catalog_type_find(c, type->valuestring))) {
            fail(err, len, "%s: machine %s: unknown type %s", file, m->id,
                 cJSON_IsString(type) ? type->valuestring : "(missing)");
            return -1;
        }
        if (catalog_machine_find_below(c, m->id, n) >= 0) {
            fail(err, len, "%s: machine %s: id used twice", file, m->id);
            return -1;
        }
        if (catalog_index_put(c, m->id, n) < 0) {
            fail(err, len, "%s: out of memory", file);
            return -1;
        }
        if (parse_location(jm, m, file, err, len) < 0)
            return -1;
        m->simulated = true;
        n++;
    }
    atomic_store(&c->machine_count, n);
    return 0;
}

struct catalog *catalog_parse(const char *json, const char *file, char *err, size_t len)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        fail(err, len, "%s:%d: not valid JSON", file, at ? line_of(json, at) : 1);
        return NULL;
    }
    struct catalog *c = catalog_alloc();
    if (!c) {
        cJSON_Delete(root);
        fail(err, len, "%s: out of memory", file);
        return NULL;
    }
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "types");
    int rc = 0;
    if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) == 0) {
        fail(err, len, "%s: \"types\" must be a non-empty array", file);
        rc = -1;
    } else if (cJSON_GetArraySize(types) > CATALOG_TYPES_MAX - 8) {
        fail(err, len, "%s: more than %d types", file, CATALOG_TYPES_MAX - 8);
        rc = -1;
    }
    const cJSON *jt;
    cJSON_ArrayForEach(jt, types)
    {
        if (rc)
            break;
        struct catalog_type *t = &c->types[c->type_count];
        rc = parse_type(jt, t, file, err, len);
        if (!rc && c->type_count && catalog_type_find(c, t->name)) {
            fail(err, len, "%s: type %s: defined twice", file, t->name);
            rc = -1;
        }
        if (!rc)
            c->type_count++;
    }
    if (!rc)
        rc = parse_machines(c, cJSON_GetObjectItemCaseSensitive(root, "machines"), file, err, len);
    cJSON_Delete(root);
    if (rc) {
        catalog_free(c);
        return NULL;
    }
    c->max_machines = CATALOG_DEFAULT_MAX_MACHINES;
    if (c->max_machines < catalog_machine_count(c))
        c->max_machines = catalog_machine_count(c);
    return c;
}

struct catalog *catalog_load(const char *path, char *err, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                fail(err, len, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + size, 1, cap - size - 1, f);
        size += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fail(err, len, "%s: read error", path);
        return NULL;
    }
    buf[size] = '\0';
    struct catalog *c = catalog_parse(buf, path, err, len);
    free(buf);
    return c;
}

void catalog_free(struct catalog *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->owned_count; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->types);
    for (int k = 0; k < CATALOG_CHUNKS; k++)
        free(atomic_load(&c->chunks[k]));
    free(atomic_load(&c->index));
    while (c->retired) {
        struct catalog_index *next = c->retired->next_retired;
        free(c->retired);
        c->retired = next;
    }
    pthread_mutex_destroy(&c->add_lock);
    free(c);
}

int catalog_type_count(const struct catalog *c)
{
    return c->type_count;
}

struct catalog_type *catalog_type_at(const struct catalog *c, int i)
{
    return i >= 0 && i < c->type_count ? &c->types[i] : NULL;
}

struct catalog_type *catalog_type_find(const struct catalog *c, const char *name)
{
    for (int i = 0; i < c->type_count; i++)
        if (strcmp(c->types[i].name, name) == 0)
            return &c->types[i];
    return NULL;
}

int catalog_machine_count(const struct catalog *c)
{
    return atomic_load(&((struct catalog *)c)->machine_count);
}

struct catalog_machine *catalog_machine_at(const struct catalog *c, int i)
{
    return i >= 0 && i < catalog_machine_count(c) ? catalog_entry(c, i) : NULL;
}

/* The machine with this id among the first n, or -1: one probe sequence of the index. */
static int catalog_machine_find_below(const struct catalog *c, const char *id, int n)
{
    const struct catalog_index *x = atomic_load(&((struct catalog *)c)->index);
    if (!x)
        return -1;
    for (unsigned k = catalog_hash(id) & x->mask;; k = (k + 1) & x->mask) {
        int v = atomic_load(&((struct catalog_index *)x)->slot[k]);
        if (!v)
            return -1;
        if (v - 1 < n && strcmp(catalog_entry(c, v - 1)->id, id) == 0)
            return v - 1;
    }
}

int catalog_machine_find(const struct catalog *c, const char *id)
{
    return catalog_machine_find_below(c, id, catalog_machine_count(c));
}

int catalog_sensor_count(const struct catalog_type *t)
{
    return __atomic_load_n(&t->sensor_count, __ATOMIC_ACQUIRE);
}

int catalog_sensor_find(const struct catalog_type *t, const char *name)
{
    int n = catalog_sensor_count(t);
    for (int i = 0; i < n; i++)
        if (strcmp(t->sensors[i].name, name) == 0)
            return i;
    return -1;
}

void catalog_set_max_machines(struct catalog *c, int max)
{
    int floor = catalog_machine_count(c);
    if (max < floor)
        max = floor;
    if (max > CATALOG_MACHINES_LIMIT)
        max = CATALOG_MACHINES_LIMIT;
    c->max_machines = max;
}

int catalog_max_machines(const struct catalog *c)
{
    return c->max_machines;
}

/* The learned type a new machine of type_name uses. Machines that name a type share one learned
 * type per name: a copy of the catalog type when there is one (so its limits apply), else an
 * empty one, and sensors are learned into it for all of them. A machine that names no type gets
 * its own "unknown" one. Under add_lock. */
static struct catalog_type *catalog_learned_type(struct catalog *c, const char *type_name)
{
    bool named = type_name && *type_name;
    for (int i = 0; named && i < c->owned_count; i++)
        if (c->owned[i]->shared && strcmp(c->owned[i]->name, type_name) == 0)
            return c->owned[i];
    struct catalog_type *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    const struct catalog_type *known = named ? catalog_type_find(c, type_name) : NULL;
    if (known) {
        *t = *known;
    } else {
        snprintf(t->name, sizeof t->name, "%s", named ? type_name : "unknown");
        snprintf(t->label, sizeof t->label, "%s", t->name);
        snprintf(t->pattern, sizeof t->pattern, "unknown");
        t->sample_period_s = 1.0;
    }
    t->learned = true;
    t->shared = named; /* an unnamed one is private: no other machine joins it */
    if (catalog_own(c, t) < 0) {
        free(t);
        return NULL;
    }
    return t;
}

/* Appends machine id in slot n with type t (and its place: area, line, either may be NULL) and
 * makes it findable; -1 when out of memory. */
static int catalog_append(struct catalog *c, int n, const char *id, struct catalog_type *t,
                          const char *area, const char *line)
{
    struct catalog_machine *m = catalog_slot(c, n);
    if (!m)
        return -1;
    snprintf(m->id, sizeof m->id, "%s", id);
    snprintf(m->area, sizeof m->area, "%s", area ? area : "");
    snprintf(m->line, sizeof m->line, "%s", line ? line : "");
    if (catalog_index_put(c, m->id, n) < 0)
        return -1;
    m->type = t;
    m->simulated = false;
    atomic_store(&c->machine_count, n + 1);
    return n;
}

int catalog_add_machine(struct catalog *c, const char *id, const char *type_name)
{
    return catalog_add_machine_at(c, id, type_name, NULL, NULL);
}

int catalog_add_machine_at(struct catalog *c, const char *id, const char *type_name,
                           const char *area, const char *line)
{
    if (!id || !*id || strlen(id) >= CATALOG_NAME_MAX)
        return -1;
    pthread_mutex_lock(&c->add_lock);
    int idx = catalog_machine_find(c, id);
    int n = catalog_machine_count(c);
    if (idx < 0 && n < c->max_machines) {
        struct catalog_type *t = catalog_learned_type(c, type_name);
        if (t)
            idx = catalog_append(c, n, id, t, area, line);
    }
    pthread_mutex_unlock(&c->add_lock);
    return idx;
}

int catalog_add_sensor(struct catalog *c, int machine, const char *name, bool is_text)
{
    struct catalog_machine *m = catalog_machine_at(c, machine);
    if (!m || !name || !*name || strlen(name) >= CATALOG_NAME_MAX)
        return -1;
    int idx = catalog_sensor_find(m->type, name);
    if (idx >= 0 || m->simulated)
        return idx;
    pthread_mutex_lock(&c->add_lock);
    struct catalog_type *t = m->type;
    idx = catalog_sensor_find(t, name);
    if (idx < 0 && t->sensor_count < CATALOG_SENSORS_MAX) {
        struct catalog_sensor *s = &t->sensors[t->sensor_count];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", name);
        s->is_text = is_text;
        s->warn_lo = s->warn_hi = s->alarm_lo = s->alarm_hi = NAN;
        s->display_min = 0;
        s->display_max = 100;
        s->normal_lo = -INFINITY;
        s->normal_hi = INFINITY;
        idx = t->sensor_count;
        if (!is_text && t->tile_count < 2)
            t->tile[t->tile_count++] = idx;
        __atomic_store_n(&t->sensor_count, idx + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&c->add_lock);
    return idx;
}
