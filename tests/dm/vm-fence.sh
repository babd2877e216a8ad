#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Self-fencing of tapdisk-activated on real device-mapper, in the dm test
# VM (tests/dm/suite_dm.sh boots it with rdinit=/init-fence, which links
# here; xh_fence=MODE picks the cases). The daemon runs next to a real
# oxenstored (tests/daemon/lib.sh and xs-ns-run.sh, as on the host), with
# softdog as /dev/watchdog (watchdog-timeout W = 2 s) and leases of
# T = 12 s (validity 9 s; fenced 4.5 s before the deadline d: 1.5 s to
# confirm + W + 1 s; lease_min_timeout_s(2) = 12). Each VDI is served by
# backend dm:xh-VDI-DOMID-768, a dm linear over the loop device that holds
# its data; its lease is a dm device of its own over another loop device,
# which is what the cases hang or fail. Host 2 reaches the same lease
# through the raw loop device. The "guest" (helper_dmctl guest) writes
# O_DIRECT records with a sequence number and CLOCK_BOOTTIME into the VDI's
# dm device every 20 ms; the witness (helper_dmctl witness) reads them from
# the loop device underneath.
#
# xh_fence=confirmed:
#   v1's lease reloaded to dm-delay with a 1 h delay, v2's suspended
#   --noflush, v3's reloaded to dm-flakey that fails all I/O, at once.
#   Meanwhile v4 (healthy) keeps renewing and a request on it is answered.
#   Each of v1..v3 is fenced (domain paused, dm suspended) and confirmed
#   before its deadline d; host 2 acquires only after d; the witness's
#   newest record is the same at confirmation and 2 s after host 2's
#   acquire (no write landed after the fence, so none after takeover).
#   The watchdog stays fed (every fence confirmed). Resuming v1's fenced
#   dm device (a broken fence) makes the queued write land: the witness
#   sees it. Last, v4's lease is suspended --noflush, a renewal hangs,
#   and the daemon gets SIGTERM: it leaves the watchdog armed and softdog
#   resets the VM; tests/dm/fence-log.py checks the reset came before d.
# xh_fence=sigkill:
#   v4 alone; its lease suspended --noflush, and once a renewal hangs the
#   daemon gets SIGKILL (it cannot finish exiting: a thread waits in the
#   hung read). Nothing feeds the watchdog: softdog resets the VM before d.
# xh_fence=unconfirmed:
#   v1's lease fails (dm "error" target) and the device under its dm
#   backend is suspended --noflush with a guest write in flight, so the
#   fence's dm suspend cannot drain: not confirmed, the watchdog is no
#   longer fed and softdog resets the VM before d (fence-log.py).
# xh_break=1 (XH_DM_FENCE_BREAK=1 on the host): the daemon's tool is a
# wrapper whose "fence" exits 0 without stopping anything, to show the
# witness catching writes after takeover.
#
# Prints DMTEST PASS|FAIL fence-NAME, FENCEINFO lines with the figures,
# and for the resets DMTEST EXPECT-RESET / DEADLINE, WITNESS and HOST2
# lines for fence-log.py.
export PATH=/usr/lib/xh-xs/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DM_DISABLE_UDEV=1

if [ $$ = 1 ]; then	# /init-fence
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	mount -t tmpfs -o mode=0755 run /run
	mkdir -p /tmp /var/tmp
	insmod /lib/modules/loop.ko max_loop=16
	for m in dm-mod dm-delay dm-flakey watchdog; do
		insmod /lib/modules/$m.ko || echo "DMTEST FAIL fence-modules: $m"
	done
	insmod /lib/modules/softdog.ko soft_margin=2 ||
		echo "DMTEST FAIL fence-modules: softdog"
	mode=$(sed -n 's/.*xh_fence=\([a-z]*\).*/\1/p' /proc/cmdline)
	brk=$(sed -n 's/.*xh_break=\([01]\).*/\1/p' /proc/cmdline)
	XH_FENCE_BREAK=${brk:-0} XH_TOOL=/usr/bin/tapdisk-activate \
		XH_DAEMON=/usr/bin/tapdisk-activated /bin/bash "$0" "$mode"
	[ $? = 77 ] && echo "DMTEST FAIL fence-$mode: skipped inside the VM"
	echo "DMTEST DONE"
	echo o >/proc/sysrq-trigger
	poweroff -f
