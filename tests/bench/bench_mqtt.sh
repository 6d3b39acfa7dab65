#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Drain a backlog of QoS 1 messages queued on a local broker for persistent sessions: three pairs
# of mosquitto_sub and twintop --headless --mqtt --db (decode, twin, detection, alarms, SQLite),
# alternated in one run. Prints BENCH lines: the rates and twintop's share of mosquitto_sub's per
# pair (median, min, max), and the feed alone and twintop --no-db once each.
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
PAIRS=3
for k in $(seq $PAIRS); do
    mosquitto_sub -h 127.0.0.1 -p "$port" -V mqttv5 -c -x 3600 -i bench-sub$k -q 1 -t "$topic" -E
done
"${BUILD:-build}/bench/bench_mqtt_codec" drain "$port" bench-feed 0 > /dev/null
for id in $(seq -f bench-twintop%g $PAIRS) bench-twintop-nodb; do
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

drain_sub() {
    local start got
    start=$(date +%s.%N)
    mosquitto_sub -h 127.0.0.1 -p "$port" -V mqttv5 -c -x 3600 -i "bench-sub$1" -q 1 -t "$topic" \
        -C "$N" > "$tmp/sub.out"
    got=$(wc -l < "$tmp/sub.out")
    [ "$got" = "$N" ] || fail "mosquitto_sub drained $got of $N"
    echo "$(date +%s.%N) - $start" | bc -l
}

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
sub_all="" tw_all=""
for k in $(seq $PAIRS); do
    sub_all="$sub_all $(drain_sub $k)"
    tw_all="$tw_all $(drain_twintop bench-twintop$k --db "$tmp/history$k.db")"
done
feed_s=$("${BUILD:-build}/bench/bench_mqtt_codec" drain "$port" bench-feed "$N") || fail "feed drain"
nodb_s=$(drain_twintop bench-twintop-nodb --no-db)
final=$(tail -n1 "$tmp/bench-twintop1.jsonl")
python3 - "$N" "$pub_s" "$sub_all" "$tw_all" "$final" "$nodb_s" "$feed_s" <<'PY'
import json, statistics, sys
n = int(sys.argv[1]); pub_s = float(sys.argv[2])
subs = [float(x) for x in sys.argv[3].split()]
tws = [float(x) for x in sys.argv[4].split()]
nodb_s, feed_s = float(sys.argv[6]), float(sys.argv[7])
final = json.loads(sys.argv[5])
mq = final.get("mqtt", {})
assert mq.get("decoded", 0) >= n, mq
ratios = [100.0 * s / t for s, t in zip(subs, tws)]  # twintop's rate over mosquitto_sub's
sub_rate = n / statistics.median(subs)
print("BENCH mqtt_backlog_messages %d msgs" % n)
print("BENCH mqtt_publish_backlog_rate %.0f msg/s" % (n / pub_s))
print("BENCH mqtt_drain_mosquitto_sub %.0f msg/s" % sub_rate)
print("BENCH mqtt_drain_twintop %.0f msg/s" % (n / statistics.median(tws)))
print("BENCH mqtt_drain_ratio %.1f %%" % statistics.median(ratios))
print("BENCH mqtt_drain_ratio_min %.1f %%" % min(ratios))
print("BENCH mqtt_drain_ratio_max %.1f %%" % max(ratios))
print("BENCH mqtt_drain_twintop_no_db %.0f msg/s" % (n / nodb_s))
print("BENCH mqtt_drain_feed_only %.0f msg/s" % (n / feed_s))
print("BENCH mqtt_drain_feed_only_ratio %.1f %%" % (100.0 * (n / feed_s) / sub_rate))
print("BENCH mqtt_drain_twintop_samples %d samples" % final.get("samples", 0))
PY
