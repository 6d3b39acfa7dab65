// SPDX-License-Identifier: MIT
/* Fault lead-time bookkeeping: onset, first detection and failure of each known fault. */
#include "detect_leadtime.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

struct leadtime_fault {
    int machine;
    char machine_id[CATALOG_NAME_MAX];
    char fault[CATALOG_NAME_MAX];
    double onset_s, failure_s;
    double detected_s; /* NAN until the first anomaly at or after onset */
    char detector[24];
    char sensor[CATALOG_NAME_MAX];
    double limit_s; /* first limit alarm at or after onset */
};

struct detect_leadtime {
    pthread_mutex_t lock;
    int64_t start_ms;
    int count;
    struct leadtime_fault f[DETECT_LEADTIME_MAX];
    long anomaly_events, false_events;
};

struct detect_leadtime *detect_leadtime_create(int64_t start_ms)
{
    struct detect_leadtime *lt = calloc(1, sizeof(*lt));
    if (!lt)
        return NULL;
    pthread_mutex_init(&lt->lock, NULL);
    lt->start_ms = start_ms;
    return lt;
}

void detect_leadtime_free(struct detect_leadtime *lt)
{
    if (!lt)
        return;
    pthread_mutex_destroy(&lt->lock);
    free(lt);
}

int detect_leadtime_add(struct detect_leadtime *lt, int machine, const char *machine_id,
                        const char *fault, double onset_s, double failure_s)
{
    if (lt->count >= DETECT_LEADTIME_MAX)
        return -1;
    struct leadtime_fault *f = &lt->f[lt->count++];
    memset(f, 0, sizeof(*f));
    f->machine = machine;
    snprintf(f->machine_id, sizeof(f->machine_id), "%s", machine_id);
    snprintf(f->fault, sizeof(f->fault), "%s", fault);
    f->onset_s = onset_s;
    f->failure_s = failure_s;
    f->detected_s = f->limit_s = NAN;
    return 0;
}

void detect_leadtime_on_event(void *ctx, const struct event *ev)
{
    struct detect_leadtime *lt = ctx;
    if (ev->kind != EVENT_ANOMALY && !(ev->kind == EVENT_LIMIT && ev->state == TWIN_ALARM))
        return;
    double t = (double)(ev->ts_ms - lt->start_ms) / 1000.0;
    pthread_mutex_lock(&lt->lock);
    bool explained = false;
    for (int i = 0; i < lt->count; i++) {
        struct leadtime_fault *f = &lt->f[i];
        if (f->machine != ev->machine || t < f->onset_s)
            continue;
        explained = true;
        if (ev->kind == EVENT_LIMIT) {
            if (isnan(f->limit_s))
                f->limit_s = t;
        } else if (isnan(f->detected_s)) {
            f->detected_s = t;
            snprintf(f->detector, sizeof(f->detector), "%s", ev->detector);
            snprintf(f->sensor, sizeof(f->sensor), "%s", ev->sensor_name);
        }
    }
    if (ev->kind == EVENT_ANOMALY) {
        lt->anomaly_events++;
        lt->false_events += !explained;
    }
    pthread_mutex_unlock(&lt->lock);
}

static int leadtime_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double leadtime_frac(const struct leadtime_fault *f)
{
    if (isnan(f->detected_s) || f->detected_s > f->failure_s || f->failure_s <= f->onset_s)
        return 0.0;
    return (f->failure_s - f->detected_s) / (f->failure_s - f->onset_s);
}

static void leadtime_summary_locked(const struct detect_leadtime *lt, int *detected, double *median)
{
    double fr[DETECT_LEADTIME_MAX];
    *detected = 0;
    for (int i = 0; i < lt->count; i++) {
        fr[i] = leadtime_frac(&lt->f[i]);
        *detected += !isnan(lt->f[i].detected_s) && lt->f[i].detected_s <= lt->f[i].failure_s;
    }
    qsort(fr, (size_t)lt->count, sizeof(double), leadtime_cmp);
    *median = lt->count == 0  ? NAN
              : lt->count % 2 ? fr[lt->count / 2]
                              : 0.5 * (fr[lt->count / 2 - 1] + fr[lt->count / 2]);
}

void detect_leadtime_summary(struct detect_leadtime *lt, int *detected, int *total,
                             double *median_lead_frac, long *false_events)
{
    pthread_mutex_lock(&lt->lock);
    leadtime_summary_locked(lt, detected, median_lead_frac);
    *total = lt->count;
    *false_events = lt->false_events;
    pthread_mutex_unlock(&lt->lock);
}

static void leadtime_num(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "null");
    else
        snprintf(buf, len, "%.0f", v);
}

/* Copies s into a JSON string body, escaping quotes and backslashes, dropping control bytes. */
static void leadtime_str(char *out, size_t len, const char *s)
{
    size_t n = 0;
    for (; *s && n + 2 < len; s++) {
        if (*s == '"' || *s == '\\')
            out[n++] = '\\';
        if ((unsigned char)*s >= 0x20)
            out[n++] = *s;
    }
    out[n] = '\0';
}

void detect_leadtime_json(void *ctx, char *out, size_t len)
{
    struct detect_leadtime *lt = ctx;
    if (len < 64) {
        if (len)
            out[0] = '\0';
        return;
    }
    pthread_mutex_lock(&lt->lock);
    int detected;
    double median;
    leadtime_summary_locked(lt, &detected, &median);
    size_t n = (size_t)snprintf(out, len,
                                ",\"anomaly_events\":%ld,\"false_anomaly_events\":%ld,"
                                "\"faults\":{\"total\":%d,\"detected\":%d,"
                                "\"median_lead_frac\":%.2f,\"list\":[",
                                lt->anomaly_events, lt->false_events, lt->count, detected,
                                isnan(median) ? 0.0 : median);
    const size_t trailer = 32; /* room for ],"listed":N} */
    int listed = 0;
    for (int i = 0; i < lt->count && n + trailer < len; i++) {
        const struct leadtime_fault *f = &lt->f[i];
        char det[32], lim[32], lead[32], entry[512];
        char id[2 * CATALOG_NAME_MAX], fault[2 * CATALOG_NAME_MAX], sensor[2 * CATALOG_NAME_MAX];
        leadtime_num(det, sizeof det, f->detected_s);
        leadtime_num(lim, sizeof lim, f->limit_s);
        leadtime_num(lead, sizeof lead, isnan(f->detected_s) ? NAN : f->failure_s - f->detected_s);
        leadtime_str(id, sizeof id, f->machine_id);
        leadtime_str(fault, sizeof fault, f->fault);
        leadtime_str(sensor, sizeof sensor, f->sensor);
        int w = snprintf(entry, sizeof entry,
                         "%s{\"machine\":\"%s\",\"fault\":\"%s\",\"onset_s\":%.0f,"
                         "\"detected_s\":%s,\"detector\":\"%s\",\"sensor\":\"%s\","
                         "\"limit_alarm_s\":%s,\"failure_s\":%.0f,\"lead_s\":%s}",
                         i ? "," : "", id, fault, f->onset_s, det, f->detector, sensor, lim,
                         f->failure_s, lead);
        /* a status line too short for every fault lists the first ones, and says so */
        if (w < 0 || (size_t)w >= sizeof entry || n + (size_t)w + trailer >= len)
            break;
        memcpy(out + n, entry, (size_t)w + 1);
        n += (size_t)w;
        listed++;
    }
    snprintf(out + n, len - n, "],\"listed\":%d}", listed);
    pthread_mutex_unlock(&lt->lock);
}
