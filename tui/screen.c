// SPDX-License-Identifier: MIT
/* The state views and key handlers share: theme attributes, the status line and its prompt,
 * click targets. */
#include "screen.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "widget.h"
#include "clock.h"

#define STATUS_MS 6000
#define KEY_ESC 27

attr_t screen_attr(const struct screen *s, int element)
{
    return element >= 0 && element < THEME_COUNT ? s->theme.attr[element] : A_NORMAL;
}

int screen_state_element(int state)
{
    static const int elements[] = {THEME_OK, THEME_WARN, THEME_ALARM, THEME_STALE};
    return state >= 0 && state < 4 ? elements[state] : THEME_STALE;
}

int screen_bar_element(int state)
{
    static const int elements[] = {THEME_BAR_OK, THEME_BAR_WARN, THEME_BAR_ALARM, THEME_BAR_STALE};
    return state >= 0 && state < 4 ? elements[state] : THEME_BAR_STALE;
}

const struct catalog_type *screen_type(const struct screen *s, int machine)
{
    return catalog_machine_at(s->ctx->cat, machine)->type;
}

const char *screen_machine_id(const struct screen *s, int machine)
{
    return catalog_machine_at(s->ctx->cat, machine)->id;
}

static void screen_tm(const struct screen *s, int64_t ts_ms, struct tm *tm)
{
    time_t t = (time_t)(ts_ms / 1000);
    if (s->ctx && s->ctx->cfg && s->ctx->cfg->utc)
        gmtime_r(&t, tm);
    else
        localtime_r(&t, tm);
}

void screen_format_time(const struct screen *s, int64_t ts_ms, bool with_zone, char *buf,
                        size_t len)
{
    struct tm tm;
    screen_tm(s, ts_ms, &tm);
    bool utc = s->ctx && s->ctx->cfg && s->ctx->cfg->utc;
    if (with_zone) {
        char at[32];
        strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S", &tm);
        char zone[16] = "UTC";
        if (!utc)
            strftime(zone, sizeof zone, "%Z", &tm);
        snprintf(buf, len, "%s %s", at, zone);
        return;
    }
    struct tm today;
    int64_t ref = s->snap && s->snap->sim_time_ms > 0 ? s->snap->sim_time_ms : ts_ms;
    screen_tm(s, ref, &today);
    bool same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
    strftime(buf, len, same_day ? "%H:%M:%S" : "%m-%d %H:%M:%S", &tm);
}

void screen_status(struct screen *s, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->status, sizeof s->status, fmt, ap);
    va_end(ap);
    s->status_element = error ? THEME_STATUS_ERROR : THEME_STATUS;
    s->status_until_ms = clock_monotonic_ms() + STATUS_MS;
}

void screen_hit_add(struct screen *s, int y, int x, int h, int w, int kind, int value)
{
    if (s->hit_count == s->hit_cap) {
        int cap = s->hit_cap ? s->hit_cap * 2 : 64;
        struct screen_hit *n = realloc(s->hits, (size_t)cap * sizeof *n);
        if (!n)
            return; /* a frame without this click target is no disaster */
        s->hits = n;
        s->hit_cap = cap;
    }
    s->hits[s->hit_count++] = (struct screen_hit){y, x, h, w, kind, value};
}

int screen_prompt(struct screen *s, const char *question, char *answer, size_t len)
{
    size_t n = 0;
    int read_errors = 0;
    answer[0] = '\0';
    curs_set(1);
    for (;;) {
        if (*s->ctx->stop) {
            curs_set(0);
            return -1;
        }
        int y = s->rows - 2;
        int qx = widget_printf(stdscr, y, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_STATUS),
                               s->g, " %s ", question);
        int aw = s->cols - qx - 1;
        /* the end of a long answer stays in view */
        const char *shown = answer;
        while (aw > 0 && glyph_width(shown, s->g->utf8) > aw)
            do
                shown++;
            while (((unsigned char)*shown & 0xc0) == 0x80);
        int used = widget_text(stdscr, y, qx, aw > 0 ? aw : 0, WIDGET_LEFT,
                               screen_attr(s, THEME_NORMAL), s->g, shown);
        wmove(stdscr, y, qx + used);
        wnoutrefresh(stdscr);
        doupdate();
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        int ready = poll(&pfd, 1, SCREEN_POLL_MAX_MS);
        if (ready < 0 && errno != EINTR) {
            curs_set(0);
            return -1;
        }
        if (ready == 0)
            continue;
        wint_t wc;
        int kind, got = 0;
        while (got < 256 && (kind = wget_wch(stdscr, &wc)) != ERR) {
            got++;
            if (kind == KEY_CODE_YES) {
                if (wc == KEY_RESIZE) {
                    s->repaint(s);
                } else if (wc == KEY_BACKSPACE && n > 0) {
                    do /* back over a whole UTF-8 character */
                        n--;
                    while (n > 0 && ((unsigned char)answer[n] & 0xc0) == 0x80);
                    answer[n] = '\0';
                } else if (wc == KEY_ENTER) {
                    curs_set(0);
                    return 0;
                }
                continue;
            }
            if (wc == KEY_ESC) {
                curs_set(0);
                answer[0] = '\0';
                return -1;
            }
            if (wc == '\r' || wc == '\n') {
                curs_set(0);
                return 0;
            }
            if ((wc == 127 || wc == 8) && n > 0) {
                do
                    n--;
                while (n > 0 && ((unsigned char)answer[n] & 0xc0) == 0x80);
                answer[n] = '\0';
                continue;
            }
            if (wc < 32 || wc == 127)
                continue;
            char mb[MB_LEN_MAX];
            mbstate_t st;
            memset(&st, 0, sizeof st);
            size_t k = wcrtomb(mb, (wchar_t)wc, &st);
            if (k == (size_t)-1 || n + k + 1 > len)
                continue;
            memcpy(answer + n, mb, k);
            n += k;
            answer[n] = '\0';
        }
        if (ready > 0 && got == 0 && ++read_errors >= SCREEN_READ_ERRORS_MAX) {
            curs_set(0); /* the terminal went away */
            return -1;
        }
        if (got > 0)
            read_errors = 0;
    }
}

bool screen_confirm(struct screen *s, const char *question)
{
    int read_errors = 0;
    for (;;) {
        if (*s->ctx->stop)
            return false;
        widget_printf(stdscr, s->rows - 2, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_STATUS),
                      s->g, " %s ", question);
        wnoutrefresh(stdscr);
        doupdate();
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        int ready = poll(&pfd, 1, SCREEN_POLL_MAX_MS);
        if (ready < 0 && errno != EINTR)
            return false;
        if (ready <= 0)
            continue;
        wint_t wc;
        int kind = wget_wch(stdscr, &wc);
        if (kind == ERR) {
            if (++read_errors >= SCREEN_READ_ERRORS_MAX)
                return false; /* the terminal went away */
            continue;
        }
        if (kind == KEY_CODE_YES && wc == KEY_RESIZE) {
            s->repaint(s);
            continue;
        }
        return kind != KEY_CODE_YES && (wc == 'y' || wc == 'Y');
    }
}
