// SPDX-License-Identifier: MIT
/* JSON string escaping for the payloads, exports and status lines twintop formats itself. */
#include "json_escape.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t json_escape(char *dst, size_t cap, const char *src)
{
    size_t need = 0, used = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        char esc[8];
        size_t l;
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            l = 2;
        } else if (*p < 0x20) {
            l = (size_t)snprintf(esc, sizeof esc, "\\u%04x", *p);
        } else {
            esc[0] = (char)*p;
            l = 1;
        }
        if (dst && used == need && used + l < cap) {
            memcpy(dst + used, esc, l);
            used += l;
        }
        need += l;
    }
    if (dst && cap)
        dst[used] = '\0';
    return need;
}

int json_append_string(char *buf, size_t len, size_t *off, const char *src)
{
    size_t room = len - *off, need = json_escape(NULL, 0, src) + 2;
    if (*off >= len || need >= room)
        return -1;
    buf[*off] = '"';
    json_escape(buf + *off + 1, room - 1, src);
    buf[*off + need - 1] = '"';
    buf[*off + need] = '\0';
    *off += need;
    return 0;
}

void json_out_printf(struct json_out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= o->len - o->off)
        o->overflow = true;
    else
        o->off += (size_t)w;
}

void json_out_string(struct json_out *o, const char *s)
{
    if (!o->overflow && json_append_string(o->buf, o->len, &o->off, s) != 0)
        o->overflow = true;
}
