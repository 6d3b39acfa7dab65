// SPDX-License-Identifier: MIT
/* CNC machining centre: parts machined by programs of operations, Taylor tool wear, tool
 * changes, spindle thermal lag, coolant, power and axes moving along the tool path. */
#include <math.h>

#include "models.h"

enum {
    N_RPM,
    N_LOAD,
    N_TEMP,
    N_VIB,
    N_X,
    N_Y,
    N_Z,
    N_WEAR,
    N_RUNTIME,
    N_CFLOW,
    N_CTEMP,
    N_CPRESS,
    N_PTOTAL,
    N_PSPINDLE,
    N_PSERVO,
    N_MODE,
    N_PROGRAM,
    N_CHANNELS
};
static const char *const cnc_channels[] = {"spindle.rpm",           "spindle.load_percent",
                                           "spindle.temperature_c", "spindle.vibration_mm_s",
                                           "axes.x.position_mm",    "axes.y.position_mm",
                                           "axes.z.position_mm",    "tool.wear_percent",
                                           "tool.runtime_minutes",  "coolant.flow_rate_lpm",
                                           "coolant.temperature_c", "coolant.pressure_bar",
                                           "power.total_kw",        "power.spindle_kw",
                                           "power.servo_kw",        "status.mode",
                                           "status.program"};
enum { NF_SPINDLE_BEARING, NF_COOLANT, NF_CHIPPING };
static const char *const cnc_faults[] = {"spindle_bearing_wear", "coolant_clog", "tool_chipping"};

enum cnc_path { PATH_FACE, PATH_POCKET, PATH_CONTOUR, PATH_DRILL };

struct cnc_op {
    enum cnc_path path;
    double rpm, load_pct, seconds;
    double x0, y0, x1, y1, z;
};

struct cnc_program {
    const char *name;
    int op_count;
    struct cnc_op ops[6];
};

static const struct cnc_program cnc_programs[] = {
    {"O1001",
     5,
     {{PATH_FACE, 7500, 45, 30, 100, 80, 500, 320, -2},
      {PATH_POCKET, 9000, 55, 45, 220, 120, 380, 280, -25},
      {PATH_CONTOUR, 8000, 40, 30, 120, 100, 480, 300, -30},
      {PATH_DRILL, 6000, 35, 20, 150, 130, 450, 270, -40},
      {PATH_CONTOUR, 10000, 20, 25, 118, 98, 482, 302, -30}}},
    {"O2040",
     4,
     {{PATH_FACE, 7000, 50, 35, 80, 60, 520, 340, -3},
      {PATH_POCKET, 9500, 58, 60, 200, 100, 400, 300, -35},
      {PATH_DRILL, 6500, 38, 25, 120, 90, 480, 310, -50},
      {PATH_CONTOUR, 10500, 18, 30, 90, 70, 510, 330, -35}}},
};

enum cnc_segment { SEG_SETUP, SEG_RAPID, SEG_CUT, SEG_HOME, SEG_TOOL_CHANGE };

#define CNC_TOOL_DIAMETER_MM 12.0
#define CNC_TAYLOR_C 777.0       /* V T^0.25 = C (carbide end mill, m/min and minutes) */
#define CNC_TOOL_CHANGE_PCT 72.0 /* tool changed after the part that crosses this */
#define CNC_RAPID_S 2.0

struct cnc_state {
    double seg, seg_t, seg_dur, op, program, parts;
    double x, y, z, from_x, from_y, from_z;
    double rpm, wear, runtime, temp, coolant_temp;
    double a_temp, a_coolant;
    struct sim_ou load, flow, pressure, vib;
};
_Static_assert(sizeof(struct cnc_state) <= sizeof(double) * SIM_STATE_DOUBLES, "cnc state");

static const struct cnc_op *cnc_op(const struct cnc_state *s)
{
    return &cnc_programs[(int)s->program].ops[(int)s->op];
}

