# shellcheck shell=bash
# Emulator stability: how often does a guest die under this QEMU's nested
# SVM for reasons the code under test cannot cause? Each round boots a
# stock-frontend PVH guest on undelayed storage, runs the record load for a
# few seconds (user-mode interrupts: where the event-channel upcall storm
# hit under QEMU 7.2), live-migrates it to localhost, lets it write on the
# destination, verifies every record and destroys it. A round that ends in
# a crashed or vanished guest counts as a crash; any other failure (a
# failed check) fails the scenario at once. The verdict: PASS only with
# zero crashes in XH_EMU_ROUNDS rounds (default 20); the metric line
# carries the count either way, so runs with other QEMU versions or
# command lines can be compared (Documentation/testing.rst).
. "$XH/dom0/scenarios/seed-bug.sh"

# One round in a subshell: xh_fail/xh_pass exit it and leave the verdict in
# $XH_RUN/result, which the caller reads.
emu_round() { # ROUND
	(
		XH_S1_STOP_AFTER_RESUME_MS=2000
		s1_setup "emu$1" stock 0 ""
		sleep 3
		xh_migrate_local
		xh_mbox_or_fail "$NAME" 120 stop
		xh_mbox_or_fail "$NAME" 90 verify
		xh_parse_verify "$MB_REPLY" || xh_fail "unparsable verify reply: $MB_REPLY"
		problems=$(xh_verify_problems)
		[ -z "$problems" ] || xh_fail "records wrong without any delay: $problems"
		why=$(xh_guest_crash_reason "$NAME")
		[ -z "$why" ] || xh_fail "guest crashed after verify: $why"
		xh_pass "round $1: booted, migrated, verified"
	)
}

emu_stability() {
	local n=${XH_EMU_ROUNDS:-20} i res crashes=0 ok=0 t0 list=
	t0=$(xh_up)
	for i in $(seq 1 "$n"); do
		rm -f "$XH_RUN/result"
		emu_round "$i"
		res=$(cat "$XH_RUN/result" 2>/dev/null || echo "FAIL round $i left no verdict")
		case $res in
		PASS\ *) ok=$((ok + 1)) ;;
		FAIL\ guest\ crashed*)
			crashes=$((crashes + 1)); list="$list; round $i: ${res#FAIL }"
			xl dmesg 2>/dev/null | grep -v ' save: \| restore: ' | tail -n 15 | sed 's/^/XH-INFO xen: /' ;;
		*) xh_metric "rounds=$i ok=$ok crashes=$crashes"; xh_cleanup; xh_fail "round $i: ${res#* }" ;;
		esac
		xh_info "emu-stability round $i/$n: $res (ok $ok, crashes $crashes)"
		xh_cleanup
	done
	xh_metric "rounds=$n ok=$ok crashes=$crashes secs=$(xh_since "$t0") qemu=${XH_QEMU_VERSION:-?}"
	[ "$crashes" = 0 ] ||
		xh_fail "emulator crashed the guest in $crashes of $n boot-and-migrate rounds${list}"
	xh_pass "$n of $n rounds booted, migrated and verified with no emulator crash (QEMU ${XH_QEMU_VERSION:-?})"
}
