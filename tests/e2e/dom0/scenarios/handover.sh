# shellcheck shell=bash
# shellcheck disable=SC2015  # "a && b || fail": fail when either step fails
# Issue 7 on real Xen: the block-handover hook and tapdisk-activated drive
# the VDI handover of a STOCK xen-blkfront guest, no guest help.
#
#   handover-stock   scenario 1 (seed bug) with the hook and the daemon:
#                    the source's delayed writes land before the
#                    destination activates, so zero stale blocks (the
#                    control without them is seed-bug-stock)
#   handover-timeout drain-timeout with the hook and the daemon: the
#                    frontend reports timeout, the daemon waits for the
#                    source backend, zero stale blocks
#   handover-resume  migration fails after the source released its disk:
#                    the source resumes, the daemon reactivates with the
#                    version it released (released -> reactivating ->
#                    active), the workload goes on and verifies
#   handover-fenced  as -resume, but host 2 took the VDI meanwhile: the
#                    daemon refuses to reactivate (REACTIVATE-REFUSED,
#                    fenced, alert), guest I/O stalls instead of failing,
#                    xl destroy still removes the disk
#
# Source and destination run on this one dom0 and share one daemon (host
# 1) and one VDI definition, so the destination also writes through the
# dm-delay device; its delay is dropped once the source has released.
. "$XH/dom0/handover-lib.sh"

# Guest console lines that mean an I/O failed (kernel or workload).
HO_GUEST_ERRORS='I/O error|XH-G fatal|errors=[1-9]|write_errors=[1-9]'

# Fails the scenario; a guest that crashed meanwhile is named as such
# (main.sh and the host tell infrastructure crashes from failed checks).
ho_fail() {
	local why
	if [ "${HO_GUEST_UP:-0}" = 1 ]; then
		why=$(xh_guest_crash_reason "$NAME")
		[ -n "$why" ] && xh_fail "guest crashed ($*): $why"
	fi
	xh_fail "$@"
}

# Guest up on the VDI, the daemon activated it, record load running.
ho_setup() { # NAME WDELAY_MS "LOAD ARGS" [BLKFRONT [EXTRA_CMDLINE]]
	NAME=$1
	ho_install
	trap ho_finish EXIT
	ho_storage "$NAME" "$2" || xh_fail "storage setup failed"
	ho_daemon_start
	ho_guest_cfg "$NAME" "${4:-stock}" "${5:-}" > "$XH_RUN/$NAME.cfg"
	DST_CFG=$XH_RUN/$NAME.cfg
	xh_guest_start "$NAME" "$XH_RUN/$NAME.cfg"
	HO_GUEST_UP=1	# until the scenario destroys it
	SRC=$(xl domid "$NAME")
	DEVID=$(ho_devid "$SRC")
	[ -n "$DEVID" ] || ho_fail "no backend disk for domain $SRC"
	ho_wait_att "$SRC" "$DEVID" active 120 ||
		ho_fail "the daemon never activated domain $SRC disk $DEVID (state '$(ho_att_key "$SRC" "$DEVID" state)')"
	[ "$(ho_dm_state "xh-$HO_VDI-$SRC-$DEVID")" = ACTIVE ] ||
		ho_fail "xh-$HO_VDI-$SRC-$DEVID is $(ho_dm_state "xh-$HO_VDI-$SRC-$DEVID") although the daemon says active"
	V_ACT=$(ho_att_key "$SRC" "$DEVID" version)
	xh_info "domain $SRC disk $DEVID active, lease version $V_ACT"
	xh_mbox_or_fail "$NAME" 60 load "pace_us=${XH_LOAD_PACE_US:-2000} max_s=900 $3"
	xh_info "load started: $MB_REPLY"
}

# xl destroy of a crashed or fenced guest (the operator's way out) must
# also take its disk's dm device away.
ho_destroy_removes() { # DM WHAT
	timeout 120 xl destroy "$NAME" > "$XH_RUN/destroy.log" 2>&1 ||
		ho_fail "xl destroy of the $2 guest failed: $(tail -1 "$XH_RUN/destroy.log")"
	for _ in $(seq 60); do
		[ "$(ho_dm_state "$1")" = missing ] && return 0
		sleep 0.5
	done
	ho_fail "xl destroy of the $2 guest left $1 ($(ho_dm_state "$1")): $(grep -E 'error|cannot' "$HO_HOOK_LOG" | tail -1)"
}

