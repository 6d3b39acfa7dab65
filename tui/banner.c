// SPDX-License-Identifier: MIT
/* The alarm banner: the second header line, on every view. */
#include "banner.h"

#include "screen.h"
#include "view_alarms.h"

/* The alarm manager's counts; drawn by the alarm view's module (core/alarm). */
bool banner_draw(struct screen *s, int y, int x, int width)
{
    return view_alarms_banner(s, y, x, width);
}
