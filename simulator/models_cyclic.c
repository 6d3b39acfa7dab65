// SPDX-License-Identifier: MIT
/* Cyclic machines: hydraulic press (press cycles), overhead crane (lifts). */
#include <math.h>

#include "models.h"

static double smoothstep(double f)
{
    f = sim_clamp(f, 0.0, 1.0);
    return f * f * (3.0 - 2.0 * f);
}

/* ---- hydraulic press: approach, press, hold, decompress, return, idle ---- */

enum { HP_PRESSURE, HP_RAM, HP_CYCLE, HP_OIL_TEMP, HP_CURRENT, HP_LEVEL, HP_FILTER, HP_CHANNELS };
static const char *const press_channels[] = {
    "system_pressure_bar", "ram_position_mm", "cycle_time_s", "oil_temp_c",
    "pump_current_a",      "oil_level_pct",   "filter_dp_bar"};
enum { HPF_LEAK, HPF_CONTAMINATION, HPF_EXTERNAL };
static const char *const press_faults[] = {"internal_leak", "contamination", "external_leak"};

enum { PH_APPROACH, PH_PRESS, PH_HOLD, PH_DECOMPRESS, PH_RETURN, PH_IDLE, PH_COUNT };
static const double press_base_s[PH_COUNT] = {3.0, 3.0, 1.0, 0.8, 3.0, 1.2};

struct press_state {
    double dur[PH_COUNT];
    double tc, phase, cycle_s, oil_temp, a_oil, filter_load;
};
_Static_assert(sizeof(struct press_state) <= sizeof(double) * SIM_STATE_DOUBLES, "press state");

static void press_new_cycle(struct sim_machine *m, struct press_state *s)
{
    double leak = m->sev[HPF_LEAK], cont = m->sev[HPF_CONTAMINATION];
    for (int p = 0; p < PH_COUNT; p++)
        s->dur[p] = press_base_s[p] * (1.0 + 0.01 * sim_gauss(&m->rng));
    /* A leak across the piston slows the pressure build; dirty oil makes valves stick. */
    s->dur[PH_PRESS] *= 1.0 + 1.6 * leak;
    s->dur[PH_APPROACH] += 0.6 * cont * fabs(sim_gauss(&m->rng));
    s->dur[PH_RETURN] += 0.6 * cont * fabs(sim_gauss(&m->rng));
}

static void press_init(struct sim_machine *m)
{
    struct press_state *s = SIM_STATE(m, struct press_state);
    press_new_cycle(m, s);
    s->tc = s->dur[PH_APPROACH] * sim_uniform(&m->rng);
    s->cycle_s = 12.0;
    s->oil_temp = 48.0;
    s->a_oil = sim_alpha(m->dt, 1800.0);
}

static void press_step(struct sim_machine *m)
{
    struct press_state *s = SIM_STATE(m, struct press_state);
    double leak = m->sev[HPF_LEAK], cont = m->sev[HPF_CONTAMINATION], ext = m->sev[HPF_EXTERNAL];
    int ph = (int)s->phase;
    s->tc += m->dt;
    while (s->tc >= s->dur[ph]) {
        s->tc -= s->dur[ph];
        if (++ph == PH_COUNT) {
            double total = 0;
            for (int p = 0; p < PH_COUNT; p++)
                total += s->dur[p];
            s->cycle_s = total;
            press_new_cycle(m, s);
            ph = 0;
        }
    }
    s->phase = ph;
    double f = s->tc / s->dur[ph];
    double pressure, ram, current;
    switch (ph) {
    case PH_APPROACH:
        pressure = 20.0, ram = 380.0 * smoothstep(f), current = 45.0;
        break;
    case PH_PRESS:
        pressure = 25.0 + 185.0 * f, ram = 380.0 + 20.0 * f,
        current = 30.0 + 40.0 * pressure / 210.0;
        break;
    case PH_HOLD:
        pressure = 210.0, ram = 400.0, current = 70.0 + 8.0 * leak;
        break;
    case PH_DECOMPRESS:
        pressure = 210.0 - 180.0 * f, ram = 400.0, current = 30.0;
        break;
    case PH_RETURN:
        pressure = 40.0, ram = 400.0 * (1.0 - smoothstep(f)), current = 50.0;
        break;
    default:
        pressure = 5.0, ram = 0.0, current = 22.0;
        break;
    }
    s->filter_load += 0.1 / 86400.0 * m->dt;
    s->oil_temp = sim_lag(s->oil_temp, m->ambient_c + 28.0 + 24.0 * leak + 5.0 * cont, s->a_oil);
    sim_out(m, HP_PRESSURE, pressure, 1.2);
    sim_out(m, HP_RAM, ram, 0.1);
    m->v[HP_RAM] = fmax(0.0, m->v[HP_RAM]);
    sim_out(m, HP_CYCLE, s->cycle_s, 0.02);
    sim_out(m, HP_OIL_TEMP, s->oil_temp, 0.15);
    sim_out(m, HP_CURRENT, current, 0.6);
    sim_out(m, HP_LEVEL, 80.0 - 0.8 * ram / 400.0 - 25.0 * ext, 0.15);
    sim_out(m, HP_FILTER, 0.8 + s->filter_load + 3.2 * cont, 0.02);
}

const struct sim_model sim_model_press = {
    "hydraulic-press", press_channels, HP_CHANNELS, press_faults, 3, press_init, press_step,
};

