// SPDX-License-Identifier: MIT
#ifndef TWINTOP_TUI_H
#define TWINTOP_TUI_H
/*
 * The ncurses console. Runs on the main thread; reads only engine snapshots (and history
 * copies); every ncurses call happens here.
 */
#include "context.h"

/* Runs until the user quits, *stop is set or the terminal goes away. Returns 0 or -1. */
int tui_run(struct tui_context *ctx);

#endif
