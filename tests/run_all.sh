#!/usr/bin/env bash
# Runs every cmocka binary given and every tests/*.sh script; prints "N passed, N failed".
# CMOCKA_MESSAGE_OUTPUT stays at its default so each binary prints its own summary.
set -u
cd "$(dirname "$0")/.."
export TWINTOP_BIN="${BUILD:-build}/twintop"
export TWINTOP_SHARED="${TWINTOP_SHARED:-$(cd .. && pwd)/shared}"
passed=0; failed=0; failures=()
run_one() {
    local name=$1; shift
    local start=$SECONDS
    if "$@"; then
        passed=$((passed + 1)); echo "ok   $name ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name ($((SECONDS - start)) s)"
    fi
}
for t in "$@"; do run_one "$(basename "$t")" "$t"; done
for s in tests/*.sh; do
    [ -e "$s" ] || continue
    case "$s" in tests/run_all.sh) continue ;; esac
    run_one "$(basename "$s")" bash "$s"
done
echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
