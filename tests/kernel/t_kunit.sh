#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites of xen-blkfront-drain, run by kunit.py on x86_64 (qemu TCG)
# with Xen guest support built in, once per Debian linux-source installed
# (6.1; 6.12). Passes only if, on every kernel, every suite of the module
# ran and all cases passed. The minimal .kunitconfig (only what the suites
# need) builds cold in ~5 min per kernel on 2 cores (279 s measured for
# 6.1 with other tests running); the trees, build directories and ccache
# live in $XH_CACHE, outside the checkout, so a fresh clone on the same
# machine rebuilds only the module.
# With --build-only it only configures and builds the kernels (kunit.py
# build): tests/run-all.sh starts that at nice 19 right after its own
# build, so a cold cache builds them on the core the other areas leave
# idle; the run proper then waits for it on the cache's lock.
# xh-timeout: 2700
. "$(dirname "$0")/lib.sh"
mode=run
if [ "${1:-}" = --build-only ]; then
	mode=build
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--build-only]" >&2
	exit 2
fi

for t in python3 qemu-system-x86_64 gcc make flex bison bc flock; do
	command -v "$t" >/dev/null 2>&1 || xh_skip "$t not installed (scripts/install-deps.sh)"
done
tarballs=$(xh_linux_tarballs) || xh_skip "no /usr/src/linux-source-*.tar.xz (scripts/install-deps.sh)"
cache=$(xh_cache_dir) || xh_fail "no writable cache directory"
suites="xen_blkfront_drain_map xen_blkfront_drain_response xen_blkfront_drain_drain
	xen_blkfront_drain_resume xen_blkfront_drain_naming"

# One KUnit run at a time per cache.
exec 9>"$cache/.kunit.lock"
flock 9

# Hook a copy of the sources into the tree (a copy, not a symlink: build
# outputs in the working tree must never be picked up through VPATH). A
# changed file gets a new mtime, so make rebuilds its object.
xh_hook_sources() {	# SRC
	local src=$1 dst=$1/drivers/block/xen-blkfront-drain f

	[ -L "$dst" ] && rm -f "$dst"
	mkdir -p "$dst" "$src/include/xen-handover" || xh_fail "cannot write to $src"
	for f in "$dst"/* "$dst"/.kunitconfig; do
		[ -e "$f" ] || continue
		[ -e "$XH_MODDIR/$(basename "$f")" ] || rm -f "$f"
	done
	for f in "$XH_MODDIR"/*.[ch] "$XH_MODDIR"/Kbuild "$XH_MODDIR"/Kconfig "$XH_MODDIR"/.kunitconfig; do
		cmp -s "$f" "$dst/$(basename "$f")" || cp "$f" "$dst/" || xh_fail "copying $f"
	done
	for f in "$XH_TOP"/include/xen-handover/*.h; do
		cmp -s "$f" "$src/include/xen-handover/$(basename "$f")" ||
			cp "$f" "$src/include/xen-handover/" || xh_fail "copying $f"
	done
	grep -q 'xen-blkfront-drain/Kconfig' "$src/drivers/block/Kconfig" ||
		echo 'source "drivers/block/xen-blkfront-drain/Kconfig"' >>"$src/drivers/block/Kconfig"
	grep -q 'xen-blkfront-drain/' "$src/drivers/block/Makefile" ||
		echo 'obj-y += xen-blkfront-drain/' >>"$src/drivers/block/Makefile"
}

xh_ccache_cc
cc=$XH_CC
for t in $tarballs; do
	name=$(basename "$t" .tar.xz)
	sfx=$(xh_series_suffix "$t")
	src=$(xh_linux_src "$t") || xh_fail "cannot prepare a tree from $t"
	xh_hook_sources "$src"
	# One set of kunit.py options for the build and the run, so the run
	# finds the prebuilt kernel exactly as it was configured; the
	# series-specific overrides of .kunitconfig are in .kunitconfig.<series>.
	kargs=(--arch=x86_64 --jobs=2 --build_dir="$cache/kunit-x86$sfx"
	       --kunitconfig="$src/drivers/block/xen-blkfront-drain"
	       --make_options "CC=$cc")
	for o in $(grep -s '^CONFIG_' "$XH_MODDIR/.kunitconfig.${sfx#-}"); do
		kargs+=(--kconfig_add "$o")
	done
	start=$(date +%s)
	if [ $mode = build ]; then
		log=$cache/kunit-x86$sfx-build.log
		(cd "$src" && timeout "${XH_KUNIT_TIMEOUT:-3600}" \
			python3 tools/testing/kunit/kunit.py build "${kargs[@]}") >"$log" 2>&1 ||
			xh_fail "$name: kunit.py build failed (log $log)"
		echo "kunit build $name: $(( $(date +%s) - start )) s (log $log)"
		continue
	fi
	log=$cache/kunit-x86$sfx.log
	(cd "$src" && timeout "${XH_KUNIT_TIMEOUT:-3600}" \
		python3 tools/testing/kunit/kunit.py run "${kargs[@]}" --timeout=300) >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'Testing complete|Ran [0-9]+ tests' | tail -n 1)
	echo "kunit $name: ${summary:-no summary} (${secs} s, log $log)"
	if [ $rc -ne 0 ]; then
		sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'FAILED|ERROR|error:|CRASHED' | head -n 20
		xh_fail "$name: kunit.py exited with $rc: ${summary:-see $log}"
	fi
	for s in $suites; do
		sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -qE "\[PASSED\] $s( =+)?\$" ||
			xh_fail "$name: suite $s did not run or did not pass (see $log)"
	done
done
exit 0
