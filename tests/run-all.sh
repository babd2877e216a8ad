#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs every test of xen-handover and ends with the line
# "N passed, N failed" (the skip count is on the line before).
#
#   tests/run-all.sh [--no-deps] [--only AREA[,AREA...]] [--skip AREA[,...]]
#
# Without --no-deps it first installs the Debian packages the tests need
# (scripts/install-deps.sh, root). Test kinds, per area tests/<area>/:
#   t_*.c       C programs, built by make into build/tests/<area>/ and run
#               twice: plain, and under ASan+UBSan (build/asan/...)
#   t_*.sh      shell tests
#   suite_*.sh  scripts that report several results, one line each:
#               "PASS name", "FAIL name: reason", "SKIP name: reason"
# A script may raise its time limit (default 900 s, suites 3600 s) with a
# line "# xh-timeout: SECONDS" among its first 15 lines, and a t_*.sh run
# in its area's side lane, beside the other tests, with "# xh-lane: side"
# (so do the ASan copies of the C programs; see side_start).
# Exit status of a test: 0 pass, 77 skip, anything else fail.
# The end-to-end area (Xen under single-threaded QEMU: one core) starts in
# the background as soon as the tools are built and runs beside the other
# areas; its results are counted at the end. A per-area time table closes
# the run, before the totals.
set -u
# Everything runs inside main(): bash parses a function completely before
# running it, so editing this file during a run cannot derail that run.
main() {
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

deps=1
only=""
skip=""
while [ $# -gt 0 ]; do
	case "$1" in
	--no-deps) deps=0 ;;
	--only) only=",$2,"; shift ;;
	--skip) skip=",$2,"; shift ;;
	-h|--help) sed -n '4,24p' "$0"; exit 0 ;;
	*) echo "run-all.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

logs=$top/build/test-logs
mkdir -p "$logs"
passed=0 failed=0 skipped=0
failed_names=()

export XH_TOP=$top
export XH_BUILD=$top/build
export XH_TOOL=$top/build/tapdisk-activate
export XH_CACHE=${XH_CACHE:-/var/cache/xen-handover}

# Per-area wall-clock seconds, printed as a table at the end.
declare -gA area_secs=()
area_order=()
area_time() {	# area_time AREA SECONDS
	[ -n "${area_secs[$1]+x}" ] || area_order+=("$1")
	area_secs[$1]=$(( ${area_secs[$1]:-0} + $2 ))
}
run_start=$(date +%s)

want_area() {
	[ -z "$only" ] || [[ $only == *",$1,"* ]] || return 1
	[[ $skip != *",$1,"* ]]
}

# tally LINE [FAILED_NAME]: counts a "PASS|SKIP|FAIL ..." line of a suite or
# a side lane; a FAIL is listed as FAILED_NAME (default: the line after FAIL).
tally() {
	case "$1" in
	PASS\ *) passed=$((passed + 1)) ;;
	SKIP\ *) skipped=$((skipped + 1)) ;;
	FAIL\ *) failed=$((failed + 1)); failed_names+=("${2:-${1#FAIL }}") ;;
	esac
}

record() {	# record NAME STATUS SECONDS [REASON]
	case "$2" in
	pass) passed=$((passed + 1)); echo "PASS $1 ($3s)" ;;
	skip) skipped=$((skipped + 1)); echo "SKIP $1${4:+: $4}" ;;
	*) failed=$((failed + 1)); failed_names+=("$1")
	   echo "FAIL $1 ($3s)${4:+: $4}" ;;
	esac
}

