// SPDX-License-Identifier: MIT
/* Prediction: health index and RUL from a degradation trend, tool RUL under Taylor wear and
 * changing speed, spindle health, the old baselines, the ridge model, the trend features and a
 * learned RUL model (core/rul) driving health's RUL with a measured interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "health.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static double noise(void) /* uniform in [-0.5, 0.5) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 - 0.5;
}

static void sensor(struct catalog_type *t, const char *name, double nominal, double lo, double hi,
                   double dmax, double alarm_hi)
{
    struct catalog_sensor *s = &t->sensors[t->sensor_count++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->nominal = nominal;
    s->normal_lo = lo;
    s->normal_hi = hi;
    s->display_min = 0;
    s->display_max = dmax;
    s->warn_lo = s->warn_hi = s->alarm_lo = NAN;
    s->alarm_hi = alarm_hi;
}

#define T0 1700000000000LL

static void test_health_trend_and_rul(void **state)
{
    (void)state;
    static struct catalog_type t;
    memset(&t, 0, sizeof t);
    sensor(&t, "bearing_temp_c", 50, 40, 60, 120, 85);
    sensor(&t, "speed_rpm", 1480, 0, 1500, 1600, 1600); /* operating variable: left out */
    char err[160];
    struct health *h = health_create(&t, 1800, err, sizeof err);
    assert_non_null(h);
    struct health_estimate e;
    health_get(h, &e);
    assert_true(isnan(e.health));
    int64_t s = 0;
    for (; s < 2 * 3600; s++) { /* two healthy hours, speed swinging */
        health_update(h, 0, 50 + noise(), T0 + s * 1000);
        health_update(h, 1, s % 600 < 300 ? 1480 : 200, T0 + s * 1000);
    }
    health_get(h, &e);
    assert_true(e.health > 99.0f);
    assert_true(isnan(e.rul_hours));
    assert_int_equal(e.worst_sensor, 0);
    assert_true(isnan(e.tool_rul_min) && isnan(e.spindle_health));
    /* wear: +3.5 degC per hour from 50, reaching the 85 degC alarm limit after 10 hours */
    for (; s < 10 * 3600; s++) {
        double hours = (s - 2 * 3600) / 3600.0;
        health_update(h, 0, 50 + 3.5 * hours + noise(), T0 + s * 1000);
    }
    health_get(h, &e);
    /* level about 78 degC (lags the ramp a little): 18/25 of the way from band edge to limit */
    assert_true(e.health > 20.0f && e.health < 40.0f);
    double truth = 2.0 + 600.0 / 3600.0; /* the level lags the value by the EWMA's ten minutes */
    assert_false(isnan(e.rul_hours));
    assert_true(fabs(e.rul_hours - truth) < 0.3 * truth);
    assert_true(e.rul_confidence > 0.5f && e.rul_confidence <= 1.0f);
    health_free(h);
}

static void cnc_type(struct catalog_type *t)
{
    memset(t, 0, sizeof(*t));
    sensor(t, "spindle.rpm", 8000, 0, 12000, 12000, 12600);
    sensor(t, "spindle.load_percent", 45, 0, 90, 150, 120);
    sensor(t, "spindle.temperature_c", 42, 25, 58, 100, 80);
    sensor(t, "spindle.vibration_mm_s", 1.2, 0.2, 2.5, 12, 7.1);
    sensor(t, "tool.wear_percent", 40, 0, 80, 100, 95);
    sensor(t, "tool.runtime_minutes", 20, 0, 60, 120, NAN);
}

/* One CNC tick (100 ms) with Taylor wear: rate 1 %/min at 8000 rpm and 45 % load. */
static void cnc_tick(struct health *h, int64_t tick, double rpm, double load, double *wear,
                     double *runtime)
{
    double rate = pow(rpm / 8000.0, 4.0) * sqrt(load / 45.0); /* %/min */
    *wear += rate / 600.0;
    *runtime += 1.0 / 600.0;
    int64_t ts = T0 + tick * 100;
    health_update(h, 0, rpm, ts);
    health_update(h, 1, load, ts);
    health_update(h, 2, 42, ts);
    health_update(h, 3, 1.2, ts);
    health_update(h, 4, *wear, ts);
    health_update(h, 5, *runtime, ts);
}

/* Idling between parts (1900 rpm, no load) neither wears the tool nor moves its RUL, which is
 * quoted at the conditions of recent cutting. */
