#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fault scenario end to end: 24 plant hours of `--scenario faults` through the real binary;
# the headless summary must show every fault detected before its failure, with a median lead
# time of at least half the onset-to-failure time, and few anomalies before any onset.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$BIN" --headless --no-db --scenario faults --speed max --duration 24h --seed 1 \
    --status-interval 600000 > "$tmp/run.jsonl"
python3 - "$tmp/run.jsonl" <<'PY'
import json, sys
final = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert final.get("final") is True, final
f = final["faults"]
missed = [x["machine"] + "/" + x["fault"] for x in f["list"]
          if x["detected_s"] is None or x["detected_s"] > x["failure_s"]]
assert f["total"] == 16 and not missed, "not detected before failure: %s" % missed
assert f["detected"] == f["total"], f
assert f["median_lead_frac"] >= 0.5, f["median_lead_frac"]
for x in f["list"]:
    assert x["onset_s"] <= x["detected_s"] <= x["failure_s"], x
    assert x["lead_s"] == x["failure_s"] - x["detected_s"], x
assert final["false_anomaly_events"] <= 64, final["false_anomaly_events"]
print("test_detect_faults: ok (16/16, median lead %.2f, %d anomaly events, %d before onset)"
      % (f["median_lead_frac"], final["anomaly_events"], final["false_anomaly_events"]))
PY
