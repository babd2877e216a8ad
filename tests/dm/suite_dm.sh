#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# dm: backend of tapdisk-activate against real device-mapper, in a QEMU VM
# (TCG) running Debian's kernel, because this host's kernel has no
# device-mapper. The VM boots a busybox initramfs holding loop, dm-mod and
# dm-delay from the linux-image .deb, tapdisk-activate, helper_dmctl and a
# VHD; tests/dm/vm-init.sh runs the checks and prints one line each.
# Proves: deactivate on dm:NAME waits for writes delayed by dm-delay to
# land before the lease is released; a suspend that cannot drain times out,
# is undone and keeps the lease; activate resumes; reactivate refuses after
# another host acquired. tests/dm/vm-hotplug.sh then runs the
# block-handover hotplug script on the same real device-mapper: staged
# add, removal deferred while the device is open ("0 N error " table), a
# failed add undone, a retried add, remove and add without the daemon.
#
# Artefacts (kernel .deb, extracted modules) are cached in
# $XH_CACHE/dm; without a cache and without apt the suite is skipped.
set -u
top=${XH_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${XH_BUILD:-$top/build}
cache=${XH_CACHE:-/var/cache/xen-handover}/dm
tool=$build/tapdisk-activate
dmctl=$build/tests/dm/helper_dmctl
work=$(mktemp -d /var/tmp/xh-dm-XXXXXX)
[ -n "${XH_DM_KEEP_WORK:-}" ] && echo "work dir kept: $work" || trap 'rm -rf "$work"' EXIT

skip() { echo "SKIP dm: $*"; exit 0; }
fail() { echo "FAIL dm/$1: $2"; }

for p in qemu-system-x86_64 qemu-img qemu-io cpio gzip python3; do
	command -v $p >/dev/null || skip "$p not installed"
done
[ -x /bin/busybox ] || skip "busybox-static not installed"
[ -x "$tool" ] && [ -x "$dmctl" ] || skip "build first (make)"

# Kernel: the one Debian's linux-headers-amd64 names (the host's own
# release; newer headers for other kernels, such as bookworm-backports'
# 6.12 for the guest module, do not move the VM to another kernel).
kv=${XH_DM_KV:-$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	grep -o 'linux-headers-[0-9][^ ,]*-amd64' | head -1 | sed 's/^linux-headers-//')}
[ -n "$kv" ] || kv=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null |
	sed 's|.*/linux-headers-||' | sort -V | tail -n1)
[ -n "$kv" ] || skip "no linux-headers-*-amd64 to name the kernel"
mkdir -p "$cache"
if [ ! -e "$cache/x/boot/vmlinuz-$kv" ]; then
	if ! ls "$cache"/linux-image-"$kv"_*.deb >/dev/null 2>&1; then
		(cd "$cache" && apt-get download "linux-image-$kv" >/dev/null 2>&1) ||
			skip "cannot download linux-image-$kv"
	fi
	rm -rf "$cache/x" && mkdir -p "$cache/x"
	dpkg-deb -x "$cache"/linux-image-"$kv"_*.deb "$cache/x" ||
		skip "cannot extract linux-image-$kv"
fi
mods=$cache/x/lib/modules/$kv/kernel

# Initramfs.
root=$work/root
mkdir -p "$root"/{bin,usr/bin,lib/modules,proc,sys,dev,tmp,run}
cp /bin/busybox "$root/bin/"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
cp "$mods/drivers/block/loop.ko" "$mods/drivers/md/dm-mod.ko" \
   "$mods/drivers/md/dm-delay.ko" "$mods/drivers/md/dm-flakey.ko" \
   "$mods/drivers/watchdog/watchdog.ko" "$mods/drivers/watchdog/softdog.ko" \
   "$root/lib/modules/" || skip "modules missing from linux-image-$kv"
cp "$tool" "$dmctl" "$root/usr/bin/"
# block-handover's run (vm-hotplug.sh): bash, util-linux, dmsetup,
# coreutils' timeout, the daemon for --print-vdi, xenstore stand-ins.
daemon=$build/tapdisk-activated
host_bins=()
for b in bash dmsetup losetup blockdev flock timeout; do
	p=$(command -v $b) || skip "$b not installed (block-handover in the VM)"
	host_bins+=("$p")
