#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replay with the real binary: every recorded sample goes through the engine again, the header
# says REPLAY, the replay clock moves at --speed, SIGTERM ends it cleanly, the file is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC # the console shows the local zone; this test reads the header's UTC clock
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d /tmp/twintop-replay-sh-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_replay: $*" >&2; exit 1; }
last() { tail -n1 "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, d))' "$2"; }

"$BIN" --headless --scenario demo --speed max --duration 10m --seed 5 --db "$tmp/h.db" \
    --status-interval 1000 > "$tmp/live.jsonl"
n=$(sqlite3 "$tmp/h.db" "select count(*) from samples")
sha=$(sha256sum "$tmp/h.db" | cut -d' ' -f1)

# As fast as it goes: the engine sees exactly the recorded samples, in REPLAY mode.
"$BIN" replay --db "$tmp/h.db" --headless --speed max --status-interval 200 > "$tmp/max.jsonl"
[ "$(last "$tmp/max.jsonl" 'mode')" = REPLAY ] || fail "mode: $(tail -n1 "$tmp/max.jsonl")"
[ "$(last "$tmp/max.jsonl" 'samples')" = "$n" ] || fail "engine saw $(last "$tmp/max.jsonl" samples) of $n"
[ "$(last "$tmp/max.jsonl" 'replay["rows"]')" = "$n" ] || fail "replayed rows"
[ "$(last "$tmp/max.jsonl" 'replay["done"]')" = True ] || fail "not done"
[ "$(last "$tmp/max.jsonl" 'machines')" = 16 ] || fail "machines: $(last "$tmp/max.jsonl" machines)"
# Detection and alarms are re-evaluated from the replayed samples: the same alarms as live.
[ "$(last "$tmp/max.jsonl" 'alarms_by_machine')" = "$(last "$tmp/live.jsonl" 'alarms_by_machine')" ] \
    || fail "alarms differ: live $(last "$tmp/live.jsonl" 'alarms_by_machine'), replay $(last "$tmp/max.jsonl" 'alarms_by_machine')"
[ "$(last "$tmp/max.jsonl" 'alarms_raised')" -gt 0 ] || fail "the demo raised no alarm to compare"
newest=$(sqlite3 "$tmp/h.db" "select strftime('%Y-%m-%dT%H:%M:%fZ', max(ts_ms) / 1000.0, 'unixepoch') from samples")
[ "$(last "$tmp/max.jsonl" 'sim_time')" = "$newest" ] || fail "plant clock $(last "$tmp/max.jsonl" sim_time), newest sample $newest"

# At 60x the replay clock advances about a minute per second; SIGTERM ends it with a final line.
"$BIN" replay --db "$tmp/h.db" --headless --speed 60 --since -5m --status-interval 200 > "$tmp/slow.jsonl" &
pid=$!
sleep 2
kill -TERM $pid
wait $pid || fail "exit status after SIGTERM"
python3 - "$tmp/slow.jsonl" <<'PY'
import json, sys, datetime
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[-1].get("final") is True, lines[-1]
assert not lines[-1]["replay"]["done"], "5 min at 60x cannot be done in 2 s"
clocks = [datetime.datetime.strptime(l["replay"]["clock"], "%Y-%m-%dT%H:%M:%S.%fZ") for l in lines]
assert clocks == sorted(clocks) and clocks[-1] > clocks[0], clocks
assert all(l["mode"] == "REPLAY" for l in lines)
PY

# The console: the header says REPLAY, p pauses (the plant clock stops), q quits.
if [ -e tui/screen.c ]; then
    sock="twintop-replay-sh-$$-$RANDOM"
    trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
    tmux -L "$sock" -f /dev/null new-session -d -s main -x 120 -y 30 \
        "env TERM=xterm-256color LANG=C.UTF-8 $BIN replay --db $tmp/h.db --speed 10; \
         echo \"EXIT \$?\" > $tmp/exit; sleep 60"
    header() { tmux -L "$sock" capture-pane -p -t main | head -n1; }
    for _ in $(seq 100); do header | grep -q 'REPLAY │ 20' && break; sleep 0.2; done
    header | grep -q 'REPLAY │ 20' || fail "console header: $(header)"
    tmux -L "$sock" send-keys -t main p
    for _ in $(seq 50); do header | grep -q 'REPLAY PAUSED' && break; sleep 0.1; done
    header | grep -q 'REPLAY PAUSED' || fail "p did not pause: $(header)"
    sleep 0.5
    a=$(header | grep -o '[0-9:]* UTC'); sleep 1.5; b=$(header | grep -o '[0-9:]* UTC')
    [ "$a" = "$b" ] || fail "the plant clock moved while paused: $a -> $b"
    tmux -L "$sock" send-keys -t main p
    sleep 1.5
    c=$(header | grep -o '[0-9:]* UTC')
    [ "$c" != "$b" ] || fail "the plant clock did not move after resuming"
    tmux -L "$sock" send-keys -t main q
    for _ in $(seq 50); do [ -f "$tmp/exit" ] && break; sleep 0.1; done
    grep -q "EXIT 0" "$tmp/exit" 2>/dev/null || fail "console exit after q"
fi

set +e
"$BIN" replay --db "$tmp/none.db" --headless 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "none.db: No such file" "$tmp/err" || fail "missing file: rc=$rc $(cat "$tmp/err")"
"$BIN" replay --db "$tmp/h.db" --headless --until soon 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--until: 'soon' is not a time" "$tmp/err" || fail "bad time: $(cat "$tmp/err")"
set -e
[ "$(sha256sum "$tmp/h.db" | cut -d' ' -f1)" = "$sha" ] || fail "replay modified the source"
echo "test_replay: ok ($n samples)"
