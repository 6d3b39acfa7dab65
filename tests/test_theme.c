// SPDX-License-Identifier: MIT
/* Theme files and glyph fitting: the shipped themes load, every kind of malformed line is
 * refused with FILE:LINE, and text fits the columns it is given in UTF-8 and ASCII modes.
 * theme.c and glyph.c live in tui/ (not in the library), so they are compiled in here. */
#include "../tui/glyph.c"
#include "../tui/theme.c"
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_shipped_themes_load(void **state)
{
    (void)state;
    static const char *names[] = {"default", "mono"};
    for (size_t i = 0; i < 2; i++) {
        char path[256], err[512] = "";
        struct theme t;
        theme_path("themes", names[i], path, sizeof path);
        if (theme_load(&t, path, err, sizeof err))
            fail_msg("%s", err);
    }
}

/* The shipped mono file and the built-in fallback must not drift apart. */
static void test_mono_file_matches_builtin(void **state)
{
    (void)state;
    struct theme file, builtin;
    char err[512] = "";
    if (theme_load(&file, "themes/mono.theme", err, sizeof err))
        fail_msg("%s", err);
    theme_defaults_mono(&builtin);
    assert_memory_equal(file.style, builtin.style, sizeof file.style);
}

static void test_mono_uses_no_colour(void **state)
{
    (void)state;
    struct theme t;
    theme_defaults_mono(&t);
    for (int i = 0; i < THEME_COUNT; i++) {
        assert_int_equal(t.style[i].fg, THEME_COLOR_DEFAULT);
        assert_int_equal(t.style[i].bg, THEME_COLOR_DEFAULT);
    }
    /* states differ without colour */
    assert_int_not_equal(t.style[THEME_OK].attrs, t.style[THEME_WARN].attrs);
    assert_int_not_equal(t.style[THEME_WARN].attrs, t.style[THEME_ALARM].attrs);
    assert_int_not_equal(t.style[THEME_OK].attrs, t.style[THEME_STALE].attrs);
}

static void test_parse_fields(void **state)
{
    (void)state;
    struct theme t;
    char err[256] = "";
    theme_defaults(&t);
    const char *text = "# comment\n"
                       "\n"
                       "  header = brightred , 17, bold|underline  # trailing comment\n"
                       "ok = 208/yellow\n"
                       "alarm=white,red,blink|reverse\n";
    assert_int_equal(theme_parse(&t, text, "x.theme", err, sizeof err), 0);
    assert_int_equal(t.style[THEME_HEADER].fg, COLOR_RED + 8);
    assert_int_equal(t.style[THEME_HEADER].bg, 17);
    assert_int_equal(t.style[THEME_HEADER].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
    assert_int_equal(t.style[THEME_OK].fg, 208);
    assert_int_equal(t.style[THEME_OK].fg_alt, COLOR_YELLOW);
    assert_int_equal(t.style[THEME_OK].bg, THEME_COLOR_DEFAULT);
    assert_int_equal(t.style[THEME_OK].attrs, 0);
    assert_int_equal(t.style[THEME_ALARM].attrs, THEME_A_BLINK | THEME_A_REVERSE);
    /* untouched elements keep their defaults; nothing blinks unless asked */
    struct theme d;
    theme_defaults(&d);
    assert_memory_equal(&t.style[THEME_WARN], &d.style[THEME_WARN], sizeof d.style[0]);
    for (int i = 0; i < THEME_COUNT; i++)
        assert_false(d.style[i].attrs & THEME_A_BLINK);
}

static void test_malformed_lines_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"ok = green\nheader black, cyan\n", "bad.theme:2: expected \"element = fg, bg, attrs\""},
        {"\n\nsparkle = red\n", "bad.theme:3: unknown element \"sparkle\""},
        {"ok = purple\n", "bad.theme:1: ok: unknown colour \"purple\""},
        {"ok = green, 256\n", "bad.theme:1: ok: unknown colour \"256\""},
        {"ok = green, red, bold|shiny\n", "bad.theme:1: ok: unknown attribute \"shiny\""},
        {"ok = green, red, bold, extra\n", "bad.theme:1: ok: more than three fields"},
        {"ok = , red\n", "bad.theme:1: ok: missing foreground colour"},
        {"ok = brightdefault\n", "bad.theme:1: ok: unknown colour \"brightdefault\""},
        {"ok = 12/nope\n", "bad.theme:1: ok: unknown colour"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct theme t;
        char err[256] = "";
        theme_defaults(&t);
        assert_int_equal(theme_parse(&t, cases[i].text, "bad.theme", err, sizeof err), -1);
        if (strncmp(err, cases[i].expect, strlen(cases[i].expect)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].expect);
    }
}

