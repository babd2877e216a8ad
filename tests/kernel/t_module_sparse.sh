#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sparse (C=2: every file is checked) finds nothing in the module.
. "$(dirname "$0")/lib.sh"

kdir=$(xh_kdir) || xh_skip "no Debian linux-headers-*-amd64 (or \$KDIR) installed"
for t in gcc make sparse; do
	command -v "$t" >/dev/null 2>&1 || xh_skip "$t not installed"
done
out=$(mktemp -d "${TMPDIR:-/tmp}/xh-kmod-sparse.XXXXXX") || xh_fail "mktemp"
trap 'rm -rf "$out"' EXIT
export XH_BUILD_LOG=$out/build.log

xh_build_module "$kdir" "$out/tree" C=2 ||
	xh_fail "build with sparse failed: $(grep -m1 -E 'error|Error' "$XH_BUILD_LOG")"
checked=$(grep -c '^  CHECK ' "$XH_BUILD_LOG")
nsrc=$(ls "$XH_MODDIR"/*.c | grep -vc -e '/kunit_test\.c$' -e '\.mod\.c$')
[ "$checked" -ge "$nsrc" ] || xh_fail "sparse checked $checked files, expected $nsrc"
if grep -qE 'warning:|error:' "$XH_BUILD_LOG"; then
	xh_fail "sparse: $(grep -m1 -E 'warning:|error:' "$XH_BUILD_LOG")"
fi
exit 0
