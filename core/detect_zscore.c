// SPDX-License-Identifier: MIT
/* Robust rolling z-score detector. */
#include "detect_zscore.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct zscore {
    int window, count, pos, warmup;
    long seen;
    double threshold, floor;
    double slow_spread; /* long-run mean of the window spread: a floor for quiet stretches */
    double prior_median, prior_spread; /* catalog band: the reference before anything is learned */
    double last_value, last_median, last_spread, last_z;
    double *ring;   /* insertion order */
    double *sorted; /* the same values, ascending */
};

static size_t zscore_state_size(const struct detect_sensor_cfg *cfg)
{
    return sizeof(struct zscore) + 2 * (size_t)cfg->z_window * sizeof(double);
}

static void zscore_init(void *state, const struct detect_sensor_cfg *cfg)
{
    struct zscore *z = state;
    memset(z, 0, sizeof(*z));
    z->window = cfg->z_window;
    z->threshold = cfg->z_threshold;
    z->floor = cfg->scale_floor;
    z->warmup = cfg->warmup > cfg->z_window ? cfg->warmup : cfg->z_window;
    z->prior_median = cfg->prior_median;
    z->prior_spread = cfg->prior_spread;
    z->ring = (double *)(z + 1);
    z->sorted = z->ring + cfg->z_window;
}

/* First index in sorted[0..n) whose value is >= v; branch-free halving, so the unpredictable
 * comparisons of a noisy signal cost no mispredictions. */
static int zscore_lower_bound(const double *sorted, int n, double v)
{
    if (n == 0)
        return 0;
    const double *base = sorted;
    while (n > 1) {
        int half = n / 2;
        base = base[half - 1] < v ? base + half : base;
        n -= half;
    }
    return (int)(base - sorted) + (*base < v);
}

/* Quantile of the sorted window by linear interpolation. */
static double zscore_quantile(const struct zscore *z, double q)
{
    double at = q * (z->count - 1);
    int i = (int)at;
    double frac = at - i;
    if (i + 1 >= z->count)
        return z->sorted[z->count - 1];
    return z->sorted[i] + frac * (z->sorted[i + 1] - z->sorted[i]);
}

static void zscore_push(struct zscore *z, double x)
{
    if (z->count < z->window) {
        int at = zscore_lower_bound(z->sorted, z->count, x);
        memmove(z->sorted + at + 1, z->sorted + at, (size_t)(z->count - at) * sizeof(double));
        z->sorted[at] = x;
        z->count++;
    } else {
        /* Full window: the oldest value leaves, x enters; only the values between the two
         * positions move, by one place. */
        double old = z->ring[z->pos];
        int from = zscore_lower_bound(z->sorted, z->count, old);
        int to = zscore_lower_bound(z->sorted, z->count, x);
        if (to > from) {
            to--; /* x lands after the values that shift down into the freed place */
            memmove(z->sorted + from, z->sorted + from + 1, (size_t)(to - from) * sizeof(double));
        } else if (to < from) {
            memmove(z->sorted + to + 1, z->sorted + to, (size_t)(from - to) * sizeof(double));
        }
        z->sorted[to] = x;
    }
    z->ring[z->pos] = x;
    if (++z->pos == z->window)
        z->pos = 0;
}

static float zscore_update(void *state, double x, bool learn)
{
    struct zscore *z = state;
    if (isnan(x))
        return 0.0f;
    float score = 0.0f;
    if (z->count < 8 && !learn && z->prior_spread > 0) {
        /* nothing normal learned yet (a fault present from the start): the catalog band is
         * the only reference there is */
        double zz = (x - z->prior_median) / z->prior_spread;
        z->last_median = z->prior_median;
        z->last_spread = z->prior_spread;
        z->last_z = zz;
        if (z->seen >= z->warmup)
            score = (float)(fabs(zz) / (fabs(zz) + z->threshold));
    } else if (z->count >= 8) {
        double med = zscore_quantile(z, 0.5);
        double spread = (zscore_quantile(z, 0.75) - zscore_quantile(z, 0.25)) / 1.349;
        /* The slow average follows the window spread so a series that is usually noisy but
         * briefly flat does not score its next ordinary wiggle as a huge z. */
        if (learn)
            z->slow_spread +=
                (spread - z->slow_spread) / (z->seen < 1000 ? (double)z->seen + 1 : 1000.0);
        double s = spread;
        if (s < 0.5 * z->slow_spread)
            s = 0.5 * z->slow_spread;
        if (s < z->floor)
            s = z->floor;
        if (s < 1e-9 * (1.0 + fabs(med)))
            s = 1e-9 * (1.0 + fabs(med));
        double zz = (x - med) / s;
        z->last_median = med;
        z->last_spread = s;
        z->last_z = zz;
        if (z->seen >= z->warmup) {
            double a = fabs(zz);
            score = (float)(a / (a + z->threshold));
        }
    }
    z->last_value = x;
    z->seen++;
    if (learn)
        zscore_push(z, x);
    return score;
}

static void zscore_explain(const void *state, char *buf, size_t len)
{
    const struct zscore *z = state;
    snprintf(buf, len, "z=%+.1f (|z|>=%.1f) vs median %.4g, spread %.3g over %d samples", z->last_z,
             z->threshold, z->last_median, z->last_spread, z->count);
}

const struct detect_ops detect_zscore_ops = {
    .name = "zscore",
    .state_size = zscore_state_size,
    .init = zscore_init,
    .update = zscore_update,
    .explain = zscore_explain,
};