done
[ -x "$daemon" ] || skip "build first (make): $daemon"
mkdir -p "$root/usr/sbin" "$root/etc/xen/scripts"
cp "${host_bins[@]}" "$root/usr/sbin/"
cp "$(command -v bash)" "$root/bin/bash"
cp "$daemon" "$root/usr/bin/"
cp "$top/tools/hotplug/block-handover" "$root/etc/xen/scripts/"
cp "$top/tests/dm/vm-hotplug.sh" "$root/usr/bin/"
for x in read write exists rm; do
	cat >"$root/usr/bin/xenstore-$x" <<XS
#!/bin/sh
# xenstore-$x stand-in over the file tree /xs (dm test VM only).
op=$x
XS
	cat >>"$root/usr/bin/xenstore-$x" <<'XS'
p() { echo "/xs/${1#/}"; }
case $op in
read) cat "$(p "$1")" 2>/dev/null ;;
exists) [ -e "$(p "$1")" ] ;;
rm) for k; do rm -rf "$(p "$k")"; done ;;
write)
	while [ $# -ge 2 ]; do
		f=$(p "$1"); rm -rf "$f"; mkdir -p "$(dirname "$f")"
		printf '%s' "$2" >"$f" || exit 1; shift 2
	done ;;
esac
XS
	chmod +x "$root/usr/bin/xenstore-$x"
done
# The fencing boot (tests/dm/vm-fence.sh): the daemon next to a real
# oxenstored, as tests/daemon/ runs it (xs-ns-run.sh, lib.sh, xs_shim.so
# under /xh as in the tree), the xenstore CLIs ahead of the stand-ins, and
# coreutils' date (lib.sh's clock needs %N).
oxenstored=${XH_OXENSTORED:-$(ls /usr/lib/xen-*/bin/oxenstored 2>/dev/null | sort -V | tail -n 1)}
xs_cli=$(command -v xenstore-read) && [ -n "$oxenstored" ] ||
	skip "oxenstored/xenstore-read not installed (fencing boot)"
shim=$build/tests/daemon/xs_shim.so
[ -e "$shim" ] || "$top/tests/daemon/xs-ns-run.sh" "$work/xs-probe" true ||
	skip "no $shim (tests/daemon/xs-ns-run.sh builds it)"
mkdir -p "$root/xh/tests/daemon" "$root/xh/tests/dm" \
	"$root/xh/build/tests/daemon" "$root$(dirname "$oxenstored")" \
	"$root/usr/lib/xh-xs/bin" "$root/var/tmp"
cp "$top/tests/daemon/lib.sh" "$top/tests/daemon/xs-ns-run.sh" "$root/xh/tests/daemon/"
cp "$top/tests/dm/vm-fence.sh" "$root/xh/tests/dm/"
cp "$shim" "$root/xh/build/tests/daemon/"
cp "$oxenstored" "$root$oxenstored"
cp "$(readlink -f "$xs_cli")" "$root/usr/lib/xh-xs/bin/xenstore"
for x in read write exists rm ls list; do
	ln -sf xenstore "$root/usr/lib/xh-xs/bin/xenstore-$x"
done
cp "$(command -v date)" "$root/usr/lib/xh-xs/bin/date"
ln -sf /xh/tests/dm/vm-fence.sh "$root/init-fence"
ln -sf /run "$root/var/run"	# oxenstored's socket is /var/run/xenstored/socket
host_bins+=("$oxenstored" "$xs_cli")
# libgcc_s is not linked but loaded by glibc for pthread_cancel (libxenstore's
# xs_close cancels its reader thread): without it the daemon aborts on exit.
for lib in $(ldd "$tool" "$dmctl" "$daemon" "${host_bins[@]}" |
	     grep -o '/[^ ]*\.so[^ ]*' | sort -u) \
	   "$(gcc -print-file-name=libgcc_s.so.1)"; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp "$top/tests/dm/vm-init.sh" "$root/init"
chmod +x "$root/init"

# The VDI: a dynamic VHD with block 0 allocated; the test writes inside
# block 0's data so the metadata stays valid.
qemu-img create -q -f vpc -o subformat=dynamic "$root/disk.vhd" 64M
qemu-io -f vpc -c 'write -P 0x11 0 1M' "$root/disk.vhd" >/dev/null
truncate -s 4M "$root/lease.img"
dataoff=$(python3 - "$root/disk.vhd" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
f.seek(-512, 2); ftr = f.read(512)
hdr_off = struct.unpack('>Q', ftr[16:24])[0]
f.seek(hdr_off); hdr = f.read(1024)
table = struct.unpack('>Q', hdr[16:24])[0]
f.seek(table); bat0 = struct.unpack('>I', f.read(4))[0]
print(bat0 * 512 + 512 + 65536)   # bitmap (512 B for 2 MiB blocks), then data
PY
)
echo "DATAOFF=$dataoff" > "$root/params"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"

# boot NAME TIMEOUT_S KERNEL_ARGS: one VM run, serial log in $work/NAME.log.
boot() {
	local name=$1 limit=$2 start rc
	start=$(date +%s)
	timeout -k 5 "$limit" qemu-system-x86_64 -accel tcg -m 768 -smp 1 \
		-kernel "$cache/x/boot/vmlinuz-$kv" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 printk.time=1 printk.devkmsg=on $3" \
		-display none -monitor none -no-reboot -net none \
		-serial "file:$work/$name.log" >/dev/null 2>&1
	rc=$?
	echo "dm VM '$name' ran $(($(date +%s) - start))s (qemu exit $rc)"
	return $rc
}
verdicts() {	# the VM's DMTEST lines as PASS/FAIL dm/NAME lines
	grep -a '^DMTEST ' "$1" | tr -d '\r' | while read -r _ verdict name rest; do
		case $verdict in
		PASS) echo "PASS dm/$name" ;;
		FAIL) echo "FAIL dm/${name%:}: $rest" ;;
		esac
	done
}
failed=0
# XH_DM_BOOTS: which boots run (default all four), e.g. "unconfirmed".
boots=${XH_DM_BOOTS:-main confirmed unconfirmed sigkill}
if [[ " $boots " = *" main "* ]]; then
	boot main "${XH_DM_TIMEOUT:-900}" "rdinit=/init"
	rc=$?
	log=$work/main.log
	grep -E '^(deactivate rc=|tapdisk-activate |\{)' "$log" | tr -d '\r' | sed 's/^/  | /'
	verdicts "$log"
	grep -aq '^DMTEST FAIL' "$log" && failed=1
	if ! grep -aq '^DMTEST DONE' "$log"; then
		fail vm "did not finish (qemu exit $rc); serial log tail:"
		tail -n 40 "$log" | sed 's/^/    | /'
		failed=1
	fi
fi

# Fencing (tests/dm/vm-fence.sh): three boots of the same image, each ended
# by softdog on purpose; tests/dm/fence-log.py checks that reset against
# the lease's deadline. XH_DM_FENCE_BREAK=1 runs them with a fence that
# only pretends (to see the checks fail).
for mode in confirmed unconfirmed sigkill; do
	[[ " $boots " = *" $mode "* ]] || continue
	boot "fence-$mode" "${XH_DM_FENCE_TIMEOUT:-240}" \
		"rdinit=/init-fence xh_fence=$mode xh_break=${XH_DM_FENCE_BREAK:-0}"
	rc=$?
	log=$work/fence-$mode.log
	grep -a '^FENCEINFO ' "$log" | tr -d '\r' | sed 's/^FENCEINFO /  | /'
	verdicts "$log"
	if ! python3 "$top/tests/dm/fence-log.py" "$log"; then
		echo "    serial log tail ($mode, qemu exit $rc):"
		tail -n 60 "$log" | tr -d '\r' | sed 's/^/    | /'
		failed=1
	fi
done
[ -n "${XH_DM_KEEP_LOGS:-}" ] && cp "$work"/*.log "$XH_DM_KEEP_LOGS"/
exit $failed
