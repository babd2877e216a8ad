#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Images from a real producer: qemu-img create -f vpc (fixed and dynamic,
# 64 MiB .. 2040 GiB, the largest qemu makes), data written with qemu-io.
# Our inspect must call each valid and agree with two independent readers:
# virtual size with `qemu-img info` and vhdiinfo, allocated blocks with the
# data extents of `qemu-img map`.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tool=${XH_TOOL:-$top/build/tapdisk-activate}
for t in qemu-img qemu-io jq vhdiinfo; do
	command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
tmp=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-vhdqemu-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

# Blocks (2 MiB) holding data according to qemu-img map.
qemu_blocks() {
	qemu-img map -f vpc --output=json "$1" | jq '
		[ .[] | select(.data) |
		  range(.start / 2097152 | floor;
			(.start + .length - 1) / 2097152 | floor + 1) ] |
		unique | length'
}

vhdi_size() {
	vhdiinfo "$1" | sed -n 's/.*Media size.*(\([0-9]*\) bytes).*/\1/p'
}

# case NAME SUBFORMAT SIZE [OFFSET...]: 64 KiB written at each offset
case_img() {
	local name=$1 sub=$2 size=$3 img=$tmp/$1.vhd opts out w
	local ours theirs vsize qblocks
	shift 3
	opts=subformat=$sub
	[[ $name == *exact* ]] && opts+=,force_size=on
	qemu-img create -q -f vpc -o "$opts" "$img" "$size" || {
		echo "FAIL $name: qemu-img create"; fail=1; return; }
	for w in "$@"; do
		qemu-io -f vpc -c "write -P 0x5a $w 64k" "$img" >/dev/null || {
			echo "FAIL $name: qemu-io write $w"; fail=1; return; }
	done
	out=$("$tool" inspect --json "$img")
	if [ $? -ne 0 ] || [ "$(jq -r .valid <<<"$out")" != true ]; then
		echo "FAIL $name: not valid: $(jq -c .errors <<<"$out")"
		fail=1
		return
	fi
	ours=$(jq -r .virtual_size <<<"$out")
	theirs=$(qemu-img info --output=json "$img" | jq -r '."virtual-size"')
	vsize=$(vhdi_size "$img")
	# qemu exposes a fixed image's footer sector as disk data: its
	# virtual-size is current_size + 512 there (vhdiinfo does not).
	[ "$sub" = fixed ] && theirs=$((theirs - 512))
	if [ "$ours" != "$theirs" ] || [ "$ours" != "$vsize" ]; then
		echo "FAIL $name: virtual size ours $ours qemu $theirs vhdiinfo $vsize"
		fail=1
		return
	fi
	[ "$(jq -r .disk_type <<<"$out")" = "$sub" ] || {
		echo "FAIL $name: disk_type $(jq -r .disk_type <<<"$out")"
		fail=1; return; }
	if [ "$sub" = dynamic ]; then
		qblocks=$(qemu_blocks "$img")
		if [ "$(jq -r .allocated_blocks <<<"$out")" != "$qblocks" ] ||
		   [ "$qblocks" -ne $# ]; then
			echo "FAIL $name: allocated ours" \
			     "$(jq -r .allocated_blocks <<<"$out") qemu-img map" \
			     "$qblocks, writes $#"
			fail=1
			return
		fi
	fi
	echo "ok $name: size $ours, $(jq -r .allocated_blocks <<<"$out") blocks"
}

case_img dyn64m dynamic 64M 0 5M
case_img dyn64m_exact dynamic 64M 0 62M
case_img dyn1g dynamic 1G 0 300M 1020M
# Written backwards: BAT order differs from file order (sorted check path).
case_img dyn1g_reverse dynamic 1G 1020M 300M 0
case_img dyn100g dynamic 100G 0 50G 99G
case_img dyn2040g dynamic 2040G 0 1T 2000G 2039G
case_img dyn2040g_empty dynamic 2040G
case_img fixed64m fixed 64M 0 10M
case_img fixed1g fixed 1G 512M
exit $fail
