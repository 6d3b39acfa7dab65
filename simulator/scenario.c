// SPDX-License-Identifier: MIT
/* Scenario files: the faults to inject into the simulated plant. */
#include "scenario.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "90", "90s", "15m", "2h", "1d", "1500ms": seconds, or -1 when malformed. */
static double scenario_duration(const char *text)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    double unit = 1;
    if (strcmp(end, "ms") == 0)
        unit = 0.001;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        unit = 60;
    else if (strcmp(end, "h") == 0)
        unit = 3600;
    else if (strcmp(end, "d") == 0)
        unit = 86400;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    return v * unit;
}

/* A number or a duration string; -1 when absent or malformed. */
static double scenario_time(const cJSON *entry, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, key);
    if (cJSON_IsNumber(v))
        return isfinite(v->valuedouble) && v->valuedouble >= 0 ? v->valuedouble : -1;
    if (cJSON_IsString(v))
        return scenario_duration(v->valuestring);
    return -1;
}

static int line_of(const char *json, const char *at)
{
    int line = 1;
    for (const char *p = json; p < at && *p; p++)
        line += *p == '\n';
    return line;
}

static void list_faults(const struct catalog_type *t, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int f = 0; f < t->fault_count && used < len; f++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", f ? ", " : "", t->faults[f].name);
}

static int parse_entry(const cJSON *entry, int k, const char *name, const struct catalog *cat,
                       struct scenario *out, char *err, size_t errlen)
{
    if (!cJSON_IsObject(entry)) {
        snprintf(err, errlen, "%s: fault %d: must be an object", name, k);
        return -1;
    }
    const cJSON *mach = cJSON_GetObjectItemCaseSensitive(entry, "machine");
    const cJSON *fault = cJSON_GetObjectItemCaseSensitive(entry, "fault");
    if (!cJSON_IsString(mach)) {
        snprintf(err, errlen, "%s: fault %d: \"machine\" must be a machine id string", name, k);
        return -1;
    }
    int mi = catalog_machine_find(cat, mach->valuestring);
    if (mi < 0) {
        snprintf(err, errlen, "%s: fault %d: unknown machine %s", name, k, mach->valuestring);
        return -1;
    }
    const struct catalog_type *t = catalog_machine_at(cat, mi)->type;
    if (!cJSON_IsString(fault)) {
        snprintf(err, errlen, "%s: fault %d: \"fault\" must be a fault mode name string", name, k);
        return -1;
    }
    int fi = -1;
    for (int f = 0; f < t->fault_count; f++)
        if (strcmp(t->faults[f].name, fault->valuestring) == 0)
            fi = f;
    if (fi < 0) {
        char known[400];
        list_faults(t, known, sizeof known);
        snprintf(err, errlen, "%s: fault %d: machine %s (%s) has no fault mode '%s' (known: %s)",
                 name, k, mach->valuestring, t->name, fault->valuestring, known);
        return -1;
    }
    double onset = scenario_time(entry, "onset_s");
    double ttf = scenario_time(entry, "time_to_failure_s");
    if (onset < 0) {
        snprintf(err, errlen,
                 "%s: fault %d: \"onset_s\" must be seconds >= 0 or a duration like \"2h\"", name,
                 k);
        return -1;
    }
    if (!(ttf > 0)) {
        snprintf(
            err, errlen,
            "%s: fault %d: \"time_to_failure_s\" must be seconds > 0 or a duration like \"6h\"",
            name, k);
        return -1;
    }
    double repair = INFINITY;
    if (cJSON_HasObjectItem(entry, "repair_s") &&
        !((repair = scenario_time(entry, "repair_s")) > onset)) {
        snprintf(err, errlen,
                 "%s: fault %d: \"repair_s\" must be seconds or a duration after \"onset_s\"", name,
                 k);
        return -1;
    }
    int same = 0;
    for (int i = 0; i < out->fault_count; i++)
        same += out->faults[i].machine == mi;
    if (same >= SCENARIO_FAULTS_PER_MACHINE || out->fault_count >= SCENARIO_FAULTS_MAX) {
        snprintf(err, errlen, "%s: fault %d: too many faults (at most %d per machine, %d in all)",
                 name, k, SCENARIO_FAULTS_PER_MACHINE, SCENARIO_FAULTS_MAX);
        return -1;
    }
    struct simulator_fault *f = &out->faults[out->fault_count++];
    memset(f, 0, sizeof *f);
    f->machine = mi;
    snprintf(f->machine_id, sizeof f->machine_id, "%s", mach->valuestring);
    snprintf(f->fault, sizeof f->fault, "%s", fault->valuestring);
    f->onset_s = onset;
    f->ttf_s = ttf;
    f->failure_s = onset + ttf;
    f->repair_s = repair;
    return 0;
}

static void default_name(const char *name, char *out, size_t len)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    snprintf(out, len, "%s", base);
    char *dot = strstr(out, ".json");
    if (dot)
        *dot = 0;
}

int scenario_parse(const char *json, const char *name, const struct catalog *cat,
                   struct scenario *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        snprintf(err, errlen, "%s:%d: not valid JSON", name, at ? line_of(json, at) : 1);
        return -1;
    }
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "%s: the top level must be an object with a \"faults\" array", name);
        goto done;
    }
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (cJSON_IsString(n))
        snprintf(out->name, sizeof out->name, "%s", n->valuestring);
    else
        default_name(name, out->name, sizeof out->name);
    if (cJSON_IsString(d))
        snprintf(out->description, sizeof out->description, "%s", d->valuestring);
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
    if (faults && !cJSON_IsArray(faults)) {
        snprintf(err, errlen, "%s: \"faults\" must be an array", name);
        goto done;
    }
    int k = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, faults)
    {
        if (parse_entry(entry, ++k, name, cat, out, err, errlen) < 0)
            goto done;
    }
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

int scenario_load(const char *path, const struct catalog *cat, struct scenario *out, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            if (cap > (16u << 20)) {
                snprintf(err, errlen, "%s: larger than 16 MB", path);
                goto fail;
            }
            char *grown = realloc(text, cap + 1);
            if (!grown) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            text = grown;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    text[len] = 0;
    int rc = scenario_parse(text, path, cat, out, err, errlen);
    free(text);
    return rc;
fail:
    fclose(f);
    free(text);
    return -1;
}
