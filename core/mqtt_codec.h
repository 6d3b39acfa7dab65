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
 * codec_parse is pure. A struct codec adds the catalog mapping and the counters: it belongs
 * to one producer thread (the MQTT network thread); codec_get_stats may be called from any
 * thread (counters are atomics).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "sample.h"

/* Why a payload was refused. CODEC_OK is 0; the others index codec_stats.rejected. */
enum codec_reject {
    CODEC_OK = 0,
    CODEC_NOT_JSON,         /* not JSON, or not a JSON object */
    CODEC_NO_MACHINE_ID,    /* no usable machine_id / machineId */
    CODEC_NO_NUMERIC_FIELD, /* nothing that maps to a sample */
    CODEC_TOO_LARGE,        /* payload above CODEC_PAYLOAD_MAX */
    CODEC_BAD_TIMESTAMP,    /* timestamp present but unreadable or out of range */
    CODEC_MACHINE_CAP,      /* a new machine beyond --max-machines: counted, not created */
    CODEC_REJECT_COUNT
};

#define CODEC_PAYLOAD_MAX (64 * 1024)
#define CODEC_FIELDS_MAX 128

struct codec_field {
    char name[CATALOG_NAME_MAX];
    bool is_text;
    double value;
    char text[SAMPLE_TEXT_MAX];
};

struct codec_record {
    char machine_id[CATALOG_NAME_MAX];
    char type[CATALOG_NAME_MAX]; /* payload "type"/"machineType", else from the topic, else "" */
    int64_t ts_ms;
    int field_count;
    struct codec_field fields[CODEC_FIELDS_MAX]; /* beyond CODEC_FIELDS_MAX: ignored */
};

struct codec_stats {
    uint64_t received;       /* payloads offered to codec_decode */
    uint64_t decoded;        /* payloads that gave samples */
    uint64_t samples;        /* samples produced */
    uint64_t rejected[CODEC_REJECT_COUNT]; /* [0] unused */
    uint64_t rejected_total;
    uint64_t fields_unmapped; /* fields of catalog machines with no matching sensor */
    uint64_t machines_learned;
};

/* "not_json", "no_machine_id", "no_numeric_field", "too_large", "bad_timestamp", "machine_cap". */
const char *codec_reject_name(int reason);

/* Parses one payload. topic (may be NULL) supplies the type of dt/<type>/<id>/telemetry.
 * now_ms is used when the payload has no time. Returns CODEC_OK or a reject reason. */
int codec_parse(const void *payload, size_t len, const char *topic, int64_t now_ms,
                struct codec_record *rec);

/* Copies src into dst keeping [A-Za-z0-9_.:-] and turning anything else into '_'; at most
 * len - 1 bytes. Returns the length written. */
size_t codec_sanitize_id(const char *src, char *dst, size_t len);
/* Copies wire text for display: printable ASCII only (others become '?'), at most len - 1. */
size_t codec_sanitize_text(const char *src, char *dst, size_t len);

struct codec;

/* max_machines caps machines learned from the wire (catalog_set_max_machines is the caller's). */
struct codec *codec_create(struct catalog *cat);
void codec_destroy(struct codec *c);

/* Decodes one payload into samples (machine and sensor indices from the catalog; unknown
 * machines and their sensors are learned, up to the catalog's cap). Returns the number of
 * samples written to out (at most max), or -reason. Counts everything. */
int codec_decode(struct codec *c, const char *topic, const void *payload, size_t len,
                 int64_t now_ms, struct sample *out, size_t max);

/* The machine index of the last successful codec_decode. */
int codec_last_machine(const struct codec *c);

void codec_get_stats(const struct codec *c, struct codec_stats *out);

/* Writes {"received":N,"rejected":{"not_json":N,...}} (valid JSON). Returns its length. */
int codec_stats_json(const struct codec_stats *s, char *buf, size_t len);

/* Encodes samples of one machine at one time in twintop's own format; dotted names become
 * nested objects. Samples of other machines are skipped. Returns the length, or -1 when buf
 * is too small. */
int codec_encode(const struct catalog *cat, int machine, int64_t ts_ms, const struct sample *s,
                 size_t n, char *buf, size_t len);

#endif
