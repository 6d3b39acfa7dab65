// SPDX-License-Identifier: MIT
/* Colour themes loaded from themes/NAME.theme. */
#include "theme.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D THEME_COLOR_DEFAULT
#define N THEME_COLOR_NONE

/* Every element, its name in theme files and its built-in style. */
static const struct {
    const char *name;
    struct theme_style style;
} theme_elements[THEME_COUNT] = {
    [THEME_NORMAL] = {"normal", {D, D, N, N, 0}},
    [THEME_HEADER] = {"header", {COLOR_BLACK, COLOR_CYAN, N, N, 0}},
    [THEME_BANNER] = {"banner", {D, D, N, N, THEME_A_BOLD}},
    [THEME_BANNER_ALARM] = {"banner_alarm", {COLOR_WHITE, COLOR_RED, N, N, THEME_A_BOLD}},
    [THEME_STATUS] = {"status", {COLOR_YELLOW, D, N, N, 0}},
    [THEME_STATUS_ERROR] = {"status_error", {COLOR_RED, D, N, N, THEME_A_BOLD}},
    [THEME_FKEY] = {"fkey", {D, D, N, N, THEME_A_BOLD}},
    [THEME_FLABEL] = {"flabel", {COLOR_BLACK, COLOR_CYAN, N, N, 0}},
    [THEME_TITLE] = {"title", {D, D, N, N, THEME_A_BOLD}},
    [THEME_SELECTED] = {"selected", {COLOR_BLACK, COLOR_WHITE, N, N, THEME_A_BOLD}},
    [THEME_OK] = {"ok", {COLOR_GREEN, D, N, N, THEME_A_BOLD}},
    [THEME_WARN] = {"warn", {COLOR_YELLOW, D, N, N, THEME_A_BOLD}},
    [THEME_ALARM] = {"alarm", {COLOR_WHITE, COLOR_RED, N, N, THEME_A_BOLD}},
    [THEME_STALE] = {"stale", {COLOR_MAGENTA, D, N, N, 0}},
    [THEME_BAR_OK] = {"bar_ok", {COLOR_GREEN, D, N, N, 0}},
    [THEME_BAR_WARN] = {"bar_warn", {COLOR_YELLOW, D, N, N, 0}},
    [THEME_BAR_ALARM] = {"bar_alarm", {COLOR_RED, D, N, N, THEME_A_BOLD}},
    [THEME_BAR_STALE] = {"bar_stale", {COLOR_MAGENTA, D, N, N, THEME_A_DIM}},
    [THEME_BAR_EMPTY] = {"bar_empty", {D, D, N, N, THEME_A_DIM}},
    [THEME_SPARK] = {"spark", {COLOR_CYAN, D, N, N, 0}},
    [THEME_CHART] = {"chart", {COLOR_CYAN, D, N, N, 0}},
    [THEME_LIMIT] = {"limit", {COLOR_RED, D, N, N, 0}},
    [THEME_LABEL] = {"label", {D, D, N, N, 0}},
    [THEME_UNIT] = {"unit", {D, D, N, N, THEME_A_DIM}},
    [THEME_DIM] = {"dim", {D, D, N, N, THEME_A_DIM}},
    [THEME_TABLE_HEADER] = {"table_header", {COLOR_BLACK, COLOR_GREEN, N, N, 0}},
    [THEME_HELP_KEY] = {"help_key", {COLOR_CYAN, D, N, N, THEME_A_BOLD}},
    [THEME_UNACK] = {"unack", {COLOR_RED, D, N, N, THEME_A_BOLD | THEME_A_REVERSE}},
    [THEME_ANOMALY_LOW] = {"anomaly_low", {D, D, N, N, THEME_A_DIM}},
    [THEME_ANOMALY_MID] = {"anomaly_mid", {214, D, COLOR_YELLOW, N, THEME_A_BOLD}},
    [THEME_ANOMALY_HIGH] = {"anomaly_high",
                            {201, D, COLOR_MAGENTA, N, THEME_A_BOLD | THEME_A_REVERSE}},
};

static const struct {
    const char *name;
    short number;
} theme_colors[] = {
    {"default", D},
    {"black", COLOR_BLACK},
    {"red", COLOR_RED},
    {"green", COLOR_GREEN},
    {"yellow", COLOR_YELLOW},
    {"blue", COLOR_BLUE},
    {"magenta", COLOR_MAGENTA},
    {"cyan", COLOR_CYAN},
    {"white", COLOR_WHITE},
};

static const struct {
    const char *name;
    unsigned bit;
} theme_attrs[] = {
    {"normal", 0},
    {"bold", THEME_A_BOLD},
    {"dim", THEME_A_DIM},
    {"reverse", THEME_A_REVERSE},
    {"underline", THEME_A_UNDERLINE},
    {"standout", THEME_A_STANDOUT},
    {"blink", THEME_A_BLINK},
    {"italic", THEME_A_ITALIC},
};

