#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Self-fencing by tapdisk-activated when lease storage hangs or fails,
# against a real oxenstored (backend none, raw images, leases with T =
# 12 s: owner validity 9 s, renewals every 3 s). Storage faults come from
# an LD_PRELOAD shim (io_fault_shim.c) on chosen files only; the watchdog
# is a plain file (one byte per feed, 'V' on disarm), timeout 1 s.
#  1. SIGKILL and restart with two VDIs active: the new instance takes the
#     deadlines over from xenstore and keeps renewing; nothing is fenced.
#  2. vdi1's lease storage hangs, also across a restart (recovery's lease
#     status read is bounded): vdi1 is fenced (guest paused, backend
#     stopped and confirmed, LEASE-LOST) before its deadline, while vdi2
#     keeps renewing and a request on vdi2 is answered during the hang;
#     the watchdog stays fed (the fence is confirmed); host 2, waiting
#     for the lease meanwhile, gets it only after the fence.
#  3. vdi2's lease fails with EIO and its image hangs, so the fence cannot
#     be confirmed: the watchdog is last fed at least its timeout + 1 s
#     before the lease's deadline, and never after.
#  4. SIGTERM while leases are held (a renewal hung): the daemon stops in
#     bounded time and leaves the watchdog armed; with nothing held it
#     disarms it ('V').
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"
[ -n "${XH_TRACE:-}" ] && set -x
xh_have_handover || xh_skip "needs tapdisk-activate activate/deactivate/reactivate"

shim=$XH_BUILD/tests/daemon/io_fault_shim.so
src=$XH_TOP/tests/daemon/io_fault_shim.c
map=${src%.c}.map
if [ ! -e "$shim" ] || [ "$src" -nt "$shim" ] || [ "$map" -nt "$shim" ]; then
	mkdir -p "$(dirname "$shim")"
	${CC:-gcc} -O2 -Wall -Wextra -Werror -shared -fPIC \
		-Wl,--version-script="$map" -o "$shim.tmp" "$src" -ldl ||
		xh_fail "cannot build the I/O fault shim"
	mv "$shim.tmp" "$shim"
fi
: >"$T/faults"
: >"$T/watchdog"
xh_setup "watchdog = $T/watchdog" "watchdog-timeout = 1"
xh_vdi vdi1 12
xh_vdi vdi2 12
start() { LD_PRELOAD=$shim XH_IO_FAULTS=$T/faults xh_start; }
uptime_ns() {	# CLOCK_BOOTTIME, the daemon's owner clock (10 ms steps)
	local up _
	read -r up _ </proc/uptime
	up=${up/./}
	echo $(( 10#$up * 10000000 ))
}
valid_until() { xenstore-read "/vdi-handover/$1/att/$2-$3/valid-until"; }
wd_size() { stat -c %s "$T/watchdog"; }
renewals_grow() {	# renewals_grow VDI SECONDS
	local r0
	r0=$(lease_field "$1" renewals)
	xh_wait "$2" eval '[ "$(lease_field '"$1"' renewals)" -gt "${r0:-0}" ]'
}
start

xh_attach 5 768 vdi1 running
xh_attach 6 768 vdi2 running
xh_expect_state 10 vdi1 5 768 active
xh_expect_state 10 vdi2 6 768 active
renewals_grow vdi1 5 || xh_fail "vdi1 not renewed"
[ "$(wd_size)" -gt 1 ] || xh_fail "watchdog not fed"

# 1. SIGKILL, restart: deadlines handed over through xenstore
xh_kill9
start
xh_expect_state 5 vdi1 5 768 active
renewals_grow vdi1 5 || xh_fail "vdi1 not renewed after restart"
renewals_grow vdi2 5 || xh_fail "vdi2 not renewed after restart"
! grep -q "LEASE-LOST" "$T/daemon.log" || xh_fail "fenced across a restart"

# 2. vdi1's lease storage hangs, and the daemon restarts into the hang:
# recovery's status read is abandoned after its bound, the deadline comes
# from xenstore
echo "hang $T/vdi1.img.lease" >>"$T/faults"
xh_kill9
start
xh_wait 5 grep -q "vdi1 did not answer a status read within 2000 ms" "$T/daemon.log" ||
	xh_fail "no bounded status read at recovery"
# Host 2 waits to take vdi1 over (the test shell's I/O is not faulted).
"$XH_TOOL" lease acquire "$T/vdi1.img.lease" --host-id 2 --wait 30 \
	>"$T/host2.out" 2>&1 &
h2=$!
xh_wait 12 att_is vdi1 5 768 fenced || xh_fail "vdi1 not fenced: $(att_state vdi1 5 768)"
now=$(uptime_ns)
wait "$h2" || xh_fail "host 2 did not take vdi1 over: $(cat "$T/host2.out")"
taken=$(uptime_ns)
xh_log "vdi1 fenced $(( (taken - now) / 1000000 )) ms before host 2 held its lease"
[ "$now" -lt "$taken" ] || xh_fail "host 2 took vdi1 over before it was fenced"
d1=$(valid_until vdi1 5 768)
[ "$now" -lt "$d1" ] || xh_fail "fenced $(( (now - d1) / 1000000 )) ms after the deadline"
xs_is "$DOMS/5" paused || xh_fail "vdi1's guest not paused"
xenstore-read /vdi-handover/vdi1/alert |
	grep -q "^LEASE-LOST: no renewal succeeded before the lease's deadline: one has waited for its lease I/O.*Domain paused" ||
	xh_fail "no LEASE-LOST alert for the hung lease: $(xenstore-read /vdi-handover/vdi1/alert)"
r=$(xh_request vdi2 "status" 5)
case "$r" in *" ok") ;; *) xh_fail "vdi2 request during the hang: $r" ;; esac
renewals_grow vdi2 5 || xh_fail "vdi2 not renewed while vdi1's lease hangs"
xh_wait 5 grep -q "VDI vdi1 domain 5 disk 768: fenced: the backend's writes are stopped" \
	"$T/daemon.log" || xh_fail "vdi1's fence not confirmed"
