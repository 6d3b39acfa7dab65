// SPDX-License-Identifier: MIT
/* Machine physics for the simulator: the model table and the generic model. */
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct sim_model sim_model_generic = {
    .type = "generic",
};

/* The physics table. A type not listed here runs on the generic model. */
static const struct sim_model *const sim_models[] = {
    &sim_model_centrifugal_pump,
    &sim_model_cooling_pump,
    &sim_model_motor,
    &sim_model_conveyor,
    &sim_model_gearbox,
    &sim_model_fan,
    &sim_model_rotary_compressor,
    &sim_model_recip_compressor,
    &sim_model_heat_exchanger,
    &sim_model_turbine,
    &sim_model_cooling_tower,
    &sim_model_boiler,
    &sim_model_kiln,
    &sim_model_press,
    &sim_model_crane,
    &sim_model_cnc,
};

const struct sim_model *sim_model_find(const char *type_name)
{
    for (size_t i = 0; i < sizeof sim_models / sizeof sim_models[0]; i++)
        if (strcmp(sim_models[i]->type, type_name) == 0)
            return sim_models[i];
    return NULL;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

double sim_alpha(double dt, double tau)
{
    return tau <= 0 ? 1.0 : 1.0 - exp(-dt / tau);
}

void sim_ou_init(struct sim_ou *o, struct sim_rng *r, double mean, double sd, double tau, double dt)
{
    o->mean = mean;
    o->a = sim_alpha(dt, tau);
    /* Per-step noise that gives the wanted stationary deviation. */
    o->k = sd * sqrt(o->a * (2.0 - o->a));
    o->x = mean + sd * sim_gauss(r);
}

static double sensor_nominal(const struct catalog_sensor *cs)
{
    if (isfinite(cs->nominal))
        return cs->nominal;
    if (isfinite(cs->normal_lo) && isfinite(cs->normal_hi))
        return 0.5 * (cs->normal_lo + cs->normal_hi);
    return 0.0;
}

double sim_nominal(const struct sim_machine *m, int channel, double fallback)
{
    int s = m->sensor_of[channel];
    if (s < 0 || !isfinite(m->type->sensors[s].nominal))
        return fallback;
    return m->type->sensors[s].nominal;
}

/* Generic channel: a slow wander around the nominal that stays inside the normal band. */
static void generic_init(struct sim_machine *m, int i)
{
    const struct catalog_sensor *cs = &m->type->sensors[i];
    double nominal = sensor_nominal(cs);
    double sd = 0;
    if (isfinite(cs->normal_lo) && isfinite(cs->normal_hi) && cs->normal_hi > cs->normal_lo) {
        double room = fmin(nominal - cs->normal_lo, cs->normal_hi - nominal);
        if (room > 0)
            sd = room / 4.5;
    }
    if (sd <= 0 && isfinite(cs->display_min) && isfinite(cs->display_max))
        sd = (cs->display_max - cs->display_min) / 200.0;
    if (!(sd > 0))
        sd = 0.01 * fabs(nominal) + 0.01;
    sim_ou_init(&m->generic[i], &m->rng, nominal, sd, 120.0, m->dt);
    m->generic_noise[i] = sd * 0.1;
}

static uint64_t machine_id_hash(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a: stable per id, whatever the catalog order */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

int sim_machine_init(struct sim_machine *m, const struct catalog *cat, int index, uint64_t seed,
                     int64_t start_ms, char *err, size_t errlen)
{
    const struct catalog_machine *cm = catalog_machine_at(cat, index);
    memset(m, 0, sizeof *m);
    if (!cm || !cm->type) {
        snprintf(err, errlen, "machine %d: no type", index);
        return -1;
    }
    m->index = index;
    m->type = cm->type;
    m->sensor_count = catalog_sensor_count(cm->type);
    if (m->sensor_count > CATALOG_SENSORS_MAX)
        m->sensor_count = CATALOG_SENSORS_MAX;
    const struct sim_model *model = sim_model_find(cm->type->name);
    m->model = model ? model : &sim_model_generic;
    double period = cm->type->sample_period_s > 0 ? cm->type->sample_period_s : 1.0;
    m->period_ms = llround(period * 1000.0);
    if (m->period_ms < 1)
        m->period_ms = 1;
    m->dt = (double)m->period_ms / 1000.0;
    m->start_ms = start_ms;
    m->text_every = (int)llround(1.0 / m->dt);
    if (m->text_every < 1)
        m->text_every = 1;
    sim_rng_seed(&m->rng, seed ^ machine_id_hash(cm->id));
    for (int c = 0; c < SIM_CHANNELS_MAX; c++)
        m->sensor_of[c] = -1;
    for (int i = 0; i < m->sensor_count; i++) {
        m->channel_of[i] = -1;
        for (int c = 0; c < m->model->channel_count; c++)
            if (strcmp(m->model->channels[c], cm->type->sensors[i].name) == 0) {
                m->channel_of[i] = (int16_t)c;
                m->sensor_of[c] = (int16_t)i;
            }
        if (m->channel_of[i] < 0 && !cm->type->sensors[i].is_text)
            generic_init(m, i);
    }
    m->ambient_c = 20.0;
    if (m->model->init)
        m->model->init(m);
    return 0;
}

int sim_machine_fault_index(const struct sim_machine *m, const char *fault)
{
    for (int f = 0; f < m->model->fault_count; f++)
        if (strcmp(m->model->faults[f], fault) == 0)
            return f;
    return -1;
}

static bool sensor_has_limit(const struct catalog_sensor *cs)
{
    return !cs->is_text && (isfinite(cs->alarm_hi) || isfinite(cs->alarm_lo) ||
                            isfinite(cs->warn_hi) || isfinite(cs->warn_lo));
}

/* The sensor a generic fault drives: the first tile sensor with a limit, else any. */
static int generic_fault_sensor(const struct sim_machine *m)
{
    for (int k = 0; k < m->type->tile_count; k++) {
        int i = m->type->tile[k];
        if (i >= 0 && i < m->sensor_count && sensor_has_limit(&m->type->sensors[i]))
            return i;
    }
    for (int i = 0; i < m->sensor_count; i++)
        if (sensor_has_limit(&m->type->sensors[i]))
            return i;
    for (int i = 0; i < m->sensor_count; i++)
        if (!m->type->sensors[i].is_text)
            return i;
    return -1;
}

int sim_machine_add_fault(struct sim_machine *m, const char *fault, double onset_s, double ttf_s,
                          double repair_s)
{
    if (m->fault_count >= SIM_ACTIVE_FAULTS_MAX || !(ttf_s > 0) || !(repair_s > onset_s))
        return -1;
    struct sim_fault_run *f = &m->faults[m->fault_count];
    if (!fault && m->type->fault_count > 0)
        fault = m->type->faults[0].name;
    f->model_fault = fault ? sim_machine_fault_index(m, fault) : -1;
    f->generic_sensor = f->model_fault < 0 ? generic_fault_sensor(m) : -1;
    if (f->model_fault < 0 && f->generic_sensor < 0)
        return -1;
    f->onset_s = onset_s;
    f->ttf_s = ttf_s;
    f->repair_s = repair_s;
    m->fault_count++;
    return 0;
}

/* How far past the alarm limit a generic fault has driven its sensor at failure. */
static double generic_fault_span(const struct catalog_sensor *cs)
{
    double nominal = sensor_nominal(cs);
    double limits[4] = {cs->alarm_hi, cs->alarm_lo, cs->warn_hi, cs->warn_lo};
    for (int k = 0; k < 4; k++)
        if (isfinite(limits[k]))
            return 1.25 * (limits[k] - nominal);
    double band = cs->normal_hi - cs->normal_lo;
    return isfinite(band) ? 2.0 * band : 0.5 * fabs(nominal) + 1.0;
}

static double fault_severity(const struct sim_fault_run *f, double t_s)
{
    double u = (t_s - f->onset_s) / f->ttf_s;
    if (u <= 0 || t_s >= f->repair_s)
        return 0;
    if (u > 1)
        u = 1;
    return u * u;
}

static void update_severities(struct sim_machine *m)
{
    for (int k = 0; k < m->model->fault_count; k++)
        m->sev[k] = 0;
    for (int k = 0; k < m->fault_count; k++) {
        const struct sim_fault_run *f = &m->faults[k];
        if (f->model_fault < 0)
            continue;
        double s = fault_severity(f, m->t_s);
        if (s > m->sev[f->model_fault])
            m->sev[f->model_fault] = s;
    }
}

static double generic_offsets(const struct sim_machine *m, int sensor)
{
    double off = 0;
    for (int k = 0; k < m->fault_count; k++) {
        const struct sim_fault_run *f = &m->faults[k];
        if (f->model_fault < 0 && f->generic_sensor == sensor)
            off += fault_severity(f, m->t_s) * generic_fault_span(&m->type->sensors[sensor]);
    }
    return off;
}

size_t sim_machine_tick(struct sim_machine *m, struct sample *out)
{
    m->t_s = (double)m->t_ms / 1000.0;
    /* Plant ambient: a daily cycle of +-4 degC, updated every ~10 s of plant time. */
    if (m->tick % (uint64_t)(m->text_every * 10) == 0)
        m->ambient_c = 20.0 + 4.0 * sin(2.0 * M_PI * m->t_s / 86400.0);
    if (m->fault_count)
        update_severities(m);
    if (m->model->step)
        m->model->step(m);
    int64_t ts = m->start_ms + m->t_ms;
    size_t n = 0;
    for (int i = 0; i < m->sensor_count; i++) {
        const struct catalog_sensor *cs = &m->type->sensors[i];
        int ch = m->channel_of[i];
        struct sample *s = &out[n];
        if (cs->is_text) {
            const char *text = ch >= 0 ? m->text[ch] : "RUN";
            if (!text || (text == m->last_text[i] && m->tick % (uint64_t)m->text_every != 0))
                continue;
            m->last_text[i] = text;
            s->ts_ms = ts;
            s->machine = (uint32_t)m->index;
            s->sensor = (uint16_t)i;
            s->kind = SAMPLE_TEXT;
            memset(s->u.text, 0, sizeof s->u.text);
            strncpy(s->u.text, text, sizeof s->u.text - 1);
            n++;
            continue;
        }
        double v;
        if (ch >= 0)
            v = m->v[ch];
        else
            v = sim_ou_step(&m->generic[i], &m->rng) + m->generic_noise[i] * sim_gauss(&m->rng);
        if (m->fault_count)
            v += generic_offsets(m, i);
        s->ts_ms = ts;
        s->machine = (uint32_t)m->index;
        s->sensor = (uint16_t)i;
        s->kind = SAMPLE_VALUE;
        s->u.value = v;
        n++;
    }
    m->tick++;
    m->t_ms += m->period_ms;
    return n;
}
