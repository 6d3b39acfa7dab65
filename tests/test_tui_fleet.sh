#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fleet list (key 2) in a real terminal under tmux: the demo plant's rows with area/line,
# sorting with < > and I, / search and n, \ filter, grouping by area, Enter -> detail and Esc
# back, 80x24 dropping columns; then a 24-machine feed on a real mosquitto with one machine in
# alarm: the overview shows it first, `2` Enter opens its detail (two keystrokes), the filter
# `alarm` and the abnormal-only key keep only it.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
tui_require test_tui_fleet
lib_init
tmp=$LIB_TMP
feeder=""
on_exit() { if [ -n "$feeder" ]; then kill "$feeder" 2>/dev/null || true; fi; }
fail() {
    echo "FAIL test_tui_fleet: $*"
    tui_dump
    exit 1
}
screen() { tui_screen; }
# The machine ids of the list's rows, top to bottom (rows start with a blank or the marker).
row_ids() { screen | sed -n '5,$p' | grep -oE '^(▶| )[A-Z][A-Z0-9_-]+' | sed 's/^▶//; s/^ //'; }
selected_row() { screen | grep -E '^▶' | head -1; }
keys() { tui_keys "$@"; sleep 0.3; }

# 1. the demo plant at 120x40
tui_start main 120 40 "env TERM=xterm-256color LANG=C.UTF-8 $BIN --no-db --seed 1 --no-bell; sleep 60"
tui_wait_for 'ok 16' 20 || fail "the demo did not start"
keys 2
tui_wait_for 'Fleet: 16 of 16 machines' 5 || fail "key 2 did not open the fleet list"
screen | grep -q 'Machine .*Type .*Area/Line .*State.*Worst sensor.*Value.*Unit.*Anom.*Health.*RUL.*Seen' ||
    fail "the header misses a column at 120x40"
screen | grep -q 'BOIL_001 .*Steam boiler .*Utilities / Steam .*OK' || fail "BOIL_001's row"
screen | grep -q 'CNC-001 .*Machining cell / Cell 1' || fail "CNC-001's area/line"
[ "$(row_ids | wc -l)" = 16 ] || fail "16 rows expected, got $(row_ids | wc -l)"
selected_row | grep -q PUMP_001 || fail "the first row is not selected on entry"

# 2. sort: < three times walks State -> Area/Line -> Type -> Machine; I inverts
keys '<' '<' '<'
tui_wait_for 'sort Machine' 5 || fail "< did not move the sort to Machine"
[ "$(row_ids | tr '\n' ' ')" = "$(row_ids | sort | tr '\n' ' ')" ] || fail "rows not sorted by id: $(row_ids | tr '\n' ' ')"
[ "$(row_ids | head -1)" = BOIL_001 ] || fail "first row by id is not BOIL_001"
keys I
tui_wait_for 'sort Machine \(inverted\)' 5 || fail "I did not invert"
[ "$(row_ids | head -1)" = TURB_001 ] || fail "inverted first row is not TURB_001: $(row_ids | head -1)"
keys '>'
tui_wait_for 'sort Type' 5 || fail "> did not move the sort to Type"

# 3. search: / jumps to the next match, n to the one after
keys / KILN Enter
selected_row | grep -q KILN_001 || fail "/ KILN did not select KILN_001"
keys / 'pump' Enter
first=$(selected_row | grep -oE '[A-Z]+_001')
keys n
second=$(selected_row | grep -oE '[A-Z]+_001')
case "$first $second" in
"PUMP_001 CPUMP_001" | "CPUMP_001 PUMP_001") ;;
*) fail "/ pump then n selected '$first' then '$second'" ;;
esac
keys / nosuchthing Enter
tui_wait_for 'no machine in the list matches "nosuchthing"' 5 || fail "a failed search says nothing"

# 4. filter: globs on id/type/area, state words
keys '\' 'util*' Enter
tui_wait_for 'Fleet: 8 of 16 machines .*filter: util\*' 5 || fail "filter util* did not keep the 8 utilities"
row_ids | grep -q CNC-001 && fail "CNC-001 passed the util* filter"
keys '\' 'alarm' Enter
tui_wait_for 'Fleet: 0 of 16 machines' 5 || fail "filter alarm kept a machine of a healthy plant"
tui_wait_for 'No machine matches' 5 || fail "an empty list says nothing"
keys '\' Enter
tui_wait_for 'Fleet: 16 of 16 machines' 5 || fail "an empty filter did not show all again"

# 5. grouped by area, each under a heading
keys g
tui_wait_for 'Machining cell  2 machines, all normal' 5 || fail "g: no Machining cell heading"
screen | grep -q 'Utilities  8 machines' || fail "g: no Utilities heading"
screen | grep -q 'Production line  6 machines' || fail "g: no Production line heading"
keys g

