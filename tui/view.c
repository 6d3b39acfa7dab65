// SPDX-License-Identifier: MIT
/* The one table of the console's views, and switching between them. */
#include "view.h"

#include "screen.h"

// clang-format off
const struct view_entry *const view_table[VIEW_COUNT] = {
    [VIEW_HELP] = &view_help_entry,
    [VIEW_OVERVIEW] = &view_overview_entry,
    [VIEW_FLEET] = &view_fleet_entry,
    [VIEW_ALARMS] = &view_alarms_entry,
    [VIEW_DETAIL] = &view_detail_entry,
    [VIEW_PLAN] = &view_plan_entry,
};
// clang-format on

void view_set(struct screen *s, int view)
{
    if (view == s->view || view < 0 || view >= VIEW_COUNT)
        return;
    s->back_view = s->view;
    s->view = view;
    s->scroll = 0;
}

int view_select(struct screen *s, int view)
{
    view_set(s, view);
    return SCREEN_REDRAW;
}

int view_back(struct screen *s, int arg)
{
    (void)arg;
    if (s->view == VIEW_HOME)
        return SCREEN_NOTHING;
    int to = s->back_view != s->view ? s->back_view : VIEW_HOME;
    s->view = view_table[to]->no_return ? VIEW_HOME : to;
    s->back_view = VIEW_HOME;
    s->scroll = 0;
    return SCREEN_REDRAW;
}
