// SPDX-License-Identifier: MIT
/* The alarm list view and the alarm banner. */
#include "view_alarms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarm.h"
#include "config.h"
#include "screen.h"
#include "theme.h"
#include "view.h"
#include "view_detail.h"
#include "widget.h"
#include "clock.h"

#define VIEW_ALARMS_MAX 1024
#define KEY_ESC_CODE 27
/* The longest shelve: one shift (ISA-18.2 wants shelving bounded). */
#define VIEW_ALARMS_SHELVE_MAX_S (8 * 3600)

enum column {
    COL_TIME,
    COL_MACHINE,
    COL_CONDITION,
    COL_PRIORITY,
    COL_STATE,
    COL_VALUE,
    COL_COUNT,
    COL_ACKED_BY,
    COL_FLAGS,
    COL_COUNT_
};

/* The view's own state: main thread only. */
static struct {
    struct alarm_info rows[VIEW_ALARMS_MAX];
    int count;
    int selected;         /* row index */
    uint32_t selected_id; /* follows the alarm when the sort order changes */
    int scroll;
    int page;    /* rows that fit, from the last frame */
    bool hidden; /* the shelved / suppressed / out-of-service list */
    char filter[64];
    struct alarm_operator op;
    bool op_ready;
    uint64_t bell_seen;
    bool bell_ready;
} v;

static struct alarm_manager *manager(struct screen *s)
{
    return s->ctx ? s->ctx->alarms : NULL;
}

static const struct alarm_operator *op(struct screen *s)
{
    if (!v.op_ready) {
        alarm_operator_init(&v.op, s->ctx->cfg ? s->ctx->cfg->operator_name : NULL);
        v.op_ready = true;
    }
    return &v.op;
}

static void refresh_rows(struct screen *s)
{
    struct alarm_manager *m = manager(s);
    v.count = m ? alarm_list(m, v.hidden ? ALARM_LIST_HIDDEN : ALARM_LIST_CURRENT, v.filter, v.rows,
                             VIEW_ALARMS_MAX)
                : 0;
    int found = -1;
    for (int i = 0; i < v.count && v.selected_id; i++)
        if (v.rows[i].id == v.selected_id)
            found = i;
    if (found >= 0)
        v.selected = found;
    if (v.selected >= v.count)
        v.selected = v.count - 1;
    if (v.selected < 0)
        v.selected = 0;
    v.selected_id = v.count ? v.rows[v.selected].id : 0;
}

static const struct alarm_info *selected(struct screen *s)
{
    refresh_rows(s);
    if (!v.count) {
        screen_status(s, true, "no alarm selected");
        return NULL;
    }
    return &v.rows[v.selected];
}

/* "FAN_001 vibration_mm_s hi": the alarm a prompt acts on, named when the prompt opens. */
static void target_name(const struct alarm_info *a, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s", a->machine_id, a->condition);
    char *colon = strrchr(buf, ':');
    if (colon)
        *colon = ' ';
}

static void format_time(struct screen *s, int64_t ts_ms, char *buf, size_t len)
{
    if (ts_ms <= 0) {
        snprintf(buf, len, "--");
        return;
    }
    screen_format_time(s, ts_ms, false, buf, len);
}

static int priority_element(int priority)
{
    return priority >= ALARM_PRIO_HIGH     ? THEME_ALARM
           : priority == ALARM_PRIO_MEDIUM ? THEME_WARN
                                           : THEME_NORMAL;
}

static void draw_detail(struct screen *s, int y, const struct alarm_info *a)
{
    char line[512], until[24];
    attr_t dim = screen_attr(s, THEME_DIM);
    if (!a) {
        widget_text(stdscr, y, 1, s->cols - 2, WIDGET_LEFT, dim, s->g, "");
        widget_text(stdscr, y + 1, 1, s->cols - 2, WIDGET_LEFT, dim, s->g, "");
        return;
    }
    widget_printf(stdscr, y, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_NORMAL), s->g,
                  "%s %s: %s", a->machine_id, a->condition, a->message);
    int n = 0;
    line[0] = '\0';
    if (a->shelved) {
        format_time(s, a->shelved_until_ms, until, sizeof until);
        n += snprintf(line + n, sizeof line - (size_t)n, "shelved %s: %s  ",
                      a->shelve_oneshot ? "until it clears" : until, a->shelve_reason);
    }
    if (a->first_out && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "first out  ");
    if (a->chattering && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "chattering (on-delay %lld s)  ",
                      (long long)(a->on_delay_ms / 1000));
    if (a->stale && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "stale (active > 24 h)  ");
    if (a->note[0] && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "note: %s", a->note);
    widget_text(stdscr, y + 1, 1, s->cols - 2, WIDGET_LEFT, dim, s->g, line);
}