static void test_load_errors(void **state)
{
    (void)state;
    char dir[200];
    assert_int_equal(fixture_tmpdir("theme", dir, sizeof dir), 0);
    char path[256], err[512] = "";
    struct theme t;
    snprintf(path, sizeof path, "%s/missing.theme", dir);
    assert_int_equal(theme_load(&t, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing.theme: cannot open"));

    snprintf(path, sizeof path, "%s/broken.theme", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# fine\nok = green\nwarn = yellow, default, flashy\n", f);
    fclose(f);
    assert_int_equal(theme_load(&t, path, err, sizeof err), -1);
    char want[300];
    snprintf(want, sizeof want, "%s:3: warn: unknown attribute \"flashy\"", path);
    assert_string_equal(err, want);
    assert_int_equal(fixture_rmtree(dir), 0);
}

static void test_theme_path(void **state)
{
    (void)state;
    char out[256];
    theme_path("/usr/share/twintop/themes", "mono", out, sizeof out);
    assert_string_equal(out, "/usr/share/twintop/themes/mono.theme");
    theme_path("/x", "./mine.theme", out, sizeof out);
    assert_string_equal(out, "./mine.theme");
}

static void test_element_names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < THEME_COUNT; i++) {
        assert_non_null(theme_element_name(i));
        assert_int_equal(theme_element_find(theme_element_name(i)), i);
    }
    assert_null(theme_element_name(THEME_COUNT));
}

static void test_glyph_fit_columns(void **state)
{
    (void)state;
    char out[64];
    /* UTF-8: the degree sign is one column; cutting never splits a character */
    assert_int_equal(glyph_fit("42 \xc2\xb0"
                               "C",
                               10, true, out, sizeof out),
                     5);
    assert_string_equal(out, "42 \xc2\xb0"
                             "C");
    assert_int_equal(glyph_fit("\xc2\xb0\xc2\xb0\xc2\xb0", 2, true, out, sizeof out), 2);
    assert_string_equal(out, "\xc2\xb0\xc2\xb0");
    /* ASCII twins */
    assert_int_equal(glyph_fit("55 \xc2\xb0"
                               "C m\xc2\xb3/h",
                               20, false, out, sizeof out),
                     9);
    assert_string_equal(out, "55 C m3/h");
    /* control characters never reach the terminal */
    glyph_fit("a\x1b[2Jb\tc", 20, true, out, sizeof out);
    assert_string_equal(out, "a[2Jbc");
    /* a small buffer truncates cleanly */
    char tiny[4];
    glyph_fit("abcdef", 10, true, tiny, sizeof tiny);
    assert_string_equal(tiny, "abc");
}

static void test_glyph_sets_are_twins(void **state)
{
    (void)state;
    const struct glyphs *u = glyph_set(true), *a = glyph_set(false);
    assert_true(u->utf8);
    assert_false(a->utf8);
    const char *const *ua = &u->bar_full, *const *aa = &a->bar_full;
    size_t n = (sizeof *u - offsetof(struct glyphs, bar_full)) / sizeof(const char *);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(ua[i]);
        assert_non_null(aa[i]);
        for (const char *p = aa[i]; *p; p++)
            assert_true((unsigned char)*p < 0x80);
        /* each glyph is one column in both sets */
        assert_int_equal(glyph_width(aa[i], false), 1);
        assert_int_equal(glyph_width(ua[i], true), 1);
    }
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_themes_load),
        cmocka_unit_test(test_mono_file_matches_builtin),
        cmocka_unit_test(test_mono_uses_no_colour),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_malformed_lines_name_file_and_line),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_theme_path),
        cmocka_unit_test(test_element_names_round_trip),
        cmocka_unit_test(test_glyph_fit_columns),
        cmocka_unit_test(test_glyph_sets_are_twins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
