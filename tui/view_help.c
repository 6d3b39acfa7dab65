// SPDX-License-Identifier: MIT
/* The help view: every key binding, straight from the key table, and the views it applies in. */
#include "view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "keymap.h"
#include "screen.h"
#include "widget.h"

/* Lines after the key list: what the keys cannot say. */
static const char *const help_notes[] = {
    "",
    "Mouse: click a tile or a fleet row to select it, click it again for its detail; click a",
    "sensor row to chart it; click the function-key bar; the wheel scrolls.",
    "Fleet list (2): \\ filter words are id/type/area globs (pump, util*) or states (alarm, warn).",
    "Tile colours: ok, warn, alarm, stale (no data). \"--\" means not known yet.",
    "Themes: --theme NAME loads themes/NAME.theme; NO_COLOR=1 uses the monochrome theme.",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int help_lines(void)
{
    return (int)keymap_count() + (int)COUNT(help_notes);
}

static void where(const struct key_binding *b, char *buf, size_t len)
{
    if (b->views == 0) {
        snprintf(buf, len, "everywhere");
        return;
    }
    size_t o = 0;
    buf[0] = '\0';
    for (int v = 0; v < VIEW_COUNT && o < len; v++)
        if (b->views & KEY_BINDING_IN(v))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", view_table[v]->name);
}

static void view_help_draw(struct screen *s, int top, int height)
{
    int rows = height - 2;
    int max_scroll = help_lines() - rows > 0 ? help_lines() - rows : 0;
    if (s->scroll > max_scroll)
        s->scroll = max_scroll;
    if (s->scroll < 0)
        s->scroll = 0;
    widget_text(stdscr, top, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_TITLE), s->g,
                "twintop keys (from the key table)");
    int key_w = 16, where_w = s->cols >= 100 ? 20 : 16;
    widget_text(stdscr, top + 1, 0, s->cols, WIDGET_LEFT, screen_attr(s, THEME_TABLE_HEADER), s->g,
                "");
    widget_text(stdscr, top + 1, 1, key_w, WIDGET_LEFT, screen_attr(s, THEME_TABLE_HEADER), s->g,
                "key");
    widget_text(stdscr, top + 1, 2 + key_w, where_w, WIDGET_LEFT,
                screen_attr(s, THEME_TABLE_HEADER), s->g, "where");
    widget_text(stdscr, top + 1, 3 + key_w + where_w, s->cols - 4 - key_w - where_w, WIDGET_LEFT,
                screen_attr(s, THEME_TABLE_HEADER), s->g, "what it does");
    for (int r = 0; r < rows; r++) {
        int line = s->scroll + r, y = top + 2 + r;
        if (line >= help_lines())
            break;
        if (line < (int)keymap_count()) {
            const struct key_binding *b = keymap_at((size_t)line);
            char w[96];
            where(b, w, sizeof w);
            widget_text(stdscr, y, 1, key_w, WIDGET_LEFT, screen_attr(s, THEME_HELP_KEY), s->g,
                        b->names);
            widget_text(stdscr, y, 2 + key_w, where_w, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                        w);
            widget_text(stdscr, y, 3 + key_w + where_w, s->cols - 4 - key_w - where_w, WIDGET_LEFT,
                        screen_attr(s, THEME_NORMAL), s->g, b->help);
        } else {
            widget_text(stdscr, y, 1, s->cols - 2, WIDGET_LEFT, screen_attr(s, THEME_DIM), s->g,
                        help_notes[line - (int)keymap_count()]);
        }
    }
    if (max_scroll > 0)
        snprintf(s->right_info, sizeof s->right_info, "%d-%d of %d", s->scroll + 1,
                 s->scroll + rows < help_lines() ? s->scroll + rows : help_lines(), help_lines());
    else
        s->right_info[0] = '\0';
}

const struct view_entry view_help_entry = {
    .name = "help",
    .select = {{KEY_F(1), '?', 'h'}, "F1 ? h", 0, view_select, VIEW_HELP, "help: this list of keys",
               "Help"},
    .hint = "up/down scroll  Esc back",
    .draw = view_help_draw,
    .wheel_up = KEY_UP,
    .wheel_down = KEY_DOWN,
    .no_return = true,
};
