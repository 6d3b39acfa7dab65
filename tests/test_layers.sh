#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Layers point one way: no #include cycle among core/ files, and no core/ file includes a tui/
# or simulator/ header.
set -u
cd "$(dirname "$0")/.."
python3 - <<'PY'
import glob, os, re, sys
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
core = {os.path.basename(f): f for f in glob.glob('core/*.[ch]')}
upper = {os.path.basename(f) for f in glob.glob('tui/*.h') + glob.glob('simulator/*.h')}
bad = 0
graph = {}
for name, path in sorted(core.items()):
    deps = inc.findall(open(path).read())
    for d in deps:
        if d in upper and d not in core:
            print(f'FAIL {path} includes {d}, a tui/ or simulator/ header'); bad = 1
    # a .c file and its own header are one module: the edge from a header to the other
    # headers counts, the .c's includes count from its header's node
    node = name[:-2] + '.h' if name.endswith('.c') else name
    graph.setdefault(node, set()).update(d for d in deps if d in core and d != node)
state = {}
def visit(n, stack):
    state[n] = 1
    for d in sorted(graph.get(n, ())):
        if state.get(d) == 1:
            cyc = stack[stack.index(d):] + [d]
            print('FAIL include cycle: ' + ' -> '.join(cyc)); return 1
        if not state.get(d) and visit(d, stack + [d]):
            return 1
    state[n] = 2
    return 0
for n in sorted(graph):
    if not state.get(n) and visit(n, [n]):
        bad = 1; break
print('test_layers: ok' if not bad else 'test_layers: FAILED')
sys.exit(bad)
PY
