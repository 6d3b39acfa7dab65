// SPDX-License-Identifier: MIT
/* The ingest queue: order, all-or-none pushes when full, close and wakeups, and a producer and
 * a consumer on two threads that lose and duplicate nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"

static struct sample sample_at(int64_t i)
{
    struct sample s;
    memset(&s, 0, sizeof s);
    s.ts_ms = i;
    s.machine = (uint32_t)(i % 7);
    s.sensor = (uint16_t)(i % 5);
    s.kind = SAMPLE_VALUE;
    s.u.value = (double)i * 0.5;
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_pop_returns_samples_in_push_order(void **state)
{
    (void)state;
    struct queue *q = queue_create(16);
    assert_non_null(q);
    assert_int_equal(queue_capacity(q), 16);
    struct sample in[10];
    for (int i = 0; i < 10; i++)
        in[i] = sample_at(i);
    assert_int_equal(queue_push(q, in, 4), 0);
    assert_int_equal(queue_push(q, in + 4, 6), 0);
    assert_int_equal(queue_length(q), 10);
    struct sample out[16];
    assert_int_equal(queue_pop(q, out, 3, 0), 3);
    assert_int_equal(queue_pop(q, out + 3, 16, 0), 7);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(out[i].ts_ms, i);
        assert_int_equal(out[i].machine, (uint32_t)(i % 7));
        assert_true(out[i].u.value == (double)i * 0.5);
    }
    assert_int_equal(queue_length(q), 0);
    assert_int_equal(queue_pushed(q), 10);
    assert_int_equal(queue_drops(q), 0);
    /* Empty, no wait: nothing. */
    assert_int_equal(queue_pop(q, out, 16, 0), 0);
    queue_destroy(q);
}

static void test_order_survives_wrap_around(void **state)
{
    (void)state;
    struct queue *q = queue_create(5);
    struct sample s[3], out[5];
    int64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 3; i++)
            s[i] = sample_at(next_in++);
        assert_int_equal(queue_push(q, s, 3), 0);
        size_t got = queue_pop(q, out, 5, 0);
        assert_int_equal(got, 3);
        for (size_t i = 0; i < got; i++)
            assert_int_equal(out[i].ts_ms, next_out++);
    }
    queue_destroy(q);
}

static void test_full_queue_drops_the_whole_batch(void **state)
{
    (void)state;
    struct queue *q = queue_create(8);
    struct sample s[8];
    for (int i = 0; i < 8; i++)
        s[i] = sample_at(i);
    assert_int_equal(queue_push(q, s, 6), 0);
    /* 3 do not fit in the 2 free slots: none of them goes in, all 3 are counted as dropped. */
    assert_int_equal(queue_push(q, s, 3), -1);
    assert_int_equal(queue_length(q), 6);
    assert_int_equal(queue_drops(q), 3);
    assert_int_equal(queue_pushed(q), 6);
    /* 2 still fit exactly. */
    assert_int_equal(queue_push(q, s + 6, 2), 0);
    assert_int_equal(queue_length(q), 8);
    assert_int_equal(queue_push(q, s, 1), -1);
    assert_int_equal(queue_drops(q), 4);
    assert_int_equal(queue_pushed(q), 8);
    struct sample out[8];
    assert_int_equal(queue_pop(q, out, 8, 0), 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(out[i].ts_ms, i); /* the dropped batch left no trace */
    queue_destroy(q);
}

static void test_pop_times_out_on_an_empty_queue(void **state)
{
    (void)state;
    struct queue *q = queue_create(4);
    struct sample out[4];
    double t0 = now_s();
    assert_int_equal(queue_pop(q, out, 4, 100), 0);
    double waited = now_s() - t0;
    assert_true(waited >= 0.08);
    assert_true(waited < 2.0);
    queue_destroy(q);
}

static void test_close_fails_pushes_and_drains(void **state)
{
    (void)state;
    struct queue *q = queue_create(8);
    struct sample s[3] = {sample_at(1), sample_at(2), sample_at(3)};
    assert_int_equal(queue_push(q, s, 3), 0);
    queue_close(q);
    assert_int_equal(queue_push(q, s, 1), -1);
    assert_int_equal(queue_push_wait(q, s, 1), -1);
    struct sample out[8];
    assert_int_equal(queue_pop(q, out, 8, 100), 3); /* what is left */
    assert_int_equal(out[2].ts_ms, 3);
    double t0 = now_s();
    assert_int_equal(queue_pop(q, out, 8, 5000), 0); /* then 0, without waiting */
    assert_true(now_s() - t0 < 1.0);
    queue_destroy(q);
}

struct waiter {
    struct queue *q;
    size_t got;
    int rc;
};

static void *pop_waiter(void *arg)
{
    struct waiter *w = arg;
    struct sample out[4];
    w->got = queue_pop(w->q, out, 4, 10000);
    return NULL;
}

static void *push_waiter(void *arg)
{
    struct waiter *w = arg;
    struct sample s = sample_at(99);
    w->rc = queue_push_wait(w->q, &s, 1);
    return NULL;
}

static void test_close_wakes_a_waiting_consumer(void **state)
{
    (void)state;
    struct queue *q = queue_create(4);
    struct waiter w = {q, 99, 0};
    pthread_t t;
    double t0 = now_s();
    assert_int_equal(pthread_create(&t, NULL, pop_waiter, &w), 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    queue_close(q);
    pthread_join(t, NULL);
    assert_int_equal(w.got, 0);
    assert_true(now_s() - t0 < 5.0); /* woken, not timed out after 10 s */
    queue_destroy(q);
}

static void test_close_wakes_a_waiting_producer(void **state)
{
    (void)state;
    struct queue *q = queue_create(2);
    struct sample s[2] = {sample_at(0), sample_at(1)};
    assert_int_equal(queue_push(q, s, 2), 0);
    struct waiter w = {q, 0, 12345};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, push_waiter, &w), 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(w.rc, 12345); /* still waiting: the queue is full */
    queue_close(q);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, -1);
    queue_destroy(q);
}

