// SPDX-License-Identifier: MIT
/* `twintop replay`: recorded samples, in time order and paced by --speed, drive the engine and
 * the console (or the headless printer) again. Detection and alarms are re-evaluated from the
 * replayed data; the file is opened read-only and nothing is written to it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarm.h"
#include "catalog.h"
#include "commands.h"
#include "config.h"
#include "engine.h"
#include "headless.h"
#include "queue.h"
#include "store_export.h"
#include "store_read.h"
#include "store_replay.h"
#include "tui.h"
#include "clock.h"

#define REPLAY_QUEUE (1u << 18)

struct replay {
    struct config cfg;
    struct catalog *cat;
    struct store_replay *player;
    struct store_query query;
    struct queue *queue;
    struct engine *engine;
    struct alarm_manager *alarms; /* re-evaluated from the replay; never stored */
};

static volatile sig_atomic_t replay_stop;

static void replay_on_signal(int sig)
{
    (void)sig;
    replay_stop = 1;
}

static void player_toggle(void *ctx)
{
    struct replay *r = ctx;
    store_replay_toggle_pause(r->player);
    engine_set_speed(r->engine,
                     store_replay_paused(r->player) ? 1e-9 : store_replay_speed(r->player));
}

static bool player_paused(void *ctx)
{
    struct replay *r = ctx;
    return store_replay_paused(r->player);
}

static void player_scale(void *ctx, double factor)
{
    struct replay *r = ctx;
    double s = store_replay_scale_speed(r->player, factor);
    if (!store_replay_paused(r->player))
        engine_set_speed(r->engine, s);
}

static void replay_extra(void *ctx, char *out, size_t len)
{
    struct replay *r = ctx;
    char clock[32];
    store_export_format_time(store_replay_clock(r->player), clock, sizeof clock);
    snprintf(out, len,
             ",\"replay\":{\"clock\":\"%s\",\"rows\":%llu,\"skipped\":%llu,\"done\":%s,"
             "\"paused\":%s,\"speed\":%g}",
             clock, (unsigned long long)store_replay_rows(r->player),
             (unsigned long long)store_replay_skipped(r->player),
             store_replay_done(r->player) ? "true" : "false",
             store_replay_paused(r->player) ? "true" : "false", store_replay_speed(r->player));
}

/* The alarm banner as JSON, as the live headless run prints it. */
static void replay_alarms_json(void *ctx, char *out, size_t len)
{
    struct alarm_banner b;
    alarm_get_banner(ctx, &b);
    int unacked = 0, active = 0;
    for (int p = 0; p < ALARM_PRIO_COUNT; p++) {
        unacked += b.unacked[p];
        active += b.active[p];
    }
    snprintf(out, len, ",\"alarms\":{\"active\":%d,\"unacked\":%d}", active, unacked);
}

static int replay_headless(struct replay *r)
{
    struct headless *h = headless_create(stdout, r->cat, r->engine);
    if (!h)
        return 1;
    struct headless_extra extra = {r, replay_extra};
    headless_add_extra(h, &extra);
    struct headless_extra alarms = {r->alarms, replay_alarms_json};
    headless_add_extra(h, &alarms);
    double start = (clock_monotonic_s() * 1000.0), next = start + r->cfg.status_interval_ms;
    while (!replay_stop) {
        if (store_replay_done(r->player) && queue_length(r->queue) == 0)
            break;
        if ((clock_monotonic_s() * 1000.0) >= next) {
            headless_status(h, ((clock_monotonic_s() * 1000.0) - start) / 1000.0, false);
            next += r->cfg.status_interval_ms;
        }
        clock_sleep_ms(20, &replay_stop);
    }
    queue_close(r->queue);
    engine_stop(r->engine);
    headless_status(h, ((clock_monotonic_s() * 1000.0) - start) / 1000.0, true);
    headless_destroy(h);
    return 0;
}

static int replay_console(struct replay *r)
{
    struct tui_context ctx = {
        .cfg = &r->cfg,
        .cat = r->cat,
        .engine = r->engine,
        .player = {r, player_toggle, player_paused, player_scale},
        .stop = (volatile int *)&replay_stop,
        .alarms = r->alarms,
    };
    return tui_run(&ctx) == 0 ? 0 : 1;
}

/* --since, --until, --run and --all-runs are replay's own; everything else is a common option
 * (config.c). */
static int replay_args(int argc, char **argv, char **rest, int *rest_count, const char **since,
                       const char **until, const char **run, char *err, size_t errlen)
{
    *rest_count = 0;
    rest[(*rest_count)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        const char *word = argv[i];
        if (strcmp(word, "--all-runs") == 0) {
            *run = "all";
            continue;
        }
        size_t n = strncmp(word, "--since", 7) == 0 ? 7 : strncmp(word, "--until", 7) == 0 ? 7 : 0;
        if (strncmp(word, "--run", 5) == 0 && (word[5] == '\0' || word[5] == '='))
            n = 5;
        if (n && (word[n] == '\0' || word[n] == '='))
            slot = n == 5 ? run : word[2] == 's' ? since : until;
        if (!slot) {
            rest[(*rest_count)++] = argv[i];
            continue;
        }
        if (word[n] == '=')
            *slot = word + n + 1;
        else if (i + 1 < argc)
            *slot = argv[++i];
        else {
            snprintf(err, errlen, "%s needs a time", word);
            return -1;
        }
    }
    rest[*rest_count] = NULL;
    return 0;
}