s0=$(wd_size)
[ "$(uptime_ns)" -gt "$d1" ] || xh_fail "host 2 held vdi1's lease before its deadline"
sleep 2
[ "$(wd_size)" -gt "$s0" ] || xh_fail "watchdog starved although the fence was confirmed"
! grep -q "no longer fed" "$T/daemon.log" || xh_fail "watchdog starved for a confirmed fence"

# 3. vdi2's lease fails and its image hangs: the fence cannot be confirmed
printf 'fail %s\nhang %s\n' "$T/vdi2.img.lease" "$T/vdi2.img" >>"$T/faults"
last=0 size=$(wd_size)
end=$(( $(uptime_ns) + 20000000000 ))
while [ "$(uptime_ns)" -lt "$end" ] && ! att_is vdi2 6 768 fenced; do sleep 0.05; done
att_is vdi2 6 768 fenced || xh_fail "vdi2 not fenced"
d2=$(valid_until vdi2 6 768)
while [ "$(uptime_ns)" -lt $(( d2 + 1000000000 )) ]; do
	s=$(wd_size)
	if [ "$s" != "$size" ]; then size=$s last=$(uptime_ns); fi
	sleep 0.02
done
[ "$last" -gt 0 ] || xh_fail "watchdog not fed at all in case 3"
margin=$(( (d2 - last) / 1000000 ))
xh_log "last feed $margin ms before vdi2's deadline (needs >= 1900: 1 s timeout + 1 s slack - 100 ms polling)"
[ "$margin" -ge 1900 ] || xh_fail "watchdog fed $margin ms before the deadline"
grep -q "watchdog $T/watchdog no longer fed: VDI vdi2" "$T/daemon.log" ||
	xh_fail "no log of the starved watchdog"
xenstore-read /vdi-handover/vdi2/alert | grep -q "not confirmed.*watchdog resets" ||
	xh_fail "no alert for the unconfirmed fence: $(xenstore-read /vdi-handover/vdi2/alert)"

# 4. SIGTERM while held (vdi2 unconfirmed, vdi1's renewal thread hung)
t0=$(date +%s)
xh_stop
[ $(( $(date +%s) - t0 )) -le 10 ] || xh_fail "SIGTERM took $(( $(date +%s) - t0 )) s"
[ "$(tail -c 1 "$T/watchdog")" != V ] || xh_fail "watchdog disarmed while leases are held"
grep -q "left armed" "$T/daemon.log" || xh_fail "no warning about the armed watchdog"
: >"$T/faults"
xh_destroy 5
xh_destroy 6
start
xh_wait 10 eval '! xenstore-exists /vdi-handover/vdi2/att/6-768' ||
	xh_fail "fenced records not forgotten"
xh_stop
[ "$(tail -c 1 "$T/watchdog")" = V ] || xh_fail "watchdog not disarmed with nothing held"
exit 0
