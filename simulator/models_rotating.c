// SPDX-License-Identifier: MIT
/* Rotating machines: pumps (affinity laws), motor, conveyor, gearbox, fan. */
#include <math.h>

#include "models.h"

#define HEALTHY_WEAR_PER_S (0.03 / 86400.0) /* a healthy bearing loses ~3 % margin a day */

/* ---- centrifugal pump and cooling pump ---- */

enum { P_SPEED, P_FLOW, P_DISCH, P_SUCT, P_CURRENT, P_BEARING, P_VIB, P_CHANNELS };
static const char *const pump_channels[] = {
    "speed_rpm",       "flow_m3h",       "discharge_pressure_bar", "suction_pressure_bar",
    "motor_current_a", "bearing_temp_c", "vibration_mm_s"};
enum { PF_BEARING, PF_CAVITATION, PF_IMPELLER, PF_STRAINER };
static const char *const pump_faults[] = {"bearing_wear", "cavitation", "impeller_wear",
                                          "strainer_clogging"};

struct pump_state {
    double n0, q0, pd0, ps0, i0, tb0, v0;
    double speed, speed_target, next_change_s;
    double bearing_temp, a_bearing, wear;
    struct sim_ou valve, suction, vib;
};
_Static_assert(sizeof(struct pump_state) <= sizeof(double) * SIM_STATE_DOUBLES, "pump state");

static void pump_init_with(struct sim_machine *m, const double defaults[7])
{
    struct pump_state *p = SIM_STATE(m, struct pump_state);
    p->n0 = sim_nominal(m, P_SPEED, defaults[0]);
    p->q0 = sim_nominal(m, P_FLOW, defaults[1]);
    p->pd0 = sim_nominal(m, P_DISCH, defaults[2]);
    p->ps0 = sim_nominal(m, P_SUCT, defaults[3]);
    p->i0 = sim_nominal(m, P_CURRENT, defaults[4]);
    p->tb0 = sim_nominal(m, P_BEARING, defaults[5]);
    p->v0 = sim_nominal(m, P_VIB, defaults[6]);
    p->speed = p->speed_target = p->n0;
    p->next_change_s = 600.0 + 1800.0 * sim_uniform(&m->rng);
    p->bearing_temp = p->tb0;
    p->a_bearing = sim_alpha(m->dt, 1200.0);
    sim_ou_init(&p->valve, &m->rng, 0.0, 0.025, 900.0, m->dt);
    sim_ou_init(&p->suction, &m->rng, 0.0, 0.025 * p->ps0, 600.0, m->dt);
    sim_ou_init(&p->vib, &m->rng, 1.0, 0.05, 30.0, m->dt);
}

static void centrifugal_pump_init(struct sim_machine *m)
{
    static const double defaults[7] = {1480, 120, 6.5, 1.2, 45, 55, 2.0};
    pump_init_with(m, defaults);
}

static void cooling_pump_init(struct sim_machine *m)
{
    static const double defaults[7] = {1480, 300, 4.0, 1.5, 70, 50, 1.8};
    pump_init_with(m, defaults);
}

