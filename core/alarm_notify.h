// SPDX-License-Identifier: MIT
#ifndef TWINTOP_ALARM_NOTIFY_H
#define TWINTOP_ALARM_NOTIFY_H
/*
 * The notify hook (--notify-cmd PATH): for every new or escalated high/critical alarm, and when
 * such an alarm clears, runs PATH with no shell (fork + execve) and the alarm as one line of
 * JSON on its standard input. The command also gets TWINTOP_ALARM_ID, TWINTOP_ALARM_MACHINE,
 * TWINTOP_ALARM_CONDITION, TWINTOP_ALARM_PRIORITY, TWINTOP_ALARM_STATE and
 * TWINTOP_ALARM_CHANGE in its environment; its stdout and stderr go to /dev/null.
 *
 * Threads: the listener registered on the alarm manager runs under the manager's lock (on the
 * engine or UI thread) and only applies the rate limit and copies the alarm into a bounded
 * queue. A notify thread of its own runs the commands one at a time; a command that is still
 * running after timeout_ms is killed. Failures, time-outs, drops and rate-limited alarms are
 * counted and logged through opt.log (called on the notify thread) and kept as last_error.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "alarm.h"

struct notify_options {
    const char *command; /* absolute or relative path of an executable; required */
    int timeout_ms;      /* kill the command after this (0: 10000) */
    int max_per_minute;  /* rate limit over all alarms (0: 10) */
    int queue_capacity;  /* pending notifications (0: 64) */
    /* Optional log line sink ("notify: PATH: exit status 3 for PUMP_001 flow_m3h:lo"). */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
};

struct notify_stats {
    uint64_t queued;       /* accepted for running */
    uint64_t run;          /* commands that exited with status 0 */
    uint64_t failed;       /* could not start, or exited non-zero or by a signal */
    uint64_t timed_out;    /* killed after timeout_ms */
    uint64_t dropped;      /* queue full */
    uint64_t rate_limited; /* over max_per_minute */
    char last_error[200];
};

struct notify;

/* Checks that the command exists and is executable. NULL with "PATH: what" in err. */
struct notify *notify_create(const struct notify_options *opt, char *err, size_t errlen);
/* Listens to m and starts the notify thread. Returns 0 or -1 with a message in err. */
int notify_attach(struct notify *n, struct alarm_manager *m, char *err, size_t errlen);
/* Whether a change is notified: raise or escalate of an annunciated high/critical alarm, and
 * the clear of a high/critical alarm. */
bool notify_wants(enum alarm_change what, const struct alarm_info *a);
/* Waits until every queued notification has run (tests, shutdown). */
void notify_flush(struct notify *n);
void notify_get_stats(struct notify *n, struct notify_stats *out);
/* Stops listening, lets the running command finish (or kills it at its time-out), drops what
 * is still queued and stops the thread. */
void notify_destroy(struct notify *n);

#endif
