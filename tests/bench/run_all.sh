#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark binary, tests/bench/*.sh and tests/bench/*.py; each prints lines "BENCH <name> <value> <unit>".
set -u
cd "$(dirname "$0")/../.."
export TWINTOP_BIN="${BUILD:-build}/twintop"
export TWINTOP_SHARED="${TWINTOP_SHARED:-$(cd .. && pwd)/shared}"
status=0
for b in "$@"; do "$b" || { echo "bench $b failed" >&2; status=1; }; done
for s in tests/bench/*.sh; do
    [ -e "$s" ] || continue
    case "$s" in tests/bench/run_all.sh) continue ;; esac
    bash "$s" || { echo "bench $s failed" >&2; status=1; }
done
for s in tests/bench/*.py; do
    [ -e "$s" ] || continue
    python3 "$s" "$TWINTOP_BIN" || { echo "bench $s failed" >&2; status=1; }
done
exit $status
