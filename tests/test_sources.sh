#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The house rules a packager checks: every source file carries an SPDX licence line, and every
# .c file says what it is for in a comment right below it.
set -u
cd "$(dirname "$0")/.."
bad=0
for f in core/*.[ch] tui/*.[ch] simulator/*.[ch] tests/*.[ch] tests/bench/*.c tests/fuzz/*.[ch]; do
    [ -e "$f" ] || continue
    if [ "$(head -1 "$f")" != "// SPDX-License-Identifier: MIT" ]; then
        echo "FAIL $f: line 1 is not '// SPDX-License-Identifier: MIT'"; bad=1
    fi
    case "$f" in
    *.c) case "$(sed -n 2p "$f")" in
         "/*"*|"//"*) ;;
         *) echo "FAIL $f: line 2 is not a comment saying what the file is for"; bad=1 ;;
         esac ;;
    esac
done
for f in tests/*.sh tests/bench/*.sh tests/lib/*.bash .ci/run; do
    [ -e "$f" ] || continue
    head -3 "$f" | grep -q 'SPDX-License-Identifier: MIT' || { echo "FAIL $f: no SPDX line"; bad=1; }
done
[ -f LICENSE ] && grep -q "MIT License" LICENSE || { echo "FAIL LICENSE: missing or not MIT"; bad=1; }
[ $bad = 0 ] && echo "test_sources: ok"
exit $bad
