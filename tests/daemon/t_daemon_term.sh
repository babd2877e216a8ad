#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# tapdisk-activated stopped with SIGTERM at each step of a handover, then
# started again (what `systemctl restart` does). On SIGTERM the daemon
# starts no new step, keeps renewing while running steps finish, exits 0
# holding its leases (logging how long each stays valid), and the next
# instance takes the attachments over from xenstore and the lease:
#  a. draining a suspended source whose backend is busy (no job): exits at
#     once; the record stays draining, the lease held; the next instance
#     drains again and releases once the backend is quiet;
#  b. a deactivate job running (held 8 s by a slow tool wrapper, longer
#     than vdi2's lease timeout): the daemon waits for it while renewing
#     vdi1 and vdi2, then exits; released once, not deactivated again;
#  c. an activate job waiting for the lease another host (host 2, the
#     source) still holds: the daemon waits; host 2 releases, the job
#     acquires, the daemon exits holding the lease; the next instance
#     adopts it with the same version, activate ran once;
#  d. active (vdi1 T = 8 s, vdi2 T = 6 s): exits at once; restarted when
#     the nearer deadline is just beyond its fence lead (T/8): nothing is
#     fenced; host 2 waiting for vdi1 across the stop and restart (12 s,
#     longer than T) does not get it, the version stays.
# Throughout, vdi2 (T = 6 s) is active on another domain with host 2
# waiting for it; samplers read both leases every 100 ms: a lease that
# should be held is never seen free or with another owner or version,
# and no two renewals seen are further apart than the owner's validity
# (3T/4). Case b is what catches a stop path that stops renewing (vdi2
# would lapse and host 2 would take it over).
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"
[ -n "${XH_TRACE:-}" ] && set -x
xh_have_handover || xh_skip "needs tapdisk-activate activate/deactivate/reactivate"