# Leaves the verify result in V_*; fails on a guest problem.
ho_stop_and_verify() {
	xh_mbox_or_fail "$NAME" 240 stop
	xh_info "load stopped: $MB_REPLY"
	case $MB_REPLY in *stop-timeout*) ho_fail "in-flight writes never completed: $MB_REPLY" ;; esac
	# Hand down whatever still sits in the delay queue before reading back.
	timeout 120 dmsetup suspend "$HO_DELAY_DEV" && dmsetup resume "$HO_DELAY_DEV" ||
		ho_fail "flushing $HO_DELAY_DEV failed"
	xh_mbox_or_fail "$NAME" 90 verify
	xh_parse_verify "$MB_REPLY" || ho_fail "unparsable verify reply: $MB_REPLY"
	xh_guest_grep "$NAME" '^XH-G block ' | tail -"$V_BLOCKS" | sed 's/^/XH-INFO /'
}

# Seconds between two daemon log lines ("?" if one is missing).
ho_secs_between() { # ERE_FROM ERE_TO
	local a b
	a=$(ho_log_time "$1")
	b=$(ho_log_time "$2")
	[ -n "$a" ] && [ -n "$b" ] || { echo "?"; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b - a }'
}

# Scenario 1 with the hook and the daemon: the guest migrates while every
# block has a write in the source's delay queue. Sets DST, DL_REL, DL_ACT
# (daemon log lines of the source's release and the destination's
# activation), DEACT_S, WAIT_S (release to active) and the V_* verify
# result; fails when records were lost or the order is wrong.
ho_seed_migrate() { # NAME WDELAY_MS BLKFRONT EXTRA_CMDLINE
	local w=$2 problems
	# As seed-bug: staggered blocks, the guest stops its load by itself
	# shortly after it resumed on the destination.
	ho_setup "$1" "$w" "stagger_ms=$(( w / 16 )) stop_after_resume_ms=${XH_S1_STOP_AFTER_RESUME_MS:-1000}" "$3" "$4"
	sleep $(( w / 1000 ))	# every block has a write in the delay queue
	(
		ho_wait_att "$SRC" "$DEVID" released 400 || exit 0
		if ho_drop_delay "$NAME"; then
			xh_info "source released: write delay dropped"
		else
			xh_info "dropping the write delay failed"
		fi
	) &
	echo $! >> "$XH_RUN/bg.pids"
	xh_migrate_local
	DST=$(xl domid "$NAME")
	[ -n "$DST" ] && [ "$DST" != "$SRC" ] || ho_fail "no migrated domain (domid '$DST', source $SRC)"
	ho_wait_att "$DST" "$DEVID" active 120 ||
		ho_fail "destination domain $DST disk $DEVID never active (state '$(ho_att_key "$DST" "$DEVID" state)')"
	ho_stop_and_verify
	AWAY_S=$(xh_kv "$(xh_guest_grep "$NAME" '^XH-G resumed' | tail -1)" away_s)
	DL_REL=$(ho_log_line "$(ho_transition "$SRC" "$DEVID" deactivating released)")
	DL_ACT=$(ho_log_line "$(ho_transition "$DST" "$DEVID" idle activating)")
	DEACT_S=$(ho_secs_between "$(ho_transition "$SRC" "$DEVID" draining deactivating)" \
		"$(ho_transition "$SRC" "$DEVID" deactivating released)")
	WAIT_S=$(ho_secs_between "$(ho_transition "$SRC" "$DEVID" deactivating released)" \
		"$(ho_transition "$DST" "$DEVID" activating active)")
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || ho_fail "records lost with the hook and daemon: $problems"
	[ "$DL_REL" -gt 0 ] || ho_fail "daemon log has no '$SRC disk $DEVID: deactivating -> released'"
	[ "$DL_ACT" -gt 0 ] || ho_fail "daemon log has no '$DST disk $DEVID: idle -> activating'"
	[ "$DL_REL" -lt "$DL_ACT" ] ||
		ho_fail "destination activation (log line $DL_ACT) before the source released (line $DL_REL)"
	ho_log_has 'ALERT' && ho_fail "daemon raised an alert: $(grep -m1 ALERT "$HO_LOG")"
	# Every block always has a write in the delay queue: a short pause
	# means the source's writes were not waited for (or not delayed).
	awk -v d="$DEACT_S" -v w="$w" 'BEGIN { exit !(d != "?" && d * 4000 >= w) }' ||
		ho_fail "the source's deactivate took ${DEACT_S}s: it cannot have waited for writes delayed ${w} ms"
}

