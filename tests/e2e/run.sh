#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# End-to-end tests on real Xen: boots Debian's Xen 4.17 with a Debian 6.1
# dom0 under qemu-system-x86_64 -accel tcg, runs the scenarios inside that
# one boot and prints "PASS e2e/<name>", "FAIL e2e/<name>: reason" or
# "SKIP e2e/<name>: reason" per scenario. Exit 0 iff none failed.
#
#   tests/e2e/run.sh                    the full matrix (make e2e)
#   tests/e2e/run.sh --tier core        the core set the test command runs
#   tests/e2e/run.sh --scenario NAME    one scenario (repeatable, or NAME,NAME)
#   tests/e2e/run.sh --demo             seed bug: stock vs xen-blkfront-drain
#   tests/e2e/run.sh --list             scenario names
#   tests/e2e/run.sh --guest-kv 6.12 ...  guests boot Debian's 6.12 kernel
#                                       (dom0 keeps its own); results are
#                                       named e2e/<name>@6.12
#
# Options: --rebuild-images (ignore the image cache), --timeout SECONDS
# (whole QEMU run), --verbose (stream dom0 progress lines).
# Needs root and the packages of scripts/install-deps.sh. Images are cached
# in ${XH_CACHE:-/var/cache/xen-handover}/e2e; logs go to build/e2e/latest/.
# Documentation/testing.rst has the details.
set -u
XH_E2E_DIR=$(cd "$(dirname "$0")" && pwd)
. "$XH_E2E_DIR/lib/common.sh"
. "$XH_E2E_DIR/lib/images.sh"
. "$XH_E2E_DIR/lib/payload.sh"
. "$XH_E2E_DIR/lib/report.sh"
# XH_E2E_DOM0=trixie: a Debian 13 dom0 (Xen 4.20, Linux 6.12); guests as usual.
case ${XH_E2E_DOM0:-bookworm} in
bookworm) ;;
trixie) . "$XH_E2E_DIR/lib/dom0-trixie.sh" ;;
*) echo "run.sh: XH_E2E_DOM0 is bookworm or trixie" >&2; exit 2 ;;
esac

# Everything runs inside main(): bash parses a function completely before
# running it, so editing this file during a (long) run cannot derail it.
main() {
ALL_SCENARIOS="seed-bug-stock seed-bug-drain seed-bug-upstream drain-timeout suspend-cancel save-restore-pvh save-restore-pv throughput handover-stock handover-timeout handover-resume handover-fenced hotplug-dm handover-tapdisk emu-stability"
# The core set of the test command (tests/run-all.sh): the seed bug with
# both frontends, the drain-timeout path with hook and daemon, and a
# hook+daemon handover with a stock guest. Documentation/testing.rst.
CORE_SCENARIOS="seed-bug-stock seed-bug-drain handover-timeout handover-stock"
# Guest-workload self-test on the host, before any boot.
SELFTEST=workload-selftest

usage() { sed -n '4,22p' "$0" | sed 's/^# \{0,1\}//'; }

scenarios=
guest_kv=
name_sfx=
demo=0
verbose=${XH_E2E_VERBOSE:-0}
timeout_s=${XH_E2E_TIMEOUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) [ $# -ge 2 ] || { usage >&2; exit 2; }; scenarios="$scenarios ${2//,/ }"; shift ;;
	--scenario=*) scenarios="$scenarios ${1#--scenario=}"; scenarios=${scenarios//,/ } ;;
	--demo) demo=1 ;;
	--tier) case ${2:-} in
		core) scenarios="$scenarios $SELFTEST $CORE_SCENARIOS" ;;
		full) scenarios="$scenarios $SELFTEST $ALL_SCENARIOS" ;;
		*) echo "run.sh: --tier takes core or full" >&2; exit 2 ;;
		esac; shift ;;
	--list) for s in $SELFTEST $ALL_SCENARIOS; do echo "$s"; done; exit 0 ;;
	--rebuild-images) export XH_REBUILD=1 ;;
	--guest-kv) [ $# -ge 2 ] || { usage >&2; exit 2; }; guest_kv=$2; shift ;;
	--timeout) timeout_s=$2; shift ;;
	--verbose|-v) verbose=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[ $demo = 1 ] && scenarios="seed-bug-stock seed-bug-drain"
[ -n "${scenarios// /}" ] || scenarios="$SELFTEST $ALL_SCENARIOS"
for s in $scenarios; do
	case " $SELFTEST $ALL_SCENARIOS " in
	*" $s "*) ;;
	*) echo "run.sh: unknown scenario '$s' (see --list)" >&2; exit 2 ;;
	esac
done
boot_scenarios=$(for s in $scenarios; do [ "$s" = $SELFTEST ] || echo "$s"; done | tr '\n' ' ')
nboot=$(echo "$boot_scenarios" | wc -w)

