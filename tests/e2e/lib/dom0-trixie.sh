# shellcheck shell=bash
# XH_E2E_DOM0=trixie: a Debian 13 dom0 (sourced by run.sh after images.sh
# and payload.sh, whose functions it overrides where the recipe differs).
#
# - debootstrap trixie (cached like the bookworm image, under its own key):
#   Xen 4.20's hypervisor and tools and trixie's 6.12 kernel in dom0. The
#   hypervisor is taken from the chroot's /boot, so the host's apt never
#   sees trixie (its sources stay bookworm's).
# - The handover tools are the ones tests/pkg/t_xen420_build.sh builds
#   against Debian 13's libxen-dev and libc (build/xen420): they need
#   libxenctrl.so.4.20 and glibc 2.38, which this dom0 has. They are
#   copied into dom0, not installed with dpkg -i as on the bookworm dom0:
#   the package is built for Debian 12.
# - Guests as with the bookworm dom0: the host's 6.1 kernel (its linux-image
#   deb, downloaded, never installed) and the drain module built against
#   the host's headers for it. run.sh names results e2e/<name>@dom0-trixie.

XH_SUITE=trixie
XH_DOM0_XEN=4.20
XH_DOM0_PKGS="xen-hypervisor-$XH_DOM0_XEN-amd64 xen-utils-$XH_DOM0_XEN xenstore-utils busybox kmod e2fsprogs util-linux procps dmsetup initramfs-tools zstd"

# The key: this file too, and not the host's 4.17 hypervisor version. A
# trixie point release is picked up with --rebuild-images.
xh_images_key() {
	{
		echo "dom0=trixie suite=$XH_SUITE pkgs=$XH_DOM0_PKGS"
		cat "$XH_E2E_DIR/lib/images.sh" "$XH_E2E_DIR/lib/dom0-trixie.sh" "$XH_E2E_DIR/dom0/xh-boot"
	} | sha256sum | cut -c1-16
}

xh_build_images() { # DIR (the host KV argument is not used: dom0 runs trixie's kernel)
	local dir=$1 root=$1/rootfs kv hv utils
	# linux-image-amd64: xh_build_rootfs installs "linux-image-<kv>".
	xh_timed dom0-rootfs xh_build_rootfs "$root" amd64 || return 1
	# shellcheck disable=SC2012
	kv=$(ls "$root/lib/modules" | sort -V | tail -1)
	[ -n "$kv" ] && [ -f "$root/boot/vmlinuz-$kv" ] || { xh_log "no kernel in the trixie rootfs"; return 1; }
	zcat "$root/boot/xen-$XH_DOM0_XEN-amd64.gz" > "$dir/xen.elf" || return 1
	hv=$(chroot "$root" dpkg-query -W -f='${Version}' "xen-hypervisor-$XH_DOM0_XEN-amd64")
	utils=$(chroot "$root" dpkg-query -W -f='${Version}' "xen-utils-$XH_DOM0_XEN")
	echo "dom0=trixie hypervisor=$hv xen-utils=$utils kernel=$kv" > "$dir/versions"
	cp "$root/boot/vmlinuz-$kv" "$dir/vmlinuz"
	cp "$root/boot/initrd.img-$kv" "$dir/dom0-initrd.img"
	# dom0 boots with QEMU's -kernel/-initrd; the chroot's copies only cost
	# image space.
	rm -f "$root"/boot/xen-* "$root"/boot/initrd.img-*
	xh_timed dom0-image mke2fs -q -t ext4 -d "$root" -L xh-dom0 "$dir/dom0.ext4" 3G || return 1
	rm -rf "$root"
}

# No xen-handover package for this dom0: the one scripts/build-deb.sh
# builds is Debian 12's, against Xen 4.17 (its Depends name
# libxenmisc4.17). The tools are copied instead (dom0/lib.sh:
# xh_pkg_copies puts them where the package would).
# shellcheck disable=SC2034  # read by run.sh and payload.sh
xh_package_ensure() {
	XH_DEB='' XH_PKG_SKIP=0
	XH_PKG_WHY="xen-handover is built for Debian 12's Xen 4.17, this dom0 gets copies of the tools"
}

# The tools for dom0: the test-only ones as for bookworm, then
# tapdisk-activate(d) of the Xen 4.20 build (incremental; the scratch
# root is cached), the hook, the unit and the host's libaio.so.1.
eval "$(declare -f xh_payload_tools | sed '1s/^xh_payload_tools/xh_payload_tools_bookworm/')"
xh_payload_tools() { # DIR
	xh_payload_tools_bookworm "$1"
	if ! "$XH_REPO/tests/pkg/t_xen420_build.sh" > "$XH_OUT/tools-xen420.log" 2>&1; then
		xh_log "tools against Xen 4.20 failed (build/e2e/latest/tools-xen420.log): $(tail -1 "$XH_OUT/tools-xen420.log")"
		rm -rf "$1/tree"
		# The handover scenarios skip (plan.env, written next).
		# shellcheck disable=SC2034
		XH_PKG_SKIP=1 XH_PKG_WHY="no tools built against Xen 4.20: $(tail -1 "$XH_OUT/tools-xen420.log")"
		return 0
	fi
	cp "$XH_REPO/build/xen420/tapdisk-activate" "$XH_REPO/build/xen420/tapdisk-activated" \
		"$XH_REPO/tools/hotplug/block-handover" "$XH_REPO/tools/systemd/tapdisk-activated.service" \
		"$1/" &&
		cp -L /usr/lib/x86_64-linux-gnu/libaio.so.1 "$1/"
	return 0
}
