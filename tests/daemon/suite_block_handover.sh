#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The block-handover hotplug script against a real oxenstored, in libxl's
# calling convention (argv add|remove, XENBUS_PATH=backend/vbd/D/N,
# relative to dom0's home). One result line per case:
#   contract-*  error paths: hotplug-error + hotplug-status=error, nothing
#               left behind (no loop device, no physical-device)
#   remove-*    remove asks tapdisk-activated to deactivate the disk and
#               waits for the answer; a refusal keeps the device
#   config-*    the VDI file is read by tapdisk-activated --print-vdi for
#               the script and the daemon alike; no setting runs as code
#   fakedm-*    the dm steps against tests/daemon/fake-dm/dmsetup (kernels
#               without device-mapper): a failed add undoes itself, a
#               retried add replaces a stale device, remove of a device
#               still open defers its removal ("0 N error " table)
#   budget-*    remove ends inside libxl's 40 s with the daemon killed or
#               hung
#   tapdisk-*   backend = tapdisk against tests/daemon/fake-tapdisk (tap-ctl,
#               nbd-client stand-ins, a fake sysfs): the steps in order
#               (open running, NBD connect, then pause), and a failed add
#               disconnects the NBD device and destroys the tapdisk
#   dm-*        the real thing, when this kernel has device-mapper: the
#               device is created with an error table (nothing reads the
#               image), suspended, with the linear table staged; activation
#               through the daemon makes it live; remove deletes it
. "$(dirname "$0")/lib.sh"

if [ -z "${XH_XS_WORKDIR:-}" ]; then
	work=$(mktemp -d /var/tmp/xh-daemon-test.XXXXXX)
	"$XH_TOP/tests/daemon/xs-ns-run.sh" "$work" bash "$0" "$@"
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "SKIP block-handover: $(grep -m1 '^skip' "$work"/*.log 2>/dev/null || echo oxenstored unavailable)"
		rc=0
	fi
	if [ $rc -eq 0 ]; then
		rm -rf "$work"
	else
		echo "work dir kept: $work" >&2
	fi
	exit $rc
fi
T=$XH_XS_WORKDIR
SCRIPT=$XH_TOP/tools/hotplug/block-handover
failures=0
pass() { echo "PASS $1"; }
# A failure shows what the script and the daemon did just before it (the
# test command prints the tail of this suite's log).
fail() {
	echo "FAIL $1: $2"
	failures=$((failures + 1))
	{ echo "--- $1: hotplug log (tail)"; tail -n 15 "$T/hotplug.log"
	  echo "--- $1: daemon log (tail)"; tail -n 30 "$T/daemon.log"
	} 2>/dev/null | sed 's/^/    /' >&2
}
skip() { echo "SKIP $1: $2"; }
trap 'xh_cleanup' EXIT

xh_setup
xh_vdi vdi1
cat >"$T/block-handover.conf" <<CONF
daemon = $XH_DAEMON
daemon-config = $T/daemon.conf
remove-timeout = 5
CONF
export XH_BLOCK_HANDOVER_CONF=$T/block-handover.conf

hotplug() {	# hotplug add|remove DOMID DEVID
	XENBUS_PATH=backend/vbd/$2/$3 "$SCRIPT" "$1" >>"$T/hotplug.log" 2>&1
}
be() { xenstore-read "$BE/$1/$2/$3" 2>/dev/null; }
new_disk() {	# new_disk DOMID DEVID TARGET
	xenstore-rm "$BE/$1" 2>/dev/null
	xenstore-write "$BE/$1/$2/params" "$3" "$BE/$1/$2/mode" w \
		"$BE/$1/$2/frontend-id" "$1" "$BE/$1/$2/state" 2
}
expect_error() {	# expect_error NAME DOMID DEVID PATTERN
	local status err
	status=$(be "$2" "$3" hotplug-status)
	err=$(be "$2" "$3" hotplug-error)
	if [ "$status" != error ]; then
		fail "$1" "hotplug-status '$status'"
	elif [[ $err != *$4* ]]; then
		fail "$1" "hotplug-error '$err' lacks '$4'"
	elif xenstore-exists "$BE/$2/$3/physical-device"; then
		fail "$1" "physical-device written on failure"
	else
		pass "$1"
	fi
}

