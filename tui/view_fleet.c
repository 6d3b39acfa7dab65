// SPDX-License-Identifier: MIT
/* The fleet list: one row per machine, sorted, searched, filtered and grouped by area; only the
 * rows that fit are drawn. */
#include "view_fleet.h"

#include <curses.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "screen.h"
#include "view.h"
#include "view_detail.h"
#include "view_overview.h"
#include "widget.h"

#define TERM_MAX 64     /* a search term or filter line */
#define GROUP_NONE (-1) /* a row of a machine, not an area heading */

enum column {
    COL_MACHINE,
    COL_TYPE,
    COL_AREA,
    COL_STATE,
    COL_WORST,
    COL_VALUE,
    COL_UNIT,
    COL_ANOMALY,
    COL_HEALTH,
    COL_RUL,
    COL_SEEN,
    COL_COUNT_
};

/* Titles, minimum widths and which columns give way first on a narrow terminal (Type, then
 * Seen, then Area/Line: at 80 columns the list keeps id, area, state, worst sensor and figures). */
static const struct widget_column column_defaults[COL_COUNT_] = {
    [COL_MACHINE] = {"Machine", 10, WIDGET_LEFT, 0, false, false, 0, 0},
    [COL_TYPE] = {"Type", 14, WIDGET_LEFT, 5, false, false, 0, 0},
    [COL_AREA] = {"Area/Line", 12, WIDGET_LEFT, 3, true, false, 0, 0},
    [COL_STATE] = {"State", 6, WIDGET_LEFT, 0, false, false, 0, 0},
    [COL_WORST] = {"Worst sensor", 13, WIDGET_LEFT, 1, false, false, 0, 0},
    [COL_VALUE] = {"Value", 6, WIDGET_RIGHT, 1, false, false, 0, 0},
    [COL_UNIT] = {"Unit", 5, WIDGET_LEFT, 2, false, false, 0, 0},
    [COL_ANOMALY] = {"Anom", 6, WIDGET_RIGHT, 0, false, false, 0, 0},
    [COL_HEALTH] = {"Health", 8, WIDGET_RIGHT, 0, false, false, 0, 0},
    [COL_RUL] = {"RUL", 5, WIDGET_RIGHT, 1, false, false, 0, 0},
    [COL_SEEN] = {"Seen", 5, WIDGET_RIGHT, 4, false, false, 0, 0},
};

/* The sortable columns, in the order < and > walk them. */
static const int sortable[] = {COL_MACHINE, COL_TYPE,   COL_AREA, COL_STATE, COL_WORST,
                               COL_ANOMALY, COL_HEALTH, COL_RUL,  COL_SEEN};
#define SORTABLE_COUNT ((int)(sizeof sortable / sizeof sortable[0]))

/* Per machine, from the snapshot the rows were built from. */
struct machine_key {
    int attention; /* enum view_attention */
    int worst;     /* the sensor the Worst column shows, -1: none */
};

/* A row: a machine, or (grouped) the heading of an area. */
struct row {
    int machine; /* GROUP_NONE for a heading */
    int group;   /* headings: index into groups */
};

struct group {
    const char *area;
    int machines, abnormal;
};

/* The view's own state: main thread only. */
static struct {
    int sort_col;  /* enum column, one of sortable[] */
    bool inverted; /* against the column's natural order */
    bool abnormal_only, grouped;
    char filter[TERM_MAX], search[TERM_MAX];
    struct machine_key *keys;
    struct row *rows;
    int *row_of; /* machine -> its row, -1 when filtered out */
    struct group *groups;
    int cap, row_count, shown, group_count;
    uint64_t built_seq; /* the snapshot the rows were built from */
    int built_machines;
    bool stale; /* a setting changed: rebuild */
    int scroll, page;
    const struct screen *sorting; /* the screen qsort's comparator reads */
} v = {.sort_col = COL_STATE, .stale = true};

