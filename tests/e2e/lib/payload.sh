# shellcheck shell=bash
# Per-run payload disk (/dev/vdb in dom0): the dom0 driver and scenarios,
# the xen-handover package, the guest kernel and initramfs, the plan.
# Rebuilt every run (seconds), so the cached dom0 image never depends on
# what is being tested.

xh_build_guest_binary() { # OUTDIR
	make -s -C "$XH_E2E_DIR/guest" OUT="$1" "$1/xh-guest"
}

# Build xen_blkfront_drain.ko from a copy of the tree, so a concurrent build
# in the work tree and this one never share object files. Sets XH_DRAIN_KO
# or XH_DRAIN_WHY.
xh_build_drain_module() { # KV
	local kv=$1 src=$XH_REPO/drivers/block/xen-blkfront-drain kb=$XH_OUT/kbuild
	if [ -n "${XH_DRAIN_KO:-}" ]; then
		[ -f "$XH_DRAIN_KO" ] || { XH_DRAIN_WHY="XH_DRAIN_KO=$XH_DRAIN_KO missing"; XH_DRAIN_KO=; return 1; }
		return 0
	fi
	if ! ls "$src"/*.c >/dev/null 2>&1; then
		XH_DRAIN_WHY="drivers/block/xen-blkfront-drain/ has no sources yet"
		return 1
	fi
	rm -rf "$kb"
	mkdir -p "$kb"
	cp -a "$XH_REPO/Kbuild" "$XH_REPO/drivers" "$XH_REPO/include" "$kb/" || return 1
	find "$kb" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name modules.order -o -name Module.symvers \) -delete
	if ! make -C "/usr/src/linux-headers-$kv" M="$kb" modules > "$XH_OUT/module-build.log" 2>&1; then
		XH_DRAIN_WHY="module build failed (build/e2e/latest/module-build.log): $(grep -m1 -E 'error|Error' "$XH_OUT/module-build.log")"
		return 1
	fi
	XH_DRAIN_KO=$(find "$kb" -name 'xen_blkfront_drain.ko' -o -name 'xen-blkfront-drain.ko' | head -1)
	if [ -z "$XH_DRAIN_KO" ]; then
		XH_DRAIN_WHY="module build produced no xen_blkfront_drain.ko"
		return 1
	fi
}

# A guest kernel other than dom0's (run.sh --guest-kv): the linux-image
# deb of XH_GUEST_KV is downloaded into $XH_E2E_CACHE/guest-kernel-<KV>
# (apt-get download; never installed on the host), its vmlinuz and stock
# xen-blkfront.ko (decompressed) kept there. Sets XH_GUEST_VMLINUZ and
# XH_GUEST_BLKFRONT.
xh_guest_kernel_ensure() { # KV
	local kv=$1 dir=$XH_E2E_CACHE/guest-kernel-$1 tmp deb ko rc=0
	mkdir -p "$XH_E2E_CACHE"
	exec 7> "$dir.lock"
	flock 7
	if [ ! -e "$dir/.complete" ]; then
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp/debs"
		{ ( cd "$tmp/debs" && apt-get download -q "linux-image-$kv" ) ||
			{ apt-get update -q && ( cd "$tmp/debs" && apt-get download -q "linux-image-$kv" ); }
		} > "$XH_OUT/guest-kernel.log" 2>&1 || rc=1
		deb=$(ls "$tmp"/debs/linux-image-"$kv"_*.deb 2>/dev/null | head -1)
		[ $rc = 0 ] && [ -n "$deb" ] && dpkg-deb -x "$deb" "$tmp/x" || rc=1
		ko=$(find "$tmp/x/lib/modules/$kv" "$tmp/x/usr/lib/modules/$kv" -name 'xen-blkfront.ko*' 2>/dev/null | head -1)
		if [ $rc = 0 ] && [ -n "$ko" ] && cp "$tmp/x/boot/vmlinuz-$kv" "$tmp/vmlinuz"; then
			case $ko in
			*.xz) xz -dc "$ko" ;;
			*.zst) zstd -dc "$ko" ;;
			*) cat "$ko" ;;
			esac > "$tmp/xen-blkfront.ko" && dpkg-deb -f "$deb" Version > "$tmp/version" || rc=1
		else
			rc=1
		fi
		rm -rf "$tmp/x" "$tmp/debs"
		if [ $rc = 0 ]; then
			touch "$tmp/.complete"
			rm -rf "$dir"
			mv "$tmp" "$dir"
		else
			rm -rf "$tmp"
		fi
	fi
	exec 7>&-
	[ -e "$dir/.complete" ] || return 1
	XH_GUEST_VMLINUZ=$dir/vmlinuz
	XH_GUEST_BLKFRONT=$dir/xen-blkfront.ko
	xh_log "guest kernel $kv ($(cat "$dir/version")) from $dir"
}

# The upstream series (patches/linux/, 6.12 only) applied and built by
# tests/kernel/t_upstream_series.sh, which caches the module. It loads into
# the stock kernel: patch 1 appends a member to struct xenbus_driver (the
# members the stock xenbus core reads keep their offsets; it never calls
# the new ->cancel()), and the symbol CRCs a module records come from the
# kernel's Module.symvers, not from the patched header. Sets XH_UPSTREAM_KO
# or XH_UPSTREAM_WHY.
xh_build_upstream_module() { # KV
	local kv=$1 ko
	XH_UPSTREAM_KO=
	if ! "$XH_REPO/tests/kernel/t_upstream_series.sh" > "$XH_OUT/upstream-series.log" 2>&1; then
		XH_UPSTREAM_WHY="tests/kernel/t_upstream_series.sh: $(tail -1 "$XH_OUT/upstream-series.log")"
		return 1
	fi
	ko=$(sed -n 's/^module: //p' "$XH_OUT/upstream-series.log" | tail -1)
	if [ -z "$ko" ] || ! modinfo -F vermagic "$ko" 2>/dev/null | grep -q "^$kv "; then
		XH_UPSTREAM_WHY="the patched xen-blkfront.ko is not built for the guest kernel $kv"
		return 1
	fi
	cp "$ko" "$XH_OUT/xen-blkfront-upstream.ko" || { XH_UPSTREAM_WHY="cannot copy $ko"; return 1; }
	XH_UPSTREAM_KO=$XH_OUT/xen-blkfront-upstream.ko
}

xh_build_guest_initrd() { # OUT_GZ GUEST_BIN
	local d=$XH_OUT/guest-root
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/lib" "$d/proc" "$d/sys" "$d/dev" "$d/tmp"
	cp /bin/busybox "$d/bin/busybox" || return 1
	ln -s busybox "$d/bin/sh"	# the kernel needs /bin/sh to run a script /init
	install -m 755 "$2" "$d/bin/xh-guest"
	install -m 755 "$XH_E2E_DIR/guest/init" "$d/init"
	cp "${XH_GUEST_BLKFRONT:-$XH_IMG/xen-blkfront.ko}" "$d/lib/xen-blkfront.ko"
	[ -n "${XH_DRAIN_KO:-}" ] && cp "$XH_DRAIN_KO" "$d/lib/xen_blkfront_drain.ko"
	[ -n "${XH_UPSTREAM_KO:-}" ] && cp "$XH_UPSTREAM_KO" "$d/lib/xen-blkfront-upstream.ko"
	( cd "$d" && find . | cpio -o -H newc 2>/dev/null | gzip -1 ) > "$1"
}

# Environment knobs forwarded from the host to dom0 (see Documentation/testing.rst).
xh_plan_env() { # SCENARIOS...
	local v
	printf 'XH_SCENARIOS=%q\n' "$*"
	printf 'XH_HAVE_DRAIN=%q\n' "$([ -n "${XH_DRAIN_KO:-}" ] && echo 1 || echo 0)"
	printf 'XH_DRAIN_WHY=%q\n' "${XH_DRAIN_WHY:-}"
	printf 'XH_HAVE_UPSTREAM=%q\n' "$([ -n "${XH_UPSTREAM_KO:-}" ] && echo 1 || echo 0)"
	printf 'XH_UPSTREAM_WHY=%q\n' "${XH_UPSTREAM_WHY:-}"
	printf 'XH_PKG_WHY=%q\n' "${XH_PKG_WHY:-}"
	printf 'XH_PKG_SKIP=%q\n' "${XH_PKG_SKIP:-0}"
	for v in $(compgen -v | grep -E '^XH_((S1|SR|CANCEL|TIMEOUT|DRAIN_TIMEOUT|BENCH|LOAD|REISSUE|DRAINS|GUEST|SCENARIO|HO|EMU|QEMU)_|E2E_RETRIES$)'); do
		printf '%s=%q\n' "$v" "${!v}"
	done
}

# The dom0 tools as an operator installs them: the xen-handover package
# (xen-handover_<version>_amd64.deb) that scripts/build-deb.sh builds from
# this tree with dpkg-buildpackage, cached by the hash of the packaged
# files (the packages tests/pkg/t_deb_package.sh checks; a warm run builds
# nothing). dom0/main.sh installs it with dpkg -i; the handover scenarios
# run what it installed. Sets XH_DEB, or XH_PKG_WHY with XH_PKG_SKIP=1
# when this host cannot build packages (the handover scenarios skip) and
# 0 when the build failed (they fail).
xh_package_ensure() {
	local dir rc
	XH_DEB='' XH_PKG_WHY='' XH_PKG_SKIP=0
	dir=$("$XH_REPO/scripts/build-deb.sh" 2> "$XH_OUT/package-build.log")
	rc=$?
	if [ $rc = 0 ]; then
		XH_DEB=$(find "$dir/src" -maxdepth 1 -name 'xen-handover_*_amd64.deb' | head -1)
		[ -n "$XH_DEB" ] && return 0
		XH_PKG_WHY="scripts/build-deb.sh built no xen-handover_*_amd64.deb in $dir"
	else
		[ $rc = 77 ] && XH_PKG_SKIP=1
		XH_PKG_WHY="scripts/build-deb.sh (build/e2e/latest/package-build.log): $(tail -1 "$XH_OUT/package-build.log")"
	fi
	return 1
}

# Test-only tools for dom0 beside the package: hotplug-dm's suite, the
# tapdisk scenario's blktap and nbd-client. A missing one only skips its
# scenario (dom0 checks /xh/tools).
xh_payload_tools() { # DIR
	mkdir -p "$1"
	# hotplug-dm: the hook's suite in a copy of the tree it expects, with
	# its oxenstored shim built here (dom0 has no compiler). The hook in
	# that tree is the installed one (an absolute link, resolved in dom0);
	# dom0 points the suite at the installed programs.
	mkdir -p "$1/tree/build/tests/daemon" "$1/tree/tests/daemon" "$1/tree/tools/hotplug"
	if ! { cp "$XH_REPO"/tests/daemon/{lib.sh,xs-ns-run.sh,suite_block_handover.sh} "$1/tree/tests/daemon/" &&
		cp -r "$XH_REPO/tests/daemon/fake-dm" "$1/tree/tests/daemon/" &&
		ln -s /etc/xen/scripts/block-handover "$1/tree/tools/hotplug/block-handover" &&
		gcc -O2 -Wall -Wextra -shared -fPIC -o "$1/tree/build/tests/daemon/xs_shim.so" \
			"$XH_REPO/tests/daemon/xs_shim.c" -ldl 2> "$XH_OUT/tools-build.log"; }; then
		rm -rf "$1/tree"
	fi
	xh_payload_blktap "$1"
	return 0
}

# Real tapdisk for handover-tapdisk: blktap's make-install tree from
# scripts/build-blktap.sh's cache (tap-ctl spawn runs the tapdisk path
# compiled in, so dom0 gets it at the same prefix: blktap/prefix) and
# bookworm's nbd-client with its libnl libraries, which the cached dom0
# image lacks (apt-get download, kept in $XH_E2E_CACHE/nbd-client). Both
# are Debian 12 builds like dom0. Missing: the scenario skips.
xh_payload_blktap() { # DIR
	local bt nc=$XH_E2E_CACHE/nbd-client d
	bt=$("$XH_REPO/scripts/build-blktap.sh" --check 2>/dev/null) ||
		{ xh_log "no blktap build (scripts/build-blktap.sh): handover-tapdisk will skip"; return 0; }
	mkdir -p "$1/blktap"
	cp -a "$bt/inst" "$1/blktap/inst" && echo "$bt/inst" > "$1/blktap/prefix"
	if [ ! -e "$nc/.complete" ]; then
		rm -rf "$nc" && mkdir -p "$nc/debs" &&
		( cd "$nc/debs" && apt-get download -q nbd-client libnl-3-200 libnl-genl-3-200 ) \
			> "$XH_OUT/nbd-client.log" 2>&1 &&
		for d in "$nc"/debs/*.deb; do dpkg-deb -x "$d" "$nc/x"; done &&
		[ -x "$nc/x/sbin/nbd-client" ] &&
		touch "$nc/.complete" ||
		{ xh_log "nbd-client download failed (build/e2e/latest/nbd-client.log)"; return 0; }
	fi
	mkdir -p "$1/nbd"
	cp -a "$nc"/x/sbin/nbd-client "$nc"/x/lib/x86_64-linux-gnu/libnl-*.so.* "$1/nbd/"
}

xh_build_payload() { # IMAGE_FILE SCENARIOS...
	local img=$1 p=$XH_OUT/payload
	shift
	rm -rf "$p"
	mkdir -p "$p/dom0/scenarios" "$p/guest" "$p/out"
	cp "$XH_E2E_DIR"/dom0/*.sh "$p/dom0/" && cp "$XH_E2E_DIR"/dom0/scenarios/*.sh "$p/dom0/scenarios/" ||
		return 1
	chmod +x "$p"/dom0/*.sh
	xh_build_guest_binary "$XH_OUT" || return 1
	xh_build_guest_initrd "$p/guest/domu-initrd.gz" "$XH_OUT/xh-guest" || return 1
	cp "${XH_GUEST_VMLINUZ:-$XH_IMG/vmlinuz}" "$p/guest/vmlinuz"
	if [ -n "${XH_DEB:-}" ]; then
		mkdir -p "$p/pkg" && cp "$XH_DEB" "$p/pkg/" || return 1
	fi
	xh_payload_tools "$p/tools"
	xh_plan_env "$@" > "$p/plan.env"
	rm -f "$img"
	mke2fs -q -t ext4 -d "$p" -L xh-payload "$img" 512M > /dev/null
}
