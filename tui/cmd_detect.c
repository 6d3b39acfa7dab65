// SPDX-License-Identifier: MIT
/* `twintop detect`: run the detector stack over a CSV file from the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "detect_csv.h"

static void cmd_detect_usage(FILE *to)
{
    fprintf(to,
            "usage: twintop detect FILE.csv [--sep C] [--out FILE] [--seed N] [--param NAME=V]...\n"
            "                      [--no-rates] [--train FILE | --train-rows N]\n"
            "  Runs the streaming anomaly detectors over a CSV time series in one pass.\n"
            "  Input: a header, first column a timestamp, other columns numbers ('-' = stdin).\n"
            "  Output (stdout or --out): the input columns, anomaly_score (0..1), is_anomaly,\n"
            "  top_sensors (with 2+ value columns, the sensors behind a flag, '|'-separated).\n"
            "  --train FILE: a run of normal operation (same columns) to learn from first.\n"
            "  --train-rows N: the input's first N rows are normal operation (default 400).\n"
            "  --param overrides a detector parameter (z_window, z_threshold, warmup,\n"
            "  drift_span, drift_horizon, drift_threshold, forest_trees, forest_sample,\n"
            "  forest_warmup, forest_reservoir, forest_refresh, forest_fire, hold, ...).\n"
            "  --no-rates: do not also judge each column's first difference.\n");
}

/* `twintop detect FILE.csv [--sep C] [--out FILE] [--seed N]` */
int cmd_detect(int argc, char **argv)
{
    struct detect_params params;
    detect_params_csv(&params);
    struct detect_csv_options opt = {.sep = ',', .params = &params, .seed = 1, .rate_channels = 1};
    const char *in = NULL, *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cmd_detect_usage(stdout);
            return 0;
        }
        if ((strcmp(a, "--sep") == 0 || strcmp(a, "--out") == 0 || strcmp(a, "--seed") == 0 ||
             strcmp(a, "--param") == 0 || strcmp(a, "--train") == 0 ||
             strcmp(a, "--train-rows") == 0) &&
            i + 1 >= argc) {
            fprintf(stderr, "twintop detect: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--sep") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "\\t") == 0 || strcmp(v, "tab") == 0)
                opt.sep = '\t';
            else if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n')
                opt.sep = v[0];
            else {
                fprintf(stderr, "twintop detect: --sep takes one character, not \"%s\"\n", v);
                return 2;
            }
        } else if (strcmp(a, "--param") == 0) {
            char err[256];
            if (detect_params_set(&params, argv[++i], err, sizeof(err)) < 0) {
                fprintf(stderr, "twintop detect: %s\n", err);
                return 2;
            }
        } else if (strcmp(a, "--train") == 0) {
            opt.train_path = argv[++i];
        } else if (strcmp(a, "--train-rows") == 0) {
            char *end;
            errno = 0;
            opt.train_rows = strtol(argv[++i], &end, 10);
            if (*end || errno || opt.train_rows < 60) {
                fprintf(stderr, "twintop detect: --train-rows takes a number >= 60, not \"%s\"\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--no-rates") == 0) {
            opt.rate_channels = 0;
        } else if (strcmp(a, "--out") == 0) {
            out_path = argv[++i];
        } else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            opt.seed = strtoull(argv[++i], &end, 10);
            if (*end || errno) {
                fprintf(stderr, "twintop detect: --seed takes a number, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "twintop detect: unknown option %s\n", a);
            cmd_detect_usage(stderr);
            return 2;
        } else if (in) {
            fprintf(stderr, "twintop detect: one input file only (%s and %s)\n", in, a);
            return 2;
        } else {
            in = a;
        }
    }
    if (!in) {
        cmd_detect_usage(stderr);
        return 2;
    }
    if (opt.train_path && opt.train_rows > 0) {
        fprintf(stderr, "twintop detect: --train and --train-rows exclude each other\n");
        return 2;
    }
    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "twintop detect: %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    char err[512];
    int rc = detect_csv_run(in, out, &opt, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "twintop detect: %s\n", err);
    if (fflush(out) != 0 && rc == 0) {
        fprintf(stderr, "twintop detect: %s: write error: %s\n", out_path ? out_path : "stdout",
                strerror(errno));
        rc = -1;
    }
    if (out != stdout)
        fclose(out);
    return rc < 0 ? 1 : 0;
}
