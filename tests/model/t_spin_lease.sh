#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Model-checks tests/model/lease.pml with spin: mutual exclusion, strictly
# increasing acknowledged versions and the --expect-version rule, for three
# contending hosts.
#
# Bounds (each run is a full state-space search with hash-compact
# storage; states and CPU seconds measured on the project machine):
#   crash:  3 hosts acquiring once each, host 0 the initial successor (fast
#           path), versions 1..2, ballot rounds 0..1, one crash-stop of any
#           host at any step (37.0M states, ~50 s CPU);
#   resume: host 0 acquires, releases and acquires again (possibly as a
#           versioned resume), host 1 contends once; versions 1..3, rounds
#           0..2, one crash at any step (6.4M states, ~6 s);
#   lapse:  as resume, but instead of a crash one lapse: a holder whose
#           validity ends while it keeps running and may write late
#           (4.3M states, ~4 s).
# First, two mutants (every host on the fast path; commit without the
# second scan) must be caught, which shows the properties can fail.
#
# Then tests/model/lease_clock.pml, the owner's deadline on its own clock
# against a contender's wait of T on its clock (rates +-12.5 %, data
# writes landing within one tick): it must pass (~0.7M states, ~2 s), and
# each of these must be caught: a renewal that counts without the deadline
# check; one checked only at its start, not at completion; clock rates
# outside the bound (+-37.5 %); data writes landing a tick later than the
# margin allows; validity V = T (no margin); and, to show the passing run
# is not vacuous, "no takeover after two counted renewals and a write".
# XH_SPIN_LIMIT caps each run's wall time (default 600 s).
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v spin >/dev/null || { echo "skip: spin not installed"; exit 77; }
command -v gcc >/dev/null || { echo "skip: gcc not installed"; exit 77; }
limit=${XH_SPIN_LIMIT:-600}
work=$(mktemp -d /var/tmp/xh-spin-lease.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$top/tests/model/lease.pml" "$top/tests/model/lease_clock.pml" "$work/"
cd "$work" || exit 1
fail=0

# Verifiers are cached in $XH_CACHE/spin (default
# /var/cache/xen-handover), keyed by model text, defines, C flags and the
# spin and gcc versions; without a writable cache they are built each run.
cflags=(-O2 -DSAFETY -DHC4 -DVECTORSZ=1024)
cache=${XH_CACHE:-/var/cache/xen-handover}/spin
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=

# check NAME EXPECT(pass|fail) WIDTH DEFINES... (model: $model)
model=lease.pml
check() {
	local name=$1 want=$2 width=$3 out rc t0 secs key
	shift 3
	mkdir -p "$name" && cp "$model" "$name/" && cd "$name" || return 1
	# the verifier, cached by what it is built from
	key=$( { cat "$model"; echo "$*"; echo "${cflags[*]}"; spin -V; gcc --version; } |
	      sha256sum | cut -c1-32)
	if [ -n "$cache" ] && [ -x "$cache/pan-$key" ]; then
		cp "$cache/pan-$key" pan
	elif ! spin -a "$@" "$model" >spin.log 2>&1 ||
	   ! gcc "${cflags[@]}" -w -o pan pan.c 2>gcc.log; then
		echo "FAIL $name: could not build the verifier"
		cat spin.log gcc.log
		fail=1; cd ..; return
	elif [ -n "$cache" ]; then
		cp pan "$cache/pan-$key.tmp.$$" &&
			mv "$cache/pan-$key.tmp.$$" "$cache/pan-$key"
	fi
	t0=$(date +%s)
	timeout "$limit" ./pan -m200000 -w"$width" >pan.out 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	out=$(grep -E "errors:|states, stored|elapsed time|assertion violated|depth too small|Search not completed" pan.out)
	echo "== $model $name ($*): ${secs}s"
	echo "$out" | sed 's/^/   /'
	if [ $rc -eq 124 ]; then
		echo "FAIL $name: not finished within $limit s"
		fail=1
	elif [ "$want" = pass ]; then
		if ! grep -q "errors: 0" pan.out || grep -q "depth too small" pan.out; then
			echo "FAIL $name: spin found a violation or did not finish"
			grep -A3 "violated" pan.out
			fail=1
		fi
	elif ! grep -q "assertion violated" pan.out; then
		echo "FAIL $name: the mutant was not caught"
		fail=1
	fi
	cd ..
}

small="-DMAXV=2 -DMAXR=1 -DMAXCRASH=0 -DMAXLAPSE=0 -DPLAN0=1 -DPLAN1=1 -DPLAN2=1 -DNATT=3"
# shellcheck disable=SC2086
check mutant-fast-for-all fail 22 -DBUG_FAST_FOR_ALL $small
# shellcheck disable=SC2086
check mutant-no-second-scan fail 22 -DBUG_NO_SECOND_SCAN $small
check crash pass 28 -DMAXV=2 -DMAXR=1 -DMAXCRASH=1 -DMAXLAPSE=0 \
	-DPLAN0=1 -DPLAN1=1 -DPLAN2=1 -DNATT=3 -DINIT_SUCC=1
check resume pass 26 -DMAXV=3 -DMAXR=2 -DMAXCRASH=1 -DMAXLAPSE=0 \
	-DPLAN0=2 -DPLAN1=1 -DPLAN2=0 -DNATT=3 -DINIT_SUCC=1
check lapse pass 26 -DMAXV=3 -DMAXR=2 -DMAXCRASH=0 -DMAXLAPSE=1 \
	-DPLAN0=2 -DPLAN1=1 -DPLAN2=0 -DNATT=3 -DINIT_SUCC=1

# The owner's clock and deadline against the contender's wait.
model=lease_clock.pml
check clock-mutant-no-deadline-check fail 22 -DBUG_NO_DEADLINE_CHECK
check clock-mutant-no-completion-check fail 22 -DBUG_NO_COMPLETION_CHECK
check clock-rates-too-far-apart fail 22 -DRLO=5 -DRHI=11
check clock-data-write-too-slow fail 22 -DDW=2
check clock-no-margin fail 22 -DV=64
check clock-nonvacuity fail 22 -DNONVACUITY
check clock pass 24
exit $fail
