// SPDX-License-Identifier: MIT
#ifndef TWINTOP_STORE_EXPORT_H
#define TWINTOP_STORE_EXPORT_H
/*
 * Exporting recorded history to CSV / JSON lines / an SQLite copy, through a reader opened with
 * store_read_open (store_read.h).
 *
 * Threads: as the reader's: one thread at a time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "store_read.h"

enum store_format { STORE_FORMAT_CSV, STORE_FORMAT_JSONL, STORE_FORMAT_SQLITE };

/* Writes the rows the query selects as CSV (with a header) or JSON lines, in time order.
 * Returns the rows written, or -1 with the reason in err (errno EPIPE when out was a closed pipe).
 */
long long store_export_write(struct store_reader *r, const struct store_query *q,
                             enum store_format format, FILE *out, char *err, size_t errlen);

/* Writes a consistent SQLite copy to out_path (which must not exist): VACUUM INTO for a whole
 * file, a filtered copy in one read transaction otherwise. Returns 0 or -1 with err. */
int store_export_copy(struct store_reader *r, const struct store_query *q, const char *out_path,
                      char *err, size_t errlen);

/* Formats ms since the epoch as "2026-11-22T10:00:00.250Z" (25 bytes with the NUL). */
void store_export_format_time(int64_t ms, char *buf, size_t len);

/* Exports one machine's samples in [since_ms, until_ms) to out_path as CSV: the console's `e`.
 * Returns the rows written, or -1 with err. */
long long store_export_machine_csv(const char *db_path, const char *machine_id, int64_t since_ms,
                                   int64_t until_ms, const char *out_path, char *err,
                                   size_t errlen);

#endif
