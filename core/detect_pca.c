// SPDX-License-Identifier: MIT
/* The multivariate process monitor: dynamic PCA with T^2 and SPE, calibrated on normal rows. */
#include "detect_pca.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCA_BINS 256 /* log-binned calibration histogram: 16 bins per octave, 2^-8 .. 2^8 */
#define PCA_PER_OCTAVE 16
#define PCA_MIN_LOG2 (-8)
#define PCA_TAIL_Q 0.95  /* above this quantile of the calibration rows an exponential tail */
#define PCA_TAIL_MIN 5.0 /* excesses needed before the tail is trusted */

struct detect_pca {
    struct detect_pca_params p;
    int n, dims, k;
    long rows, fitted_at, normal_since_fit;
    double *last; /* n: the last value of each sensor, NaN before the first */
    double *hist; /* (lags + 1) x n ring of complete rows, newest at hist_at */
    int hist_at, hist_len;
    double *z;    /* dims: the current augmented row */
    double *mean; /* dims: recursive statistics */
    double *scat; /* dims x dims: weighted scatter matrix */
    double weight;
    double *cmean, *csd; /* the fitted model's centring and scaling (csd 0: constant, left out) */
    double *load;        /* dims x dims eigenvectors (columns), the first k retained */
    double *eig;         /* dims eigenvalues, descending */
    double *x, *t;       /* last standardised row and its scores */
    double t2_lim, q_lim, t2, spe, phi_s;
    bool fitted, smoothed_once;
    float bins[PCA_BINS]; /* calibration counts; once calibrated, the count above each bin
                           * (half its own), so a tail probability is one lookup */
    double *calib;        /* the calibration rows' index, only while they last */
    double calib_n, excess_sum, excess_n, tail_at;
    float score;
};

void detect_pca_params_default(struct detect_pca_params *p)
{
    /* chosen by two-fold cross-validation by engine on C-MAPSS FD001 (tests/bench/mv_cmapss.py):
     * lagged and smoothed variants flag more faults but miscalibrate on engines not trained on */
    p->lags = 0;
    p->train_rows = 1800;
    p->calib_rows = 1200;
    p->var_kept = 0.9;
    p->alpha = 0.005;
    p->smooth = 1;
    p->refit = 2000;
    p->forget = 20000;
}

static int pca_check(int sensors, const struct detect_pca_params *p, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (sensors < 1 || sensors > DETECT_PCA_SENSORS_MAX)
        bad = "sensors must be 1..64";
    else if (p->lags < 0 || p->lags > DETECT_PCA_LAGS_MAX)
        bad = "pca_lags must be 0..4";
    else if (p->train_rows < 20 || p->calib_rows < 20)
        bad = "pca_train_rows and pca_calib_rows must be at least 20";
    else if (!(p->var_kept >= 0.5 && p->var_kept <= 0.999))
        bad = "pca_var_kept must be 0.5..0.999";
    else if (!(p->alpha >= 1e-6 && p->alpha <= 0.2))
        bad = "pca_alpha must be 1e-6..0.2";
    else if (p->smooth < 1 || p->refit < 0 || !(p->forget >= 0))
        bad = "pca_smooth must be >= 1, pca_refit and pca_forget >= 0";
    if (bad)
        snprintf(err, errlen, "multivariate monitor: %s", bad);
    return bad ? -1 : 0;
}

struct detect_pca *detect_pca_create(int sensors, const struct detect_pca_params *p, char *err,
                                     size_t errlen)
{
    if (pca_check(sensors, p, err, errlen) < 0)
        return NULL;
    struct detect_pca *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "multivariate monitor: out of memory");
        return NULL;
    }
    m->p = *p;
    m->n = sensors;
    m->dims = sensors * (p->lags + 1);
    size_t d = (size_t)m->dims;
    m->last = malloc((size_t)sensors * sizeof(double));
    m->hist = calloc((size_t)(p->lags + 1) * (size_t)sensors, sizeof(double));
    m->z = calloc(d, sizeof(double));
    m->mean = calloc(d, sizeof(double));
    m->scat = calloc(d * d, sizeof(double));
    m->cmean = calloc(d, sizeof(double));
    m->csd = calloc(d, sizeof(double));
    m->load = calloc(d * d, sizeof(double));
    m->eig = calloc(d, sizeof(double));
    m->x = calloc(d, sizeof(double));
    m->t = calloc(d, sizeof(double));
    if (!m->last || !m->hist || !m->z || !m->mean || !m->scat || !m->cmean || !m->csd || !m->load ||
        !m->eig || !m->x || !m->t) {
        detect_pca_free(m);
        snprintf(err, errlen, "multivariate monitor: out of memory for %d sensors", sensors);
        return NULL;
    }
    for (int i = 0; i < sensors; i++)
        m->last[i] = NAN;
    return m;
}

