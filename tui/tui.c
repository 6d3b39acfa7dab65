// SPDX-License-Identifier: MIT
/* The console: terminal set-up, the main loop and the frame around the views. */
#include "tui.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banner.h"
#include "keymap.h"
#include "screen.h"
#include "store.h"
#include "store_read.h"
#include "view.h"
#include "widget.h"
#include "clock.h"

#define FRAME_MS 100       /* at most 10 frames a second: enough for eyes, light on SSH */
#define IDLE_FRAME_MS 1000 /* redraw at least this often (status expiry, stale clock) */
#define HISTORY_POINTS 4096
#define MIN_COLS 72
#define MIN_ROWS 22

static void take_snapshot(struct screen *s)
{
    s->snap_seq = engine_snapshot(s->ctx->engine, s->snap);
    int n = s->snap->machine_count;
    int known = catalog_machine_count(s->ctx->cat);
    n = n < known ? n : known;
    n = n < s->snap->machine_capacity ? n : s->snap->machine_capacity;
    if (n != s->machines) {
        s->machines = n;
        s->cnc = -1;
        for (int i = 0; i < n && s->cnc < 0; i++)
            if (catalog_sensor_find(screen_type(s, i), "spindle.rpm") >= 0)
                s->cnc = i;
    }
    if (s->selected >= s->machines)
        s->selected = s->machines > 0 ? s->machines - 1 : 0;
}

static void format_rate(double r, char *buf, size_t len)
{
    if (r < 1000)
        snprintf(buf, len, "%.0f", r);
    else if (r < 1e6)
        snprintf(buf, len, "%.1fk", r / 1e3);
    else
        snprintf(buf, len, "%.2fM", r / 1e6);
}

static void draw_header(struct screen *s)
{
    const struct snapshot *sn = s->snap;
    const struct tui_player *p = &s->ctx->player;
    char items[9][96];
    int n = 0;
    snprintf(items[n++], sizeof items[0], "twintop");
    bool paused = p->paused && p->paused(p->ctx);
    snprintf(items[n++], sizeof items[0], "%s%s", sn->mode[0] ? sn->mode : "DEMO",
             paused ? " PAUSED" : "");
    if (s->ctx->feed_status.line)
        s->ctx->feed_status.line(s->ctx->feed_status.ctx, items[n++], sizeof items[0]);
    if (sn->sim_time_ms > 0) {
        screen_format_time(s, sn->sim_time_ms, true, items[n++], sizeof items[0]);
    } else {
        snprintf(items[n++], sizeof items[0], "---- -- -- --:--:--");
    }
    if (strcmp(sn->mode, "MQTT") == 0) /* a feed runs at the plant's own pace */
        snprintf(items[n++], sizeof items[0], "live");
    else if (paused && sn->speed > 0) /* the speed it resumes at, not "0x" */
        snprintf(items[n++], sizeof items[0], "paused at %gx", sn->speed);
    else if (paused)
        snprintf(items[n++], sizeof items[0], "paused at max");
    else if (sn->speed <= 0)
        snprintf(items[n++], sizeof items[0], "speed max");
    else
        snprintf(items[n++], sizeof items[0], "speed %gx", sn->speed);
    char rate[24];
    format_rate(sn->samples_per_s, rate, sizeof rate);
    snprintf(items[n++], sizeof items[0], "%s samples/s", rate);
    snprintf(items[n++], sizeof items[0], "drops %llu", (unsigned long long)sn->queue_drops);
    snprintf(items[n++], sizeof items[0], "%d machines", s->machines);
    char line[512];
    size_t o = 0;
    int used = 1;
    line[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = glyph_width(items[i], s->g->utf8) + (i ? 3 : 0);
        if (used + w > s->cols)
            break;
        o += (size_t)snprintf(line + o, sizeof line - o, "%s%s%s", i ? " " : "", i ? s->g->sep : "",
                              i ? " " : "");
        o += (size_t)snprintf(line + o, sizeof line - o, "%s", items[i]);
        used += w;
        if (o >= sizeof line)
            break;
    }
    widget_text(stdscr, 0, 0, 1, WIDGET_LEFT, screen_attr(s, THEME_HEADER), s->g, " ");
    widget_text(stdscr, 0, 1, s->cols - 1, WIDGET_LEFT, screen_attr(s, THEME_HEADER), s->g, line);
}