# 6. Enter opens the selected machine's detail, Esc comes back to the list
keys / GEAR Enter
keys Enter
tui_wait_for '^ GEAR_001 .*machine 5 of 16' 5 || fail "Enter did not open GEAR_001's detail"
keys Escape
tui_wait_for 'Fleet: 16 of 16' 5 || fail "Esc did not return to the fleet list"
selected_row | grep -q GEAR_001 || fail "the selection moved on the way back"

# 7. 80x24: Type and Seen give way, the rest fits
tui_tmux resize-window -t "$TUI_SESSION" -x 80 -y 24
sleep 1
screen | grep -q 'Machine .*Area/Line .*State.*Worst sensor.*Value.*Unit.*Anom.*Health.*RUL' ||
    fail "80x24: a needed column is missing"
screen | grep -q ' Type ' && fail "80x24: Type should give way"
[ "$(screen | LC_ALL=C.UTF-8 wc -L)" -le 80 ] || fail "80x24: a line is wider than 80"
[ "$(row_ids | wc -l)" -ge 15 ] || fail "80x24: fewer than 15 rows shown"
keys q
tui_stop

# 8. a 24-machine feed, one machine in alarm
command -v mosquitto_pub >/dev/null || { echo "SKIP test_tui_fleet: no mosquitto_pub (1-7 passed)"; exit 77; }
/usr/bin/python3 - "$tmp/site.json" <<'PY'
import json, sys
pump = {"name": "test-pump", "label": "Test pump", "pattern": "continuous", "sample_period_s": 1.0,
        "tile": ["temp_c", "flow_m3h"],
        "sensors": [{"name": "temp_c", "unit": "C", "nominal": 50, "display": [0, 150],
                     "normal": [40, 60], "warn": [None, 80], "alarm": [None, 100]},
                    {"name": "flow_m3h", "unit": "m3/h", "nominal": 110, "display": [0, 200],
                     "normal": [90, 130]}],
        "faults": [{"name": "overheat", "description": "temperature climbs"}]}
areas = [("NP", "North hall"), ("SP", "South hall"), ("YD", "Yard")]
machines = [{"id": "%s_%02d" % (p, i), "type": "test-pump", "area": a, "line": "Line %d" % (i % 2 + 1)}
            for p, a in areas for i in range(1, 9)]
json.dump({"version": 1, "types": [pump], "machines": machines}, open(sys.argv[1], "w"))
PY
broker_start || fail "no broker"
tui_start feed 120 40 "env TERM=xterm-256color LANG=C.UTF-8 $BIN --mqtt $BROKER_URL --catalog $tmp/site.json --no-db --no-bell; sleep 60"
tui_wait_for 'broker connected' 20 || fail "the console did not connect"
(
    while :; do
        for p in NP SP YD; do
            for i in 01 02 03 04 05 06 07 08; do
                t=50
                [ "$p$i" = SP05 ] && t=120
                echo "{\"machine_id\":\"${p}_$i\",\"data\":{\"temp_c\":$t,\"flow_m3h\":110}}"
            done
        done
        sleep 1
    done
) | mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t dt/test-pump/site/telemetry -l &
feeder=$!
tui_wait_for 'ok 23  warn 0  alarm 1' 20 || fail "the feed did not bring 23 ok and 1 alarm"
# the overview: the machine in alarm has the first tile
first_tile=$(screen | sed -n '3,$p' | grep -oE '[A-Z]{2}_0[1-8]' | head -1)
[ "$first_tile" = SP_05 ] || fail "the overview's first tile is $first_tile, not SP_05 in alarm"
# two keystrokes: 2, Enter
keys 2
keys Enter
tui_wait_for '^ SP_05 .*ALARM.*machine 13 of 24' 5 || fail "2 Enter did not open SP_05's detail"
keys Escape
tui_wait_for 'Fleet: 24 of 24 machines' 5 || fail "back to the list"
keys '\' alarm Enter
tui_wait_for 'Fleet: 1 of 24 machines' 5 || fail "filter alarm did not keep one machine"
[ "$(row_ids | tr '\n' ' ')" = "SP_05 " ] || fail "filter alarm kept: $(row_ids | tr '\n' ' ')"
screen | grep -q 'SP_05 .*South hall / Line 2 .*ALARM .*temp .*120 C' || fail "SP_05's row does not name its worst sensor"
keys '\' Enter a
tui_wait_for 'Fleet: 1 of 24 machines .*abnormal only' 5 || fail "abnormal-only did not keep one machine"
keys a g
tui_wait_for 'South hall  8 machines, 1 need attention' 5 || fail "the South hall heading does not count SP_05"
screen | grep -q 'North hall  8 machines, all normal' || fail "the North hall heading"
echo "ok test_tui_fleet: sort, search, filter, abnormal-only, grouping, Enter->detail, 80x24, alarm in two keystrokes"
