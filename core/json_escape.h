// SPDX-License-Identifier: MIT
#ifndef TWINTOP_JSON_ESCAPE_H
#define TWINTOP_JSON_ESCAPE_H
/*
 * The one JSON string escaper for text twintop writes itself (MQTT payloads, exports, status
 * lines) where building a cJSON tree per value would cost too much. Thread-safe: no state.
 */
#include <stdbool.h>
#include <stddef.h>

/* Writes the body of a JSON string for src (no surrounding quotes) into dst, snprintf-style:
 * at most cap-1 bytes and a NUL, never a partial escape; '"' and '\\' are backslashed, control
 * bytes become \u00XX, every other byte (UTF-8 included) passes through. Returns the length the
 * whole body needs, so json_escape(NULL, 0, s) sizes a buffer. */
size_t json_escape(char *dst, size_t cap, const char *src);

/* Appends src as a whole quoted JSON string at buf + *off (buf holds len bytes, NUL-terminated
 * after the call). Returns 0 and advances *off, or -1 when it does not fit (*off unchanged). */
int json_append_string(char *buf, size_t len, size_t *off, const char *src);

/* A payload being written into a fixed buffer: what does not fit sets overflow, and every later
 * write is a no-op, so a writer checks once at the end. */
struct json_out {
    char *buf;
    size_t len, off;
    bool overflow;
};
/* Appends printf-formatted text. */
__attribute__((format(printf, 2, 3))) void json_out_printf(struct json_out *o, const char *fmt,
                                                           ...);
/* Appends a quoted JSON string (json_append_string). */
void json_out_string(struct json_out *o, const char *s);

#endif
