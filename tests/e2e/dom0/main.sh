#!/bin/bash
# dom0 test driver, exec'd by xh-boot from the payload disk (/xh). Brings up
# the Xen toolstack without systemd, runs the scenarios listed in
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
	local rc
	rm -f "$XH_RUN/result"
	XH_SCENARIO=$1 timeout -k 20 "${XH_SCENARIO_TIMEOUT:-900}" bash "$XH/dom0/scenario.sh" "$1"
	rc=$?
	if [ -f "$XH_RUN/result" ]; then
		res=$(cat "$XH_RUN/result")
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		res="FAIL scenario timed out after ${XH_SCENARIO_TIMEOUT:-900} s"
	else
		res="FAIL scenario script exited rc=$rc without a result"
	fi
	[ "${res%% *}" = FAIL ] && xl list
	xh_cleanup
}

run_scenario() { # NAME
	local name=$1 t0 first
	echo "XH-BEGIN $name"
	t0=$(xh_up)
	run_once "$name"
	# A TCG guest sometimes triple-faults with no help from the code under
	# test; one retry, named in the result. Kernel panics are never retried.
	case $res in
	FAIL\ guest\ crashed*[Tt]riple\ fault*)
		first=${res#FAIL }
		xh_info "retrying $name once after: $first"
		run_once "$name"
		res="$res (on retry; first run: $first)"
		;;
	esac
	echo "XH-RESULT $name ${res%% *} $(xh_since "$t0") ${res#* }"
}

echo "XH-DOM0 start uptime=$(xh_up) scenarios: $XH_SCENARIOS"
if ! xh_dom0_up; then
	for s in $XH_SCENARIOS; do echo "XH-RESULT $s FAIL 0 dom0 toolstack did not start"; done
	finish
fi
for s in $XH_SCENARIOS; do
	run_scenario "$s"
done
finish
