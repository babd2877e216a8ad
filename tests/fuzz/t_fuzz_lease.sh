#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the libFuzzer target over the lease sector decoders and the
# free/held/pending/damaged classification of a whole area image
# (tests/fuzz/fuzz_lease.c states the safety property it asserts) for a
# bounded time (XH_FUZZ_SECONDS, default 60) from the seed corpus
# tests/fuzz/corpus/lease. Fails on any crash, sanitizer report, timeout
# or violated property; new inputs go to a scratch corpus.
#
# The seeds are the first sectors of real areas made by the CLI, so they
# follow the code if the format changes: `t_fuzz_lease.sh --make-seeds`
# rewrites them (free, held, released with a successor, a pending ballot,
# a waiting ticket, and damaged variants: torn 4096-byte leader on 512-byte pieces, bit
# flip, unknown format version, zeroed slot, misplaced slot).
set -u
. "$(dirname "$0")/lib.sh"
seeds=$top/tests/fuzz/corpus/lease

make_seeds() {
	local tool=${XH_TOOL:-$top/build/tapdisk-activate} w f
	w=$(mktemp -d /var/tmp/xh-lease-seeds.XXXXXX)
	export XH_LEASE_LOCK_DIR=$w
	mkdir -p "$seeds"
	# prefix NAME SS SECTORS: the first SECTORS sectors of $w/a.lease
	prefix() { head -c $(($2 * $3)) "$w/a.lease" >"$seeds/$1"; }
	# patch NAME OFFSET HEXBYTES: overwrite bytes of a seed in place
	patch() { printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$seeds/$1" bs=1 seek="$2" conv=notrunc status=none; }
	# reseal NAME SS INDEX: recompute a sector's CRC32C (an intact sector
	# of a newer format, not a torn one)
	reseal() { python3 - "$seeds/$1" "$2" "$3" <<-'PY'
	import struct, sys
	path, ss, i = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	b = bytearray(open(path, 'rb').read())
	crc = 0xffffffff
	for byte in b[i * ss:(i + 1) * ss - 4]:
	    crc ^= byte
	    for _ in range(8):
	        crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
	b[(i + 1) * ss - 4:(i + 1) * ss] = struct.pack('<I', crc ^ 0xffffffff)
	open(path, 'wb').write(b)
	PY
	}
	for ss in 512 4096; do
		f=$w/a.lease
		rm -f "$f"
		"$tool" lease init --sector-size $ss --timeout 30 "$f" >/dev/null
		prefix free-$ss $ss 8
		"$tool" lease acquire --host-id 2 --host-name h2 --token t2 "$f" >/dev/null
		prefix held-$ss $ss 8
		"$tool" lease release --host-id 2 --host-name h2 --token t2 --successor 5 "$f" >/dev/null
		prefix released-successor-$ss $ss 8
		"$tool" lease acquire --host-id 3 --host-name h3 --token t3 "$f" >/dev/null
		prefix held-v2-$ss $ss 8
		# torn leader: the first 512 bytes of the held record over the
		# released one (the checksum at the end is the old one)
		cp "$seeds/released-successor-$ss" "$seeds/torn-leader-$ss"
		dd if="$seeds/held-v2-$ss" of="$seeds/torn-leader-$ss" bs=1 \
			skip=$ss seek=$ss count=512 conv=notrunc status=none
		cp "$seeds/held-v2-$ss" "$seeds/bitflip-slot3-$ss"
		patch bitflip-slot3-$ss $((4 * ss + 41)) 01
		cp "$seeds/held-v2-$ss" "$seeds/future-format-slot2-$ss"
		patch future-format-slot2-$ss $((3 * ss + 4)) 0200
		reseal future-format-slot2-$ss $ss 3
		# host 5 waiting (ticket since position 4 = version 2 held,
		# wait_seen 5 = version 2 released), as a waiter writes it
		cp "$seeds/held-v2-$ss" "$seeds/waiting-slot5-$ss"
		patch waiting-slot5-$ss $((6 * ss + 280)) 04000000000000000500000000000000
		reseal waiting-slot5-$ss $ss 6
		cp "$seeds/held-v2-$ss" "$seeds/zeroed-slot4-$ss"
		dd if=/dev/zero of="$seeds/zeroed-slot4-$ss" bs=$ss seek=5 count=1 \
			conv=notrunc status=none
		cp "$seeds/held-v2-$ss" "$seeds/misplaced-slot-$ss"
		dd if="$seeds/held-v2-$ss" of="$seeds/misplaced-slot-$ss" bs=$ss \
			skip=4 seek=6 count=1 conv=notrunc status=none
	done
	rm -rf "$w"
	ls "$seeds"
}

if [ "${1:-}" = --make-seeds ]; then
	make_seeds
	exit 0
fi

# -max_len: seeds are 8 sectors (4 KiB or 32 KiB); 64 KiB lets the fuzzer
# grow into more slots without spending the budget copying large inputs.
xh_run_fuzzer fuzz_lease "$seeds" 65536
