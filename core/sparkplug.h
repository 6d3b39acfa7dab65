// SPDX-License-Identifier: MIT
#ifndef TWINTOP_SPARKPLUG_H
#define TWINTOP_SPARKPLUG_H
/*
 * Sparkplug B host application (read-only, never the primary host): decodes spBv1.0/ topics
 * (protobuf-c, core/sparkplug_b.proto) into samples through the JSON feed's catalog mapping.
 * NBIRTH/DBIRTH define each node's metrics and aliases; a device becomes a machine (its id, or
 * NODE/DEVICE when another node already carries that device id); NDATA/DDATA resolve aliases.
 * seq is checked per node (wrapping at 256); a gap, data before a birth or an unknown alias sends
 * an NCMD "Node Control/Rebirth" = true to the node, at most once per SPARKPLUG_REBIRTH_GAP_MS.
 * NDEATH (matching bdSeq) and DDEATH mark the node or device dead. STATE is read, never written.
 *
 * Threads: a struct sparkplug belongs to the feed's network thread; sparkplug_get_stats may be
 * called from any thread (counters are atomics, the node table is read under a lock).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "mqtt_codec.h"
#include "sample.h"

#define SPARKPLUG_NODES_MAX 256
#define SPARKPLUG_REBIRTH_GAP_MS 2000

/* Why a Sparkplug message was refused; index of sparkplug_stats.rejected. */
enum sparkplug_reject {
    SPARKPLUG_OK = 0,
    SPARKPLUG_NOT_PROTOBUF,   /* payload does not decode as a Sparkplug B Payload */
    SPARKPLUG_BAD_TOPIC,      /* not spBv1.0/<group>/<type>/<node>[/<device>] */
    SPARKPLUG_BEFORE_BIRTH,   /* data or DBIRTH from a node or device not born */
    SPARKPLUG_BDSEQ_MISMATCH, /* an NDEATH whose bdSeq is not the last NBIRTH's: ignored */
    SPARKPLUG_NODE_CAP,       /* more than SPARKPLUG_NODES_MAX nodes */
    SPARKPLUG_TOO_LARGE,      /* above MQTT_CODEC_PAYLOAD_MAX */
    SPARKPLUG_NO_SAMPLE,      /* the catalog mapping refused it (machine cap, nothing numeric) */
    SPARKPLUG_REJECT_COUNT
};

/* Metrics not recorded, by kind. */
enum sparkplug_skip {
    SPARKPLUG_SKIP_DATASET = 0,
    SPARKPLUG_SKIP_TEMPLATE,
    SPARKPLUG_SKIP_FILE,
    SPARKPLUG_SKIP_BYTES,
    SPARKPLUG_SKIP_OTHER,      /* arrays, property sets, unknown types, null values */
    SPARKPLUG_SKIP_HISTORICAL, /* is_historical text: history keeps numeric readings only */
    SPARKPLUG_SKIP_COUNT
};

struct sparkplug_stats {
    uint64_t received, decoded, samples;
    uint64_t historical; /* is_historical readings, to history only (not in samples) */
    uint64_t births, deaths, seq_gaps, unknown_aliases, rebirths_requested, states;
    uint64_t rejected[SPARKPLUG_REJECT_COUNT]; /* [0] unused */
    uint64_t skipped[SPARKPLUG_SKIP_COUNT];
    int nodes_online, nodes_dead;
    int nodes_awaiting_birth; /* heard from only in data: a rebirth was asked for */
    char primary_host[64];    /* the last STATE topic's host id, sanitised ("" when none seen) */
    bool primary_online;
};

/* "not_protobuf", "bad_topic", "before_birth", "bdseq_mismatch", "node_cap", "too_large",
 * "no_sample". */
const char *sparkplug_reject_name(int reason);
/* "dataset", "template", "file", "bytes", "other", "historical". */
const char *sparkplug_skip_name(int kind);

/* Whether a topic belongs to Sparkplug B (spBv1.0/...). */
bool sparkplug_topic(const char *topic);

/* Sends one NCMD (the feed's connection). Returns 0 or -1. */
typedef int (*sparkplug_send_fn)(void *ctx, const char *topic, const void *payload, size_t len);

struct sparkplug;

/* codec maps records to samples (the feed's own, so both formats learn into one catalog). */
struct sparkplug *sparkplug_create(struct catalog *cat, struct mqtt_codec *codec);
void sparkplug_destroy(struct sparkplug *sp);
void sparkplug_set_sender(struct sparkplug *sp, sparkplug_send_fn fn, void *ctx);

/* Decodes one message on a spBv1.0/ topic. Returns the samples written to out (at most max,
 * 0 for births without values, deaths, STATE), or -reason. Counts everything. */
int sparkplug_decode(struct sparkplug *sp, const char *topic, const void *payload, size_t len,
                     int64_t now_ms, struct sample *out, size_t max);

void sparkplug_get_stats(struct sparkplug *sp, struct sparkplug_stats *out);
/* Writes ,"sparkplug":{…} (counters, node states) for the headless status line; "" before the
 * first Sparkplug message. */
void sparkplug_headless_json(struct sparkplug *sp, char *out, size_t len);

/* Encodes a payload of one metric (the NCMD rebirth request, tests). Returns its length or -1. */
int sparkplug_encode_rebirth(int64_t ts_ms, uint8_t *buf, size_t len);

/* ---- edge node encoding (the publisher's --publish-format sparkplug) ----
 * Every encoder returns the payload's length, or -1 when buf is too small. A device's metric
 * alias is sparkplug_alias(machine, sensor): unique across the node, as the specification asks. */
uint64_t sparkplug_alias(int machine, int sensor);
/* NBIRTH: bdSeq and Node Control/Rebirth = false, seq 0. */
int sparkplug_encode_node_birth(uint64_t bdseq, int64_t ts_ms, uint8_t *buf, size_t len);
/* NDEATH: bdSeq only (no seq). */
int sparkplug_encode_node_death(uint64_t bdseq, uint8_t *buf, size_t len);
/* DBIRTH of one machine: every sensor with name, alias, datatype (Double, or String for text
 * channels) and the engUnit property; last[s] is the value to announce (NAN: null), stamped
 * last_ts[s] when that is not 0 (the value's own time; NULL: none). */
int sparkplug_encode_device_birth(const struct catalog *cat, int machine, const double *last,
                                  const int64_t *last_ts, uint8_t seq, int64_t ts_ms, uint8_t *buf,
                                  size_t len);
/* DDATA of samples of one machine, by alias only. */
int sparkplug_encode_device_data(int machine, const struct sample *s, size_t n, uint8_t seq,
                                 int64_t ts_ms, uint8_t *buf, size_t len);
/* DDEATH (seq only). */
int sparkplug_encode_device_death(uint8_t seq, int64_t ts_ms, uint8_t *buf, size_t len);
/* Whether an NCMD payload asks for a rebirth (Node Control/Rebirth = true). */
bool sparkplug_is_rebirth_request(const void *payload, size_t len);

#endif
