// SPDX-License-Identifier: MIT
#ifndef TWINTOP_KEY_BINDING_H
#define TWINTOP_KEY_BINDING_H
/*
 * A key binding: its keys, the views it works in, the function it runs and what the help screen
 * and the function-key bar say about it. Each view's entry (view.h) carries the binding that
 * selects the view; the key table (keymap.c) holds every other one. A header of its own, so
 * that both name the type without including each other.
 */

struct screen;

#define KEY_BINDING_KEYS_MAX 4
#define KEY_BINDING_IN(view) (1u << (view))

struct key_binding {
    int keys[KEY_BINDING_KEYS_MAX]; /* curses key codes; unused slots are 0 */
    const char *names;              /* as the help screen shows them: "F1 ?" */
    unsigned views;                 /* KEY_BINDING_IN(view) bits where it applies; 0: every view */
    int (*run)(struct screen *s, int arg); /* returns enum screen_result */
    int arg;
    const char *help;
    const char *bar; /* label in the function-key bar (first name is the key), or NULL */
};

#endif