# Contract: hostile or wrong targets never reach the storage.
for target in "../../etc/passwd" "/dev/sda" "vdi1;reboot" '$(id)' ""; do
	new_disk 3 51712 "$target"
	hotplug add 3 51712
	expect_error "contract-target-$(printf '%s' "$target" | tr -c 'a-z0-9' _)" \
		3 51712 "not a VDI name"
done
new_disk 3 51712 nosuch
hotplug add 3 51712
expect_error contract-unknown-vdi 3 51712 "nosuch.conf"

if XENBUS_PATH=backend/vbd/3/../0 "$SCRIPT" add >/dev/null 2>&1; then
	fail contract-xenbus-path "accepted a path with .."
else
	pass contract-xenbus-path
fi
if "$SCRIPT" add >/dev/null 2>&1 || "$SCRIPT" >/dev/null 2>&1; then
	fail contract-usage "ran without XENBUS_PATH/command"
else
	pass contract-usage
fi

# Already added (libxl may call add twice): no change, success.
new_disk 3 51712 vdi1
xenstore-write "$BE/3/51712/physical-device" "fd:0"
if hotplug add 3 51712 && [ "$(be 3 51712 physical-device)" = fd:0 ] &&
   ! xenstore-exists "$BE/3/51712/hotplug-status"; then
	pass contract-add-twice
else
	fail contract-add-twice "second add changed the disk"
fi

# Without device-mapper the add fails cleanly and detaches its loop device.
# /proc/misc, not dmsetup: dmsetup creates /dev/mapper/control on the host.
dm_usable() { grep -qw device-mapper /proc/misc; }
sed 's/^backend = none/backend = dm/' "$T/vdi.d/vdi1.conf" >"$T/vdi.d/vdidm.conf"

# The daemon is not running: nothing would ever resume the staged device.
export XH_FAKE_DM_STATE=$T/fakedm
new_disk 3 51712 vdidm
XH_BLOCK_HANDOVER_FAKE_DM=$XH_TOP/tests/daemon/fake-dm hotplug add 3 51712
expect_error contract-add-daemon-down 3 51712 "tapdisk-activated is not running"
if [ -e "$XH_FAKE_DM_STATE/calls" ]; then
	fail contract-add-daemon-down-touches-nothing "dmsetup ran: $(head -n1 "$XH_FAKE_DM_STATE/calls")"
else
	pass contract-add-daemon-down-touches-nothing
fi

# One reading of the VDI file, by tapdisk-activated, for both.
printf 'image = %s\nformat = raw\nbackend = dm\nimage = /dev/null\n' "$T/vdi1.img" \
	>"$T/vdi.d/vdidup.conf"
new_disk 3 51712 vdidup
hotplug add 3 51712
expect_error config-image-twice 3 51712 "'image' given twice"
printf 'image = %s\nformat = vhd\n' "$T/vdi1.img" >"$T/vdi.d/vdivhd.conf"
new_disk 3 51712 vdivhd
hotplug add 3 51712
expect_error config-vhd-on-dm-refused 3 51712 "tapdisk:PID:MINOR"
printf 'image = %s\n' "$T/vdi1.img" >"$T/vdi.d/vdinofmt.conf"
if "$XH_DAEMON" --config "$T/daemon.conf" --print-vdi vdinofmt | grep -qx format=raw; then
	pass config-dm-defaults-raw
else
	fail config-dm-defaults-raw "$("$XH_DAEMON" --config "$T/daemon.conf" --print-vdi vdinofmt 2>&1 | tr '\n' ' ')"
fi

