#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# How inspect touches storage, observed with strace. By default (and with
# --sync-io, its old name) the rounds are plain O_DIRECT pread/preadv
# calls, adjacent pieces coalesced: no aio context at all, at most four
# reads. With --aio the image is opened with O_DIRECT, nothing reads it
# except io_submit, and a 2040 GiB dynamic image (4 MiB BAT) costs exactly
# two submissions (footers + header, then BAT), a differencing disk with
# locators and a batmap image too; no data block is read (every submitted
# offset lies in metadata).
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${XH_BUILD:-$top/build}
tool=${XH_TOOL:-$build/tapdisk-activate}
gen=$build/tests/vhd/helper_vhdgen
for t in strace qemu-img qemu-io; do
	command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
tmp=$(mktemp -d "${XH_TEST_TMPDIR:-/var/tmp}/xh-vhdio-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

# check NAME IMAGE SUBMISSIONS DATA_START
check() {
	local name=$1 img=$2 want=$3 data_start=$4 log=$tmp/$1.strace n max
	strace -f -qq -e trace=openat,close,io_submit,read,pread64,preadv,preadv2 \
		-e abbrev=none -s 0 -o "$log" "$tool" inspect --aio "$img" >/dev/null
	if [ $? -ne 0 ]; then
		echo "FAIL $name: inspect failed"; fail=1; return
	fi
	if ! grep -q "openat(.*\"$img\", [^)]*O_DIRECT" "$log"; then
		echo "FAIL $name: image not opened with O_DIRECT"
		grep "$img" "$log"
		fail=1
		return
	fi
	# Any read(2)-family call on the image's fd while it is open?
	if awk -v img="\"$img\"" '
		index($0, "openat(") && index($0, img) {
			fd = $NF; open = 1; next }
		open && $0 ~ ("close\\(" fd "\\)") { open = 0 }
		open && $0 ~ ("(read|pread64|preadv2?)\\(" fd ",") { bad = 1 }
		END { exit !bad }' "$log"; then
		echo "FAIL $name: image read outside io_submit"; fail=1; return
	fi
	n=$(grep -c '^[0-9]* *io_submit(' "$log")
	if [ "$n" -ne "$want" ]; then
		echo "FAIL $name: $n io_submit calls, want $want"; fail=1; return
	fi
	# Highest offset submitted below the footer must be metadata.
	max=$(grep -o 'aio_offset=[0-9]*' "$log" | cut -d= -f2 | sort -n |
	      awk -v eof=$(($(stat -c %s "$img") - 512)) '$1 < eof' | tail -n 1)
	if [ "$max" -ge "$data_start" ]; then
		echo "FAIL $name: read at $max, data starts at $data_start"
		fail=1
		return
	fi
	echo "ok $name: O_DIRECT, $n submissions, highest offset $max"
}

# check_sync NAME IMAGE [OPTION]: the default (or --sync-io) reads
check_sync() {
	local name=$1 img=$2 log=$tmp/$1.sync.strace n
	strace -f -qq -e trace=openat,close,io_setup,io_submit,pread64,preadv \
		-e abbrev=none -s 0 -o "$log" "$tool" inspect ${3:-} "$img" \
		>/dev/null || { echo "FAIL $name: inspect ${3:-}"; fail=1; return; }
	if grep -q 'io_setup\|io_submit' "$log"; then
		echo "FAIL $name: inspect ${3:-} used libaio"; fail=1; return
	fi
	grep -q "openat(.*\"$img\", [^)]*O_DIRECT" "$log" ||
		{ echo "FAIL $name ${3:-(default)}: no O_DIRECT"; fail=1; return; }
	n=$(awk -v img="\"$img\"" '
		index($0, "openat(") && index($0, img) {
			fd = $NF; open = 1; next }
		open && $0 ~ ("close\\(" fd "\\)") { open = 0 }
		open && $0 ~ ("(pread64|preadv)\\(" fd ",") { n++ }
		END { print n + 0 }' "$log")
	if [ "$n" -lt 1 ] || [ "$n" -gt 4 ]; then
		echo "FAIL $name ${3:-(default)}: $n reads, want 1..4"; fail=1; return
	fi
	echo "ok $name ${3:-(default)}: O_DIRECT, no libaio, $n reads"
}

big=$tmp/big.vhd
qemu-img create -q -f vpc -o subformat=dynamic "$big" 2040G
qemu-io -f vpc -c 'write -P 1 0 64k' -c 'write -P 2 1T 64k' "$big" >/dev/null
# qemu: BAT at 1536, 1044480 entries, first block right after it.
check dyn2040g "$big" 2 $((1536 + 1044480 * 4))
check_sync dyn2040g "$big"
check_sync dyn2040g "$big" --sync-io

if [ -x "$gen" ]; then
	"$gen" "$tmp/diff.vhd" --size $((8 << 30)) --type differencing \
		--parent-name p.vhd --parent-uuid 01234567-89ab-4cde-8f01-23456789abcd \
		--alloc 1
	check differencing "$tmp/diff.vhd" 2 $((1536 + 4096 * 4 + 3 * 512))
	"$gen" "$tmp/bm.vhd" --size $((8 << 30)) --creator tap --alloc 1
	check batmap "$tmp/bm.vhd" 2 $((1536 + 4096 * 4 + 512 + 512))
fi
exit $fail
