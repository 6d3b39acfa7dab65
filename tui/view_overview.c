// SPDX-License-Identifier: MIT
/* The overview: one tile per machine and the CNC spindle panel. */
#include "view_overview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "health.h"
#include "screen.h"
#include "view.h"
#include "widget.h"

#define TILE_MIN_W 26
#define TILE_MAX_W 48
#define PAGE_TILE_MIN_W 34
#define TILE_GAP 1
#define VALUE_W 6
#define UNIT_W 5
#define BAR_MIN_W 5
#define SPINDLE_COL_MAX_W 64
#define SHARED_INFO_MIN_W 36
#define INFO_SHORT_W 23 /* "health 100 anomaly 0.00" */
#define INFO_WIDE_W 26  /* "health learning anom 0.00!" */
#define INFO_SPARK_W 12 /* the sparkline keeps at least this much beside the info */

/* Unit suffixes sensor names carry ("flow_m3h"); the unit column shows them already. */
static const char *const unit_suffixes[] = {
    "_mm_s", "_m3h", "_m3s", "_m_s", "_m_min", "_t_h", "_bar",     "_rpm",     "_kw",
    "_mw",   "_knm", "_kn",  "_pct", "_pa",    "_lpm", "_percent", "_minutes", "_mm",
    "_c",    "_a",   "_v",   "_s",   "_t",     "_hz",  "_nm",      "_kpa",     "_mpa",
};

/* The CNC spindle panel: which sensors, under which labels, in which order. */
static const struct {
    const char *sensor;
    const char *label;
} spindle_fields[] = {
    {"spindle.rpm", "spindle speed"},          {"spindle.load_percent", "spindle load"},
    {"spindle.temperature_c", "spindle temp"}, {"spindle.vibration_mm_s", "vibration"},
    {"tool.wear_percent", "tool wear"},        {"coolant.flow_rate_lpm", "coolant flow"},
    {"coolant.temperature_c", "coolant temp"}, {"coolant.pressure_bar", "coolant press"},
};

