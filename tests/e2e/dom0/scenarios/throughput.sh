# shellcheck shell=bash
# Scenario 5, a benchmark (not pass/fail on numbers): 4 KiB O_DIRECT AIO
# phases (2 s each, 1 s apart) with the stock xen-blkfront and with
# xen-blkfront-drain, in identical PVH guests booted one after the other on
# the same disk in the same Xen boot (swapping modules inside one guest
# fails: the stock module cannot always be unloaded). The guests alternate
# stock, drain, stock, drain... for XH_BENCH_ROUNDS rounds so slow drift of
# the TCG host hits both alike. The ratio of the mean IOPS, drain/stock, per
# phase and its range over the rounds are printed as XH-BENCH lines.

throughput() {
	local rc phase s d fe round rounds=${XH_BENCH_ROUNDS:-2} lo hi
	xh_disk_setup bench 0 || xh_fail "disk setup failed"
	: > "$XH_RUN/bench.txt"
	for round in $(seq "$rounds"); do
	for fe in stock drain; do
		NAME=bench-$fe
		xh_guest_cfg "$NAME" pvh /dev/mapper/xh-src-bench "$fe" \
			"xh_mode=bench xh_bench_secs=${XH_BENCH_SECS:-2}" > "$XH_RUN/$NAME.cfg"
		[ "$round" = 1 ] && xh_stream_console "$NAME"	# tail -F follows the next round's log
		xl create "$XH_RUN/$NAME.cfg" > "$XH_RUN/$NAME.create.log" 2>&1 || xh_fail "xl create $NAME failed"
		xh_wait_guest "$NAME" '^XH-G (bench-done|fatal)' 500
		rc=$?
		[ $rc = 0 ] || xh_fail_wait $rc "the $fe benchmark"
		xh_guest_grep "$NAME" '^XH-G fatal' && xh_fail "$(xh_guest_grep "$NAME" '^XH-G fatal' | head -1)"
		xh_guest_grep "$NAME" '^XH-G bench label=' | sed "s/\$/ round=$round/" >> "$XH_RUN/bench.txt"
		xl destroy "$NAME"
		# The next round reuses the name: start with empty console logs.
		mkdir -p "$XH_CONSOLE_DIR/done"
		for l in "$XH_CONSOLE_DIR/guest-$NAME.log"; do
			[ -f "$l" ] && mv "$l" "$XH_CONSOLE_DIR/done/$(date +%s%N)-${l##*/}"
		done
	done
	done
	for phase in seq-write seq-read rand-write rand-read; do
		s=$(awk -v p="phase=$phase" '$0 ~ p && /label=stock/ { for (i = 1; i <= NF; i++) if ($i ~ /^iops=/) { sub("iops=", "", $i); t += $i; n++ } } END { if (n) printf "%.0f", t / n }' "$XH_RUN/bench.txt")
		d=$(awk -v p="phase=$phase" '$0 ~ p && /label=drain/ { for (i = 1; i <= NF; i++) if ($i ~ /^iops=/) { sub("iops=", "", $i); t += $i; n++ } } END { if (n) printf "%.0f", t / n }' "$XH_RUN/bench.txt")
		[ -n "$s" ] && [ -n "$d" ] && [ "$s" != 0 ] || xh_fail "no $phase result for both frontends"
		# Per-round ratios: their range says how much the mean can be trusted.
		read -r lo hi < <(awk -v p="phase=$phase" '$0 ~ p {
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^iops=/) v = substr($i, 6)
					if ($i ~ /^round=/) r = substr($i, 7)
					if ($i ~ /^label=/) l = substr($i, 7)
				}
				iops[l, r] += v
				rounds[r] = 1
			}
			END {
				lo = ""; hi = ""
				for (r in rounds) if (iops["stock", r] > 0) {
					x = iops["drain", r] / iops["stock", r]
					if (lo == "" || x < lo) lo = x
					if (hi == "" || x > hi) hi = x
				}
				printf "%.3f %.3f\n", lo, hi
			}' "$XH_RUN/bench.txt")
		echo "XH-BENCH phase=$phase stock_iops=$s drain_iops=$d ratio=$(awk -v a="$d" -v b="$s" 'BEGIN { printf "%.3f", a / b }') round_ratios=$lo..$hi rounds=$rounds"
	done
	xh_pass "benchmark ran (ratios in the XH-BENCH lines; target >= 0.97x, not enforced)"
}