/* Machines per state, then the alarm banner. */
static void draw_banner_line(struct screen *s)
{
    static const char *const names[] = {"ok", "warn", "alarm", "stale"};
    int x = 1;
    widget_text(stdscr, 1, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_NORMAL), s->g, "");
    for (int st = 0; st < 4; st++) {
        char buf[32];
        int n = s->snap->states[st];
        snprintf(buf, sizeof buf, "%s %d", names[st], n);
        int el = n > 0 && st != TWIN_OK ? screen_state_element(st) : THEME_DIM;
        x += widget_text(stdscr, 1, x, s->cols - x, WIDGET_LEFT, screen_attr(s, el), s->g, buf);
        x += 2;
    }
    struct store_status rec;
    store_status(s->ctx->store, &rec);
    if (rec.enabled && (!rec.recording || rec.dropped) && x < s->cols - 4) { /* history lost */
        char text[200];
        store_status_text(&rec, text, sizeof text);
        x += widget_text(stdscr, 1, x, s->cols - x, WIDGET_LEFT, screen_attr(s, THEME_STATUS_ERROR),
                         s->g, text);
        x += 2;
    }
    if (x < s->cols - 4) {
        widget_text(stdscr, 1, x, 1, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g, s->g->sep);
        banner_draw(s, 1, x + 2, s->cols - x - 2);
    }
}

static void draw_status(struct screen *s, int y)
{
    int rw = (int)strlen(s->right_info);
    int width = s->cols - (rw ? rw + 2 : 0);
    if (s->status[0] && clock_monotonic_ms() < s->status_until_ms)
        widget_printf(stdscr, y, 0, width, WIDGET_LEFT, screen_attr(s, s->status_element), s->g,
                      " %s", s->status);
    else
        widget_printf(stdscr, y, 0, width, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g, " %s",
                      view_table[s->view]->hint);
    if (rw)
        widget_printf(stdscr, y, width, s->cols - width, WIDGET_RIGHT, screen_attr(s, THEME_DIM),
                      s->g, "%s ", s->right_info);
}

static int fkey_number(const struct key_binding *b)
{
    for (int i = 0; i < KEY_BINDING_KEYS_MAX && b->keys[i]; i++)
        for (int f = 1; f <= 12; f++)
            if (b->keys[i] == KEY_F(f))
                return f;
    return 0;
}

/* htop's bar: "F1Help F2Plant ...", in function-key order, each a click target. The last
 * entry (Quit) always shows: what does not fit before it is left out. */
static void draw_fkeys(struct screen *s, int y)
{
    const struct key_binding *bar[12];
    int nbar = 0;
    for (int f = 1; f <= 12; f++)
        for (size_t i = 0; i < keymap_count(); i++)
            if (keymap_at(i)->bar && fkey_number(keymap_at(i)) == f) {
                bar[nbar++] = keymap_at(i);
                break;
            }
    widget_text(stdscr, y, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_FLABEL), s->g, "");
    int last_w = nbar ? (int)strlen(bar[nbar - 1]->bar) + 4 : 0;
    for (int i = 0, x = 0; i < nbar; i++) {
        int f = fkey_number(bar[i]);
        char key[8];
        snprintf(key, sizeof key, "F%d", f);
        int kw = (int)strlen(key), lw = (int)strlen(bar[i]->bar) + 1;
        if (x + kw + lw + (i + 1 < nbar ? last_w : 0) > s->cols)
            continue;
        widget_text(stdscr, y, x, kw, WIDGET_LEFT, screen_attr(s, THEME_FKEY), s->g, key);
        widget_text(stdscr, y, x + kw, lw, WIDGET_LEFT, screen_attr(s, THEME_FLABEL), s->g,
                    bar[i]->bar);
        screen_hit_add(s, y, x, 1, kw + lw, SCREEN_HIT_KEY, KEY_F(f));
        x += kw + lw;
    }
}

