// SPDX-License-Identifier: MIT
/* The machine detail view: every sensor and a history chart. */
#include "view_detail.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"
#include "screen.h"
#include "store_read.h"
#include "view.h"
#include "view_overview.h"
#include "widget.h"

#define CHART_MIN_H 6
#define AXIS_W 8

/* Chart ranges: the first from the engine's ring history, the others from the rollups. */
static const struct {
    const char *name;
    int64_t span_ms;
    int window; /* store window index, -1: engine history */
} chart_ranges[] = {{"5 min", 300000, -1}, {"1 h", 3600000, 0}, {"24 h", 86400000, 1}};
#define CHART_RANGES 3

enum detail_column {
    COL_SENSOR,
    COL_VALUE,
    COL_UNIT,
    COL_STATE,
    COL_ANOMALY,
    COL_WARN,
    COL_ALARM,
    COL_MEAN,
    COL_SD,
    COL_RANGE,
    COL_COUNT
};

static const struct widget_column detail_columns[COL_COUNT] = {
    [COL_SENSOR] = {"sensor", 16, WIDGET_LEFT, 0, true, false, 0, 0},
    [COL_VALUE] = {"value", 9, WIDGET_RIGHT, 0, false, false, 0, 0},
    [COL_UNIT] = {"unit", 5, WIDGET_LEFT, 0, false, false, 0, 0},
    [COL_STATE] = {"state", 5, WIDGET_LEFT, 0, false, false, 0, 0},
    [COL_ANOMALY] = {"anomaly", 7, WIDGET_RIGHT, 1, false, false, 0, 0},
    [COL_WARN] = {"warn lo..hi", 12, WIDGET_LEFT, 3, false, false, 0, 0},
    [COL_ALARM] = {"alarm lo..hi", 12, WIDGET_LEFT, 2, false, false, 0, 0},
    [COL_MEAN] = {"mean", 8, WIDGET_RIGHT, 4, false, false, 0, 0},
    [COL_SD] = {"stddev", 7, WIDGET_RIGHT, 5, false, false, 0, 0},
    [COL_RANGE] = {"min..max", 15, WIDGET_LEFT, 6, false, false, 0, 0},
};

static void format_pair(double lo, double hi, char *buf, size_t len)
{
    char a[24], b[24];
    if (isnan(lo) && isnan(hi)) {
        snprintf(buf, len, "--");
        return;
    }
    widget_format_value(lo, a, sizeof a);
    widget_format_value(hi, b, sizeof b);
    snprintf(buf, len, "%s..%s", a, b);
}

static void format_span(int64_t ms, char *buf, size_t len)
{
    double s = (double)ms / 1000.0;
    if (s < 120)
        snprintf(buf, len, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, len, "%.0f min", s / 60);
    else
        snprintf(buf, len, "%.1f h", s / 3600);
}

