#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Every man page renders without groff warnings, every subcommand the
# CLI lists has one and answers --help with exit 0, and every option
# tapdisk-activated and its request client list in --help is in
# tapdisk-activated(8).
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
daemon=${XH_DAEMON:-$top/build/tapdisk-activated}
fail=0
command -v groff >/dev/null || { echo "skip: groff not installed"; exit 77; }
for page in "$top"/man/*.[0-9]; do
	out=$(groff -t -man -ww -Tutf8 "$page" 2>&1 >/dev/null)
	if [ -n "$out" ]; then
		echo "$(basename "$page"): $out"
		fail=1
	fi
done
[ -x "$tool" ] || { echo "$tool not built"; exit 1; }
cmds=$("$tool" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "no commands listed by --help"; exit 1; }
for c in $cmds; do
	[ -f "$top/man/tapdisk-activate-$c.8" ] || {
		echo "no man page for '$c'"
		fail=1
	}
	"$tool" "$c" --help >/dev/null 2>&1 || {
		echo "'$c --help' failed"
		fail=1
	}
done
[ -x "$daemon" ] || { echo "$daemon not built"; exit 1; }
dman=$top/man/tapdisk-activated.8
for help in "" request; do
	# shellcheck disable=SC2086
	opts=$("$daemon" $help --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
	[ -n "$opts" ] || { echo "tapdisk-activated $help --help lists no options"; fail=1; }
	for o in $opts; do
		grep -q -- "$(sed 's/-/\\\\-/g' <<<"$o")" "$dman" || {
			echo "tapdisk-activated $help: $o is not in man/tapdisk-activated.8"
			fail=1
		}
	done
done
grep -q '^\.B tapdisk-activated request' "$dman" ||
	{ echo "man/tapdisk-activated.8 has no request synopsis"; fail=1; }
exit $fail
