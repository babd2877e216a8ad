#!/bin/sh
# /init of the dm test VM (Debian kernel, busybox): exercises the dm:
# backend of tapdisk-activate against real device-mapper with dm-delay and
# prints "DMTEST PASS name" / "DMTEST FAIL name: why", then "DMTEST DONE".
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp
# /run holds the host-local lease locks (/run/tapdisk-activate), as on a host.
mount -t tmpfs -o mode=0755 run /run 2>/dev/null || mkdir -p /run
for m in loop dm-mod dm-delay; do insmod /lib/modules/$m.ko || echo "DMTEST FAIL modules: $m"; done
. /params
TA=/usr/bin/tapdisk-activate
DM=/usr/bin/helper_dmctl
pass() { echo "DMTEST PASS $1"; }
fail() { echo "DMTEST FAIL $1: $2"; }
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "$*"; fi; }
L="--lease /dev/loop1"

losetup /dev/loop0 /disk.vhd && losetup /dev/loop1 /lease.img || fail setup losetup
SECTORS=$(( $(stat -c %s /disk.vhd) / 512 ))
# host 1's backend: writes delayed 3 s (6-argument form: flushes too)
$DM create slow "0 $SECTORS delay /dev/loop0 0 0 /dev/loop0 0 3000" || fail setup slow
# host 2's backend: linear over "lower" (which the timeout case freezes)
$DM create lower "0 $SECTORS linear /dev/loop0 0" || fail setup lower
$DM create dst "0 $SECTORS linear /dev/mapper/lower 0" || fail setup dst
check lease_init $TA lease init --timeout 0 /dev/loop1

$TA activate /dev/loop0 --host-id 1 --backend dm:slow $L --state /tmp/h1.state --json > /tmp/a1.json
check activate_host1 [ $? = 0 ]
check activate_resumes_dm [ "$($DM status slow)" = active ]

before=$($DM read /dev/loop0 $DATAOFF)
T0=$(date +%s)
$DM write /dev/mapper/slow $DATAOFF 0x77 > /tmp/w.out 2>&1 &
WRITER=$!
sleep 1
mid=$($DM read /dev/loop0 $DATAOFF)
check write_is_in_flight [ "$mid" = "$before" ]
$TA deactivate /dev/loop0 --host-id 1 --backend dm:slow $L --state /tmp/h1.state --timeout 20 --json > /tmp/d1.json
rc=$?
after=$($DM read /dev/loop0 $DATAOFF)
T1=$(date +%s)
echo "deactivate rc=$rc before=$before mid=$mid after=$after elapsed=$((T1 - T0))s"
cat /tmp/d1.json
check deactivate_ok [ $rc = 0 ]
check delayed_write_landed_before_release [ "$after" = 77 ]
wait $WRITER
check writer_completed grep -q landed /tmp/w.out
check lease_free_after_deactivate sh -c "$TA status /dev/loop0 $L --json | grep -Eq '\"state\": ?\"free\"'"
check dm_suspended_after_deactivate [ "$($DM status slow)" = suspended ]

$TA activate /dev/loop0 --host-id 2 --backend dm:dst $L --state /tmp/h2.state --wait 5 > /tmp/a2.out 2>&1
check activate_host2 [ $? = 0 ]
$TA activate /dev/loop0 --host-id 1 --backend dm:slow $L --state /tmp/h1.state --wait 1 > /tmp/a1b.out 2>&1
rc=$?
cat /tmp/a1b.out
check activate_while_held_fails_cleanly [ $rc = 10 ]
check source_stays_suspended [ "$($DM status slow)" = suspended ]

# A write stuck below dst: the suspend of dst cannot drain it.
$DM suspend lower noflush || fail setup "suspend lower"
$DM write /dev/mapper/dst $DATAOFF 0x55 > /tmp/w2.out 2>&1 &
WRITER=$!
sleep 1
$TA deactivate /dev/loop0 --host-id 2 --backend dm:dst $L --state /tmp/h2.state --timeout 2 > /tmp/d2.out 2>&1
rc=$?
cat /tmp/d2.out
check pause_timeout_exit_21 [ $rc = 21 ]
check pause_timeout_keeps_lease sh -c "$TA status /dev/loop0 $L --json | grep -Eq '\"owner_host_id\": ?2'"
check aborted_suspend_left_dm_active [ "$($DM status dst)" = active ]
$DM resume lower
wait $WRITER
check stuck_write_completed grep -q landed /tmp/w2.out
$TA deactivate /dev/loop0 --host-id 2 --backend dm:dst $L --state /tmp/h2.state --timeout 20 > /tmp/d3.out 2>&1
check deactivate_after_drain [ $? = 0 ]
check drained_write_on_disk [ "$($DM read /dev/loop0 $DATAOFF)" = 55 ]

$TA reactivate /dev/loop0 --host-id 1 --backend dm:slow $L --state /tmp/h1.state > /tmp/r1.out 2>&1
rc=$?
cat /tmp/r1.out
check reactivate_refused_after_host2 [ $rc = 31 ]
# The hotplug script on the same device-mapper (tests/dm/vm-hotplug.sh).
/bin/bash /usr/bin/vm-hotplug.sh
echo "DMTEST DONE"
echo o > /proc/sysrq-trigger
poweroff -f
