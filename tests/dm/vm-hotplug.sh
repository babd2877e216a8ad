#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# block-handover (tools/hotplug/block-handover) against real device-mapper,
# inside the dm test VM (tests/dm/vm-init.sh runs it). xenstore is a file
# tree under /xs (the xenstore-* commands here are tests/dm/suite_dm.sh's
# stand-ins); "the daemon runs" is a process holding its pid file locked,
# as tapdisk-activated does. Prints "DMTEST PASS|FAIL hotplug_NAME".
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1
export XH_BLOCK_HANDOVER_CONF=/etc/xen-handover/block-handover.conf
S=/etc/xen/scripts/block-handover
BE=backend/vbd/7/51712
pass() { echo "DMTEST PASS hotplug_$1"; }
fail() { echo "DMTEST FAIL hotplug_$1: $2"; }
xs() { cat "/xs/$1" 2>/dev/null; }
loops_on() { losetup -j "$1" | cut -d: -f1; }
no_new_loop() { [ "$(loops_on /vdi.img)" = /dev/loop5 ]; }

mkdir -p /etc/xen-handover/vdi /var/log/xen /xs
# The VM's root is a ramfs, which has no O_DIRECT: the VDI and its lease
# are loop devices (file VDIs and their loop devices are covered on the
# host, tests/daemon/suite_block_handover.sh fakedm-*).
truncate -s 8M /vdi.img
truncate -s 4M /hlease.img
losetup /dev/loop5 /vdi.img && losetup /dev/loop6 /hlease.img ||
	fail setup losetup
tapdisk-activate lease init --timeout 0 /dev/loop6 >/dev/null ||
	fail setup "lease init"
cat >/etc/xen-handover/tapdisk-activated.conf <<CONF
host-id = 1
tool = /usr/bin/tapdisk-activate
CONF
printf 'image = /dev/loop5\nlease = /dev/loop6\n' >/etc/xen-handover/vdi/v1.conf
printf 'daemon = /usr/bin/tapdisk-activated\nremove-timeout = 5\n' >"$XH_BLOCK_HANDOVER_CONF"
new_disk() {
	rm -rf "/xs/$BE" && mkdir -p "/xs/$BE"
	echo v1 >"/xs/$BE/params"; echo w >"/xs/$BE/mode"
}
hotplug() { XENBUS_PATH=$BE "$S" "$1" >>/tmp/hotplug.log 2>&1; }

# The daemon "runs": its pid file held locked.
flock -o /run/tapdisk-activated.pid sleep 600 &	# -o: only flock itself holds it
holder=$!
sleep 0.3

# add: suspended, error table live (as dmsetup prints it: "0 N error "),
# the linear table over the VDI's device staged.
new_disk
hotplug add
dm=$(xs "$BE/xh-dm")
live=$(dmsetup table "$dm" 2>&1)
if [ "$(xs "$BE/hotplug-status")" = connected ] &&
   dmsetup info "$dm" | grep -q 'State: *SUSPENDED' &&
   [ "$live" = "0 16384 error " ] &&
   dmsetup table --inactive "$dm" | grep -q "^0 16384 linear 7:5 0"; then
	pass add_staged
else
	fail add_staged "status $(xs "$BE/hotplug-status") table '$live' $(tail -n 2 /tmp/hotplug.log)"
fi

# remove while the device is open (blkback, or a guest's I/O): the error
# table goes live, the removal is deferred to the last close.
exec 3</dev/mapper/"$dm"
hotplug remove
rc=$?
if [ $rc -eq 0 ] && dmsetup info "$dm" 2>/dev/null | grep -q DEFERRED; then
	pass remove_deferred_while_open
else
	fail remove_deferred_while_open "rc $rc: $(dmsetup info "$dm" 2>&1 | tr '\n' ' ') $(tail -n 3 /tmp/hotplug.log | tr '\n' ' ')"
fi
exec 3<&-
sleep 0.3
if ! dmsetup info "$dm" >/dev/null 2>&1; then
	pass removed_at_last_close
else
	fail removed_at_last_close "dm $(dmsetup ls | tr '\n' ' ')"
	dmsetup remove "$dm" 2>/dev/null
fi

# A failed add (dmsetup load refused) leaves no dm device, loop or keys.
mkdir -p /tmp/failload
cat >/tmp/failload/dmsetup <<'W'
#!/bin/sh
[ "$1" = load ] && { echo "injected load failure" >&2; exit 1; }
exec /usr/sbin/dmsetup "$@"
W
chmod +x /tmp/failload/dmsetup
new_disk
XH_BLOCK_HANDOVER_FAKE_DM=/tmp/failload hotplug add
if [ "$(xs "$BE/hotplug-status")" = error ] &&
   ! dmsetup info xh-v1-7-51712 >/dev/null 2>&1 &&
   no_new_loop && [ ! -e "/xs/$BE/xh-dm" ]; then
	pass failed_add_undone
else
	fail failed_add_undone "status $(xs "$BE/hotplug-status") dm $(dmsetup ls | tr '\n' ' ') loops $(loops_on /vdi.img)"
fi

# An add killed after staging leaves the device; the retry (same backend
# directory, hotplug-error of the failed add still there) replaces it.
dmsetup create xh-v1-7-51712 --table "0 16384 error" &&
	dmsetup suspend xh-v1-7-51712 &&
	dmsetup load xh-v1-7-51712 --table "0 16384 linear /dev/loop5 0"
hotplug add
if [ "$(xs "$BE/hotplug-status")" = connected ] && [ ! -e "/xs/$BE/hotplug-error" ] &&
   no_new_loop &&
   dmsetup info xh-v1-7-51712 | grep -q 'State: *SUSPENDED'; then
	pass retried_add
else
	fail retried_add "status $(xs "$BE/hotplug-status") loops $(loops_on /vdi.img | tr '\n' ' ') $(tail -n 2 /tmp/hotplug.log | tr '\n' ' ')"
fi

# The daemon stops: remove deactivates directly (no /vdi-handover) and
# removes the device at once.
kill $holder; wait $holder 2>/dev/null
flock -n -s /run/tapdisk-activated.pid true || fail setup "pid file still locked"
T0=$(date +%s)
hotplug remove
rc=$?
dt=$(( $(date +%s) - T0 ))
if [ $rc -eq 0 ] && ! dmsetup info xh-v1-7-51712 >/dev/null 2>&1 &&
   [ $dt -lt 40 ]; then
	pass remove_without_daemon
else
	fail remove_without_daemon "rc $rc in ${dt}s: $(tail -n 3 /tmp/hotplug.log | tr '\n' ' ')"
fi
# ... and add refuses: nothing would resume the device.
new_disk
hotplug add
if [ "$(xs "$BE/hotplug-status")" = error ] &&
   grep -q "not running" "/xs/$BE/hotplug-error" &&
   ! dmsetup info xh-v1-7-51712 >/dev/null 2>&1; then
	pass add_refused_without_daemon
else
	fail add_refused_without_daemon "$(xs "$BE/hotplug-error")"
fi
grep -a "block-handover" /tmp/hotplug.log | tail -n 4 | sed 's/^/hotplug| /'