static void pump_step(struct sim_machine *m)
{
    struct pump_state *p = SIM_STATE(m, struct pump_state);
    const double *sev = m->sev;
    if (sim_setpoint_due(m, &p->next_change_s))
        p->speed_target = p->n0 * (0.92 + 0.08 * sim_uniform(&m->rng));
    p->speed = sim_ramp(p->speed, p->speed_target, 5.0 * m->dt); /* VFD ramp 5 rpm/s */
    p->wear += HEALTHY_WEAR_PER_S * m->dt;
    double r = p->speed / p->n0;
    double eps = sim_ou_step(&p->valve, &m->rng);
    double cav = sev[PF_CAVITATION], imp = sev[PF_IMPELLER], bw = sev[PF_BEARING];
    double str = sev[PF_STRAINER];
    /* Affinity laws: flow ~ n, head ~ n^2, shaft power ~ n^3 (flow x head). */
    double qf = r * (1.0 + eps) * (1.0 - 0.38 * imp) * (1.0 - 0.4 * cav) * (1.0 - 0.25 * str);
    double hf =
        r * r * (1.0 - 0.5 * eps) * (1.0 - 0.45 * imp) * (1.0 - 0.35 * cav) * (1.0 - 0.1 * str);
    double suction =
        p->ps0 + sim_ou_step(&p->suction, &m->rng) - 0.62 * p->ps0 * cav - 0.57 * p->ps0 * str;
    double head0 = p->pd0 - p->ps0;
    double power = qf * hf / (1.0 - 0.15 * imp); /* worn impeller: lower efficiency */
    double current = p->i0 * (0.3 + 0.7 * power) * (1.0 + 0.08 * bw);
    double target =
        m->ambient_c + (p->tb0 - 20.0) * (0.6 + 0.4 * r * r) + 38.0 * bw + 60.0 * p->wear;
    p->bearing_temp = sim_lag(p->bearing_temp, target, p->a_bearing);
    double vib = p->v0 * (0.55 + 0.45 * r * r) * (1.0 + p->wear) * sim_ou_step(&p->vib, &m->rng) +
                 6.5 * bw + 1.0 * imp + cav * (2.5 + 1.5 * fabs(sim_gauss(&m->rng)));
    sim_out(m, P_SPEED, p->speed, 0.8);
    sim_out(m, P_FLOW, p->q0 * qf, 0.004 * p->q0);
    sim_out(m, P_DISCH, suction + head0 * hf, 0.01 * p->pd0);
    sim_out(m, P_SUCT, suction, 0.005 * p->ps0);
    sim_out(m, P_CURRENT, current, 0.006 * p->i0);
    sim_out(m, P_BEARING, p->bearing_temp, 0.15);
    sim_out(m, P_VIB, vib, 0.03);
}

const struct sim_model sim_model_centrifugal_pump = {
    "centrifugal-pump", pump_channels, P_CHANNELS, pump_faults, 4, centrifugal_pump_init, pump_step,
};
const struct sim_model sim_model_cooling_pump = {
    "cooling-pump", pump_channels, P_CHANNELS, pump_faults, 4, cooling_pump_init, pump_step,
};

/* ---- induction motor ---- */

enum {
    M_SPEED,
    M_CURRENT,
    M_VOLTAGE,
    M_POWER,
    M_WINDING,
    M_BEARING,
    M_IMBALANCE,
    M_VIB,
    M_CHANNELS
};
static const char *const motor_channels[] = {"speed_rpm",
                                             "current_a",
                                             "voltage_v",
                                             "power_kw",
                                             "winding_temp_c",
                                             "bearing_temp_c",
                                             "current_imbalance_pct",
                                             "vibration_mm_s"};
enum { MF_BEARING, MF_MISALIGN, MF_INSULATION };
static const char *const motor_faults[] = {"bearing_wear", "misalignment", "insulation_ageing"};

struct motor_state {
    double load_mean, next_change_s, winding, bearing, a_winding, a_bearing, wear, v0;
    struct sim_ou load, voltage, imbalance, vib;
};
_Static_assert(sizeof(struct motor_state) <= sizeof(double) * SIM_STATE_DOUBLES, "motor state");

static void motor_init(struct sim_machine *m)
{
    struct motor_state *s = SIM_STATE(m, struct motor_state);
    s->load_mean = 0.85;
    s->next_change_s = 1200.0 * sim_uniform(&m->rng);
    sim_ou_init(&s->load, &m->rng, 0.85, 0.03, 600.0, m->dt);
    sim_ou_init(&s->voltage, &m->rng, 400.0, 2.2, 300.0, m->dt);
    sim_ou_init(&s->imbalance, &m->rng, 1.0, 0.15, 900.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 30.0, m->dt);
    s->v0 = sim_nominal(m, M_VIB, 1.8);
    s->winding = 80.0;
    s->bearing = 50.0;
    s->a_winding = sim_alpha(m->dt, 1500.0);
    s->a_bearing = sim_alpha(m->dt, 1800.0);
}

