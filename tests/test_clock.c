// SPDX-License-Identifier: MIT
/* core/clock and core/json_escape: the time formats and the one JSON string escaper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "clock.h"
#include "json_escape.h"

static void test_iso8601_strict(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(clock_parse_iso8601("1970-01-01T00:00:00Z", &ms), 0);
    assert_true(ms == 0);
    assert_int_equal(clock_parse_iso8601("2026-11-22 10:00:00.5", &ms), 0);
    assert_true(ms == 1795341600500LL);
    assert_int_equal(clock_parse_iso8601("2026-11-22T12:00:00+0200", &ms), 0);
    assert_true(ms == 1795341600000LL);
    assert_int_equal(clock_parse_iso8601("2026-11-22T05:30:00-04:30", &ms), 0);
    assert_true(ms == 1795341600000LL);
    assert_int_equal(clock_parse_iso8601("2026-11-22T10:00:00Zjunk", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22T10:00", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-13-22T10:00:00Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22T10:00:00.Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22T10:00:00+25:00", &ms), -1);
    /* impossible dates are refused, not rolled over into the next month or minute */
    assert_int_equal(clock_parse_iso8601("2026-02-30T10:00:00Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-02-29T10:00:00Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2028-02-29T10:00:00Z", &ms), 0);
    assert_int_equal(clock_parse_iso8601("2100-02-29T10:00:00Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2000-02-29T10:00:00Z", &ms), 0);
    assert_int_equal(clock_parse_iso8601("2026-04-31T10:00:00Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22T10:00:60Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601_partial("2026-02-30", &ms), -1);
}

static void test_iso8601_partial(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(clock_parse_iso8601_partial("2026-11-22", &ms), 0);
    assert_true(ms == 1795305600000LL);
    assert_int_equal(clock_parse_iso8601_partial("2026-11-22T10:00", &ms), 0);
    assert_true(ms == 1795341600000LL);
    assert_int_equal(clock_parse_iso8601_partial("2026-11-22T10:00:00.250Z", &ms), 0);
    assert_true(ms == 1795341600250LL);
    assert_int_equal(clock_parse_iso8601_partial("2026-11-22T10", &ms), -1);
    assert_int_equal(clock_parse_iso8601_partial("yesterday", &ms), -1);
}

static void test_format_round_trip(void **state)
{
    (void)state;
    char out[40];
    clock_format_iso8601(1795341600250LL, out, sizeof out);
    assert_string_equal(out, "2026-11-22T10:00:00.250Z");
    clock_format_iso8601(-1, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    int64_t back;
    assert_int_equal(clock_parse_iso8601(out, &back), 0);
    assert_true(back == -1);
}

static void test_duration(void **state)
{
    (void)state;
    double s;
    assert_int_equal(clock_parse_duration("90s", &s), 0);
    assert_true(s == 90);
    assert_int_equal(clock_parse_duration("1500ms", &s), 0);
    assert_true(s == 1.5);
    assert_int_equal(clock_parse_duration("7d", &s), 0);
    assert_true(s == 7 * 86400);
    assert_int_equal(clock_parse_duration("2.5", &s), 0);
    assert_true(s == 2.5);
    assert_int_equal(clock_parse_duration("-1s", &s), -1);
    assert_int_equal(clock_parse_duration("5 weeks", &s), -1);
    assert_int_equal(clock_parse_duration("", &s), -1);
    assert_int_equal(clock_parse_duration("nan", &s), -1);
}

static void test_clocks_move_forward(void **state)
{
    (void)state;
    int64_t wall = clock_wall_ms();
    assert_true(wall > 1700000000000LL); /* after 2023: the real clock, not a monotonic one */
    int64_t m0 = clock_monotonic_ms();
    double s0 = clock_monotonic_s();
    clock_sleep_ms(20, NULL);
    assert_true(clock_monotonic_ms() - m0 >= 20);
    assert_true(clock_monotonic_s() - s0 >= 0.019);
}

static void test_json_escape(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(json_escape(out, sizeof out, "a\"b\\c"), 7);
    assert_string_equal(out, "a\\\"b\\\\c");
    assert_int_equal(json_escape(out, sizeof out, "t\x01\n"), 13);
    assert_string_equal(out, "t\\u0001\\u000a");
    assert_int_equal(json_escape(out, sizeof out, "\xc3\xa9"), 2); /* UTF-8 passes through */
    assert_string_equal(out, "\xc3\xa9");
    assert_int_equal(json_escape(NULL, 0, "x\"y"), 4);
    /* Truncation never leaves half an escape behind. */
    char small[4];
    assert_int_equal(json_escape(small, sizeof small, "ab\"c"), 5);
    assert_string_equal(small, "ab");
    assert_int_equal(json_escape(small, 1, "abc"), 3);
    assert_string_equal(small, "");
}

static void test_json_append_string(void **state)
{
    (void)state;
    char buf[16] = "x=";
    size_t off = 2;
    assert_int_equal(json_append_string(buf, sizeof buf, &off, "a\"b"), 0);
    assert_string_equal(buf, "x=\"a\\\"b\"");
    assert_int_equal(off, 8);
    /* 8 used, 8 left: a 7-byte string needs 9 with quotes and does not fit; nothing moves. */
    assert_int_equal(json_append_string(buf, sizeof buf, &off, "1234567"), -1);
    assert_int_equal(off, 8);
    assert_int_equal(json_append_string(buf, sizeof buf, &off, "12345"), 0);
    assert_string_equal(buf, "x=\"a\\\"b\"\"12345\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso8601_strict),      cmocka_unit_test(test_iso8601_partial),
        cmocka_unit_test(test_format_round_trip),   cmocka_unit_test(test_duration),
        cmocka_unit_test(test_clocks_move_forward), cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_append_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
