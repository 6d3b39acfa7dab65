#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The console with 1,000 simulated machines in a real terminal (tmux, 120x40, --no-db, speed 1):
# time from start to the first frame that shows all 1,000 machines, then the bytes the program
# writes to the terminal per second (tmux pipe-pane) over BENCH_CONSOLE_S seconds (default 60)
# on the tile overview and as long on the fleet list (key 2). Prints BENCH lines.
# BENCH_CONSOLE_MACHINES sets another machine count (at least 16).
# The catalog: the demo plant's 16 machines repeated to 1,000, laid out over areas and lines;
# the demo scenario.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TWINTOP_BIN:-build/twintop}
SECS=${BENCH_CONSOLE_S:-60}
MACHINES=${BENCH_CONSOLE_MACHINES:-1000}
. tests/lib/common.bash
tui_require bench_console
lib_init
tmp=$LIB_TMP
fail() {
    echo "bench_console: $*" >&2
    tui_dump >&2
    exit 1
}

/usr/bin/python3 - data/machines.json "$MACHINES" > "$tmp/site.json" <<'PY'
import json, sys
cat = json.load(open(sys.argv[1]))
demo, n = cat["machines"], int(sys.argv[2])
# the first 16 keep the demo's ids, so the demo scenario's faults land on them
cat["machines"] = [{"id": m["id"] if i < len(demo) else
                    "%s_%04d" % (m["id"].split("_")[0].split("-")[0], i // len(demo) + 1),
                    "type": m["type"], "area": "%s %d" % (m["area"], i // 160 + 1), "line": m["line"]}
                   for i, m in ((i, demo[i % len(demo)]) for i in range(n))]
json.dump(cat, sys.stdout)
PY

# the pane writes the start time, then becomes twintop
tui_start main 120 40 "date +%s%N > '$tmp/start'; exec env TERM=xterm-256color LANG=C.UTF-8 $BIN --no-db --no-bell --seed 1 --catalog '$tmp/site.json'"
while ! tui_screen | grep -q "$MACHINES machines"; do
    [ -s "$tmp/start" ] && [ $(( ($(date +%s%N) - $(cat "$tmp/start")) / 1000000000 )) -gt 60 ] &&
        fail "no frame with $MACHINES machines within 60 s"
    sleep 0.02
done
first_ms=$(( ($(date +%s%N) - $(cat "$tmp/start")) / 1000000 ))
echo "BENCH console_${MACHINES}_first_frame_ms $first_ms ms"

# bytes_for NAME: what the program writes to the terminal in SECS seconds, as bytes per second
bytes_for() {
    : > "$tmp/$1.out"
    tui_tmux pipe-pane -o -t "$TUI_SESSION" "cat >> '$tmp/$1.out'"
    sleep "$SECS"
    tui_tmux pipe-pane -t "$TUI_SESSION"
    sleep 0.2
    echo "BENCH console_${MACHINES}_$1_bytes_per_s $(( $(stat -c %s "$tmp/$1.out") / SECS )) B/s"
}
sleep 2 # past the start-up burst: the steady state is what an SSH link carries
bytes_for overview
tui_keys 2
tui_wait_for "Fleet: $MACHINES of $MACHINES machines" 10 || fail "key 2 did not open the fleet list"
sleep 1
bytes_for fleet
tui_keys q