static void motor_step(struct sim_machine *m)
{
    struct motor_state *s = SIM_STATE(m, struct motor_state);
    const double *sev = m->sev;
    if (sim_setpoint_due(m, &s->next_change_s))
        s->load_mean = 0.8 + 0.08 * sim_uniform(&m->rng);
    s->load.mean = sim_ramp(s->load.mean, s->load_mean, 0.0005 * m->dt);
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double load = sim_clamp(sim_ou_step(&s->load, &m->rng), 0.6, 0.97);
    double volt = sim_ou_step(&s->voltage, &m->rng);
    double vr = 400.0 / volt;
    double bw = sev[MF_BEARING], mis = sev[MF_MISALIGN], ins = sev[MF_INSULATION];
    /* Slip grows with load and falls with the square of the voltage. */
    double speed = 1500.0 - 17.6 * load * vr * vr;
    double friction = 1.0 + 0.04 * bw + 0.03 * mis;
    double power = 43.5 * load * friction;
    double current = (18.0 + 49.0 * load * friction) * vr;
    double imbalance = sim_ou_step(&s->imbalance, &m->rng) + 7.0 * ins;
    double rise = 60.0 * (load / 0.85) * (load / 0.85) * (1.0 + 0.02 * imbalance) + 65.0 * ins;
    s->winding = sim_lag(s->winding, m->ambient_c + rise, s->a_winding);
    s->bearing = sim_lag(s->bearing,
                         m->ambient_c + 30.0 + 10.0 * (load - 0.85) + 38.0 * bw + 22.0 * mis +
                             60.0 * s->wear,
                         s->a_bearing);
    double vib = s->v0 * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) + 6.3 * bw + 6.0 * mis;
    sim_out(m, M_SPEED, speed, 0.4);
    sim_out(m, M_CURRENT, current, 0.3);
    sim_out(m, M_VOLTAGE, volt, 0.5);
    sim_out(m, M_POWER, power, 0.15);
    sim_out(m, M_WINDING, s->winding, 0.2);
    sim_out(m, M_BEARING, s->bearing, 0.15);
    sim_out(m, M_IMBALANCE, fabs(imbalance), 0.05);
    sim_out(m, M_VIB, vib, 0.03);
}

const struct sim_model sim_model_motor = {
    "industrial-motor", motor_channels, M_CHANNELS, motor_faults, 3, motor_init, motor_step,
};

/* ---- belt conveyor ---- */

enum { C_BELT, C_LOAD, C_CURRENT, C_MOTOR_TEMP, C_TENSION, C_VIB, C_CHANNELS };
static const char *const conveyor_channels[] = {"belt_speed_m_s",  "load_t_h",
                                                "motor_current_a", "motor_temp_c",
                                                "belt_tension_kn", "vibration_mm_s"};
enum { CF_SLIP, CF_IDLER, CF_JAM };
static const char *const conveyor_faults[] = {"belt_slip", "idler_bearing_wear", "jam"};

struct conveyor_state {
    double motor_temp, a_motor, wear, v0, spike, spike_left_s;
    struct sim_ou load, tension, vib;
};
_Static_assert(sizeof(struct conveyor_state) <= sizeof(double) * SIM_STATE_DOUBLES, "conveyor");

static void conveyor_init(struct sim_machine *m)
{
    struct conveyor_state *s = SIM_STATE(m, struct conveyor_state);
    sim_ou_init(&s->load, &m->rng, 300.0, 17.0, 120.0, m->dt);
    sim_ou_init(&s->tension, &m->rng, 0.0, 0.3, 300.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, C_VIB, 2.2);
    s->motor_temp = 55.0;
    s->a_motor = sim_alpha(m->dt, 1200.0);
}

