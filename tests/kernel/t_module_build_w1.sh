#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module builds against each Debian kernel series installed (6.1, 6.12)
# with W=1 and not a single warning, and the result is the loadable
# xen_blkfront_drain module for that kernel.
. "$(dirname "$0")/lib.sh"

xh_check_more() {	# KDIR TREE
	local ko=$2/drivers/block/xen-blkfront-drain/xen-blkfront-drain.ko krel p

	krel=$(xh_krel "$1")
	[ -f "$ko" ] || xh_fail "no $ko after the build for $krel"
	[ "$(modinfo -F name "$ko")" = xen_blkfront_drain ] ||
		xh_fail "$krel: module name is not xen_blkfront_drain"
	modinfo -F vermagic "$ko" | grep -q "^$krel " || xh_fail "vermagic does not match $krel"
	for p in drain_timeout_ms max_ring_page_order max_queues max_indirect_segments; do
		modinfo -F parm "$ko" | grep -q "^$p:" || xh_fail "$krel: module parameter $p missing"
	done
	modinfo -F alias "$ko" | grep -qx 'xen:vbd' || xh_fail "$krel: alias xen:vbd missing"
}

xh_checked_build "W=1" W=1 modinfo
exit 0
