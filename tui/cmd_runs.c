// SPDX-License-Identifier: MIT
/* `twintop runs`: the recordings in a history file, one row per run (a table or JSON lines).
 * Reads the file read-only, so it runs while another twintop keeps recording into it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "commands.h"
#include "config.h"
#include "json_escape.h"
#include "store_read.h"

static void runs_usage(FILE *f)
{
    fprintf(f, "usage: twintop runs [--db PATH] [--format table|jsonl]\n"
               "  --db PATH          history file (default $XDG_DATA_HOME/twintop/history.db)\n"
               "  --format F         table (default) or jsonl, one object per run\n"
               "  --help             this text\n");
}

/* "2026-11-22T10:00:00Z" or "-" for a time the run does not have. */
static void runs_time(int64_t ms, char *buf, size_t len)
{
    if (ms <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    clock_format_iso8601(ms, buf, len);
    char *dot = strchr(buf, '.');
    if (dot)
        snprintf(dot, len - (size_t)(dot - buf), "Z");
}

static int runs_print_table(void *ctx, const struct store_run *run)
{
    (void)ctx;
    char started[32], first[32], last[32], speed[24];
    runs_time(run->started_wall_ms, started, sizeof started);
    runs_time(run->first_ts_ms, first, sizeof first);
    runs_time(run->last_ts_ms, last, sizeof last);
    if (strcmp(run->source, "demo") != 0)
        snprintf(speed, sizeof speed, "-");
    else if (run->speed <= 0)
        snprintf(speed, sizeof speed, "max");
    else
        snprintf(speed, sizeof speed, "%g", run->speed);
    printf("%4lld  %-6s  %-10s  %6s  %-20s  %-20s  %-20s  %9lld\n", (long long)run->id, run->source,
           run->scenario[0] ? run->scenario : "-", speed, started, first, last,
           (long long)run->samples);
    return 0;
}

static int runs_print_json(void *ctx, const struct store_run *run)
{
    (void)ctx;
    char source[64], scenario[512], catalog[2048];
    json_escape(source, sizeof source, run->source);
    json_escape(scenario, sizeof scenario, run->scenario);
    json_escape(catalog, sizeof catalog, run->catalog);
    printf("{\"run\":%lld,\"source\":\"%s\",\"scenario\":\"%s\",\"seed\":%lld,\"speed\":%g,"
           "\"catalog\":\"%s\",\"started_wall_ms\":%lld,\"ended_wall_ms\":%lld,"
           "\"first_ts_ms\":%lld,\"last_ts_ms\":%lld,\"samples\":%lld}\n",
           (long long)run->id, source, scenario, (long long)run->seed, run->speed, catalog,
           (long long)run->started_wall_ms, (long long)run->ended_wall_ms,
           (long long)run->first_ts_ms, (long long)run->last_ts_ms, (long long)run->samples);
    return 0;
}

static int runs_parse(int argc, char **argv, char *db, size_t dblen, bool *json, bool *help)
{
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(word, "--help") == 0) {
            *help = true;
        } else if ((strcmp(word, "--db") == 0 || strcmp(word, "--format") == 0) && value) {
            if (word[2] == 'd')
                snprintf(db, dblen, "%s", value);
            else if (strcmp(value, "jsonl") == 0 || strcmp(value, "table") == 0)
                *json = value[0] == 'j';
            else {
                fprintf(stderr, "twintop runs: --format: '%s' is not table or jsonl\n", value);
                return -1;
            }
            i++;
        } else {
            fprintf(stderr, "twintop runs: unknown or incomplete option '%s' (see --help)\n", word);
            return -1;
        }
    }
    return 0;
}

int cmd_runs(int argc, char **argv)
{
    char db[CONFIG_PATH_MAX], err[1024];
    bool json = false, help = false;
    config_default_db_path(db, sizeof db);
    if (runs_parse(argc, argv, db, sizeof db, &json, &help) != 0)
        return 2;
    if (help) {
        runs_usage(stdout);
        return 0;
    }
    struct store_reader *r = store_read_open(db, err, sizeof err);
    if (!r) {
        fprintf(stderr, "twintop runs: %s\n", err);
        return 1;
    }
    if (!json)
        printf("%4s  %-6s  %-10s  %6s  %-20s  %-20s  %-20s  %9s\n", "RUN", "SOURCE", "SCENARIO",
               "SPEED", "STARTED", "FIRST SAMPLE", "LAST SAMPLE", "SAMPLES");
    int rc = store_read_runs(r, json ? runs_print_json : runs_print_table, NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "twintop runs: %s\n", err);
    store_read_close(r);
    return rc < 0 ? 1 : 0;
}
