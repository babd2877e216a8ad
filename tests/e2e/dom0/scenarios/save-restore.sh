# shellcheck shell=bash
# Scenario 3: XH_SR_CYCLES save/restore cycles of a PV or PVH guest running
# xen-blkfront-drain under write load. Writes are delayed a little on the
# (single) disk so every suspend finds requests on the ring to drain. Each
# cycle must report drain-state=drained, the guest must keep writing after
# each restore, and in the end every record verifies with nothing re-issued.

sr_completed() { xh_kv "$MB_REPLY" completed; }

save_restore() { # pv|pvh
	local type=$1 w=${XH_SR_DELAY_MS:-1000} cycles=${XH_SR_CYCLES:-3} i t0 state before problems drains
	NAME=sr-$type
	xh_disk_setup "$NAME" "$w" || xh_fail "disk setup failed"
	xh_guest_cfg "$NAME" "$type" "/dev/mapper/xh-src-$NAME" drain "" > "$XH_RUN/$NAME.cfg"
	xh_guest_start "$NAME" "$XH_RUN/$NAME.cfg"
	xh_mbox_or_fail "$NAME" 60 load "pace_us=${XH_LOAD_PACE_US:-2000} max_s=400"
	sleep 2
	for i in $(seq "$cycles"); do
		xh_mbox_or_fail "$NAME" 90 ping
		before=$(sr_completed)
		xh_drain_poll_start "$(xl domid "$NAME")"
		t0=$(xh_up)
		xl save "$NAME" "$XH_VAR/$NAME.chk" > "$XH_RUN/$NAME.save.log" 2>&1 ||
			{ xh_drain_poll_stop; tail -10 "$XH_RUN/$NAME.save.log"; xh_fail "cycle $i: xl save failed"; }
		xh_drain_poll_stop
		state=$(xh_drain_key drain-state)
		xh_info "cycle $i: xl save took $(xh_since "$t0") s, drain-state=$state"
		[ "$state" = drained ] || xh_fail "cycle $i: xenstore drain-state='$state' (want drained)"
		t0=$(xh_up)
		xl restore "$XH_VAR/$NAME.chk" > "$XH_RUN/$NAME.restore.log" 2>&1 ||
			{ tail -10 "$XH_RUN/$NAME.restore.log"; xh_fail "cycle $i: xl restore failed"; }
		rm -f "$XH_VAR/$NAME.chk"
		xh_info "cycle $i: xl restore took $(xh_since "$t0") s"
		sleep 2
		xh_mbox_or_fail "$NAME" 90 ping
		[ "$(sr_completed)" -gt "$before" ] ||
			xh_fail "cycle $i: guest stopped completing writes after restore ($MB_REPLY)"
	done
	xh_mbox_or_fail "$NAME" 120 stop
	case $MB_REPLY in *stop-timeout*) xh_fail "in-flight writes never completed: $MB_REPLY" ;; esac
	xh_mbox_or_fail "$NAME" 90 verify
	xh_parse_verify "$MB_REPLY" || xh_fail "unparsable verify reply: $MB_REPLY"
	REISSUED=$(xh_guest_counter "$NAME" "${XH_REISSUE_COUNTER:-reissued}")
	drains=$(xh_guest_counter "$NAME" "${XH_DRAINS_COUNTER:-drains}")
	xh_metric "type=$type cycles=$cycles stale=$V_STALE blocks=$V_BLOCKS writes=$V_WRITES" \
		"reissued=${REISSUED:-n/a} drains=${drains:-n/a}"
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || xh_fail "records lost over $cycles save/restore cycles: $problems"
	[ "${REISSUED:-}" = 0 ] || xh_fail "re-issue counter '${REISSUED:-missing}' (want 0)"
	xh_pass "$cycles save/restore cycles ($type): all $V_BLOCKS records verified," \
		"$V_WRITES writes, drained every time, re-issued 0"
}
