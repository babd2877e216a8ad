# shellcheck shell=bash
# Cached boot images: Xen hypervisor, dom0 root filesystem, dom0/domU kernel.
#
# The recipe inputs (this file, the dom0 boot stub, KV and the hypervisor
# package version) are hashed; the images live in $XH_E2E_CACHE/images-<hash>
# and are reused while the hash matches. A directory only counts once its
# .complete stamp exists, so an interrupted build is simply redone. QEMU
# opens dom0.ext4 with snapshot=on: runs never modify the cache.

# libaio1: the one Depends of the xen-handover package (dom0/main.sh
# installs it with dpkg -i) that nothing else here pulls in; the Xen
# libraries, dmsetup, mount and xenstore-utils come with the rest.
XH_DOM0_PKGS="xen-utils-4.17 xenstore-utils busybox kmod e2fsprogs util-linux procps dmsetup initramfs-tools zstd libaio1"

xh_hv_version() {
	apt-cache policy xen-hypervisor-4.17-amd64 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -1
}

xh_images_key() {
	local kv=$1 hv
	hv=$(xh_hv_version)
	{
		echo "kv=$kv hv=$hv suite=$XH_SUITE pkgs=$XH_DOM0_PKGS"
		cat "$XH_E2E_DIR/lib/images.sh" "$XH_E2E_DIR/dom0/xh-boot"
	} | sha256sum | cut -c1-16
}

# Download and unpack the hypervisor; QEMU's multiboot loader takes the
# 32-bit ELF inside xen-4.17-amd64.gz directly, no bootloader needed.
xh_build_hypervisor() {
	local dir=$1 deb
	mkdir -p "$dir/debs"
	( cd "$dir/debs" && apt-get download -q xen-hypervisor-4.17-amd64 ) ||
		{ apt-get update -q && ( cd "$dir/debs" && apt-get download -q xen-hypervisor-4.17-amd64 ); } ||
		return 1
	deb=$(ls "$dir"/debs/xen-hypervisor-4.17-amd64_*.deb) || return 1
	dpkg-deb -x "$deb" "$dir/hv" || return 1
	zcat "$dir"/hv/boot/xen-4.17-amd64.gz > "$dir/xen.elf" || return 1
	dpkg-deb -f "$deb" Version > "$dir/hv-version"
	rm -rf "$dir/hv" "$dir/debs"
}

xh_chroot_apt() {
	DEBIAN_FRONTEND=noninteractive chroot "$1" apt-get -y -q -o Dpkg::Use-Pty=0 "${@:2}"
}

# debootstrap + chroot apt. bookworm-security is added so xen-utils matches
# the hypervisor taken from the host's apt (security updates move both).
xh_build_rootfs() {
	local root=$1 kv=$2 rc=0
	debootstrap --variant=minbase "$XH_SUITE" "$root" "$XH_MIRROR" > "$root.debootstrap.log" 2>&1 ||
		{ tail -30 "$root.debootstrap.log" >&2; return 1; }
	printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
	chmod +x "$root/usr/sbin/policy-rc.d"
	cat > "$root/etc/apt/sources.list" <<EOS
deb $XH_MIRROR $XH_SUITE main
deb $XH_MIRROR $XH_SUITE-updates main
deb $XH_SECURITY_MIRROR $XH_SUITE-security main
EOS
	mount -t proc proc "$root/proc" || return 1
	{
		xh_chroot_apt "$root" update &&
		xh_chroot_apt "$root" upgrade &&
		xh_chroot_apt "$root" install --no-install-recommends $XH_DOM0_PKGS "linux-image-$kv"
	} > "$root.apt.log" 2>&1 || rc=1
	umount "$root/proc"
	if [ $rc != 0 ]; then
		tail -30 "$root.apt.log" >&2
		grep -q "linux-image-$kv" "$root.apt.log" &&
			xh_log "hint: linux-image-$kv may have left the archive; upgrade linux-headers-amd64 on the host"
		return 1
	fi
	chroot "$root" apt-get clean
	rm -rf "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/locale "$root"/var/lib/apt/lists/*
	install -m 755 "$XH_E2E_DIR/dom0/xh-boot" "$root/usr/local/sbin/xh-boot"
	# The guest console logs and dom0 writes are discarded with the snapshot.
	echo "xh-dom0" > "$root/etc/hostname"
}

xh_build_images() {
	local dir=$1 kv=$2 root=$1/rootfs hv utils
	xh_timed hypervisor xh_build_hypervisor "$dir" || return 1
	xh_timed dom0-rootfs xh_build_rootfs "$root" "$kv" || return 1
	hv=$(cat "$dir/hv-version")
	utils=$(chroot "$root" dpkg-query -W -f='${Version}' xen-utils-4.17)
	echo "hypervisor=$hv xen-utils=$utils kernel=$kv" > "$dir/versions"
	[ "$hv" = "$utils" ] || xh_log "warning: hypervisor $hv != dom0 xen-utils $utils"
	cp "$root/boot/vmlinuz-$kv" "$dir/vmlinuz"
	cp "$root/boot/initrd.img-$kv" "$dir/dom0-initrd.img"
	cp "$root/lib/modules/$kv/kernel/drivers/block/xen-blkfront.ko" "$dir/xen-blkfront.ko" || return 1
	xh_timed dom0-image mke2fs -q -t ext4 -d "$root" -L xh-dom0 "$dir/dom0.ext4" 3G || return 1
	rm -rf "$root"
}

# Sets XH_IMG to a complete image directory, building it when needed.
xh_images_ensure() {
	local kv=$1 key tmp
	mkdir -p "$XH_E2E_CACHE"
	key=$(xh_images_key "$kv")
	XH_IMG=$XH_E2E_CACHE/images-$key
	exec 9> "$XH_E2E_CACHE/.lock"
	flock 9
	if [ -e "$XH_IMG/.complete" ] && [ -z "${XH_REBUILD:-}" ]; then
		xh_log "images: cached $XH_IMG ($(cat "$XH_IMG/versions"))"
		echo "images: cached" >> "$XH_OUT/timings.txt"
	else
		tmp=$XH_E2E_CACHE/build-$key.$$
		rm -rf "$tmp" "$XH_IMG"
		mkdir -p "$tmp"
		xh_log "images: building in $tmp (kernel $kv; takes a few minutes)"
		if ! xh_build_images "$tmp" "$kv"; then
			mountpoint -q "$tmp/rootfs/proc" && umount "$tmp/rootfs/proc"
			rm -rf "$tmp"
			flock -u 9
			return 1
		fi
		touch "$tmp/.complete"
		mv "$tmp" "$XH_IMG"
		xh_log "images: built $XH_IMG ($(cat "$XH_IMG/versions"))"
	fi
	flock -u 9
	exec 9>&-
}
