// SPDX-License-Identifier: MIT
/* The ingest queue: bounded, many producers, one consumer. */
#include "queue.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    struct sample *ring;
    size_t capacity;
    size_t head; /* next to pop */
    size_t count;
    int closed;
    _Atomic uint64_t drops;
    _Atomic uint64_t pushed;
};

struct queue *queue_create(size_t capacity)
{
    if (capacity == 0)
        return NULL;
    struct queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->ring = calloc(capacity, sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->capacity = capacity;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return q;
}

void queue_destroy(struct queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    free(q);
}

static void queue_copy_in(struct queue *q, const struct sample *samples, size_t n)
{
    size_t tail = (q->head + q->count) % q->capacity;
    size_t first = q->capacity - tail < n ? q->capacity - tail : n;
    memcpy(q->ring + tail, samples, first * sizeof *samples);
    memcpy(q->ring, samples + first, (n - first) * sizeof *samples);
    q->count += n;
}

int queue_push(struct queue *q, const struct sample *samples, size_t n)
{
    pthread_mutex_lock(&q->lock);
    if (q->closed || q->capacity - q->count < n) {
        pthread_mutex_unlock(&q->lock);
        atomic_fetch_add(&q->drops, n);
        return -1;
    }
    queue_copy_in(q, samples, n);
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    atomic_fetch_add(&q->pushed, n);
    return 0;
}

int queue_push_wait(struct queue *q, const struct sample *samples, size_t n)
{
    if (n > q->capacity)
        return -1;
    pthread_mutex_lock(&q->lock);
    while (!q->closed && q->capacity - q->count < n)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->closed) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    queue_copy_in(q, samples, n);
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    atomic_fetch_add(&q->pushed, n);
    return 0;
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

size_t queue_pop(struct queue *q, struct sample *out, size_t max, int timeout_ms)
{
    pthread_mutex_lock(&q->lock);
    if (q->count == 0 && !q->closed && timeout_ms > 0) {
        struct timespec until;
        deadline_after(&until, timeout_ms);
        while (q->count == 0 && !q->closed)
            if (pthread_cond_timedwait(&q->not_empty, &q->lock, &until) != 0)
                break;
    }
    size_t n = q->count < max ? q->count : max;
    size_t first = q->capacity - q->head < n ? q->capacity - q->head : n;
    memcpy(out, q->ring + q->head, first * sizeof *out);
    memcpy(out + first, q->ring, (n - first) * sizeof *out);
    q->head = (q->head + n) % q->capacity;
    q->count -= n;
    if (n)
        pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return n;
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

uint64_t queue_drops(const struct queue *q)
{
    return atomic_load(&((struct queue *)q)->drops);
}

uint64_t queue_pushed(const struct queue *q)
{
    return atomic_load(&((struct queue *)q)->pushed);
}

size_t queue_length(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t queue_capacity(const struct queue *q)
{
    return q->capacity;
}
