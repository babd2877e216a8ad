// SPDX-License-Identifier: GPL-2.0
/*
 * xen-blkfront-drain: Xen PV block frontend for "vbd" devices that drains
 * its rings before a save, migration or hibernation instead of re-issuing
 * in-flight requests on the destination.
 *
 * This file holds the module glue and the xenbus state machine:
 *   Initialising -(backend InitWait)-> Initialised -(backend Connected)->
 *   Connected; backend Closing/Closed -> Closed; .suspend drains;
 *   .resume drops the old rings and starts again from Initialising.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/platform_pci.h>
#include <xen/xen.h>

#include "blkfront-drain.h"

static void xbd_read_features(struct xbd_info *info)
{
	const char *be = info->xbdev->otherend;

	/* flush-cache wins over barrier; only barrier gives us FUA. */
	info->flush_op = 0;
	info->feature_fua = false;
	if (xenbus_read_unsigned(be, "feature-flush-cache", 0)) {
		info->flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	} else if (xenbus_read_unsigned(be, "feature-barrier", 0)) {
		info->flush_op = BLKIF_OP_WRITE_BARRIER;
		info->feature_fua = true;
	}
	info->feature_discard = xenbus_read_unsigned(be, "feature-discard", 0);
	info->feature_secure = info->feature_discard &&
			       xenbus_read_unsigned(be, "discard-secure", 0);
	info->discard_granularity = xenbus_read_unsigned(be, "discard-granularity", 0);
	info->discard_alignment = xenbus_read_unsigned(be, "discard-alignment", 0);
}

static bool xbd_valid_sector_size(unsigned long size)
{
	return size >= SECTOR_SIZE && size <= PAGE_SIZE && is_power_of_2(size);
}

/* Backend is Connected: create the disk, or finish a reconnection after resume. */
static void xbd_connect(struct xbd_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	unsigned long sector_size, phys;
	unsigned long long sectors;
	unsigned int binfo, n;
	int err;

	if (!info->rings || READ_ONCE(info->connected) == XBD_BROKEN ||
	    READ_ONCE(info->connected) == XBD_CLOSED)
		return;
	err = xenbus_gather(XBT_NIL, dev->otherend, "sectors", "%llu", &sectors,
			    "info", "%u", &binfo, "sector-size", "%lu", &sector_size, NULL);
	if (err) {
		xenbus_dev_fatal(dev, err, "reading backend fields at %s", dev->otherend);
		return;
	}
	phys = xenbus_read_unsigned(dev->otherend, "physical-sector-size", sector_size);
	if (!xbd_valid_sector_size(sector_size) || phys < sector_size || !is_power_of_2(phys)) {
		xenbus_dev_fatal(dev, -EINVAL, "bad sector-size %lu / physical-sector-size %lu",
				 sector_size, phys);
		return;
	}

	if (READ_ONCE(info->connected) == XBD_CONNECTED) {
		/* Already up: the backend announces a new size. */
		if (info->gd && sectors != info->sectors) {
			info->sectors = sectors;
			set_capacity_and_notify(info->gd, sectors);
		}
		return;
	}

	if (info->gd && sector_size != info->sector_size) {
		/* Parked requests were built for the old size: refuse, do not corrupt. */
		xenbus_dev_fatal(dev, -EINVAL, "sector size changed from %u to %lu",
				 info->sector_size, sector_size);
		WRITE_ONCE(info->connected, XBD_CLOSED);
		xbd_dispatch_restart(info);
		return;
	}
	info->resuming = false;
	info->sectors = sectors;
	info->vdisk_info = binfo;
	info->sector_size = sector_size;
	info->physical_sector_size = phys;
	xbd_read_features(info);

	if (!info->gd) {
		WRITE_ONCE(info->connected, XBD_CONNECTED);
		xenbus_switch_state(dev, XenbusStateConnected);
		err = xbd_create_disk(info);
		if (err) {
			WRITE_ONCE(info->connected, XBD_CLOSED);
			xenbus_dev_fatal(dev, err, "creating disk %s", info->name);
		}
		return;
	}

	err = xbd_apply_limits(info);
	if (err)
		dev_warn(&dev->dev, "queue limits of the new backend not applied: %d\n", err);
	if (get_capacity(info->gd) != sectors)
		set_capacity_and_notify(info->gd, sectors);
	WRITE_ONCE(info->connected, XBD_CONNECTED);
	xenbus_switch_state(dev, XenbusStateConnected);
	n = xbd_reissue(info);
	if (n)
		dev_warn(&dev->dev, "re-issued %u requests that were on the ring at suspend\n", n);
	xbd_dispatch_restart(info);
}

