#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# twintop as a Sparkplug B edge node across a broker restart (real mosquitto, an independent
# Python watcher): every MQTT session has its own bdSeq (0, then 1), its NBIRTH says so, and the
# NDEATH will the broker sends after kill -9 carries the bdSeq of the session that died; a
# console attached as host shows the node online, then dead, in its header.
# (Sparkplug 3.0: bdSeq is incremented for every new MQTT CONNECT.)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TWINTOP_BIN:-build/twintop}
PY=/usr/bin/python3 # Debian's, where python3-protobuf and python3-paho-mqtt live
. tests/lib/common.bash
lib_init
tmp=$LIB_TMP
pids=()
on_exit() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
fail() { echo "test_sparkplug_session: $*" >&2; exit 1; }
$PY -c 'import google.protobuf, paho.mqtt' 2>/dev/null || { echo "test_sparkplug_session: skipped (python3-protobuf, python3-paho-mqtt)"; exit 77; }
wait_line() { # FILE LINE SECONDS
    for _ in $(seq $(($3 * 10))); do grep -qx "$2" "$1" && return 0; sleep 0.1; done
    return 1
}

protoc --proto_path=core --python_out="$tmp" core/sparkplug_b.proto
broker_start
$PY tests/test_sparkplug_session.py "$tmp" "$BROKER_PORT" g1 n1 > "$tmp/watch.out" 2>&1 & watch=$!; pids+=($watch)
wait_line "$tmp/watch.out" connected 10 || fail "watcher: $(cat "$tmp/watch.out")"
"$BIN" --headless --no-db --publish "$BROKER_URL" --publish-format sparkplug --sparkplug-group g1 \
    --sparkplug-node n1 --speed 1 --duration 3600 --scenario healthy --status-interval 250 \
    > "$tmp/edge.jsonl" 2> "$tmp/edge.err" & edge=$!; pids+=($edge)
wait_line "$tmp/watch.out" "NBIRTH 0" 20 || fail "first session: $(cat "$tmp/watch.out")"
# The broker goes away and comes back on the same port: a new session for both clients.
kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true
mosquitto -c "$BROKER_DIR/mosquitto.conf" 2>/dev/null & BROKER_PID=$!
wait_line "$tmp/watch.out" "NBIRTH 1" 40 || fail "second session: $(cat "$tmp/watch.out") $(tail -n1 "$tmp/edge.jsonl")"
# A console attached as host shows the node in its header: online, then dead after the will.
tui_require test_sparkplug_session
tui_start host 120 30 "env TERM=xterm-256color LANG=C.UTF-8 $BIN --no-db --no-bell --mqtt $BROKER_URL --topic 'spBv1.0/#' --stale-after 1m; sleep 30"
tmux_fail() { local m=$1; tui_dump host; fail "$m"; }
tui_wait_for 'spB nodes 1 online 0 dead' 40 host || tmux_fail "no Sparkplug node in the console header"
kill -9 $edge; wait $edge 2>/dev/null || true
tui_wait_for 'spB nodes 0 online 1 dead' 20 host || tmux_fail "the header did not show the node dead"
tui_stop host
wait_line "$tmp/watch.out" "NDEATH 1" 20 || fail "the will of the second session: $(cat "$tmp/watch.out")"
# Every NDEATH (mosquitto also sends the first session's will when it shuts down) names the
# session of the NBIRTH before it.
awk '$1 == "NBIRTH" { b = $2 } $1 == "NDEATH" && $2 != b { bad = 1 } END { exit bad }' "$tmp/watch.out" \
    || fail "an NDEATH of another session: $(cat "$tmp/watch.out")"
kill $watch 2>/dev/null; wait $watch 2>/dev/null || true
echo "test_sparkplug_session: ok"
