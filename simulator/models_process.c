// SPDX-License-Identifier: MIT
/* Process machines: compressors, heat exchanger, steam turbine, cooling tower, boiler, kiln. */
#include <math.h>

#include "models.h"

#define HEALTHY_WEAR_PER_S (0.03 / 86400.0)

/* ---- rotary screw compressor: load/unload between 7 and 8 bar ---- */

enum { RC_PRESSURE, RC_DTEMP, RC_OIL_TEMP, RC_OIL_P, RC_CURRENT, RC_CYCLE, RC_VIB, RC_CHANNELS };
static const char *const rc_channels[] = {
    "discharge_pressure_bar", "discharge_temp_c", "oil_temp_c",    "oil_pressure_bar",
    "motor_current_a",        "cycle_time_s",     "vibration_mm_s"};
enum { RCF_COOLER, RCF_OIL, RCF_VALVE };
static const char *const rc_faults[] = {"cooler_fouling", "oil_degradation", "valve_leak"};

struct rc_state {
    double pressure, loaded, load_frac, dtemp, oil_temp, oil_p, cycle_s, last_load_s, wear, v0;
    double a_current, a_dtemp, a_oil, a_oilp;
    struct sim_ou demand, vib;
};
_Static_assert(sizeof(struct rc_state) <= sizeof(double) * SIM_STATE_DOUBLES, "rc state");

#define RC_RATE 0.02 /* bar/s at full output into the receiver with no demand */

static void rc_init(struct sim_machine *m)
{
    struct rc_state *s = SIM_STATE(m, struct rc_state);
    sim_ou_init(&s->demand, &m->rng, 0.6, 0.045, 1800.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, RC_VIB, 2.5);
    s->pressure = 7.0 + sim_uniform(&m->rng);
    s->loaded = 1;
    s->load_frac = 1;
    s->dtemp = 85.0;
    s->oil_temp = 70.0;
    s->oil_p = 3.0;
    double d = s->demand.x;
    s->cycle_s = 1.0 / (RC_RATE * d * (1.0 - d)); /* what the first cycle will measure */
    s->last_load_s = -1;
    s->a_current = sim_alpha(m->dt, 2.0);
    s->a_dtemp = sim_alpha(m->dt, 60.0);
    s->a_oil = sim_alpha(m->dt, 300.0);
    s->a_oilp = sim_alpha(m->dt, 5.0);
}

static void rc_step(struct sim_machine *m)
{
    struct rc_state *s = SIM_STATE(m, struct rc_state);
    double cooler = m->sev[RCF_COOLER], oil = m->sev[RCF_OIL], leak = m->sev[RCF_VALVE];
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double d = sim_clamp(sim_ou_step(&s->demand, &m->rng), 0.3, 0.85);
    /* A leaking check valve couples the separator tank to the receiver: the pressure swings
     * faster both ways, so the machine short-cycles. */
    double rate = RC_RATE * (1.0 + 3.0 * leak);
    s->pressure += rate * (s->loaded - d) * m->dt;
    if (s->loaded > 0 && s->pressure >= 8.0) {
        s->loaded = 0;
    } else if (s->loaded == 0 && s->pressure <= 7.0) {
        s->loaded = 1;
        if (s->last_load_s >= 0)
            s->cycle_s = m->t_s - s->last_load_s;
        s->last_load_s = m->t_s;
    }
    s->load_frac = sim_lag(s->load_frac, s->loaded, s->a_current);
    double current = 30.0 + 60.0 * s->load_frac * (0.93 + 0.07 * s->pressure / 7.5);
    s->dtemp = sim_lag(s->dtemp,
                       78.0 + 10.0 * s->load_frac + 0.2 * (m->ambient_c - 20.0) + 30.0 * cooler +
                           5.0 * leak,
                       s->a_dtemp);
    s->oil_temp =
        sim_lag(s->oil_temp, 70.0 + 0.5 * (s->dtemp - 85.0) + 12.0 * cooler + 28.0 * oil, s->a_oil);
    s->oil_p = sim_lag(s->oil_p, 2.9 + 0.2 * s->load_frac - 1.5 * oil, s->a_oilp);
    double vib =
        s->v0 * (0.75 + 0.25 * s->load_frac) * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) +
        0.8 * leak;
    sim_out(m, RC_PRESSURE, s->pressure, 0.01);
    sim_out(m, RC_DTEMP, s->dtemp, 0.2);
    sim_out(m, RC_OIL_TEMP, s->oil_temp, 0.15);
    sim_out(m, RC_OIL_P, s->oil_p, 0.02);
    sim_out(m, RC_CURRENT, current, 0.5);
    sim_out(m, RC_CYCLE, s->cycle_s, 0.0);
    sim_out(m, RC_VIB, vib, 0.03);
}

