#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Every exit code in exitcodes.h is documented with its number in
# tapdisk-activate(8), and the page documents no code that does not exist:
# automation relies on that table.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
hdr=$top/tools/tapdisk-activate/common/exitcodes.h
man=$top/man/tapdisk-activate.8
fail=0

codes=$(sed -n 's/^[[:space:]]*\(XH_EXIT_[A-Z_]*\) = \([0-9]*\),.*/\1 \2/p' "$hdr")
[ -n "$codes" ] || { echo "no codes parsed from $hdr"; exit 1; }
while read -r name num; do
	grep -qx "\.B $num $name" "$man" || {
		echo "$name = $num is not documented in man/tapdisk-activate.8"
		fail=1
	}
done <<<"$codes"
while read -r _ num name; do
	grep -q "^$name = $num," <<<"$(echo "$codes" | sed 's/ / = /;s/$/,/')" || {
		echo "man page documents $num $name, which exitcodes.h lacks"
		fail=1
	}
done < <(grep -E '^\.B [0-9]+ XH_EXIT_' "$man")
exit $fail