/* The footer line of the spindle panel: text channels and a few readings. */
static const struct {
    const char *sensor;
    const char *label;
} spindle_extras[] = {
    {"status.mode", "mode"},
    {"status.program", "program"},
    {"tool.runtime_minutes", "tool runtime"},
    {"power.total_kw", "power"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct layout {
    int ncols, tile_w, tile_h, gap_y;
    bool spark, info;
    int per_page, pages;
    int spindle_h, spindle_page; /* -1: no spindle panel */
};

/* Plant words and their usual short forms, for labels that do not fit. */
static const struct {
    const char *word, *abbrev;
} abbreviations[] = {
    {"temperature", "temp"}, {"pressure", "press"}, {"discharge", "disch"}, {"suction", "suct"},
    {"bearing", "brg"},      {"vibration", "vib"},  {"current", "curr"},    {"motor", "mot"},
    {"winding", "wind"},     {"level", "lvl"},      {"speed", "spd"},       {"position", "pos"},
    {"exhaust", "exh"},      {"static", "stat"},    {"airflow", "air"},     {"feedwater", "feedw"},
    {"burning", "burn"},     {"rotation", "rot"},   {"cylinder", "cyl"},    {"spindle", "spdl"},
    {"coolant", "cool"},     {"trolley", "troll"},  {"system", "sys"},      {"tension", "tens"},
};

static void join_words(char words[][CATALOG_NAME_MAX], int n, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "", words[i]);
}

void view_overview_sensor_label(const char *name, int cols, char *out, size_t len)
{
    char base[CATALOG_NAME_MAX];
    snprintf(base, sizeof base, "%s", name);
    size_t n = strlen(base);
    for (size_t i = 0; i < COUNT(unit_suffixes); i++) {
        size_t k = strlen(unit_suffixes[i]);
        if (n > k && strcmp(base + n - k, unit_suffixes[i]) == 0) {
            base[n - k] = '\0';
            break;
        }
    }
    char words[8][CATALOG_NAME_MAX];
    int nw = 0;
    for (char *save = NULL, *w = strtok_r(base, "_.", &save); w && nw < 8;
         w = strtok_r(NULL, "_.", &save))
        snprintf(words[nw++], sizeof words[0], "%s", w);
    join_words(words, nw, out, len);
    if ((int)strlen(out) <= cols)
        return;
    /* Abbreviate the longest words first, one at a time, only as far as needed. */
    for (;;) {
        int pick = -1;
        size_t pick_a = 0;
        for (int i = 0; i < nw; i++)
            for (size_t a = 0; a < COUNT(abbreviations); a++)
                if (strcmp(words[i], abbreviations[a].word) == 0 &&
                    (pick < 0 || strlen(words[i]) > strlen(words[pick]))) {
                    pick = i;
                    pick_a = a;
                }
        if (pick < 0)
            break;
        snprintf(words[pick], sizeof words[0], "%s", abbreviations[pick_a].abbrev);
        join_words(words, nw, out, len);
        if ((int)strlen(out) <= cols)
            return;
    }
    /* Still too long: trim the longest word, a letter at a time, down to three. */
    for (;;) {
        join_words(words, nw, out, len);
        if ((int)strlen(out) <= cols)
            return;
        int longest = -1;
        for (int i = 0; i < nw; i++)
            if (strlen(words[i]) > 3 && (longest < 0 || strlen(words[i]) > strlen(words[longest])))
                longest = i;
        if (longest < 0)
            break;
        words[longest][strlen(words[longest]) - 1] = '\0';
    }
    if ((int)strlen(out) > cols && cols >= 0 && (size_t)cols < len)
        out[cols] = '\0';
}

/* Tile sensors of a type: the catalog's list, or the first numeric sensors of a learned type. */
static int tile_sensors(const struct catalog_type *t, int out[CATALOG_TILE_MAX])
{
    int n = 0;
    for (int i = 0; i < t->tile_count && n < CATALOG_TILE_MAX; i++)
        out[n++] = t->tile[i];
    int count = catalog_sensor_count(t);
    for (int i = 0; n == 0 && i < count && i < CATALOG_SENSORS_MAX; i++)
        if (!t->sensors[i].is_text)
            out[n++] = i;
    for (int i = 1; n > 0 && n < 2 && i < count; i++)
        if (!t->sensors[i].is_text && i != out[0])
            out[n++] = i;
    return n;
}

static int spindle_height(const struct screen *s, int width)
{
    if (s->cnc < 0)
        return 0;
    int n = 0;
    const struct catalog_type *t = screen_type(s, s->cnc);
    for (size_t i = 0; i < COUNT(spindle_fields); i++)
        n += catalog_sensor_find(t, spindle_fields[i].sensor) >= 0;
    int per_col = width >= 2 * 36 + 1 ? (n + 1) / 2 : n;
    return 1 + per_col + 1;
}

static int rows_for(int tiles, int ncols)
{
    return (tiles + ncols - 1) / ncols;
}

/* Tile sizes from roomiest to tightest: a blank row between tile rows, a sparkline, an info
 * line (health, anomaly, RUL). */
static const struct {
    int gap;
    bool spark, info;
} tile_sizes[] = {
    {1, true, true}, {0, true, true}, {1, true, false}, {0, true, false}, {0, false, false}};

static int tile_height(size_t size, int gauges)
{
    return 1 + gauges + (tile_sizes[size].spark ? 1 : 0) + (tile_sizes[size].info ? 1 : 0);
}

static void use_size(struct layout *L, size_t size, int gauges)
{
    L->tile_h = tile_height(size, gauges);
    L->gap_y = tile_sizes[size].gap;
    L->spark = tile_sizes[size].spark;
    L->info = tile_sizes[size].info;
}

/* The roomiest tile size and the fewest columns that put every tile and the spindle panel on
 * one page. False when no size fits. */
static bool fit_one_page(struct layout *L, int n, int gauges, int sp, int width, int height)
{
    int max_cols = (width + TILE_GAP) / (TILE_MIN_W + TILE_GAP);
    int min_cols = (width + TILE_GAP) / (TILE_MAX_W + TILE_GAP);
    max_cols = max_cols < 1 ? 1 : max_cols;
    min_cols = min_cols < 1 ? 1 : min_cols > max_cols ? max_cols : min_cols;
    for (size_t c = 0; c < COUNT(tile_sizes); c++) {
        int h = tile_height(c, gauges);
        for (int nc = min_cols; nc <= max_cols; nc++) {
            int r = rows_for(n, nc);
            if (r * h + (r - 1) * tile_sizes[c].gap + (sp ? sp + 1 : 0) > height)
                continue;
            use_size(L, c, gauges);
            L->ncols = nc;
            L->per_page = n > 0 ? n : 1;
            L->pages = 1;
            L->spindle_page = sp ? 0 : -1;
            return true;
        }
    }
    return false;
}

/* Paging: wider tiles (readable bars) and the size giving the fewest pages (ties: taller); the
 * spindle panel goes below the last tiles, or on a page of its own. */
static void fit_pages(struct layout *L, int n, int gauges, int sp, int width, int height)
{
    L->ncols = (width + TILE_GAP) / (PAGE_TILE_MIN_W + TILE_GAP);
    L->ncols = L->ncols < 1 ? 1 : L->ncols;
    int best_pages = 0;
    for (size_t c = 0; c < COUNT(tile_sizes); c++) {
        int h = tile_height(c, gauges), rows = height / h;
        if (tile_sizes[c].gap || rows < 1)
            continue;
        int per_page = rows * L->ncols;
        int tile_pages = n > 0 ? (n + per_page - 1) / per_page : 1;
        int last = n - (tile_pages - 1) * per_page;
        int used = rows_for(last, L->ncols) * h;
        int pages = tile_pages, sp_page = -1;
        if (sp) {
            sp_page = (height - used >= sp + 1 && last > 0) ? tile_pages - 1 : tile_pages;
            pages = sp_page + 1;
        }
        if (!best_pages || pages < best_pages) {
            best_pages = pages;
            use_size(L, c, gauges);
            L->gap_y = 0;
            L->per_page = per_page;
            L->pages = pages;
            L->spindle_page = sp_page;
        }
    }
    if (!best_pages) { /* not even one tile row: one squeezed tile per page */
        L->tile_h = height;
        L->per_page = 1;
        L->pages = n > 0 ? n : 1;
        L->spindle_page = -1;
    }
}

static struct layout compute_layout(const struct screen *s, int width, int height)
{
    struct layout L = {0};
    int n = s->machines, gauges = 1;
    for (int i = 0; i < n; i++) {
        int ids[CATALOG_TILE_MAX];
        int k = tile_sensors(screen_type(s, i), ids);
        gauges = k > gauges ? k : gauges;
    }
    L.spindle_h = spindle_height(s, width);
    if (!fit_one_page(&L, n, gauges, L.spindle_h, width, height))
        fit_pages(&L, n, gauges, L.spindle_h, width, height);
    L.tile_w = (width - (L.ncols - 1) * TILE_GAP) / L.ncols;
    return L;
}

static double reading(const struct snapshot_machine *m, int sensor)
{
    if (sensor < 0 || sensor >= m->sensor_count || m->sensors[sensor].ts_ms == 0)
        return NAN;
    return m->sensors[sensor].value;
}

/* label  [bar]  value unit, in width columns. */
static void gauge_row(struct screen *s, int y, int x, int width, int label_w, const char *label,
                      int machine, int sensor)
{
    const struct catalog_type *t = screen_type(s, machine);
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_sensor *cs = &t->sensors[sensor];
    double v = reading(m, sensor);
    int state = m->state == TWIN_STALE     ? TWIN_STALE
                : sensor < m->sensor_count ? m->sensors[sensor].state
                                           : TWIN_OK;
    int bar_w = width - label_w - VALUE_W - UNIT_W - 3;
    char value[24];
    if (cs->is_text)
        snprintf(value, sizeof value, "%s",
                 sensor < m->sensor_count ? m->sensors[sensor].text : "");
    else
        widget_format_value(v, value, sizeof value);
    widget_text(stdscr, y, x, label_w, WIDGET_LEFT, screen_attr(s, THEME_LABEL), s->g, label);
    if (bar_w >= 3) {
        widget_gauge(stdscr, y, x + label_w + 1, bar_w, v, cs->display_min, cs->display_max,
                     screen_attr(s, screen_bar_element(state)), screen_attr(s, THEME_BAR_EMPTY),
                     s->g);
    } else {
        bar_w = 0;
    }
    int vx = x + label_w + 1 + (bar_w ? bar_w + 1 : 0);
    int vw = bar_w ? VALUE_W : width - label_w - UNIT_W - 2;
    attr_t va = state == TWIN_OK ? screen_attr(s, THEME_NORMAL)
                                 : screen_attr(s, screen_state_element(state));
    widget_text(stdscr, y, vx, vw, WIDGET_RIGHT, va, s->g, value);
    widget_text(stdscr, y, vx + vw + 1, x + width - (vx + vw + 1), WIDGET_LEFT,
                screen_attr(s, THEME_UNIT), s->g, cs->unit);
}

/* What the console remembers per machine between frames: its latest firing detection and
 * when it first sent data (for the health estimator's warm-up). Grows with the machine count. */
struct machine_memory {
    struct view_detection det;
    int64_t first_ts_ms;
    bool firing;
};
static struct machine_memory *memory;
static int memory_cap;

/* The health model's warm-up (the engine passes 0: the default), plus the minute until the
 * first trend point and some slack. */
#define HEALTH_WARMUP_S (HEALTH_DEFAULT_WARMUP_S + 60)
#define HEALTH_SLACK_S 300

static bool memory_reserve(int machines)
{
    if (machines <= memory_cap)
        return true;
    int cap = memory_cap ? memory_cap : 32;
    while (cap < machines)
        cap *= 2;
    struct machine_memory *grown = realloc(memory, (size_t)cap * sizeof *grown);
    if (!grown)
        return false;
    memset(grown + memory_cap, 0, (size_t)(cap - memory_cap) * sizeof *grown);
    memory = grown;
    memory_cap = cap;
    return true;
}

void view_overview_observe(struct screen *s)
{
    if (!s->snap || !memory_reserve(s->machines))
        return;
    for (int i = 0; i < s->machines; i++) {
        const struct snapshot_machine *m = &s->snap->machines[i];
        struct machine_memory *mm = &memory[i];
        if (m->samples > 0 && mm->first_ts_ms == 0)
            mm->first_ts_ms = m->last_ts_ms ? m->last_ts_ms : s->snap->sim_time_ms;
        bool firing = m->detector[0] != '\0';
        if (firing) {
            if (!mm->firing) /* a new episode: its own peak */
                mm->det.score = 0.0f;
            snprintf(mm->det.detector, sizeof mm->det.detector, "%s", m->detector);
            snprintf(mm->det.reason, sizeof mm->det.reason, "%s", m->reason);
            mm->det.score = m->anomaly > mm->det.score ? m->anomaly : mm->det.score;
            mm->det.ts_ms = m->last_ts_ms;
        }
        mm->firing = firing;
    }
}

const struct view_detection *view_overview_detection(const struct screen *s, int machine)
{
    if (machine < 0 || machine >= s->machines || machine >= memory_cap)
        return NULL;
    return &memory[machine].det;
}

int view_overview_anomaly_element(float a)
{
    if (isnan(a) || a < DETECT_FIRE)
        return THEME_ANOMALY_LOW;
    return a < VIEW_ANOMALY_HIGH ? THEME_ANOMALY_MID : THEME_ANOMALY_HIGH;
}

void view_overview_format_anomaly(float a, char *buf, size_t len)
{
    if (isnan(a))
        snprintf(buf, len, "--");
    else /* cut to two decimals: 0.497 is below the threshold and must not read 0.50 */
        snprintf(buf, len, "%.2f", floor((double)a * 100.0 + 1e-6) / 100.0);
}

void view_overview_format_rul(double hours, char *buf, size_t len)
{
    if (isnan(hours))
        snprintf(buf, len, "--");
    else if (hours < 1)
        snprintf(buf, len, "%.0fmin", hours * 60);
    else if (hours < 10)
        snprintf(buf, len, "%.1fh", hours);
    else if (hours < 72)
        snprintf(buf, len, "%.0fh", hours);
    else
        snprintf(buf, len, "%.0fd", hours / 24);
}

double view_overview_rul_hours(const struct snapshot_machine *m)
{
    return !isnan(m->health) && m->health < 0.5f ? 0.0 : m->rul_hours;
}

int view_overview_health(const struct screen *s, int machine, char *buf, size_t len)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    if (!isnan(m->health)) {
        view_overview_format_health_value(m->health, buf, len);
        return VIEW_HEALTH_KNOWN;
    }
    if (m->samples == 0 || m->state == TWIN_STALE) {
        snprintf(buf, len, "--");
        return VIEW_HEALTH_NO_DATA;
    }
    const struct machine_memory *mm = machine < memory_cap ? &memory[machine] : NULL;
    if (mm && mm->first_ts_ms &&
        m->last_ts_ms - mm->first_ts_ms > (int64_t)(HEALTH_WARMUP_S + HEALTH_SLACK_S) * 1000) {
        snprintf(buf, len, "n/a");
        return VIEW_HEALTH_NONE;
    }
    snprintf(buf, len, "learning");
    return VIEW_HEALTH_LEARNING;
}

