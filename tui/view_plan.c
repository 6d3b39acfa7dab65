// SPDX-License-Identifier: MIT
/* The maintenance plan view: what to do, on which machine, by when, and marking it done. */
#include "view_plan.h"

#include <stdio.h>
#include <string.h>

#include "maint.h"
#include "screen.h"
#include "theme.h"
#include "view.h"
#include "view_detail.h"
#include "widget.h"

#define VIEW_PLAN_MAX 256

enum column {
    COL_DUE,
    COL_URGENCY,
    COL_MACHINE,
    COL_COMPONENT,
    COL_ACTION,
    COL_EVIDENCE,
    COL_FIRST,
    COL_COUNT_
};

/* The view's own state: main thread only. */
static struct {
    struct maint_action rows[VIEW_PLAN_MAX];
    int count, selected, scroll, page;
    char selected_key[2 * CATALOG_NAME_MAX]; /* machine/fault: follows the row when it moves */
    struct alarm_operator op;
    bool op_ready;
} v;

static struct maint *planner(struct screen *s)
{
    return s->ctx ? s->ctx->maint : NULL;
}

static void row_key(const struct maint_action *a, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", a->machine_id, a->fault);
}

static void refresh_rows(struct screen *s)
{
    v.count = planner(s) ? maint_plan(planner(s), v.rows, VIEW_PLAN_MAX) : 0;
    for (int i = 0; i < v.count && v.selected_key[0]; i++) {
        char key[sizeof v.selected_key];
        row_key(&v.rows[i], key, sizeof key);
        if (strcmp(key, v.selected_key) == 0)
            v.selected = i;
    }
    if (v.selected >= v.count)
        v.selected = v.count - 1;
    if (v.selected < 0)
        v.selected = 0;
}

static int urgency_element(int urgency)
{
    return urgency >= MAINT_CRITICAL ? THEME_ALARM
           : urgency >= MAINT_MEDIUM ? THEME_WARN
                                     : THEME_NORMAL;
}

static void due_text(struct screen *s, const struct maint_action *a, int64_t now, char *out,
                     size_t len)
{
    if (!a->due_ms) {
        snprintf(out, len, a->urgency == MAINT_CRITICAL ? "now" : "-");
        return;
    }
    char t[32];
    screen_format_time(s, a->due_ms, false, t, sizeof t);
    snprintf(out, len, "%s%s", a->due_ms <= now ? "OVERDUE " : "", t);
}

static void draw_title(struct screen *s, int top, int64_t now)
{
    int overdue = 0, shift = 0;
    if (planner(s))
        maint_counts(planner(s), now, &overdue, &shift);
    widget_printf(stdscr, top, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                  "Maintenance plan: %d action%s, %d overdue, %d due this shift", v.count,
                  v.count == 1 ? "" : "s", overdue, shift);
}

static void draw_row(struct screen *s, int y, int i, const struct widget_column *cols, int64_t now)
{
    const struct maint_action *a = &v.rows[i];
    char due[48], first[32];
    due_text(s, a, now, due, sizeof due);
    screen_format_time(s, a->first_ms, false, first, sizeof first);
    const char *cells[COL_COUNT_] = {
        due,  maint_urgency_name(a->urgency), a->machine_id, a->component, a->action, a->evidence,
        first};
    attr_t row = i == v.selected ? screen_attr(s, THEME_SELECTED) : screen_attr(s, THEME_NORMAL);
    attr_t cell_attrs[COL_COUNT_] = {0};
    if (i != v.selected)
        cell_attrs[COL_URGENCY] =
            screen_attr(s, urgency_element(a->urgency)) | (a->urgency >= MAINT_HIGH ? A_BOLD : 0);
    widget_table_row(stdscr, y, 1, cols, COL_COUNT_, cells, row, cell_attrs, s->g);
    screen_hit_add(s, y, 1, 1, s->cols - 2, SCREEN_HIT_ROW, i);
}