static void xbd_closing(struct xbd_info *info)
{
	struct xenbus_device *dev = info->xbdev;

	if (dev->state == XenbusStateClosing)
		return;
	mutex_lock(&info->mutex);
	if (READ_ONCE(info->connected) != XBD_BROKEN)
		WRITE_ONCE(info->connected, XBD_CLOSED);
	if (info->gd) {
		blk_mark_disk_dead(info->gd);
		/* Parked requests must fail now rather than wait forever. */
		xbd_dispatch_restart(info);
	}
	mutex_unlock(&info->mutex);
	xenbus_frontend_closed(dev);
}

static void xbd_backend_changed(struct xenbus_device *dev, enum xenbus_state state)
{
	struct xbd_info *info = dev_get_drvdata(&dev->dev);

	switch (state) {
	case XenbusStateInitWait:
		mutex_lock(&info->mutex);
		if (dev->state == XenbusStateInitialising &&
		    READ_ONCE(info->connected) == XBD_DISCONNECTED)
			xbd_talk_to_backend(info);
		mutex_unlock(&info->mutex);
		break;
	case XenbusStateConnected:
		mutex_lock(&info->mutex);
		if (dev->state == XenbusStateInitialising &&
		    READ_ONCE(info->connected) == XBD_DISCONNECTED)
			xbd_talk_to_backend(info);
		xbd_connect(info);
		mutex_unlock(&info->mutex);
		break;
	case XenbusStateClosed:
		/*
		 * Closed while we are Initialising: the backend was left behind
		 * by a previous driver and reconnects when it sees Initialising.
		 */
		if (dev->state == XenbusStateClosed ||
		    dev->state == XenbusStateInitialising)
			break;
		fallthrough;
	case XenbusStateClosing:
		xbd_closing(info);
		break;
	default:
		break;
	}
}

static int xbd_probe(struct xenbus_device *dev, const struct xenbus_device_id *id)
{
	unsigned int vdevice, minor, nr_minors, index;
	struct xbd_info *info;
	const char *slash;
	int err;

	err = xenbus_scanf(XBT_NIL, dev->nodename, "virtual-device", "%u", &vdevice);
	if (err != 1)
		err = xenbus_scanf(XBT_NIL, dev->nodename, "virtual-device-ext", "%u", &vdevice);
	if (err != 1) {
		xenbus_dev_fatal(dev, err < 0 ? err : -EINVAL, "reading virtual-device");
		return err < 0 ? err : -EINVAL;
	}
	if (xen_hvm_domain()) {
		char *type = xenbus_read(XBT_NIL, dev->nodename, "device-type", NULL);
		bool cdrom = !IS_ERR(type) && !strcmp(type, "cdrom");

		if (!IS_ERR(type))
			kfree(type);
		/* Emulated CD-ROMs stay with the emulator unless both may coexist. */
		if (cdrom && !xen_has_pv_and_legacy_disk_devices())
			return -ENXIO;
	}
	err = xbd_decode_vdevice(vdevice, &minor, &nr_minors, &index);
	if (err) {
		xenbus_dev_fatal(dev, err, "unsupported virtual-device %#x", vdevice);
		return err;
	}

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	mutex_init(&info->mutex);
	init_waitqueue_head(&info->drain_wq);
	INIT_LIST_HEAD(&info->reissue);
	atomic_set(&info->inflight, 0);
	info->xbdev = dev;
	info->ops = &xbd_xen_ops;
	info->connected = XBD_DISCONNECTED;
	info->vdevice = vdevice;
	info->first_minor = minor;
	info->nr_minors = nr_minors;
	slash = strrchr(dev->nodename, '/');
	if (!slash || kstrtouint(slash + 1, 10, &info->handle))
		info->handle = vdevice;
	err = xbd_disk_name(index, info->name, sizeof(info->name));
	if (!err && nr_minors == 1) {
		size_t len = strlen(info->name);

		snprintf(info->name + len, sizeof(info->name) - len, "%u",
			 minor % XBD_PARTS_PER_DISK);
	}
	if (err) {
		kfree(info);
		xenbus_dev_fatal(dev, err, "naming virtual-device %#x", vdevice);
		return err;
	}
	dev_set_drvdata(&dev->dev, info);
	err = xbd_pmdev_register(info);
	if (err) {
		dev_set_drvdata(&dev->dev, NULL);
		kfree(info);
		return err;
	}
	/*
	 * After an unbind (another driver, or this one reloaded) the device is
	 * Closed; announcing Initialising makes blkback offer InitWait again.
	 */
	if (dev->state != XenbusStateInitialising)
		xenbus_switch_state(dev, XenbusStateInitialising);
	return 0;
}

