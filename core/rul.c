// SPDX-License-Identifier: MIT
/* Remaining useful life learned from run-to-failure histories: streaming features, a
 * second-order ridge model chosen by inner cross-validation, and a measured interval. */
#include "rul.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The grids the inner cross-validation chooses from. */
static const double rul_spans[] = {10, 15, 20, 25, 30, 40};
static const double rul_caps[] = {110, 115, 120, 125, 130, 135, 140};
static const double rul_lambdas[] = {1e-4, 1e-3, 1e-2};
#define RUL_NSPANS (int)(sizeof rul_spans / sizeof rul_spans[0])
#define RUL_NCAPS (int)(sizeof rul_caps / sizeof rul_caps[0])
#define RUL_NLAMBDAS (int)(sizeof rul_lambdas / sizeof rul_lambdas[0])
#define RUL_BAND_MIN 20 /* errors a band needs for its own quantiles; fewer: all bands pooled */

/*
 * Sufficient statistics of a ridge fit, so that folds are sums and differences of per-unit
 * blocks instead of new passes over the rows. Layout of one block of `stride` doubles:
 * n, sum x (dims), sum x x' (dims x dims, lower triangle used), then per target:
 * sum y, sum x y (dims).
 */
struct rul_stats {
    int dims, targets;
    size_t stride;
};

static size_t rul_stats_stride(int dims, int targets)
{
    return 1 + (size_t)dims + (size_t)dims * dims + (size_t)targets * (1 + dims);
}

static void rul_stats_add(const struct rul_stats *st, double *block, const double *x,
                          const double *y)
{
    int d = st->dims;
    double *s = block + 1, *g = s + d, *t = g + (size_t)d * d;
    block[0] += 1.0;
    for (int j = 0; j < d; j++) {
        s[j] += x[j];
        double *gj = g + (size_t)j * d;
        for (int k = 0; k <= j; k++)
            gj[k] += x[j] * x[k];
    }
    for (int c = 0; c < st->targets; c++, t += 1 + d) {
        t[0] += y[c];
        for (int j = 0; j < d; j++)
            t[1 + j] += x[j] * y[c];
    }
}

/* Cholesky solve of a (d x d, lower triangle, overwritten) w = b; -1 when not positive. */
static int rul_cholesky_solve(double *a, const double *b, double *w, int d)
{
    for (int j = 0; j < d; j++) {
        double s = a[j * d + j];
        for (int k = 0; k < j; k++)
            s -= a[j * d + k] * a[j * d + k];
        if (s <= 1e-12)
            return -1;
        a[j * d + j] = sqrt(s);
        for (int i = j + 1; i < d; i++) {
            double t = a[i * d + j];
            for (int k = 0; k < j; k++)
                t -= a[i * d + k] * a[j * d + k];
            a[i * d + j] = t / a[j * d + j];
        }
    }
    for (int i = 0; i < d; i++) {
        double t = b[i];
        for (int k = 0; k < i; k++)
            t -= a[i * d + k] * w[k];
        w[i] = t / a[i * d + i];
    }
    for (int i = d - 1; i >= 0; i--) {
        double t = w[i];
        for (int k = i + 1; k < d; k++)
            t -= a[k * d + i] * w[k];
        w[i] = t / a[i * d + i];
    }
    return 0;
}

/* Ridge on standardised, centred features from the statistics (target `target`); the
 * intercept is the mean of y and is not penalised. work: dims x (dims + 1) doubles. */