handover_stock() {
	local w=${XH_HO_DELAY_MS:-${XH_S1_DELAY_MS:-30000}}

	ho_seed_migrate ho-stock "$w" stock ""
	xh_metric "blkfront=stock hook=block-handover stale=$V_STALE blocks=$V_BLOCKS corrupt=$V_CORRUPT" \
		"writes=$V_WRITES migrate_s=$MIGRATE_S away_s=${AWAY_S:-?} deactivate_s=$DEACT_S" \
		"release_to_active_s=$WAIT_S version_src=$V_ACT version_dst=$(ho_att_key "$DST" "$DEVID" version)"
	ho_log_has "domain $SRC disk $DEVID suspended: frontend without drain" ||
		ho_fail "no 'suspended: frontend without drain' line for domain $SRC (frontend keys: $(xh_drain_key drain-state))"
	xh_pass "0 of $V_BLOCKS blocks stale with stock xen-blkfront + block-handover:" \
		"source released (deactivate ${DEACT_S}s, delayed writes landed) before the destination" \
		"activated (${WAIT_S}s later), $V_WRITES writes, migrate ${MIGRATE_S}s"
}

# Scenario 2 (drain-timeout) with the hook and the daemon instead of the
# harness ordering the handover: xen-blkfront-drain gives up after
# drain_timeout_ms and re-issues what was still on the ring; the daemon,
# told drain-state=timeout, waits for the source backend before it
# releases, so those requests land after the source's delayed copies.
handover_timeout() {
	local w=${XH_HO_TIMEOUT_DELAY_MS:-15000} tmo=${XH_DRAIN_TIMEOUT_MS:-3000}
	local state inflight reissued

	ho_seed_migrate ho-timeout "$w" drain "xh_drain_args=drain_timeout_ms=$tmo"
	state=$(xh_drain_key drain-state)
	inflight=$(xh_drain_key drain-inflight)
	reissued=$(xh_guest_counter "$NAME" "${XH_REISSUE_COUNTER:-reissued}")
	xh_metric "blkfront=drain hook=block-handover stale=$V_STALE blocks=$V_BLOCKS corrupt=$V_CORRUPT" \
		"drain_state=$state drain_inflight=$inflight reissued=${reissued:-n/a}" \
		"migrate_s=$MIGRATE_S deactivate_s=$DEACT_S release_to_active_s=$WAIT_S"
	[ "$state" = timeout ] || ho_fail "xenstore drain-state='$state' (want timeout)"
	case $inflight in '' | *[!0-9]*) ho_fail "drain-inflight='$inflight' is not a count" ;; esac
	[ "$inflight" -ge 1 ] || ho_fail "drain-inflight=$inflight (want >= 1 with writes delayed ${w} ms)"
	ho_log_has "domain $SRC disk $DEVID suspended: frontend drain incomplete" ||
		ho_fail "no 'suspended: frontend drain incomplete' line for domain $SRC"
	case ${reissued:-x} in '' | *[!0-9]*) ho_fail "re-issue counter '${reissued:-missing}' unreadable" ;; esac
	[ "$reissued" -le "$inflight" ] ||
		ho_fail "re-issued $reissued requests, more than the $inflight still on the ring at the timeout"
	xh_pass "drain-state=timeout with $inflight in flight, $reissued re-issued on the destination," \
		"0 of $V_BLOCKS blocks stale: the daemon released the source only after its writes" \
		"landed (deactivate ${DEACT_S}s), destination active ${WAIT_S}s later"
}

# Failed migration after the source released: shared by -resume/-fenced.
# Sets V_REL (the version the source released) and leaves the receiver
# stopped until ho_kill_receiver.
ho_failing_migrate_start() {
	rm -f "$XH_RUN/ho-kill"
	xh_drain_poll_start "$SRC"
	xl -v migrate -s '' -C "$DST_CFG" "$NAME" "$XH/dom0/handover-receiver.sh $NAME" \
		> "$XH_RUN/$NAME.migrate.log" 2>&1 &
	MIG_PID=$!
	ho_wait_att "$SRC" "$DEVID" released 150 || {
		touch "$XH_RUN/ho-kill"
		ho_fail "the source never released its disk (state '$(ho_att_key "$SRC" "$DEVID" state)'," \
			"domain $(xl list "$NAME" 2>/dev/null | awk 'NR == 2 { print $5 }'))"
	}
	V_REL=$(ho_att_key "$SRC" "$DEVID" version)
	# The receiver polls `xl list` and may notice the suspend a little
	# after the daemon released; it only has to stop before it finishes.
	for _ in $(seq 40); do
		[ -f "$XH_RUN/ho-receiver-stopped" ] && break
		sleep 0.5
	done
	[ -f "$XH_RUN/ho-receiver-stopped" ] || {
		touch "$XH_RUN/ho-kill"
		ho_fail "the receiver was not stopped after the suspend: the migration is not failing as planned"
	}
	xh_info "source released version $V_REL; receiver stopped"
}