static void conveyor_step(struct sim_machine *m)
{
    struct conveyor_state *s = SIM_STATE(m, struct conveyor_state);
    double slip_f = m->sev[CF_SLIP], idler = m->sev[CF_IDLER], jam = m->sev[CF_JAM];
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double load = fmax(0.0, sim_ou_step(&s->load, &m->rng));
    double lf = load / 300.0;
    /* A jam shows first as short current spikes, more frequent and longer as it develops. */
    if (s->spike_left_s > 0) {
        s->spike_left_s -= m->dt;
        if (s->spike_left_s <= 0)
            s->spike = 0;
    } else if (jam > 0 && sim_uniform(&m->rng) < 0.01 + 0.05 * jam) {
        s->spike = (6.0 + 14.0 * sim_uniform(&m->rng)) * (0.5 + jam);
        s->spike_left_s = 2.0 + 8.0 * jam * sim_uniform(&m->rng);
    }
    double slip = 0.003 + 0.0015 * lf + 0.2 * slip_f;
    double belt = 2.0 * (1.0 - slip) * (1.0 - 0.12 * jam);
    double current = (11.0 + 14.0 * lf) * (1.0 - 0.3 * slip_f) + 24.0 * jam + s->spike;
    double tension =
        18.0 + 2.0 * lf + sim_ou_step(&s->tension, &m->rng) - 10.0 * slip_f + 9.0 * jam;
    s->motor_temp = sim_lag(s->motor_temp,
                            m->ambient_c + 35.0 * (current / 25.0) * (current / 25.0), s->a_motor);
    double vib = s->v0 * (0.9 + 0.1 * lf) * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) +
                 6.5 * idler + 1.5 * jam;
    sim_out(m, C_BELT, belt, 0.004);
    sim_out(m, C_LOAD, load, 2.0);
    sim_out(m, C_CURRENT, current, 0.2);
    sim_out(m, C_MOTOR_TEMP, s->motor_temp, 0.15);
    sim_out(m, C_TENSION, tension, 0.1);
    sim_out(m, C_VIB, vib, 0.03);
}

const struct sim_model sim_model_conveyor = {
    "conveyor-belt", conveyor_channels, C_CHANNELS, conveyor_faults, 3,
    conveyor_init,   conveyor_step,
};

/* ---- gearbox (ratio 10:1) ---- */

enum { G_IN, G_OUT, G_TORQUE, G_OIL, G_VIB, G_CHANNELS };
static const char *const gearbox_channels[] = {"input_rpm", "output_rpm", "torque_knm",
                                               "oil_temp_c", "vibration_mm_s"};
enum { GF_TOOTH, GF_LUBE };
static const char *const gearbox_faults[] = {"tooth_wear", "lubrication_loss"};

struct gearbox_state {
    double oil, a_oil, wear, v0;
    struct sim_ou torque, vib;
};
_Static_assert(sizeof(struct gearbox_state) <= sizeof(double) * SIM_STATE_DOUBLES, "gearbox");

static void gearbox_init(struct sim_machine *m)
{
    struct gearbox_state *s = SIM_STATE(m, struct gearbox_state);
    sim_ou_init(&s->torque, &m->rng, 2.4, 0.1, 300.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, G_VIB, 2.0);
    s->oil = 65.0;
    s->a_oil = sim_alpha(m->dt, 2400.0);
}

static void gearbox_step(struct sim_machine *m)
{
    struct gearbox_state *s = SIM_STATE(m, struct gearbox_state);
    double tooth = m->sev[GF_TOOTH], lube = m->sev[GF_LUBE];
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double torque = fmax(0.0, sim_ou_step(&s->torque, &m->rng));
    double tr = torque / 2.4;
    double in = 1500.0 - 8.3 * torque; /* the driving motor's slip */
    double losses = 1.0 + 0.15 * tooth + 0.3 * lube;
    s->oil =
        sim_lag(s->oil, m->ambient_c + 45.0 * (0.5 + 0.5 * tr) * losses + 25.0 * lube, s->a_oil);
    double vib = s->v0 * (0.8 + 0.2 * tr) * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) +
                 6.8 * tooth + 2.0 * lube;
    sim_out(m, G_IN, in, 0.5);
    sim_out(m, G_OUT, in / 10.0, 0.05);
    sim_out(m, G_TORQUE, torque, 0.01);
    sim_out(m, G_OIL, s->oil, 0.15);
    sim_out(m, G_VIB, vib, 0.03);
}

