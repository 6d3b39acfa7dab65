#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Headless mode end to end: the real binary, its JSON lines, flags, signals and a bad catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_headless: $*" >&2; exit 1; }

# One simulated hour of the healthy plant as fast as it goes.
"$BIN" --headless --no-db --scenario healthy --speed max --duration 1h --seed 7 \
    --status-interval 200 > "$tmp/run1.jsonl"
python3 - "$tmp/run1.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
final = lines[-1]
assert final.get("final") is True, final
assert final["machines"] == 16, final
# 15 machines at 1 Hz and the CNC at 10 Hz over an hour: well over 300k samples.
assert final["samples"] > 300000, final["samples"]
assert final["queue_drops"] == 0, final
assert final["alarms_raised"] <= 16, final
assert len(final["alarms_by_machine"]) == 16
for l in lines:
    for k in ("wall_s", "sim_time", "samples_per_s", "states"):
        assert k in l, (k, l)
PY

# Same seed, same plant: the totals match run for run.
"$BIN" --headless --no-db --scenario healthy --speed max --duration 1h --seed 7 \
    --status-interval 200 > "$tmp/run2.jsonl"
a=$(tail -n1 "$tmp/run1.jsonl" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["samples"], d["alarms_by_machine"])')
b=$(tail -n1 "$tmp/run2.jsonl" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["samples"], d["alarms_by_machine"])')
[ "$a" = "$b" ] || fail "same seed, different totals: $a / $b"

# A bad flag and a bad value: exit 2 with a message that names them.
set +e
"$BIN" --headless --no-such-flag 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown option --no-such-flag" "$tmp/err" || fail "bad flag: rc=$rc $(cat "$tmp/err")"
"$BIN" --headless --duration 5parsecs 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--duration: '5parsecs' is not a duration" "$tmp/err" || fail "bad duration: $(cat "$tmp/err")"
# A malformed catalog stops the program with the file, machine/type and sensor named.
sed 's/"normal": *\[[^]]*\]/"normal": "wide"/' data/machines.json > "$tmp/bad.json"
"$BIN" --headless --no-db --catalog "$tmp/bad.json" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "bad.json: type .* sensor .*: \"normal\" must be" "$tmp/err" || fail "bad catalog: rc=$rc $(cat "$tmp/err")"
# A config file: good lines apply, a bad one is named by file and line.
printf '# recorder\nscenario = healthy\nspeed = max\nduration = 10m\nno-db = true\n' > "$tmp/ok.conf"
"$BIN" --headless --config "$tmp/ok.conf" > "$tmp/conf.jsonl" || fail "good config file refused"
tail -n1 "$tmp/conf.jsonl" | grep -q '"final":true' || fail "good config file: no final line"
printf 'scenario = healthy\nspeeed = 2\n' > "$tmp/bad.conf"
"$BIN" --headless --config "$tmp/bad.conf" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "bad.conf:2: unknown option 'speeed'" "$tmp/err" || fail "bad config: rc=$rc $(cat "$tmp/err")"
printf 'duration = soon\n' > "$tmp/bad2.conf"
"$BIN" --headless --config "$tmp/bad2.conf" 2> "$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "bad2.conf:1: --duration: 'soon' is not a duration" "$tmp/err" || fail "bad config value: $(cat "$tmp/err")"
set -e

# SIGTERM at normal speed: a clean exit within a second, with the final line.
"$BIN" --headless --no-db --scenario demo > "$tmp/term.jsonl" &
pid=$!
sleep 1.5
kill -TERM $pid
for _ in $(seq 20); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "still running 2 s after SIGTERM"; }
wait $pid || fail "non-zero exit after SIGTERM"
tail -n1 "$tmp/term.jsonl" | grep -q '"final":true' || fail "no final line after SIGTERM"
echo "test_headless: ok"