[ "$(id -u)" = 0 ] || { echo "SKIP e2e: needs root (debootstrap, chroot, loop)"; exit 77; }

XH_OUT=$XH_REPO/build/e2e/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$XH_OUT"
# Keep the artifacts of the last few runs only.
# shellcheck disable=SC2012
ls -dt "$XH_REPO"/build/e2e/run-* 2>/dev/null | tail -n +9 | xargs -r rm -rf
ln -sfn "$(basename "$XH_OUT")" "$XH_REPO/build/e2e/latest"
: > "$XH_OUT/timings.txt"
export XH_OUT
T_START=$(date +%s)
failed=0

result() { # STATUS NAME REASON
	case $1 in
	PASS) echo "PASS e2e/$2$name_sfx${3:+: $3}" ;;
	SKIP) echo "SKIP e2e/$2$name_sfx: $3" ;;
	*) echo "FAIL e2e/$2$name_sfx: $3"; failed=1 ;;
	esac
}

# Everything that cannot run reports every scenario once, then exits.
fail_all() { # REASON
	local s
	for s in $boot_scenarios; do result FAIL "$s" "$1"; done
	exit 1
}

if [[ " $scenarios " == *" $SELFTEST "* ]]; then
	if make -s -C "$XH_E2E_DIR/guest" OUT="$XH_OUT" check > "$XH_OUT/selftest.log" 2>&1; then
		result PASS $SELFTEST "verify catches stale, torn, lost and future records"
	else
		result FAIL $SELFTEST "see $XH_OUT/selftest.log: $(tail -1 "$XH_OUT/selftest.log")"
	fi
fi
[ "$nboot" -gt 0 ] || exit $failed

xh_need_cmds qemu-system-x86_64 debootstrap mke2fs debugfs cpio gzip zcat dpkg-deb flock gcc make
[ -x /bin/busybox ] || xh_die "/bin/busybox missing (busybox-static)"
KV=$(xh_detect_kv)
# XH_QEMU: another QEMU binary (with XH_QEMU_DATADIR for its firmware and
# QEMU_MODULE_DIR for its accelerator modules), e.g. to compare crash rates
# between versions (emu-stability).
# XH_E2E_QEMU=backports: bookworm-backports' QEMU 10.0, unpacked into the cache.
if [ "${XH_E2E_QEMU:-}" = backports ]; then
	. "$XH_E2E_DIR/lib/qemu-backports.sh"
	xh_timed qemu xh_qemu_backports_ensure || fail_all "no bookworm-backports QEMU (see log above)"
fi
XH_QEMU=${XH_QEMU:-qemu-system-x86_64}
XH_QEMU_VERSION=$("$XH_QEMU" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
export XH_QEMU_VERSION
xh_log "kernel ABI $KV, output $XH_OUT"

# The guests' kernel: dom0's, or another (--guest-kv) from its linux-image deb.
GUEST_KV=$KV
if [ -n "$guest_kv" ]; then
	GUEST_KV=$(xh_detect_guest_kv "$guest_kv") || exit 2
fi
[ "$GUEST_KV" != "$KV" ] && name_sfx=@$(echo "$GUEST_KV" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
[ "${XH_E2E_DOM0:-bookworm}" = bookworm ] || name_sfx="$name_sfx@dom0-$XH_E2E_DOM0"
xh_timed images xh_images_ensure "$KV" || fail_all "image build failed (see log above)"
# Another dom0 kernel than the host's KV: the guests' comes from its deb.
if [ "$GUEST_KV" != "$KV" ] || [ "${XH_E2E_DOM0:-bookworm}" != bookworm ]; then
	xh_timed guest-kernel xh_guest_kernel_ensure "$GUEST_KV" ||
		fail_all "no guest kernel $GUEST_KV (build/e2e/latest/guest-kernel.log)"
fi
if [[ " $boot_scenarios " == *" seed-bug-upstream "* ]]; then
	xh_timed upstream-module xh_build_upstream_module "$GUEST_KV" ||
		xh_log "patched upstream xen-blkfront unavailable: $XH_UPSTREAM_WHY"
fi
if xh_timed module xh_build_drain_module "$GUEST_KV"; then
	xh_log "xen_blkfront_drain: $XH_DRAIN_KO"
else
	xh_log "xen_blkfront_drain unavailable: $XH_DRAIN_WHY"
fi
# The xen-handover package, for the scenarios that run the dom0 tools
# (XH_PKG_*: plan.env, lib/payload.sh).
# shellcheck disable=SC2034
case " $boot_scenarios" in
*" handover-"*|*" hotplug-dm "*) xh_timed package xh_package_ensure ;;
*) XH_DEB='' XH_PKG_SKIP=1 XH_PKG_WHY="no scenario of this run uses the dom0 tools" ;;
esac
if [ -n "$XH_DEB" ]; then
	xh_log "dom0 tools: $XH_DEB (dom0 installs it with dpkg -i)"
