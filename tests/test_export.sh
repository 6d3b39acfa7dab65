#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# History end to end with the real binary: record, export in every format (counts equal the
# file's), export while another twintop records, SIGTERM flushes, SIGKILL leaves a clean file,
# bad input gives clear messages, and export never touches the source.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d /tmp/twintop-export-sh-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "test_export: $*" >&2; exit 1; }
count() { sqlite3 "$1" "select count(*) from samples"; }
json_db() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[-1])["db"][sys.argv[1]])' "$1"; }

# 20 simulated minutes of the demo plant as fast as it goes.
"$BIN" --headless --scenario demo --speed max --duration 20m --seed 3 --db "$tmp/h.db" \
    --status-interval 500 > "$tmp/run.jsonl"
written=$(json_db written < "$tmp/run.jsonl")
n=$(count "$tmp/h.db")
[ "$n" -gt 100000 ] || fail "only $n samples recorded"
[ "$n" = "$written" ] || fail "file holds $n samples, the status line said $written"
[ "$(json_db dropped < "$tmp/run.jsonl")" = 0 ] || fail "samples dropped at --speed max"
sha_before=$(sha256sum "$tmp/h.db" | cut -d' ' -f1)

# CSV: the header and one line per sample; JSON lines; an SQLite copy.
"$BIN" export --db "$tmp/h.db" --format csv --out "$tmp/h.csv" 2> "$tmp/err"
[ "$(head -n1 "$tmp/h.csv")" = "ts,machine_id,sensor,value" ] || fail "CSV header: $(head -n1 "$tmp/h.csv")"
[ "$(wc -l < "$tmp/h.csv")" = $((n + 1)) ] || fail "CSV lines $(wc -l < "$tmp/h.csv") for $n samples"
grep -q "$n samples to $tmp/h.csv" "$tmp/err" || fail "no summary: $(cat "$tmp/err")"
sed -n 2p "$tmp/h.csv" | grep -Eq '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z,[^,]+,[^,]+,' \
    || fail "CSV row: $(sed -n 2p "$tmp/h.csv")"
"$BIN" export --db "$tmp/h.db" --format jsonl > "$tmp/h.jsonl"
[ "$(wc -l < "$tmp/h.jsonl")" = "$n" ] || fail "JSONL lines $(wc -l < "$tmp/h.jsonl") for $n"
"$BIN" export --db "$tmp/h.db" --format sqlite --out "$tmp/copy.db" 2> /dev/null
[ "$(count "$tmp/copy.db")" = "$n" ] || fail "copy holds $(count "$tmp/copy.db") of $n"
[ "$(sqlite3 "$tmp/copy.db" 'pragma integrity_check')" = ok ] || fail "copy integrity"

# Same values: the CSV and JSON lines against the file, sample for sample.
python3 - "$tmp/h.db" "$tmp/h.csv" "$tmp/h.jsonl" <<'PY'
import csv, json, sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
want = {}
for m, s, ts, v in db.execute("select machine_id, sensor, ts_ms, value from samples"):
    want[(m, s, ts)] = v
def ms(text):
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(round(d.timestamp() * 1000))
def check(m, s, ts, v):
    w = want[(m, s, ms(ts))]
    if isinstance(w, str):
        assert v == w, (m, s, ts, v, w)
    else:
        assert float(v) == w, (m, s, ts, v, w)
rows = 0
with open(sys.argv[2]) as f:
    for r in csv.DictReader(f):
        check(r["machine_id"], r["sensor"], r["ts"], r["value"]); rows += 1
assert rows == len(want), (rows, len(want))
rows = 0
for line in open(sys.argv[3]):
    o = json.loads(line)
    check(o["machine_id"], o["sensor"], o["ts"], o["value"]); rows += 1
assert rows == len(want)
PY

# Filters, rollups, the alarm log.
"$BIN" export --db "$tmp/h.db" --machine CNC-001 --sensor spindle.rpm --since -5m > "$tmp/cnc.csv"
lines=$(($(wc -l < "$tmp/cnc.csv") - 1))
[ "$lines" -gt 100 ] && ! grep -qv -e '^ts,' -e ',CNC-001,spindle.rpm,' "$tmp/cnc.csv" \
    || fail "filtered export: $lines lines"
"$BIN" export --db "$tmp/h.db" --rollup 1min > "$tmp/r.csv"
[ "$(($(wc -l < "$tmp/r.csv") - 1))" = "$(sqlite3 "$tmp/h.db" "select count(*) from rollups where \"window\" = '1min'")" ] \
    || fail "rollup export count"
"$BIN" export --db "$tmp/h.db" --alarms > "$tmp/a.csv" 2> "$tmp/err"
head -n1 "$tmp/a.csv" | grep -q '^ts,alarm_id,machine_id,condition,priority,action,operator,host,reason$' \
    || fail "alarm log header: $(head -n1 "$tmp/a.csv")"