# No setting is evaluated: bash arithmetic on VAR[$(cmd)] runs cmd.
cp "$T/block-handover.conf" "$T/bh.good"
sed -i "s|^remove-timeout = .*|remove-timeout = PATH[\$(touch $T/pwned)]|" "$T/block-handover.conf"
new_disk 3 51712 vdidm
hotplug add 3 51712
expect_error config-bad-setting-refused-at-add 3 51712 "remove-timeout"
# remove goes on with the default (a disk must go): where the daemon's tree
# exists, the old script put the value through $(( )).
xenstore-write "$BE/3/51712/xh-dm" xh-vdidm-3-51712 "$BE/3/51712/xh-vdi" vdidm \
	/vdi-handover/placeholder 1
hotplug remove 3 51712
xenstore-rm /vdi-handover
if [ -e "$T/pwned" ]; then
	fail config-never-evaluated "remove-timeout ran a command"
else
	pass config-never-evaluated
fi
cp "$T/bh.good" "$T/block-handover.conf"

xh_start
if ! dm_usable; then
	new_disk 3 51712 vdidm
	hotplug add 3 51712
	expect_error contract-no-dm 3 51712 "device-mapper is not available"
	new_disk 3 51712 vdi1
	hotplug add 3 51712
	expect_error contract-dm-only 3 51712 "serves dm and tapdisk only"
	if losetup -j "$T/vdi1.img" | grep -q .; then
		fail contract-no-loop-leak "loop device left on the image"
		losetup -j "$T/vdi1.img" | cut -d: -f1 | xargs -r -n1 losetup -d
	else
		pass contract-no-loop-leak
	fi
fi

# backend = tapdisk: the steps against stand-ins. This host has no
# /dev/nbd0, so the add fails at the device number, after the pause: the
# undo must disconnect and destroy what it made, in that order.
printf 'image = %s\nbackend = tapdisk\n' "$T/vdi1.img" >"$T/vdi.d/vditap.conf"
if "$XH_DAEMON" --config "$T/daemon.conf" --print-vdi vditap | grep -qx backend=tapdisk &&
   "$XH_DAEMON" --config "$T/daemon.conf" --print-vdi vditap | grep -qx format=vhd; then
	pass config-tapdisk-defaults-vhd
else
	fail config-tapdisk-defaults-vhd "$("$XH_DAEMON" --config "$T/daemon.conf" --print-vdi vditap 2>&1 | tr '\n' ' ')"
fi
if command -v tap-ctl >/dev/null || [ -e /dev/nbd0 ] || ! command -v python3 >/dev/null ||
   [ ! -x "$XH_TOP/tests/daemon/fake-tapdisk/tap-ctl" ]; then
	why="tap-ctl or /dev/nbd0 here (the stand-ins would not be alone), or no python3 or stand-ins (fake-tapdisk/tap-ctl binds the NBD socket with python3)"
	for c in tapdisk-contract-no-tap-ctl tapdisk-add-steps tapdisk-add-undo tapdisk-add-undo-keys; do
		skip $c "$why"
	done
else
	new_disk 3 51712 vditap
	hotplug add 3 51712
	expect_error tapdisk-contract-no-tap-ctl 3 51712 "tap-ctl is not installed"
	mkdir -p "$T/tapsys/block/nbd0" "$T/tapsys/block/nbd1" "$T/taprun" "$T/tapstate"
	echo 512 >"$T/tapsys/block/nbd0/size"	# in use
	echo 0 >"$T/tapsys/block/nbd1/size"
	new_disk 3 51712 vditap
	XH_FAKE_TAP_STATE=$T/tapstate XH_BLOCK_HANDOVER_SYSFS=$T/tapsys \
	XH_BLOCK_HANDOVER_TAPDISK_DIR=$T/taprun XH_BLOCK_HANDOVER_NBD_LOCK=$T/nbd.lock \
		XH_BLOCK_HANDOVER_FAKE_DM=$XH_TOP/tests/daemon/fake-tapdisk hotplug add 3 51712
	want="tap-ctl spawn
