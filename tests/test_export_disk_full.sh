#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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
sock="twintop-disk-full-$$-$RANDOM"
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    tmux -L "$sock" kill-server 2>/dev/null
    sleep 0.2
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

# The console shows it as a banner and keeps running; q still exits cleanly.
if [ -e tui/screen.c ]; then
    # No slack left: the WAL truncated (a reset WAL would be reused in place), then every byte.
    sqlite3 "$mnt/h.db" "pragma wal_checkpoint(truncate)" > /dev/null 2>&1
    dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
    tmux -L "$sock" -f /dev/null new-session -d -s main -x 120 -y 30 \
        "env TERM=xterm-256color LANG=C.UTF-8 $BIN --scenario demo --speed 200 --db $mnt/h.db \
         --no-bell; echo \"EXIT \$?\" > $tmp/exit; sleep 60"
    seen=0
    for _ in $(seq 300); do
        tmux -L "$sock" capture-pane -p -t main | grep -q 'recording stopped: database or disk is full' \
            && { seen=1; break; }
        sleep 0.2
    done
    [ $seen = 1 ] || { tmux -L "$sock" capture-pane -p -t main | head -3 >&2; fail "no banner in the console"; }
    tmux -L "$sock" send-keys -t main q
    for _ in $(seq 50); do [ -f "$tmp/exit" ] && break; sleep 0.1; done
    grep -q "EXIT 0" "$tmp/exit" 2>/dev/null || fail "console exit after q: $(cat "$tmp/exit" 2>/dev/null)"
fi
echo "test_export_disk_full: ok"