static int rul_stats_solve(const struct rul_stats *st, const double *block, int target,
                           double lambda, struct rul_ridge *r, double *work)
{
    int d = st->dims;
    const double *s = block + 1, *g = s + d;
    const double *t = g + (size_t)d * d + (size_t)target * (1 + d);
    double n = block[0];
    if (n < 2)
        return -1;
    r->dims = d;
    for (int j = 0; j < d; j++) {
        r->mean[j] = s[j] / n;
        double var = g[(size_t)j * d + j] / n - r->mean[j] * r->mean[j];
        r->scale[j] = var > 1e-24 ? sqrt(var) : 1.0;
    }
    double *a = work, *b = work + (size_t)d * d;
    for (int j = 0; j < d; j++) {
        for (int k = 0; k <= j; k++)
            a[j * d + k] =
                (g[(size_t)j * d + k] - n * r->mean[j] * r->mean[k]) / (r->scale[j] * r->scale[k]);
        a[j * d + j] += lambda * n;
        b[j] = (t[1 + j] - r->mean[j] * t[0]) / r->scale[j];
    }
    r->w[d] = t[0] / n;
    return rul_cholesky_solve(a, b, r->w, d);
}

int rul_ridge_fit(struct rul_ridge *r, const double *x, const double *y, size_t n, int dims,
                  double lambda, char *err, size_t errlen)
{
    if (dims < 1 || dims > RUL_DIMS_MAX || n < 2) {
        snprintf(err, errlen, "rul ridge: %d features (1..%d), %zu rows (>= 2)", dims, RUL_DIMS_MAX,
                 n);
        return -1;
    }
    struct rul_stats st = {dims, 1, rul_stats_stride(dims, 1)};
    double *block = calloc(st.stride, sizeof(double));
    double *work = calloc((size_t)dims * (dims + 1), sizeof(double));
    int rc = -1;
    if (block && work) {
        for (size_t i = 0; i < n; i++)
            rul_stats_add(&st, block, x + i * dims, y + i);
        rc = rul_stats_solve(&st, block, 0, lambda, r, work);
        if (rc < 0)
            snprintf(err, errlen, "rul ridge: singular system (raise lambda)");
    } else {
        snprintf(err, errlen, "rul ridge: out of memory");
    }
    free(block);
    free(work);
    return rc;
}

double rul_ridge_predict(const struct rul_ridge *r, const double *x)
{
    double y = r->w[r->dims];
    for (int j = 0; j < r->dims; j++)
        y += r->w[j] * (x[j] - r->mean[j]) / r->scale[j];
    return y;
}

void rul_features_init(struct rul_features *f, int channels, double span)
{
    memset(f, 0, sizeof(*f));
    f->channels = channels > RUL_CHANNELS_MAX ? RUL_CHANNELS_MAX : channels;
    f->alpha = 2.0 / (span + 1.0);
}

void rul_features_update(struct rul_features *f, const double *values)
{
    for (int c = 0; c < f->channels; c++) {
        if (f->age == 0) {
            f->level[c] = values[c];
            f->slope[c] = 0.0;
            continue;
        }
        /* Holt's linear smoothing: a level that does not lag a steady trend, and the trend */
        double prev = f->level[c];
        f->level[c] += f->alpha * (values[c] - f->level[c] - f->slope[c]) + f->slope[c];
        f->slope[c] += 0.5 * f->alpha * ((f->level[c] - prev) - f->slope[c]);
    }
    f->age++;
}

int rul_features_base(const struct rul_features *f, double *out)
{
    int n = 0;
    for (int c = 0; c < f->channels; c++)
        out[n++] = f->level[c];
    for (int c = 0; c < f->channels; c++)
        out[n++] = f->slope[c];
    out[n++] = (double)f->age;
    return n;
}

/* Standardised base features and their squares: the model's inputs. */
static int rul_expand(const double *base, int nb, const double *mean, const double *scale,
                      double *x)
{
    for (int j = 0; j < nb; j++) {
        double z = (base[j] - mean[j]) / scale[j];
        x[j] = z;
        x[nb + j] = z * z;
    }
    return 2 * nb;
}

static double rul_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Everything one fit needs: the options, the units, and the expanded rows of one span. */
struct rul_fit {
    const struct rul_unit *units;
    int n_units, channels, nb, dims, folds, first_step;
    double truth_cap, coverage;
    size_t rows;
    double *x;     /* rows x dims */
    int *left;     /* steps left per row */
    int *step;     /* 1-based step per row */
    int *unit;     /* unit per row */
    double *stats; /* (n_units + 1) blocks: per unit, then the total */
    double *work;
    struct rul_stats st;
    double base_mean[RUL_BASE_MAX], base_scale[RUL_BASE_MAX];
};

