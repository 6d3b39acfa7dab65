// SPDX-License-Identifier: MIT
#ifndef TWINTOP_MQTT_CODEC_H
#define TWINTOP_MQTT_CODEC_H
/*
 * Telemetry payloads (JSON, cJSON) to samples and back. Three formats are accepted, all
 * decoded by the same rule:
 *   1. twintop's own  {"machine_id","type","ts","data":{...}}
 *   2. the CNC twin   {"timestamp","machine_id","spindle":{...},...} or its API envelope
 *                     {"timestamp","machine_id","data":{...}}
 *   3. the Kafka twin {"machineId","timestamp" (ISO or epoch seconds),"sensorData":{...},
 *                     "status":"NORMAL",...}
 * The machine id is "machine_id" or "machineId"; the time "ts" or "timestamp" (ISO 8601, epoch
 * seconds, or epoch milliseconds when above 1e11; the receive time when absent). Every other
 * member is a field; "data" and "sensorData" are flattened without their own name, nested
 * objects flatten to dotted names ("spindle.rpm"). Numbers and booleans become values (non-finite
 * ones are dropped), strings become sanitised text (printable ASCII, at most
 * SAMPLE_TEXT_MAX - 1 bytes). Ids and names are sanitised to [A-Za-z0-9_.:-] and bounded.
 *
 * mqtt_codec_parse is pure. A struct mqtt_codec adds the catalog mapping and the counters: it
 * belongs to one producer thread (the MQTT network thread); mqtt_codec_get_stats may be called from
 * any thread (counters are atomics).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "sample.h"

/* Why a payload was refused. MQTT_CODEC_OK is 0; the others index mqtt_codec_stats.rejected. */
enum mqtt_codec_reject {
    MQTT_CODEC_OK = 0,
    MQTT_CODEC_NOT_JSON,         /* not JSON, or not a JSON object */
    MQTT_CODEC_NO_MACHINE_ID,    /* no usable machine_id / machineId */
    MQTT_CODEC_NO_NUMERIC_FIELD, /* nothing that maps to a sample */
    MQTT_CODEC_TOO_LARGE,        /* payload above MQTT_CODEC_PAYLOAD_MAX */
    MQTT_CODEC_BAD_TIMESTAMP,    /* timestamp present but unreadable or out of range */
    MQTT_CODEC_MACHINE_CAP,      /* a new machine beyond --max-machines: counted, not created */
    MQTT_CODEC_FUTURE_TIMESTAMP, /* stamped beyond the clock-skew tolerance ahead of now_ms */
    MQTT_CODEC_REJECT_COUNT
};

#define MQTT_CODEC_PAYLOAD_MAX (64 * 1024)
#define MQTT_CODEC_FIELDS_MAX 128

struct mqtt_codec_field {
    char name[CATALOG_NAME_MAX];
    bool is_text;
    double value;
    char text[SAMPLE_TEXT_MAX];
};

struct mqtt_codec_record {
    char machine_id[CATALOG_NAME_MAX];
    char type[CATALOG_NAME_MAX]; /* payload "type"/"machineType", else from the topic, else "" */
    /* Where a machine learned from this record stands ("": unknown); Sparkplug B fills them
     * with the group and edge node. */
    char area[CATALOG_NAME_MAX], line[CATALOG_NAME_MAX];
    int64_t ts_ms;
    int field_count;
    struct mqtt_codec_field
        fields[MQTT_CODEC_FIELDS_MAX]; /* beyond MQTT_CODEC_FIELDS_MAX: ignored */
};

struct mqtt_codec_stats {
    uint64_t received;                          /* payloads offered to mqtt_codec_decode */
    uint64_t decoded;                           /* payloads that gave samples */
    uint64_t samples;                           /* samples produced */
    uint64_t rejected[MQTT_CODEC_REJECT_COUNT]; /* [0] unused */
    uint64_t rejected_total;
    uint64_t fields_unmapped; /* fields of catalog machines with no matching sensor */
    uint64_t machines_learned;
};

/* "not_json", "no_machine_id", "no_numeric_field", "too_large", "bad_timestamp", "machine_cap",
 * "future_timestamp". */
const char *mqtt_codec_reject_name(int reason);

/* Parses one payload. topic (may be NULL) supplies the type of dt/<type>/<id>/telemetry.
 * now_ms is used when the payload has no time. Returns MQTT_CODEC_OK or a reject reason. */
int mqtt_codec_parse(const void *payload, size_t len, const char *topic, int64_t now_ms,
                     struct mqtt_codec_record *rec);

/* Copies src into dst keeping [A-Za-z0-9_.:-] and turning anything else into '_'; at most
 * len - 1 bytes. Returns the length written. */
size_t mqtt_codec_sanitize_id(const char *src, char *dst, size_t len);
/* Copies wire text for display: printable ASCII only (others become '?'), at most len - 1. */
size_t mqtt_codec_sanitize_text(const char *src, char *dst, size_t len);

struct mqtt_codec;

/* max_machines caps machines learned from the wire (catalog_set_max_machines is the caller's). */
struct mqtt_codec *mqtt_codec_create(struct catalog *cat);
void mqtt_codec_destroy(struct mqtt_codec *c);

/* Decodes one payload into samples (machine and sensor indices from the catalog; unknown
 * machines and their sensors are learned, up to the catalog's cap). Returns the number of
 * samples written to out (at most max), or -reason. Counts everything. */
int mqtt_codec_decode(struct mqtt_codec *c, const char *topic, const void *payload, size_t len,
                      int64_t now_ms, struct sample *out, size_t max);

/* The second half of mqtt_codec_decode for a record another decoder filled (Sparkplug B): the
 * catalog mapping, learning and counters, without counting it as received. */
int mqtt_codec_decode_record(struct mqtt_codec *c, const struct mqtt_codec_record *rec,
                             struct sample *out, size_t max);

/* Payloads stamped more than max_skew_ms ahead of mqtt_codec_decode's now_ms are refused as
 * MQTT_CODEC_FUTURE_TIMESTAMP (default MQTT_CODEC_SKEW_DEFAULT_MS; negative: no limit), so one
 * sample from a broken clock cannot move the history's "now" years ahead. */
#define MQTT_CODEC_SKEW_DEFAULT_MS (5 * 60 * 1000)
void mqtt_codec_set_max_skew(struct mqtt_codec *c, int64_t max_skew_ms);
/* The skew check alone, for a record another decoder filled: 0, or -MQTT_CODEC_FUTURE_TIMESTAMP
 * (counted) when ts_ms is more than the tolerance ahead of now_ms. */
int mqtt_codec_check_time(struct mqtt_codec *c, int64_t ts_ms, int64_t now_ms);

/* The machine index of the last successful mqtt_codec_decode. */
int mqtt_codec_last_machine(const struct mqtt_codec *c);

void mqtt_codec_get_stats(const struct mqtt_codec *c, struct mqtt_codec_stats *out);

/* Writes {"received":N,"rejected":{"not_json":N,...}} (valid JSON). Returns its length. */
int mqtt_codec_stats_json(const struct mqtt_codec_stats *s, char *buf, size_t len);

/* Encodes samples of one machine at one time in twintop's own format; dotted names become
 * nested objects. Samples of other machines are skipped. Returns the length, or -1 when buf
 * is too small. */
int mqtt_codec_encode(const struct catalog *cat, int machine, int64_t ts_ms, const struct sample *s,
                      size_t n, char *buf, size_t len);

#endif