fi

. "$(dirname "$(readlink -f "$0")")/../daemon/lib.sh"
xh_enter "$0" "$@"
mode=${1:-}
DM=/usr/bin/helper_dmctl
LT=12			# lease timeout T (s)
WD=2			# watchdog-timeout W (s)
OFF=1048576 SLOTS=16	# the guest's records on the data device
declare -A LOOPD LOOPL DOMID GUEST TCONF D W0 TTAKE
now() { "$DM" now; }
ms() { echo $(( $1 / 1000000 )); }
rel() { [ "$1" -lt 0 ] && echo "$(ms $(( -$1 ))) ms before" || echo "$(ms "$1") ms after"; }
info() { echo "FENCEINFO $*"; }
pass() { echo "DMTEST PASS fence-$1"; }
bad() { echo "DMTEST FAIL fence-$1: $2"; }
# A failure ends the boot: stop the daemon and disarm softdog, so the VM
# ends with DMTEST DONE and the FAIL line instead of a reset.
xh_fail() {
	echo "DMTEST FAIL fence-$mode: $*"
	xh_dump 2>&1
	[ -n "${XH_PID:-}" ] && kill -KILL "$XH_PID" 2>/dev/null
	xh_wait 3 eval '! kill -0 '"${XH_PID:-0}"
	XH_PID=
	printf V >/dev/watchdog 2>/dev/null
	exit 1
}

# setup_vdi NAME DOMID [lower]: loop devices, lease, dm devices, VDI conf;
# "lower": the backend maps a linear "xlow-NAME" that can be frozen.
setup_vdi() {
	local v=$1 under
	truncate -s 8M "$T/$v.data" && truncate -s 4M "$T/$v.lease" ||
		xh_fail "files of $v"
	LOOPD[$v]=$(losetup -f --show "$T/$v.data") &&
	LOOPL[$v]=$(losetup -f --show "$T/$v.lease") || xh_fail "losetup $v"
	DOMID[$v]=$2
	"$XH_TOOL" lease init "${LOOPL[$v]}" --timeout $LT >/dev/null ||
		xh_fail "lease init $v"
	dmsetup create "xl-$v" --table "0 8192 linear ${LOOPL[$v]} 0" ||
		xh_fail "lease dm of $v"
	under=${LOOPD[$v]}
	if [ "${3:-}" = lower ]; then
		dmsetup create "xlow-$v" --table "0 16384 linear $under 0" ||
			xh_fail "xlow-$v"
		under=/dev/mapper/xlow-$v
	fi
	# staged as block-handover leaves it: suspended until activate
	dmsetup create "xh-$v-$2-768" --table "0 16384 linear $under 0" &&
	dmsetup suspend "xh-$v-$2-768" || xh_fail "backend dm of $v"
	printf 'image = %s\nlease = /dev/mapper/xl-%s\nformat = raw\n' \
		"${LOOPD[$v]}" "$v" >"$T/vdi.d/$v.conf"
}
guest() {	# guest NAME: the writer, in the background
	"$DM" guest "/dev/mapper/xh-$1-${DOMID[$1]}-768" $OFF $SLOTS 20 \
		>"$T/guest-$1.out" 2>&1 &
	GUEST[$1]=$!
}
witness() { "$DM" witness "${LOOPD[$1]}" $OFF $SLOTS; }	# "SEQ SUBMIT_NS"
host2() {	# host2 NAME [TAG]: host 2 waits for the lease, raw loop path
	mkdir -p /run/host2
	( XH_LEASE_LOCK_DIR=/run/host2 "$XH_TOOL" lease acquire "${LOOPL[$1]}" \
		--host-id 2 --wait 60 >"$T/h2-$1.out" 2>&1
	  rc=$? t=$(now)
	  echo "$rc $t" >"$T/h2-$1.tmp" && mv "$T/h2-$1.tmp" "$T/h2-$1"
	  [ -n "${2:-}" ] && [ $rc = 0 ] && echo "HOST2 $2 acquired $t" ) &
}
valid_until() { xenstore-read "/vdi-handover/$1/att/${DOMID[$1]}-768/valid-until"; }
renewals() { "$XH_TOOL" lease status "${LOOPL[$1]}" --json |
	sed -n 's/.*"renewals": *\([0-9]*\).*/\1/p'; }