int view_overview_health_element(float health, int normal)
{
    if (isnan(health) || health >= VIEW_HEALTH_WARN)
        return normal;
    return health > VIEW_HEALTH_ALARM ? THEME_WARN : THEME_ALARM;
}

static int health_element(const struct screen *s, int machine)
{
    return view_overview_health_element(s->snap->machines[machine].health, THEME_DIM);
}

int view_overview_attention(const struct snapshot_machine *m)
{
    if (m->samples == 0)
        return VIEW_ATTENTION_NO_DATA;
    if (m->state == TWIN_ALARM)
        return VIEW_ATTENTION_ALARM;
    if (!isnan(m->anomaly) && m->anomaly >= DETECT_FIRE && m->state != TWIN_STALE)
        return VIEW_ATTENTION_ANOMALY;
    if (m->state == TWIN_WARN)
        return VIEW_ATTENTION_WARN;
    if (m->state == TWIN_STALE)
        return VIEW_ATTENTION_STALE;
    double rul = view_overview_rul_hours(m);
    bool rul_short = !isnan(rul) && rul < VIEW_RUL_WARN_H &&
                     (rul == 0.0 || m->rul_confidence >= VIEW_RUL_CONFIDENT);
    if ((!isnan(m->health) && m->health < VIEW_HEALTH_WARN) || rul_short)
        return VIEW_ATTENTION_HEALTH;
    return VIEW_ATTENTION_NONE;
}

