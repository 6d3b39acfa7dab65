// SPDX-License-Identifier: MIT
/* EWMA drift detector for slow degradation and level shifts. */
#include "detect_drift.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct drift {
    double threshold, floor;
    double a_level, a_base, a_fast; /* a_fast 0: no confirmation */
    long warmup, seen;
    double level; /* medium EWMA: where the value is now */
    double fast;  /* short EWMA: whether the departure is still there */
    double base;  /* slow EWMA: where it used to be */
    double var;   /* long-run mean square of level - base */
    double dev;   /* mean absolute deviation of the value from the level: clips spikes */
    double last_u;
};

static size_t drift_state_size(const struct detect_sensor_cfg *cfg)
{
    (void)cfg;
    return sizeof(struct drift);
}

static void drift_init(void *state, const struct detect_sensor_cfg *cfg)
{
    struct drift *d = state;
    memset(d, 0, sizeof(*d));
    d->threshold = cfg->drift_threshold;
    d->floor = cfg->scale_floor;
    d->a_level = 2.0 / (cfg->drift_span + 1.0);
    d->a_base = 1.0 / cfg->drift_horizon;
    d->a_fast = cfg->drift_confirm_span > 0 ? 2.0 / (cfg->drift_confirm_span + 1.0) : 0.0;
    /* The gap's spread needs a few baseline lengths of history to mean anything. */
    d->warmup = cfg->warmup > cfg->drift_span * 4 ? cfg->warmup : cfg->drift_span * 4;
}

/* Moves the short EWMA (spikes clipped as for the level) and returns the gap that is judged:
 * the level's, or with confirmation the smaller of the level's and the short EWMA's when both
 * lie on the same side of the baseline (0 otherwise), so a departure that ended stops counting
 * within the short span instead of the level's. */
static double drift_judged_gap(struct drift *d, double x)
{
    double gap = d->level - d->base;
    if (d->a_fast <= 0.0)
        return gap;
    double r = x - d->fast;
    if (d->dev > 0 && fabs(r) > 4.0 * d->dev)
        r = r > 0 ? 4.0 * d->dev : -4.0 * d->dev;
    d->fast += d->a_fast * r;
    double now = d->fast - d->base;
    if ((gap > 0) != (now > 0))
        return 0.0;
    return fabs(now) < fabs(gap) ? now : gap;
}

/* A value not to be learned moves the level (where the value is now) but neither the baseline,
 * nor the gap's usual spread, nor the spike clip. */
static float drift_score_only(struct drift *d, double x)
{
    if (d->seen < d->warmup)
        return 0.0f;
    double r = x - d->level;
    if (fabs(r) > 4.0 * d->dev)
        r = r > 0 ? 4.0 * d->dev : -4.0 * d->dev;
    d->level += d->a_level * r;
    double sd = sqrt(d->var);
    double floor =
        d->floor > 1e-9 * (1.0 + fabs(d->base)) ? d->floor : 1e-9 * (1.0 + fabs(d->base));
    if (sd < floor)
        sd = floor;
    double u = drift_judged_gap(d, x) / sd;
    d->last_u = u;
    return (float)(fabs(u) / (fabs(u) + d->threshold));
}

static float drift_update(void *state, double x, bool learn)
{
    struct drift *d = state;
    if (isnan(x))
        return 0.0f;
    if (!learn)
        return drift_score_only(d, x);
    if (d->seen++ == 0) {
        d->level = d->base = d->fast = x;
        return 0.0f;
    }
    /* A spike is the z-score's business: clip the value before it moves the level. */
    double r = x - d->level;
    if (d->seen > d->warmup / 4 && fabs(r) > 4.0 * d->dev)
        r = r > 0 ? 4.0 * d->dev : -4.0 * d->dev;
    d->dev += (d->seen < d->warmup ? 1.0 / (double)d->seen : d->a_base) * (fabs(r) - d->dev);
    d->level += d->a_level * r;
    double gap = d->level - d->base;
    double sd = sqrt(d->var);
    double floor =
        d->floor > 1e-9 * (1.0 + fabs(d->base)) ? d->floor : 1e-9 * (1.0 + fabs(d->base));
    if (sd < floor)
        sd = floor;
    double u = gap / sd;
    double au = fabs(u);
    d->last_u = d->a_fast > 0.0 ? drift_judged_gap(d, x) / sd : u;
    /* Plain averages until `horizon` samples have been seen (a warm start), EWMA after. */
    double a = fmax(d->a_base, 1.0 / (double)d->seen);
    if (au >= 0.5 * d->threshold)
        a *= 0.25;
    /* Clipped hard so that a growing gap cannot teach itself to be usual. */
    double gc = d->seen < d->warmup ? fabs(gap) : fmin(fabs(gap), 3.0 * sd);
    d->var += a * (gc * gc - d->var);
    d->base += a * (x - d->base);
    if (d->seen < d->warmup)
        return 0.0f;
    return (float)(fabs(d->last_u) / (fabs(d->last_u) + d->threshold));
}

static void drift_explain(const void *state, char *buf, size_t len)
{
    const struct drift *d = state;
    snprintf(buf, len, "drift %s: level %.4g vs baseline %.4g, %.1fx its usual gap (fires at %.1f)",
             d->last_u >= 0 ? "up" : "down", d->level, d->base, fabs(d->last_u), d->threshold);
}

const struct detect_ops detect_drift_ops = {
    .name = "drift",
    .state_size = drift_state_size,
    .init = drift_init,
    .update = drift_update,
    .explain = drift_explain,
};
