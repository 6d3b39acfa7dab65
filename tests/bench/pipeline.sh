#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole pipeline (16 simulator threads -> queue -> engine with limits, detectors, health and
# alarms), no database: the foundation's 24-hour healthy run, as fast as it goes.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
out=$("$BIN" --headless --no-db --scenario healthy --speed max --duration 24h --seed 1 \
      --status-interval 60000 | tail -n 1)
python3 - "$out" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print(f"BENCH pipeline_healthy_24h_samples {d['samples']} samples")
print(f"BENCH pipeline_healthy_24h_wall {d['wall_s']:.2f} s")
print(f"BENCH pipeline_healthy_24h_rate {d['avg_samples_per_s']} samples/s")
print(f"BENCH pipeline_healthy_24h_alarms {d['alarms_raised']} alarms")
print(f"BENCH pipeline_healthy_24h_queue_drops {d['queue_drops']} samples")
PY
