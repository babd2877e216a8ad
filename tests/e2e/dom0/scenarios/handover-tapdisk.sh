# shellcheck shell=bash
# shellcheck disable=SC2015  # "a && b || fail": fail when either step fails
# handover-tapdisk (issue 15 item 4): the seed-bug migration of a STOCK
# xen-blkfront guest whose disk is a dynamic VHD served by real tapdisk
# (blktap, from the payload) under xl: block-handover's add opens it in a
# tapdisk of its own, connects the kernel NBD client to the VBD's NBD
# socket and pauses the VBD; blkback serves /dev/nbdN; tapdisk-activated
# activates it (RESUME reopens the VHD with fresh metadata). Checks:
#   - 0 stale blocks with every source write delayed XH_HO_TAPDISK_DELAY_MS in
#     dm-delay under the VHD (the source's deactivate, a tapdisk pause,
#     waits for them before the destination activates);
#   - the destination sees VHD metadata the source allocated after the
#     destination had opened the image: from the migration's start until
#     the source leaves active, every few seconds dom0 writes a witness
#     pattern into the next VHD block nobody wrote before, through a
#     second NBD connection to the SOURCE's VBD (td_witness_writer). The
#     witnesses tapdisk took before its pause complete, the last ones
#     after the destination's add (its tapdisk read the BAT, then paused),
#     and must read back through the destination's NBD device; those it
#     never took fail with EIO and must not be there. A tapdisk that kept
#     the BAT it read at add would serve zeros for the late ones.
. "$XH/dom0/handover-lib.sh"
. "$XH/dom0/scenarios/handover.sh"

# The witnesses' VHD blocks: TD_WITNESS_MIB + 2 K MiB, K < TD_WITNESSES,
# all inside the 48 MiB VHD and away from the guest's first block.
TD_WITNESS_MIB=8
TD_WITNESSES=19
TD_WITNESS_EVERY_S=3

# blktap at the prefix it was built for, nbd-client, nbd.ko, a syslog.
td_install() {
	local b=$XH/tools/blktap prefix
	[ -f "$b/prefix" ] || xh_skip "payload has no blktap build (scripts/build-blktap.sh on the host)"
	[ -x "$XH/tools/nbd/nbd-client" ] || xh_skip "payload has no nbd-client (apt-get download on the host failed)"
	prefix=$(cat "$b/prefix")
	mkdir -p "$(dirname "$prefix")" && cp -a "$b/inst" "$prefix" &&
		ln -sf "$prefix/sbin/tap-ctl" /usr/local/sbin/tap-ctl &&
		ln -sf "$prefix/bin/vhd-util" /usr/local/sbin/vhd-util &&
		install -m 755 "$XH/tools/nbd/nbd-client" /usr/local/sbin/nbd-client &&
		cp -a "$XH"/tools/nbd/libnl-*.so.* /usr/lib/x86_64-linux-gnu/ ||
		xh_fail "installing blktap / nbd-client failed"
	ldconfig 2>/dev/null
	tap-ctl list > /dev/null 2>&1 || mkdir -p /run/blktap-control
	nbd-client -h > /dev/null 2>&1; [ $? -le 1 ] ||
		xh_fail "nbd-client does not run in dom0: $(nbd-client -h 2>&1 | head -1)"
	# As block-handover loads it: without partitions, blkback's open
	# reads nothing (a partition scan would wait on the paused VBD).
	modprobe nbd max_part=0 || xh_skip "dom0 kernel has no nbd.ko"
	# tapdisk logs to syslog; without /dev/log glibc writes the console.
	[ -S /dev/log ] || busybox syslogd -O "$XH_RUN/syslog.log" 2>/dev/null
}

# Everything tapdisk: NBD devices disconnected, tapdisks destroyed.
td_finish() {
	local o=$XH/out/$XH_SCENARIO l
	mkdir -p "$o"
	tap-ctl list > "$o/tap-ctl-list.txt" 2>&1
	ho_finish
	for l in /sys/block/nbd*; do
		[ "$(cat "$l/size" 2>/dev/null)" = 0 ] || timeout 10 nbd-client -d "/dev/${l##*/}" > /dev/null 2>&1
	done
	tap-ctl list 2>/dev/null | sed -n 's/^pid=\([0-9]*\) minor=\([0-9]*\).*/\1 \2/p' |
		while read -r p m; do timeout 10 tap-ctl destroy -p "$p" -m "$m" > /dev/null 2>&1; done
	cp "$XH_RUN/syslog.log" "$XH_RUN/witness.rc" "$o/" 2>/dev/null
}

