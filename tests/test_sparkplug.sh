#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# twintop as a Sparkplug B host against an independent edge node (Python protobuf + paho) on a
# real mosquitto: births, aliases, a seq gap answered by an NCMD rebirth, a DDEATH, a garbage
# payload, a shared device id, the NDEATH will after kill -9; JSON telemetry in the same run; the
# history records each machine's group and node.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
PY=/usr/bin/python3 # Debian's, where python3-protobuf and python3-paho-mqtt live
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
pids=()
on_exit() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
fail() { echo "test_sparkplug: $*" >&2; exit 1; }
$PY -c 'import google.protobuf, paho.mqtt' 2>/dev/null || { echo "test_sparkplug: skipped (python3-protobuf, python3-paho-mqtt)"; exit 77; }

protoc --proto_path=core --python_out="$tmp" core/sparkplug_b.proto
broker_start
"$BIN" --headless --db "$tmp/host.db" --mqtt "$BROKER_URL" --topic 'spBv1.0/#' --topic 'dt/+/+/telemetry' \
    --duration 60 --status-interval 250 --stale-after 10m > "$tmp/host.jsonl" 2> "$tmp/host.err" & host=$!; pids+=($host)
sleep 1
$PY tests/test_sparkplug_edge.py "$tmp" "$BROKER_PORT" > "$tmp/edge.out" 2>&1 & edge=$!; pids+=($edge)
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -t dt/centrifugal-pump/JSON_001/telemetry \
    -m '{"machine_id":"JSON_001","data":{"flow_m3h":100}}'
for _ in $(seq 200); do grep -q ready "$tmp/edge.out" && break; sleep 0.1; done
grep -q ready "$tmp/edge.out" || fail "edge: $(cat "$tmp/edge.out")"
grep -Eq '^ncmd [1-9]' "$tmp/edge.out" || fail "no rebirth request after the seq gap: $(cat "$tmp/edge.out")"
status_wait_for "$tmp/host.jsonl" '"sparkplug" in d and d["sparkplug"]["deaths"] >= 1 and d["sparkplug"]["states"] >= 1 and d["sparkplug"]["rejected"]["not_protobuf"] >= 1' 20 \
    || fail "host: $(tail -n1 "$tmp/host.jsonl")"
# 16 catalog machines never heard from are stale; silence alone cannot make one stale here
# (--stale-after 10m): the DDEATH did, for FAN_Y only (PUMP_X of both nodes, JSON_001 current).
status_wait_for "$tmp/host.jsonl" 'd["machines"] == 20 and d["states"]["stale"] == 16 + 1' 20 \
    || fail "DDEATH did not make exactly its machine stale: $(tail -n1 "$tmp/host.jsonl")"
kill -9 $edge # ungraceful: the broker sends both nodes' NDEATH wills
wait $edge 2>/dev/null || true
status_wait_for "$tmp/host.jsonl" '"sparkplug" in d and d["sparkplug"]["nodes_dead"] == 2 and d["sparkplug"]["nodes_online"] == 0' 20 \
    || fail "NDEATH will: $(tail -n1 "$tmp/host.jsonl")"
# Both nodes' wills: every Sparkplug machine stale at once; the JSON machine stays current.
status_wait_for "$tmp/host.jsonl" 'd["states"]["stale"] == d["machines"] - 1' 20 \
    || fail "NDEATH did not make the nodes' machines stale: $(tail -n1 "$tmp/host.jsonl")"
kill -TERM $host; wait $host || true
$PY - "$(tail -n1 "$tmp/host.jsonl")" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
s = d["sparkplug"]
assert s["births"] >= 2 + 3 + 2, s          # 2 NBIRTH, 3 DBIRTH, then the rebirth
assert s["seq_gaps"] >= 1 and s["rebirths_requested"] >= 1, s
assert s["unknown_aliases"] >= 1, s
assert s["skipped"]["dataset"] >= 1, s
assert s["deaths"] >= 3, s                   # DDEATH + two NDEATH wills
assert s["primary_host"] == "scada1" and s["primary_online"], s
assert s["samples"] > 40 * 4, s
assert d["mqtt"]["decoded"] >= 1, d["mqtt"]   # the JSON topic in the same run
PY
# The history says where each Sparkplug machine stands (group / edge node), and so does a replay.
fan=$(sqlite3 "$tmp/host.db" "SELECT area || '/' || line FROM machines WHERE machine_id = 'FAN_Y'")
[ "$fan" = "Plant1/edge1" ] || fail "FAN_Y recorded at '$fan', not Plant1/edge1"
echo "test_sparkplug: ok"
