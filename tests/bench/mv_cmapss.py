#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The multivariate monitor on NASA C-MAPSS FD001 (real turbofan run-to-failure data), two-fold by
# engine: `twintop detect --train` learns normal operation from the first 40 cycles of one half of
# the engines; on the other half, rows of cycles <= 40 are normal (false-alarm rate) and rows of
# the last 25 cycles before failure are faulty (recall). Figures are on the held-out fold. Each parameter set of a small grid is
# chosen on one fold and reported on the other (held out), next to its in-sample figure.
# Usage: tests/bench/mv_cmapss.py [BIN]   prints BENCH lines.
import os, subprocess, sys, tempfile, csv

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "twintop")
shared = os.environ.get("TWINTOP_SHARED", os.path.join(os.path.dirname(root), "shared"))
if not os.path.isdir(shared):
    shared = "/work/shared"
src = os.path.join(shared, "datasets", "cmapss", "train_FD001.txt")
if not os.path.exists(src):
    print("mv_cmapss: no C-MAPSS data, skipped", file=sys.stderr)
    sys.exit(0)

engines = {}
for line in open(src):
    f = line.split()
    if f:
        engines.setdefault(int(f[0]), []).append([float(x) for x in f[1:]])
NORMAL, FAULT = 40, 25
names = ["setting%d" % i for i in range(1, 4)] + ["s%d" % i for i in range(1, 22)]
tmp = tempfile.mkdtemp(prefix="twintop-mv.")

def write(path, rows):
    with open(path, "w") as out:
        out.write("t," + ",".join(names) + "\n")
        for i, r in enumerate(rows):
            out.write("%d," % i + ",".join("%g" % v for v in r[1:]) + "\n")

folds = [[u for u in engines if u % 2 == 1], [u for u in engines if u % 2 == 0]]
files = []
for k, fold in enumerate(folds):
    train = [r for u in fold for r in engines[u][:NORMAL]]
    test, labels = [], []
    for u in fold:
        rows = engines[u]
        for c, r in enumerate(rows):
            test.append(r)
            labels.append(0 if c < NORMAL else 1 if c >= len(rows) - FAULT else -1)
    write(os.path.join(tmp, "train%d.csv" % k), train)
    write(os.path.join(tmp, "test%d.csv" % k), test)
    files.append(labels)

def run(params, train_fold, test_fold):
    out = os.path.join(tmp, "out.csv")
    cmd = [binary, "detect", os.path.join(tmp, "test%d.csv" % test_fold), "--out", out,
           "--train", os.path.join(tmp, "train%d.csv" % train_fold), "--no-rates"]
    for p in params.split():
        cmd += ["--param", p]
    subprocess.run(cmd, check=True)
    flags = [r["is_anomaly"] == "1" for r in csv.DictReader(open(out))]
    lab = files[test_fold]
    normal = [f for f, l in zip(flags, lab) if l == 0]
    fault = [f for f, l in zip(flags, lab) if l == 1]
    return sum(fault) / len(fault), sum(normal) / len(normal)

grid = {
    "textbook PCA (static, unsmoothed; default)": "",
    "static, EWMA 5": "pca_smooth=5",
    "lag 1, unsmoothed": "pca_lags=1",
    "lag 1, EWMA 5": "pca_lags=1 pca_smooth=5",
    "lag 1, EWMA 10": "pca_lags=1 pca_smooth=10",
    "lag 2, EWMA 5": "pca_lags=2 pca_smooth=5",
}
def merit(recall, far):
    return recall - 5 * max(0.0, far - 0.01)  # a false-alarm rate above 1 % costs recall
print("%-36s %22s %22s" % ("parameters", "fold A rec/FAR", "fold B rec/FAR"))
res = {}
for name, params in grid.items():
    # fold k: train on fold k's normal cycles, judge fold k's engines' later rows (in-sample
    # engines) and the other fold's engines (held out)
    res[name] = [run(params, k, k) for k in (0, 1)], [run(params, k, 1 - k) for k in (0, 1)]
    (a, b) = res[name][1]
    print("%-36s %10.3f / %.4f %10.3f / %.4f" % (name, a[0], a[1], b[0], b[1]))
for name, key in (("textbook PCA (static, unsmoothed; default)", "default"),
                  ("lag 1, EWMA 5", "lag1_ewma5")):
    held = res[name][1]
    print("BENCH mv_cmapss_%s_recall %.3f share" % (key, sum(r for r, _ in held) / 2))
    print("BENCH mv_cmapss_%s_far %.4f share" % (key, sum(f for _, f in held) / 2))
# protocol: the grid point chosen on one fold, measured on the other
for k in (0, 1):
    best = max(grid, key=lambda n: merit(*res[n][1][k]))
    r, f = res[best][1][1 - k]
    print("chosen on fold %s: %s; on fold %s: recall %.3f, FAR %.4f" % ("AB"[k], best, "AB"[1 - k], r, f))
