# shellcheck shell=bash
# Scenario 4: a migration that fails after the guest has suspended. The
# receiver is killed once the source domain shows the suspended state, so
# xl resumes the guest on the source (suspend cancelled). The guest must go
# on writing there, and every record must verify.

suspend_cancel() {
	local w=${XH_CANCEL_DELAY_MS:-2000} domid rc before state problems
	NAME=cancel
	xh_disk_setup "$NAME" "$w" || xh_fail "disk setup failed"
	xh_guest_cfg "$NAME" pvh "/dev/mapper/xh-src-$NAME" drain "" > "$XH_RUN/$NAME.cfg"
	xh_guest_cfg "$NAME" pvh "/dev/mapper/xh-dst-$NAME" drain "" > "$XH_RUN/$NAME-dst.cfg"
	xh_guest_start "$NAME" "$XH_RUN/$NAME.cfg"
	xh_mbox_or_fail "$NAME" 60 load "pace_us=${XH_LOAD_PACE_US:-2000} max_s=200"
	sleep 2
	domid=$(xl domid "$NAME")
	xh_drain_poll_start "$domid"
	xl -v migrate -s '' -C "$XH_RUN/$NAME-dst.cfg" "$NAME" \
		"$XH/dom0/killing-receiver.sh $NAME" > "$XH_RUN/$NAME.migrate.log" 2>&1
	rc=$?
	xh_drain_poll_stop
	grep -E 'killing|resum|fail' "$XH_RUN/$NAME.migrate.log" | tail -6 | sed 's/^/XH-INFO migrate: /'
	[ $rc != 0 ] || xh_fail "the migration succeeded although its receiver was to be killed"
	grep -q 'receiver killed after suspend' "$XH_RUN/$NAME.migrate.log" ||
		xh_fail "migration failed before the guest suspended (rc=$rc): $(tail -1 "$XH_RUN/$NAME.migrate.log")"
	xl destroy "$NAME--incoming" >/dev/null 2>&1
	[ "$(xl domid "$NAME" 2>/dev/null)" = "$domid" ] ||
		xh_fail "guest is not running on the source any more (domid $(xl domid "$NAME" 2>&1))"
	state=$(xh_drain_key drain-state)
	[ "$state" = drained ] || xh_fail "xenstore drain-state='$state' (want drained);" \
		"frontend dir now: $(xenstore-ls "/local/domain/$domid/device/vbd" 2>&1 | tr -s ' \n' ' ' | cut -c1-300)"
	xh_mbox_or_fail "$NAME" 90 ping
	before=$(xh_kv "$MB_REPLY" completed)
	sleep 3
	xh_mbox_or_fail "$NAME" 90 ping
	[ "$(xh_kv "$MB_REPLY" completed)" -gt "$before" ] ||
		xh_fail "guest stopped completing writes after the cancelled suspend ($MB_REPLY)"
	xh_mbox_or_fail "$NAME" 120 stop
	case $MB_REPLY in *stop-timeout*) xh_fail "in-flight writes never completed: $MB_REPLY" ;; esac
	xh_mbox_or_fail "$NAME" 90 verify
	xh_parse_verify "$MB_REPLY" || xh_fail "unparsable verify reply: $MB_REPLY"
	REISSUED=$(xh_guest_counter "$NAME" "${XH_REISSUE_COUNTER:-reissued}")
	xh_metric "stale=$V_STALE blocks=$V_BLOCKS writes=$V_WRITES reissued=${REISSUED:-n/a} drain_state=$state"
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || xh_fail "records lost after the cancelled suspend: $problems"
	[ "${REISSUED:-}" = 0 ] || xh_fail "re-issue counter '${REISSUED:-missing}' (want 0)"
	xh_pass "suspend cancelled, guest continued on the source (domid $domid):" \
		"all $V_BLOCKS records verified, $V_WRITES writes, re-issued 0"
}