tap-ctl allocate
tap-ctl attach -p 4242 -m 3
tap-ctl open -p 4242 -m 3 -a vhd:$T/vdi1.img
nbd-client -u $T/taprun/nbd4242.3 /dev/nbd1 -N xh-vditap
tap-ctl pause -p 4242 -m 3
nbd-client -d /dev/nbd1
tap-ctl destroy -p 4242 -m 3"
	got=$(cat "$T/tapstate/calls" 2>/dev/null)
	if [ "$got" = "$want" ]; then
		pass tapdisk-add-steps
	else
		fail tapdisk-add-steps "calls: $(echo "$got" | tr '\n' ';')"
	fi
	expect_error tapdisk-add-undo 3 51712 "device number of /dev/nbd1"
	if xenstore-exists "$BE/3/51712/xh-tapdisk" ||
	   [ "$(cat "$T/tapsys/block/nbd1/size")" != 0 ]; then
		fail tapdisk-add-undo-keys "xh-tapdisk left or nbd1 still connected"
	else
		pass tapdisk-add-undo-keys
	fi
fi

# The dm steps against the stand-in dmsetup (real loop devices).
fhotplug() { XH_BLOCK_HANDOVER_FAKE_DM=$XH_TOP/tests/daemon/fake-dm hotplug "$@"; }
fdm() { "$XH_TOP/tests/daemon/fake-dm/dmsetup" "$@"; }
loops_on() { losetup -j "$1" | cut -d: -f1; }
FD=$XH_FAKE_DM_STATE/dev/xh-vdidm-11-51712
rm -rf "$XH_FAKE_DM_STATE" && mkdir -p "$XH_FAKE_DM_STATE"
xh_domain 11 paused
new_disk 11 51712 vdidm
echo load >"$XH_FAKE_DM_STATE/fail"
fhotplug add 11 51712
rm -f "$XH_FAKE_DM_STATE/fail"
expect_error fakedm-failed-add-error 11 51712 "cannot stage the table"
if [ -e "$FD" ] || [ -n "$(loops_on "$T/vdi1.img")" ] ||
   xenstore-exists "$BE/11/51712/xh-dm"; then
	fail fakedm-failed-add-leaves-nothing "dm $(ls "$XH_FAKE_DM_STATE/dev" 2>/dev/null), loops $(loops_on "$T/vdi1.img")"
	loops_on "$T/vdi1.img" | xargs -r -n1 losetup -d
else
	pass fakedm-failed-add-leaves-nothing
fi
# An add killed after it staged the device leaves it (and its loop); the
# retried add, in the backend directory of the failed one, replaces both.
stale=$(losetup --find --show "$T/vdi1.img")
fdm create xh-vdidm-11-51712 --table "0 8192 error" &&
	fdm suspend xh-vdidm-11-51712 &&
	fdm load xh-vdidm-11-51712 --table "0 8192 linear $stale 0"
fhotplug add 11 51712
if [ "$(be 11 51712 hotplug-status)" = connected ] &&
   ! xenstore-exists "$BE/11/51712/hotplug-error" &&
   [ "$(loops_on "$T/vdi1.img" | wc -l)" = 1 ] &&
   [ "$(be 11 51712 xh-loop)" = "$(loops_on "$T/vdi1.img")" ] &&
   grep -q " linear " "$FD/inactive"; then
	pass fakedm-retried-add
else
	fail fakedm-retried-add "status $(be 11 51712 hotplug-status), error '$(be 11 51712 hotplug-error)', loops $(loops_on "$T/vdi1.img" | tr '\n' ' ')"
fi
# blkback still has the device open at remove: the error table goes live
# and the removal is deferred to the last close ("0 N error " table).
echo 1 >"$FD/open"
if fhotplug remove 11 51712 && [ -e "$FD/deferred" ] &&
   grep -q "^0 [0-9]* error $" "$FD/live" &&
   [ -z "$(loops_on "$T/vdi1.img")" ]; then
	pass fakedm-deferred-removal
else
	fail fakedm-deferred-removal "$(tail -n 2 "$T/hotplug.log" | tr '\n' ' ')"
fi
loops_on "$T/vdi1.img" | xargs -r -n1 losetup -d
xh_destroy 11

# remove: through the daemon.
xh_attach 4 768 vdi1 running
xh_expect_state 10 vdi1 4 768 active
if hotplug remove 4 768 && att_is vdi1 4 768 released &&
   [ "$(lease_field vdi1 state)" = free ]; then
	pass remove-deactivates-through-daemon
