// SPDX-License-Identifier: MIT
/* `twintop export`: recorded history to CSV, JSON lines or an SQLite copy. Reads the file
 * read-only, so it runs while another twintop keeps recording into it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "store.h"
#include "store_export.h"

struct export_args {
    char db[CONFIG_PATH_MAX];
    struct store_query q;
    const char *since, *until, *rollup, *format, *out, *run;
    bool help;
};

enum export_opt {
    OPT_DB,
    OPT_MACHINE,
    OPT_SENSOR,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_ROLLUP,
    OPT_ALARMS,
    OPT_FORMAT,
    OPT_OUT,
    OPT_RUN,
    OPT_ALL_RUNS,
    OPT_HELP
};

static const struct {
    const char *name;
    enum export_opt opt;
    const char *arg;
    const char *help;
} export_options[] = {
    {"db", OPT_DB, "PATH", "history file (default $XDG_DATA_HOME/twintop/history.db)"},
    {"machine", OPT_MACHINE, "ID", "only this machine (repeatable)"},
    {"sensor", OPT_SENSOR, "NAME", "only this sensor (repeatable)"},
    {"since", OPT_SINCE, "T", "from T: ISO-8601, epoch ms, now, or -2h (before the newest sample)"},
    {"until", OPT_UNTIL, "T", "up to T (exclusive), same forms"},
    {"rollup", OPT_ROLLUP, "W", "1min, 5min or 1hour rollups instead of raw samples"},
    {"alarms", OPT_ALARMS, NULL, "the alarm log (every alarm action) instead of samples"},
    {"format", OPT_FORMAT, "F", "csv (default), jsonl or sqlite"},
    {"out", OPT_OUT, "FILE", "write to FILE (default standard output; sqlite needs it)"},
    {"run", OPT_RUN, "ID", "only this run (default: the latest; twintop runs lists them)"},
    {"all-runs", OPT_ALL_RUNS, NULL, "every run instead of the latest"},
    {"help", OPT_HELP, NULL, "this text"},
};
#define EXPORT_OPTION_COUNT (sizeof export_options / sizeof export_options[0])

static void export_usage(FILE *f)
{
    fprintf(f, "usage: twintop export [options]\n");
    for (size_t i = 0; i < EXPORT_OPTION_COUNT; i++) {
        char left[40];
        snprintf(left, sizeof left, "--%s%s%s", export_options[i].name,
                 export_options[i].arg ? " " : "",
                 export_options[i].arg ? export_options[i].arg : "");
        fprintf(f, "  %-18s %s\n", left, export_options[i].help);
    }
}

static int export_parse(int argc, char **argv, struct export_args *a, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        if (strncmp(word, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s'", word);
            return -1;
        }
        char name[64];
        const char *value = NULL, *eq = strchr(word + 2, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - word - 2) : 63, word + 2);
        size_t k = 0;
        while (k < EXPORT_OPTION_COUNT && strcmp(export_options[k].name, name) != 0)
            k++;
        if (k == EXPORT_OPTION_COUNT) {
            snprintf(err, errlen, "unknown option --%s (see twintop export --help)", name);
            return -1;
        }
        if (export_options[k].arg) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else {
                snprintf(err, errlen, "--%s needs %s", name, export_options[k].arg);
                return -1;
            }
        } else if (eq) {
            snprintf(err, errlen, "--%s takes no value", name);
            return -1;
        }
        switch (export_options[k].opt) {
        case OPT_DB:
            snprintf(a->db, sizeof a->db, "%s", value);
            break;
        case OPT_MACHINE:
        case OPT_SENSOR: {
            bool m = export_options[k].opt == OPT_MACHINE;
            int *count = m ? &a->q.machine_count : &a->q.sensor_count;
            if (*count == STORE_QUERY_MAX) {
                snprintf(err, errlen, "at most %d --%s options", STORE_QUERY_MAX, name);
                return -1;
            }
            (m ? a->q.machines : a->q.sensors)[(*count)++] = value;
            break;
        }
        case OPT_SINCE:
            a->since = value;
            break;
        case OPT_UNTIL:
            a->until = value;
            break;
        case OPT_ROLLUP:
            a->rollup = value;
            break;
        case OPT_ALARMS:
            a->q.alarms = true;
            break;
        case OPT_FORMAT:
            a->format = value;
            break;
        case OPT_OUT:
            a->out = value;
            break;
        case OPT_RUN:
            a->run = value;
            if (store_read_parse_run(value, &a->q.run, err, errlen) != 0)
                return -1;
            break;
        case OPT_ALL_RUNS:
            a->q.run = STORE_RUN_ALL;
            break;
        case OPT_HELP:
            a->help = true;
            break;
        }
    }
    if (a->rollup && (a->q.rollup = store_window_find(a->rollup)) < 0) {
        snprintf(err, errlen, "--rollup: '%s' is not 1min, 5min or 1hour", a->rollup);
        return -1;
    }
    if (a->run && a->q.run == STORE_RUN_ALL) {
        snprintf(err, errlen, "--run and --all-runs exclude each other");
        return -1;
    }
    if (a->rollup && a->q.alarms) {
        snprintf(err, errlen, "--rollup and --alarms exclude each other");
        return -1;
    }
    return 0;
}

static int export_format(const char *name, enum store_format *f)
{
    static const char *const names[] = {"csv", "jsonl", "sqlite"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *f = (enum store_format)i;
            return 0;
        }
    return -1;
}

/* Text exports go to FILE.tmp and are renamed when complete: no half file under the name. */
static int export_text(struct store_reader *r, const struct export_args *a, enum store_format f,
                       char *err, size_t errlen)
{
    char tmp[CONFIG_PATH_MAX + 16];
    FILE *out = stdout;
    if (a->out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", a->out);
        out = fopen(tmp, "w");
        if (!out) {
            snprintf(err, errlen, "%s: %s", a->out, strerror(errno));
            return 1;
        }
    }
    long long rows = store_export_write(r, &a->q, f, out, err, errlen);
    if (rows < 0 && !a->out && errno == EPIPE)
        return 0; /* export | head: the reader had enough, nothing went wrong */
    if (a->out) {
        if (fclose(out) != 0 && rows >= 0) {
            snprintf(err, errlen, "%s: %s", a->out, strerror(errno));
            rows = -1;
        }
        if (rows >= 0 && rename(tmp, a->out) != 0) {
            snprintf(err, errlen, "%s: %s", a->out, strerror(errno));
            rows = -1;
        }
        if (rows < 0)
            unlink(tmp);
    }
    if (rows < 0)
        return 1;
    if (err[0])
        fprintf(stderr, "twintop export: %s\n", err);
    if (a->out)
        fprintf(stderr, "twintop export: %lld %s to %s\n", rows,
                a->q.alarms        ? "alarm actions"
                : a->q.rollup >= 0 ? "rollup rows"
                                   : "samples",
                a->out);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    struct export_args a;
    memset(&a, 0, sizeof a);
    store_read_query_default(&a.q);
    config_default_db_path(a.db, sizeof a.db);
    char err[2048] = "";
    if (export_parse(argc, argv, &a, err, sizeof err) != 0) {
        fprintf(stderr, "twintop export: %s\n", err);
        return 2;
    }
    if (a.help) {
        export_usage(stdout);
        return 0;
    }
    enum store_format f = STORE_FORMAT_CSV;
    if (a.format && export_format(a.format, &f) != 0) {
        fprintf(stderr, "twintop export: --format: '%s' is not csv, jsonl or sqlite\n", a.format);
        return 2;
    }
    if (f == STORE_FORMAT_SQLITE && !a.out) {
        fprintf(stderr, "twintop export: --format sqlite needs --out FILE\n");
        return 2;
    }
    if (f == STORE_FORMAT_SQLITE && (a.q.alarms || a.q.rollup >= 0)) {
        fprintf(stderr,
                "twintop export: an SQLite copy holds everything; drop --alarms/--rollup\n");
        return 2;
    }
    struct store_reader *r = store_read_open(a.db, err, sizeof err);
    if (!r) {
        fprintf(stderr, "twintop export: %s\n", err);
        return 1;
    }
    int64_t oldest, newest; /* "-1h" counts back from the chosen run's newest sample */
    store_read_run_span(r, a.q.run, &oldest, &newest);
    if ((a.since && store_read_parse_time(a.since, newest, &a.q.since_ms, err, sizeof err) != 0) ||
        (a.until && store_read_parse_time(a.until, newest, &a.q.until_ms, err, sizeof err) != 0)) {
        fprintf(stderr, "twintop export: --%s: %s\n",
                a.since && a.q.since_ms == INT64_MIN ? "since" : "until", err);
        store_read_close(r);
        return 2;
    }
    int rc;
    err[0] = '\0';
    if (f == STORE_FORMAT_SQLITE) {
        rc = store_export_copy(r, &a.q, a.out, err, sizeof err) == 0 ? 0 : 1;
        if (rc == 0)
            fprintf(stderr, "twintop export: consistent copy in %s\n", a.out);
    } else {
        rc = export_text(r, &a, f, err, sizeof err);
    }
    if (rc)
        fprintf(stderr, "twintop export: %s\n", err);
    store_read_close(r);
    return rc;
}
