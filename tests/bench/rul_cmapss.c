// SPDX-License-Identifier: MIT
/*
 * rul_cmapss TRAIN [TEST RUL] [--pred FILE]
 * Fits twintop's learned remaining-life model (core/rul: Holt level and slope of every
 * informative sensor plus age, squared, ridge; span, target cap and penalty chosen by an inner
 * 5-fold cross-validation by engine) on NASA C-MAPSS training engines, and judges it through
 * the console's own path: each judged engine is fed sensor by sensor into core/health
 * (health_update, one cycle = one plant hour) and read back with health_get. With TEST and RUL
 * it predicts at each test engine's last cycle; without them it cross-validates by engine
 * (10 outer folds, each held-out engine cut at 5 random points after cycle 30, as the official
 * test set cuts engines before failure; truth capped at 125) and also prints the in-sample
 * figure. Prints RMSE, NASA score and the measured coverage of the 80 % interval, and BENCH
 * lines. With no arguments it reads $TWINTOP_SHARED/datasets/cmapss/train_FD001.txt.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "health.h"
#include "rul.h"

#define COLS 26
#define TRUTH_CAP 125.0
#define SENSOR0 5 /* column of sensor 1 */
#define NEAR 50   /* cycles to failure: the predictions that matter most, also judged apart */
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
    for (int c = SENSOR0; c < COLS; c++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < d->n; i++) {
            s += d->rows[i].v[c];
            ss += d->rows[i].v[c] * d->rows[i].v[c];
        }
        double mean = s / d->n, var = ss / d->n - mean * mean;
        if (var > 0 && sqrt(var) > 1e-4 * fabs(mean) && n < RUL_CHANNELS_MAX)
            ch[n++] = c;
    }
    return n;
}

/* One engine: its first row in the file, its cycle count and the judged cut points. */
struct engine {
    size_t first;
    int cycles, unit;
    int cut[CUTS];
    double pred[CUTS], lo[CUTS], hi[CUTS];
};

/* Engines in file order; each must run cycles 1, 2, ... contiguously. */
static int engines(const struct data *d, const char *path, struct engine **out, int *count)
{
    int n = 0, cap = 0;
    struct engine *e = NULL;
    for (size_t i = 0; i < d->n; i++) {
        bool first = i == 0 || d->rows[i].unit != d->rows[i - 1].unit;
        int want = first ? 1 : d->rows[i - 1].cycle + 1;
        if (d->rows[i].cycle != want) {
            fprintf(stderr, "rul_cmapss: %s: engine %d: cycle %d where %d was expected\n", path,
                    d->rows[i].unit, d->rows[i].cycle, want);
            free(e);
            return -1;
        }
        if (!first) {
            e[n - 1].cycles++;
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 128;
            struct engine *g = realloc(e, (size_t)cap * sizeof(*g));
            if (!g) {
                free(e);
                return -1;
            }
            e = g;
        }
        e[n++] = (struct engine){.first = i, .cycles = 1, .unit = d->rows[i].unit};
    }
    *out = e;
    *count = n;
    return 0;
}

/* The channels of every row, row-major, for core/rul. */
static double *channel_values(const struct data *d, const int *ch, int nch)
{
    double *v = malloc(d->n * (size_t)nch * sizeof(double));
    for (size_t i = 0; v && i < d->n; i++)
        for (int c = 0; c < nch; c++)
            v[i * nch + c] = d->rows[i].v[ch[c]];
    return v;
}

static int fit(const double *values, const struct engine *e, int n, int skip_fold, int nch,
               struct rul_model *m)
{
    struct rul_unit *u = malloc((size_t)n * sizeof(*u));
    int k = 0;
    for (int i = 0; u && i < n; i++)
        if (skip_fold < 0 || e[i].unit % FOLDS != skip_fold)
            u[k++] = (struct rul_unit){values + e[i].first * nch, e[i].cycles};
    char err[256] = "out of memory";
    int rc = u ? rul_model_fit(m, u, k, nch, NULL, err, sizeof err) : -1;
    if (rc < 0)
        fprintf(stderr, "rul_cmapss: %s\n", err);
    free(u);
    return rc;
}