else
	fail remove-deactivates-through-daemon \
		"state $(att_state vdi1 4 768), lease $(lease_field vdi1 state)"
fi
# A disk the daemon says is already released: remove succeeds at once.
if hotplug remove 4 768; then
	pass remove-already-released
else
	fail remove-already-released "$(tail -n 2 "$T/hotplug.log")"
fi
xh_destroy 4

# xl save: the daemon is draining the suspended disk when remove comes;
# "busy" answers are asked again until the deactivation is done.
st=$T/stats/vbd-5-768/statistics
mkdir -p "$st"
for f in rd_req wr_req f_req ds_req oo_req; do echo 0 >"$st/$f"; done
xh_attach 5 768 vdi1 running
xh_expect_state 10 vdi1 5 768 active
( for i in $(seq 1 30); do echo "$i" >"$st/wr_req"; sleep 0.05; done ) &
busy=$!
xh_domain 5 suspended
xh_expect_state 5 vdi1 5 768 draining
if hotplug remove 5 768 && [ "$(lease_field vdi1 state)" = free ] &&
   grep -q "request .* error 42" "$T/daemon.log"; then
	pass remove-waits-for-busy-daemon
else
	fail remove-waits-for-busy-daemon "lease $(lease_field vdi1 state): $(tail -n 2 "$T/hotplug.log")"
fi
wait $busy
xh_destroy 5

# The guest crashed or powered off: the daemon releases the VDI and forgets
# the disk before xl destroy runs remove (on_crash=preserve: much later).
# The daemon no longer knows the disk; remove must still succeed.
xh_attach 9 768 vdi1 running
xh_expect_state 10 vdi1 9 768 active
xh_domain 9 shutdown
xh_wait 10 bash -c "! xenstore-exists /vdi-handover/vdi1/att/9-768" ||
	fail remove-after-shutdown "attachment not forgotten: $(att_state vdi1 9 768)"
if hotplug remove 9 768 && [ "$(lease_field vdi1 state)" = free ]; then
	pass remove-after-shutdown
else
	fail remove-after-shutdown "lease $(lease_field vdi1 state): $(tail -n 2 "$T/hotplug.log")"
fi
xh_destroy 9

# libxl kills the script after 40 s. The daemon killed (its pid file no
# longer locked): remove deactivates directly at once, with the default
# remove-timeout (the old script waited 45 s for an answer first).
sed -i '/^remove-timeout/d' "$T/block-handover.conf"
xh_attach 12 768 vdi1 running
xh_expect_state 10 vdi1 12 768 active
xh_kill9
t0=$SECONDS
hotplug remove 12 768
rc=$? dt=$((SECONDS - t0))
if [ $rc -eq 0 ] && [ $dt -lt 40 ] && [ "$(lease_field vdi1 state)" = free ]; then
	pass "budget-remove-daemon-killed (${dt} s)"
else
	fail budget-remove-daemon-killed "rc $rc in ${dt} s, lease $(lease_field vdi1 state): $(tail -n 2 "$T/hotplug.log" | tr '\n' ' ')"
fi
xh_destroy 12
# The daemon hung (stopped, pid file still locked): remove gives up after
# remove-timeout + 5 s and keeps the device, never deactivating behind it.
xh_start
echo "remove-timeout = 1" >>"$T/block-handover.conf"
xh_attach 13 768 vdi1 running
xh_expect_state 10 vdi1 13 768 active
kill -STOP "$XH_PID"
t0=$SECONDS
hotplug remove 13 768
rc=$? dt=$((SECONDS - t0))
kill -CONT "$XH_PID"
if [ $rc -ne 0 ] && [ $dt -lt 40 ] &&
   [[ $(be 13 768 hotplug-error) == *"deactivation of VDI vdi1 failed"* ]]; then
	pass "budget-remove-daemon-hung (${dt} s)"
else
	fail budget-remove-daemon-hung "rc $rc in ${dt} s: $(be 13 768 hotplug-error)"
