// SPDX-License-Identifier: MIT
/* The notify hook: a real shell script receives the alarm as valid JSON on stdin for new and
 * cleared high/critical alarms only; failing, slow and non-reading hooks are counted, killed,
 * and never take the program down; the rate limit holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alarm.h"
#include "alarm_notify.h"
#include "fixture.h"

#define T0 1700000000000LL

static char dir[64];
static char out_path[128];
static char log_line[256];
static int log_lines;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(fixture_tmpdir("notify", dir, sizeof dir), 0);
    snprintf(out_path, sizeof out_path, "%s/received.jsonl", dir);
    log_lines = 0;
    log_line[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_rmtree(dir) == 0 ? 0 : -1;
}

static void write_script(const char *name, const char *body, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static void on_log(void *ctx, const char *line)
{
    (void)ctx;
    snprintf(log_line, sizeof log_line, "%s", line);
    log_lines++;
}

static int feed(struct alarm_manager *m, const char *cond, int prio, bool active, int64_t ts)
{
    struct alarm_input in = {.ts_ms = ts,
                             .machine_id = "PUMP_001",
                             .condition = cond,
                             .priority = prio,
                             .active = active,
                             .value = 9.5,
                             .message = "vibration above alarm limit"};
    return alarm_update(m, &in);
}

static struct notify *start(struct alarm_manager *m, const char *script, int timeout_ms,
                            int per_minute)
{
    char err[256];
    struct notify_options opt = {
        .command = script, .timeout_ms = timeout_ms, .max_per_minute = per_minute, .log = on_log};
    struct notify *n = notify_create(&opt, err, sizeof err);
    if (!n)
        fail_msg("%s", err);
    assert_int_equal(notify_attach(n, m, err, sizeof err), 0);
    return n;
}

static void test_hook_receives_json(void **state)
{
    (void)state;
    char script[128], body[512], err[128], line[2048];
    snprintf(body, sizeof body,
             "{ cat; } >> '%s'\necho \"$TWINTOP_ALARM_MACHINE $TWINTOP_ALARM_PRIORITY "
             "$TWINTOP_ALARM_CHANGE\" >> '%s.env'",
             out_path, out_path);
    write_script("hook.sh", body, script, sizeof script);
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);
    struct notify *n = start(m, script, 10000, 60);
    feed(m, "vibration_mm_s:hi", ALARM_PRIO_CRITICAL, true, T0);
    feed(m, "flow_m3h:lo", ALARM_PRIO_MEDIUM, true, T0 + 1000); /* medium: not sent */
    feed(m, "vibration_mm_s:hi", ALARM_PRIO_CRITICAL, false, T0 + 2000);
    notify_flush(n);
    struct notify_stats st;
    notify_get_stats(n, &st);
    assert_int_equal(st.run, 2);
    assert_int_equal(st.failed, 0);

    FILE *f = fopen(out_path, "r");
    assert_non_null(f);
    const char *changes[] = {"raise", "clear"};
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o); /* valid JSON */
        assert_int_equal(lines < 2, 1);
        assert_string_equal(cJSON_GetObjectItem(o, "machine_id")->valuestring, "PUMP_001");
        assert_string_equal(cJSON_GetObjectItem(o, "condition")->valuestring, "vibration_mm_s:hi");
        assert_string_equal(cJSON_GetObjectItem(o, "priority")->valuestring, "critical");
        assert_string_equal(cJSON_GetObjectItem(o, "change")->valuestring, changes[lines]);
        assert_true(cJSON_GetObjectItem(o, "value")->valuedouble == 9.5);
        assert_string_equal(cJSON_GetObjectItem(o, "message")->valuestring,
                            "vibration above alarm limit");
        cJSON_Delete(o);
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, 2);
    snprintf(line, sizeof line, "%s.env", out_path);
    f = fopen(line, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "PUMP_001 critical raise\n");
    fclose(f);
    notify_destroy(n);
    alarm_manager_destroy(m);
}

static void test_failing_slow_and_deaf_hooks(void **state)
{
    (void)state;
    char script[128], err[128];
    struct notify_stats st;
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);

    write_script("fail.sh", "cat >/dev/null; exit 3", script, sizeof script);
    struct notify *n = start(m, script, 10000, 60);
    feed(m, "a:hi", ALARM_PRIO_HIGH, true, T0);
    notify_flush(n);
    notify_get_stats(n, &st);
    assert_int_equal(st.failed, 1);
    assert_non_null(strstr(st.last_error, "exit status 3"));
    assert_non_null(strstr(log_line, "exit status 3"));
    notify_destroy(n);

    /* a hook that hangs is killed at its time-out; the alarm manager never waits for it */
    write_script("slow.sh", "exec sleep 30", script, sizeof script);
    n = start(m, script, 300, 60);
    feed(m, "b:hi", ALARM_PRIO_HIGH, true, T0 + 1000);
    feed(m, "c:hi", ALARM_PRIO_HIGH, true, T0 + 1001);
    assert_true(alarm_count(m) == 3); /* both updates returned while the hook hangs */
    notify_flush(n);
    notify_get_stats(n, &st);
    assert_int_equal(st.timed_out, 2);
    assert_non_null(strstr(st.last_error, "killed after 300 ms"));
    notify_destroy(n);

    /* a hook that exits without reading its input: EPIPE, not SIGPIPE */
    write_script("deaf.sh", "exit 0", script, sizeof script);
    n = start(m, script, 5000, 60);
    for (int i = 0; i < 5; i++) {
        char cond[16];
        snprintf(cond, sizeof cond, "d%d:hi", i);
        feed(m, cond, ALARM_PRIO_CRITICAL, true, T0 + 2000 + i);
    }
    notify_flush(n);
    notify_get_stats(n, &st);
    assert_int_equal(st.run + st.failed, 5);
    notify_destroy(n);
    alarm_manager_destroy(m);
}

static void test_rate_limit_and_bad_command(void **state)
{
    (void)state;
    char script[128], err[256];
    struct notify_stats st;
    write_script("ok.sh", "cat >/dev/null", script, sizeof script);
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);
    struct notify *n = start(m, script, 10000, 2);
    for (int i = 0; i < 5; i++) {
        char cond[16];
        snprintf(cond, sizeof cond, "r%d:hi", i);
        feed(m, cond, ALARM_PRIO_HIGH, true, T0 + i);
    }
    notify_flush(n);
    notify_get_stats(n, &st);
    assert_int_equal(st.run, 2);
    assert_int_equal(st.rate_limited, 3);
    notify_destroy(n);
    alarm_manager_destroy(m);

    struct notify_options opt = {.command = "/nonexistent/hook"};
    assert_null(notify_create(&opt, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/hook"));
    snprintf(script, sizeof script, "%s/plain.txt", dir);
    FILE *f = fopen(script, "w");
    fclose(f);
    opt.command = script;
    assert_null(notify_create(&opt, err, sizeof err));
    assert_non_null(strstr(err, "not an executable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hook_receives_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_slow_and_deaf_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_and_bad_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
