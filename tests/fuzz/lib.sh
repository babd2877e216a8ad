# SPDX-License-Identifier: GPL-2.0 OR MIT
# Sourced by tests/fuzz/t_fuzz_*.sh: one way to run a libFuzzer target for
# a bounded time (XH_FUZZ_SECONDS, default 60) from a seed corpus copied to
# a scratch directory (new inputs never go into the repository). Fails on
# any crash, sanitizer report, timeout or violated property and prints the
# reproducer.
top=${XH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# xh_run_fuzzer TARGET SEED_DIR MAX_LEN: exits the calling script.
xh_run_fuzzer() {
	local name=$1 seeds=$2 max_len=$3 bin work rc a
	bin=$top/build/fuzz/$name
	command -v "${FUZZ_CC:-clang}" >/dev/null ||
		{ echo "skip: clang (libFuzzer) not installed"; exit 77; }
	make -C "$top" -s "build/fuzz/$name" >&2 || exit 1

	work=$(mktemp -d "/var/tmp/xh-$name.XXXXXX")
	# shellcheck disable=SC2064 # expand now: $work is local
	trap "rm -rf '$work'" EXIT
	mkdir -p "$work/corpus"
	cp "$seeds"/* "$work/corpus/"

	"$bin" -max_total_time="${XH_FUZZ_SECONDS:-60}" -max_len="$max_len" \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" \
		-print_final_stats=1 "$work/corpus" 2>&1 |
		grep -E '^(Done|stat::|==|SUMMARY|.*ERROR|.*deadly|.*Timeout|#[0-9]+.*DONE)' |
		tail -n 25
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
			[ -e "$a" ] || continue
			echo "reproducer $a:"; od -A d -t x1 "$a" | head -n 8
		done
		exit 1
	fi
	exit 0
}
