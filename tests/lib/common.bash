# SPDX-License-Identifier: MIT
# Shared plumbing for the shell tests and benchmarks: a private mosquitto and tmux sessions.
# Source it (`. tests/lib/common.bash`) after `cd` to the repository root; it defines functions
# only and starts nothing. It lives under tests/lib/ so tests/run_all.sh does not run it.
# Every function is safe under `set -euo pipefail` and under plain `set -u`.
# lib_init gives a script its temporary folder and an EXIT trap that cleans up after it.

# --- set-up and clean-up ------------------------------------------------------------------

LIB_TMP=""

# lib_init: makes a private temporary folder, $LIB_TMP, and installs an EXIT trap (lib_cleanup)
# that runs the script's own `on_exit` function if it defines one, stops the tmux server and the
# broker this script started, and removes $LIB_TMP. The script's exit status is kept.
lib_init() {
    # the console shows the local zone: tests read a known one (a test may set its own)
    export TZ=UTC
    LIB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/twintop-$(basename "$0" .sh).XXXXXX")
    trap lib_cleanup EXIT
}

# lib_cleanup: the EXIT trap of lib_init; safe to run twice.
lib_cleanup() {
    if declare -F on_exit >/dev/null; then on_exit || true; fi
    tui_stop
    broker_stop
    if [ -n "$LIB_TMP" ]; then rm -rf "$LIB_TMP"; fi
}

# --- mosquitto ----------------------------------------------------------------------------

BROKER_PID=""
BROKER_DIR=""
BROKER_PORT=""
BROKER_URL=""

# broker_free_port: prints a loopback TCP port that is free now (the kernel picks it), so that
# tests running at the same time on this machine do not collide.
broker_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# broker_start [CONFIG_LINE...]: starts a private mosquitto on a free loopback port, with its
# own config (plus the given lines) in a mktemp folder, and waits until it takes a publish.
# Sets BROKER_PORT, BROKER_URL (mqtt://127.0.0.1:PORT) and BROKER_PID (a broker closed to
# anonymous clients is probed with $BROKER_PROBE_AUTH, "-u USER -P PASSWORD"). Returns 1 (with a message
# on stderr) when the broker does not listen within 10 s. Must not run in a subshell: the
# broker is this shell's child so that broker_stop can wait for it.
broker_start() {
    local line
    BROKER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/twintop-broker.XXXXXX")
    BROKER_PORT=$(broker_free_port)
    BROKER_URL="mqtt://127.0.0.1:$BROKER_PORT"
    {
        if [ "$(id -u)" = 0 ]; then echo "user root"; fi
        echo "listener $BROKER_PORT 127.0.0.1"
        echo "allow_anonymous true"
        for line in "$@"; do echo "$line"; done
        echo "log_dest none"
    } > "$BROKER_DIR/mosquitto.conf"
    mosquitto -c "$BROKER_DIR/mosquitto.conf" 2>/dev/null &
    BROKER_PID=$!
    for _ in $(seq 100); do
        # shellcheck disable=SC2086 # BROKER_PROBE_AUTH: "-u USER -P PASSWORD" for a closed broker
        mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" ${BROKER_PROBE_AUTH:-} -t probe -m x 2>/dev/null \
            && return 0
        sleep 0.1
    done
    echo "broker_start: mosquitto did not listen on port $BROKER_PORT" >&2
    return 1
}

# broker_stop: stops the broker started by broker_start (if any) and removes its folder.
# Safe to call twice and from an EXIT trap.
broker_stop() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    if [ -n "$BROKER_DIR" ]; then rm -rf "$BROKER_DIR"; fi
    BROKER_PID=""
    BROKER_DIR=""
}

# --- headless status lines ---------------------------------------------------------------

# status_wait_for FILE EXPR [SECONDS]: waits (default 60 s) until the headless JSON status
# output FILE has a line for which the Python expression EXPR holds, with the line parsed as
# `d`; returns 1 when time runs out. Lines that are not JSON yet (half written) are skipped.
status_wait_for() {
    python3 - "$1" "$2" "${3:-60}" <<'PY'
import json, sys, time
end = time.time() + float(sys.argv[3])
while time.time() < end:
    for line in open(sys.argv[1]):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if eval(sys.argv[2]):
            sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}

# --- tmux ---------------------------------------------------------------------------------

# One private tmux server per script (its own socket name, so parallel runs never meet).
TUI_SOCK="twintop-$(basename "$0" .sh)-$$-$RANDOM"
TUI_SESSION=main

# tui_tmux ARGS...: runs tmux against this script's private server.
tui_tmux() { tmux -L "$TUI_SOCK" "$@"; }

# tui_require NAME: exits with a message naming test NAME when tmux is missing or $BIN is not
# built; makes $BIN absolute (panes may run elsewhere).
tui_require() {
    command -v tmux >/dev/null || { echo "$1: tmux is missing"; exit 1; }
    [ -x "$BIN" ] || { echo "$1: $BIN not built"; exit 1; }
    BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
}

# tui_start NAME COLS ROWS CMD...: a detached session NAME of COLS x ROWS running the shell
# command CMD (words joined by spaces), in folder $TUI_CWD if set. NAME becomes the current
# session ($TUI_SESSION) for the other tui_ functions. Returns tmux's status.
tui_start() {
    local name=$1 cols=$2 rows=$3
    shift 3
    tui_tmux -f /dev/null new-session -d -s "$name" -x "$cols" -y "$rows" \
        -c "${TUI_CWD:-$PWD}" "$*" || return
    TUI_SESSION=$name
}

# tui_screen [-e] [SESSION]: prints the visible screen of SESSION (default: the current one);
# -e keeps the colour escape codes.
tui_screen() {
    local esc=()
    if [ "${1-}" = -e ]; then esc=(-e); shift; fi
    tui_tmux capture-pane -p "${esc[@]}" -t "${1:-$TUI_SESSION}" 2>/dev/null
}

# tui_wait_for PATTERN [SECONDS [SESSION]]: polls the screen until it shows the extended regex
# PATTERN; returns 1 after SECONDS (default $TUI_TIMEOUT, else 30) without it.
tui_wait_for() {
    local deadline=$((SECONDS + ${2:-${TUI_TIMEOUT:-30}}))
    while [ $SECONDS -lt $deadline ]; do
        tui_screen "${3:-$TUI_SESSION}" | grep -Eq -- "$1" && return 0
        sleep 0.2
    done
    return 1
}

# tui_keys [-t SESSION] KEYS...: tmux send-keys to SESSION (default: the current one).
tui_keys() {
    local target=$TUI_SESSION
    if [ "${1-}" = -t ]; then target=$2; shift 2; fi
    tui_tmux send-keys -t "$target" "$@"
}

# tui_dump [SESSION...]: prints the screens (default: the current one) framed, for failures.
tui_dump() {
    local s
    for s in "${@:-$TUI_SESSION}"; do
        echo "----- screen of session $s -----"
        tui_screen "$s"
        echo "--------------------------------------"
    done
}

# tui_stop: kills this script's tmux server and every session on it, and removes the socket
# file tmux leaves behind. Safe from an EXIT trap.
tui_stop() {
    tui_tmux kill-server 2>/dev/null || true
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCK"
}
