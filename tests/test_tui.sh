#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The console under tmux: the demo at 120x40 shows all 16 machines and the spindle panel;
# 80x24 pages; 60x20 says "too small"; resizes never crash; Enter/Esc, ? and q work; the
# ASCII twin in a C locale; NO_COLOR; SIGTERM and a vanished terminal end the program.
# Every wait polls the screen with a deadline; a failure prints the screen it saw.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
ARGS=${TWINTOP_ARGS:-}
TIMEOUT=${TUI_TIMEOUT:-30}
. tests/lib/common.bash
tui_require test_tui

lib_init
TMP=$LIB_TMP

screen() { tui_screen; }

fail() {
    echo "FAIL test_tui: $*"
    tui_dump
    exit 1
}

# wait_until DESCRIPTION COMMAND...: polls COMMAND until it succeeds or TIMEOUT seconds pass.
wait_until() {
    local what=$1
    shift
    local deadline=$((SECONDS + TIMEOUT))
    while ! "$@"; do
        [ $SECONDS -ge $deadline ] && fail "timed out waiting for: $what"
        sleep 0.1
    done
}

shows() { screen | grep -qF -- "$1"; }
shows_re() { screen | grep -qE -- "$1"; }
shows_not() { ! screen | grep -qF -- "$1"; }

IDS="PUMP_001 COMP_001 MOTOR_001 CONV_001 GEAR_001 HEAT_001 TURB_001 RECP_001
     COOL_001 FAN_001 PRESS_001 BOIL_001 KILN_001 CRANE_001 CPUMP_001 CNC-001"
all_ids() {
    local s id
    s=$(screen)
    for id in $IDS; do
        grep -qF -- "$id" <<<"$s" || return 1
    done
}
plant_visible() { all_ids && shows "CNC spindle panel"; }

# start NAME COLS ROWS ENV...: a detached session running the demo; its exit status lands in
# $TMP/NAME.rc and its pid in $TMP/NAME.pid.
start() {
    local name=$1 cols=$2 rows=$3
    shift 3
    local envs="$*"
    tui_start "$name" "$cols" "$rows" \
        "echo \$\$ > '$TMP/$name.pid'; env $envs '$BIN' --no-db --seed 1 $ARGS 2> '$TMP/$name.err'; echo \$? > '$TMP/$name.rc'; sleep 60" ||
        fail "cannot start tmux"
}
resize() { tui_tmux resize-window -t "$TUI_SESSION" -x "$1" -y "$2"; }
keys() { tui_keys "$@"; }
exited() { [ -s "$TMP/$TUI_SESSION.rc" ]; }
# The program's pid: the pane's shell runs it as its only child.
app_pid() { pgrep -P "$(cat "$TMP/$TUI_SESSION.pid")" -f "$(basename "$BIN")" | head -1; }

# 0. a malformed theme stops the program before the screen opens, naming file and line
printf 'ok = green\nwarn = yelow\n' > "$TMP/bad.theme"
out=$("$BIN" --no-db --seed 1 $ARGS --theme "$TMP/bad.theme" </dev/null 2>&1)
rc=$?
[ $rc -ne 0 ] || { echo "FAIL test_tui: a malformed theme was accepted"; exit 1; }
case "$out" in
*"bad.theme:2: warn: unknown colour \"yelow\""*) ;;
*) echo "FAIL test_tui: theme error message: $out"; exit 1 ;;
esac

# 1. the plant at 120x40
start main 120 40 LC_ALL=C.UTF-8
wait_until "all 16 machine ids and the spindle panel at 120x40" plant_visible
wait_until "the function-key bar" shows "F10Quit"
wait_until "the header (mode, clock)" shows " UTC"
COLOUR_CODES=$'\e\\[([0-9;]*;)?(3[0-7]|4[0-7]|38;5|48;5)[;m]'
tui_screen -e main | grep -Eq "$COLOUR_CODES" || fail "no colours in a colour terminal"

