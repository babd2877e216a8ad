#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# xh-timeout: 900
#
# The Debian packages and make install/uninstall:
#  - dpkg-buildpackage -b -us -uc builds xen-handover (dom0 tools) and
#    xen-blkfront-drain-dkms from a copy of the tree's packaged files, and
#    lintian reports no error;
#  - the packages unpacked into a scratch root hold what they should; the
#    tapdisk-activate there runs (--version prints the package's version)
#    and man -l renders every manual page there;
#  - the guest module builds from the DKMS package's source tree against
#    the newest Debian kernel headers installed;
#  - make install DESTDIR= installs what the package holds (PREFIX=/usr), the
#    paths the unit and the hotplug script name exist after install for
#    PREFIX=/usr and /usr/local, and make uninstall removes every file.
# scripts/build-deb.sh builds the packages into $XH_CACHE/pkg/<hash of the
# packaged files> (the end-to-end dom0 installs xen-handover from there);
# the lintian and module results are cached beside them: a warm run only
# unpacks and checks.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
# The scratch root and install dirs live outside build/: they hold
# directories named *.d (etc/modprobe.d), and the Makefile includes every
# *.d file under build/.
work=$(mktemp -d "${TMPDIR:-/tmp}/xh-pkg-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
for c in dpkg-buildpackage dh dh_dkms lintian man; do
	command -v "$c" >/dev/null ||
		skip "$c not installed (scripts/install-deps.sh installs debhelper, dh-dkms, lintian)"
done

# The build itself: scripts/build-deb.sh (its cache, keyed by the packaged
# files, is shared with the end-to-end dom0, which installs xen-handover).
out=$("$top/scripts/build-deb.sh" 2>"$work/build-deb.log")
rc=$?
cat "$work/build-deb.log"
case $rc in
0) ;;
77) skip "$(tail -n 1 "$work/build-deb.log")" ;;
*) fail "scripts/build-deb.sh: $(tail -n 1 "$work/build-deb.log")" ;;
esac
src=$out/src/xen-handover

