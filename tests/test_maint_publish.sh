#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 14's publication against a real mosquitto: 4 plant hours of the faults scenario,
# published; the broker then holds a retained dt/maintenance/<machine_id> plan (component,
# action, urgency, ISO-8601 times) and a retained dt/reports/daily/<date> report of the plant
# day so far (published once a plant hour and when the publisher stops), whose machines carry the report's fields.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_maint_publish: $*" >&2; exit 1; }

broker_start
port=$BROKER_PORT
"$BIN" --headless --db "$tmp/p.db" --publish "$BROKER_URL" --speed max --duration 4h \
    --status-interval 2000 --scenario faults > "$tmp/a.jsonl" 2> "$tmp/a.err" ||
    fail "publisher: $(cat "$tmp/a.err")"
tail -n1 "$tmp/a.jsonl" | python3 -c '
import json, sys
p = json.loads(sys.stdin.read())["publish"]
assert p["plans"] > 0 and p["daily_reports"] >= 1, p
' || fail "publisher counts: $(tail -n1 "$tmp/a.jsonl")"
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dt/maintenance/+' -v -W 2 > "$tmp/plans" 2>/dev/null || true
[ -s "$tmp/plans" ] || fail "no retained dt/maintenance/+ message"
python3 - "$tmp/plans" <<'PY' || fail "plan payloads: $(head -c 600 "$tmp/plans")"
import json, re, sys
seen = 0
for line in open(sys.argv[1]):
    topic, payload = line.split(" ", 1)
    plan = json.loads(payload)
    assert topic == "dt/maintenance/" + plan["machine_id"], topic
    for a in plan["actions"]:
        assert a["component"] and a["action"], a
        assert a["urgency"] in ("low", "medium", "high", "critical"), a
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", a["first_recommended"]), a
        seen += 1
assert seen > 0, "no action in any retained plan"
PY
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'dt/reports/daily/+' -v -W 2 > "$tmp/daily" 2>/dev/null || true
[ -s "$tmp/daily" ] || fail "no retained dt/reports/daily/+ message"
python3 - "$tmp/daily" <<'PY' || fail "daily report: $(head -c 600 "$tmp/daily")"
import json, sys
text = open(sys.argv[1]).read().splitlines()[-1]
topic, payload = text.split(" ", 1)
date = topic.rsplit("/", 1)[1]
r = json.loads(payload)
assert r["period"]["from"].startswith(date), (topic, r["period"])
assert len(r["machines"]) == 16, len(r["machines"])
for m in r["machines"]:
    for k in ("machine_id", "availability_pct", "alarms", "anomalies", "health_start",
              "health_end", "actions"):
        assert k in m, (k, m["machine_id"])
    assert abs(sum(m["availability_pct"].values()) - 100) < 0.01, m["availability_pct"]
PY
echo "ok test_maint_publish: $(wc -l < "$tmp/plans") retained plans, daily report $(cut -d' ' -f1 "$tmp/daily")"
