# shellcheck shell=bash
# dom0-side helpers of the e2e harness (sourced by main.sh and scenario.sh).
# Runs inside the Xen dom0 booted by tests/e2e/run.sh; the payload disk is
# mounted on /xh. Guest lines start with "XH-G ", driver lines with "XH-".

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
XH=${XH:-/xh}
XH_RUN=/run/xh			# pids, configs, poller files
XH_VAR=/var/lib/xh		# disk images and save files (dom0 root is a QEMU snapshot)
XH_CONSOLE_DIR=/var/log/xen/console
XH_GUEST_MEM=${XH_GUEST_MEM:-128}
# No udev in this dom0: let libdevmapper create the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1

xh_up() { cut -d' ' -f1 /proc/uptime; }
xh_info() { echo "XH-INFO[$(xh_up)] $*"; }
xh_since() { awk -v a="$1" -v b="$(xh_up)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- results -------------------------------------------------------------
# A scenario ends with exactly one of these; main.sh turns the file into
# the XH-RESULT line. "guest crashed" failures keep that prefix so the host
# can tell an infrastructure crash from a failed check.
xh_result() { # STATUS reason...
	local st=$1
	shift
	mkdir -p "$XH_RUN"
	echo "$st $*" > "$XH_RUN/result"
	exit 0
}
xh_pass() { xh_result PASS "$@"; }
xh_fail() { xh_result FAIL "$@"; }
xh_skip() { xh_result SKIP "$@"; }

xh_metric() { echo "XH-METRIC $XH_SCENARIO $*"; }

# ---- toolstack ------------------------------------------------------------
xh_dom0_up() {
	local m
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs tmpfs /run
	mount -o remount,rw /
	for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-blkback loop dm-mod dm-delay; do
		modprobe "$m" || xh_info "modprobe $m failed"
	done
	mount -t xenfs xenfs /proc/xen || return 1
	mkdir -p /run/xen /run/xenstored /var/log/xen "$XH_CONSOLE_DIR" /var/lib/xen "$XH_RUN" "$XH_VAR"
	rm -rf "${XH_CONSOLE_DIR:?}"/*
	ln -sfn /run /var/run 2>/dev/null
	export XENSTORED_ROOTDIR=/run/xenstored
	# The Xen tools' private dir: xen-4.17 (bookworm dom0) or xen-4.20 (trixie).
	XH_XEN_LIB=$(ls -d /usr/lib/xen-4.* 2>/dev/null | sort -V | tail -1)
	"$XH_XEN_LIB"/bin/xenstored --pid-file /run/xenstore.pid || return 1
	for _ in $(seq 30); do xenstore-read -s / >/dev/null 2>&1 && break; sleep 1; done
	"$XH_XEN_LIB"/bin/xen-init-dom0 || return 1
	"$XH_XEN_LIB"/bin/xenconsoled --pid-file /run/xenconsoled.pid --log=guest \
		--log-dir="$XH_CONSOLE_DIR" || return 1
	xl info > "$XH_RUN/xl-info" 2>&1 || { cat "$XH_RUN/xl-info"; return 1; }
	xh_info "toolstack up: xen $(sed -n 's/^xen_version *: *//p' "$XH_RUN/xl-info"), $(grep -c . /proc/cpuinfo >/dev/null; nproc) dom0 vcpus"
}

# ---- the dom0 tools -----------------------------------------------------------
# The xen-handover package from the payload (/xh/pkg, built on the host by
# scripts/build-deb.sh), installed with dpkg -i as on a real host, its
# Depends met by the image's packages: the handover scenarios run
# /usr/sbin/tapdisk-activate(d), /etc/xen/scripts/block-handover and the
# unit's ExecStart as the package installed them. Once per boot (main.sh);
# the outcome, "ok VERSION" or "FAIL|SKIP reason", is left in
# $XH_PKG_STATE for ho_install and printed as "XH-DOM0 package ...", which
# run.sh reports; dpkg -s goes to out/dpkg-s.txt.
XH_PKG_STATE=$XH_RUN/pkg-state
xh_pkg_install() {
	local deb t0 rc st ver why
	deb=$(find "$XH/pkg" -maxdepth 1 -name 'xen-handover_*_amd64.deb' 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		# The trixie dom0 (run.sh's lib/dom0-trixie.sh) carries copies.
		[ -f "$XH/tools/tapdisk-activate" ] && { xh_pkg_copies; return; }
		echo "$([ "${XH_PKG_SKIP:-0}" = 1 ] && echo SKIP || echo FAIL)" \
			"no xen-handover package on the payload: ${XH_PKG_WHY:-unknown}" > "$XH_PKG_STATE"
		echo "XH-DOM0 package: none (${XH_PKG_WHY:-unknown})"
		return
	fi
	t0=$(xh_up)
	dpkg -i "$deb" < /dev/null > "$XH_RUN/dpkg-i.log" 2>&1
	rc=$?
	st=$(dpkg-query -W -f='${Status}' xen-handover 2>/dev/null)
	ver=$(dpkg-query -W -f='${Version}' xen-handover 2>/dev/null)
	mkdir -p "$XH/out"
	cp "$XH_RUN/dpkg-i.log" "$XH/out/"
	dpkg -s xen-handover > "$XH/out/dpkg-s.txt" 2>&1
	if [ $rc = 0 ] && [ "$st" = "install ok installed" ]; then
		echo "ok $ver" > "$XH_PKG_STATE"
		echo "XH-DOM0 package xen-handover $ver installed by dpkg -i ${deb##*/} in $(xh_since "$t0") s (dpkg -s: Status: $st)"
		return
	fi
	# Unmet Depends leave it unpacked or half-configured: name them.
	why=$(grep -m1 -E 'depends on|dependency problems' "$XH_RUN/dpkg-i.log")
	[ -n "$why" ] || why=$(grep -v '^ *$' "$XH_RUN/dpkg-i.log" | tail -1)
	echo "FAIL dpkg -i ${deb##*/} (rc=$rc) left xen-handover '${st:-not installed}': $why" > "$XH_PKG_STATE"
	echo "XH-DOM0 package xen-handover ${ver:-?} NOT installed: $(cut -d' ' -f2- "$XH_PKG_STATE")"
	sed 's/^/XH-DOM0 dpkg: /' "$XH_RUN/dpkg-i.log" | tail -15
}

# The trixie dom0 has no package (it is built for Debian 12's Xen 4.17):
# the Xen 4.20 builds, the hook, the unit and libaio.so.1 (trixie names
# it libaio.so.1t64) are copied where the package would put them.
xh_pkg_copies() {
	local t=$XH/tools
	if install -m 755 "$t/tapdisk-activate" "$t/tapdisk-activated" /usr/sbin/ &&
		install -m 755 "$t/block-handover" /etc/xen/scripts/block-handover &&
		install -D -m 644 "$t/tapdisk-activated.service" /lib/systemd/system/tapdisk-activated.service &&
		install -m 644 "$t/libaio.so.1" /usr/lib/x86_64-linux-gnu/libaio.so.1; then
		ldconfig 2>/dev/null
		echo "ok copies" > "$XH_PKG_STATE"
		echo "XH-DOM0 package: none, the tools copied: ${XH_PKG_WHY:-no package for this dom0}"
	else
		echo "FAIL copying the handover tools into dom0 failed" > "$XH_PKG_STATE"
		echo "XH-DOM0 package: none, copying the tools failed"
	fi
}

# ---- storage ----------------------------------------------------------------
# One loop device over a 64 MiB file stands for the shared storage. The
# migration source reaches it through xh-src-NAME (dm-delay when WDELAY>0:
# writes delayed WDELAY ms, reads and flushes not), the destination through
# xh-dst-NAME (plain linear). Two dm devices are needed anyway: xl's block
# script refuses one device attached to two domains.
xh_disk_setup() { # NAME WDELAY_MS
	local name=$1 w=$2 loop sz
	xh_backing_file "$name" || return 1
	loop=$(xh_loop "$name")
	sz=$(blockdev --getsz "$loop")
	if [ "$w" -gt 0 ]; then
		dmsetup create "xh-src-$name" --table "0 $sz delay $loop 0 0 $loop 0 $w $loop 0 0" || return 1
	else
		dmsetup create "xh-src-$name" --table "0 $sz linear $loop 0" || return 1
	fi
	dmsetup create "xh-dst-$name" --table "0 $sz linear $loop 0" || return 1
	xh_info "disk $name: $loop, source $(dmsetup table "xh-src-$name" | cut -d' ' -f3) (write delay ${w} ms), destination linear"
}

# The shared storage itself: a fresh 64 MiB file on a loop device, whose
# name xh_loop NAME prints.
xh_backing_file() { # NAME
	local img=$XH_VAR/$1.img loop
	rm -f "$img"
	truncate -s 64M "$img" || return 1
	loop=$(losetup -f --show "$img") || return 1
	echo "$loop" > "$XH_RUN/$1.loop"
}

xh_loop() { cat "$XH_RUN/$1.loop"; }

# Live-migrate NAME to localhost with the config DST_CFG, extra xl flags in
# "$@". Sets MIGRATE_S.
xh_migrate_local() { # [XL-MIGRATE-FLAGS...]
	local t0 rc
	xh_drain_poll_start "$(xl domid "$NAME")"
	xh_timeline_start "$NAME"
	t0=$(xh_up)
	xl -v migrate "$@" -s '' -C "$DST_CFG" "$NAME" 'xl migrate-receive' \
		> "$XH_RUN/$NAME.migrate.log" 2>&1
	rc=$?
	MIGRATE_S=$(xh_since "$t0")
	xh_drain_poll_stop
	xh_timeline_stop
	xh_info "xl migrate rc=$rc took $MIGRATE_S s"
	if [ $rc != 0 ]; then
		local why
		tail -15 "$XH_RUN/$NAME.migrate.log"
		# A guest that crashed is named as such (main.sh retries those).
		why=$(xh_guest_crash_reason "$NAME")
		[ -z "$why" ] || xh_fail "guest crashed (xl migrate failed rc=$rc): $why"
		xh_fail "xl migrate failed rc=$rc: $(grep -v '^ *$' "$XH_RUN/$NAME.migrate.log" | tail -1)"
	fi
}

# Wait until the source device is closed: blkback holds it open until its
# last in-flight request has completed, so this is when every delayed write
# of the source has landed on the shared storage.
xh_wait_src_idle() { # NAME TIMEOUT_S
	local name=$1 t0 open
	t0=$(xh_up)
	while :; do
		open=$(dmsetup info -c --noheadings -o open "xh-src-$name" 2>/dev/null | tr -d ' ')
		[ "$open" = 0 ] && break
		if awk -v a="$t0" -v b="$(xh_up)" -v t="$2" 'BEGIN { exit !(b - a > t) }'; then
			xh_info "source device of $name still open after $2 s"
			return 1
		fi
		sleep 0.5
	done
	# blkback may close the device while bios it submitted still sit in
	# dm-delay's queue; a suspend waits for (and hands down) every one.
	timeout 120 dmsetup suspend "xh-src-$name" && dmsetup resume "xh-src-$name" ||
		{ xh_info "suspending the source device of $name failed"; return 1; }
	xh_info "source device of $name idle and flushed after $(xh_since "$t0") s"
}

# ---- guests -----------------------------------------------------------------
xh_guest_cfg() { # NAME TYPE DISK_DEV BLKFRONT EXTRA_CMDLINE
	cat <<EOC
name = "$1"
type = "$2"
kernel = "$XH/guest/vmlinuz"
ramdisk = "$XH/guest/domu-initrd.gz"
extra = "console=hvc0 xh_blkfront=$4 $5 ${XH_GUEST_EXTRA:-}"
memory = $XH_GUEST_MEM
vcpus = 1
disk = [ 'format=raw,vdev=xvda,access=rw,script=$XH/dom0/block-fast.sh,target=$3' ]
on_crash = "preserve"
on_reboot = "destroy"
EOC
}

xh_guest_logs() { ls "$XH_CONSOLE_DIR/guest-$1.log" "$XH_CONSOLE_DIR/guest-$1--incoming.log" 2>/dev/null; }
xh_guest_grep() { # NAME ERE -> matching lines of both console logs
	local f
	f=$(xh_guest_logs "$1")
	[ -n "$f" ] || return 1
	# shellcheck disable=SC2086
	cat $f | tr -d '\r' | grep -E -- "$2"
}

# "crashed: why" if the domain crashed or vanished, nothing otherwise.
xh_guest_crash_reason() { # NAME
	local st why
	st=$(xl list 2>/dev/null | awk -v n="$1" '$1 == n || $1 == n "--incoming" { print $5 }' | head -1)
	# Xen's ring is cleared after every scenario, so this names this guest.
	if [ -z "$st" ] || [ "${st#*c}" != "$st" ]; then
		why=$(xl dmesg 2>/dev/null | grep -E -i 'triple fault|domain_crash' | tail -2 | tr '\n' ' ')
	fi
	# The guest's own last words name the crash (see infra_crash in main.sh).
	[ -z "$st" ] || [ "${st#*c}" != "$st" ] &&
		why="${why:-}$(xh_guest_grep "$1" 'Kernel panic|BUG: |Oops' | head -1)"
	if [ -z "$st" ]; then
		echo "domain $1 vanished ${why:-}"
	elif [ "${st#*c}" != "$st" ]; then
		echo "domain $1 crashed (state $st) ${why:-}"
	elif xh_guest_grep "$1" 'Kernel panic|BUG: |Oops' >/dev/null; then
		echo "kernel panic/BUG in $1: $(xh_guest_grep "$1" 'Kernel panic|BUG: |Oops' | head -1)"
	fi
}

# Wait for a guest console line; returns 0 found, 1 timeout, 2 crashed.
xh_wait_guest() { # NAME ERE TIMEOUT_S
	local t0 n=0 why
	t0=$(xh_up)
	while :; do
		xh_guest_grep "$1" "$2" >/dev/null && return 0
		n=$((n + 1))
		if [ $((n % 4)) = 0 ]; then
			why=$(xh_guest_crash_reason "$1")
			[ -n "$why" ] && { echo "$why" > "$XH_RUN/crash"; return 2; }
		fi
		awk -v a="$t0" -v b="$(xh_up)" -v t="$3" 'BEGIN { exit !(b - a > t) }' && return 1
		sleep 0.5
	done
}

# Fail the scenario after an unsuccessful xh_wait_guest, naming a crash as such.
xh_fail_wait() { # RC what
	if [ "$1" = 2 ]; then
		xh_fail "guest crashed while waiting for $2: $(cat "$XH_RUN/crash")"
	fi
	xh_fail "timeout waiting for $2"
}

xh_stream_console() { # NAME: copy the guest console to dom0's console, prefixed
	local logs="$XH_CONSOLE_DIR/guest-$1.log $XH_CONSOLE_DIR/guest-$1--incoming.log"
	# shellcheck disable=SC2086
	( exec tail -q -n +1 -F $logs 2>/dev/null | sed -u "s/^/G|$1| /" ) &
	echo $! >> "$XH_RUN/bg.pids"
}

xh_guest_start() { # NAME CFG
	local t0 rc
	t0=$(xh_up)
	xh_stream_console "$1"
	xl create "$2" > "$XH_RUN/$1.create.log" 2>&1 || {
		tail -20 "$XH_RUN/$1.create.log"
		xh_fail "xl create $1 failed"
	}
	xh_wait_guest "$1" '^XH-G (ready|fatal)' 400
	rc=$?
	[ $rc = 0 ] || xh_fail_wait $rc "the guest to boot"
	xh_guest_grep "$1" '^XH-G fatal' && xh_fail "guest setup failed: $(xh_guest_grep "$1" '^XH-G fatal' | head -1)"
	xh_info "guest $1 ready $(xh_since "$t0") s after xl create"
}

# ---- mailbox ----------------------------------------------------------------
# Write "XHMB <seq> <cmd> <args>" into block 0 of the shared storage with
# O_DIRECT and wait for the guest's "XH-G done <seq> ..." line, printed on
# stdout. Commands: load, stop, verify, ping, quit.
xh_mbox() { # NAME TIMEOUT_S CMD [ARGS]
	local name=$1 tmo=$2 cmd=$3 args=${4:-} seq rc
	seq=$(( $(cat "$XH_RUN/$name.mbseq" 2>/dev/null || echo 0) + 1 ))
	echo "$seq" > "$XH_RUN/$name.mbseq"
	# $XH_RUN/NAME.mbox: the guest's block 0 is not the storage's (a VHD
	# served by tapdisk): the device that serves it now.
	printf 'XHMB %d %s%s\n' "$seq" "$cmd" "${args:+ $args}" |
		dd of="$(cat "$XH_RUN/$name.mbox" 2>/dev/null || xh_loop "$name")" \
			bs=4096 count=1 conv=sync,notrunc oflag=direct status=none ||
		return 1
	xh_wait_guest "$name" "^XH-G (done|stop-timeout) $seq " "$tmo"
	rc=$?
	[ $rc = 0 ] || return $rc
	xh_guest_grep "$name" "^XH-G (done|stop-timeout) $seq " | tail -1
}

# Same, failing the scenario on timeout or crash; the reply is left in MB_REPLY.
xh_mbox_or_fail() { # NAME TIMEOUT_S CMD [ARGS]
	local rc
	MB_REPLY=$(xh_mbox "$@")
	rc=$?
	[ $rc = 0 ] || xh_fail_wait $rc "guest reply to '$3'"
}

xh_kv() { # "LINE" KEY -> value of KEY=value in LINE
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -1
}

# Last value of a sysfs counter printed by the guest at verify time.
xh_guest_counter() { # NAME KEY
	local line
	line=$(xh_guest_grep "$1" "^XH-G counters .* $2=" | tail -1)
	[ -n "$line" ] && xh_kv "$line" "$2"
}

# ---- frontend drain keys ------------------------------------------------------
# The frontend writes drain-state/drain-inflight/drain-usecs into its own
# xenstore directory just before it suspends; the directory disappears with
# the source domain, so poll it while the save/migration runs.
xh_drain_snapshot() { # DOMID: keep the keys if drain-state is among them
	local d v fd inf us st
	for v in $(xenstore-list "/local/domain/$1/device/vbd" 2>/dev/null); do
		d=/local/domain/$1/device/vbd/$v
		# All four or nothing: the source domain can vanish between reads.
		fd=$(xenstore-read "$d/feature-drain" 2>/dev/null) &&
			inf=$(xenstore-read "$d/drain-inflight" 2>/dev/null) &&
			us=$(xenstore-read "$d/drain-usecs" 2>/dev/null) &&
			st=$(xenstore-read "$d/drain-state" 2>/dev/null) &&
			[ -n "$st" ] || continue
		printf 'feature-drain = "%s"\ndrain-inflight = "%s"\ndrain-usecs = "%s"\ndrain-state = "%s"\n' \
			"$fd" "$inf" "$us" "$st" > "$XH_RUN/drain-keys.tmp.$BASHPID"
		mv "$XH_RUN/drain-keys.tmp.$BASHPID" "$XH_RUN/drain-keys"
	done
}

xh_drain_poll_start() { # DOMID
	rm -f "$XH_RUN/drain-keys"
	echo "$1" > "$XH_RUN/drain-poll.domid"
	( while :; do xh_drain_snapshot "$1"; sleep 0.2; done ) &
	echo $! > "$XH_RUN/drain-poll.pid"
}

xh_drain_poll_stop() {
	kill "$(cat "$XH_RUN/drain-poll.pid")" 2>/dev/null
	wait "$(cat "$XH_RUN/drain-poll.pid")" 2>/dev/null
	# A domain that is still there (save failed, suspend cancelled) keeps
	# its keys: read them once more.
	xh_drain_snapshot "$(cat "$XH_RUN/drain-poll.domid")"
	if [ -f "$XH_RUN/drain-keys" ]; then
		xh_info "frontend drain keys: $(tr '\n' ' ' < "$XH_RUN/drain-keys")"
	else
		xh_info "frontend drain keys: none seen"
	fi
}

xh_drain_key() { # KEY -> value seen by the last poll
	sed -n "s/^$1 = \"\\(.*\\)\"\$/\\1/p" "$XH_RUN/drain-keys" 2>/dev/null | head -1
}

# ---- migration timeline ----------------------------------------------------
# Log (dom0 uptime) when the source domain suspends, when the incoming domain
# appears and when it first runs, so a run that fails to reproduce a race
# shows how long the guest was away.
xh_timeline_start() { # NAME
	(
		src_s='' in_seen='' in_run=''
		while :; do
			l=$(xl list 2>/dev/null)
			st=$(echo "$l" | awk -v n="$1" '$1 == n { print $5 }')
			in=$(echo "$l" | awk -v n="$1--incoming" '$1 == n { print $5 }')
			if [ -z "$src_s" ] && [ "${st#*s}" != "$st" ]; then
				src_s=1; xh_info "timeline: source $1 suspended"
			fi
			if [ -z "$in_seen" ] && [ -n "$in" ]; then
				in_seen=1; xh_info "timeline: incoming domain created"
			fi
			if [ -z "$in_run" ] && [ -n "$in$st" ] && [ -n "$src_s" ] && [ -z "$in" ] &&
			   [ "${st#*p}" = "$st" ] && [ "${st#*s}" = "$st" ]; then
				in_run=1; xh_info "timeline: $1 running again (state $st)"
			fi
			sleep 0.5
		done
	) &
	echo $! > "$XH_RUN/timeline.pid"
}

xh_timeline_stop() {
	kill "$(cat "$XH_RUN/timeline.pid" 2>/dev/null)" 2>/dev/null
}

# ---- checks -------------------------------------------------------------------
# Parse the verify line into V_* variables.
xh_parse_verify() { # "LINE"
	V_BLOCKS=$(xh_kv "$1" blocks)
	V_OK=$(xh_kv "$1" ok)
	V_STALE=$(xh_kv "$1" stale)
	V_CORRUPT=$(xh_kv "$1" corrupt)
	V_FUTURE=$(xh_kv "$1" future)
	V_IOERR=$(xh_kv "$1" ioerr)
	V_WRITES=$(xh_kv "$1" writes)
	V_WERR=$(xh_kv "$1" write_errors)
	[ -n "$V_BLOCKS" ] && [ -n "$V_STALE" ]
}

# Empty when the verify result is clean, else the reason.
xh_verify_problems() {
	local p=
	[ "$V_STALE" = 0 ] || p="$p stale=$V_STALE/$V_BLOCKS"
	[ "$V_CORRUPT" = 0 ] || p="$p corrupt=$V_CORRUPT"
	[ "$V_FUTURE" = 0 ] || p="$p future=$V_FUTURE"
	[ "$V_IOERR" = 0 ] || p="$p read_errors=$V_IOERR"
	[ "$V_WERR" = 0 ] || p="$p write_errors=$V_WERR"
	echo "${p# }"
}

# ---- cleanup --------------------------------------------------------------------
xh_cleanup() {
	local d l
	for d in $(xl list 2>/dev/null | awk 'NR > 1 && $1 != "Domain-0" { print $1 }'); do
		xl destroy "$d" >/dev/null 2>&1
	done
	[ -f "$XH_RUN/drain-poll.pid" ] && kill "$(cat "$XH_RUN/drain-poll.pid")" 2>/dev/null
	xh_timeline_stop
	if [ -f "$XH_RUN/bg.pids" ]; then
		# Children (tail, sed) first, while they still have their parent.
		pkill -P "$(tr '\n' ',' < "$XH_RUN/bg.pids" | sed 's/,$//')" 2>/dev/null
		# shellcheck disable=SC2046
		kill $(cat "$XH_RUN/bg.pids") 2>/dev/null
	fi
	# A retried scenario reuses domain names: its console logs start empty.
	mkdir -p "$XH_CONSOLE_DIR/done"
	for l in "$XH_CONSOLE_DIR"/guest-*.log; do
		[ -f "$l" ] && mv "$l" "$XH_CONSOLE_DIR/done/$(date +%s%N)-${l##*/}"
	done
	for d in $(dmsetup ls 2>/dev/null | awk '/^xh-/ { print $1 }'); do
		dmsetup resume "$d" 2>/dev/null	# a scenario may leave it suspended
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			dmsetup remove "$d" 2>/dev/null && break
			sleep 2
		done
	done
	for l in "$XH_RUN"/*.loop; do
		[ -f "$l" ] && losetup -d "$(cat "$l")" 2>/dev/null
	done
	rm -f "$XH_RUN"/*.loop "$XH_RUN"/bg.pids "$XH_RUN"/*.mbseq "$XH_RUN"/*.mbox "$XH_RUN"/drain-* "$XH_RUN"/crash
	rm -f "$XH_VAR"/*
	xl dmesg -c > /dev/null 2>&1
}
