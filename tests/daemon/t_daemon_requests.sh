#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Request tree against a real oxenstored: /vdi-handover/<vdi>/request in,
# result + message out. Malformed and oversized requests are answered once
# with error 43 and never acted on; a request id is executed once even if
# the daemon sees the key again; activate / deactivate / reactivate drive
# the real tapdisk-activate and the lease follows.
. "$(dirname "$0")/lib.sh"
xh_enter "$0" "$@"

xh_setup
xh_vdi vdi1
xh_start

# /vdi-handover is dom0-only.
perms=$(xenstore-ls -p / 2>/dev/null | sed -n 's/^vdi-handover = "".*\((.*)\)$/\1/p')
[ "$perms" = "(n0)" ] || xh_fail "/vdi-handover permissions '$perms', want (n0)"

r=$(xh_request vdi1 "status")
case "$r" in *" ok") ;; *) xh_fail "status: $r" ;; esac
xs_is /vdi-handover/vdi1/message idle || xh_fail "status message"

# Malformed: answered with 43, nothing started.
for bad in "activate" "7 activate path=/etc/passwd" "8 explode" \
	   "9 reactivate" "10 activate  wait=1" "11 deactivate timeout=0"; do
	xenstore-write /vdi-handover/vdi1/request "$bad"
	id=${bad%% *}
	[[ $id =~ ^[0-9]+$ ]] || id=0
	xh_wait 5 res_has vdi1 "$id" || xh_fail "no answer to '$bad'"
	res=$(xenstore-read /vdi-handover/vdi1/result)
	[ "$res" = "$id error 43" ] || xh_fail "'$bad' -> '$res'"
done
big=$(head -c 3000 /dev/zero | tr '\0' 'a')
xenstore-write /vdi-handover/vdi1/request "12 status $big"
xh_wait 5 res_has vdi1 0 || xh_fail "oversized request not answered"

# Unknown VDI: 43; a directory that is not a VDI name: ignored.
r=$(xh_request nosuch "activate")
case "$r" in *" error 43") ;; *) xh_fail "unknown VDI: $r" ;; esac
xenstore-write "/vdi-handover/-x/request" "1 activate"
sleep 0.5
xenstore-exists "/vdi-handover/-x/result" && xh_fail "answered a bad VDI name"

if ! xh_have_handover; then
	xh_stop
	xh_skip "tapdisk-activate has no activate/deactivate/reactivate yet"
fi

r=$(xh_request vdi1 "activate wait=2")
case "$r" in *" ok") ;; *) xh_fail "activate: $r: $(xenstore-read /vdi-handover/vdi1/message)" ;; esac
[ "$(lease_field vdi1 state)" = held ] || xh_fail "lease not held"
[ "$(lease_field vdi1 owner_host_id)" = 1 ] || xh_fail "lease owner"
v1=$(lease_field vdi1 version)
xs_is /vdi-handover/vdi1/version "$v1" || xh_fail "published version"

# The same id again is not executed again.
id=$(cat "$T/last-id")
xenstore-write /vdi-handover/vdi1/request "$id activate wait=2"
sleep 0.6
[ "$(lease_field vdi1 version)" = "$v1" ] || xh_fail "request re-executed"

r=$(xh_request vdi1 "deactivate timeout=5")
case "$r" in *" ok") ;; *) xh_fail "deactivate: $r" ;; esac
[ "$(lease_field vdi1 state)" = free ] || xh_fail "lease not released"

r=$(xh_request vdi1 "reactivate version=$v1")
case "$r" in *" ok") ;; *) xh_fail "reactivate: $r: $(xenstore-read /vdi-handover/vdi1/message)" ;; esac
[ "$(lease_field vdi1 state)" = held ] || xh_fail "not held after reactivate"

# Another host takes it: reactivate with the old version is refused.
r=$(xh_request vdi1 "deactivate")
v2=$(lease_field vdi1 version)
"$XH_TOOL" lease acquire "$T/vdi1.img.lease" --host-id 2 --json >"$T/h2.json" ||
	xh_fail "host 2 acquire"
tok=$(sed -n 's/.*"owner_token":"\([^"]*\)".*/\1/p' "$T/h2.json")
"$XH_TOOL" lease release "$T/vdi1.img.lease" --host-id 2 --token "$tok" \
	>/dev/null || xh_fail "host 2 release"
r=$(xh_request vdi1 "reactivate version=$v2")
case "$r" in *" ok") xh_fail "reactivate after host 2 acquired succeeded" ;; esac
[ "$(lease_field vdi1 state)" = free ] || xh_fail "refused reactivate left it held"
xenstore-read /vdi-handover/vdi1/alert | grep -q REACTIVATE-REFUSED ||
	xh_fail "no REACTIVATE-REFUSED alert"

xh_stop
exit 0
