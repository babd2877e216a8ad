#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# "tapdisk-activated request VDI OP": the admin client of the request tree,
# against a real oxenstored and daemon. An answer (text and --json), a
# refusal (the daemon's code is the exit code), a bad VDI name and bad
# options (exit 2, nothing written), another requester's pending request
# (42, not overwritten), a daemon that does not answer (46 after the
# bound, naming the key it waited for) and one that is down (45).
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"

C="$XH_DAEMON request"
xh_setup
xh_vdi vdi1
xh_start

json_get() {	# json_get FILE KEY -> value (fails on invalid JSON)
	python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(str(v).lower() if isinstance(v,bool) else v)' "$1" "$2"
}

# An answer.
out=$($C vdi1 status) || xh_fail "status exited $?"
[[ $out == "vdi1: "*" status: ok: idle" ]] || xh_fail "status printed '$out'"
$C vdi1 status --json >"$T/st.json" || xh_fail "status --json exited $?"
[ "$(json_get "$T/st.json" ok)" = true ] || xh_fail "status json: $(cat "$T/st.json")"
[ "$(json_get "$T/st.json" message)" = idle ] || xh_fail "status json message"
id=$(json_get "$T/st.json" id)
xs_is /vdi-handover/vdi1/result "$id ok" || xh_fail "result key is not the answer to $id"

# Bad VDI names and options: exit 2 before anything is written.
for bad in -x a.b "$(printf 'a%.0s' {1..65})" ""; do
	$C -- "$bad" status 2>"$T/err" && xh_fail "VDI name '$bad' accepted"
	rc=$?
	[ $rc = 2 ] || xh_fail "VDI name '$bad': exit $rc"
	grep -q "is not a VDI name" "$T/err" || xh_fail "'$bad': $(cat "$T/err")"
done
[ "$(xenstore-list /vdi-handover | sort | tr '\n' ' ')" = "vdi1 " ] ||
	xh_fail "a bad name reached xenstore: $(xenstore-list /vdi-handover)"
$C vdi1 activate --force --json >"$T/bad.json" 2>"$T/err"
[ $? = 2 ] || xh_fail "activate --force not refused with 2"
grep -q -- "--force is only valid with reactivate" "$T/err" ||
	xh_fail "activate --force: $(cat "$T/err")"
[ "$(json_get "$T/bad.json" exit_code)" = 2 ] || xh_fail "usage json"
$C vdi1 reactivate 2>"$T/err" && xh_fail "reactivate without version accepted"
grep -q -- "--expect-version (or --force)" "$T/err" ||
	xh_fail "reactivate: $(cat "$T/err")"
$C vdi1 deactivate --disk 0/1 2>/dev/null && xh_fail "--disk 0/1 accepted"
$C vdi1 explode 2>/dev/null && xh_fail "unknown operation accepted"
xs_is /vdi-handover/vdi1/result "$id ok" || xh_fail "a refused command line wrote a request"

# A refusal by the daemon: unknown VDI is 43.
$C nosuch activate --wait 1 2>"$T/err"
rc=$?
[ $rc = 43 ] || xh_fail "unknown VDI: exit $rc: $(cat "$T/err")"
grep -q "error 43" "$T/err" || xh_fail "unknown VDI: $(cat "$T/err")"

if xh_have_handover; then
	$C vdi1 activate --wait 2 >"$T/out" || xh_fail "activate: $?"
	[ "$(lease_field vdi1 state)" = held ] || xh_fail "lease not held"
	$C vdi1 deactivate --timeout 5 >/dev/null || xh_fail "deactivate: $?"
	v=$(lease_field vdi1 version)
	[ "$(lease_field vdi1 state)" = free ] || xh_fail "lease not released"
	# Another host takes the VDI: reactivate with the old version is refused.
	"$XH_TOOL" lease acquire "$T/vdi1.img.lease" --host-id 2 --json \
		>"$T/h2.json" || xh_fail "host 2 acquire"
	tok=$(json_get "$T/h2.json" owner_token)
	"$XH_TOOL" lease release "$T/vdi1.img.lease" --host-id 2 \
		--token "$tok" >/dev/null || xh_fail "host 2 release"
	$C vdi1 reactivate --expect-version "$v" --json >"$T/ref.json" 2>"$T/err"
	rc=$?
	[ $rc = 31 ] || xh_fail "refused reactivate: exit $rc: $(cat "$T/err")"
	[ "$(json_get "$T/ref.json" ok)" = false ] &&
		[ "$(json_get "$T/ref.json" exit_code)" = 31 ] &&
		[ -n "$(json_get "$T/ref.json" error.message)" ] ||
		xh_fail "refusal json: $(cat "$T/ref.json")"
else
	xh_log "tapdisk-activate has no handover commands: refusal by exit code 43 only"
fi

# A daemon that does not answer: bounded, and the message names the key.
kill -STOP "$XH_PID"
start=$(date +%s%N)
$C vdi1 status --answer-timeout 2 --json >"$T/na.json" 2>"$T/err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc = 46 ] || xh_fail "stopped daemon: exit $rc: $(cat "$T/err")"
[ $ms -ge 1900 ] && [ $ms -lt 5000 ] || xh_fail "waited $ms ms for a 2 s bound"
grep -q "no answer within 2 s: waited for /vdi-handover/vdi1/result" "$T/err" ||
	xh_fail "no-answer message: $(cat "$T/err")"
[ "$(json_get "$T/na.json" exit_code)" = 46 ] || xh_fail "no-answer json"
pending=$(xenstore-read /vdi-handover/vdi1/request)
# Meanwhile another requester is refused, and the pending request stays.
$C vdi1 status --answer-timeout 1 2>"$T/err"
rc=$?
[ $rc = 42 ] || xh_fail "second requester: exit $rc: $(cat "$T/err")"
grep -q "of another requester is not answered yet" "$T/err" ||
	xh_fail "busy message: $(cat "$T/err")"
xs_is /vdi-handover/vdi1/request "$pending" || xh_fail "pending request overwritten"
kill -CONT "$XH_PID"
xh_wait 5 res_has vdi1 "${pending%% *}" || xh_fail "pending request never answered"

# A daemon that is down: 45 at once, nothing written.
xh_stop
$C vdi1 status 2>"$T/err"
rc=$?
[ $rc = 45 ] || xh_fail "daemon down: exit $rc: $(cat "$T/err")"
grep -q "tapdisk-activated is not running (/run/tapdisk-activated.pid" "$T/err" ||
	xh_fail "daemon down: $(cat "$T/err")"
xs_is /vdi-handover/vdi1/request "$pending" || xh_fail "written although down"
exit 0
