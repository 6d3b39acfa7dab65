// SPDX-License-Identifier: MIT
/* Predictive maintenance: health index, remaining useful life, tool RUL, spindle health. */
#include "health.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_LEVEL_TAU_S 600.0 /* slow level of a condition sensor */
#define HEALTH_SPINDLE_TAU_S 30.0
#define HEALTH_TREND_PERIOD_S 60.0 /* one point of the degradation trend per plant minute */
#define HEALTH_TREND_MEMORY 30.0   /* points: about half a plant hour */
#define HEALTH_TAYLOR_N 0.25       /* Taylor exponent of carbide tools */
#define HEALTH_CUT_TAU_S 300.0     /* cutting time over which the quoted conditions average */
#define HEALTH_CUT_LOAD 0.25       /* load (of the nominal) above which the spindle cuts */
#define HEALTH_RUL_BAND 0.1        /* an RUL is given from the outer 10 % of the healthy band on */
/* (truth + offset) / (estimate + offset): 10th and 90th percentile over the 244 estimates of
 * the 16 simulated faults (build/bench/rul_faults, seed 1) */
#define HEALTH_RUL_RATIO_LO 0.584
#define HEALTH_RUL_RATIO_HI 2.575
#define HEALTH_RUL_COVERAGE 0.8f

/* Weighted least squares of y on t with exponential forgetting, O(1) per point. */
struct health_rls {
    double w, st, sy, stt, sty, syy;
};

static void health_rls_add(struct health_rls *r, double t, double y, double keep)
{
    r->w = keep * r->w + 1.0;
    r->st = keep * r->st + t;
    r->sy = keep * r->sy + y;
    r->stt = keep * r->stt + t * t;
    r->sty = keep * r->sty + t * y;
    r->syy = keep * r->syy + y * y;
}

/* Slope, value at t_now and the slope's standard error; -1 when too few points. */
static int health_rls_fit(const struct health_rls *r, double t_now, double *slope, double *at_now,
                          double *se)
{
    if (r->w < 5.0)
        return -1;
    double mt = r->st / r->w, my = r->sy / r->w;
    double vtt = r->stt / r->w - mt * mt;
    if (vtt <= 1e-12)
        return -1;
    double cty = r->sty / r->w - mt * my;
    double vyy = r->syy / r->w - my * my;
    *slope = cty / vtt;
    *at_now = my + *slope * (t_now - mt);
    double resid = vyy - *slope * cty;
    resid = resid > 0 ? resid : 0;
    *se = sqrt(resid / (vtt * (r->w - 2.0 > 1.0 ? r->w - 2.0 : 1.0)));
    return 0;
}

struct health_sensor {
    bool condition;                    /* counts towards the health index */
    double alpha, alpha_dt, alpha_tau; /* EWMA weight cached for the last tick */
    bool seen;
    double level;
    int64_t last_ms;
    double d;                /* degradation: 0 at the normal band's edge, 1 at the alarm limit */
    double rul_from;         /* d of the outer HEALTH_RUL_BAND of the band */
    struct health_rls trend; /* of d over plant hours */
};

struct health {
    const struct catalog_type *type;
    int n;
    double warmup_s;
    int64_t start_ms, last_ms, next_trend_ms;
    double degradation;
    int worst;
    bool trending; /* warm-up over: trend points are being taken */
    /* CNC */
    int wear, runtime, rpm, load, vib, temp;
    double wear_limit, rpm_ref, load_ref;
    double last_wear, last_runtime, equiv_min, cur_rpm, cur_load;
    double cut_factor; /* cutting factor averaged over recent cutting time only; 0: none yet */
    bool have_wear;
    struct health_rls tool;
    double spindle_vib, spindle_temp;
    bool spindle_seen;
    /* learned RUL model (health_set_rul_model) */
    const struct rul_model *model;
    signed char channel[CATALOG_SENSORS_MAX]; /* model channel of each sensor, -1 */
    int64_t step_ms, open_step;
    double pending[RUL_CHANNELS_MAX]; /* the open step's latest value per channel */
    uint32_t pending_seen;            /* channels seen at least once (bit per channel) */
    bool open_any;                    /* the open step holds a sample */
    struct rul_features features;
    struct health_sensor s[]; /* n of them */
};