/* Tool position at fraction f of an operation. */
static void cnc_path_at(const struct cnc_op *op, double f, double *x, double *y, double *z)
{
    double w = op->x1 - op->x0, h = op->y1 - op->y0;
    f = sim_clamp(f, 0.0, 1.0);
    *z = op->z;
    switch (op->path) {
    case PATH_FACE: { /* six raster passes; the last tenth of each steps over to the next */
        int k = (int)(f * 6.0);
        if (k > 5)
            k = 5;
        double g = f * 6.0 - k;
        double cut = sim_clamp(g / 0.9, 0.0, 1.0);
        double step = k < 5 ? sim_clamp((g - 0.9) / 0.1, 0.0, 1.0) : 0.0;
        *x = op->x0 + w * (k % 2 ? 1.0 - cut : cut);
        *y = op->y0 + h * (k + step) / 5.0;
        break;
    }
    case PATH_POCKET: { /* four-turn spiral out from the centre */
        double a = 2.0 * M_PI * 4.0 * f, r = 0.5 * fmin(w, h) * f;
        *x = op->x0 + 0.5 * w + r * cos(a);
        *y = op->y0 + 0.5 * h + r * sin(a);
        break;
    }
    case PATH_CONTOUR: {
        double d = f * 2.0 * (w + h);
        if (d < w)
            *x = op->x0 + d, *y = op->y0;
        else if (d < w + h)
            *x = op->x1, *y = op->y0 + (d - w);
        else if (d < 2 * w + h)
            *x = op->x1 - (d - w - h), *y = op->y1;
        else
            *x = op->x0, *y = op->y1 - (d - 2 * w - h);
        break;
    }
    case PATH_DRILL: { /* four holes at the corners: peck down and up, then move over */
        int k = (int)(f * 4.0);
        if (k > 3)
            k = 3;
        double g = f * 4.0 - k, hx[5] = {op->x0, op->x1, op->x1, op->x0, op->x0};
        double hy[5] = {op->y0, op->y0, op->y1, op->y1, op->y1};
        double move = k < 3 ? sim_clamp((g - 0.7) / 0.3, 0.0, 1.0) : 0.0;
        double peck = sim_clamp(g / 0.7, 0.0, 1.0);
        *x = hx[k] + (hx[k + 1] - hx[k]) * move;
        *y = hy[k] + (hy[k + 1] - hy[k]) * move;
        *z = -2.0 + (op->z + 2.0) * (peck < 0.5 ? 2.0 * peck : 2.0 - 2.0 * peck);
        break;
    }
    }
}

static void cnc_enter(struct sim_machine *m, struct cnc_state *s, int seg)
{
    s->seg = seg;
    s->seg_t = 0;
    s->from_x = s->x, s->from_y = s->y, s->from_z = s->z;
    switch (seg) {
    case SEG_SETUP:
        s->seg_dur = 15.0 + 5.0 * sim_uniform(&m->rng); /* operator swaps the part */
        break;
    case SEG_CUT:
        s->seg_dur = cnc_op(s)->seconds;
        break;
    case SEG_TOOL_CHANGE:
        s->seg_dur = 8.0;
        break;
    default:
        s->seg_dur = CNC_RAPID_S;
        break;
    }
}

static void cnc_next_segment(struct sim_machine *m, struct cnc_state *s)
{
    const struct cnc_program *prog = &cnc_programs[(int)s->program];
    switch ((int)s->seg) {
    case SEG_SETUP:
        s->op = 0;
        cnc_enter(m, s, SEG_RAPID);
        break;
    case SEG_RAPID:
        cnc_enter(m, s, SEG_CUT);
        break;
    case SEG_CUT:
        if (s->op + 1 < prog->op_count) {
            s->op += 1;
            cnc_enter(m, s, SEG_RAPID);
        } else {
            cnc_enter(m, s, SEG_HOME);
        }
        break;
    case SEG_HOME:
        s->parts += 1;
        if (fmod(s->parts, 5.0) == 0.0) /* batches of five parts per program */
            s->program = s->program > 0 ? 0 : 1;
        s->op = 0;
        cnc_enter(m, s, s->wear >= CNC_TOOL_CHANGE_PCT ? SEG_TOOL_CHANGE : SEG_SETUP);
        break;
    default: /* tool change done: a fresh tool */
        s->wear = 0.2 + 0.3 * sim_uniform(&m->rng);
        s->runtime = 0;
        cnc_enter(m, s, SEG_SETUP);
        break;
    }
}

static void cnc_init(struct sim_machine *m)
{
    struct cnc_state *s = SIM_STATE(m, struct cnc_state);
    s->wear = 5.0 + 55.0 * sim_uniform(&m->rng);
    s->runtime = s->wear * 0.4;
    s->temp = 40.0;
    s->coolant_temp = 22.0;
    s->a_temp = sim_alpha(m->dt, 480.0);
    s->a_coolant = sim_alpha(m->dt, 900.0);
    sim_ou_init(&s->load, &m->rng, 1.0, 0.03, 2.0, m->dt);
    sim_ou_init(&s->flow, &m->rng, 0.0, 0.35, 60.0, m->dt);
    sim_ou_init(&s->pressure, &m->rng, 0.0, 0.08, 60.0, m->dt);
    sim_ou_init(&s->vib, &m->rng, 1.0, 0.05, 1.0, m->dt);
    cnc_enter(m, s, SEG_SETUP);
}

