// SPDX-License-Identifier: MIT
/*
 * twintop: command line, sub-commands and the live pipeline
 *   producers (simulator threads | MQTT) -> queue -> engine -> snapshot -> console | headless.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alarm.h"
#include "alarm_store.h"
#include "catalog.h"
#include "commands.h"
#include "config.h"
#include "detect_leadtime.h"
#include "engine.h"
#include "headless.h"
#include "journal.h"
#include "alarm_notify.h"
#include "mqtt.h"
#include "alarm_sync.h"
#include "maint.h"
#include "mqtt_publish.h"
#include "queue.h"
#include "sim.h"
#include "store.h"
#include "theme.h"
#include "tui.h"
#include "clock.h"

#define INGEST_QUEUE_SAMPLES (1u << 18)

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Everything one live run holds; torn down in reverse order of creation. */
struct app {
    struct config cfg;
    struct catalog *cat;
    struct queue *queue;
    struct engine *engine;
    struct simulator *sim;
    struct mqtt_feed *feed;           /* --mqtt: the producer instead of the simulator */
    struct mqtt_publisher *publisher; /* --publish */
    struct alarm_sync *alarm_sync;    /* one alarm list across consoles on the broker */
    struct headless *headless;
    struct detect_leadtime *leadtime; /* fault lead times when the scenario has faults */
    struct store *store;
    struct journal *journal; /* --mqtt with a database: messages on disk before they are acked */
    struct alarm_manager *alarms;
    struct alarm_store *alarm_store;
    struct notify *notify;
    struct maint *maint; /* the maintenance plan, judged by the engine */
};

/* The MQTT modules' options from the command line; the strings point into cfg. */
static struct mqtt_options app_mqtt_options(const struct config *cfg)
{
    return (struct mqtt_options){
        .client_id = cfg->client_id,
        .version = cfg->mqtt_version,
        .cafile = cfg->cafile,
        .capath = cfg->capath,
        .certfile = cfg->certfile,
        .keyfile = cfg->keyfile,
        .insecure = cfg->insecure,
        .user = cfg->user,
        .password_file = cfg->password_file,
    };
}

_Static_assert(CONFIG_TOPICS_MAX <= MQTT_FEED_TOPICS_MAX, "every --topic must reach the feed");

static void app_feed_options(const struct config *cfg, struct mqtt_feed_options *o)
{
    *o = (struct mqtt_feed_options){
        .conn = app_mqtt_options(cfg),
        .url = cfg->mqtt_url,
        .topic_count = cfg->topic_count,
        .qos = cfg->qos,
        .share_group = cfg->share_group,
        .topic_prefix = cfg->topic_prefix,
        .max_clock_skew_ms = (int64_t)(cfg->max_clock_skew_s * 1000.0),
    };
    for (int i = 0; i < cfg->topic_count; i++)
        o->topics[i] = cfg->topics[i];
}

static void player_toggle(void *ctx)
{
    struct app *app = ctx;
    /* Pausing the simulator is a speed of almost nothing, so clocks stay continuous. */
    static double saved;
    double now = simulator_speed(app->sim);
    if (now > 0 && now < 1e-6) {
        simulator_set_speed(app->sim, saved);
        engine_set_speed(app->engine, saved);
    } else {
        saved = now;
        simulator_set_speed(app->sim, 1e-9);
        engine_set_speed(app->engine, 1e-9);
    }
}

static bool player_paused(void *ctx)
{
    struct app *app = ctx;
    double s = simulator_speed(app->sim);
    return s > 0 && s < 1e-6;
}

static void player_scale(void *ctx, double factor)
{
    struct app *app = ctx;
    double s = simulator_speed(app->sim);
    if (s <= 0 || s < 1e-6)
        return;
    s *= factor;
    if (s < 0.125)
        s = 0.125;
    if (s > 100000)
        s = 100000;
    simulator_set_speed(app->sim, s);
    engine_set_speed(app->engine, s);
}

static int player_inject_fault(void *ctx, int machine, double ttf_s, char *err, size_t errlen)
{
    struct app *app = ctx;
    return simulator_inject_fault(app->sim, machine, NULL, ttf_s, err, errlen);
}

