// SPDX-License-Identifier: GPL-2.0
/*
 * Block layer side: blk-mq dispatch onto the rings, the gendisk with its
 * xvd name and major 202 (so fstab and initramfs keep working when this
 * driver replaces xen-blkfront), and the queue limits the backend allows.
 */
#include <linux/hdreg.h>
#include <linux/module.h>
#include <xen/xen.h>

#include "blkfront-drain.h"
#include "compat.h"

#define XBD_EXT_SHIFT		28
#define XBD_IDE0_MAJOR		3
#define XBD_IDE1_MAJOR		22
#define XBD_SCSI0_MAJOR		8
#define XBD_SCSI1_MAJOR		65
#define XBD_SCSI7_MAJOR		71
#define XBD_SCSI8_MAJOR		128
#define XBD_SCSI15_MAJOR	135

/* xvda .. xvdz, xvdaa .. xvdzz, xvdaaa ..: the same scheme as sd and upstream. */
int xbd_disk_name(unsigned int index, char *buf, size_t len)
{
	char letters[8];
	char *p = letters + sizeof(letters);
	long n = index;

	*--p = '\0';
	do {
		if (p == letters)
			return -EINVAL;
		*--p = 'a' + n % 26;
		n = n / 26 - 1;
	} while (n >= 0);
	if (snprintf(buf, len, "xvd%s", p) >= len)
		return -EINVAL;
	return 0;
}

/*
 * Translate the "virtual-device" number into our minor range, the way the
 * in-tree driver does (so names in fstab stay valid): xvd numbers as they
 * are, emulated IDE/SCSI numbers onto xvd names. Whole disks get all their
 * partition minors, a partition alone gets one.
 */
int xbd_decode_vdevice(unsigned int vdevice, unsigned int *minor, unsigned int *nr_minors,
		       unsigned int *index)
{
	unsigned int parts = XBD_PARTS_PER_DISK;
	unsigned int major = vdevice >> 8;
	unsigned int m = vdevice & 0xff;

	if ((vdevice >> XBD_EXT_SHIFT) > 1)
		return -ENODEV;
	if (vdevice & (1U << XBD_EXT_SHIFT)) {
		parts = XBD_PARTS_PER_EXT_DISK;
		m = vdevice & ((1U << XBD_EXT_SHIFT) - 1);
	} else if (major == XBD_IDE0_MAJOR) {
		m = (m / 64) * parts;
	} else if (major == XBD_IDE1_MAJOR) {
		m = (m / 64 + 2) * parts;
	} else if (major >= XBD_SCSI1_MAJOR && major <= XBD_SCSI7_MAJOR) {
		m += (major - XBD_SCSI1_MAJOR + 1) * 16 * parts;
	} else if (major >= XBD_SCSI8_MAJOR && major <= XBD_SCSI15_MAJOR) {
		m += (major - XBD_SCSI8_MAJOR + 8) * 16 * parts;
	} else if (major != XBD_MAJOR && major != XBD_SCSI0_MAJOR) {
		return -ENODEV;
	}
	if (m >= MINORMASK)
		return -ERANGE;
	*index = m / parts;
	*minor = m;
	*nr_minors = (m % parts) ? 1 : parts;
	return 0;
}

static blk_status_t xbd_queue_rq(struct blk_mq_hw_ctx *hctx, const struct blk_mq_queue_data *bd)
{
	struct xbd_info *info = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct xbd_rq *d = xbd_rq_data(rq);
	unsigned int nsegs = 0;
	struct xbd_ring *ring;
	unsigned long flags;
	u64 discard = 0;
	u8 op, flag = 0;
	int notify, err;

	blk_mq_start_request(rq);
	d->parts = 0;
	d->status = BLK_STS_OK;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		op = BLKIF_OP_READ;
		break;
	case REQ_OP_WRITE:
		op = BLKIF_OP_WRITE;
		if ((rq->cmd_flags & REQ_FUA) && info->feature_fua)
			op = BLKIF_OP_WRITE_BARRIER;
		break;
	case REQ_OP_FLUSH:
		if (!info->flush_op)
			return BLK_STS_NOTSUPP;
		op = info->flush_op;
		break;
	case REQ_OP_SECURE_ERASE:
		if (!info->feature_secure)
			return BLK_STS_NOTSUPP;
		flag = BLKIF_DISCARD_SECURE;
		fallthrough;
	case REQ_OP_DISCARD:
		if (!info->feature_discard)
			return BLK_STS_NOTSUPP;
		op = BLKIF_OP_DISCARD;
		discard = blk_rq_sectors(rq);
		break;
	default:
		return BLK_STS_IOERR;
	}

	if (op != BLKIF_OP_DISCARD && blk_rq_nr_phys_segments(rq)) {
		sg_init_table(d->sg, info->seg_alloc);
		nsegs = blk_rq_map_sg(rq->q, rq, d->sg);
	}

	switch (READ_ONCE(info->connected)) {
	case XBD_CONNECTED:
		break;
	case XBD_DISCONNECTED:
		/* Reconnection kicks the queues again. */
		blk_mq_stop_hw_queue(hctx);
		return BLK_STS_DEV_RESOURCE;
	default:
		return BLK_STS_IOERR;
	}

	ring = &info->rings[hctx->queue_num % info->nr_rings];
	spin_lock_irqsave(&ring->lock, flags);
	if (READ_ONCE(info->connected) != XBD_CONNECTED) {
		spin_unlock_irqrestore(&ring->lock, flags);
		return BLK_STS_IOERR;
	}
	err = xbd_map_request(ring, rq, op, blk_rq_pos(rq), d->sg, nsegs, flag, discard);
	if (err == -EBUSY) {
		/* Ring full: the interrupt handler restarts us once slots free up. */
		blk_mq_stop_hw_queue(hctx);
		spin_unlock_irqrestore(&ring->lock, flags);
		return BLK_STS_DEV_RESOURCE;
	}
	if (err) {
		spin_unlock_irqrestore(&ring->lock, flags);
		/* Out of grant references is transient: blk-mq retries after a delay. */
		return err == -ENOSPC ? BLK_STS_RESOURCE : BLK_STS_IOERR;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring->front, notify);
	if (notify)
		info->ops->notify(ring);
	spin_unlock_irqrestore(&ring->lock, flags);
	return BLK_STS_OK;
}

