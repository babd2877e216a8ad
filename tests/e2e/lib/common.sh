# shellcheck shell=bash
# Shared helpers for the host side of the e2e harness (sourced by run.sh).

XH_E2E_DIR=${XH_E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
XH_REPO=${XH_REPO:-$(cd "$XH_E2E_DIR/../.." && pwd)}
# Image cache: $XH_CACHE/e2e (XH_CACHE is the project-wide cache root).
XH_E2E_CACHE=${XH_E2E_CACHE:-${XH_CACHE:-/var/cache/xen-handover}/e2e}
XH_MIRROR=${XH_MIRROR:-http://deb.debian.org/debian}
XH_SECURITY_MIRROR=${XH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
XH_SUITE=${XH_SUITE:-bookworm}

xh_log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
xh_die() { xh_log "error: $*"; exit 2; }

# Run a step and record its wall time in $XH_OUT/timings.txt.
xh_timed() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@"
	rc=$?
	printf '%-28s %4ds rc=%d\n' "$name" $(( $(date +%s) - t0 )) "$rc" >> "$XH_OUT/timings.txt"
	return $rc
}

# Kernel ABI (e.g. 6.1.0-56-amd64) shared by the host headers, the dom0
# kernel and the domU kernel: the module built on the host must load in the
# guest, so all three come from the same linux-image/headers version.
xh_detect_kv() {
	local kv=${KV:-}
	if [ -z "$kv" ]; then
		kv=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
			grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -1 | sed 's/^linux-headers-//')
	fi
	if [ -z "$kv" ]; then
		# shellcheck disable=SC2012
		kv=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' |
			sort -V | tail -1)
	fi
	[ -n "$kv" ] || xh_die "no linux-headers-*-amd64 installed (run scripts/install-deps.sh)"
	[ -d "/usr/src/linux-headers-$kv" ] ||
		xh_die "/usr/src/linux-headers-$kv missing (apt-get install linux-headers-$kv)"
	echo "$kv"
}

# The guest kernel of run.sh --guest-kv: a series (6.12: the newest
# linux-headers-6.12.*-amd64 installed) or an exact ABI. Its headers build
# the guest modules; its linux-image deb is downloaded, never installed.
xh_detect_guest_kv() { # SERIES|KV
	local kv=$1
	case $kv in
	[0-9]*.[0-9]*-*) ;;
	[0-9]*.[0-9]*)
		# shellcheck disable=SC2012
		kv=$(ls -d "/usr/src/linux-headers-$1".*-amd64 2>/dev/null | grep -v -e '-cloud-' -e '-rt-' |
			sed 's|.*/linux-headers-||' | sort -V | tail -1) ;;
	esac
	[ -n "$kv" ] && [ -d "/usr/src/linux-headers-$kv" ] ||
		xh_die "no linux-headers for guest kernel '$1' (apt-get install linux-headers-$1...-amd64)"
	echo "$kv"
}

xh_need_cmds() {
	local c missing=
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] || xh_die "missing commands:$missing (run scripts/install-deps.sh)"
}

xh_kv() { # "LINE" KEY -> value of KEY=value in LINE
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | tail -1
}