const struct sim_model sim_model_rotary_compressor = {
    "rotary-compressor", rc_channels, RC_CHANNELS, rc_faults, 3, rc_init, rc_step,
};

/* ---- reciprocating compressor ---- */

enum {
    RP_SUCT,
    RP_DISCH,
    RP_DTEMP,
    RP_CYL,
    RP_VALVE,
    RP_ROD,
    RP_OIL_P,
    RP_CAPACITY,
    RP_VIB,
    RP_CHANNELS
};
static const char *const rp_channels[] = {
    "suction_pressure_bar", "discharge_pressure_bar", "discharge_temp_c",
    "cylinder_temp_c",      "valve_temp_c",           "rod_load_kn",
    "oil_pressure_bar",     "capacity_pct",           "vibration_mm_s"};
enum { RPF_VALVE, RPF_RING };
static const char *const rp_faults[] = {"valve_leak", "ring_wear"};

struct rp_state {
    double dtemp, cyl, valve, a_temp, wear, v0;
    struct sim_ou suct, disch, capacity, oil_p, vib;
};
_Static_assert(sizeof(struct rp_state) <= sizeof(double) * SIM_STATE_DOUBLES, "rp state");

static void rp_init(struct sim_machine *m)
{
    struct rp_state *s = SIM_STATE(m, struct rp_state);
    sim_ou_init(&s->suct, &m->rng, 1.0, 0.012, 600.0, m->dt);
    sim_ou_init(&s->disch, &m->rng, 25.0, 0.22, 600.0, m->dt);
    sim_ou_init(&s->capacity, &m->rng, 0.0, 0.7, 300.0, m->dt);
    sim_ou_init(&s->oil_p, &m->rng, 3.5, 0.06, 600.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, RP_VIB, 4.0);
    s->dtemp = 145.0;
    s->cyl = 130.0;
    s->valve = 140.0;
    s->a_temp = sim_alpha(m->dt, 180.0);
}

static void rp_step(struct sim_machine *m)
{
    struct rp_state *s = SIM_STATE(m, struct rp_state);
    double valve = m->sev[RPF_VALVE], ring = m->sev[RPF_RING];
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double ps = sim_ou_step(&s->suct, &m->rng);
    double pd = sim_ou_step(&s->disch, &m->rng);
    double ratio = pd / ps;
    /* Leaking valves and worn rings recompress hot gas: less capacity, more heat. */
    double capacity =
        100.0 * (1.0 - 0.25 * valve - 0.22 * ring) + sim_ou_step(&s->capacity, &m->rng);
    s->dtemp = sim_lag(s->dtemp,
                       145.0 + 2.5 * (ratio - 25.0) + 0.3 * (m->ambient_c - 20.0) + 32.0 * ring +
                           10.0 * valve,
                       s->a_temp);
    s->cyl =
        sim_lag(s->cyl, 130.0 + 0.5 * (s->dtemp - 145.0) + 18.0 * ring + 4.0 * valve, s->a_temp);
    s->valve = sim_lag(s->valve, 140.0 + 0.8 * (s->dtemp - 145.0) + 45.0 * valve, s->a_temp);
    double rod = 80.0 + 3.2 * (pd - 25.0) - 10.0 * (ps - 1.0) - 6.0 * valve;
    double vib = s->v0 * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) + 2.0 * valve + 1.5 * ring;
    sim_out(m, RP_SUCT, ps, 0.004);
    sim_out(m, RP_DISCH, pd, 0.05);
    sim_out(m, RP_DTEMP, s->dtemp, 0.3);
    sim_out(m, RP_CYL, s->cyl, 0.3);
    sim_out(m, RP_VALVE, s->valve, 0.3);
    sim_out(m, RP_ROD, rod, 0.5);
    sim_out(m, RP_OIL_P, sim_ou_step(&s->oil_p, &m->rng), 0.02);
    sim_out(m, RP_CAPACITY, capacity, 0.3);
    sim_out(m, RP_VIB, vib, 0.06);
}