/* The turbofan as the console sees a machine: 21 sensors without limits. */
static void turbofan_type(struct catalog_type *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof t->name, "turbofan");
    t->sample_period_s = 3600;
    t->sensor_count = COLS - SENSOR0;
    for (int i = 0; i < t->sensor_count; i++) {
        struct catalog_sensor *s = &t->sensors[i];
        snprintf(s->name, sizeof s->name, "sensor_%02d", i + 1);
        s->nominal = s->display_min = s->display_max = NAN;
        s->normal_lo = s->normal_hi = s->warn_lo = s->warn_hi = s->alarm_lo = s->alarm_hi = NAN;
    }
}

/* Feeds an engine's cycles into core/health, reading the estimate at cycles[k] (ascending). */
static int predict(const struct data *d, const struct engine *e, const struct rul_model *m,
                   const int *ch, int nch, const int *cycles, int n, double *pred, double *lo,
                   double *hi)
{
    static struct catalog_type type;
    int sensors[RUL_CHANNELS_MAX];
    char err[256];
    if (!type.sensor_count)
        turbofan_type(&type);
    for (int c = 0; c < nch; c++)
        sensors[c] = ch[c] - SENSOR0;
    struct health *h = health_create(&type, 0, err, sizeof err);
    if (!h || health_set_rul_model(h, m, sensors, 3600.0, err, sizeof err) < 0) {
        fprintf(stderr, "rul_cmapss: %s\n", err);
        health_free(h);
        return -1;
    }
    for (int cyc = 1, k = 0; cyc <= e->cycles && k < n; cyc++) {
        const struct row *r = &d->rows[e->first + cyc - 1];
        for (int s = 0; s < type.sensor_count; s++)
            health_update(h, s, r->v[SENSOR0 + s], (int64_t)cyc * 3600 * 1000);
        for (; k < n && cycles[k] == cyc; k++) {
            struct health_estimate est;
            health_get(h, &est);
            pred[k] = est.rul_hours; /* one cycle is one plant hour */
            lo[k] = est.rul_lo_hours;
            hi[k] = est.rul_hi_hours;
        }
    }
    health_free(h);
    return 0;
}

static double nasa(double err)
{
    return err < 0 ? exp(-err / 13.0) - 1.0 : exp(err / 10.0) - 1.0;
}

struct score {
    double se, nasa, width;
    long count, covered;
};

