#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Drain a backlog of QoS 1 messages queued on a local broker for a persistent session, once with
# mosquitto_sub and once with twintop --headless --mqtt (decode, twin, detection, recording),
# from the same run. Prints BENCH lines: both rates and twintop's share of mosquitto_sub's.
# BENCH_MQTT_MESSAGES overrides the backlog size (default 200000).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
N=${BENCH_MQTT_MESSAGES:-200000}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "bench_mqtt: $*" >&2; exit 1; }

broker_start "max_queued_messages 0" "max_inflight_messages 20"
port=$BROKER_PORT
url=$BROKER_URL
topic='dt/+/+/telemetry'

# Both persistent sessions exist before the backlog is published, so each gets every message.
mosquitto_sub -h 127.0.0.1 -p "$port" -V mqttv5 -c -x 3600 -i bench-sub -q 1 -t "$topic" -E
"${BUILD:-build}/bench/bench_mqtt_codec" drain "$port" bench-feed 0 > /dev/null
for id in bench-twintop bench-twintop-nodb; do
    "$BIN" --headless --no-db --mqtt "$url" --client-id $id --duration 1 \
        --status-interval 200 > "$tmp/register.jsonl"
    grep -q '"state":"connected"' "$tmp/register.jsonl" || fail "twintop did not connect"
done

# The backlog: every machine of the catalog with its own sensors near their nominal values,
# one message per machine tick, twintop's own format.
python3 - "$N" data/machines.json > "$tmp/payloads" <<'PY'
import json, math, random, sys
n = int(sys.argv[1])
cat = json.load(open(sys.argv[2]))
types = {t["name"]: t for t in cat["types"]}
machines = []
for m in cat["machines"]:
    sensors = [s for s in types[m["type"]]["sensors"] if not s.get("text")]
    machines.append((m["id"], m["type"], sensors))
rnd = random.Random(1)
base = 1795341600000
out = sys.stdout
for i in range(n):
    mid, mtype, sensors = machines[i % len(machines)]
    t = base + (i // len(machines)) * 1000
    data = {}
    for s in sensors:
        lo, hi = s.get("normal", [0, 1])
        nominal = s.get("nominal", (lo + hi) / 2)
        data[s["name"]] = round(nominal + (hi - lo) * 0.05 * rnd.gauss(0, 1), 3)
    out.write(json.dumps({"machine_id": mid, "type": mtype, "ts": t, "data": data},
                         separators=(",", ":")) + "\n")
PY
start=$(date +%s.%N)
# (mosquitto_pub -l disconnects before its last QoS 1 messages are acknowledged: not usable.)
"${BUILD:-build}/bench/bench_mqtt_codec" publish "$port" dt/bench/plant/telemetry < "$tmp/payloads"
pub_s=$(echo "$(date +%s.%N) - $start" | bc -l)

start=$(date +%s.%N)
mosquitto_sub -h 127.0.0.1 -p "$port" -V mqttv5 -c -x 3600 -i bench-sub -q 1 -t "$topic" -C "$N" > "$tmp/sub.out"
sub_s=$(echo "$(date +%s.%N) - $start" | bc -l)
got=$(wc -l < "$tmp/sub.out")
[ "$got" = "$N" ] || fail "mosquitto_sub drained $got of $N"

# twintop: the status lines say when every message has been received; the wall clock of that
# line (100 ms resolution) is the drain time, start-up included. $1: client id, then options.
drain_twintop() {
    local id=$1; shift
    "$BIN" --headless --mqtt "$url" --client-id "$id" "$@" \
        --status-interval 100 > "$tmp/$id.jsonl" 2> "$tmp/$id.err" &
    local tw=$! t=""
    for _ in $(seq 6000); do
        sleep 0.1
        t=$(python3 - "$tmp/$id.jsonl" "$N" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("mqtt", {}).get("received", 0) >= int(sys.argv[2]):
        print(d["wall_s"])
        break
PY
)
        [ -n "$t" ] && break
        kill -0 $tw 2>/dev/null || break
    done
    kill -TERM $tw 2>/dev/null || true
    wait $tw || true
    [ -n "$t" ] || fail "twintop did not drain the backlog: $(tail -n1 "$tmp/$id.jsonl") $(cat "$tmp/$id.err")"
    echo "$t"
}
feed_s=$("${BUILD:-build}/bench/bench_mqtt_codec" drain "$port" bench-feed "$N") || fail "feed drain"
tw_s=$(drain_twintop bench-twintop --db "$tmp/history.db")
nodb_s=$(drain_twintop bench-twintop-nodb --no-db)
cp "$tmp/bench-twintop.jsonl" "$tmp/twintop.jsonl"
final=$(tail -n1 "$tmp/twintop.jsonl")
python3 - "$N" "$pub_s" "$sub_s" "$tw_s" "$final" "$nodb_s" "$feed_s" <<'PY'
import json, sys
n = int(sys.argv[1]); pub_s, sub_s, tw_s = map(float, sys.argv[2:5])
nodb_s, feed_s = float(sys.argv[6]), float(sys.argv[7])
final = json.loads(sys.argv[5])
mq = final.get("mqtt", {})
assert mq.get("decoded", 0) >= n, mq
sub_rate, tw_rate = n / sub_s, n / tw_s
print("BENCH mqtt_backlog_messages %d msgs" % n)
print("BENCH mqtt_publish_backlog_rate %.0f msg/s" % (n / pub_s))
print("BENCH mqtt_drain_mosquitto_sub %.0f msg/s" % sub_rate)
print("BENCH mqtt_drain_twintop %.0f msg/s" % tw_rate)
print("BENCH mqtt_drain_ratio %.1f %%" % (100.0 * tw_rate / sub_rate))
print("BENCH mqtt_drain_twintop_no_db %.0f msg/s" % (n / nodb_s))
print("BENCH mqtt_drain_feed_only %.0f msg/s" % (n / feed_s))
print("BENCH mqtt_drain_feed_only_ratio %.1f %%" % (100.0 * (n / feed_s) / sub_rate))
print("BENCH mqtt_drain_twintop_samples %d samples" % final.get("samples", 0))
PY
