// SPDX-License-Identifier: MIT
#ifndef TWINTOP_STORE_READ_H
#define TWINTOP_STORE_READ_H
/*
 * Reading recorded history: time-ordered iteration for replay, rollup series for charts (the
 * exports, store_export.h, read through the same reader). The file is opened read-only: reading
 * never modifies it, and a reader sees one consistent snapshot per call while another process
 * keeps recording.
 *
 * Threads: a reader is used by one thread at a time (it may be handed over).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_QUERY_MAX 32

struct store_query {
    const char *machines[STORE_QUERY_MAX]; /* machine ids; none: all */
    int machine_count;
    const char *sensors[STORE_QUERY_MAX]; /* sensor names; none: all */
    int sensor_count;
    int64_t since_ms; /* inclusive; INT64_MIN: from the start */
    int64_t until_ms; /* exclusive; INT64_MAX: to the end */
    int rollup;       /* -1: raw samples; else a window index (store_window_find) */
    bool alarms;      /* the alarm log (alarm_actions) instead of samples */
    int64_t run;      /* runs.id; 0: the latest run; STORE_RUN_ALL: every run */
};

#define STORE_RUN_ALL (-1)

/* One row of the runs table (store.h); strings live as long as the callback. */
struct store_run {
    int64_t id;
    const char *source; /* "demo", "mqtt", "replay", "legacy" */
    const char *scenario;
    int64_t seed;
    double speed;
    const char *catalog;
    int64_t started_wall_ms, ended_wall_ms;
    int64_t first_ts_ms, last_ts_ms; /* plant-time span; 0/0 when nothing was recorded */
    int64_t samples;
};

/* One recorded sample, as replay sees it. Strings live until the callback returns. */
struct store_row {
    int64_t ts_ms;
    int sensor_id; /* sensors.id in the file: a stable key for caching the name lookups */
    const char *machine_id;
    const char *machine_type;
    const char *machine_area, *machine_line; /* where it stood ("": not recorded) */
    const char *sensor;
    bool is_text;
    double value; /* NAN when stored as NULL */
    const char *text;
};

struct store_reader;

void store_read_query_default(struct store_query *q);

/* Opens path read-only. NULL with "PATH: why" in err (missing, unreadable, not a twintop file). */
struct store_reader *store_read_open(const char *path, char *err, size_t errlen);
void store_read_close(struct store_reader *r);

/* Calls fn for every run, oldest first, until fn returns non-zero (returned). A file from before
 * runs has one legacy run. Returns 0, or -1 with err. */
int store_read_runs(struct store_reader *r, int (*fn)(void *ctx, const struct store_run *run),
                    void *ctx, char *err, size_t errlen);

/* The id of the newest run (1 for a file from before runs), 0 when the file has none. */
int64_t store_read_latest_run(struct store_reader *r);

/* The plant-time span of a run (0: the latest; STORE_RUN_ALL: the whole file), 0/0 when it
 * recorded nothing. "-1h" for export and replay counts back from this newest. */
void store_read_run_span(struct store_reader *r, int64_t run, int64_t *oldest_ms,
                         int64_t *newest_ms);

/* Parses a --run value: a run id (1, 2, ...). Returns 0, or -1 with the reason in err. */
int store_read_parse_run(const char *text, int64_t *run, char *err, size_t errlen);

/* Time of the newest / oldest raw sample, 0 when there is none. */
int64_t store_read_newest_ms(struct store_reader *r);
int64_t store_read_oldest_ms(struct store_reader *r);

/* Checks the query's run (0 resolves to the latest; an unknown id is refused), machine and
 * sensor names: -1 with "no run N in PATH", or "unknown machine 'X' in PATH; known:
 * A, B, ..." (or the sensors of the chosen machines) in err. */
int store_read_check(struct store_reader *r, const struct store_query *q, char *err, size_t errlen);

/* Calls fn for every raw sample the query selects, in time order, until fn returns non-zero
 * (which is returned). Returns 0 at the end, or -1 with err. */
int store_read_each(struct store_reader *r, const struct store_query *q,
                    int (*fn)(void *ctx, const struct store_row *row), void *ctx, char *err,
                    size_t errlen);

/* Up to max rollup points (bucket start, mean, min, max) of one sensor, oldest first; for the
 * detail view's 1 h / 24 h charts. Returns the count, or -1. */
int store_read_rollup_series(struct store_reader *r, const char *machine_id, const char *sensor,
                             int window, int64_t since_ms, int64_t until_ms, int64_t *ts_ms,
                             double *mean, double *min, double *max, int max_points);

/* Parses a time for --since / --until: ISO-8601 ("2026-11-22T10:00:00.250Z", "2026-11-22 10:00",
 * "2026-11-22", with Z or +hh:mm), milliseconds since the epoch, "now", or relative to the
 * newest recorded sample ("-2h", "-30m", "-7d"). Returns 0, or -1 with the reason in err. */
int store_read_parse_time(const char *text, int64_t newest_ms, int64_t *out_ms, char *err,
                          size_t errlen);

#endif