# The shared storage: a fresh dynamic VHD written to the LUN (as LVHD
# keeps VHDs on LVs), under dm-delay (no delay until td_delay), and its
# VDI definition: backend = tapdisk. A copy of the footer goes to the
# end of the LUN: tapdisk-activate's validator reads the footer at the end
# of the image, where a VHD file has it (tapdisk itself reads the copy at
# offset 0 and keeps the real footer after the last data block). Not a
# VHD file on ext4: a VHD data block starts one bitmap sector into its
# 2 MiB, so every 4 KiB guest write is unaligned for ext4's direct I/O,
# which serialises those: with each write delayed 30 s the guest's I/O
# stalled for minutes and its suspend failed.
td_storage() { # NAME
	local name=$1 loop sz
	xh_backing_file "$name" || return 1
	loop=$(xh_loop "$name")
	sz=$(blockdev --getsz "$loop")
	TD_IMAGE=/dev/mapper/xh-zdelay-$name
	vhd-util create -n "$XH_RUN/$name.vhd" -s 48 > "$XH_RUN/vhd-create.log" 2>&1 || {
		cat "$XH_RUN/vhd-create.log"
		return 1
	}
	dd if="$XH_RUN/$name.vhd" of="$loop" bs=512 conv=notrunc oflag=direct status=none &&
		tail -c 512 "$XH_RUN/$name.vhd" |
		dd of="$loop" bs=512 seek=$(( sz - 1 )) conv=notrunc oflag=direct status=none ||
		return 1
	HO_DELAY_DEV=xh-zdelay-$name
	dmsetup create "$HO_DELAY_DEV" --table "0 $sz linear $loop 0" || return 1
	mkdir -p "$HO_ETC/vdi"
	cat > "$HO_ETC/vdi/$HO_VDI.conf" <<EOC
image = $TD_IMAGE
backend = tapdisk
lease = $HO_LEASE
EOC
	cat > "$HO_ETC/tapdisk-activated.conf" <<EOC
host-id = 1
deactivate-timeout = $(( ${XH_HO_TAPDISK_DELAY_MS:-8000} / 1000 * 4 + 60 ))
EOC
	"$HO_TOOL" lease init "$HO_LEASE" --timeout 60 > "$XH_RUN/lease-init.log" 2>&1 || {
		cat "$XH_RUN/lease-init.log"
		return 1
	}
	xh_info "VDI $HO_VDI: dynamic VHD (48 MiB) on $TD_IMAGE over $loop, served by tapdisk"
}

# From now on writes to the LUN take WDELAY_MS.
td_delay() { # NAME WDELAY_MS
	local loop sz
	loop=$(xh_loop "$1")
	sz=$(blockdev --getsz "$loop")
	dmsetup load "$HO_DELAY_DEV" --table "0 $sz delay $loop 0 0 $loop 0 $2 $loop 0 0" &&
		timeout 60 dmsetup suspend "$HO_DELAY_DEV" && dmsetup resume "$HO_DELAY_DEV"
}

td_nbd() { # DOMID DEVID -> the disk's /dev/nbdN
	xenstore-read "/local/domain/0/backend/vbd/$1/$2/xh-nbd" 2>/dev/null
}

