#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The inspect command line: --help, usage errors (2), unreadable paths (4),
# valid (0) and invalid (3) images, --json parsed with jq (every field the
# issue lists, with its type), one stderr line per failure, --now and
# --fingerprint.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
for t in qemu-img qemu-io jq; do
	command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
tmp=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-vhdcli-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

# expect_rc WANT CMD...: exit status and number of stderr lines
expect_rc() {
	local want=$1 rc
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq "$want" ] || bad "'$*' exit $rc, want $want: $(cat "$tmp/err")"
	if [ "$want" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		bad "'$*': want one stderr line, got: $(cat "$tmp/err")"
	fi
}

img=$tmp/ok.vhd
qemu-img create -q -f vpc -o subformat=dynamic "$img" 1G
qemu-io -f vpc -c 'write -P 7 0 64k' -c 'write -P 8 512M 64k' "$img" >/dev/null

expect_rc 0 "$tool" inspect --help
grep -q '^usage: tapdisk-activate inspect' "$tmp/out" || bad "--help text"
"$tool" --help | grep -q '^  inspect ' || bad "inspect not in the command list"
expect_rc 2 "$tool" inspect
expect_rc 2 "$tool" inspect "$img" "$img"
expect_rc 2 "$tool" inspect --bogus "$img"
expect_rc 2 "$tool" inspect --now never "$img"
expect_rc 4 "$tool" inspect "$tmp/missing.vhd"
grep -q 'missing.vhd' "$tmp/err" || bad "I/O error does not name the file"
expect_rc 4 "$tool" inspect "$tmp"
expect_rc 4 "$tool" inspect --json "$tmp/missing.vhd"
jq -e '.valid == false and .errors[0].name == "io_error" and
	(.errors[0].found | test("No such file"))' "$tmp/out" >/dev/null ||
	bad "I/O error JSON: $(cat "$tmp/out")"

expect_rc 0 "$tool" inspect "$img"
grep -q "valid VHD, dynamic" "$tmp/out" || bad "summary: $(cat "$tmp/out")"
[ -s "$tmp/err" ] && bad "stderr on success: $(cat "$tmp/err")"

expect_rc 0 "$tool" inspect --json --fingerprint "$img"
jq -e '
	.format == "vhd" and .disk_type == "dynamic" and
	.virtual_size == 1073995776 and .block_size == 2097152 and
	.max_table_entries == 513 and .allocated_blocks == 2 and
	(.uuid | test("^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")) and
	.parent == null and .valid == true and .errors == [] and
	(.fingerprint | test("^[0-9a-f]{64}$"))' "$tmp/out" >/dev/null ||
	bad "valid JSON: $(cat "$tmp/out")"

# Invalid: BAT entry 1 moved into the header; JSON still printed.
cp "$img" "$tmp/bad.vhd"
printf '\0\0\0\1' | dd of="$tmp/bad.vhd" bs=1 seek=$((1536 + 4)) \
	conv=notrunc status=none
expect_rc 3 "$tool" inspect --json "$tmp/bad.vhd"
jq -e '.valid == false and (.errors | length) >= 1 and
	(.errors[0] | .name == "bat_entry_in_metadata" and
	 .structure == "bat" and .field == "entry[1]" and
	 (.expected | length) > 0 and (.found | length) > 0)' \
	"$tmp/out" >/dev/null || bad "invalid JSON: $(cat "$tmp/out")"
grep -q 'bat_entry_in_metadata: bat.entry\[1\]' "$tmp/err" ||
	bad "stderr line: $(cat "$tmp/err")"
expect_rc 3 "$tool" inspect "$tmp/bad.vhd"
[ -s "$tmp/out" ] && bad "summary printed for an invalid image"

