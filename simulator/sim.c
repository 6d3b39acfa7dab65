// SPDX-License-Identifier: MIT
/* The plant simulator: one thread per machine pushing samples on the ingest queue. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models.h"
#include "scenario.h"
#include "clock.h"

#define SIM_BATCH 512         /* samples per queue push at most */
#define SIM_MAX_WAIT_S 0.25   /* longest sleep: speed changes are also signalled, this is a net */
#define SIM_MIN_WAIT_S 0.01   /* shortest: at high speeds wake 100 times a second, push more */
#define SIM_DEFAULT_TTF_S 300 /* the console's `f` key */
/* As fast as possible, no machine runs more than this plant time ahead of the slowest: the
 * consumers then see samples nearly in time order (the recorder appends instead of seeking). */
#define SIM_LEAD_MS 5000
#define SIM_LEAD_WAIT_S 0.002 /* a thread that is ahead re-checks at least this often */

struct sim_thread {
    struct simulator *sim;
    struct sim_machine m;
    pthread_t tid;
    bool started;
    _Atomic int64_t clock_ms; /* the machine's simulated time since start, for other threads */
    /* Fault request slot: written under sim->lock by simulator_inject_fault, taken by the thread.
     */
    _Atomic bool inject_pending;
    int inject_list_index; /* entry of sim->faults to complete with the onset */
    char inject_fault[CATALOG_NAME_MAX];
    double inject_ttf_s;
    /* Repair request slot: written under sim->lock by simulator_repair, taken by the thread. */
    _Atomic bool repair_pending;
    char repair_fault[CATALOG_NAME_MAX];
    struct sample batch[SIM_BATCH];
};

struct simulator {
    struct catalog *cat;
    struct queue *q;
    struct simulator_options opt;
    int64_t end_ms; /* INT64_MAX: forever */
    size_t batch_cap;
    int count;
    struct sim_thread *threads;
    pthread_mutex_t lock; /* guards faults and the request slots; the wake condition */
    pthread_cond_t wake;
    _Atomic bool stop;
    _Atomic bool running;
    _Atomic uint64_t speed_bits;
    _Atomic unsigned speed_gen;
    _Atomic int finished;
    struct scenario *faults; /* the scenario's, then injected ones */
};

static double load_speed(const struct simulator *s)
{
    uint64_t bits = atomic_load(&((struct simulator *)s)->speed_bits);
    double speed;
    memcpy(&speed, &bits, sizeof speed);
    return speed;
}

void simulator_set_speed(struct simulator *s, double speed)
{
    uint64_t bits;
    if (!(speed >= 0) || !isfinite(speed))
        speed = 0;
    memcpy(&bits, &speed, sizeof bits);
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->speed_bits, bits);
    atomic_fetch_add(&s->speed_gen, 1); /* threads re-anchor their wall/sim clocks */
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

double simulator_speed(const struct simulator *s)
{
    return load_speed(s);
}

static struct sim_thread *thread_of(const struct simulator *s, int machine)
{
    for (int k = 0; k < s->count; k++)
        if (s->threads[k].m.index == machine)
            return &s->threads[k];
    return NULL;
}

