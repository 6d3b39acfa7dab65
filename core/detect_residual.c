// SPDX-License-Identifier: MIT
/* Cross-sensor residual detector: each sensor predicted from the others. */
#include "detect_residual.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RESIDUAL_RIDGE 1e-5    /* on the correlation scale: keeps collinear sensors solvable */
#define RESIDUAL_TEACH_MAX 3.0 /* rows with a residual beyond this many sigmas teach nothing */

struct detect_residual {
    int d, fit_rows, refit_rows;
    double keep; /* per-row weight kept by the sums once fitted: forgets over memory_rows */
    long rows, since_fit;
    bool fitted;
    double w;                    /* weight of the sums (forgotten) */
    double *sum, *cross;         /* d and d x d sums of normal rows */
    double *mean, *scale, *prec; /* the model: mean, sd, precision of the standardised row */
    double *work, *xc, *corr;
};

struct detect_residual *detect_residual_create(int dims, int fit_rows, int refit_rows,
                                               int memory_rows)
{
    if (dims < 1 || dims > 64 || fit_rows < 2 || memory_rows < 0)
        return NULL;
    struct detect_residual *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    size_t d = (size_t)dims;
    r->d = dims;
    r->fit_rows = fit_rows;
    r->refit_rows = refit_rows;
    r->keep = memory_rows > 0 ? 1.0 - 1.0 / memory_rows : 1.0;
    r->sum = calloc(d, sizeof(double));
    r->cross = calloc(d * d, sizeof(double));
    r->mean = calloc(d, sizeof(double));
    r->scale = calloc(d, sizeof(double));
    r->prec = calloc(d * d, sizeof(double));
    r->work = calloc(d * 2 * d, sizeof(double));
    r->xc = calloc(d, sizeof(double));
    r->corr = calloc(d * d, sizeof(double));
    if (!r->sum || !r->cross || !r->mean || !r->scale || !r->prec || !r->work || !r->xc ||
        !r->corr) {
        detect_residual_free(r);
        return NULL;
    }
    return r;
}

void detect_residual_free(struct detect_residual *r)
{
    if (!r)
        return;
    free(r->sum);
    free(r->cross);
    free(r->mean);
    free(r->scale);
    free(r->prec);
    free(r->work);
    free(r->xc);
    free(r->corr);
    free(r);
}

/* Inverts the d x d matrix a (row-major) into inv by Gauss-Jordan with partial pivoting, using
 * work (d x 2d). Returns -1 when singular. */
static int residual_invert(const double *a, double *inv, double *work, int d)
{
    int w = 2 * d;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < w; j++)
            work[i * w + j] = j < d ? a[i * d + j] : (j - d == i);
    for (int c = 0; c < d; c++) {
        int piv = c;
        for (int i = c + 1; i < d; i++)
            if (fabs(work[i * w + c]) > fabs(work[piv * w + c]))
                piv = i;
        if (fabs(work[piv * w + c]) < 1e-12)
            return -1;
        if (piv != c)
            for (int j = 0; j < w; j++) {
                double t = work[c * w + j];
                work[c * w + j] = work[piv * w + j];
                work[piv * w + j] = t;
            }
        double p = work[c * w + c];
        for (int j = 0; j < w; j++)
            work[c * w + j] /= p;
        for (int i = 0; i < d; i++) {
            if (i == c || work[i * w + c] == 0.0)
                continue;
            double f = work[i * w + c];
            for (int j = 0; j < w; j++)
                work[i * w + j] -= f * work[c * w + j];
        }
    }
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++)
            inv[i * d + j] = work[i * w + d + j];
    return 0;
}

static void residual_fit(struct detect_residual *r)
{
    int d = r->d;
    if (r->w < 2)
        return;
    for (int i = 0; i < d; i++)
        r->mean[i] = r->sum[i] / r->w;
    for (int i = 0; i < d; i++) {
        double var = r->cross[i * d + i] / r->w - r->mean[i] * r->mean[i];
        r->scale[i] = var > 1e-18 * (1.0 + r->mean[i] * r->mean[i]) ? sqrt(var) : 0.0;
    }
    /* correlation matrix (constant sensors: identity rows), ridge on the diagonal */
    double *corr = r->corr;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double c = (i == j) ? 1.0 : 0.0;
            if (i != j && r->scale[i] > 0 && r->scale[j] > 0)
                c = (r->cross[i * d + j] / r->w - r->mean[i] * r->mean[j]) /
                    (r->scale[i] * r->scale[j]);
            corr[i * d + j] = c + (i == j ? RESIDUAL_RIDGE : 0.0);
        }
    if (residual_invert(corr, r->prec, r->work, d) == 0)
        r->fitted = true;
}

bool detect_residual_row(struct detect_residual *r, const double *x, bool normal, bool learn,
                         double *z)
{
    int d = r->d;
    for (int i = 0; i < d; i++)
        if (isnan(x[i])) {
            for (int k = 0; k < d; k++)
                z[k] = NAN;
            return false;
        }
    r->rows++;
    bool have = r->fitted;
    double worst = 0.0;
    if (have) {
        for (int i = 0; i < d; i++)
            r->xc[i] = r->scale[i] > 0 ? (x[i] - r->mean[i]) / r->scale[i] : 0.0;
        /* residual of i given the others: (P xc)_i / P_ii, its sd 1 / sqrt(P_ii) */
        for (int i = 0; i < d; i++) {
            const double *row = r->prec + (size_t)i * d;
            double s = 0.0;
            for (int j = 0; j < d; j++)
                s += row[j] * r->xc[j];
            z[i] = r->scale[i] > 0 ? s / sqrt(row[i]) : 0.0;
            worst = fmax(worst, fabs(z[i]));
        }
    } else {
        for (int k = 0; k < d; k++)
            z[k] = NAN;
    }
    /* only rows the current model finds ordinary teach the next one: a growing fault must not
     * be refitted into the model */
    if (learn && (!r->fitted || (normal && worst < RESIDUAL_TEACH_MAX))) {
        double keep = r->fitted ? r->keep : 1.0;
        r->w = keep * r->w + 1.0;
        for (int i = 0; i < d; i++) {
            r->sum[i] = keep * r->sum[i] + x[i];
            for (int j = 0; j < d; j++)
                r->cross[i * d + j] = keep * r->cross[i * d + j] + x[i] * x[j];
        }
    }
    if (!r->fitted && r->w >= r->fit_rows)
        residual_fit(r);
    else if (r->fitted && r->refit_rows > 0 && ++r->since_fit >= r->refit_rows) {
        r->since_fit = 0;
        residual_fit(r);
    }
    return have;
}