static bool health_is_condition(const struct catalog_sensor *cs)
{
    if (cs->is_text || strncmp(cs->name, "tool.", 5) == 0)
        return false;
    if (!isfinite(cs->alarm_hi) && !isfinite(cs->alarm_lo))
        return false;
    double band = cs->normal_hi - cs->normal_lo, range = cs->display_max - cs->display_min;
    /* A band covering half the scale is an operating variable (speed, load, power). */
    return !(isfinite(band) && isfinite(range) && range > 0 && band >= 0.5 * range);
}

static double health_limit(const struct catalog_sensor *cs, double fallback)
{
    if (isfinite(cs->alarm_hi))
        return cs->alarm_hi;
    if (isfinite(cs->warn_hi))
        return cs->warn_hi;
    return fallback;
}

struct health *health_create(const struct catalog_type *t, double warmup_s, char *err,
                             size_t errlen)
{
    int n = catalog_sensor_count(t);
    struct health *h = calloc(1, sizeof(*h) + (size_t)n * sizeof(h->s[0]));
    if (!h) {
        snprintf(err, errlen, "health: out of memory");
        return NULL;
    }
    h->type = t;
    h->n = n;
    h->warmup_s = warmup_s > 0 ? warmup_s : HEALTH_DEFAULT_WARMUP_S;
    h->worst = -1;
    for (int i = 0; i < h->n; i++) {
        const struct catalog_sensor *cs = &t->sensors[i];
        h->s[i].condition = health_is_condition(cs);
        double band = cs->normal_hi - cs->normal_lo;
        double room =
            isfinite(cs->alarm_hi) ? cs->alarm_hi - cs->normal_hi : cs->normal_lo - cs->alarm_lo;
        h->s[i].rul_from =
            isfinite(band) && isfinite(room) && room > 0 ? -HEALTH_RUL_BAND * band / room : 0.0;
    }
    h->wear = catalog_sensor_find(t, "tool.wear_percent");
    h->runtime = catalog_sensor_find(t, "tool.runtime_minutes");
    h->rpm = catalog_sensor_find(t, "spindle.rpm");
    h->load = catalog_sensor_find(t, "spindle.load_percent");
    h->vib = catalog_sensor_find(t, "spindle.vibration_mm_s");
    h->temp = catalog_sensor_find(t, "spindle.temperature_c");
    h->wear_limit = h->wear >= 0 ? health_limit(&t->sensors[h->wear], 100.0) : 100.0;
    h->rpm_ref = h->rpm >= 0 && t->sensors[h->rpm].nominal > 0 ? t->sensors[h->rpm].nominal : 1.0;
    h->load_ref =
        h->load >= 0 && t->sensors[h->load].nominal > 0 ? t->sensors[h->load].nominal : 1.0;
    h->last_wear = h->last_runtime = NAN;
    h->spindle_vib = h->spindle_temp = NAN;
    return h;
}

void health_free(struct health *h)
{
    free(h);
}

/* Where the smoothed level stands between the healthy band's edge (0) and the alarm limit (1);
 * negative inside the band. NAN when the sensor has no usable limit. */
static double health_degradation(const struct catalog_sensor *cs, double level)
{
    double d = NAN;
    if (isfinite(cs->alarm_hi)) {
        double edge =
            isfinite(cs->normal_hi) && cs->normal_hi < cs->alarm_hi ? cs->normal_hi : cs->nominal;
        if (isfinite(edge) && cs->alarm_hi > edge)
            d = (level - edge) / (cs->alarm_hi - edge);
    }
    if (isfinite(cs->alarm_lo)) {
        double edge =
            isfinite(cs->normal_lo) && cs->normal_lo > cs->alarm_lo ? cs->normal_lo : cs->nominal;
        if (isfinite(edge) && edge > cs->alarm_lo) {
            double lo = (edge - level) / (edge - cs->alarm_lo);
            d = isnan(d) || lo > d ? lo : d;
        }
    }
    return d;
}

