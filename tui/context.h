// SPDX-License-Identifier: MIT
#ifndef TWINTOP_CONTEXT_H
#define TWINTOP_CONTEXT_H
/*
 * What the console is given (struct tui_context, filled by main.c and replay): the catalog, the
 * engine, the producer's controls and status, the alarm manager and the history recorder.
 * Its own header, so that the views and screen.h read it without including tui.h, whose
 * tui_run sits above them.
 */
#include <stdbool.h>
#include <stddef.h>
#include "catalog.h"
#include "config.h"
#include "engine.h"

/* What `p`, `+`, `-` and `f` ask of the producer (simulator or replay); any member may be NULL
 * (the key then says it is not available here). */
struct tui_player {
    void *ctx;
    void (*toggle_pause)(void *ctx);
    bool (*paused)(void *ctx);
    void (*scale_speed)(void *ctx, double factor); /* `+`: 2.0, `-`: 0.5 */
    /* `f`: injects the type's first fault into machine, growing to failure in ttf_s of plant
     * time. Returns 0, or -1 with why in err. */
    int (*inject_fault)(void *ctx, int machine, double ttf_s, char *err, size_t errlen);
};

struct alarm_manager;
struct store;
struct maint;

/* A producer's status for the header (the MQTT feed: connected, reconnecting (attempt n) with
 * the last error, received and rejected counts). line may be NULL. */
struct tui_status {
    void *ctx;
    void (*line)(void *ctx, char *out, size_t len);
};

struct tui_context {
    const struct config *cfg;
    struct catalog *cat;
    struct engine *engine;
    struct tui_player player;
    volatile int *stop;           /* set by signal handlers: leave the loop */
    struct alarm_manager *alarms; /* NULL when there is none (replay); see core/alarm.h */
    struct store *store; /* the history recorder, NULL with --no-db or in replay; core/store.h */
    struct tui_status feed_status; /* --mqtt: the broker's state for the header */
    struct maint *maint;           /* the maintenance plan, NULL in replay; see core/maint.h */
};

#endif
