#!/usr/bin/env bash
# Two consoles share an acknowledgement, driven through tmux against a real mosquitto: alice's
# console runs the demo and publishes it, bob's is attached with --mqtt; alice acknowledges the
# pump alarm and bob's alarm list shows it acknowledged by alice. Bob's header shows the broker
# connected, then reconnecting once the broker is gone.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d /tmp/twintop-mqtt-tui-XXXXXX)
sock="twintop-mqtt-tui-$$-$RANDOM"
broker=""
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null
    [ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL test_mqtt_alarm_tui: $*"
    for w in alice bob; do
        echo "--- $w:"
        tmux -L "$sock" capture-pane -p -t "$w" 2>/dev/null
    done
    exit 1
}
# Waits up to $3 seconds for pane $1 to show the extended regex $2.
wait_for() {
    local deadline=$((SECONDS + $3))
    while [ $SECONDS -lt $deadline ]; do
        tmux -L "$sock" capture-pane -p -t "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
        sleep 0.2
    done
    return 1
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
    [ "$(id -u)" = 0 ] && echo "user root"
    echo "listener $port 127.0.0.1"
    echo "allow_anonymous true"
    echo "log_dest none"
} > "$tmp/mosquitto.conf"
mosquitto -c "$tmp/mosquitto.conf" 2>/dev/null & broker=$!
for _ in $(seq 100); do
    mosquitto_pub -p "$port" -t probe -m x 2>/dev/null && break
    sleep 0.1
done
url="mqtt://127.0.0.1:$port"
run="env TERM=xterm-256color LANG=C.UTF-8 $BIN --no-db --no-bell"
tmux -L "$sock" -f /dev/null new-session -d -s bob -x 120 -y 36 \
    "$run --mqtt $url --operator bob; sleep 60"
sleep 1
tmux -L "$sock" new-session -d -s alice -x 120 -y 36 \
    "$run --publish $url --scenario demo --speed 60 --operator alice; sleep 60"
for w in alice bob; do
    wait_for $w 'Unacked' 60 || fail "no alarm banner on $w's console"
    tmux -L "$sock" send-keys -t $w 3
    wait_for $w 'Alarms: ' 10 || fail "the alarm list did not open on $w's console"
    tmux -L "$sock" send-keys -t $w / && sleep 0.5
    tmux -L "$sock" send-keys -t $w "PUMP_001 active" Enter
    wait_for $w 'filter: PUMP_001 active' 10 || fail "filter not applied on $w's console"
done
wait_for alice 'PUMP_001 .* high +UNACK ' 240 || fail "no high unacknowledged PUMP_001 alarm"
wait_for bob 'PUMP_001 .* high +UNACK ' 60 || fail "bob's console did not raise the alarm"
tmux -L "$sock" send-keys -t alice a
wait_for alice 'ACKED .*alice' 10 || fail "alice's list does not show her acknowledgement"
wait_for bob 'ACKED .*alice' 10 || fail "bob's list does not show alice's acknowledgement"
# The header of the attached console tells the broker's state, then that it is gone.
wait_for bob 'broker connected rx [0-9]+ rej 0' 10 || fail "no broker status in bob's header"
kill "$broker"; wait "$broker" 2>/dev/null; broker=""
wait_for bob 'broker reconnecting \(attempt [0-9]+\)' 20 || fail "bob's header does not show the reconnection"
echo "ok test_mqtt_alarm_tui: alice's acknowledgement reached bob's console"