/* Base features of every row, their standardisation, the expanded rows and the statistics. */
static void rul_fit_span(struct rul_fit *fx, double span)
{
    struct rul_features f;
    double base[RUL_BASE_MAX], y[RUL_NCAPS], sum[2 * RUL_BASE_MAX] = {0};
    size_t r = 0;
    for (int u = 0; u < fx->n_units; u++) {
        rul_features_init(&f, fx->channels, span);
        for (int s = 0; s < fx->units[u].steps; s++, r++) {
            rul_features_update(&f, fx->units[u].values + (size_t)s * fx->channels);
            rul_features_base(&f, base);
            /* the base features now, expanded in place once their scale is known */
            memcpy(fx->x + r * fx->dims, base, (size_t)fx->nb * sizeof(double));
            for (int j = 0; j < fx->nb; j++) {
                sum[j] += base[j];
                sum[fx->nb + j] += base[j] * base[j];
            }
        }
    }
    for (int j = 0; j < fx->nb; j++) {
        double mean = sum[j] / fx->rows, var = sum[fx->nb + j] / fx->rows - mean * mean;
        fx->base_mean[j] = mean;
        fx->base_scale[j] = var > 1e-24 ? sqrt(var) : 1.0;
    }
    memset(fx->stats, 0, (fx->n_units + 1) * fx->st.stride * sizeof(double));
    double *total = fx->stats + (size_t)fx->n_units * fx->st.stride;
    for (r = 0; r < fx->rows; r++) {
        double *x = fx->x + r * fx->dims;
        memcpy(base, x, (size_t)fx->nb * sizeof(double));
        rul_expand(base, fx->nb, fx->base_mean, fx->base_scale, x);
        for (int c = 0; c < RUL_NCAPS; c++)
            y[c] = fmin(rul_caps[c], (double)fx->left[r]);
        rul_stats_add(&fx->st, fx->stats + (size_t)fx->unit[r] * fx->st.stride, x, y);
    }
    for (int u = 0; u < fx->n_units; u++)
        for (size_t k = 0; k < fx->st.stride; k++)
            total[k] += fx->stats[(size_t)u * fx->st.stride + k];
}

/* The statistics of every unit outside inner fold k. */
static void rul_fit_train(const struct rul_fit *fx, int k, double *out)
{
    const double *total = fx->stats + (size_t)fx->n_units * fx->st.stride;
    memcpy(out, total, fx->st.stride * sizeof(double));
    for (int u = k; u < fx->n_units; u += fx->folds)
        for (size_t j = 0; j < fx->st.stride; j++)
            out[j] -= fx->stats[(size_t)u * fx->st.stride + j];
}

/* Squared out-of-fold errors per (cap, lambda) of the current span; -1 when a fit fails. */
static int rul_fit_score(struct rul_fit *fx, double *train, double *se, long *count)
{
    struct rul_ridge r;
    *count = 0;
    for (int k = 0; k < fx->folds; k++) {
        rul_fit_train(fx, k, train);
        for (int c = 0; c < RUL_NCAPS; c++)
            for (int l = 0; l < RUL_NLAMBDAS; l++) {
                if (rul_stats_solve(&fx->st, train, c, rul_lambdas[l], &r, fx->work) < 0)
                    return -1;
                for (size_t i = 0; i < fx->rows; i++) {
                    if (fx->unit[i] % fx->folds != k || fx->step[i] < fx->first_step)
                        continue;
                    double p =
                        rul_clamp(rul_ridge_predict(&r, fx->x + i * fx->dims), 0, rul_caps[c]);
                    double e = p - fmin(fx->truth_cap, (double)fx->left[i]);
                    se[c * RUL_NLAMBDAS + l] += e * e;
                    *count += c == 0 && l == 0;
                }
            }
    }
    return 0;
}

