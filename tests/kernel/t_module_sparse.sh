#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sparse (C=2: every file is checked) finds nothing in the module, built
# against each Debian kernel series installed (6.1, 6.12).
. "$(dirname "$0")/lib.sh"

xh_check_more() {	# KDIR TREE
	local checked nsrc

	checked=$(grep -c '^  CHECK ' "$XH_BUILD_LOG")
	nsrc=$(ls "$XH_MODDIR"/*.c | grep -vc -e '_test\.c$' -e '/kunit_sim\.c$' -e '\.mod\.c$')
	[ "$checked" -ge "$nsrc" ] ||
		xh_fail "sparse checked $checked files for $(xh_krel "$1"), expected $nsrc"
}

xh_checked_build sparse C=2 sparse
exit 0
