#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Detection and prediction on the console (issue 3), under tmux at 120x40 on the demo at 60x:
# a theme file without the anomaly_* keys still loads; tiles show health ("learning" during the
# estimator's warm-up, never a bare "--" on a running plant) and a fused anomaly figure; the
# spindle panel shows spindle health and tool RUL; the CNC's detail view has the anomaly
# column, the health/RUL line, and after a while the detector that fired and why; health turns
# into a number after the warm-up. Every wait polls with a deadline; a failure prints the screen.
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
TIMEOUT=${TUI_TIMEOUT:-30}
SLOW_TIMEOUT=${TUI_DETECT_TIMEOUT:-240} # plant events: minutes of plant time at 60x
. tests/lib/common.bash
tui_require test_tui_detect

lib_init
TMP=$LIB_TMP

screen() { tui_screen; }

fail() {
    echo "FAIL test_tui_detect: $*"
    tui_dump
    exit 1
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds or time runs out.
wait_until() {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    while ! "$@"; do
        [ $SECONDS -ge $deadline ] && fail "timed out after ${limit}s waiting for: $what"
        sleep 0.2
    done
}

shows() { screen | grep -qF -- "$1"; }
shows_re() { screen | grep -qE -- "$1"; }
keys() { tui_keys "$@"; }
exited() { [ -s "$TMP/$TUI_SESSION.rc" ]; }

# A theme written before the anomaly keys existed: the built-in defaults fill them in.
grep -v '^anomaly_' themes/default.theme > "$TMP/old.theme"
grep -q anomaly_ "$TMP/old.theme" && fail "could not strip the anomaly keys"

tui_start main 120 40 \
    "'$BIN' --no-db --scenario demo --speed 60 --seed 1 --theme '$TMP/old.theme' 2> '$TMP/err'; echo \$? > '$TMP/$TUI_SESSION.rc'; sleep 60" ||
    fail "cannot start tmux"

# 1. overview: health words and anomaly figures on the tiles, the spindle panel's figures
wait_until "$TIMEOUT" "the overview" shows "CNC spindle panel"
exited && fail "exited early: $(cat "$TMP/err")"
tiles_ok() {
    local s
    s=$(screen)
    # 16 tiles, each with a health word and an anomaly figure
    [ "$(grep -oE '(health|hlth|H) (learning|[0-9]+|n/a) +(anomaly|anom|A) [0-9]\.[0-9]{2}' <<<"$s" | wc -l)" -ge 16 ] &&
        ! grep -qE 'health -- ' <<<"$s"
}
wait_until "$TIMEOUT" "health and anomaly on all 16 tiles" tiles_ok
wait_until "$TIMEOUT" "spindle health and tool RUL on the spindle panel" \
    shows_re 'spindle health ([0-9]+|--) +tool RUL'

# 2. the CNC's detail view (End selects the last machine)
keys End
wait_until "$TIMEOUT" "CNC-001 selected" shows_re '▶CNC-001|>CNC-001'
keys Enter
wait_until "$TIMEOUT" "the detail view of CNC-001" shows_re '^ CNC-001 .*machine 16 of 16'
wait_until "$TIMEOUT" "the anomaly column" shows_re '^sensor +value unit +state +anomaly '
wait_until "$TIMEOUT" "a per-sensor anomaly figure" \
    shows_re '^spindle\.rpm +[0-9.]+ +rpm +(ok|warn|alarm) +[0-9]\.[0-9]{2}!? '
wait_until "$TIMEOUT" "the anomaly/health/RUL line" \
    shows_re '^ anomaly [0-9]\.[0-9]{2}.*\(fires at 0\.50\) pca (--|[0-9]\.[0-9]{2}!?)( [^ ]+ [0-9]+%)? +health (learning|[0-9]+/100) +RUL '
wait_until "$TIMEOUT" "spindle health and tool RUL in the detail view" \
    shows_re 'spindle [0-9]+/100 +tool RUL '

# 3. the detector that fired and why (live, or remembered once the score fell back)
detected() {
    screen | grep -qE -- '^ why: .+|^ quiet now; last fired .* ago: (zscore|drift|residual|forest), peak (0\.[5-9][0-9]|1\.00): .+'
}
wait_until "$SLOW_TIMEOUT" "a detector name and reason in the detail view" detected
screen | grep -qE '(by (zscore|drift|residual|forest)|last fired .*: (zscore|drift|residual|forest))' ||
    fail "no detector name"

# 4. the health estimator's warm-up ends: health and RUL become figures or say why not
wait_until "$SLOW_TIMEOUT" "a health figure after the warm-up" \
    shows_re ' health [0-9]+/100 +RUL (~[0-9]|0 \(at the alarm limit\)|-- \(no degradation trend\))'

# 5. back to the overview: health figures on the tiles now
keys Escape
wait_until "$TIMEOUT" "the overview again" shows "CNC spindle panel"
wait_until "$TIMEOUT" "numeric health on the tiles" shows_re '(health|hlth|H) [0-9]+ +(anomaly|anom|A) '

keys q
wait_until "$TIMEOUT" "exit after q" exited
[ "$(cat "$TMP/$TUI_SESSION.rc")" = 0 ] || fail "exit status $(cat "$TMP/$TUI_SESSION.rc"): $(cat "$TMP/err")"
echo "ok test_tui_detect"
