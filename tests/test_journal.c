// SPDX-License-Identifier: MIT
/* The MQTT journal: records survive a close without commit, a torn tail is cut, a second
 * recorder is locked out, committed records leave; and against a real mosquitto, a subscriber
 * killed inside its handler gets that message again (the PUBACK waits for the handler). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "journal.h"
#include "mqtt.h"
#include "test_mqtt_broker.h"

struct seen {
    int count;
    char topics[16][64];
    char payloads[16][64];
    int64_t received[16];
};

static int collect(void *ctx, int64_t received_ms, const char *topic, const void *payload,
                   size_t len)
{
    struct seen *s = ctx;
    if (s->count < 16) {
        snprintf(s->topics[s->count], 64, "%s", topic);
        snprintf(s->payloads[s->count], 64, "%.*s", (int)len, (const char *)payload);
        s->received[s->count] = received_ms;
    }
    s->count++;
    return 0;
}

static void journal_path(char *path, size_t len)
{
    char dir[256];
    assert_int_equal(fixture_tmpdir("journal", dir, sizeof dir), 0);
    snprintf(path, len, "%s/sub/h.db.mqtt-journal", dir);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_records_survive_until_committed(void **state)
{
    (void)state;
    char path[300], err[256];
    journal_path(path, sizeof path);
    struct journal *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_left(j), 0);
    assert_int_equal(journal_run(j), 0);
    assert_int_equal(journal_begin(j, 7, err, sizeof err), 0);
    assert_int_equal(journal_append(j, 1000, "dt/a/b/telemetry", "{\"x\":1}", 7), 0);
    assert_int_equal(journal_append(j, 2000, "dt/a/b/telemetry", "{\"x\":2}", 7), 0);
    journal_mark(j, 10); /* the two produced samples 0..9 */
    assert_int_equal(journal_append(j, 3000, "spBv1.0/g/DDATA/n/d", "\x08\x01", 2), 0);
    journal_mark(j, 12);
    assert_null(journal_open(path, err, sizeof err)); /* one recorder per journal */
    assert_non_null(strstr(err, "another twintop"));
    journal_sync(j, 5, 0); /* not even the first mark: nothing leaves */
    journal_finish(j, 5);  /* a failed run: the file stays */

    j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_left(j), 3);
    assert_int_equal(journal_run(j), 7);
    struct seen s = {0};
    assert_int_equal(journal_each(j, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 3);
    assert_string_equal(s.payloads[1], "{\"x\":2}");
    assert_int_equal(s.received[2], 3000);
    assert_string_equal(s.topics[2], "spBv1.0/g/DDATA/n/d");
    assert_int_equal(journal_begin(j, 7, err, sizeof err), 0); /* left records stay */
    journal_mark(j, 12);
    journal_sync(j, 12, 0); /* all committed: the file is back to its header */
    assert_int_equal(file_size(path), 16);
    journal_finish(j, 12); /* clean: removed */
    assert_int_equal(file_size(path), -1);
    j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_begin(j, 8, err, sizeof err), 0);
    journal_finish(j, 0); /* a clean end: removed, the next recorder starts a new run */
    assert_int_equal(file_size(path), -1);
    j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_run(j), 0);
    assert_int_equal(journal_begin(j, 9, err, sizeof err), 0);
    assert_int_equal(journal_append(j, 4000, "t", "p", 1), 0);
    journal_mark(j, 13);
    journal_finish(j, 13);
    assert_int_equal(file_size(path), -1); /* nothing uncommitted: removed */
}

static void test_torn_tail_is_cut(void **state)
{
    (void)state;
    char path[300], err[256];
    journal_path(path, sizeof path);
    struct journal *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_begin(j, 3, err, sizeof err), 0);
    assert_int_equal(journal_append(j, 1, "t/1", "one", 3), 0);
    assert_int_equal(journal_append(j, 2, "t/2", "two", 3), 0);
    journal_finish(j, 0);
    off_t whole = file_size(path);
    assert_int_equal(truncate(path, whole - 2), 0); /* power lost in the middle of the second */
    j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_left(j), 1);
    struct seen s = {0};
    assert_int_equal(journal_each(j, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.payloads[0], "one");
    journal_finish(j, 0);

    FILE *f = fopen(path, "w");
    fputs("not a journal at all", f);
    fclose(f);
    assert_null(journal_open(path, err, sizeof err));
    assert_non_null(strstr(err, "not a twintop journal"));
}