static bool reserve(int machines)
{
    if (machines <= v.cap)
        return true;
    int cap = v.cap ? v.cap : 64;
    while (cap < machines)
        cap *= 2;
    /* one heading per area at most: rows need machines + areas <= 2 * machines */
    struct machine_key *k = realloc(v.keys, (size_t)cap * sizeof *k);
    if (k)
        v.keys = k;
    struct row *r = realloc(v.rows, (size_t)cap * 2 * sizeof *r);
    if (r)
        v.rows = r;
    int *p = realloc(v.row_of, (size_t)cap * sizeof *p);
    if (p)
        v.row_of = p;
    struct group *g = realloc(v.groups, (size_t)cap * sizeof *g);
    if (g)
        v.groups = g;
    if (!k || !r || !p || !g)
        return false;
    v.cap = cap;
    return true;
}

static const char *area_of(const struct screen *s, int machine)
{
    const char *a = s->snap->machines[machine].area;
    return a && a[0] ? a : catalog_machine_at(s->ctx->cat, machine)->area;
}

static const char *line_of(const struct screen *s, int machine)
{
    const char *l = s->snap->machines[machine].line;
    return l && l[0] ? l : catalog_machine_at(s->ctx->cat, machine)->line;
}

/* The sensor a row shows: the worst limit state, then the highest anomaly score, else the first
 * tile sensor (or the first sensor). */
static int worst_sensor(const struct screen *s, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_type *t = screen_type(s, machine);
    int n = m->sensor_count < catalog_sensor_count(t) ? m->sensor_count : catalog_sensor_count(t);
    int best = -1;
    for (int i = 0; i < n; i++) {
        const struct snapshot_sensor *c = &m->sensors[i];
        if (t->sensors[i].is_text || c->ts_ms == 0)
            continue;
        if (best < 0 || c->state > m->sensors[best].state ||
            (c->state == m->sensors[best].state && !isnan(c->anomaly) &&
             (isnan(m->sensors[best].anomaly) || c->anomaly > m->sensors[best].anomaly)))
            best = i;
    }
    bool notable = best >= 0 &&
                   (m->sensors[best].state != TWIN_OK ||
                    (!isnan(m->sensors[best].anomaly) && m->sensors[best].anomaly >= DETECT_FIRE));
    if (notable)
        return best;
    if (t->tile_count > 0 && t->tile[0] < n)
        return t->tile[0];
    return n > 0 ? 0 : -1;
}

/* A filter or search word against id, type, area and line: a glob, case-insensitive; a word
 * without * ? or [ matches anywhere ("pump" is "*pump*"). */
static bool word_matches(const struct screen *s, int machine, const char *word)
{
    char pattern[TERM_MAX + 2];
    bool glob = strpbrk(word, "*?[") != NULL;
    snprintf(pattern, sizeof pattern, glob ? "%s" : "*%s*", word);
    const struct catalog_type *t = screen_type(s, machine);
    const char *fields[] = {screen_machine_id(s, machine), t->name, t->label, area_of(s, machine),
                            line_of(s, machine)};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i][0] && fnmatch(pattern, fields[i], FNM_CASEFOLD) == 0)
            return true;
    return false;
}

/* The twin state a filter word names ("ok", "warn", "alarm", "stale"), or -1. */
static int state_word(const char *word)
{
    for (int st = TWIN_OK; st <= TWIN_STALE; st++)
        if (strcasecmp(word, twin_state_name(st)) == 0)
            return st;
    return -1;
}

/* Filter words: every glob word must match; state words, when there are any, name the states
 * allowed ("alarm warn": either). */
static bool filter_passes(const struct screen *s, int machine)
{
    char copy[TERM_MAX];
    snprintf(copy, sizeof copy, "%s", v.filter);
    bool any_state = false, state_ok = false;
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        int st = state_word(w);
        if (st >= 0) {
            any_state = true;
            state_ok |= s->snap->machines[machine].state == st;
        } else if (!word_matches(s, machine, w)) {
            return false;
        }
    }
    return !any_state || state_ok;
}

