// SPDX-License-Identifier: MIT
/* Throughput of the multivariate process monitor (core/detect_pca) on 8 correlated sensors, with
 * the default parameters and with lag 1. Prints BENCH lines. `bench_pca ROWS LAGS` runs one
 * variant only, for instruction counts: valgrind --tool=callgrind build/bench/bench_pca 200000 0 */
#include <stdlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "detect_pca.h"

#define SENSORS 8
#define ROWS 2000000 /* by default */

static long rows = ROWS;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 - 0.5;
}

static double run(int lags)
{
    struct detect_pca_params p;
    detect_pca_params_default(&p);
    p.lags = lags;
    char err[200];
    struct detect_pca *m = detect_pca_create(SENSORS, &p, err, sizeof err);
    if (!m) {
        fprintf(stderr, "bench_pca: %s\n", err);
        return 0;
    }
    double row[SENSORS], flagged = 0;
    double t0 = now_s();
    for (long i = 0; i < rows; i++) {
        double load = 50 + 10 * noise();
        for (int s = 0; s < SENSORS; s++)
            row[s] = (s + 1) * load + noise();
        flagged += detect_pca_update(m, row, true) >= 0.5f;
    }
    double dt = now_s() - t0;
    detect_pca_free(m);
    return flagged >= 0 ? (double)rows / dt : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3) {
        rows = atol(argv[1]);
        int lags = atoi(argv[2]);
        if (rows < 1 || lags < 0 || lags > 4) {
            fprintf(stderr, "bench_pca: usage: bench_pca [ROWS LAGS] (ROWS >= 1, LAGS 0..4)\n");
            return 2;
        }
        printf("BENCH detect_pca_%dsensors_lag%d %.2f Mrows/s\n", SENSORS, lags, run(lags) / 1e6);
        return 0;
    }
    printf("BENCH detect_pca_%dsensors %.2f Mrows/s\n", SENSORS, run(0) / 1e6);
    printf("BENCH detect_pca_%dsensors_lag1 %.2f Mrows/s\n", SENSORS, run(1) / 1e6);
    return 0;
}