/* ---- overhead crane: attach, hoist, travel, lower, release, return, wait ---- */

enum { CR_LOAD, CR_CURRENT, CR_TROLLEY, CR_BRAKE, CR_VIB, CR_CHANNELS };
static const char *const crane_channels[] = {
    "hoist_load_t", "hoist_current_a", "trolley_speed_m_min", "brake_temp_c", "vibration_mm_s"};
enum { CRF_BRAKE, CRF_OVERLOAD, CRF_ROPE };
static const char *const crane_faults[] = {"brake_wear", "overload", "rope_wear"};

enum {
    LIFT_WAIT,
    LIFT_ATTACH,
    LIFT_HOIST,
    LIFT_TRAVEL,
    LIFT_LOWER,
    LIFT_RELEASE,
    LIFT_RETURN,
    LIFT_COUNT
};
static const double lift_base_s[LIFT_COUNT] = {40.0, 8.0, 12.0, 15.0, 10.0, 8.0, 15.0};

#define CRANE_HOOK_T 0.35

struct crane_state {
    double phase, tc, dur, load, brake, a_brake, wear;
    struct sim_ou vib;
};
_Static_assert(sizeof(struct crane_state) <= sizeof(double) * SIM_STATE_DOUBLES, "crane state");

static void crane_enter(struct sim_machine *m, struct crane_state *s, int ph)
{
    s->phase = ph;
    s->dur = lift_base_s[ph] *
             (ph == LIFT_WAIT ? 0.5 + sim_uniform(&m->rng) : 1.0 + 0.05 * sim_gauss(&m->rng));
    if (ph == LIFT_ATTACH) {
        double over = m->sev[CRF_OVERLOAD];
        s->load = 1.5 + 14.5 * sim_uniform(&m->rng);
        if (over > 0 && sim_uniform(&m->rng) < 0.3 + 0.7 * over)
            s->load = 16.0 + 6.5 * over * (0.6 + 0.4 * sim_uniform(&m->rng));
    }
}

/* Every stop dissipates energy in the brake; a worn brake slips longer and heats more. */
static void crane_stop(struct sim_machine *m, struct crane_state *s, double load)
{
    s->brake += (0.3 + 0.15 * load) * (1.0 + 4.5 * m->sev[CRF_BRAKE]);
}

static void crane_init(struct sim_machine *m)
{
    struct crane_state *s = SIM_STATE(m, struct crane_state);
    crane_enter(m, s, LIFT_WAIT);
    s->load = 0;
    s->brake = 38.0;
    s->a_brake = sim_alpha(m->dt, 480.0);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 5.0, m->dt);
}

static void crane_step(struct sim_machine *m)
{
    struct crane_state *s = SIM_STATE(m, struct crane_state);
    s->wear += 0.03 / 86400.0 * m->dt;
    s->tc += m->dt;
    int ph = (int)s->phase;
    if (s->tc >= s->dur) {
        s->tc -= s->dur;
        if (ph == LIFT_HOIST || ph == LIFT_LOWER || ph == LIFT_TRAVEL)
            crane_stop(m, s, s->load);
        else if (ph == LIFT_RETURN)
            crane_stop(m, s, CRANE_HOOK_T);
        ph = (ph + 1) % LIFT_COUNT;
        crane_enter(m, s, ph);
    }
    double f = s->tc / s->dur;
    double hook = CRANE_HOOK_T, current = 3.0, trolley = 0.0, motion = 0.0, rope = 0.0;
    switch (ph) {
    case LIFT_HOIST:
        hook = s->load * (1.0 + 0.06 * sim_clamp(1.0 - s->tc / 2.0, 0.0, 1.0)); /* lift-off */
        current = 12.0 + 8.5 * s->load, motion = 1.0, rope = 1.0;
        break;
    case LIFT_TRAVEL:
    case LIFT_RETURN:
        hook = ph == LIFT_TRAVEL ? s->load : CRANE_HOOK_T;
        /* 2 s acceleration and braking ramps at 40 m/min */
        trolley = 40.0 * sim_clamp(fmin(s->tc, s->dur - s->tc) / 2.0, 0.0, 1.0), motion = 1.0;
        break;
    case LIFT_LOWER:
        hook = s->load, current = 6.0 + 2.0 * s->load, motion = 1.0, rope = 1.0;
        break;
    case LIFT_RELEASE:
        hook = CRANE_HOOK_T + (s->load - CRANE_HOOK_T) * (1.0 - sim_clamp(f * 2.0, 0.0, 1.0));
        break;
    default:
        break;
    }
    s->brake = sim_lag(s->brake, m->ambient_c, s->a_brake);
    double vib =
        sim_ou_step(&s->vib, &m->rng) * (0.2 + motion * (1.0 + 0.05 * hook)) * (1.0 + s->wear) +
        6.5 * m->sev[CRF_ROPE] * rope;
    sim_out(m, CR_LOAD, hook, 0.03);
    sim_out(m, CR_CURRENT, current, 0.5);
    sim_out(m, CR_TROLLEY, trolley, trolley > 0 ? 0.2 : 0.0);
    m->v[CR_TROLLEY] = fmax(0.0, m->v[CR_TROLLEY]);
    sim_out(m, CR_BRAKE, s->brake, 0.2);
    sim_out(m, CR_VIB, vib, 0.03);
}

const struct sim_model sim_model_crane = {
    "crane-system", crane_channels, CR_CHANNELS, crane_faults, 3, crane_init, crane_step,
};
