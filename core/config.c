// SPDX-License-Identifier: MIT
/* Run-time options: the one option table, config files and the command line. */
#include "config.h"
#include "clock.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum opt_kind {
    OPT_FLAG,
    OPT_STRING,
    OPT_INT,
    OPT_U64,
    OPT_DURATION,
    OPT_SPEED,
    OPT_TOPIC,
    OPT_MODE
};

struct option_def {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    size_t size; /* string capacity */
    const char *arg;
    const char *help;
};

#define STR(field) OPT_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field)
#define NUM(kind, field) kind, offsetof(struct config, field), 0

/* The one table of options: parsing, config files and --help all read it. */
static const struct option_def options[] = {
    {"catalog", STR(catalog), "FILE", "machine catalog (default data/machines.json)"},
    {"scenario", STR(scenario), "NAME", "fault scenario: healthy, demo, faults, none or a file"},
    {"seed", NUM(OPT_U64, seed), "N", "simulator seed (same seed, same samples)"},
    {"speed", NUM(OPT_SPEED, speed), "X|max", "simulated seconds per wall second (default 1)"},
    {"duration", NUM(OPT_DURATION, duration_s), "T", "stop after T (90s, 15m, 24h) of plant time"},
    {"headless", NUM(OPT_FLAG, headless), NULL, "no console: one JSON status line per interval"},
    {"status-interval", NUM(OPT_INT, status_interval_ms), "MS", "headless status period (1000)"},
    {"theme", STR(theme), "NAME", "colour theme from themes/ (default, mono)"},
    {"no-bell", NUM(OPT_FLAG, no_bell), NULL, "no terminal bell on new high/critical alarms"},
    {"utc", NUM(OPT_FLAG, utc), NULL, "times on screen in UTC (default: the local zone, TZ)"},
    {"operator", STR(operator_name), "NAME", "operator name for alarm actions (default login)"},
    {"notify-cmd", STR(notify_cmd), "PATH", "run PATH with alarm JSON on stdin (no shell)"},
    {"db", STR(db_path), "PATH", "history database (default $XDG_DATA_HOME/twintop/history.db)"},
    {"no-db", NUM(OPT_FLAG, no_db), NULL, "record nothing"},
    {"retain-raw", NUM(OPT_DURATION, retain_raw_s), "T", "keep raw samples for T (7d)"},
    {"retain-rollups", NUM(OPT_DURATION, retain_rollups_s), "T", "keep rollups for T (400d)"},
    {"mqtt", STR(mqtt_url), "URL", "attach to a feed: mqtt://host:port or mqtts://"},
    {"topic", NUM(OPT_TOPIC, topic_count), "PATTERN",
     "subscription, repeatable (dt/+/+/telemetry)"},
    {"client-id", STR(client_id), "ID", "MQTT client id (persistent session key)"},
    {"qos", NUM(OPT_INT, qos), "0|1", "subscription QoS (1)"},
    {"mqtt-version", NUM(OPT_INT, mqtt_version), "3|5", "MQTT protocol version (5)"},
    {"cafile", STR(cafile), "FILE", "TLS: CA certificate file"},
    {"capath", STR(capath), "DIR", "TLS: CA certificate directory"},
    {"cert", STR(certfile), "FILE", "TLS: client certificate"},
    {"key", STR(keyfile), "FILE", "TLS: client key"},
    {"insecure", NUM(OPT_FLAG, insecure), NULL, "TLS: do not check the server host name"},
    {"user", STR(user), "NAME", "MQTT user (or TWINTOP_MQTT_USER)"},
    {"password-file", STR(password_file), "FILE", "MQTT password file (mode 0600)"},
    {"publish", STR(publish_url), "URL", "publish telemetry, state, anomalies, alarms to URL"},
    {"topic-prefix", STR(topic_prefix), "P", "topic prefix for publishing (dt)"},
    {"publish-format", STR(publish_format), "json|sparkplug",
     "telemetry as JSON or Sparkplug B (json)"},
    {"sparkplug-group", STR(sparkplug_group), "ID",
     "Sparkplug group id of the edge node (twintop)"},
    {"sparkplug-node", STR(sparkplug_node), "ID", "Sparkplug edge node id (demo)"},
    {"max-machines", NUM(OPT_INT, max_machines), "N",
     "cap on machines a feed creates (1000; at most 100000)"},
    {"share-group", STR(share_group), "NAME", "MQTT 5 shared subscription group"},
    {"max-clock-skew", NUM(OPT_DURATION, max_clock_skew_s), "T",
     "refuse live samples stamped more than T ahead of the clock (5m)"},
    {"stale-after", NUM(OPT_DURATION, stale_after_s), "T",
     "a machine silent for T of wall time is stale (5s)"},
    {"alarm-key", STR(alarm_key_file), "FILE",
     "sign alarm actions, refuse unsigned ones (shared key, mode 0600)"},
    {"umask", NUM(OPT_MODE, umask), "MASK", "file creation mask, octal (077: files 0600)"},
    {"config", STR(config_file), "FILE", "read options from FILE (option = value lines)"},
};

