#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A tile in alarm names the alarmed sensor even when it is not one of the tile's gauges (issue
# 13): a real mosquitto carries COMP_001 telemetry whose oil pressure (not a tile gauge of the
# rotary compressor) is below its alarm limit; the tile must show an oil pressure gauge.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() {
    echo "FAIL test_tui_tile_alarm: $*"
    tui_dump
    exit 1
}
command -v mosquitto_pub >/dev/null || { echo "SKIP test_tui_tile_alarm: no mosquitto_pub"; exit 77; }
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
    tui_screen | grep -q 'COMP_001.*ALARM' && break
    sleep 0.5
done
tui_wait_for 'COMP_001.*ALARM' 10 || fail "COMP_001 never went to ALARM"
# the tile: the rows under COMP_001's title, in its columns
tile=$(tui_screen | python3 -c '
import sys
rows = sys.stdin.read().split("\n")
for y, r in enumerate(rows):
    x = r.find("COMP_001 Rotary")  # the tile title, not the alarm banner above the tiles
    if x >= 0:
        print("\n".join(rr[max(0, x - 2):x + 36] for rr in rows[y + 1:y + 5]))
        break
')
echo "$tile" | grep -qi 'oil' || fail "COMP_001's tile does not show the alarmed oil pressure: $tile"
echo "ok test_tui_tile_alarm: the alarmed sensor shows on its tile"