t_start=${EPOCHREALTIME//[.,]/}
main_pid=$$
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $(( t / 1000 )); }
uptime_ns() {	# CLOCK_BOOTTIME, the clock of valid-until (10 ms steps)
	local up _
	read -r up _ </proc/uptime
	up=${up/./}
	echo $(( 10#$up * 10000000 ))
}

# The daemon's tool: a wrapper that holds a deactivate while
# $T/slow-deactivate names seconds (it is the configured `tool =`).
cat >"$T/tool" <<EOF
#!/bin/bash
if [ "\$1" = deactivate ] && [ -s "$T/slow-deactivate" ]; then
	touch "$T/in-deactivate"
	sleep "\$(cat "$T/slow-deactivate")"
fi
exec "$XH_TOOL" "\$@"
EOF
chmod +x "$T/tool"
xh_setup "drain-wait = 30" "drain-quiet-ms = 1000" "activate-wait = 10" \
	"deactivate-timeout = 20"
sed -i "s|^tool = .*|tool = $T/tool|" "$T/daemon.conf"
xh_vdi vdi1 8
xh_vdi vdi2 6
st=$T/stats/vbd-5-51712/statistics
mkdir -p "$st"
for f in rd_req wr_req f_req ds_req oo_req; do echo 0 >"$st/$f"; done

# --- helpers -------------------------------------------------------------
lease_line() {	# lease_line VDI -> "state:version:owner renewals"
	local j k re out=()
	j=$(lease_json "$1" 2>/dev/null)
	for k in state version owner_host_id renewals; do
		re="\"$k\": *\"?([^\",}]*)"
		if [[ $j =~ $re ]]; then
			out+=("${BASH_REMATCH[1]}")
		else
			out+=("?")
		fi
	done
	echo "${out[0]}:${out[1]}:${out[2]} ${out[3]}"
}
sample() {	# sample VDI: one line "ms state:version:owner renewals" per 100 ms
	while kill -0 "$main_pid" 2>/dev/null && [ -d "$T" ]; do
		echo "$(now_ms) $(lease_line "$1")"
		sleep 0.1
	done >>"$T/samples.$1" 2>/dev/null
}
# seq_of VDI FROM TO: the distinct lease states seen in [FROM, TO] ms, in
# order ("held:3:1 free:3:null").
seq_of() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b && $2 != last {
		printf "%s%s", sep, $2; sep = " "; last = $2 }
		END { print "" }' "$T/samples.$1"
}
# max_gap VDI FROM TO: the longest time in [FROM, TO] ms in which the
# renewal counter was not seen to change (from the first sample, to the
# last), in ms.
max_gap() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b && $3 != "?" {
		if (r == "") t = $1
		else if ($3 != r) { if ($1 - t > m) m = $1 - t; t = $1 }
		r = $3; last = $1 }
		END { if (last - t > m) m = last - t; print m + 0 }' "$T/samples.$1"
}
nsamples() { awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b' "$T/samples.$1" | wc -l; }
# held_through VDI FROM TO EXPECT VALIDITY_MS WHAT: only EXPECT seen, and
# renewals no further apart than the owner's validity.
held_through() {
	local s g n
	s=$(seq_of "$1" "$2" "$3")
	g=$(max_gap "$1" "$2" "$3")
	n=$(nsamples "$1" "$2" "$3")
	xh_log "$6: $1 seen as '$s' in $n samples over $(( $3 - $2 )) ms," \
		"longest renewal gap $g ms (validity $5 ms)"
	[ "$s" = "$4" ] || xh_fail "$6: $1's lease seen as '$s', expected only '$4'"
	[ "$n" -ge 5 ] || xh_fail "$6: only $n samples of $1"
	[ "$g" -lt "$5" ] || xh_fail "$6: $1 not renewed for $g ms (validity $5 ms)"
}
gone() {	# the daemon process has exited (a zombie counts as exited)
	[ ! -e "/proc/$XH_PID" ] ||
		[ "$(sed 's/.*) \(.\).*/\1/' "/proc/$XH_PID/stat" 2>/dev/null)" = Z ]
}
term() {	# SIGTERM, time of it in $t_term
	t_term=$(now_ms)
	kill -TERM "$XH_PID" || xh_fail "cannot signal the daemon"
}
# reaped SECONDS WHAT: the daemon exits 0 within SECONDS of SIGTERM; the
# time it took in $stop_ms.
reaped() {
	local rc
	xh_wait "$1" gone ||
		xh_fail "$2: daemon still running $1 s after SIGTERM"
	stop_ms=$(( $(now_ms) - t_term ))
	wait "$XH_PID"
	rc=$?
	XH_PID=
	[ $rc -eq 0 ] || xh_fail "$2: daemon exited $rc on SIGTERM"
	! grep -q "Sanitizer\|runtime error:" "$T/daemon.log" ||
		xh_fail "sanitizer report in the daemon log"
	xh_log "$2: daemon exited $stop_ms ms after SIGTERM"
}
# logged_since MARK PATTERN: PATTERN in the daemon log after line MARK.
log_mark() { wc -l <"$T/daemon.log"; }
logged_since() { tail -n +"$(( $1 + 1 ))" "$T/daemon.log" | grep -q -- "$2"; }
count_since() { tail -n +"$(( $1 + 1 ))" "$T/daemon.log" | grep -c -- "$2"; }
valid_left_ms() {	# from the stopping daemon's log line for VDI
	tail -n +"$(( $2 + 1 ))" "$T/daemon.log" |
		sed -n "s/.*VDI $1 (domain [0-9]* disk [0-9]*): lease held, valid for \([0-9.]*\) s more.*/\1/p" |
		tail -n 1 | awk '{ printf "%d", $1 * 1000 }'
}
# shellcheck disable=SC2317 # these two run through xh_wait
renewed_past() { [ "$(lease_field "$1" renewals)" -gt "${2:-0}" ]; }
# shellcheck disable=SC2317
both_free() {
	[ "$(lease_field vdi1 state)" = free ] && [ "$(lease_field vdi2 state)" = free ]
}
fence_at() {	# fence_at VDI DOMID-DEVID LEAD_MS: deadline - lead (boot ns)
	echo $(( $(xenstore-read "/vdi-handover/$1/att/$2/valid-until") - $3 * 1000000 ))
}
no_lease_lost() {
	! grep -q "LEASE-LOST\|LEASE-TIMING" "$T/daemon.log" ||
		xh_fail "$1: $(grep -m1 "LEASE-LOST\|LEASE-TIMING" "$T/daemon.log")"
}

# --- setup: vdi2 active on domain 6 with host 2 waiting for it ----------
xh_start
xh_attach 6 768 vdi2 running
xh_attach 5 51712 vdi1 running
xh_expect_state 10 vdi2 6 768 active
xh_expect_state 10 vdi1 5 51712 active
v1=$(lease_field vdi1 version)
w2=$(lease_field vdi2 version)
sample vdi1 & s1=$!
sample vdi2 & s2=$!
"$XH_TOOL" lease acquire "$T/vdi2.img.lease" --host-id 2 --wait 120 \
	>"$T/h2-vdi2.out" 2>&1 &
h2=$!
busy=
trap 'kill $s1 $s2 $h2 $busy 2>/dev/null; xh_cleanup' EXIT
t_all=$(now_ms)
sleep 0.5

# --- a. SIGTERM while draining a suspended source with a busy backend ---
( i=0; while [ ! -e "$T/quiet" ] && kill -0 "$main_pid" 2>/dev/null; do
	i=$((i + 1)); echo "$i" >"$st/wr_req"; sleep 0.05
  done ) &
busy=$!
xh_domain 5 suspended
xh_expect_state 5 vdi1 5 51712 draining
ta=$(now_ms) m=$(log_mark)
term
reaped 2 "a (draining)"
logged_since "$m" "VDI vdi1 (domain 5 disk 51712): lease held, valid for" ||
	xh_fail "a: no 'lease held' line for vdi1 on exit"
att_is vdi1 5 51712 draining ||
	xh_fail "a: record left $(att_state vdi1 5 51712), not draining"
left=$(valid_left_ms vdi1 "$m")
[ "${left:-0}" -ge 3000 ] ||
	xh_fail "a: vdi1 valid only ${left:-?} ms more at exit (T/2 = 4000)"
sleep 0.5
m=$(log_mark)
xh_start
xh_wait 5 logged_since "$m" "disk 51712: recovered draining -> active" ||
	xh_fail "a: draining record not taken over"
xh_expect_state 5 vdi1 5 51712 draining
sleep 1.5
att_is vdi1 5 51712 draining || xh_fail "a: released while the backend is busy"
held_through vdi1 "$ta" "$(now_ms)" "held:$v1:1" 6000 "a (draining)"
touch "$T/quiet"
wait $busy
busy=
xh_expect_state 10 vdi1 5 51712 released
[ "$(lease_field vdi1 state)" = free ] || xh_fail "a: lease not released"
n=$(grep -c "domain 5 disk 51712: running .* deactivate " "$T/daemon.log")
[ "$n" -eq 1 ] || xh_fail "a: deactivate ran $n times"
echo "PASS a: SIGTERM while draining: exit in $stop_ms ms, vdi1 valid $left ms more, draining again after the restart, released once" >&2

# --- b. SIGTERM while a deactivate job runs (held 8 s) ------------------
xh_domain 5 running
xh_expect_state 10 vdi1 5 51712 active
v2=$(lease_field vdi1 version)
[ "$v2" -gt "$v1" ] || xh_fail "b: reactivation kept version $v1"
echo 8 >"$T/slow-deactivate"
rm -f "$T/in-deactivate"
xh_domain 5 suspended
xh_wait 10 test -e "$T/in-deactivate" || xh_fail "b: no deactivate job started"
att_is vdi1 5 51712 deactivating ||
	xh_fail "b: $(att_state vdi1 5 51712) while deactivate runs"
tb=$(now_ms) m=$(log_mark)
term
sleep 6.5
gone && xh_fail "b: daemon exited while its deactivate job ran"
att_is vdi1 5 51712 deactivating ||
	xh_fail "b: $(att_state vdi1 5 51712) while deactivate is held"
held_through vdi1 "$tb" "$(now_ms)" "held:$v2:1" 6000 "b (deactivate held)"
reaped 10 "b (deactivate)"
: >"$T/slow-deactivate"
logged_since "$m" "deactivating -> released" ||
	xh_fail "b: deactivate did not finish before the exit"
att_is vdi1 5 51712 released ||
	xh_fail "b: record left $(att_state vdi1 5 51712), not released"
[ "$(lease_field vdi1 state)" = free ] || xh_fail "b: lease not released"
held_through vdi2 "$tb" "$(now_ms)" "held:$w2:1" 4500 "b (vdi2 while stopping)"
m=$(log_mark)
xh_start
xh_wait 5 logged_since "$m" "disk 51712: recovered released -> released" ||
	xh_fail "b: released record not taken over"
sleep 1.5
att_is vdi1 5 51712 released || xh_fail "b: $(att_state vdi1 5 51712) after the restart"
n=$(count_since "$m" "running .* deactivate ")
[ "$n" -eq 0 ] || xh_fail "b: deactivate ran again after the restart"
xenstore-exists /vdi-handover/vdi1/alert &&
	xh_fail "b: alert: $(xenstore-read /vdi-handover/vdi1/alert)"
[ "$(seq_of vdi1 "$tb" "$(now_ms)")" = "held:$v2:1 free:$v2:null" ] ||
	xh_fail "b: vdi1 seen as '$(seq_of vdi1 "$tb" "$(now_ms)")'"
xh_destroy 5
xh_wait 5 eval '! xenstore-exists /vdi-handover/vdi1/att/5-51712' ||
	xh_fail "b: source record not forgotten"
echo "PASS b: SIGTERM while deactivate runs: waited for it ($stop_ms ms) renewing vdi1 and vdi2, released once" >&2

# --- c. SIGTERM while activate waits for host 2 (the source) ------------
"$XH_TOOL" activate "$T/vdi1.img" --host-id 2 --backend none --format raw \
	--wait 3 >"$T/h2.out" 2>&1 || xh_fail "c: host 2 activate: $(cat "$T/h2.out")"
v3=$(lease_field vdi1 version)
tc=$(now_ms) m=$(log_mark)
xh_attach 7 51712 vdi1 running
xh_expect_state 5 vdi1 7 51712 activating
sleep 0.5
term
sleep 1.5
gone && xh_fail "c: daemon exited while its activate job waited"
att_is vdi1 7 51712 activating ||
	xh_fail "c: $(att_state vdi1 7 51712) while activate waits"
[ "$(lease_field vdi1 owner_host_id)" = 2 ] || xh_fail "c: host 2 lost vdi1"
"$XH_TOOL" deactivate "$T/vdi1.img" --host-id 2 --backend none \
	--format raw >>"$T/h2.out" 2>&1 || xh_fail "c: host 2 deactivate"
reaped 5 "c (activate)"
v4=$(lease_field vdi1 version)
[ "$v4" -gt "$v3" ] || xh_fail "c: version $v3 -> $v4"
logged_since "$m" "VDI vdi1 (domain 7 disk 51712): lease held, valid for" ||
	xh_fail "c: no 'lease held' line for vdi1 on exit"
att_is vdi1 7 51712 active || xh_fail "c: record left $(att_state vdi1 7 51712)"
m2=$(log_mark)
xh_start
xh_wait 5 logged_since "$m2" "disk 51712: recovered active -> active" ||
	xh_fail "c: active record not taken over"
xh_wait 5 renewed_past vdi1 "$(lease_field vdi1 renewals)" ||
	xh_fail "c: no renewal after the restart"
[ "$(lease_field vdi1 version)" = "$v4" ] || xh_fail "c: restart moved the version"
n=$(count_since "$m" "domain 7 disk 51712: running .* activate ")
[ "$n" -eq 1 ] || xh_fail "c: activate ran $n times"
s=$(seq_of vdi1 "$tc" "$(now_ms)")
case " $s " in
*" held:$v3:2 "*"held:$v4:1 ") ;;
*) xh_fail "c: vdi1 seen as '$s' (held by host 2 at $v3, then by host 1 at $v4 to the end)" ;;
esac
[ "$(grep -o "held:[0-9]*:1" <<<"$s" | sort -u | wc -l)" -eq 1 ] ||
	xh_fail "c: vdi1 seen held by host 1 more than once: '$s'"