fi
# The script took its unanswered request back: the daemon, running again,
# does not deactivate behind the failed remove.
sleep 1.5
if ! xenstore-exists /vdi-handover/vdi1/request &&
   [ "$(lease_field vdi1 state)" = held ] &&
   [ "$(att_state vdi1 13 768)" = active ]; then
	pass budget-remove-hung-request-withdrawn
else
	fail budget-remove-hung-request-withdrawn "request '$(xenstore-read /vdi-handover/vdi1/request 2>/dev/null)', lease $(lease_field vdi1 state), disk $(att_state vdi1 13 768)"
fi
sed -i 's/^remove-timeout = 1/remove-timeout = 5/' "$T/block-handover.conf"
hotplug remove 13 768 || fail budget-remove-after-hang "$(tail -n 2 "$T/hotplug.log")"
xh_destroy 13

# Daemon down: remove runs tapdisk-activate deactivate itself.
xh_attach 6 768 vdi1 running
xh_expect_state 10 vdi1 6 768 active
xh_stop
sed -i 's/^remove-timeout = 5/remove-timeout = 1/' "$T/block-handover.conf"
xenstore-rm /vdi-handover
if hotplug remove 6 768 && [ "$(lease_field vdi1 state)" = free ]; then
	pass remove-without-daemon
else
	fail remove-without-daemon "lease $(lease_field vdi1 state): $(tail -n 3 "$T/hotplug.log")"
fi
xh_destroy 6

if ! dm_usable; then
	skip dm-suspended-until-activation "no device-mapper in this kernel (run it in the Xen-under-QEMU dom0)"
	exit $((failures > 0))
fi

# dm: the full path. The image must never be read before activation.
# (vdi1 says backend = none, which the hook refuses: same image, dm.)
sed 's/^backend = none/backend = dm/' "$T/vdi.d/vdi1.conf" >"$T/vdi.d/vdidm.conf"
xh_start
xh_domain 7 paused	# libxl creates the domain paused, then its disks
new_disk 7 51712 vdidm
hotplug add 7 51712
dm=$(be 7 51712 xh-dm)
if [ "$(be 7 51712 hotplug-status)" = connected ] &&
   dmsetup info "$dm" | grep -q SUSPENDED &&
   dmsetup table "$dm" | grep -q " error" &&
   dmsetup table --inactive "$dm" | grep -q " linear "; then
	pass dm-suspended-until-activation
else
	fail dm-suspended-until-activation "$(dmsetup info "$dm" 2>&1 | tr '\n' ' ')"
fi
xenstore-write "$DOMS/7" running
xh_expect_state 15 vdidm 7 51712 active
if dmsetup info "$dm" | grep -q ACTIVE && dmsetup table "$dm" | grep -q " linear "; then
	pass dm-live-after-activation
else
	fail dm-live-after-activation "$(dmsetup table "$dm" 2>&1)"
fi
if hotplug remove 7 51712 && ! dmsetup info "$dm" >/dev/null 2>&1; then
	pass dm-removed
else
	fail dm-removed "$(tail -n 3 "$T/hotplug.log")"
fi
xh_destroy 7

# A disk that never became active (or was fenced) has I/O waiting in the
# suspended device, which keeps it open (blkback on real Xen). remove must
# fail that I/O, never let it through, and still remove the device.
xh_domain 8 paused
new_disk 8 51712 vdidm
hotplug add 8 51712
dm=$(be 8 51712 xh-dm)
dd if="/dev/mapper/$dm" of=/dev/null bs=4096 count=1 iflag=direct status=none 2>/dev/null &
reader=$!
sleep 0.5
if ! kill -0 $reader 2>/dev/null; then
	fail dm-remove-fails-waiting-io "the read did not wait in the suspended device"
elif hotplug remove 8 51712 && ! wait $reader &&
     ! dmsetup info "$dm" >/dev/null 2>&1; then
	pass dm-remove-fails-waiting-io
else
	fail dm-remove-fails-waiting-io "$(tail -n 2 "$T/hotplug.log") $(dmsetup table "$dm" 2>&1)"
fi
kill $reader 2>/dev/null
xh_destroy 8
xh_stop
exit $((failures > 0))
