// SPDX-License-Identifier: MIT
#ifndef TWINTOP_HEADLESS_H
#define TWINTOP_HEADLESS_H
/*
 * Headless front end: one JSON status line per interval on stdout, and a final line with
 * "final":true and the totals. Reads only engine snapshots, like the console.
 */
#include <stdio.h>
#include "catalog.h"
#include "engine.h"

/* Extra JSON members a module adds to every status line (store, mqtt): writes
 * ",\"key\":value…" into out. */
struct headless_extra {
    void *ctx;
    void (*write)(void *ctx, char *out, size_t len);
};

struct headless;

struct headless *headless_create(FILE *out, struct catalog *cat, struct engine *engine);
void headless_add_extra(struct headless *h, const struct headless_extra *extra);
/* One status line now. */
void headless_status(struct headless *h, double wall_s, bool final);
void headless_destroy(struct headless *h);

#endif