static void xbd_close_watch(struct xenbus_watch *watch, const char *path, const char *token)
{
	struct xbd_info *info = container_of(watch, struct xbd_info, close_watch);
	enum xenbus_state be = xenbus_read_driver_state(info->xbdev->otherend);

	if (be == READ_ONCE(info->close_wait_state) || be == XenbusStateUnknown)
		complete(&info->backend_closed);
}

static bool xbd_wait_backend(struct xbd_info *info, enum xenbus_state state)
{
	reinit_completion(&info->backend_closed);
	WRITE_ONCE(info->close_wait_state, state);
	if (xenbus_read_driver_state(info->xbdev->otherend) == state)
		return true;
	return wait_for_completion_timeout(&info->backend_closed, 5 * HZ) &&
	       xenbus_read_driver_state(info->xbdev->otherend) == state;
}

/*
 * Unbinding (rmmod, sysfs unbind) while the backend is connected: close the
 * connection properly, so the backend unmaps our ring and pages, then offer
 * the device again (Initialising, backend InitWait) so that any frontend
 * driver, this one or xen-blkfront, can be bound next.
 */
static bool xbd_hand_back(struct xbd_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	bool closed;

	if (dev->state != XenbusStateInitialised && dev->state != XenbusStateConnected)
		return false;
	/* Our directory is gone: the toolstack is removing the device. */
	if (!xenbus_exists(XBT_NIL, dev->nodename, ""))
		return false;
	if (xenbus_read_driver_state(dev->otherend) == XenbusStateUnknown)
		return false;
	init_completion(&info->backend_closed);
	info->close_wait_state = XenbusStateClosed;
	if (xenbus_watch_pathfmt(dev, &info->close_watch, NULL, xbd_close_watch,
				 "%s/state", dev->otherend))
		return false;
	xenbus_switch_state(dev, XenbusStateClosing);
	xenbus_switch_state(dev, XenbusStateClosed);
	closed = xbd_wait_backend(info, XenbusStateClosed);
	if (closed) {
		xenbus_switch_state(dev, XenbusStateInitialising);
		if (!xbd_wait_backend(info, XenbusStateInitWait))
			dev_warn(&dev->dev, "backend did not offer a reconnection\n");
	} else {
		dev_warn(&dev->dev, "backend did not close; the device cannot be rebound\n");
	}
	unregister_xenbus_watch(&info->close_watch);
	kfree(info->close_watch.node);
	info->close_watch.node = NULL;
	return closed;
}

static void xbd_remove(struct xenbus_device *dev)
{
	struct xbd_info *info = dev_get_drvdata(&dev->dev);
	bool handed_back = false;
	enum xenbus_state be;
	unsigned int n;

	xbd_pmdev_unregister(info);
	mutex_lock(&info->mutex);
	/*
	 * Requests of a broken device never complete: ask the backend to let
	 * go first. Its Closed proves nothing (blkback reports it with I/O
	 * still in flight): xbd_abandon() hands pages whose grant cannot be
	 * ended to the grant table's deferred release.
	 */
	if (READ_ONCE(info->connected) == XBD_BROKEN)
		handed_back = xbd_hand_back(info);
	/*
	 * del_gendisk() waits for every request, in xenwatch: with a backend
	 * that is gone or closing, fail them now; with a connected one, fail
	 * what it has not answered after drain_timeout_ms.
	 */
	be = xenbus_read_driver_state(dev->otherend);
	if (xbd_remove_may_wait(READ_ONCE(info->connected), be)) {
		xbd_remove_arm(info, msecs_to_jiffies(READ_ONCE(xbd_drain_timeout_ms)));
	} else {
		n = xbd_abandon(info);
		if (n)
			dev_warn(&dev->dev, "backend %s: %u requests failed before removal\n",
				 xenbus_strstate(be), n);
	}
	xbd_dispatch_restart(info);
	mutex_unlock(&info->mutex);

	if (info->gd)
		del_gendisk(info->gd);
	xbd_remove_disarm(info);
	mutex_lock(&info->mutex);
	WRITE_ONCE(info->connected, XBD_CLOSED);
	if (!handed_back)
		xbd_hand_back(info);
	xbd_abandon(info);
	xbd_free_rings(info);
	if (info->gd) {
		put_disk(info->gd);
		blk_mq_free_tag_set(&info->tag_set);
		info->gd = NULL;
	}
	mutex_unlock(&info->mutex);
	dev_set_drvdata(&dev->dev, NULL);
	kfree(info);
}