/* Scenario faults: lead-time bookkeeping as an engine sink, reported by headless. */
static void app_leadtime(struct app *app)
{
    int n = simulator_fault_count(app->sim);
    if (n <= 0 || !(app->leadtime = detect_leadtime_create(simulator_clock_ms(app->sim))))
        return;
    for (int i = 0; i < n; i++) {
        struct simulator_fault f;
        if (simulator_fault_get(app->sim, i, &f) == 0)
            detect_leadtime_add(app->leadtime, f.machine, f.machine_id, f.fault, f.onset_s,
                                f.failure_s);
    }
    struct engine_sink sink = {.ctx = app->leadtime, .on_event = detect_leadtime_on_event};
    engine_add_sink(app->engine, &sink);
}

static void notify_log_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "twintop: %s\n", line);
}

/* The alarm manager (fed by the engine), its store in the history file and the notify hook. */
static int alarms_open(struct app *app, char *err, size_t len)
{
    app->alarms = alarm_manager_create(app->cat, 0, err, len);
    if (!app->alarms)
        return -1;
    engine_set_alarms(app->engine, app->alarms);
    if (!app->cfg.no_db) {
        char path[CONFIG_PATH_MAX];
        if (app->cfg.db_path[0])
            snprintf(path, sizeof path, "%s", app->cfg.db_path);
        else
            config_default_db_path(path, sizeof path);
        /* Like the sample store, a file that cannot be written stops recording, not the
         * console: the alarms still work, they are just not persisted this run. */
        char why[512];
        app->alarm_store = alarm_store_open(path, why, sizeof why);
        if (!app->alarm_store ||
            alarm_store_attach(app->alarm_store, app->alarms, (int64_t)time(NULL) * 1000, why,
                               sizeof why) < 0) {
            fprintf(stderr, "twintop: alarm history not recorded: %s\n", why);
            alarm_store_close(app->alarm_store);
            app->alarm_store = NULL;
        }
    }
    if (app->cfg.notify_cmd[0]) {
        struct notify_options no = {.command = app->cfg.notify_cmd,
                                    .log = app->cfg.headless ? notify_log_stderr : NULL};
        app->notify = notify_create(&no, err, len);
        if (!app->notify || notify_attach(app->notify, app->alarms, err, len))
            return -1;
    }
    return 0;
}

static uint64_t app_committed(void *ctx)
{
    return store_committed(ctx);
}

/* The MQTT journal beside the database (DB.mqtt-journal); one a killed recorder left sends the
 * store back to that recorder's run. Not for file: URIs. */
