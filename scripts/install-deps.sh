#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Installs the Debian 12 packages xen-handover builds and tests with.
# Idempotent: returns quickly when everything is already installed.
set -eu

# Debian kernel ABI the guest module, KUnit and the e2e guests build against.
kver=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)

pkgs=(
	# userspace tools and their tests
	build-essential clang llvm libclang-rt-14-dev libaio-dev libxen-dev
	nettle-dev libsystemd-dev
	xenstore-utils xen-utils-4.17 jq util-linux hyperfine groff-base
	# VHD fixtures and independent readers
	qemu-utils libvhdi-utils strace
	# real tapdisk (scripts/build-blktap.sh builds blktap from source)
	autoconf automake libtool pkg-config uuid-dev zlib1g-dev libcmocka-dev
	# lease: model checking and the sanlock comparison
	spin sanlock
	# guest module: headers, KUnit tree, sparse, ccache
	linux-headers-amd64 linux-source-6.1 flex bison bc libelf-dev
	libssl-dev python3 xz-utils cpio kmod sparse ccache rsync
	# guest module on 6.12 (bookworm-security or bookworm-backports; the
	# headers package depends on the matching linux-image, never booted here)
	linux-headers-6.12-amd64 linux-source-6.12
	# Xen under QEMU end-to-end tests
	qemu-system-x86 busybox-static debootstrap e2fsprogs gzip zstd
	# Debian packages of xen-handover (tests/pkg): build and check
	debhelper dh-dkms lintian
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ -n "$kver" ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root to install: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# bookworm-backports carries Linux 6.12 for Debian 12. Its packages have
# priority 100: apt takes one only when no bookworm suite has the package,
# and never upgrades an installed one to it. Do not install with
# -t bookworm-backports: that also moves dependencies such as
# linux-libc-dev to the backport.
src=/etc/apt/sources.list.d/debian.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	if [ -f "$src" ] && grep -q '^Suites: bookworm bookworm-updates$' "$src"; then
		sed -i '0,/^Suites: bookworm bookworm-updates$/s//& bookworm-backports/' "$src"
	else
		echo 'deb http://deb.debian.org/debian bookworm-backports main' \
			>/etc/apt/sources.list.d/bookworm-backports.list
	fi
fi
apt-get update -q
# --no-install-recommends: otherwise xen-utils pulls in a hypervisor and grub.
apt-get install -y -q --no-install-recommends "${pkgs[@]}"
echo "install-deps: installed ${missing[*]}"
