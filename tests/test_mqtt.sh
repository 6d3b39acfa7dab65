#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# twintop --mqtt end to end against a real mosquitto on a free loopback port: a new machine from
# the wire, a visible reject counter, the UMich CNC replay (tests/cnc_feed.py), wall-clock
# --duration, and the refusals a user should hear about.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_mqtt.sh: $*" >&2; exit 1; }

broker_start
port=$BROKER_PORT
url=$BROKER_URL

# Waits (up to 60 s) until the headless output $1 has a line for which the expression $2 holds.
wait_for() { status_wait_for "$1" "$2" 60; }

# 1. The issue's "done when": CNC-9 appears, "not json" increments a visible reject counter.
"$BIN" --headless --no-db --mqtt "$url" --duration 30 --status-interval 100 \
    > "$tmp/a.jsonl" 2> "$tmp/a.err" & tw=$!
wait_for "$tmp/a.jsonl" 'd["mqtt"]["state"] == "connected"' || fail "no connection: $(cat "$tmp/a.err")"
mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t dt/cnc/CNC-9/telemetry \
    -m '{"timestamp":"2026-02-04T06:40:00Z","machine_id":"CNC-9","data":{"spindle":{"temperature_c":95.0}}}'
mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t dt/x/y/telemetry -m 'not json'
wait_for "$tmp/a.jsonl" 'd["mqtt"]["rejected"]["not_json"] == 1 and d["machines"] == 17' \
    || fail "CNC-9 / reject not seen: $(tail -n1 "$tmp/a.jsonl")"
grep -q '"mode":"MQTT"' "$tmp/a.jsonl" || fail "mode is not MQTT"

# 2. The UMich CNC replay decodes row for row (experiment 08: 605 rows), as fast as it goes.
python3 tests/cnc_feed.py --stdout --speed 0 --experiments 08 > "$tmp/cnc.jsonl" 2>/dev/null
[ "$(wc -l < "$tmp/cnc.jsonl")" = 605 ] || fail "cnc_feed --stdout: $(wc -l < "$tmp/cnc.jsonl") lines"
head -n1 "$tmp/cnc.jsonl" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["machine_id"] == "CNC-001" and "rpm" in d["spindle"] and "x" in d["axes"], d
assert d["status"]["program"] == "exp08 worn", d'
python3 tests/cnc_feed.py --url "$url" --speed 0 --experiments 08 --machine-id CNC-UM8 \
    2> "$tmp/feed.err" || fail "cnc_feed: $(cat "$tmp/feed.err")"
wait_for "$tmp/a.jsonl" 'd["mqtt"]["decoded"] == 606 and d["machines"] == 18' \
    || fail "CNC replay: $(tail -n1 "$tmp/a.jsonl")"
kill -TERM $tw; wait $tw || fail "twintop exit status $?"
tail -n1 "$tmp/a.jsonl" | grep -q '"final":true' || fail "no final line"

# 2b. MQTT 3.1.1 at QoS 0, and the machine cap: two new machines allowed, the third refused.
"$BIN" --headless --no-db --mqtt "$url" --mqtt-version 3 --qos 0 --max-machines 2 --duration 30 \
    --status-interval 100 > "$tmp/v3.jsonl" 2> "$tmp/v3.err" & tw=$!
wait_for "$tmp/v3.jsonl" 'd["mqtt"]["state"] == "connected"' || fail "v3: $(cat "$tmp/v3.err")"
for m in GW_1 GW_2 GW_3 GW_1; do
    mosquitto_pub -h 127.0.0.1 -p "$port" -V mqttv311 -t "dt/gateway/$m/telemetry" \
        -m "{\"machine_id\":\"$m\",\"data\":{\"flow\":1}}"
done
wait_for "$tmp/v3.jsonl" 'd["mqtt"]["received"] == 4 and d["mqtt"]["rejected"]["machine_cap"] == 1 and d["machines"] == 18 and d["mqtt"]["max_machines"] == 18' \
    || fail "machine cap: $(tail -n1 "$tmp/v3.jsonl")"
kill -TERM $tw; wait $tw || fail "twintop (v3) exit status $?"

# 3. Attached to a feed, --duration is wall-clock time (no simulator to count plant time).
start=$(date +%s)
"$BIN" --headless --no-db --mqtt "$url" --duration 2 > "$tmp/b.jsonl"
elapsed=$(( $(date +%s) - start ))
[ $elapsed -ge 2 ] && [ $elapsed -le 10 ] || fail "--duration 2 took ${elapsed}s"

# 4. A broker that is not there: the status says so, and the run still ends on time.
dead=$(broker_free_port)
"$BIN" --headless --no-db --mqtt "mqtt://127.0.0.1:$dead" --duration 3 --status-interval 500 \
    > "$tmp/c.jsonl"
grep -q '"state":"connecting","attempt":[1-9]' "$tmp/c.jsonl" || fail "no attempts: $(tail -n1 "$tmp/c.jsonl")"
grep -q 'refused' "$tmp/c.jsonl" || fail "no last error shown"

# 5. Refusals: a password file others may read, a bad URL, TLS options on a plain URL.
echo secret > "$tmp/pw"; chmod 644 "$tmp/pw"
set +e
"$BIN" --headless --no-db --mqtt "$url" --user op --password-file "$tmp/pw" --duration 1 \
    2> "$tmp/err" > /dev/null; rc=$?
[ $rc != 0 ] && grep -q "too open" "$tmp/err" || fail "world-readable password file accepted: $(cat "$tmp/err")"
"$BIN" --headless --no-db --mqtt "http://x" --duration 1 2> "$tmp/err" > /dev/null; rc=$?
[ $rc != 0 ] && grep -q "mqtt:// or mqtts://" "$tmp/err" || fail "bad URL accepted: $(cat "$tmp/err")"
"$BIN" --headless --no-db --mqtt "$url" --cafile /etc/hostname --duration 1 2> "$tmp/err" > /dev/null; rc=$?
[ $rc != 0 ] && grep -q "mqtts://" "$tmp/err" || fail "--cafile on mqtt:// accepted: $(cat "$tmp/err")"
set -e
echo "test_mqtt.sh: ok"
