#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# NAB realKnownCause, leave one series out: for each of the 7 series the threshold of every
# profile is optimised on the other 6 and applied to the held-out one; prints the normalised
# held-out score beside the in-sample one (threshold optimised on all 7). The detector's
# parameters are the fixed defaults of `twintop detect` (no per-file choice).
# Usage: tests/bench/nab_loo.py [BIN]   prints BENCH lines.
import json, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "twintop")
shared = os.environ.get("TWINTOP_SHARED", os.path.join(os.path.dirname(root), "shared"))
if not os.path.isdir(os.path.join(shared, "datasets", "nab")):
    shared = "/work/shared"
nab = os.path.join(shared, "datasets", "nab")
if not os.path.isdir(os.path.join(nab, "data", "realKnownCause")):
    print("nab_loo: no NAB data, skipped", file=sys.stderr)
    sys.exit(0)
scorer = os.path.join(shared, "tools", "nab_score.py")
tmp = tempfile.mkdtemp(prefix="twintop-nabloo.")
det = "twintop"
os.makedirs(os.path.join(tmp, det, "realKnownCause"))
windows = json.load(open(os.path.join(nab, "labels", "windows.json")))
files = sorted(k for k in windows if k.startswith("realKnownCause/"))
for f in files:
    subprocess.run([binary, "detect", os.path.join(nab, "data", f), "--out",
                    os.path.join(tmp, det, "realKnownCause", det + "_" + os.path.basename(f))],
                   check=True)

def score(keys, threshold=None):
    wpath = os.path.join(tmp, "windows.json")
    json.dump({k: windows[k] for k in keys}, open(wpath, "w"))
    cmd = ["python3", scorer, "--data", os.path.join(nab, "data"), "--labels", wpath,
           "--results", tmp, "--detector", det, "--json"]
    if threshold:
        cmd += ["--threshold", ",".join("%s=%r" % kv for kv in threshold.items())]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

full = score(files)
held = {}
for f in files:
    rest = [g for g in files if g != f]
    thr = {p: v["threshold"] for p, v in score(rest)["profiles"].items()}
    for p, v in score([f], thr)["profiles"].items():
        h = held.setdefault(p, [0.0, 0.0, 0.0])
        h[0] += v["raw_score"]
        h[1] += v["null_score"]
        h[2] += v["perfect_score"]
for p, v in full["profiles"].items():
    raw, null, perfect = held[p]
    loo = 100 * (raw - null) / (perfect - null)
    print("BENCH nab_%s_insample %.2f score" % (p, v["normalised_score"]))
    print("BENCH nab_%s_loo %.2f score" % (p, loo))
