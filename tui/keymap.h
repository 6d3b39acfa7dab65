// SPDX-License-Identifier: MIT
#ifndef TWINTOP_KEYMAP_H
#define TWINTOP_KEYMAP_H
/*
 * The key table: every key binding of the console, used both for dispatch and for the help
 * screen and the function-key bar, so neither can drift from what the keys really do.
 * A row may apply everywhere or only in some views; the first matching row wins.
 *
 * Threads: main thread only.
 */
#include <stddef.h>

struct screen;

#define KEYMAP_KEYS_MAX 4
#define KEYMAP_IN(view) (1u << (view))

struct key_binding {
    int keys[KEYMAP_KEYS_MAX]; /* curses key codes; unused slots are 0 */
    const char *names;         /* as the help screen shows them: "F1 ?" */
    unsigned views;            /* KEYMAP_IN(view) bits where it applies; 0: every view */
    int (*run)(struct screen *s, int arg); /* returns enum screen_result */
    int arg;
    const char *help;
    const char *bar; /* label in the function-key bar (first name is the key), or NULL */
};

extern const struct key_binding keymap_table[];
extern const size_t keymap_count;

/* Runs the binding of key in the current view. Returns enum screen_result, or -1 when the key
 * is not bound there. */
int keymap_dispatch(struct screen *s, int key);

/* The first key code of a binding, for clicks on the function-key bar. */
int keymap_first_key(const struct key_binding *b);

#endif
