#!/usr/bin/env bash
# Replay with the real binary: every recorded sample goes through the engine again, the header
# says REPLAY, the replay clock moves at --speed, SIGTERM ends it cleanly, the file is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d /tmp/twintop-replay-sh-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_replay: $*" >&2; exit 1; }
last() { tail -n1 "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, d))' "$2"; }

"$BIN" --headless --scenario demo --speed max --duration 10m --seed 5 --db "$tmp/h.db" \
    --status-interval 1000 > /dev/null
n=$(sqlite3 "$tmp/h.db" "select count(*) from samples")
sha=$(sha256sum "$tmp/h.db" | cut -d' ' -f1)

# As fast as it goes: the engine sees exactly the recorded samples, in REPLAY mode.
"$BIN" replay --db "$tmp/h.db" --headless --speed max --status-interval 200 > "$tmp/max.jsonl"
[ "$(last "$tmp/max.jsonl" 'mode')" = REPLAY ] || fail "mode: $(tail -n1 "$tmp/max.jsonl")"
[ "$(last "$tmp/max.jsonl" 'samples')" = "$n" ] || fail "engine saw $(last "$tmp/max.jsonl" samples) of $n"
[ "$(last "$tmp/max.jsonl" 'replay["rows"]')" = "$n" ] || fail "replayed rows"
[ "$(last "$tmp/max.jsonl" 'replay["done"]')" = True ] || fail "not done"
[ "$(last "$tmp/max.jsonl" 'machines')" = 16 ] || fail "machines: $(last "$tmp/max.jsonl" machines)"
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

set +e
"$BIN" replay --db "$tmp/none.db" --headless 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "none.db: No such file" "$tmp/err" || fail "missing file: rc=$rc $(cat "$tmp/err")"
"$BIN" replay --db "$tmp/h.db" --headless --until soon 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--until: 'soon' is not a time" "$tmp/err" || fail "bad time: $(cat "$tmp/err")"
set -e
[ "$(sha256sum "$tmp/h.db" | cut -d' ' -f1)" = "$sha" ] || fail "replay modified the source"
echo "test_replay: ok ($n samples)"