static void view_plan_draw(struct screen *s, int top, int height)
{
    struct widget_column cols[COL_COUNT_] = {
        [COL_DUE] = {"Due", 11, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_URGENCY] = {"Urgency", 8, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_MACHINE] = {"Machine", 10, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_COMPONENT] = {"Component", 12, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_ACTION] = {"Action", 8, WIDGET_LEFT, 1, false, false, 0, 0},
        [COL_EVIDENCE] = {"Evidence", 20, WIDGET_LEFT, 2, true, false, 0, 0},
        [COL_FIRST] = {"First", 8, WIDGET_LEFT, 3, false, false, 0, 0},
    };
    int64_t now = s->snap->sim_time_ms;
    if (!planner(s)) {
        widget_text(stdscr, top + 1, 2, s->cols - 4, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    "No maintenance plan in this mode.");
        return;
    }
    refresh_rows(s);
    draw_title(s, top, now);
    widget_table_fit(cols, COL_COUNT_, s->cols - 2);
    widget_table_header(stdscr, top + 1, 1, s->cols - 2, cols, COL_COUNT_,
                        screen_attr(s, THEME_TABLE_HEADER), s->g);
    v.page = height - 2 > 1 ? height - 2 : 1;
    if (v.selected < v.scroll)
        v.scroll = v.selected;
    if (v.selected >= v.scroll + v.page)
        v.scroll = v.selected - v.page + 1;
    for (int r = 0; r < v.page; r++) {
        int i = v.scroll + r;
        if (i < v.count)
            draw_row(s, top + 2 + r, i, cols, now);
        else
            widget_text(
                stdscr, top + 2 + r, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_NORMAL),
                s->g, i == 0 && r == 0 ? "Nothing to do: no machine drifts towards a fault." : "");
    }
    snprintf(s->right_info, sizeof s->right_info, "%d/%d", v.count ? v.selected + 1 : 0, v.count);
}

int view_plan_move(struct screen *s, int delta)
{
    refresh_rows(s);
    int to = delta <= -10000 ? 0 : delta >= 10000 ? v.count - 1 : v.selected + delta;
    to = to >= v.count ? v.count - 1 : to;
    v.selected = to < 0 ? 0 : to;
    if (v.count)
        row_key(&v.rows[v.selected], v.selected_key, sizeof v.selected_key);
    return SCREEN_REDRAW;
}

static const struct maint_action *selected(struct screen *s)
{
    refresh_rows(s);
    if (!v.count) {
        screen_status(s, true, "no planned action selected");
        return NULL;
    }
    return &v.rows[v.selected];
}

int view_plan_open(struct screen *s, int arg)
{
    (void)arg;
    const struct maint_action *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    if (a->machine < 0 || a->machine >= s->machines) {
        screen_status(s, true, "%s is not a machine of this console", a->machine_id);
        return SCREEN_REDRAW;
    }
    return view_detail_open(s, a->machine, a->sensor);
}

int view_plan_done(struct screen *s, int arg)
{
    (void)arg;
    const struct maint_action *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    struct maint_action act = *a;
    char question[160], note[160], msg[256];
    snprintf(question, sizeof question, "%s: %s %s done. Note:", act.machine_id, act.action,
             act.component);
    if (screen_prompt(s, question, note, sizeof note) != 0) {
        screen_status(s, false, "not marked done");
        return SCREEN_REDRAW;
    }
    if (!v.op_ready) {
        alarm_operator_init(&v.op, s->ctx->cfg ? s->ctx->cfg->operator_name : NULL);
        v.op_ready = true;
    }
    int rc = maint_done(planner(s), act.machine, act.fault, &v.op, note, s->snap->sim_time_ms, msg,
                        sizeof msg);
    screen_status(s, rc < 0, "%s", msg);
    return SCREEN_REDRAW;
}

const struct view_entry view_plan_entry = {
    .name = "plan",
    .select = {{'4'}, "4", 0, view_select, VIEW_PLAN, "maintenance plan", NULL},
    .hint = "Enter machine  d done (note)  Up/Down select",
    .draw = view_plan_draw,
    .wheel_up = KEY_UP,
    .wheel_down = KEY_DOWN,
};
