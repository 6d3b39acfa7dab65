#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs and the time policy on a real SQLite file and a real mosquitto: (a) a 2 h sped-up demo then
# a 10 min healthy run never collide and export --run returns each exactly; (b) one live message
# stamped 2099 is refused and counted, nothing recorded disappears, --since -1h still works.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_runs.sh: $*" >&2; exit 1; }
db=$tmp/h.db
written() { tail -n1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["db"]["written"])'; }

# (a) two simulated runs on one file
"$BIN" --headless --db "$db" --speed max --duration 2h --scenario demo --status-interval 100000 \
    > "$tmp/a1.jsonl" 2> "$tmp/a1.err" || fail "run 1: $(cat "$tmp/a1.err")"
"$BIN" --headless --db "$db" --speed max --duration 10m --scenario healthy --status-interval 100000 \
    > "$tmp/a2.jsonl" 2> "$tmp/a2.err" || fail "run 2: $(cat "$tmp/a2.err")"
w1=$(written "$tmp/a1.jsonl"); w2=$(written "$tmp/a2.jsonl")
[ "$w1" -gt 1000000 ] || fail "run 1 wrote $w1"
[ "$w2" -gt 100000 ] || fail "run 2 wrote $w2 (collided with run 1?)"
"$BIN" runs --db "$db" > "$tmp/runs.txt"
grep -q '^ *1  demo    demo' "$tmp/runs.txt" || fail "runs: $(cat "$tmp/runs.txt")"
grep -q '^ *2  demo    healthy' "$tmp/runs.txt" || fail "runs: $(cat "$tmp/runs.txt")"
"$BIN" runs --db "$db" --format jsonl | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin]
assert [r["run"] for r in runs] == [1, 2], runs
assert runs[0]["samples"] == '"$w1"' and runs[1]["samples"] == '"$w2"', runs
assert runs[0]["last_ts_ms"] - runs[0]["first_ts_ms"] > 7000000, runs[0]
' || fail "runs --format jsonl"
for r in 1 2; do
    n=$("$BIN" export --db "$db" --run $r | tail -n +2 | wc -l)
    want=$([ $r = 1 ] && echo "$w1" || echo "$w2")
    [ "$n" = "$want" ] || fail "export --run $r: $n rows, $want written"
done
n=$("$BIN" export --db "$db" | tail -n +2 | wc -l)
[ "$n" = "$w2" ] || fail "export (latest run): $n rows, want $w2"
n=$("$BIN" export --db "$db" --all-runs | tail -n +2 | wc -l)
[ "$n" = $((w1 + w2)) ] || fail "export --all-runs: $n rows"
"$BIN" export --db "$db" --run 9 > /dev/null 2> "$tmp/r9.err" && fail "--run 9 accepted"
grep -q 'no run 9' "$tmp/r9.err" || fail "--run 9: $(cat "$tmp/r9.err")"

# (b) a live feed, then one message stamped 2099
broker_start
live=$tmp/live.db
"$BIN" --headless --db "$live" --mqtt "$BROKER_URL" --duration 60 --status-interval 100 \
    > "$tmp/b.jsonl" 2> "$tmp/b.err" & tw=$!
status_wait_for "$tmp/b.jsonl" 'd["mqtt"]["state"] == "connected"' 30 \
    || fail "no connection: $(cat "$tmp/b.err")"
python3 - "$BROKER_PORT" > "$tmp/feed.txt" <<'PY'
import datetime, json, subprocess, sys
now = datetime.datetime.now(datetime.timezone.utc)
lines = []
for i in range(120):  # the last two hours, one a minute
    t = now - datetime.timedelta(minutes=119 - i)
    lines.append(json.dumps({"machine_id": "PUMP_001", "ts": t.isoformat().replace("+00:00", "Z"),
                             "data": {"speed_rpm": 1000 + i}}))
subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", sys.argv[1], "-q", "1",
                "-t", "dt/centrifugal-pump/PUMP_001/telemetry", "-l"],
               input="\n".join(lines) + "\n", text=True, check=True)
PY
status_wait_for "$tmp/b.jsonl" 'd["db"]["written"] >= 120' 30 || fail "feed: $(tail -n1 "$tmp/b.jsonl")"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t dt/centrifugal-pump/PUMP_001/telemetry \
    -m '{"machine_id":"PUMP_001","ts":"2099-01-01T00:00:00Z","data":{"speed_rpm":1}}'
status_wait_for "$tmp/b.jsonl" 'd["mqtt"]["rejected"]["future_timestamp"] == 1' 30 \
    || fail "2099 not refused: $(tail -n1 "$tmp/b.jsonl")"
kill -INT $tw; wait $tw || true
w=$(written "$tmp/b.jsonl")
[ "$w" = 120 ] || fail "written $w, want 120"
n=$("$BIN" export --db "$live" | tail -n +2 | wc -l)
[ "$n" = 120 ] || fail "export after 2099: $n rows"
n=$("$BIN" export --db "$live" --since -1h | tail -n +2 | wc -l)
[ "$n" -ge 59 ] && [ "$n" -le 61 ] || fail "export --since -1h: $n rows"
echo "test_runs.sh: ok"
