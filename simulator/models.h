// SPDX-License-Identifier: MIT
#ifndef TWINTOP_MODELS_H
#define TWINTOP_MODELS_H
/*
 * Machine physics for the simulator: one table entry per machine type (channels it produces,
 * fault modes it understands, init and step functions), a generic model for every other type,
 * and the per-machine state a simulator thread advances one tick at a time.
 *
 * Threads: a struct sim_machine belongs to exactly one simulator thread (or to a test). Nothing
 * here is shared; nothing allocates. Everything is deterministic given the seed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "sample.h"

#define SIM_CHANNELS_MAX 32 /* channels a physics model may produce */
#define SIM_MODEL_FAULTS_MAX 8
#define SIM_ACTIVE_FAULTS_MAX 8
#define SIM_STATE_DOUBLES 160 /* private per-model state */

/* xoshiro256** (Blackman & Vigna): fast, 2^256 period, one stream per machine. */
struct sim_rng {
    uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double sim_uniform(struct sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately standard normal: Irwin-Hall sum of four 16-bit uniforms from one draw. Its
 * tails stop at +-3.46 sigma, which suits process noise: no absurd outliers, no libm. */
static inline double sim_gauss(struct sim_rng *r)
{
    uint64_t x = sim_rng_next(r);
    double sum = (double)((x & 0xffff) + ((x >> 16) & 0xffff) + ((x >> 32) & 0xffff) + (x >> 48));
    return (sum * (1.0 / 65536.0) - 2.0) * 1.7320508075688772;
}

/* A first-order lag coefficient for step dt and time constant tau (call at init, not per tick). */
double sim_alpha(double dt, double tau);

/* Ornstein-Uhlenbeck process: process variation that wanders around a mean with a time
 * constant and a stationary standard deviation. */
struct sim_ou {
    double x, mean, a, k;
};

void sim_ou_init(struct sim_ou *o, struct sim_rng *r, double mean, double sd, double tau,
                 double dt);

static inline double sim_ou_step(struct sim_ou *o, struct sim_rng *r)
{
    o->x += o->a * (o->mean - o->x) + o->k * sim_gauss(r);
    return o->x;
}

static inline double sim_lag(double x, double target, double a)
{
    return x + a * (target - x);
}

/* Moves x toward target by at most rate*dt. */
static inline double sim_ramp(double x, double target, double step)
{
    if (x < target)
        return x + step < target ? x + step : target;
    return x - step > target ? x - step : target;
}

static inline double sim_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* An active fault: model_fault indexes the model's fault list, or -1 for the generic drift of
 * generic_sensor toward and past its alarm limit. */
struct sim_fault_run {
    int model_fault;
    int generic_sensor;
    double onset_s;
    double ttf_s;
    double repair_s; /* the fault is gone from then on (INFINITY: never) */
};

struct sim_model;

struct sim_machine {
    int index; /* catalog machine index */
    const struct catalog_type *type;
    const struct sim_model *model; /* never NULL: the generic model at least */
    int sensor_count;
    int16_t channel_of[CATALOG_SENSORS_MAX]; /* model channel per catalog sensor, -1: generic */
    int16_t sensor_of[SIM_CHANNELS_MAX];     /* catalog sensor per model channel, -1: absent */
    struct sim_rng rng;
    int64_t start_ms;
    int64_t t_ms;      /* simulated time since start of the next tick */
    int64_t period_ms; /* tick period */
    double dt;         /* tick period in seconds */
    double t_s;        /* time of the tick being computed, seconds since start */
    uint64_t tick;
    double ambient_c; /* plant ambient: daily cycle */
    int text_every;   /* ticks between repeats of unchanged text channels */
    /* model outputs of the tick */
    double v[SIM_CHANNELS_MAX];
    const char *text[SIM_CHANNELS_MAX];
    /* fault severity 0..1 per model fault; grows as ((t - onset) / ttf)^2 */
    double sev[SIM_MODEL_FAULTS_MAX];
    int fault_count;
    struct sim_fault_run faults[SIM_ACTIVE_FAULTS_MAX];
    /* generic channels: one OU process each */
    struct sim_ou generic[CATALOG_SENSORS_MAX];
    double generic_noise[CATALOG_SENSORS_MAX];
    const char *last_text[CATALOG_SENSORS_MAX];
    double state[SIM_STATE_DOUBLES]; /* the model's private state */
};

struct sim_model {
    const char *type; /* catalog type name it simulates */
    const char *const *channels;
    int channel_count;
    const char *const *faults;
    int fault_count;
    void (*init)(struct sim_machine *m);
    void (*step)(struct sim_machine *m);
};

/* The physics model for a type name, or NULL (the generic model runs). */
const struct sim_model *sim_model_find(const char *type_name);

/* Sets up machine index of cat: model, channel map, random stream from seed and the machine
 * id, initial state. Returns 0, or -1 with a message when the type cannot be simulated. */
int sim_machine_init(struct sim_machine *m, const struct catalog *cat, int index, uint64_t seed,
                     int64_t start_ms, char *err, size_t errlen);

/* Index of a fault mode name in the machine's model (-1 when the model does not know it: the
 * fault then runs as a generic drift). */
int sim_machine_fault_index(const struct sim_machine *m, const char *fault);

/* Adds a fault (NULL: the type's first) growing from onset_s to failure at onset_s + ttf_s and
 * gone at repair_s (INFINITY: never repaired). -1 when full. */
int sim_machine_add_fault(struct sim_machine *m, const char *fault, double onset_s, double ttf_s,
                          double repair_s);

/* Computes one tick and writes its samples to out (room for sensor_count). Returns the count
 * written (text channels are repeated only every text_every ticks unless they change). */
size_t sim_machine_tick(struct sim_machine *m, struct sample *out);

/* Model helpers. */
/* Nominal of the catalog sensor behind a channel, or fallback when the catalog lacks it. */
double sim_nominal(const struct sim_machine *m, int channel, double fallback);

/* Writes one channel's value plus measurement noise of standard deviation noise_sd. */
static inline void sim_out(struct sim_machine *m, int ch, double value, double noise_sd)
{
    m->v[ch] = value + noise_sd * sim_gauss(&m->rng);
}

/* A new setpoint every 30-90 minutes: operators and controllers move things around.
 * True when one is due; schedules the next. */
static inline bool sim_setpoint_due(struct sim_machine *m, double *next_s)
{
    if (m->t_s < *next_s)
        return false;
    *next_s = m->t_s + 1800.0 + 3600.0 * sim_uniform(&m->rng);
    return true;
}

/* Model table entries, one per family file. */
extern const struct sim_model sim_model_centrifugal_pump;
extern const struct sim_model sim_model_cooling_pump;
extern const struct sim_model sim_model_motor;
extern const struct sim_model sim_model_conveyor;
extern const struct sim_model sim_model_gearbox;
extern const struct sim_model sim_model_fan;
extern const struct sim_model sim_model_rotary_compressor;
extern const struct sim_model sim_model_recip_compressor;
extern const struct sim_model sim_model_heat_exchanger;
extern const struct sim_model sim_model_turbine;
extern const struct sim_model sim_model_cooling_tower;
extern const struct sim_model sim_model_boiler;
extern const struct sim_model sim_model_kiln;
extern const struct sim_model sim_model_press;
extern const struct sim_model sim_model_crane;
extern const struct sim_model sim_model_cnc;

/* Cast the private state to a model's struct, checked at compile time by each model. */
#define SIM_STATE(m, type) ((type *)(void *)(m)->state)

#endif
