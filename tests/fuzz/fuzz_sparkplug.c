// SPDX-License-Identifier: MIT
/* Fuzzes the Sparkplug B host decoder: input is a sequence of messages, each one byte choosing
 * the topic (births, data, deaths, commands, STATE, a second node) and a two-byte big-endian
 * length, then that many payload bytes; all go to one host in order, so births, aliases, seq
 * checks and deaths interact. Rebirth requests are encoded but sent nowhere. */
#include "fuzz.h"

#include "catalog.h"
#include "mqtt_codec.h"
#include "sparkplug.h"

static const char *const fuzz_topics[] = {
    "spBv1.0/G1/NBIRTH/N1",    "spBv1.0/G1/DBIRTH/N1/D1", "spBv1.0/G1/DDATA/N1/D1",
    "spBv1.0/G1/NDATA/N1",     "spBv1.0/G1/DDEATH/N1/D1", "spBv1.0/G1/NDEATH/N1",
    "spBv1.0/G1/NCMD/N1",      "spBv1.0/STATE/host1",     "spBv1.0/G1/NBIRTH/N2",
    "spBv1.0/G1/DBIRTH/N2/D1", "spBv1.0/G1/DDATA/N2/D1",  "spBv1.0/bad",
};
#define FUZZ_TOPICS (sizeof fuzz_topics / sizeof fuzz_topics[0])

static struct sample fuzz_samples[MQTT_CODEC_FIELDS_MAX];

static int fuzz_send(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)ctx, (void)topic, (void)payload, (void)len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    struct catalog *cat = catalog_parse(FUZZ_CATALOG_JSON, "fuzz", err, sizeof err);
    if (!cat)
        abort();
    catalog_set_max_machines(cat, 8);
    struct mqtt_codec *codec = mqtt_codec_create(cat);
    struct sparkplug *sp = codec ? sparkplug_create(cat, codec) : NULL;
    if (!sp)
        abort();
    sparkplug_set_sender(sp, fuzz_send, NULL);
    int64_t now = 1700000000000;
    for (size_t at = 0; at + 3 <= size;) {
        const char *topic = fuzz_topics[data[at] % FUZZ_TOPICS];
        size_t len = (size_t)data[at + 1] << 8 | data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        sparkplug_decode(sp, topic, data + at, len, now, fuzz_samples, MQTT_CODEC_FIELDS_MAX);
        at += len;
        now += 1000;
    }
    char json[2048];
    sparkplug_headless_json(sp, json, sizeof json);
    sparkplug_destroy(sp);
    mqtt_codec_destroy(codec);
    catalog_free(cat);
    return 0;
}
