#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The upstream patch series in patches/linux/ (Documentation/upstream.rst):
#
#  - every patch applies, in order, to the files of a pristine
#    linux-source-6.12 (the cached unpacked tarball, never written to);
#  - after each patch the C files the series touches build against
#    Debian's 6.12 headers with W=1 and not a single warning:
#    drivers/block/xen-blkfront.c as the module xen-blkfront.ko, built-in
#    files (drivers/xen/xenbus/xenbus_probe.c) as a single object; headers
#    the series changes shadow the installed ones (NOSTDINC_FLAGS);
#  - checkpatch.pl --strict of that tree finds nothing in any patch;
#  - the final xen-blkfront.ko is the 6.12 module and has the drain
#    (drain_timeout_ms parameter, the xenstore key names).
#
# The verdict and the final module are cached under
# ${XH_CACHE:-/var/cache/xen-handover}/upstream-6.12/<key>, the key being a
# hash of the patches, this script, the tarball and the headers' release:
# a warm run only hashes and prints; the last line names the module (the
# e2e seed-bug-upstream scenario loads it). XH_UPSTREAM_PATCHES=DIR checks another
# series (e.g. to see this test fail on a broken one).
. "$(dirname "$0")/lib.sh"
set -u

series=6.12
tarball=/usr/src/linux-source-$series.tar.xz
pdir=${XH_UPSTREAM_PATCHES:-$XH_TOP/patches/linux}

[ -r "$tarball" ] ||
	xh_skip "$tarball missing (apt-get install -t bookworm-backports linux-source-$series)"
kdir=
for d in $(ls -d /usr/src/linux-headers-"$series".*-amd64 2>/dev/null | sort -rV); do
	case "$d" in *-cloud-amd64 | *-rt-amd64) continue ;; esac
	[ -f "$d/Makefile" ] && { kdir=$d; break; }
done
[ -n "$kdir" ] || xh_skip "no linux-headers-$series.*-amd64 installed (scripts/install-deps.sh)"
for t in gcc make perl patch modinfo sha256sum; do
	command -v "$t" >/dev/null 2>&1 || xh_skip "$t not installed"
done
patches=$(ls "$pdir"/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-') ||
	xh_fail "no patches in $pdir"
krel=$(xh_krel "$kdir")

cache=$(xh_cache_dir) || xh_fail "no cache directory"
key=$( { cat $patches "$0"; stat -c '%s %Y' "$tarball"; echo "$krel"; } |
	sha256sum | cut -c1-16)
res=$cache/upstream-$series/$key
if [ -f "$res/ok" ]; then
	cat "$res/result.txt"
	echo "(cached verdict $res)"
	echo "module: $res/xen-blkfront.ko"
	exit 0
fi

src=$(xh_linux_src "$tarball") || xh_fail "cannot unpack $tarball into the cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/xh-upstream.XXXXXX") || xh_fail "mktemp"
# shellcheck disable=SC2064
trap "rm -rf '$work'" EXIT
tree=$work/tree
log=$work/build.log
out=$work/result.txt

# The files the series touches, copied from the pristine tree, with the
# headers next to each C file (local includes such as "xenbus.h").
files=$(sed -n 's|^diff --git a/\([^ ]*\) b/.*|\1|p' $patches | sort -u)
[ -n "$files" ] || xh_fail "the patches change no file"
for f in $files; do
	mkdir -p "$tree/$(dirname "$f")"
	if [ -f "$src/$f" ]; then
		cp "$src/$f" "$tree/$f"
	fi
	case "$f" in
	*.c) for h in "$src/$(dirname "$f")"/*.h; do
		[ -f "$h" ] && [ ! -f "$tree/$(dirname "$f")/$(basename "$h")" ] &&
			cp "$h" "$tree/$(dirname "$f")/"
	     done ;;
	esac
done
mkdir -p "$tree/include"

# Build every touched C file as it is now; fail on any warning.
build_all() {	# PATCH-NAME
	local f d name
	for f in $files; do
		case "$f" in *.c) ;; *) continue ;; esac
		[ -f "$tree/$f" ] || continue
		d=$tree/$(dirname "$f")
		name=$(basename "$f" .c)
		rm -f "$d"/*.o "$d"/*.ko
		if [ "$f" = drivers/block/xen-blkfront.c ]; then
			printf 'NOSTDINC_FLAGS += -I%s\nobj-m := %s.o\n' "$tree/include" "$name" >"$d/Kbuild"
			make -C "$kdir" M="$d" W=1 -j2 modules >"$log" 2>&1 ||
				xh_fail "$1: $f does not build: $(grep -m1 -E 'error' "$log")"
			[ -f "$d/$name.ko" ] || xh_fail "$1: no $name.ko"
		else
			printf 'NOSTDINC_FLAGS += -I%s\nobj-y := %s.o\n' "$tree/include" "$name" >"$d/Kbuild"
			make -C "$kdir" M="$d" W=1 "$name.o" >"$log" 2>&1 ||
				xh_fail "$1: $f does not build: $(grep -m1 -E 'error' "$log")"
		fi
		if grep -qE 'warning:|error:' "$log"; then
			xh_fail "$1: $f with W=1: $(grep -m1 -E 'warning:|error:' "$log")"
		fi
	done
}

n=0
for p in $patches; do
	n=$((n + 1))
	name=$(basename "$p")
	(cd "$tree" && patch -p1 -s --no-backup-if-mismatch -F0 <"$p") >"$log" 2>&1 ||
		xh_fail "$name does not apply to linux-source-$series: $(head -3 "$log" | tr '\n' ' ')"
	build_all "$name"
	# checkpatch from the source tree, which it needs for its own data.
	cp_out=$(cd "$src" && perl scripts/checkpatch.pl --strict --terse --no-summary --show-types "$p" 2>&1)
	[ -z "$cp_out" ] || xh_fail "checkpatch --strict on $name: $(echo "$cp_out" | head -3)"
	echo "$name: applies, builds W=1 clean against $krel, checkpatch --strict clean" >>"$out"
done

ko=$tree/drivers/block/xen-blkfront.ko
[ -f "$ko" ] || xh_fail "no xen-blkfront.ko after the series"
modinfo -F vermagic "$ko" | grep -q "^$krel " || xh_fail "xen-blkfront.ko: vermagic is not $krel"
modinfo -F parm "$ko" | grep -q '^drain_timeout_ms:' || xh_fail "xen-blkfront.ko: no drain_timeout_ms parameter"
for k in feature-drain drain-state drain-inflight drain-usecs; do
	grep -qa -- "$k" "$ko" || xh_fail "xen-blkfront.ko does not name the xenstore key $k"
done
echo "series of $n patches: patched xen-blkfront.ko for $krel with drain_timeout_ms and the drain keys" >>"$out"

mkdir -p "$res.tmp" && cp "$out" "$ko" "$res.tmp/" && rm -rf "$res" &&
	mv "$res.tmp" "$res" && touch "$res/ok"
# Keep the three newest verdicts.
ls -dt "$cache/upstream-$series"/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
cat "$out"
echo "module: $res/xen-blkfront.ko"
exit 0