if [ ! -f "$out/.complete" ]; then
	(cd "$out/src" && timeout 300 lintian --fail-on error --info \
		xen-handover_*.changes) >"$out/lintian.log" 2>&1
	lrc=$?
	cat "$out/lintian.log"
	[ $lrc -eq 0 ] || fail "lintian reported errors (exit $lrc)"
	# The DKMS source tree builds into the module, as dkms would build it,
	# against Debian 12's default kernel (the headers linux-headers-amd64
	# pulls in); other installed header sets are tried and reported.
	deflt=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ,]*-amd64\).*/\1/p')
	: >"$out/module.result"
	for kdir in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V); do
		[ -f "$kdir/Makefile" ] || continue
		kver=${kdir#/usr/src/linux-headers-}
		mod=$out/dkms-build
		rm -rf "$mod"
		mkdir -p "$mod"
		dpkg-deb -x "$out"/src/xen-blkfront-drain-dkms_*_all.deb "$mod" ||
			fail "dpkg-deb -x of the dkms package"
		msrc=$(echo "$mod"/usr/src/xen-blkfront-drain-*)
		if timeout 300 make -C "$kdir" M="$msrc" modules \
			>"$out/module-$kver.log" 2>&1 &&
		   [ -n "$(find "$msrc" -name xen-blkfront-drain.ko)" ]; then
			echo "ok module from the DKMS source builds for $kver" \
				>>"$out/module.result"
		elif [ "$kver" = "$deflt" ]; then
			tail -n 20 "$out/module-$kver.log"
			fail "the DKMS source does not build for Debian 12's kernel $kver"
		else
			echo "note: the DKMS source does not build for $kver" \
			     "(not Debian 12's default kernel; log $out/module-$kver.log)" \
				>>"$out/module.result"
		fi
		rm -rf "$mod"
	done
	[ -n "$deflt" ] && grep -q "builds for $deflt" "$out/module.result" ||
		echo "module from the DKMS source: not built (no headers of" \
		     "Debian 12's default kernel; install-deps.sh installs them)" \
			>>"$out/module.result"
	touch "$out/.complete"
else
	echo "lintian and module results are cached in $out"
	grep -E '^[EW]:' "$out/lintian.log"
fi
cat "$out/module.result"

deb=$(echo "$out"/src/xen-handover_*_amd64.deb)
dkms=$(echo "$out"/src/xen-blkfront-drain-dkms_*_all.deb)
[ -f "$deb" ] && [ -f "$dkms" ] || fail "packages missing in $out/src"
version=$(dpkg-deb -f "$deb" Version)

# Unpack both into a scratch root.
root=$work/root
mkdir -p "$root"
dpkg -x "$deb" "$root" && dpkg -x "$dkms" "$root" || fail "dpkg -x"
for f in usr/sbin/tapdisk-activate usr/sbin/tapdisk-activated \
	 etc/xen/scripts/block-handover; do
	[ -x "$root/$f" ] || fail "$f missing or not executable in the package"
done
for f in lib/systemd/system/tapdisk-activated.service \
	 etc/modprobe.d/xen-blkfront-drain.conf \
	 usr/share/doc/xen-handover/examples/tapdisk-activated.conf \
	 usr/share/doc/xen-handover/examples/block-handover.conf \
	 usr/share/doc/xen-handover/examples/vdi/EXAMPLE.conf; do
	[ -f "$root/$f" ] || fail "$f missing in the packages"
done
dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
# One release number: the package, the tools and the module.
[ "$dkver" = "$version" ] ||
	fail "dkms.conf says version $dkver, debian/changelog $version"
for f in dkms.conf Kbuild drivers/block/xen-blkfront-drain/Kbuild \
	 include/xen-handover/xenstore-keys.h; do
	[ -f "$root/usr/src/xen-blkfront-drain-$dkver/$f" ] ||
		fail "usr/src/xen-blkfront-drain-$dkver/$f missing in the dkms package"
done
if find "$root/usr/src" -name '*.o' -o -name '*.ko' -o -name '*.mod.c' | grep -q .; then
	fail "kbuild outputs in the dkms package"
fi

# The packaged tool runs and is the packaged version.
v=$("$root/usr/sbin/tapdisk-activate" --version) || fail "tapdisk-activate --version"
[ "$v" = "tapdisk-activate $version" ] ||
	fail "tapdisk-activate --version says '$v', the package is $version"
echo "ok $v from the package"

# Every manual page renders from the package.
n=0
for page in "$root"/usr/share/man/man8/*.8.gz; do
	name=$(basename "$page" .8.gz)
	text=$(MANWIDTH=80 man -l "$page" 2>"$work/man.err") ||
		fail "man -l $page: $(cat "$work/man.err")"
	[ ! -s "$work/man.err" ] || fail "man -l $page warns: $(cat "$work/man.err")"
	grep -q '^NAME' <<<"$text" && grep -q "$name" <<<"$text" ||
		fail "man -l $page has no NAME section naming $name"
	n=$((n + 1))
done
want=$(ls man/*.8 | wc -l)
[ "$n" -eq "$want" ] || fail "$n manual pages packaged, man/ has $want"
echo "ok man -l renders the $n packaged manual pages"

# make install: the same files as the package (PREFIX=/usr; the package
# adds its docs and compresses the manual pages), then make uninstall
# leaves no file behind. The build dir of the package build is reused, so
# nothing is compiled.
mk() { make -s -C "$src" BUILD=build/deb "$@"; }
pkg_files() {
	(cd "$root" && find . ! -type d | sed 's|^\./||; s|\.gz$||' |
		grep -v '^usr/share/doc/xen-handover/\(README\|changelog\|copyright\|design\|operator-guide\)' |
		grep -v '^usr/share/doc/xen-blkfront-drain-dkms/' |
		grep -v '^usr/src/\|^usr/share/lintian/' | sort)
}
for prefix in /usr /usr/local; do
	dest=$work/destdir${prefix//\//-}
	mk install DESTDIR="$dest" PREFIX="$prefix" >"$work/install.log" 2>&1 ||
		{ cat "$work/install.log"; fail "make install PREFIX=$prefix"; }
	inst=$(cd "$dest" && find . ! -type d | sed 's|^\./||' | sort)
	[ -n "$inst" ] || fail "make install PREFIX=$prefix installed nothing"
	if [ "$prefix" = /usr ]; then
		diff <(pkg_files) <(echo "$inst") >"$work/diff" ||
			{ cat "$work/diff"; fail "make install and the package differ (< package, > make install)"; }
		echo "ok make install DESTDIR= PREFIX=/usr installs what the package holds ($(wc -l <<<"$inst") files)"
	fi
	# The programs the unit and the hotplug script name are installed.
	for f in etc/xen/scripts/block-handover lib/systemd/system/tapdisk-activated.service; do
		for p in $(grep -o '/[a-z/]*sbin/tapdisk-activated\?\b' "$dest/$f" | sort -u); do
			[ -x "$dest$p" ] || fail "$f names $p, not installed with PREFIX=$prefix"
		done
	done
	mk uninstall DESTDIR="$dest" PREFIX="$prefix" >"$work/uninstall.log" 2>&1 ||
		{ cat "$work/uninstall.log"; fail "make uninstall PREFIX=$prefix"; }
	left=$(cd "$dest" && find . ! -type d)
	[ -z "$left" ] || fail "make uninstall PREFIX=$prefix left: $left"
	echo "ok make install/uninstall PREFIX=$prefix: nothing left after uninstall (dirs: $(cd "$dest" && find . -mindepth 1 -type d | wc -l), shared)"
done

echo "PASS: packages $version build, pass lintian, install and uninstall"