else
	xh_log "no xen-handover package: $XH_PKG_WHY"
fi
# shellcheck disable=SC2086
xh_timed payload xh_build_payload "$XH_OUT/payload.ext4" $boot_scenarios ||
	fail_all "payload build failed"

# Bound, not the expected time: idle host ~1.5 min per scenario; a host
# loaded by other work slows TCG five-fold.
timeout_s=${timeout_s:-$(( 300 + 600 * nboot ))}
xh_log "booting Xen under QEMU (TCG) for: $boot_scenarios(limit ${timeout_s}s)"
T_BOOT=$(date +%s)
# Single-threaded TCG: with thread=multi, PVH guests died of triple faults
# (a page fault at a Xen address injected into the guest, cr2 == Xen's RIP:
# most likely QEMU's nested SVM racing between vCPU threads), up to 2 of 2
# guest boots on a busy host. Single-threaded: no triple fault in about 30
# boots, one stock guest oops during boot. Slower to boot; dom0/main.sh
# retries a scenario after such a crash.
# One vCPU (XH_E2E_SMP, default 1; dom0 gets as many): with two, QEMU's
# round-robin kick timer re-delivers an interrupt Xen injected at VMRUN
# (helper_vmrun leaves exception_index set), the ENTRY_TRAMPOLINE guest
# crash. QEMU 7.2 emu-stability rounds: 11 of 11 clean with one vCPU (Xen
# 4.17 and 4.20); with two, 4 of 4 crashed on 4.20 and 6 of 12 on 4.17
# (Documentation/testing.rst).
XH_E2E_SMP=${XH_E2E_SMP:-1}
# shellcheck disable=SC2086
timeout -k 10 "$timeout_s" "$XH_QEMU" ${XH_QEMU_DATADIR:+-L "$XH_QEMU_DATADIR"} \
	-accel "tcg,thread=${XH_E2E_TCG_THREAD:-single}" -cpu "${XH_E2E_CPU:-qemu64,+svm,+npt}" -m 4096 -smp "$XH_E2E_SMP" \
	-display none -no-reboot -net none \
	-monitor "unix:$XH_OUT/monitor.sock,server=on,wait=off" \
	-serial "file:$XH_OUT/serial.log" \
	-kernel "$XH_IMG/xen.elf" \
	-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=$XH_E2E_SMP smap=0 smep=0 loglvl=all guest_loglvl=all ${XH_XEN_EXTRA:-}" \
	-initrd "$XH_IMG/vmlinuz root=/dev/vda rw console=hvc0 earlyprintk=xen init=/usr/local/sbin/xh-boot,$XH_IMG/dom0-initrd.img" \
	-drive "file=$XH_IMG/dom0.ext4,if=virtio,format=raw,cache=unsafe,snapshot=on" \
	-drive "file=$XH_OUT/payload.ext4,if=virtio,format=raw,cache=unsafe" \
	> "$XH_OUT/qemu.out" 2>&1 &
qpid=$!
# run.sh killed (a caller's bound, ^C): QEMU goes with it, never orphaned.
trap 'kill "$qpid" 2>/dev/null' EXIT
trap 'exit 143' TERM INT

