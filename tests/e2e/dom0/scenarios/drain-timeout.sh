# shellcheck shell=bash
# Scenario 2, the timeout path: the source's write delay is longer than
# drain_timeout_ms, so the drain gives up. The frontend must report
# drain-state=timeout with the number of requests still on the ring, and
# re-issue at most those after resume (fewer when responses for some of
# them still arrived between the timeout and the suspend).
#
# A timeout means the source backend may still write, so nothing may be
# lost only if dom0 orders the handover, as tapdisk-activated does: the
# destination's device stays suspended (its I/O waits in device-mapper,
# like block-handover's staged device) until the source's device has been
# suspended, which returns only once every write the source accepted has
# reached the shared storage (dm-delay hands its queue down on suspend).
# The guest runs on the destination meanwhile; its re-issued requests wait.
. "$XH/dom0/scenarios/seed-bug.sh"

drain_timeout() {
	local w=${XH_TIMEOUT_DELAY_MS:-15000} tmo=${XH_DRAIN_TIMEOUT_MS:-3000}
	local state inflight problems t0 deact_s
	s1_setup timeout drain "$w" "xh_drain_args=drain_timeout_ms=$tmo"
	dmsetup suspend "xh-dst-$NAME" || xh_fail "cannot suspend the destination device"
	xh_migrate_local
	state=$(xh_drain_key drain-state)
	inflight=$(xh_drain_key drain-inflight)
	[ "$state" = timeout ] || xh_fail "xenstore drain-state='$state' (want timeout)"
	case $inflight in '' | *[!0-9]*) xh_fail "drain-inflight='$inflight' is not a count" ;; esac
	[ "$inflight" -ge 1 ] || xh_fail "drain-inflight=$inflight (want >= 1 with writes delayed ${w} ms)"
	# Deactivate the source, then activate the destination.
	t0=$(xh_up)
	timeout 120 dmsetup suspend "xh-src-$NAME" || xh_fail "suspending the source device failed or hung"
	deact_s=$(xh_since "$t0")
	xh_info "source device suspended after $deact_s s (its accepted writes have landed)"
	dmsetup resume "xh-dst-$NAME" || xh_fail "cannot resume the destination device"
	s1_finish_and_verify "$w"
	xh_metric "stale=$V_STALE blocks=$V_BLOCKS drain_state=$state drain_inflight=$inflight" \
		"drain_usecs=$(xh_drain_key drain-usecs) reissued=${REISSUED:-n/a} source_deactivate_s=$deact_s"
	problems=$(xh_verify_problems)
	[ -z "$problems" ] || xh_fail "records lost after a drain timeout: $problems"
	case ${REISSUED:-x} in '' | *[!0-9]*) xh_fail "re-issue counter '${REISSUED:-missing}' unreadable" ;; esac
	[ "$REISSUED" -le "$inflight" ] ||
		xh_fail "re-issued $REISSUED requests, more than the $inflight still on the ring at the timeout"
	xh_pass "drain-state=timeout after $(xh_drain_key drain-usecs) us with $inflight in flight," \
		"$REISSUED re-issued after resume, 0 of $V_BLOCKS blocks stale"
}
