# shellcheck shell=bash
# XH_E2E_QEMU=backports: run the e2e boot under bookworm-backports' QEMU
# (10.0.x) without touching the host's qemu-system-x86 (7.2). The three
# debs (qemu-system-x86, -common, -data; ~13 MB) are fetched with
# apt-get download and unpacked with dpkg-deb -x into
# $XH_E2E_CACHE/qemu-<version>, then XH_QEMU, XH_QEMU_DATADIR and
# QEMU_MODULE_DIR point there. Its shared-library dependencies are those of
# the host's 7.2 (checked with ldd). Needs bookworm-backports in the host's
# apt sources (scripts/install-deps.sh adds it).

xh_qemu_backports_ensure() {
	local ver dir tmp d missing
	ver=$(apt-cache madison qemu-system-x86 2>/dev/null | awk -F' *\\| *' '$3 ~ /bookworm-backports/ { print $2; exit }')
	[ -n "$ver" ] || { xh_log "no qemu-system-x86 in bookworm-backports (apt-get update? sources?)"; return 1; }
	dir=$XH_E2E_CACHE/qemu-${ver//[:~+]/_}
	mkdir -p "$XH_E2E_CACHE"
	if [ ! -e "$dir/.complete" ]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp/debs"
		( cd "$tmp/debs" && timeout 300 apt-get download -q "qemu-system-x86=$ver" \
			"qemu-system-common=$ver" "qemu-system-data=$ver" ) > "$XH_OUT/qemu-download.log" 2>&1 ||
			{ xh_log "apt-get download QEMU $ver failed (build/e2e/latest/qemu-download.log)"; rm -rf "$tmp"; return 1; }
		for d in "$tmp"/debs/*.deb; do
			dpkg-deb -x "$d" "$tmp/root" || { rm -rf "$tmp"; return 1; }
		done
		rm -rf "$tmp/debs"
		echo "$ver" > "$tmp/version"
		touch "$tmp/.complete"
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	missing=$(ldd "$dir/root/usr/bin/qemu-system-x86_64" | sed -n 's/^\t*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
	[ -z "$missing" ] || { xh_log "QEMU $ver needs libraries the host lacks: $missing"; return 1; }
	export XH_QEMU=$dir/root/usr/bin/qemu-system-x86_64
	export XH_QEMU_DATADIR=$dir/root/usr/share/qemu
	export QEMU_MODULE_DIR=$dir/root/usr/lib/x86_64-linux-gnu/qemu
	xh_log "QEMU $ver (bookworm-backports) from $dir"
}
