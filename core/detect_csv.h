// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_CSV_H
#define TWINTOP_DETECT_CSV_H
/*
 * `twintop detect`: the streaming detector stack over a CSV file, one pass, no look-ahead.
 * Input: a header line, first column a timestamp (copied through, never interpreted), the other
 * columns numeric sensors (an empty cell is a missing value). Output: every input line
 * followed by anomaly_score, is_anomaly and top_sensors, so `timestamp,value` input gives NAB's
 * results format `timestamp,value,anomaly_score,...`. anomaly_score ranks each detector's score
 * against its own history (see detect_csv.c) and reports one new high per `hold` rows. With two
 * or more value columns the multivariate monitor (detect_pca) judges the whole row: is_anomaly
 * is its flag (the row's tail probability below pca_alpha) and top_sensors the sensors that
 * contribute most; with one column is_anomaly is the per-sensor stack's own threshold. The
 * monitor learns normal operation from a reference file (train_path), the input's first
 * train_rows rows, or else the first pca_train_rows + pca_calib_rows rows.
 * Threads: none; runs on the caller's thread.
 */
#include <stdint.h>
#include <stdio.h>
#include "detect.h"

struct detect_csv_options {
    char sep;                           /* field separator, ',' by default */
    const struct detect_params *params; /* NULL: detect_params_csv */
    uint64_t seed;
    int rate_channels; /* 1: each column's first difference also runs through the stack (the
                          CLI's default; up to 32 value columns) */
    const char *train_path; /* a reference run of normal operation judged first, or NULL */
    long train_rows;        /* > 0: the input's first rows are normal operation (no train_path) */
};

/* Reads name (opened here; "-" is stdin) and writes to out. Returns 0, or -1 with
 * "FILE:LINE: what is wrong" (or "FILE: ...") in err. Rows processed so far are written. */
int detect_csv_run(const char *name, FILE *out, const struct detect_csv_options *opt, char *err,
                   size_t errlen);

#endif