static void health_trend_point(struct health *h)
{
    double t_h = (double)(h->last_ms - h->start_ms) / 3.6e6;
    int at = -1;
    for (int i = 0; i < h->n; i++) {
        struct health_sensor *s = &h->s[i];
        if (!s->condition || !s->seen)
            continue;
        s->d = health_degradation(&h->type->sensors[i], s->level);
        if (isnan(s->d))
            continue;
        health_rls_add(&s->trend, t_h, s->d, 1.0 - 1.0 / HEALTH_TREND_MEMORY);
        if (at < 0 || s->d > h->s[at].d)
            at = i;
    }
    if (at < 0)
        return;
    h->degradation = h->s[at].d;
    h->worst = at;
}

/* Taylor: wear rate ~ v^(1/n) x load^0.5; speed is taken as cutting speed at a fixed tool. */
static double health_cutting_factor(const struct health *h)
{
    double v = h->cur_rpm / h->rpm_ref, l = h->cur_load / h->load_ref;
    if (!(v > 0.05))
        return 0.0; /* spindle stopped: the tool does not wear */
    double f = pow(v, 1.0 / HEALTH_TAYLOR_N);
    if (l > 0)
        f *= sqrt(l);
    return f;
}

static void health_tool(struct health *h, int sensor, double value)
{
    if (sensor == h->rpm)
        h->cur_rpm = value;
    else if (sensor == h->load)
        h->cur_load = value;
    else if (sensor == h->runtime)
        h->last_runtime = value;
    if (sensor != h->wear)
        return;
    if (h->have_wear && value < h->last_wear - 5.0) {
        /* tool changed: start a new wear curve */
        memset(&h->tool, 0, sizeof(h->tool));
        h->equiv_min = 0.0;
    }
    h->have_wear = true;
    h->last_wear = value;
    health_rls_add(&h->tool, h->equiv_min, value, 1.0 - 1.0 / 3000.0);
}

/* Cutting, as opposed to idling, rapid moves or a tool change: the spindle turns under load. */
static bool health_cutting(const struct health *h)
{
    if (!(h->cur_rpm / h->rpm_ref > 0.05))
        return false;
    return h->load < 0 || h->cur_load >= HEALTH_CUT_LOAD * h->load_ref;
}

static void health_tool_clock(struct health *h, double dt_s)
{
    if (h->wear < 0 || h->rpm < 0 || !(dt_s > 0) || dt_s >= 3600)
        return;
    double f = health_cutting_factor(h);
    h->equiv_min += dt_s / 60.0 * f;
    /* the RUL is quoted at the conditions of recent cutting: idle periods leave it alone */
    if (health_cutting(h) && f > 0) {
        double w = h->cut_factor > 0 ? 1.0 - exp(-dt_s / HEALTH_CUT_TAU_S) : 1.0;
        h->cut_factor += w * (f - h->cut_factor);
    }
}

int health_set_rul_model(struct health *h, const struct rul_model *m, const int *sensors,
                         double step_s, char *err, size_t errlen)
{
    if (m->channels < 1 || m->channels > RUL_CHANNELS_MAX || !(step_s > 0)) {
        snprintf(err, errlen, "health: RUL model with %d channels (1..%d), step %g s (> 0)",
                 m->channels, RUL_CHANNELS_MAX, step_s);
        return -1;
    }
    memset(h->channel, -1, sizeof(h->channel));
    for (int c = 0; c < m->channels; c++) {
        if (sensors[c] < 0 || sensors[c] >= h->n) {
            snprintf(err, errlen, "health: RUL model channel %d: sensor %d of %d", c, sensors[c],
                     h->n);
            return -1;
        }
        h->channel[sensors[c]] = (signed char)c;
    }
    h->model = m;
    h->step_ms = (int64_t)(step_s * 1000.0 + 0.5) > 0 ? (int64_t)(step_s * 1000.0 + 0.5) : 1;
    h->open_step = INT64_MIN;
    h->pending_seen = 0;
    h->open_any = false;
    rul_model_features_init(m, &h->features);
    return 0;
}

static bool health_pending_full(const struct health *h)
{
    return h->pending_seen == (uint32_t)((1ull << h->model->channels) - 1);
}

