// SPDX-License-Identifier: MIT
/* Detectors on synthetic series with a known answer (spike, step, slow drift, pure noise), the
 * isolation forest, determinism for a seed, anomaly events, and the detect CSV runner's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"
#include "detect_csv.h"
#include "detect_drift.h"
#include "detect_leadtime.h"
#include "detect_residual.h"
#include "detect_zscore.h"
#include "detect_iforest.h"

/* Reproducible standard normal noise (xorshift + Box-Muller): tests never depend on rand(). */
static uint64_t rng_state = 88172645463325252ull;
static double uniform01(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((rng_state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double gauss(void)
{
    return sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

static void make_type(struct catalog_type *t, int sensors)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "test-machine");
    t->sample_period_s = 1.0;
    t->sensor_count = sensors;
    for (int i = 0; i < sensors; i++) {
        struct catalog_sensor *s = &t->sensors[i];
        snprintf(s->name, sizeof(s->name), "sensor_%d", i);
        s->nominal = 50;
        s->display_min = 0;
        s->display_max = 100;
        s->normal_lo = 40;
        s->normal_hi = 60;
        s->warn_lo = s->warn_hi = s->alarm_lo = s->alarm_hi = NAN;
    }
}

/* The detect CLI's time scales (drift over 30 samples against 3000): short test series. */
static struct detect_sensor_cfg sensor_cfg(void)
{
    struct detect_params p;
    detect_params_csv(&p);
    struct detect_sensor_cfg c = {
        .z_window = p.z_window,
        .z_threshold = p.z_threshold,
        .warmup = p.warmup,
        .scale_floor = 0.01,
        .drift_span = p.drift_span,
        .drift_horizon = p.drift_horizon,
        .drift_threshold = p.drift_threshold,
    };
    return c;
}

static void *ops_new(const struct detect_ops *ops, const struct detect_sensor_cfg *c)
{
    void *st = malloc(ops->state_size(c));
    assert_non_null(st);
    ops->init(st, c);
    return st;
}

static void test_zscore_spike(void **state)
{
    (void)state;
    struct detect_sensor_cfg c = sensor_cfg();
    void *z = ops_new(&detect_zscore_ops, &c);
    int fired = 0;
    for (int i = 0; i < 1000; i++)
        fired += detect_zscore_ops.update(z, 50 + gauss(), true) >= DETECT_FIRE;
    float spike = detect_zscore_ops.update(z, 50 + 12.0, true);
    assert_true(spike >= DETECT_FIRE);
    assert_true(fired <= 10); /* pure noise: at most 1 % */
    char why[160];
    detect_zscore_ops.explain(z, why, sizeof why);
    assert_non_null(strstr(why, "z=+"));
    /* a value back in the band scores low again at once */
    assert_true(detect_zscore_ops.update(z, 50.3, true) < 0.3f);
    free(z);
}

static void test_zscore_flat_signal_floor(void **state)
{
    (void)state;
    struct detect_sensor_cfg c = sensor_cfg();
    c.scale_floor = 0.5;
    void *z = ops_new(&detect_zscore_ops, &c);
    for (int i = 0; i < 500; i++)
        detect_zscore_ops.update(z, 1480.0, true); /* quantised: no spread at all */
    assert_true(detect_zscore_ops.update(z, 1481.0, true) < DETECT_FIRE); /* 2 floors away */
    assert_true(detect_zscore_ops.update(z, 1490.0, true) >= DETECT_FIRE);
    free(z);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The sorted window stays exact under duplicates and wrap-around: its median matches a
 * brute-force sort of the last window values at many points. */
static void test_zscore_window_exact(void **state)
{
    (void)state;
    struct detect_sensor_cfg c = sensor_cfg();
    c.z_window = 31;
    void *z = ops_new(&detect_zscore_ops, &c);
    static double hist[5000];
    for (int i = 0; i < 5000; i++) {
        hist[i] = (double)((int)(uniform01() * 12)) * 0.5; /* many ties */
        detect_zscore_ops.update(z, hist[i], true);
        if (i >= 40 && i % 97 == 0) {
            double w[31];
            memcpy(w, hist + i - 30, sizeof w);
            qsort(w, 31, sizeof(double), cmp_double);
            detect_zscore_ops.update(z, -1.0, true); /* scored against the window just checked */
            hist[++i] = -1.0;
            char why[200];
            detect_zscore_ops.explain(z, why, sizeof why);
            const char *at = strstr(why, "median ");
            assert_non_null(at);
            assert_true(fabs(atof(at + 7) - w[15]) < 1e-9);
        }
    }
    free(z);
}

static int first_fire(const struct detect_ops *ops, void *st, double (*series)(int), int from,
                      int to)
{
    for (int i = from; i < to; i++)
        if (ops->update(st, series(i), true) >= DETECT_FIRE)
            return i;
    return -1;
}

static double step_series(int i)
{
    return 50 + gauss() + (i >= 3000 ? 1.5 : 0.0); /* 1.5 sigma: too small for the z-score */
}

static double ramp_series(int i)
{
    return 50 + gauss() + (i >= 3000 ? (i - 3000) * 0.002 : 0.0);
}

static void test_drift_step_and_ramp(void **state)
{
    (void)state;
    struct detect_sensor_cfg c = sensor_cfg();
    void *d = ops_new(&detect_drift_ops, &c);
    assert_int_equal(first_fire(&detect_drift_ops, d, step_series, 0, 3000), -1);
    int at = first_fire(&detect_drift_ops, d, step_series, 3000, 4000);
    assert_true(at >= 3000 && at < 3200);
    free(d);

    d = ops_new(&detect_drift_ops, &c);
    assert_int_equal(first_fire(&detect_drift_ops, d, ramp_series, 0, 3000), -1);
    at = first_fire(&detect_drift_ops, d, ramp_series, 3000, 6000);
    /* fires before the ramp has moved the value by 3 sigma (1500 samples) */
    assert_true(at > 3000 && at < 4500);
    char why[160];
    detect_drift_ops.explain(d, why, sizeof why);
    assert_non_null(strstr(why, "drift up"));
    free(d);
}

static void test_drift_noise_quiet(void **state)
{
    (void)state;
    struct detect_sensor_cfg c = sensor_cfg();
    void *d = ops_new(&detect_drift_ops, &c);
    int fired = 0;
    for (int i = 0; i < 20000; i++)
        fired += detect_drift_ops.update(d, 50 + gauss(), true) >= DETECT_FIRE;
    assert_true(fired < 100); /* < 0.5 % */
    free(d);
}

static void test_iforest_outlier_and_seed(void **state)
{
    (void)state;
    struct iforest_params p;
    iforest_params_default(&p);
    p.seed = 7;
    char err[160];
    struct iforest *a = iforest_create(2, &p, err, sizeof err);
    struct iforest *b = iforest_create(2, &p, err, sizeof err);
    p.seed = 8;
    struct iforest *c = iforest_create(2, &p, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    double x[2];
    for (int i = 0; i < 2000; i++) {
        x[0] = gauss();
        x[1] = gauss();
        iforest_observe(a, x, true);
        iforest_observe(b, x, true);
        iforest_observe(c, x, true);
    }
    assert_true(iforest_ready(a));
    double centre[2] = {0, 0}, far[2] = {6, -6};
    double sc = iforest_score(a, centre), sf = iforest_score(a, far);
    assert_true(sc < 0.5);
    assert_true(sf > 0.7);
    assert_true(iforest_score(a, far) == iforest_score(b, far)); /* same seed: same forest */
    assert_true(iforest_score(a, far) != iforest_score(c, far) ||
                iforest_score(a, centre) != iforest_score(c, centre));
    double many[4] = {0, 0, 6, -6}, out[2];
    iforest_score_many(a, many, 2, out);
    assert_true(out[0] == sc && out[1] == sf);
    iforest_free(a);
    iforest_free(b);
    iforest_free(c);
    p.trees = 0;
    assert_null(iforest_create(2, &p, err, sizeof err));
    assert_non_null(strstr(err, "iforest"));
}

/* Three correlated sensors; returns emissions counted over n rows; spike_at < 0: none. */
static int run_machine(struct detect_machine *m, int n, int spike_at, float *scores)
{
    int emitted = 0;
    for (int i = 0; i < n; i++) {
        double common = gauss();
        for (int s = 0; s < 3; s++) {
            double v = 50 + common + 0.3 * gauss();
            if (i == spike_at && s == 1)
                v += 15;
            struct detect_result r;
            detect_machine_update(m, s, v, (int64_t)i * 1000, &r);
            emitted += r.emit + r.emit_machine;
        }
        if (scores)
            scores[i] = detect_machine_score(m);
    }
    return emitted;
}

static void test_machine_noise_spike_event(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    char err[160];
    struct detect_machine *m = detect_machine_create(&t, NULL, 42, err, sizeof err);
    assert_non_null(m);
    int noise = run_machine(m, 20000, -1, NULL);
    assert_true(noise <= 20); /* 60000 samples of pure noise: few events */
    struct detect_result r;
    detect_machine_update(m, 0, 50.0, 20000000, &r);
    detect_machine_update(m, 1, 70.0, 20000000, &r);
    assert_true(r.emit);
    assert_true(r.score >= DETECT_FIRE);
    assert_true(r.machine_score >= r.score);
    assert_string_equal(detect_detector_name(r.detector), "zscore");
    assert_string_equal(detect_machine_detector(m), "zscore");
    assert_int_equal(detect_machine_top_sensor(m), 1);
    struct event ev;
    detect_machine_event(m, 3, "PUMP_001", 1, 20000000, &ev);
    assert_int_equal(ev.kind, EVENT_ANOMALY);
    assert_int_equal(ev.machine, 3);
    assert_int_equal(ev.sensor, 1);
    assert_string_equal(ev.machine_id, "PUMP_001");
    assert_string_equal(ev.sensor_name, "sensor_1");
    assert_string_equal(ev.detector, "zscore");
    assert_true(ev.value == 70.0);
    assert_true(ev.score >= DETECT_FIRE && ev.score <= 1.0);
    assert_non_null(strstr(ev.reason, "sensor_1"));
    char why[200];
    detect_machine_reason(m, why, sizeof why);
    assert_non_null(strstr(why, "z="));
    /* the same sensor does not emit again while it stays high (hold and re-arm) */
    detect_machine_update(m, 1, 70.0, 20001000, &r);
    assert_false(r.emit);
    detect_machine_event(m, 3, "PUMP_001", -1, 1, &ev);
    assert_string_equal(ev.detector, "iforest");
    assert_int_equal(ev.sensor, -1);
    detect_machine_free(m);
}

/* Feeds rows from row `from` to `to` (1 s apart) of correlated noise; sensor `step` reads +size
 * while (i - from) < len. Returns the emitted reports (r.emit, r.emit_machine) and merged ones. */
static int run_rows(struct detect_machine *m, int from, int to, int step, double size, int len,
                    int *merged)
{
    int emitted = 0;
    for (int i = from; i < to; i++) {
        double common = gauss();
        for (int s = 0; s < 3; s++) {
            double v = 50 + common + 0.3 * gauss() + (s == step && i - from < len ? size : 0.0);
            struct detect_result r;
            detect_machine_update(m, s, v, (int64_t)i * 1000, &r);
            emitted += r.emit + r.emit_machine;
            *merged += r.merged;
        }
    }
    return emitted;
}

/* Two sensors stepping one minute apart are one episode, one event; after the machine has been
 * quiet for episode_quiet_ms a new step is a new event. */
static void test_machine_episode_merges(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    char err[160];
    struct detect_params p;
    detect_params_default(&p);
    struct detect_machine *m = detect_machine_create(&t, &p, 42, err, sizeof err);
    assert_non_null(m);
    int merged = 0;
    run_rows(m, 0, 20000, -1, 0, 0, &merged);
    assert_int_equal(run_rows(m, 20000, 20060, 1, 20.0, 5, &merged), 1);
    merged = 0;
    assert_int_equal(run_rows(m, 20060, 20120, 2, 20.0, 5, &merged), 0);
    assert_true(merged >= 1);
    int quiet_rows = p.episode_quiet_ms / 1000 + 60;
    run_rows(m, 20120, 20120 + quiet_rows, -1, 0, 0, &merged);
    assert_int_equal(run_rows(m, 20120 + quiet_rows, 20180 + quiet_rows, 0, 20.0, 5, &merged), 1);
    detect_machine_free(m);
}

/* A step that ends by itself is the plant's own transient: it is reported the first time, and
 * its recurrence at the same size teaches nothing new (the calibration learned it whole). A
 * bigger one is still reported. */
static void test_calibration_learns_transients(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    char err[160];
    struct detect_machine *m = detect_machine_create(&t, NULL, 42, err, sizeof err);
    assert_non_null(m);
    int merged = 0, at = 6000, gap = 4000;
    run_rows(m, 0, at, -1, 0, 0, &merged);
    assert_int_equal(run_rows(m, at, at + gap, 1, 12.0, 20, &merged), 1);
    for (int k = 1; k < 4; k++)
        assert_int_equal(run_rows(m, at + k * gap, at + (k + 1) * gap, 1, 12.0, 20, &merged), 0);
    assert_int_equal(run_rows(m, at + 4 * gap, at + 5 * gap, 1, 40.0, 20, &merged), 1);
    detect_machine_free(m);
}

/* A fault present from the start: sensor 1 reads 80 (+ noise) from the first sample. Marked past
 * its warn limit, it is scored against the catalog band and fires, even inside the calibration
 * window, and is still anomalous after calibration; unmarked (the same values within limits),
 * the stack learns them as normal and stays quiet. */
static float run_fault_from_start(bool marked, float *during_calib, int *emitted)
{
    static struct catalog_type t;
    make_type(&t, 3);
    t.sensors[1].warn_hi = 70;
    t.sensors[1].alarm_hi = 90;
    char err[160];
    struct detect_machine *m = detect_machine_create(&t, NULL, 42, err, sizeof err);
    assert_non_null(m);
    *emitted = 0;
    *during_calib = 0;
    for (int i = 0; i < 6000; i++) {
        for (int s = 0; s < 3; s++) {
            double v = (s == 1 ? 80 : 50) + gauss();
            struct detect_result r;
            detect_machine_set_abnormal(m, s, marked && s == 1 && v >= t.sensors[1].warn_hi);
            detect_machine_update(m, s, v, (int64_t)i * 1000, &r);
            *emitted += r.emit;
        }
        if (i == 1000)
            *during_calib = detect_machine_sensor_score(m, 1);
    }
    float score = detect_machine_sensor_score(m, 1);
    detect_machine_free(m);
    return score;
}

static void test_machine_fault_from_start(void **state)
{
    (void)state;
    float calib, score;
    int emitted;
    score = run_fault_from_start(true, &calib, &emitted);
    assert_true(score >= DETECT_FIRE);
    assert_true(calib >= DETECT_FIRE); /* not clamped quiet by the calibration window */
    assert_true(emitted >= 1);
    score = run_fault_from_start(false, &calib, &emitted);
    assert_true(score < DETECT_FIRE);
    assert_true(calib < DETECT_FIRE);
    assert_int_equal(emitted, 0);
}

/* A fault that starts after normal operation, inside the calibration window: values past the
 * warn limit do not enter the windows and baselines, so a level that stays up keeps firing. */
static void test_machine_fault_not_learned(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    t.sensors[1].warn_hi = 65;
    char err[160];
    for (int marked = 0; marked < 2; marked++) {
        struct detect_machine *m = detect_machine_create(&t, NULL, 42, err, sizeof err);
        assert_non_null(m);
        for (int i = 0; i < 8000; i++) {
            for (int s = 0; s < 3; s++) {
                double v = (s == 1 && i >= 600 ? 75 : 50) + gauss();
                detect_machine_set_abnormal(m, s, marked && v >= t.sensors[s].warn_hi);
                detect_machine_update(m, s, v, (int64_t)i * 1000, NULL);
            }
        }
        float score = detect_machine_sensor_score(m, 1);
        if (marked)
            assert_true(score >= DETECT_FIRE);
        else
            assert_true(score < DETECT_FIRE); /* learned as the new normal */
        detect_machine_free(m);
    }
}

static void test_machine_forest_fires_on_far_vector(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    char err[160];
    struct detect_machine *m = detect_machine_create(&t, NULL, 1, err, sizeof err);
    assert_non_null(m);
    run_machine(m, 8000, -1, NULL); /* past the forest's warm-up and calibration window */
    assert_true(detect_machine_forest_score(m) < DETECT_FIRE);
    /* a combination far from everything seen (axis-parallel trees isolate it quickly; a
     * subtler broken correlation within the marginal ranges is beyond an isolation forest) */
    struct detect_result r;
    bool machine_fired = false;
    for (int k = 0; k < 6 && !machine_fired; k++) { /* the forest scores one row in 5 */
        int64_t ts = (8000 + k) * 1000LL;           /* rows are judged once per plant second */
        detect_machine_update(m, 0, 57.0, ts, &r);
        detect_machine_update(m, 1, 43.0, ts, &r);
        detect_machine_update(m, 2, 57.0, ts, &r);
        machine_fired = r.emit_machine || detect_machine_forest_score(m) >= DETECT_FIRE;
    }
    assert_true(machine_fired);
    detect_machine_free(m);
}

/* The process monitor beside the stack: two sensors that move together, then part within their
 * normal ranges. Shown (score, contributors) but kept out of events unless pca_emit; back to 0
 * within seconds once the correlation returns. */
static void feed_pair(struct detect_machine *m, long row, double a, double b, double c,
                      struct detect_result *r)
{
    int64_t ts = row * 1000LL;
    detect_machine_update(m, 0, a, ts, r);
    detect_machine_update(m, 1, b, ts, r);
    detect_machine_update(m, 2, c, ts, r);
}

static void test_machine_pca_monitor(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    for (int emit = 0; emit <= 1; emit++) {
        struct detect_params p;
        detect_params_default(&p);
        p.pca_emit = emit;
        char err[160];
        struct detect_machine *m = detect_machine_create(&t, &p, 5, err, sizeof err);
        assert_non_null(m);
        struct detect_result r;
        long row = 1;
        rng_state = 77;
        for (; row <= 11000; row++) {
            double a = 50 + 3 * gauss();
            feed_pair(m, row, a, a + 0.3 * gauss(), 50 + 3 * gauss(), &r);
        }
        assert_true(detect_machine_pca_score(m) < DETECT_FIRE);
        bool emitted = false;
        for (int k = 0; k < 5; k++, row++) {
            feed_pair(m, row, 55 + 0.3 * gauss(), 45 + 0.3 * gauss(), 50 + 3 * gauss(), &r);
            emitted = emitted || r.emit_machine;
        }
        assert_true(detect_machine_pca_score(m) >= DETECT_FIRE);
        int top[3];
        float share[3];
        int n = detect_machine_pca_top(m, top, share, 3);
        assert_true(n >= 2);
        assert_true((top[0] == 0 || top[0] == 1) && (top[1] == 0 || top[1] == 1));
        assert_true(share[0] + share[1] > 0.8f);
        assert_int_equal(emitted, emit);
        assert_int_equal(strcmp(detect_machine_detector(m), "pca") == 0, emit);
        if (emit) {
            struct event ev;
            detect_machine_event(m, 0, "M1", -1, row * 1000LL, &ev);
            assert_string_equal(ev.detector, "pca");
            assert_non_null(strstr(ev.reason, "sensor_"));
        }
        long back = 0;
        for (; back < 60 && detect_machine_pca_score(m) >= DETECT_REARM; back++, row++) {
            double a = 50 + 3 * gauss();
            feed_pair(m, row, a, a + 0.3 * gauss(), 50 + 3 * gauss(), &r);
        }
        assert_true(back < 10); /* no latching: the score follows the rows */
        detect_machine_free(m);
    }
}

static void test_machine_warming(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 2);
    char err[160];
    struct detect_machine *m = detect_machine_create(&t, NULL, 3, err, sizeof err);
    assert_non_null(m);
    struct detect_params p;
    detect_params_default(&p);
    assert_true(detect_machine_warming(m));
    struct detect_result r;
    for (int i = 0; i < p.warmup; i++) {
        assert_true(detect_machine_sensor_warming(m, 0));
        detect_machine_update(m, 0, 50 + gauss(), i * 1000LL, &r);
    }
    assert_false(detect_machine_sensor_warming(m, 0));
    assert_true(detect_machine_sensor_warming(m, 1)); /* no value of its own yet */
    assert_true(detect_machine_warming(m));
    for (int i = 0; i < p.warmup; i++)
        detect_machine_update(m, 1, 50 + gauss(), i * 1000LL, &r);
    assert_false(detect_machine_warming(m));
    assert_false(detect_machine_pca_ready(m)); /* the monitor trains for hours, not minutes */
    assert_false(detect_machine_sensor_warming(m, 7)); /* no such sensor: nothing to wait for */
    detect_machine_free(m);
}

static void test_machine_deterministic(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 3);
    char err[160];
    static float a[4000], b[4000];
    uint64_t saved = rng_state;
    struct detect_machine *m = detect_machine_create(&t, NULL, 9, err, sizeof err);
    run_machine(m, 4000, 3500, a);
    detect_machine_free(m);
    rng_state = saved;
    m = detect_machine_create(&t, NULL, 9, err, sizeof err);
    run_machine(m, 4000, 3500, b);
    detect_machine_free(m);
    assert_memory_equal(a, b, sizeof a);
    assert_true(a[3500] >= DETECT_FIRE);
}

static void test_params(void **state)
{
    (void)state;
    struct detect_params p;
    detect_params_default(&p);
    char err[200];
    assert_int_equal(detect_params_set(&p, "z_window=90", err, sizeof err), 0);
    assert_int_equal(p.z_window, 90);
    assert_int_equal(detect_params_set(&p, "forest_fire=0.7", err, sizeof err), 0);
    assert_true(p.forest_fire == 0.7);
    assert_int_equal(detect_params_set(&p, "z_window=9.5", err, sizeof err), -1);
    assert_non_null(strstr(err, "z_window"));
    assert_int_equal(detect_params_set(&p, "bogus=1", err, sizeof err), -1);
    assert_non_null(strstr(err, "bogus"));
    /* weaker than the floors of DESIGN section 5 is refused */
    static struct catalog_type t;
    make_type(&t, 1);
    p.z_window = 10;
    assert_null(detect_machine_create(&t, &p, 1, err, sizeof err));
    assert_non_null(strstr(err, "window"));
    detect_params_default(&p);
    p.z_threshold = 2.0;
    assert_null(detect_machine_create(&t, &p, 1, err, sizeof err));
}

/* A sensor that switches between two operating levels every 500 samples: after the calibration
 * window its ordinary jumps no longer emit, a value far beyond them still does. */
static void test_calibration_operating_levels(void **state)
{
    (void)state;
    static struct catalog_type t;
    make_type(&t, 1);
    t.sensors[0].normal_lo = 0;
    t.sensors[0].normal_hi = 100;
    char err[160];
    struct detect_machine *m = detect_machine_create(&t, NULL, 3, err, sizeof err);
    assert_non_null(m);
    struct detect_result r;
    int late = 0;
    for (int i = 0; i < 12000; i++) {
        double v = ((i / 500) % 2 ? 80.0 : 20.0) + 0.5 * gauss();
        detect_machine_update(m, 0, v, (int64_t)i * 1000, &r);
        if (i >= 6000)
            late += r.emit;
    }
    assert_int_equal(late, 0);
    detect_machine_update(m, 0, 2000.0, 12000000, &r);
    assert_true(r.emit);
    char why[200];
    detect_machine_reason(m, why, sizeof why);
    assert_non_null(strstr(why, "raised x"));
    detect_machine_free(m);
}

/* y = 2x + noise while x wanders: the residual is small whatever x does; y shifted by 10 noise
 * sigmas at the same x stands out although y stays inside its usual range. */
static void test_residual_model(void **state)
{
    (void)state;
    struct detect_residual *r = detect_residual_create(2, 2000, 0, 0);
    assert_non_null(r);
    assert_null(detect_residual_create(0, 2000, 0, 0));
    double x[2], z[2], worst = 0;
    for (int i = 0; i < 4000; i++) {
        x[0] = 50 + 20 * sin(i / 100.0);
        x[1] = 2 * x[0] + 0.5 * gauss();
        bool ok = detect_residual_row(r, x, true, true, z);
        assert_true(ok == (i >= 2000)); /* fitted on the first 2000 rows */
        if (ok && i > 2500)
            worst = fmax(worst, fabs(z[1]));
    }
    assert_true(worst < 5.0);
    x[0] = 50;
    x[1] = 100 + 5.0;
    assert_true(detect_residual_row(r, x, false, true, z));
    assert_true(z[1] > 8.0);
    assert_true(z[0] < -8.0); /* x looks too small for that y, too */
    detect_residual_free(r);
}

static void test_leadtime(void **state)
{
    (void)state;
    struct detect_leadtime *lt = detect_leadtime_create(1000000);
    assert_non_null(lt);
    assert_int_equal(detect_leadtime_add(lt, 0, "PUMP_001", "cavitation", 100, 1100), 0);
    assert_int_equal(detect_leadtime_add(lt, 1, "FAN_001", "imbalance", 100, 300), 0);
    assert_int_equal(detect_leadtime_add(lt, 2, "GEAR_001", "tooth_wear", 100, 200), 0);
    struct event ev = {.kind = EVENT_ANOMALY, .machine = 0};
    snprintf(ev.detector, sizeof ev.detector, "drift");
    snprintf(ev.sensor_name, sizeof ev.sensor_name, "suction_pressure_bar");
    ev.ts_ms = 1000000 + 50 * 1000; /* before onset: false */
    detect_leadtime_on_event(lt, &ev);
    ev.ts_ms = 1000000 + 300 * 1000; /* onset + 200 of 1000: lead 800 (0.8) */
    detect_leadtime_on_event(lt, &ev);
    ev.ts_ms = 1000000 + 900 * 1000; /* later events do not move the first detection */
    detect_leadtime_on_event(lt, &ev);
    ev.machine = 1;
    ev.ts_ms = 1000000 + 400 * 1000; /* after FAN_001's failure: not detected in time */
    detect_leadtime_on_event(lt, &ev);
    int detected, total;
    double median;
    long false_events;
    detect_leadtime_summary(lt, &detected, &total, &median, &false_events);
    assert_int_equal(detected, 1);
    assert_int_equal(total, 3);
    assert_true(median == 0.0); /* fractions 0.8, 0, 0 */
    assert_int_equal(false_events, 1);
    char json[4096];
    detect_leadtime_json(lt, json, sizeof json);
    assert_non_null(strstr(json,
                           "\"machine\":\"PUMP_001\",\"fault\":\"cavitation\",\"onset_s\":100,"
                           "\"detected_s\":300,\"detector\":\"drift\""));
    assert_non_null(strstr(json, "\"lead_s\":800"));
    assert_non_null(strstr(json, "\"detected_s\":null"));
    assert_non_null(strstr(json, "],\"listed\":3}"));
    char small[300]; /* too short for every fault: the first ones, still valid JSON */
    detect_leadtime_json(lt, small, sizeof small);
    assert_non_null(strstr(small, "],\"listed\":0}"));
    assert_true(strlen(small) < sizeof small);
    detect_leadtime_free(lt);
}

/* Writes text to a temp file; returns its path (static buffer per slot). */
static const char *temp_csv(int slot, const char *text)
{
    static char paths[4][64];
    snprintf(paths[slot], sizeof paths[slot], "/tmp/twintop-test-detect-XXXXXX");
    int fd = mkstemp(paths[slot]);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return paths[slot];
}

static int csv_run_hold(const char *path, int hold, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    FILE *o = fmemopen(out, outlen, "w");
    assert_non_null(o);
    struct detect_params p;
    detect_params_csv(&p);
    if (hold > 0)
        p.hold = hold;
    struct detect_csv_options opt = {.sep = ',', .seed = 1, .params = &p};
    int rc = detect_csv_run(path, o, &opt, err, errlen);
    fclose(o);
    return rc;
}

static int csv_run(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    return csv_run_hold(path, 0, out, outlen, err, errlen);
}

static void test_csv_errors(void **state)
{
    (void)state;
    static char out[1 << 16];
    char err[512];
    assert_int_equal(csv_run("/nonexistent/dir/x.csv", out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/x.csv"));
    assert_non_null(strstr(err, "No such file"));

    const char *p = temp_csv(0, "");
    assert_int_equal(csv_run(p, out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, ":1: bad header"));

    p = temp_csv(1, "timestamp\n2020-01-01,1\n");
    assert_int_equal(csv_run(p, out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, ":1: bad header"));

    p = temp_csv(2, "timestamp,value\n2020-01-01 00:00,1.5\n2020-01-01 00:05,abc\n");
    assert_int_equal(csv_run(p, out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, ":3: column 2 (value): \"abc\" is not a number"));

    p = temp_csv(3, "timestamp,value\n2020-01-01 00:00,1.5,7\n");
    assert_int_equal(csv_run(p, out, sizeof out, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: 3 fields, the header has 2"));
    for (int i = 0; i < 4; i++)
        unlink(temp_csv(i, ""));
}

static void test_csv_output(void **state)
{
    (void)state;
    static char text[1 << 17], out[1 << 18];
    size_t n = (size_t)snprintf(text, sizeof text, "timestamp,value\r\n");
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "2020-01-01 %05d,%.3f\n", i,
                              i == 1500 ? 90.0 : 50 + gauss());
    const char *p = temp_csv(0, text);
    char err[512] = "";
    /* hold = 1: every row that beats the previous one is reported, so the spike (beyond all
     * earlier values) shows at its own row with score 1 */
    assert_int_equal(csv_run_hold(p, 1, out, sizeof out, err, sizeof err), 0);
    unlink(p);
    assert_memory_equal(out, "timestamp,value,anomaly_score,is_anomaly,top_sensors\n", 53);
    int rows = 0, spike_flag = -1;
    float spike_score = -1;
    for (char *line = strchr(out, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        char ts[32];
        double v, score;
        int flag;
        assert_int_equal(sscanf(line + 1, "%31[^,],%lf,%lf,%d", ts, &v, &score, &flag), 4);
        assert_true(score >= 0 && score <= 1);
        if (rows == 1500)
            spike_flag = flag;
        if (rows == 1500)
            spike_score = (float)score;
        rows++;
    }
    assert_int_equal(rows, 2000);
    assert_int_equal(spike_flag, 1);
    assert_true(spike_score > 0.99f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zscore_spike),
        cmocka_unit_test(test_zscore_flat_signal_floor),
        cmocka_unit_test(test_zscore_window_exact),
        cmocka_unit_test(test_drift_step_and_ramp),
        cmocka_unit_test(test_drift_noise_quiet),
        cmocka_unit_test(test_iforest_outlier_and_seed),
        cmocka_unit_test(test_machine_noise_spike_event),
        cmocka_unit_test(test_machine_episode_merges),
        cmocka_unit_test(test_calibration_learns_transients),
        cmocka_unit_test(test_machine_forest_fires_on_far_vector),
        cmocka_unit_test(test_machine_pca_monitor),
        cmocka_unit_test(test_machine_warming),
        cmocka_unit_test(test_machine_deterministic),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_calibration_operating_levels),
        cmocka_unit_test(test_residual_model),
        cmocka_unit_test(test_machine_fault_from_start),
        cmocka_unit_test(test_machine_fault_not_learned),
        cmocka_unit_test(test_leadtime),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
