#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# One command-line contract across tapdisk-activate's commands: a missing
# file exits 4 on every command that reads a VDI or lease; with --json a
# failure still prints one JSON object on stdout (valid, "ok": false, the
# exit code); --host-id 0 names the option and its range.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
[ -x "$tool" ] || { echo "$tool not built"; exit 1; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
dir=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-cli-contract.XXXXXX")
trap 'rm -rf "$dir"' EXIT
export XH_LEASE_LOCK_DIR=$dir
nx=$dir/missing.vhd
fail=0
bad() { echo "FAIL: $*"; fail=1; }

while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	"$tool" $cmd >"$dir/out" 2>"$dir/err"
	rc=$?
	[ $rc -eq 4 ] || bad "'$cmd' on a missing file: exit $rc, want 4: $(head -c 200 "$dir/err")"
done <<EOF2
inspect $nx
status $nx
lease status $nx
lease acquire $nx --host-id 1
lease renew $nx --host-id 1 --token t
check-migrate $nx
activate $nx --host-id 1
deactivate $nx --host-id 1
reactivate $nx --host-id 1
fence $nx
EOF2

while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	"$tool" $cmd --json >"$dir/out" 2>"$dir/err"
	rc=$?
	if ! [ -s "$dir/out" ] || ! jq -e --argjson rc "$rc" 'type == "object" and
		((.ok == false and .exit_code == $rc) or .valid == false)' \
		"$dir/out" >/dev/null 2>&1; then
		bad "'$cmd --json' (exit $rc) printed no JSON error object: '$(head -c 200 "$dir/out")'"
	fi
done <<EOF2
inspect $nx
status $nx
lease status $nx
lease acquire $nx --host-id 1
activate $nx --host-id 1
deactivate $nx --host-id 1
fence $nx
EOF2

for cmd in "lease acquire $nx" "activate $nx" "status $nx"; do
	# shellcheck disable=SC2086
	"$tool" $cmd --host-id 0 >/dev/null 2>"$dir/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q -- "--host-id must be 1..2000" "$dir/err" ||
		bad "'$cmd --host-id 0': exit $rc, '$(cat "$dir/err")'"
done
[ $fail -eq 0 ] && echo "one CLI contract: missing file 4, --json errors, --host-id range"
exit $fail