struct simulator *simulator_create(struct catalog *cat, struct queue *q,
                                   const struct simulator_options *opt, char *err, size_t errlen)
{
    struct simulator *s = calloc(1, sizeof *s);
    if (!s || !(s->faults = calloc(1, sizeof *s->faults))) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    s->cat = cat;
    s->q = q;
    s->opt = *opt;
    s->opt.scenario = NULL; /* the caller's string need not outlive create */
    s->end_ms = opt->duration_s > 0 ? llround(opt->duration_s * 1000.0) : INT64_MAX;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    simulator_set_speed(s, opt->speed);
    if (opt->scenario && scenario_load(opt->scenario, cat, s->faults, err, errlen) < 0)
        goto fail;
    int machines = catalog_machine_count(cat);
    s->threads = calloc(machines > 0 ? (size_t)machines : 1, sizeof *s->threads);
    if (!s->threads) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    size_t widest = 1;
    for (int i = 0; i < machines; i++) {
        if (!catalog_machine_at(cat, i)->simulated)
            continue;
        struct sim_thread *t = &s->threads[s->count];
        char why[256];
        if (sim_machine_init(&t->m, cat, i, opt->seed, opt->start_ms, why, sizeof why) < 0) {
            snprintf(err, errlen, "simulator: %s: %s", catalog_machine_at(cat, i)->id, why);
            goto fail;
        }
        t->sim = s;
        if ((size_t)t->m.sensor_count > widest)
            widest = (size_t)t->m.sensor_count;
        s->count++;
    }
    for (int k = 0; k < s->faults->fault_count; k++) {
        const struct simulator_fault *f = &s->faults->faults[k];
        struct sim_thread *t = thread_of(s, f->machine);
        if (!t || sim_machine_add_fault(&t->m, f->fault, f->onset_s, f->ttf_s, f->repair_s) < 0) {
            snprintf(err, errlen, "%s: fault %d: %s cannot take this fault", opt->scenario, k + 1,
                     f->machine_id);
            goto fail;
        }
    }
    /* Batches well under the queue size so that a lossless producer never waits for a
     * queue emptier than it can ever be. */
    size_t qcap = queue_capacity(q);
    s->batch_cap = qcap / 4 < SIM_BATCH ? qcap / 4 : SIM_BATCH;
    if (s->batch_cap < widest)
        s->batch_cap = widest;
    if (s->batch_cap > SIM_BATCH)
        s->batch_cap = SIM_BATCH;
    return s;
fail:
    simulator_destroy(s);
    return NULL;
}

/* Takes a pending injection: the fault starts growing at the machine's own clock. */
static void take_injection(struct simulator *s, struct sim_thread *t)
{
    pthread_mutex_lock(&s->lock);
    double onset = (double)t->m.t_ms / 1000.0;
    if (sim_machine_add_fault(&t->m, t->inject_fault, onset, t->inject_ttf_s, INFINITY) == 0 &&
        t->inject_list_index >= 0) {
        struct simulator_fault *f = &s->faults->faults[t->inject_list_index];
        f->onset_s = onset;
        f->failure_s = onset + f->ttf_s;
    }
    atomic_store(&t->inject_pending, false);
    pthread_mutex_unlock(&s->lock);
}

/* Takes a pending repair: the named fault's runs that have begun end at the machine's clock. */
static void take_repair(struct simulator *s, struct sim_thread *t)
{
    pthread_mutex_lock(&s->lock);
    double now = t->m.t_s;
    int model = sim_machine_fault_index(&t->m, t->repair_fault);
    for (int k = 0; k < t->m.fault_count; k++) {
        struct sim_fault_run *f = &t->m.faults[k];
        if (f->model_fault == model && f->onset_s <= now && f->repair_s > now)
            f->repair_s = now;
    }
    for (int k = 0; k < s->faults->fault_count; k++) {
        struct simulator_fault *f = &s->faults->faults[k];
        if (f->machine == t->m.index && strcmp(f->fault, t->repair_fault) == 0 &&
            f->onset_s <= now && f->repair_s > now)
            f->repair_s = now;
    }
    atomic_store(&t->repair_pending, false);
    pthread_mutex_unlock(&s->lock);
}

static size_t thread_tick(struct simulator *s, struct sim_thread *t, struct sample *out)
{
    if (atomic_load_explicit(&t->inject_pending, memory_order_acquire))
        take_injection(s, t);
    if (atomic_load_explicit(&t->repair_pending, memory_order_acquire))
        take_repair(s, t);
    size_t n = sim_machine_tick(&t->m, out);
    atomic_store_explicit(&t->clock_ms, t->m.t_ms, memory_order_relaxed);
    return n;
}