ho_kill_receiver() {
	local rc
	touch "$XH_RUN/ho-kill"
	for _ in $(seq 240); do kill -0 "$MIG_PID" 2>/dev/null || break; sleep 0.5; done
	kill -0 "$MIG_PID" 2>/dev/null && ho_fail "xl migrate still running 120 s after its receiver died"
	wait "$MIG_PID"
	rc=$?
	xh_drain_poll_stop
	grep -E 'killed|resum|fail' "$XH_RUN/$NAME.migrate.log" | tail -6 | sed 's/^/XH-INFO migrate: /'
	[ $rc != 0 ] || ho_fail "the migration succeeded although its receiver was killed"
	xl destroy "$NAME--incoming" > /dev/null 2>&1
	[ "$(xl domid "$NAME" 2>/dev/null)" = "$SRC" ] ||
		ho_fail "guest is not running on the source any more (domid $(xl domid "$NAME" 2>&1))"
}

# Completed-write counter from a mailbox ping, into COMPLETED (not echoed:
# ho_fail in a $(...) subshell would not end the scenario).
ho_completed() {
	xh_mbox_or_fail "$NAME" 90 ping
	COMPLETED=$(xh_kv "$MB_REPLY" completed)
}

# The guest crashes (on_crash = "preserve" keeps the domain): the daemon
# must release the VDI and forget the disk, and the later xl destroy must
# still remove it (block-handover's remove asks about a disk the daemon no
# longer tracks). Sets CRASH_PHASE; skips itself where Xen cannot crash
# the guest on demand.
ho_crash_then_destroy() {
	local hc=${XH_XEN_LIB:-/usr/lib/xen-4.17}/bin/xen-hvmcrash dm=xh-$HO_VDI-$SRC-$DEVID st t0
	CRASH_PHASE=skipped
	[ -x "$hc" ] || return 0
	t0=$(xh_up)
	HO_GUEST_UP=0	# crashed on purpose from here on
	"$hc" "$SRC" > "$XH_RUN/hvmcrash.log" 2>&1
	for _ in $(seq 40); do
		st=$(xl list "$NAME" 2>/dev/null | awk 'NR == 2 { print $5 }')
		[ "${st#*c}" != "$st" ] && break
		sleep 0.5
	done
	[ "${st#*c}" != "$st" ] || { xh_info "xen-hvmcrash did not crash $NAME (state $st)"; return 0; }
	for _ in $(seq 60); do
		xenstore-exists "/vdi-handover/$HO_VDI/att/$SRC-$DEVID" || break
		sleep 0.5
	done
	xenstore-exists "/vdi-handover/$HO_VDI/att/$SRC-$DEVID" &&
		ho_fail "the crashed domain's disk is still tracked ($(ho_att_key "$SRC" "$DEVID" state))"
	[ "$(ho_lease_state)" = free ] || ho_fail "lease $(ho_lease_state) after the guest crashed (want free)"
	ho_destroy_removes "$dm" crashed
	CRASH_PHASE="released-and-removed-in-$(xh_since "$t0")s"
}

