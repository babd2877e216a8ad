#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module builds against Debian's kernel headers with W=1 and not a
# single warning, and the result is the loadable xen_blkfront_drain module.
. "$(dirname "$0")/lib.sh"

xh_checked_build "W=1" W=1 modinfo
kdir=$XH_CHECK_KDIR
ko=$XH_CHECK_OUT/tree/drivers/block/xen-blkfront-drain/xen-blkfront-drain.ko
[ -f "$ko" ] || xh_fail "no $ko after the build"
[ "$(modinfo -F name "$ko")" = xen_blkfront_drain ] || xh_fail "module name is not xen_blkfront_drain"
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")
modinfo -F vermagic "$ko" | grep -q "^$krel " || xh_fail "vermagic does not match $krel"
for p in drain_timeout_ms max_ring_page_order max_queues max_indirect_segments; do
	modinfo -F parm "$ko" | grep -q "^$p:" || xh_fail "module parameter $p missing"
done
modinfo -F alias "$ko" | grep -qx 'xen:vbd' || xh_fail "alias xen:vbd missing"
exit 0