const char *view_overview_attention_name(int attention)
{
    static const char *const names[] = {"alarm",  "anomaly", "warn",   "stale",
                                        "health", "ok",      "no data"};
    return attention >= 0 && attention <= VIEW_ATTENTION_NO_DATA ? names[attention] : "?";
}

void view_overview_format_health_value(float health, char *buf, size_t len)
{
    if (isnan(health))
        snprintf(buf, len, "--");
    else
        snprintf(buf, len, "%.0f", health);
}

int view_overview_rul_element(double hours, float confidence)
{
    if (isnan(hours) || confidence < VIEW_RUL_CONFIDENT)
        return THEME_DIM;
    return hours < VIEW_RUL_ALARM_H  ? THEME_ALARM
           : hours < VIEW_RUL_WARN_H ? THEME_WARN
                                     : THEME_NORMAL;
}

/* The title row: marker, id, type label, state word; with anomaly_mark, a firing machine's
 * anomaly figure goes left of the state word (tiles with no room for an info line). */
static void draw_title(struct screen *s, int y, int x, int w, int machine, bool selected,
                       bool anomaly_mark)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_type *t = screen_type(s, machine);
    const char *state = twin_state_name(m->state);
    char word[16];
    snprintf(word, sizeof word, " %s ", state ? state : "?");
    for (char *p = word; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    int sw = (int)strlen(word);
    attr_t base = screen_attr(s, selected ? THEME_SELECTED : THEME_TITLE);
    widget_text(stdscr, y, x, 1, WIDGET_LEFT, base, s->g, selected ? s->g->marker : " ");
    int idw = widget_text(stdscr, y, x + 1, w - 1 - sw, WIDGET_LEFT, base, s->g,
                          screen_machine_id(s, machine));
    int lx = x + 2 + idw;
    if (lx < x + w - sw)
        widget_text(stdscr, y, lx, x + w - sw - lx, WIDGET_LEFT,
                    selected ? base : screen_attr(s, THEME_DIM), s->g, t->label);
    widget_text(stdscr, y, x + w - sw, sw, WIDGET_LEFT,
                screen_attr(s, screen_state_element(m->state)), s->g, word);
    if (anomaly_mark && !isnan(m->anomaly) && m->anomaly >= DETECT_FIRE) {
        char mark[16], a[8];
        view_overview_format_anomaly(m->anomaly, a, sizeof a);
        int mw = snprintf(mark, sizeof mark, " A%s!", a);
        if (x + w - sw - mw > lx)
            widget_text(stdscr, y, x + w - sw - mw, mw, WIDGET_LEFT,
                        screen_attr(s, view_overview_anomaly_element(m->anomaly)), s->g, mark);
    }
}

