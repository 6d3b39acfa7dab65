// SPDX-License-Identifier: MIT
#ifndef TWINTOP_STORE_H
#define TWINTOP_STORE_H
/*
 * The history recorder: one SQLite file (WAL, synchronous=NORMAL) written by one writer thread
 * in batched transactions through prepared statements. Raw samples, 1min/5min/1hour rollups
 * (computed incrementally in the writer), anomaly events and alarm state changes; retention
 * pruned in small chunks.
 * The schema is documented in the README.
 *
 * Threads: store_open/store_close are called from the main thread. The engine calls the sink
 * (store_sink) on its own thread: it only copies into the store's bounded queues and counts what
 * did not fit, so it never waits on the disk (unless block_when_full is set). The writer thread
 * owns the SQLite connection. store_status may be called from any thread.
 *
 * Runs: every store_open starts a run (a row of the runs table); the sensor rows, anomalies and
 * alarm changes it writes carry its id, so runs that record the same plant times never collide.
 *
 * Time policy: a live run (run.live) prunes raw samples older than retain_raw_s counted from the
 * wall clock; a simulated run counts from its newest plant time, never ahead of the wall clock.
 * A sample already older than that cutoff when its batch is written is refused and counted as
 * too_old, so nothing is counted as written and then pruned at the same commit.
 *
 * Failures: a full disk, a read-only file or an I/O error never stop the program: the status says
 * "recording stopped: <reason>", what arrives meanwhile is counted as dropped, and the writer
 * retries every retry_ms until the file takes writes again.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "engine.h"

/* Current schema version, kept in PRAGMA user_version. */
#define STORE_SCHEMA_VERSION 7
/* Raw samples are keyed by (ts_ms << STORE_SENSOR_BITS) | sensor id. */
#define STORE_SENSOR_BITS 14
#define STORE_SENSOR_MAX ((1 << STORE_SENSOR_BITS) - 1)

/* What a run records, for the runs table; the strings are copied by store_open. */
struct store_run_info {
    const char *source;   /* "demo", "mqtt", "replay" (NULL: "demo") */
    const char *scenario; /* NULL: "" */
    uint64_t seed;
    double speed;        /* plant seconds per wall second; <= 0: as fast as possible */
    const char *catalog; /* NULL: "" */
    bool live;           /* plant time is the wall clock (an MQTT feed) */
    int64_t resume;      /* > 0: go on recording this run if the file has it (the MQTT journal of
                            a killed recorder), else a new one */
};

struct store_options {
    double retain_raw_s;     /* raw samples older than this are pruned; 0: keep forever */
    double retain_rollups_s; /* rollup buckets older than this are pruned; 0: keep forever */
    int commit_ms;           /* longest time between commits (0: 500); kill -9 loses at most this */
    size_t queue_capacity;   /* samples the sink may hold before it drops (0: 1 << 19) */
    int retry_ms;            /* wait before retrying a stopped recording (0: 2000) */
    int64_t max_db_bytes;    /* cap on the file size, as PRAGMA max_page_count (0: none) */
    bool block_when_full;    /* the sink waits instead of dropping (--speed max runs) */
    bool must_open;          /* a file that cannot be opened for writing now is an error (NULL),
                                except a full disk: recording mode refuses to start without it */
    struct store_run_info run;
};

struct store_status {
    bool enabled;     /* false with --no-db (store NULL) */
    bool recording;   /* false while stopped */
    char reason[160]; /* why recording stopped; "" while recording */
    uint64_t written; /* samples committed to the file */
    uint64_t dropped; /* samples lost: sink queue full, or arrived while stopped */
    uint64_t queued;  /* samples waiting for the writer */
    uint64_t events_written;
    uint64_t events_dropped;
    uint64_t duplicates;    /* samples ignored because (machine, sensor, ts) was already stored */
    uint64_t pruned;        /* raw samples removed by retention */
    uint64_t too_old;       /* samples refused: older than the retention when they arrived */
    int64_t run_id;         /* this recording's runs.id, 0 until the file first opened */
    int64_t last_commit_ms; /* wall clock of the newest commit, 0 before the first */
    char path[1024];
};

struct store;

/* Fills the defaults (retention 7 d / 400 d, commit every 500 ms). */
void store_options_default(struct store_options *opt);

/* Opens (creating, migrating) the database at path and starts the writer thread. The catalog
 * must outlive the store. Creates the file's folder when missing. A file that cannot be written
 * now (read-only, full) still gives a store, in the stopped state, unless opt->must_open (then only
 * a full disk does). Returns NULL with the reason in err when the file is not a twintop database,
 * has a newer schema, cannot be opened (must_open), or memory runs out. */
struct store *store_open(const char *path, const struct store_options *opt,
                         const struct catalog *cat, char *err, size_t errlen);

/* The engine sink that records samples and anomaly events (engine_add_sink). */
struct engine_sink store_sink(struct store *st);

/* Writes everything queued, commits, stops the thread and closes the file. NULL is fine. */
void store_close(struct store *st);

/* Counters and state; st may be NULL (enabled = false). Any thread. */
void store_status(struct store *st, struct store_status *out);

/* One line for the header / headless JSON: "rec 12345", "recording stopped: <reason>", "no db". */
void store_status_text(const struct store_status *s, char *buf, size_t len);

/* Writes the status as JSON members for the headless status line (a headless_extra writer):
 * ,"db":{"recording":true,"reason":"","run":N,"written":N,"dropped":N,"queued":N,"too_old":N}. ctx
 * is the store (NULL: "recording":false,"reason":"no db"). */
void store_status_json(void *ctx, char *out, size_t len);

/* Waits until every sample handed to the sink so far is committed (or dropped). Returns 0, or -1
 * after timeout_ms. For tests, benchmarks and the export key. */
int store_flush(struct store *st, int timeout_ms);

/* Samples (counted in sink order) taken by commits that succeeded, as long as none has failed:
 * every sample before this count is in the file or was refused. After a failed commit it stops
 * growing for the rest of the run, so the MQTT journal keeps what that batch lost. Any thread. */
uint64_t store_committed(struct store *st);

/* Changes the file size cap (0: none); the writer applies it before its next transaction. */
void store_set_max_db_bytes(struct store *st, int64_t max_bytes);

/* Creates or migrates the schema of the file at path up to version (1..STORE_SCHEMA_VERSION).
 * Tests build files of older versions with it. Returns 0 or -1 with the reason in err. */
int store_init_schema(const char *path, int version, char *err, size_t errlen);

struct sqlite3;
/* Same, on an open connection (used by the filtered SQLite export). */
int store_schema_apply(struct sqlite3 *db, int version, char *err, size_t errlen);

/* Names of the rollup windows, as stored in rollups.window: "1min", "5min", "1hour". */
#define STORE_WINDOWS 3
extern const char *const store_window_names[STORE_WINDOWS];
extern const int64_t store_window_ms[STORE_WINDOWS];
/* Index of a window name, or -1. */
int store_window_find(const char *name);

#endif
