#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# xh-timeout: 900
#
# The dom0 tools against Xen 4.20 (Debian 13), without touching the host's
# Xen or apt sources: Debian 13's libxen-dev and the libraries it needs are
# fetched with a private apt configuration and unpacked into a scratch root
# under $XH_CACHE/xen420; the tools and the daemon's unit tests are then
# built from Xen 4.20's headers and pkg-config files (PKG_CONFIG_SYSROOT_DIR)
# and linked against its libraries, and the tests that need no hypervisor
# run linked against them.
#
# Debian 13's libxenstore needs glibc 2.38 (bookworm has 2.36), so the
# scratch root also holds Debian 13's libc6: the programs link against it
# and run under its dynamic loader, with the scratch root's libraries first.
#
# Cold: one apt index (~10 MB) and ~6 MB of packages, then a build of the
# tools in build/xen420. Warm: no network, make finds nothing to do.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
cache=${XH_CACHE:-/var/cache/xen-handover}/xen420
build=build/xen420
mirror=${XH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
pkgs=(libxen-dev libxenmisc4.20 libxencall1 libxendevicemodel1
      libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenstore4
      libxentoolcore1 libxentoollog1 libxenhypfs1 libc6)
triplet=x86_64-linux-gnu

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# The scratch root, keyed by the package list and the mirror: a change of
# either refetches; otherwise no network at all.
key=$(printf '%s\n' "$mirror" "${pkgs[@]}" | sha256sum | cut -c1-16)
root=$cache/root-$key
if [ ! -f "$root/.complete" ]; then
	command -v apt-get >/dev/null || skip "no apt-get on this host"
	mkdir -p "$cache" || fail "cannot create $cache"
	apt=$cache/apt
	rm -rf "$apt" "$root" "$root.tmp"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" \
		"$apt/debs" "$root.tmp"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
		"$mirror trixie main" >"$apt/sources.list"
	# Private sources, lists, package cache and an empty dpkg status:
	# nothing of the host's apt state is read or written.
	aptopts=(-o Dir::Etc::sourcelist="$apt/sources.list"
		 -o Dir::Etc::sourceparts=/dev/null
		 -o Dir::State::Lists="$apt/lists"
		 -o Dir::Cache="$apt/cache"
		 -o Dir::State::status=/dev/null
		 -o Debug::NoLocking=1
		 -o APT::Sandbox::User=root
		 -o Acquire::Retries=2 -o Acquire::http::Timeout=20)
	echo "fetching Debian 13's index from $mirror (bounded: 180 s)"
	if ! timeout 180 apt-get -q "${aptopts[@]}" update >"$apt/update.log" 2>&1 ||
	   grep -qE '^(E|W): (Failed|Some index)' "$apt/update.log"; then
		sed 's/^/  | /' "$apt/update.log" | tail -n 5
		skip "Debian mirror $mirror unreachable (apt-get update for trixie failed)"
	fi
	echo "downloading ${pkgs[*]} (bounded: 300 s)"
	(cd "$apt/debs" && timeout 300 apt-get -q "${aptopts[@]}" download \
		"${pkgs[@]}") >"$apt/download.log" 2>&1 || {
		sed 's/^/  | /' "$apt/download.log" | tail -n 5
		skip "downloading Debian 13's Xen packages from $mirror failed"
	}
	for deb in "$apt/debs"/*.deb; do
		dpkg-deb -x "$deb" "$root.tmp" || fail "dpkg-deb -x $deb"
	done
	ls "$apt/debs" >"$root.tmp/.packages"
	rm -rf "$apt/lists" "$apt/cache"	# the index is not needed again
	touch "$root.tmp/.complete"
	mv "$root.tmp" "$root" || fail "cannot move the scratch root in place"
	# Older roots (another key) are no longer used.
	for old in "$cache"/root-*; do
		[ "$old" = "$root" ] || rm -rf "$old"
	done
fi
echo "scratch root $root:"
sed 's/^/  /' "$root/.packages"

lib=$root/usr/lib/$triplet
[ -f "$lib/pkgconfig/xencontrol.pc" ] || fail "no xencontrol.pc in $lib"
xen_ver=$(PKG_CONFIG_LIBDIR=$lib/pkgconfig pkg-config --modversion xencontrol)
case $xen_ver in 4.20*) ;; *) fail "scratch root has Xen $xen_ver, not 4.20" ;; esac

# The headers really are 4.20's: xc_domain_getinfo() is gone from them, so
# a call to it must not compile (4.17's headers, which the host has,
# accept it). Guards against silently building with the host's headers.
probe=$cache/probe.c
printf '%s\n' '#include <xenctrl.h>' \
	'int p(xc_interface *x, xc_dominfo_t *i);' \
	'int p(xc_interface *x, xc_dominfo_t *i) { return xc_domain_getinfo(x, 0, 1, i); }' \
	>"$probe"
if gcc -D_GNU_SOURCE -I"$root/usr/include" -fsyntax-only -Werror \
	"$probe" 2>/dev/null; then
	fail "xc_domain_getinfo still compiles with $root/usr/include"
fi

# Link against Debian 13's libc (libxenstore.so.4 there needs
# GLIBC_2.38): a libc.so script naming its libc.so.6 and loader, with the
# host's libc_nonshared.a (the compiler and headers stay bookworm's; glibc
# runs older programs).
linkdir=$cache/link-$key
mkdir -p "$linkdir"
cat >"$linkdir/libc.so" <<EOS
GROUP ( $root/lib/$triplet/libc.so.6 /usr/lib/$triplet/libc_nonshared.a AS_NEEDED ( $root/lib64/ld-linux-x86-64.so.2 ) )
EOS
[ -f "$root/lib/$triplet/libc.so.6" ] || [ -f "$root/usr/lib/$triplet/libc.so.6" ] ||
	fail "no libc.so.6 in the scratch root"
[ -e "$root/lib/$triplet/libc.so.6" ] ||
	sed -i "s|$root/lib/|$root/usr/lib/|; s|$root/lib64/|$root/usr/lib64/|" \
		"$linkdir/libc.so"

targets=("$build/tapdisk-activate" "$build/tapdisk-activated"
	 "$build/tests/daemon/t_daemon_units" "$build/tests/daemon/t_xskeys_parse")
echo "building against Xen $xen_ver: ${targets[*]}"
PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$lib/pkgconfig \
LDFLAGS="-L$linkdir -Wl,-rpath-link,$lib" \
	make -j2 BUILD="$build" "${targets[@]}" >"$cache/build.log" 2>&1 || {
	tail -n 30 "$cache/build.log"
	fail "build against Xen 4.20 failed (log $cache/build.log)"
}

# The daemon and the compat seam were compiled with 4.20's xenctrl.h and
# linked with its libxenctrl.
dep=$build/tools/tapdisk-activate/daemon/xsd_xen_compat.d
grep -q "$root/usr/include/xenctrl.h" "$dep" ||
	fail "$dep does not name $root/usr/include/xenctrl.h"
readelf -d "$build/tapdisk-activated" | grep -q 'NEEDED.*libxenctrl\.so\.4\.20' ||
	fail "tapdisk-activated does not need libxenctrl.so.4.20"

# Run under Debian 13's loader with the scratch root's libraries first;
# LD_BIND_NOW resolves every symbol (xc_domain_getinfolist among them) at
# start, so a missing one fails here rather than on a real dom0.
loader=$root/lib64/ld-linux-x86-64.so.2
[ -e "$loader" ] || loader=$root/usr/lib64/ld-linux-x86-64.so.2
libpath=$root/lib/$triplet:$lib:/lib/$triplet:/usr/lib/$triplet
run420() { LD_BIND_NOW=1 "$loader" --library-path "$libpath" "$@"; }

out=$(run420 "$build/tapdisk-activated" --help 2>&1) ||
	fail "tapdisk-activated --help under Xen 4.20's libraries: $out"
maps=$(LD_BIND_NOW=1 LD_TRACE_LOADED_OBJECTS=1 "$loader" --library-path "$libpath" \
	"$build/tapdisk-activated")
grep -q "libxenctrl.so.4.20 => $lib/" <<<"$maps" ||
	fail "libxenctrl.so.4.20 not loaded from the scratch root: $maps"
grep -q "libxenstore.so.4 => $lib/" <<<"$maps" ||
	fail "libxenstore.so.4 not loaded from the scratch root: $maps"
run420 "$build/tapdisk-activate" --version || fail "tapdisk-activate --version"
for t in t_daemon_units t_xskeys_parse; do
	run420 "$build/tests/daemon/$t" || fail "daemon/$t against Xen 4.20"
	echo "ok daemon/$t against Xen $xen_ver libraries"
done
echo "PASS: dom0 tools built and the daemon's unit tests run against Xen $xen_ver"
