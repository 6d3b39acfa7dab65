// SPDX-License-Identifier: MIT
#ifndef TWINTOP_SAMPLE_H
#define TWINTOP_SAMPLE_H
/*
 * One reading of one sensor of one machine: what producers (simulator threads, the MQTT
 * subscriber, replay) push on the ingest queue. Indices refer to the catalog: machine is an
 * index into catalog->machines, sensor an index into that machine's type's sensors.
 * A text channel (CNC status.mode, status.program) carries a short string instead of a value.
 * An offline sample (a Sparkplug NDEATH or DDEATH) says the machine's source died: the engine
 * shows the machine stale until its next reading and hands the sample to no sink.
 * A historical sample (Sparkplug is_historical, store-and-forward after an outage) is a numeric
 * reading from the past: recorded in history, it never moves live state, alarms or telemetry.
 */
#include <stdint.h>

#define SAMPLE_TEXT_MAX 16

enum sample_kind { SAMPLE_VALUE = 0, SAMPLE_TEXT = 1, SAMPLE_OFFLINE = 2, SAMPLE_HISTORICAL = 3 };

struct sample {
    int64_t ts_ms;    /* simulated or wire time, milliseconds since the Unix epoch */
    uint32_t machine; /* catalog machine index */
    uint16_t sensor;  /* index into the machine type's sensors */
    uint16_t kind;    /* enum sample_kind */
    union {
        double value;
        char text[SAMPLE_TEXT_MAX]; /* NUL-terminated, already sanitised */
    } u;
};

#endif
