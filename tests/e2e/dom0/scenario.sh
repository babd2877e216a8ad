#!/bin/bash
# Runs one scenario in dom0: scenario.sh NAME. The result is left in
# /run/xh/result by xh_pass/xh_fail/xh_skip (see lib.sh).
XH=/xh
# shellcheck source=/dev/null
. "$XH/plan.env"
# shellcheck source=lib.sh
. "$XH/dom0/lib.sh"
XH_SCENARIO=$1
export XH_SCENARIO

need_drain() {
	[ "${XH_HAVE_DRAIN:-0}" = 1 ] || xh_skip "xen_blkfront_drain.ko not built: ${XH_DRAIN_WHY:-unknown}"
}

case $1 in
seed-bug-stock) . "$XH/dom0/scenarios/seed-bug.sh"; seed_bug stock ;;
seed-bug-drain) need_drain; . "$XH/dom0/scenarios/seed-bug.sh"; seed_bug drain ;;
seed-bug-upstream)
	[ "${XH_HAVE_UPSTREAM:-0}" = 1 ] || xh_skip "patched upstream xen-blkfront not available: ${XH_UPSTREAM_WHY:-unknown}"
	. "$XH/dom0/scenarios/seed-bug.sh"; seed_bug upstream ;;
drain-timeout) need_drain; . "$XH/dom0/scenarios/drain-timeout.sh"; drain_timeout ;;
save-restore-pv) need_drain; . "$XH/dom0/scenarios/save-restore.sh"; save_restore pv ;;
save-restore-pvh) need_drain; . "$XH/dom0/scenarios/save-restore.sh"; save_restore pvh ;;
suspend-cancel) need_drain; . "$XH/dom0/scenarios/suspend-cancel.sh"; suspend_cancel ;;
throughput) need_drain; . "$XH/dom0/scenarios/throughput.sh"; throughput ;;
handover-stock) . "$XH/dom0/scenarios/handover.sh"; handover_stock ;;
handover-timeout) need_drain; . "$XH/dom0/scenarios/handover.sh"; handover_timeout ;;
handover-resume) . "$XH/dom0/scenarios/handover.sh"; handover_resume ;;
handover-fenced) . "$XH/dom0/scenarios/handover.sh"; handover_fenced ;;
emu-stability) . "$XH/dom0/scenarios/emu-stability.sh"; emu_stability ;;
hotplug-dm) . "$XH/dom0/scenarios/handover.sh"; hotplug_dm ;;
handover-tapdisk) . "$XH/dom0/scenarios/handover-tapdisk.sh"; handover_tapdisk ;;
*) xh_fail "unknown scenario $1" ;;
esac
xh_fail "scenario $1 ended without a verdict"