confirmed() { grep -q "VDI $1 domain ${DOMID[$1]} disk 768: fenced: the backend's writes are stopped" "$T/daemon.log"; }
configure() {	# before setup_vdi: daemon.conf, vdi.d
	xh_setup "watchdog = /dev/watchdog" "watchdog-timeout = $WD"
	if [ "${XH_FENCE_BREAK:-0}" = 1 ]; then
		# A fence that only pretends: exit 0, nothing stopped.
		printf '#!/bin/sh\n[ "$1" = fence ] && exit 0\nexec %s "$@"\n' \
			"$XH_TOOL" >"$T/ta-pretend"
		chmod +x "$T/ta-pretend"
		sed -i "s|^tool = .*|tool = $T/ta-pretend|" "$T/daemon.conf"
		info "BROKEN FENCE (xh_break=1): 'fence' exits 0 and stops nothing"
	fi
}
attach_all() {	# attach_all NAME...: attach, wait until active
	local v
	for v; do xh_attach "${DOMID[$v]}" 768 "$v" running; done
	for v; do xh_expect_state 20 "$v" "${DOMID[$v]}" 768 active; done
}

# The three lease faults at T0, host 2 waiting; v4 served meanwhile.
hang_leases() {
	local v r s
	configure
	for v in v1 v2 v3 v4; do setup_vdi $v $(( ${v#v} + 4 )); done
	xh_start
	attach_all v1 v2 v3 v4
	for v in v1 v2 v3 v4; do guest $v; done
	sleep 0.5
	T0=$(now)
	dmsetup reload xl-v1 --table "0 8192 delay ${LOOPL[v1]} 0 3600000" &&
	dmsetup resume xl-v1 || xh_fail "dm-delay on v1's lease"
	dmsetup suspend --noflush xl-v2 || xh_fail "suspend v2's lease"
	dmsetup reload xl-v3 --table "0 8192 flakey ${LOOPL[v3]} 0 0 3600" &&
	dmsetup resume xl-v3 || xh_fail "dm-flakey on v3's lease"
	for v in v1 v2 v3; do host2 $v; done
	# v4 during the hang: a request is answered, its lease renewed.
	r=$(renewals v4)
	s=$(xh_request v4 status 5)
	case "$s" in
	*" ok") pass healthy-vdi-request ;;
	*) bad healthy-vdi-request "answer '$s'" ;;
	esac
	if xh_wait 8 eval '[ "$(renewals v4)" -gt "${r:-0}" ]'; then
		pass healthy-vdi-renewed
	else
		bad healthy-vdi-renewed "renewals stayed at $r"
	fi
}

# Each of v1..v3 fenced and confirmed, host 2 acquires: the inequalities.
judge_fences() {
	local v f t r w1 end
	# Each fence confirmed: when seen, the witness's newest record.
	end=$(( $(now) + 20000000000 ))
	while [ "$(now)" -lt $end ]; do
		f=0
		for v in v1 v2 v3; do
			[ -n "${TCONF[$v]:-}" ] && continue
			f=1
			confirmed $v || continue
			TCONF[$v]=$(now)
			W0[$v]=$(witness $v)
		done
		[ $f = 0 ] && break
		sleep 0.05
	done
	for v in v1 v2 v3; do
		[ -n "${TCONF[$v]:-}" ] || xh_fail "$v: no confirmed fence within 20 s: $(att_state $v ${DOMID[$v]} 768)"
		D[$v]=$(valid_until $v)
		xs_is "$DOMS/${DOMID[$v]}" paused || xh_fail "$v's domain not paused"
		[ "$("$DM" status "xh-$v-${DOMID[$v]}-768")" = suspended ] ||
			[ "${XH_FENCE_BREAK:-0}" = 1 ] || xh_fail "$v's dm not suspended"
	done
	# Host 2 takes each lease over; then 2 s for a late write to land.
	xh_wait 40 eval '[ -e "$T/h2-v1" ] && [ -e "$T/h2-v2" ] && [ -e "$T/h2-v3" ]' ||
		xh_fail "host 2 did not finish acquiring within 40 s"
	t=0
	for v in v1 v2 v3; do
		read -r r TTAKE[$v] <"$T/h2-$v"
		[ "$r" = 0 ] || xh_fail "host 2's acquire of $v: $(cat "$T/h2-$v.out")"
		[ "${TTAKE[$v]}" -gt "$t" ] && t=${TTAKE[$v]}
	done
	while [ "$(now)" -lt $(( t + 2000000000 )) ]; do sleep 0.1; done
	for v in v1 v2 v3; do
		f=$(case $v in v1) echo "dm-delay 1 h" ;; v2) echo "suspend --noflush" ;;
			v3) echo "dm-flakey, all I/O failing" ;; esac)
		w1=$(witness $v)
		info "$v (lease: $f): fence confirmed $(ms $(( TCONF[$v] - T0 ))) ms after the fault," \
			"$(ms $(( D[$v] - TCONF[$v] ))) ms before the deadline; host 2 acquired" \
			"$(ms $(( TTAKE[$v] - D[$v] ))) ms after the deadline; newest record" \
			"seq ${W0[$v]% *} submitted $(rel $(( ${W0[$v]#* } - TCONF[$v] )))" \
			"confirmation; $(ms $(( $(now) - TTAKE[$v] ))) ms after host 2's acquire:" \
			"seq ${w1% *}, submitted $(rel $(( ${w1#* } - TTAKE[$v] ))) that acquire"
		case $v in v1) f=lease-delay ;; v2) f=lease-suspended ;; v3) f=lease-flakey ;; esac
		if [ "${TCONF[$v]}" -ge "${D[$v]}" ]; then
			bad $f "fence confirmed after the deadline"
		elif [ "${TTAKE[$v]}" -le "${D[$v]}" ]; then
			bad $f "host 2 acquired before the deadline"
		elif [ "$w1" != "${W0[$v]}" ] || [ "${W0[$v]% *}" = 0 ]; then
			bad $f "newest guest record seq ${W0[$v]% *} at confirmation, seq ${w1% *} (submitted $(rel $(( ${w1#* } - TTAKE[$v] ))) host 2's acquire) 2 s later: writes landed after the takeover"
		else
			pass $f
		fi
	done
	if grep -q "no longer fed" "$T/daemon.log"; then
		bad watchdog-fed "watchdog starved: $(grep "no longer fed" "$T/daemon.log" | head -n 1)"
	else
		pass watchdog-fed
	fi
}