static void draw_spark(struct screen *s, int y, int x, int width, const struct snapshot_machine *m,
                       const struct catalog_sensor *cs)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < m->spark_len; i++) {
        if (isnan(m->spark[i]))
            continue;
        lo = m->spark[i] < lo ? m->spark[i] : lo;
        hi = m->spark[i] > hi ? m->spark[i] : hi;
    }
    /* Noise on a flat signal should look flat: at least 5% of the display range. */
    double min_span = (cs->display_max - cs->display_min) * 0.05;
    if (hi - lo < min_span) {
        double mid = (hi + lo) / 2;
        lo = mid - min_span / 2;
        hi = mid + min_span / 2;
    }
    widget_sparkline(stdscr, y, x, width, m->spark, m->spark_len, lo, hi,
                     screen_attr(s, THEME_SPARK), s->g);
}

struct info_part {
    char text[40];
    int element;
};

static void add_part(struct info_part *parts, int *n, const char *text, int element)
{
    snprintf(parts[*n].text, sizeof parts[*n].text, "%s", text);
    parts[(*n)++].element = element;
}

static int parts_width(const struct info_part *parts, int n)
{
    int w = 0;
    for (int i = 0; i < n; i++)
        w += (int)strlen(parts[i].text); /* ASCII only: labels and figures */
    return w;
}

/* Draws the parts from x, cut at end; returns the column after the last. */
static int draw_parts(struct screen *s, int y, int x, int end, const struct info_part *parts, int n)
{
    for (int i = 0; i < n && x < end; i++) {
        int len = (int)strlen(parts[i].text);
        x += widget_text(stdscr, y, x, end - x < len ? end - x : len, WIDGET_LEFT,
                         screen_attr(s, parts[i].element), s->g, parts[i].text);
    }
    return x;
}

static void format_tool_rul(double minutes, char *buf, size_t len)
{
    if (isnan(minutes))
        snprintf(buf, len, "--");
    else if (minutes < 120)
        snprintf(buf, len, "%.0f min", minutes);
    else
        snprintf(buf, len, "%.1f h", minutes / 60);
}

static int tool_rul_element(double minutes)
{
    return isnan(minutes) || minutes >= 30 ? THEME_TITLE : minutes >= 10 ? THEME_WARN : THEME_ALARM;
}

/* The info line's wordings, widest first; the first that fits is drawn. */
static const struct {
    const char *health, *anomaly, *sep;
    bool rul_unknown; /* also "RUL --" when no estimate */
} info_forms[] = {
    {"health ", "anomaly ", "  ", true},
    {"health ", "anomaly ", " ", false},
    {"health ", "anom ", " ", false},
    {"hlth ", "anom ", " ", false},
    {"H ", "A ", " ", false},
};

/* "health 92  anomaly 0.12  RUL 40h" in columns [x, end), in the widest wording that fits;
 * RUL only when asked, and only when known unless there is room to spare. The anomaly figure
 * carries a '!' when a detector fires, so monochrome and colour-blind readers see it too. */