# --aio: other I/O path, same verdict and report (--sync-io: the default).
for f in "$img" "$tmp/bad.vhd"; do
	a=$("$tool" inspect --json --fingerprint "$f" 2>/dev/null)
	b=$("$tool" inspect --json --fingerprint --aio "$f" 2>/dev/null)
	c=$("$tool" inspect --json --fingerprint --sync-io "$f" 2>/dev/null)
	[ -n "$a" ] && [ "$a" = "$b" ] || bad "--aio differs on $f"
	[ "$a" = "$c" ] || bad "--sync-io differs on $f"
done

# Not a VHD at all: no format claimed.
head -c 4096 /dev/zero >"$tmp/zero.img"
expect_rc 3 "$tool" inspect --json "$tmp/zero.img"
jq -e '.format == null and .valid == false and
	.errors[0].name == "bad_cookie"' "$tmp/out" >/dev/null ||
	bad "zero image JSON: $(cat "$tmp/out")"

# --now: judged from the year 2001 the creation time is in the future.
expect_rc 3 "$tool" inspect --json --now 1000000000 "$img"
jq -e '.errors[0].name == "timestamp_in_future"' "$tmp/out" >/dev/null ||
	bad "--now: $(cat "$tmp/out")"

# Fixed disk: no table fields.
qemu-img create -q -f vpc -o subformat=fixed "$tmp/fixed.vhd" 64M
expect_rc 0 "$tool" inspect --json "$tmp/fixed.vhd"
jq -e '.disk_type == "fixed" and .block_size == null and
	.allocated_blocks == null and .valid' "$tmp/out" >/dev/null ||
	bad "fixed JSON: $(cat "$tmp/out")"
# A file name that is not UTF-8 (Latin-1 "caf\xe9"): the JSON still
# parses as strict UTF-8 and gives the name's bytes back.
odd=$tmp/$(printf 'caf\351.vhd')
cp "$img" "$odd"
expect_rc 0 "$tool" inspect --json "$odd"
if command -v python3 >/dev/null; then
	python3 -c '
import json, os, sys
doc = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
paths = [v for v in doc.values() if isinstance(v, str) and v.endswith(".vhd")]
want = os.fsencode(sys.argv[2])
sys.exit(0 if any(p.encode("utf-8", "surrogateescape") == want for p in paths) else 1)
' "$tmp/out" "$odd" || bad "non-UTF-8 name: $(cat -v "$tmp/out" | head -c 300)"
fi
jq -e . "$tmp/out" >/dev/null || bad "jq rejects the non-UTF-8 name's JSON"
# A directory is named as one (O_DIRECT's EINVAL read like a file system
# without direct I/O).
expect_rc 4 "$tool" inspect "$tmp"
grep -q "is a directory" "$tmp/err" || bad "directory: $(cat "$tmp/err")"

# The parent's name and locators come from the guest: control characters
# print as \xNN, never as bytes a terminal would act on.
gen=$(dirname "$tool")/tests/vhd/helper_vhdgen
if [ -x "$gen" ]; then
	"$gen" --size 67108864 --type differencing \
		--parent-name "$(printf 'p\033[31mred.vhd')" \
		--parent-uuid 11111111-2222-3333-4444-555555555555 \
		--parent-dir "$(printf '/srv/\001dir')" "$tmp/child.vhd" ||
		bad "helper_vhdgen"
	expect_rc 0 "$tool" inspect "$tmp/child.vhd"
	if LC_ALL=C grep -q "$(printf '[\001-\037\177]')" "$tmp/out"; then
		bad "control characters printed raw: $(cat -v "$tmp/out")"
	fi
	grep -qF 'parent:            11111111-2222-3333-4444-555555555555 "p\x1b[31mred.vhd"' "$tmp/out" &&
		grep -qF 'locator MacX       /srv/\x01dir/p\x1b[31mred.vhd' "$tmp/out" ||
		bad "escaped parent: $(cat -v "$tmp/out")"
else
	echo "# helper_vhdgen not built: parent escaping not checked"
fi
[ $fail -eq 0 ] && echo "inspect CLI behaves"
exit $fail