#define OPTION_COUNT (sizeof options / sizeof options[0])

static void fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

static int dir_exists(const char *path)
{
    return access(path, R_OK | X_OK) == 0;
}

/* Data lives beside the binary in a checkout (build/../data), else where make install put it. */
static void find_share(const char *argv0, const char *sub, char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(exe, sizeof exe, "%s", argv0 ? argv0 : ".");
        n = (ssize_t)strlen(exe);
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    char try[PATH_MAX + 64];
    snprintf(try, sizeof try, "%s/../%s", exe, sub);
    if (dir_exists(try)) {
        snprintf(out, len, "%s", try);
        return;
    }
    snprintf(try, sizeof try, "%s/../share/twintop/%s", exe, strcmp(sub, "data") ? sub : "");
    if (dir_exists(try)) {
        snprintf(out, len, "%s", try);
        return;
    }
    snprintf(out, len, "%s", sub);
}

void config_default_db_path(char *out, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(out, len, "%s/twintop/history.db", xdg);
    else
        snprintf(out, len, "%s/.local/share/twintop/history.db", home && *home ? home : ".");
}

void config_defaults(struct config *cfg, const char *argv0)
{
    memset(cfg, 0, sizeof *cfg);
    find_share(argv0, "data", cfg->data_dir, sizeof cfg->data_dir);
    find_share(argv0, "themes", cfg->themes_dir, sizeof cfg->themes_dir);
    snprintf(cfg->catalog, sizeof cfg->catalog, "%s/machines.json", cfg->data_dir);
    snprintf(cfg->scenario, sizeof cfg->scenario, "demo");
    snprintf(cfg->theme, sizeof cfg->theme, "default");
    snprintf(cfg->topic_prefix, sizeof cfg->topic_prefix, "dt");
    cfg->seed = 1;
    cfg->speed = 1.0;
    cfg->status_interval_ms = 1000;
    cfg->retain_raw_s = 7 * 86400.0;
    cfg->retain_rollups_s = 400 * 86400.0;
    cfg->qos = 1;
    cfg->mqtt_version = 5;
    cfg->max_machines = 1000;
    cfg->max_clock_skew_s = 300;
    cfg->stale_after_s = 5;
    cfg->umask = 077;
    config_default_db_path(cfg->db_path, sizeof cfg->db_path);
}

static const struct option_def *find_option(const char *name)
{
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

static int parse_int(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int set_option(struct config *cfg, const struct option_def *o, const char *value, char *err,
                      size_t len)
{
    char *base = (char *)cfg;
    long n;
    switch (o->kind) {
    case OPT_FLAG:
        *(bool *)(base + o->offset) = true;
        return 0;
    case OPT_STRING:
        if (strlen(value) >= o->size) {
            fail(err, len, "--%s: value longer than %zu characters", o->name, o->size - 1);
            return -1;
        }
        memcpy(base + o->offset, value, strlen(value) + 1);
        return 0;
    case OPT_INT:
        if (parse_int(value, 0, INT_MAX, &n)) {
            fail(err, len, "--%s: '%s' is not a whole number", o->name, value);
            return -1;
        }
        *(int *)(base + o->offset) = (int)n;
        return 0;
    case OPT_U64: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (end == value || *end || errno || value[0] == '-') {
            fail(err, len, "--%s: '%s' is not a non-negative whole number", o->name, value);
            return -1;
        }
        *(uint64_t *)(base + o->offset) = v;
        return 0;
    }
    case OPT_DURATION:
        if (clock_parse_duration(value, (double *)(base + o->offset))) {
            fail(err, len, "--%s: '%s' is not a duration (examples: 90s, 15m, 24h, 7d)", o->name,
                 value);
            return -1;
        }
        return 0;
    case OPT_SPEED: {
        char *end;
        double v = strtod(value, &end);
        if (strcmp(value, "max") == 0) {
            cfg->speed = 0;
            return 0;
        }
        if (end == value || *end || !isfinite(v) || v <= 0 || v > 1e6) {
            fail(err, len, "--speed: '%s' is not a factor in (0, 1e6] or 'max'", value);
            return -1;
        }
        cfg->speed = v;
        return 0;
    }
    case OPT_MODE: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 8);
        if (end == value || *end || errno || v < 0 || v > 0777) {
            fail(err, len, "--%s: '%s' is not an octal mask 000..777 (example: 027)", o->name,
                 value);
            return -1;
        }
        *(int *)(base + o->offset) = (int)v;
        return 0;
    }
    case OPT_TOPIC:
        if (cfg->topic_count >= CONFIG_TOPICS_MAX || strlen(value) >= sizeof cfg->topics[0]) {
            fail(err, len, "--topic: at most %d topics of %zu characters", CONFIG_TOPICS_MAX,
                 sizeof cfg->topics[0] - 1);
            return -1;
        }
        snprintf(cfg->topics[cfg->topic_count++], sizeof cfg->topics[0], "%s", value);
        return 0;
    }
    return -1;
}