static void draw_info(struct screen *s, int y, int x, int end, int machine, bool with_rul)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    char health[16], anomaly[16], rul[16];
    view_overview_health(s, machine, health, sizeof health);
    view_overview_format_anomaly(m->anomaly, anomaly, sizeof anomaly);
    double rul_h = view_overview_rul_hours(m);
    float rul_conf = rul_h == 0.0 ? 1.0f : m->rul_confidence;
    view_overview_format_rul(rul_h, rul, sizeof rul);
    bool firing = !isnan(m->anomaly) && m->anomaly >= DETECT_FIRE;
    for (int pass = 0; pass < 2; pass++) { /* the second pass drops RUL */
        for (size_t f = 0; f < COUNT(info_forms); f++) {
            bool rul_shown = with_rul && pass == 0 && (!isnan(rul_h) || info_forms[f].rul_unknown);
            struct info_part parts[6];
            int n = 0;
            char text[24];
            add_part(parts, &n, info_forms[f].health, THEME_DIM);
            add_part(parts, &n, health, health_element(s, machine));
            snprintf(text, sizeof text, "%s%s", info_forms[f].sep, info_forms[f].anomaly);
            add_part(parts, &n, text, THEME_DIM);
            snprintf(text, sizeof text, "%s%s", anomaly, firing ? "!" : "");
            add_part(parts, &n, text, view_overview_anomaly_element(m->anomaly));
            if (rul_shown) {
                snprintf(text, sizeof text, "%sRUL ", info_forms[f].sep);
                add_part(parts, &n, text, THEME_DIM);
                add_part(parts, &n, rul, view_overview_rul_element(rul_h, rul_conf));
            }
            if (parts_width(parts, n) > end - x && !(pass == 1 && f + 1 == COUNT(info_forms)))
                continue;
            x = draw_parts(s, y, x, end, parts, n);
            if (x < end)
                widget_text(stdscr, y, x, end - x, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                            "");
            return;
        }
    }
}

/* A tile in warn or alarm shows the sensor behind it even when that is not one of its gauges:
 * the worst such sensor takes the last gauge's place, so the tile keeps its size. */
static void alarmed_gauge(const struct snapshot_machine *m, int *ids, int k)
{
    int worst = -1;
    for (int i = 0; i < m->sensor_count && i < CATALOG_SENSORS_MAX; i++) {
        int st = m->sensors[i].state;
        if ((st == TWIN_WARN || st == TWIN_ALARM) && (worst < 0 || st > m->sensors[worst].state))
            worst = i;
    }
    if (worst < 0 || k == 0)
        return;
    for (int g = 0; g < k; g++)
        if (ids[g] == worst || m->sensors[ids[g]].state >= m->sensors[worst].state)
            return; /* a gauge already shows it, or one as bad */
    ids[k - 1] = worst;
}

static void draw_tile(struct screen *s, const struct layout *L, int y, int x, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_type *t = screen_type(s, machine);
    int w = L->tile_w, row = y;
    bool selected = machine == s->selected;
    /* Without an info line, a wide tile still shows health and anomaly beside its sparkline. */
    bool shared = L->spark && !L->info && w >= SHARED_INFO_MIN_W;
    draw_title(s, row++, x, w, machine, selected, !L->info && !shared);
    int ids[CATALOG_TILE_MAX];
    int k = tile_sensors(t, ids);
    alarmed_gauge(m, ids, k);
    int label_w = w - 4 - VALUE_W - UNIT_W - BAR_MIN_W;
    label_w = label_w < 8 ? 8 : label_w > 15 ? 15 : label_w;
    for (int i = 0; i < k && row < y + L->tile_h; i++) {
        char label[CATALOG_NAME_MAX];
        view_overview_sensor_label(t->sensors[ids[i]].name, label_w, label, sizeof label);
        gauge_row(s, row++, x + 1, w - 1, label_w, label, machine, ids[i]);
    }
    int gauges_end = y + 1 + (L->tile_h - 1 - (L->spark ? 1 : 0) - (L->info ? 1 : 0));
    row = row < gauges_end ? gauges_end : row;
    int info_w = !shared                              ? 0
                 : w - 1 - INFO_SPARK_W > INFO_WIDE_W ? INFO_WIDE_W
                                                      : w - 1 - INFO_SPARK_W;
    info_w = shared && info_w < INFO_SHORT_W ? INFO_SHORT_W : info_w;
    if (L->spark && row < y + L->tile_h && k > 0) {
        draw_spark(s, row, x + 1, w - 1 - info_w, m, &t->sensors[ids[0]]);
        if (shared)
            draw_info(s, row, x + w - info_w + 1, x + w, machine, false);
        row++;
    }
    if (L->info && row < y + L->tile_h)
        draw_info(s, row, x + 1, x + w, machine, true);
    screen_hit_add(s, y, x, L->tile_h, w, SCREEN_HIT_MACHINE, machine);
}