static void upper(char *p)
{
    for (; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
}

static int sensor_total(const struct screen *s, int machine)
{
    int n = catalog_sensor_count(screen_type(s, machine));
    return n < CATALOG_SENSORS_MAX ? n : CATALOG_SENSORS_MAX;
}

#define HEADING_ROWS 3

/* Writes at *x on row y in the element's attribute and moves *x past it. */
static void put(struct screen *s, int y, int *x, int element, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void put(struct screen *s, int y, int *x, int element, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (*x >= s->cols)
        return;
    /* the padding is overwritten by the next part, and the row's end by the caller */
    *x += widget_text(stdscr, y, *x, s->cols - *x, WIDGET_LEFT, screen_attr(s, element), s->g, buf);
}

static const char *confidence_word(float c)
{
    return c < VIEW_RUL_CONFIDENT ? "low" : c < 0.7f ? "medium" : "high";
}

/* health, RUL (and the CNC's spindle health and tool RUL), each with why when unknown. */
static void draw_prediction(struct screen *s, int y, int *x, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    bool narrow = s->cols < 110; /* short explanations, so the CNC's figures still fit */
    char health[16];
    int hs = view_overview_health(s, machine, health, sizeof health);
    int hel =
        hs != VIEW_HEALTH_KNOWN ? THEME_DIM : view_overview_health_element(m->health, THEME_NORMAL);
    put(s, y, x, THEME_DIM, "  health ");
    put(s, y, x, hel, "%s", health);
    if (hs == VIEW_HEALTH_KNOWN && !narrow)
        put(s, y, x, THEME_DIM, "/100");
    else if (hs == VIEW_HEALTH_NONE)
        put(s, y, x, THEME_DIM, " (no condition sensor)");
    put(s, y, x, THEME_DIM, "  RUL ");
    char rul[16];
    double rul_h = view_overview_rul_hours(m);
    view_overview_format_rul(rul_h, rul, sizeof rul);
    if (!isnan(rul_h) && rul_h * 60 < 1) {
        put(s, y, x, THEME_ALARM, "0");
        put(s, y, x, THEME_DIM, narrow ? " (at limit)" : " (at the alarm limit)");
    } else if (!isnan(rul_h)) {
        int el = view_overview_rul_element(rul_h, m->rul_confidence);
        put(s, y, x, el, "~%s", rul);
        if (narrow)
            put(s, y, x, THEME_DIM, " (conf %.2f)", m->rul_confidence);
        else
            put(s, y, x, THEME_DIM, " (conf %.2f, %s)", m->rul_confidence,
                confidence_word(m->rul_confidence));
    } else {
        put(s, y, x, THEME_DIM, "-- (%s)",
            hs == VIEW_HEALTH_KNOWN      ? (narrow ? "no trend" : "no degradation trend")
            : hs == VIEW_HEALTH_LEARNING ? "learning"
                                         : "no estimate");
    }
    if (!isnan(m->spindle_health)) {
        put(s, y, x, THEME_DIM, "  spindle ");
        put(s, y, x, m->spindle_health < 50 ? THEME_WARN : THEME_NORMAL, "%.0f", m->spindle_health);
        if (!narrow)
            put(s, y, x, THEME_DIM, "/100");
    }
    if (s->cnc == machine) {
        put(s, y, x, THEME_DIM, narrow ? "  tool " : "  tool RUL ");
        if (isnan(m->tool_rul_min))
            put(s, y, x, THEME_DIM, narrow ? "--" : "-- (no wear trend)");
        else if (m->tool_rul_min >= 120)
            put(s, y, x, THEME_NORMAL, "%.1f h", m->tool_rul_min / 60);
        else
            put(s, y, x, m->tool_rul_min < 10 ? THEME_WARN : THEME_NORMAL, "%.0f min",
                m->tool_rul_min);
    }
}

static void format_ago(int64_t ms, char *buf, size_t len)
{
    double s = ms > 0 ? (double)ms / 1000.0 : 0;
    if (s < 120)
        snprintf(buf, len, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, len, "%.0f min", s / 60);
    else
        snprintf(buf, len, "%.1f h", s / 3600);
}

/* The process monitor's own score and, once it is up, the sensor that contributes most. */
static void draw_monitor(struct screen *s, int y, int *x, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    char score[16];
    view_overview_format_anomaly(m->pca, score, sizeof score);
    put(s, y, x, THEME_DIM, " pca ");
    put(s, y, x, view_overview_anomaly_element(m->pca), "%s", score);
    int top = m->pca_top_n > 0 ? m->pca_top[0] : -1;
    if (m->pca >= DETECT_REARM && top >= 0 && top < m->sensor_count && s->cols >= 100)
        put(s, y, x, THEME_NORMAL, " %s %.0f%%", screen_type(s, machine)->sensors[top].name,
            100.0 * m->pca_share[0]);
}

/* Row 1: the fused anomaly score and the detector behind it, then the predictions. Row 2: why
 * (the detector's own explanation, or the latest one while the machine is quiet again). */
static void draw_detection(struct screen *s, int y, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    char anomaly[16];
    view_overview_format_anomaly(m->anomaly, anomaly, sizeof anomaly);
    int x = 0;
    put(s, y, &x, THEME_DIM, " anomaly ");
    put(s, y, &x, view_overview_anomaly_element(m->anomaly), "%s", anomaly);
    if (m->detector[0])
        put(s, y, &x, THEME_NORMAL, " by %s", m->detector);
    put(s, y, &x, THEME_DIM, s->cols < 110 ? "/%.2f" : " (fires at %.2f)", DETECT_FIRE);
    draw_monitor(s, y, &x, machine);
    draw_prediction(s, y, &x, machine);
    if (x < s->cols)
        widget_text(stdscr, y, x, s->cols - x, WIDGET_LEFT, screen_attr(s, THEME_NORMAL), s->g, "");
}

/* The "why" text: the firing detector's explanation, or the latest one while quiet again. */
static int why_text(struct screen *s, int machine, char *buf, size_t len)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct view_detection *d = view_overview_detection(s, machine);
    if (m->detector[0]) {
        snprintf(buf, len, " why: %s", m->reason[0] ? m->reason : "(no explanation)");
        return THEME_NORMAL;
    }
    if (d && d->detector[0]) {
        char ago[24], peak[16];
        format_ago(s->snap->sim_time_ms - d->ts_ms, ago, sizeof ago);
        view_overview_format_anomaly(d->score, peak, sizeof peak);
        snprintf(buf, len, " quiet now; last fired %s ago: %s, peak %s: %s", ago, d->detector, peak,
                 d->reason);
    } else {
        snprintf(buf, len, " quiet: every detector below its threshold since the console started");
    }
    return THEME_DIM;
}

/* Rows the heading needs: 3, or 4 when the why text is wider than the screen and the screen
 * is tall enough to give a row. */
static int heading_rows(struct screen *s, int machine, int height)
{
    char why[400];
    why_text(s, machine, why, sizeof why);
    return (int)strlen(why) > s->cols && height >= 30 ? HEADING_ROWS + 1 : HEADING_ROWS;
}

/* The why text over rows lines, broken at blanks; the last line is cut. */
static void draw_why(struct screen *s, int y, int rows, int machine)
{
    char why[400];
    attr_t a = screen_attr(s, why_text(s, machine, why, sizeof why));
    const char *p = why;
    for (int r = 0; r < rows; r++) {
        int len = (int)strlen(p), take = len;
        if (r + 1 < rows && len > s->cols) {
            take = s->cols;
            while (take > s->cols / 2 && p[take] != ' ')
                take--;
        }
        char line[400];
        snprintf(line, sizeof line, "%s%.*s", r ? "      " : "", take, p);
        widget_text(stdscr, y + r, 0, s->cols, WIDGET_LEFT, a, s->g, line);
        p += take;
        while (*p == ' ')
            p++;
    }
}

static void draw_heading(struct screen *s, int y, int rows, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_type *t = screen_type(s, machine);
    char state[16];
    snprintf(state, sizeof state, " %s ", twin_state_name(m->state));
    upper(state);
    int x = 0;
    x += widget_printf(stdscr, y, x, s->cols - x, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                       " %s  %s ", screen_machine_id(s, machine), t->label);
    x += widget_text(stdscr, y, x, (int)strlen(state), WIDGET_LEFT,
                     screen_attr(s, screen_state_element(m->state)), s->g, state);
    widget_printf(stdscr, y, x, s->cols - x, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                  "  machine %d of %d  %s  samples %llu", machine + 1, s->machines,
                  t->learned ? "learned from the feed" : t->pattern,
                  (unsigned long long)m->samples);
    draw_detection(s, y + 1, machine);
    draw_why(s, y + 2, rows - 2, machine);
}

static void draw_table(struct screen *s, int y, int rows, int machine)
{
    const struct snapshot_machine *m = &s->snap->machines[machine];
    const struct catalog_type *t = screen_type(s, machine);
    struct widget_column cols[COL_COUNT];
    memcpy(cols, detail_columns, sizeof cols);
    widget_table_fit(cols, COL_COUNT, s->cols);
    widget_table_header(stdscr, y, 0, s->cols, cols, COL_COUNT, screen_attr(s, THEME_TABLE_HEADER),
                        s->g);
    int n = sensor_total(s, machine);
    int visible = rows - 1;
    if (visible < 1)
        return;
    int first = 0;
    if (s->sensor >= visible)
        first = s->sensor - visible + 1;
    if (first + visible > n)
        first = n - visible > 0 ? n - visible : 0;
    for (int r = 0; r < visible && first + r < n; r++) {
        int i = first + r;
        const struct catalog_sensor *cs = &t->sensors[i];
        const struct snapshot_sensor *ss = i < m->sensor_count ? &m->sensors[i] : NULL;
        bool has = ss && ss->ts_ms != 0;
        char value[32], state[12], anomaly[24], warn[32], alarm[32], mean[24], sd[24], range[40];
        if (!has)
            snprintf(value, sizeof value, "--");
        else if (cs->is_text)
            snprintf(value, sizeof value, "%s", ss->text);
        else
            widget_format_value(ss->value, value, sizeof value);
        int st = !has ? TWIN_STALE : m->state == TWIN_STALE ? TWIN_STALE : ss->state;
        snprintf(state, sizeof state, "%s", cs->is_text ? "" : twin_state_name(st));
        format_pair(cs->warn_lo, cs->warn_hi, warn, sizeof warn);
        format_pair(cs->alarm_lo, cs->alarm_hi, alarm, sizeof alarm);
        if (has && !cs->is_text) {
            widget_format_value(ss->mean, mean, sizeof mean);
            widget_format_value(ss->stddev, sd, sizeof sd);
            format_pair(ss->min, ss->max, range, sizeof range);
        } else {
            snprintf(mean, sizeof mean, "--");
            snprintf(sd, sizeof sd, "--");
            snprintf(range, sizeof range, "--");
        }
        float score = has && !cs->is_text ? ss->anomaly : NAN;
        view_overview_format_anomaly(score, anomaly, sizeof anomaly);
        if (!isnan(score) && score >= DETECT_FIRE)
            strcat(anomaly, "!");
        if (cs->is_text)
            warn[0] = alarm[0] = anomaly[0] = '\0';
        const char *cells[COL_COUNT] = {cs->name, value, cs->unit, state, anomaly,
                                        warn,     alarm, mean,     sd,    range};
        bool sel = i == s->sensor;
        attr_t row_attr = screen_attr(s, sel ? THEME_SELECTED : THEME_NORMAL);
        attr_t cell_attrs[COL_COUNT] = {0};
        if (!sel && !cs->is_text && st != TWIN_OK)
            cell_attrs[COL_STATE] = cell_attrs[COL_VALUE] =
                screen_attr(s, screen_state_element(st));
        if (!sel) {
            cell_attrs[COL_UNIT] = screen_attr(s, THEME_UNIT);
            cell_attrs[COL_ANOMALY] = screen_attr(s, view_overview_anomaly_element(score));
        }
        widget_table_row(stdscr, y + 1 + r, 0, cols, COL_COUNT, cells, row_attr, cell_attrs, s->g);
        screen_hit_add(s, y + 1 + r, 0, 1, s->cols, SCREEN_HIT_SENSOR, i);
    }
    if (first > 0)
        widget_text(stdscr, y, s->cols - 1, 1, WIDGET_LEFT, screen_attr(s, THEME_TABLE_HEADER),
                    s->g, s->g->more_up);
    if (first + visible < n)
        widget_text(stdscr, y + rows - 1, s->cols - 1, 1, WIDGET_LEFT, screen_attr(s, THEME_DIM),
                    s->g, s->g->more_down);
}

/* One value per chart column: means of equal slices of the history. */
static int downsample(const double *v, size_t n, double *out, int width)
{
    if ((int)n <= width) { /* few points: each spans several columns, so time reads true */
        for (int c = 0; c < width; c++)
            out[c] = v[(size_t)c * n / (size_t)width];
        return width;
    }
    for (int c = 0; c < width; c++) {
        size_t a = (size_t)((double)c * n / width), b = (size_t)((double)(c + 1) * n / width);
        double sum = 0;
        size_t k = 0;
        for (size_t i = a; i < b; i++) {
            if (!isnan(v[i])) {
                sum += v[i];
                k++;
            }
        }
        out[c] = k ? sum / (double)k : NAN;
    }
    return width;
}

/* The chart's points into s->hist_values / hist_ts, oldest first; *empty says why there are
 * none. The longer ranges read the rollups from the history file (read-only, opened once). */
static size_t chart_points(struct screen *s, int machine, int sensor, const char **empty)
{
    int range = s->chart_range;
    if (chart_ranges[range].window < 0) {
        size_t n = engine_history(s->ctx->engine, machine, sensor, s->hist_values, s->hist_ts,
                                  s->hist_cap);
        size_t first = 0;
        while (first < n && s->hist_ts[first] < s->hist_ts[n - 1] - chart_ranges[range].span_ms)
            first++;
        memmove(s->hist_values, s->hist_values + first, (n - first) * sizeof *s->hist_values);
        memmove(s->hist_ts, s->hist_ts + first, (n - first) * sizeof *s->hist_ts);
        return n - first;
    }
    const struct config *cfg = s->ctx->cfg;
    if (!cfg || cfg->no_db) {
        *empty = "no history file (--no-db): only the last 5 min";
        return 0;
    }
    if (!s->history && !s->history_error[0]) {
        s->history = store_read_open(cfg->db_path, s->history_error, sizeof s->history_error);
        if (!s->history && !s->history_error[0])
            snprintf(s->history_error, sizeof s->history_error, "cannot open the history");
    }
    if (!s->history) {
        *empty = s->history_error;
        return 0;
    }
    static double lo[4096], hi[4096];
    int max = s->hist_cap < 4096 ? (int)s->hist_cap : 4096;
    int64_t end = s->snap->sim_time_ms;
    int n = store_read_rollup_series(s->history, screen_machine_id(s, machine),
                                     screen_type(s, machine)->sensors[sensor].name,
                                     chart_ranges[range].window, end - chart_ranges[range].span_ms,
                                     INT64_MAX, s->hist_ts, s->hist_values, lo, hi, max);
    *empty = "nothing recorded in that range yet";
    return n > 0 ? (size_t)n : 0;
}

static void draw_chart(struct screen *s, int y, int height, int machine)
{
    const struct catalog_type *t = screen_type(s, machine);
    int sensor = s->sensor;
    const struct catalog_sensor *cs = &t->sensors[sensor];
    widget_hline(stdscr, y, 0, s->cols, screen_attr(s, THEME_DIM), s->g);
    if (cs->is_text) {
        widget_printf(stdscr, y, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                      " %s: a text channel, no chart ", cs->name);
        return;
    }
    const char *empty = "no history yet";
    size_t n = chart_points(s, machine, sensor, &empty);
    int chart_w = s->cols - AXIS_W - 1;
    int chart_h = height - 2;
    char span[24] = "--";
    if (n > 1)
        format_span(s->hist_ts[n - 1] - s->hist_ts[0], span, sizeof span);
    int range = s->chart_range;
    widget_printf(stdscr, y, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                  " %s (%s), last %s: %zu %s over %s ", cs->name, cs->unit[0] ? cs->unit : "-",
                  chart_ranges[range].name, n,
                  chart_ranges[range].window < 0 ? "samples" : "rollup means", span);
    if (n == 0 || chart_w < 4 || chart_h < 2) {
        widget_text(stdscr, y + 1, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    n == 0 ? empty : "");
        return;
    }
    static double cols_buf[1024];
    int w = chart_w < 1024 ? chart_w : 1024;
    int nc = downsample(s->hist_values, n, cols_buf, w);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < nc; i++) {
        if (isnan(cols_buf[i]))
            continue;
        lo = cols_buf[i] < lo ? cols_buf[i] : lo;
        hi = cols_buf[i] > hi ? cols_buf[i] : hi;
    }
    if (!isfinite(lo)) {
        lo = cs->display_min;
        hi = cs->display_max;
    }
    double span_v = hi - lo;
    if (span_v < 1e-9) {
        double pad = fabs(hi) * 0.01 > 0.5 ? fabs(hi) * 0.01 : 0.5;
        lo -= pad;
        hi += pad;
        span_v = hi - lo;
    }
    /* Nearby limits join the scale, so one sees how close the readings run to them. */
    double limits[4] = {cs->warn_lo, cs->warn_hi, cs->alarm_lo, cs->alarm_hi};
    for (int i = 0; i < 4; i++) {
        if (isnan(limits[i]) || limits[i] < lo - span_v || limits[i] > hi + span_v)
            continue;
        lo = limits[i] < lo ? limits[i] : lo;
        hi = limits[i] > hi ? limits[i] : hi;
    }
    double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    char label[24];
    widget_format_value(hi, label, sizeof label);
    widget_text(stdscr, y + 1, 0, AXIS_W, WIDGET_RIGHT, screen_attr(s, THEME_DIM), s->g, label);
    widget_format_value((lo + hi) / 2, label, sizeof label);
    widget_text(stdscr, y + 1 + chart_h / 2, 0, AXIS_W, WIDGET_RIGHT, screen_attr(s, THEME_DIM),
                s->g, label);
    widget_format_value(lo, label, sizeof label);
    widget_text(stdscr, y + chart_h, 0, AXIS_W, WIDGET_RIGHT, screen_attr(s, THEME_DIM), s->g,
                label);
    for (int r = 0; r < chart_h; r++)
        widget_text(stdscr, y + 1 + r, AXIS_W, 1, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    s->g->vline);
    widget_chart(stdscr, y + 1, AXIS_W + 1, chart_h, chart_w, cols_buf, nc, lo, hi, limits, 4,
                 screen_attr(s, THEME_CHART), screen_attr(s, THEME_LIMIT), s->g);
    widget_printf(stdscr, y + 1 + chart_h, AXIS_W + 1, chart_w, WIDGET_LEFT,
                  screen_attr(s, THEME_DIM), s->g, "-%s", span);
    widget_text(stdscr, y + 1 + chart_h, s->cols - 4, 3, WIDGET_RIGHT, screen_attr(s, THEME_DIM),
                s->g, "now");
}