const struct sim_model sim_model_recip_compressor = {
    "reciprocating-compressor", rp_channels, RP_CHANNELS, rp_faults, 2, rp_init, rp_step,
};

/* ---- counterflow heat exchanger (effectiveness-NTU) ---- */

enum {
    HX_HOT_IN,
    HX_HOT_OUT,
    HX_COLD_IN,
    HX_COLD_OUT,
    HX_HOT_FLOW,
    HX_COLD_FLOW,
    HX_DP,
    HX_COND,
    HX_CHANNELS
};
static const char *const hx_channels[] = {
    "hot_in_c",     "hot_out_c",     "cold_in_c",         "cold_out_c",
    "hot_flow_m3h", "cold_flow_m3h", "pressure_drop_bar", "cold_conductivity_us_cm"};
enum { HXF_FOULING, HXF_LEAK };
static const char *const hx_faults[] = {"fouling", "tube_leak"};

struct hx_state {
    double ua0, hot_out, cold_out, a_out, fouling;
    struct sim_ou hot_in, cold_in, hot_flow, cold_flow, cond;
};
_Static_assert(sizeof(struct hx_state) <= sizeof(double) * SIM_STATE_DOUBLES, "hx state");

static double hx_effectiveness(double ntu, double cr)
{
    double e = exp(-ntu * (1.0 - cr));
    return (1.0 - e) / (1.0 - cr * e);
}

static void hx_init(struct sim_machine *m)
{
    struct hx_state *s = SIM_STATE(m, struct hx_state);
    sim_ou_init(&s->hot_in, &m->rng, 120.0, 1.2, 600.0, m->dt);
    sim_ou_init(&s->cold_in, &m->rng, 0.0, 0.5, 900.0, m->dt);
    sim_ou_init(&s->hot_flow, &m->rng, 40.0, 0.7, 600.0, m->dt);
    sim_ou_init(&s->cold_flow, &m->rng, 45.0, 0.7, 600.0, m->dt);
    sim_ou_init(&s->cond, &m->rng, 300.0, 8.0, 1800.0, m->dt);
    /* Size UA so that the clean exchanger cools 120 -> 80 degC at nominal flows. */
    double cr = 40.0 / 45.0, want = 40.0 / 95.0, lo = 0.01, hi = 10.0;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (hx_effectiveness(mid, cr) < want)
            lo = mid;
        else
            hi = mid;
    }
    s->ua0 = 0.5 * (lo + hi) * 40.0;
    s->hot_out = 80.0;
    s->cold_out = 60.5;
    s->a_out = sim_alpha(m->dt, 90.0);
}

