#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 4's "done when", driven through tmux: the demo with a fault raises an alarm, `3` opens
# the alarm list, `a` acknowledges it, the list shows `alice`, Enter opens the machine's detail on
# the alarmed sensor; after `q` the database holds the acknowledgement in alarm_actions.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
if [ ! -e tui/screen.c ]; then
    echo "SKIP test_alarm_tui: the console (tui/screen.c) is not in this tree yet"
    exit 0
fi
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() {
    echo "FAIL test_alarm_tui: $*"
    tui_dump
    exit 1
}
wait_for() { tui_wait_for "$@"; }

db="$tmp/x.db"
tui_start main 120 36 \
    "env TERM=xterm-256color LANG=C.UTF-8 $BIN --scenario demo --speed 60 --operator alice \
     --db $db --no-bell; echo \"EXIT \$?\" > $tmp/exit; sleep 60"
wait_for 'active [0-9]+/|No active alarms' 30 || fail "no alarm banner"
tui_keys 3
wait_for 'Alarms: ' 10 || fail "the alarm list did not open with 3"
# The demo's pump bearing fault grows to failure, so its alarms stay active once at the alarm
# limit (high): filter on it so that the acknowledged alarm stays on the list.
tui_keys / && sleep 0.5
tui_keys "PUMP_001 active" Enter
wait_for 'filter: PUMP_001 active' 10 || fail "filter not applied"
wait_for 'PUMP_001 .* high +UNACK ' 240 || fail "no high unacknowledged PUMP_001 alarm within 240 s"
tui_keys a
wait_for 'acknowledged ' 10 || fail "no acknowledgement message in the status line"
wait_for 'ACKED .*alice' 10 || fail "the list does not show the acknowledged state and alice"
# Enter on the alarm: the machine's detail view, charting the alarmed sensor
cond=$(tui_screen | grep -Eo 'PUMP_001 +[a-z_0-9.]+:(hi|lo)' | head -1 | awk '{print $2}')
[ -n "$cond" ] || fail "no PUMP_001 limit alarm row to open"
sensor=${cond%%:*}
tui_keys Enter
wait_for "^─ $sensor \\(" 10 || fail "Enter did not open the detail view on $sensor ($cond)"
wait_for '^ PUMP_001 ' 5 || fail "the detail view is not PUMP_001's"
tui_keys Escape
tui_keys q
for _ in $(seq 1 100); do
    [ -s "$tmp/exit" ] && break
    sleep 0.2
done
[ -s "$tmp/exit" ] || fail "twintop did not quit on q"
grep -q 'EXIT 0' "$tmp/exit" || fail "twintop exited with $(cat "$tmp/exit")"
acks=$(sqlite3 "$db" "select action, operator from alarm_actions where action = 'ack'")
echo "$acks" | grep -q '^ack|alice$' || fail "alarm_actions has no ack by alice: '$acks'"
state=$(sqlite3 "$db" "select count(*) from alarms where acked_by = 'alice'")
[ "$state" -ge 1 ] || fail "no alarm row acknowledged by alice"
echo "ok test_alarm_tui: $(echo "$acks" | wc -l) ack(s) by alice recorded"
