// SPDX-License-Identifier: MIT
#ifndef TWINTOP_KEYMAP_H
#define TWINTOP_KEYMAP_H
/*
 * The key table: every key binding of the console, used for dispatch, for the help screen and
 * for the function-key bar, so none of them can drift from what the keys really do. The keys
 * that select a view come first, from the view table (view.h), then the table's own rows. A
 * binding may apply everywhere or only in some views; the first matching one wins.
 *
 * Threads: main thread only.
 */
#include <stddef.h>
#include "key_binding.h"

struct screen;

/* The bindings, in the order the help screen lists them: i in [0, keymap_count()). */
size_t keymap_count(void);
const struct key_binding *keymap_at(size_t i);

/* Runs the binding of key in the current view. Returns enum screen_result, or -1 when the key
 * is not bound there. */
int keymap_dispatch(struct screen *s, int key);

#endif
