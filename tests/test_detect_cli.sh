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
head -1 "$tmp/out.csv" | grep -qx 'timestamp,value,anomaly_score,is_anomaly,top_sensors' || fail "header"
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
head -1 "$tmp/semi_out.csv" | grep -qx 'timestamp;value;other;anomaly_score;is_anomaly;top_sensors' || fail "sep"

# The multivariate monitor: flow and pressure follow one load; from row 1200 to 1500 the pressure
# leaves the flow by 8 units (inside its own range); a reference run of normal operation trains it.
python3 - "$tmp/pump.csv" "$tmp/ref.csv" <<'PY'
import random, sys
def write(path, rows, seed, fault):
    random.seed(seed)
    with open(path, "w") as f:
        f.write("t,flow,pressure,temp\n")
        for i in range(rows):
            load = 50 + random.gauss(0, 10)
            leak = 8.0 if fault and 1200 <= i < 1500 else 0.0
            f.write("%d,%.3f,%.3f,%.3f\n" % (i, load + random.gauss(0, 0.5),
                    2 * load + random.gauss(0, 1) - leak, 40 + random.gauss(0, 1)))
write(sys.argv[1], 2000, 7, True)
write(sys.argv[2], 1000, 8, False)
PY
check_pump() { # output-file
    python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fault = [r for i, r in enumerate(rows) if 1200 <= i < 1500]
normal = [r for i, r in enumerate(rows) if 500 <= i < 1200 or i >= 1530]
recall = sum(r["is_anomaly"] == "1" for r in fault) / len(fault)
far = sum(r["is_anomaly"] == "1" for r in normal) / len(normal)
assert recall > 0.9, recall   # a fault that persists stays flagged
assert far < 0.03, far        # back to 0 within 30 rows of the repair, quiet on normal rows
named = [r["top_sensors"].split("|")[0] for r in fault if r["is_anomaly"] == "1"]
assert sum(n in ("pressure", "flow") for n in named) > 0.9 * len(named), named[:10]
assert all(r["top_sensors"] == "" for r in rows if r["is_anomaly"] == "0")
PY
}
"$BIN" detect "$tmp/pump.csv" --train "$tmp/ref.csv" > "$tmp/pump_out.csv"
check_pump "$tmp/pump_out.csv" || fail "multivariate monitor with --train"
"$BIN" detect "$tmp/pump.csv" --train-rows 1000 > "$tmp/pump_rows.csv"
check_pump "$tmp/pump_rows.csv" || fail "multivariate monitor with --train-rows"
{ echo t,flow,other; seq 100 | sed 's/.*/&,2,3/'; } > "$tmp/ref_bad.csv"
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
expect_error 1 "$tmp/ref_bad.csv:1: 2 value columns, the input has 3" "$tmp/pump.csv" --train "$tmp/ref_bad.csv"
head -30 "$tmp/ref.csv" > "$tmp/ref_short.csv"
expect_error 1 "training needs at least 60" "$tmp/pump.csv" --train "$tmp/ref_short.csv"
expect_error 2 "exclude each other" "$tmp/pump.csv" --train "$tmp/ref.csv" --train-rows 100
expect_error 2 "train-rows takes a number" "$tmp/pump.csv" --train-rows 5
printf 'ts,v\0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n1,2\n1,22222222222222222222222\n' > "$tmp/nul.csv"
expect_error 1 "$tmp/nul.csv:1: bad header: a NUL byte" "$tmp/nul.csv"
echo "test_detect_cli: ok"
