#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man page cannot drift: every long option of --help (and of export --help) and every key
# binding (the rows of tui/keymap.c and the keys that select a view in tui/view_*.c) appears in
# tui/twintop.1, and the page renders without warnings.
set -u
cd "$(dirname "$0")/.."
bin=${TWINTOP_BIN:-build/twintop}
page=tui/twintop.1
command -v groff >/dev/null || { echo "SKIP test_manpage: groff missing"; exit 77; }
warnings=$(groff -ww -man -Tascii "$page" 2>&1 >/dev/null)
[ -z "$warnings" ] || { echo "FAIL $page: groff warnings: $warnings"; exit 1; }
text=$(groff -man -Tascii "$page" 2>/dev/null | col -bx)
bad=0
for opt in $( { "$bin" --help; "$bin" export --help; } 2>&1 | grep -o -- '^  *--[a-z][a-z0-9-]*' | tr -d ' ' | sort -u); do
    grep -qF -- "$opt" <<<"$text" || { echo "FAIL $page: option $opt of --help is missing"; bad=1; }
done
n=0
while IFS= read -r label; do
    n=$((n + 1))
    grep -qF -- "$label" <<<"$text" || { echo "FAIL $page: key '$label' of the key table is missing"; bad=1; }
done < <(grep -ho '{{[^}]*}, "[^"]*"' tui/keymap.c tui/view_*.c | sed 's/.*, "\(.*\)"$/\1/')
[ "$n" -gt 30 ] || { echo "FAIL: read only $n key rows from tui/keymap.c and tui/view_*.c"; bad=1; }
[ $bad = 0 ] && echo "test_manpage: ok ($n key rows)"
exit $bad