void detect_pca_free(struct detect_pca *m)
{
    if (!m)
        return;
    free(m->last);
    free(m->hist);
    free(m->z);
    free(m->mean);
    free(m->scat);
    free(m->cmean);
    free(m->csd);
    free(m->load);
    free(m->eig);
    free(m->x);
    free(m->t);
    free(m->calib);
    free(m);
}

/* Weighted recursive mean and scatter: old rows weigh beta, the new one 1 (West's update). */
static void pca_learn(struct detect_pca *m, bool forget)
{
    int d = m->dims;
    double beta = forget && m->p.forget > 0 ? 1.0 - 1.0 / m->p.forget : 1.0;
    double w_new = beta * m->weight + 1.0, f = beta * m->weight / w_new;
    for (int i = 0; i < d; i++)
        m->x[i] = m->z[i] - m->mean[i]; /* x is scratch here: the deviation before the update */
    for (int i = 0; i < d; i++) {
        double *row = m->scat + (size_t)i * (size_t)d, xi = f * m->x[i];
        for (int j = 0; j <= i; j++)
            row[j] = beta * row[j] + xi * m->x[j];
        m->mean[i] += m->x[i] / w_new;
    }
    m->weight = w_new;
}

/* Cyclic Jacobi eigen decomposition of the symmetric a (d x d, destroyed): eigenvalues into
 * eig, eigenvectors into the columns of v. */
static void pca_jacobi(double *a, int d, double *eig, double *v)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            v[i * d + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < d; i++) {
            diag += a[i * d + i] * a[i * d + i];
            for (int j = i + 1; j < d; j++)
                off += a[i * d + j] * a[i * d + j];
        }
        if (off <= 1e-22 * diag || off == 0)
            break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (fabs(apq) < 1e-300)
                    continue;
                double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < d; k++) {
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) {
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < d; k++) {
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < d; i++)
        eig[i] = a[i * d + i];
}

/* Upper quantile of the standard normal at tail probability a (Acklam's rational form,
 * relative error below 1.2e-9). */