#undef D
#undef N

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

const char *theme_element_name(int element)
{
    return element >= 0 && element < THEME_COUNT ? theme_elements[element].name : NULL;
}

int theme_element_find(const char *name)
{
    for (int i = 0; i < THEME_COUNT; i++)
        if (strcmp(theme_elements[i].name, name) == 0)
            return i;
    return -1;
}

void theme_defaults(struct theme *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "built-in");
    for (int i = 0; i < THEME_COUNT; i++)
        t->style[i] = theme_elements[i].style;
}

/* The monochrome theme, for NO_COLOR and terminals without colours when themes/mono.theme is
 * missing; the shipped file holds the same lines. */
static const char theme_mono_text[] = "header = default, default, reverse\n"
                                      "banner = default, default, bold\n"
                                      "banner_alarm = default, default, reverse|bold\n"
                                      "status = default, default, bold\n"
                                      "status_error = default, default, reverse\n"
                                      "fkey = default, default, bold\n"
                                      "flabel = default, default, reverse\n"
                                      "title = default, default, bold\n"
                                      "selected = default, default, reverse|bold\n"
                                      "ok = default, default, normal\n"
                                      "warn = default, default, bold|underline\n"
                                      "alarm = default, default, reverse|bold\n"
                                      "stale = default, default, dim\n"
                                      "bar_ok = default, default, normal\n"
                                      "bar_warn = default, default, bold\n"
                                      "bar_alarm = default, default, bold\n"
                                      "bar_stale = default, default, dim\n"
                                      "bar_empty = default, default, dim\n"
                                      "spark = default, default, normal\n"
                                      "chart = default, default, normal\n"
                                      "limit = default, default, bold\n"
                                      "label = default, default, normal\n"
                                      "unit = default, default, dim\n"
                                      "dim = default, default, dim\n"
                                      "table_header = default, default, reverse\n"
                                      "help_key = default, default, bold\n"
                                      "unack = default, default, reverse|bold\n"
                                      "anomaly_low = default, default, dim\n"
                                      "anomaly_mid = default, default, bold|underline\n"
                                      "anomaly_high = default, default, reverse|bold\n";

void theme_defaults_mono(struct theme *t)
{
    char err[128];
    theme_defaults(t);
    snprintf(t->name, sizeof t->name, "built-in mono");
    theme_parse(t, theme_mono_text, "built-in mono", err, sizeof err);
}