static void view_detail_draw(struct screen *s, int top, int height)
{
    if (s->machines == 0 || s->selected >= s->machines) {
        widget_text(stdscr, top + 1, 2, s->cols - 4, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    "No machine selected.");
        return;
    }
    int machine = s->selected;
    int n = sensor_total(s, machine);
    if (s->sensor >= n)
        s->sensor = n - 1;
    if (s->sensor < 0) /* a learned machine may have no sensors yet */
        s->sensor = 0;
    view_overview_observe(s);
    int heading = heading_rows(s, machine, height);
    draw_heading(s, top, heading, machine);
    int body = height - heading;
    int chart_h = body / 2 > CHART_MIN_H ? body / 2 : CHART_MIN_H;
    int table_rows = n + 1;
    if (table_rows > body - chart_h)
        table_rows = body - chart_h;
    chart_h = body - table_rows;
    draw_table(s, top + heading, table_rows, machine);
    if (n > 0)
        draw_chart(s, top + heading + table_rows, chart_h, machine);
    snprintf(s->right_info, sizeof s->right_info, "sensor %d/%d", s->sensor + 1, n);
}

int view_detail_sensor(struct screen *s, int delta)
{
    if (s->machines == 0)
        return SCREEN_NOTHING;
    int n = sensor_total(s, s->selected);
    int next = s->sensor + delta;
    s->sensor = next >= n ? n - 1 : next;
    s->sensor = s->sensor < 0 ? 0 : s->sensor;
    return SCREEN_REDRAW;
}