static void draw_too_small(struct screen *s)
{
    char msg[96];
    snprintf(msg, sizeof msg, "terminal too small: %dx%d, twintop needs %dx%d", s->cols, s->rows,
             MIN_COLS, MIN_ROWS);
    int y = s->rows / 2, w = (int)strlen(msg);
    int x = s->cols > w ? (s->cols - w) / 2 : 0;
    widget_text(stdscr, y > 0 ? y - 1 : 0, x, s->cols - x, WIDGET_LEFT,
                screen_attr(s, THEME_STATUS_ERROR), s->g, msg);
    if (y + 1 < s->rows)
        widget_text(stdscr, y + 1, x, s->cols - x, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                    "enlarge the window, or press q to quit");
    banner_draw(s, 0, 0, s->cols); /* the alarm stays named however small the window */
}

static void draw_frame(struct screen *s)
{
    getmaxyx(stdscr, s->rows, s->cols);
    werase(stdscr);
    s->hit_count = 0;
    if (s->rows < MIN_ROWS || s->cols < MIN_COLS) {
        draw_too_small(s);
    } else {
        s->right_info[0] = '\0';
        draw_header(s);
        draw_banner_line(s);
        view_table[s->view]->draw(s, 2, s->rows - 4);
        draw_status(s, s->rows - 2);
        draw_fkeys(s, s->rows - 1);
    }
    wnoutrefresh(stdscr);
    doupdate();
}

static int handle_key(struct screen *s, int key);

static int handle_mouse(struct screen *s)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return SCREEN_NOTHING;
    const struct view_entry *v = view_table[s->view];
    if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED))
        return handle_key(s, ev.bstate & BUTTON4_PRESSED ? v->wheel_up : v->wheel_down);
    if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
        return SCREEN_NOTHING;
    for (int i = s->hit_count - 1; i >= 0; i--) {
        const struct screen_hit *h = &s->hits[i];
        if (ev.y < h->y || ev.y >= h->y + h->h || ev.x < h->x || ev.x >= h->x + h->w)
            continue;
        switch (h->kind) {
        case SCREEN_HIT_KEY:
            return handle_key(s, h->value);
        case SCREEN_HIT_MACHINE:
            if (h->value == s->selected && v->click_selected)
                return handle_key(s, v->click_selected);
            s->selected = h->value;
            return SCREEN_REDRAW;
        case SCREEN_HIT_SENSOR:
            s->sensor = h->value;
            return SCREEN_REDRAW;
        default:
            return SCREEN_NOTHING;
        }
    }
    return SCREEN_NOTHING;
}

static int handle_key(struct screen *s, int key)
{
    if (key == KEY_RESIZE)
        return SCREEN_REDRAW;
    if (key == KEY_MOUSE)
        return handle_mouse(s);
    int r = keymap_dispatch(s, key);
    const struct view_entry *v = view_table[s->view];
    if (r < 0 && v->key)
        r = v->key(s, key);
    return r < 0 ? SCREEN_NOTHING : r;
}

/* Reads every pending key. Returns the keys read (0: the read failed or found nothing). */
static int read_keys(struct screen *s, int *result)
{
    int count = 0, ch;
    while (count < 256 && (ch = wgetch(stdscr)) != ERR) {
        count++;
        *result |= handle_key(s, ch);
        if (*result & SCREEN_QUIT)
            break;
    }
    return count;
}

static void drain_wake(int fd)
{
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    (void)n; /* a wake-up, whatever it carried */
}

/* The theme the user asked for; a broken or missing file is an error before the screen opens.
 * The default theme may be missing (a bare binary): the built-in one stands in. */
static int load_theme(struct screen *s, char *err, size_t len)
{
    const char *name = s->ctx->cfg && s->ctx->cfg->theme[0] ? s->ctx->cfg->theme : "default";
    const char *dir = s->ctx->cfg ? s->ctx->cfg->themes_dir : "themes";
    char path[CONFIG_PATH_MAX + 160];
    theme_path(dir, name, path, sizeof path);
    if (theme_load(&s->theme, path, err, len) == 0)
        return 0;
    if (strcmp(name, "default") == 0 && access(path, F_OK) != 0) {
        theme_defaults(&s->theme);
        return 0;
    }
    return -1;
}

/* Without colours (NO_COLOR, a monochrome terminal) a colour theme loses its meaning: the
 * default theme gives way to the mono one. */
