#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# tapdisk-activate lease: every subcommand, the documented exit codes
# (0 ok, 2 usage, 10 held, 11 version moved, 12 damaged, 13 not owner,
# 16 not a lease area) and status --json fields, through the binary
# named by $XH_TOOL.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
[ -x "$tool" ] || { echo "skip: $tool not built"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
dir=$(mktemp -d /var/tmp/xh-lease-cli.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export XH_LEASE_LOCK_DIR=$dir
L=$dir/vdi.vhd.lease
fail=0

# expect RC CMD...: runs the tool, checks its exit status
expect() {
	local want=$1 rc
	shift
	"$tool" lease "$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: lease $* -> exit $rc, want $want"
		sed 's/^/  | /' "$dir/out" "$dir/err"
		fail=1
	fi
}

json() {	# json FILTER: of the last output
	jq -r "$1" <"$dir/out"
}

check() {	# check WHAT GOT WANT
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: got '$2', want '$3'"
		fail=1
	fi
}

expect 0 --help
grep -q "expect-version" "$dir/out" || { echo "FAIL: --help text"; fail=1; }
expect 2 frobnicate "$L"
expect 2 acquire "$L"			# no --host-id
expect 2 acquire --host-id 0 "$L"
grep -q -- "--host-id must be 1..2000, not '0'" "$dir/err" ||
	{ echo "FAIL: --host-id 0 message: $(cat "$dir/err")"; fail=1; }
expect 2 acquire --host-id 2001 "$L"
expect 4 status "$L.missing"		# no such file: 4 as on every command
expect 4 status --json "$L.missing"	# ... and a JSON error object
check "missing: json ok" "$(json .ok)" false
check "missing: json exit_code" "$(json .exit_code)" 4
check "missing: json command" "$(json .command)" "lease status"
json .error.message | grep -q "No such file" ||
	{ echo "FAIL: missing: json message $(cat "$dir/out")"; fail=1; }
truncate -s 1M "$dir/zeros"
expect 16 status "$dir/zeros"		# not a lease area
expect 0 init --timeout 2 "$L"
expect 16 init "$L"			# exists: needs --force
expect 0 status --json "$L"
check "free owner" "$(json .owner_host_id)" null
check "free state" "$(json .state)" free
check "free version" "$(json .version)" 0
check "timeout" "$(json .timeout_s)" 2

expect 0 acquire --host-id 1 --host-name hostA --token src --json "$L"
check "acquire result" "$(json .result)" acquired
check "acquire version" "$(json .version)" 1
check "acquire token" "$(json .owner_token)" src
acquired_keys=$(jq -c 'keys' <"$dir/out")
# A renewal in another process counts within the owner's window (T*3/4
# from the acquire's start, kept in the host-local holder state) ...
expect 0 renew --host-id 1 --host-name hostA --token src "$L"
expect 10 acquire --host-id 2 --host-name hostB --token dst --json "$L"
grep -q "held by host 1" "$dir/err" || { echo "FAIL: held message"; fail=1; }
check "held: who" "$(json .owner_host_id)" 1
check "held: result" "$(json .result)" held
check "acquire --json: one shape" "$(jq -c 'keys' <"$dir/out")" "$acquired_keys"
expect 0 status --json "$L"
check "held owner" "$(json .owner_host_id)" 1
check "held token" "$(json .owner_token)" src
check "held state" "$(json .state)" held
# ... and is lost (14) once the window has run out, whatever the disk says.
sleep 1.6
expect 14 renew --host-id 1 --host-name hostA --token src "$L"
grep -q "deadline passed" "$dir/err" || { echo "FAIL: late renew message"; fail=1; }
expect 13 renew --host-id 2 --host-name hostB --token dst "$L"
expect 13 release --host-id 1 --host-name hostA --token other "$L"

# migration: source releases to the destination, which acquires
expect 0 release --host-id 1 --host-name hostA --token src --successor 2 "$L"
expect 0 status --json "$L"
check "released version kept" "$(json .version)" 1
check "successor" "$(json .successor_host_id)" 2
expect 0 acquire --host-id 2 --host-name hostB --token dst --json "$L"
check "destination version" "$(json .version)" 2
# the source may not resume: someone acquired since version 1
expect 11 acquire --host-id 1 --host-name hostA --token src --expect-version 1 "$L"
# failed migration case: destination gives it back, source resumes at 2
expect 0 release --host-id 2 --host-name hostB --token dst "$L"
expect 0 acquire --host-id 1 --host-name hostA --token src --expect-version 2 --json "$L"
check "resumed version" "$(json .version)" 3

# takeover after the timeout only with --wait
expect 10 acquire --host-id 3 --host-name hostC --token c "$L"
start=$(date +%s%N)
expect 0 acquire --host-id 3 --host-name hostC --token c --wait 6 --json "$L"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "takeover version" "$(json .version)" 4
[ $ms -ge 1900 ] || { echo "FAIL: takeover after $ms ms (< timeout)"; fail=1; }

# damage: flip a byte of host 3's slot (sector 4)
printf '\xff' | dd of="$L" bs=1 seek=$((4 * 512 + 50)) conv=notrunc status=none
expect 12 status --json "$L"
check "damaged state" "$(json .state)" damaged
json .damage | grep -q "sector 4 (host 3 slot)" || { echo "FAIL: damage text: $(json .damage)"; fail=1; }
expect 12 acquire --host-id 1 --host-name hostA --token x --wait 3 "$L"
expect 2 break "$L"			# no --force/--host-id
expect 12 break --force --host-id 9 --host-name op "$L"
expect 0 break --force --repair --host-id 9 --host-name op --json "$L"
check "repaired state" "$(json .state)" free
expect 0 acquire --host-id 1 --host-name hostA --token y --json "$L"
check "version after repair" "$(json .version)" 6

# never expires: timeout 0
expect 0 init --force --timeout 0 "$L"
expect 0 acquire --host-id 1 --host-name hostA --token z "$L"
expect 10 acquire --host-id 2 --host-name hostB --token w --wait 1 "$L"
expect 0 status "$L"
grep -q "never expires" "$dir/out" || { echo "FAIL: timeout 0 text"; fail=1; }

# a damaged header with our magic is damage (12), no magic is no area (16)
H=$dir/hdr.lease
cp "$L" "$H"
printf '\x01' | dd of="$H" bs=1 seek=40 conv=notrunc status=none	# area_sectors
expect 12 status --json "$H"
check "damaged header state" "$(json .state)" damaged
check "damaged header version" "$(json .version)" null
json .damage | grep -q "sector 0 (header)" || { echo "FAIL: header damage text: $(json .damage)"; fail=1; }
expect 12 acquire --host-id 2 --host-name hostB --token w "$H"
grep -q "sector 0 (header)" "$dir/err" || { echo "FAIL: acquire header message"; fail=1; }
expect 12 init "$H"				# plain init refuses damage
cp "$L" "$H"
printf 'Q' | dd of="$H" bs=1 seek=0 conv=notrunc status=none	# no magic
expect 16 status "$H"
expect 16 acquire --host-id 2 --host-name hostB --token w "$H"
# An option the subcommand does not take is a usage error, before any I/O
# (every subcommand shares one getopt: init --repair used to be accepted).
expect 2 init --repair "$dir/never.lease"
grep -q "init does not take --repair" "$dir/err" || { echo "FAIL: init --repair message: $(cat "$dir/err")"; fail=1; }
[ ! -e "$dir/never.lease" ] || { echo "FAIL: init --repair created the lease"; fail=1; }
expect 2 status --host-id 1 --json "$L"
check "status --host-id JSON error" "$(json .error.message)" "status does not take --host-id"
expect 2 renew --host-id 1 --token t --wait 3 "$L"
exit $fail
