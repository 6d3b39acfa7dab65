#include "iforest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IFOREST_DIMS_MAX 256

struct iforest {
    int dims, trees, sample, depth, n_inner, n_leaf;
    int warmup, res_cap, refresh;
    uint64_t rng;
    long offered;     /* normal vectors offered to the reservoir (for its replacement odds) */
    long anomalous;   /* anomalous vectors offered (one in 16 is kept) */
    int res_len;
    int since_refresh, next_tree;
    bool ready;
    double cnorm;     /* c(sample): average path length of an unsuccessful BST search */
    uint8_t *feat;    /* trees x n_inner: split feature */
    float *split;     /* trees x n_inner: go right when x > split */
    float *lo, *hi;   /* trees x n_inner: range of the split feature in the node's data */
    float *leaf;      /* trees x n_leaf: depth + c(size) of the leaf */
    float *res;       /* res_cap x dims */
    int *perm;        /* res_cap scratch for sub-sampling */
    double *scores;   /* res_cap scratch for the calibration */
    double ordinary_max;
};

void iforest_params_default(struct iforest_params *p)
{
    p->trees = 100;
    p->sample = 256;
    p->warmup = 256;
    p->reservoir = 1024;
    p->refresh = 64;
    p->seed = 1;
}

static uint64_t iforest_next(uint64_t *s)
{
    /* splitmix64: small, fast, good enough for split choices, reproducible everywhere */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double iforest_uniform(uint64_t *s)
{
    return (double)(iforest_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double iforest_c(int n)
{
    if (n <= 1)
        return 0.0;
    if (n == 2)
        return 1.0;
    return 2.0 * (log(n - 1.0) + 0.5772156649015329) - 2.0 * (n - 1.0) / n;
}

struct iforest *iforest_create(int dims, const struct iforest_params *p, char *err,
                               size_t errlen)
{
    if (dims < 1 || dims > IFOREST_DIMS_MAX) {
        snprintf(err, errlen, "iforest: %d dimensions (1..%d)", dims, IFOREST_DIMS_MAX);
        return NULL;
    }
    if (p->trees < 1 || p->trees > 10000 || p->sample < 2 || p->sample > 4096 ||
        p->warmup < 2 || p->reservoir < p->sample || p->reservoir > 1000000 || p->refresh < 0) {
        snprintf(err, errlen,
                 "iforest: bad parameters (trees 1..10000, sample 2..4096, warmup >= 2, "
                 "reservoir >= sample, refresh >= 0)");
        return NULL;
    }
    struct iforest *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "iforest: out of memory");
        return NULL;
    }
    f->dims = dims;
    f->trees = p->trees;
    f->sample = p->sample;
    f->depth = (int)ceil(log2((double)p->sample));
    f->n_leaf = 1 << f->depth;
    f->n_inner = f->n_leaf - 1;
    f->warmup = p->warmup;
    f->res_cap = p->reservoir;
    f->refresh = p->refresh;
    f->rng = p->seed;
    f->cnorm = iforest_c(p->sample);
    f->feat = calloc((size_t)f->trees * f->n_inner, 1);
    f->split = calloc((size_t)f->trees * f->n_inner, sizeof(float));
    f->lo = calloc((size_t)f->trees * f->n_inner, sizeof(float));
    f->hi = calloc((size_t)f->trees * f->n_inner, sizeof(float));
    f->leaf = calloc((size_t)f->trees * f->n_leaf, sizeof(float));
    f->res = calloc((size_t)f->res_cap * dims, sizeof(float));
    f->perm = calloc((size_t)f->res_cap, sizeof(int));
    f->scores = calloc((size_t)f->res_cap, sizeof(double));
    if (!f->feat || !f->split || !f->lo || !f->hi || !f->leaf || !f->res || !f->perm || !f->scores) {
        iforest_free(f);
        snprintf(err, errlen, "iforest: out of memory");
        return NULL;
    }
    return f;
}

void iforest_free(struct iforest *f)
{
    if (!f)
        return;
    free(f->feat);
    free(f->split);
    free(f->lo);
    free(f->hi);
    free(f->leaf);
    free(f->res);
    free(f->perm);
    free(f->scores);
    free(f);
}

bool iforest_ready(const struct iforest *f)
{
    return f->ready;
}

static void iforest_leaf(struct iforest *f, int t, int node, int d, int n)
{
    uint8_t *feat = f->feat + (size_t)t * f->n_inner;
    float *split = f->split + (size_t)t * f->n_inner;
    float *lo = f->lo + (size_t)t * f->n_inner, *hi = f->hi + (size_t)t * f->n_inner;
    float value = (float)(d + iforest_c(n));
    /* Pass-through nodes down the left edge keep every path the same length. */
    while (node < f->n_inner) {
        feat[node] = 0;
        split[node] = INFINITY;
        lo[node] = -INFINITY;
        hi[node] = INFINITY;
        node = 2 * node + 1;
    }
    f->leaf[(size_t)t * f->n_leaf + (node - f->n_inner)] = value;
}

static void iforest_build(struct iforest *f, int t, int node, int d, int *idx, int n)
{
    if (d == f->depth || n <= 1) {
        iforest_leaf(f, t, node, d, n);
        return;
    }
    int dims = f->dims;
    int start = (int)(iforest_next(&f->rng) % (uint64_t)dims);
    int feature = -1;
    float lo = 0, hi = 0;
    for (int k = 0; k < dims && feature < 0; k++) {
        int j = (start + k) % dims;
        lo = hi = f->res[(size_t)idx[0] * dims + j];
        for (int i = 1; i < n; i++) {
            float v = f->res[(size_t)idx[i] * dims + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (hi > lo)
            feature = j;
    }
    if (feature < 0) {
        iforest_leaf(f, t, node, d, n);
        return;
    }
    float s = (float)(lo + iforest_uniform(&f->rng) * ((double)hi - lo));
    if (!(s < hi))
        s = lo;
    int left = 0;
    for (int i = 0; i < n; i++) {
        if (!(f->res[(size_t)idx[i] * dims + feature] > s)) {
            int tmp = idx[left];
            idx[left++] = idx[i];
            idx[i] = tmp;
        }
    }
    f->feat[(size_t)t * f->n_inner + node] = (uint8_t)feature;
    f->split[(size_t)t * f->n_inner + node] = s;
    /* "outside" starts half the node's range beyond it, so a new but ordinary extreme
     * (every stream makes some) is not called isolated */
    f->lo[(size_t)t * f->n_inner + node] = lo - 0.5f * (hi - lo);
    f->hi[(size_t)t * f->n_inner + node] = hi + 0.5f * (hi - lo);
    iforest_build(f, t, 2 * node + 1, d + 1, idx, left);
    iforest_build(f, t, 2 * node + 2, d + 1, idx + left, n - left);
}

static void iforest_build_tree(struct iforest *f, int t)
{
    int n = f->res_len < f->sample ? f->res_len : f->sample;
    for (int i = 0; i < f->res_len; i++)
        f->perm[i] = i;
    for (int i = 0; i < n; i++) {
        int j = i + (int)(iforest_next(&f->rng) % (uint64_t)(f->res_len - i));
        int tmp = f->perm[i];
        f->perm[i] = f->perm[j];
        f->perm[j] = tmp;
    }
    iforest_build(f, t, 0, 0, f->perm, n);
}

static double iforest_score_f(const struct iforest *f, const float *xf);

static int iforest_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void iforest_calibrate(struct iforest *f)
{
    for (int i = 0; i < f->res_len; i++)
        f->scores[i] = iforest_score_f(f, f->res + (size_t)i * f->dims);
    qsort(f->scores, (size_t)f->res_len, sizeof(double), iforest_cmp);
    f->ordinary_max = f->scores[(int)(0.998 * (f->res_len - 1))];
}

double iforest_ordinary_max(const struct iforest *f)
{
    return f->ordinary_max;
}

static void iforest_store(struct iforest *f, int slot, const double *x)
{
    float *row = f->res + (size_t)slot * f->dims;
    for (int j = 0; j < f->dims; j++)
        row[j] = (float)x[j];
}

void iforest_observe(struct iforest *f, const double *x, bool normal)
{
    if (!normal && f->ready && (f->anomalous++ % 16) != 0)
        return;
    f->offered++;
    if (f->res_len < f->res_cap) {
        iforest_store(f, f->res_len++, x);
    } else {
        /* Replacement odds as if the stream were at most 8 reservoirs long: old vectors
         * fade out, so the forest follows slow, legitimate change. */
        long horizon = f->offered < 8L * f->res_cap ? f->offered : 8L * f->res_cap;
        uint64_t r = iforest_next(&f->rng) % (uint64_t)horizon;
        if (r < (uint64_t)f->res_cap)
            iforest_store(f, (int)r, x);
    }
    if (!f->ready) {
        if (f->res_len >= f->warmup) {
            for (int t = 0; t < f->trees; t++)
                iforest_build_tree(f, t);
            f->ready = true;
            iforest_calibrate(f);
        }
        return;
    }
    if (f->refresh > 0 && ++f->since_refresh >= f->refresh) {
        f->since_refresh = 0;
        iforest_build_tree(f, f->next_tree);
        f->next_tree = (f->next_tree + 1) % f->trees;
        if (f->next_tree == 0)
            iforest_calibrate(f);
    }
}

/* Path length of xf in tree t. A value well outside the range the node's data spanned on the
 * split feature would be cut off by the next split: it counts as isolated at depth + 1. Without this,
 * a point far beyond the data scores no higher than the data's own extremes. */
static inline float iforest_path(const struct iforest *f, int t, const float *xf)
{
    const size_t base = (size_t)t * f->n_inner;
    const uint8_t *feat = f->feat + base;
    const float *split = f->split + base, *lo = f->lo + base, *hi = f->hi + base;
    unsigned a = 0;
    float isolated = INFINITY;
    for (int d = 0; d < f->depth; d++) {
        float v = xf[feat[a]];
        float here = (float)(d + 1);
        isolated = ((v < lo[a]) | (v > hi[a])) && here < isolated ? here : isolated;
        a = 2 * a + 1 + (v > split[a]);
    }
    float leaf = f->leaf[(size_t)t * f->n_leaf + a - f->n_inner];
    return leaf < isolated ? leaf : isolated;
}

static double iforest_score_f(const struct iforest *f, const float *xf)
{
    double sum = 0.0;
    int t = 0;
    /* Four trees per iteration: independent chains of loads keep the core busy. */
    for (; t + 4 <= f->trees; t += 4)
        sum += (double)iforest_path(f, t, xf) + iforest_path(f, t + 1, xf) +
               iforest_path(f, t + 2, xf) + iforest_path(f, t + 3, xf);
    for (; t < f->trees; t++)
        sum += iforest_path(f, t, xf);
    return exp2(-(sum / f->trees) / f->cnorm);
}

double iforest_score(const struct iforest *f, const double *x)
{
    if (!f->ready)
        return 0.0;
    float xf[IFOREST_DIMS_MAX];
    for (int j = 0; j < f->dims; j++)
        xf[j] = (float)x[j];
    return iforest_score_f(f, xf);
}

void iforest_score_many(const struct iforest *f, const double *x, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = iforest_score(f, x + i * (size_t)f->dims);
}
