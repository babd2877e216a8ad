#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The README's main job. Installs what it needs (unless --no-deps), builds,
# then shows, by default both:
#   inspect   VHDs of several kinds made by qemu-img, damaged copies of
#             them, and `tapdisk-activate inspect` telling each apart
#             (seconds);
#   migrate   the seed bug on real Xen (Xen 4.17 under QEMU TCG): a guest
#             live-migrated with writes in flight to delayed shared storage,
#             once with the stock xen-blkfront and once with
#             xen-blkfront-drain, and the stale-block count of each
#             (about 15 minutes; the first run also builds the images).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

deps=1
what=()
for a in "$@"; do
	case "$a" in
	--no-deps) deps=0 ;;
	inspect|migrate) what+=("$a") ;;
	-h|--help) sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done
[ ${#what[@]} -gt 0 ] || what=(inspect migrate)

if [ $deps -eq 1 ]; then
	scripts/install-deps.sh || exit 1
fi
make -s -j2 tools || exit 1
tool=$top/build/tapdisk-activate

# Overwrites @len bytes at @off of @file with the hex bytes given.
poke() {	# poke FILE OFFSET HEXBYTES
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

demo_inspect() {
	local d sz footer
	d=$(mktemp -d /var/tmp/xh-demo-XXXXXX)
	trap 'rm -rf "$d"' RETURN
	echo "== VHD images made by qemu-img (in $d)"
	qemu-img create -q -f vpc -o subformat=fixed,force_size=on \
		"$d/fixed-64M.vhd" 64M
	qemu-img create -q -f vpc -o subformat=dynamic,force_size=on \
		"$d/dynamic-1G.vhd" 1G
	qemu-io -f vpc -c 'write -P 0xab 0 4M' -c 'write -P 0xcd 512M 1M' \
		"$d/dynamic-1G.vhd" >/dev/null
	qemu-img create -q -f vpc -o subformat=dynamic "$d/dynamic-2040G.vhd" 2040G
	qemu-io -f vpc -c 'write -P 0x11 0 2M' -c 'write -P 0x22 2000G 2M' \
		"$d/dynamic-2040G.vhd" >/dev/null

	echo "== damaged copies"
	sz=$(stat -c %s "$d/dynamic-1G.vhd")
	footer=$((sz - 512))
	cp "$d/dynamic-1G.vhd" "$d/bad-cookie.vhd"
	poke "$d/bad-cookie.vhd" "$footer" 58			# "conectix" -> "Xonectix"
	cp "$d/dynamic-1G.vhd" "$d/bad-checksum.vhd"
	poke "$d/bad-checksum.vhd" $((footer + 48)) 7f		# original size byte
	# a valid footer of another image (other uuid) as the copy at 0
	qemu-img create -q -f vpc -o subformat=dynamic,force_size=on \
		"$d/other.tmp" 1G
	cp "$d/dynamic-1G.vhd" "$d/copies-differ.vhd"
	dd if="$d/other.tmp" of="$d/copies-differ.vhd" bs=512 count=1 \
		conv=notrunc status=none
	rm -f "$d/other.tmp"
	cp "$d/dynamic-1G.vhd" "$d/bat-past-eof.vhd"
	poke "$d/bat-past-eof.vhd" 1536 7fffffff		# BAT[0] far away

	echo
	printf '%-20s %-8s %s\n' IMAGE VERDICT DETAIL
	for f in "$d"/*.vhd; do
		local json rc
		json=$("$tool" inspect --json "$f" 2>/dev/null)
		rc=$?
		if [ $rc -eq 0 ]; then
			printf '%-20s %-8s %s\n' "$(basename "$f")" valid \
				"$(echo "$json" | jq -r '"\(.disk_type), \(.virtual_size/1048576|floor) MiB" + (if .max_table_entries then ", \(.allocated_blocks) of \(.max_table_entries) blocks allocated" else "" end)')"
		else
			printf '%-20s %-8s %s\n' "$(basename "$f")" "exit $rc" \
				"$(echo "$json" | jq -r '.errors[0] | "\(.name): \(.structure).\(.field) expected \(.expected), found \(.found)"' | cut -c1-100)"
		fi
	done

	echo
	echo "== stale metadata: what a destination read early vs the image now"
	local before after
	before=$("$tool" inspect --json --fingerprint "$d/dynamic-1G.vhd")
	qemu-io -f vpc -c 'write -P 0xef 300M 1M' "$d/dynamic-1G.vhd" >/dev/null
	after=$("$tool" inspect --json --fingerprint "$d/dynamic-1G.vhd")
	echo "read before the source's last write: $(echo "$before" | jq -r '"\(.allocated_blocks) blocks, fingerprint \(.fingerprint[0:16])"')"
	echo "read after it:                       $(echo "$after" | jq -r '"\(.allocated_blocks) blocks, fingerprint \(.fingerprint[0:16])"')"
	echo "A destination serving the first view would miss the new block:"
	echo "activate re-reads the metadata with O_DIRECT after the source released it."
}

demo_migrate() {
	echo
	echo "== the seed bug on real Xen: stock xen-blkfront vs xen-blkfront-drain"
	tests/e2e/run.sh --demo
}

rc=0
for w in "${what[@]}"; do
	"demo_$w" || rc=1
done
exit $rc
