#include "view.h"

#include "screen.h"
#include "view_detail.h"
#include "view_help.h"
#include "view_overview.h"
#include "widget.h"

/* Stands in for the alarm list until core/alarm lands (issue 4 replaces this entry). */
static void alarms_placeholder_draw(struct screen *s, int top, int height)
{
    (void)height;
    widget_text(stdscr, top + 1, 2, s->cols - 4, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                "Alarm list");
    widget_text(stdscr, top + 3, 2, s->cols - 4, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                "Alarm management is not built into this version yet. Press Esc to go back.");
}

const struct view view_table[VIEW_COUNT] = {
    [VIEW_OVERVIEW] = {"overview", "arrows select  Enter detail  f fault  ? help",
                       view_overview_draw, NULL},
    [VIEW_DETAIL] = {"detail", "up/down sensor  left/right machine  f fault  Esc back",
                     view_detail_draw, NULL},
    [VIEW_ALARMS] = {"alarms", "Esc back", alarms_placeholder_draw, NULL},
    [VIEW_HELP] = {"help", "up/down scroll  Esc back", view_help_draw, NULL},
};