echo "PASS c: SIGTERM while activate waits: waited ($stop_ms ms) until host 2 released, adopted at version $v4 after the restart" >&2

# --- d. SIGTERM while active, restarted just before a deadline --------
# The next instance starts when the nearer deadline of vdi1 (T = 8 s) and
# vdi2 (T = 6 s) is at most 700 ms beyond its fence lead (T/8: 1000 and
# 750 ms): adopted without a fence, since the lease's T is known from the
# recovery read (a daemon that assumed the largest lead, 2 s, fenced).
"$XH_TOOL" lease acquire "$T/vdi1.img.lease" --host-id 2 --wait 12 \
	>"$T/h2-vdi1.out" 2>&1 &
h1=$!
sleep 0.5
td=$(now_ms) m=$(log_mark)
term
reaped 2 "d (active)"
left=$(valid_left_ms vdi1 "$m")
[ "${left:-0}" -ge 3000 ] ||
	xh_fail "d: vdi1 valid only ${left:-?} ms more at exit (T/2 = 4000)"
f1=$(fence_at vdi1 7-51712 1000) f2=$(fence_at vdi2 6-768 750)
f=$(( f1 < f2 ? f1 : f2 ))
wait_ms=$(( (f - $(uptime_ns)) / 1000000 - 700 ))
[ "$wait_ms" -gt 0 ] || xh_fail "d: a fence lead only $(( wait_ms + 700 )) ms away at exit"
sleep "$(( wait_ms / 1000 )).$(printf %03d $(( wait_ms % 1000 )))"
slack=$(( (f - $(uptime_ns)) / 1000000 ))
[ "$slack" -ge 200 ] || xh_fail "d: restarting too late ($slack ms before a fence lead)"
down_ms=$(( $(now_ms) - td ))
xh_log "d: restarting $down_ms ms after SIGTERM, $slack ms before the nearer" \
	"fence lead ($(( (f2 - f1) / 1000000 )) ms: vdi2's minus vdi1's)"
