// SPDX-License-Identifier: MIT
/*
 * rul_cmapss TRAIN [TEST RUL] [--pred FILE]
 * Fits twintop's generic remaining-life estimator (core/health: Holt level and slope of every
 * informative sensor plus age, ridge regression, target capped at 125 cycles) on NASA C-MAPSS
 * training engines. With TEST and RUL it predicts at each test engine's last cycle; without them
 * it cross-validates by engine (10 folds, each held-out engine cut at 5 random points, as the
 * official test set cuts engines before failure). Prints "rmse R nasa_score S" and BENCH lines.
 * With no arguments it reads $TWINTOP_SHARED/datasets/cmapss/train_FD001.txt.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"

#define COLS 26
#define RUL_CAP 125.0
#define SPAN 12.0
#define LAMBDA 1e-3
#define FOLDS 10
#define CUTS 5

struct row {
    int unit, cycle;
    double v[COLS];
};

struct data {
    struct row *rows;
    size_t n, cap;
};

static int load(const char *path, struct data *d)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rul_cmapss: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    long lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *p = line, *end;
        struct row r;
        int k = 0;
        for (; k < COLS; k++) {
            r.v[k] = strtod(p, &end);
            if (end == p)
                break;
            p = end;
        }
        if (k == 0)
            continue;
        if (k != COLS) {
            fprintf(stderr, "rul_cmapss: %s:%ld: %d columns, expected %d\n", path, lineno, k, COLS);
            fclose(f);
            return -1;
        }
        r.unit = (int)r.v[0];
        r.cycle = (int)r.v[1];
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 4096;
            struct row *g = realloc(d->rows, d->cap * sizeof(*g));
            if (!g) {
                fclose(f);
                return -1;
            }
            d->rows = g;
        }
        d->rows[d->n++] = r;
    }
    fclose(f);
    return 0;
}

/* Sensor columns (5..25) that carry information: the constant ones are left out. */
static int pick_channels(const struct data *d, int *ch)
{
    int n = 0;
    for (int c = 5; c < COLS; c++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < d->n; i++) {
            s += d->rows[i].v[c];
            ss += d->rows[i].v[c] * d->rows[i].v[c];
        }
        double mean = s / d->n, var = ss / d->n - mean * mean;
        if (var > 0 && sqrt(var) > 1e-4 * fabs(mean))
            ch[n++] = c;
    }
    return n;
}

/* Features of every cycle of every unit (in file order); units must be contiguous. */
static double *features(const struct data *d, const int *ch, int nch, int *dims)
{
    struct health_trend tr;
    double vals[HEALTH_TREND_MAX], tmp[2 * HEALTH_TREND_MAX + 1];
    *dims = 2 * nch + 1;
    double *x = malloc(d->n * (size_t)*dims * sizeof(double));
    if (!x)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        if (i == 0 || d->rows[i].unit != d->rows[i - 1].unit)
            health_trend_init(&tr, nch, SPAN);
        for (int c = 0; c < nch; c++)
            vals[c] = d->rows[i].v[ch[c]];
        health_trend_update(&tr, vals);
        health_trend_features(&tr, tmp);
        memcpy(x + i * *dims, tmp, (size_t)*dims * sizeof(double));
    }
    return x;
}

