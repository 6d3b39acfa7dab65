#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A fleet through a real mosquitto: BENCH_FLEET_MACHINES (10000) learned machines of an 8-sensor
# catalog type, BENCH_FLEET_MESSAGES (200000) QoS 1 messages, into twintop --headless --no-db.
# Prints machines learned and rejected, drain rate, peak RSS and KB per machine (peak RSS minus
# the RSS before the feed, over the machines), then the process's CPU while no data arrives, over
# BENCH_FLEET_IDLE_S (60) seconds of /proc/PID/stat utime+stime.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
MACHINES=${BENCH_FLEET_MACHINES:-10000}
N=${BENCH_FLEET_MESSAGES:-200000}
IDLE_S=${BENCH_FLEET_IDLE_S:-60}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "bench_fleet: $*" >&2; exit 1; }

broker_start "max_queued_messages 0" "max_inflight_messages 20"

# One message per machine tick, round robin, the type's 8 sensors near their nominal values.
python3 - "$N" "$MACHINES" data/machines.json > "$tmp/payloads" <<'PY'
import json, random, sys
n, machines = int(sys.argv[1]), int(sys.argv[2])
types = {t["name"]: t for t in json.load(open(sys.argv[3]))["types"]}
sensors = [s for s in types["industrial-motor"]["sensors"] if not s.get("text")]
assert len(sensors) == 8
rnd = random.Random(1)
base = 1795341600000
for i in range(n):
    data = {}
    for s in sensors:
        lo, hi = s["normal"]
        data[s["name"]] = round(s.get("nominal", (lo + hi) / 2) + (hi - lo) * 0.05 * rnd.gauss(0, 1), 3)
    msg = {"machine_id": "FLEET_%05d" % (i % machines), "type": "industrial-motor",
           "ts": base + (i // machines) * 1000, "data": data}
    print(json.dumps(msg, separators=(",", ":")))
PY

"$BIN" --headless --no-db --mqtt "$BROKER_URL" --client-id bench-fleet --qos 1 \
    --max-machines "$MACHINES" --status-interval 200 > "$tmp/run.jsonl" 2> "$tmp/run.err" &
tw=$!
on_exit() { kill -TERM "$tw" 2>/dev/null || true; wait "$tw" 2>/dev/null || true; }
status_wait_for "$tmp/run.jsonl" 'd.get("mqtt", {}).get("state") == "connected"' 30 ||
    fail "twintop did not connect: $(cat "$tmp/run.err")"
sleep 1
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
base_kb=$(rss_kb "$tw" VmRSS)

start=$(date +%s.%N)
"${BUILD:-build}/bench/bench_mqtt_codec" publish "$BROKER_PORT" dt/bench/fleet/telemetry < "$tmp/payloads"
status_wait_for "$tmp/run.jsonl" "d.get('mqtt', {}).get('received', 0) >= $N" 600 ||
    fail "twintop did not take every message: $(tail -n1 "$tmp/run.jsonl")"
drain_s=$(echo "$(date +%s.%N) - $start" | bc -l)
status_wait_for "$tmp/run.jsonl" "d.get('samples', 0) >= $N * 8" 120 ||
    fail "the engine did not process every sample: $(tail -n1 "$tmp/run.jsonl")"
peak_kb=$(rss_kb "$tw" VmHWM)

# Idle: the plant has gone quiet; every machine stays known (and turns stale).
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0=$(ticks "$tw")
sleep "$IDLE_S"
t1=$(ticks "$tw")
hz=$(getconf CLK_TCK)
final=$(tail -n1 "$tmp/run.jsonl")
python3 - "$N" "$MACHINES" "$drain_s" "$base_kb" "$peak_kb" "$t0" "$t1" "$hz" "$IDLE_S" "$final" <<'PY'
import json, sys
n, machines = int(sys.argv[1]), int(sys.argv[2])
drain_s = float(sys.argv[3])
base_kb, peak_kb, t0, t1, hz, idle_s = map(float, sys.argv[4:10])
d = json.loads(sys.argv[10])
mq = d["mqtt"]
learned = d["machines"] - 16  # the catalog's own machines are there from the start
rejected = sum(mq.get("rejected", {}).values()) if isinstance(mq.get("rejected"), dict) else mq.get("rejected", 0)
print("BENCH fleet_machines_learned %d machines" % learned)
print("BENCH fleet_messages_rejected %d msgs" % rejected)
print("BENCH fleet_drain_rate %.0f msg/s" % (n / drain_s))
print("BENCH fleet_peak_rss %.1f MB" % (peak_kb / 1024))
print("BENCH fleet_base_rss %.1f MB" % (base_kb / 1024))
print("BENCH fleet_kb_per_machine %.1f KB" % ((peak_kb - base_kb) / max(learned, 1)))
print("BENCH fleet_idle_cpu %.2f %%" % (100.0 * (t1 - t0) / hz / idle_s))
assert learned == machines, "learned %d of %d machines" % (learned, machines)
assert rejected == 0, mq
PY