/* One sample towards the model's current step; a sample of a later step closes the open one. */
static void health_model_sample(struct health *h, int sensor, double value, int64_t ts_ms)
{
    int64_t step = ts_ms >= 0 ? ts_ms / h->step_ms : -((-ts_ms - 1) / h->step_ms) - 1;
    if (step != h->open_step) {
        if (h->open_any && health_pending_full(h))
            rul_features_update(&h->features, h->pending);
        h->open_step = step;
        h->open_any = false;
    }
    int c = h->channel[sensor];
    if (c < 0)
        return;
    h->pending[c] = value;
    h->pending_seen |= 1u << c;
    h->open_any = true;
}

void health_update(struct health *h, int sensor, double value, int64_t ts_ms)
{
    if (sensor < 0 || sensor >= h->n || isnan(value))
        return;
    if (h->model)
        health_model_sample(h, sensor, value, ts_ms);
    if (h->start_ms == 0) {
        h->start_ms = h->last_ms = ts_ms;
        h->next_trend_ms = ts_ms + (int64_t)(HEALTH_TREND_PERIOD_S * 1000);
    }
    if (ts_ms > h->last_ms) {
        health_tool_clock(h, (double)(ts_ms - h->last_ms) / 1000.0);
        h->last_ms = ts_ms;
    }
    struct health_sensor *s = &h->s[sensor];
    double dt = s->seen ? (double)(ts_ms - s->last_ms) / 1000.0 : 0.0;
    if (!s->seen) {
        s->level = value;
        s->seen = true;
    } else if (dt > 0) {
        double age = (double)(ts_ms - h->start_ms) / 1000.0;
        /* Short memory at start so the level settles within the warm-up. */
        double tau = fmin(HEALTH_LEVEL_TAU_S, fmax(age / 2.0, dt));
        if (dt != s->alpha_dt || tau != s->alpha_tau) { /* the tick rarely changes */
            s->alpha_dt = dt;
            s->alpha_tau = tau;
            s->alpha = 1.0 - exp(-dt / tau);
        }
        s->level += s->alpha * (value - s->level);
    }
    s->last_ms = ts_ms;
    if (!h->trending && (double)(ts_ms - h->start_ms) / 1000.0 >= h->warmup_s)
        h->trending = true; /* the slow levels have settled */
    if (sensor == h->vib || sensor == h->temp) {
        double *lv = sensor == h->vib ? &h->spindle_vib : &h->spindle_temp;
        *lv = isnan(*lv) ? value
                         : *lv + (1.0 - exp(-fmax(dt, 0) / HEALTH_SPINDLE_TAU_S)) * (value - *lv);
        h->spindle_seen = true;
    }
    health_tool(h, sensor, value);
    if (h->trending && ts_ms >= h->next_trend_ms) {
        h->next_trend_ms = ts_ms + (int64_t)(HEALTH_TREND_PERIOD_S * 1000);
        health_trend_point(h);
    }
}

static double health_severity(const struct catalog_type *t, int sensor, double level)
{
    if (sensor < 0 || isnan(level))
        return 0.0;
    const struct catalog_sensor *cs = &t->sensors[sensor];
    double from = isfinite(cs->normal_hi) ? cs->normal_hi : cs->nominal;
    double to = health_limit(cs, NAN);
    if (!isfinite(from) || !isfinite(to) || to <= from)
        return 0.0;
    return fmin(1.0, fmax(0.0, (level - from) / (to - from)));
}

static double health_tool_rul(const struct health *h)
{
    double slope, at_now, se;
    if (h->wear < 0 || !h->have_wear ||
        health_rls_fit(&h->tool, h->equiv_min, &slope, &at_now, &se) < 0 || !(slope > 0))
        return NAN;
    double left = h->wear_limit - h->last_wear;
    if (left <= 0)
        return 0.0;
    /* cutting minutes at the conditions of recent cutting, so the figure does not jump when the
     * spindle idles between parts; before any cutting, the reference conditions */
    double f = h->cut_factor > 0 ? h->cut_factor : 1.0;
    return left / (slope * f);
}

/* Hours until sensor i's degradation trend reaches its alarm limit, with a confidence; NAN
 * without a clear upward trend. t of 3 is the least trend believed, 13 a clear one; a trend
 * still deep inside the healthy band is less sure than one close to the limit. */
