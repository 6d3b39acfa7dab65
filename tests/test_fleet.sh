#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A large feed against a real mosquitto: --max-machines 5100 learns 5,100 machines with nothing
# rejected (the old build clamped the cap to about 1,000 without a word), the 5,101st is refused
# and counted, and a cap beyond the documented hard limit (100,000) is an error at start.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_fleet.sh: $*" >&2; exit 1; }

# 1. Beyond the hard limit: refused at start, saying what and where.
if "$BIN" --headless --no-db --max-machines 100001 --duration 1 > "$tmp/over.out" 2> "$tmp/over.err"; then
    fail "--max-machines 100001 was accepted"
fi
grep -q -- '--max-machines: 100001 is out of range (1..100000)' "$tmp/over.err" ||
    fail "over-limit message: $(cat "$tmp/over.err")"
"$BIN" --headless --no-db --max-machines 100000 --speed max --duration 10 --status-interval 100000 \
    > "$tmp/limit.out" 2> "$tmp/limit.err" || fail "--max-machines 100000 refused: $(cat "$tmp/limit.err")"

# 2. 5,100 machines of a catalog type, one message each, then one machine too many.
broker_start "max_queued_messages 0"
"$BIN" --headless --no-db --mqtt "$BROKER_URL" --qos 1 --max-machines 5100 --duration 120 \
    --status-interval 200 > "$tmp/run.jsonl" 2> "$tmp/run.err" &
tw=$!
status_wait_for "$tmp/run.jsonl" 'd["mqtt"]["state"] == "connected"' ||
    fail "no connection: $(cat "$tmp/run.err")"
python3 - > "$tmp/payloads" <<'PY'
import json
for i in range(5100):
    print(json.dumps({"machine_id": "F%04d" % i, "type": "industrial-motor",
                      "ts": 1795341600000, "data": {"speed_rpm": 1485.0, "current_a": 60.0}},
                     separators=(",", ":")))
PY
# mosquitto_pub -l drops what is still unacknowledged when its input ends: linger.
{ cat "$tmp/payloads"; sleep 2; } |
    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t dt/industrial-motor/fleet/telemetry -l
status_wait_for "$tmp/run.jsonl" \
    'd["mqtt"]["received"] == 5100 and d["machines"] == 5116 and d["mqtt"]["max_machines"] == 5116 and sum(d["mqtt"]["rejected"].values()) == 0' 60 ||
    fail "5100 machines not learned: $(tail -n1 "$tmp/run.jsonl")"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t dt/industrial-motor/fleet/telemetry \
    -m '{"machine_id":"F5100","type":"industrial-motor","data":{"speed_rpm":1485.0}}'
status_wait_for "$tmp/run.jsonl" \
    'd["mqtt"]["received"] == 5101 and d["mqtt"]["rejected"]["machine_cap"] == 1 and d["machines"] == 5116' ||
    fail "the 5101st machine was not refused: $(tail -n1 "$tmp/run.jsonl")"
kill -TERM $tw
wait $tw || fail "twintop exit status $?"
echo "test_fleet.sh: ok"