static void replay_usage(void)
{
    printf("usage: twintop replay [--db PATH] [--speed X|max] [--since T] [--until T]"
           " [--run ID | --all-runs] [--headless]"
           "\n  --since T, --until T  ISO-8601, epoch ms, now, or relative to the newest sample"
           " (-2h)\n  --run ID              this run (default: the latest); --all-runs: every run"
           "\n  p pauses, + and - change the speed; common options follow.\n\n");
    config_print_help("twintop");
}

static void replay_close(struct replay *r)
{
    store_replay_close(r->player); /* stops the producer first: it pushes to the queue */
    if (r->queue)
        queue_close(r->queue);
    if (r->engine) {
        engine_stop(r->engine);
        engine_destroy(r->engine);
    }
    alarm_manager_destroy(r->alarms);
    queue_destroy(r->queue);
    catalog_free(r->cat);
}

static int replay_open(struct replay *r, const char *since, const char *until, const char *run,
                       char *err, size_t errlen)
{
    store_read_query_default(&r->query);
    char why[256];
    if (run && strcmp(run, "all") == 0)
        r->query.run = STORE_RUN_ALL;
    else if (run && store_read_parse_run(run, &r->query.run, why, sizeof why) != 0) {
        snprintf(err, errlen, "--run: %s", why);
        return 2;
    }
    r->player = store_replay_open(r->cfg.db_path, err, errlen);
    if (!r->player)
        return 1;
    int64_t oldest, newest;
    store_replay_range(r->player, r->query.run, &oldest, &newest);
    if (since && store_read_parse_time(since, newest, &r->query.since_ms, why, sizeof why) != 0) {
        snprintf(err, errlen, "--since: %s", why);
        return 2;
    }
    if (until && store_read_parse_time(until, newest, &r->query.until_ms, why, sizeof why) != 0) {
        snprintf(err, errlen, "--until: %s", why);
        return 2;
    }
    if (!newest) {
        snprintf(err, errlen, "%s: nothing recorded to replay", r->cfg.db_path);
        return 1;
    }
    r->cat = catalog_load(r->cfg.catalog, err, errlen);
    if (!r->cat)
        return 2;
    catalog_set_max_machines(r->cat, r->cfg.max_machines + catalog_machine_count(r->cat));
    r->queue = queue_create(REPLAY_QUEUE);
    struct engine_options eo = {.history_len = 1024, .mode = "REPLAY"};
    if (r->queue)
        r->engine = engine_create(r->cat, r->queue, &eo, err, errlen);
    if (!r->engine) {
        if (!r->queue)
            snprintf(err, errlen, "out of memory");
        return 1;
    }
    r->alarms = alarm_manager_create(r->cat, 0, err, errlen);
    if (!r->alarms)
        return 1;
    engine_set_alarms(r->engine, r->alarms);
    engine_set_speed(r->engine, r->cfg.speed > 0 ? r->cfg.speed : 0);
    return 0;
}

int cmd_replay(int argc, char **argv)
{
    static struct replay r;
    memset(&r, 0, sizeof r);
    char err[1024] = "";
    const char *since = NULL, *until = NULL, *run = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int rest_count;
    if (!rest)
        return 1;
    config_defaults(&r.cfg, argv[0]);
    int rc = replay_args(argc, argv, rest, &rest_count, &since, &until, &run, err, sizeof err);
    for (int i = 1; rc == 0 && i < rest_count; i++)
        if (strcmp(rest[i], "--help") == 0) {
            replay_usage();
            free(rest);
            return 0;
        }
    if (rc == 0)
        rc = config_parse_args(&r.cfg, rest_count, rest, 1, err, sizeof err);
    free(rest);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "twintop replay: %s\n", err);
        return rc < 0 ? 2 : 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = replay_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    rc = replay_open(&r, since, until, run, err, sizeof err);
    if (rc == 0 && engine_start(r.engine) != 0) {
        snprintf(err, sizeof err, "cannot start the engine");
        rc = 1;
    }
    if (rc == 0 &&
        store_replay_start(r.player, &r.query, r.cat, r.queue, r.cfg.speed, err, sizeof err) != 0)
        rc = 1;
    if (rc) {
        fprintf(stderr, "twintop replay: %s\n", err);
        replay_close(&r);
        return rc;
    }
    rc = r.cfg.headless ? replay_headless(&r) : replay_console(&r);
    if (store_replay_error(r.player)[0]) {
        fprintf(stderr, "twintop replay: %s\n", store_replay_error(r.player));
        rc = 1;
    }
    replay_close(&r);
    return rc;
}
