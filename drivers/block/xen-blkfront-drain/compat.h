/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen-blkfront-drain: the block layer calls that differ between the kernels
 * the module is built and tested for, Linux 6.1 (Debian 12) and 6.12
 * (Debian 13; Debian 12 carries it in bookworm-backports). This is the only
 * file that tells them apart.
 *
 * 6.11 finished replacing the blk_queue_*() setters by a struct queue_limits
 * applied in one update, with write cache and FUA as features of it
 * (BLK_FEAT_*), and blk_mq_alloc_disk() takes initial limits since 6.9.
 * Kbuild defines XBD_QUEUE_FEATURES when the kernel's blkdev.h has
 * BLK_FEAT_WRITE_CACHE (a feature test: checkpatch rightly frowns on
 * LINUX_VERSION_CODE). Kernels 6.9 and 6.10 have half of each and are not
 * supported (BUILD_EXCLUSIVE_KERNEL in dkms.conf).
 */
#ifndef XEN_BLKFRONT_DRAIN_COMPAT_H
#define XEN_BLKFRONT_DRAIN_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>

/* What the driver asks of its queue, in either kernel's terms. */
struct xbd_queue_limits {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int max_segments;
	unsigned int max_segment_size;
	unsigned long seg_boundary_mask;
	unsigned int max_hw_sectors;
	unsigned int dma_alignment;
	unsigned int max_discard_sectors;
	unsigned int max_secure_erase_sectors;
	unsigned int discard_granularity;
	unsigned int discard_alignment;
	bool write_cache;
	bool fua;
};

#ifdef XBD_QUEUE_FEATURES

static inline struct gendisk *xbd_alloc_disk(struct blk_mq_tag_set *set, void *queuedata)
{
	return blk_mq_alloc_disk(set, NULL, queuedata);
}

/* Process context: the update takes the queue's limits lock. */
static inline int xbd_set_limits(struct request_queue *q, const struct xbd_queue_limits *l)
{
	struct queue_limits lim = queue_limits_start_update(q);

	lim.logical_block_size = l->logical_block_size;
	lim.physical_block_size = l->physical_block_size;
	lim.max_segments = l->max_segments;
	lim.max_segment_size = l->max_segment_size;
	lim.seg_boundary_mask = l->seg_boundary_mask;
	lim.max_hw_sectors = l->max_hw_sectors;
	lim.dma_alignment = l->dma_alignment;
	lim.max_hw_discard_sectors = l->max_discard_sectors;
	lim.max_secure_erase_sectors = l->max_secure_erase_sectors;
	lim.discard_granularity = l->discard_granularity;
	lim.discard_alignment = l->discard_alignment;
	lim.features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA);
	if (l->write_cache)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	if (l->fua)
		lim.features |= BLK_FEAT_FUA;
	return queue_limits_commit_update(q, &lim);
}

/* Callable from the interrupt handler. */
static inline void xbd_disable_discard(struct request_queue *q)
{
	blk_queue_disable_discard(q);
	blk_queue_disable_secure_erase(q);
}

/*
 * The write cache feature cannot change from the interrupt handler (the
 * limits lock is a mutex): the queue keeps announcing it, and queue_rq
 * answers flushes with BLK_STS_NOTSUPP once the backend refused one.
 */
static inline void xbd_disable_write_cache(struct request_queue *q)
{
}

#else /* 6.1: one setter per limit */

static inline struct gendisk *xbd_alloc_disk(struct blk_mq_tag_set *set, void *queuedata)
{
	return blk_mq_alloc_disk(set, queuedata);
}

static inline int xbd_set_limits(struct request_queue *q, const struct xbd_queue_limits *l)
{
	blk_queue_logical_block_size(q, l->logical_block_size);
	blk_queue_physical_block_size(q, l->physical_block_size);
	blk_queue_max_segments(q, l->max_segments);
	blk_queue_max_segment_size(q, l->max_segment_size);
	blk_queue_segment_boundary(q, l->seg_boundary_mask);
	blk_queue_max_hw_sectors(q, l->max_hw_sectors);
	blk_queue_dma_alignment(q, l->dma_alignment);
	blk_queue_max_discard_sectors(q, l->max_discard_sectors);
	blk_queue_max_secure_erase_sectors(q, l->max_secure_erase_sectors);
	q->limits.discard_granularity = l->discard_granularity;
	q->limits.discard_alignment = l->discard_alignment;
	blk_queue_write_cache(q, l->write_cache, l->fua);
	return 0;
}

static inline void xbd_disable_discard(struct request_queue *q)
{
	blk_queue_max_discard_sectors(q, 0);
	blk_queue_max_secure_erase_sectors(q, 0);
}

static inline void xbd_disable_write_cache(struct request_queue *q)
{
	blk_queue_write_cache(q, false, false);
}

#endif

#endif /* XEN_BLKFRONT_DRAIN_COMPAT_H */
