// SPDX-License-Identifier: MIT
/* The multivariate process monitor: quiet at its stated false-alarm rate on normal rows, a broken
 * correlation flagged with the sensor behind it, the score back to 0 when the process recovers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect_pca.h"

/* A small deterministic Gaussian source (xorshift + Box-Muller). */
static uint64_t rng_state = 88172645463325252ULL;
static double rng_uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double rng_normal(void)
{
    return sqrt(-2 * log(rng_uniform())) * cos(6.283185307179586 * rng_uniform());
}

/* Four sensors driven by one load: flow, pressure and current follow it, temperature is
 * independent noise. fault > 0 makes the pressure leave the flow (a leak). */
static void plant_row(double *row, double fault)
{
    double load = 50 + 10 * rng_normal();
    row[0] = load + 0.5 * rng_normal();        /* flow */
    row[1] = 2 * load + rng_normal() - fault;  /* pressure */
    row[2] = 0.1 * load + 0.05 * rng_normal(); /* current */
    row[3] = 40 + rng_normal();                /* temperature */
}

static struct detect_pca *trained(void)
{
    struct detect_pca_params p;
    detect_pca_params_default(&p);
    p.train_rows = 600;
    p.calib_rows = 1000;
    char err[200];
    struct detect_pca *m = detect_pca_create(4, &p, err, sizeof err);
    assert_non_null(m);
    double row[4];
    for (int i = 0; i < 1700; i++) {
        plant_row(row, 0);
        detect_pca_update(m, row, true);
    }
    assert_true(detect_pca_ready(m));
    return m;
}

static void test_normal_rows_flagged_near_alpha(void **state)
{
    (void)state;
    struct detect_pca *m = trained();
    double row[4];
    int flagged = 0, rows = 20000;
    for (int i = 0; i < rows; i++) {
        plant_row(row, 0);
        flagged += detect_pca_update(m, row, true) >= 0.5f;
    }
    /* stated rate 0.005 per row; calibration on 1000 rows leaves it within a few times that */
    assert_true(flagged < rows * 0.02);
    assert_true(detect_pca_components(m) >= 1 && detect_pca_components(m) < 8);
    detect_pca_free(m);
}

static void test_broken_correlation_flagged_and_named(void **state)
{
    (void)state;
    struct detect_pca *m = trained();
    double row[4];
    int flagged = 0;
    /* an 8-unit leak: within pressure's own range (sd 20) but off what the flow predicts */
    for (int i = 0; i < 200; i++) {
        plant_row(row, 8.0);
        flagged += detect_pca_update(m, row, true) >= 0.5f;
    }
    assert_true(flagged > 180); /* a fault that persists stays flagged */
    int sensor[3];
    float share[3];
    int n = detect_pca_top(m, sensor, share, 3);
    assert_true(n >= 1);
    assert_true(sensor[0] == 1 || sensor[0] == 0); /* pressure, or the flow it left */
    assert_true(share[0] > 0.3f);
    detect_pca_free(m);
}

static void test_score_falls_back_after_repair(void **state)
{
    (void)state;
    struct detect_pca *m = trained();
    double row[4];
    for (int i = 0; i < 500; i++) {
        plant_row(row, 6.0);
        detect_pca_update(m, row, true);
    }
    float last = 1;
    int high_after = 0;
    for (int i = 0; i < 200; i++) {
        plant_row(row, 0);
        last = detect_pca_update(m, row, true);
        if (i >= 20)
            high_after += last >= 0.5f;
    }
    /* the EWMA of 5 rows forgets a fault within about 20 rows: no latching */
    assert_true(high_after <= 5);
    detect_pca_free(m);
}

static void test_quiet_until_fitted_and_calibrated(void **state)
{
    (void)state;
    struct detect_pca_params p;
    detect_pca_params_default(&p);
    p.train_rows = 100;
    p.calib_rows = 100;
    char err[200];
    struct detect_pca *m = detect_pca_create(4, &p, err, sizeof err);
    assert_non_null(m);
    double row[4];
    for (int i = 0; i < 150; i++) {
        plant_row(row, i > 120 ? 50.0 : 0.0);
        assert_true(detect_pca_update(m, row, true) == 0.0f);
    }
    assert_false(detect_pca_ready(m));
    detect_pca_free(m);
}

static void test_bad_parameters_refused(void **state)
{
    (void)state;
    struct detect_pca_params p;
    detect_pca_params_default(&p);
    char err[200] = "";
    assert_null(detect_pca_create(0, &p, err, sizeof err));
    assert_non_null(strstr(err, "sensors"));
    p.alpha = 0.5;
    assert_null(detect_pca_create(4, &p, err, sizeof err));
    assert_non_null(strstr(err, "pca_alpha"));
    detect_pca_params_default(&p);
    p.lags = 9;
    assert_null(detect_pca_create(4, &p, err, sizeof err));
    assert_non_null(strstr(err, "pca_lags"));
}

static void test_missing_values_carry_the_last(void **state)
{
    (void)state;
    struct detect_pca *m = trained();
    double row[4];
    int flagged = 0;
    for (int i = 0; i < 300; i++) {
        plant_row(row, 0);
        if (i % 3 == 0)
            row[3] = NAN;
        flagged += detect_pca_update(m, row, true) >= 0.5f;
    }
    assert_true(flagged < 30);
    detect_pca_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_rows_flagged_near_alpha),
        cmocka_unit_test(test_broken_correlation_flagged_and_named),
        cmocka_unit_test(test_score_falls_back_after_repair),
        cmocka_unit_test(test_quiet_until_fitted_and_calibrated),
        cmocka_unit_test(test_bad_parameters_refused),
        cmocka_unit_test(test_missing_values_carry_the_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