static void test_push_wait_resumes_when_room_appears(void **state)
{
    (void)state;
    struct queue *q = queue_create(2);
    struct sample s[2] = {sample_at(0), sample_at(1)};
    assert_int_equal(queue_push(q, s, 2), 0);
    struct waiter w = {q, 0, 12345};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, push_waiter, &w), 0);
    struct sample out[2];
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_int_equal(queue_pop(q, out, 1, 0), 1);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(queue_pop(q, out, 2, 0), 2);
    assert_int_equal(out[0].ts_ms, 1);
    assert_int_equal(out[1].ts_ms, 99);
    assert_int_equal(queue_drops(q), 0);
    queue_destroy(q);
}

#define PC_TOTAL 200000
#define PC_BATCH 7

static void *producer(void *arg)
{
    struct queue *q = arg;
    struct sample batch[PC_BATCH];
    int64_t i = 0;
    while (i < PC_TOTAL) {
        size_t n = 0;
        while (n < PC_BATCH && i < PC_TOTAL)
            batch[n++] = sample_at(i++);
        if (queue_push_wait(q, batch, n) != 0)
            return (void *)1;
    }
    queue_close(q);
    return NULL;
}

static void test_two_threads_lose_and_duplicate_nothing(void **state)
{
    (void)state;
    struct queue *q = queue_create(64); /* small: the producer must wait often */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, q), 0);
    unsigned char *seen = calloc(PC_TOTAL, 1);
    assert_non_null(seen);
    struct sample out[32];
    int64_t expect = 0;
    size_t n, total = 0;
    while ((n = queue_pop(q, out, 32, 2000)) > 0) {
        for (size_t i = 0; i < n; i++) {
            int64_t v = out[i].ts_ms;
            assert_true(v >= 0 && v < PC_TOTAL);
            assert_int_equal(seen[v], 0); /* no duplicate */
            seen[v] = 1;
            assert_int_equal(v, expect); /* one producer: order kept */
            expect++;
            assert_true(out[i].u.value == (double)v * 0.5);
        }
        total += n;
    }
    void *rc;
    pthread_join(t, &rc);
    assert_null(rc);
    assert_int_equal(total, PC_TOTAL); /* none lost */
    for (int64_t i = 0; i < PC_TOTAL; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(queue_pushed(q), PC_TOTAL);
    assert_int_equal(queue_drops(q), 0);
    free(seen);
    queue_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pop_returns_samples_in_push_order),
        cmocka_unit_test(test_order_survives_wrap_around),
        cmocka_unit_test(test_full_queue_drops_the_whole_batch),
        cmocka_unit_test(test_pop_times_out_on_an_empty_queue),
        cmocka_unit_test(test_close_fails_pushes_and_drains),
        cmocka_unit_test(test_close_wakes_a_waiting_consumer),
        cmocka_unit_test(test_close_wakes_a_waiting_producer),
        cmocka_unit_test(test_push_wait_resumes_when_room_appears),
        cmocka_unit_test(test_two_threads_lose_and_duplicate_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