vu=$(xenstore-read /vdi-handover/vdi1/att/7-51712/valid-until)
m=$(log_mark)
xh_start
xh_wait 5 logged_since "$m" "disk 51712: recovered active -> active" ||
	xh_fail "d: active record not taken over"
wait "$h1"
rc=$?
[ $rc -eq 10 ] || xh_fail "d: host 2 waiting 12 s for vdi1 got exit $rc: $(cat "$T/h2-vdi1.out")"
no_lease_lost "d: fenced after a restart before the deadline"
[ "$(xenstore-read /vdi-handover/vdi1/att/7-51712/valid-until)" -gt "$vu" ] ||
	xh_fail "d: deadline not moved after the restart"
if ! att_is vdi1 7 51712 active || ! att_is vdi2 6 768 active; then
	xh_fail "d: vdi1 $(att_state vdi1 7 51712), vdi2 $(att_state vdi2 6 768) after the restart"
fi
held_through vdi1 "$td" "$(now_ms)" "held:$v4:1" 6000 "d (active)"
echo "PASS d: SIGTERM while active: exit in $stop_ms ms, vdi1 valid $left ms more, down $down_ms ms, host 2 did not get vdi1 in 12 s, version $v4 kept" >&2

# --- the bystander, and the end ------------------------------------------
no_lease_lost "a lease was fenced"
kill -0 "$h2" 2>/dev/null ||
	xh_fail "host 2 took vdi2 over: $(cat "$T/h2-vdi2.out")"
kill "$h2"
wait "$h2" 2>/dev/null
h2=
held_through vdi2 "$t_all" "$(now_ms)" "held:$w2:1" 4500 "vdi2 over the whole test"
kill "$s1" "$s2" 2>/dev/null
wait "$s1" "$s2" 2>/dev/null
s1= s2=
xh_destroy 7
xh_destroy 6
xh_wait 10 both_free || xh_fail "leases not released on destroy"
xh_stop
xh_log "wall time $(( (${EPOCHREALTIME//[.,]/} - t_start) / 1000000 )) s"
exit 0
