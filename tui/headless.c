// SPDX-License-Identifier: MIT
/* Headless front end: one JSON status line per interval on stdout. */
#include "headless.h"
#include "mqtt_codec.h"
#include "clock.h"
#include "json_escape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HEADLESS_EXTRAS_MAX 8

struct headless {
    FILE *out;
    struct catalog *cat;
    struct engine *engine;
    struct snapshot *snap;
    struct headless_extra extras[HEADLESS_EXTRAS_MAX];
    int extra_count;
};

struct headless *headless_create(FILE *out, struct catalog *cat, struct engine *engine)
{
    struct headless *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->out = out;
    h->cat = cat;
    h->engine = engine;
    h->snap = snapshot_create(catalog_max_machines(cat));
    if (!h->snap) {
        free(h);
        return NULL;
    }
    return h;
}

void headless_add_extra(struct headless *h, const struct headless_extra *extra)
{
    if (h->extra_count < HEADLESS_EXTRAS_MAX)
        h->extras[h->extra_count++] = *extra;
}

void headless_destroy(struct headless *h)
{
    if (!h)
        return;
    snapshot_free(h->snap);
    free(h);
}

static void put_json_string(FILE *f, const char *s)
{
    char body[CATALOG_NAME_MAX * 6 + 1];
    json_escape(body, sizeof body, s);
    fprintf(f, "\"%s\"", body);
}

void headless_status(struct headless *h, double wall_s, bool final)
{
    struct snapshot *s = h->snap;
    engine_snapshot(h->engine, s);
    char sim[40];
    clock_format_iso8601(s->sim_time_ms, sim, sizeof sim);
    FILE *f = h->out;
    fprintf(f,
            "{\"wall_s\":%.3f,\"mode\":\"%s\",\"sim_time\":\"%s\",\"machines\":%d,"
            "\"samples\":%llu,\"samples_per_s\":%.0f,"
            "\"states\":{\"ok\":%d,\"warn\":%d,\"alarm\":%d,\"stale\":%d},\"queue_drops\":%llu,"
            "\"alarms_raised\":%llu",
            wall_s, s->mode, sim, s->machine_count, (unsigned long long)s->samples_total,
            s->samples_per_s, s->states[TWIN_OK], s->states[TWIN_WARN], s->states[TWIN_ALARM],
            s->states[TWIN_STALE], (unsigned long long)s->queue_drops,
            (unsigned long long)s->alarms_raised);
    for (int i = 0; i < h->extra_count; i++) {
        char buf[4096] = "";
        h->extras[i].write(h->extras[i].ctx, buf, sizeof buf);
        fputs(buf, f);
    }
    if (final) {
        double rate = wall_s > 0 ? (double)s->samples_total / wall_s : 0;
        fprintf(f, ",\"final\":true,\"avg_samples_per_s\":%.0f,\"alarms_by_machine\":{", rate);
        int first = 1;
        for (int i = 0; i < s->machine_count; i++) {
            const struct catalog_machine *m = catalog_machine_at(h->cat, i);
            if (!m)
                continue;
            fputs(first ? "" : ",", f);
            put_json_string(f, m->id);
            fprintf(f, ":%llu", (unsigned long long)s->machines[i].alarms_raised);
            first = 0;
        }
        fputc('}', f);
    }
    fputs("}\n", f);
    fflush(f);
}
