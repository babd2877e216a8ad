#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the libFuzzer target over the VHD metadata parser (in-memory image,
# the state machine the O_DIRECT reader drives) for a bounded time
# (XH_FUZZ_SECONDS, default 60) from the seed corpus tests/fuzz/corpus/vhd:
# small valid images of every kind (qemu-img dynamic and fixed, writer
# dynamic, batmap, differencing) and a few damaged ones. Fails on any
# crash, sanitizer report, timeout or violated parser property; new inputs
# go to a scratch corpus, never into the repository.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${XH_FUZZ_SECONDS:-60}
bin=$top/build/fuzz/fuzz_vhd

command -v "${FUZZ_CC:-clang}" >/dev/null ||
	{ echo "skip: clang (libFuzzer) not installed"; exit 77; }
make -C "$top" -s build/fuzz/fuzz_vhd >&2 || exit 1

work=$(mktemp -d /var/tmp/xh-fuzz-vhd.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp "$top"/tests/fuzz/corpus/vhd/* "$work/corpus/"

# -max_len: the seeds are at most 36 KiB; 64 KiB leaves room to grow
# tables and locators without spending the time budget on huge copies.
"$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" 2>&1 |
	grep -E '^(Done|stat::|==|SUMMARY|.*ERROR|.*deadly|.*Timeout)' | tail -n 25
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -e "$a" ] || continue
		echo "reproducer $a:"; od -A d -t x1 "$a" | head -n 8
	done
	exit 1
fi
exit 0
