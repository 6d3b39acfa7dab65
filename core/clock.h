// SPDX-License-Identifier: MIT
#ifndef TWINTOP_CLOCK_H
#define TWINTOP_CLOCK_H
/*
 * The one home for time: the wall and monotonic clocks, an interruptible sleep, and the
 * ISO-8601 and duration formats every module parses and prints (htop's gettime.c pattern).
 * Thread-safe: no state.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Wall-clock time (CLOCK_REALTIME) in milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

/* Monotonic time (CLOCK_MONOTONIC) in seconds; only differences mean anything. */
double clock_monotonic_s(void);

/* Monotonic time in milliseconds; only differences mean anything. */
int64_t clock_monotonic_ms(void);

/* Sleeps ms milliseconds, resuming after signals until *stop (may be NULL) becomes nonzero. */
void clock_sleep_ms(int ms, volatile sig_atomic_t *stop);

/* Parses ISO-8601 "YYYY-MM-DD[T ]hh:mm:ss[.fff][Z|±hh[:mm]]" (no zone means UTC) into epoch
 * ms. Returns 0, or -1 when malformed. */
int clock_parse_iso8601(const char *text, int64_t *ms);

/* As clock_parse_iso8601, but the time of day may be "hh:mm" or absent (midnight): for times
 * a person types on the command line, like --since 2026-11-22. */
int clock_parse_iso8601_partial(const char *text, int64_t *ms);

/* Formats epoch ms as "YYYY-MM-DDThh:mm:ss.fffZ" (UTC) into out (at least 25 bytes). */
void clock_format_iso8601(int64_t ms, char *out, size_t len);

/* Parses "90s", "15m", "24h", "7d", "1500ms" or a bare number of seconds. -1 when malformed. */
int clock_parse_duration(const char *text, double *seconds);

#endif
