// SPDX-License-Identifier: GPL-2.0
/*
 * Shared ring handling: shadow slots, grant mapping of requests (direct and
 * indirect segments, split into several slots when a backend allows fewer
 * segments than a request carries), ring and event-channel setup and the
 * xenstore negotiation with the backend (multi-page rings, multi-queue).
 */
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/interface/io/protocols.h>
#include <xen/page.h>
#include <xen-handover/xenstore-keys.h>

#include "blkfront-drain.h"

#define XBD_MAX_PARTS	DIV_ROUND_UP(XBD_MAX_SEGMENTS, BLKIF_MAX_SEGMENTS_PER_REQUEST)

static unsigned int max_ring_page_order;
module_param(max_ring_page_order, uint, 0444);
MODULE_PARM_DESC(max_ring_page_order, "Largest ring order to use (0..4, default 0)");

static unsigned int max_queues = 4;
module_param(max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "Largest number of rings (hardware queues) per device (default 4)");

static unsigned int max_indirect_segments = 32;
module_param(max_indirect_segments, uint, 0444);
MODULE_PARM_DESC(max_indirect_segments,
		 "Largest segments per indirect request (0 disables, max 256, default 32)");

static bool xbd_op_is_rw(u8 op)
{
	return op == BLKIF_OP_READ || op == BLKIF_OP_WRITE;
}