static void view_alarms_draw(struct screen *s, int top, int height)
{
    struct widget_column cols[COL_COUNT_] = {
        [COL_TIME] = {"Time", 8, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_MACHINE] = {"Machine", 10, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_CONDITION] = {"Condition", 16, WIDGET_LEFT, 0, true, false, 0, 0},
        [COL_PRIORITY] = {"Priority", 8, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_STATE] = {"State", 9, WIDGET_LEFT, 0, false, false, 0, 0},
        [COL_VALUE] = {"Value", 8, WIDGET_RIGHT, 2, false, false, 0, 0},
        [COL_COUNT] = {"Count", 5, WIDGET_RIGHT, 3, false, false, 0, 0},
        [COL_ACKED_BY] = {"Acked by", 10, WIDGET_LEFT, 1, false, false, 0, 0},
        [COL_FLAGS] = {"Flags", 5, WIDGET_LEFT, 4, false, false, 0, 0},
    };
    attr_t normal = screen_attr(s, THEME_NORMAL);
    if (!manager(s)) {
        widget_text(stdscr, top + 1, 2, s->cols - 4, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    "No alarm manager in this mode.");
        return;
    }
    refresh_rows(s);
    widget_printf(stdscr, top, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                  "%s: %d%s%s%s", v.hidden ? "Shelved, suppressed, out of service" : "Alarms",
                  v.count, v.filter[0] ? "  filter: " : "", v.filter,
                  v.hidden ? "   (S: current alarms)" : "   (S: shelved list)");
    for (int i = 0; i < v.count; i++) { /* a row from another day carries its date */
        char t[24];
        format_time(s, v.rows[i].last_ts_ms, t, sizeof t);
        if ((int)strlen(t) > cols[COL_TIME].width)
            cols[COL_TIME].width = (int)strlen(t);
    }
    widget_table_fit(cols, COL_COUNT_, s->cols - 2);
    widget_table_header(stdscr, top + 1, 1, s->cols - 2, cols, COL_COUNT_,
                        screen_attr(s, THEME_TABLE_HEADER), s->g);
    int list_top = top + 2, detail_rows = height >= 8 ? 2 : 0;
    v.page = height - 2 - detail_rows;
    if (v.page < 1)
        v.page = 1;
    if (v.selected < v.scroll)
        v.scroll = v.selected;
    if (v.selected >= v.scroll + v.page)
        v.scroll = v.selected - v.page + 1;
    if (v.scroll > 0 && v.scroll > v.count - v.page)
        v.scroll = v.count - v.page > 0 ? v.count - v.page : 0;
    for (int r = 0; r < v.page; r++) {
        int i = v.scroll + r;
        if (i >= v.count) {
            widget_text(stdscr, list_top + r, 1, s->cols - 2, WIDGET_LEFT, normal, s->g, "");
            continue;
        }
        const struct alarm_info *a = &v.rows[i];
        char c_time[24], c_value[24], c_count[12], c_flags[8];
        format_time(s, a->last_ts_ms, c_time, sizeof c_time);
        widget_format_value(a->last_value, c_value, sizeof c_value);
        snprintf(c_count, sizeof c_count, "%u", a->count);
        snprintf(c_flags, sizeof c_flags, "%s%s%s", a->first_out ? "F" : "",
                 a->chattering ? "C" : "", a->stale ? "S" : "");
        const char *cells[COL_COUNT_] = {c_time,
                                         a->machine_id,
                                         a->condition,
                                         alarm_priority_name(a->priority),
                                         alarm_state_label(a->state),
                                         c_value,
                                         c_count,
                                         a->acked_by,
                                         c_flags};
        attr_t row = a->acked ? normal : screen_attr(s, THEME_UNACK);
        if (i == v.selected)
            row = screen_attr(s, THEME_SELECTED);
        attr_t cell_attrs[COL_COUNT_] = {0};
        if (i != v.selected)
            cell_attrs[COL_PRIORITY] =
                screen_attr(s, priority_element(a->priority)) | (a->acked ? 0 : A_BOLD);
        widget_table_row(stdscr, list_top + r, 1, cols, COL_COUNT_, cells, row, cell_attrs, s->g);
        screen_hit_add(s, list_top + r, 1, 1, s->cols - 2, SCREEN_HIT_ROW, i);
    }
    if (detail_rows)
        draw_detail(s, top + height - 2, v.count ? &v.rows[v.selected] : NULL);
    snprintf(s->right_info, sizeof s->right_info, "%d/%d", v.count ? v.selected + 1 : 0, v.count);
}

