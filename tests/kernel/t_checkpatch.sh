#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict from each Debian linux-source installed (6.1,
# 6.12) reports no error, warning or check on any source file of the
# module or its shared header (CamelCase of Xen's own XenbusState* names
# aside).
. "$(dirname "$0")/lib.sh"

command -v perl >/dev/null 2>&1 || xh_skip "perl not installed"
tarballs=$(xh_linux_tarballs) || xh_skip "no /usr/src/linux-source-*.tar.xz (scripts/install-deps.sh)"

files=()
for f in "$XH_MODDIR"/*.[ch] "$XH_TOP"/include/xen-handover/*.h; do
	case "$f" in *.mod.c) continue ;; esac
	files+=("$f")
done
[ ${#files[@]} -ge 8 ] || xh_fail "only ${#files[@]} source files found"
bad=0
for t in $tarballs; do
	src=$(xh_linux_src "$t") || xh_fail "cannot prepare a tree from $t"
	cp=$src/scripts/checkpatch.pl
	[ -x "$cp" ] || xh_fail "$cp missing"
	for f in "${files[@]}"; do
		# XenbusState* are Xen's public interface names (enum xenbus_state);
		# checkpatch cannot tell enum constants from local CamelCase.
		out=$(perl "$cp" --strict --no-tree --terse --no-summary --show-types -f "$f" 2>&1 |
			grep -v -E 'CHECK:CAMELCASE: Avoid CamelCase: <XenbusState[A-Za-z]+>$')
		if [ -n "$out" ]; then
			echo "$(basename "$t" .tar.xz): $out"
			bad=$((bad + 1))
		fi
	done
	echo "checkpatch --strict of $(basename "$t" .tar.xz): ${#files[@]} files checked"
done
[ $bad -eq 0 ] || xh_fail "$bad checkpatch complaints (file and kernel)"
exit 0