static void wait_until(struct simulator *s, double wall_s, unsigned gen)
{
    double now = clock_monotonic_s();
    double wait = wall_s - now;
    if (wait > SIM_MAX_WAIT_S)
        wait = SIM_MAX_WAIT_S;
    if (wait <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long ns = (long)(wait * 1e9);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec += ns % 1000000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    if (!atomic_load(&s->stop) && atomic_load(&s->speed_gen) == gen)
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
    pthread_mutex_unlock(&s->lock);
}

/* The plant time of the slowest machine still running (INT64_MAX when all have finished). */
static int64_t slowest_clock(const struct simulator *s)
{
    int64_t min = INT64_MAX;
    for (int k = 0; k < s->count; k++) {
        int64_t c = atomic_load_explicit(&s->threads[k].clock_ms, memory_order_relaxed);
        if (c < s->end_ms && c < min)
            min = c;
    }
    return min;
}

/* One batch as fast as the consumer takes it, losing nothing, at most SIM_LEAD_MS ahead of the
 * slowest machine. Returns -1 when the queue is closed. */
static int thread_run_max(struct simulator *s, struct sim_thread *t)
{
    struct sim_machine *m = &t->m;
    size_t per_tick = (size_t)m->sensor_count, n = 0;
    int64_t slowest = slowest_clock(s);
    int64_t limit = slowest > INT64_MAX - SIM_LEAD_MS ? INT64_MAX : slowest + SIM_LEAD_MS;
    while (n + per_tick <= s->batch_cap && m->t_ms < s->end_ms && m->t_ms <= limit)
        n += thread_tick(s, t, t->batch + n);
    if (n == 0) { /* ahead: the slowest one wakes us when it moves */
        wait_until(s, clock_monotonic_s() + SIM_LEAD_WAIT_S, atomic_load(&s->speed_gen));
        return 0;
    }
    if (queue_push_wait(s->q, t->batch, n) < 0)
        return -1;
    if (m->t_ms - (int64_t)(n / per_tick) * m->period_ms <= slowest) {
        pthread_mutex_lock(&s->lock); /* we were the slowest: those ahead may go on */
        pthread_cond_broadcast(&s->wake);
        pthread_mutex_unlock(&s->lock);
    }
    return 0;
}

static void *thread_main(void *arg)
{
    struct sim_thread *t = arg;
    struct simulator *s = t->sim;
    struct sim_machine *m = &t->m;
    size_t per_tick = (size_t)m->sensor_count, cap = s->batch_cap, n = 0;
    unsigned seen_gen = atomic_load(&s->speed_gen) + 1;
    double anchor_wall = 0;
    int64_t anchor_sim = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed) && m->t_ms < s->end_ms) {
        unsigned gen = atomic_load(&s->speed_gen);
        double speed = load_speed(s);
        if (gen != seen_gen) {
            seen_gen = gen;
            anchor_wall = clock_monotonic_s();
            anchor_sim = m->t_ms;
        }
        if (speed <= 0) {
            if (thread_run_max(s, t) < 0)
                break;
            continue;
        }
        double now = clock_monotonic_s();
        double due_ms = (double)anchor_sim + (now - anchor_wall) * speed * 1000.0;
        while ((double)m->t_ms <= due_ms && m->t_ms < s->end_ms && n + per_tick <= cap)
            n += thread_tick(s, t, t->batch + n);
        if (n)
            queue_push(s->q, t->batch, n); /* a full queue counts the drop; never wait here */
        bool more = n + per_tick > cap;
        n = 0;
        if (more || m->t_ms >= s->end_ms)
            continue;
        double wake = anchor_wall + (double)(m->t_ms - anchor_sim) / (speed * 1000.0);
        wait_until(s, wake > now + SIM_MIN_WAIT_S ? wake : now + SIM_MIN_WAIT_S, gen);
    }
    if (m->t_ms >= s->end_ms)
        atomic_fetch_add(&s->finished, 1);
    return NULL;
}

int simulator_start(struct simulator *s)
{
    if (atomic_load(&s->running))
        return 0;
    atomic_store(&s->stop, false);
    atomic_store(&s->running, true);
    for (int k = 0; k < s->count; k++) {
        struct sim_thread *t = &s->threads[k];
        if (pthread_create(&t->tid, NULL, thread_main, t) != 0) {
            simulator_stop(s);
            return -1;
        }
        t->started = true;
    }
    return 0;
}

void simulator_stop(struct simulator *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    for (int k = 0; k < s->count; k++) {
        struct sim_thread *t = &s->threads[k];
        if (t->started)
            pthread_join(t->tid, NULL);
        t->started = false;
    }
    atomic_store(&s->running, false);
}

void simulator_destroy(struct simulator *s)
{
    if (!s)
        return;
    simulator_stop(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s->threads);
    free(s->faults);
    free(s);
}

bool simulator_finished(const struct simulator *s)
{
    return s->end_ms != INT64_MAX && atomic_load(&((struct simulator *)s)->finished) >= s->count;
}

