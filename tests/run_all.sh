#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the tests; prints one line per test and "N passed, N failed, N skipped".
#   tests/run_all.sh [--all|--unit|--shell] [CMOCKA_BINARY...]
# --unit runs only the binaries given (cmocka tests, and $BUILD/fuzz-replay/fuzz_NAME, which
# replays tests/fuzz/corpus/NAME through one fuzz target), --shell only the tests/*.sh scripts,
# --all both (the default). A test that exits 77, or a script that prints a line starting "SKIP ", is
# counted as skipped. Each test's stdout and stderr go to $BUILD/test-logs/NAME.log; the log of
# a failing test is printed (its last 80 lines). Exits nonzero when any test failed.
set -u
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
--all | --unit | --shell) mode=${1#--}; shift ;;
esac
BUILD="${BUILD:-build}"
export TWINTOP_BIN="$BUILD/twintop"
export TWINTOP_SHARED="${TWINTOP_SHARED:-$(cd .. && pwd)/shared}"
logs="$BUILD/test-logs"
mkdir -p "$logs"
passed=0; failed=0; skipped=0; failures=()
run_one() {
    local name=$1; shift
    local log="$logs/$name.log" start=$SECONDS rc
    "$@" > "$log" 2>&1 < /dev/null
    rc=$?
    local took="($((SECONDS - start)) s)"
    if [ "$rc" = 77 ] || { [ "$rc" = 0 ] && grep -q '^SKIP ' "$log"; }; then
        skipped=$((skipped + 1)); echo "skip $name $took"
    elif [ "$rc" = 0 ]; then
        passed=$((passed + 1)); echo "ok   $name $took"
    else
        failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name $took (exit $rc)"
        echo "---- $log (last 80 lines) ----"
        tail -n 80 "$log"
        echo "---- end of $name ----"
    fi
}
if [ "$mode" != shell ]; then
    for t in "$@"; do run_one "$(basename "$t")" "$t"; done
fi
if [ "$mode" != unit ]; then
    for s in tests/*.sh; do
        [ -e "$s" ] || continue
        case "$s" in tests/run_all.sh) continue ;; esac
        run_one "$(basename "$s")" bash "$s"
    done
fi
echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]} (logs in $logs/)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
