#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The migration, restart and SIGTERM sequences again with the ASan+UBSan
# build of tapdisk-activated (make SANITIZE=1): any sanitizer report or
# leak makes the daemon exit non-zero on SIGTERM, which those tests check,
# and every report in the daemon log (SIGKILLed instances included) fails
# them. It runs in the daemon area's side lane, beside the other daemon
# tests (each has its own xenstore, work dir and lease files).
# xh-lane: side
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
asan=${XH_BUILD:-$top/build}/asan/tapdisk-activated
[ -x "$asan" ] || { echo "skip: $asan not built (make SANITIZE=1)"; exit 77; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
for t in t_daemon_migrate.sh t_daemon_restart.sh t_daemon_term.sh \
	t_daemon_requests.sh; do
	XH_DAEMON=$asan "$top/tests/daemon/$t" >"${TMPDIR:-/tmp}/xh-asan-$t.log" 2>&1
	r=$?
	if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" \
		"${TMPDIR:-/tmp}/xh-asan-$t.log"; then
		r=1
	fi
	echo "$t under ASan: exit $r"
	# A failure stays a failure whatever the later ones do; the script
	# skips only if one skipped and none failed.
	case $r in
	0) ;;
	77) [ $rc -eq 0 ] && rc=77 ;;
	*) tail -n 30 "${TMPDIR:-/tmp}/xh-asan-$t.log"; rc=1 ;;
	esac
	rm -f "${TMPDIR:-/tmp}/xh-asan-$t.log"
done
exit $rc
