// SPDX-License-Identifier: MIT
/* Streaming isolation forest over fixed-length vectors. */
#include "detect_iforest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IFOREST_DIMS_MAX 256

/* One inner node: 8 bytes, so a tree (255 nodes at sample 256) is 2 KB. */
struct iforest_node {
    float split; /* go right when x > split */
    uint32_t feat;
};

/* The range test runs on the top levels only: isolation there moves the score a lot, deeper
 * down it hardly differs from the leaf's own depth, and skipping it keeps scoring fast. */
#define IFOREST_RANGE_LEVELS 2
#define IFOREST_RANGE_NODES ((1 << IFOREST_RANGE_LEVELS) - 1)

struct iforest {
    int dims, trees, sample, depth, n_inner, n_leaf;
    int warmup, res_cap, refresh;
    uint64_t rng;
    long offered;   /* normal vectors offered to the reservoir (for its replacement odds) */
    long anomalous; /* anomalous vectors offered (one in 16 is kept) */
    int res_len;
    int since_refresh, next_tree;
    bool ready;
    double cnorm;              /* c(sample): average path length of an unsuccessful BST search */
    struct iforest_node *node; /* trees x n_inner */
    float *range; /* trees x IFOREST_RANGE_NODES x {lo, hi}: the top nodes' data range, widened;
                     beyond it a value counts as isolated */
    float *leaf;  /* trees x n_leaf: depth + c(size) of the leaf */
    float *res;   /* res_alloc x dims, grown up to res_cap as the reservoir fills */
    int res_alloc;
    int *perm;      /* res_cap scratch for sub-sampling */
    double *scores; /* res_cap scratch for the calibration */
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

struct iforest *iforest_create(int dims, const struct iforest_params *p, char *err, size_t errlen)
{
    if (dims < 1 || dims > IFOREST_DIMS_MAX) {
        snprintf(err, errlen, "iforest: %d dimensions (1..%d)", dims, IFOREST_DIMS_MAX);
        return NULL;
    }
    if (p->trees < 1 || p->trees > 10000 || p->sample < 2 || p->sample > 4096 || p->warmup < 2 ||
        p->reservoir < p->sample || p->reservoir > 1000000 || p->refresh < 0) {
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
    return f;
}

/* Memory follows what the forest has: the reservoir grows as it fills (rows of a young machine
 * cost their own size), the trees come at the end of the warm-up. -1 when out of memory (the
 * row is not kept, the forest waits). */
static int iforest_reserve_row(struct iforest *f)
{
    if (f->res_len < f->res_alloc)
        return 0;
    int cap = f->res_alloc ? f->res_alloc * 2 : 64;
    cap = cap < f->res_cap ? cap : f->res_cap;
    float *grown = realloc(f->res, (size_t)cap * (size_t)f->dims * sizeof(float));
    if (!grown)
        return -1;
    f->res = grown;
    f->res_alloc = cap;
    return 0;
}

static int iforest_alloc_trees(struct iforest *f)
{
    if (f->node)
        return 0;
    f->range = calloc((size_t)f->trees * IFOREST_RANGE_NODES * 2, sizeof(float));
    f->leaf = calloc((size_t)f->trees * f->n_leaf, sizeof(float));
    f->perm = calloc((size_t)f->res_cap, sizeof(int));
    f->scores = calloc((size_t)f->res_cap, sizeof(double));
    if (f->range && f->leaf && f->perm && f->scores)
        f->node = calloc((size_t)f->trees * f->n_inner, sizeof(struct iforest_node));
    if (f->node)
        return 0;
    free(f->range);
    free(f->leaf);
    free(f->perm);
    free(f->scores);
    f->range = f->leaf = NULL;
    f->perm = NULL;
    f->scores = NULL;
    return -1;
}

void iforest_free(struct iforest *f)
{
    if (!f)
        return;
    free(f->node);
    free(f->range);
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
    struct iforest_node *nodes = f->node + (size_t)t * f->n_inner;
    float value = (float)(d + iforest_c(n));
    /* Pass-through nodes down the left edge keep every path the same length. */
    while (node < f->n_inner) {
        nodes[node] = (struct iforest_node){.split = INFINITY, .feat = 0};
        if (node < IFOREST_RANGE_NODES) {
            f->range[((size_t)t * IFOREST_RANGE_NODES + node) * 2] = -INFINITY;
            f->range[((size_t)t * IFOREST_RANGE_NODES + node) * 2 + 1] = INFINITY;
        }
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
    /* "outside" starts half the node's range beyond it, so a new but ordinary extreme
     * (every stream makes some) is not called isolated */
    f->node[(size_t)t * f->n_inner + node] =
        (struct iforest_node){.split = s, .feat = (uint32_t)feature};
    if (node < IFOREST_RANGE_NODES) {
        f->range[((size_t)t * IFOREST_RANGE_NODES + node) * 2] = lo - 0.5f * (hi - lo);
        f->range[((size_t)t * IFOREST_RANGE_NODES + node) * 2 + 1] = hi + 0.5f * (hi - lo);
    }
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
        if (iforest_reserve_row(f) < 0)
            return;
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
        if (f->res_len >= f->warmup && iforest_alloc_trees(f) == 0) {
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

#define IFOREST_LANES 20

/* Path lengths of xf through `lanes` trees from tree t, walked level by level so the trees'
 * independent chains of loads overlap. A value well outside the range the node's data spanned
 * on the split feature would be cut off by the next split: it counts as isolated at depth + 1
 * (tested on the top IFOREST_RANGE_LEVELS levels).
 * Without this, a point far beyond the data scores no higher than the data's own extremes. */
static double iforest_paths(const struct iforest *f, int t, int lanes, const float *xf)
{
    unsigned at[IFOREST_LANES];
    float isolated[IFOREST_LANES];
    const struct iforest_node *base[IFOREST_LANES];
    const float *range[IFOREST_LANES];
    for (int k = 0; k < lanes; k++) {
        at[k] = 0;
        isolated[k] = INFINITY;
        base[k] = f->node + (size_t)(t + k) * f->n_inner;
        range[k] = f->range + (size_t)(t + k) * IFOREST_RANGE_NODES * 2;
    }
    for (int d = 0; d < f->depth; d++) {
        float here = (float)(d + 1);
        for (int k = 0; k < lanes; k++) {
            const struct iforest_node *n = &base[k][at[k]];
            float v = xf[n->feat];
            if (here <= IFOREST_RANGE_LEVELS) {
                const float *r = range[k] + 2 * at[k];
                float c = ((v < r[0]) | (v > r[1])) ? here : INFINITY;
                isolated[k] = c < isolated[k] ? c : isolated[k];
            }
            at[k] = 2 * at[k] + 1 + (v > n->split);
        }
    }
    double sum = 0.0;
    for (int k = 0; k < lanes; k++) {
        float leaf = f->leaf[(size_t)(t + k) * f->n_leaf + at[k] - f->n_inner];
        sum += leaf < isolated[k] ? leaf : isolated[k];
    }
    return sum;
}

static double iforest_score_f(const struct iforest *f, const float *xf)
{
    double sum = 0.0;
    for (int t = 0; t < f->trees; t += IFOREST_LANES)
        sum += iforest_paths(f, t, f->trees - t < IFOREST_LANES ? f->trees - t : IFOREST_LANES, xf);
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

/* One step of a walk: descend from node `at`, note the depth where xf left the data's range. */
#define IFOREST_STEP(nodes, range, at, iso, xf, here, check)                                       \
    do {                                                                                           \
        const struct iforest_node *n_ = &(nodes)[at];                                              \
        float v_ = (xf)[n_->feat];                                                                 \
        if (check) {                                                                               \
            const float *r_ = (range) + 2 * (at);                                                  \
            float c_ = ((v_ < r_[0]) | (v_ > r_[1])) ? (here) : INFINITY;                          \
            (iso) = c_ < (iso) ? c_ : (iso);                                                       \
        }                                                                                          \
        (at) = 2 * (at) + 1 + (v_ > n_->split);                                                    \
    } while (0)

#define IFOREST_BATCH 64

/* Tree by tree over a batch of vectors: one tree's nodes (4 KB at sample 256) stay in L1 while
 * the whole batch walks it, instead of every vector touching all 100 trees. */
void iforest_score_many(const struct iforest *f, const double *x, size_t n, double *out)
{
    if (!f->ready) {
        for (size_t i = 0; i < n; i++)
            out[i] = 0.0;
        return;
    }
    const int dims = f->dims;
    float xf[IFOREST_BATCH * IFOREST_DIMS_MAX];
    double sum[IFOREST_BATCH];
    for (size_t start = 0; start < n; start += IFOREST_BATCH) {
        int b = n - start < IFOREST_BATCH ? (int)(n - start) : IFOREST_BATCH;
        for (int i = 0; i < b; i++) {
            sum[i] = 0.0;
            for (int j = 0; j < dims; j++)
                xf[i * dims + j] = (float)x[(start + (size_t)i) * dims + j];
        }
        for (int t = 0; t < f->trees; t++) {
            const struct iforest_node *nodes = f->node + (size_t)t * f->n_inner;
            const float *range = f->range + (size_t)t * IFOREST_RANGE_NODES * 2;
            const float *leaf = f->leaf + (size_t)t * f->n_leaf;
            const unsigned inner = (unsigned)f->n_inner;
            int i = 0;
            /* eight walks at once: independent chains of loads overlap */
            for (; i + 8 <= b; i += 8) {
                unsigned a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
                float s0 = INFINITY, s1 = INFINITY, s2 = INFINITY, s3 = INFINITY;
                float s4 = INFINITY, s5 = INFINITY, s6 = INFINITY, s7 = INFINITY;
                const float *xs = xf + i * dims;
                int top = f->depth < IFOREST_RANGE_LEVELS ? f->depth : IFOREST_RANGE_LEVELS;
                for (int d = 0; d < top; d++) {
                    float here = (float)(d + 1);
                    IFOREST_STEP(nodes, range, a0, s0, xs + 0 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a1, s1, xs + 1 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a2, s2, xs + 2 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a3, s3, xs + 3 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a4, s4, xs + 4 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a5, s5, xs + 5 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a6, s6, xs + 6 * dims, here, 1);
                    IFOREST_STEP(nodes, range, a7, s7, xs + 7 * dims, here, 1);
                }
                for (int d = top; d < f->depth; d++) {
                    IFOREST_STEP(nodes, range, a0, s0, xs + 0 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a1, s1, xs + 1 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a2, s2, xs + 2 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a3, s3, xs + 3 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a4, s4, xs + 4 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a5, s5, xs + 5 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a6, s6, xs + 6 * dims, 0.0f, 0);
                    IFOREST_STEP(nodes, range, a7, s7, xs + 7 * dims, 0.0f, 0);
                }
                sum[i] += fminf(leaf[a0 - inner], s0);
                sum[i + 1] += fminf(leaf[a1 - inner], s1);
                sum[i + 2] += fminf(leaf[a2 - inner], s2);
                sum[i + 3] += fminf(leaf[a3 - inner], s3);
                sum[i + 4] += fminf(leaf[a4 - inner], s4);
                sum[i + 5] += fminf(leaf[a5 - inner], s5);
                sum[i + 6] += fminf(leaf[a6 - inner], s6);
                sum[i + 7] += fminf(leaf[a7 - inner], s7);
            }
            for (; i < b; i++) {
                unsigned a0 = 0;
                float s0 = INFINITY;
                for (int d = 0; d < f->depth; d++)
                    IFOREST_STEP(nodes, range, a0, s0, xf + i * dims, (float)(d + 1),
                                 d < IFOREST_RANGE_LEVELS);
                sum[i] += fminf(leaf[a0 - inner], s0);
            }
        }
        for (int i = 0; i < b; i++)
            out[start + (size_t)i] = exp2(-(sum[i] / f->trees) / f->cnorm);
    }
}
