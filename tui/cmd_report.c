// SPDX-License-Identifier: MIT
/* `twintop report`: the maintenance report of a period from the history file (Markdown, JSON or
 * CSV). Reads the file read-only, so it runs while another twintop keeps recording into it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "commands.h"
#include "config.h"
#include "report.h"

struct report_args {
    char db[CONFIG_PATH_MAX];
    const char *period, *machine, *format, *catalog;
    bool help;
};

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: twintop report [--period P] [--machine ID] [--format md|json|csv] [--db PATH]\n"
            "  --period P         24h (default), 7d, 30d, 90d, 365d (ending at the newest record)\n"
            "                     or FROM..TO (ISO-8601 dates or times, UTC)\n"
            "  --machine ID       one machine only\n"
            "  --format F         md (default, for people), json or csv (for tools)\n"
            "  --db PATH          history file (default $XDG_DATA_HOME/twintop/history.db)\n"
            "  --catalog FILE     the catalog whose normal bands judge the sensors\n"
            "                     (default: the installed data/machines.json)\n"
            "  --help             this text\n");
}

static int report_args_parse(int argc, char **argv, struct report_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = strcmp(word, "--period") == 0    ? &a->period
                            : strcmp(word, "--machine") == 0 ? &a->machine
                            : strcmp(word, "--format") == 0  ? &a->format
                            : strcmp(word, "--catalog") == 0 ? &a->catalog
                                                             : NULL;
        if (strcmp(word, "--help") == 0) {
            a->help = true;
        } else if (strcmp(word, "--db") == 0 && value) {
            snprintf(a->db, sizeof a->db, "%s", value);
            i++;
        } else if (slot && value) {
            *slot = value;
            i++;
        } else {
            fprintf(stderr, "twintop report: unknown or incomplete option '%s' (see --help)\n",
                    word);
            return -1;
        }
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    static struct config cfg; /* for the installed catalog's path */
    config_defaults(&cfg, argv[0]);
    struct report_args a = {.period = "24h", .format = "md", .catalog = cfg.catalog};
    char err[1024];
    config_default_db_path(a.db, sizeof a.db);
    if (report_args_parse(argc, argv, &a) < 0)
        return 2;
    if (a.help) {
        report_usage(stdout);
        return 0;
    }
    int64_t span, from, to, newest;
    if (strcmp(a.format, "md") != 0 && strcmp(a.format, "json") != 0 &&
        strcmp(a.format, "csv") != 0) {
        fprintf(stderr, "twintop report: --format %s: expected md, json or csv\n", a.format);
        return 2;
    }
    if (report_parse_period(a.period, &span, &from, &to, err, sizeof err) < 0) {
        fprintf(stderr, "twintop report: %s\n", err);
        return 2;
    }
    if (span && report_newest_ms(a.db, &newest, err, sizeof err) < 0) {
        fprintf(stderr, "twintop report: %s\n", err);
        return 1;
    }
    if (span) {
        to = newest + 1;
        from = to - span;
    }
    struct catalog *cat = catalog_load(a.catalog, err, sizeof err);
    if (!cat) {
        fprintf(stderr, "twintop report: %s\n", err);
        return 2;
    }
    struct report_options o = {
        .db_path = a.db, .from_ms = from, .to_ms = to, .machine_id = a.machine, .cat = cat};
    char *json = report_build_json(&o, err, sizeof err);
    int rc = json ? report_write(stdout, json, a.format, err, sizeof err) : -1;
    if (rc < 0)
        fprintf(stderr, "twintop report: %s\n", err);
    free(json);
    catalog_free(cat);
    return rc < 0 ? 1 : 0;
}
