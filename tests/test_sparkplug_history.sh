#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sparkplug is_historical metrics (store-and-forward after an outage) on a real mosquitto: recorded
# in the SQLite history at their own timestamps, but never live state: 120 s of a bearing
# temperature far above its alarm limit raise no alarm and leave the live value where it was.
# A reading stamped in 2100 is refused by the clock-skew check, like a JSON one.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
PY=/usr/bin/python3 # Debian's, where python3-protobuf and python3-paho-mqtt live
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
pids=()
on_exit() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
fail() { echo "test_sparkplug_history: $*" >&2; exit 1; }
$PY -c 'import google.protobuf, paho.mqtt' 2>/dev/null || { echo "test_sparkplug_history: skipped (python3-protobuf, python3-paho-mqtt)"; exit 77; }

protoc --proto_path=core --python_out="$tmp" core/sparkplug_b.proto
broker_start
"$BIN" --headless --db "$tmp/h.db" --mqtt "$BROKER_URL" --topic 'spBv1.0/#' --duration 60 \
    --stale-after 10m --status-interval 250 > "$tmp/host.jsonl" 2> "$tmp/host.err" & host=$!; pids+=($host)
sleep 1
$PY tests/test_sparkplug_history.py "$tmp" "$BROKER_PORT" > "$tmp/edge.out" 2>&1 & edge=$!; pids+=($edge)
for _ in $(seq 300); do grep -q ready "$tmp/edge.out" && break; kill -0 $edge 2>/dev/null || break; sleep 0.1; done
grep -q ready "$tmp/edge.out" || fail "edge: $(cat "$tmp/edge.out")"
status_wait_for "$tmp/host.jsonl" '"sparkplug" in d and d["sparkplug"]["historical"] == 120 and d["sparkplug"]["samples"] == 6 and d["db"]["written"] == 126 and d["mqtt"]["rejected"]["future_timestamp"] == 1' 20 \
    || fail "host: $(tail -n1 "$tmp/host.jsonl")"
sleep 1
kill -9 $edge; wait $edge 2>/dev/null || true
kill -TERM $host; wait $host || fail "host exit: $(cat "$tmp/host.err")"
$PY - "$(tail -n1 "$tmp/host.jsonl")" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["alarms_raised"] == 0, "a historical reading raised a live alarm: %s" % d["alarms"]
assert d["states"]["alarm"] == 0 and d["states"]["warn"] == 0, d["states"]
PY
"$BIN" export --db "$tmp/h.db" --machine PUMP_001 --sensor bearing_temp_c --format csv > "$tmp/out.csv" \
    || fail "export: $(cat "$tmp/out.csv")"
$PY - "$tmp/out.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
vals = [float(r["value"]) for r in rows]
hist = sorted(v for v in vals if v >= 200)
assert hist == [200.0 + i for i in range(120)], "historical rows: %d %s" % (len(hist), hist[:3])
live = [v for v in vals if v < 100]
assert len(live) == 6, live          # the birth and five live readings, not the 2100 one
PY
echo "test_sparkplug_history: ok"
