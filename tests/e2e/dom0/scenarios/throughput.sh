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
	# One XH-BENCH line per phase: mean IOPS per frontend and their ratio
	# (drain/stock, higher is better), the range of the per-round ratios
	# (how far the mean can be trusted), and the guest's busy CPU time per
	# I/O with its ratio (drain/stock, lower is better): under TCG the IOPS
	# mostly measure emulated Xen and dom0, the busy time the frontend.
	for phase in seq-write seq-read rand-write rand-read; do
		line=$(awk -v p="phase=$phase" -v rounds="$rounds" '
			function field(name,   i) {
				for (i = 1; i <= NF; i++)
					if (index($i, name "=") == 1) return substr($i, length(name) + 2)
				return ""
			}
			$0 ~ p " " {
				l = field("label"); r = field("round")
				iops[l] += field("iops"); cpu[l] += field("busy_us_per_io"); n[l]++
				riops[l, r] += field("iops"); seen[r] = 1
			}
			END {
				if (!n["stock"] || !n["drain"] || !iops["stock"]) exit 1
				lo = ""; hi = ""
				for (r in seen) if (riops["stock", r] > 0) {
					x = riops["drain", r] / riops["stock", r]
					if (lo == "" || x < lo) lo = x
					if (hi == "" || x > hi) hi = x
				}
				s = iops["stock"] / n["stock"]; d = iops["drain"] / n["drain"]
				cs = cpu["stock"] / n["stock"]; cd = cpu["drain"] / n["drain"]
				printf "stock_iops=%.0f drain_iops=%.0f ratio=%.3f round_ratios=%.3f..%.3f rounds=%d", s, d, d / s, lo, hi, rounds
				printf " stock_busy_us_per_io=%.1f drain_busy_us_per_io=%.1f busy_ratio=%s\n", cs, cd, (cs > 0 ? sprintf("%.3f", cd / cs) : "n/a")
			}' "$XH_RUN/bench.txt") || xh_fail "no $phase result for both frontends"
		echo "XH-BENCH phase=$phase $line"
	done
	xh_pass "benchmark ran (ratios in the XH-BENCH lines; target >= 0.97x, not enforced)"
}