static double health_sensor_rul(const struct health *h, int i, double t_now, double *conf,
                                double *lo, double *hi)
{
    const struct health_sensor *s = &h->s[i];
    double slope, at_now, se;
    *conf = 0.0;
    if (!s->condition || isnan(s->d) ||
        health_rls_fit(&s->trend, t_now, &slope, &at_now, &se) < 0 || !(slope > 0))
        return NAN;
    /* Points are a minute apart but the level has a ten-minute memory: about one point in
     * ten is independent, so the textbook standard error is too small by sqrt(10). */
    se *= sqrt(HEALTH_LEVEL_TAU_S / HEALTH_TREND_PERIOD_S);
    double tstat = se > 0 ? slope / se : 100.0;
    double closeness = fmin(1.0, fmax(0.0, 1.0 + 2.0 * fmax(at_now, s->d)));
    *conf = fmin(1.0, fmax(0.0, (tstat - 3.0) / 10.0)) * closeness;
    /* deep inside the healthy band a slope is operation, not wear: no estimate yet */
    if (*conf < 0.05 || fmax(at_now, s->d) < s->rul_from)
        return NAN;
    double rul = fmax(0.0, 1.0 - fmax(at_now, s->d)) / slope;
    *lo = fmax(0.0, (rul + HEALTH_RUL_OFFSET_H) * HEALTH_RUL_RATIO_LO - HEALTH_RUL_OFFSET_H);
    *hi = (rul + HEALTH_RUL_OFFSET_H) * HEALTH_RUL_RATIO_HI - HEALTH_RUL_OFFSET_H;
    return rul;
}

/* The learned model's estimate, counting the open step. */
static void health_model_get(const struct health *h, struct health_estimate *out)
{
    struct rul_features f = h->features;
    if (h->open_any && health_pending_full(h))
        rul_features_update(&f, h->pending);
    if (f.age == 0)
        return;
    struct rul_prediction p;
    rul_model_predict(h->model, &f, &p);
    double hours_per_step = (double)h->step_ms / 3.6e6;
    out->rul_hours = p.steps * hours_per_step;
    out->rul_lo_hours = p.lo * hours_per_step;
    out->rul_hi_hours = p.hi * hours_per_step;
    out->rul_coverage = (float)p.coverage;
    out->rul_confidence = (float)p.coverage; /* the model's estimate is always one to show */
}

void health_get(const struct health *h, struct health_estimate *out)
{
    out->health = NAN;
    out->rul_hours = NAN;
    out->rul_confidence = 0.0f;
    out->rul_lo_hours = out->rul_hi_hours = NAN;
    out->rul_coverage = 0.0f;
    out->worst_sensor = h->worst;
    if (h->worst >= 0) {
        out->health = (float)(100.0 * (1.0 - fmin(1.0, fmax(0.0, h->degradation))));
        double t_now = (double)(h->last_ms - h->start_ms) / 3.6e6;
        for (int i = 0; i < h->n && !h->model; i++) {
            double conf, lo, hi, rul = health_sensor_rul(h, i, t_now, &conf, &lo, &hi);
            if (!isnan(rul) && (isnan(out->rul_hours) || rul < out->rul_hours)) {
                out->rul_hours = rul;
                out->rul_confidence = (float)conf;
                out->rul_lo_hours = lo;
                out->rul_hi_hours = hi;
                out->rul_coverage = HEALTH_RUL_COVERAGE;
            }
        }
    }
    if (h->model)
        health_model_get(h, out);
    out->tool_rul_min = health_tool_rul(h);
    out->spindle_health = NAN;
    if (h->vib >= 0 || h->temp >= 0) {
        if (h->spindle_seen) {
            double sv = health_severity(h->type, h->vib, h->spindle_vib);
            double st = health_severity(h->type, h->temp, h->spindle_temp);
            double worst = fmax(sv, st), other = fmin(sv, st);
            out->spindle_health = (float)(100.0 * (1.0 - worst) * (1.0 - 0.25 * other));
        }
    }
}

double health_tool_rul_baseline(double runtime_min, double wear_percent, double spindle_rpm)
{
    return 270.0 - (0.6 * runtime_min + wear_percent * 2.7 + spindle_rpm / 15.0);
}

double health_spindle_baseline(double vibration_mm_s, double temperature_c)
{
    double h = 100.0 * (1.0 - 0.5 * vibration_mm_s / 6.0 - 0.4 * temperature_c / 80.0);
    return fmin(100.0, fmax(0.0, h));
}