/* Compaction: with a stream that never pauses, committed records still leave the file. */
static void test_committed_prefix_compacted(void **state)
{
    (void)state;
    char path[300], err[256], payload[200];
    journal_path(path, sizeof path);
    struct journal *j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_begin(j, 1, err, sizeof err), 0);
    memset(payload, 'x', sizeof payload);
    for (int i = 0; i < 4000; i++) {
        assert_int_equal(journal_append(j, i, "dt/a/b/telemetry", payload, sizeof payload), 0);
        journal_mark(j, (uint64_t)i + 1);
        journal_sync(j, i >= 10 ? (uint64_t)i - 10 : 0, 1000); /* the store 10 behind */
    }
    assert_true(file_size(path) < 400 * 1024); /* 4000 x 222 bytes written: ~890 KB */
    journal_finish(j, 3990);
    j = journal_open(path, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(journal_run(j), 1);
    struct seen s = {0};
    assert_int_equal(journal_each(j, collect, &s, err, sizeof err), 0);
    assert_int_equal(s.count, (int)journal_left(j));
    assert_true(s.count >= 10 && s.count < 2000);
    assert_int_equal(s.received[s.count - 10 < 16 ? s.count - 10 : 0] >= 0, 1);
    journal_finish(j, 0);
}

/* ---- PUBACK after the handler ---- */

static atomic_int handled;

static void die_on_third(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)ctx;
    (void)topic;
    (void)payload;
    (void)len;
    if (atomic_fetch_add(&handled, 1) + 1 == 3)
        raise(SIGKILL); /* killed while handling: the broker must send it again */
}

static char received_payloads[16][32];

static void remember(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)ctx;
    (void)topic;
    int n = atomic_fetch_add(&handled, 1);
    if (n < 16)
        snprintf(received_payloads[n], sizeof received_payloads[n], "%.*s", (int)len,
                 (const char *)payload);
}

static struct mqtt *subscriber(int port, const char *client_id, mqtt_message_fn fn)
{
    char url[64], err[256];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", port);
    struct mqtt_options o = {.client_id = client_id, .version = 5};
    struct mqtt *m = mqtt_create(&o, url, "feed", true, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(mqtt_subscribe(m, "jr/#", 1), 0);
    mqtt_set_handler(m, fn, NULL);
    mqtt_set_single_thread(m);
    mqtt_set_ack_after_handler(m); /* without it, 2.0.11 sends m3 no more: only m4, m5 */
    return m;
}

static bool wait_connected(struct mqtt *m)
{
    struct mqtt_status st;
    for (int i = 0; i < 400; i++) {
        mqtt_get_status(m, &st);
        if (st.state == MQTT_CONNECTED)
            return true;
        test_sleep_ms(25);
    }
    return false;
}

static void test_ack_waits_for_handler(void **state)
{
    (void)state;
    struct test_broker b = {0};
    assert_int_equal(test_broker_start(&b, NULL), 0);
    char err[256];
    /* First connection makes the persistent session; then the child that dies mid-message. */
    struct mqtt *m = subscriber(b.port, "ack-after", remember);
    assert_int_equal(mqtt_start(m, err, sizeof err), 0);
    assert_true(wait_connected(m));
    mqtt_destroy(m);

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct mqtt *c = subscriber(b.port, "ack-after", die_on_third);
        if (mqtt_start(c, err, sizeof err) != 0)
            _exit(3);
        for (;;)
            test_sleep_ms(1000);
    }
    test_sleep_ms(500); /* the child connected (its session holds the messages anyway) */
    char cmd[300];
    for (int i = 1; i <= 5; i++) {
        snprintf(cmd, sizeof cmd, "mosquitto_pub -h 127.0.0.1 -p %d -q 1 -t jr/x -m m%d", b.port,
                 i);
        assert_int_equal(system(cmd), 0);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    atomic_store(&handled, 0);
    m = subscriber(b.port, "ack-after", remember);
    assert_int_equal(mqtt_start(m, err, sizeof err), 0);
    for (int i = 0; i < 400 && atomic_load(&handled) < 3; i++)
        test_sleep_ms(25);
    mqtt_destroy(m);
    test_broker_cleanup(&b);
    /* m1, m2 were acknowledged; m3 (killed in its handler), m4 and m5 come again */
    assert_int_equal(atomic_load(&handled), 3);
    assert_string_equal(received_payloads[0], "m3");
    assert_string_equal(received_payloads[1], "m4");
    assert_string_equal(received_payloads[2], "m5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_survive_until_committed),
        cmocka_unit_test(test_torn_tail_is_cut),
        cmocka_unit_test(test_committed_prefix_compacted),
        cmocka_unit_test(test_ack_waits_for_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