int view_alarms_move(struct screen *s, int delta)
{
    refresh_rows(s);
    int to = v.selected + delta;
    if (delta <= -10000)
        to = 0;
    else if (delta >= 10000)
        to = v.count - 1;
    if (to >= v.count)
        to = v.count - 1;
    if (to < 0)
        to = 0;
    v.selected = to;
    v.selected_id = v.count ? v.rows[to].id : 0;
    return SCREEN_REDRAW;
}

/* Reports an action's outcome in the status line. */
static int outcome(struct screen *s, int rc, const char *msg)
{
    screen_status(s, rc < 0, "%s", msg);
    return SCREEN_REDRAW;
}

int view_alarms_open(struct screen *s, int arg)
{
    (void)arg;
    const struct alarm_info *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    int machine = -1;
    for (int i = 0; i < s->machines && machine < 0; i++)
        if (strcmp(screen_machine_id(s, i), a->machine_id) == 0)
            machine = i;
    if (machine < 0) {
        screen_status(s, true, "%s is not a machine of this console", a->machine_id);
        return SCREEN_REDRAW;
    }
    /* the condition is "sensor:hi" (or lo, hihi, lolo): the sensor before the colon */
    size_t len = strcspn(a->condition, ":");
    int sensor = -1;
    const struct catalog_type *t = screen_type(s, machine);
    for (int i = 0; i < catalog_sensor_count(t) && sensor < 0; i++)
        if (strlen(t->sensors[i].name) == len &&
            strncmp(t->sensors[i].name, a->condition, len) == 0)
            sensor = i;
    return view_detail_open(s, machine, sensor);
}

int view_alarms_ack(struct screen *s, int arg)
{
    (void)arg;
    char msg[256];
    const struct alarm_info *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    return outcome(s, alarm_ack(manager(s), a->id, op(s), msg, sizeof msg), msg);
}

int view_alarms_ack_all(struct screen *s, int arg)
{
    (void)arg;
    static uint32_t ids[VIEW_ALARMS_MAX];
    char msg[256], question[96];
    refresh_rows(s);
    int n = 0;
    for (int i = 0; i < v.count; i++)
        if (!v.rows[i].acked)
            ids[n++] = v.rows[i].id;
    if (!n) {
        screen_status(s, true, "no visible alarm awaits acknowledgement");
        return SCREEN_REDRAW;
    }
    int critical = 0;
    for (int i = 0; i < v.count; i++)
        critical += !v.rows[i].acked && v.rows[i].priority == ALARM_PRIO_CRITICAL;
    snprintf(question, sizeof question, "acknowledge %d alarm%s, %d critical? y/n", n,
             n == 1 ? "" : "s", critical);
    if (!screen_confirm(s, question)) {
        screen_status(s, false, "nothing acknowledged");
        return SCREEN_REDRAW;
    }
    int acked = alarm_ack_all(manager(s), ids, n, op(s), msg, sizeof msg);
    return outcome(s, acked > 0 ? 0 : -1, msg);
}

