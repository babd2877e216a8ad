# SPDX-License-Identifier: GPL-2.0 OR MIT
# shellcheck shell=bash
#
# Shared pieces of the tapdisk-activated tests. A test sources this file
# first; xh_enter re-runs the test inside tests/daemon/xs-ns-run.sh (real
# oxenstored, private mount namespace) unless it already is inside.
#
# The "toolstack" here is the test itself: it writes the keys xl/libxl and
# the block-handover script would write (backend dir with xh-vdi, frontend
# dir, domain state in the /xh-test/domains table the daemon reads with
# --domains-from-xenstore), and plays the guest by writing frontend keys.

XH_TOP=${XH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
XH_BUILD=${XH_BUILD:-$XH_TOP/build}
XH_TOOL=${XH_TOOL:-$XH_BUILD/tapdisk-activate}
XH_DAEMON=${XH_DAEMON:-$XH_BUILD/tapdisk-activated}
BE=/local/domain/0/backend/vbd
DOMS=/xh-test/domains

xh_fail() { echo "FAIL: $*" >&2; xh_dump; exit 1; }
xh_skip() { echo "skip: $*" >&2; exit 77; }
xh_log() { echo "# $*" >&2; }

xh_enter() {	# xh_enter "$0" "$@"
	if [ -z "${XH_XS_WORKDIR:-}" ]; then
		local work
		work=$(mktemp -d /var/tmp/xh-daemon-test.XXXXXX)
		"$XH_TOP/tests/daemon/xs-ns-run.sh" "$work" bash "$@"
		local rc=$?
		if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
			rm -rf "$work"
		else
			echo "work dir kept: $work" >&2
		fi
		exit $rc
	fi
	T=$XH_XS_WORKDIR
	[ -x "$XH_DAEMON" ] || xh_skip "$XH_DAEMON not built"
	trap xh_cleanup EXIT
}

xh_have_handover() {
	"$XH_TOOL" activate --help >/dev/null 2>&1 &&
	"$XH_TOOL" deactivate --help >/dev/null 2>&1 &&
	"$XH_TOOL" reactivate --help >/dev/null 2>&1
}

# A raw VDI file with its lease; the daemon config and VDI definition.
xh_setup() {	# xh_setup [extra daemon config lines...]
	mkdir -p "$T/vdi.d" "$T/stats"
	: >"$T/daemon.log"
	cat >"$T/daemon.conf" <<CONF
host-id = 1
tool = $XH_TOOL
vdi-dir = $T/vdi.d
backend-stats = $T/stats
activate-wait = 3
deactivate-timeout = 5
drain-wait = 4
retry = 1
renew-interval = 2
CONF
	local line
	for line in "$@"; do echo "$line" >>"$T/daemon.conf"; done
}

xh_vdi() {	# xh_vdi NAME [lease-timeout]: raw image + initialised lease
	local name=$1 timeout=${2:-0}
	truncate -s 4M "$T/$name.img"
	cat >"$T/vdi.d/$name.conf" <<CONF
image = $T/$name.img
backend = none
format = raw
CONF
	"$XH_TOOL" lease init "$T/$name.img.lease" --timeout "$timeout" \
		>/dev/null || xh_fail "lease init $name"
}

xh_start() {	# xh_start [daemon binary]
	local bin=${1:-$XH_DAEMON}
	"$bin" --foreground --config "$T/daemon.conf" \
		--domains-from-xenstore "$DOMS" 2>>"$T/daemon.log" &
	XH_PID=$!
	xh_wait 5 xenstore-exists /vdi-handover ||
		xh_fail "daemon did not start"
}

xh_stop() {	# graceful stop, checks the exit status
	[ -n "${XH_PID:-}" ] || return 0
	kill -TERM "$XH_PID" 2>/dev/null
	wait "$XH_PID"
	local rc=$?
	XH_PID=
	[ $rc -eq 0 ] || xh_fail "daemon exited $rc on SIGTERM"
	! grep -q "Sanitizer\|runtime error:" "$T/daemon.log" ||
		xh_fail "sanitizer report in the daemon log"
}

xh_kill9() {
	kill -KILL "$XH_PID" 2>/dev/null
	wait "$XH_PID" 2>/dev/null
	XH_PID=
}

xh_cleanup() {
	[ -n "${XH_PID:-}" ] && kill -KILL "$XH_PID" 2>/dev/null
	return 0
}

xh_dump() {
	[ -n "${T:-}" ] || return 0
	echo "--- daemon log (tail)" >&2
	tail -n 40 "$T/daemon.log" >&2
	echo "--- /vdi-handover" >&2
	xenstore-ls -f /vdi-handover 2>/dev/null | head -n 40 >&2
}

# xh_wait SECONDS CMD...: polls CMD every 50 ms until it succeeds.
xh_wait() {
	local limit=$1 end
	shift
	end=$(( $(date +%s%N) + limit * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

xs_is() {	# xs_is PATH VALUE
	[ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]
}

att_state() {	# att_state VDI DOMID DEVID
	xenstore-read "/vdi-handover/$1/att/$2-$3/state" 2>/dev/null
}

att_is() {	# att_is VDI DOMID DEVID STATE
	[ "$(att_state "$1" "$2" "$3")" = "$4" ]
}

xh_expect_state() {	# xh_expect_state SECONDS VDI DOMID DEVID STATE
	xh_wait "$1" att_is "$2" "$3" "$4" "$5" ||
		xh_fail "VDI $2 disk $3/$4: expected $5, is $(att_state "$2" "$3" "$4")"
}

# The keys libxl + block-handover leave for a disk, domain in the table.
xh_attach() {	# xh_attach DOMID DEVID VDI DOMSTATE
	local d=$1 n=$2 v=$3
	xenstore-write "$DOMS/$d" "$4" \
		"/local/domain/$d/device/vbd/$n/state" 1 \
		"$BE/$d/$n/params" "$v" \
		"$BE/$d/$n/frontend-id" "$d" \
		"$BE/$d/$n/state" 2 \
		"$BE/$d/$n/xh-dm" "xh-$v-$d-$n" \
		"$BE/$d/$n/hotplug-status" connected \
		"$BE/$d/$n/xh-vdi" "$v"
}

xh_domain() { xenstore-write "$DOMS/$1" "$2"; }

xh_destroy() {	# xh_destroy DOMID: what libxl leaves after destroy
	xenstore-rm "$BE/$1" 2>/dev/null
	xenstore-rm "/local/domain/$1" 2>/dev/null
	xenstore-rm "$DOMS/$1" 2>/dev/null
}

# xh_request VDI "OP ARGS" [SECONDS] -> prints the result line; the id
# used is in $T/last-id (callers run it in $(...) subshells).
xh_request() {
	local vdi=$1 body=$2 limit=${3:-20} id
	id=$(( $(cat "$T/last-id" 2>/dev/null || echo 100) + 1 ))
	echo "$id" >"$T/last-id"
	xenstore-write "/vdi-handover/$vdi/request" "$id $body"
	xh_wait "$limit" res_has "$vdi" "$id" ||
		xh_fail "no result for request '$id $body'"
	xenstore-read "/vdi-handover/$vdi/result"
}
res_has() {
	case "$(xenstore-read "/vdi-handover/$1/result" 2>/dev/null)" in
	"$2 "*) return 0 ;;
	esac
	return 1
}

lease_json() { "$XH_TOOL" lease status "$T/$1.img.lease" --json; }
lease_field() {	# lease_field VDI KEY -> value (number/bool/string)
	lease_json "$1" | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\).*/\1/p" |
		head -n 1
}
