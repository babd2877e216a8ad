#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sparse (C=2: every file is checked) finds nothing in the module.
. "$(dirname "$0")/lib.sh"

xh_checked_build sparse C=2 sparse
checked=$(grep -c '^  CHECK ' "$XH_BUILD_LOG")
nsrc=$(ls "$XH_MODDIR"/*.c | grep -vc -e '/kunit_test\.c$' -e '\.mod\.c$')
[ "$checked" -ge "$nsrc" ] || xh_fail "sparse checked $checked files, expected $nsrc"
exit 0