handover_resume() {
	local w=${XH_HO_RESUME_DELAY_MS:-2000} react_s before after problems
	ho_setup ho-resume "$w" ""
	sleep 2
	ho_failing_migrate_start
	ho_kill_receiver
	ho_wait_att "$SRC" "$DEVID" active 120 ||
		ho_fail "not reactivated after the resume (state '$(ho_att_key "$SRC" "$DEVID" state)'): $(grep -m1 ALERT "$HO_LOG")"
	react_s=$(ho_secs_between "$(ho_transition "$SRC" "$DEVID" deactivating released)" \
		"$(ho_transition "$SRC" "$DEVID" reactivating active)")
	ho_log_has "$(ho_transition "$SRC" "$DEVID" released reactivating)" ||
		ho_fail "daemon log has no 'released -> reactivating'"
	ho_log_has "$(ho_transition "$SRC" "$DEVID" reactivating active)" ||
		ho_fail "daemon log has no 'reactivating -> active'"
	ho_log_has "running .* reactivate .*--expect-version $V_REL( |\$)" ||
		ho_fail "reactivate did not expect the released version $V_REL: $(grep -m1 'running .* reactivate' "$HO_LOG")"
	xenstore-read "/vdi-handover/$HO_VDI/alert" > /dev/null 2>&1 &&
		ho_fail "alert raised: $(xenstore-read "/vdi-handover/$HO_VDI/alert")"
	ho_log_has 'ALERT' && ho_fail "daemon logged an alert: $(grep -m1 ALERT "$HO_LOG")"
	ho_completed
	before=$COMPLETED
	sleep 3
	ho_completed
	after=$COMPLETED
	[ "$after" -gt "$before" ] ||
		ho_fail "guest stopped completing writes after the resume ($before -> $after)"
	ho_stop_and_verify
	xh_metric "stale=$V_STALE blocks=$V_BLOCKS writes=$V_WRITES version_released=$V_REL" \
		"version_now=$(ho_att_key "$SRC" "$DEVID" version) released_to_active_s=$react_s completed_before=$before completed_after=$after"
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || ho_fail "records lost after the failed migration: $problems"
	ho_crash_then_destroy
	xh_metric "crash_phase=$CRASH_PHASE"
	xh_pass "source resumed and reactivated with version $V_REL, ${react_s}s after its release" \
		"(released -> reactivating -> active, no alert); all $V_BLOCKS records verified, $V_WRITES writes;" \
		"then crashed: $CRASH_PHASE"
}

handover_fenced() {
	local w=${XH_HO_RESUME_DELAY_MS:-2000} lease_opts dm alert fence_s h0 h1 wr0 wr1 st
	ho_setup ho-fenced "$w" ""
	sleep 2
	ho_failing_migrate_start
	# Host 2 activates and releases the VDI while this host has it released.
	lease_opts="--host-id 2 --backend none --format raw --lease $HO_LEASE"
	# shellcheck disable=SC2086
	"$HO_TOOL" activate "$(xh_loop "$NAME")" $lease_opts --wait 90 > "$XH_RUN/host2.log" 2>&1 ||
		{ touch "$XH_RUN/ho-kill"; ho_fail "host 2 could not activate: $(tail -1 "$XH_RUN/host2.log")"; }
	# shellcheck disable=SC2086
	"$HO_TOOL" deactivate "$(xh_loop "$NAME")" $lease_opts >> "$XH_RUN/host2.log" 2>&1 ||
		{ touch "$XH_RUN/ho-kill"; ho_fail "host 2 could not deactivate: $(tail -1 "$XH_RUN/host2.log")"; }
	xh_info "host 2 took and released the VDI: lease version $(ho_lease_version) (source released $V_REL)"
	ho_kill_receiver
	ho_wait_att "$SRC" "$DEVID" fenced 120 ||
		ho_fail "not fenced after the resume (state '$(ho_att_key "$SRC" "$DEVID" state)')"
	fence_s=$(ho_secs_between "$(ho_transition "$SRC" "$DEVID" deactivating released)" \
		"$(ho_transition "$SRC" "$DEVID" reactivating fenced)")
	ho_log_has "ALERT: VDI $HO_VDI \\(domain $SRC disk $DEVID\\): REACTIVATE-REFUSED" ||
		ho_fail "daemon log has no REACTIVATE-REFUSED alert"
	alert=$(xenstore-read "/vdi-handover/$HO_VDI/alert" 2>/dev/null)
	case $alert in REACTIVATE-REFUSED*) ;; *) ho_fail "alert key is '$alert' (want REACTIVATE-REFUSED...)" ;; esac
	dm=xh-$HO_VDI-$SRC-$DEVID
	# Guest I/O waits: the device stays suspended, the guest is alive and
	# reports no error, nothing reaches the storage, blkback takes no
	# new requests (its ring is full of the waiting ones).
	st=/sys/bus/xen-backend/devices/vbd-$SRC-$DEVID/statistics
	h0=$(dd if="$(xh_loop "$NAME")" bs=4096 skip=1 iflag=direct status=none | md5sum)
	wr0=$(cat "$st/wr_req" 2>/dev/null)
	sleep 8
	h1=$(dd if="$(xh_loop "$NAME")" bs=4096 skip=1 iflag=direct status=none | md5sum)
	wr1=$(cat "$st/wr_req" 2>/dev/null)
	[ "$(ho_dm_state "$dm")" = SUSPENDED ] || ho_fail "fenced but $dm is $(ho_dm_state "$dm")"
	[ -z "$(xh_guest_crash_reason "$NAME")" ] || xh_fail "guest crashed while fenced: $(xh_guest_crash_reason "$NAME")"
	xh_guest_grep "$NAME" "$HO_GUEST_ERRORS" > /dev/null &&
		ho_fail "guest saw errors instead of waiting: $(xh_guest_grep "$NAME" "$HO_GUEST_ERRORS" | head -1)"
	[ "$h0" = "$h1" ] || ho_fail "the storage changed while the disk was fenced"
	[ "$wr0" = "$wr1" ] || ho_fail "blkback write requests still moving while fenced ($wr0 -> $wr1)"
	xh_mbox "$NAME" 5 ping > /dev/null && ho_fail "the fenced guest answered a mailbox read"
	# The operator's way out: destroy the domain; the disk must go away.
	HO_GUEST_UP=0
	xh_metric "released_to_fenced_s=$fence_s version_released=$V_REL lease_version=$(ho_lease_version)" \
		"wr_req=$wr0->$wr1"
	ho_destroy_removes "$dm" fenced
	xh_pass "REACTIVATE-REFUSED, fenced ${fence_s}s after the release (released $V_REL, host 2 moved the" \
		"lease to $(ho_lease_version)): disk fenced, alert set, guest I/O waited (no errors," \
		"storage unchanged), xl destroy removed $dm"
}