static void test_tool_rul_steady_while_idle(void **state)
{
    (void)state;
    static struct catalog_type t;
    cnc_type(&t);
    char err[160];
    struct health *h = health_create(&t, 0, err, sizeof err);
    assert_non_null(h);
    double wear = 0, runtime = 0;
    int64_t tick = 0;
    for (; tick < 30 * 600; tick++)
        cnc_tick(h, tick, 8000, 45, &wear, &runtime);
    struct health_estimate e;
    health_get(h, &e);
    double cutting = e.tool_rul_min, truth = 95.0 - wear;
    assert_true(fabs(cutting - truth) < 0.1 * truth);
    for (int k = 0; k < 10 * 600; k++, tick++) {
        int64_t ts = T0 + tick * 100;
        health_update(h, 0, 1900, ts);
        health_update(h, 1, 4, ts);
        health_update(h, 4, wear, ts);
        health_update(h, 5, runtime, ts);
        if (k % 600 == 599) {
            health_get(h, &e);
            assert_true(fabs(e.tool_rul_min - cutting) < 0.05 * cutting);
        }
    }
    /* cutting again at the same conditions: the same figure, less what was cut since */
    for (int k = 0; k < 600; k++, tick++)
        cnc_tick(h, tick, 8000, 45, &wear, &runtime);
    health_get(h, &e);
    truth = 95.0 - wear;
    assert_true(fabs(e.tool_rul_min - truth) < 0.1 * truth);
    health_free(h);
}

static void test_tool_rul_follows_cutting_conditions(void **state)
{
    (void)state;
    static struct catalog_type t;
    cnc_type(&t);
    char err[160];
    struct health *h = health_create(&t, 0, err, sizeof err);
    double wear = 0, runtime = 0;
    int64_t tick = 0;
    for (; tick < 30 * 600; tick++)
        cnc_tick(h, tick, 8000, 45, &wear, &runtime);
    struct health_estimate e;
    health_get(h, &e);
    double truth = (95.0 - wear) / 1.0;
    assert_true(fabs(e.tool_rul_min - truth) < 0.1 * truth);
    assert_true(e.spindle_health > 99.0f);
    /* faster: Taylor says the tool lives (9000/8000)^4 = 1.6 times shorter */
    for (int k = 0; k < 10 * 600; k++, tick++)
        cnc_tick(h, tick, 9000, 45, &wear, &runtime);
    health_get(h, &e);
    truth = (95.0 - wear) / pow(9000.0 / 8000.0, 4.0);
    assert_true(fabs(e.tool_rul_min - truth) < 0.15 * truth);
    /* the old formula does not see the speed's effect on wear at all */
    double old = health_tool_rul_baseline(runtime, wear, 9000);
    assert_true(fabs(old - truth) > fabs(e.tool_rul_min - truth));
    /* a new tool: the estimate starts over and needs a new trend */
    wear = 0;
    cnc_tick(h, tick++, 9000, 45, &wear, &runtime);
    health_get(h, &e);
    assert_true(isnan(e.tool_rul_min));
    health_free(h);
}

static void test_spindle_health(void **state)
{
    (void)state;
    static struct catalog_type t;
    cnc_type(&t);
    char err[160];
    struct health *h = health_create(&t, 0, err, sizeof err);
    for (int64_t tick = 0; tick < 6000; tick++) {
        health_update(h, 3, 5.8, T0 + tick * 100); /* ISO zone C/D vibration */
        health_update(h, 2, 42, T0 + tick * 100);
    }
    struct health_estimate e;
    health_get(h, &e);
    /* (5.8 - 2.5) / (7.1 - 2.5) = 0.72 of the way to the limit */
    assert_true(fabs(e.spindle_health - 28.3f) < 2.0f);
    health_free(h);
}

static void test_baselines(void **state)
{
    (void)state;
    assert_true(fabs(health_tool_rul_baseline(20, 40, 1500) - (270 - (12 + 108 + 100))) < 1e-9);
    assert_true(fabs(health_spindle_baseline(1.2, 40) - 100 * (1 - 0.1 - 0.2)) < 1e-9);
    assert_true(health_spindle_baseline(12, 120) == 0.0);
}

static void test_model_fit_exact(void **state)
{
    (void)state;
    static double x[200 * 2], y[200];
    for (int i = 0; i < 200; i++) {
        x[2 * i] = i * 0.5;
        x[2 * i + 1] = sin(i);
        y[i] = 3 * x[2 * i] - 2 * x[2 * i + 1] + 5;
    }
    static struct rul_ridge m;
    char err[160];
    assert_int_equal(rul_ridge_fit(&m, x, y, 200, 2, 1e-9, err, sizeof err), 0);
    double probe[2] = {10, 0.5};
    assert_true(fabs(rul_ridge_predict(&m, probe) - (30 - 1 + 5)) < 1e-3);
    assert_int_equal(rul_ridge_fit(&m, x, y, 200, RUL_DIMS_MAX + 1, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "features"));
}

