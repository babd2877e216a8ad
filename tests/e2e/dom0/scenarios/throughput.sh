# shellcheck shell=bash
# Scenario 5, a benchmark (not pass/fail on numbers): 4 KiB O_DIRECT AIO
# phases (2 s each, 1 s apart) with the stock xen-blkfront and with
# xen-blkfront-drain, in two identical PVH guests booted one after the other on the same
# disk in the same Xen boot (swapping modules inside one guest fails: the
# stock module cannot always be unloaded). The ratio drain/stock per phase
# is printed as XH-BENCH lines.

throughput() {
	local rc phase s d fe
	xh_disk_setup bench 0 || xh_fail "disk setup failed"
	: > "$XH_RUN/bench.txt"
	for fe in stock drain; do
		NAME=bench-$fe
		xh_guest_cfg "$NAME" pvh /dev/mapper/xh-src-bench "$fe" \
			"xh_mode=bench xh_bench_secs=${XH_BENCH_SECS:-2}" > "$XH_RUN/$NAME.cfg"
		xh_stream_console "$NAME"
		xl create "$XH_RUN/$NAME.cfg" > "$XH_RUN/$NAME.create.log" 2>&1 || xh_fail "xl create $NAME failed"
		xh_wait_guest "$NAME" '^XH-G (bench-done|fatal)' 500
		rc=$?
		[ $rc = 0 ] || xh_fail_wait $rc "the $fe benchmark"
		xh_guest_grep "$NAME" '^XH-G fatal' && xh_fail "$(xh_guest_grep "$NAME" '^XH-G fatal' | head -1)"
		xh_guest_grep "$NAME" '^XH-G bench label=' >> "$XH_RUN/bench.txt"
		xl destroy "$NAME"
	done
	for phase in seq-write seq-read rand-write rand-read; do
		s=$(awk -v p="phase=$phase" '$0 ~ p && /label=stock/ { for (i = 1; i <= NF; i++) if ($i ~ /^iops=/) { sub("iops=", "", $i); t += $i; n++ } } END { if (n) printf "%.0f", t / n }' "$XH_RUN/bench.txt")
		d=$(awk -v p="phase=$phase" '$0 ~ p && /label=drain/ { for (i = 1; i <= NF; i++) if ($i ~ /^iops=/) { sub("iops=", "", $i); t += $i; n++ } } END { if (n) printf "%.0f", t / n }' "$XH_RUN/bench.txt")
		[ -n "$s" ] && [ -n "$d" ] && [ "$s" != 0 ] || xh_fail "no $phase result for both frontends"
		echo "XH-BENCH phase=$phase stock_iops=$s drain_iops=$d ratio=$(awk -v a="$d" -v b="$s" 'BEGIN { printf "%.3f", a / b }')"
	done
	xh_pass "benchmark ran (ratios in the XH-BENCH lines; target >= 0.97x, not enforced)"
}