int view_alarms_shelve(struct screen *s, int arg)
{
    (void)arg;
    char msg[256], duration[32], reason[ALARM_TEXT_MAX];
    const struct alarm_info *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    uint32_t id = a->id;
    char target[CATALOG_NAME_MAX + ALARM_CONDITION_MAX], question[256];
    target_name(a, target, sizeof target);
    snprintf(question, sizeof question, "Shelve %s for (30m, 2h, 0 = until it clears):", target);
    if (screen_prompt(s, question, duration, sizeof duration) != 0)
        return outcome(s, 0, "shelve cancelled");
    double seconds;
    if (clock_parse_duration(duration, &seconds) != 0 || seconds < 0) {
        snprintf(msg, sizeof msg, "'%.20s' is not a duration (examples: 30m, 2h, 0)", duration);
        return outcome(s, -1, msg);
    }
    if (seconds > 0 && duration[strspn(duration, "0123456789. ")] == '\0') {
        snprintf(msg, sizeof msg, "'%.20s' has no unit: say 30s, 30m or 2h", duration);
        return outcome(s, -1, msg); /* a bare 30 once meant 30 seconds to one, minutes to another */
    }
    if (seconds > VIEW_ALARMS_SHELVE_MAX_S) {
        snprintf(msg, sizeof msg, "'%.20s' is longer than the shift: shelve for 8h at most",
                 duration);
        return outcome(s, -1, msg);
    }
    snprintf(question, sizeof question, "Reason for shelving %s:", target);
    if (screen_prompt(s, question, reason, sizeof reason) != 0)
        return outcome(s, 0, "shelve cancelled");
    int rc =
        alarm_shelve(manager(s), id, op(s), (int64_t)(seconds * 1000), reason, msg, sizeof msg);
    return outcome(s, rc, msg);
}

int view_alarms_unshelve(struct screen *s, int arg)
{
    (void)arg;
    char msg[256];
    const struct alarm_info *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    return outcome(
        s, alarm_unshelve(manager(s), a->id, op(s), "unshelved by operator", msg, sizeof msg), msg);
}

int view_alarms_note(struct screen *s, int arg)
{
    (void)arg;
    char msg[256], text[ALARM_TEXT_MAX];
    const struct alarm_info *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    uint32_t id = a->id;
    char target[CATALOG_NAME_MAX + ALARM_CONDITION_MAX], question[256];
    target_name(a, target, sizeof target);
    snprintf(question, sizeof question, "Note for %s:", target);
    if (screen_prompt(s, question, text, sizeof text) != 0)
        return outcome(s, 0, "note cancelled");
    return outcome(s, alarm_note(manager(s), id, op(s), text, msg, sizeof msg), msg);
}

int view_alarms_out_of_service(struct screen *s, int arg)
{
    (void)arg;
    char msg[256], reason[ALARM_TEXT_MAX] = "";
    const struct alarm_info *a = selected(s);
    if (!a)
        return SCREEN_REDRAW;
    uint32_t id = a->id;
    bool on = !a->out_of_service;
    char target[CATALOG_NAME_MAX + ALARM_CONDITION_MAX], question[256];
    target_name(a, target, sizeof target);
    snprintf(question, sizeof question, "Reason for removing %s from service:", target);
    if (on && screen_prompt(s, question, reason, sizeof reason) != 0)
        return outcome(s, 0, "cancelled");
    return outcome(s,
                   alarm_set_out_of_service(manager(s), id, op(s), on,
                                            on ? reason : "returned to service", msg, sizeof msg),
                   msg);
}

int view_alarms_filter(struct screen *s, int arg)
{
    (void)arg;
    char text[sizeof v.filter];
    if (screen_prompt(s, "Filter (machine, condition, priority or state; empty: all):", text,
                      sizeof text) != 0)
        return SCREEN_REDRAW;
    snprintf(v.filter, sizeof v.filter, "%s", text);
    v.selected = 0;
    v.selected_id = 0;
    return SCREEN_REDRAW;
}

int view_alarms_toggle_hidden(struct screen *s, int arg)
{
    (void)s;
    (void)arg;
    v.hidden = !v.hidden;
    v.selected = 0;
    v.selected_id = 0;
    v.scroll = 0;
    return SCREEN_REDRAW;
}

/* The unit of the alarm's sensor ("" for detector alarms or unknown machines). */
static const char *alarm_unit(struct screen *s, const struct alarm_info *a)
{
    size_t len = strcspn(a->condition, ":");
    for (int m = 0; m < s->machines; m++) {
        if (strcmp(screen_machine_id(s, m), a->machine_id) != 0)
            continue;
        const struct catalog_type *t = screen_type(s, m);
        for (int i = 0; i < catalog_sensor_count(t); i++)
            if (strlen(t->sensors[i].name) == len &&
                strncmp(t->sensors[i].name, a->condition, len) == 0)
                return t->sensors[i].unit;
    }
    return "";
}

