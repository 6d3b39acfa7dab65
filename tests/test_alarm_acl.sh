#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The broker ACL of twintop(1) (MQTT): with it, a console user shares the alarm list and reads
# telemetry, while a gateway user publishing on the alarm topics reaches no one; twintop
# records through it as the console user.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_alarm_acl.sh: $*" >&2; exit 1; }
mosquitto_passwd -b -c "$tmp/passwd" console-alice alice-pw > /dev/null
mosquitto_passwd -b "$tmp/passwd" gateway-line1 gw-pw > /dev/null
# the ACL as twintop(1) prints it
sed -n '/^user console\\-alice$/,/^topic write dt\/+\/+\/telemetry$/p' tui/twintop.1 \
    | sed 's/\\-/-/g' > "$tmp/acl"
[ "$(wc -l < "$tmp/acl")" = 5 ] || fail "the ACL is not in twintop.1: $(cat "$tmp/acl")"
chmod 644 "$tmp/passwd" "$tmp/acl"
BROKER_PROBE_AUTH="-u console-alice -P alice-pw" broker_start "allow_anonymous false" "password_file $tmp/passwd" "acl_file $tmp/acl"
p=$BROKER_PORT
sub() { # user password topic count -> received lines
    timeout 5 mosquitto_sub -h 127.0.0.1 -p $p -u "$1" -P "$2" -t "$3" -C "$4" -W 4 2> /dev/null || true
}
# a stranger on the alarm topics: nobody gets it
sub console-alice alice-pw 'dt/alarms/#' 1 > "$tmp/stranger" &
s=$!
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p $p -u gateway-line1 -P gw-pw -q 1 -t dt/alarms/PUMP_001/x \
    -m '{"last_action":{"action":"ack"}}' 2> /dev/null || true
wait $s
[ ! -s "$tmp/stranger" ] || fail "a gateway's alarm action got through: $(cat "$tmp/stranger")"
# a console's alarm message and a gateway's telemetry do
sub console-alice alice-pw 'dt/alarms/#' 1 > "$tmp/console" &
s=$!
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p $p -u console-alice -P alice-pw -q 1 -t dt/alarms/PUMP_001/x -m ok
wait $s
[ "$(cat "$tmp/console")" = ok ] || fail "a console's alarm message did not get through"
TWINTOP_MQTT_USER=console-alice TWINTOP_MQTT_PASSWORD=alice-pw "$BIN" --headless \
    --db "$tmp/h.db" --mqtt "$BROKER_URL" --duration 20 --status-interval 100 \
    > "$tmp/rec.jsonl" 2> "$tmp/rec.err" &
tw=$!
status_wait_for "$tmp/rec.jsonl" 'd["mqtt"]["state"] == "connected" and d["alarm_sync"]["state"] == "connected"' 30 \
    || fail "twintop did not connect as console-alice: $(tail -n1 "$tmp/rec.jsonl") $(cat "$tmp/rec.err")"
mosquitto_pub -h 127.0.0.1 -p $p -u gateway-line1 -P gw-pw -q 1 -t dt/pump/GW_9/telemetry \
    -m '{"machine_id":"GW_9","data":{"flow":1.5}}'
status_wait_for "$tmp/rec.jsonl" 'd["mqtt"]["decoded"] >= 1' 30 \
    || fail "the gateway's telemetry did not arrive: $(tail -n1 "$tmp/rec.jsonl")"
kill -TERM $tw
wait $tw || fail "twintop exit status"
echo "test_alarm_acl.sh: ok"
