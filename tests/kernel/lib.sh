# SPDX-License-Identifier: GPL-2.0
# Helpers shared by tests/kernel/t_*.sh (sourced, not run).
#
# XH_CACHE (default /var/cache/xen-handover) holds an unpacked copy of
# Debian's linux-source-6.1 tarball and a ccache directory. Both only save
# time: a missing, stale or half-written cache is rebuilt from the tarball.

XH_TOP=${XH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
XH_MODDIR=$XH_TOP/drivers/block/xen-blkfront-drain
XH_LINUX_TARBALL=${XH_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}

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

# Kernel build directory for out-of-tree builds: $KDIR, else the newest
# Debian linux-headers-*-amd64 (the running kernel may not be Debian's).
xh_kdir() {
	local d

	if [ -n "${KDIR:-}" ]; then
		[ -f "$KDIR/Makefile" ] && { echo "$KDIR"; return 0; }
		return 1
	fi
	d=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -f "$d/Makefile" ] || return 1
	echo "$d"
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

# The build a checking test makes: skips without headers or TOOLS, builds a
# private copy with MAKE_ARG (W=1, C=2, ...) into $XH_CHECK_OUT/tree and
# fails on any warning. Not in a subshell: xh_skip/xh_fail end the test.
xh_checked_build() {	# xh_checked_build WHAT MAKE_ARG TOOL...
	local what=$1 arg=$2 kdir t
	shift 2

	kdir=$(xh_kdir) || xh_skip "no Debian linux-headers-*-amd64 (or \$KDIR) installed"
	for t in gcc make "$@"; do
		command -v "$t" >/dev/null 2>&1 || xh_skip "$t not installed"
	done
	XH_CHECK_KDIR=$kdir
	XH_CHECK_OUT=$(mktemp -d "${TMPDIR:-/tmp}/xh-kmod.XXXXXX") || xh_fail "mktemp"
	# shellcheck disable=SC2064
	trap "rm -rf '$XH_CHECK_OUT'" EXIT
	export XH_BUILD_LOG=$XH_CHECK_OUT/build.log
	xh_build_module "$kdir" "$XH_CHECK_OUT/tree" "$arg" ||
		xh_fail "$what build failed: $(grep -m1 -E 'error|Error' "$XH_BUILD_LOG")"
	if grep -qE 'warning:|error:' "$XH_BUILD_LOG"; then
		xh_fail "$what: $(grep -m1 -E 'warning:|error:' "$XH_BUILD_LOG")"
	fi
}

# A prepared linux-source-6.1 tree in the cache; prints its path.
# A stamp written after a complete unpack records which tarball it came
# from; without a matching stamp the tree is unpacked again.
xh_linux_src() {
	local cache tree stamp want tmp

	[ -r "$XH_LINUX_TARBALL" ] || return 1
	cache=$(xh_cache_dir) || return 1
	tree=$cache/linux-source
	stamp=$cache/linux-source.stamp
	want="$(stat -c '%s %Y' "$XH_LINUX_TARBALL") $XH_LINUX_TARBALL"
	exec 8>"$cache/.unpack.lock"
	flock 8
	if [ ! -f "$tree/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		rm -rf "$tree" "$stamp"
		tmp=$(mktemp -d "$cache/.unpack.XXXXXX") || { exec 8>&-; return 1; }
		if ! tar xf "$XH_LINUX_TARBALL" -C "$tmp"; then
			rm -rf "$tmp"
			exec 8>&-
			return 1
		fi
		mv "$tmp"/linux-source-* "$tree" && rmdir "$tmp" && echo "$want" >"$stamp"
	fi
	exec 8>&-
	[ -f "$tree/Makefile" ] && echo "$tree"
}

# ccache for kernel builds when available; the cache is only an accelerator.
xh_ccache_cc() {
	local cache

	command -v ccache >/dev/null 2>&1 || { echo gcc; return 0; }
	cache=$(xh_cache_dir) || { echo gcc; return 0; }
	export CCACHE_DIR=$cache/ccache
	echo "ccache gcc"
}