# Headless, nobody acts on alarms: the log is the process changes (raise, escalate, clear).
events=$(sqlite3 "$tmp/h.db" "select count(*) from alarm_events")
[ "$events" -gt 0 ] && [ "$(($(wc -l < "$tmp/a.csv") - 1))" = "$events" ] \
    || fail "alarm log: $(($(wc -l < "$tmp/a.csv") - 1)) rows, $events alarm events"
grep -q ',raise,' "$tmp/a.csv" || fail "no raise in the alarm log"

# Bad input: clear messages, no output file left behind.
set +e
"$BIN" export --db "$tmp/h.db" --machine PUMP_042 > /dev/null 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "unknown machine 'PUMP_042'.*known:.*PUMP_001" "$tmp/err" || fail "unknown machine: rc=$rc $(cat "$tmp/err")"
"$BIN" export --db "$tmp/none.db" 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "none.db: No such file" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
"$BIN" export --db "$tmp/h.db" --format xml 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "'xml' is not csv, jsonl or sqlite" "$tmp/err" || fail "bad format: $(cat "$tmp/err")"
"$BIN" export --db "$tmp/h.db" --since tomorrowish 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--since: 'tomorrowish' is not a time" "$tmp/err" || fail "bad time: $(cat "$tmp/err")"
"$BIN" export --db "$tmp/h.csv" 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "not a database" "$tmp/err" || fail "CSV as db: $(cat "$tmp/err")"
set -e
[ "$(sha256sum "$tmp/h.db" | cut -d' ' -f1)" = "$sha_before" ] || fail "export modified the source"

# Export while another twintop records into the same file; SIGTERM then flushes everything.
"$BIN" --headless --scenario demo --speed 200 --db "$tmp/live.db" --status-interval 200 \
    > "$tmp/live.jsonl" &
pid=$!; pids+=("$pid")
for _ in $(seq 100); do
    [ -s "$tmp/live.db" ] && [ "$(count "$tmp/live.db" 2>/dev/null || echo 0)" -gt 1000 ] && break
    sleep 0.1
done
for i in 1 2 3; do
    "$BIN" export --db "$tmp/live.db" --format sqlite --out "$tmp/live-$i.db" 2> /dev/null \
        || fail "copy $i while recording"
    [ "$(sqlite3 "$tmp/live-$i.db" 'pragma integrity_check')" = ok ] || fail "copy $i integrity"
    "$BIN" export --db "$tmp/live.db" --out "$tmp/live-$i.csv" 2> /dev/null || fail "CSV $i while recording"
    sleep 0.3
done
c1=$(count "$tmp/live-1.db"); c3=$(count "$tmp/live-3.db")
[ "$c1" -gt 0 ] && [ "$c3" -gt "$c1" ] || fail "copies while recording: $c1 then $c3"
kill -TERM "$pid"; wait "$pid" || fail "recorder exit status after SIGTERM"
final=$(json_db written < "$tmp/live.jsonl")
[ "$(count "$tmp/live.db")" = "$final" ] || fail "after SIGTERM the file holds $(count "$tmp/live.db"), the final line said $final"

# SIGHUP (the terminal went away) flushes the same way.
"$BIN" --headless --scenario demo --speed 100 --db "$tmp/hup.db" --status-interval 200 \
    > "$tmp/hup.jsonl" &
pid=$!; pids+=("$pid")
for _ in $(seq 300); do
    [ -s "$tmp/hup.jsonl" ] && [ "$(json_db written < "$tmp/hup.jsonl" 2>/dev/null || echo 0)" -gt 0 ] && break
    sleep 0.1
done
kill -HUP "$pid"; wait "$pid" || fail "recorder exit status after SIGHUP"
final=$(json_db written < "$tmp/hup.jsonl")
[ "$(count "$tmp/hup.db")" = "$final" ] || fail "after SIGHUP the file holds $(count "$tmp/hup.db"), the final line said $final"

# SIGKILL mid-recording: the file opens clean and holds what was reported written.
"$BIN" --headless --scenario demo --speed max --duration 30d --db "$tmp/kill.db" \
    --status-interval 100 > "$tmp/kill.jsonl" &
pid=$!; pids+=("$pid")
seen=0
for _ in $(seq 600); do # until something is reported written (slow under sanitizers)
    [ -s "$tmp/kill.jsonl" ] && [ "$(json_db written < "$tmp/kill.jsonl" 2>/dev/null || echo 0)" -gt 0 ] \
        && seen=1 && break
    sleep 0.1
done
[ "$seen" = 1 ] || fail "SIGKILL step: the recorder reported nothing written within 60 s"
sleep 0.5
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
# the kill may cut the last status line short: take the last complete one
reported=$(python3 -c 'import json,sys
for l in reversed(sys.stdin.readlines()):
    try: print(json.loads(l)["db"]["written"]); break
    except ValueError: pass' < "$tmp/kill.jsonl")
[ "$(sqlite3 "$tmp/kill.db" 'pragma integrity_check')" = ok ] || fail "integrity after SIGKILL"
got=$(count "$tmp/kill.db")
[ "$got" -ge "$reported" ] && [ "$got" -gt 0 ] || fail "after SIGKILL $got samples, $reported were reported written"
echo "test_export: ok ($n samples)"
