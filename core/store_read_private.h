// SPDX-License-Identifier: MIT
#ifndef TWINTOP_STORE_READ_PRIVATE_H
#define TWINTOP_STORE_READ_PRIVATE_H
/*
 * The reader's insides, shared by store_read.c and store_export.c only (like SQLite's
 * btreeInt.h): nothing else includes this file. The CSV and JSON prefixes of each sensor are
 * built once when the names load, so an export writes them with one memcpy per row.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct store_query;

struct reader_machine {
    char *id;
    char *type;
    char *area, *line; /* "" before schema 7 */
};

struct reader_sensor {
    int machine; /* index into machines; -1: no such sensor id */
    int64_t run; /* runs.id (1 in files before runs) */
    char *name;
    bool is_text;
    char *csv;  /* ",machine,sensor," (quoted where needed) */
    char *json; /* "\",\"machine_id\":\"...\",\"sensor\":\"...\"," */
};

struct store_reader {
    struct sqlite3 *db;
    char path[1024];
    int version;
    int64_t run; /* the run the last check resolved; STORE_RUN_ALL: every run */
    int64_t run_first_ms, run_end_ms; /* its plant-time span [first, end); 0/0: unknown */
    int machine_count;
    struct reader_machine *machines;
    int sensor_cap; /* sensors[0..sensor_cap) indexed by sensors.id */
    struct reader_sensor *sensors;
};

/* Machine and sensor names, read inside the caller's read transaction. */
int store_read_load_names(struct store_reader *r, char *err, size_t errlen);
/* Resolves the query's run into r->run (and its span), then: -1 with "no run N" or "unknown
 * machine/sensor ..." in err when the query names one the file lacks. */
int store_read_check_names(struct store_reader *r, const struct store_query *q, char *err,
                           size_t errlen);
/* Sensor ids the query selects: allow[id]; NULL when it selects every sensor (or *oom). */
bool *store_read_allowed(const struct store_reader *r, const struct store_query *q, bool *oom);
/* The raw_samples key range [lo, hi) of the query's time range, within the checked run's span. */
void store_read_key_range(const struct store_reader *r, const struct store_query *q, int64_t *lo,
                          int64_t *hi);
/* After a forward scan of raw_samples [lo, hi) whose last row was next - 1 (next = lo: none):
 * 1 with "PATH: database disk image is malformed (...)" in err when the file still holds a key
 * in [next, hi), 0 when not, -1 with SQLite's words on error. */
int store_read_scan_short(struct store_reader *r, int64_t next, int64_t hi, char *err,
                          size_t errlen);
bool store_read_machine_chosen(const struct store_query *q, const char *id);
/* Writes s as one CSV field (quoted when it holds a separator, a quote or a line break) to dst
 * unless NULL; returns its length. */
size_t store_read_csv_field(char *dst, const char *s);

#endif