void theme_path(const char *themes_dir, const char *name, char *out, size_t len)
{
    if (strchr(name, '/'))
        snprintf(out, len, "%s", name);
    else
        snprintf(out, len, "%s/%s.theme", themes_dir && *themes_dir ? themes_dir : "themes", name);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* One colour word: a name, brightNAME or 0-255. */
static int parse_one_color(const char *w, short *out)
{
    bool bright = strncmp(w, "bright", 6) == 0;
    const char *base = bright ? w + 6 : w;
    for (size_t i = 0; i < COUNT(theme_colors); i++) {
        if (strcmp(theme_colors[i].name, base) == 0) {
            if (bright && theme_colors[i].number < 0)
                return -1;
            *out = (short)(theme_colors[i].number + (bright ? 8 : 0));
            return 0;
        }
    }
    if (!*w || strspn(w, "0123456789") != strlen(w) || strlen(w) > 3)
        return -1;
    long n = strtol(w, NULL, 10);
    if (n > 255)
        return -1;
    *out = (short)n;
    return 0;
}

/* "A" or "A/B". */
static int parse_color(char *w, short *color, short *alt)
{
    char *slash = strchr(w, '/');
    *alt = THEME_COLOR_NONE;
    if (slash) {
        *slash = '\0';
        if (parse_one_color(trim(slash + 1), alt))
            return -1;
    }
    return parse_one_color(trim(w), color);
}

static int parse_attrs(char *w, unsigned *attrs, const char **bad)
{
    *attrs = 0;
    for (char *save = NULL, *tok = strtok_r(w, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        char *name = trim(tok);
        size_t i = 0;
        while (i < COUNT(theme_attrs) && strcmp(theme_attrs[i].name, name) != 0)
            i++;
        if (i == COUNT(theme_attrs)) {
            *bad = name;
            return -1;
        }
        *attrs |= theme_attrs[i].bit;
    }
    return 0;
}

static int parse_line(struct theme *t, char *line, const char *name, int lineno, char *err,
                      size_t len)
{
    char *eq = strchr(line, '=');
    if (!eq) {
        fail(err, len, "%s:%d: expected \"element = fg, bg, attrs\"", name, lineno);
        return -1;
    }
    *eq = '\0';
    char *key = trim(line);
    int el = theme_element_find(key);
    if (el < 0) {
        fail(err, len, "%s:%d: unknown element \"%s\"", name, lineno, key);
        return -1;
    }
    char *fields[4] = {0};
    int nf = 0;
    for (char *p = eq + 1;; nf++) {
        char *comma = strchr(p, ',');
        if (nf == 3) {
            fail(err, len, "%s:%d: %s: more than three fields (fg, bg, attrs)", name, lineno, key);
            return -1;
        }
        fields[nf] = p;
        if (!comma) {
            nf++;
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    struct theme_style st = {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, THEME_COLOR_NONE,
                             THEME_COLOR_NONE, 0};
    char *fg = trim(fields[0]);
    if (!*fg) {
        fail(err, len, "%s:%d: %s: missing foreground colour", name, lineno, key);
        return -1;
    }
    if (parse_color(fg, &st.fg, &st.fg_alt)) {
        fail(err, len, "%s:%d: %s: unknown colour \"%s\" (a name, bright<name> or 0-255)", name,
             lineno, key, fg);
        return -1;
    }
    if (nf > 1) {
        char *bg = trim(fields[1]);
        if (parse_color(bg, &st.bg, &st.bg_alt)) {
            fail(err, len, "%s:%d: %s: unknown colour \"%s\" (a name, bright<name> or 0-255)", name,
                 lineno, key, bg);
            return -1;
        }
    }
    if (nf > 2) {
        const char *bad = "";
        if (parse_attrs(fields[2], &st.attrs, &bad)) {
            fail(err, len, "%s:%d: %s: unknown attribute \"%s\"", name, lineno, key, bad);
            return -1;
        }
    }
    t->style[el] = st;
    return 0;
}

int theme_parse(struct theme *t, const char *text, const char *name, char *err, size_t errlen)
{
    int lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        lineno++;
        if (n >= sizeof line) {
            fail(err, errlen, "%s:%d: line longer than %zu characters", name, lineno,
                 sizeof line - 1);
            return -1;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (*s && parse_line(t, s, name, lineno, err, errlen))
            return -1;
        p += n + (nl ? 1 : 0);
    }
    return 0;
}

int theme_load(struct theme *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nt = ncap > (1u << 20) ? NULL : realloc(text, ncap);
            if (!nt) {
                fail(err, errlen, "%s: too large or out of memory", path);
                free(text);
                fclose(f);
                return -1;
            }
            text = nt;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, 4096, f);
        len += got;
        if (got < 4096)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        fail(err, errlen, "%s: read error", path);
        free(text);
        return -1;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        fail(err, errlen, "%s: binary data in a theme file", path);
        free(text);
        return -1;
    }
    theme_defaults(t);
    snprintf(t->name, sizeof t->name, "%s", path);
    int rc = theme_parse(t, text, path, err, errlen);
    free(text);
    return rc;
}

/* A colour the terminal can show: the colour, its fallback, or a bright colour's base. */
static short usable(short c, short alt, attr_t *extra)
{
    if (c < COLORS)
        return c;
    if (alt != THEME_COLOR_NONE && alt < COLORS)
        return alt;
    if (c >= 8 && c < 16) {
        *extra |= A_BOLD; /* what 8-colour terminals did for bright colours */
        return (short)(c - 8);
    }
    return THEME_COLOR_DEFAULT;
}

static attr_t to_curses(unsigned a)
{
    attr_t r = A_NORMAL;
    if (a & THEME_A_BOLD)
        r |= A_BOLD;
    if (a & THEME_A_DIM)
        r |= A_DIM;
    if (a & THEME_A_REVERSE)
        r |= A_REVERSE;
    if (a & THEME_A_UNDERLINE)
        r |= A_UNDERLINE;
    if (a & THEME_A_STANDOUT)
        r |= A_STANDOUT;
    if (a & THEME_A_BLINK)
        r |= A_BLINK;
#ifdef A_ITALIC
    if (a & THEME_A_ITALIC)
        r |= A_ITALIC;
#endif
    return r;
}

void theme_apply(struct theme *t, bool use_color)
{
    /* Without the terminal's own default colours, "default" means white on black. */
    bool own_defaults = use_color && use_default_colors() == OK;
    for (int i = 0; i < THEME_COUNT; i++) {
        const struct theme_style *st = &t->style[i];
        attr_t a = to_curses(st->attrs);
        if (use_color && i + 1 < COLOR_PAIRS) {
            attr_t extra = 0, ignored = 0;
            short fg = usable(st->fg, st->fg_alt, &extra);
            short bg = usable(st->bg, st->bg_alt, &ignored);
            if (!own_defaults) {
                fg = fg < 0 ? COLOR_WHITE : fg;
                bg = bg < 0 ? COLOR_BLACK : bg;
            }
            init_pair((short)(i + 1), fg, bg);
            a |= COLOR_PAIR(i + 1) | extra;
        }
        t->attr[i] = a;
    }
}
