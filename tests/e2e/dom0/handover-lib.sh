# shellcheck shell=bash
# shellcheck disable=SC2015  # "a && b || fail": fail when either step fails
# dom0 helpers of the handover-* scenarios (issue 7): the project's hotplug
# hook and daemon on a real Xen dom0. One VDI (HO_VDI) over the shared loop
# device, reached through a dm-delay device (xh-zdelay-NAME; the "z" makes
# xh_cleanup remove it after the hook's xh-VDI-D-N devices that sit on it),
# the lease in a file, tapdisk-activated with host-id 1.

HO_VDI=e2e0
HO_ETC=/etc/xen-handover
HO_LEASE=$XH_VAR/$HO_VDI.lease
HO_LOG=$XH_RUN/daemon.log
HO_HOOK_LOG=/var/log/xen/xen-hotplug.log
HO_TOOL=/usr/sbin/tapdisk-activate

# The tools xen-handover installed (main.sh ran dpkg -i; lib.sh:
# xh_pkg_install): skips or fails the scenario as that went.
ho_install() {
	local st
	st=$(cat "$XH_PKG_STATE" 2>/dev/null) || st="FAIL main.sh did not install the xen-handover package"
	case $st in
	ok\ *) ;;
	SKIP\ *) xh_skip "${st#SKIP }" ;;
	*) xh_fail "${st#FAIL }" ;;
	esac
	"$HO_TOOL" --version > /dev/null 2>&1 ||
		xh_fail "tapdisk-activate does not run in dom0: $("$HO_TOOL" --version 2>&1 | head -1)"
	grep -qw device-mapper /proc/misc || xh_skip "dom0 kernel has no device-mapper"
	HO_HOOK_FROM=$(( $({ wc -l < "$HO_HOOK_LOG"; } 2>/dev/null || echo 0) + 1 ))
}

# Shared storage + VDI definition + lease. Writes delayed WDELAY_MS.
ho_storage() { # NAME WDELAY_MS
	local name=$1 w=$2 loop sz
	xh_backing_file "$name" || return 1
	loop=$(xh_loop "$name")
	sz=$(blockdev --getsz "$loop")
	HO_DELAY_DEV=xh-zdelay-$name
	dmsetup create "$HO_DELAY_DEV" --table "0 $sz delay $loop 0 0 $loop 0 $w $loop 0 0" || return 1
	mkdir -p "$HO_ETC/vdi"
	cat > "$HO_ETC/vdi/$HO_VDI.conf" <<EOC
image = $loop
format = raw
backend = dm
lease = $HO_LEASE
device = /dev/mapper/$HO_DELAY_DEV
EOC
	# deactivate's dm suspend waits for the writes in the delay queue:
	# its bound must exceed the storage's worst write latency.
	cat > "$HO_ETC/tapdisk-activated.conf" <<EOC
host-id = 1
deactivate-timeout = $(( w / 1000 + 60 ))
EOC
	"$HO_TOOL" lease init "$HO_LEASE" --timeout 60 > "$XH_RUN/lease-init.log" 2>&1 || {
		cat "$XH_RUN/lease-init.log"
		return 1
	}
	xh_info "VDI $HO_VDI: image $loop, device /dev/mapper/$HO_DELAY_DEV (writes delayed $w ms), lease $HO_LEASE"
}

# Writes through the delay device land at once from now on. dm-delay's
# suspend hands down what it still holds, so only call this once nothing
# the test examines can be in that queue (the source released its disk).
ho_drop_delay() { # NAME
	local sz
	sz=$(blockdev --getsz "$(xh_loop "$1")")
	dmsetup load "$HO_DELAY_DEV" --table "0 $sz linear $(xh_loop "$1") 0" &&
		timeout 60 dmsetup suspend "$HO_DELAY_DEV" && dmsetup resume "$HO_DELAY_DEV"
}

