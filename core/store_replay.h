// SPDX-License-Identifier: MIT
#ifndef TWINTOP_STORE_REPLAY_H
#define TWINTOP_STORE_REPLAY_H
/*
 * Replay: a producer thread that reads recorded samples in time order and pushes them on the
 * ingest queue (queue_push_wait: nothing is lost), paced by a replay clock that runs at `speed`
 * plant seconds per wall second. Recorded machines map to the catalog by id; machines or sensors
 * the catalog lacks are added as learned ones (catalog_add_machine / catalog_add_sensor), as an
 * MQTT feed would. The file is opened read-only; nothing is written to it.
 *
 * Threads: store_replay_* are called from the main thread (the player hooks from the console);
 * the producer thread owns the reader. Speed and pause cross over under a mutex.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "queue.h"
#include "store_read.h"

struct store_replay;

/* Opens db_path read-only and checks the query. NULL with the reason in err. The reader is
 * handed over; the caller may still use store_replay_range before store_replay_start. */
struct store_replay *store_replay_open(const char *db_path, char *err, size_t errlen);

/* Recorded time range (oldest, newest sample) of a run (store_read_run_span), 0/0 when empty. */
void store_replay_range(struct store_replay *r, int64_t run, int64_t *oldest_ms,
                        int64_t *newest_ms);

/* Starts the producer over q's selection. speed <= 0: as fast as the queue takes. The catalog
 * and queue must outlive the replay. Returns 0 or -1 with err. */
int store_replay_start(struct store_replay *r, const struct store_query *q, struct catalog *cat,
                       struct queue *queue, double speed, char *err, size_t errlen);

/* Stops the producer (if running), closes the file. NULL is fine. */
void store_replay_close(struct store_replay *r);

void store_replay_toggle_pause(struct store_replay *r);
bool store_replay_paused(struct store_replay *r);
/* Multiplies the speed (clamped to 1/8 .. 100000); no effect at max speed. Returns the speed. */
double store_replay_scale_speed(struct store_replay *r, double factor);
double store_replay_speed(struct store_replay *r);

/* True once every selected sample has been pushed (or the replay failed: see error); false
 * when it was stopped before the end. */
bool store_replay_done(struct store_replay *r);
/* The replay clock: plant time reached (ms since the epoch). */
int64_t store_replay_clock(struct store_replay *r);
uint64_t store_replay_rows(struct store_replay *r);    /* samples pushed */
uint64_t store_replay_skipped(struct store_replay *r); /* samples the catalog had no room for */
/* The reason the producer failed, "" when it did not. */
const char *store_replay_error(struct store_replay *r);

#endif