static void cnc_step(struct sim_machine *m)
{
    struct cnc_state *s = SIM_STATE(m, struct cnc_state);
    double sbw = m->sev[NF_SPINDLE_BEARING], clog = m->sev[NF_COOLANT], chip = m->sev[NF_CHIPPING];
    s->seg_t += m->dt;
    if (s->seg_t >= s->seg_dur)
        cnc_next_segment(m, s);
    int seg = (int)s->seg;
    const struct cnc_op *op = cnc_op(s);
    double f = s->seg_t / s->seg_dur;
    double px = s->x, py = s->y, pz = s->z, cmd_rpm = 0;
    const char *mode = "AUTO";
    if (seg == SEG_CUT) {
        cnc_path_at(op, f, &s->x, &s->y, &s->z);
        cmd_rpm = op->rpm;
    } else if (seg == SEG_RAPID || seg == SEG_HOME) {
        double tx = 0, ty = 0, tz = 0;
        if (seg == SEG_RAPID) {
            cnc_path_at(op, 0.0, &tx, &ty, &tz);
            cmd_rpm = op->rpm;
        }
        double g = f * f * (3.0 - 2.0 * f);
        s->x = s->from_x + (tx - s->from_x) * g;
        s->y = s->from_y + (ty - s->from_y) * g;
        s->z = s->from_z + (tz - s->from_z) * g;
    } else {
        mode = seg == SEG_SETUP ? "IDLE" : "TOOL_CHANGE";
    }
    s->rpm = sim_ramp(s->rpm, cmd_rpm, 3000.0 * m->dt);
    bool cutting = seg == SEG_CUT;
    double load = 2.0 + 0.0003 * s->rpm;
    if (cutting) {
        /* Taylor: tool life T = (C/V)^(1/n) minutes at cutting speed V; heavier cuts wear faster.
         */
        double v = M_PI * CNC_TOOL_DIAMETER_MM * s->rpm / 1000.0;
        double life = CNC_TAYLOR_C / fmax(v, 1.0);
        life = life * life * life * life;
        double rate =
            100.0 / life * (op->load_pct / 45.0) * (1.0 + 1.5 * clog) * (1.0 + 8.0 * chip);
        s->wear = fmin(100.0, s->wear + rate * m->dt / 60.0);
        s->runtime += m->dt / 60.0;
        double engage = sim_clamp(s->seg_t / 0.5, 0.0, 1.0);
        load += engage * op->load_pct * (1.0 + 0.25 * s->wear / 100.0) * (1.0 + 0.35 * chip) *
                sim_ou_step(&s->load, &m->rng);
    }
    double p_spindle = 15.0 * load / 100.0 + 0.00012 * s->rpm;
    double dist =
        sqrt((s->x - px) * (s->x - px) + (s->y - py) * (s->y - py) + (s->z - pz) * (s->z - pz));
    double p_servo = 0.35 + 0.004 * dist / m->dt + (cutting ? 0.02 * load : 0.0);
    s->temp = sim_lag(s->temp,
                      m->ambient_c + 4.0 + 0.0022 * s->rpm + 0.12 * load + 40.0 * sbw + 5.0 * clog,
                      s->a_temp);
    double flow = 20.0 * (1.0 - 0.65 * clog) + sim_ou_step(&s->flow, &m->rng);
    double pressure = 5.0 * (1.0 - 0.6 * clog) + sim_ou_step(&s->pressure, &m->rng);
    s->coolant_temp =
        sim_lag(s->coolant_temp, m->ambient_c + 1.0 + 0.25 * p_spindle + 16.0 * clog, s->a_coolant);
    double vib =
        (0.25 + 0.00006 * s->rpm + (cutting ? 0.01 * load + 0.005 * s->wear + 3.5 * chip : 0.0)) *
            sim_ou_step(&s->vib, &m->rng) +
        8.0 * sbw * (0.6 + 0.4 * s->rpm / 9000.0);
    struct sim_rng *r = &m->rng;
    m->v[N_RPM] = s->rpm + (s->rpm > 0 ? 3.0 * sim_gauss(r) : 0.0);
    m->v[N_LOAD] = load + 0.4 * sim_gauss(r);
    m->v[N_TEMP] = s->temp + 0.1 * sim_gauss(r);
    m->v[N_VIB] = vib + 0.03 * sim_gauss(r);
    /* encoder jitter, inside the travel */
    m->v[N_X] = fmax(0.0, s->x + 0.003 * sim_gauss(r));
    m->v[N_Y] = fmax(0.0, s->y + 0.003 * sim_gauss(r));
    m->v[N_Z] = fmin(0.0, s->z + 0.003 * sim_gauss(r));
    m->v[N_WEAR] = s->wear;
    m->v[N_RUNTIME] = s->runtime;
    m->v[N_CFLOW] = flow + 0.1 * sim_gauss(r);
    m->v[N_CTEMP] = s->coolant_temp + 0.05 * sim_gauss(r);
    m->v[N_CPRESS] = pressure + 0.02 * sim_gauss(r);
    m->v[N_PSPINDLE] = p_spindle + 0.05 * sim_gauss(r);
    m->v[N_PSERVO] = p_servo + 0.02 * sim_gauss(r);
    m->v[N_PTOTAL] = p_spindle + p_servo + 2.2 + 0.05 * sim_gauss(r);
    m->text[N_MODE] = mode;
    m->text[N_PROGRAM] = cnc_programs[(int)s->program].name;
}

const struct sim_model sim_model_cnc = {
    "cnc-machining-centre", cnc_channels, N_CHANNELS, cnc_faults, 3, cnc_init, cnc_step,
};
