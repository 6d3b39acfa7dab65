// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_CSV_H
#define TWINTOP_DETECT_CSV_H
/*
 * `twintop detect`: the streaming detector stack over a CSV file, one pass, no look-ahead.
 * Input: a header line, first column a timestamp (copied through, never interpreted), the other
 * columns numeric sensors (an empty cell is a missing value). Output: every input line
 * followed by anomaly_score (the fused machine score, 0..1) and is_anomaly (1 when the score is
 * at or above the detectors' own threshold), so `timestamp,value` input gives NAB's results
 * format `timestamp,value,anomaly_score,...`. anomaly_score ranks each detector's score against
 * its own history (see detect_csv.c) and reports one new high per `hold` rows.
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
};

/* Reads name (opened here; "-" is stdin) and writes to out. Returns 0, or -1 with
 * "FILE:LINE: what is wrong" (or "FILE: ...") in err. Rows processed so far are written. */
int detect_csv_run(const char *name, FILE *out, const struct detect_csv_options *opt, char *err,
                   size_t errlen);

#endif