/* "crit FAN_001 vibration_mm_s hi 7.31 mm/s 2m ago": the newest highest-priority unacked alarm.
 * alarm_list sorts by priority then newest first, so the first unacked row is the one. */
static int named_alarm(struct screen *s, struct alarm_manager *m, char *buf, size_t len)
{
    static struct alarm_info rows[64];
    int n = alarm_list(m, ALARM_LIST_CURRENT, NULL, rows, 64);
    for (int i = 0; i < n; i++) {
        const struct alarm_info *a = &rows[i];
        if (a->acked)
            continue;
        char cond[ALARM_CONDITION_MAX], value[24];
        snprintf(cond, sizeof cond, "%s", a->condition);
        char *colon = strchr(cond, ':');
        if (colon)
            *colon = ' ';
        widget_format_value(a->last_value, value, sizeof value);
        int64_t since = a->active_since_ms ? a->active_since_ms : a->last_ts_ms;
        int64_t now = s->snap && s->snap->sim_time_ms > since ? s->snap->sim_time_ms : since;
        long age = (long)((now - since) / 1000);
        const char *unit = alarm_unit(s, a);
        char age_text[24];
        if (age < 60)
            snprintf(age_text, sizeof age_text, "%lds", age);
        else if (age < 3600)
            snprintf(age_text, sizeof age_text, "%ldm", age / 60);
        else
            snprintf(age_text, sizeof age_text, "%ldh%02ldm", age / 3600, age / 60 % 60);
        return snprintf(buf, len, "%s %s %s %s%s%s %s ago  ", alarm_priority_name(a->priority),
                        a->machine_id, cond, value, unit[0] ? " " : "", unit, age_text);
    }
    buf[0] = '\0';
    return 0;
}

static int count_by_priority(char *buf, size_t len, const char *what, const int *by)
{
    return snprintf(buf, len, "%s %d/%d/%d/%d", what, by[ALARM_PRIO_CRITICAL], by[ALARM_PRIO_HIGH],
                    by[ALARM_PRIO_MEDIUM], by[ALARM_PRIO_LOW]);
}

bool view_alarms_banner(struct screen *s, int y, int x, int width)
{
    struct alarm_manager *m = manager(s);
    if (!m || width <= 0)
        return false;
    struct alarm_banner b;
    alarm_get_banner(m, &b);
    if (!v.bell_ready) {
        v.bell_seen = b.bell_seq; /* alarms restored at start-up do not ring */
        v.bell_ready = true;
    }
    if (b.bell_seq > v.bell_seen) {
        v.bell_seen = b.bell_seq;
        if (!s->ctx->cfg || !s->ctx->cfg->no_bell)
            beep();
    }
    int unacked = 0, active = 0;
    for (int p = 0; p < ALARM_PRIO_COUNT; p++) {
        unacked += b.unacked[p];
        active += b.active[p];
    }
    char text[512];
    int n = named_alarm(s, m, text, sizeof text);
    n += count_by_priority(text + n, sizeof text - (size_t)n, "active", b.active);
    n += count_by_priority(text + n, sizeof text - (size_t)n, "  unacked", b.unacked);
    if (b.shelved && n < (int)sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, "  shelved %d", b.shelved);
    if (b.flood && n < (int)sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, "  FLOOD: %d new in 10 min", b.flood_new);
    bool loud = b.flood || b.unacked[ALARM_PRIO_CRITICAL] || b.unacked[ALARM_PRIO_HIGH];
    widget_text(stdscr, y, x, width, WIDGET_RIGHT,
                screen_attr(s, loud ? THEME_BANNER_ALARM : THEME_BANNER), s->g,
                active || unacked || b.shelved || b.flood ? text : "No active alarms");
    return true;
}

const struct view_entry view_alarms_entry = {
    .name = "alarms",
    .select = {{KEY_F(3), '3'}, "F3 3", 0, view_select, VIEW_ALARMS, "alarm list", "Alarms"},
    .hint = "a ack  A ack all  s shelve  u unshelve  n note  / filter  S shelved",
    .draw = view_alarms_draw,
    .wheel_up = KEY_UP,
    .wheel_down = KEY_DOWN,
};
