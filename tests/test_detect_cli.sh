#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `twintop detect` end to end: the real binary on a CSV, NAB's output format, --sep/--out/--param,
# and its errors (missing file, bad header, a cell that is not a number, bad usage) with file and
# line in the message and the documented exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_detect_cli: $*" >&2; exit 1; }

# A series with one spike at row 1500 (line 1502 counting the header).
python3 - "$tmp/series.csv" <<'PY'
import random, sys
random.seed(5)
with open(sys.argv[1], "w") as f:
    f.write("timestamp,value\n")
    for i in range(2000):
        v = 90.0 if i == 1500 else 50 + random.gauss(0, 1)
        f.write("2020-01-01 %02d:%02d:00,%.3f\n" % (i // 60 % 24, i % 60, v))
PY
"$BIN" detect "$tmp/series.csv" --out "$tmp/out.csv"
head -1 "$tmp/out.csv" | grep -qx 'timestamp,value,anomaly_score,is_anomaly' || fail "header"
[ "$(wc -l < "$tmp/out.csv")" = 2001 ] || fail "one output row per input row"
python3 - "$tmp/out.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert all(0.0 <= float(r["anomaly_score"]) <= 1.0 for r in rows)
assert rows[1500]["is_anomaly"] == "1", rows[1500]
assert rows[1500]["value"] == "90.000"
flagged = sum(r["is_anomaly"] == "1" for r in rows)
assert flagged < 40, flagged  # pure noise elsewhere: few rows at the detectors' threshold
PY

# Same input, same output (one pass, deterministic for the seed); stdout when no --out.
"$BIN" detect "$tmp/series.csv" > "$tmp/out2.csv"
cmp -s "$tmp/out.csv" "$tmp/out2.csv" || fail "not deterministic"

# Another separator, several sensor columns, --param.
tr ',' ';' < "$tmp/series.csv" | awk -F';' 'BEGIN{OFS=";"} NR==1{print $0,"other"; next} {print $0, NR%7}' \
    > "$tmp/semi.csv"
"$BIN" detect "$tmp/semi.csv" --sep ';' --param hold=1 > "$tmp/semi_out.csv"
head -1 "$tmp/semi_out.csv" | grep -qx 'timestamp;value;other;anomaly_score;is_anomaly' || fail "sep"

expect_error() { # expected-status pattern args...
    local want=$1 pattern=$2; shift 2
    set +e
    "$BIN" detect "$@" > "$tmp/err.out" 2> "$tmp/err.txt"
    local got=$?
    set -e
    [ "$got" = "$want" ] || fail "exit $got (want $want) for $*: $(cat "$tmp/err.txt")"
    grep -q -- "$pattern" "$tmp/err.txt" || fail "message for $*: $(cat "$tmp/err.txt")"
}
expect_error 1 "$tmp/missing.csv: No such file or directory" "$tmp/missing.csv"
printf 'timestamp\n2020-01-01,1\n' > "$tmp/header.csv"
expect_error 1 "$tmp/header.csv:1: bad header" "$tmp/header.csv"
printf 'timestamp,value\n2020-01-01 00:00,1.5\n2020-01-01 00:05,abc\n' > "$tmp/cell.csv"
expect_error 1 "$tmp/cell.csv:3: column 2 (value): \"abc\" is not a number" "$tmp/cell.csv"
expect_error 2 "unknown detect parameter" "$tmp/series.csv" --param nope=1
expect_error 2 "unknown option" "$tmp/series.csv" --bogus
expect_error 2 "usage" 
echo "test_detect_cli: ok"
