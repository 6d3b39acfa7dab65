#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# At-least-once to disk: a recorder attached at QoS 1 with a fixed --client-id is killed with -9
# at ten random moments while a publisher streams numbered messages, and restarted each time.
# Every message the broker acknowledged to the publisher is in the database exactly once, in one
# run (a restarted recorder goes on with the run its journal belongs to), and a clean end
# leaves no journal behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_journal.sh: $*" >&2; tail -n 5 "$tmp/rec.err" >&2 || true; exit 1; }
/usr/bin/python3 -c 'import paho.mqtt.client' 2> /dev/null \
    || { echo "SKIP test_journal.sh: python3-paho-mqtt is missing"; exit 0; }
broker_start "max_queued_messages 0"
n=${JOURNAL_MESSAGES:-8000}
db=$tmp/h.db
rec=""
on_exit() { if [ -n "$rec" ]; then kill -9 "$rec" 2> /dev/null || true; fi; }
start_recorder() {
    "$BIN" --headless --mqtt "$BROKER_URL" --client-id rec-1 --qos 1 --db "$db" \
        --status-interval 200 >> "$tmp/rec.jsonl" 2>> "$tmp/rec.err" &
    rec=$!
}
start_recorder
status_wait_for "$tmp/rec.jsonl" 'd["mqtt"]["state"] == "connected"' 30 || fail "no connection"
/usr/bin/python3 tests/test_journal_pub.py "$BROKER_PORT" "$n" 800 "$tmp/pub.out" &
pub=$!
kills=0
while [ $kills -lt 10 ]; do
    sleep "0.$((RANDOM % 9 + 1))"
    kill -0 $pub 2> /dev/null || break
    kill -9 "$rec"
    wait "$rec" 2> /dev/null || true
    kills=$((kills + 1))
    start_recorder
done
wait $pub || fail "publisher failed"
read -r acked base < "$tmp/pub.out"
[ "$acked" = "$n" ] || fail "the broker acknowledged $acked of $n"
[ $kills -ge 5 ] || fail "only $kills kills before the publisher ended"
count() { sqlite3 "$db" "select count(*) from samples where machine_id = 'JRNL_1'" 2> /dev/null || echo 0; }
for _ in $(seq 300); do
    [ "$(count)" -ge "$n" ] && break
    sleep 0.2
done
kill -TERM "$rec"
wait "$rec" || fail "exit status after SIGTERM"
rec=""
got=$(sqlite3 "$db" "select count(*), count(distinct ts_ms), min(value), max(value),
    count(distinct run), min(ts_ms) - $base from samples where machine_id = 'JRNL_1'")
[ "$got" = "$n|$n|0.0|$((n - 1)).0|1|0" ] \
    || fail "after $kills kills: count|distinct|min|max|runs|first offset = $got, want $n|$n|0.0|$((n - 1)).0|1|0"
[ "$(sqlite3 "$db" 'select count(*) from runs')" = 1 ] || fail "restarts made new runs"
grep -q 'recorded again' "$tmp/rec.err" || fail "no restart replayed its journal"
[ ! -e "$db.mqtt-journal" ] || fail "a clean end left the journal"
[ "$(stat -c %a "$db")" = 600 ] || fail "database mode $(stat -c %a "$db")"
echo "test_journal.sh: ok ($kills kills, $n messages, each once)"
