#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The console over a real SSH session (Debian's openssh-server on 127.0.0.1, keys made here,
# `ssh -tt` in a tmux pane): it starts, keys work, and when the connection drops twintop ends
# promptly (SIGHUP) with its history flushed and the run closed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
fail() { echo "test_ssh: $*" >&2; exit 1; }
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] && command -v ssh > /dev/null && command -v ssh-keygen > /dev/null \
    || { echo "test_ssh: skipped (openssh-server, openssh-client)"; exit 77; }
tui_require test_ssh
sshd_pid=""
on_exit() { [ -z "$sshd_pid" ] || kill "$sshd_pid" 2>/dev/null || true; }

ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/user_key"
cp "$tmp/user_key.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"
[ "$(id -u)" != 0 ] || mkdir -p /run/sshd # privilege separation directory, as root only
port=$(broker_free_port)
cat > "$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $tmp/host_key
AuthorizedKeysFile $tmp/authorized_keys
PidFile $tmp/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AcceptEnv LANG LC_*
EOF
"$SSHD" -D -e -f "$tmp/sshd_config" 2> "$tmp/sshd.log" & sshd_pid=$!
for _ in $(seq 50); do
    ssh-keyscan -p "$port" 127.0.0.1 > /dev/null 2>&1 && break
    sleep 0.1
done
ssh_opts="-tt -i $tmp/user_key -p $port -o BatchMode=yes -o StrictHostKeyChecking=no"
ssh_opts="$ssh_opts -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
remote="cd $PWD && TERM=xterm-256color LANG=C.UTF-8 exec $BIN --scenario demo --speed 10"
remote="$remote --db $tmp/h.db --operator ssh-op --seed 1"
tui_start ssh 120 40 "ssh $ssh_opts 127.0.0.1 '$remote'; sleep 30"
tui_wait_for 'PUMP_001' 20 || fail "the console never came up over SSH: $(tui_screen; cat "$tmp/sshd.log")"
tui_keys 3
tui_wait_for 'Alarms|ALARMS|alarm list' 10 || fail "key 3 over SSH: $(tui_screen)"
tui_wait_for 'PUMP_001 vibration_mm_s' 30 || fail "no alarm in the demo over SSH: $(tui_screen)"
pid=$(pgrep -f -- "^$BIN --scenario demo --speed 10 --db $tmp/h.db" | head -n1) # exec'd by sshd's shell
[ -n "$pid" ] || fail "no twintop process behind the SSH session"
# Drop the connection the way a network does: the client dies without a word.
pkill -9 -f "^ssh $ssh_opts" || fail "no ssh client to kill"
start=$(date +%s%N)
# Ended: gone, or a zombie its parent (sshd) has not reaped yet.
while [ -e "/proc/$pid" ] && [ "$(awk '/^State/ {print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ]; do
    [ $(($(date +%s%N) - start)) -lt 2000000000 ] || fail "twintop still runs 2 s after the drop"
    sleep 0.05
done
ms=$((($(date +%s%N) - start) / 1000000))
ended=$(sqlite3 "$tmp/h.db" "SELECT ended_wall_ms IS NOT NULL, samples > 0 FROM runs ORDER BY id DESC LIMIT 1")
[ "$ended" = "1|1" ] || fail "the run was not closed with its samples: '$ended'"
rows=$(sqlite3 "$tmp/h.db" "SELECT count(*) FROM samples")
[ "$rows" -gt 0 ] || fail "no samples in the history"
echo "ok test_ssh: console over SSH, key 3, twintop ended ${ms} ms after the drop, $rows samples flushed"
