#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Builds xapi-project's blktap (tapdisk, tap-ctl, cbt-util, vhd-util) from a
# pinned source tarball into a content-keyed cache, for the tests that run
# the tapdisk backend against real tapdisks (tests/tapdisk/).
#
#   scripts/build-blktap.sh          build if needed; prints the cache dir
#   scripts/build-blktap.sh --check  print the cache dir if built, else exit 1
#
# The project carries no blktap code. The tarball (a `git archive` of the
# pinned commit below) is taken from, first found:
#   $XH_BLKTAP_TARBALL
#   ../shared/third_party/blktap-<short>.tar.gz beside the project tree,
#   or beside the local tree it was cloned from (remote "origin")
#   $XH_CACHE/blktap-src/ (a copy kept by an earlier run of this script)
# and must carry the pinned commit id (git get-tar-commit-id). The result
# goes to ${XH_CACHE:-/var/cache/xen-handover}/blktap-<hash>, where <hash>
# covers the tarball and this script, so a changed recipe or tarball is a
# new build; an old directory is left alone. Inside:
#   inst/          make install prefix (sbin/tap-ctl, libexec/tapdisk, ...)
#   memlock-shim.so  LD_PRELOAD for tapdisk where mlockall/RLIMIT_MEMLOCK is
#                  denied (containers without CAP_SYS_RESOURCE)
#   build.log      the whole build's output
#   ok             written last: the build is complete
# Exit status: 0 built (dir on stdout), 1 failed (reason on stderr and in
# build.log), 77 cannot build here (missing tool or tarball; reason on
# stderr) so a caller can SKIP with it.
set -eu

BLKTAP_COMMIT=79774319a75a28c46fc094c373811170a5867784
short=${BLKTAP_COMMIT:0:7}
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${XH_CACHE:-/var/cache/xen-handover}
self=$top/scripts/build-blktap.sh

cannot() { echo "build-blktap: $*" >&2; exit 77; }

# A fresh clone of a local tree (git clone . /tmp/x) looks beside the tree
# it was cloned from too.
origin=$(git -C "$top" config --get remote.origin.url 2>/dev/null || true)
case "$origin" in
/*) origin=$origin/../shared/third_party/blktap-$short.tar.gz ;;
*) origin="" ;;
esac
tarball=""
for c in "${XH_BLKTAP_TARBALL:-}" \
	 "$top/../shared/third_party/blktap-$short.tar.gz" \
	 "$origin" \
	 "$cache/blktap-src/blktap-$short.tar.gz"; do
	if [ -n "$c" ] && [ -r "$c" ]; then
		tarball=$c
		break
	fi
done
[ -n "$tarball" ] || cannot "no blktap-$short.tar.gz (set XH_BLKTAP_TARBALL," \
	"or put it in ../shared/third_party/ or $cache/blktap-src/)"
command -v git >/dev/null || cannot "git not installed (checks the tarball's commit)"
id=$(zcat "$tarball" | git get-tar-commit-id 2>/dev/null || true)
[ "$id" = "$BLKTAP_COMMIT" ] ||
	cannot "$tarball is commit '${id:-none}', want $BLKTAP_COMMIT"

key=$(cat "$tarball" "$self" | sha256sum | cut -c1-16)
dir=$cache/blktap-$key
if [ -f "$dir/ok" ]; then
	echo "$dir"
	exit 0
fi
[ "${1:-}" = "--check" ] && exit 1

for t in autoreconf libtoolize make gcc pkg-config; do
	command -v $t >/dev/null ||
		cannot "$t not installed (scripts/install-deps.sh adds blktap's build packages)"
done
for h in uuid/uuid.h libaio.h xenctrl.h openssl/evp.h zlib.h cmocka.h; do
	echo "#include <stddef.h>
#include <stdarg.h>
#include <setjmp.h>
#include <$h>" | gcc -E -x c - >/dev/null 2>&1 ||
		cannot "header <$h> missing (scripts/install-deps.sh adds blktap's build packages)"
done

mkdir -p "$cache" || cannot "cannot create $cache"
# Keep a copy of the tarball in the cache: later runs need nothing else.
if [ "$tarball" != "$cache/blktap-src/blktap-$short.tar.gz" ]; then
	mkdir -p "$cache/blktap-src"
	cp "$tarball" "$cache/blktap-src/blktap-$short.tar.gz.tmp"
	mv "$cache/blktap-src/blktap-$short.tar.gz.tmp" \
	   "$cache/blktap-src/blktap-$short.tar.gz"
fi

# One builder at a time; a second caller waits for the first (bounded)
# and then finds the result.
exec 9>"$cache/blktap-$key.lock"
flock -w 1200 9 || { echo "build-blktap: waited 1200 s for another build of $dir" >&2; exit 1; }
if [ -f "$dir/ok" ]; then
	echo "$dir"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/src"
log=$dir/build.log
start=$(date +%s)
(
	set -ex
	tar xzf "$tarball" -C "$dir/src"
	cd "$dir/src/blktap-$short"
	# version.m4 includes VERSION, a git-ignored file a tarball lacks.
	echo "0.0.0+g$short" >VERSION
	./autogen.sh
	# -Wno-error: upstream adds -Werror and gcc 12 warns
	# (-Wstringop-truncation in include/util.h's safe_strncpy).
	./configure --prefix="$dir/inst" CFLAGS="-g -O2 -Wno-error"
	make -j"$(nproc)"
	# tapback/cpumond would install their units under /usr otherwise.
	make install SYSTEMD_SERVICE_DIR="$dir/inst/lib/systemd/system"
) >"$log" 2>&1 || {
	echo "build-blktap: build failed, see $log:" >&2
	tail -n 15 "$log" >&2
	exit 1
}

# tapdisk exits when it may not lock its memory (no CAP_SYS_RESOURCE and
# a finite RLIMIT_MEMLOCK). For tests only: pretend both calls worked.
cat >"$dir/memlock-shim.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/resource.h>

int setrlimit(__rlimit_resource_t what, const struct rlimit *lim)
{
	int (*next)(__rlimit_resource_t, const struct rlimit *) =
		(int (*)(__rlimit_resource_t, const struct rlimit *))
		dlsym(RTLD_NEXT, "setrlimit");
	int ret = next(what, lim);

	if (what == RLIMIT_MEMLOCK)
		return 0;
	return ret;
}

int mlockall(int flags)
{
	(void)flags;
	return 0;
}
EOF
gcc -O2 -shared -fPIC -o "$dir/memlock-shim.so" "$dir/memlock-shim.c" -ldl \
	>>"$log" 2>&1 || { echo "build-blktap: shim failed, see $log" >&2; exit 1; }

for b in sbin/tap-ctl libexec/tapdisk sbin/cbt-util; do
	[ -x "$dir/inst/$b" ] || { echo "build-blktap: $b not installed, see $log" >&2; exit 1; }
done
rm -rf "$dir/src"
echo "built in $(( $(date +%s) - start )) s" >>"$log"
touch "$dir/ok"
echo "$dir"
