// SPDX-License-Identifier: MIT
/* Alarm persistence: audit records and alarm rows in a real SQLite file, restart with restored
 * state, expired shelve undone at start-up, broken files refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alarm.h"
#include "alarm_store.h"
#include "fixture.h"

#define T0 1700000000000LL
#define MIN (60 * 1000LL)

static char dir[64];
static char db_path[128];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(fixture_tmpdir("alarm-store", dir, sizeof dir), 0);
    snprintf(db_path, sizeof db_path, "%s/history.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_rmtree(dir) == 0 ? 0 : -1;
}

static int feed(struct alarm_manager *m, const char *machine, const char *cond, int prio,
                int64_t ts)
{
    struct alarm_input in = {.ts_ms = ts,
                             .machine_id = machine,
                             .condition = cond,
                             .priority = prio,
                             .active = true,
                             .value = 5.5,
                             .message = "limit exceeded"};
    return alarm_update(m, &in);
}

/* Runs a query returning one text cell per row, joined by '|' per column and ';' per row. */
static void query(const char *sql, char *out, size_t len)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            strncat(out, t ? (const char *)t : "NULL", len - strlen(out) - 1);
            strncat(out, c + 1 < sqlite3_column_count(st) ? "|" : ";", len - strlen(out) - 1);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_audit_and_restart(void **state)
{
    (void)state;
    char err[256], msg[160], out[2048];
    struct alarm_operator alice = {"alice", "10.1.2.3"};
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);
    struct alarm_store *s = alarm_store_open(db_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(alarm_store_attach(s, m, T0, err, sizeof err), 0);

    uint32_t a1 = (uint32_t)feed(m, "PUMP_001", "vibration_mm_s:hi", ALARM_PRIO_HIGH, T0);
    uint32_t a2 = (uint32_t)feed(m, "FAN_001", "bearing_temp_c:hi", ALARM_PRIO_MEDIUM, T0);
    uint32_t a3 = (uint32_t)feed(m, "GEAR_001", "oil_temp_c:hi", ALARM_PRIO_LOW, T0);
    assert_int_equal(alarm_ack(m, a1, &alice, msg, sizeof msg), 0);
    assert_int_equal(alarm_note(m, a1, &alice, "bearing ordered", msg, sizeof msg), 0);
    assert_int_equal(alarm_shelve(m, a2, &alice, 30 * MIN, "sensor swap", msg, sizeof msg), 0);
    assert_int_equal(alarm_shelve(m, a3, &alice, 1 * MIN, "known", msg, sizeof msg), 0);
    assert_int_equal(alarm_ack(m, a1, &alice, msg, sizeof msg), -1); /* refused: not recorded */
    assert_int_equal(alarm_store_flush(s), 0);

    query("SELECT action, operator, host, alarm_id, machine_id, condition FROM alarm_actions"
          " ORDER BY id",
          out, sizeof out);
    char want[512];
    snprintf(want, sizeof want,
             "ack|alice|10.1.2.3|%u|PUMP_001|vibration_mm_s:hi;"
             "note|alice|10.1.2.3|%u|PUMP_001|vibration_mm_s:hi;"
             "shelve|alice|10.1.2.3|%u|FAN_001|bearing_temp_c:hi;"
             "shelve|alice|10.1.2.3|%u|GEAR_001|oil_temp_c:hi;",
             a1, a1, a2, a3);
    assert_string_equal(out, want);
    query("SELECT reason FROM alarm_actions WHERE action='note'", out, sizeof out);
    assert_string_equal(out, "bearing ordered;");
    query("SELECT state, acked, acked_by, count, priority, note FROM alarms WHERE id=1", out,
          sizeof out);
    assert_string_equal(out, "active_acked|1|alice|1|high|bearing ordered;");
    query("SELECT state, shelve_reason FROM alarms WHERE machine_id='FAN_001'", out, sizeof out);
    assert_string_equal(out, "shelved|sensor swap;");
    query("PRAGMA journal_mode", out, sizeof out);
    assert_string_equal(out, "wal;");

    struct alarm_store_stats st;
    alarm_store_get_stats(s, &st);
    assert_int_equal(st.actions_written, 4);
    assert_int_equal(st.errors, 0);
    alarm_store_close(s);
    alarm_manager_destroy(m);

    /* restart 5 minutes later: state survives, the expired 1-minute shelve is undone */
    m = alarm_manager_create(NULL, 0, err, sizeof err);
    s = alarm_store_open(db_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(alarm_store_attach(s, m, T0 + 5 * MIN, err, sizeof err), 3);
    struct alarm_info info;
    assert_int_equal(alarm_get(m, a1, &info), 0);
    assert_int_equal(info.state, ALARM_ACTIVE_ACKED);
    assert_string_equal(info.acked_by, "alice");
    assert_string_equal(info.note, "bearing ordered");
    assert_int_equal(alarm_get(m, a2, &info), 0);
    assert_int_equal(info.state, ALARM_SHELVED);
    assert_true(info.shelved_until_ms == T0 + 30 * MIN);
    assert_int_equal(alarm_get(m, a3, &info), 0);
    assert_int_equal(info.state, ALARM_ACTIVE_UNACKED);
    /* a new alarm after the restart gets a fresh id and a row of its own */
    uint32_t a4 = (uint32_t)feed(m, "PUMP_001", "flow_m3h:lo", ALARM_PRIO_MEDIUM, T0 + 6 * MIN);
    assert_true(a4 > a3);
    assert_int_equal(alarm_store_flush(s), 0);
    query("SELECT action, operator, reason FROM alarm_actions WHERE id > 4", out, sizeof out);
    assert_string_equal(out, "unshelve|system|shelve expired before start-up;");
    query("SELECT count(*) FROM alarms", out, sizeof out);
    assert_string_equal(out, "4;");
    alarm_store_close(s);
    alarm_manager_destroy(m);
}

static void test_broken_files_refused(void **state)
{
    (void)state;
    char err[256] = "";
    char path[160];
    snprintf(path, sizeof path, "%s/garbage.db", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file at all\n", f);
    fclose(f);
    assert_null(alarm_store_open(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a database"));
    snprintf(path, sizeof path, "%s/garbage.db/x.db", dir); /* a file where a folder must be */
    assert_null(alarm_store_open(path, err, sizeof err));
    assert_non_null(strstr(err, path));
}

/* Another connection (the sample store's) writes the same file at the same time. */
static void test_shared_file(void **state)
{
    (void)state;
    char err[256], msg[160], out[256];
    sqlite3 *other;
    assert_int_equal(sqlite3_open(db_path, &other), SQLITE_OK);
    sqlite3_busy_timeout(other, 5000);
    assert_int_equal(sqlite3_exec(other,
                                  "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS samples(x);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    struct alarm_operator bob = {"bob", ""};
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);
    struct alarm_store *s = alarm_store_open(db_path, err, sizeof err);
    assert_non_null(s);
    int restored = alarm_store_attach(s, m, T0, err, sizeof err);
    assert_true(restored >= 0);
    for (int i = 0; i < 200; i++) {
        char cond[32];
        snprintf(cond, sizeof cond, "s%d:hi", i);
        uint32_t id = (uint32_t)feed(m, "CNC-001", cond, ALARM_PRIO_LOW, T0 + i);
        alarm_ack(m, id, &bob, msg, sizeof msg);
        assert_int_equal(sqlite3_exec(other, "INSERT INTO samples VALUES(1)", NULL, NULL, NULL),
                         SQLITE_OK);
    }
    assert_int_equal(alarm_store_flush(s), 0);
    alarm_store_close(s);
    alarm_manager_destroy(m);
    sqlite3_close(other);
    query("SELECT count(*) FROM alarm_actions WHERE operator='bob'", out, sizeof out);
    assert_string_equal(out, "200;");
}

/* A burst of row updates larger than the queue: rows are shed, then rewritten from the
 * manager, so the table ends up matching the manager exactly. */
static void test_burst_resync(void **state)
{
    (void)state;
    char err[256], out[256], cond[32], sql[160];
    struct alarm_manager *m = alarm_manager_create(NULL, 0, err, sizeof err);
    struct alarm_store *s = alarm_store_open(db_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(alarm_store_attach(s, m, T0, err, sizeof err), 0);
    for (int r = 0; r < 12; r++) {
        for (int i = 0; i < 400; i++) {
            snprintf(cond, sizeof cond, "s%d:hi", i);
            struct alarm_input in = {.ts_ms = T0 + r * 10 * MIN + i,
                                     .machine_id = "KILN_001",
                                     .condition = cond,
                                     .priority = 1,
                                     .active = r % 2 == 0,
                                     .value = r};
            alarm_update(m, &in);
        }
    }
    assert_int_equal(alarm_store_flush(s), 0);
    struct alarm_store_stats st;
    alarm_store_get_stats(s, &st);
    query("SELECT count(*), sum(count), sum(active), min(state), max(state) FROM alarms", out,
          sizeof out);
    assert_string_equal(out, "400|2400|0|cleared_unacked|cleared_unacked;");
    snprintf(sql, sizeof sql, "SELECT last_value FROM alarms WHERE condition='s399:hi'");
    query(sql, out, sizeof out);
    assert_string_equal(out, "11.0;");
    assert_int_equal(st.dropped, 0);
    print_message("burst: %llu rows written, %llu resyncs\n", (unsigned long long)st.alarms_written,
                  (unsigned long long)st.resyncs);
    alarm_store_close(s);
    alarm_manager_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_files_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_resync, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