static void draw_spindle(struct screen *s, int y, int x, int w, int h)
{
    int c = s->cnc;
    const struct catalog_type *t = screen_type(s, c);
    const struct snapshot_machine *m = &s->snap->machines[c];
    char health[16];
    view_overview_health(s, c, health, sizeof health);
    char title[160];
    snprintf(title, sizeof title, " CNC spindle panel %s %s ", s->g->sep, screen_machine_id(s, c));
    widget_hline(stdscr, y, x, w, screen_attr(s, THEME_DIM), s->g);
    int tw =
        widget_text(stdscr, y, x + 1, w - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g, title);
    char word[24];
    snprintf(word, sizeof word, " %s ", twin_state_name(m->state));
    for (char *p = word; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    int wx = x + 1 + tw;
    if (wx + (int)strlen(word) < x + w)
        widget_text(stdscr, y, wx, (int)strlen(word), WIDGET_LEFT,
                    screen_attr(s, screen_state_element(m->state)), s->g, word);
    int used = wx + (int)strlen(word) + 2;
    char tool[24], spindle[16], anomaly[16];
    format_tool_rul(m->tool_rul_min, tool, sizeof tool);
    view_overview_format_health_value(m->spindle_health, spindle, sizeof spindle);
    view_overview_format_anomaly(m->anomaly, anomaly, sizeof anomaly);
    bool firing = !isnan(m->anomaly) && m->anomaly >= DETECT_FIRE;
    for (int form = 0; form < 3; form++) { /* full, without machine figures, short labels */
        struct info_part parts[12];
        int n = 0;
        add_part(parts, &n, form == 2 ? " spdl " : " spindle health ", THEME_TITLE);
        add_part(parts, &n, spindle, view_overview_health_element(m->spindle_health, THEME_TITLE));
        add_part(parts, &n, form == 2 ? " tool " : "  tool RUL ", THEME_TITLE);
        add_part(parts, &n, tool, tool_rul_element(m->tool_rul_min));
        if (form == 0) {
            add_part(parts, &n, "  health ", THEME_TITLE);
            add_part(parts, &n, health, health_element(s, c));
            add_part(parts, &n, "  anomaly ", THEME_TITLE);
            snprintf(parts[n].text, sizeof parts[n].text, "%s%s", anomaly, firing ? "!" : "");
            parts[n++].element = view_overview_anomaly_element(m->anomaly);
        }
        add_part(parts, &n, " ", THEME_TITLE);
        int need = parts_width(parts, n);
        if (used + need + 1 > x + w)
            continue;
        draw_parts(s, y, x + w - need - 1, x + w - 1, parts, n);
        break;
    }
    int ids[COUNT(spindle_fields)], n = 0;
    const char *labels[COUNT(spindle_fields)];
    for (size_t i = 0; i < COUNT(spindle_fields); i++) {
        int id = catalog_sensor_find(t, spindle_fields[i].sensor);
        if (id >= 0) {
            labels[n] = spindle_fields[i].label;
            ids[n++] = id;
        }
    }
    int two = w >= 2 * 36 + 1;
    int per_col = two ? (n + 1) / 2 : n;
    int col_w = two ? (w - 3) / 2 : w - 1;
    col_w = col_w > SPINDLE_COL_MAX_W ? SPINDLE_COL_MAX_W : col_w; /* bars, not runways */
    for (int i = 0; i < n; i++) {
        int col = i / (per_col ? per_col : 1), row = i % (per_col ? per_col : 1);
        if (1 + row >= h)
            continue;
        gauge_row(s, y + 1 + row, x + 1 + col * (col_w + 2), col_w, 13, labels[i], c, ids[i]);
    }
    if (1 + per_col < h) {
        char line[256] = "";
        size_t o = 0;
        for (size_t i = 0; i < COUNT(spindle_extras); i++) {
            int id = catalog_sensor_find(t, spindle_extras[i].sensor);
            if (id < 0 || id >= m->sensor_count || m->sensors[id].ts_ms == 0)
                continue;
            char v[48];
            if (t->sensors[id].is_text)
                snprintf(v, sizeof v, "%s", m->sensors[id].text);
            else {
                widget_format_value(m->sensors[id].value, v, sizeof v);
                size_t vl = strlen(v);
                snprintf(v + vl, sizeof v - vl, " %s", t->sensors[id].unit);
            }
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s %s", o ? "   " : "",
                                  spindle_extras[i].label, v);
            if (o >= sizeof line)
                break;
        }
        widget_text(stdscr, y + 1 + per_col, x + 1, w - 2, WIDGET_LEFT, screen_attr(s, THEME_DIM),
                    s->g, line);
    }
    screen_hit_add(s, y, x, h, w, SCREEN_HIT_MACHINE, c);
}

/* The tiles' order (position -> machine) and its inverse, rebuilt with each new snapshot:
 * the catalog's order, or beyond VIEW_OVERVIEW_ORDERED_MAX machines attention first. */
static struct {
    int *machine_at, *pos_of, *rank;
    int cap, count;
    uint64_t seq;
} order;

static int tile_at(int pos)
{
    return pos >= 0 && pos < order.count ? order.machine_at[pos] : pos;
}

static int tile_pos(int machine)
{
    return machine >= 0 && machine < order.count ? order.pos_of[machine] : machine;
}

static int compare_attention(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    int c = order.rank[a] - order.rank[b];
    return c ? c : a - b;
}