static void hx_step(struct sim_machine *m)
{
    struct hx_state *s = SIM_STATE(m, struct hx_state);
    double foul = m->sev[HXF_FOULING], leak = m->sev[HXF_LEAK];
    s->fouling += 0.02 / 86400.0 * m->dt; /* clean water still fouls a little */
    double th = sim_ou_step(&s->hot_in, &m->rng);
    double tc = 25.0 + 0.5 * (m->ambient_c - 20.0) + sim_ou_step(&s->cold_in, &m->rng);
    double ch = sim_ou_step(&s->hot_flow, &m->rng);
    double cc = sim_ou_step(&s->cold_flow, &m->rng);
    double cmin = fmin(ch, cc), cmax = fmax(ch, cc);
    /* Film coefficients grow with flow; fouling adds a resistance in series. */
    double ua =
        s->ua0 * (0.5 + 0.25 * ch / 40.0 + 0.25 * cc / 45.0) * (1.0 - 0.6 * foul - s->fouling);
    double eff = hx_effectiveness(ua / cmin, cmin / cmax);
    double q = eff * cmin * (th - tc);
    double leak_flow = 8.0 * leak;
    s->hot_out = sim_lag(s->hot_out, th - q / ch, s->a_out);
    s->cold_out =
        sim_lag(s->cold_out, tc + (q + leak_flow * (th - tc) * 0.5) / (cc + leak_flow), s->a_out);
    double dp = 0.6 * (ch / 40.0) * (ch / 40.0) * (1.0 + 1.6 * foul + 2.0 * s->fouling);
    sim_out(m, HX_HOT_IN, th, 0.1);
    sim_out(m, HX_HOT_OUT, s->hot_out, 0.1);
    sim_out(m, HX_COLD_IN, tc, 0.1);
    sim_out(m, HX_COLD_OUT, s->cold_out, 0.1);
    sim_out(m, HX_HOT_FLOW, ch - leak_flow, 0.15);
    sim_out(m, HX_COLD_FLOW, cc, 0.15);
    sim_out(m, HX_DP, dp, 0.004);
    sim_out(m, HX_COND, sim_ou_step(&s->cond, &m->rng) + 1300.0 * leak, 2.0);
}

const struct sim_model sim_model_heat_exchanger = {
    "heat-exchanger", hx_channels, HX_CHANNELS, hx_faults, 2, hx_init, hx_step,
};

/* ---- steam turbine driving a 50 Hz generator ---- */

enum { T_SPEED, T_INLET_P, T_INLET_T, T_EXHAUST, T_STEAM, T_POWER, T_BEARING, T_VIB, T_CHANNELS };
static const char *const turbine_channels[] = {
    "speed_rpm",      "inlet_pressure_bar", "inlet_temp_c",   "exhaust_temp_c",
    "steam_flow_t_h", "power_mw",           "bearing_temp_c", "vibration_mm_s"};
enum { TF_EROSION, TF_BEARING, TF_HUNTING };
static const char *const turbine_faults[] = {"blade_erosion", "bearing_wear", "governor_hunting"};

struct turbine_state {
    double dispatch, power_target, next_change_s, exhaust, bearing, a_exhaust, a_bearing, phase,
        wear, v0;
    struct sim_ou grid, power, inlet_p, inlet_t, vib;
};
_Static_assert(sizeof(struct turbine_state) <= sizeof(double) * SIM_STATE_DOUBLES, "turbine");

static void turbine_init(struct sim_machine *m)
{
    struct turbine_state *s = SIM_STATE(m, struct turbine_state);
    s->dispatch = s->power_target = 25.0;
    s->next_change_s = 1800.0 * sim_uniform(&m->rng);
    sim_ou_init(&s->grid, &m->rng, 0.0, 1.0, 60.0, m->dt);
    sim_ou_init(&s->power, &m->rng, 0.0, 0.2, 120.0, m->dt);
    sim_ou_init(&s->inlet_p, &m->rng, 60.0, 0.6, 600.0, m->dt);
    sim_ou_init(&s->inlet_t, &m->rng, 480.0, 2.2, 900.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, T_VIB, 2.5);
    s->exhaust = 180.0;
    s->bearing = 75.0;
    s->a_exhaust = sim_alpha(m->dt, 300.0);
    s->a_bearing = sim_alpha(m->dt, 1800.0);
}

