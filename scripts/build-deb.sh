#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Builds the Debian packages (xen-handover, the dom0 tools, and
# xen-blkfront-drain-dkms) with dpkg-buildpackage -b -us -uc from a copy of
# the packaged files into a content-keyed cache. tests/pkg/t_deb_package.sh
# checks them; the end-to-end dom0 (tests/e2e/lib/payload.sh) installs
# xen-handover from here with dpkg -i.
#
#   scripts/build-deb.sh          build if needed; prints the cache dir
#   scripts/build-deb.sh --check  print the cache dir if built, else exit 1
#
# The packaged files are what debian/rules and the Makefile build from
# (Makefile Kbuild dkms.conf debian drivers include man tools) and the
# documents debian/*.docs ships: the tracked and the untracked-but-not-
# ignored ones (kbuild and build outputs stay out), or every file without
# git. The key covers each file's name, mode and content and the versions
# of the build tools; the result goes to
# ${XH_CACHE:-/var/cache/xen-handover}/pkg/<key>:
#   src/xen-handover/  the copy built from (BUILD=build/deb inside)
#   src/*.deb, src/*.changes  the packages
#   build.log          dpkg-buildpackage's output
#   .built             written last: the build is complete
# A completed build removes the other keys' directories. One build at a
# time: a second caller waits for the first and then finds its result.
# Exit status: 0 built (dir on stdout), 1 failed (reason on stderr, the
# log in build.log), 77 cannot build here (a build tool missing; reason on
# stderr) so a caller can SKIP with it.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
cache=${XH_CACHE:-/var/cache/xen-handover}/pkg
paths=(Makefile Kbuild dkms.conf debian drivers include man tools)
mapfile -t docs < <(cat debian/*.docs 2>/dev/null)
paths+=("${docs[@]}")

say() { echo "build-deb: $*" >&2; }

list_files() {
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -z -co --exclude-standard -- "${paths[@]}"
	else
		find "${paths[@]}" -type f -print0
	fi
}
mapfile -d '' files < <(list_files)
[ ${#files[@]} -gt 50 ] || { say "only ${#files[@]} files to package in $top"; exit 1; }
key=$( {
	for f in "${files[@]}"; do
		[ -e "$f" ] || continue	# deleted but still in the index
		printf '%s %s\n' "$(stat -c %a "$f")" "$f"
	done
	sha256sum -- "${files[@]}" 2>/dev/null
	dpkg-query -W debhelper dh-dkms lintian libxen-dev gcc 2>/dev/null
} | sha256sum | cut -c1-16)
out=$cache/$key
if [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi
[ "${1:-}" = "--check" ] && exit 1

for c in dpkg-buildpackage dh dh_dkms; do
	command -v "$c" >/dev/null ||
		{ say "$c not installed (scripts/install-deps.sh installs debhelper, dh-dkms)"; exit 77; }
done
mkdir -p "$cache" || { say "cannot create $cache"; exit 1; }
exec 9>"$cache/.lock"
flock -w 900 9 || { say "waited 900 s for another build in $cache"; exit 1; }
if [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi

say "building the packages (key $key)"
src=$out/src/xen-handover
rm -rf "$out"
mkdir -p "$src" || { say "cannot create $src"; exit 1; }
for f in "${files[@]}"; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar -c --null -T - | tar -x -C "$src" ||
	{ say "cannot copy the tree to $src"; exit 1; }
start=$(date +%s)
if ! (cd "$src" && timeout 600 dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	say "dpkg-buildpackage failed (log $out/build.log)"
	exit 1
fi
say "dpkg-buildpackage: $(($(date +%s) - start)) s"
touch "$out/.built"
for old in "$cache"/*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$out"
