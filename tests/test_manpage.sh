#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages cannot drift: every long option of --help (and of export --help) and every key
# binding (the rows of tui/keymap.c and the keys that select a view in tui/view_*.c) appears in
# tui/twintop.1, every table and view of the history schema in tui/twintop.5; both pages render
# without warnings, and README.md stays short (the reference lives in the pages).
set -u
cd "$(dirname "$0")/.."
bin=${TWINTOP_BIN:-build/twintop}
page=tui/twintop.1
page5=tui/twintop.5
readme_max=40960
command -v groff >/dev/null || { echo "SKIP test_manpage: groff missing"; exit 77; }
bad=0
for p in "$page" "$page5"; do
    for dev in ascii utf8; do
        warnings=$(groff -ww -man -T"$dev" -z "$p" 2>&1)
        [ -z "$warnings" ] || { echo "FAIL $p: groff -T$dev warnings: $warnings"; bad=1; }
    done
    if command -v man >/dev/null; then
        warnings=$(MANWIDTH=80 man -l "$p" 2>&1 >/dev/null)
        [ -z "$warnings" ] || { echo "FAIL $p: man -l warnings: $warnings"; bad=1; }
    fi
done
text=$(groff -man -Tascii "$page" 2>/dev/null | col -bx)
for opt in $( { "$bin" --help; "$bin" export --help; } 2>&1 | grep -o -- '^  *--[a-z][a-z0-9-]*' | tr -d ' ' | sort -u); do
    grep -qF -- "$opt" <<<"$text" || { echo "FAIL $page: option $opt of --help is missing"; bad=1; }
done
n=0
while IFS= read -r label; do
    n=$((n + 1))
    grep -qF -- "$label" <<<"$text" || { echo "FAIL $page: key '$label' of the key table is missing"; bad=1; }
done < <(grep -ho '{{[^}]*}, "[^"]*"' tui/keymap.c tui/view_*.c | sed 's/.*, "\(.*\)"$/\1/; s/\\\\/\\/g')
[ "$n" -gt 30 ] || { echo "FAIL: read only $n key rows from tui/keymap.c and tui/view_*.c"; bad=1; }

# The schema's tables and views, from the statements that create them.
text5=$(groff -man -Tascii "$page5" 2>/dev/null | col -bx)
t=0
while IFS= read -r table; do
    t=$((t + 1))
    grep -qw -- "$table" <<<"$text5" || { echo "FAIL $page5: table '$table' of the schema is missing"; bad=1; }
done < <(grep -ho 'CREATE \(TABLE\|VIEW\) \(IF NOT EXISTS \)\?[a-z_0-9]*' core/store*.c core/alarm_store.c |
         awk '{print $NF}' | sort -u)
[ "$t" -ge 8 ] || { echo "FAIL: read only $t tables from core/store*.c and core/alarm_store.c"; bad=1; }

size=$(wc -c <README.md)
[ "$size" -le "$readme_max" ] || { echo "FAIL README.md: $size bytes, more than $readme_max (move reference text to the man pages)"; bad=1; }

[ $bad = 0 ] && echo "test_manpage: ok ($n key rows, $t schema tables, README $size bytes)"
exit $bad
