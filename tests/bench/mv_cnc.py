#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The multivariate monitor on the UMich CNC milling runs: trained on experiment 01 (unworn tool),
# the share of rows flagged in each run (the text column Machining_Process left out).
# Usage: tests/bench/mv_cnc.py [BIN]   prints BENCH lines.
import csv, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "twintop")
shared = os.environ.get("TWINTOP_SHARED", os.path.join(os.path.dirname(root), "shared"))
data = os.path.join(shared if os.path.isdir(shared) else "/work/shared", "datasets", "cnc_mill")
if not os.path.isdir(data):
    print("mv_cnc: no CNC data, skipped", file=sys.stderr)
    sys.exit(0)
tmp = tempfile.mkdtemp(prefix="twintop-cnc.")
runs = {"01": "unworn", "02": "unworn", "06": "worn", "08": "worn"}
for e in runs:
    rows = list(csv.reader(open(os.path.join(data, "experiment_%s.csv" % e))))
    keep = [i for i, c in enumerate(rows[0]) if c != "Machining_Process"]
    with open(os.path.join(tmp, e + ".csv"), "w") as f:
        f.write("row," + ",".join(rows[0][i] for i in keep) + "\n")
        for n, r in enumerate(rows[1:]):
            f.write("%d," % n + ",".join(r[i] for i in keep) + "\n")
for e, tool in runs.items():
    out = os.path.join(tmp, e + ".out")
    subprocess.run([binary, "detect", os.path.join(tmp, e + ".csv"), "--train",
                    os.path.join(tmp, "01.csv"), "--out", out], check=True)
    flags = [r["is_anomaly"] == "1" for r in csv.DictReader(open(out))]
    print("BENCH mv_cnc_%s_%s_flagged %.4f share" % (e, tool, sum(flags) / len(flags)))