# 2. 80x24: tiles page; the bar still ends with Quit
resize 80 24
wait_until "paging at 80x24" shows "page 1/"
wait_until "PUMP_001 at 80x24" shows "PUMP_001"
shows "F10Quit" || fail "no F10Quit at 80x24"
keys NPage
wait_until "page 2 after PgDn" shows "page 2/"

# 3. too small, then back, without a crash
resize 60 20
wait_until "the too-small message at 60x20" shows "terminal too small"
resize 40 10
resize 120 40
wait_until "the plant again at 120x40" plant_visible
exited && fail "the program exited during resizes"

# 4. detail and back
keys Home Enter
wait_until "the detail view" shows "samples over"
shows "PUMP_001" || fail "detail view does not name PUMP_001"
keys Down
wait_until "the second sensor" shows "sensor 2/"
keys Escape
wait_until "the overview after Esc" plant_visible
shows_not "samples over" || fail "still in the detail view after Esc"

# 4b. the mouse: a click selects the second tile, a second click opens it, the bar is clickable
click() { # column row, 0-based: an X10 press and release, as xterm sends them
    local x=$(($1 + 33)) y=$(($2 + 33))
    keys -l "$(printf "\033[M \\$(printf %o $x)\\$(printf %o $y)\033[M#\\$(printf %o $x)\\$(printf %o $y)")"
}
click 40 4
wait_until "COMP_001 selected by a click" shows "$(printf '\xe2\x96\xb6')COMP_001"
click 40 4
wait_until "the detail of COMP_001 after a second click" shows "samples over"
shows "COMP_001" || fail "the click opened another machine"
click 1 39
wait_until "help from a click on F1" shows "twintop keys"
keys Escape
keys Escape
wait_until "the overview after the mouse" plant_visible

# 4c. f injects a fault into the selected machine and says so; p pauses and resumes
keys Home f
wait_until "the fault injection message" shows "PUMP_001: fault"
keys p
wait_until "PAUSED in the header" shows "PAUSED"
wait_until "the speed it resumes at, not 0x" shows_re "paused at ([0-9.]+x|max)"
keys p
wait_until "running again" shows_not "PAUSED"

# 5. help lists keys
keys '?'
wait_until "the help view" shows "twintop keys"
# the list outgrows 40 rows: quit may be on the next page
shows " quit" || { keys NPage && wait_until "the help's next page" shows_re "of [0-9]+ *$"; }
wait_until "quit in the help" shows " quit"
keys Escape
wait_until "the overview after leaving help" plant_visible

# 6. q quits with status 0
keys q
wait_until "the program to exit after q" exited
[ "$(cat "$TMP/main.rc")" = 0 ] || fail "exit status $(cat "$TMP/main.rc") after q: $(cat "$TMP/main.err")"
if grep -Eq "runtime error|Sanitizer" "$TMP/main.err"; then
    cat "$TMP/main.err"
    fail "sanitizer reports on stderr"
fi

# 7. C locale: ASCII twins only, nothing but ASCII on the screen; NO_COLOR: no colour codes
start ascii 120 40 LC_ALL=C NO_COLOR=1
wait_until "the plant in the C locale" plant_visible
if screen | LC_ALL=C grep -q '[^ -~]'; then
    fail "non-ASCII characters on the screen in the C locale"
fi
if tui_screen -e ascii | grep -Eq "$COLOUR_CODES"; then
    fail "colour escape codes with NO_COLOR set"
fi

# 8. SIGTERM ends the program within a few seconds
pid=$(app_pid)
[ -n "$pid" ] || fail "cannot find the program's pid"
kill -TERM "$pid"
wait_until "exit after SIGTERM" exited

# 9. a vanished terminal (the tmux pane killed) ends the program
start gone 100 30 LC_ALL=C.UTF-8
wait_until "the plant in session gone" shows "PUMP_001"
pid=$(app_pid)
[ -n "$pid" ] || fail "cannot find the program's pid"
tui_tmux kill-session -t gone
deadline=$((SECONDS + 10))
while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { kill -KILL "$pid"; echo "FAIL test_tui: still running 10 s after its terminal went away"; exit 1; }
    sleep 0.1
done

echo "test_tui: ok"