static bool order_reserve(int machines)
{
    if (machines <= order.cap)
        return true;
    int cap = order.cap ? order.cap * 2 : 64;
    cap = cap < machines ? machines : cap;
    int *at = realloc(order.machine_at, (size_t)cap * sizeof *at);
    if (at)
        order.machine_at = at;
    int *pos = realloc(order.pos_of, (size_t)cap * sizeof *pos);
    if (pos)
        order.pos_of = pos;
    int *rank = realloc(order.rank, (size_t)cap * sizeof *rank);
    if (rank)
        order.rank = rank;
    if (!at || !pos || !rank)
        return false;
    order.cap = cap;
    return true;
}

static void order_update(const struct screen *s)
{
    int n = s->machines;
    if (n == order.count && s->snap_seq == order.seq)
        return;
    if (!order_reserve(n)) {
        order.count = 0; /* tile_at and tile_pos fall back to the catalog's order */
        return;
    }
    for (int i = 0; i < n; i++) {
        order.machine_at[i] = i;
        order.rank[i] = view_overview_attention(&s->snap->machines[i]);
    }
    if (n > VIEW_OVERVIEW_ORDERED_MAX)
        qsort(order.machine_at, (size_t)n, sizeof *order.machine_at, compare_attention);
    for (int i = 0; i < n; i++)
        order.pos_of[order.machine_at[i]] = i;
    order.count = n;
    order.seq = s->snap_seq;
}

static void view_overview_draw(struct screen *s, int top, int height)
{
    int width = s->cols;
    view_overview_observe(s);
    if (s->machines == 0) {
        widget_text(stdscr, top + 1, 2, width - 4, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    "Waiting for machines: no data yet.");
        s->right_info[0] = '\0';
        return;
    }
    order_update(s);
    struct layout L = compute_layout(s, width, height);
    s->grid_cols = L.ncols;
    s->per_page = L.per_page;
    s->pages = L.pages;
    if (s->page >= L.pages)
        s->page = L.pages - 1;
    if (s->page < 0)
        s->page = 0;
    int first = s->page * L.per_page;
    int y = top, drawn = 0;
    for (int i = first; i < s->machines && drawn < L.per_page; i++, drawn++) {
        int col = drawn % L.ncols, row = drawn / L.ncols;
        int ty = top + row * (L.tile_h + L.gap_y);
        if (ty + L.tile_h > top + height)
            break;
        draw_tile(s, &L, ty, col * (L.tile_w + TILE_GAP), tile_at(i));
        y = ty + L.tile_h;
    }
    if (L.spindle_page == s->page && s->cnc >= 0) {
        int sy = drawn ? y + 1 : top;
        if (sy + L.spindle_h <= top + height)
            draw_spindle(s, sy, 0, width, L.spindle_h);
    }
    if (L.pages > 1)
        snprintf(s->right_info, sizeof s->right_info, "page %d/%d PgUp/PgDn", s->page + 1, L.pages);
    else
        s->right_info[0] = '\0';
}

static void follow_selection(struct screen *s)
{
    if (s->per_page > 0)
        s->page = tile_pos(s->selected) / s->per_page;
}

int view_overview_move(struct screen *s, int dx, int dy)
{
    if (s->machines == 0)
        return SCREEN_NOTHING;
    order_update(s);
    int cols = s->grid_cols > 0 ? s->grid_cols : 1;
    int at = tile_pos(s->selected);
    int next = at + dx + dy * cols;
    if (next < 0)
        next = dy ? at % cols : 0;
    if (next >= s->machines)
        next = dy ? at : s->machines - 1;
    s->selected = tile_at(next);
    follow_selection(s);
    return SCREEN_REDRAW;
}

int view_overview_page(struct screen *s, int delta)
{
    order_update(s);
    int pages = s->pages > 0 ? s->pages : 1;
    int page = s->page + delta;
    page = page < 0 ? 0 : page >= pages ? pages - 1 : page;
    s->page = page;
    int first = page * (s->per_page > 0 ? s->per_page : 1);
    if (first < s->machines)
        s->selected = tile_at(first);
    return SCREEN_REDRAW;
}

int view_overview_jump(struct screen *s, int end)
{
    if (s->machines == 0)
        return SCREEN_NOTHING;
    order_update(s);
    s->selected = tile_at(end ? s->machines - 1 : 0);
    follow_selection(s);
    return SCREEN_REDRAW;
}

const struct view_entry view_overview_entry = {
    .name = "overview",
    /* one line per binding: tests/test_manpage.sh reads them */
    // clang-format off
    .select = {{KEY_F(2), '1'}, "F2 1", 0, view_select, VIEW_OVERVIEW,
               "overview: the plant, one tile a machine", "Plant"},
    // clang-format on
    .hint = "arrows select  Enter detail  f fault  ? help",
    .draw = view_overview_draw,
    .wheel_up = KEY_PPAGE,
    .wheel_down = KEY_NPAGE,
    .click_selected = KEY_ENTER,
};
