#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# tapdisk-activated as systemd runs it (tools/systemd/tapdisk-activated.service):
# Type=notify readiness on $NOTIFY_SOCKET, "<N>" priority prefixes when
# stderr is the journal stream $JOURNAL_STREAM names, SIGHUP (ExecReload)
# keeps it running, the pid file is locked while it runs (a second daemon
# is refused), STOPPING=1 at SIGTERM. The unit passes systemd-analyze
# verify where systemd-analyze exists.
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"
command -v python3 >/dev/null || xh_skip "python3 missing (NOTIFY_SOCKET listener)"

xh_setup
sock=$T/notify.sock
python3 - "$sock" "$T/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.time() + 30
with open(sys.argv[2], "a") as out:
    while time.time() < end:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            continue
        out.write(m.replace("\n", " ") + "\n")
        out.flush()
        if "STOPPING=1" in m:
            break
PY
listener=$!
xh_wait 5 test -S "$sock" || xh_fail "notify listener did not bind $sock"

: >"$T/daemon.log"
NOTIFY_SOCKET=$sock JOURNAL_STREAM=$(stat -c '%d:%i' "$T/daemon.log") xh_start
xh_wait 5 grep -q "READY=1" "$T/notify.log" ||
	xh_fail "no READY=1 on NOTIFY_SOCKET: $(cat "$T/notify.log")"
echo "ok: READY=1 once xenstore is watched"

# Priorities: every line the daemon wrote is "<N>level: ...".
xh_vdi vdi1
xenstore-write /vdi-handover/vdi1/request "77 bogus"
xh_wait 5 res_has vdi1 77 || xh_fail "no result for a malformed request"
if grep -qv '^<[0-7]>[a-zA-Z]*: ' "$T/daemon.log"; then
	xh_fail "a line without its priority: $(grep -v '^<[0-7]>' "$T/daemon.log" | head -n 2)"
fi
grep -q '^<[0-7]>' "$T/daemon.log" || xh_fail "the daemon logged nothing"
echo "ok: journal lines carry <N> priorities ($(wc -l <"$T/daemon.log") lines)"

# The pid file is locked: block-handover's test of a running daemon.
[ "$(cat /run/tapdisk-activated.pid)" = "$XH_PID" ] ||
	xh_fail "pid file holds '$(cat /run/tapdisk-activated.pid)', not $XH_PID"
flock -n -s /run/tapdisk-activated.pid true &&
	xh_fail "pid file not locked while the daemon runs"
if "$XH_DAEMON" --foreground --config "$T/daemon.conf" \
	--domains-from-xenstore "$DOMS" 2>"$T/second.log"; then
	xh_fail "a second daemon started"
fi
grep -q "another tapdisk-activated runs (pid $XH_PID" "$T/second.log" ||
	xh_fail "second daemon: $(cat "$T/second.log")"
echo "ok: pid file locked, a second daemon refused"

kill -HUP "$XH_PID"
sleep 0.3
kill -0 "$XH_PID" 2>/dev/null || xh_fail "SIGHUP (ExecReload) stopped the daemon"
echo "ok: SIGHUP keeps it running"

xh_stop
xh_wait 5 grep -q "STOPPING=1" "$T/notify.log" ||
	xh_fail "no STOPPING=1: $(cat "$T/notify.log")"
flock -n -s /run/tapdisk-activated.pid true ||
	xh_fail "pid file still locked after the daemon stopped"
wait $listener
echo "ok: STOPPING=1 at SIGTERM, pid file unlocked"

unit=$XH_TOP/tools/systemd/tapdisk-activated.service
if command -v systemd-analyze >/dev/null; then
	# verify wants the ExecStart binary where the unit names it: a copy
	# that points at the built one.
	mkdir -p "$T/unit"
	sed "s|/usr/sbin/tapdisk-activated|$XH_DAEMON|; s|^ConditionPathExists=.*||" \
		"$unit" >"$T/unit/tapdisk-activated.service"
	out=$(systemd-analyze verify --man=no "$T/unit/tapdisk-activated.service" 2>&1 |
		grep -v "xenstored\|xendomains\|proc-xen")
	[ -z "$out" ] || xh_fail "systemd-analyze verify: $out"
	echo "ok: systemd-analyze verify"
else
	echo "# systemd-analyze verify not run: systemd not installed"
fi
grep -q '^Type=notify$' "$unit" && grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" ||
	xh_fail "unit lacks Type=notify or ExecReload"
echo "ok: unit is Type=notify with ExecReload"