static void turbine_step(struct sim_machine *m)
{
    struct turbine_state *s = SIM_STATE(m, struct turbine_state);
    double erosion = m->sev[TF_EROSION], bw = m->sev[TF_BEARING], hunt = m->sev[TF_HUNTING];
    if (sim_setpoint_due(m, &s->next_change_s))
        s->power_target = 21.0 + 6.0 * sim_uniform(&m->rng);
    s->dispatch = sim_ramp(s->dispatch, s->power_target, 0.02 * m->dt); /* 1.2 MW/min */
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double power = s->dispatch + sim_ou_step(&s->power, &m->rng);
    /* Eroded blades extract less enthalpy: more steam for the same power, a hotter exhaust. */
    double eff = 1.0 - 0.18 * erosion;
    double steam = 4.0 * power / eff;
    /* A hunting governor: a slow speed swing (20 s period) whose amplitude grows. */
    s->phase += 2.0 * M_PI * m->dt / 20.0;
    if (s->phase > 2.0 * M_PI)
        s->phase -= 2.0 * M_PI;
    double swing = hunt > 0 ? 100.0 * hunt * sin(s->phase) : 0.0;
    double speed = 3000.0 + sim_ou_step(&s->grid, &m->rng) + swing;
    s->exhaust = sim_lag(s->exhaust, 180.0 + 1.2 * (power - 25.0) + 42.0 * erosion, s->a_exhaust);
    s->bearing =
        sim_lag(s->bearing, m->ambient_c + 55.0 + 0.4 * (power - 25.0) + 32.0 * bw + 60.0 * s->wear,
                s->a_bearing);
    double vib = s->v0 * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) + 6.0 * bw + 1.5 * hunt;
    sim_out(m, T_SPEED, speed, 0.5);
    sim_out(m, T_INLET_P, sim_ou_step(&s->inlet_p, &m->rng), 0.05);
    sim_out(m, T_INLET_T, sim_ou_step(&s->inlet_t, &m->rng), 0.3);
    sim_out(m, T_EXHAUST, s->exhaust, 0.3);
    sim_out(m, T_STEAM, steam, 0.3);
    sim_out(m, T_POWER, power, 0.05);
    sim_out(m, T_BEARING, s->bearing, 0.15);
    sim_out(m, T_VIB, vib, 0.03);
}

const struct sim_model sim_model_turbine = {
    "steam-turbine", turbine_channels, T_CHANNELS, turbine_faults, 3, turbine_init, turbine_step,
};

/* ---- wet cooling tower ---- */

enum { CT_IN, CT_OUT, CT_WB, CT_FAN, CT_CURRENT, CT_LEVEL, CT_VIB, CT_CHANNELS };
static const char *const ct_channels[] = {"water_in_c",    "water_out_c",   "wet_bulb_c",
                                          "fan_speed_rpm", "fan_current_a", "basin_level_pct",
                                          "vibration_mm_s"};
enum { CTF_FILL, CTF_GEARBOX, CTF_MAKEUP };
static const char *const ct_faults[] = {"fill_fouling", "fan_gearbox_wear", "makeup_failure"};

struct ct_state {
    double water_out, level, a_water, wear, v0;
    struct sim_ou wet_bulb, heat, level_ripple, vib;
};
_Static_assert(sizeof(struct ct_state) <= sizeof(double) * SIM_STATE_DOUBLES, "ct state");

static void ct_init(struct sim_machine *m)
{
    struct ct_state *s = SIM_STATE(m, struct ct_state);
    sim_ou_init(&s->wet_bulb, &m->rng, 0.0, 0.5, 1800.0, m->dt);
    sim_ou_init(&s->heat, &m->rng, 1.0, 0.045, 900.0, m->dt);
    sim_ou_init(&s->level_ripple, &m->rng, 0.0, 0.4, 60.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, CT_VIB, 2.0);
    s->water_out = 29.0;
    s->level = 69.3;
    s->a_water = sim_alpha(m->dt, 300.0);
}

