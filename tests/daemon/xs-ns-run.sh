#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Runs a command next to a real oxenstored (Debian xen-utils) on a machine
# without Xen: private mount namespace with its own tmpfs on /run (so the
# hard-coded /run/xenstored/socket never touches the host), and the
# project's LD_PRELOAD shim (tests/daemon/xs_shim.c) for the hypervisor
# handles oxenstored opens at start.
#
#   tests/daemon/xs-ns-run.sh WORKDIR COMMAND [ARGS...]
#
# Exit status: the command's, or 77 (with a "skip: reason" line) when
# oxenstored cannot be started here. Inside, XH_XS_WORKDIR is WORKDIR and
# XH_XS_PID the daemon's pid; oxenstored's logs are in WORKDIR/xs/.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${XH_BUILD:-$top/build}
oxenstored=${XH_OXENSTORED:-$(ls /usr/lib/xen-*/bin/oxenstored 2>/dev/null | sort -V | tail -n 1)}

skip() { echo "skip: $*" >&2; exit 77; }

[ $# -ge 2 ] || { echo "usage: $0 WORKDIR COMMAND [ARGS...]" >&2; exit 2; }
work=$(mkdir -p "$1" && cd "$1" && pwd)
shift

[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
[ -n "$oxenstored" ] && [ -x "$oxenstored" ] ||
	skip "oxenstored not installed (Debian package xenstore-utils/xen-utils)"
command -v unshare >/dev/null || skip "unshare(1) missing"

shim=$build/tests/daemon/xs_shim.so
src=$top/tests/daemon/xs_shim.c
if [ ! -e "$shim" ] || [ "$src" -nt "$shim" ]; then
	mkdir -p "$(dirname "$shim")"
	# Two tests may get here at once (run-all.sh's side lane): each
	# builds its own file and renames it into place whole.
	${CC:-gcc} -O2 -Wall -Wextra -Werror -shared -fPIC -o "$shim.tmp.$$" \
		"$src" -ldl || skip "cannot build the oxenstored shim"
	mv -f "$shim.tmp.$$" "$shim"
fi

mkdir -p "$work/xs"
cat >"$work/xs/oxenstored.conf" <<CONF
pid-file = $work/xs/oxenstored.pid
persistent = false
access-log-file = $work/xs/access.log
xenstored-log-file = $work/xs/xenstored.log
xenstored-kva = /nonexistent/xsd_kva
xenstored-port = /nonexistent/xsd_port
quota-maxentity = 100000
quota-maxsize = 4096
CONF

# shellcheck disable=SC2016
exec unshare -m --propagation private bash -c '
	work=$1 shim=$2 oxenstored=$3
	shift 3
	mount -t tmpfs -o size=16m,mode=0755 xh-run /run ||
		{ echo "skip: cannot mount a private /run" >&2; exit 77; }
	mkdir -p /run/xenstored
	LD_PRELOAD=$shim "$oxenstored" --config-file "$work/xs/oxenstored.conf" \
		--no-domain-init --no-fork >"$work/xs/oxenstored.out" 2>&1 &
	xs_pid=$!
	for _ in $(seq 250); do
		[ -S /run/xenstored/socket ] && break
		kill -0 $xs_pid 2>/dev/null || break
		sleep 0.02
	done
	if [ ! -S /run/xenstored/socket ]; then
		echo "skip: oxenstored did not start: $(tail -n 3 "$work/xs/oxenstored.out" | tr "\n" " ")" >&2
		kill $xs_pid 2>/dev/null
		exit 77
	fi
	export XH_XS_WORKDIR=$work XH_XS_PID=$xs_pid
	"$@"
	rc=$?
	kill $xs_pid 2>/dev/null
	wait $xs_pid 2>/dev/null
	exit $rc' xs-ns-run "$work" "$shim" "$oxenstored" "$@"
