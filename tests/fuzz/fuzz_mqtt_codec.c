// SPDX-License-Identifier: MIT
/* Fuzzes the MQTT telemetry decoder: input is "topic\0payload" (no NUL: payload only, no topic),
 * parsed bare, decoded against a fresh catalog (learning machines), and encoded back. */
#include "fuzz.h"

#include "catalog.h"
#include "mqtt_codec.h"

static struct mqtt_codec_record fuzz_rec;
static struct sample fuzz_samples[MQTT_CODEC_FIELDS_MAX];
static char fuzz_buf[MQTT_CODEC_PAYLOAD_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MQTT_CODEC_PAYLOAD_MAX + 256)
        return 0;
    const char *topic = NULL;
    const uint8_t *payload = data;
    size_t len = size;
    char *copy = fuzz_strdup(data, size);
    const uint8_t *nul = memchr(data, 0, size);
    if (nul) {
        topic = copy;
        payload = nul + 1;
        len = size - (size_t)(payload - data);
    }
    mqtt_codec_parse(payload, len, topic, 1700000000000, &fuzz_rec);

    char err[256];
    struct catalog *cat = catalog_parse(FUZZ_CATALOG_JSON, "fuzz", err, sizeof err);
    if (!cat)
        abort();
    catalog_set_max_machines(cat, 8);
    struct mqtt_codec *codec = mqtt_codec_create(cat);
    for (int round = 0; round < 2; round++) { /* the second time the machine is known */
        int n = mqtt_codec_decode(codec, topic, payload, len, 1700000000000, fuzz_samples,
                                  MQTT_CODEC_FIELDS_MAX);
        if (n > 0)
            mqtt_codec_encode(cat, mqtt_codec_last_machine(codec), fuzz_samples[0].ts_ms,
                              fuzz_samples, (size_t)n, fuzz_buf, sizeof fuzz_buf);
    }
    struct mqtt_codec_stats st;
    mqtt_codec_get_stats(codec, &st);
    mqtt_codec_stats_json(&st, fuzz_buf, sizeof fuzz_buf);
    mqtt_codec_destroy(codec);
    catalog_free(cat);
    free(copy);
    return 0;
}
