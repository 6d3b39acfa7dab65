// SPDX-License-Identifier: MIT
#ifndef TWINTOP_DETECT_IFOREST_H
#define TWINTOP_DETECT_IFOREST_H
/*
 * Streaming isolation forest (Liu, Ting & Zhou 2008) over fixed-length vectors.
 *
 * Online training: the first `warmup` vectors fill a reservoir and then every tree is built
 * from its own random sub-sample of it. Afterwards vectors flagged normal keep flowing into the
 * reservoir (random replacement, so it follows slow change), and every `refresh` vectors one
 * tree is rebuilt from a fresh sub-sample, round-robin.
 *
 * Trees are complete binary trees of height ceil(log2(sample)) in flat arrays; an early leaf
 * is padded with pass-through nodes, so scoring is a fixed number of branch-free steps per tree.
 * The reservoir grows (doubling) as it fills; the trees are allocated once, when the warm-up
 * ends (out of memory: the row is not kept, the forest waits). The same seed and the same input
 * give the same scores. Threads: one owner; iforest_score is read-only and may run concurrently with
 * other iforest_score calls.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iforest_params {
    int trees;     /* 100 */
    int sample;    /* 256: sub-sample per tree, 2..4096 */
    int warmup;    /* vectors before the first training, >= 2 */
    int reservoir; /* >= sample */
    int refresh;   /* vectors between single-tree rebuilds, 0: never */
    uint64_t seed;
};

void iforest_params_default(struct iforest_params *p);

struct iforest;

/* dims: vector length, 1..256. NULL with a message in err on bad parameters or no memory. */
struct iforest *iforest_create(int dims, const struct iforest_params *p, char *err, size_t errlen);
void iforest_free(struct iforest *f);

/* Offers a vector for training. normal = false keeps an anomalous vector out of the
 * reservoir (most of the time: one in 16 still enters, so a lasting new regime is learned
 * eventually). Trains or refreshes a tree when due. */
void iforest_observe(struct iforest *f, const double *x, bool normal);

/* True once the forest has been trained. */
bool iforest_ready(const struct iforest *f);

/* Anomaly score 2^(-E[h(x)]/c(sample)): about 0.5 for ordinary points, towards 1 for
 * isolated ones. 0 before training. */
double iforest_score(const struct iforest *f, const double *x);

/* The score of the reservoir's top 0.2 % (its ordinary extreme), recomputed after the first
 * training and after every full refresh cycle; 0 before training. A detector that fires only
 * above it (plus a margin) adapts to the shape and dimension of its data. */
double iforest_ordinary_max(const struct iforest *f);

/* Same for n vectors of dims values each (rows laid out one after another). */
void iforest_score_many(const struct iforest *f, const double *x, size_t n, double *out);

#endif