# The witnesses go through a second NBD connection to the source's VBD:
# tapdisk's NBD server reads no more requests from a connection whose 8
# slots are in use (the guest's delayed writes fill them), so a write on
# the guest's own /dev/nbdN could still sit in the socket at the pause.
td_witness_dev() { # SRC DEVID -> a /dev/nbdN connected to the source's VBD
	local tap sock d dev=
	tap=$(xenstore-read "/local/domain/0/backend/vbd/$1/$2/xh-tapdisk" 2>/dev/null)
	sock=/run/blktap-control/nbd${tap%%:*}.${tap##*:}
	[ -S "$sock" ] || { echo "no NBD socket $sock" > "$XH_RUN/witness-nbd.log"; return 1; }
	exec 7> /run/block-handover-nbd.lock && flock -w 10 7 || return 1
	for d in /sys/block/nbd*; do
		[ -e "$d/pid" ] || [ "$(cat "$d/size" 2>/dev/null)" != 0 ] && continue
		dev=/dev/${d##*/}
		break
	done
	[ -n "$dev" ] && timeout 15 nbd-client -u "$sock" "$dev" -N witness > "$XH_RUN/witness-nbd.log" 2>&1 ||
		dev=
	# Held until the device has its size, as block-handover does: a size
	# of 0 without a pid file is what it takes for a free device.
	for _ in $(seq 50); do
		[ -z "$dev" ] || [ "$(cat "/sys/block/${dev#/dev/}/size" 2>/dev/null)" != 0 ] && break
		sleep 0.1
	done
	exec 7>&-
	[ -n "$dev" ] && echo "$dev"
}

# The witnesses: while the source is active and migrating, every
# TD_WITNESS_EVERY_S a write through the second NBD connection into the
# next VHD block nobody wrote before (from TD_WITNESS_MIB on). Every write
# to the LUN is delayed, so each stays in tapdisk for its data, bitmap and
# BAT entry (several delays): those issued in the last seconds before the
# source's deactivate are still in flight when tapdisk pauses, and the
# pause waits for them; they land after the destination's add opened the
# image (its tapdisk read the BAT, then paused). Those issued after the
# pause are never read by tapdisk and fail with EIO when the source's
# remove disconnects. Issuing them on a timer, not at the daemon's
# "draining", keeps the result independent of how fast dom0 notices it.
# witness.rc, one line each: "K DD_STATUS ISSUED_AT DONE_AT" (dom0 uptime).
td_witness_one() { # NBD K
	local t0 rc
	t0=$(xh_up)
	printf 'XH-WITNESS %d %s\n' "$2" "$(date +%s%N)" > "$XH_RUN/witness-$2.pat"
	dd if="$XH_RUN/witness-$2.pat" of="$1" bs=4096 count=1 conv=sync,notrunc oflag=direct \
		seek=$(( (TD_WITNESS_MIB + 2 * $2) * 256 )) status=none 2>> "$XH_RUN/witness.err"
	rc=$?
	echo "$2 $rc $t0 $(xh_up)" >> "$XH_RUN/witness.rc"
}

td_witness_writer() { # WITNESS_NBD SRC DEVID
	local k=0
	: > "$XH_RUN/witness.rc"
	while [ "$(ho_att_key "$2" "$3" state)" = active ] && [ $k -lt $TD_WITNESSES ]; do
		td_witness_one "$1" $k &
		k=$(( k + 1 ))
		sleep "$TD_WITNESS_EVERY_S"
	done
	wait
}

# A witness issued after the pause waits in its connection even once the
# source's tapdisk is gone; disconnecting fails it with EIO. Then the
# writer ends (bounded: 30 s).
td_witness_end() { # WITNESS_NBD WRITER_PID
	timeout 10 nbd-client -d "$1" > /dev/null 2>&1
	for _ in $(seq 150); do
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.2
	done
	ho_fail "the witness writer did not end within 30 s of disconnecting $1: $(tr '\n' ';' < "$XH_RUN/witness.rc")"
}

# Sets TD_W_ALL, TD_W_OK (completed), TD_W_LATE (completed more than
# MARGIN_S after DST_OPEN) and TD_W_BAD (the first broken rule, or "").
td_check_witnesses() { # DST_NBD DST_OPEN MARGIN_S
	local k rc t0 t1 want got
	TD_W_ALL=0 TD_W_OK=0 TD_W_LATE=0 TD_W_BAD=
	while read -r k rc t0 t1; do
		TD_W_ALL=$(( TD_W_ALL + 1 ))
		want=$(head -c 40 "$XH_RUN/witness-$k.pat" 2>/dev/null)
		[ -n "$want" ] || { TD_W_BAD=${TD_W_BAD:-"witness $k has no pattern file"}; continue; }
		got=$(timeout 30 dd if="$1" bs=4096 count=1 skip=$(( (TD_WITNESS_MIB + 2 * k) * 256 )) \
			iflag=direct status=none | head -c 40 | tr -d '\000')
		if [ "$rc" = 0 ]; then
			TD_W_OK=$(( TD_W_OK + 1 ))
			# Late: completed more than one write delay after the
			# destination's open was logged, so no lag in noticing
			# the completion can make an earlier one look late.
			awk -v o="$2" -v d="$t1" -v m="$3" 'BEGIN { exit !(o != "" && d - o > m) }' &&
				TD_W_LATE=$(( TD_W_LATE + 1 ))
			[ "$got" = "$want" ] || TD_W_BAD=${TD_W_BAD:-"witness $k (issued ${t0}, done ${t1}) reads '$(echo "$got" | tr -dc '[:print:]')' on the destination, not what the source wrote"}
		elif [ -n "$got" ]; then
			TD_W_BAD=${TD_W_BAD:-"witness $k failed on the source (issued ${t0}, EIO ${t1}) but the destination reads '$(echo "$got" | tr -dc '[:print:]')'"}
		fi
	done < "$XH_RUN/witness.rc"
	[ "$TD_W_ALL" -gt 0 ] || TD_W_BAD="no witness was issued (the source left 'active' at once?)"
}

handover_tapdisk() {
	# 8 s, not seed-bug's 30: tapdisk's NBD server has 8 request slots
	# per connection (NBD_SERVER_NUM_REQS) and stops reading the socket
	# when they are used, so with 16 writes delayed in the source every
	# read waits behind them; with 30 s the guest's mailbox read kept a
	# task in D state past the 20 s freeze timeout and its suspend failed
	# ("freeze processes failed -16"). nbd.ko spreads requests over
	# connections by hardware queue: with one dom0 vCPU, one connection.
	local w=${XH_HO_TAPDISK_DELAY_MS:-8000} problems src_nbd dst_nbd wit_nbd wit_pid dst_open
	NAME=ho-tapdisk
	ho_install
	td_install
	trap td_finish EXIT
	td_storage "$NAME" || xh_fail "VHD storage setup failed"
	ho_daemon_start
	ho_guest_cfg "$NAME" stock "" > "$XH_RUN/$NAME.cfg"
	DST_CFG=$XH_RUN/$NAME.cfg
	xh_guest_start "$NAME" "$XH_RUN/$NAME.cfg"
	HO_GUEST_UP=1
	SRC=$(xl domid "$NAME")
	DEVID=$(ho_devid "$SRC")
	[ -n "$DEVID" ] || ho_fail "no backend disk for domain $SRC"
	ho_wait_att "$SRC" "$DEVID" active 120 ||
		ho_fail "the daemon never activated domain $SRC disk $DEVID (state '$(ho_att_key "$SRC" "$DEVID" state)'): $(tail -3 "$HO_LOG" | tr '\n' ' ')"
	src_nbd=$(td_nbd "$SRC" "$DEVID")
	[ -b "$src_nbd" ] || ho_fail "source disk has no NBD device ('$src_nbd')"
	echo "$src_nbd" > "$XH_RUN/$NAME.mbox"
	# The records' VHD block allocated and its sector bitmap full before
	# the delay: each bitmap update is a metadata write tapdisk makes
	# before the data's, one at a time, and with every write delayed
	# the guest's I/O would stall for minutes (its suspend then fails).
	dd if=/dev/zero of="$src_nbd" bs=1M count=2 oflag=direct status=none ||
		ho_fail "cannot fill the first VHD block through $src_nbd"
	wit_nbd=$(td_witness_dev "$SRC" "$DEVID") ||
		ho_fail "cannot connect a second NBD device to the source's VBD: $(cat "$XH_RUN/witness-nbd.log" 2>/dev/null)"
	xh_info "source domain $SRC disk $DEVID active on $src_nbd, tapdisk $(xenstore-read "/local/domain/0/backend/vbd/$SRC/$DEVID/xh-tapdisk"), witness through $wit_nbd"
	xh_mbox_or_fail "$NAME" 120 load "pace_us=${XH_LOAD_PACE_US:-2000} max_s=900 stagger_ms=$(( w / 16 )) stop_after_resume_ms=${XH_S1_STOP_AFTER_RESUME_MS:-1000}"
	xh_info "load started: $MB_REPLY"
	td_delay "$NAME" "$w" || ho_fail "cannot delay the LUN's writes"
	xh_info "source writes now delayed $w ms"
	sleep $(( w / 1000 ))
	(
		ho_wait_att "$SRC" "$DEVID" released 400 || exit 0
		ho_drop_delay "$NAME" && xh_info "source released: write delay dropped"
	) &
	echo $! >> "$XH_RUN/bg.pids"
	td_witness_writer "$wit_nbd" "$SRC" "$DEVID" &
	wit_pid=$!
	echo $wit_pid >> "$XH_RUN/bg.pids"
	xh_migrate_local
	DST=$(xl domid "$NAME")
	[ -n "$DST" ] && [ "$DST" != "$SRC" ] || ho_fail "no migrated domain (domid '$DST', source $SRC)"
	ho_wait_att "$DST" "$DEVID" active 120 ||
		ho_fail "destination domain $DST disk $DEVID never active (state '$(ho_att_key "$DST" "$DEVID" state)')"
	dst_nbd=$(td_nbd "$DST" "$DEVID")
	[ -b "$dst_nbd" ] || ho_fail "destination disk has no NBD device ('$dst_nbd')"
	echo "$dst_nbd" > "$XH_RUN/$NAME.mbox"
	ho_stop_and_verify
	DEACT_S=$(ho_secs_between "$(ho_transition "$SRC" "$DEVID" draining deactivating)" \
		"$(ho_transition "$SRC" "$DEVID" deactivating released)")
	WAIT_S=$(ho_secs_between "$(ho_transition "$SRC" "$DEVID" deactivating released)" \
		"$(ho_transition "$DST" "$DEVID" activating active)")
	# The witnesses: those the source's tapdisk completed are on the
	# destination, at least one landed after the destination had opened
	# the VHD, and those it never read (EIO) are not there.
	dst_open=$(ho_log_time "VDI $HO_VDI attached to domain $DST disk $DEVID ")
	td_witness_end "$wit_nbd" "$wit_pid"
	td_check_witnesses "$dst_nbd" "$dst_open" "$(( w / 1000 ))"
	xh_metric "blkfront=stock backend=tapdisk+nbd stale=$V_STALE blocks=$V_BLOCKS corrupt=$V_CORRUPT" \
		"writes=$V_WRITES migrate_s=$MIGRATE_S deactivate_s=$DEACT_S release_to_active_s=$WAIT_S" \
		"witnesses=$TD_W_OK/$TD_W_ALL landed_after_dst_open=$TD_W_LATE dst_open=${dst_open:-?}" \
		"src_nbd=$src_nbd wit_nbd=$wit_nbd dst_nbd=$dst_nbd"
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || ho_fail "records lost on tapdisk with the hook and daemon: $problems"
	ho_log_has 'ALERT' && ho_fail "daemon raised an alert: $(grep -m1 ALERT "$HO_LOG")"
	[ -z "$TD_W_BAD" ] || ho_fail "$TD_W_BAD"
	[ "$TD_W_LATE" -gt 0 ] ||
		ho_fail "no witness completed more than $(( w / 1000 )) s after the destination opened the VHD (at ${dst_open:-never}; $(tr '\n' ';' < "$XH_RUN/witness.rc")): this run shows nothing about stale metadata"
	awk -v d="$DEACT_S" -v w="$w" 'BEGIN { exit !(d != "?" && d * 4000 >= w) }' ||
		ho_fail "the source's deactivate took ${DEACT_S}s: it cannot have waited for writes delayed ${w} ms"
	xh_pass "0 of $V_BLOCKS blocks stale, stock xen-blkfront on a VHD through real tapdisk" \
		"(blkback over nbd): source paused after its delayed writes (deactivate ${DEACT_S}s)," \
		"destination active ${WAIT_S}s later and reads the $TD_W_LATE new VHD block(s) the" \
		"source allocated after the destination had opened the VHD ($TD_W_OK of $TD_W_ALL" \
		"witnesses completed, the rest never written); $V_WRITES writes, migrate ${MIGRATE_S}s"
}