static unsigned int xbd_part_max(struct xbd_info *info, u8 op)
{
	if (xbd_op_is_rw(op) && info->max_indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return info->max_indirect;
	return BLKIF_MAX_SEGMENTS_PER_REQUEST;
}

unsigned int xbd_parts_needed(struct xbd_info *info, u8 op, unsigned int nsegs)
{
	if (!nsegs)
		return 1;
	return DIV_ROUND_UP(nsegs, xbd_part_max(info, op));
}

int xbd_ring_init_shadows(struct xbd_info *info, struct xbd_ring *ring, unsigned int size)
{
	unsigned int i, j, nr_ipages = 0;

	if (info->max_indirect)
		nr_ipages = DIV_ROUND_UP(info->max_indirect, XBD_SEGS_PER_IPAGE);

	ring->info = info;
	ring->size = size;
	spin_lock_init(&ring->lock);
	ring->shadow = kvcalloc(size, sizeof(*ring->shadow), GFP_KERNEL);
	if (!ring->shadow)
		return -ENOMEM;
	for (i = 0; i < size; i++) {
		struct xbd_shadow *sh = &ring->shadow[i];

		sh->grefs = kcalloc(info->seg_alloc, sizeof(*sh->grefs), GFP_KERNEL);
		sh->gpages = kcalloc(info->seg_alloc, sizeof(*sh->gpages), GFP_KERNEL);
		if (!sh->grefs || !sh->gpages)
			goto nomem;
		for (j = 0; j < nr_ipages; j++) {
			sh->ipages[j] = alloc_page(GFP_KERNEL);
			if (!sh->ipages[j])
				goto nomem;
		}
		sh->next_free = i + 1;
	}
	ring->free_head = 0;
	ring->nr_free = size;
	return 0;
nomem:
	xbd_ring_free_shadows(ring);
	return -ENOMEM;
}

void xbd_ring_free_shadows(struct xbd_ring *ring)
{
	unsigned int i, j;

	if (!ring->shadow)
		return;
	for (i = 0; i < ring->size; i++) {
		struct xbd_shadow *sh = &ring->shadow[i];

		kfree(sh->grefs);
		kfree(sh->gpages);
		/*
		 * A leaked slot's pages may still be mapped by the backend: keep
		 * them. A retired slot's granted pages belong to the grant table
		 * now (their pointers are cleared); the others are ours.
		 */
		if (sh->state == XBD_SLOT_LEAKED)
			continue;
		for (j = 0; j < XBD_MAX_IPAGES; j++)
			if (sh->ipages[j])
				__free_page(sh->ipages[j]);
	}
	kvfree(ring->shadow);
	ring->shadow = NULL;
	ring->nr_free = 0;
}

static u32 xbd_take_slot(struct xbd_ring *ring)
{
	u32 id = ring->free_head;

	ring->free_head = ring->shadow[id].next_free;
	ring->nr_free--;
	return id;
}

static void xbd_put_slot(struct xbd_ring *ring, u32 id)
{
	struct xbd_shadow *sh = &ring->shadow[id];

	sh->state = XBD_SLOT_FREE;
	sh->rq = NULL;
	sh->next_free = ring->free_head;
	ring->free_head = id;
	ring->nr_free++;
}

/* End one grant unless that was done already; false if the backend still maps it. */
static bool xbd_revoke(struct xbd_info *info, grant_ref_t *ref)
{
	if (*ref == INVALID_GRANT_REF)
		return true;
	if (!info->ops->end_grant(info, *ref))
		return false;
	*ref = INVALID_GRANT_REF;
	return true;
}

/*
 * End every grant of a slot. Returns false (and retires the slot) if the
 * backend still has one of them mapped: its pages must not be reused, and
 * the refs not yet ended stay recorded so that a later call can revoke them.
 */
bool xbd_release_slot(struct xbd_ring *ring, unsigned int id)
{
	struct xbd_info *info = ring->info;
	struct xbd_shadow *sh = &ring->shadow[id];
	bool ok = true;
	unsigned int i;

	for (i = 0; i < sh->nr_grants; i++)
		if (!xbd_revoke(info, &sh->grefs[i]))
			ok = false;
	for (i = 0; i < sh->nr_igrants; i++)
		if (!xbd_revoke(info, &sh->igrefs[i]))
			ok = false;
	if (sh->state == XBD_SLOT_INFLIGHT)
		atomic_dec(&info->inflight);
	if (!ok) {
		/* sh->rq stays: the request must not end while its pages are mapped. */
		sh->state = XBD_SLOT_LEAKED;
		return false;
	}
	sh->nr_grants = 0;
	sh->nr_igrants = 0;
	xbd_put_slot(ring, id);
	return true;
}

/*
 * Give up a slot whose grants the backend may still map, for good: each
 * grant not yet ended goes to the grant table's deferred release together
 * with a page reference, so the page cannot return to the allocator before
 * the backend unmaps it. A data page gets a reference of its own (its owner
 * keeps theirs); an indirect page is ours and is handed over as it is. The
 * slot is never used again. Ring lock held.
 */
void xbd_defer_slot(struct xbd_ring *ring, unsigned int id)
{
	struct xbd_info *info = ring->info;
	struct xbd_shadow *sh = &ring->shadow[id];
	unsigned int i;

	if (sh->state == XBD_SLOT_INFLIGHT)
		atomic_dec(&info->inflight);
	for (i = 0; i < sh->nr_grants; i++) {
		if (sh->grefs[i] == INVALID_GRANT_REF)
			continue;
		get_page(sh->gpages[i]);
		info->ops->defer_grant(info, sh->grefs[i], sh->gpages[i]);
		sh->grefs[i] = INVALID_GRANT_REF;
	}
	for (i = 0; i < sh->nr_igrants; i++) {
		if (sh->igrefs[i] == INVALID_GRANT_REF)
			continue;
		info->ops->defer_grant(info, sh->igrefs[i], sh->ipages[i]);
		sh->igrefs[i] = INVALID_GRANT_REF;
		sh->ipages[i] = NULL;
	}
	sh->nr_grants = 0;
	sh->nr_igrants = 0;
	sh->rq = NULL;
	sh->state = XBD_SLOT_GONE;
}

static int xbd_grant_segment(struct xbd_info *info, struct xbd_shadow *sh,
			     struct scatterlist *sg, bool readonly,
			     struct blkif_request_segment *seg)
{
	/* blk_rq_map_sg() may leave a multi-page bvec's page with a larger offset. */
	struct page *page = sg_page(sg) + (sg->offset >> PAGE_SHIFT);
	unsigned int off = offset_in_page(sg->offset);
	int ref;

	/* The queue limits keep every segment inside one page, in whole sectors. */
	if (off + sg->length > XEN_PAGE_SIZE || !sg->length ||
	    (off | sg->length) & (SECTOR_SIZE - 1))
		return -EINVAL;
	ref = info->ops->grant(info, page, readonly);
	if (ref < 0)
		return ref;
	sh->gpages[sh->nr_grants] = page;
	sh->grefs[sh->nr_grants++] = ref;
	seg->gref = ref;
	seg->first_sect = off >> SECTOR_SHIFT;
	seg->last_sect = (off + sg->length - 1) >> SECTOR_SHIFT;
	return 0;
}

/* Fill one ring request from up to xbd_part_max() segments starting at *sgp. */
static int xbd_fill_part(struct xbd_info *info, struct xbd_shadow *sh, u32 id,
			 struct blkif_request *req, u8 op, sector_t sector,
			 struct scatterlist **sgp, unsigned int n, unsigned int *sectors)
{
	bool readonly = op != BLKIF_OP_READ;
	struct blkif_request_segment *segs = NULL;
	struct scatterlist *sg = *sgp;
	unsigned int i, total = 0;
	int err, ref;

	memset(req, 0, sizeof(*req));
	if (n > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		unsigned int nr_ipages = DIV_ROUND_UP(n, XBD_SEGS_PER_IPAGE);

		req->operation = BLKIF_OP_INDIRECT;
		req->u.indirect.indirect_op = op;
		req->u.indirect.nr_segments = n;
		req->u.indirect.id = id;
		req->u.indirect.sector_number = sector;
		req->u.indirect.handle = info->handle;
		for (i = 0; i < nr_ipages; i++) {
			ref = info->ops->grant(info, sh->ipages[i], true);
			if (ref < 0)
				return ref;
			sh->igrefs[sh->nr_igrants++] = ref;
			req->u.indirect.indirect_grefs[i] = ref;
		}
	} else {
		req->operation = op;
		req->u.rw.nr_segments = n;
		req->u.rw.id = id;
		req->u.rw.sector_number = sector;
		req->u.rw.handle = info->handle;
	}

	for (i = 0; i < n; i++, sg = sg_next(sg)) {
		struct blkif_request_segment *seg;

		if (req->operation == BLKIF_OP_INDIRECT) {
			if (i % XBD_SEGS_PER_IPAGE == 0)
				segs = page_address(sh->ipages[i / XBD_SEGS_PER_IPAGE]);
			seg = &segs[i % XBD_SEGS_PER_IPAGE];
		} else {
			seg = &req->u.rw.seg[i];
		}
		err = xbd_grant_segment(info, sh, sg, readonly, seg);
		if (err)
			return err;
		total += sg->length >> SECTOR_SHIFT;
	}
	*sgp = sg;
	*sectors = total;
	return 0;
}

static void xbd_fill_discard(struct xbd_info *info, struct blkif_request *req, u32 id,
			     sector_t sector, u64 nr_sectors, u8 flag)
{
	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_DISCARD;
	req->u.discard.flag = flag;
	req->u.discard.id = id;
	req->u.discard.sector_number = sector;
	req->u.discard.nr_sectors = nr_sectors;
}

/*
 * Put one block request on the ring as one or more parts. Called with the
 * ring lock held. Returns -EBUSY, leaving the ring untouched, when there are
 * not enough free slots; other errors also leave nothing behind.
 */
int xbd_map_request(struct xbd_ring *ring, struct request *rq, u8 op, sector_t sector,
		    struct scatterlist *sgl, unsigned int nsegs, u8 discard_flag,
		    u64 discard_sectors)
{
	struct xbd_info *info = ring->info;
	unsigned int parts = xbd_parts_needed(info, op, nsegs);
	unsigned int per_part = xbd_part_max(info, op);
	struct scatterlist *sg = sgl;
	u32 ids[XBD_MAX_PARTS];
	unsigned int p, done = 0;
	int err = 0;

	if (parts > XBD_MAX_PARTS || nsegs > XBD_MAX_SEGMENTS)
		return -EINVAL;
	if (op == BLKIF_OP_DISCARD && nsegs)
		return -EINVAL;
	if (ring->nr_free < parts)
		return -EBUSY;

	for (p = 0; p < parts; p++) {
		unsigned int n = min(nsegs - done, per_part);
		unsigned int sectors = 0;
		struct blkif_request req;
		struct xbd_shadow *sh;

		ids[p] = xbd_take_slot(ring);
		sh = &ring->shadow[ids[p]];
		sh->state = XBD_SLOT_INFLIGHT;
		sh->rq = rq;
		sh->op = op;
		atomic_inc(&info->inflight);
		if (op == BLKIF_OP_DISCARD)
			xbd_fill_discard(info, &req, ids[p], sector, discard_sectors,
					 discard_flag);
		else
			err = xbd_fill_part(info, sh, ids[p], &req, op, sector, &sg, n,
					    &sectors);
		if (err) {
			p++;
			goto undo;
		}
		*RING_GET_REQUEST(&ring->front, ring->front.req_prod_pvt + p) = req;
		sector += sectors;
		done += n;
	}
	ring->front.req_prod_pvt += parts;
	if (rq)
		xbd_rq_data(rq)->parts += parts;
	return 0;

undo:
	/* Nothing was pushed: our grants are unused, so ending them cannot fail. */
	while (p--)
		xbd_release_slot(ring, ids[p]);
	return err;
}

/* Queue the drain's own cache flush (no block request behind it). Ring lock held. */
int xbd_queue_flush(struct xbd_ring *ring)
{
	struct xbd_info *info = ring->info;

	if (!info->flush_op)
		return -EOPNOTSUPP;
	return xbd_map_request(ring, NULL, info->flush_op, 0, NULL, 0, 0, 0);
}

/* ---- Xen side: real grants, event channels and xenstore ---- */

static int xbd_xen_grant(struct xbd_info *info, struct page *page, bool readonly)
{
	return gnttab_grant_foreign_access(info->backend_id, xen_page_to_gfn(page),
					   readonly);
}

static bool xbd_xen_end_grant(struct xbd_info *info, grant_ref_t ref)
{
	return gnttab_try_end_foreign_access(ref);
}

/* The grant table retries in the background and puts the page once it is free. */
static void xbd_xen_defer_grant(struct xbd_info *info, grant_ref_t ref, struct page *page)
{
	gnttab_end_foreign_access(ref, page);
}

static void xbd_xen_notify(struct xbd_ring *ring)
{
	notify_remote_via_irq(ring->irq);
}

static void xbd_xen_eoi(struct xbd_ring *ring, unsigned int flags)
{
	xen_irq_lateeoi(ring->irq, flags);
}

static void xbd_xen_complete(struct xbd_info *info, struct request *rq)
{
	blk_mq_complete_request(rq);
}

const struct xbd_env_ops xbd_xen_ops = {
	.grant = xbd_xen_grant,
	.end_grant = xbd_xen_end_grant,
	.defer_grant = xbd_xen_defer_grant,
	.notify = xbd_xen_notify,
	.eoi = xbd_xen_eoi,
	.complete = xbd_xen_complete,
};

static void xbd_free_ring(struct xbd_ring *ring)
{
	void *sring = ring->front.sring;

	if (ring->irq > 0)
		unbind_from_irqhandler(ring->irq, ring);
	ring->irq = 0;
	ring->evtchn = 0;
	if (sring)
		xenbus_teardown_ring(&sring, ring->nr_pages, ring->ring_refs);
	ring->front.sring = NULL;
	xbd_ring_free_shadows(ring);
}

/* No more responses: unbinding waits for a running handler and closes the channel. */
void xbd_unbind_irqs(struct xbd_info *info)
{
	unsigned int i;

	for (i = 0; info->rings && i < info->nr_rings; i++) {
		struct xbd_ring *ring = &info->rings[i];

		if (ring->irq > 0)
			unbind_from_irqhandler(ring->irq, ring);
		ring->irq = 0;
		ring->evtchn = 0;
	}
}

void xbd_free_rings(struct xbd_info *info)
{
	unsigned int i;

	if (!info->rings)
		return;
	for (i = 0; i < info->nr_rings; i++)
		xbd_free_ring(&info->rings[i]);
	kfree(info->rings);
	info->rings = NULL;
	info->nr_rings = 0;
}

static int xbd_setup_ring(struct xbd_info *info, struct xbd_ring *ring)
{
	struct xenbus_device *dev = info->xbdev;
	struct blkif_sring *sring;
	int err;

	ring->nr_pages = 1U << info->ring_order;
	err = xenbus_setup_ring(dev, GFP_NOIO, (void **)&sring, ring->nr_pages,
				ring->ring_refs);
	if (err)
		return err;
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&ring->front, sring, XEN_PAGE_SIZE * ring->nr_pages);

	err = xbd_ring_init_shadows(info, ring, RING_SIZE(&ring->front));
	if (err)
		return err;

	err = xenbus_alloc_evtchn(dev, &ring->evtchn);
	if (err)
		return err;
	err = bind_evtchn_to_irqhandler_lateeoi(ring->evtchn, xbd_interrupt, 0, XBD_NAME, ring);
	if (err < 0) {
		xenbus_free_evtchn(dev, ring->evtchn);
		ring->evtchn = 0;
		return err;
	}
	ring->irq = err;
	return 0;
}