static int unit_last_cycle(const struct data *d, size_t i)
{
    int u = d->rows[i].unit, last = d->rows[i].cycle;
    for (size_t j = i; j < d->n && d->rows[j].unit == u; j++)
        last = d->rows[j].cycle;
    return last;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static double nasa(double err)
{
    return err < 0 ? exp(-err / 13.0) - 1.0 : exp(err / 10.0) - 1.0;
}

static int fit(const struct data *d, const double *x, int dims, int skip_fold,
               struct health_model *m)
{
    double *xs = malloc(d->n * (size_t)dims * sizeof(double)), *ys = malloc(d->n * sizeof(double));
    size_t n = 0;
    char err[256];
    for (size_t i = 0; xs && ys && i < d->n; i++) {
        if (skip_fold >= 0 && d->rows[i].unit % FOLDS == skip_fold)
            continue;
        int last = unit_last_cycle(d, i);
        memcpy(xs + n * dims, x + i * dims, (size_t)dims * sizeof(double));
        ys[n++] = fmin(RUL_CAP, (double)(last - d->rows[i].cycle));
    }
    int rc = xs && ys ? health_model_fit(m, xs, ys, n, dims, LAMBDA, err, sizeof(err)) : -1;
    if (rc < 0)
        fprintf(stderr, "rul_cmapss: %s\n", xs && ys ? err : "out of memory");
    free(xs);
    free(ys);
    return rc;
}

static int cross_validate(const struct data *d, const double *x, int dims)
{
    uint64_t seed = 12345;
    double se = 0, score = 0;
    long count = 0;
    for (int fold = 0; fold < FOLDS; fold++) {
        struct health_model m;
        if (fit(d, x, dims, fold, &m) < 0)
            return -1;
        for (size_t i = 0; i < d->n; i++) {
            if (d->rows[i].unit % FOLDS != fold ||
                (i > 0 && d->rows[i - 1].unit == d->rows[i].unit))
                continue;
            int last = unit_last_cycle(d, i);
            for (int c = 0; c < CUTS; c++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                /* cut somewhere after the first 30 cycles, as the test set does */
                int cut = 31 + (int)((seed >> 33) % (uint64_t)(last - 30));
                double truth = fmin(RUL_CAP, (double)(last - cut));
                double pred =
                    clampd(health_model_predict(&m, x + (i + cut - 1) * dims), 0, RUL_CAP);
                se += (pred - truth) * (pred - truth);
                score += nasa(pred - truth);
                count++;
            }
        }
    }
    double rmse = sqrt(se / count);
    printf("rmse %.2f nasa_score %.0f (cross-validation: %d folds by engine, %ld cuts)\n", rmse,
           score, FOLDS, count);
    printf("BENCH rul_cmapss_cv_rmse %.2f cycles\n", rmse);
    printf("BENCH rul_cmapss_cv_nasa_per_engine %.2f score\n", score / count);
    return 0;
}

static int test_set(const struct data *train, const double *xtr, int dims, const int *ch, int nch,
                    const char *test_path, const char *rul_path, const char *pred_path)
{
    struct data test = {0};
    if (load(test_path, &test) < 0)
        return -1;
    FILE *rf = fopen(rul_path, "r");
    if (!rf) {
        fprintf(stderr, "rul_cmapss: %s: %s\n", rul_path, strerror(errno));
        return -1;
    }
    struct health_model m;
    if (fit(train, xtr, dims, -1, &m) < 0)
        return -1;
    int tdims;
    double *x = features(&test, ch, nch, &tdims);
    FILE *pf = pred_path ? fopen(pred_path, "w") : NULL;
    if (!x || (pred_path && !pf)) {
        fprintf(stderr, "rul_cmapss: cannot write %s or out of memory\n",
                pred_path ? pred_path : "");
        return -1;
    }
    double se = 0, score = 0;
    int count = 0;
    for (size_t i = 0; i < test.n; i++) {
        if (i + 1 < test.n && test.rows[i + 1].unit == test.rows[i].unit)
            continue;
        double truth;
        if (fscanf(rf, "%lf", &truth) != 1) {
            fprintf(stderr, "rul_cmapss: %s: fewer values than test engines\n", rul_path);
            return -1;
        }
        truth = fmin(RUL_CAP, truth);
        double pred = clampd(health_model_predict(&m, x + i * tdims), 0, RUL_CAP);
        if (pf)
            fprintf(pf, "%.1f\n", pred);
        se += (pred - truth) * (pred - truth);
        score += nasa(pred - truth);
        count++;
    }
    fclose(rf);
    if (pf)
        fclose(pf);
    printf("rmse %.2f nasa_score %.0f (%d test engines)\n", sqrt(se / count), score, count);
    printf("BENCH rul_cmapss_test_rmse %.2f cycles\n", sqrt(se / count));
    free(x);
    free(test.rows);
    return 0;
}

int main(int argc, char **argv)
{
    const char *paths[3] = {0}, *pred = NULL;
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pred") == 0 && i + 1 < argc)
            pred = argv[++i];
        else if (np < 3 && argv[i][0] != '-')
            paths[np++] = argv[i];
        else {
            fprintf(stderr, "usage: rul_cmapss TRAIN [TEST RUL] [--pred FILE]\n");
            return 2;
        }
    }
    char def[1024];
    if (np == 0) {
        const char *shared = getenv("TWINTOP_SHARED");
        snprintf(def, sizeof(def), "%s/datasets/cmapss/train_FD001.txt",
                 shared ? shared : "../shared");
        FILE *probe = fopen(def, "r");
        if (!probe)
            snprintf(def, sizeof(def), "/work/shared/datasets/cmapss/train_FD001.txt");
        else
            fclose(probe);
        paths[np++] = def;
    }
    if (np == 2) {
        fprintf(stderr, "usage: rul_cmapss TRAIN [TEST RUL] [--pred FILE]\n");
        return 2;
    }
    struct data train = {0};
    if (load(paths[0], &train) < 0)
        return 1;
    int ch[COLS];
    int nch = pick_channels(&train, ch);
    int dims;
    double *x = features(&train, ch, nch, &dims);
    if (!x)
        return 1;
    int rc = np == 3 ? test_set(&train, x, dims, ch, nch, paths[1], paths[2], pred)
                     : cross_validate(&train, x, dims);
    free(x);
    free(train.rows);
    return rc < 0 ? 1 : 0;
}
