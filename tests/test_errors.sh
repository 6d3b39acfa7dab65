#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Errors that say what happened, and what twintop leaves readable: a corrupt file stops replay and
# export with exit 1 and SQLite's words; a recorder whose file cannot be opened exits 2; a file on a
# read-only file system is still read; export | head ends quietly; files are 0600 (--umask for
# group access); the broker password never reaches the notify hook.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_errors.sh: $*" >&2; exit 1; }
mnt=""
on_exit() { if [ -n "$mnt" ]; then umount "$mnt" 2>/dev/null || true; fi; }

# A recording whose notify hook writes its environment; the password is in ours.
cat > "$tmp/hook.sh" <<'HOOK'
#!/bin/sh
env > "$(dirname "$0")/env.$$"
HOOK
chmod 755 "$tmp/hook.sh"
TWINTOP_MQTT_PASSWORD=s3cret-pw "$BIN" --headless --scenario demo --speed max --duration 20m \
    --db "$tmp/h.db" --notify-cmd "$tmp/hook.sh" --status-interval 100000 > /dev/null \
    || fail "demo recording failed"
ls "$tmp"/env.* > /dev/null 2>&1 || fail "the hook never ran"
grep -l 's3cret-pw' "$tmp"/env.* && fail "the password reached the notify hook"
grep -q '^TWINTOP_ALARM_ID=' "$tmp"/env.* || fail "the hook's own variables are missing"

# Every file twintop creates is 0600; --umask 027 gives the group read access.
for f in "$tmp/h.db" "$tmp"/env.*; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f is $(stat -c %a "$f"), not 600"
done
"$BIN" export --db "$tmp/h.db" --out "$tmp/x.csv" 2> /dev/null || fail "export"
[ "$(stat -c %a "$tmp/x.csv")" = 600 ] || fail "export file is $(stat -c %a "$tmp/x.csv")"
"$BIN" --headless --scenario healthy --speed max --duration 1m --db "$tmp/g.db" --umask 027 \
    --status-interval 100000 > /dev/null || fail "--umask run"
[ "$(stat -c %a "$tmp/g.db")" = 640 ] || fail "--umask 027 gave $(stat -c %a "$tmp/g.db")"
set +e
"$BIN" --headless --umask 99 --duration 1 --no-db 2> "$tmp/err" > /dev/null; rc=$?
set -e
[ $rc = 2 ] && grep -q "octal" "$tmp/err" || fail "--umask 99 accepted ($rc): $(cat "$tmp/err")"

# export | head: the rows head wanted, no complaint, exit 0.
set +e
"$BIN" export --db "$tmp/h.db" 2> "$tmp/err" | head -n 3 > "$tmp/head.csv"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "export | head exited $rc: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "export | head complained: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/head.csv")" = 3 ] || fail "head got $(wc -l < "$tmp/head.csv") lines"

# A recorder whose file cannot be opened exits 2 and says why; --no-db runs without one.
touch "$tmp/plain"
set +e
"$BIN" --headless --duration 1 --db "$tmp/plain/h.db" 2> "$tmp/err" > /dev/null; rc=$?
set -e
[ $rc = 2 ] && grep -q "unable to open" "$tmp/err" || fail "unopenable db: exit $rc: $(cat "$tmp/err")"
"$BIN" --headless --duration 1 --no-db --db "$tmp/plain/h.db" > /dev/null || fail "--no-db"
set +e
"$BIN" --headless --duration 1 --db "file:$tmp/h.db?mode=ro" 2> "$tmp/err" > /dev/null; rc=$?
set -e
[ $rc = 2 ] && grep -q "read-only" "$tmp/err" || fail "read-only db: exit $rc: $(cat "$tmp/err")"

# Corrupted pages: replay and export stop with exit 1 and SQLite's error, not a short success.
"$BIN" --headless --scenario healthy --speed max --duration 2h --db "$tmp/big.db" \
    --status-interval 100000 > /dev/null || fail "2 h recording"
cp "$tmp/big.db" "$tmp/bad.db"
python3 - "$tmp/bad.db" <<'PY'
import os, sys
size = os.path.getsize(sys.argv[1])
with open(sys.argv[1], "r+b") as f:
    for off in range(size // 3, size // 3 + 120 * 4096, 3 * 4096):
        f.seek(off + 100)
        f.write(bytes((i * 37 + 11) % 256 for i in range(3000)))
PY
for cmd in "export --db $tmp/bad.db --all-runs --out $tmp/bad.csv" \
    "replay --db $tmp/bad.db --headless --speed max --status-interval 100000"; do
    set +e
    $BIN $cmd > "$tmp/out" 2> "$tmp/err"; rc=$?
    set -e
    [ $rc = 1 ] && grep -q "malformed" "$tmp/err" \
        || fail "$cmd on a corrupt file: exit $rc: $(cat "$tmp/err")"
done
[ ! -e "$tmp/bad.csv" ] || fail "a half export was left under its name"

# A file on a read-only file system is read (immutable): needs a tmpfs mount (root).
mkdir "$tmp/ro"
if mount -t tmpfs -o size=200m tmpfs "$tmp/ro" 2> /dev/null; then
    mnt="$tmp/ro"
    cp "$tmp/big.db" "$tmp/ro/"
    # A recorder killed mid-run leaves a WAL: with its -shm it is read; without, refused (immutable
    # would miss what the WAL holds), never half read.
    "$BIN" --headless --speed max --scenario healthy --duration 24h --db "$tmp/k.db" \
        --status-interval 100000 > /dev/null & rp=$!
    sleep 1.5
    kill -9 $rp
    wait $rp 2> /dev/null || true
    [ -s "$tmp/k.db-wal" ] || fail "the killed recorder left no WAL"
    mkdir "$tmp/ro/shm" "$tmp/ro/noshm"
    cp "$tmp/k.db" "$tmp/k.db-wal" "$tmp/k.db-shm" "$tmp/ro/shm/"
    cp "$tmp/k.db" "$tmp/k.db-wal" "$tmp/ro/noshm/"
    mount -o remount,ro "$tmp/ro"
    want=$("$BIN" export --db "$tmp/k.db" --all-runs | wc -l)
    got=$("$BIN" export --db "$tmp/ro/shm/k.db" --all-runs | wc -l)
    [ "$got" = "$want" ] || fail "read-only WAL with -shm: $got of $want lines"
    set +e
    "$BIN" export --db "$tmp/ro/noshm/k.db" --all-runs > /dev/null 2> "$tmp/err"; rc=$?
    set -e
    [ $rc = 1 ] && grep -q "holds commits" "$tmp/err" || fail "WAL without -shm: exit $rc: $(cat "$tmp/err")"
    want=$("$BIN" export --db "$tmp/big.db" --all-runs | wc -l)
    got=$("$BIN" export --db "$tmp/ro/big.db" --all-runs | wc -l) || fail "export on a read-only fs"
    [ "$got" = "$want" ] || fail "read-only export: $got of $want lines"
    "$BIN" replay --db "$tmp/ro/big.db" --headless --speed max --status-interval 100000 \
        > "$tmp/rep.jsonl" || fail "replay on a read-only fs"
    tail -n1 "$tmp/rep.jsonl" | grep -q '"done":true' || fail "replay on a read-only fs not done"
else
    echo "test_errors.sh: no tmpfs mount here: the read-only file system case is not run"
fi
echo "test_errors.sh: ok"