static void score_add(struct score *s, double pred, double lo, double hi, double truth)
{
    s->se += (pred - truth) * (pred - truth);
    s->nasa += nasa(pred - truth);
    s->width += hi - lo;
    s->covered += truth >= lo && truth <= hi;
    s->count++;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Each engine's cut points: after the first 30 cycles, as the test set cuts; the same draws
 * as earlier versions of this bench (fold by fold, engines in file order). */
static void draw_cuts(struct engine *e, int n)
{
    uint64_t seed = 12345;
    for (int fold = 0; fold < FOLDS; fold++)
        for (int i = 0; i < n; i++) {
            if (e[i].unit % FOLDS != fold)
                continue;
            for (int c = 0; c < CUTS; c++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                e[i].cut[c] = 31 + (int)((seed >> 33) % (uint64_t)(e[i].cycles - 30));
            }
            qsort(e[i].cut, CUTS, sizeof(int), cmp_int);
        }
}

/* Judges engines of one fold (-1: all) with model m, adding to s. */
static int judge(const struct data *d, struct engine *e, int n, int fold, const struct rul_model *m,
                 const int *ch, int nch, struct score *s, struct score *near)
{
    for (int i = 0; i < n; i++) {
        if (fold >= 0 && e[i].unit % FOLDS != fold)
            continue;
        if (predict(d, &e[i], m, ch, nch, e[i].cut, CUTS, e[i].pred, e[i].lo, e[i].hi) < 0)
            return -1;
        for (int c = 0; c < CUTS; c++) {
            double truth = fmin(TRUTH_CAP, (double)(e[i].cycles - e[i].cut[c]));
            score_add(s, e[i].pred[c], e[i].lo[c], e[i].hi[c], truth);
            if (truth < NEAR)
                score_add(near, e[i].pred[c], e[i].lo[c], e[i].hi[c], truth);
        }
    }
    return 0;
}

static void print_score(const char *what, const struct score *s)
{
    printf("%s: rmse %.2f nasa_score %.0f (%.2f per prediction), 80 %% interval covers %.1f %% "
           "(mean width %.1f cycles), %ld predictions\n",
           what, sqrt(s->se / s->count), s->nasa, s->nasa / s->count, 100.0 * s->covered / s->count,
           s->width / s->count, s->count);
}

static int cross_validate(const struct data *d, const double *values, const int *ch, int nch)
{
    struct engine *e;
    int n;
    if (engines(d, "train", &e, &n) < 0)
        return -1;
    draw_cuts(e, n);
    struct score cv = {0}, in = {0}, cv_near = {0}, in_near = {0};
    struct rul_model m;
    for (int fold = 0; fold < FOLDS; fold++) {
        if (fit(values, e, n, fold, nch, &m) < 0 ||
            judge(d, e, n, fold, &m, ch, nch, &cv, &cv_near) < 0) {
            free(e);
            return -1;
        }
        printf("fold %d: span %.0f cap %.0f lambda %g, inner-CV rmse %.2f\n", fold, m.span, m.cap,
               m.lambda, m.inner_rmse);
    }
    if (fit(values, e, n, -1, nch, &m) < 0 || judge(d, e, n, -1, &m, ch, nch, &in, &in_near) < 0) {
        free(e);
        return -1;
    }
    printf("all engines: span %.0f cap %.0f lambda %g, inner-CV rmse %.2f\n", m.span, m.cap,
           m.lambda, m.inner_rmse);
    print_score("in-sample (fit on all 100 engines)", &in);
    print_score("10-fold cross-validation by engine", &cv);
    print_score("  of which fewer than 50 cycles to failure, in-sample", &in_near);
    print_score("  of which fewer than 50 cycles to failure, cross-validation", &cv_near);
    printf("BENCH rul_cmapss_cv_rmse %.2f cycles\n", sqrt(cv.se / cv.count));
    printf("BENCH rul_cmapss_cv_nasa_per_engine %.2f score\n", cv.nasa / cv.count);
    printf("BENCH rul_cmapss_cv_coverage80 %.1f %%\n", 100.0 * cv.covered / cv.count);
    printf("BENCH rul_cmapss_insample_rmse %.2f cycles\n", sqrt(in.se / in.count));
    free(e);
    return 0;
}

static int test_set(const struct data *train, const double *values, const int *ch, int nch,
                    const char *test_path, const char *rul_path, const char *pred_path)
{
    struct data test = {0};
    struct engine *tr = NULL, *te = NULL;
    int ntr, nte, rc = -1;
    FILE *rf = NULL, *pf = NULL;
    struct rul_model m;
    struct score s = {0};
    if (load(test_path, &test) < 0 || engines(train, "train", &tr, &ntr) < 0 ||
        engines(&test, test_path, &te, &nte) < 0)
        goto out;
    if (!(rf = fopen(rul_path, "r")) || (pred_path && !(pf = fopen(pred_path, "w")))) {
        fprintf(stderr, "rul_cmapss: %s: %s\n", rf ? pred_path : rul_path, strerror(errno));
        goto out;
    }
    if (fit(values, tr, ntr, -1, nch, &m) < 0)
        goto out;
    for (int i = 0; i < nte; i++) {
        double truth, pred, lo, hi;
        if (fscanf(rf, "%lf", &truth) != 1) {
            fprintf(stderr, "rul_cmapss: %s: %d values for %d test engines\n", rul_path, i, nte);
            goto out;
        }
        if (predict(&test, &te[i], &m, ch, nch, &te[i].cycles, 1, &pred, &lo, &hi) < 0)
            goto out;
        if (pf)
            fprintf(pf, "%.1f\n", pred); /* one per line, as RUL_FD001.txt */
        score_add(&s, pred, lo, hi, fmin(TRUTH_CAP, truth));
    }
    print_score("official test engines", &s);
    printf("BENCH rul_cmapss_test_rmse %.2f cycles\n", sqrt(s.se / s.count));
    rc = 0;
out:
    if (rf)
        fclose(rf);
    if (pf)
        fclose(pf);
    free(tr);
    free(te);
    free(test.rows);
    return rc;
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
    double *values = channel_values(&train, ch, nch);
    if (!values)
        return 1;
    int rc = np == 3 ? test_set(&train, values, ch, nch, paths[1], paths[2], pred)
                     : cross_validate(&train, values, ch, nch);
    free(values);
    free(train.rows);
    return rc < 0 ? 1 : 0;
}
