#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs the libFuzzer target over tapdisk-activated's xenstore key parsers
# for a bounded time (XH_FUZZ_SECONDS, default 60) starting from the seed
# corpus in tests/fuzz/corpus/xskeys. Fails on any crash, sanitizer report
# or violated parser property; new inputs go to a scratch corpus, never
# into the repository.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${XH_FUZZ_SECONDS:-60}
bin=$top/build/fuzz/fuzz_xskeys

command -v "${FUZZ_CC:-clang}" >/dev/null ||
	{ echo "skip: clang (libFuzzer) not installed"; exit 77; }
make -C "$top" -s build/fuzz/fuzz_xskeys >&2 || exit 1

work=$(mktemp -d /var/tmp/xh-fuzz-xskeys.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
cp "$top"/tests/fuzz/corpus/xskeys/* "$work/corpus/"

# -max_len: the parsers reject anything past 257 bytes; a little more
# exercises the length checks without wasting time on huge inputs.
"$bin" -max_total_time="$secs" -max_len=320 -timeout=10 \
	-artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" 2>&1 |
	tail -n 25
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$a" ] || continue
		echo "reproducer $a:"; od -c "$a" | head -n 8
	done
	exit 1
fi
exit 0
