#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Images qemu-img cannot make, from the test-only writer (helper_vhdgen):
# exactly 2 TiB, tapdisk batmap, differencing with parent locators, a
# non-default block size. Independent readers must accept them (vhdiinfo
# always; qemu-img info/qemu-io except where qemu's own 2040 GiB limit
# applies), and inspect must report the same facts they do.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${XH_BUILD:-$top/build}
tool=${XH_TOOL:-$build/tapdisk-activate}
gen=$build/tests/vhd/helper_vhdgen
for t in qemu-img qemu-io jq vhdiinfo; do
	command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
[ -x "$gen" ] || { echo "helper_vhdgen not built"; exit 1; }
tmp=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-vhdgen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() { echo "FAIL $*"; fail=1; }

vhdi() {	# vhdi FILE LABEL: value printed by vhdiinfo for LABEL
	vhdiinfo "$1" | sed -n "s/^[[:space:]]*$2[[:space:]]*: //p"
}

inspect_valid() {	# inspect_valid NAME FILE -> JSON on stdout
	local out
	out=$("$tool" inspect --json "$2")
	if [ $? -ne 0 ] || [ "$(jq -r .valid <<<"$out")" != true ]; then
		bad "$1: inspect rejects it: $(jq -c .errors <<<"$out")"
		return 1
	fi
	echo "$out"
}

# Exactly 2 TiB: 1048576 entries, 4 MiB BAT, last block allocated.
two=$tmp/two.vhd
"$gen" "$two" --size $((2 << 40)) --alloc 0,1048575
if out=$(inspect_valid 2tib "$two"); then
	[ "$(jq -r .virtual_size <<<"$out")" = 2199023255552 ] || bad "2tib size"
	[ "$(jq -r .max_table_entries <<<"$out")" = 1048576 ] || bad "2tib entries"
	[ "$(jq -r .allocated_blocks <<<"$out")" = 2 ] || bad "2tib allocated"
	[ "$(vhdi "$two" 'Media size' | sed 's/.*(\([0-9]*\) bytes)/\1/')" = \
	  2199023255552 ] || bad "2tib: vhdiinfo disagrees: $(vhdiinfo "$two")"
	[ "$(vhdi "$two" Identifier)" = "$(jq -r .uuid <<<"$out")" ] ||
		bad "2tib: uuid differs from vhdiinfo"
	# qemu's vpc driver refuses anything above 2040 GiB by design.
	msg=$(qemu-img info "$two" 2>&1)
	if [ $? -eq 0 ]; then
		[ "$(qemu-img info --output=json "$two" | jq '."virtual-size"')" = \
		  2199023255552 ] || bad "2tib: qemu-img size"
	elif ! grep -q "File too large" <<<"$msg"; then
		bad "2tib: qemu-img rejects it for another reason: $msg"
	fi
fi

# tapdisk creator 1.3 with a batmap; blocks 1, 3, 7 hold byte index+1.
bm=$tmp/bm.vhd
"$gen" "$bm" --size $((10 << 30)) --creator tap --alloc 1,3,7
if out=$(inspect_valid batmap "$bm"); then
	[ "$(jq -r '.batmap.sectors' <<<"$out")" -ge 1 ] || bad "batmap missing"
	[ "$(jq -r .allocated_blocks <<<"$out")" = 3 ] || bad "batmap allocated"
	[ "$(qemu-img info --output=json "$bm" | jq '."virtual-size"')" = \
	  $((10 << 30)) ] || bad "batmap: qemu-img info"
	[ "$(qemu-img map -f vpc --output=json "$bm" |
	     jq '[.[] | select(.data)] | length')" = 3 ] || bad "batmap: qemu map"
	qemu-io -f vpc -r -c 'read -P 0x04 6M 2M' -c 'read -P 0 8M 2M' "$bm" |
		grep -q 'read 2097152/2097152 bytes at offset 8388608' ||
		bad "batmap: qemu-io reads other data than written"
	[ "$(vhdi "$bm" 'Disk type')" = Dynamic ] || bad "batmap: vhdiinfo"
fi

# Differencing disk: parent uuid + UTF-16BE name + three locators.
diff=$tmp/diff.vhd
puuid=6a1f3e9b-0c2d-4e5f-8a7b-1c2d3e4f5a6b
"$gen" "$diff" --size $((4 << 30)) --type differencing --alloc 2 \
	--parent-name base-disk.vhd --parent-dir /srv/sr1 --parent-uuid $puuid
if out=$(inspect_valid differencing "$diff"); then
	[ "$(jq -r .disk_type <<<"$out")" = differencing ] || bad "diff type"
	[ "$(jq -r .parent.uuid <<<"$out")" = $puuid ] || bad "diff parent uuid"
	[ "$(jq -r .parent.name <<<"$out")" = base-disk.vhd ] || bad "diff name"
	[ "$(jq -r '[.parent.locators[] | .platform + "=" + .path] | join(" ")' \
	     <<<"$out")" = \
	  'W2ku=C:\srv\sr1\base-disk.vhd W2ru=.\base-disk.vhd MacX=/srv/sr1/base-disk.vhd' ] ||
		bad "diff locators: $(jq -c .parent.locators <<<"$out")"
	[ "$(vhdi "$diff" 'Disk type')" = Differential ] || bad "diff: vhdiinfo type"
	[ "$(vhdi "$diff" 'Parent identifier')" = $puuid ] || bad "diff: vhdiinfo uuid"
	[ "$(vhdi "$diff" 'Parent filename')" = base-disk.vhd ] ||
		bad "diff: vhdiinfo parent name"
	[ "$(qemu-img info --output=json "$diff" | jq '."virtual-size"')" = \
	  $((4 << 30)) ] || bad "diff: qemu-img info"
fi

# 512 KiB blocks: bitmap of 128 bytes padded to a sector.
small=$tmp/blk512k.vhd
"$gen" "$small" --size $((1 << 30)) --block-size $((512 << 10)) --alloc 0,9
if out=$(inspect_valid block512k "$small"); then
	[ "$(jq -r .block_size <<<"$out")" = 524288 ] || bad "512k block size"
	[ "$(qemu-img info --output=json "$small" | jq '."cluster-size"')" = \
	  524288 ] || bad "512k: qemu-img cluster size"
	qemu-io -f vpc -r -c 'read -P 0x0a 4608k 512k' "$small" |
		grep -q 'read 524288/524288' || bad "512k: qemu-io data"
fi
[ $fail -eq 0 ] && echo "all writer images accepted by vhdiinfo/qemu and inspect"
exit $fail