static int xbd_xenbus_suspend(struct xenbus_device *dev)
{
	return xbd_suspend(dev_get_drvdata(&dev->dev));
}

/* A new backend (new host, or a restored image): drop the old rings and reconnect. */
static int xbd_xenbus_resume(struct xenbus_device *dev)
{
	struct xbd_info *info = dev_get_drvdata(&dev->dev);
	unsigned int n;

	mutex_lock(&info->mutex);
	info->resuming = true;
	if (info->gd && !info->quiesced) {
		blk_mq_quiesce_queue(info->gd->queue);
		info->quiesced = true;
	}
	n = xbd_collect_unfinished(info);
	if (n)
		dev_warn(&dev->dev, "%u requests were still on the ring at suspend\n", n);
	/* Left: requests whose pages the old backend still maps. Never re-issued. */
	xbd_unbind_irqs(info);
	n = xbd_fail_unfinished(info);
	if (n)
		dev_warn(&dev->dev, "%u requests failed: the old backend still maps their pages\n",
			 n);
	xbd_free_rings(info);
	atomic_set(&info->inflight, 0);
	switch (READ_ONCE(info->connected)) {
	case XBD_CONNECTED:
		WRITE_ONCE(info->connected, XBD_DISCONNECTED);
		fallthrough;
	case XBD_DISCONNECTED:
		if (xenbus_read_driver_state(dev->otherend) == XenbusStateInitWait)
			xbd_talk_to_backend(info);
		break;
	default:
		/* Broken or closed for good: fail what is left instead of hanging. */
		xbd_fail_reissue_list(info);
		info->resuming = false;
		xbd_dispatch_restart(info);
		break;
	}
	mutex_unlock(&info->mutex);
	return 0;
}

static int xbd_is_ready(struct xenbus_device *dev)
{
	struct xbd_info *info = dev_get_drvdata(&dev->dev);

	return info && READ_ONCE(info->connected) == XBD_CONNECTED && info->gd;
}

static const struct xenbus_device_id xbd_ids[] = {
	{ "vbd" },
	{ "" }
};

static struct xenbus_driver xbd_driver = {
	.ids = xbd_ids,
	.probe = xbd_probe,
	.remove = xbd_remove,
	.suspend = xbd_xenbus_suspend,
	.resume = xbd_xenbus_resume,
	.otherend_changed = xbd_backend_changed,
	.is_ready = xbd_is_ready,
	/* xbd_hand_back() leaves the device ready for the next driver. */
	.allow_rebind = true,
};

static int __init xbd_init(void)
{
	int err;

	BUILD_BUG_ON(PAGE_SIZE != XEN_PAGE_SIZE);
	if (!xen_domain())
		return -ENODEV;
	if (xen_hvm_domain() && !xen_has_pv_disk_devices())
		return -ENODEV;

	err = register_blkdev(XBD_MAJOR, "xvd");
	if (err) {
		pr_err("block major %d (xvd) is taken, most likely by xen_blkfront; unload and blacklist xen_blkfront first\n",
		       XBD_MAJOR);
		return -EBUSY;
	}
	err = xenbus_register_frontend(&xbd_driver);
	if (err) {
		pr_err("cannot register the xenbus \"vbd\" driver (%d); is xen_blkfront loaded or built in?\n",
		       err);
		unregister_blkdev(XBD_MAJOR, "xvd");
		return err;
	}
	pr_info("PV block frontend with drain-before-handover, drain_timeout_ms=%u\n",
		xbd_drain_timeout_ms);
	return 0;
}

static void __exit xbd_exit(void)
{
	xenbus_unregister_driver(&xbd_driver);
	unregister_blkdev(XBD_MAJOR, "xvd");
}

module_init(xbd_init);
module_exit(xbd_exit);

MODULE_DESCRIPTION("Xen PV block frontend that drains in-flight I/O before handover");
MODULE_LICENSE("GPL");
MODULE_ALIAS("xen:vbd");
