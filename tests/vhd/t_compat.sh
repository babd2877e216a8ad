#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Quirks of real old images that must stay valid, and their limits:
# tapdisk creators 0.1/1.1 set the footer's hidden byte without updating
# the checksum (in both footers, or only in the copy at offset 0); from
# creator 1.2 on the same bytes are corruption. Parent locators whose
# data_space is stored in bytes rather than sectors (libvhd's
# MICROSOFT_COMPAT) are accepted.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${XH_BUILD:-$top/build}
tool=${XH_TOOL:-$build/tapdisk-activate}
gen=$build/tests/vhd/helper_vhdgen
patch=$build/tests/vhd/helper_vhdpatch
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
tmp=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-vhdcompat-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect NAME VALID|ERROR_NAME OP...: patch a copy of base.vhd and inspect
expect() {
	local name=$1 want=$2 out got
	shift 2
	cp "$tmp/base.vhd" "$tmp/c.vhd"
	if [ $# -gt 0 ] && ! "$patch" "$tmp/c.vhd" "$@"; then
		echo "FAIL $name: patch"; fail=1; return
	fi
	out=$("$tool" inspect --json "$tmp/c.vhd" 2>/dev/null)
	got=$(jq -r 'if .valid then "VALID" else .errors[0].name end' <<<"$out")
	if [ "$got" != "$want" ]; then
		echo "FAIL $name: got $got, want $want: $(jq -c .errors <<<"$out")"
		fail=1
	else
		echo "ok $name: $got"
	fi
}

"$gen" "$tmp/tap.vhd" --size $((1 << 30)) --creator tap --alloc 0,4
# Creator version 1.1 (batmap optional, present here).
cp "$tmp/tap.vhd" "$tmp/base.vhd"
"$patch" "$tmp/base.vhd" set32 ftr:32 0x00010001 fix-footer ftr \
	set32 copy:32 0x00010001 fix-footer copy
expect tap11_unchanged VALID
expect tap11_hidden_both VALID set8 ftr:85 1 set8 copy:85 1
expect tap11_hidden_copy_only VALID set8 copy:85 1
expect tap11_hidden_footer_only footer_copy_mismatch \
	set8 ftr:85 1 set8 copy:85 0
expect tap11_other_byte checksum_mismatch set8 ftr:86 1

cp "$tmp/tap.vhd" "$tmp/base.vhd"
expect tap13_hidden_no_checksum checksum_mismatch set8 ftr:85 1 set8 copy:85 1
expect tap13_hidden_resealed VALID \
	set8 ftr:85 1 fix-footer ftr set8 copy:85 1 fix-footer copy

# Locator data_space in bytes (512 = one sector) instead of sectors (1).
"$gen" "$tmp/base.vhd" --size $((1 << 30)) --type differencing \
	--parent-name p.vhd --parent-uuid 01234567-89ab-4cde-8f01-23456789abcd
expect locator_space_in_bytes VALID \
	set32 loc:2:4 $(( $("$patch" "$tmp/base.vhd" get32 loc:2:4) * 512 )) \
	fix-header
expect locator_space_unusable bad_parent_locator set32 loc:2:4 1000 fix-header
# Errors name the header slot: slot 0 emptied, slot 2's MacX URL broken.
cp "$tmp/base.vhd" "$tmp/c.vhd"
macx=$("$patch" "$tmp/c.vhd" get32 loc:2:20)
"$patch" "$tmp/c.vhd" set32 loc:0:0 0 set32 loc:0:4 0 set32 loc:0:8 0 \
	set64 loc:0:16 0 fix-header setstr "$macx" "http://"
got=$("$tool" inspect --json "$tmp/c.vhd" 2>/dev/null |
      jq -r '.errors[0] | .name + " " + .structure')
if [ "$got" = "bad_parent_locator locator[2]" ]; then
	echo "ok locator_error_names_slot: $got"
else
	echo "FAIL locator_error_names_slot: $got"
	fail=1
fi
exit $fail
