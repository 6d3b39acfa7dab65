// SPDX-License-Identifier: MIT
#ifndef TWINTOP_JSON_ESCAPE_H
#define TWINTOP_JSON_ESCAPE_H
/*
 * The one JSON string escaper for text twintop writes itself (MQTT payloads, exports, status
 * lines) where building a cJSON tree per value would cost too much. Thread-safe: no state.
 */
#include <stddef.h>

/* Writes the body of a JSON string for src (no surrounding quotes) into dst, snprintf-style:
 * at most cap-1 bytes and a NUL, never a partial escape; '"' and '\\' are backslashed, control
 * bytes become \u00XX, every other byte (UTF-8 included) passes through. Returns the length the
 * whole body needs, so json_escape(NULL, 0, s) sizes a buffer. */
size_t json_escape(char *dst, size_t cap, const char *src);

/* Appends src as a whole quoted JSON string at buf + *off (buf holds len bytes, NUL-terminated
 * after the call). Returns 0 and advances *off, or -1 when it does not fit (*off unchanged). */
int json_append_string(char *buf, size_t len, size_t *off, const char *src);

#endif
