// SPDX-License-Identifier: MIT
/* The option parser: defaults, every kind of option (flag, string, int, u64, duration, speed,
 * topic), errors that name the option, config files with FILE:LINE: errors, unknown options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fixture.h"

struct fixture {
    char dir[256];
    struct config cfg;
    char err[1024];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (fixture_tmpdir("test-config", f->dir, sizeof f->dir) < 0) {
        free(f);
        return -1;
    }
    config_defaults(&f->cfg, "build/twintop");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (fixture_rmtree(f->dir) != 0)
        return -1;
    free(f);
    return 0;
}

/* Parses the given arguments (after a program name) into f->cfg. */
static int parse(struct fixture *f, int n, const char *const *args)
{
    static char store[32][512];
    char *argv[33];
    snprintf(store[0], sizeof store[0], "twintop");
    argv[0] = store[0];
    assert_true(n < 32);
    for (int i = 0; i < n; i++) {
        snprintf(store[i + 1], sizeof store[i + 1], "%s", args[i]);
        argv[i + 1] = store[i + 1];
    }
    argv[n + 1] = NULL;
    f->err[0] = '\0';
    return config_parse_args(&f->cfg, n + 1, argv, 1, f->err, sizeof f->err);
}

#define PARSE(f, ...)                                                                          \
    parse((f), (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)),     \
          (const char *const[]){__VA_ARGS__})

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_true(fputs(text, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
}

static void assert_err_has(const struct fixture *f, const char *needle)
{
    if (!strstr(f->err, needle))
        fail_msg("error '%s' does not contain '%s'", f->err, needle);
}

static void test_defaults(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    assert_string_equal(c->scenario, "demo");
    assert_string_equal(c->theme, "default");
    assert_string_equal(c->topic_prefix, "dt");
    assert_int_equal(c->seed, 1);
    assert_true(c->speed == 1.0);
    assert_true(c->duration_s == 0);
    assert_false(c->headless);
    assert_false(c->no_db);
    assert_false(c->no_bell);
    assert_int_equal(c->status_interval_ms, 1000);
    assert_true(c->retain_raw_s == 7 * 86400.0);
    assert_true(c->retain_rollups_s == 400 * 86400.0);
    assert_int_equal(c->qos, 1);
    assert_int_equal(c->mqtt_version, 5);
    assert_int_equal(c->max_machines, 1000);
    assert_int_equal(c->topic_count, 0);
    assert_non_null(strstr(c->catalog, "machines.json"));
    assert_non_null(strstr(c->db_path, "twintop/history.db"));
    /* No arguments: still valid, nothing changes. */
    assert_int_equal(parse(f, 0, NULL), 0);
    assert_int_equal(c->seed, 1);
}

static void test_every_option_kind(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    assert_int_equal(PARSE(f, "--headless", "--no-bell", "--theme", "mono", "--operator=ann",
                           "--status-interval", "250", "--seed", "18446744073709551615",
                           "--duration", "15m", "--retain-raw=2d", "--speed", "60", "--topic",
                           "dt/+/+/telemetry", "--topic=plant/#", "--qos", "0"),
                     0);
    assert_true(c->headless);
    assert_true(c->no_bell);
    assert_string_equal(c->theme, "mono");
    assert_string_equal(c->operator_name, "ann");
    assert_int_equal(c->status_interval_ms, 250);
    assert_true(c->seed == UINT64_MAX);
    assert_true(c->duration_s == 900.0);
    assert_true(c->retain_raw_s == 2 * 86400.0);
    assert_true(c->speed == 60.0);
    assert_int_equal(c->topic_count, 2);
    assert_string_equal(c->topics[0], "dt/+/+/telemetry");
    assert_string_equal(c->topics[1], "plant/#");
    assert_int_equal(c->qos, 0);
    assert_int_equal(PARSE(f, "--speed", "max"), 0);
    assert_true(c->speed == 0);
    assert_int_equal(PARSE(f, "--duration", "90s"), 0);
    assert_true(c->duration_s == 90.0);
}

static void test_bad_values_name_the_option(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(PARSE(f, "--status-interval", "fast"), -1);
    assert_err_has(f, "--status-interval");
    assert_err_has(f, "fast");
    assert_int_equal(PARSE(f, "--max-machines", "-3"), -1);
    assert_err_has(f, "--max-machines");
    /* beyond the documented hard limit: refused, not clamped */
    assert_int_equal(PARSE(f, "--max-machines", "100001"), -1);
    assert_err_has(f, "--max-machines: 100001 is out of range (1..100000)");
    assert_int_equal(PARSE(f, "--max-machines", "100000"), 0);
    assert_int_equal(PARSE(f, "--seed", "-1"), -1);
    assert_err_has(f, "--seed");
    assert_int_equal(PARSE(f, "--seed", "12x"), -1);
    assert_err_has(f, "--seed");
    assert_int_equal(PARSE(f, "--duration", "soon"), -1);
    assert_err_has(f, "--duration");
    assert_int_equal(PARSE(f, "--retain-rollups", "-5d"), -1);
    assert_err_has(f, "--retain-rollups");
    assert_int_equal(PARSE(f, "--speed", "0"), -1);
    assert_err_has(f, "--speed");
    assert_int_equal(PARSE(f, "--speed", "fast"), -1);
    assert_err_has(f, "--speed");
    assert_int_equal(PARSE(f, "--qos", "2"), -1);
    assert_err_has(f, "--qos");
    config_defaults(&f->cfg, "build/twintop"); /* range checks look at the whole config */
    assert_int_equal(PARSE(f, "--mqtt-version", "4"), -1);
    assert_err_has(f, "--mqtt-version");
    assert_int_equal(PARSE(f, "--theme"), -1); /* missing value */
    assert_err_has(f, "--theme");
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(PARSE(f, "--theme", longname), -1); /* theme holds 127 characters */
    assert_err_has(f, "--theme");
    /* Too many topics. */
    config_defaults(&f->cfg, "build/twintop");
    for (int i = 0; i < CONFIG_TOPICS_MAX; i++)
        assert_int_equal(PARSE(f, "--topic", "a/b"), 0);
    assert_int_equal(PARSE(f, "--topic", "a/c"), -1);
    assert_err_has(f, "--topic");
}

static void test_unknown_option(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(PARSE(f, "--frobnicate"), -1);
    assert_err_has(f, "--frobnicate");
    assert_int_equal(PARSE(f, "--frobnicate=3"), -1);
    assert_err_has(f, "frobnicate");
    assert_int_equal(PARSE(f, "stray"), -1);
    assert_err_has(f, "stray");
}

static void test_config_file_good_lines(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    char path[512];
    snprintf(path, sizeof path, "%s/good.conf", f->dir);
    write_file(path, "# a comment\n"
                     "\n"
                     "  seed = 42  \n"
                     "speed=max\n"
                     "headless = true\n"
                     "no-bell\n"
                     "no-db = false\n"
                     "duration = 24h\n"
                     "topic = dt/+/+/telemetry\n"
                     "topic-prefix = plant\r\n"
                     "status-interval = 500\n");
    assert_int_equal(config_load_file(&f->cfg, path, f->err, sizeof f->err), 0);
    assert_int_equal(c->seed, 42);
    assert_true(c->speed == 0);
    assert_true(c->headless);
    assert_true(c->no_bell);
    assert_false(c->no_db);
    assert_true(c->duration_s == 86400.0);
    assert_int_equal(c->topic_count, 1);
    assert_string_equal(c->topics[0], "dt/+/+/telemetry");
    assert_string_equal(c->topic_prefix, "plant");
    assert_int_equal(c->status_interval_ms, 500);
    /* Through --config, and the command line after it wins. */
    config_defaults(&f->cfg, "build/twintop");
    char opt[600];
    snprintf(opt, sizeof opt, "--config=%s", path);
    assert_int_equal(PARSE(f, opt, "--seed", "7"), 0);
    assert_int_equal(c->seed, 7);
    assert_true(c->headless);
}

static void test_config_file_bad_line_gives_file_and_line(void **state)
{
    struct fixture *f = *state;
    char path[512], want[600];
    snprintf(path, sizeof path, "%s/bad.conf", f->dir);
    write_file(path, "seed = 3\n# fine\nstatus-interval = often\nqos = 0\n");
    assert_int_equal(config_load_file(&f->cfg, path, f->err, sizeof f->err), -1);
    snprintf(want, sizeof want, "%s:3:", path);
    assert_err_has(f, want);
    assert_err_has(f, "status-interval");
    assert_int_equal(f->cfg.seed, 3); /* lines before the bad one were read */

    write_file(path, "seed = 3\nwibble = 1\n");
    assert_int_equal(config_load_file(&f->cfg, path, f->err, sizeof f->err), -1);
    snprintf(want, sizeof want, "%s:2:", path);
    assert_err_has(f, want);
    assert_err_has(f, "wibble");

    write_file(path, "headless = maybe\n");
    assert_int_equal(config_load_file(&f->cfg, path, f->err, sizeof f->err), -1);
    snprintf(want, sizeof want, "%s:1:", path);
    assert_err_has(f, want);
    assert_err_has(f, "headless");

    write_file(path, "\ntheme =\n");
    assert_int_equal(config_load_file(&f->cfg, path, f->err, sizeof f->err), -1);
    snprintf(want, sizeof want, "%s:2:", path);
    assert_err_has(f, want);
    assert_err_has(f, "theme");

    /* A file that is not there: its name in the message. */
    snprintf(path, sizeof path, "%s/missing.conf", f->dir);
    assert_int_equal(config_load_file(&f->cfg, path, f->err, sizeof f->err), -1);
    assert_err_has(f, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_option_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_name_the_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_good_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file_bad_line_gives_file_and_line, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