/* Checks that need every option: ranges that depend on each other. */
static int config_validate(const struct config *cfg, char *err, size_t len)
{
    if (cfg->qos > 1) {
        fail(err, len, "--qos: must be 0 or 1");
        return -1;
    }
    if (cfg->mqtt_version != 3 && cfg->mqtt_version != 5) {
        fail(err, len, "--mqtt-version: must be 3 or 5");
        return -1;
    }
    if (cfg->status_interval_ms < 10) {
        fail(err, len, "--status-interval: at least 10 ms");
        return -1;
    }
    if (cfg->max_machines < 1 || cfg->max_machines > CONFIG_MAX_MACHINES_LIMIT) {
        fail(err, len, "--max-machines: %d is out of range (1..%d)", cfg->max_machines,
             CONFIG_MAX_MACHINES_LIMIT);
        return -1;
    }
    if (cfg->share_group[0] && cfg->mqtt_version != 5) {
        fail(err, len, "--share-group needs --mqtt-version 5");
        return -1;
    }
    return 0;
}

int config_parse_args(struct config *cfg, int argc, char **argv, int first, char *err, size_t len)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            config_print_help(argv[0]);
            return 1;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("twintop %s\n", TWINTOP_VERSION);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fail(err, len, "unexpected argument '%s' (see --help)", arg);
            return -1;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        snprintf(name, sizeof name, "%.*s", (int)nlen, arg + 2);
        const struct option_def *o = find_option(name);
        if (!o) {
            fail(err, len, "unknown option --%s (see --help)", name);
            return -1;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (o->kind != OPT_FLAG && !value) {
            if (i + 1 >= argc) {
                fail(err, len, "--%s needs a value (%s)", o->name, o->arg);
                return -1;
            }
            value = argv[++i];
        }
        if (set_option(cfg, o, value, err, len))
            return -1;
        if (o->offset == offsetof(struct config, config_file) && o->kind == OPT_STRING &&
            config_load_file(cfg, cfg->config_file, err, len))
            return -1;
    }
    return config_validate(cfg, err, len);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fail(err, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        char *key = s, *value = NULL;
        if (eq) {
            *eq = '\0';
            value = trim(eq + 1);
        }
        key = trim(key);
        const struct option_def *o = find_option(key);
        char why[512];
        if (!o || strcmp(key, "config") == 0) {
            fail(err, len, "%s:%d: unknown option '%s'", path, lineno, key);
            rc = -1;
        } else if (o->kind != OPT_FLAG && (!value || !*value)) {
            fail(err, len, "%s:%d: %s needs a value (%s)", path, lineno, key, o->arg);
            rc = -1;
        } else if (o->kind == OPT_FLAG && value && strcmp(value, "true") && strcmp(value, "yes") &&
                   strcmp(value, "1")) {
            if (strcmp(value, "false") && strcmp(value, "no") && strcmp(value, "0")) {
                fail(err, len, "%s:%d: %s takes true or false", path, lineno, key);
                rc = -1;
            }
        } else if (set_option(cfg, o, value, why, sizeof why)) {
            fail(err, len, "%s:%d: %s", path, lineno, why);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

void config_scenario_path(const struct config *cfg, char *out, size_t len)
{
    if (strchr(cfg->scenario, '/') || strstr(cfg->scenario, ".json"))
        snprintf(out, len, "%s", cfg->scenario);
    else
        snprintf(out, len, "%s/scenarios/%s.json", cfg->data_dir, cfg->scenario);
}

void config_print_help(const char *prog)
{
    (void)prog;
    printf("twintop %s — terminal console for industrial digital twins\n\n"
           "usage: twintop [options]              demo: simulator + console\n"
           "       twintop --mqtt URL [options]   attach to a remote feed\n"
           "       twintop --headless [options]   no console, JSON status lines\n"
           "       twintop export [options]       history to CSV, JSON lines or SQLite\n"
           "       twintop replay [options]       replay recorded history\n"
           "       twintop detect FILE.csv        anomaly scores for a CSV series\n\n"
           "options:\n",
           TWINTOP_VERSION);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        char left[48];
        snprintf(left, sizeof left, "--%s%s%s", options[i].name, options[i].arg ? " " : "",
                 options[i].arg ? options[i].arg : "");
        printf("  %-26s %s\n", left, options[i].help);
    }
    printf("  %-26s %s\n  %-26s %s\n\n", "--help", "this text", "--version", "print the version");
    printf("Broker passwords come from TWINTOP_MQTT_PASSWORD or --password-file, never argv.\n");
}
