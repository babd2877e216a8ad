#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The handover sequences tapdisk-activated drives for xl, against a real
# oxenstored and the real tapdisk-activate (backend none, raw image):
#  1. migration to localhost: the destination disk stays inactive while
#     the source is active; source suspended + frontend drained ->
#     released; destination connects -> activated with a newer version,
#     strictly after the release;
#  2. failed migration, version unchanged: a stock-frontend source is
#     released on suspend and reactivated when it resumes; the destination
#     that never ran is forgotten without ever activating;
#  3. failed migration after another host (host 2) activated meanwhile:
#     reactivation refused, disk fenced, REACTIVATE-REFUSED alert;
#  4. the daemon renews the lease it holds (lease with a 4 s expiry);
#  5. a lease lost (broken by host 2) is noticed at the next renewal: the
#     guest is paused, the disk fenced, LEASE-LOST raised;
# Renewals that hang or fail on the lease storage: t_daemon_fence.sh.
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"
xh_have_handover || xh_skip "needs tapdisk-activate activate/deactivate/reactivate"

xh_setup
xh_vdi vdi1 4
xh_start

# 1. localhost migration, domain 5 -> domain 7
xh_attach 5 51712 vdi1 running
xh_expect_state 10 vdi1 5 51712 active
v1=$(lease_field vdi1 version)
xh_attach 7 51712 vdi1 paused
sleep 1
att_is vdi1 7 51712 idle || xh_fail "destination left idle: $(att_state vdi1 7 51712)"
fe=/local/domain/5/device/vbd/51712
xenstore-write "$fe/feature-drain" 1 "$fe/drain-state" drained \
	"$fe/drain-inflight" 0 "$fe/drain-usecs" 1234
t0=$(date +%s%N)
xh_domain 5 suspended
xh_expect_state 10 vdi1 5 51712 released
t1=$(date +%s%N)
[ "$(lease_field vdi1 state)" = free ] || xh_fail "source did not release"
grep -q "frontend drained (in flight 0, 1234 us)" "$T/daemon.log" ||
	xh_fail "drain report not logged"
t2=$(date +%s%N)
xh_domain 7 running
xenstore-write /local/domain/7/device/vbd/51712/state 4
xh_expect_state 10 vdi1 7 51712 active
t3=$(date +%s%N)
xh_log "suspend -> released $(( (t1 - t0) / 1000000 )) ms (drained frontend," \
	"no blkback counters); connect -> active $(( (t3 - t2) / 1000000 )) ms"
v2=$(lease_field vdi1 version)
[ "$v2" -gt "$v1" ] || xh_fail "version did not move ($v1 -> $v2)"
rel=$(grep -n "domain 5 disk 51712: deactivating -> released" "$T/daemon.log" | cut -d: -f1)
act=$(grep -n "domain 7 disk 51712: idle -> activating" "$T/daemon.log" | cut -d: -f1)
[ -n "$rel" ] && [ -n "$act" ] && [ "$rel" -lt "$act" ] ||
	xh_fail "destination activated before the source released"
xh_destroy 5
xh_wait 5 eval '! xenstore-exists /vdi-handover/vdi1/att/5-51712' ||
	xh_fail "source record not forgotten"

# 2. failed migration of domain 7 (stock frontend), destination 8 never runs
xh_attach 8 51712 vdi1 paused
xh_domain 7 suspended
xh_expect_state 10 vdi1 7 51712 released
grep -q "domain 7 disk 51712 suspended: frontend without drain" "$T/daemon.log" ||
	xh_fail "stock frontend not recognised"
v3=$(lease_field vdi1 version)
xh_domain 7 running		# libxl_domain_resume: the source goes on
xh_expect_state 10 vdi1 7 51712 active
xenstore-exists /vdi-handover/vdi1/alert && xh_fail "alert on a clean resume"
xh_destroy 8
xh_wait 5 eval '! xenstore-exists /vdi-handover/vdi1/att/8-51712' ||
	xh_fail "failed destination not forgotten"
grep -q "domain 8 disk 51712: idle -> activating" "$T/daemon.log" &&
	xh_fail "destination activated although it never ran"
[ "$(lease_field vdi1 version)" -gt "$v3" ] || xh_fail "reactivate kept $v3"

# 3. failed migration after host 2 activated the VDI meanwhile
xh_domain 7 suspended
xh_expect_state 10 vdi1 7 51712 released
"$XH_TOOL" activate "$T/vdi1.img" --host-id 2 --backend none --format raw \
	--wait 3 >"$T/h2.out" 2>&1 || xh_fail "host 2 activate: $(cat "$T/h2.out")"
"$XH_TOOL" deactivate "$T/vdi1.img" --host-id 2 --backend none \
	--format raw >>"$T/h2.out" 2>&1 || xh_fail "host 2 deactivate"
xh_domain 7 running
xh_expect_state 10 vdi1 7 51712 fenced
xenstore-read /vdi-handover/vdi1/alert | grep -q "^REACTIVATE-REFUSED: " ||
	xh_fail "no REACTIVATE-REFUSED alert"
grep -q "ALERT: VDI vdi1 (domain 7 disk 51712): REACTIVATE-REFUSED" \
	"$T/daemon.log" || xh_fail "alert not logged"
[ "$(lease_field vdi1 state)" = free ] || xh_fail "fenced disk holds the lease"
sleep 1.5
att_is vdi1 7 51712 fenced || xh_fail "fenced disk moved on by itself"
xh_destroy 7
xh_wait 5 eval '! xenstore-exists /vdi-handover/vdi1/att/7-51712' ||
	xh_fail "fenced record not forgotten after destroy"

# 4. renewal of a lease with a 4 s expiry
xh_attach 9 768 vdi1 running
xh_expect_state 10 vdi1 9 768 active
r0=$(lease_field vdi1 renewals)
sleep 3.5
r1=$(lease_field vdi1 renewals)
[ "${r1:-0}" -gt "${r0:-0}" ] || xh_fail "no renewal in 3.5 s ($r0 -> $r1)"
sleep 3
[ "$(lease_field vdi1 state)" = held ] || xh_fail "lease expired while active"
[ "$(lease_field vdi1 owner_host_id)" = 1 ] || xh_fail "lease owner changed"
xh_destroy 9
xh_wait 10 eval '! xenstore-exists /vdi-handover/vdi1/att/9-768' ||
	xh_fail "disk 9/768 not released on destroy"
[ "$(lease_field vdi1 state)" = free ] || xh_fail "lease held after destroy"

# 5. lease lost (an operator broke it from host 2): the guest is paused
xh_attach 10 768 vdi1 running
xh_expect_state 10 vdi1 10 768 active
"$XH_TOOL" lease break "$T/vdi1.img.lease" --force --host-id 2 >/dev/null ||
	xh_fail "lease break"
xh_expect_state 5 vdi1 10 768 fenced
xs_is "$DOMS/10" paused || xh_fail "guest not paused after LEASE-LOST"
xenstore-read /vdi-handover/vdi1/alert | grep -q "^LEASE-LOST: .*Domain paused" ||
	xh_fail "no LEASE-LOST alert"
xh_destroy 10

xh_stop
exit 0
