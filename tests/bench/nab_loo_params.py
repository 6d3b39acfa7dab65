#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# NAB realKnownCause, parameters chosen by leave one series out: for each of the 7 series, every
# setting of a small grid (z_window x drift_horizon, the two parameters the score is most
# sensitive to) is scored on the other 6 with its threshold optimised there; the best setting and
# its threshold are then applied to the held-out series. This measures the choosing procedure,
# not one setting: the held-out figure is what a user with an unseen series gets. Also prints how
# often each fold chose the shipped default and the in-sample score of the best setting.
# Usage: tests/bench/nab_loo_params.py [BIN]   prints BENCH lines (about 4 minutes).
import itertools, json, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "twintop")
shared = os.environ.get("TWINTOP_SHARED", os.path.join(os.path.dirname(root), "shared"))
if not os.path.isdir(os.path.join(shared, "datasets", "nab")):
    shared = "/work/shared"
nab = os.path.join(shared, "datasets", "nab")
if not os.path.isdir(os.path.join(nab, "data", "realKnownCause")):
    print("nab_loo_params: no NAB data, skipped", file=sys.stderr)
    sys.exit(0)
scorer = os.path.join(shared, "tools", "nab_score.py")
windows = json.load(open(os.path.join(nab, "labels", "windows.json")))
files = sorted(k for k in windows if k.startswith("realKnownCause/"))
DEFAULT = (120, 3000)
GRID = list(itertools.product((60, 120, 240), (2000, 3000, 5000)))
tmp = tempfile.mkdtemp(prefix="twintop-nabloop.")


def detector(setting):
    return "tw_z%d_h%d" % setting


for setting in GRID:
    det = detector(setting)
    os.makedirs(os.path.join(tmp, det, "realKnownCause"))
    for f in files:
        out = os.path.join(tmp, det, "realKnownCause", det + "_" + os.path.basename(f))
        subprocess.run([binary, "detect", os.path.join(nab, "data", f), "--out", out,
                        "--param", "z_window=%d" % setting[0],
                        "--param", "drift_horizon=%d" % setting[1]], check=True)


def score(det, keys, threshold=None):
    wpath = os.path.join(tmp, "windows.json")
    json.dump({k: windows[k] for k in keys}, open(wpath, "w"))
    cmd = ["python3", scorer, "--data", os.path.join(nab, "data"), "--labels", wpath,
           "--results", tmp, "--detector", det, "--json"]
    if threshold:
        cmd += ["--threshold", ",".join("%s=%r" % kv for kv in threshold.items())]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


insample = {s: score(detector(s), files)["profiles"] for s in GRID}
profiles = list(insample[DEFAULT].keys())
held = {p: [0.0, 0.0, 0.0] for p in profiles}
chose_default = {p: 0 for p in profiles}
for f in files:
    rest = [g for g in files if g != f]
    on_rest = {s: score(detector(s), rest)["profiles"] for s in GRID}
    for p in profiles:
        best = max(GRID, key=lambda s: (on_rest[s][p]["normalised_score"], s == DEFAULT))
        chose_default[p] += best == DEFAULT
        v = score(detector(best), [f], {p: on_rest[best][p]["threshold"]})["profiles"][p]
        held[p][0] += v["raw_score"]
        held[p][1] += v["null_score"]
        held[p][2] += v["perfect_score"]
for p in profiles:
    raw, null, perfect = held[p]
    best_in = max(GRID, key=lambda s: insample[s][p]["normalised_score"])
    print("BENCH nab_params_%s_default_insample %.2f score" %
          (p, insample[DEFAULT][p]["normalised_score"]))
    print("BENCH nab_params_%s_best_insample %.2f score (z_window %d, drift_horizon %d)" %
          ((p, insample[best_in][p]["normalised_score"]) + best_in))
    print("BENCH nab_params_%s_loo %.2f score" % (p, 100 * (raw - null) / (perfect - null)))
    print("BENCH nab_params_%s_folds_choosing_default %d of %d" % (p, chose_default[p], len(files)))
