// SPDX-License-Identifier: MIT
#ifndef TWINTOP_BANNER_H
#define TWINTOP_BANNER_H
/*
 * The alarm banner: the second header line, on every view, right of the plant's state counts.
 * It shows the alarm manager's unacknowledged alarm counts by priority.
 * Threads: main thread only.
 */
#include <stdbool.h>

struct screen;

/* Draws the banner into columns [x, x + width) of row y. Returns false when there is nothing
 * to show (the line then stays blank). */
bool banner_draw(struct screen *s, int y, int x, int width);

#endif
