#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole pipeline (16 simulator threads -> queue -> engine with limits, detectors, health and
# alarms): the foundation's 24-hour healthy run, as fast as it goes, without a database and then
# with one (--db), one after the other; BENCH lines for both and the cost of --db (wall and CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$BIN" "$tmp" <<'PY'
import json, os, resource, subprocess, sys
bin_, tmp = sys.argv[1], sys.argv[2]
def run(opts):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([bin_, "--headless", *opts, "--scenario", "healthy", "--speed", "max",
                          "--duration", "24h", "--seed", "1", "--status-interval", "6000000"],
                         check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(out.strip().splitlines()[-1]), cpu
d, cpu = run(["--no-db"])
db, db_cpu = run(["--db", os.path.join(tmp, "history.db")])
print(f"BENCH pipeline_healthy_24h_samples {d['samples']} samples")
print(f"BENCH pipeline_healthy_24h_wall {d['wall_s']:.2f} s")
print(f"BENCH pipeline_healthy_24h_rate {d['avg_samples_per_s']} samples/s")
print(f"BENCH pipeline_healthy_24h_alarms {d['alarms_raised']} alarms")
print(f"BENCH pipeline_healthy_24h_queue_drops {d['queue_drops']} samples")
print(f"BENCH pipeline_healthy_24h_db_wall {db['wall_s']:.2f} s")
print(f"BENCH pipeline_healthy_24h_db_written {db['db']['written']} samples")
print(f"BENCH pipeline_healthy_24h_db_dropped {db['db']['dropped']} samples")
print(f"BENCH pipeline_healthy_24h_db_cost_wall {db['wall_s'] / d['wall_s']:.2f} x")
print(f"BENCH pipeline_healthy_24h_db_cost_cpu {db_cpu / cpu:.2f} x")
PY