const struct sim_model sim_model_gearbox = {
    "gearbox", gearbox_channels, G_CHANNELS, gearbox_faults, 2, gearbox_init, gearbox_step,
};

/* ---- industrial fan ---- */

enum { F_SPEED, F_FLOW, F_PRESSURE, F_CURRENT, F_BEARING, F_VIB, F_CHANNELS };
static const char *const fan_channels[] = {"speed_rpm",          "airflow_m3s",
                                           "static_pressure_pa", "motor_current_a",
                                           "bearing_temp_c",     "vibration_mm_s"};
enum { FF_IMBALANCE, FF_FILTER };
static const char *const fan_faults[] = {"imbalance", "filter_clogging"};

struct fan_state {
    double n0, speed, speed_target, next_change_s, bearing, a_bearing, wear, v0;
    struct sim_ou resistance, vib;
};
_Static_assert(sizeof(struct fan_state) <= sizeof(double) * SIM_STATE_DOUBLES, "fan state");

static void fan_init(struct sim_machine *m)
{
    struct fan_state *s = SIM_STATE(m, struct fan_state);
    s->n0 = sim_nominal(m, F_SPEED, 990.0);
    s->speed = s->speed_target = s->n0;
    s->next_change_s = 1800.0 * sim_uniform(&m->rng);
    sim_ou_init(&s->resistance, &m->rng, 1.0, 0.035, 900.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 20.0, m->dt);
    s->v0 = sim_nominal(m, F_VIB, 2.5);
    s->bearing = 50.0;
    s->a_bearing = sim_alpha(m->dt, 1200.0);
}

static void fan_step(struct sim_machine *m)
{
    struct fan_state *s = SIM_STATE(m, struct fan_state);
    double imb = m->sev[FF_IMBALANCE], clog = m->sev[FF_FILTER];
    if (sim_setpoint_due(m, &s->next_change_s))
        s->speed_target = s->n0 * (0.965 + 0.035 * sim_uniform(&m->rng));
    s->speed = sim_ramp(s->speed, s->speed_target, 2.0 * m->dt);
    s->wear += HEALTHY_WEAR_PER_S * m->dt;
    double r = s->speed / s->n0;
    /* Filter loading raises the system resistance k: flow ~ n/sqrt(k), pressure ~ n^2 sqrt(k). */
    double k = sim_ou_step(&s->resistance, &m->rng) + 1.25 * clog + 0.5 * s->wear;
    double sk = sqrt(k);
    double flow = 25.0 * r / sk;
    double pressure = 1500.0 * r * r * sk;
    double current = 55.0 * (0.3 + 0.7 * r * r * r / (0.85 + 0.15 * sk)) * (1.0 + 0.05 * imb);
    s->bearing =
        sim_lag(s->bearing, m->ambient_c + 30.0 + 12.0 * imb + 60.0 * s->wear, s->a_bearing);
    double vib = s->v0 * r * (1.0 + s->wear) * sim_ou_step(&s->vib, &m->rng) + 6.6 * imb * r * r;
    sim_out(m, F_SPEED, s->speed, 0.5);
    sim_out(m, F_FLOW, flow, 0.1);
    sim_out(m, F_PRESSURE, pressure, 6.0);
    sim_out(m, F_CURRENT, current, 0.25);
    sim_out(m, F_BEARING, s->bearing, 0.15);
    sim_out(m, F_VIB, vib, 0.03);
}

const struct sim_model sim_model_fan = {
    "industrial-fan", fan_channels, F_CHANNELS, fan_faults, 2, fan_init, fan_step,
};
