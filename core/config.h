// SPDX-License-Identifier: MIT
#ifndef TWINTOP_CONFIG_H
#define TWINTOP_CONFIG_H
/*
 * Run-time options: defaults, then --config FILE (key = value lines, the long option names),
 * then the command line. One table in config.c describes every option; --help prints it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The hard limit of --max-machines: beyond it the program refuses to start. */
#define CONFIG_MAX_MACHINES_LIMIT 100000

#define CONFIG_PATH_MAX 1024
#define CONFIG_TOPICS_MAX 16

struct config {
    /* plant and simulation */
    char catalog[CONFIG_PATH_MAX]; /* data/machines.json */
    char scenario[128];            /* name under data/scenarios, or a path */
    char data_dir[CONFIG_PATH_MAX];
    uint64_t seed;
    double speed;      /* simulated seconds per wall second; 0 = max */
    double duration_s; /* 0 = run until stopped */
    /* front end */
    bool headless;
    int status_interval_ms;
    char theme[128];
    char themes_dir[CONFIG_PATH_MAX];
    bool no_bell;
    bool utc; /* every time on screen in UTC instead of the local zone (TZ) */
    char operator_name[64];
    char notify_cmd[CONFIG_PATH_MAX];
    /* history */
    bool no_db;
    char db_path[CONFIG_PATH_MAX];
    double retain_raw_s;
    double retain_rollups_s;
    /* MQTT */
    char mqtt_url[512];
    char topics[CONFIG_TOPICS_MAX][256];
    int topic_count;
    char client_id[128];
    int qos;
    int mqtt_version; /* 3 or 5 */
    char cafile[CONFIG_PATH_MAX];
    char capath[CONFIG_PATH_MAX];
    char certfile[CONFIG_PATH_MAX];
    char keyfile[CONFIG_PATH_MAX];
    bool insecure;
    char user[128];
    char password_file[CONFIG_PATH_MAX];
    char publish_url[512];
    char topic_prefix[64];
    char publish_format[16]; /* "json" (default) or "sparkplug" */
    char sparkplug_group[64];
    char sparkplug_node[64];
    int max_machines; /* learned machines a feed may create, 1..CONFIG_MAX_MACHINES_LIMIT */
    char share_group[128];
    double stale_after_s;    /* wall seconds of silence before a machine is stale */
    double max_clock_skew_s; /* live samples stamped further ahead of the wall clock: refused */
    char alarm_key_file[CONFIG_PATH_MAX]; /* shared HMAC key for alarm actions; "": unsigned */
    int umask;                            /* applied before any file is created (077) */
    char config_file[CONFIG_PATH_MAX];
};

/* Fills defaults (data and theme folders found beside the binary or installed). */
void config_defaults(struct config *cfg, const char *argv0);

/* Parses argv[first..argc). Returns 0; 1 when --help or --version was printed to out;
 * -1 with "what is wrong" in err. */
int config_parse_args(struct config *cfg, int argc, char **argv, int first, char *err,
                      size_t errlen);

/* Reads a config file of "option = value" lines. Returns 0 or -1 with "FILE:LINE: ..." in err. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/* The default database path: $XDG_DATA_HOME/twintop/history.db, else
 * ~/.local/share/twintop/history.db. */
void config_default_db_path(char *out, size_t len);

/* Resolves a scenario name to a path: NAME.json in data_dir/scenarios, or NAME itself. */
void config_scenario_path(const struct config *cfg, char *out, size_t len);

void config_print_help(const char *prog);

#define TWINTOP_VERSION "0.1.0"

#endif
