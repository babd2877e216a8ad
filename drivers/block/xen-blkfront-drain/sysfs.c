// SPDX-License-Identifier: GPL-2.0
/*
 * Per-disk drain counters under /sys/block/<xvdX>/xen_drain/, read by the
 * end-to-end tests and by whoever wants to know what the last handover did.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "blkfront-drain.h"

static struct xbd_info *xbd_dev_info(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t xbd_stat_emit(struct device *dev, char *buf, size_t offset)
{
	const u64 *val = (const void *)&xbd_dev_info(dev)->stats + offset;

	return sysfs_emit(buf, "%llu\n", READ_ONCE(*val));
}

static ssize_t drains_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xbd_stat_emit(dev, buf, offsetof(struct xbd_stats, drains));
}
static DEVICE_ATTR_RO(drains);

static ssize_t drain_timeouts_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xbd_stat_emit(dev, buf, offsetof(struct xbd_stats, drain_timeouts));
}
static DEVICE_ATTR_RO(drain_timeouts);

static ssize_t last_drain_usecs_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	return xbd_stat_emit(dev, buf, offsetof(struct xbd_stats, last_drain_usecs));
}
static DEVICE_ATTR_RO(last_drain_usecs);

static ssize_t last_drain_inflight_show(struct device *dev, struct device_attribute *attr,
					char *buf)
{
	return xbd_stat_emit(dev, buf, offsetof(struct xbd_stats, last_drain_inflight));
}
static DEVICE_ATTR_RO(last_drain_inflight);

static ssize_t reissued_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xbd_stat_emit(dev, buf, offsetof(struct xbd_stats, reissued));
}
static DEVICE_ATTR_RO(reissued);

static ssize_t protocol_errors_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	return xbd_stat_emit(dev, buf, offsetof(struct xbd_stats, protocol_errors));
}
static DEVICE_ATTR_RO(protocol_errors);

static ssize_t inflight_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&xbd_dev_info(dev)->inflight));
}
static DEVICE_ATTR_RO(inflight);

static ssize_t state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	static const char * const names[] = {
		[XBD_DISCONNECTED] = "disconnected",
		[XBD_CONNECTED] = "connected",
		[XBD_BROKEN] = "broken",
		[XBD_CLOSED] = "closed",
	};
	struct xbd_info *info = xbd_dev_info(dev);
	enum xbd_conn c = READ_ONCE(info->connected);

	return sysfs_emit(buf, "%s%s\n", c < ARRAY_SIZE(names) ? names[c] : "unknown",
			  READ_ONCE(info->quiesced) ? " quiesced" : "");
}
static DEVICE_ATTR_RO(state);

static ssize_t features_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct xbd_info *info = xbd_dev_info(dev);

	return sysfs_emit(buf, "rings=%u ring_order=%u indirect=%u flush=%s discard=%u secure=%u\n",
			  info->nr_rings, info->ring_order, info->max_indirect,
			  info->flush_op == BLKIF_OP_FLUSH_DISKCACHE ? "flush-cache" :
			  info->flush_op == BLKIF_OP_WRITE_BARRIER ? "barrier" : "none",
			  info->feature_discard, info->feature_secure);
}
static DEVICE_ATTR_RO(features);

static struct attribute *xbd_drain_attrs[] = {
	&dev_attr_drains.attr,
	&dev_attr_drain_timeouts.attr,
	&dev_attr_last_drain_usecs.attr,
	&dev_attr_last_drain_inflight.attr,
	&dev_attr_reissued.attr,
	&dev_attr_protocol_errors.attr,
	&dev_attr_inflight.attr,
	&dev_attr_state.attr,
	&dev_attr_features.attr,
	NULL,
};

static const struct attribute_group xbd_drain_group = {
	.name = "xen_drain",
	.attrs = xbd_drain_attrs,
};

const struct attribute_group *xbd_disk_groups[] = {
	&xbd_drain_group,
	NULL,
};