# The daemon as the installed unit starts it (its ExecStart; dom0 runs no
# systemd), its stderr with a dom0-uptime stamp per line.
ho_daemon_start() {
	local unit
	local -a argv
	for unit in /lib/systemd/system/tapdisk-activated.service \
		/usr/lib/systemd/system/tapdisk-activated.service; do
		[ -f "$unit" ] && break
	done
	read -r -a argv <<< "$(sed -n 's/^ExecStart=//p' "$unit" 2>/dev/null | tail -1)"
	[ ${#argv[@]} -gt 0 ] || xh_fail "no tapdisk-activated.service with an ExecStart installed"
	xh_info "daemon: ${argv[*]} (ExecStart of $unit)"
	(
		exec "${argv[@]}" 2>&1 < /dev/null |
			while IFS= read -r l; do echo "[$(xh_up)] $l"; done > "$HO_LOG"
	) &
	echo $! >> "$XH_RUN/bg.pids"
	for _ in $(seq 40); do
		grep -q 'started: host-id' "$HO_LOG" 2>/dev/null && return 0
		sleep 0.5
	done
	tail -5 "$HO_LOG" 2>/dev/null
	xh_fail "tapdisk-activated did not start: $(tail -1 "$HO_LOG" 2>/dev/null)"
}

ho_daemon_stop() {
	local pid
	pid=$(pidof tapdisk-activated) && kill "$pid" 2>/dev/null
	for _ in $(seq 20); do
		pidof tapdisk-activated > /dev/null || break
		sleep 0.5
	done
}

# Artefacts as the scenario ended: /vdi-handover, the lease, dm devices.
ho_save_state() {
	local o=$XH/out/$XH_SCENARIO
	mkdir -p "$o"
	xenstore-ls -f /vdi-handover > "$o/vdi-handover.txt" 2>&1
	"$HO_TOOL" lease status "$HO_LEASE" > "$o/lease-status.txt" 2>&1
	dmsetup info > "$o/dmsetup-info.txt" 2>&1
	dmsetup table > "$o/dmsetup-table.txt" 2>&1
}

# Runs on every exit of a handover scenario (pass, fail, skip): domains
# are destroyed while the daemon still runs (their removal asks it), then
# the daemon stops and its log, with the teardown, is saved.
ho_finish() {
	local d o=$XH/out/$XH_SCENARIO
	ho_save_state
	for d in $(xl list 2>/dev/null | awk 'NR > 1 && $1 != "Domain-0" { print $1 }'); do
		timeout 60 xl destroy "$d" > /dev/null 2>&1
	done
	ho_daemon_stop
	sleep 0.5	# the stamping loop writes the last lines
	cp "$HO_LOG" "$o/daemon.log" 2>/dev/null
	tail -n "+${HO_HOOK_FROM:-1}" "$HO_HOOK_LOG" > "$o/hotplug.log" 2>/dev/null
	# A fenced or half-removed disk: fail its queued I/O, then remove it.
	for d in $(dmsetup ls 2>/dev/null | awk -v v="xh-$HO_VDI-" 'index($1, v) == 1 { print $1 }'); do
		dmsetup load "$d" --table "0 $(blockdev --getsz "/dev/mapper/$d" 2>/dev/null || echo 8) error" 2>/dev/null
		dmsetup resume "$d" 2>/dev/null
		dmsetup remove "$d" 2>/dev/null
	done
	xenstore-rm /vdi-handover 2>/dev/null
	rm -rf "$HO_ETC"
}

# Guest config: xh_guest_cfg with the block-handover disk.
ho_guest_cfg() { # NAME [BLKFRONT [EXTRA_CMDLINE]]
	xh_guest_cfg "$1" pvh /dev/null "${2:-stock}" "${3:-}" |
		sed "s|^disk = .*|disk = [ 'format=raw,vdev=xvda,access=rw,script=block-handover,target=$HO_VDI' ]|"
}

# First backend device id of DOMID (xvda: 51712).
ho_devid() { # DOMID
	xenstore-list "/local/domain/0/backend/vbd/$1" 2>/dev/null | head -1
}

ho_att_key() { # DOMID DEVID KEY
	xenstore-read "/vdi-handover/$HO_VDI/att/$1-$2/$3" 2>/dev/null
}

# Waits until the attachment reaches STATE; 0 reached, 1 timeout.
ho_wait_att() { # DOMID DEVID STATE TIMEOUT_S
	local t0
	t0=$(xh_up)
	while [ "$(ho_att_key "$1" "$2" state)" != "$3" ]; do
		awk -v a="$t0" -v b="$(xh_up)" -v t="$4" 'BEGIN { exit !(b - a > t) }' && return 1
		sleep 0.2
	done
}

# Line number of the first daemon log line matching ERE (0: none).
ho_log_line() { # ERE
	local n
	n=$(grep -n -E -m1 -- "$1" "$HO_LOG" | cut -d: -f1)
	echo "${n:-0}"
}

# dom0 uptime stamped on that line ("" if none).
ho_log_time() { # ERE
	grep -E -m1 -- "$1" "$HO_LOG" | sed -n 's/^\[\([0-9.]*\)\].*/\1/p'
}

ho_log_has() { # ERE
	grep -q -E -- "$1" "$HO_LOG"
}

ho_transition() { # DOMID DEVID FROM TO -> ERE of that daemon log line
	echo "VDI $HO_VDI domain $1 disk $2: $3 -> $4\$"
}

ho_lease_state() {
	"$HO_TOOL" lease status --json "$HO_LEASE" 2>/dev/null | sed -n 's/.*"state": *"\([a-z-]*\)".*/\1/p' | head -1
}

ho_lease_version() {
	"$HO_TOOL" lease status --json "$HO_LEASE" 2>/dev/null | sed -n 's/.*"version": *\([0-9]*\).*/\1/p' | head -1
}

ho_dm_state() { # DMNAME -> ACTIVE | SUSPENDED | missing
	dmsetup info "$1" 2>/dev/null | sed -n 's/^State: *//p' | head -1 | grep . || echo missing
}