# Report each scenario as soon as dom0 prints its result.
reported=
report_new() {
	local line name st secs reason
	while IFS= read -r line; do
		set -- $line
		name=$2 st=$3 secs=$4
		[[ " $reported " == *" $name "* ]] && continue
		reported="$reported $name"
		reason=${line#XH-RESULT "$name" "$st" "$secs"}
		reason=${reason# }
		xh_split_section "$name"
		echo "scenario $name: $st in ${secs}s" >> "$XH_OUT/timings.txt"
		result "$st" "$name" "$reason (${secs}s)"
		[ "$st" = FAIL ] && xh_print_tails "$name"
		xh_serial_clean | grep -a "^XH-BENCH\|^XH-METRIC $name " | sed 's/^/    /'
	done < <(xh_serial_clean | grep -a '^XH-RESULT ')
}
seen_lines=0
# A stalled emulation (no console byte from Xen, dom0 or a guest for
# XH_E2E_STALL_S seconds, 300 by default; every scenario prints progress
# far more often) is ended at once instead of at the run's limit, with
# QEMU's view of the vCPUs (monitor: info registers, the code at RIP) in
# $XH_OUT/stall.txt and the report: a hang is a bug to find.
stall_s=${XH_E2E_STALL_S:-300}
last_size=-1 last_change=$(date +%s) stalled=
while kill -0 $qpid 2>/dev/null; do
	sleep 3
	report_new
	size=$(stat -c %s "$XH_OUT/serial.log" 2>/dev/null || echo 0)
	if [ "$size" != "$last_size" ]; then
		last_size=$size last_change=$(date +%s)
	elif [ $(( $(date +%s) - last_change )) -ge "$stall_s" ]; then
		stalled="no console output for ${stall_s}s"
		xh_log "emulation stalled: $stalled; QEMU's vCPU state in $XH_OUT/stall.txt"
		xh_qemu_monitor "$XH_OUT/monitor.sock" "info status" "info cpus" \
			"info registers -a" "x/12i \$pc" "info irq" > "$XH_OUT/stall.txt" 2>&1
		sleep 2	# a second sample: looping, or stopped at one place?
		xh_qemu_monitor "$XH_OUT/monitor.sock" "info registers -a" \
			"x/12i \$pc" >> "$XH_OUT/stall.txt" 2>&1
		sed -n '/^[RE]IP=/p;/^CS /p;/^CR0=/p' "$XH_OUT/stall.txt" | head -6 | sed 's/^/    | /' >&2
		kill "$qpid" 2>/dev/null
		break
	fi
	if [ "$verbose" = 1 ]; then
		xh_serial_clean | grep -a -E '^XH-(BEGIN|INFO|DOM0)' | tail -n +$((seen_lines + 1)) | sed 's/^/  /' >&2
		seen_lines=$(xh_serial_clean | grep -a -c -E '^XH-(BEGIN|INFO|DOM0)')
	fi
done
wait $qpid
qrc=$?
report_new
echo "qemu $(( $(date +%s) - T_BOOT ))s rc=$qrc" >> "$XH_OUT/timings.txt"
# What dom0 installed with dpkg -i (dom0/lib.sh: xh_pkg_install; its
# dpkg -s output is out/dpkg-s.txt).
pkg=$(xh_serial_clean | grep -a -m1 '^XH-DOM0 package' | sed 's/^XH-DOM0 //')
if [ -n "$pkg" ]; then
	xh_log "dom0 $pkg"
	echo "dom0 $pkg" >> "$XH_OUT/timings.txt"
fi

# Logs dom0 saved on the payload disk (xl logs, guest consoles, xl dmesg).
debugfs -R "rdump /out $XH_OUT" "$XH_OUT/payload.ext4" > /dev/null 2>&1
rm -rf "$XH_OUT/payload.ext4" "$XH_OUT/payload" "$XH_OUT/guest-root"

why="Xen/dom0 stopped before this scenario ran"
[ $qrc = 124 ] && why="QEMU run hit the ${timeout_s}s limit before this scenario finished"
[ -n "$stalled" ] && why="emulation stalled ($stalled; vCPU state in $XH_OUT/stall.txt)"
grep -q 'XH-ALL-DONE' "$XH_OUT/serial.log" 2>/dev/null || {
	xh_log "QEMU ended rc=$qrc without XH-ALL-DONE; last console lines:"
	xh_serial_clean | tail -25 | sed 's/^/    | /' >&2
}
for s in $boot_scenarios; do
	[[ " $reported " == *" $s "* ]] && continue
	# Out of time before it began (emulator retries ate the budget): not
	# run, which is no verdict on the code. One that began and did not
	# finish fails: it may hang.
	if [ $qrc = 124 ] && ! xh_serial_clean | grep -a -q "^XH-BEGIN $s\$"; then
		result SKIP "$s" "not started within the QEMU run's ${timeout_s}s limit"
		continue
	fi
	result FAIL "$s" "$why (qemu rc=$qrc; $XH_OUT/serial.log)"
	xh_split_section "$s"
	[ -s "$XH_OUT/scenarios/$s/serial.log" ] && xh_print_tails "$s"
done

if [ $demo = 1 ]; then
	echo
	echo "Seed bug demo: live migration with writes in flight, source writes delayed ${XH_S1_DELAY_MS:-30000} ms"
	for fe in stock drain; do
		m=$(xh_serial_clean | grep -a "^XH-METRIC seed-bug-$fe " | tail -1)
		if [ -z "$m" ]; then
			printf '  %-22s no result (see above)\n' "$fe"
			continue
		fi
		printf '  %-22s stale blocks: %s of %s   drain-state=%s reissued=%s migrate=%ss\n' \
			"$([ $fe = stock ] && echo 'stock xen-blkfront' || echo 'xen-blkfront-drain')" \
			"$(xh_kv "$m" stale)" "$(xh_kv "$m" blocks)" "$(xh_kv "$m" drain_state)" \
			"$(xh_kv "$m" reissued)" "$(xh_kv "$m" migrate_s)"
	done
fi
echo "total $(( $(date +%s) - T_START ))s" >> "$XH_OUT/timings.txt"
xh_log "wall times: $(tr '\n' ';' < "$XH_OUT/timings.txt")"
exit $failed

}

main "$@"
exit $?
