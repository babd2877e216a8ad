# SPDX-License-Identifier: GPL-2.0
# Helpers shared by tests/kernel/t_*.sh (sourced, not run).
#
# Every test runs once per Debian kernel series installed: the newest
# linux-headers-<X.Y>.*-amd64 for the module builds, linux-source-<X.Y> for
# KUnit and checkpatch (6.1 from bookworm, 6.12 from bookworm-backports or
# -security; scripts/install-deps.sh installs both).
#
# XH_CACHE (default /var/cache/xen-handover) holds an unpacked copy of each
# linux-source tarball, the KUnit build directories and a ccache directory.
# They only save time: a missing, stale or half-written copy is rebuilt.
# 6.1 keeps the names it had before 6.12 came (linux-source, kunit-x86);
# another series X.Y gets linux-source-X.Y and kunit-x86-X.Y.

XH_TOP=${XH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
XH_MODDIR=$XH_TOP/drivers/block/xen-blkfront-drain

xh_skip() { echo "SKIP: $*"; exit 77; }
xh_fail() { echo "FAIL: $*"; exit 1; }

# Cache directory, writable; falls back to a per-user directory under /tmp.
xh_cache_dir() {
	local c=${XH_CACHE:-/var/cache/xen-handover}

	if ! mkdir -p "$c" 2>/dev/null || [ ! -w "$c" ]; then
		c=${TMPDIR:-/tmp}/xen-handover-cache-$(id -u)
		mkdir -p "$c" || return 1
	fi
	echo "$c"
}

# Kernel build directories for out-of-tree builds, one a line: $KDIR alone
# if set, else the newest Debian linux-headers-*-amd64 of each series
# (the running kernel may not be Debian's).
xh_kdirs() {
	local d series seen=" "

	if [ -n "${KDIR:-}" ]; then
		[ -f "$KDIR/Makefile" ] && { echo "$KDIR"; return 0; }
		return 1
	fi
	for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -rV); do
		[ -f "$d/Makefile" ] || continue
		case "$d" in *-cloud-amd64 | *-rt-amd64) continue ;; esac
		series=$(xh_series "${d#/usr/src/linux-headers-}")
		case "$seen" in *" $series "*) continue ;; esac
		seen="$seen$series "
		echo "$d"
	done | sort -V | grep . || return 1
}

# 6.12.118+deb12-amd64 -> 6.12
xh_series() {
	echo "$1" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}

# The release a kernel build directory is for (UTS_RELEASE).
xh_krel() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h"
}

# Build the module into a private copy of the module sources, so that tests
# never write into the working tree. Extra make arguments are passed on.
# Prints the copy's directory; make output goes to $XH_BUILD_LOG.
xh_build_module() {
	local kdir=$1 out=$2
	shift 2

	rm -rf "$out"
	mkdir -p "$out/drivers/block" "$out/include" || return 1
	cp -a "$XH_MODDIR" "$out/drivers/block/" || return 1
	cp -a "$XH_TOP/include/xen-handover" "$out/include/" || return 1
	(cd "$out/drivers/block/xen-blkfront-drain" && rm -f ./*.o ./*.ko ./*.mod ./*.mod.c .*.cmd)
	printf 'obj-m += drivers/block/xen-blkfront-drain/\n' >"$out/Kbuild"
	make -C "$kdir" M="$out" -j2 "$@" modules >"$XH_BUILD_LOG" 2>&1
}

# The builds a checking test makes: skips without headers or TOOLS; for
# each kernel of xh_kdirs builds a private copy with MAKE_ARG (W=1, C=2,
# ...) and fails on any warning; then calls the test's own check,
# xh_check_more KDIR TREE, if it defines one. Prints one line per kernel.
# Not in a subshell: xh_skip/xh_fail end the test.
xh_checked_build() {	# xh_checked_build WHAT MAKE_ARG TOOL...
	local what=$1 arg=$2 kdirs kdir t out n=0
	shift 2

	kdirs=$(xh_kdirs) || xh_skip "no Debian linux-headers-*-amd64 (or \$KDIR) installed"
	for t in gcc make "$@"; do
		command -v "$t" >/dev/null 2>&1 || xh_skip "$t not installed"
	done
	XH_CHECK_OUT=$(mktemp -d "${TMPDIR:-/tmp}/xh-kmod.XXXXXX") || xh_fail "mktemp"
	# shellcheck disable=SC2064
	trap "rm -rf '$XH_CHECK_OUT'" EXIT
	for kdir in $kdirs; do
		n=$((n + 1))
		out=$XH_CHECK_OUT/$n
		export XH_BUILD_LOG=$out.log
		xh_build_module "$kdir" "$out/tree" "$arg" ||
			xh_fail "$what build for $(xh_krel "$kdir") failed: $(grep -m1 -E 'error|Error' "$XH_BUILD_LOG")"
		if grep -qE 'warning:|error:' "$XH_BUILD_LOG"; then
			xh_fail "$what for $(xh_krel "$kdir"): $(grep -m1 -E 'warning:|error:' "$XH_BUILD_LOG")"
		fi
		if declare -F xh_check_more >/dev/null; then
			xh_check_more "$kdir" "$out/tree"
		fi
		echo "$what: clean for $(xh_krel "$kdir")"
	done
}

# The linux-source tarballs installed, one a line, oldest series first.
xh_linux_tarballs() {
	ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | grep .
}

# Cache names of a tarball's series: 6.1 keeps the historical names.
xh_series_suffix() {	# xh_series_suffix TARBALL
	local v

	v=$(basename "$1" .tar.xz)
	v=${v#linux-source-}
	[ "$v" = 6.1 ] || echo "-$v"
}

# A prepared tree of TARBALL in the cache; prints its path.
# A stamp written after a complete unpack records which tarball it came
# from; without a matching stamp the tree is unpacked again.
xh_linux_src() {	# xh_linux_src TARBALL
	local tarball=$1 cache tree stamp want tmp

	[ -r "$tarball" ] || return 1
	cache=$(xh_cache_dir) || return 1
	tree=$cache/linux-source$(xh_series_suffix "$tarball")
	stamp=$tree.stamp
	want="$(stat -c '%s %Y' "$tarball") $tarball"
	exec 8>"$cache/.unpack.lock"
	flock 8
	if [ ! -f "$tree/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		rm -rf "$tree" "$stamp"
		tmp=$(mktemp -d "$cache/.unpack.XXXXXX") || { exec 8>&-; return 1; }
		if ! tar xf "$tarball" -C "$tmp"; then
			rm -rf "$tmp"
			exec 8>&-
			return 1
		fi
		mv "$tmp"/linux-source-* "$tree" && rmdir "$tmp" && echo "$want" >"$stamp"
	fi
	exec 8>&-
	[ -f "$tree/Makefile" ] && echo "$tree"
}

# ccache for kernel builds when available, its cache in $XH_CACHE/ccache
# (only an accelerator): sets XH_CC and exports CCACHE_DIR. A function, not
# $(...): an export made in a command substitution is lost with it (the
# cache went to ~/.cache/ccache).
xh_ccache_cc() {
	local cache

	XH_CC=gcc
	command -v ccache >/dev/null 2>&1 || return 0
	cache=$(xh_cache_dir) || return 0
	export CCACHE_DIR=$cache/ccache
	XH_CC="ccache gcc"
}
