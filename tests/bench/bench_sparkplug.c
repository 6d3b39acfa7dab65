// SPDX-License-Identifier: MIT
/* Sparkplug B decode throughput: DDATA of 8 metrics by alias through sparkplug_decode and the
 * catalog mapping (BENCH sparkplug_decode_ddata8 N msg/s; the target is 300 k). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "catalog.h"
#include "mqtt_codec.h"
#include "sparkplug.h"

#define METRICS 8
#define ROUNDS 1000000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first catalog machine with at least METRICS numeric sensors. */
static int bench_machine(const struct catalog *cat)
{
    for (int m = 0; m < catalog_machine_count(cat); m++) {
        const struct catalog_type *t = catalog_machine_at(cat, m)->type;
        int numeric = 0;
        for (int s = 0; s < catalog_sensor_count(t); s++)
            numeric += !t->sensors[s].is_text;
        if (numeric >= METRICS)
            return m;
    }
    return -1;
}

int main(void)
{
    char err[256];
    struct catalog *cat = catalog_load("data/machines.json", err, sizeof err);
    if (!cat) {
        fprintf(stderr, "bench_sparkplug: %s\n", err);
        return 1;
    }
    int m = bench_machine(cat);
    struct mqtt_codec *codec = mqtt_codec_create(cat);
    struct sparkplug *sp = sparkplug_create(cat, codec);
    if (m < 0 || !codec || !sp)
        return 1;
    const struct catalog_type *t = catalog_machine_at(cat, m)->type;
    char dtopic[200], ntopic[200], btopic[200];
    snprintf(ntopic, sizeof ntopic, "spBv1.0/bench/NBIRTH/edge");
    snprintf(btopic, sizeof btopic, "spBv1.0/bench/DBIRTH/edge/%s", catalog_machine_at(cat, m)->id);
    snprintf(dtopic, sizeof dtopic, "spBv1.0/bench/DDATA/edge/%s", catalog_machine_at(cat, m)->id);
    static uint8_t buf[65536];
    static struct sample out[128];
    int len = sparkplug_encode_node_birth(1, 1, buf, sizeof buf);
    sparkplug_decode(sp, ntopic, buf, (size_t)len, 1, out, 128);
    len = sparkplug_encode_device_birth(cat, m, NULL, NULL, 1, 1, buf, sizeof buf);
    sparkplug_decode(sp, btopic, buf, (size_t)len, 1, out, 128);
    /* 256 payloads, seq 2, 3, ... wrapping: decoded in a loop they stay consecutive */
    static uint8_t msgs[256][512];
    static size_t lens[256];
    for (int i = 0; i < 256; i++) {
        struct sample s[METRICS];
        int k = 0;
        for (int j = 0; j < catalog_sensor_count(t) && k < METRICS; j++)
            if (!t->sensors[j].is_text)
                s[k++] = (struct sample){.ts_ms = 1700000000000 + i,
                                         .machine = (uint32_t)m,
                                         .sensor = (uint16_t)j,
                                         .kind = SAMPLE_VALUE,
                                         .u.value = t->sensors[j].nominal + i * 0.01};
        len = sparkplug_encode_device_data(m, s, METRICS, (uint8_t)(i + 2), 1700000000000 + i,
                                           msgs[i], sizeof msgs[i]);
        if (len < 0)
            return 1;
        lens[i] = (size_t)len;
    }
    long samples = 0;
    double t0 = now_s();
    for (int r = 0; r < ROUNDS; r++) {
        int n = sparkplug_decode(sp, dtopic, msgs[r & 255], lens[r & 255], 1, out, 128);
        samples += n > 0 ? n : 0;
    }
    double dt = now_s() - t0;
    struct sparkplug_stats st;
    sparkplug_get_stats(sp, &st);
    if (samples != (long)ROUNDS * METRICS || st.seq_gaps != 0) {
        fprintf(stderr, "bench_sparkplug: %ld samples, %llu seq gaps\n", samples,
                (unsigned long long)st.seq_gaps);
        return 1;
    }
    printf("BENCH sparkplug_decode_ddata8 %.0f msg/s\n", ROUNDS / dt);
    sparkplug_destroy(sp);
    mqtt_codec_destroy(codec);
    catalog_free(cat);
    return 0;
}
