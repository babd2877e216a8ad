#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# One result per corruption class: a valid image (made by qemu-img/qemu-io,
# or by helper_vhdgen for batmap and differencing disks) is damaged at a
# precise offset (helper_vhdpatch, checksums re-sealed where needed so only
# one rule breaks) and `tapdisk-activate inspect --json` must reject it
# with exit 3, one line on stderr, and the class's own error name.
# The ASan build of the tool, when built, must agree.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${XH_BUILD:-$top/build}
tool=${XH_TOOL:-$build/tapdisk-activate}
asan_tool=$build/asan/tapdisk-activate
gen=$build/tests/vhd/helper_vhdgen
patch=$build/tests/vhd/helper_vhdpatch

for t in qemu-img qemu-io jq; do
	command -v $t >/dev/null || { echo "SKIP corruption: $t missing"; exit 0; }
done
[ -x "$tool" ] && [ -x "$gen" ] && [ -x "$patch" ] ||
	{ echo "FAIL corruption: build the tool and tests/vhd helpers first"; exit 1; }

tmp=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-vhdcorrupt-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Base images, each checked valid before it is damaged.
qemu-img create -q -f vpc -o subformat=dynamic "$tmp/q.vhd" 64M
qemu-io -f vpc -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 5M 512k' \
	"$tmp/q.vhd" >/dev/null
qemu-img create -q -f vpc -o subformat=fixed "$tmp/qf.vhd" 64M
"$gen" "$tmp/tap.vhd" --size $((1 << 30)) --creator tap --alloc 1,3,7
"$gen" "$tmp/diff.vhd" --size $((1 << 30)) --type differencing \
	--parent-name base.vhd --parent-dir /srv/vhd \
	--parent-uuid 0b7d1c2e-1111-4222-8333-444455556666 --alloc 2
for b in q qf tap diff; do
	if ! "$tool" inspect "$tmp/$b.vhd" >/dev/null; then
		echo "FAIL corruption/base-$b: base image not valid"
		exit 1
	fi
done

vhd_now=$(( $(date +%s) - 946684800 ))
q_first=$("$patch" "$tmp/q.vhd" get32 bat:0)

# check NAME BASE EXPECTED_ERROR OP...
check() {
	local name=$1 base=$2 want=$3 img=$tmp/case.vhd rc names lines t
	shift 3
	cp --sparse=always "$tmp/$base.vhd" "$img"
	if ! "$patch" "$img" "$@"; then
		echo "FAIL corruption/$name: could not patch"
		return
	fi
	for t in "$tool" "$asan_tool"; do
		[ -x "$t" ] || continue
		"$t" inspect --json "$img" >"$tmp/out.json" 2>"$tmp/err"
		rc=$?
		names=$(jq -r '.errors[].name' "$tmp/out.json" 2>/dev/null |
			tr '\n' ' ')
		lines=$(wc -l <"$tmp/err")
		if [ $rc -ne 3 ]; then
			echo "FAIL corruption/$name: $t exit $rc, want 3 ($names)"
			return
		fi
		# The class's own error must be the first one reported.
		if [ "${names%% *}" != "$want" ]; then
			echo "FAIL corruption/$name: want $want first, got: $names"
			return
		fi
		if [ "$lines" -ne 1 ] || ! grep -q "invalid VHD" "$tmp/err"; then
			echo "FAIL corruption/$name: stderr not one line:" \
				"$(head -c 300 "$tmp/err")"
			return
		fi
	done
	echo "PASS corruption/$name (${names% })"
}

check footer_bad_cookie q bad_cookie setstr ftr:0 conectiX
check header_bad_cookie q bad_cookie setstr hdr:0 cxsparsX
check batmap_bad_cookie tap bad_cookie setstr bmh:0 tdbatmaX
check footer_checksum q checksum_mismatch set8 ftr:100 1
check header_checksum q checksum_mismatch set8 hdr:900 1
check footer_copy_differs q footer_copy_mismatch \
	set32 copy:24 12345 fix-footer copy
check disabled_v_poison q disabled setstr ftr:0 v_poison fix-footer ftr
check footer_version q unsupported_version \
	set32 ftr:12 0x20000 fix-footer ftr set32 copy:12 0x20000 fix-footer copy
check header_version q unsupported_version set32 hdr:24 0x20000 fix-header
check batmap_version tap unsupported_version set32 bmh:20 0x10005
check disk_type_unknown q unknown_disk_type \
	set32 ftr:60 5 fix-footer ftr set32 copy:60 5 fix-footer copy
check features_reserved_clear q bad_features \
	set32 ftr:8 0 fix-footer ftr set32 copy:8 0 fix-footer copy
check header_offset_outside q footer_data_offset \
	set64 ftr:16 0x100000000000 fix-footer ftr \
	set64 copy:16 0x100000000000 fix-footer copy
check virtual_size_unaligned q bad_virtual_size \
	set64 ftr:48 67125000 fix-footer ftr set64 copy:48 67125000 fix-footer copy
check header_data_offset q header_data_offset set64 hdr:8 0 fix-header
check table_outside_file q table_outside_file \
	set64 hdr:16 0x10000000000 fix-header
check table_overlaps_header q table_overlaps_metadata \
	set64 hdr:16 1024 fix-header
check table_too_small q table_too_small set32 hdr:28 3 fix-header
check block_size_not_pow2 q bad_block_size set32 hdr:32 3145728 fix-header
check block_size_below_sector q bad_block_size set32 hdr:32 256 fix-header
check bat_entry_beyond_eof q bat_entry_beyond_eof set32 bat:1 0x7fffffff
check bat_entry_in_header q bat_entry_in_metadata set32 bat:1 1
check bat_blocks_overlap q bat_overlap set32 bat:1 $((q_first + 1))
tap_first=$("$patch" "$tmp/tap.vhd" get32 bat:1)
# Entry 9 reuses block 1's sectors: only found once entries are sorted.
check bat_blocks_overlap_unsorted tap bat_overlap set32 bat:9 $tap_first
check stale_bat_file_size q file_size_mismatch set32 bat:2 0xffffffff
check fixed_file_size qf file_size_mismatch \
	set64 ftr:48 $((64 << 20)) fix-footer ftr
check footer_timestamp_future q timestamp_in_future \
	set32 ftr:24 $((vhd_now + 7200)) fix-footer ftr \
	set32 copy:24 $((vhd_now + 7200)) fix-footer copy
check parent_timestamp_future diff timestamp_in_future \
	set32 hdr:56 $((vhd_now + 7200)) fix-header
check batmap_checksum tap batmap_checksum_mismatch set8 bm:0 0
check batmap_marks_free_block tap batmap_inconsistent set8 bm:0 0xff fix-batmap
check batmap_size_zero tap bad_batmap_header set32 bmh:16 0
check locator_platform_code diff bad_parent_locator \
	set32 loc:0:0 0x12345678 fix-header
check locator_outside_file diff bad_parent_locator \
	set64 loc:1:16 0x100000000000 fix-header
check parent_uuid_null diff bad_parent set64 hdr:40 0 set64 hdr:48 0 fix-header
check truncated_file q truncated truncate 300
exit 0
