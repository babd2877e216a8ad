#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# tapdisk-activated killed (SIGKILL) in the middle of a handover and
# started again recovers from its xenstore records and the lease; nothing
# is lost or done twice:
#  a. killed while draining a suspended source (backend still busy): after
#     the restart it still waits for the backend, then releases once;
#  b. killed while released: the resumed source is reactivated with the
#     recorded version (no false REACTIVATE-REFUSED);
#  c. killed while active: still active with the same lease version after
#     the restart, renewals go on;
#  d. domain destroyed while the daemon is down: the lease it still held
#     is released after the restart (orphan record adopted);
#  e. released by a direct deactivate while the daemon was down: the
#     record becomes released, no LEASE-LOST alarm.
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"
xh_have_handover || xh_skip "needs tapdisk-activate activate/deactivate/reactivate"

xh_setup "drain-wait = 30" "drain-quiet-ms = 2000"
xh_vdi vdi1 8
st=$T/stats/vbd-5-51712/statistics
mkdir -p "$st"
for f in rd_req wr_req f_req ds_req oo_req; do echo 0 >"$st/$f"; done

xh_start
xh_attach 5 51712 vdi1 running
xh_expect_state 10 vdi1 5 51712 active
v1=$(lease_field vdi1 version)

# a. busy backend while suspended, daemon killed while draining
( for i in $(seq 1 120); do echo "$i" >"$st/wr_req"; sleep 0.05; done ) &
busy=$!
xh_domain 5 suspended
xh_expect_state 5 vdi1 5 51712 draining
xh_kill9
[ "$(lease_field vdi1 state)" = held ] || xh_fail "released while busy"
xh_start
xh_wait 5 grep -q "recovered draining -> active" "$T/daemon.log" ||
	xh_fail "restart did not recover the draining record"
xh_expect_state 5 vdi1 5 51712 draining
att_is vdi1 5 51712 draining || xh_fail "not draining after restart"
[ "$(lease_field vdi1 state)" = held ] || xh_fail "released while busy (2)"
wait $busy
xh_expect_state 10 vdi1 5 51712 released
[ "$(lease_field vdi1 state)" = free ] || xh_fail "lease not released"
n=$(grep -c "disk 51712: running .* deactivate " "$T/daemon.log")
[ "$n" -eq 1 ] || xh_fail "deactivate ran $n times"

# b. killed while released; the source resumes while the daemon is down
xh_kill9
xh_domain 5 running
xh_start
xh_expect_state 10 vdi1 5 51712 active
xenstore-exists /vdi-handover/vdi1/alert && xh_fail "false alert after restart"
v2=$(lease_field vdi1 version)
[ "$v2" -gt "$v1" ] || xh_fail "reactivation did not move the version"

# c. killed while active
xh_kill9
xh_start
xh_wait 5 grep -q "disk 51712: recovered active -> active" "$T/daemon.log" ||
	xh_fail "active record not recovered"
r0=$(lease_field vdi1 renewals)
sleep 3
[ "$(lease_field vdi1 version)" = "$v2" ] || xh_fail "restart moved the version"
[ "$(lease_field vdi1 renewals)" -gt "${r0:-0}" ] || xh_fail "no renewal after restart"

# d. destroyed while the daemon is down
xh_kill9
xh_destroy 5
xh_start
xh_wait 10 eval '! xenstore-exists /vdi-handover/vdi1/att/5-51712' ||
	xh_fail "orphan record not finished: $(att_state vdi1 5 51712)"
[ "$(lease_field vdi1 state)" = free ] || xh_fail "orphan lease still held"

# e. released behind the daemon's back while it was down (block-handover's
#    fallback runs tapdisk-activate deactivate itself): no false alarm
xh_attach 5 768 vdi1 running
xh_expect_state 10 vdi1 5 768 active
xh_kill9
"$XH_TOOL" deactivate "$T/vdi1.img" --host-id 1 --backend none --format raw \
	>/dev/null 2>&1 || xh_fail "direct deactivate"
xh_start
xh_wait 5 grep -q "disk 768: recovered active -> released" "$T/daemon.log" ||
	xh_fail "not recovered as released: $(att_state vdi1 5 768)"
xenstore-exists /vdi-handover/vdi1/alert && xh_fail "false LEASE-LOST alert"
xh_destroy 5
xh_stop
exit 0