int view_detail_machine(struct screen *s, int delta)
{
    if (s->machines == 0)
        return SCREEN_NOTHING;
    s->selected = (s->selected + delta + s->machines) % s->machines;
    int n = sensor_total(s, s->selected);
    if (s->sensor >= n)
        s->sensor = n > 0 ? n - 1 : 0;
    return SCREEN_REDRAW;
}

int view_detail_range(struct screen *s, int delta)
{
    s->chart_range = (s->chart_range + delta + CHART_RANGES) % CHART_RANGES;
    screen_status(s, false, "chart: last %s (r: next range)", chart_ranges[s->chart_range].name);
    return SCREEN_REDRAW;
}

/* The sensor an operator opens a machine for: the worst limit state, then the highest anomaly
 * score among those; the first sensor when every one is quiet. */
static int worst_sensor(const struct screen *s, int machine)
{
    if (!s->snap || machine >= s->snap->machine_count)
        return 0;
    const struct snapshot_machine *m = &s->snap->machines[machine];
    int best = 0,
        n = sensor_total(s, machine) < m->sensor_count ? sensor_total(s, machine) : m->sensor_count;
    for (int i = 1; i < n; i++) {
        const struct snapshot_sensor *a = &m->sensors[i], *b = &m->sensors[best];
        int sa = a->state == TWIN_STALE ? TWIN_OK : a->state;
        int sb = b->state == TWIN_STALE ? TWIN_OK : b->state;
        if (sa > sb || (sa == sb && a->anomaly > b->anomaly))
            best = i;
    }
    const struct snapshot_sensor *w = n > 0 ? &m->sensors[best] : NULL;
    bool notable =
        w && ((w->state == TWIN_WARN || w->state == TWIN_ALARM) || w->anomaly >= DETECT_FIRE);
    return notable ? best : 0;
}

int view_detail_open(struct screen *s, int machine, int sensor)
{
    if (machine < 0 || machine >= s->machines)
        return SCREEN_NOTHING;
    s->selected = machine;
    int n = sensor_total(s, machine);
    s->sensor = sensor >= 0 && sensor < n ? sensor : worst_sensor(s, machine);
    view_set(s, VIEW_DETAIL);
    return SCREEN_REDRAW;
}

/* F4 or Enter on the overview: the selected machine, on the sensor that stands out. */
static int open_detail(struct screen *s, int arg)
{
    (void)arg;
    if (s->machines == 0)
        return SCREEN_NOTHING;
    return view_detail_open(s, s->selected, -1);
}

const struct view_entry view_detail_entry = {
    .name = "detail",
    .select = {{KEY_F(4), KEY_ENTER, '\r', '\n'},
               "F4 Enter",
               KEY_BINDING_IN(VIEW_OVERVIEW),
               open_detail,
               0,
               "detail of the selected machine: every sensor and a history chart",
               "Detail"},
    .hint = "up/down sensor  left/right machine  f fault  Esc back",
    .draw = view_detail_draw,
    .wheel_up = KEY_UP,
    .wheel_down = KEY_DOWN,
};
