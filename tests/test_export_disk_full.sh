#!/usr/bin/env bash
# A full disk (a small tmpfs): the recorder keeps running with "recording stopped: database or
# disk is full", counts what it drops, resumes by itself when space comes back, exits cleanly on
# SIGTERM, and the file stays intact. Needs permission to mount a tmpfs (root); skips otherwise
# (test_store's max_page_count test covers the same path without it).
set -u
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
tmp=$(mktemp -d /tmp/twintop-disk-full-XXXXXX)
mnt="$tmp/disk"
mkdir -p "$mnt"
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    umount "$mnt" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test_export_disk_full: $*" >&2; tail -n2 "$tmp/run.jsonl" >&2; exit 1; }
if ! mount -t tmpfs -o size=3m tmpfs "$mnt" 2>/dev/null; then
    echo "SKIP test_export_disk_full: cannot mount a tmpfs here"
    exit 0
fi
dd if=/dev/zero of="$mnt/filler" bs=1k count=1536 2>/dev/null
"$BIN" --headless --scenario demo --speed 200 --db "$mnt/h.db" --status-interval 200 \
    > "$tmp/run.jsonl" 2> "$tmp/err" &
pid=$!
wait_line() { # regex, seconds
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        tail -n1 "$tmp/run.jsonl" 2>/dev/null | grep -Eq "$1" && return 0
        kill -0 "$pid" 2>/dev/null || fail "twintop died: $(cat "$tmp/err")"
        sleep 0.2
    done
    return 1
}
wait_line '"db":\{"recording":false,"reason":"database or disk is full"' 60 || fail "never stopped"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "twintop died on a full disk"
tail -n1 "$tmp/run.jsonl" | grep -Eq '"dropped":[1-9]' || fail "drops not counted"
rm "$mnt/filler"
wait_line '"db":\{"recording":true' 30 || fail "did not resume after space came back"
kill -TERM "$pid"
wait "$pid" || fail "exit status after SIGTERM"
pid=
tail -n1 "$tmp/run.jsonl" | grep -q '"final":true' || fail "no final line"
[ "$(sqlite3 "$mnt/h.db" 'pragma integrity_check')" = ok ] || fail "integrity"
[ "$(sqlite3 "$mnt/h.db" 'select count(*) > 0 from samples')" = 1 ] || fail "nothing kept"
echo "test_export_disk_full: ok"
