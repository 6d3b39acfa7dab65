// SPDX-License-Identifier: MIT
#ifndef TWINTOP_ALARM_STORE_H
#define TWINTOP_ALARM_STORE_H
/*
 * Alarm persistence: the tables `alarms` (one row per alarm, its whole state) and
 * `alarm_actions` (the audit trail: every operator action and automatic unshelve) in the
 * history database. Uses its own SQLite connection (WAL, busy_timeout), beside the sample
 * store's, and creates its tables with CREATE TABLE IF NOT EXISTS. Schema in the README.
 *
 * Threads: open, attach and close are called from the main thread. Once attached, the store
 * listens to the alarm manager: its listener copies each change into a bounded queue (no I/O
 * under the manager's lock) and the store's own writer thread writes them in batched
 * transactions. Row updates that do not fit are shed and repaired by rewriting every alarm
 * row from the manager (resync); an audit record that does not fit (a quarter of the queue is
 * kept for them) is dropped and counted. A write error is counted and kept as last_error. Nothing
 * here ever runs on the engine thread's hot path.
 */
#include <stddef.h>
#include <stdint.h>
#include "alarm.h"

struct alarm_store;

struct alarm_store_stats {
    uint64_t alarms_written;  /* alarm row upserts */
    uint64_t actions_written; /* alarm_actions rows */
    uint64_t dropped;         /* audit records lost because the queue was full */
    uint64_t resyncs;         /* full rewrites of the alarm rows after row updates were shed */
    uint64_t errors;          /* failed batches */
    char last_error[200];
};

/* Opens the database file at path (creating it and the tables). NULL with "path: what" in err. */
struct alarm_store *alarm_store_open(const char *path, char *err, size_t errlen);

/* Listens to m, restores every stored alarm into it (an expired shelve, judged against now_ms,
 * is unshelved and the unshelve recorded) and starts the writer thread. Call once, before the
 * engine feeds m. Returns the number of alarms restored, or -1 with a message in err. */
int alarm_store_attach(struct alarm_store *s, struct alarm_manager *m, int64_t now_ms, char *err,
                       size_t errlen);

/* Waits until everything queued so far is written. Returns 0, or -1 when a write failed since
 * the last flush. */
int alarm_store_flush(struct alarm_store *s);

void alarm_store_get_stats(struct alarm_store *s, struct alarm_store_stats *out);

/* Stops listening, writes what is queued, stops the thread and closes the connection. */
void alarm_store_close(struct alarm_store *s);

#endif
