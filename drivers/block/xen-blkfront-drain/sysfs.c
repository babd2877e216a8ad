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

/* A counter of struct xbd_stats (a u64), found by its offset. */
struct xbd_stat_attr {
	struct device_attribute dattr;
	size_t offset;
};

static ssize_t xbd_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	const struct xbd_stat_attr *sa = container_of(attr, struct xbd_stat_attr, dattr);
	const u64 *val = (const void *)&xbd_dev_info(dev)->stats + sa->offset;

	return sysfs_emit(buf, "%llu\n", READ_ONCE(*val));
}

/* One read-only attribute per counter, named after its field. */
#define XBD_STAT_ATTR(field)						\
static struct xbd_stat_attr xbd_stat_##field = {			\
	.dattr = {							\
		.attr = { .name = #field, .mode = 0444 },		\
		.show = xbd_stat_show,					\
	},								\
	.offset = offsetof(struct xbd_stats, field),			\
}

XBD_STAT_ATTR(drains);
XBD_STAT_ATTR(drain_timeouts);
XBD_STAT_ATTR(last_drain_usecs);
XBD_STAT_ATTR(last_drain_inflight);
XBD_STAT_ATTR(reissued);
XBD_STAT_ATTR(protocol_errors);

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
	&xbd_stat_drains.dattr.attr,
	&xbd_stat_drain_timeouts.dattr.attr,
	&xbd_stat_last_drain_usecs.dattr.attr,
	&xbd_stat_last_drain_inflight.dattr.attr,
	&xbd_stat_reissued.dattr.attr,
	&xbd_stat_protocol_errors.dattr.attr,
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
