#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# twintop as a Sparkplug B edge node (--publish-format sparkplug) on a real mosquitto, read by an
# independent Python host (births, aliases, no seq gap, rebirth on NCMD within 1 s, the NDEATH
# will after kill -9) and by a second twintop as host (all 16 machines; what it records is what
# the edge recorded, times and values).
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
"$BIN" --headless --db "$tmp/host.db" --mqtt "$BROKER_URL" --topic 'spBv1.0/#' --duration 600 \
    --status-interval 250 > "$tmp/host.jsonl" 2> "$tmp/host.err" & host=$!; pids+=($host)
$PY tests/test_sparkplug_host.py "$tmp" "$BROKER_PORT" plant7 line2 > "$tmp/py.out" 2>&1 & py=$!; pids+=($py)
sleep 1
"$BIN" --headless --db "$tmp/edge.db" --publish "$BROKER_URL" --publish-format sparkplug \
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
# What the host recorded is what the edge recorded: same machine, sensor, time and value (the
# edge sends doubles; a float would be within 1e-6), births included (they carry the values'
# own time, not the wall clock's). The edge was killed, so compare each machine up to
# a second before its last committed row.
"$BIN" export --db "$tmp/edge.db" --format csv > "$tmp/edge.csv" || fail "edge export"
"$BIN" export --db "$tmp/host.db" --format csv > "$tmp/host.csv" || fail "host export"
$PY - "$tmp/edge.csv" "$tmp/host.csv" <<'PY'
import csv, sys
edge = {(r["machine_id"], r["sensor"], r["ts"]): r["value"] for r in csv.DictReader(open(sys.argv[1]))}
from datetime import datetime, timedelta
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00"))
last = {}
for m, _, ts in edge:
    last[m] = max(last.get(m, t(ts)), t(ts))
host = [r for r in csv.DictReader(open(sys.argv[2]))
        if r["machine_id"] in last and t(r["ts"]) < last[r["machine_id"]] - timedelta(seconds=1)]
bad = [r for r in host if (r["machine_id"], r["sensor"], r["ts"]) not in edge]
assert len(host) > 200 and not bad, "%d of %d host rows the edge never had: %s" % (len(bad), len(host), bad[:3])
worst = max(abs(float(r["value"]) - float(edge[(r["machine_id"], r["sensor"], r["ts"])])) /
            max(abs(float(r["value"])), 1e-9) for r in host if r["value"] and r["value"][0] in "-0123456789")
assert worst <= 1e-6, worst
print("host rows %d, all the edge's, worst relative difference %g" % (len(host), worst))
PY
grep '^rebirth' "$tmp/py.out"
# Both files say where each machine stands, alike (the host knows these machines from its catalog).
q="SELECT machine_id, area, line FROM machines WHERE area <> '' ORDER BY 1"
[ "$(sqlite3 "$tmp/host.db" "$q" | wc -l)" = 16 ] || fail "host.db: machines without area"
[ "$(sqlite3 "$tmp/host.db" "$q")" = "$(sqlite3 "$tmp/edge.db" "$q")" ] || fail "areas differ"
echo "test_sparkplug_edge: ok"
