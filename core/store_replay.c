// SPDX-License-Identifier: MIT
/* Replay: a producer thread that pushes recorded samples in time order. */
#include "store_replay.h"
#include "clock.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLAY_BATCH 512
#define REPLAY_SPEED_MIN 0.125
#define REPLAY_SPEED_MAX 100000.0

struct store_replay {
    struct store_reader *reader;
    struct store_query query;
    struct catalog *cat;
    struct queue *queue;
    pthread_t thread;
    bool started;

    pthread_mutex_t lock; /* guards speed, paused and the clock anchor */
    double speed;         /* plant seconds per wall second; 0: as fast as the queue takes */
    bool paused;
    bool anchored;
    int64_t anchor_ts_ms; /* plant time at anchor_wall_ms */
    double anchor_wall_ms;

    /* producer thread only */
    int32_t *map; /* sensors.id -> machine << 8 | (sensor + 1); 0: unknown yet, -1: no room */
    int map_cap;
    struct sample batch[REPLAY_BATCH];
    size_t batch_count;

    _Atomic uint64_t rows, skipped;
    _Atomic bool done, stop;
    char error[512];
};

struct store_replay *store_replay_open(const char *db_path, char *err, size_t errlen)
{
    struct store_replay *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->reader = store_read_open(db_path, err, errlen);
    if (!r->reader) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void store_replay_range(struct store_replay *r, int64_t run, int64_t *oldest_ms, int64_t *newest_ms)
{
    store_read_run_span(r->reader, run, oldest_ms, newest_ms);
}

/* Caller holds the lock. */
static int64_t clock_locked(const struct store_replay *r)
{
    if (r->paused || r->speed <= 0)
        return r->anchor_ts_ms;
    return r->anchor_ts_ms +
           (int64_t)(((clock_monotonic_s() * 1000.0) - r->anchor_wall_ms) * r->speed);
}

static void reanchor_locked(struct store_replay *r)
{
    r->anchor_ts_ms = clock_locked(r);
    r->anchor_wall_ms = (clock_monotonic_s() * 1000.0);
}

static int replay_flush(struct store_replay *r)
{
    if (!r->batch_count)
        return 0;
    int rc = queue_push_wait(r->queue, r->batch, r->batch_count);
    atomic_fetch_add(&r->rows, r->batch_count);
    r->batch_count = 0;
    return rc;
}

/* Waits until the replay clock reaches ts_ms; non-zero when asked to stop. */
static int replay_wait_until(struct store_replay *r, int64_t ts_ms)
{
    for (;;) {
        if (atomic_load(&r->stop))
            return 1;
        pthread_mutex_lock(&r->lock);
        if (!r->anchored) { /* the first sample starts the clock */
            r->anchor_ts_ms = ts_ms;
            r->anchor_wall_ms = (clock_monotonic_s() * 1000.0);
            r->anchored = true;
        }
        double speed = r->speed;
        bool paused = r->paused;
        int64_t clock = clock_locked(r);
        if (speed <= 0 && !paused && ts_ms > r->anchor_ts_ms)
            r->anchor_ts_ms = ts_ms; /* at max speed the clock is the newest sample */
        pthread_mutex_unlock(&r->lock);
        if (!paused && (speed <= 0 || clock >= ts_ms))
            return 0;
        /* Everything due is on the queue before we sleep. */
        if (replay_flush(r) != 0)
            return 1;
        double wait = paused ? 50 : (double)(ts_ms - clock) / speed;
        if (wait > 50)
            wait = 50;
        struct timespec ts = {0, (long)(wait * 1e6) + 100000};
        nanosleep(&ts, NULL);
    }
}

/* Catalog indices for a recorded sensor: the catalog's machine when it has one by that id,
 * else a learned machine. */
static int32_t replay_map(struct store_replay *r, const struct store_row *row)
{
    if (row->sensor_id >= r->map_cap) {
        int cap = r->map_cap ? r->map_cap : 256;
        while (cap <= row->sensor_id)
            cap *= 2;
        int32_t *m = realloc(r->map, sizeof *m * (size_t)cap);
        if (!m)
            return -1;
        memset(m + r->map_cap, 0, sizeof *m * (size_t)(cap - r->map_cap));
        r->map = m;
        r->map_cap = cap;
    }
    int32_t *slot = &r->map[row->sensor_id];
    if (*slot)
        return *slot;
    *slot = -1;
    int m = catalog_machine_find(r->cat, row->machine_id);
    if (m < 0)
        m = catalog_add_machine_at(r->cat, row->machine_id, row->machine_type, row->machine_area,
                                   row->machine_line);
    if (m < 0)
        return -1;
    const struct catalog_machine *cm = catalog_machine_at(r->cat, m);
    int s = catalog_sensor_find(cm->type, row->sensor);
    if (s < 0)
        s = catalog_add_sensor(r->cat, m, row->sensor, row->is_text);
    if (s < 0 || s >= CATALOG_SENSORS_MAX)
        return -1;
    *slot = (int32_t)m << 8 | (s + 1);
    return *slot;
}

static int replay_row(void *ctx, const struct store_row *row)
{
    struct store_replay *r = ctx;
    if (replay_wait_until(r, row->ts_ms) != 0)
        return 1;
    int32_t where = replay_map(r, row);
    if (where < 0) {
        atomic_fetch_add(&r->skipped, 1);
        return 0;
    }
    struct sample *s = &r->batch[r->batch_count++];
    memset(s, 0, sizeof *s);
    s->ts_ms = row->ts_ms;
    s->machine = (uint32_t)(where >> 8);
    s->sensor = (uint16_t)((where & 0xff) - 1);
    if (row->is_text) {
        s->kind = SAMPLE_TEXT;
        snprintf(s->u.text, sizeof s->u.text, "%s", row->text ? row->text : "");
    } else {
        s->kind = SAMPLE_VALUE;
        s->u.value = row->value;
    }
    if (r->batch_count == REPLAY_BATCH && replay_flush(r) != 0)
        return 1;
    return 0;
}

static void *replay_producer(void *arg)
{
    struct store_replay *r = arg;
    int rc = store_read_each(r->reader, &r->query, replay_row, r, r->error, sizeof r->error);
    if (rc == 0)
        rc = replay_flush(r);
    if (rc <= 0) /* finished, or failed with the reason in error; not when stopped */
        atomic_store(&r->done, true);
    return NULL;
}

int store_replay_start(struct store_replay *r, const struct store_query *q, struct catalog *cat,
                       struct queue *queue, double speed, char *err, size_t errlen)
{
    if (r->started) {
        snprintf(err, errlen, "the replay is running already");
        return -1;
    }
    if (store_read_check(r->reader, q, err, errlen) != 0)
        return -1;
    r->query = *q;
    r->cat = cat;
    r->queue = queue;
    r->speed = speed > 0 ? speed : 0;
    if (pthread_create(&r->thread, NULL, replay_producer, r) != 0) {
        snprintf(err, errlen, "cannot start the replay thread");
        return -1;
    }
    r->started = true;
    return 0;
}

void store_replay_close(struct store_replay *r)
{
    if (!r)
        return;
    if (r->started) {
        atomic_store(&r->stop, true);
        queue_close(r->queue); /* wakes a producer waiting for room */
        pthread_join(r->thread, NULL);
    }
    store_read_close(r->reader);
    pthread_mutex_destroy(&r->lock);
    free(r->map);
    free(r);
}

void store_replay_toggle_pause(struct store_replay *r)
{
    pthread_mutex_lock(&r->lock);
    reanchor_locked(r);
    r->paused = !r->paused;
    pthread_mutex_unlock(&r->lock);
}

bool store_replay_paused(struct store_replay *r)
{
    pthread_mutex_lock(&r->lock);
    bool p = r->paused;
    pthread_mutex_unlock(&r->lock);
    return p;
}

double store_replay_scale_speed(struct store_replay *r, double factor)
{
    pthread_mutex_lock(&r->lock);
    if (r->speed > 0) {
        reanchor_locked(r);
        r->speed = fmin(fmax(r->speed * factor, REPLAY_SPEED_MIN), REPLAY_SPEED_MAX);
    }
    double s = r->speed;
    pthread_mutex_unlock(&r->lock);
    return s;
}

double store_replay_speed(struct store_replay *r)
{
    pthread_mutex_lock(&r->lock);
    double s = r->speed;
    pthread_mutex_unlock(&r->lock);
    return s;
}

bool store_replay_done(struct store_replay *r)
{
    return atomic_load(&r->done);
}

int64_t store_replay_clock(struct store_replay *r)
{
    pthread_mutex_lock(&r->lock);
    int64_t c = clock_locked(r);
    pthread_mutex_unlock(&r->lock);
    return c;
}

uint64_t store_replay_rows(struct store_replay *r)
{
    return atomic_load(&r->rows);
}

uint64_t store_replay_skipped(struct store_replay *r)
{
    return atomic_load(&r->skipped);
}

const char *store_replay_error(struct store_replay *r)
{
    return r->error;
}