static int rul_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double rul_quantile(const double *sorted, size_t n, double q)
{
    double at = q * (double)(n - 1);
    size_t i = (size_t)at;
    return i + 1 < n ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

static int rul_band(const struct rul_model *m, double pred)
{
    int b = (int)(pred / m->cap * RUL_BANDS);
    return b < 0 ? 0 : b >= RUL_BANDS ? RUL_BANDS - 1 : b;
}

/* Interval: quantiles of truth - prediction over the out-of-fold predictions of the chosen
 * setting, per band of the prediction. */
static int rul_fit_interval(struct rul_fit *fx, struct rul_model *m, int cap, double *train)
{
    double *e = malloc(fx->rows * sizeof(double));
    int *band = malloc(fx->rows * sizeof(int));
    size_t n = 0;
    struct rul_ridge r;
    int rc = e && band ? 0 : -1;
    for (int k = 0; rc == 0 && k < fx->folds; k++) {
        rul_fit_train(fx, k, train);
        rc = rul_stats_solve(&fx->st, train, cap, m->lambda, &r, fx->work);
        for (size_t i = 0; rc == 0 && i < fx->rows; i++) {
            if (fx->unit[i] % fx->folds != k || fx->step[i] < fx->first_step)
                continue;
            double p = rul_clamp(rul_ridge_predict(&r, fx->x + i * fx->dims), 0, m->cap);
            e[n] = fmin(fx->truth_cap, (double)fx->left[i]) - p;
            band[n++] = rul_band(m, p);
        }
    }
    double *sorted = rc == 0 ? malloc((n ? n : 1) * sizeof(double)) : NULL;
    double lo_q = (1.0 - m->coverage) / 2.0, hi_q = 1.0 - lo_q;
    for (int b = -1; sorted && b < RUL_BANDS; b++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (b < 0 || band[i] == b)
                sorted[k++] = e[i];
        if (b >= 0 && k < RUL_BAND_MIN)
            continue; /* keeps the pooled quantiles set below */
        qsort(sorted, k, sizeof(double), rul_cmp_double);
        for (int j = b < 0 ? 0 : b; j < (b < 0 ? RUL_BANDS : b + 1); j++) {
            m->err_lo[j] = k ? rul_quantile(sorted, k, lo_q) : 0.0;
            m->err_hi[j] = k ? rul_quantile(sorted, k, hi_q) : 0.0;
        }
    }
    rc = rc == 0 && sorted ? 0 : -1;
    free(sorted);
    free(e);
    free(band);
    return rc;
}

static int rul_fit_alloc(struct rul_fit *fx)
{
    fx->rows = 0;
    for (int u = 0; u < fx->n_units; u++)
        fx->rows += (size_t)fx->units[u].steps;
    fx->st = (struct rul_stats){fx->dims, RUL_NCAPS, rul_stats_stride(fx->dims, RUL_NCAPS)};
    fx->x = malloc(fx->rows * fx->dims * sizeof(double));
    fx->left = malloc(fx->rows * sizeof(int));
    fx->step = malloc(fx->rows * sizeof(int));
    fx->unit = malloc(fx->rows * sizeof(int));
    fx->stats = malloc((fx->n_units + 2) * fx->st.stride * sizeof(double));
    fx->work = malloc((size_t)fx->dims * (fx->dims + 1) * sizeof(double));
    if (!fx->x || !fx->left || !fx->step || !fx->unit || !fx->stats || !fx->work)
        return -1;
    size_t r = 0;
    for (int u = 0; u < fx->n_units; u++)
        for (int s = 0; s < fx->units[u].steps; s++, r++) {
            fx->left[r] = fx->units[u].steps - 1 - s;
            fx->step[r] = s + 1;
            fx->unit[r] = u;
        }
    return 0;
}

static void rul_fit_free(struct rul_fit *fx)
{
    free(fx->x);
    free(fx->left);
    free(fx->step);
    free(fx->unit);
    free(fx->stats);
    free(fx->work);
}

/* The inner cross-validation over the grids; fills span, cap index, lambda, inner RMSE. */
static int rul_fit_choose(struct rul_fit *fx, struct rul_model *m, int *cap, double *train)
{
    double best = INFINITY;
    for (int s = 0; s < RUL_NSPANS; s++) {
        double se[RUL_NCAPS * RUL_NLAMBDAS] = {0};
        long count;
        rul_fit_span(fx, rul_spans[s]);
        if (rul_fit_score(fx, train, se, &count) < 0 || count == 0)
            return -1;
        for (int i = 0; i < RUL_NCAPS * RUL_NLAMBDAS; i++)
            if (se[i] < best) {
                best = se[i];
                m->span = rul_spans[s];
                *cap = i / RUL_NLAMBDAS;
                m->lambda = rul_lambdas[i % RUL_NLAMBDAS];
                m->inner_rmse = sqrt(se[i] / count);
            }
    }
    m->cap = rul_caps[*cap];
    return 0;
}

int rul_model_fit(struct rul_model *m, const struct rul_unit *units, int n_units, int channels,
                  const struct rul_fit_options *opt, char *err, size_t errlen)
{
    struct rul_fit_options o = opt ? *opt : (struct rul_fit_options){0};
    struct rul_fit fx = {.units = units, .n_units = n_units, .channels = channels};
    fx.nb = 2 * channels + 1;
    fx.dims = 2 * fx.nb;
    fx.folds = o.inner_folds > 1 ? o.inner_folds : 5;
    fx.first_step = o.first_step > 0 ? o.first_step : 31;
    fx.truth_cap = o.truth_cap > 0 ? o.truth_cap : 125.0;
    if (channels < 1 || channels > RUL_CHANNELS_MAX || n_units < 2 * fx.folds) {
        snprintf(err, errlen, "rul model: %d channels (1..%d), %d units (>= %d)", channels,
                 RUL_CHANNELS_MAX, n_units, 2 * fx.folds);
        return -1;
    }
    memset(m, 0, sizeof(*m));
    m->channels = channels;
    m->coverage = o.coverage > 0 && o.coverage < 1 ? o.coverage : 0.8;
    int cap = 0, rc = rul_fit_alloc(&fx);
    const char *why = rc < 0 ? "out of memory" : "singular system";
    double *train = fx.stats ? fx.stats + (size_t)(n_units + 1) * fx.st.stride : NULL;
    if (rc == 0)
        rc = rul_fit_choose(&fx, m, &cap, train);
    if (rc == 0) {
        rul_fit_span(&fx, m->span);
        memcpy(m->base_mean, fx.base_mean, sizeof(m->base_mean));
        memcpy(m->base_scale, fx.base_scale, sizeof(m->base_scale));
        rc = rul_fit_interval(&fx, m, cap, train);
    }
    if (rc == 0)
        rc = rul_stats_solve(&fx.st, fx.stats + (size_t)n_units * fx.st.stride, cap, m->lambda,
                             &m->ridge, fx.work);
    if (rc < 0)
        snprintf(err, errlen, "rul model: %s", why);
    rul_fit_free(&fx);
    return rc;
}

void rul_model_features_init(const struct rul_model *m, struct rul_features *f)
{
    rul_features_init(f, m->channels, m->span);
}

void rul_model_predict(const struct rul_model *m, const struct rul_features *f,
                       struct rul_prediction *out)
{
    double base[RUL_BASE_MAX], x[RUL_DIMS_MAX];
    int nb = rul_features_base(f, base);
    rul_expand(base, nb, m->base_mean, m->base_scale, x);
    double p = rul_clamp(rul_ridge_predict(&m->ridge, x), 0, m->cap);
    int b = rul_band(m, p);
    out->steps = p;
    /* the interval always holds the estimate, even where a band's errors lean one way */
    out->lo = fmax(0.0, fmin(p, p + m->err_lo[b]));
    out->hi = fmax(p, p + m->err_hi[b]);
    out->coverage = m->coverage;
}
