# shellcheck shell=bash
# Scenario 2, the timeout path: the source's write delay is longer than
# drain_timeout_ms, so the drain gives up. The frontend must report
# drain-state=timeout with the number of requests still on the ring, and
# re-issue at most those after resume (fewer when responses for some of
# them still arrived between the timeout and the suspend). dom0 acts on the report the way a
# handover daemon would: the guest is migrated paused (-p) and only
# unpaused once the source device is idle, so nothing may be lost.
. "$XH/dom0/scenarios/seed-bug.sh"

drain_timeout() {
	local w=${XH_TIMEOUT_DELAY_MS:-15000} tmo=${XH_DRAIN_TIMEOUT_MS:-3000} state inflight problems
	s1_setup timeout drain "$w" "xh_drain_args=drain_timeout_ms=$tmo"
	s1_migrate -p
	state=$(xh_drain_key drain-state)
	inflight=$(xh_drain_key drain-inflight)
	[ "$state" = timeout ] || xh_fail "xenstore drain-state='$state' (want timeout)"
	case $inflight in '' | *[!0-9]*) xh_fail "drain-inflight='$inflight' is not a count" ;; esac
	[ "$inflight" -ge 1 ] || xh_fail "drain-inflight=$inflight (want >= 1 with writes delayed ${w} ms)"
	xh_wait_src_idle "$NAME" $(( w / 1000 + 60 )) || xh_fail "source device never went idle"
	xl unpause "$NAME" || xh_fail "xl unpause failed"
	s1_finish_and_verify "$w"
	xh_metric "stale=$V_STALE blocks=$V_BLOCKS drain_state=$state drain_inflight=$inflight" \
		"drain_usecs=$(xh_drain_key drain-usecs) reissued=${REISSUED:-n/a}"
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || xh_fail "records lost after a drain timeout: $problems"
	case ${REISSUED:-x} in '' | *[!0-9]*) xh_fail "re-issue counter '${REISSUED:-missing}' unreadable" ;; esac
	[ "$REISSUED" -le "$inflight" ] ||
		xh_fail "re-issued $REISSUED requests, more than the $inflight still on the ring at the timeout"
	xh_pass "drain-state=timeout after $(xh_drain_key drain-usecs) us with $inflight in flight," \
		"$REISSUED re-issued after resume, 0 of $V_BLOCKS blocks stale"
}
