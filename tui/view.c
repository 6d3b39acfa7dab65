// SPDX-License-Identifier: MIT
/* The one table of the console's views. */
#include "view.h"

#include "screen.h"
#include "view_alarms.h"
#include "view_detail.h"
#include "view_help.h"
#include "view_overview.h"
#include "widget.h"

const struct view view_table[VIEW_COUNT] = {
    [VIEW_OVERVIEW] = {"overview", "arrows select  Enter detail  f fault  ? help",
                       view_overview_draw, NULL},
    [VIEW_DETAIL] = {"detail", "up/down sensor  left/right machine  f fault  Esc back",
                     view_detail_draw, NULL},
    [VIEW_ALARMS] = {"alarms", "a ack  A ack all  s shelve  u unshelve  n note  / filter  S shelved",
                     view_alarms_draw, view_alarms_key},
    [VIEW_HELP] = {"help", "up/down scroll  Esc back", view_help_draw, NULL},
};
