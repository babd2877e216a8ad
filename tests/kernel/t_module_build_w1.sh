#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module builds against Debian's kernel headers with W=1 and not a
# single warning, and the result is the loadable xen_blkfront_drain module.
. "$(dirname "$0")/lib.sh"

kdir=$(xh_kdir) || xh_skip "no Debian linux-headers-*-amd64 (or \$KDIR) installed"
for t in gcc make modinfo; do
	command -v "$t" >/dev/null 2>&1 || xh_skip "$t not installed"
done
out=$(mktemp -d "${TMPDIR:-/tmp}/xh-kmod-w1.XXXXXX") || xh_fail "mktemp"
trap 'rm -rf "$out"' EXIT
export XH_BUILD_LOG=$out/build.log

xh_build_module "$kdir" "$out/tree" W=1 ||
	xh_fail "W=1 build failed: $(grep -m1 -E 'error|Error' "$XH_BUILD_LOG")"
if grep -qE 'warning:|error:' "$XH_BUILD_LOG"; then
	xh_fail "W=1 warning: $(grep -m1 -E 'warning:|error:' "$XH_BUILD_LOG")"
fi
ko=$out/tree/drivers/block/xen-blkfront-drain/xen-blkfront-drain.ko
[ -f "$ko" ] || xh_fail "no $ko after the build"
[ "$(modinfo -F name "$ko")" = xen_blkfront_drain ] || xh_fail "module name is not xen_blkfront_drain"
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")
modinfo -F vermagic "$ko" | grep -q "^$krel " || xh_fail "vermagic does not match $krel"
for p in drain_timeout_ms max_ring_page_order max_queues max_indirect_segments; do
	modinfo -F parm "$ko" | grep -q "^$p:" || xh_fail "module parameter $p missing"
done
modinfo -F alias "$ko" | grep -qx 'xen:vbd' || xh_fail "alias xen:vbd missing"
exit 0
