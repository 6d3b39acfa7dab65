#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# NAB realKnownCause: runs `twintop detect` on the 7 series (one parameter set for all) into a
# results tree of NAB's layout and scores it with nab_score.py (threshold optimised over the
# 7 files). Prints BENCH lines for the three profiles.
# Usage: tests/bench/nab.sh [RESULTS_DIR]   (TWINTOP_BIN, TWINTOP_SHARED from the environment)
set -eu
cd "$(dirname "$0")/../.."
bin="${TWINTOP_BIN:-build/twintop}"
shared="${TWINTOP_SHARED:-$(cd .. && pwd)/shared}"
[ -d "$shared/datasets/nab" ] || shared=/work/shared
nab="$shared/datasets/nab"
if [ ! -d "$nab/data/realKnownCause" ]; then
    echo "nab.sh: no NAB data under $nab, skipped" >&2
    exit 0
fi
out="${1:-$(mktemp -d "${TMPDIR:-/tmp}/twintop-nab.XXXXXX")}"
det=twintop
mkdir -p "$out/$det/realKnownCause"
for f in "$nab"/data/realKnownCause/*.csv; do
    "$bin" detect "$f" --out "$out/$det/realKnownCause/${det}_$(basename "$f")"
done
json="$out/score.json"
python3 "$shared/tools/nab_score.py" --data "$nab/data" --labels "$nab/labels/windows.json" \
    --results "$out" --detector "$det" --json > "$json"
python3 "$shared/tools/nab_score.py" --data "$nab/data" --labels "$nab/labels/windows.json" \
    --results "$out" --detector "$det" > "$out/score.txt"
python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for name, p in r["profiles"].items():
    print("BENCH nab_%s %.2f score" % (name, p["normalised_score"]))
    print("BENCH nab_%s_threshold %.4f score" % (name, p["threshold"]))
PY
