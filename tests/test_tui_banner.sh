#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The banner names the alarm (issue 13 item 1): COMP_001's oil pressure goes below its alarm
# limit over a real mosquitto; the header, at 120x40 and on the "too small" screen, must name
# machine, sensor, condition, value with unit and age, and count active/unacked by priority.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
fail() {
    echo "FAIL test_tui_banner: $*"
    tui_dump
    exit 1
}
command -v mosquitto_pub >/dev/null || { echo "SKIP test_tui_banner: no mosquitto_pub"; exit 77; }
broker_start
url=$BROKER_URL
tui_start main 120 40 "env TERM=xterm-256color LANG=C.UTF-8 $BIN --mqtt $url --no-db --no-bell; sleep 60"
tui_wait_for 'broker connected' 20 || fail "the console did not connect"
port=${url##*:}
for i in $(seq 1 40); do
    ts=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t dt/plant/COMP_001/telemetry -m \
        "{\"timestamp\":\"$ts\",\"machine_id\":\"COMP_001\",\"data\":{\"discharge_pressure_bar\":7.5,\"discharge_temp_c\":80,\"oil_temp_c\":60,\"oil_pressure_bar\":1.0,\"motor_current_a\":100,\"cycle_time_s\":210,\"vibration_mm_s\":2.0}}" \
        || fail "mosquitto_pub failed"
    tui_screen | grep -q 'COMP_001 oil_pressure_bar lo' && break
    sleep 0.5
done
banner='COMP_001 oil_pressure_bar lo 1(\.0+)? bar [0-9]+[smh]'
tui_wait_for "$banner" 10 || fail "the banner does not name COMP_001's oil pressure alarm"
tui_screen | sed -n 2p | grep -Eq 'active [0-9]+/[0-9]+/[0-9]+/[0-9]+ +unacked [0-9]+/[0-9]+/[0-9]+/[0-9]+ *' \
    || fail "the banner lacks the active/unacked counts by priority"
tui_keys 3
tui_wait_for 'Alarms: ' 5 || fail "the alarm view did not open"
tui_screen | sed -n 2p | grep -Eq "$banner" || fail "the banner is not on the alarm view"
# prompts name the alarm they act on (item 3)
tui_keys n
tui_wait_for 'Note for COMP_001 oil_pressure_bar lo:' 5 || fail "the note prompt does not name its target"
tui_keys "oil low, checked" Enter
tui_wait_for 'note' 5 || fail "no outcome of the note"
# A confirms with one key, no Enter, and says what it acts on
tui_keys A
tui_wait_for 'acknowledge 1 alarm, 0 critical\? y/n' 5 || fail "A does not say what it acknowledges"
tui_keys y
tui_wait_for 'ACKED' 5 || fail "y alone did not acknowledge"
# shelve durations need a unit and stay within the shift
tui_keys s
tui_wait_for 'Shelve COMP_001 oil_pressure_bar lo for' 5 || fail "the shelve prompt does not name its target"
tui_keys 30 Enter
tui_wait_for "'30' has no unit" 5 || fail "a bare number was not refused"
tui_keys s
tui_wait_for 'Shelve COMP_001' 5 || fail "no second shelve prompt"
tui_keys 9h Enter
tui_wait_for 'longer than the shift' 5 || fail "a shelve past 8 h was not refused"
tui_tmux resize-window -t main -x 50 -y 10
tui_wait_for 'terminal too small' 5 || fail "no too-small screen"
tui_screen | sed -n 1p | grep -Eq 'active 0/1/0/0 +unacked 0/0/0/0' || fail "the too-small screen lacks the banner"
echo "ok test_tui_banner: the banner names the alarm on every view and when too small"
