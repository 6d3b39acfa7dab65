// SPDX-License-Identifier: MIT
#ifndef TWINTOP_QUEUE_H
#define TWINTOP_QUEUE_H
/*
 * The ingest queue: bounded, many producers, one consumer (the engine thread).
 * Producers push whole batches under one short lock; a batch that does not fit is dropped
 * whole and counted, never waited for, so a slow engine can never block a producer or the UI.
 * Thread-safety: every function may be called from any thread.
 */
#include <stddef.h>
#include <stdint.h>
#include "sample.h"

struct queue;

/* Creates a queue holding up to capacity samples. NULL when out of memory. */
struct queue *queue_create(size_t capacity);
void queue_destroy(struct queue *q);

/* Pushes n samples, all or none. Returns 0, or -1 when full (the n samples are counted as
 * dropped). Never blocks for longer than a copy. */
int queue_push(struct queue *q, const struct sample *samples, size_t n);

/* Like queue_push, but waits while the queue is full (used by --speed max producers and
 * replay, which must not lose samples). Returns -1 only when the queue is closed. */
int queue_push_wait(struct queue *q, const struct sample *samples, size_t n);

/* Moves up to max samples into out. Waits up to timeout_ms for the first one (0: no wait).
 * Returns the count moved (0 on timeout or when closed and empty). */
size_t queue_pop(struct queue *q, struct sample *out, size_t max, int timeout_ms);

/* After close, pushes fail and pop returns what is left then 0. Wakes every waiter. */
void queue_close(struct queue *q);

uint64_t queue_drops(const struct queue *q);  /* samples dropped because the queue was full */
uint64_t queue_pushed(const struct queue *q); /* samples accepted */
size_t queue_length(struct queue *q);
size_t queue_capacity(const struct queue *q);

#endif
