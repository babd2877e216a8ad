#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# xh-timeout: 900
#
# tapdisk: the tapdisk backend of tapdisk-activate against real tapdisks
# (xapi-project/blktap built by scripts/build-blktap.sh), two of them on one
# VHD, the way a source and a destination host share a VDI. No Xen and no
# blktap kernel module are needed: tapdisk's minors are marker files under
# /run/blktap-control and every VBD serves NBD on a unix socket there,
# which qemu-io reads and writes. Everything runs in a private mount
# namespace (tmpfs on /run, /dev/shm, /var/log) so the host is untouched.
#
# Checks, one line each:
#   handover        activate on the source, write through its NBD; the
#                   destination (opened before the write) serves zeros for
#                   that block until `activate` there, and the data after;
#                   deactivate --successor, activate, write on the destination
#   reactivate-refused  the source's reactivate after the destination
#                   activated: refused (exit 31), the source stays paused
#   reactivate-ok   deactivate, nobody activates, reactivate: the source
#                   runs again and serves reads and writes
#   dies-mid-pause  the source tapdisk dies while deactivate waits for its
#                   pause answer: deactivate fails, the lease stays held, the
#                   destination's activate is refused
#   cbt-activate    VHD opened with `tap-ctl create -C LOG`: a write after
#                   activate and after reactivate is marked in the CBT log
#   cbt-clean-return  failed migration where the destination activated and
#                   wrote nothing: its deactivate releases clean (tapdisk's
#                   STATS write counter), the source's reactivate succeeds
#                   although the version moved, and its CBT log stays
#                   consistent and keeps tracking
#   cbt-dirty-refused  the same with one write through the destination's
#                   NBD: the source's reactivate is refused (exit 31) and
#                   its CBT log is marked inconsistent (cbt-util get -f: 0)
#   cbt-unnamed     the spec does not name the VBD's CBT log: the pause is
#                   refused before anything changes, tracking goes on; a
#                   spec naming the log through a symlink is accepted
#   check-migrate-odirect  check-migrate reads how tapdisk opened the image
#                   (/proc/PID/fdinfo flags; STATS read_caching while
#                   paused): a spec claiming -D is overruled for a VBD open
#                   with O_DIRECT, a `-r -D` VBD (no O_DIRECT) is refused
#
# Without root, unshare, qemu-io, or when blktap cannot be built here
# (build-blktap.sh exit 77), every check is skipped with the reason. A
# blktap build that fails is a failure.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${XH_BUILD:-$top/build}
tool=${XH_TOOL:-$build/tapdisk-activate}
checks="handover reactivate-refused reactivate-ok dies-mid-pause cbt-activate cbt-clean-return cbt-dirty-refused cbt-unnamed check-migrate-odirect"

skip_all() {
	for c in $checks; do echo "SKIP tapdisk/$c: $*"; done
	exit 0
}