int simulator_inject_fault(struct simulator *s, int machine, const char *fault, double ttf_s,
                           char *err, size_t errlen)
{
    struct sim_thread *t = thread_of(s, machine);
    if (!t) {
        snprintf(err, errlen, "machine %d is not simulated", machine);
        return -1;
    }
    const struct catalog_type *type = t->m.type;
    const struct catalog_machine *cm = catalog_machine_at(s->cat, machine);
    if (!fault) {
        if (type->fault_count == 0) {
            snprintf(err, errlen, "%s (%s) has no fault modes", cm->id, type->name);
            return -1;
        }
        fault = type->faults[0].name;
    }
    bool known = false;
    for (int f = 0; f < type->fault_count; f++)
        known |= strcmp(type->faults[f].name, fault) == 0;
    if (!known) {
        snprintf(err, errlen, "%s (%s) has no fault mode '%s'", cm->id, type->name, fault);
        return -1;
    }
    if (!(ttf_s > 0))
        ttf_s = SIM_DEFAULT_TTF_S;
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    if (atomic_load(&t->inject_pending)) {
        snprintf(err, errlen, "%s: a fault is already being injected", cm->id);
    } else if (t->m.fault_count >= SIM_ACTIVE_FAULTS_MAX) {
        snprintf(err, errlen, "%s: too many faults (at most %d)", cm->id, SIM_ACTIVE_FAULTS_MAX);
    } else {
        snprintf(t->inject_fault, sizeof t->inject_fault, "%s", fault);
        t->inject_ttf_s = ttf_s;
        t->inject_list_index = -1;
        if (s->faults->fault_count < SCENARIO_FAULTS_MAX) {
            struct simulator_fault *f = &s->faults->faults[s->faults->fault_count];
            memset(f, 0, sizeof *f);
            f->machine = machine;
            snprintf(f->machine_id, sizeof f->machine_id, "%s", cm->id);
            snprintf(f->fault, sizeof f->fault, "%s", fault);
            f->onset_s = (double)atomic_load(&t->clock_ms) / 1000.0;
            f->ttf_s = ttf_s;
            f->failure_s = f->onset_s + ttf_s;
            f->repair_s = INFINITY;
            f->injected = true;
            t->inject_list_index = s->faults->fault_count++;
        }
        atomic_store_explicit(&t->inject_pending, true, memory_order_release);
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int simulator_repair(struct simulator *s, int machine, const char *fault, char *err, size_t errlen)
{
    struct sim_thread *t = thread_of(s, machine);
    if (!t || !fault || sim_machine_fault_index(&t->m, fault) < 0) {
        snprintf(err, errlen, "%s: no simulated fault mode %s",
                 t ? catalog_machine_at(s->cat, machine)->id : "unknown machine",
                 fault ? fault : "(none)");
        return -1;
    }
    pthread_mutex_lock(&s->lock);
    snprintf(t->repair_fault, sizeof t->repair_fault, "%s", fault);
    atomic_store_explicit(&t->repair_pending, true, memory_order_release);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int simulator_fault_count(const struct simulator *s)
{
    pthread_mutex_lock(&((struct simulator *)s)->lock);
    int n = s->faults->fault_count;
    pthread_mutex_unlock(&((struct simulator *)s)->lock);
    return n;
}

int simulator_fault_get(const struct simulator *s, int i, struct simulator_fault *out)
{
    int rc = -1;
    pthread_mutex_lock(&((struct simulator *)s)->lock);
    if (i >= 0 && i < s->faults->fault_count) {
        *out = s->faults->faults[i];
        rc = 0;
    }
    pthread_mutex_unlock(&((struct simulator *)s)->lock);
    return rc;
}

const char *simulator_scenario_name(const struct simulator *s)
{
    return s->faults->name;
}

int64_t simulator_clock_ms(const struct simulator *s)
{
    int64_t slowest = INT64_MAX;
    for (int k = 0; k < s->count; k++) {
        int64_t c = atomic_load_explicit(&s->threads[k].clock_ms, memory_order_relaxed);
        if (c < slowest)
            slowest = c;
    }
    return s->opt.start_ms + (s->count ? slowest : 0);
}

int64_t simulator_period_ms(const struct simulator *s, int machine)
{
    const struct sim_thread *t = thread_of(s, machine);
    return t ? t->m.period_ms : 0;
}
