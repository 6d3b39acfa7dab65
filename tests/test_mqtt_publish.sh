#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --publish round trip against a real mosquitto: the demo plant publishes, a second twintop
# attached with --mqtt sees all 16 machines live; state and reports are retained on the broker;
# a relay to the same broker does not feed its own telemetry back into itself.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
pids=()
on_exit() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
fail() { echo "test_mqtt_publish: $*" >&2; exit 1; }

broker_start
port=$BROKER_PORT
url=$BROKER_URL

# The console (B) first, then the demo plant (A) publishing 2 simulated minutes at 10x.
"$BIN" --headless --no-db --mqtt "$url" --duration 40 --status-interval 250 \
    > "$tmp/b.jsonl" 2> "$tmp/b.err" & b=$!; pids+=($b)
"$BIN" --headless --no-db --publish "$url" --speed 10 --duration 120 --status-interval 500 \
    --scenario healthy > "$tmp/a.jsonl" 2> "$tmp/a.err" || fail "publisher: $(cat "$tmp/a.err")"
a_final=$(tail -n1 "$tmp/a.jsonl")

# Some status line of the console must show all 16 machines live (none stale) from the wire.
status_wait_for "$tmp/b.jsonl" 'd["machines"] == 16 and d["states"]["stale"] == 0 and d["mqtt"]["decoded"] > 0 and d["mode"] == "MQTT"' 60 \
    || { kill $b; fail "console: $(tail -n1 "$tmp/b.jsonl") $(cat "$tmp/b.err")"; }
kill -TERM $b; wait $b || true
b_final=$(tail -n1 "$tmp/b.jsonl")
python3 - "$a_final" "$b_final" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pub = a["publish"]
assert pub["telemetry_enabled"] is True, pub
assert pub["telemetry"] > 16 * 100, pub     # at least one message per machine tick
assert pub["states"] >= 16 and pub["reports"] >= 16, pub
assert b["machines"] == 16, b               # nothing learned: the ids are the catalog's
rej = b["mqtt"]["rejected"]
assert sum(rej.values()) == 0, rej
assert b["mqtt"]["decoded"] > 0 and b["samples"] > 0, b
PY

# Retained state and reports: a late subscriber gets one of each per machine.
states=$(mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dt/+/+/state' -W 2 2>/dev/null | wc -l || true)
reports=$(mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dt/reports/+' -W 2 2>/dev/null | wc -l || true)
[ "$states" = 16 ] || fail "retained states: $states"
[ "$reports" = 16 ] || fail "retained reports: $reports"
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dt/centrifugal-pump/PUMP_001/state' -C 1 -W 2 | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["machine_id"] == "PUMP_001" and d["status"] in ("ok", "warn", "alarm", "stale"), d
assert "health" in d and "rul_hours" in d and "anomaly" in d, d'
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dt/reports/CNC-001' -C 1 -W 2 | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = d["sensors"]["spindle.rpm"]
assert d["samples"] > 0 and s["min"] <= s["mean"] <= s["max"], d'

# A relay on the same broker and prefix would read its own telemetry back: it stays off.
"$BIN" --headless --no-db --mqtt "$url" --publish "$url" --duration 1 > "$tmp/c.jsonl"
grep -q '"telemetry_enabled":false' "$tmp/c.jsonl" || fail "relay loop not prevented: $(tail -n1 "$tmp/c.jsonl")"
echo "test_mqtt_publish: ok"