if [ -z "${XH_TAPDISK_INNER:-}" ]; then
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (private mount namespace, tapdisk's /run/blktap-control)"
	for p in unshare qemu-img qemu-io flock timeout od; do
		command -v $p >/dev/null || skip_all "$p not installed"
	done
	[ -x "$tool" ] || skip_all "build first (make): no $tool"
	why=$(unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run' 2>&1) ||
		skip_all "no private mount namespace here (unshare -m, mount tmpfs): $why"
	bt=$("$top/scripts/build-blktap.sh" 2>"${TMPDIR:-/tmp}/xh-build-blktap.$$")
	rc=$?
	why=$(tail -n 1 "${TMPDIR:-/tmp}/xh-build-blktap.$$")
	rm -f "${TMPDIR:-/tmp}/xh-build-blktap.$$"
	case $rc in
	0) ;;
	77) skip_all "blktap cannot be built here: $why" ;;
	*) for c in $checks; do echo "FAIL tapdisk/$c: blktap build failed: $why"; done
	   exit 0 ;;
	esac
	work=$(mktemp -d /var/tmp/xh-tapdisk-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	XH_TAPDISK_INNER=1 XH_BLKTAP=$bt XH_WORK=$work \
		timeout 600 unshare -m --propagation private bash "$0"
	rc=$?
	[ $rc -eq 0 ] || echo "FAIL tapdisk/suite: the namespace run ended with status $rc (124: 600 s bound)"
	exit 0
fi

# ---- inside the private mount namespace -----------------------------------
set -u
bt=$XH_BLKTAP
work=$XH_WORK
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /var/log
# tapdisk logs through syslog; without /dev/log glibc writes to the console.
mount --bind /dev/null /dev/console
export PATH=$bt/inst/sbin:$bt/inst/bin:$PATH
export LD_PRELOAD_TAPDISK=$bt/memlock-shim.so
# Every tapdisk started here (vbd runs in command substitutions, so the
# list is a file): tapdisk daemonizes, and its mount namespace (this one)
# lives as long as it does, so each is killed by pid at the end.
pidfile=$work/tapdisk.pids
: >"$pidfile"
cleanup() {
	local p
	while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$pidfile"
	# bounded: 5 s for init to reap them
	for _ in $(seq 50); do
		local alive=0
		while read -r p; do
			[ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] &&
				alive=1
		done <"$pidfile"
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
}
trap cleanup EXIT

pass() { echo "PASS tapdisk/$1"; }
failc() { echo "FAIL tapdisk/$1: $2"; }

T=30	# bound on every tap-ctl / qemu-io / tapdisk-activate call (s)

# new_vhd NAME: a 64 MiB dynamic VHD with its lease area.
new_vhd() {
	local img=$work/$1.vhd
	qemu-img create -q -f vpc -o subformat=dynamic "$img" 64M || return 1
	timeout $T "$tool" lease init "$img.lease" >/dev/null || return 1
	echo "$img"
}

# vbd IMG [CBTLOG]: starts a tapdisk serving IMG; prints "PID MINOR".
vbd() {
	local out m line pid
	out=$(LD_PRELOAD=$LD_PRELOAD_TAPDISK timeout $T tap-ctl create -a "vhd:$1" ${2:+-C "$2"}) ||
		return 1
	m=${out##*-}
	line=$(timeout $T tap-ctl list | tr ' ' '\n' | paste -sd' ' |
		grep -o "pid=[0-9]* minor=$m ")
	pid=$(echo "$line" | sed -n 's/pid=\([0-9]*\) .*/\1/p')
	[ -n "$pid" ] || return 1
	echo "$pid" >>"$pidfile"
	echo "$pid $m"
}

# state PID MINOR: tapdisk's state bits of that VBD (decimal).
state() {
	local s
	s=$(timeout $T tap-ctl list -p "$1" -m "$2" 2>/dev/null |
		tr ' ' '\n' | sed -n 's/^state=//p' | head -n 1)
	[ -n "$s" ] && echo $((s))
}
paused() { local s; s=$(state "$1" "$2") && [ $((s & 0x20)) -ne 0 ]; }

nbd() { echo "nbd+unix:///?socket=/run/blktap-control/nbd$1.$2"; }
# io PID MINOR CMD...: one qemu-io command through that VBD's NBD socket.
io() {
	local s
	s=$(nbd "$1" "$2"); shift 2
	timeout $T qemu-io -f raw "$s" -c "$*" 2>&1
}
# reads PID MINOR PATTERN OFF LEN: the range holds PATTERN.
reads() {
	local out
	out=$(io "$1" "$2" "read -P $3 $4 $5") || return 1
	! echo "$out" | grep -q "Pattern verification failed"
}

ta() { timeout $T "$tool" "$@" >"$work/ta.out" 2>&1; }
ta_out() { tr '\n' ' ' <"$work/ta.out"; }

# cbt_bit LOG N: prints 1 when block N (64 KiB) is marked in the log.
cbt_bit() {
	local byte
	byte=$(cbt-util get -n "$1" -b | od -An -tu1 -v -w1 | sed -n "$(($2 / 8 + 1))p")
	echo $(( (${byte:-0} >> ($2 % 8)) & 1 ))
}

# ---- handover, reactivate-refused ------------------------------------------
t_handover() {
	local img a b
	img=$(new_vhd hand) || { failc handover "fixture"; return; }
	read -r ap am <<<"$(vbd "$img")" || { failc handover "source tapdisk did not start"; return; }
	read -r bp bm <<<"$(vbd "$img")" || { failc handover "destination tapdisk did not start"; return; }
	a="tapdisk:$ap:$am"; b="tapdisk:$bp:$bm"
	ta activate "$img" --host-id 1 --backend "$a" ||
		{ failc handover "source activate: $(ta_out)"; return; }
	paused "$ap" "$am" && { failc handover "source paused after activate"; return; }
	io "$ap" "$am" "write -P 0xa1 8M 64k" >/dev/null ||
		{ failc handover "write through the source's NBD failed"; return; }
	reads "$ap" "$am" 0xa1 8M 64k || { failc handover "source does not read its write"; return; }
	ta deactivate "$img" --host-id 1 --backend "$a" --successor 2 ||
		{ failc handover "deactivate: $(ta_out)"; return; }
	paused "$ap" "$am" || { failc handover "source not paused after deactivate"; return; }
	# Before activate the destination still serves what it read at open.
	reads "$bp" "$bm" 0 8M 64k ||
		{ failc handover "destination served the new block before activate (expected its stale zeros: the seed 003 problem did not reproduce)"; return; }
	ta activate "$img" --host-id 2 --backend "$b" ||
		{ failc handover "destination activate: $(ta_out)"; return; }
	reads "$bp" "$bm" 0xa1 8M 64k ||
		{ failc handover "destination does not serve the source's write after activate"; return; }
	io "$bp" "$bm" "write -P 0xb2 16M 64k" >/dev/null && reads "$bp" "$bm" 0xb2 16M 64k ||
		{ failc handover "write through the destination failed"; return; }
	pass handover

	ta reactivate "$img" --host-id 1 --backend "$a"
	rc=$?
	if [ $rc -ne 31 ]; then
		failc reactivate-refused "exit $rc, want 31: $(ta_out)"
	elif ! paused "$ap" "$am"; then
		failc reactivate-refused "the source tapdisk is not paused after the refusal"
	elif ! reads "$bp" "$bm" 0xb2 16M 64k; then
		failc reactivate-refused "destination lost its write"
	else
		pass reactivate-refused
	fi
}

# ---- reactivate-ok ---------------------------------------------------------
t_reactivate_ok() {
	local img a
	img=$(new_vhd react) || { failc reactivate-ok "fixture"; return; }
	read -r ap am <<<"$(vbd "$img")" || { failc reactivate-ok "tapdisk did not start"; return; }
	a="tapdisk:$ap:$am"
	ta activate "$img" --host-id 1 --backend "$a" &&
		io "$ap" "$am" "write -P 0xc3 4M 64k" >/dev/null &&
		ta deactivate "$img" --host-id 1 --backend "$a" --successor 2 ||
		{ failc reactivate-ok "setup: $(ta_out)"; return; }
	ta reactivate "$img" --host-id 1 --backend "$a" ||
		{ failc reactivate-ok "reactivate: $(ta_out)"; return; }
	paused "$ap" "$am" && { failc reactivate-ok "still paused"; return; }
	reads "$ap" "$am" 0xc3 4M 64k && io "$ap" "$am" "write -P 0xc4 5M 64k" >/dev/null &&
		reads "$ap" "$am" 0xc4 5M 64k ||
		{ failc reactivate-ok "I/O after reactivate failed"; return; }
	pass reactivate-ok
}

# ---- dies-mid-pause --------------------------------------------------------
t_dies_mid_pause() {
	local img a b dpid rc drc
	img=$(new_vhd dies) || { failc dies-mid-pause "fixture"; return; }
	read -r ap am <<<"$(vbd "$img")" || { failc dies-mid-pause "tapdisk did not start"; return; }
	read -r bp bm <<<"$(vbd "$img")" || { failc dies-mid-pause "tapdisk did not start"; return; }
	a="tapdisk:$ap:$am"; b="tapdisk:$bp:$bm"
	ta activate "$img" --host-id 1 --backend "$a" ||
		{ failc dies-mid-pause "activate: $(ta_out)"; return; }
	# Stopped, the tapdisk takes the PAUSE into its socket but never
	# answers; it is killed while deactivate waits for that answer.
	kill -STOP "$ap"
	timeout $T "$tool" deactivate "$img" --host-id 1 --backend "$a" \
		--successor 2 --timeout 6 >"$work/dies.out" 2>&1 &
	dpid=$!
	# deactivate may first ask STATS (for the CBT log: unanswered, it
	# gives up after a third of --timeout, 2 s), then sends PAUSE and
	# waits for its answer until the 6 s are up. 3.5 s after the start,
	# PAUSE is the request in flight either way. The stopped tapdisk
	# accepts no connection, so each stays in its listen queue:
	# /proc/net/unix lists the listener and one entry per connection
	# under the socket's path; at least one must be there.
	sleep 3.5
	[ "$(grep -c "/ctl$ap\$" /proc/net/unix)" -ge 2 ] ||
		{ kill -KILL "$ap"; wait "$dpid"; failc dies-mid-pause "deactivate did not connect to the control socket within 3.5 s"; return; }
	kill -KILL "$ap"
	wait "$dpid"
	drc=$?
	if [ $drc -ne 20 ] || ! grep -q "closed the connection during pause" "$work/dies.out"; then
		failc dies-mid-pause "deactivate exit $drc, want 20 and a connection closed during pause (backend unreachable, lease kept): $(tr '\n' ' ' <"$work/dies.out")"
		return
	fi
	timeout $T "$tool" lease status "$img.lease" --json >"$work/st.json" 2>&1
	if ! grep -q '"state":"held".*"owner_host_id":1,' "$work/st.json"; then
		failc dies-mid-pause "lease not held by host 1 after the failed deactivate: $(tr '\n' ' ' <"$work/st.json")"
		return
	fi
	ta activate "$img" --host-id 2 --backend "$b"
	rc=$?
	if [ $rc -ne 10 ]; then
		failc dies-mid-pause "destination activate exit $rc, want 10 (lease held): $(ta_out)"
		return
	fi
	paused "$bp" "$bm" || { failc dies-mid-pause "destination not left paused"; return; }
	echo "# dies-mid-pause: deactivate exit $drc: $(tr '\n' ' ' <"$work/dies.out")"
	pass dies-mid-pause
}

# ---- CBT -------------------------------------------------------------------
new_cbt() {	# new_cbt IMG: a CBT log for IMG, sized by its virtual size
	local size
	size=$(qemu-img info --output=json "$1" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
	cbt-util create -n "$1.cbtlog" -s "$size" || return 1
	echo "$1.cbtlog"
}

t_cbt() {
	local img log a
	img=$(new_vhd cbt) && log=$(new_cbt "$img") || { failc cbt-activate "fixture"; return; }
	read -r ap am <<<"$(vbd "$img" "$log")" || { failc cbt-activate "tapdisk did not start"; return; }
	a="tapdisk:$ap:$am,cbt-log=$log"
	io "$ap" "$am" "write -P 1 1M 64k" >/dev/null
	[ "$(cbt_bit "$log" 16)" = 1 ] || { failc cbt-activate "tap-ctl create -C did not track a write (fixture)"; return; }
	ta activate "$img" --host-id 1 --backend "$a" ||
		{ failc cbt-activate "activate: $(ta_out)"; return; }
	io "$ap" "$am" "write -P 2 2M 64k" >/dev/null
	[ "$(cbt_bit "$log" 32)" = 1 ] ||
		{ failc cbt-activate "a write after activate is not marked in the CBT log (block 32)"; return; }
	ta deactivate "$img" --host-id 1 --backend "$a" --successor 2 &&
		ta reactivate "$img" --host-id 1 --backend "$a" ||
		{ failc cbt-activate "deactivate/reactivate: $(ta_out)"; return; }
	io "$ap" "$am" "write -P 3 3M 64k" >/dev/null
	[ "$(cbt_bit "$log" 48)" = 1 ] ||
		{ failc cbt-activate "a write after reactivate is not marked in the CBT log (block 48)"; return; }
	[ "$(cbt_bit "$log" 40)" = 0 ] || { failc cbt-activate "an unwritten block is marked"; return; }
	pass cbt-activate
}

# cbt_failed_migration NAME WRITE: the source (CBT log marked consistent,
# as a backup tool leaves it) hands over to a destination that activates,
# writes through its NBD when WRITE is 1, and deactivates: the migration
# failed after the destination activated. Then the source reactivates.
# Leaves the reactivate's exit status in $rc and the log in $log.
cbt_failed_migration() {
	local c=$1 img a b
	rc=x
	img=$(new_vhd "$c") && log=$(new_cbt "$img") || { failc "$c" "fixture"; return 1; }
	read -r ap am <<<"$(vbd "$img" "$log")" || { failc "$c" "source tapdisk did not start"; return 1; }
	read -r bp bm <<<"$(vbd "$img")" || { failc "$c" "destination tapdisk did not start"; return 1; }
	a="tapdisk:$ap:$am,cbt-log=$log"; b="tapdisk:$bp:$bm"
	cbt-util set -n "$log" -f 1 && [ "$(cbt-util get -n "$log" -f)" = 1 ] ||
		{ failc "$c" "cbt-util set -f 1 (fixture)"; return 1; }
	ta activate "$img" --host-id 1 --backend "$a" &&
		io "$ap" "$am" "write -P 0x61 1M 64k" >/dev/null &&
		ta deactivate "$img" --host-id 1 --backend "$a" --successor 2 ||
		{ failc "$c" "source activate/write/deactivate: $(ta_out)"; return 1; }
	ta activate "$img" --host-id 2 --backend "$b" ||
		{ failc "$c" "destination activate: $(ta_out)"; return 1; }
	reads "$bp" "$bm" 0x61 1M 64k ||
		{ failc "$c" "destination does not read the source's write"; return 1; }
	if [ "$2" = 1 ]; then
		io "$bp" "$bm" "write -P 0x62 2M 4k" >/dev/null ||
			{ failc "$c" "write through the destination failed"; return 1; }
	fi
	ta deactivate "$img" --host-id 2 --backend "$b" ||
		{ failc "$c" "destination deactivate: $(ta_out)"; return 1; }
	cp "$work/ta.out" "$work/$c.deact"
	ta reactivate "$img" --host-id 1 --backend "$a"
	rc=$?
	return 0
}

t_cbt_clean_return() {
	local c=cbt-clean-return log rc
	cbt_failed_migration $c 0 || return
	[ $rc -eq 0 ] ||
		{ failc $c "reactivate after a destination that wrote nothing: exit $rc, want 0: $(ta_out) (destination's deactivate: $(tr '\n' ' ' <"$work/$c.deact"))"; return; }
	grep -q "released clean, nothing written: tapdisk STATS of minor $bm: 0 sectors written" "$work/$c.deact" ||
		{ failc $c "the destination's deactivate does not report its clean release: $(tr '\n' ' ' <"$work/$c.deact")"; return; }
	grep -q "released version [0-9]* clean" "$work/ta.out" ||
		{ failc $c "reactivate does not say the destination released clean: $(ta_out)"; return; }
	[ "$(cbt-util get -n "$log" -f)" = 1 ] ||
		{ failc $c "the CBT log was marked inconsistent although nobody else wrote"; return; }
	paused "$ap" "$am" && { failc $c "the source is still paused"; return; }
	reads "$ap" "$am" 0x61 1M 64k && io "$ap" "$am" "write -P 0x63 3M 64k" >/dev/null ||
		{ failc $c "I/O on the source after reactivate failed"; return; }
	[ "$(cbt_bit "$log" 48)" = 1 ] ||
		{ failc $c "a write after reactivate is not marked in the CBT log (block 48)"; return; }
	pass $c
}

t_cbt_dirty_refused() {
	local c=cbt-dirty-refused log rc
	cbt_failed_migration $c 1 || return
	grep -q "writes: tapdisk STATS of minor $bm: 8 sectors written" "$work/$c.deact" ||
		{ failc $c "the destination's deactivate does not report its 4 KiB write: $(tr '\n' ' ' <"$work/$c.deact")"; return; }
	[ $rc -eq 31 ] ||
		{ failc $c "reactivate after the destination wrote: exit $rc, want 31: $(ta_out)"; return; }
	[ "$(cbt-util get -n "$log" -f)" = 0 ] ||
		{ failc $c "the CBT log is still marked consistent after a refused reactivate: $(ta_out)"; return; }
	grep -q "marked inconsistent" "$work/ta.out" ||
		{ failc $c "the refusal does not say the CBT log was marked: $(ta_out)"; return; }
	paused "$ap" "$am" || { failc $c "the source is not paused after the refusal"; return; }
	pass $c
}

t_cbt_unnamed() {
	local img log a rc
	img=$(new_vhd cbtu) && log=$(new_cbt "$img") || { failc cbt-unnamed "fixture"; return; }
	read -r ap am <<<"$(vbd "$img" "$log")" || { failc cbt-unnamed "tapdisk did not start"; return; }
	a="tapdisk:$ap:$am"
	ta activate "$img" --host-id 1 --backend "$a"
	rc=$?
	if [ $rc -eq 0 ]; then
		io "$ap" "$am" "write -P 4 6M 64k" >/dev/null
		failc cbt-unnamed "activate without cbt-log= on a VBD that tracks changed blocks succeeded; a write after it is marked in the log: $(cbt_bit "$log" 96) (0: tracking was turned off)"
		return
	fi
	grep -q "$log" "$work/ta.out" ||
		{ failc cbt-unnamed "the refusal does not name the log: $(ta_out)"; return; }
	paused "$ap" "$am" && { failc cbt-unnamed "the VBD was left paused"; return; }
	io "$ap" "$am" "write -P 4 6M 64k" >/dev/null
	[ "$(cbt_bit "$log" 96)" = 1 ] ||
		{ failc cbt-unnamed "tracking stopped after the refusal"; return; }
	# Another log: a resume would move tracking away from this one.
	ta activate "$img" --host-id 1 --backend "$a,cbt-log=$work/other.cbtlog"
	rc=$?
	[ $rc -eq 22 ] && grep -q "names $work/other.cbtlog" "$work/ta.out" ||
		{ failc cbt-unnamed "spec naming another log: exit $rc, want 22: $(ta_out)"; return; }
	# The same log by another name (a symlink) is that log.
	ln -s "$log" "$work/cbtu.link"
	ta activate "$img" --host-id 1 --backend "$a,cbt-log=$work/cbtu.link" ||
		{ failc cbt-unnamed "activate naming the log through a symlink: $(ta_out)"; return; }
	io "$ap" "$am" "write -P 5 7M 64k" >/dev/null
	[ "$(cbt_bit "$log" 112)" = 1 ] ||
		{ failc cbt-unnamed "write after activate with the log via a symlink not marked"; return; }
	pass cbt-unnamed
}

# ---- check-migrate reads the open flags ------------------------------------
# vbd_opts IMG OPTS...: like vbd, with more tap-ctl create options.
vbd_opts() {
	local img=$1 out m pid
	shift
	out=$(LD_PRELOAD=$LD_PRELOAD_TAPDISK timeout $T tap-ctl create -a "vhd:$img" "$@") ||
		return 1
	m=${out##*-}
	pid=$(timeout $T tap-ctl list | tr ' ' '\n' | paste -sd' ' |
		grep -o "pid=[0-9]* minor=$m " | sed -n 's/pid=\([0-9]*\) .*/\1/p')
	[ -n "$pid" ] || return 1
	echo "$pid" >>"$pidfile"
	echo "$pid $m"
}

t_check_migrate() {
	local img img2 ap am bp bm c=check-migrate-odirect
	img=$(new_vhd cm) && img2=$(new_vhd cm2) || { failc $c "fixture"; return; }
	read -r ap am <<<"$(vbd "$img")" || { failc $c "tapdisk did not start"; return; }
	ta check-migrate "$img" --backend "tapdisk:$ap:$am" --json ||
		{ failc $c "O_DIRECT tapdisk refused: $(ta_out)"; return; }
	grep -q "has the image open with O_DIRECT" "$work/ta.out" ||
		{ failc $c "verdict does not say how tapdisk opened the image: $(ta_out)"; return; }
	# A spec saying no-o-direct is overruled by what tapdisk really does.
	ta check-migrate "$img" --backend "tapdisk:$ap:$am,no-o-direct" --json ||
		{ failc $c "spec no-o-direct trusted over the open flags: $(ta_out)"; return; }
	# -r -D: read caching, the image really is open without O_DIRECT;
	# the spec does not say so, the descriptor flags do.
	read -r bp bm <<<"$(vbd_opts "$img2" -r -D)" || { failc $c "tapdisk -r -D did not start"; return; }
	ta check-migrate "$img2" --backend "tapdisk:$bp:$bm" --json
	rc=$?
	[ $rc -eq 30 ] && grep -q "without O_DIRECT" "$work/ta.out" ||
		{ failc $c "tapdisk -r -D (page cache) not refused (exit $rc, want 30): $(ta_out)"; return; }
	# Paused, the image is closed: tapdisk's own read_caching answers.
	timeout $T tap-ctl pause -p "$ap" -m "$am" >/dev/null ||
		{ failc $c "tap-ctl pause failed"; return; }
	ta check-migrate "$img" --backend "tapdisk:$ap:$am" --json &&
		grep -q "read_caching=false" "$work/ta.out" ||
		{ failc $c "paused O_DIRECT tapdisk: $(ta_out)"; return; }
	pass $c
}

t_handover
t_reactivate_ok
t_dies_mid_pause
t_cbt
t_cbt_clean_return
t_cbt_dirty_refused
t_cbt_unnamed
t_check_migrate
exit 0
