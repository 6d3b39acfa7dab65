#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `twintop report` against SQL over the same file: 8 plant hours of the faults scenario recorded,
# then the report's availability (per machine and plant, summing to 100 %) and alarm counts (by
# priority) are recomputed with sqlite3; Markdown names machines, actions and recommendations,
# CSV has a row per machine and the plant; bad periods, formats and machines are named.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "FAIL test_report: $*" >&2; exit 1; }

db="$tmp/r.db"
"$BIN" --headless --db "$db" --speed max --duration 8h --status-interval 5000 --scenario faults \
    > "$tmp/run.jsonl" 2> "$tmp/run.err" || fail "recording: $(cat "$tmp/run.err")"
"$BIN" report --db "$db" --period 24h --format json > "$tmp/r.json" 2> "$tmp/r.err" ||
    fail "report: $(cat "$tmp/r.err")"
python3 - "$tmp/r.json" "$db" <<'PY' || fail "report figures differ from SQL"
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
def iso_ms(s):
    import datetime
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)
lo, hi = iso_ms(r["period"]["from"]), iso_ms(r["period"]["to"])
assert len(r["machines"]) == 16, len(r["machines"])
states = ("running", "idle", "alarm", "stale", "out_of_service")
def check(avail, where, args):
    rows = dict(db.execute("SELECT state, count(*) FROM machine_status WHERE ts_ms >= ? AND ts_ms < ?"
                           + where + " GROUP BY 1", (lo, hi) + args))
    total = sum(rows.values())
    assert total > 0, where
    assert abs(sum(avail.values()) - 100.0) < 1e-6, avail
    for s in states:
        assert abs(avail[s] - 100.0 * rows.get(s, 0) / total) <= 0.1 + 1e-9, (where, s, avail, rows)
def alarms(al, where, args):
    for p in ("low", "medium", "high", "critical"):
        n = db.execute("SELECT count(*) FROM alarm_events WHERE change = 'raise' AND priority = ?"
                       " AND ts_ms >= ? AND ts_ms < ?" + where, (p, lo, hi) + args).fetchone()[0]
        assert al["by_priority"][p] == n, (where, p, al["by_priority"], n)
    assert al["total"] == sum(al["by_priority"].values())
check(r["plant"]["availability_pct"], "", ())
alarms(r["plant"]["alarms"], "", ())
for m in r["machines"]:
    check(m["availability_pct"], " AND machine_id = ?", (m["machine_id"],))
    alarms(m["alarms"], " AND machine_id = ?", (m["machine_id"],))
    n = db.execute("SELECT count(*) FROM anomalies WHERE machine_id = ? AND ts_ms >= ? AND ts_ms < ?",
                   (m["machine_id"], lo, hi)).fetchone()[0]
    assert m["anomalies"]["total"] == n, (m["machine_id"], n)
    for a in m["actions"]:
        for k in ("component", "action", "urgency", "first_recommended", "due"):
            assert k in a, (k, a)
assert r["plant"]["alarms"]["total"] > 0, "the faults scenario raised no alarm"
assert any(m["actions"] for m in r["machines"]), "no action recommended in 8 faulty hours"
assert r["recommendations"], "no recommendation"
print("plant availability", r["plant"]["availability_pct"], "alarms", r["plant"]["alarms"]["total"])
PY
"$BIN" report --db "$db" > "$tmp/r.md" || fail "markdown report failed"
grep -q '^# Maintenance report ' "$tmp/r.md" || fail "no Markdown title"
grep -q '^## Recommendations' "$tmp/r.md" || fail "no recommendations section"
grep -Eq '^1\. [A-Z]+[-_][0-9]+: .*(rose|fell|RUL).*; [a-z]+ the ' "$tmp/r.md" ||
    fail "no recommendation sentence with evidence: $(sed -n 1,8p "$tmp/r.md")"
grep -q '^## PUMP_001' "$tmp/r.md" || fail "no PUMP_001 section"
"$BIN" report --db "$db" --format csv > "$tmp/r.csv" || fail "csv report failed"
[ "$(wc -l < "$tmp/r.csv")" = 18 ] || fail "csv: expected a header, 16 machines and PLANT"
head -1 "$tmp/r.csv" | grep -q '^machine_id,running_pct,idle_pct,alarm_pct,' || fail "csv header"
tail -1 "$tmp/r.csv" | grep -q '^PLANT,' || fail "no PLANT row"
"$BIN" report --db "$db" --machine PUMP_001 --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [m["machine_id"] for m in r["machines"]] == ["PUMP_001"], r["machines"]
assert r["plant"]["machines"] == 1
' || fail "--machine PUMP_001"
from=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["period"]["from"][:10])' "$tmp/r.json")
"$BIN" report --db "$db" --period "$from..2100-01-01" --format csv > /dev/null || fail "FROM..TO"
expect_error() {
    local want=$1; shift
    if "$BIN" report --db "$db" "$@" > /dev/null 2> "$tmp/e"; then fail "$* succeeded"; fi
    grep -q -- "$want" "$tmp/e" || fail "$*: expected '$want', got '$(cat "$tmp/e")'"
}
expect_error "--period 3x: expected 24h, 7d" --period 3x
expect_error "--period 2026-12-05..2026-12-01: expected FROM..TO" --period 2026-12-05..2026-12-01
expect_error "--format xml: expected md, json or csv" --format xml
expect_error "--machine NOPE: no record of that machine" --machine NOPE
sqlite3 "$tmp/old.db" "CREATE TABLE x(a)"
if "$BIN" report --db "$tmp/old.db" 2> "$tmp/e"; then fail "a foreign file gave a report"; fi
grep -q "no maintenance record" "$tmp/e" || fail "foreign file: $(cat "$tmp/e")"
echo "ok test_report: figures match SQL; md, csv, --machine, FROM..TO, errors"
