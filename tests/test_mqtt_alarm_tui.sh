#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two consoles share an acknowledgement, driven through tmux against a real mosquitto: alice's
# console runs the demo and publishes it, bob's is attached with --mqtt; alice acknowledges the
# pump alarm and bob's alarm list shows it acknowledged by alice. Bob's header shows the broker
# connected, then reconnecting once the broker is gone.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() {
    echo "FAIL test_mqtt_alarm_tui: $*"
    tui_dump alice bob
    exit 1
}
# Waits up to $3 seconds for pane $1 to show the extended regex $2.
wait_for() { tui_wait_for "$2" "$3" "$1"; }
broker_start
url=$BROKER_URL
run="env TERM=xterm-256color LANG=C.UTF-8 $BIN --no-db --no-bell"
tui_start bob 120 36 "$run --mqtt $url --operator bob; sleep 60"
sleep 1
tui_start alice 120 36 "$run --publish $url --scenario demo --speed 60 --operator alice; sleep 60"
for w in alice bob; do
    wait_for $w 'active [0-9]+/|No active alarms' 60 || fail "no alarm banner on $w's console"
    tui_keys -t $w 3
    wait_for $w 'Alarms: ' 10 || fail "the alarm list did not open on $w's console"
    tui_keys -t $w / && sleep 0.5
    tui_keys -t $w "PUMP_001 active" Enter
    wait_for $w 'filter: PUMP_001 active' 10 || fail "filter not applied on $w's console"
done
wait_for alice 'PUMP_001 .* high +UNACK ' 240 || fail "no high unacknowledged PUMP_001 alarm"
wait_for bob 'PUMP_001 .* high +UNACK ' 60 || fail "bob's console did not raise the alarm"
tui_keys -t alice a
wait_for alice 'ACKED .*alice' 10 || fail "alice's list does not show her acknowledgement"
wait_for bob 'ACKED .*alice' 10 || fail "bob's list does not show alice's acknowledgement"
# The header of the attached console tells the broker's state, then that it is gone.
wait_for bob 'broker connected rx [0-9]+ rej 0' 10 || fail "no broker status in bob's header"
broker_stop
wait_for bob 'broker reconnecting \(attempt [0-9]+\)' 20 || fail "bob's header does not show the reconnection"
echo "ok test_mqtt_alarm_tui: alice's acknowledgement reached bob's console"
