#!/bin/sh
# Minimal xl hotplug script for the test rig's phy disks (disk spec
# script=/xh/dom0/block-fast.sh). Debian's /etc/xen/scripts/block does the
# same plus sharing checks and locking, which under a loaded TCG dom0 can
# exceed libxl's 40 s hotplug timeout. The storage plumbing is not what the
# tests examine; separate dm devices per domain keep sharing impossible.
# usage (by libxl): block-fast.sh add|remove, env XENBUS_PATH
set -u
case ${1:-} in
add)
	dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
	if [ ! -b "$dev" ]; then
		xenstore-write "$XENBUS_PATH/hotplug-error" "$dev is not a block device" \
			"$XENBUS_PATH/hotplug-status" error
		exit 1
	fi
	mm=$(stat -L -c '%t:%T' "$dev") || exit 1
	xenstore-write "$XENBUS_PATH/physical-device" "$mm" \
		"$XENBUS_PATH/physical-device-path" "$dev" \
		"$XENBUS_PATH/hotplug-status" connected
	;;
remove)
	;;
*)
	echo "usage: $0 add|remove" >&2
	exit 1
	;;
esac