static int app_journal_open(struct app *app, struct store_options *so, char *err, size_t len)
{
    if (!app->cfg.mqtt_url[0] || strncmp(app->cfg.db_path, "file:", 5) == 0)
        return 0;
    char path[CONFIG_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s.mqtt-journal", app->cfg.db_path);
    app->journal = journal_open(path, err, len);
    if (!app->journal)
        return -1;
    so->run.resume = journal_run(app->journal); /* a killed recorder's run goes on */
    so->block_when_full = true; /* nothing may be lost between the journal and the file */
    return 0;
}

/* Work marked done on a simulated machine repairs the fault it answers. */
static void app_maint_done(void *ctx, int machine, const char *fault)
{
    struct app *app = ctx;
    char why[200];
    if (app->sim)
        simulator_repair(app->sim, machine, fault, why, sizeof why);
}

static void maint_headless_json(void *ctx, char *out, size_t len)
{
    struct app *app = ctx;
    struct maint_action plan[64];
    int n = maint_plan(app->maint, plan, 64), by[4] = {0};
    for (int i = 0; i < n; i++)
        by[plan[i].urgency & 3]++;
    snprintf(out, len,
             ",\"maintenance\":{\"actions\":%d,\"by_urgency\":{\"low\":%d,\"medium\":%d,"
             "\"high\":%d,\"critical\":%d}}",
             n, by[0], by[1], by[2], by[3]);
}

static int app_open(struct app *app, char *err, size_t len)
{
    app->cat = catalog_load(app->cfg.catalog, err, len);
    if (!app->cat)
        return 2;
    catalog_set_max_machines(app->cat, app->cfg.max_machines + catalog_machine_count(app->cat));
    app->queue = queue_create(INGEST_QUEUE_SAMPLES);
    struct engine_options eo = {.history_len = 1024,
                                .stale_after_s = app->cfg.stale_after_s,
                                .mode = app->cfg.mqtt_url[0] ? "MQTT" : "DEMO"};
    if (app->queue)
        app->engine = engine_create(app->cat, app->queue, &eo, err, len);
    if (!app->engine) {
        if (!app->queue)
            snprintf(err, len, "out of memory");
        return 1;
    }
    app->maint = maint_create(app->cat, catalog_max_machines(app->cat), err, len);
    if (!app->maint)
        return 1;
    engine_set_maint(app->engine, app->maint);
    maint_set_done_hook(app->maint, app_maint_done, app);
    if (!app->cfg.no_db) {
        struct store_options so;
        store_options_default(&so);
        so.retain_raw_s = app->cfg.retain_raw_s;
        so.retain_rollups_s = app->cfg.retain_rollups_s;
        so.block_when_full = app->cfg.speed <= 0; /* --speed max: the plant waits for the disk */
        so.must_open = true;
        bool live = app->cfg.mqtt_url[0] != '\0';
        so.run = (struct store_run_info){.source = live ? "mqtt" : "demo",
                                         .scenario = live ? "" : app->cfg.scenario,
                                         .seed = live ? 0 : app->cfg.seed,
                                         .speed = live ? 1.0 : app->cfg.speed,
                                         .catalog = app->cfg.catalog,
                                         .live = live};
        char why[900];
        if (app_journal_open(app, &so, err, len) != 0)
            return 2;
        app->store = store_open(app->cfg.db_path, &so, app->cat, why, sizeof why);
        if (!app->store) {
            snprintf(err, len, "cannot record (--no-db records nothing): %s", why);
            return 2;
        }
        struct store_status ss;
        store_status(app->store, &ss);
        if (app->journal && journal_begin(app->journal, ss.run_id, err, len) != 0)
            return 2;
        struct engine_sink sink = store_sink(app->store);
        engine_add_sink(app->engine, &sink);
    }
    if (alarms_open(app, err, len))
        return 2;
    struct mqtt_feed_options feed;
    app_feed_options(&app->cfg, &feed);
    const char *broker = app->cfg.publish_url[0] ? app->cfg.publish_url : app->cfg.mqtt_url;
    if (broker[0]) {
        struct alarm_sync_options ao = {
            .conn = feed.conn,
            .url = broker,
            .topic_prefix = app->cfg.topic_prefix,
            .max_clock_skew_ms = (int64_t)(app->cfg.max_clock_skew_s * 1000.0),
            .key_file = app->cfg.alarm_key_file,
        };
        app->alarm_sync = alarm_sync_create(&ao, app->alarms, err, len);
        if (!app->alarm_sync)
            return 2;
    }
    char report_db[CONFIG_PATH_MAX];
    if (app->cfg.db_path[0])
        snprintf(report_db, sizeof report_db, "%s", app->cfg.db_path);
    else
        config_default_db_path(report_db, sizeof report_db);
    if (app->cfg.publish_url[0]) {
        struct mqtt_publish_options po = {.conn = feed.conn,
                                          .url = app->cfg.publish_url,
                                          .topic_prefix = app->cfg.topic_prefix,
                                          .qos = app->cfg.qos,
                                          .feed = &feed,
                                          .sparkplug =
                                              strcmp(app->cfg.publish_format, "sparkplug") == 0,
                                          .sparkplug_group = app->cfg.sparkplug_group,
                                          .sparkplug_node = app->cfg.sparkplug_node,
                                          .maint = app->maint,
                                          .report_db = app->cfg.no_db ? NULL : report_db,
                                          /* --speed max: the plant waits for the broker */
                                          .block_when_full = app->cfg.speed <= 0};
        if (app->cfg.publish_format[0] && strcmp(app->cfg.publish_format, "json") != 0 &&
            !po.sparkplug) {
            snprintf(err, len, "--publish-format %s: expected json or sparkplug",
                     app->cfg.publish_format);
            return 2;
        }
        app->publisher = mqtt_publish_create(&po, app->cat, app->engine, err, len);
        if (!app->publisher)
            return 2;
        struct engine_sink sink = mqtt_publish_sink(app->publisher);
        engine_add_sink(app->engine, &sink);
    }
    if (app->cfg.mqtt_url[0]) {
        feed.journal = app->journal;
        feed.committed = app_committed;
        feed.committed_ctx = app->store;
        app->feed = mqtt_feed_create(&feed, app->cat, app->queue, err, len);
        return app->feed ? 0 : 2;
    }
    char scenario[CONFIG_PATH_MAX + 160];
    config_scenario_path(&app->cfg, scenario, sizeof scenario);
    struct simulator_options so = {
        .seed = app->cfg.seed,
        .speed = app->cfg.speed,
        .duration_s = app->cfg.duration_s,
        .scenario = strcmp(app->cfg.scenario, "none") ? scenario : NULL,
        .start_ms = (int64_t)time(NULL) * 1000,
    };
    app->sim = simulator_create(app->cat, app->queue, &so, err, len);
    if (!app->sim)
        return 2;
    app_leadtime(app);
    engine_set_speed(app->engine, app->cfg.speed);
    return 0;
}

static void app_close(struct app *app)
{
    if (app->sim)
        simulator_stop(app->sim);
    mqtt_feed_stop(app->feed); /* before the queue closes: what it acknowledged gets in */
    if (app->queue)
        queue_close(app->queue);
    engine_stop(app->engine);
    /* What the store committed leaves the journal; the rest waits there for a restart. */
    if (app->journal) {
        store_flush(app->store, 60000);
        journal_finish(app->journal, store_committed(app->store));
        app->journal = NULL;
    }
    store_close(app->store); /* after the engine: every sample it handed over is written */
    notify_destroy(app->notify);
    alarm_store_close(app->alarm_store);
    mqtt_publish_destroy(app->publisher); /* after the engine: the last samples still go out */
    alarm_sync_destroy(app->alarm_sync);  /* before the manager it listens to */
    mqtt_feed_destroy(app->feed);
    headless_destroy(app->headless);
    simulator_destroy(app->sim);
    engine_destroy(app->engine);
    detect_leadtime_free(app->leadtime);
    alarm_manager_destroy(app->alarms);
    maint_free(app->maint);
    queue_destroy(app->queue);
    catalog_free(app->cat);
}

/* The alarm banner as headless JSON: what an operator would see at the top of the console. */
static void alarms_headless_json(void *ctx, char *out, size_t len)
{
    struct alarm_banner b;
    alarm_get_banner(ctx, &b);
    int unacked = 0, active = 0;
    for (int p = 0; p < ALARM_PRIO_COUNT; p++) {
        unacked += b.unacked[p];
        active += b.active[p];
    }
    snprintf(out, len,
             ",\"alarms\":{\"active\":%d,\"unacked\":%d,\"unacked_by_priority\":{\"low\":%d,"
             "\"medium\":%d,\"high\":%d,\"critical\":%d},\"shelved\":%d,\"flood\":%s}",
             active, unacked, b.unacked[0], b.unacked[1], b.unacked[2], b.unacked[3], b.shelved,
             b.flood ? "true" : "false");
}

/* Prints a status line per interval until the simulation is over or a signal arrives. */
static int run_headless(struct app *app)
{
    app->headless = headless_create(stdout, app->cat, app->engine);
    if (!app->headless)
        return 1;
    struct headless_extra db = {app->store, store_status_json};
    headless_add_extra(app->headless, &db);
    if (app->alarms)
        headless_add_extra(app->headless,
                           &(struct headless_extra){app->alarms, alarms_headless_json});
    if (app->feed)
        headless_add_extra(app->headless,
                           &(struct headless_extra){app->feed, mqtt_feed_headless_json});
    if (app->publisher)
        headless_add_extra(app->headless,
                           &(struct headless_extra){app->publisher, mqtt_publish_headless_json});
    if (app->alarm_sync)
        headless_add_extra(app->headless,
                           &(struct headless_extra){app->alarm_sync, alarm_sync_headless_json});
    headless_add_extra(app->headless, &(struct headless_extra){app, maint_headless_json});
    if (app->leadtime) {
        struct headless_extra x = {.ctx = app->leadtime, .write = detect_leadtime_json};
        headless_add_extra(app->headless, &x);
    }
    double start = clock_monotonic_s(), next = start + app->cfg.status_interval_ms / 1000.0;
    while (!stop_requested) {
        if (app->sim && simulator_finished(app->sim) && queue_length(app->queue) == 0)
            break;
        double now = clock_monotonic_s();
        if (now >= next) {
            headless_status(app->headless, now - start, false);
            next += app->cfg.status_interval_ms / 1000.0;
            if (next < now)
                next = now + app->cfg.status_interval_ms / 1000.0;
        }
        double wait = next - clock_monotonic_s();
        clock_sleep_ms(wait > 0.05 ? 50 : wait > 0 ? (int)(wait * 1000) + 1 : 0, &stop_requested);
    }
    if (app->sim)
        simulator_stop(app->sim);
    mqtt_feed_stop(app->feed);
    queue_close(app->queue);
    engine_stop(app->engine);
    store_flush(app->store, 60000); /* the final line reports everything written */
    mqtt_publish_stop(app->publisher);
    headless_status(app->headless, clock_monotonic_s() - start, true);
    return 0;
}

static int run_console(struct app *app)
{
    struct tui_context ctx = {
        .cfg = &app->cfg,
        .cat = app->cat,
        .engine = app->engine,
        .feed_status = {app->feed, app->feed ? mqtt_feed_status_line : NULL},
        .player = app->sim ? (struct tui_player){app, player_toggle, player_paused, player_scale,
                                                 player_inject_fault}
                           : (struct tui_player){0},
        .stop = (volatile int *)&stop_requested,
        .alarms = app->alarms,
        .maint = app->maint,
        .store = app->store,
    };
    return tui_run(&ctx) == 0 ? 0 : 1;
}

/* A broken theme file is refused before any thread starts (the console loads it again). */
static int theme_check(const struct config *cfg, char *err, size_t len)
{
    static struct theme t;
    char path[CONFIG_PATH_MAX + 160];
    theme_path(cfg->themes_dir, cfg->theme, path, sizeof path);
    if (strcmp(cfg->theme, "default") == 0 && access(path, F_OK) != 0)
        return 0; /* a bare binary: the built-in default stands in */
    return theme_load(&t, path, err, len);
}

/* What a killed recorder journaled goes in before the broker sends more (the engine runs). */
static int app_replay_journal(struct app *app, char *err, size_t len)
{
    long long n = mqtt_feed_replay_journal(app->feed, err, len);
    if (n > 0)
        fprintf(stderr,
                "twintop: %lld messages from the journal of a killed recorder: recorded again\n",
                n);
    return n < 0 ? -1 : 0;
}

static int run_live(int argc, char **argv)
{
    static struct app app;
    char err[1024] = "";
    config_defaults(&app.cfg, argv[0]);
    int rc = config_parse_args(&app.cfg, argc, argv, 1, err, sizeof err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "twintop: %s\n", err);
        return rc < 0 ? 2 : 0;
    }
    umask((mode_t)app.cfg.umask);
    if (!app.cfg.headless && theme_check(&app.cfg, err, sizeof err)) {
        fprintf(stderr, "twintop: %s\n", err);
        return 2;
    }
    rc = app_open(&app, err, sizeof err);
    if (rc) {
        fprintf(stderr, "twintop: %s\n", err);
        app_close(&app);
        return rc;
    }
    if (!app.sim && app.cfg.duration_s > 0) {
        /* Attached to a feed, --duration counts wall-clock time. */
        struct itimerval it = {.it_value = {(time_t)app.cfg.duration_s,
                                            (suseconds_t)(fmod(app.cfg.duration_s, 1.0) * 1e6)}};
        signal(SIGALRM, on_signal);
        setitimer(ITIMER_REAL, &it, NULL);
    }
    if (engine_start(app.engine) || (app.sim && simulator_start(app.sim)) ||
        (app.publisher && mqtt_publish_start(app.publisher, err, sizeof err)) ||
        (app.alarm_sync && alarm_sync_start(app.alarm_sync, err, sizeof err)) ||
        (app.feed && app_replay_journal(&app, err, sizeof err) != 0) ||
        (app.feed && mqtt_feed_start(app.feed, err, sizeof err))) {
        fprintf(stderr, "twintop: cannot start threads%s%s\n", err[0] ? ": " : "", err);
        app_close(&app);
        return 1;
    }
    rc = app.cfg.headless ? run_headless(&app) : run_console(&app);
    app_close(&app);
    return rc;
}

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"export", cmd_export, "history to CSV, JSON lines or an SQLite copy"},
    {"replay", cmd_replay, "replay recorded history through the engine and console"},
    {"runs", cmd_runs, "the recordings (runs) in a history file"},
    {"report", cmd_report, "maintenance report of a period: availability, alarms, plan"},
    {"detect", cmd_detect, "anomaly scores for a CSV time series (NAB results format)"},
};

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C"); /* JSON and CSV numbers keep their decimal point */
    install_signals();
    mqtt_password_take_env();
    umask(077); /* history, journals and exports hold operator names and hosts: 0600 */
    if (argc > 1 && argv[1][0] != '-')
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    if (argc > 1 && argv[1][0] != '-') {
        fprintf(stderr, "twintop: unknown command '%s'; commands:", argv[1]);
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            fprintf(stderr, " %s", commands[i].name);
        fprintf(stderr, " (or options, see --help)\n");
        return 2;
    }
    return run_live(argc, argv);
}
