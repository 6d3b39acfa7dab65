#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Layers point one way: no #include cycle among core/ files nor among tui/ files, no core/ file
# includes a tui/ or simulator/ header, and of tui/ only main.c reaches a simulator/ header (the
# console asks the simulator through struct tui_player). The cycle check also runs on a copy of
# tui/ with a cycle put in, and must find it.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check.py [TUI_DIR]: the checks on core/, simulator/ and TUI_DIR (default tui/).
cat >"$tmp/check.py" <<'PY'
import glob, os, re, sys
tui_dir = sys.argv[1] if len(sys.argv) > 1 else 'tui'
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
def files(d):
    return {os.path.basename(f): f for f in glob.glob(d + '/*.[ch]')}
core, sim, tui = files('core'), files('simulator'), files(tui_dir)
includes = {}
def deps(path):
    if path not in includes:
        includes[path] = inc.findall(open(path).read())
    return includes[path]
bad = 0
upper = {n for n in list(tui) + list(sim) if n.endswith('.h')}
for name, path in sorted(core.items()):
    for d in deps(path):
        if d in upper and d not in core:
            print(f'FAIL {path} includes {d}, a tui/ or simulator/ header'); bad = 1

# A .c file and its own header are one module: the edges from a header count, and the .c's
# includes count from its header's node.
def cycle(layer):
    graph = {}
    for name, path in sorted(layer.items()):
        node = name[:-2] + '.h' if name.endswith('.c') else name
        graph.setdefault(node, set()).update(d for d in deps(path) if d in layer and d != node)
    state = {}
    def visit(n, stack):
        state[n] = 1
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if not state.get(d):
                found = visit(d, stack + [d])
                if found:
                    return found
        state[n] = 2
        return None
    for n in sorted(graph):
        if not state.get(n):
            found = visit(n, [n])
            if found:
                return found
    return None
for where, layer in (('core/', core), (tui_dir + '/', tui)):
    found = cycle(layer)
    if found:
        print(f'FAIL include cycle in {where}: ' + ' -> '.join(found)); bad = 1

# Every header a file reaches, through core/, simulator/ and tui/ headers.
known = {**core, **sim, **tui}
def reach(path, seen):
    for d in deps(path):
        if d in known and d not in seen:
            seen.add(d)
            reach(known[d], seen)
    return seen
for name, path in sorted(tui.items()):
    if name == 'main.c':
        continue
    reached = sorted(d for d in reach(path, set()) if d in sim and d.endswith('.h'))
    if reached:
        print(f'FAIL {path} reaches simulator/ header(s) {", ".join(reached)}'); bad = 1
sys.exit(bad)
PY

bad=0
python3 "$tmp/check.py" || bad=1

# The check itself, on a copy of tui/ with one more module: loop.c includes loop_user.h, which
# includes loop.h (a cycle only through the .c file, as screen.c and the views had).
mkdir "$tmp/tui"
cp tui/*.[ch] "$tmp/tui/"
printf '// SPDX-License-Identifier: MIT\n#include "loop_user.h"\n' >"$tmp/tui/loop.c"
printf '// SPDX-License-Identifier: MIT\n' >"$tmp/tui/loop.h"
printf '// SPDX-License-Identifier: MIT\n#include "loop.h"\n' >"$tmp/tui/loop_user.h"
out=$(python3 "$tmp/check.py" "$tmp/tui")
if ! grep -q 'FAIL include cycle in .*tui/: loop.h -> loop_user.h -> loop.h' <<<"$out"; then
    echo "FAIL test_layers: the cycle put into a copy of tui/ was not found: $out"
    bad=1
fi

[ $bad = 0 ] && echo 'test_layers: ok' || echo 'test_layers: FAILED'
exit $bad