static bool passes(const struct screen *s, int machine)
{
    if (v.abnormal_only && v.keys[machine].attention >= VIEW_ATTENTION_NONE)
        return false;
    return !v.filter[0] || filter_passes(s, machine);
}

static int cmp_num(double a, double b)
{
    if (isnan(a) || isnan(b)) /* unknown figures sort last either way */
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

static double age_ms(const struct screen *s, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    return m->samples ? (double)(s->snap->sim_time_ms - m->last_ts_ms) : NAN;
}

/* The column's own order, smallest first: names alphabetically, the most urgent state first,
 * the highest anomaly, the weakest health, the shortest RUL, the longest silence. */
static int compare_column(const struct screen *s, int col, int a, int b)
{
    const struct snapshot_machine *ma = &s->snap->machines[a], *mb = &s->snap->machines[b];
    switch (col) {
    case COL_MACHINE:
        return strcmp(screen_machine_id(s, a), screen_machine_id(s, b));
    case COL_TYPE:
        return strcmp(screen_type(s, a)->label, screen_type(s, b)->label);
    case COL_AREA: {
        int c = strcmp(area_of(s, a), area_of(s, b));
        return c ? c : strcmp(line_of(s, a), line_of(s, b));
    }
    case COL_STATE:
        return v.keys[a].attention - v.keys[b].attention;
    case COL_WORST: {
        int wa = v.keys[a].worst, wb = v.keys[b].worst;
        int sa = wa >= 0 ? ma->sensors[wa].state : -1, sb = wb >= 0 ? mb->sensors[wb].state : -1;
        return sb - sa;
    }
    case COL_ANOMALY:
        return cmp_num(-ma->anomaly, -mb->anomaly);
    case COL_HEALTH:
        return cmp_num(ma->health, mb->health);
    case COL_RUL:
        return cmp_num(view_overview_rul_hours(ma), view_overview_rul_hours(mb));
    case COL_SEEN:
        return cmp_num(-age_ms(s, a), -age_ms(s, b));
    default:
        return 0;
    }
}

/* Grouped: by area first (the group's order), then the column; ties keep the catalog's order. */
static int compare_rows(const void *pa, const void *pb)
{
    const struct screen *s = v.sorting;
    int a = ((const struct row *)pa)->machine, b = ((const struct row *)pb)->machine;
    if (v.grouped) {
        int g = strcmp(area_of(s, a), area_of(s, b));
        if (g)
            return g;
    }
    int c = compare_column(s, v.sort_col, a, b);
    if (v.inverted)
        c = -c;
    return c ? c : a - b;
}

/* Inserts a heading before each area's first row (rows are sorted by area already). */
static void insert_headings(const struct screen *s)
{
    int n = v.row_count;
    v.group_count = 0;
    for (int i = 0; i < n; i++) {
        int m = v.rows[i].machine;
        if (v.group_count == 0 || strcmp(v.groups[v.group_count - 1].area, area_of(s, m)) != 0)
            v.groups[v.group_count++] = (struct group){area_of(s, m), 0, 0};
        v.groups[v.group_count - 1].machines++;
        v.groups[v.group_count - 1].abnormal += v.keys[m].attention < VIEW_ATTENTION_NONE;
        v.rows[i].group = v.group_count - 1;
    }
    /* spread from the end so that each heading lands before its group */
    int out = n + v.group_count;
    for (int i = n - 1; i >= 0; i--) {
        v.rows[--out] = v.rows[i];
        int g = v.rows[out].group;
        if (i == 0 || v.rows[i - 1].group != g) {
            out--;
            v.rows[out] = (struct row){GROUP_NONE, g};
        }
    }
    v.row_count = n + v.group_count;
}

static void rebuild(struct screen *s)
{
    if (!reserve(s->machines > 0 ? s->machines : 1)) {
        v.row_count = v.shown = 0;
        return;
    }
    v.row_count = 0;
    for (int i = 0; i < s->machines; i++) {
        v.keys[i].attention = view_overview_attention(&s->snap->machines[i]);
        v.keys[i].worst = worst_sensor(s, i);
        v.row_of[i] = -1;
        if (passes(s, i))
            v.rows[v.row_count++] = (struct row){i, 0};
    }
    v.sorting = s;
    qsort(v.rows, (size_t)v.row_count, sizeof *v.rows, compare_rows);
    v.shown = v.row_count;
    v.group_count = 0;
    if (v.grouped)
        insert_headings(s);
    for (int r = 0; r < v.row_count; r++)
        if (v.rows[r].machine != GROUP_NONE)
            v.row_of[v.rows[r].machine] = r;
    v.built_seq = s->snap_seq;
    v.built_machines = s->machines;
    v.stale = false;
}

static void rows_update(struct screen *s)
{
    if (v.stale || v.built_seq != s->snap_seq || v.built_machines != s->machines)
        rebuild(s);
}

/* The selected machine's row; a machine filtered out gives way to the first row. */
static int selected_row(struct screen *s)
{
    int r = s->selected >= 0 && s->selected < v.built_machines ? v.row_of[s->selected] : -1;
    if (r >= 0)
        return r;
    for (r = 0; r < v.row_count; r++)
        if (v.rows[r].machine != GROUP_NONE) {
            s->selected = v.rows[r].machine;
            return r;
        }
    return -1;
}

static void format_age(double ms, char *buf, size_t len)
{
    double sec = ms / 1000.0;
    if (isnan(ms))
        snprintf(buf, len, "--");
    else if (sec < 60)
        snprintf(buf, len, "%.0fs", sec < 0 ? 0 : sec);
    else if (sec < 3600)
        snprintf(buf, len, "%.0fm", sec / 60);
    else if (sec < 86400)
        snprintf(buf, len, "%.0fh", sec / 3600);
    else
        snprintf(buf, len, "%.0fd", sec / 86400);
}

struct cells {
    char area[2 * CATALOG_NAME_MAX + 4], state[12], worst[CATALOG_NAME_MAX], value[24];
    char anomaly[16], health[16], rul[16], seen[16];
};

/* "Area / line", or the area alone when both do not fit (grouped: the line, under its area's
 * heading). */
static void format_place(const struct screen *s, int machine, int width, char *buf, size_t len)
{
    const char *area = area_of(s, machine), *line = line_of(s, machine);
    if (v.grouped)
        snprintf(buf, len, "%s", line[0] ? line : "--");
    else if (!line[0] || (int)(strlen(area) + 3 + strlen(line)) > width)
        snprintf(buf, len, "%s", area[0] ? area : line[0] ? line : "--");
    else
        snprintf(buf, len, "%s / %s", area, line);
}

static void fill_cells(struct screen *s, int machine, const struct widget_column *cols,
                       struct cells *c, const char *cells[COL_COUNT_])
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_type *t = screen_type(s, machine);
    format_place(s, machine, cols[COL_AREA].w, c->area, sizeof c->area);
    snprintf(c->state, sizeof c->state, "%s", twin_state_name(m->state));
    for (char *p = c->state; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    int w = v.keys[machine].worst;
    c->worst[0] = c->value[0] = '\0';
    if (w >= 0) {
        view_overview_sensor_label(t->sensors[w].name, cols[COL_WORST].w, c->worst,
                                   sizeof c->worst);
        widget_format_value(m->sensors[w].ts_ms ? m->sensors[w].value : NAN, c->value,
                            sizeof c->value);
    }
    view_overview_format_anomaly(m->anomaly, c->anomaly, sizeof c->anomaly);
    if (!isnan(m->anomaly) && m->anomaly >= DETECT_FIRE)
        strncat(c->anomaly, "!", sizeof c->anomaly - strlen(c->anomaly) - 1);
    view_overview_health(s, machine, c->health, sizeof c->health);
    view_overview_format_rul(view_overview_rul_hours(m), c->rul, sizeof c->rul);
    format_age(age_ms(s, machine), c->seen, sizeof c->seen);
    const char *row[COL_COUNT_] = {
        screen_machine_id(s, machine),    t->label,   c->area,   c->state, c->worst, c->value,
        w >= 0 ? t->sensors[w].unit : "", c->anomaly, c->health, c->rul,   c->seen};
    memcpy(cells, row, sizeof row);
}

static void draw_machine_row(struct screen *s, int y, const struct widget_column *cols, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    struct cells c;
    const char *cells[COL_COUNT_];
    fill_cells(s, machine, cols, &c, cells);
    bool selected = machine == s->selected;
    attr_t row = screen_attr(s, selected ? THEME_SELECTED : THEME_NORMAL);
    attr_t attrs[COL_COUNT_] = {0};
    if (!selected) {
        int w = v.keys[machine].worst;
        int wstate = w >= 0 ? m->sensors[w].state : TWIN_OK;
        attrs[COL_STATE] = screen_attr(s, screen_state_element(m->state));
        attrs[COL_TYPE] = attrs[COL_AREA] = screen_attr(s, THEME_DIM);
        if (wstate != TWIN_OK)
            attrs[COL_WORST] = attrs[COL_VALUE] = screen_attr(s, screen_state_element(wstate));
        attrs[COL_UNIT] = screen_attr(s, THEME_UNIT);
        attrs[COL_ANOMALY] = screen_attr(s, view_overview_anomaly_element(m->anomaly));
        attrs[COL_HEALTH] = screen_attr(s, view_overview_health_element(m->health, THEME_NORMAL));
        attrs[COL_RUL] = screen_attr(
            s, view_overview_rul_element(view_overview_rul_hours(m), m->rul_confidence));
    }
    widget_text(stdscr, y, 0, 1, WIDGET_LEFT, row, s->g, selected ? s->g->marker : " ");
    widget_table_row(stdscr, y, 1, cols, COL_COUNT_, cells, row, attrs, s->g);
    screen_hit_add(s, y, 0, 1, s->cols, SCREEN_HIT_MACHINE, machine);
}

static void draw_heading(struct screen *s, int y, const struct group *g)
{
    char text[160];
    snprintf(text, sizeof text, "%s %s  %d machine%s%s", s->g->more_down,
             g->area[0] ? g->area : "(no area)", g->machines, g->machines == 1 ? "" : "s",
             g->abnormal ? "" : ", all normal");
    int x =
        widget_text(stdscr, y, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g, text);
    if (g->abnormal && x + 4 < s->cols)
        widget_printf(stdscr, y, x, s->cols - x, WIDGET_LEFT, screen_attr(s, THEME_WARN), s->g,
                      ", %d need attention", g->abnormal);
}

/* The title line: counts and what shapes the list. */
static void draw_title(struct screen *s, int y)
{
    char text[256];
    int n = snprintf(text, sizeof text, "Fleet: %d of %d machines  sort %s%s", v.shown, s->machines,
                     column_defaults[v.sort_col].title, v.inverted ? " (inverted)" : "");
    if (v.filter[0] && n < (int)sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, "  filter: %s", v.filter);
    if (v.abnormal_only && n < (int)sizeof text)
        n += snprintf(text + n, sizeof text - (size_t)n, "  abnormal only");
    if (v.grouped && n < (int)sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, "  by area");
    widget_text(stdscr, y, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g, text);
}

/* The header with the sort column marked, htop-style. */
static void draw_header(struct screen *s, int y, const struct widget_column *cols)
{
    widget_text(stdscr, y, 0, 1, WIDGET_LEFT, screen_attr(s, THEME_TABLE_HEADER), s->g, " ");
    widget_table_header(stdscr, y, 1, s->cols - 1, cols, COL_COUNT_,
                        screen_attr(s, THEME_TABLE_HEADER), s->g);
    const struct widget_column *c = &cols[v.sort_col];
    if (!c->shown || c->w <= 0)
        return;
    char title[48];
    /* up: the column's own order (names A to Z, the most urgent first); down: inverted */
    snprintf(title, sizeof title, "%s%s", c->title, v.inverted ? s->g->more_down : s->g->more_up);
    widget_text(stdscr, y, 1 + c->x, c->w, c->align, screen_attr(s, THEME_SELECTED), s->g, title);
}

static void keep_visible(int selected)
{
    if (selected >= 0 && selected < v.scroll)
        v.scroll = selected;
    if (selected >= v.scroll + v.page)
        v.scroll = selected - v.page + 1;
    /* a group's heading stays in view above its first machine */
    if (selected > 0 && selected == v.scroll && v.rows[selected - 1].machine == GROUP_NONE)
        v.scroll--;
    int max = v.row_count - v.page > 0 ? v.row_count - v.page : 0;
    v.scroll = v.scroll > max ? max : v.scroll < 0 ? 0 : v.scroll;
}

static void view_fleet_draw(struct screen *s, int top, int height)
{
    view_overview_observe(s);
    rows_update(s);
    struct widget_column cols[COL_COUNT_];
    memcpy(cols, column_defaults, sizeof cols);
    if (v.grouped)
        cols[COL_AREA].title = "Line";
    widget_table_fit(cols, COL_COUNT_, s->cols - 1);
    draw_title(s, top);
    draw_header(s, top + 1, cols);
    v.page = height - 2 > 1 ? height - 2 : 1;
    int sel = selected_row(s);
    keep_visible(sel);
    for (int r = 0; r < v.page; r++) {
        int i = v.scroll + r, y = top + 2 + r;
        if (i >= v.row_count)
            widget_text(stdscr, y, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                        r > 0 || v.row_count > 0 ? ""
                        : s->machines == 0       ? "  Waiting for machines: no data yet."
                                                 : "  No machine matches.");
        else if (v.rows[i].machine == GROUP_NONE)
            draw_heading(s, y, &v.groups[v.rows[i].group]);
        else
            draw_machine_row(s, y, cols, v.rows[i].machine);
    }
    int pos = sel >= 0 ? sel + 1 - (v.grouped ? v.rows[sel].group + 1 : 0) : 0;
    snprintf(s->right_info, sizeof s->right_info, "%d/%d", pos, v.shown);
}

int view_fleet_move(struct screen *s, int delta)
{
    rows_update(s);
    int r = selected_row(s);
    if (r < 0)
        return SCREEN_NOTHING;
    int to = delta <= -100000 ? 0 : delta >= 100000 ? v.row_count - 1 : r + delta;
    to = to < 0 ? 0 : to >= v.row_count ? v.row_count - 1 : to;
    int step = to < r ? -1 : 1; /* headings are passed over, in the direction of travel */
    while (to >= 0 && to < v.row_count && v.rows[to].machine == GROUP_NONE)
        to += step;
    if (to < 0 || to >= v.row_count) /* only headings that way: the nearest machine the other */
        for (to = to < 0 ? 0 : v.row_count - 1; v.rows[to].machine == GROUP_NONE; to -= step)
            ;
    s->selected = v.rows[to].machine;
    return SCREEN_REDRAW;
}

int view_fleet_sort(struct screen *s, int delta)
{
    int at = 0;
    while (at < SORTABLE_COUNT && sortable[at] != v.sort_col)
        at++;
    v.sort_col = sortable[((at + delta) % SORTABLE_COUNT + SORTABLE_COUNT) % SORTABLE_COUNT];
    v.inverted = false;
    v.stale = true;
    screen_status(s, false, "sorted by %s", column_defaults[v.sort_col].title);
    return SCREEN_REDRAW;
}

int view_fleet_invert(struct screen *s, int arg)
{
    (void)arg;
    v.inverted = !v.inverted;
    v.stale = true;
    screen_status(s, false, "sort by %s %s", column_defaults[v.sort_col].title,
                  v.inverted ? "inverted" : "in its own order");
    return SCREEN_REDRAW;
}

/* The next row after the selection (wrapping) whose machine matches the search term. */
static int find_next(struct screen *s)
{
    rows_update(s);
    int from = selected_row(s);
    for (int k = 1; k <= v.row_count; k++) {
        int r = (from + k + v.row_count) % v.row_count;
        int m = v.rows[r].machine;
        if (m != GROUP_NONE && word_matches(s, m, v.search))
            return m;
    }
    return -1;
}

int view_fleet_search_next(struct screen *s, int arg)
{
    (void)arg;
    if (!v.search[0]) {
        screen_status(s, true, "nothing searched yet: / asks for a term");
        return SCREEN_REDRAW;
    }
    int m = find_next(s);
    if (m < 0)
        screen_status(s, true, "no machine in the list matches \"%s\"", v.search);
    else
        s->selected = m;
    return SCREEN_REDRAW;
}

int view_fleet_search(struct screen *s, int arg)
{
    char term[TERM_MAX];
    if (screen_prompt(s, "search (id, type, area, line; * ? globs):", term, sizeof term) < 0 ||
        !term[0])
        return SCREEN_REDRAW;
    snprintf(v.search, sizeof v.search, "%s", term);
    return view_fleet_search_next(s, arg);
}

int view_fleet_filter(struct screen *s, int arg)
{
    (void)arg;
    char line[TERM_MAX];
    if (screen_prompt(s, "filter (id/type/area globs, ok warn alarm stale; empty: all):", line,
                      sizeof line) < 0)
        return SCREEN_REDRAW;
    snprintf(v.filter, sizeof v.filter, "%s", line);
    v.stale = true;
    return SCREEN_REDRAW;
}

int view_fleet_abnormal(struct screen *s, int arg)
{
    (void)arg;
    v.abnormal_only = !v.abnormal_only;
    v.stale = true;
    screen_status(s, false, "%s",
                  v.abnormal_only ? "only machines that need attention" : "every machine");
    return SCREEN_REDRAW;
}

int view_fleet_group(struct screen *s, int arg)
{
    (void)arg;
    v.grouped = !v.grouped;
    v.stale = true;
    screen_status(s, false, "%s", v.grouped ? "grouped by area" : "one list");
    return SCREEN_REDRAW;
}

int view_fleet_open(struct screen *s, int arg)
{
    (void)arg;
    rows_update(s);
    if (selected_row(s) < 0)
        return SCREEN_NOTHING;
    return view_detail_open(s, s->selected, -1);
}

/* 2: the list, with the selection on its first row: sorted by attention, that is the machine
 * most in need of it, one Enter away from its detail. Esc back from the detail keeps the row. */
static int select_fleet(struct screen *s, int arg)
{
    if (s->view == VIEW_FLEET)
        return SCREEN_NOTHING;
    view_set(s, arg);
    v.scroll = 0;
    rows_update(s);
    for (int r = 0; r < v.row_count; r++)
        if (v.rows[r].machine != GROUP_NONE) {
            s->selected = v.rows[r].machine;
            break;
        }
    return SCREEN_REDRAW;
}

const struct view_entry view_fleet_entry = {
    .name = "fleet",
    // clang-format off
    .select = {{'2'}, "2", 0, select_fleet, VIEW_FLEET,
               "fleet list: one row per machine, sortable, searchable, filtered", NULL},
    // clang-format on
    .hint = "< > sort  / search  \\ filter  a abnormal  g by area  Enter detail",
    .draw = view_fleet_draw,
    .wheel_up = KEY_UP,
    .wheel_down = KEY_DOWN,
    .click_selected = KEY_ENTER,
};