static void xbd_complete_rq(struct request *rq)
{
	blk_mq_end_request(rq, xbd_rq_data(rq)->status);
}

static const struct blk_mq_ops xbd_mq_ops = {
	.queue_rq = xbd_queue_rq,
	.complete = xbd_complete_rq,
};

static int xbd_getgeo(struct block_device *bdev, struct hd_geometry *hg)
{
	sector_t cylinders = get_capacity(bdev->bd_disk);

	hg->heads = 255;
	hg->sectors = 63;
	sector_div(cylinders, hg->heads * hg->sectors);
	hg->cylinders = cylinders > 0xffff ? 0xffff : cylinders;
	return 0;
}

static const struct block_device_operations xbd_fops = {
	.owner = THIS_MODULE,
	.getgeo = xbd_getgeo,
};

int xbd_apply_limits(struct xbd_info *info)
{
	unsigned int segs = info->max_indirect ? info->max_indirect :
			    BLKIF_MAX_SEGMENTS_PER_REQUEST;
	struct xbd_queue_limits l = {
		.logical_block_size = info->sector_size,
		.physical_block_size = info->physical_sector_size,
		.max_segments = segs,
		.max_segment_size = PAGE_SIZE,
		.seg_boundary_mask = PAGE_SIZE - 1,
		.max_hw_sectors = (segs * PAGE_SIZE) >> SECTOR_SHIFT,
		.dma_alignment = SECTOR_SIZE - 1,
		.write_cache = info->flush_op != 0,
		.fua = info->feature_fua,
	};

	info->max_req_segs = segs;
	if (info->feature_discard) {
		l.max_discard_sectors = UINT_MAX;
		l.discard_granularity = info->discard_granularity ?: info->sector_size;
		l.discard_alignment = info->discard_alignment;
		l.max_secure_erase_sectors = info->feature_secure ? UINT_MAX : 0;
	}
	return xbd_set_limits(info->gd->queue, &l);
}

int xbd_create_disk(struct xbd_info *info)
{
	struct blk_mq_tag_set *set = &info->tag_set;
	struct gendisk *gd;
	int err;

	memset(set, 0, sizeof(*set));
	set->ops = &xbd_mq_ops;
	set->nr_hw_queues = info->nr_rings;
	set->queue_depth = min_t(unsigned int, info->rings[0].size, BLK_MQ_MAX_DEPTH);
	set->numa_node = NUMA_NO_NODE;
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->cmd_size = sizeof(struct xbd_rq) + info->seg_alloc * sizeof(struct scatterlist);
	set->driver_data = info;
	err = blk_mq_alloc_tag_set(set);
	if (err)
		return err;

	gd = xbd_alloc_disk(set, info);
	if (IS_ERR(gd)) {
		err = PTR_ERR(gd);
		goto free_tags;
	}
	gd->major = XBD_MAJOR;
	gd->first_minor = info->first_minor;
	gd->minors = info->nr_minors;
	gd->fops = &xbd_fops;
	gd->private_data = info;
	strscpy(gd->disk_name, info->name, sizeof(gd->disk_name));
	if (info->vdisk_info & (VDISK_REMOVABLE | VDISK_CDROM))
		gd->flags |= GENHD_FL_REMOVABLE;
	info->gd = gd;
	err = xbd_apply_limits(info);
	if (err)
		goto put_disk;
	set_capacity(gd, info->sectors);
	set_disk_ro(gd, !!(info->vdisk_info & (VDISK_READONLY | VDISK_CDROM)));

	err = device_add_disk(&info->xbdev->dev, gd, xbd_disk_groups);
	if (err)
		goto put_disk;
	return 0;

put_disk:
	info->gd = NULL;
	put_disk(gd);
free_tags:
	blk_mq_free_tag_set(set);
	return err;
}

void xbd_kick_queues(struct xbd_info *info)
{
	if (!info->gd)
		return;
	blk_mq_start_stopped_hw_queues(info->gd->queue, true);
	blk_mq_kick_requeue_list(info->gd->queue);
}