confirmed_fences() {
	hang_leases
	judge_fences
	# The witness sees a write that lands late: resume v1's backend.
	dmsetup resume "xh-v1-5-768"
	if xh_wait 3 eval '[ "$(witness v1)" != "${W0[v1]}" ]'; then
		pass witness-sees-late-write
	else
		bad witness-sees-late-write "nothing landed after resuming v1's backend"
	fi
	kill "${GUEST[v1]}" 2>/dev/null
}

# Threads of PID inside a lease read or write that has not returned:
# x86_64 pread64/pwrite64 (17, 18: one sector, the renewal's steady
# state), preadv/pwritev (295, 296), io_submit/io_getevents (209, 208).
# more_hung PID BASE: more than BASE of them, in two readings 100 ms
# apart (the hung renewals of v1-v3 stay counted).
in_io_wait() {	# in_io_wait PID
	local t n c=0
	for t in /proc/"$1"/task/*/syscall; do
		read -r n _ <"$t" 2>/dev/null || continue
		case " 17 18 208 209 295 296 " in *" $n "*) c=$((c + 1)) ;; esac
	done
	echo $c
}
more_hung() {
	[ "$(in_io_wait "$1")" -gt "$2" ] || return 1
	sleep 0.1
	[ "$(in_io_wait "$1")" -gt "$2" ]
}

# SIGTERM or SIGKILL while v4's lease hangs: the watchdog stays armed (left
# armed on SIGTERM; on SIGKILL nothing feeds it) and softdog resets the VM
# before v4's deadline.
signal_in_hang() {	# signal_in_hang TERM|KILL NAME
	local sig=$1 name=$2 t0 d base t
	"$DM" clockmarks 250 &
	base=$(in_io_wait "$XH_PID")
	t0=$(now)
	dmsetup suspend --noflush xl-v4 || xh_fail "suspend v4's lease"
	# The signal once a renewal is hung (one more daemon thread inside a
	# read or write), before v4's fence: that comes T/8 + W'
	# before the deadline, at least 1.5 s after the hung renewal began
	# (a fenced, confirmed VDI needs no watchdog, and none is left armed).
	if ! xh_wait 5 more_hung "$XH_PID" "$base"; then
		bad ${name#fence-} "no renewal of v4 hung within 5 s of suspending its lease"
		for t in /proc/"$XH_PID"/task/*; do
			info "thread ${t##*/}: syscall $(cut -d' ' -f1 "$t/syscall" 2>/dev/null), $(sed -n 's/^State:[[:space:]]*//p' "$t/status")"
		done
		return
	fi
	info "$sig-hang: a renewal of v4 hung $(ms $(( $(now) - t0 ))) ms after its lease was suspended"
	d=$(valid_until v4)
	echo "DMTEST EXPECT-RESET $name timeout_s=$LT witness=0"
	echo "DMTEST DEADLINE $name $d"
	host2 v4 $name
	t0=$(now)
	kill -"$sig" "$XH_PID"
	if [ "$sig" = TERM ]; then
		xh_wait 8 grep -q "left armed" "$T/daemon.log" ||
			bad ${name#fence-} "no 'left armed' within 8 s of SIGTERM"
		info "SIGTERM: watchdog left armed after $(ms $(( $(now) - t0 ))) ms"
	fi
	xh_wait 1 eval '! kill -0 '"$XH_PID" &&
		info "daemon exited $(ms $(( $(now) - t0 ))) ms after SIG$sig" ||
		info "daemon not gone $(ms $(( $(now) - t0 ))) ms after SIG$sig ($(sed -n 's/^State:[[:space:]]*//p' /proc/"$XH_PID"/status))"
	echo "DMTEST DEADLINE $name $(valid_until v4)"
	while [ "$(now)" -lt $(( d + 3000000000 )) ]; do sleep 0.2; done
	bad ${name#fence-} "no watchdog reset by 3 s after the deadline"
	tail -n 30 "$T/daemon.log" | sed 's/^/FENCEINFO daemon: /'
}

# SIGKILL during a lease hang, in a boot of its own (the reset ends it).
sigkill_in_hang() {
	configure
	setup_vdi v4 8
	xh_start
	attach_all v4
	sleep 3.5	# a renewal has run: the next one is the hung one
	signal_in_hang KILL fence-sigkill-hang
}

# v1's lease fails and its backend cannot drain: reset before v1's deadline.
unconfirmed_fence() {
	local name=fence-unconfirmed-reset d t0 end
	configure
	setup_vdi v1 5 lower
	xh_start
	attach_all v1
	guest v1
	"$DM" clockmarks 250 &
	sleep 0.5
	t0=$(now)
	dmsetup reload xl-v1 --table "0 8192 error" && dmsetup resume xl-v1 ||
		xh_fail "error target on v1's lease"
	dmsetup suspend --noflush xlow-v1 || xh_fail "suspend xlow-v1"
	echo "DMTEST EXPECT-RESET $name timeout_s=$LT witness=1"
	host2 v1 $name
	xh_wait 15 att_is v1 5 768 fenced || xh_fail "v1 not fenced: $(att_state v1 5 768)"
	echo "WITNESS0 $name $(witness v1)"
	d=$(valid_until v1)
	echo "DMTEST DEADLINE $name $d"
	info "v1 fenced $(ms $(( $(now) - t0 ))) ms after the fault, $(ms $(( d - $(now) ))) ms before its deadline"
	xh_wait 4 eval 'xenstore-read /vdi-handover/v1/alert | grep -q "not confirmed"' &&
		info "fence not confirmed, $(ms $(( d - $(now) ))) ms before the deadline: $(xenstore-read /vdi-handover/v1/alert | cut -c1-160)" ||
		bad unconfirmed "no 'not confirmed' alert: $(xenstore-read /vdi-handover/v1/alert)"
	end=$(( d + 3000000000 ))
	while [ "$(now)" -lt $end ]; do
		echo "WITNESS $name $(witness v1)"
		sleep 0.3
	done
	bad unconfirmed "no watchdog reset by 3 s after the deadline"
}

case $mode in
confirmed) confirmed_fences; signal_in_hang TERM fence-sigterm-hang ;;
unconfirmed) unconfirmed_fence ;;
sigkill) sigkill_in_hang ;;
*) xh_fail "unknown xh_fence mode '$mode'" ;;
esac
exit 0
