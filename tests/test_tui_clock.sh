#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One clock on screen (issue 13): with TZ=Asia/Tokyo the header names JST and the alarm list's
# times are the header's clock, not UTC; with --utc both are UTC.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() {
    echo "FAIL test_tui_clock: $*"
    tui_dump
    exit 1
}
header_clock() { tui_screen | head -1 | grep -Eo '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}'; }

for mode in tokyo utc; do
    if [ $mode = tokyo ]; then zone=JST args=""; else zone=UTC args="--utc"; fi
    tui_start "$mode" 120 36 \
        "env TZ=Asia/Tokyo TERM=xterm-256color LANG=C.UTF-8 $BIN --scenario demo --speed 60 \
         --no-db --no-bell $args; sleep 60"
    tui_wait_for "[0-9]{2}:[0-9]{2}:[0-9]{2} $zone" 20 || fail "$mode: the header does not name $zone"
    tui_keys 3
    tui_wait_for '^ *[0-9]{2}:[0-9]{2}:[0-9]{2} +[A-Z]+_?[0-9]+' 120 || fail "$mode: no alarm row"
    head=$(header_clock | awk '{print $2}')
    row=$(tui_screen | grep -Eo '^ *[0-9]{2}:[0-9]{2}:[0-9]{2} +[A-Z]' | head -1 | grep -Eo '[0-9]{2}:[0-9]{2}')
    # the newest alarm is at most a few plant minutes old: same hour as the header, or the one before
    hh=${head%%:*} rh=${row%%:*}
    d=$(( (10#$hh - 10#$rh + 24) % 24 ))
    [ "$d" -le 1 ] || fail "$mode: alarm time $row is not on the header's clock $head"
    utc_h=$(TZ=UTC date +%H)
    if [ $mode = tokyo ]; then
        # Tokyo is UTC+9: the header's hour must not be the wall clock's UTC hour at speed 60
        # plant time starts at the wall clock, so within the first minutes it is near it
        [ "$(( (10#$hh - 10#$utc_h + 24) % 24 ))" -ge 8 ] || fail "tokyo: header $head looks like UTC ($utc_h h)"
    fi
    tui_keys q
    sleep 0.5
    tui_stop
done
echo "ok test_tui_clock: JST and --utc headers, alarm times on the header's clock"
