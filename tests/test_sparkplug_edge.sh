#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# twintop as a Sparkplug B edge node (--publish-format sparkplug) on a real mosquitto, read by an
# independent Python host (births, aliases, no seq gap, rebirth on NCMD within 1 s, the NDEATH
# will after kill -9) and by a second twintop as host (all 16 machines, values as sent).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
PY=/usr/bin/python3 # Debian's, where python3-protobuf and python3-paho-mqtt live
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
pids=()
on_exit() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
fail() { echo "test_sparkplug_edge: $*" >&2; exit 1; }
$PY -c 'import google.protobuf, paho.mqtt' 2>/dev/null || { echo "test_sparkplug_edge: skipped (python3-protobuf, python3-paho-mqtt)"; exit 77; }

protoc --proto_path=core --python_out="$tmp" core/sparkplug_b.proto
broker_start
"$BIN" --headless --no-db --mqtt "$BROKER_URL" --topic 'spBv1.0/#' --duration 600 \
    --status-interval 250 > "$tmp/host.jsonl" 2> "$tmp/host.err" & host=$!; pids+=($host)
$PY tests/test_sparkplug_host.py "$tmp" "$BROKER_PORT" plant7 line2 > "$tmp/py.out" 2>&1 & py=$!; pids+=($py)
sleep 1
"$BIN" --headless --no-db --publish "$BROKER_URL" --publish-format sparkplug \
    --sparkplug-group plant7 --sparkplug-node line2 --speed 10 --duration 3600 --scenario healthy \
    --status-interval 250 > "$tmp/edge.jsonl" 2> "$tmp/edge.err" & edge=$!; pids+=($edge)
for _ in $(seq 300); do grep -q ready "$tmp/py.out" && break; kill -0 $py 2>/dev/null || break; sleep 0.1; done
grep -q ready "$tmp/py.out" || fail "python host: $(cat "$tmp/py.out") $(cat "$tmp/edge.err")"
status_wait_for "$tmp/host.jsonl" '"sparkplug" in d and d["machines"] == 16 and d["states"]["stale"] == 0 and d["sparkplug"]["seq_gaps"] == 0' 30 \
    || fail "twintop host: $(tail -n1 "$tmp/host.jsonl")"
kill -9 $edge; wait $edge 2>/dev/null || true
wait $py || fail "python host: $(cat "$tmp/py.out")"
status_wait_for "$tmp/host.jsonl" '"sparkplug" in d and d["sparkplug"]["nodes_dead"] == 1' 20 \
    || fail "twintop host saw no NDEATH: $(tail -n1 "$tmp/host.jsonl")"
kill -TERM $host; wait $host || true
$PY - "$(tail -n1 "$tmp/host.jsonl")" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
s = d["sparkplug"]
assert d["machines"] == 16, d["machines"]   # device ids are the catalog's machine ids
assert s["rejected"]["before_birth"] == 0 and s["unknown_aliases"] == 0, s
assert s["births"] >= 2 * 17 and s["samples"] > 1000, s
PY
grep '^rebirth' "$tmp/py.out"
echo "test_sparkplug_edge: ok"