static void test_trend_features(void **state)
{
    (void)state;
    struct rul_features tr;
    rul_features_init(&tr, 2, 10);
    double v[2], f[5];
    for (int i = 0; i < 200; i++) {
        v[0] = 7.0;
        v[1] = 0.5 * i;
        rul_features_update(&tr, v);
    }
    assert_int_equal(rul_features_base(&tr, f), 5);
    assert_true(fabs(f[0] - 7.0) < 1e-9 && fabs(f[2]) < 1e-9);       /* flat: level, no slope */
    assert_true(fabs(f[1] - 99.5) < 0.5 && fabs(f[3] - 0.5) < 0.02); /* ramp: its slope */
    assert_true(f[4] == 200.0);
}

/* A run to failure: wear grows exponentially towards failure; channel 0 rises with it,
 * channel 1 falls, channel 2 is noise. */
#define UNIT_STEPS_MAX 320
static void unit_values(double *v, int steps)
{
    for (int t = 0; t < steps; t++) {
        double wear = exp(-(steps - 1 - t) / 50.0);
        v[3 * t] = 10 + 5 * wear + 0.3 * noise();
        v[3 * t + 1] = 20 - 3 * wear + 0.3 * noise();
        v[3 * t + 2] = 1 + noise();
    }
}

static void test_rul_model_through_health(void **state)
{
    (void)state;
    enum { UNITS = 30 };
    static double values[UNITS][UNIT_STEPS_MAX * 3];
    static struct rul_unit units[UNITS];
    static struct rul_model m;
    char err[160];
    for (int u = 0; u < UNITS; u++) {
        units[u] = (struct rul_unit){values[u], 150 + (u * 37) % 150};
        unit_values(values[u], units[u].steps);
    }
    assert_int_equal(rul_model_fit(&m, units, 8, 3, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "units"));
    assert_int_equal(rul_model_fit(&m, units, UNITS, 3, NULL, err, sizeof err), 0);
    assert_true(m.cap >= 110 && m.cap <= 140 && m.inner_rmse < 20);

    /* a new unit, fed sample by sample through the console's path, one step per plant minute */
    static struct catalog_type t;
    memset(&t, 0, sizeof t);
    sensor(&t, "a", 10, 9, 11, 20, NAN);
    sensor(&t, "b", 20, 19, 21, 30, NAN);
    sensor(&t, "speed_rpm", 1480, 0, 1500, 1600, NAN); /* not a model channel */
    sensor(&t, "c", 1, 0, 2, 3, NAN);
    struct health *h = health_create(&t, 0, err, sizeof err);
    int bad[3] = {0, 1, 7}, chan[3] = {0, 1, 3};
    assert_int_equal(health_set_rul_model(h, &m, bad, 60, err, sizeof err), -1);
    assert_non_null(strstr(err, "sensor 7"));
    assert_int_equal(health_set_rul_model(h, &m, chan, 60, err, sizeof err), 0);
    static double v[UNIT_STEPS_MAX * 3];
    int steps = 240, covered = 0, judged = 0;
    unit_values(v, steps);
    struct health_estimate e;
    for (int s = 0; s < steps; s++) {
        int64_t ts = T0 + (int64_t)s * 60000;
        health_update(h, 2, 1480, ts);
        health_update(h, 0, v[3 * s], ts);
        health_update(h, 1, v[3 * s + 1], ts + 10);
        health_get(h, &e);
        if (s == 0) /* the first step is not complete until channel c arrives */
            assert_true(isnan(e.rul_hours));
        health_update(h, 3, v[3 * s + 2], ts + 20);
        health_get(h, &e); /* the open step counts */
        double truth = fmin(125, steps - 1 - s);
        assert_true(e.rul_coverage == 0.8f && e.rul_lo_hours <= e.rul_hours &&
                    e.rul_hours <= e.rul_hi_hours);
        if (s < 30)
            continue;
        judged++;
        covered += truth >= e.rul_lo_hours * 60 && truth <= e.rul_hi_hours * 60;
        assert_true(fabs(e.rul_hours * 60 - truth) < 40);
    }
    assert_true(covered >= judged / 2);
    health_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_trend_and_rul),
        cmocka_unit_test(test_tool_rul_follows_cutting_conditions),
        cmocka_unit_test(test_tool_rul_steady_while_idle),
        cmocka_unit_test(test_spindle_health),
        cmocka_unit_test(test_baselines),
        cmocka_unit_test(test_model_fit_exact),
        cmocka_unit_test(test_trend_features),
        cmocka_unit_test(test_rul_model_through_health),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
