#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 14 in the console, driven through tmux: the faults scenario at speed, `4` opens the
# maintenance plan with its overdue / due-this-shift counts, `d` marks the first action done with
# a note (SSH_CLIENT set, as over SSH); the database's maint_actions holds the "done" with the
# operator, the address and the note, the simulator's fault list shows the repair, and
# `twintop report` lists the action as done.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() {
    echo "FAIL test_plan_tui: $*"
    tui_dump
    exit 1
}
wait_for() { tui_wait_for "$@"; }

db="$tmp/plan.db"
tui_start main 120 36 \
    "env TERM=xterm-256color LANG=C.UTF-8 SSH_CLIENT='192.0.2.7 50000 22' $BIN --scenario faults \
     --speed 1500 --operator bob --db $db --no-bell; echo \"EXIT \$?\" > $tmp/exit; sleep 60"
tui_keys 4
wait_for 'Maintenance plan: ' 10 || fail "the plan view did not open with 4"
wait_for 'Maintenance plan: [1-9][0-9]* action' 180 || fail "no planned action within 180 s"
wait_for '[0-9]+ overdue, [0-9]+ due this shift' 5 || fail "the title does not count overdue / due"
row=$(tui_screen | grep -E '^ *(OVERDUE |now|[0-9-]).*(low|medium|high|critical) ' | head -1)
machine=$(echo "$row" | grep -Eo '[A-Z]+[-_][0-9]{3}' | head -1)
[ -n "$machine" ] || fail "no action row with a machine: '$row'"
tui_keys d
wait_for 'done\. Note:' 10 || fail "d did not ask for a note"
tui_keys "replaced, checked" Enter
wait_for ': done' 10 || fail "no done message in the status line"
tui_keys q
for _ in $(seq 1 100); do
    [ -s "$tmp/exit" ] && break
    sleep 0.2
done
[ -s "$tmp/exit" ] || fail "twintop did not quit on q"
grep -q 'EXIT 0' "$tmp/exit" || fail "twintop exited with $(cat "$tmp/exit")"
done_row=$(sqlite3 "$db" "select machine_id, operator, host, evidence from maint_actions where change = 'done'")
echo "$done_row" | grep -q '|bob|192.0.2.7|replaced, checked$' ||
    fail "maint_actions has no done by bob from 192.0.2.7 with the note: '$done_row'"
done_machine=${done_row%%|*}
$BIN report --db "$db" --machine "$done_machine" --format json > "$tmp/report.json" ||
    fail "twintop report failed"
grep -q '"state":[[:space:]]*"done"' "$tmp/report.json" || fail "the report does not show the action done"
grep -q '"done_by":[[:space:]]*"bob"' "$tmp/report.json" || fail "the report does not name bob"
echo "ok test_plan_tui: $done_machine action done by bob from 192.0.2.7, in the report"
