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
    float *leaf;      /* trees x n_leaf: depth + c(size) of the leaf */
    float *res;       /* res_cap x dims */
    int *perm;        /* res_cap scratch for sub-sampling */
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
    f->leaf = calloc((size_t)f->trees * f->n_leaf, sizeof(float));
    f->res = calloc((size_t)f->res_cap * dims, sizeof(float));
    f->perm = calloc((size_t)f->res_cap, sizeof(int));
    if (!f->feat || !f->split || !f->leaf || !f->res || !f->perm) {
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
    free(f->leaf);
    free(f->res);
    free(f->perm);
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
    float value = (float)(d + iforest_c(n));
    /* Pass-through nodes down the left edge keep every path the same length. */
    while (node < f->n_inner) {
        feat[node] = 0;
        split[node] = INFINITY;
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
        }
        return;
    }
    if (f->refresh > 0 && ++f->since_refresh >= f->refresh) {
        f->since_refresh = 0;
        iforest_build_tree(f, f->next_tree);
        f->next_tree = (f->next_tree + 1) % f->trees;
    }
}

static double iforest_score_f(const struct iforest *f, const float *xf)
{
    const int inner = f->n_inner, nleaf = f->n_leaf, depth = f->depth;
    double sum = 0.0;
    int t = 0;
    /* Four trees at a time: independent chains of loads keep the core busy. */
    for (; t + 4 <= f->trees; t += 4) {
        const uint8_t *f0 = f->feat + (size_t)t * inner;
        const float *s0 = f->split + (size_t)t * inner;
        unsigned a = 0, b = 0, c = 0, e = 0;
        for (int d = 0; d < depth; d++) {
            a = 2 * a + 1 + (xf[f0[a]] > s0[a]);
            b = 2 * b + 1 + (xf[f0[inner + b]] > s0[inner + b]);
            c = 2 * c + 1 + (xf[f0[2 * inner + c]] > s0[2 * inner + c]);
            e = 2 * e + 1 + (xf[f0[3 * inner + e]] > s0[3 * inner + e]);
        }
        const float *l0 = f->leaf + (size_t)t * nleaf;
        sum += l0[a - inner] + l0[nleaf + b - inner] + l0[2 * nleaf + c - inner] +
               l0[3 * nleaf + e - inner];
    }
    for (; t < f->trees; t++) {
        const uint8_t *f0 = f->feat + (size_t)t * inner;
        const float *s0 = f->split + (size_t)t * inner;
        unsigned a = 0;
        for (int d = 0; d < depth; d++)
            a = 2 * a + 1 + (xf[f0[a]] > s0[a]);
        sum += f->leaf[(size_t)t * nleaf + a - inner];
    }
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