static int xbd_write_ring_nodes(struct xenbus_transaction xbt, struct xbd_info *info,
				struct xbd_ring *ring, const char *dir)
{
	unsigned int i;
	int err;

	if (ring->nr_pages == 1) {
		err = xenbus_printf(xbt, dir, "ring-ref", "%u", ring->ring_refs[0]);
		if (err)
			return err;
	} else {
		for (i = 0; i < ring->nr_pages; i++) {
			char key[16];

			snprintf(key, sizeof(key), "ring-ref%u", i);
			err = xenbus_printf(xbt, dir, key, "%u", ring->ring_refs[i]);
			if (err)
				return err;
		}
	}
	return xenbus_printf(xbt, dir, "event-channel", "%u", ring->evtchn);
}

static int xbd_write_nodes(struct xenbus_transaction xbt, struct xbd_info *info)
{
	const char *node = info->xbdev->nodename;
	unsigned int i;
	int err;

	/* Only a multi-page ring names its order: blkback then reads ring-ref%u. */
	if (info->ring_order) {
		err = xenbus_printf(xbt, node, "ring-page-order", "%u", info->ring_order);
		if (err)
			return err;
	}
	if (info->nr_rings == 1) {
		err = xbd_write_ring_nodes(xbt, info, &info->rings[0], node);
		if (err)
			return err;
	} else {
		err = xenbus_printf(xbt, node, "multi-queue-num-queues", "%u", info->nr_rings);
		if (err)
			return err;
		for (i = 0; i < info->nr_rings; i++) {
			char *dir = kasprintf(GFP_KERNEL, "%s/queue-%u", node, i);

			if (!dir)
				return -ENOMEM;
			err = xbd_write_ring_nodes(xbt, info, &info->rings[i], dir);
			kfree(dir);
			if (err)
				return err;
		}
	}
	err = xenbus_printf(xbt, node, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
	if (err)
		return err;
	/* Persistent grants are not implemented: every request grants afresh. */
	err = xenbus_printf(xbt, node, "feature-persistent", "%u", 0);
	if (err)
		return err;
	return xenbus_printf(xbt, node, XH_KEY_FEATURE_DRAIN, "%u", 1);
}

/* Read the backend's offers; called before the rings are built. */
static void xbd_negotiate_rings(struct xbd_info *info)
{
	const char *be = info->xbdev->otherend;
	unsigned int order, queues, want;

	order = xenbus_read_unsigned(be, "max-ring-page-order", 0);
	info->ring_order = min3(order, max_ring_page_order, (unsigned int)XBD_MAX_RING_ORDER);
	queues = xenbus_read_unsigned(be, "multi-queue-max-queues", 1);
	want = clamp_val(max_queues, 1U, num_online_cpus());
	info->nr_rings = clamp_val(queues, 1U, want);
	/* Shadows must hold the largest part any backend we may meet can take. */
	info->seg_alloc = max_t(unsigned int, BLKIF_MAX_SEGMENTS_PER_REQUEST,
				min_t(unsigned int, max_indirect_segments, XBD_MAX_SEGMENTS));
	info->max_indirect = 0;
	if (max_indirect_segments) {
		unsigned int be_max = xenbus_read_unsigned(be, "feature-max-indirect-segments", 0);

		if (be_max > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			info->max_indirect = min(be_max, info->seg_alloc);
	}
}

/* Build the rings and publish them; the backend then moves to Connected. */
int xbd_talk_to_backend(struct xbd_info *info)
{
	struct xenbus_device *dev = info->xbdev;
	struct xenbus_transaction xbt;
	const char *what = "allocating rings";
	unsigned int i;
	int err;

	xbd_free_rings(info);
	info->backend_id = dev->otherend_id;
	xbd_negotiate_rings(info);
	info->rings = kcalloc(info->nr_rings, sizeof(*info->rings), GFP_KERNEL);
	if (!info->rings) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < info->nr_rings; i++) {
		info->rings[i].index = i;
		err = xbd_setup_ring(info, &info->rings[i]);
		if (err) {
			what = "setting up ring";
			goto fail;
		}
	}

again:
	err = xenbus_transaction_start(&xbt);
	if (err) {
		what = "starting transaction";
		goto fail;
	}
	err = xbd_write_nodes(xbt, info);
	if (err) {
		xenbus_transaction_end(xbt, 1);
		what = "writing ring nodes";
		goto fail;
	}
	err = xenbus_transaction_end(xbt, 0);
	if (err == -EAGAIN)
		goto again;
	if (err) {
		what = "completing transaction";
		goto fail;
	}
	xenbus_switch_state(dev, XenbusStateInitialised);
	return 0;

fail:
	xenbus_dev_fatal(dev, err, "%s", what);
	xbd_free_rings(info);
	return err;
}
