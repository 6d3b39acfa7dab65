// SPDX-License-Identifier: MIT
/* Glyph sets (UTF-8 and ASCII twins) and text fitting by display columns. */
#include "glyph.h"

#include <langinfo.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

static const struct glyphs glyph_utf8 = {
    .utf8 = true,
    .bar_full = "\u2588",
    .bar_empty = "\u2591",
    .bar_part = {"\u2591", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"},
    .level = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"},
    .hline = "\u2500",
    .vline = "\u2502",
    .corner_ul = "\u250c",
    .corner_ur = "\u2510",
    .corner_ll = "\u2514",
    .corner_lr = "\u2518",
    .limit = "\u2504",
    .marker = "\u25b6",
    .more_up = "\u25b2",
    .more_down = "\u25bc",
    .sep = "\u2502",
};

static const struct glyphs glyph_ascii = {
    .utf8 = false,
    .bar_full = "#",
    .bar_empty = ".",
    .bar_part = {".", ".", ".", ":", ":", ":", "=", "="},
    .level = {"_", ".", "-", "-", "=", "=", "*", "#"},
    .hline = "-",
    .vline = "|",
    .corner_ul = "+",
    .corner_ur = "+",
    .corner_ll = "+",
    .corner_lr = "+",
    .limit = "-",
    .marker = ">",
    .more_up = "^",
    .more_down = "v",
    .sep = "|",
};

/* ASCII twins of the non-ASCII characters units and labels use. */
static const struct {
    uint32_t cp;
    const char *ascii;
} glyph_twins[] = {
    {0x00b0, ""}, /* degree: "°C" -> "C" */
    {0x00b2, "2"}, {0x00b3, "3"}, {0x00b5, "u"}, {0x03bc, "u"}, {0x03a9, "Ohm"}, {0x00b7, "."},
    {0x00d7, "x"}, {0x2013, "-"}, {0x2014, "-"}, {0x2212, "-"}, {0x2026, "..."}, {0x00a0, " "},
};

bool glyph_locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

const struct glyphs *glyph_set(bool utf8)
{
    return utf8 ? &glyph_utf8 : &glyph_ascii;
}

/* Decodes one UTF-8 sequence; invalid bytes decode as U+FFFD of length 1. */
static int decode(const unsigned char *s, uint32_t *cp)
{
    int n = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (n == 0) {
        *cp = 0xfffd;
        return 1;
    }
    if (n == 1) {
        *cp = s[0];
        return 1;
    }
    uint32_t v = s[0] & (0x3f >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return n;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

static const char *ascii_twin(uint32_t cp)
{
    for (size_t i = 0; i < sizeof glyph_twins / sizeof glyph_twins[0]; i++)
        if (glyph_twins[i].cp == cp)
            return glyph_twins[i].ascii;
    return "?";
}

int glyph_fit(const char *src, int cols, bool utf8, char *dst, size_t dstlen)
{
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    size_t out = 0;
    int used = 0;
    if (dstlen == 0)
        return 0;
    while (*s && used < cols) {
        uint32_t cp;
        int n = decode(s, &cp);
        const char *piece = (const char *)s;
        size_t piece_len = (size_t)n;
        int w = 1;
        if (is_control(cp)) {
            s += n;
            continue;
        }
        if (cp >= 0x80) {
            if (utf8) {
                w = wcwidth((wchar_t)cp);
                if (w < 0 || cp == 0xfffd) {
                    piece = "?";
                    piece_len = 1;
                    w = 1;
                }
            } else {
                piece = ascii_twin(cp);
                piece_len = strlen(piece);
                w = (int)piece_len;
            }
        }
        if (used + w > cols || out + piece_len + 1 > dstlen)
            break;
        memcpy(dst + out, piece, piece_len);
        out += piece_len;
        used += w;
        s += n;
    }
    dst[out] = '\0';
    return used;
}

int glyph_width(const char *s, bool utf8)
{
    char buf[1024];
    return glyph_fit(s, (int)sizeof buf, utf8, buf, sizeof buf);
}