static void ct_step(struct sim_machine *m)
{
    struct ct_state *s = SIM_STATE(m, struct ct_state);
    double fill = m->sev[CTF_FILL], gear = m->sev[CTF_GEARBOX], makeup = m->sev[CTF_MAKEUP];
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double wb = 22.0 + 0.6 * (m->ambient_c - 20.0) + sim_ou_step(&s->wet_bulb, &m->rng);
    double heat = sim_ou_step(&s->heat, &m->rng);
    double range = 9.0 * heat;
    /* Approach to the wet bulb widens with heat load and fouled fill, narrows in warm air. */
    double approach = (7.0 * sqrt(heat) - 0.15 * (wb - 22.0)) * (1.0 + 1.9 * fill + s->wear);
    s->water_out = sim_lag(s->water_out, wb + approach, s->a_water);
    /* Basin: evaporation ~ range; a proportional make-up valve that a failure chokes. */
    double evap = 0.015 * heat;
    double makeup_max = fmax(0.0, 0.05 * (1.0 - 1.3 * makeup));
    double fill_rate = sim_clamp(0.02 * (70.0 - s->level), 0.0, makeup_max);
    s->level = sim_clamp(s->level + (fill_rate - evap) * m->dt, 0.0, 100.0);
    double fan = 180.0 * (1.0 - 0.01 * gear);
    double vib = s->v0 * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) + 6.5 * gear;
    sim_out(m, CT_IN, s->water_out + range, 0.1);
    sim_out(m, CT_OUT, s->water_out, 0.1);
    sim_out(m, CT_WB, wb, 0.1);
    sim_out(m, CT_FAN, fan, 0.5);
    sim_out(m, CT_CURRENT, 40.0 * (1.0 + 0.02 * (heat - 1.0)) + 14.0 * gear, 0.3);
    sim_out(m, CT_LEVEL, s->level + sim_ou_step(&s->level_ripple, &m->rng), 0.15);
    sim_out(m, CT_VIB, vib, 0.03);
}

const struct sim_model sim_model_cooling_tower = {
    "cooling-tower", ct_channels, CT_CHANNELS, ct_faults, 3, ct_init, ct_step,
};

/* ---- fire-tube steam boiler ---- */

enum { B_PRESSURE, B_STEAM, B_LEVEL, B_FEEDWATER, B_FLUE, B_O2, B_FUEL, B_CHANNELS };
static const char *const boiler_channels[] = {
    "steam_pressure_bar", "steam_flow_t_h", "drum_level_pct", "feedwater_temp_c",
    "flue_gas_temp_c",    "o2_pct",         "fuel_flow_m3h"};
enum { BF_SCALING, BF_BURNER, BF_LOW_WATER };
static const char *const boiler_faults[] = {"scaling", "burner_fouling", "low_water"};

struct boiler_state {
    double gen, pressure, a_gen, a_pressure, scale;
    struct sim_ou demand, level, feedwater, o2, pressure_noise;
};
_Static_assert(sizeof(struct boiler_state) <= sizeof(double) * SIM_STATE_DOUBLES, "boiler");

static void boiler_init(struct sim_machine *m)
{
    struct boiler_state *s = SIM_STATE(m, struct boiler_state);
    sim_ou_init(&s->demand, &m->rng, 20.0, 1.05, 600.0, m->dt);
    sim_ou_init(&s->level, &m->rng, 0.0, 1.4, 60.0, m->dt);
    sim_ou_init(&s->feedwater, &m->rng, 105.0, 0.8, 600.0, m->dt);
    sim_ou_init(&s->o2, &m->rng, 3.5, 0.14, 300.0, m->dt);
    sim_ou_init(&s->pressure_noise, &m->rng, 0.0, 0.05, 30.0, m->dt);
    s->gen = s->demand.x;
    s->pressure = 10.0;
    s->a_gen = sim_alpha(m->dt, 120.0);
    s->a_pressure = sim_alpha(m->dt, 30.0);
}

static void boiler_step(struct sim_machine *m)
{
    struct boiler_state *s = SIM_STATE(m, struct boiler_state);
    double scaling = m->sev[BF_SCALING], burner = m->sev[BF_BURNER], low = m->sev[BF_LOW_WATER];
    s->scale += 0.01 / 86400.0 * m->dt;
    double demand = fmax(2.0, sim_ou_step(&s->demand, &m->rng));
    /* Firing follows demand with a lag; the pressure sags while it catches up. */
    s->gen = sim_lag(s->gen, demand, s->a_gen);
    s->pressure = sim_lag(s->pressure, 10.0 + 0.15 * (s->gen - demand), s->a_pressure);
    /* Swell: the level rises while demand runs ahead of firing (pressure sags, bubbles grow). */
    double level = 50.0 + 4.0 * (demand - s->gen) + sim_ou_step(&s->level, &m->rng) - 35.0 * low;
    double flue = 180.0 + 2.5 * (s->gen - 20.0) + 62.0 * scaling + 500.0 * s->scale;
    double fuel = 75.0 * s->gen * (1.0 + 0.10 * scaling + 0.05 * burner + s->scale);
    sim_out(m, B_PRESSURE, s->pressure + sim_ou_step(&s->pressure_noise, &m->rng), 0.01);
    sim_out(m, B_STEAM, demand, 0.1);
    sim_out(m, B_LEVEL, level, 0.2);
    sim_out(m, B_FEEDWATER, sim_ou_step(&s->feedwater, &m->rng) - 4.0 * low, 0.1);
    sim_out(m, B_FLUE, flue, 0.5);
    sim_out(m, B_O2, sim_ou_step(&s->o2, &m->rng) - 2.6 * burner, 0.03);
    sim_out(m, B_FUEL, fuel, 5.0);
}