static void choose_mono(struct screen *s)
{
    const char *name = s->ctx->cfg && s->ctx->cfg->theme[0] ? s->ctx->cfg->theme : "default";
    if (strcmp(name, "default") != 0)
        return;
    char path[CONFIG_PATH_MAX + 160], err[256];
    theme_path(s->ctx->cfg ? s->ctx->cfg->themes_dir : "themes", "mono", path, sizeof path);
    if (theme_load(&s->theme, path, err, sizeof err) != 0)
        theme_defaults_mono(&s->theme);
}

static void screen_free(struct screen *s)
{
    snapshot_free(s->snap);
    free(s->hits);
    free(s->hist_values);
    free(s->hist_ts);
    store_read_close(s->history);
}

static int screen_open(struct screen *s, SCREEN **term)
{
    /* Numbers go to JSON and CSV on other threads: only the character set follows the locale. */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    s->g = glyph_set(glyph_locale_is_utf8());
    *term = newterm(NULL, stdout, stdin);
    if (!*term) {
        fprintf(stderr, "twintop: cannot open the terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        return -1;
    }
    set_term(*term);
    set_escdelay(25); /* Esc answers at once, even over SSH */
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    const char *no_color = getenv("NO_COLOR");
    s->color = has_colors() && !(no_color && no_color[0]);
    if (s->color)
        start_color();
    else
        choose_mono(s);
    theme_apply(&s->theme, s->color);
    getmaxyx(stdscr, s->rows, s->cols);
    return 0;
}

int tui_run(struct tui_context *ctx)
{
    struct screen s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.cnc = -1;
    s.view = s.back_view = VIEW_HOME;
    s.repaint = draw_frame;
    int cap = catalog_max_machines(ctx->cat);
    int known = catalog_machine_count(ctx->cat);
    s.snap = snapshot_create(cap > known ? cap : known);
    s.hist_cap = HISTORY_POINTS;
    s.hist_values = malloc(s.hist_cap * sizeof *s.hist_values);
    s.hist_ts = malloc(s.hist_cap * sizeof *s.hist_ts);
    if (!s.snap || !s.hist_values || !s.hist_ts) {
        fprintf(stderr, "twintop: out of memory\n");
        screen_free(&s);
        return -1;
    }
    char err[512];
    if (load_theme(&s, err, sizeof err) != 0) {
        fprintf(stderr, "twintop: %s\n", err);
        screen_free(&s);
        return -1;
    }
    SCREEN *term = NULL;
    if (screen_open(&s, &term) != 0) {
        screen_free(&s);
        return -1;
    }
    int wake = engine_wake_fd(ctx->engine);
    int64_t last_frame = 0;
    bool dirty = true, fresh = true;
    int read_errors = 0;
    while (!*ctx->stop) {
        int64_t now = clock_monotonic_ms();
        if (now - last_frame >= IDLE_FRAME_MS)
            dirty = fresh = true;
        if (dirty && now - last_frame >= FRAME_MS) {
            if (fresh || wake < 0)
                take_snapshot(&s);
            draw_frame(&s);
            last_frame = now;
            dirty = fresh = false;
        }
        int timeout = SCREEN_POLL_MAX_MS;
        if (dirty)
            timeout = (int)(FRAME_MS - (now - last_frame));
        timeout = timeout < 0 ? 0 : timeout;
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake, POLLIN, 0}};
        int n = poll(fds, wake >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (wake >= 0 && n > 0 && (fds[1].revents & POLLIN)) {
            drain_wake(wake);
            dirty = fresh = true;
        }
        bool input = n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL));
        if (!input && n >= 0)
            continue;
        /* Input, or a signal (SIGWINCH arrives as KEY_RESIZE from wgetch). */
        int result = 0;
        int keys = read_keys(&s, &result);
        if (input && keys == 0) {
            if (++read_errors >= SCREEN_READ_ERRORS_MAX)
                break; /* the terminal went away */
        } else if (keys > 0) {
            read_errors = 0;
        }
        if (result & SCREEN_QUIT)
            break;
        if (result & SCREEN_REDRAW) {
            draw_frame(&s); /* keys answer at once; only snapshot frames are capped */
            last_frame = clock_monotonic_ms();
        }
    }
    endwin();
    delscreen(term);
    screen_free(&s);
    return 0;
}
