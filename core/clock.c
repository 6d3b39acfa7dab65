// SPDX-License-Identifier: MIT
/* Clocks, sleeping and the ISO-8601 and duration formats: one copy for the whole program. */
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double clock_monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t clock_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_sleep_ms(int ms, volatile sig_atomic_t *stop)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !(stop && *stop))
        ;
}

static int clock_digits(const char **p, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    *p += digits;
    *out = v;
    return 0;
}

/* Milliseconds of a ".fff" or ",fff" fraction (digits past the third are ignored). */
static int clock_fraction(const char **p, int *frac_ms)
{
    if (**p != '.' && **p != ',')
        return 0;
    (*p)++;
    int scale = 100, ndig = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++, ndig++) {
        *frac_ms += (**p - '0') * scale;
        scale /= 10;
    }
    return ndig ? 0 : -1;
}

static int clock_zone(const char **p, int *offset_min)
{
    *offset_min = 0;
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        return 0;
    }
    if (**p != '+' && **p != '-')
        return 0;
    int sign = *(*p)++ == '-' ? -1 : 1, oh, om = 0;
    if (clock_digits(p, 2, &oh))
        return -1;
    if (**p == ':')
        (*p)++;
    if (**p && clock_digits(p, 2, &om))
        return -1;
    if (oh > 23 || om > 59)
        return -1;
    *offset_min = sign * (oh * 60 + om);
    return 0;
}

/* The fields after the date: "hh:mm:ss[.fff]", or with partial "hh:mm" or nothing at all. */
static int clock_time_of_day(const char **p, bool partial, int *hour, int *min, int *sec,
                             int *frac_ms)
{
    if (**p != 'T' && **p != 't' && **p != ' ')
        return partial && **p == '\0' ? 0 : -1;
    (*p)++;
    if (clock_digits(p, 2, hour) || *(*p)++ != ':' || clock_digits(p, 2, min))
        return -1;
    if (partial && **p != ':')
        return 0;
    if (*(*p)++ != ':' || clock_digits(p, 2, sec))
        return -1;
    return clock_fraction(p, frac_ms);
}

/* Days in a month of the proleptic Gregorian calendar: 2026-02-30 is refused, not rolled over. */
static int clock_month_days(int year, int mon)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon == 2 && leap ? 29 : days[mon - 1];
}

static int clock_parse(const char *text, bool partial, int64_t *ms)
{
    const char *p = text;
    int year, mon, day, hour = 0, min = 0, sec = 0, frac_ms = 0, offset_min;
    if (clock_digits(&p, 4, &year) || *p++ != '-' || clock_digits(&p, 2, &mon) || *p++ != '-' ||
        clock_digits(&p, 2, &day))
        return -1;
    if (clock_time_of_day(&p, partial, &hour, &min, &sec, &frac_ms) ||
        clock_zone(&p, &offset_min) || *p != '\0')
        return -1;
    /* No leap second: epoch time has none, and a "60" would alias the next minute's first. */
    if (mon < 1 || mon > 12 || day < 1 || day > clock_month_days(year, mon) || hour > 23 ||
        min > 59 || sec > 59)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = min,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    *ms = (int64_t)t * 1000 + frac_ms - (int64_t)offset_min * 60000;
    return 0;
}

int clock_parse_iso8601(const char *text, int64_t *ms)
{
    return clock_parse(text, false, ms);
}

int clock_parse_iso8601_partial(const char *text, int64_t *ms)
{
    return clock_parse(text, true, ms);
}

void clock_format_iso8601(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int clock_parse_duration(const char *text, double *seconds)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            *seconds = v * units[i].scale;
            return 0;
        }
    return -1;
}