const struct sim_model sim_model_boiler = {
    "boiler-system", boiler_channels, B_CHANNELS, boiler_faults, 3, boiler_init, boiler_step,
};

/* ---- rotary cement kiln ---- */

enum { K_SHELL, K_BURNING, K_ROTATION, K_CURRENT, K_FEED, K_EXIT, K_CHANNELS };
static const char *const kiln_channels[] = {"shell_temp_c",  "burning_zone_temp_c",
                                            "rotation_rpm",  "drive_current_a",
                                            "feed_rate_t_h", "exit_gas_temp_c"};
enum { KF_REFRACTORY, KF_RING };
static const char *const kiln_faults[] = {"refractory_thinning", "ring_formation"};

struct kiln_state {
    double shell, a_shell;
    struct sim_ou feed, burning, coating, torque, exit;
};
_Static_assert(sizeof(struct kiln_state) <= sizeof(double) * SIM_STATE_DOUBLES, "kiln");

static void kiln_init(struct sim_machine *m)
{
    struct kiln_state *s = SIM_STATE(m, struct kiln_state);
    sim_ou_init(&s->feed, &m->rng, 150.0, 3.0, 1200.0, m->dt);
    sim_ou_init(&s->burning, &m->rng, 1450.0, 11.0, 900.0, m->dt);
    sim_ou_init(&s->coating, &m->rng, 0.0, 6.0, 3600.0, m->dt);
    sim_ou_init(&s->torque, &m->rng, 0.0, 5.5, 600.0, m->dt);
    sim_ou_init(&s->exit, &m->rng, 0.0, 4.0, 600.0, m->dt);
    s->shell = 250.0;
    s->a_shell = sim_alpha(m->dt, 1200.0);
}

static void kiln_step(struct sim_machine *m)
{
    struct kiln_state *s = SIM_STATE(m, struct kiln_state);
    double refr = m->sev[KF_REFRACTORY], ring = m->sev[KF_RING];
    double feed = sim_ou_step(&s->feed, &m->rng);
    double bz = sim_ou_step(&s->burning, &m->rng);
    /* The shell scanner reads the hottest spot: thin refractory lets the burning zone through. */
    s->shell = sim_lag(s->shell,
                       250.0 + 0.15 * (bz - 1450.0) + 0.8 * (m->ambient_c - 20.0) +
                           sim_ou_step(&s->coating, &m->rng) + 190.0 * refr,
                       s->a_shell);
    double current = 300.0 + 0.6 * (feed - 150.0) + sim_ou_step(&s->torque, &m->rng) + 115.0 * ring;
    double exit = 350.0 + 0.3 * (bz - 1450.0) + sim_ou_step(&s->exit, &m->rng) - 40.0 * ring;
    sim_out(m, K_SHELL, s->shell, 1.0);
    sim_out(m, K_BURNING, bz, 2.0);
    sim_out(m, K_ROTATION, 3.5 + 0.004 * (feed - 150.0), 0.004);
    sim_out(m, K_CURRENT, current, 1.0);
    sim_out(m, K_FEED, feed, 0.5);
    sim_out(m, K_EXIT, exit, 0.8);
}

const struct sim_model sim_model_kiln = {
    "rotary-kiln", kiln_channels, K_CHANNELS, kiln_faults, 2, kiln_init, kiln_step,
};
