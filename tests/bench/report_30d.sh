#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `twintop report --period 30d` over a 30-day history: a short real recording gives the schema,
# machines and sensors; sqlite3 then extends it to 30 plant days at the recorder's own row rates
# (a status row per machine and minute, 1-min and 5-min rollups of every sensor, alarms and
# anomalies every few hours). Prints BENCH report_30d_seconds (wall, best of 3) and the file size.
set -eu
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/h.db"
"$BIN" --headless --db "$db" --speed max --duration 10m --scenario healthy --status-interval 5000 \
    > /dev/null 2>&1
sqlite3 "$db" > /dev/null <<'SQL'
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TEMP TABLE minutes(m INTEGER PRIMARY KEY);
WITH RECURSIVE t(m) AS (SELECT 0 UNION ALL SELECT m + 1 FROM t WHERE m < 30 * 1440 - 1)
INSERT INTO minutes SELECT m FROM t;
CREATE TEMP TABLE t0 AS SELECT min(ts_ms) / 60000 * 60000 - 30 * 86400000 AS ms FROM machine_status;
INSERT INTO machine_status(run, ts_ms, machine_id, state, health, rul_hours, anomaly)
SELECT 1, (SELECT ms FROM t0) + m * 60000, m2.machine_id,
       CASE WHEN (m + m2.id) % 97 = 0 THEN 'alarm' WHEN (m + m2.id) % 13 = 0 THEN 'idle'
            ELSE 'running' END, 100 - (m % 1440) / 100.0, NULL, 0.1
FROM minutes, machines m2;
INSERT OR IGNORE INTO rollup_data(win, sensor, bucket_start_ms, count, min, max, sum)
SELECT 0, s.id, (SELECT ms FROM t0) + m * 60000, 60, 1, 2, 90 FROM minutes, sensors s;
INSERT OR IGNORE INTO rollup_data(win, sensor, bucket_start_ms, count, min, max, sum)
SELECT 1, s.id, (SELECT ms FROM t0) + m * 60000, 300, 1, 2, 450 FROM minutes, sensors s
WHERE m % 5 = 0;
INSERT INTO alarm_events(ts_ms, machine_id, condition, change, state, priority, value, reason, run)
SELECT (SELECT ms FROM t0) + m * 60000, m2.machine_id, 'vibration_mm_s:hi', 'raise',
       'active_unacked', 'medium', 5, '', 1 FROM minutes, machines m2 WHERE (m + m2.id) % 240 = 0;
INSERT INTO anomalies(ts_ms, machine_id, sensor, detector, value, score, reason, run)
SELECT (SELECT ms FROM t0) + m * 60000, m2.machine_id, 'vibration_mm_s', 'zscore', 3, 0.9, '', 1
FROM minutes, machines m2 WHERE (m + m2.id) % 180 = 0;
COMMIT;
SQL
best=
for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$BIN" report --db "$db" --period 30d --format md > "$tmp/r.md"
    took=$(echo "$(date +%s.%N) - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$took < $best" | bc)" = 1 ]; then best=$took; fi
done
grep -q '^## PUMP_001' "$tmp/r.md" || { echo "report_30d: no PUMP_001 section" >&2; exit 1; }
printf 'BENCH report_30d_seconds %.2f s\n' "$best"
printf 'BENCH report_30d_db_size %d MB\n' "$(($(stat -c %s "$db") / 1048576))"
