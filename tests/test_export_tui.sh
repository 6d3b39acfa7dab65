#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The console's `e`: the selected machine's last hour goes to a CSV named in the status line,
# with one line per recorded sample of that machine in that hour; `r` in the detail view charts
# the last hour and day from the rollups.
set -u
cd "$(dirname "$0")/.."
BIN=$(realpath "${TWINTOP_BIN:-build/twintop}")
if [ ! -e tui/screen.c ]; then
    echo "SKIP test_export_tui: the console (tui/screen.c) is not in this tree yet"
    exit 0
fi
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() {
    echo "FAIL test_export_tui: $*"
    tui_screen | tail -5
    exit 1
}
wait_for() { tui_wait_for "$@"; }
TUI_CWD=$tmp tui_start main 120 36 \
    "env TERM=xterm-256color LANG=C.UTF-8 $BIN --scenario healthy --speed 120 --db $tmp/h.db \
     --no-bell; echo \"EXIT \$?\" > $tmp/exit; sleep 60"
wait_for 'PUMP_001' 20 || fail "no overview"
sleep 3 # a few minutes of plant time, committed
tui_keys e
wait_for 'exported [0-9]+ samples of PUMP_001 to twintop-PUMP_001-[0-9TZ]+\.csv' 20 \
    || fail "no export message"
line=$(tui_screen | grep -Eo 'exported [0-9]+ samples of PUMP_001 to [^ ]+\.csv')
rows=$(echo "$line" | awk '{print $2}')
file=$(echo "$line" | awk '{print $NF}')
[ -f "$tmp/$file" ] || fail "$file not in the working folder"
[ "$rows" -gt 0 ] || fail "nothing exported"
[ "$(wc -l < "$tmp/$file")" = $((rows + 1)) ] || fail "$file has $(wc -l < "$tmp/$file") lines for $rows samples"
[ "$(head -n1 "$tmp/$file")" = "ts,machine_id,sensor,value" ] || fail "header"
grep -qv -e '^ts,' -e ',PUMP_001,' "$tmp/$file" && fail "other machines in $file"
# The detail chart's longer ranges come from the rollups in the history file.
tui_keys Enter
wait_for 'last 5 min: [0-9]+ samples' 10 || fail "detail chart (5 min)"
tui_keys r
wait_for 'last 1 h: [1-9][0-9]* rollup means over' 10 || fail "1 h chart from the rollups"
tui_keys r
wait_for 'last 24 h: [1-9][0-9]* rollup means over' 10 || fail "24 h chart from the rollups"
tui_keys q
for _ in $(seq 50); do [ -f "$tmp/exit" ] && break; sleep 0.1; done
grep -q "EXIT 0" "$tmp/exit" 2>/dev/null || fail "no clean exit after q"
echo "test_export_tui: ok ($rows samples)"