# tests/daemon/suite_block_handover.sh where device-mapper is real: its
# dm-* cases (error table until activation, live after it, removal, I/O
# waiting in the suspended device failed on remove) skip on the build host.
hotplug_dm() {
	local tree=$XH/tools/tree log=$XH_RUN/suite-block-handover.log rc npass nfail nskip d
	ho_install
	[ -f "$tree/build/tests/daemon/xs_shim.so" ] ||
		xh_skip "payload has no tools/tree (host build of the suite's shim failed?)"
	# The programs and the hook (a link in the tree) the package installed.
	XH_TOP=$tree XH_BUILD=$tree/build XH_TOOL=$HO_TOOL XH_DAEMON=/usr/sbin/tapdisk-activated \
		timeout -k 10 400 bash "$tree/tests/daemon/suite_block_handover.sh" > "$log" 2>&1
	rc=$?
	# What a failed case leaves behind: its dm devices, then their loops.
	for d in $(dmsetup ls 2>/dev/null | awk '/^xh-vdi/ { print $1 }'); do
		dmsetup load "$d" --table "0 $(blockdev --getsz "/dev/mapper/$d") error" 2>/dev/null
		dmsetup resume "$d" 2>/dev/null
		dmsetup remove "$d" 2>/dev/null
	done
	losetup -a 2>/dev/null | awk -F: '/xh-daemon-test/ { print $1 }' | xargs -r -n1 losetup -d 2>/dev/null
	mkdir -p "$XH/out/$XH_SCENARIO"
	cp "$log" "$XH/out/$XH_SCENARIO/"
	sed 's/^/XH-INFO suite: /' "$log" | grep -E 'suite: (PASS|FAIL|SKIP) '
	npass=$(grep -c '^PASS ' "$log")
	nfail=$(grep -c '^FAIL ' "$log")
	# tapdisk-* cases use stand-ins that need python3, which dom0 lacks.
	nskip=$(grep '^SKIP ' "$log" | grep -vc '^SKIP tapdisk-')
	xh_metric "pass=$npass fail=$nfail skip=$nskip rc=$rc"
	[ "$nfail" = 0 ] || ho_fail "$nfail hook case(s) failed: $(grep -m1 '^FAIL ' "$log")"
	[ $rc = 0 ] || ho_fail "suite exited rc=$rc: $(tail -1 "$log")"
	[ "$nskip" = 0 ] || ho_fail "cases skipped with real device-mapper: $(grep '^SKIP ' "$log" | grep -m1 -v '^SKIP tapdisk-')"
	grep -q '^PASS dm-remove-fails-waiting-io$' "$log" || ho_fail "the dm cases did not run"
	xh_pass "$npass block-handover cases on real device-mapper, none failed or skipped"
}
