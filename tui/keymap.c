// SPDX-License-Identifier: MIT
/* The key table: every key binding, for dispatch, help and the function-key bar. */
#include "keymap.h"

#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "screen.h"
#include "store_export.h"
#include "view.h"
#include "view_alarms.h"
#include "view_detail.h"
#include "view_fleet.h"
#include "view_overview.h"
#include "view_plan.h"

#define KEY_ESC 27
#define CTRL(c) ((c) & 0x1f)
#define OVERVIEW KEY_BINDING_IN(VIEW_OVERVIEW)
#define DETAIL KEY_BINDING_IN(VIEW_DETAIL)
#define HELP KEY_BINDING_IN(VIEW_HELP)
#define ALARMS KEY_BINDING_IN(VIEW_ALARMS)
#define FLEET KEY_BINDING_IN(VIEW_FLEET)
#define PLAN KEY_BINDING_IN(VIEW_PLAN)

static int key_quit(struct screen *s, int arg)
{
    (void)s;
    (void)arg;
    return SCREEN_QUIT;
}

static int key_redraw(struct screen *s, int arg)
{
    (void)s;
    (void)arg;
    clearok(curscr, TRUE); /* the next frame repaints every cell: a garbled SSH screen heals */
    return SCREEN_REDRAW;
}

static int key_fault(struct screen *s, int arg)
{
    (void)arg;
    if (s->machines == 0)
        return SCREEN_NOTHING;
    const char *id = screen_machine_id(s, s->selected);
    const struct tui_player *p = &s->ctx->player;
    if (!p->inject_fault) {
        screen_status(s, true, "%s: no simulator here (attached to a feed or replaying)", id);
        return SCREEN_REDRAW;
    }
    char err[256] = "";
    if (p->inject_fault(p->ctx, s->selected, 600, err, sizeof err) < 0) {
        screen_status(s, true, "%s: fault not injected: %s", id, err[0] ? err : "refused");
        return SCREEN_REDRAW;
    }
    const struct catalog_type *t = screen_type(s, s->selected);
    screen_status(s, false, "%s: fault %s injected, grows to failure in 10 min", id,
                  t->fault_count > 0 ? t->faults[0].name : "(first)");
    return SCREEN_REDRAW;
}

static int key_pause(struct screen *s, int arg)
{
    (void)arg;
    const struct tui_player *p = &s->ctx->player;
    if (!p->toggle_pause) {
        screen_status(s, true, "pause is not available here");
        return SCREEN_REDRAW;
    }
    p->toggle_pause(p->ctx);
    if (p->paused)
        screen_status(s, false, "%s", p->paused(p->ctx) ? "paused" : "running");
    return SCREEN_REDRAW;
}

static int key_speed(struct screen *s, int faster)
{
    const struct tui_player *p = &s->ctx->player;
    if (!p->scale_speed) {
        screen_status(s, true, "the speed cannot be changed here");
        return SCREEN_REDRAW;
    }
    p->scale_speed(p->ctx, faster ? 2.0 : 0.5);
    screen_status(s, false, "speed %s", faster ? "doubled" : "halved");
    return SCREEN_REDRAW;
}

/* Exports the selected machine's last hour of plant time (history file, read-only) to a CSV in
 * the current folder, named in the status line. */
static int key_export(struct screen *s, int arg)
{
    (void)arg;
    if (s->machines == 0)
        return SCREEN_NOTHING;
    const char *id = screen_machine_id(s, s->selected);
    if (s->ctx->cfg->no_db) {
        screen_status(s, true, "%s: no history with --no-db", id);
        return SCREEN_REDRAW;
    }
    char name[96], stamp[32], err[256];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(name, sizeof name, "twintop-%s-%s.csv", id, stamp);
    for (char *c = name; *c; c++) /* ids come from feeds too: keep the name a plain file name */
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20)
            *c = '_';
    int64_t end = s->snap->sim_time_ms;
    long long rows = store_export_machine_csv(s->ctx->cfg->db_path, id, end - 3600 * 1000LL,
                                              INT64_MAX, name, err, sizeof err);
    if (rows < 0)
        screen_status(s, true, "export %s: %s", id, err);
    else
        screen_status(s, false, "exported %lld samples of %s to %s", rows, id, name);
    return SCREEN_REDRAW;
}

static int key_move_x(struct screen *s, int dx)
{
    return view_overview_move(s, dx, 0);
}

static int key_move_y(struct screen *s, int dy)
{
    return view_overview_move(s, 0, dy);
}

static int key_jump(struct screen *s, int end)
{
    return view_overview_jump(s, end);
}

/* The help view's rows; the upper bound depends on the height, so the view's draw clamps it. */
static int key_scroll(struct screen *s, int delta)
{
    s->scroll += delta;
    if (s->scroll < 0)
        s->scroll = 0;
    return SCREEN_REDRAW;
}

