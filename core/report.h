// SPDX-License-Identifier: MIT
#ifndef TWINTOP_REPORT_H
#define TWINTOP_REPORT_H
/*
 * Maintenance reports from the history database: per machine availability by state (the
 * machine_status minutes), alarms by priority and the top conditions, anomaly events, health at
 * start and end and its trend, RUL now, sensors whose 5-minute means left their normal band, the
 * plan's actions recommended and done; the plant rolled up with the alarm KPIs (ISA-18.2: rate
 * per 10 minutes, share of 10-minute periods in flood); recommendations as sentences with their
 * evidence. Built as one JSON document, then written as JSON, Markdown or CSV.
 *
 * Threads: any; each call opens its own read-only SQLite connection.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "catalog.h"

struct report_options {
    const char *db_path;
    int64_t from_ms, to_ms;    /* plant time [from, to); both 0: see report_parse_period */
    const char *machine_id;    /* NULL or "": every machine */
    const struct catalog *cat; /* normal bands; NULL: sensors are not judged */
};

/* Parses "24h", "7d", "30d", "90d", "365d" (any duration ending at the newest record) or
 * "FROM..TO" (ISO-8601 dates or times, UTC). *span_ms gets the duration for the first form (and
 * from/to 0), from/to for the second (span 0). Returns 0, or -1 with a message. */
int report_parse_period(const char *text, int64_t *span_ms, int64_t *from_ms, int64_t *to_ms,
                        char *err, size_t errlen);

/* The newest plant time recorded in the file (status minutes, else samples); 0 when empty.
 * Returns 0, or -1 with a message when the file cannot be read. */
int report_newest_ms(const char *db_path, int64_t *newest_ms, char *err, size_t errlen);

/* The report as a JSON text (malloc'd), or NULL with a message (file unreadable, schema older
 * than 5, unknown machine). */
char *report_build_json(const struct report_options *opt, char *err, size_t errlen);

/* Writes the report (JSON text from report_build_json) as "md", "csv" or "json". Returns 0, or
 * -1 with a message when format is unknown or the text is not a report. */
int report_write(FILE *out, const char *json, const char *format, char *err, size_t errlen);

#endif