# run_one NAME TIMEOUT CMD...
run_one() {
	local name=$1 limit=$2 log start rc secs reason
	shift 2
	log=$logs/${name//\//_}.log
	start=$(date +%s)
	timeout -k 10 "$limit" "$@" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		record "$name" pass $secs
	elif [ $rc -eq 77 ]; then
		reason=$(grep -m1 -i '^skip' "$log" | cut -c1-160)
		record "$name" skip $secs "${reason#skip: }"
	else
		[ $rc -eq 124 ] && reason="timed out after ${limit}s" ||
			reason="exit $rc"
		record "$name" fail $secs "$reason"
		tail -n 40 "$log" | sed 's/^/    | /'
	fi
}

# run_suite NAME TIMEOUT CMD...: counts each PASS/FAIL/SKIP line it prints
run_suite() {
	local name=$1 limit=$2 log start
	shift 2
	log=$logs/${name//\//_}.log
	start=$(date +%s)
	timeout -k 10 "$limit" "$@" </dev/null >"$log" 2>&1
	count_suite "$name" $? "$start"
}

# count_suite NAME RC START: the PASS/FAIL/SKIP lines of a finished suite log
count_suite() {
	local name=$1 rc=$2 start=$3 log line n=0 bad=0
	log=$logs/${name//\//_}.log
	grep -E '^(PASS|FAIL|SKIP) ' "$log" >"$log.results"
	while IFS= read -r line; do
		n=$((n + 1))
		tally "$line"
		[[ $line == FAIL\ * ]] && bad=1
		echo "$line"
	done <"$log.results"
	if [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
		record "$name" fail $(($(date +%s) - start)) \
			"exit $rc without a FAIL line"
		tail -n 60 "$log" | sed 's/^/    | /'
	elif [ $bad -ne 0 ]; then
		tail -n 60 "$log" | sed 's/^/    | /'
	fi
	[ $n -gt 0 ] || [ $rc -ne 0 ] || record "$name" fail 0 "reported no result"
}

# The end-to-end suite in the background: bg_suite_start NAME LIMIT CMD...
# runs it with its output in its log; bg_suite_wait counts its results.
bg_name="" bg_pid="" bg_start=0
bg_suite_start() {
	local name=$1 limit=$2 log
	shift 2
	bg_name=$name bg_start=$(date +%s)
	log=$logs/${name//\//_}.log
	rm -f "$log.end"
	# The suite's own end time and status, for the table: it may end long
	# before the other areas and be collected only then.
	{
		timeout -k 10 "$limit" "$@" </dev/null >"$log" 2>&1
		echo "$? $(date +%s)" >"$log.end"
	} &
	bg_pid=$!
	echo "started $name in the background (log build/test-logs/${name//\//_}.log)"
}
bg_suite_wait() {
	local rc end log=$logs/${bg_name//\//_}.log
	[ -n "$bg_pid" ] || return 0
	wait "$bg_pid"
	read -r rc end <"$log.end" 2>/dev/null || { rc=1; end=$(date +%s); }
	count_suite "$bg_name" "$rc" "$bg_start"
	area_time "${bg_name%%/*} (background)" $(( end - bg_start ))
	bg_pid=""
}

# The side lane of an area runs beside its other tests: the ASan+UBSan
# copy of each C program and the t_*.sh scripts whose first 15 lines say
# "# xh-lane: side" (suites always run in the main lane). Every test makes
# its own temporary directory, lock directory and xenstore, and these
# mostly wait on timers, so two at a time take about half the wall clock
# and no test's timing depends on the other lane. The lane's lines are
# printed and counted when the area ends.
side_pid="" side_log="" side_area=""
test_lane() {	# test_lane SCRIPT: "side" or "main"
	head -n 15 "$1" | grep -q '^# xh-lane: *side' && echo side || echo main
}
side_start() {	# side_start AREA
	local area=$1 src t sh
	side_log=$logs/$area.side-lane
	(
		for src in tests/"$area"/t_*.c; do
			[ -e "$src" ] || continue
			t=$(basename "$src" .c)
			XH_TOOL=$top/build/asan/tapdisk-activate \
				run_one "asan:$area/$t" "${XH_TEST_TIMEOUT:-900}" \
				"build/asan/tests/$area/$t"
		done
		for sh in tests/"$area"/t_*.sh; do
			[ -e "$sh" ] && [ "$(test_lane "$sh")" = side ] || continue
			run_one "$area/$(basename "$sh")" \
				"$(time_limit "$sh" "${XH_TEST_TIMEOUT:-900}")" "$sh"
		done
		echo "side lane done"
	) >"$side_log" 2>&1 &
	side_pid=$!
	side_area=$area
}
side_wait() {	# side_wait: prints and counts the side lane's results
	local line name
	[ -n "$side_pid" ] || return 0
	wait "$side_pid"
	side_pid=""
	# A lane that did not reach its end lost the tests after the last line.
	grep -qx "side lane done" "$side_log" ||
		record "$side_area/side-lane" fail 0 "the side lane ended early (log $side_log)"
	while IFS= read -r line; do
		[ "$line" = "side lane done" ] && continue
		# run_one's lines: "FAIL name (Ns): reason"; list the name.
		name=${line#FAIL }
		tally "$line" "${name%% (*}"
		echo "$line"
	done <"$side_log"
}

time_limit() {	# time_limit SCRIPT DEFAULT
	local t
	t=$(head -n 15 "$1" | sed -n 's/^# xh-timeout: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
	echo "${t:-$2}"
}

# Areas that are not plain programs run last, slowest at the end. The
# e2e area is not among them: it runs in the background (below).
ordered_areas() {
	local a late="fuzz model kernel dm"
	for a in tests/*/; do
		a=$(basename "$a")
		[ "$a" = lib ] || [ "$a" = e2e ] && continue
		[[ " $late " == *" $a "* ]] || echo "$a"
	done
	for a in $late; do [ -d "tests/$a" ] && echo "$a"; done
}

if [ $deps -eq 1 ]; then
	start=$(date +%s)
	if ! scripts/install-deps.sh >"$logs/install-deps.log" 2>&1; then
		record install-deps fail 0 "see build/test-logs/install-deps.log"
		tail -n 20 "$logs/install-deps.log"
	fi
	area_time install-deps $(( $(date +%s) - start ))
fi

start=$(date +%s)
if make -j2 all >"$logs/build.log" 2>&1; then
	record build pass $(($(date +%s) - start))
else
	record build fail $(($(date +%s) - start)) "make all"
	tail -n 40 "$logs/build.log" | sed 's/^/    | /'
fi
area_time build $(( $(date +%s) - start ))
# The end-to-end suite builds its own copies of what it needs from here on,
# so it can start now and use the core the other areas leave idle.
if want_area e2e && [ -x tests/e2e/suite_e2e.sh ]; then
	bg_suite_start e2e/suite_e2e.sh \
		"$(time_limit tests/e2e/suite_e2e.sh "${XH_SUITE_TIMEOUT:-3600}")" \
		tests/e2e/suite_e2e.sh
fi
# The KUnit kernels take most of a cold run (about 20 min for two trees):
# built now at the lowest priority, they use what the areas before the
# kernel area leave idle; t_kunit.sh waits for this build on its lock.
# Warm, it is make finding nothing to do.
prebuild_pid=""
if want_area kernel && [ -x tests/kernel/t_kunit.sh ]; then
	nice -n 19 tests/kernel/t_kunit.sh --build-only </dev/null \
		>"$logs/kernel_prebuild.log" 2>&1 &
	prebuild_pid=$!
fi
start=$(date +%s)
if make -j2 SANITIZE=1 tools tests >"$logs/build-asan.log" 2>&1; then
	record build-asan pass $(($(date +%s) - start))
else
	record build-asan fail $(($(date +%s) - start)) "make SANITIZE=1"
	tail -n 40 "$logs/build-asan.log" | sed 's/^/    | /'
fi
area_time build $(( $(date +%s) - start ))

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for area in $(ordered_areas); do
	want_area "$area" || continue
	area_start=$(date +%s)
	side_start "$area"
	for src in tests/"$area"/t_*.c; do
		[ -e "$src" ] || continue
		t=$(basename "$src" .c)
		run_one "$area/$t" "${XH_TEST_TIMEOUT:-900}" \
			"build/tests/$area/$t"
	done
	for sh in tests/"$area"/t_*.sh; do
		[ -e "$sh" ] || continue
		[ "$(test_lane "$sh")" = side ] && continue
		run_one "$area/$(basename "$sh")" \
			"$(time_limit "$sh" "${XH_TEST_TIMEOUT:-900}")" "$sh"
	done
	for sh in tests/"$area"/suite_*.sh; do
		[ -e "$sh" ] || continue
		run_suite "$area/$(basename "$sh")" \
			"$(time_limit "$sh" "${XH_SUITE_TIMEOUT:-3600}")" "$sh"
	done
	side_wait
	area_time "$area" $(( $(date +%s) - area_start ))
done
if [ -n "$bg_pid" ]; then
	echo "waiting for the background $bg_name"
	bg_suite_wait
fi
# Its failure is the kernel area's to report (t_kunit.sh builds again).
[ -z "$prebuild_pid" ] || wait "$prebuild_pid"

echo
echo "Time per area (wall clock; the background area overlaps the others):"
for a in "${area_order[@]}"; do
	printf '  %-26s %5d s\n' "$a" "${area_secs[$a]}"
done
printf '  %-26s %5d s\n' total $(( $(date +%s) - run_start ))

if [ $failed -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
}
main "$@"
