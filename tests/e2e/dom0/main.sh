#!/bin/bash
# dom0 test driver, exec'd by xh-boot from the payload disk (/xh). Brings up
# the Xen toolstack without systemd, installs the xen-handover package
# with dpkg -i (lib.sh: xh_pkg_install), runs the scenarios listed in
# /xh/plan.env one after another in this one Xen boot, prints one
# "XH-RESULT <name> PASS|FAIL|SKIP <secs> <reason>" line per scenario,
# saves logs to /xh/out and powers the machine off.
XH=/xh
# shellcheck source=/dev/null
. "$XH/plan.env"
# shellcheck source=lib.sh
. "$XH/dom0/lib.sh"

finish() {
	mkdir -p "$XH/out"
	cp -r /var/log/xen "$XH/out/" 2>/dev/null
	xl dmesg > "$XH/out/xen-dmesg.txt" 2>&1
	dmesg > "$XH/out/dom0-dmesg.txt" 2>&1
	echo "XH-ALL-DONE"
	sync
	umount "$XH" 2>/dev/null
	echo o > /proc/sysrq-trigger
	sleep 60
}

# Runs scenario.sh NAME once; leaves "STATUS reason" in $res.
run_once() { # NAME
	local rc limit=${XH_SCENARIO_TIMEOUT:-900}
	# emu-stability is XH_EMU_ROUNDS boots and migrations: ~2 min each.
	[ "$1" = emu-stability ] && limit=$(( 300 + 180 * ${XH_EMU_ROUNDS:-20} ))
	rm -f "$XH_RUN/result"
	XH_SCENARIO=$1 timeout -k 20 "$limit" bash "$XH/dom0/scenario.sh" "$1"
	rc=$?
	if [ -f "$XH_RUN/result" ]; then
		res=$(cat "$XH_RUN/result")
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		res="FAIL scenario timed out after $limit s"
	else
		res="FAIL scenario script exited rc=$rc without a result"
	fi
	[ "${res%% *}" = FAIL ] && xl list
	xh_cleanup
}

# A crash the code under test cannot have caused: a triple fault (Xen's HVM
# emulation under TCG injecting a fault into the guest); an interrupt from
# user mode that the emulated SVM delivers again and again at the first
# instruction of its own handler, interrupts off, until it reaches the
# entry stack's guard page (stock and our guests alike); or any
# crash while the guest was still booting (before the workload ran).
infra_crash() { # RESULT
	case $1 in
	FAIL\ guest\ crashed*[Tt]riple\ fault*) return 0 ;;
	FAIL\ guest\ crashed*ENTRY_TRAMPOLINE\ stack\ guard\ page\ was\ hit*) return 0 ;;
	FAIL\ guest\ crashed\ while\ waiting\ for\ the\ guest\ to\ boot*) return 0 ;;
	esac
	return 1
}

run_scenario() { # NAME
	local name=$1 t0 tries=1 firsts= retries=${XH_E2E_RETRIES:-0}
	echo "XH-BEGIN $name"
	t0=$(xh_up)
	run_once "$name"
	# No retries by default: with one vCPU (run.sh) no emulator crash in
	# 41 emu-stability rounds (Documentation/testing.rst), so a crash is a
	# failure to investigate, reported as one. XH_E2E_RETRIES=N allows N more attempts after such
	# a crash, each named in the result. Any other failure stands.
	while infra_crash "$res" && [ $tries -le "$retries" ]; do
		firsts="$firsts${firsts:+; }${res#FAIL }"
		xh_info "retrying $name after: ${res#FAIL }"
		tries=$((tries + 1))
		run_once "$name"
	done
	if infra_crash "$res"; then
		res="FAIL emulator crash (attempt $tries of $((retries + 1)); Documentation/testing.rst, 'The emulator crash'): ${res#FAIL }${firsts:+; earlier: $firsts}"
	elif [ -n "$firsts" ]; then
		res="$res (attempt $tries; earlier: $firsts)"
	fi
	echo "XH-RESULT $name ${res%% *} $(xh_since "$t0") ${res#* }"
}

echo "XH-DOM0 start uptime=$(xh_up) scenarios: $XH_SCENARIOS"
if ! xh_dom0_up; then
	for s in $XH_SCENARIOS; do echo "XH-RESULT $s FAIL 0 dom0 toolstack did not start"; done
	finish
fi
xh_pkg_install
for s in $XH_SCENARIOS; do
	run_scenario "$s"
done
finish
