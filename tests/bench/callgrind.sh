#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Callgrind instruction counts (deterministic, unlike wall clocks on a shared machine): per sample
# of the healthy 1-hour pipeline with --no-db, --db and --publish (a local broker), and per message
# of the JSON decoder and encoder (the difference of two runs, so start-up cancels out).
# Skipped without valgrind. BENCH_CALLGRIND=0 skips it too (it takes a few minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
CODEC=${BUILD:-build}/bench/bench_mqtt_codec
if [ "${BENCH_CALLGRIND:-1}" = 0 ] || ! command -v valgrind > /dev/null; then
    echo "bench callgrind: skipped (no valgrind or BENCH_CALLGRIND=0)" >&2
    exit 0
fi
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
# Instructions of one run: callgrind's total ("Collected : N").
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2> "$tmp/cg.err" > "$tmp/cg.out"
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err"
}
for what in decode encode; do
    a=$(instructions "$CODEC" $what 1000)
    b=$(instructions "$CODEC" $what 3000)
    echo "BENCH callgrind_codec_${what} $(((b - a) / 2000)) instructions/msg"
done
broker_start
pipeline() {
    instructions "$BIN" --headless "$@" --scenario healthy --speed max --duration 1h --seed 1 \
        --status-interval 6000000
}
for mode in no_db db publish; do
    case $mode in
        no_db) ir=$(pipeline --no-db) ;;
        db) ir=$(pipeline --db "$tmp/history.db") ;;
        publish) ir=$(pipeline --no-db --publish "$BROKER_URL") ;;
    esac
    samples=$(tail -n1 "$tmp/cg.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
    echo "BENCH callgrind_pipeline_1h_${mode} $((ir / samples)) instructions/sample"
done