/* Every binding but the keys that select a view (those are the view entries' own). */
static const struct key_binding rows[] = {
    {{KEY_F(4)}, "F4", DETAIL, view_select, VIEW_OVERVIEW, "back to the overview", NULL},
    {{KEY_ESC, KEY_BACKSPACE, 127}, "Esc Backspace", 0, view_back, 0,
     "go back to the previous view", NULL},
    {{'q', 'Q', KEY_F(10)}, "q F10", 0, key_quit, 0, "quit", "Quit"},
    {{KEY_LEFT}, "Left", OVERVIEW, key_move_x, -1, "select the machine to the left", NULL},
    {{KEY_RIGHT, '\t'}, "Right Tab", OVERVIEW, key_move_x, 1, "select the machine to the right",
     NULL},
    {{KEY_UP}, "Up", OVERVIEW, key_move_y, -1, "select the machine above", NULL},
    {{KEY_DOWN}, "Down", OVERVIEW, key_move_y, 1, "select the machine below", NULL},
    {{KEY_HOME}, "Home", OVERVIEW, key_jump, 0, "select the first machine", NULL},
    {{KEY_END}, "End", OVERVIEW, key_jump, 1, "select the last machine", NULL},
    {{KEY_PPAGE}, "PgUp", OVERVIEW, view_overview_page, -1, "previous page of tiles", NULL},
    {{KEY_NPAGE}, "PgDn", OVERVIEW, view_overview_page, 1, "next page of tiles", NULL},
    {{KEY_UP}, "Up", DETAIL, view_detail_sensor, -1, "chart the sensor above", NULL},
    {{KEY_DOWN}, "Down", DETAIL, view_detail_sensor, 1, "chart the sensor below", NULL},
    {{KEY_PPAGE}, "PgUp", DETAIL, view_detail_sensor, -10, "ten sensors up", NULL},
    {{KEY_NPAGE}, "PgDn", DETAIL, view_detail_sensor, 10, "ten sensors down", NULL},
    {{KEY_LEFT}, "Left", DETAIL, view_detail_machine, -1, "previous machine", NULL},
    {{KEY_RIGHT, '\t'}, "Right Tab", DETAIL, view_detail_machine, 1, "next machine", NULL},
    {{'r'}, "r", DETAIL, view_detail_range, 1,
     "chart range: last 5 min, last hour (1-min rollups), last 24 h (5-min rollups)", NULL},
    {{KEY_UP}, "Up", HELP, key_scroll, -1, "scroll up", NULL},
    {{KEY_DOWN}, "Down", HELP, key_scroll, 1, "scroll down", NULL},
    {{KEY_PPAGE}, "PgUp", HELP, key_scroll, -10, "scroll a page up", NULL},
    {{KEY_NPAGE}, "PgDn", HELP, key_scroll, 10, "scroll a page down", NULL},
    {{KEY_HOME}, "Home", HELP, key_scroll, -100000, "the top of the list", NULL},
    {{KEY_END}, "End", HELP, key_scroll, 100000, "the end of the list", NULL},
    {{'f', KEY_F(9)}, "f F9", OVERVIEW | DETAIL, key_fault, 0,
     "inject a fault into the selected machine (simulator only)", "Fault"},
    {{'p', KEY_F(5), ' '}, "p F5 Space", 0, key_pause, 0, "pause or resume the simulation or replay",
     "Pause"},
    {{'-', KEY_F(7)}, "- F7", 0, key_speed, 0, "half the speed", "Slow"},
    {{'+', '=', KEY_F(8)}, "+ F8", 0, key_speed, 1, "double the speed", "Fast"},
    {{'e', KEY_F(6)}, "e F6", OVERVIEW | DETAIL, key_export, 0,
     "export the selected machine's last hour of history", "Export"},
    {{CTRL('l')}, "Ctrl-L", 0, key_redraw, 0, "repaint the whole screen", NULL},
    {{KEY_UP, 'k'}, "Up k", ALARMS, view_alarms_move, -1, "select the alarm above", NULL},
    {{KEY_DOWN, 'j'}, "Down j", ALARMS, view_alarms_move, 1, "select the alarm below", NULL},
    {{KEY_PPAGE}, "PgUp", ALARMS, view_alarms_move, -10, "ten alarms up", NULL},
    {{KEY_NPAGE}, "PgDn", ALARMS, view_alarms_move, 10, "ten alarms down", NULL},
    {{KEY_HOME}, "Home", ALARMS, view_alarms_move, -10000, "the first alarm", NULL},
    {{KEY_END}, "End", ALARMS, view_alarms_move, 10000, "the last alarm", NULL},
    {{KEY_ENTER, '\r', '\n'}, "Enter", ALARMS, view_alarms_open, 0,
     "detail of the alarm's machine, on the alarmed sensor", NULL},
    {{'a'}, "a", ALARMS, view_alarms_ack, 0, "acknowledge the selected alarm", NULL},
    {{'A'}, "A", ALARMS, view_alarms_ack_all, 0, "acknowledge all visible alarms (asks y/n)",
     NULL},
    {{'s'}, "s", ALARMS, view_alarms_shelve, 0, "shelve the selected alarm (duration, reason)",
     NULL},
    {{'u'}, "u", ALARMS, view_alarms_unshelve, 0, "unshelve the selected alarm", NULL},
    {{'n'}, "n", ALARMS, view_alarms_note, 0, "add a note to the selected alarm", NULL},
    {{'o'}, "o", ALARMS, view_alarms_out_of_service, 0,
     "remove the selected alarm from service, or return it", NULL},
    {{'/'}, "/", ALARMS, view_alarms_filter, 0, "filter alarms (words: machine, condition, ...)",
     NULL},
    {{'S'}, "S", ALARMS, view_alarms_toggle_hidden, 0,
     "switch to the shelved / suppressed / out-of-service list and back", NULL},
    {{KEY_UP, 'k'}, "Up k", FLEET, view_fleet_move, -1, "select the machine above", NULL},
    {{KEY_DOWN, 'j'}, "Down j", FLEET, view_fleet_move, 1, "select the machine below", NULL},
    {{KEY_PPAGE}, "PgUp", FLEET, view_fleet_move, -20, "twenty rows up", NULL},
    {{KEY_NPAGE}, "PgDn", FLEET, view_fleet_move, 20, "twenty rows down", NULL},
    {{KEY_HOME}, "Home", FLEET, view_fleet_move, -100000, "the first row", NULL},
    {{KEY_END}, "End", FLEET, view_fleet_move, 100000, "the last row", NULL},
    {{'<', ','}, "<", FLEET, view_fleet_sort, -1, "sort by the column to the left", NULL},
    {{'>', '.'}, ">", FLEET, view_fleet_sort, 1, "sort by the column to the right", NULL},
    {{'I'}, "I", FLEET, view_fleet_invert, 0, "invert the sort order", NULL},
    {{'/'}, "/", FLEET, view_fleet_search, 0,
     "search id, type, area, line: the next machine that matches", NULL},
    {{'n'}, "n", FLEET, view_fleet_search_next, 0, "the next match of the last search", NULL},
    {{'\\'}, "\\", FLEET, view_fleet_filter, 0,
     "filter: id/type/area globs and states (alarm, warn, stale, ok)", NULL},
    {{'a'}, "a", FLEET, view_fleet_abnormal, 0, "only the machines that need attention, or all",
     NULL},
    {{'g'}, "g", FLEET, view_fleet_group, 0, "group the machines by area, or not", NULL},
    {{KEY_ENTER, '\r', '\n'}, "Enter", FLEET, view_fleet_open, 0,
     "detail of the selected machine", NULL},
    {{KEY_UP, 'k'}, "Up k", PLAN, view_plan_move, -1, "select the action above", NULL},
    {{KEY_DOWN, 'j'}, "Down j", PLAN, view_plan_move, 1, "select the action below", NULL},
    {{KEY_PPAGE}, "PgUp", PLAN, view_plan_move, -10, "ten actions up", NULL},
    {{KEY_NPAGE}, "PgDn", PLAN, view_plan_move, 10, "ten actions down", NULL},
    {{KEY_HOME}, "Home", PLAN, view_plan_move, -10000, "the first (soonest due) action", NULL},
    {{KEY_END}, "End", PLAN, view_plan_move, 10000, "the last action", NULL},
    {{KEY_ENTER, '\r', '\n'}, "Enter", PLAN, view_plan_open, 0,
     "detail of the action's machine, on its evidence sensor", NULL},
    {{'d'}, "d", PLAN, view_plan_done, 0,
     "mark the selected action done (asks for a note; recorded in the audit trail)", NULL},
};

#define ROWS (sizeof rows / sizeof rows[0])

size_t keymap_count(void)
{
    return VIEW_COUNT + ROWS;
}

const struct key_binding *keymap_at(size_t i)
{
    if (i < VIEW_COUNT)
        return &view_table[i]->select;
    return i < VIEW_COUNT + ROWS ? &rows[i - VIEW_COUNT] : NULL;
}

static bool binds(const struct key_binding *b, int key)
{
    for (int i = 0; i < KEY_BINDING_KEYS_MAX && b->keys[i]; i++)
        if (b->keys[i] == key)
            return true;
    return false;
}

int keymap_dispatch(struct screen *s, int key)
{
    for (size_t i = 0; i < keymap_count(); i++) {
        const struct key_binding *b = keymap_at(i);
        if ((b->views == 0 || (b->views & KEY_BINDING_IN(s->view))) && binds(b, key))
            return b->run(s, b->arg);
    }
    return -1;
}