static double pca_normal_upper(double a)
{
    static const double c1[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double c2[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c3[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00,  2.938163982698783e+00};
    static const double c4[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    double p = 1.0 - a, q, r;
    if (p > 0.97575) {
        q = sqrt(-2 * log(1 - p));
        return -(((((c3[0] * q + c3[1]) * q + c3[2]) * q + c3[3]) * q + c3[4]) * q + c3[5]) /
               ((((c4[0] * q + c4[1]) * q + c4[2]) * q + c4[3]) * q + 1);
    }
    q = p - 0.5;
    r = q * q;
    return (((((c1[0] * r + c1[1]) * r + c1[2]) * r + c1[3]) * r + c1[4]) * r + c1[5]) * q /
           (((((c2[0] * r + c2[1]) * r + c2[2]) * r + c2[3]) * r + c2[4]) * r + 1);
}

/* Control limits at false-alarm rate alpha: chi-square (Wilson-Hilferty) for T^2 with k degrees
 * of freedom, Jackson-Mudholkar for SPE from the residual eigenvalues. */
static void pca_limits(struct detect_pca *m)
{
    double za = pca_normal_upper(m->p.alpha), k = m->k;
    double h = 2.0 / (9.0 * k);
    m->t2_lim = k * pow(1 - h + za * sqrt(h), 3);
    double th1 = 0, th2 = 0, th3 = 0;
    for (int i = m->k; i < m->dims; i++) {
        double l = m->eig[i];
        th1 += l;
        th2 += l * l;
        th3 += l * l * l;
    }
    if (th1 <= 1e-12 || th2 <= 0) {
        m->q_lim = 1e-9;
        return;
    }
    double h0 = 1 - 2 * th1 * th3 / (3 * th2 * th2);
    if (h0 < 0.05)
        h0 = 0.05;
    double base = za * sqrt(2 * th2 * h0 * h0) / th1 + 1 + th2 * h0 * (h0 - 1) / (th1 * th1);
    m->q_lim = th1 * pow(base > 1e-3 ? base : 1e-3, 1 / h0);
}

/* Fits the model from the recursive statistics: correlation matrix, eigen decomposition, the
 * retained components and the control limits. */
static void pca_fit(struct detect_pca *m)
{
    int d = m->dims;
    double *a = malloc((size_t)d * (size_t)d * sizeof(double));
    if (!a)
        return; /* keep the previous model (or none): judged as before */
    for (int i = 0; i < d; i++) {
        double var = m->scat[(size_t)i * (size_t)d + (size_t)i] / m->weight;
        double sd = var > 0 ? sqrt(var) : 0;
        m->cmean[i] = m->mean[i];
        m->csd[i] = sd > 1e-9 * (1 + fabs(m->mean[i])) ? sd : 0;
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            double c = 0;
            if (m->csd[i] > 0 && m->csd[j] > 0)
                c = m->scat[(size_t)i * (size_t)d + (size_t)j] / m->weight /
                    (m->csd[i] * m->csd[j]);
            a[i * d + j] = a[j * d + i] = c;
        }
    double *eig = malloc((size_t)d * sizeof(double));
    double *v = malloc((size_t)d * (size_t)d * sizeof(double));
    if (!eig || !v) {
        free(a);
        free(eig);
        free(v);
        return;
    }
    pca_jacobi(a, d, eig, v);
    /* sort descending into the model (selection sort: d is small and this runs rarely) */
    double total = 0;
    for (int c = 0; c < d; c++) {
        int best = c;
        for (int j = c + 1; j < d; j++)
            if (eig[j] > eig[best])
                best = j;
        double e = eig[best];
        eig[best] = eig[c];
        eig[c] = e;
        for (int r = 0; r < d; r++) {
            double tmp = v[r * d + best];
            v[r * d + best] = v[r * d + c];
            v[r * d + c] = tmp;
        }
        m->eig[c] = e > 0 ? e : 0;
        total += m->eig[c];
    }
    memcpy(m->load, v, (size_t)d * (size_t)d * sizeof(double));
    double floor = total > 0 ? 1e-6 * total : 1e-12, acc = 0;
    int k = 0;
    while (k < d && (k == 0 || acc < m->p.var_kept * total))
        acc += m->eig[k++];
    if (k >= d && d > 1)
        k = d - 1;
    m->k = k;
    for (int i = 0; i < d; i++)
        if (m->eig[i] < floor)
            m->eig[i] = floor;
    pca_limits(m);
    m->fitted = true;
    m->fitted_at = m->rows;
    m->normal_since_fit = 0;
    free(a);
    free(eig);
    free(v);
}

void detect_pca_fit_now(struct detect_pca *m)
{
    if (!m->fitted && m->rows >= 20)
        pca_fit(m);
}

/* Standardises z into x and projects: T^2 and SPE in units of their limits. */
static void pca_judge(struct detect_pca *m)
{
    int d = m->dims, k = m->k;
    double sq = 0, t2 = 0, tsq = 0;
    for (int i = 0; i < d; i++) {
        m->x[i] = m->csd[i] > 0 ? (m->z[i] - m->cmean[i]) / m->csd[i] : 0;
        sq += m->x[i] * m->x[i];
    }
    for (int a = 0; a < k; a++) {
        double s = 0;
        for (int i = 0; i < d; i++)
            s += m->load[i * d + a] * m->x[i];
        m->t[a] = s;
        tsq += s * s;
        t2 += s * s / m->eig[a];
    }
    double spe = sq - tsq;
    m->t2 = t2 / m->t2_lim;
    m->spe = (spe > 0 ? spe : 0) / m->q_lim;
}

static int pca_bin(double v)
{
    if (!(v > 0))
        return 0;
    int b = (int)floor((log2(v) - PCA_MIN_LOG2) * PCA_PER_OCTAVE);
    return b < 0 ? 0 : b >= PCA_BINS ? PCA_BINS - 1 : b;
}

/* Tail probability of phi among the calibration rows, exponential beyond their PCA_TAIL_Q. */
static double pca_tail(const struct detect_pca *m, double phi)
{
    if (m->calib_n < 1)
        return 1.0;
    if (phi > m->tail_at && m->excess_n >= PCA_TAIL_MIN && m->excess_sum > 0) {
        double beta = m->excess_sum / m->excess_n;
        return (1 - PCA_TAIL_Q) * exp(-(phi - m->tail_at) / beta);
    }
    double p = m->bins[pca_bin(phi)] / m->calib_n;
    return p > 1e-12 ? p : 1e-12;
}

static int pca_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* After the calibration rows: the counts become counts above, where the tail starts and its mean
 * excess (peaks over threshold).
 * Without the rows (out of memory) the empirical histogram alone answers. */
static void pca_tail_fit(struct detect_pca *m)
{
    int n = m->p.calib_rows;
    float above = 0;
    for (int b = PCA_BINS - 1; b >= 0; b--) {
        float own = m->bins[b];
        m->bins[b] = above + 0.5f * own;
        above += own;
    }
    m->tail_at = INFINITY;
    m->excess_sum = m->excess_n = 0;
    if (!m->calib)
        return;
    qsort(m->calib, (size_t)n, sizeof(double), pca_cmp);
    m->tail_at = m->calib[(int)(PCA_TAIL_Q * (n - 1))];
    for (int i = 0; i < n; i++)
        if (m->calib[i] > m->tail_at) {
            m->excess_sum += m->calib[i] - m->tail_at;
            m->excess_n += 1;
        }
}

static float pca_score_of(const struct detect_pca *m, double p)
{
    double s = log10(p) / (2 * log10(m->p.alpha));
    return (float)(s < 0 ? 0 : s > 1 ? 1 : s);
}

/* Builds the augmented row from the last values; false while a sensor has never reported. */
static bool pca_row(struct detect_pca *m, const double *row)
{
    for (int i = 0; i < m->n; i++)
        if (isfinite(row[i]))
            m->last[i] = row[i];
    for (int i = 0; i < m->n; i++)
        if (!isfinite(m->last[i]))
            return false;
    int slots = m->p.lags + 1;
    m->hist_at = (m->hist_at + 1) % slots;
    memcpy(m->hist + (size_t)m->hist_at * (size_t)m->n, m->last, (size_t)m->n * sizeof(double));
    if (m->hist_len < slots)
        m->hist_len++;
    if (m->hist_len < slots)
        return false;
    for (int l = 0; l < slots; l++) {
        int at = (m->hist_at - l + slots) % slots;
        memcpy(m->z + (size_t)l * (size_t)m->n, m->hist + (size_t)at * (size_t)m->n,
               (size_t)m->n * sizeof(double));
    }
    return true;
}

float detect_pca_update(struct detect_pca *m, const double *row, bool learn)
{
    if (!pca_row(m, row))
        return m->score = 0.0f;
    m->rows++;
    if (!m->fitted) {
        if (learn)
            pca_learn(m, false);
        if (m->weight >= m->p.train_rows)
            pca_fit(m);
        return m->score = 0.0f;
    }
    pca_judge(m);
    double phi = m->t2 > m->spe ? m->t2 : m->spe;
    double a = 2.0 / (m->p.smooth + 1.0);
    m->phi_s = m->smoothed_once ? a * phi + (1 - a) * m->phi_s : phi;
    m->smoothed_once = true;
    long since = m->rows - m->fitted_at;
    if (since <= m->p.calib_rows) {
        /* calibration rows: normal operation the model did not fit */
        m->bins[pca_bin(m->phi_s)] += 1.0f;
        m->calib_n += 1;
        if (!m->calib && since == 1)
            m->calib = malloc((size_t)m->p.calib_rows * sizeof(double));
        if (m->calib)
            m->calib[since - 1] = m->phi_s;
        if (since == m->p.calib_rows) {
            pca_tail_fit(m);
            free(m->calib);
            m->calib = NULL;
        }
        if (learn)
            pca_learn(m, true);
        return m->score = 0.0f;
    }
    m->score = pca_score_of(m, pca_tail(m, m->phi_s));
    /* a row inside both control limits never fires, whatever the calibration's tail says: a few
     * thousand autocorrelated calibration rows cannot vouch for a 1e-5 tail on their own */
    if (m->score > 0.5f * m->phi_s)
        m->score = (float)(0.5 * m->phi_s);
    if (learn && m->score < 0.5f) {
        pca_learn(m, true);
        if (m->p.refit > 0 && ++m->normal_since_fit >= m->p.refit) {
            long keep_fit = m->fitted_at;
            pca_fit(m);
            m->fitted_at = keep_fit; /* the calibration stands: refits only follow slow change */
        }
    }
    return m->score;
}

bool detect_pca_ready(const struct detect_pca *m)
{
    return m->fitted && m->rows - m->fitted_at >= m->p.calib_rows;
}

double detect_pca_t2(const struct detect_pca *m)
{
    return m->t2;
}

double detect_pca_spe(const struct detect_pca *m)
{
    return m->spe;
}

int detect_pca_components(const struct detect_pca *m)
{
    return m->k;
}

int detect_pca_top(const struct detect_pca *m, int *sensor, float *share, int max)
{
    if (!m->fitted || max <= 0)
        return 0;
    int d = m->dims, k = m->k;
    double c[DETECT_PCA_SENSORS_MAX] = {0}, total = 0;
    for (int i = 0; i < d; i++) {
        double e = m->x[i], tc = 0;
        for (int a = 0; a < k; a++) {
            e -= m->load[i * d + a] * m->t[a];
            tc += m->t[a] / m->eig[a] * m->load[i * d + a];
        }
        tc *= m->x[i];
        double v = (tc > 0 ? tc / m->t2_lim : 0) + e * e / m->q_lim;
        c[i % m->n] += v;
        total += v;
    }
    int count = 0;
    bool used[DETECT_PCA_SENSORS_MAX] = {false};
    while (count < max && count < m->n) {
        int best = -1;
        for (int i = 0; i < m->n; i++)
            if (!used[i] && (best < 0 || c[i] > c[best]))
                best = i;
        if (best < 0 || c[best] <= 0)
            break;
        used[best] = true;
        sensor[count] = best;
        share[count] = (float)(total > 0 ? c[best] / total : 0);
        count++;
    }
    return count;
}
