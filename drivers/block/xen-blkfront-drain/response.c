// SPDX-License-Identifier: GPL-2.0
/*
 * Response handling. The backend is not trusted: each response is copied out
 * of the shared ring once and checked against our own shadow of the request
 * before anything is completed. A violation stops the device for good; the
 * requests involved are neither completed nor retried.
 */
#include <linux/interrupt.h>
#include <xen/events.h>

#include "blkfront-drain.h"
#include "compat.h"

static const char * const xbd_check_names[XBD_RSP_NR_CHECKS] = {
	[XBD_RSP_VALID] = "valid",
	[XBD_RSP_BAD_PROD] = "response producer beyond requests",
	[XBD_RSP_BAD_ID] = "id out of range",
	[XBD_RSP_NOT_INFLIGHT] = "id not in flight",
	[XBD_RSP_BAD_OP] = "operation mismatch",
	[XBD_RSP_BAD_STATUS] = "invalid status",
	[XBD_RSP_GRANT_BUSY] = "grant still in use",
};

const char *xbd_rsp_check_name(enum xbd_rsp_check c)
{
	return c < XBD_RSP_NR_CHECKS ? xbd_check_names[c] : "unknown";
}

enum xbd_rsp_check xbd_check_response(const struct xbd_ring *ring,
				      const struct blkif_response *rsp)
{
	const struct xbd_shadow *sh;

	if (rsp->id >= ring->size)
		return XBD_RSP_BAD_ID;
	sh = &ring->shadow[rsp->id];
	if (sh->state != XBD_SLOT_INFLIGHT)
		return XBD_RSP_NOT_INFLIGHT;
	if (rsp->operation != sh->op)
		return XBD_RSP_BAD_OP;
	switch (rsp->status) {
	case BLKIF_RSP_OKAY:
	case BLKIF_RSP_ERROR:
	case BLKIF_RSP_EOPNOTSUPP:
		return XBD_RSP_VALID;
	default:
		return XBD_RSP_BAD_STATUS;
	}
}

/* Called with a ring lock held, possibly from the interrupt handler. */
void xbd_mark_broken(struct xbd_info *info, enum xbd_rsp_check why)
{
	if (READ_ONCE(info->connected) == XBD_BROKEN)
		return;
	WRITE_ONCE(info->connected, XBD_BROKEN);
	info->stats.protocol_errors++;
	if (info->xbdev)
		dev_alert(&info->xbdev->dev,
			  "backend protocol violation (%s): device stopped\n",
			  xbd_rsp_check_name(why));
	if (info->gd)
		blk_mq_stop_hw_queues(info->gd->queue);
	/* A drain waiting for this ring would otherwise sit out its timeout. */
	wake_up_all(&info->drain_wq);
}

/* A backend that cannot flush or discard says so once; stop asking. */
static void xbd_feature_refused(struct xbd_info *info, u8 op)
{
	if (op == BLKIF_OP_DISCARD) {
		info->feature_discard = false;
		info->feature_secure = false;
		if (info->gd)
			xbd_disable_discard(info->gd->queue);
	} else if (op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_WRITE_BARRIER) {
		info->flush_op = 0;
		info->feature_fua = false;
		if (info->gd)
			xbd_disable_write_cache(info->gd->queue);
	}
}

static blk_status_t xbd_status(struct xbd_info *info, u8 op, s16 status)
{
	if (status == BLKIF_RSP_OKAY)
		return BLK_STS_OK;
	if (status == BLKIF_RSP_EOPNOTSUPP &&
	    (op == BLKIF_OP_DISCARD || op == BLKIF_OP_FLUSH_DISKCACHE ||
	     op == BLKIF_OP_WRITE_BARRIER)) {
		xbd_feature_refused(info, op);
		return BLK_STS_NOTSUPP;
	}
	return BLK_STS_IOERR;
}

static void xbd_finish(struct xbd_ring *ring, const struct blkif_response *rsp)
{
	struct xbd_info *info = ring->info;
	struct xbd_shadow *sh = &ring->shadow[rsp->id];
	struct request *rq = sh->rq;
	u8 op = sh->op;
	blk_status_t status;
	struct xbd_rq *d;

	if (!xbd_release_slot(ring, rsp->id)) {
		xbd_mark_broken(info, XBD_RSP_GRANT_BUSY);
		return;
	}
	status = xbd_status(info, op, rsp->status);
	if (!rq) {
		/* The drain's own flush. */
		info->drain_flush_status = blk_status_to_errno(status);
		return;
	}
	d = xbd_rq_data(rq);
	if (status != BLK_STS_OK)
		d->status = status;
	if (--d->parts == 0)
		info->ops->complete(info, rq);
}

/*
 * Consume all responses on a ring. Ring lock held. Returns XBD_RSP_VALID or
 * the class of the first violation found (the device is then broken).
 */
enum xbd_rsp_check xbd_ring_process(struct xbd_ring *ring)
{
	struct xbd_info *info = ring->info;
	enum xbd_rsp_check check = XBD_RSP_VALID;
	RING_IDX i, rp;
	int more;

	if (READ_ONCE(info->connected) == XBD_BROKEN || !ring->front.sring)
		return XBD_RSP_VALID;
	do {
		rp = READ_ONCE(ring->front.sring->rsp_prod);
		virt_rmb(); /* read responses only after seeing rsp_prod */
		/* Never more responses than requests we produced. */
		if (RING_RESPONSE_PROD_OVERFLOW(&ring->front, rp) ||
		    rp - ring->front.rsp_cons > ring->front.req_prod_pvt - ring->front.rsp_cons) {
			check = XBD_RSP_BAD_PROD;
			break;
		}
		for (i = ring->front.rsp_cons; i != rp; i++) {
			struct blkif_response rsp;

			RING_COPY_RESPONSE(&ring->front, i, &rsp);
			check = xbd_check_response(ring, &rsp);
			if (check != XBD_RSP_VALID)
				break;
			ring->front.rsp_cons = i + 1;
			xbd_finish(ring, &rsp);
			if (READ_ONCE(info->connected) == XBD_BROKEN)
				break;
		}
		if (check != XBD_RSP_VALID || READ_ONCE(info->connected) == XBD_BROKEN)
			break;
		RING_FINAL_CHECK_FOR_RESPONSES(&ring->front, more);
	} while (more);

	if (check != XBD_RSP_VALID)
		xbd_mark_broken(info, check);
	if (!atomic_read(&info->inflight) || READ_ONCE(info->connected) == XBD_BROKEN)
		wake_up_all(&info->drain_wq);
	return check;
}

/*
 * Late EOI (XSA-391): the event channel stays masked until the handler has
 * consumed what the backend sent, and an event that brought no response is
 * reported as spurious, so that the events core throttles a backend that
 * storms us. A broken device is not acknowledged at all: its channel stays
 * masked for good.
 */
irqreturn_t xbd_interrupt(int irq, void *dev_id)
{
	struct xbd_ring *ring = dev_id;
	struct xbd_info *info = ring->info;
	unsigned int eoi = XEN_EOI_FLAG_SPURIOUS;
	unsigned long flags;
	RING_IDX cons;
	bool broken;

	spin_lock_irqsave(&ring->lock, flags);
	cons = ring->front.rsp_cons;
	xbd_ring_process(ring);
	if (ring->front.rsp_cons != cons)
		eoi = 0;
	broken = READ_ONCE(info->connected) == XBD_BROKEN;
	/* Slots were freed: let stopped queues try again. */
	if (info->gd && READ_ONCE(info->connected) == XBD_CONNECTED && ring->nr_free)
		blk_mq_start_stopped_hw_queues(info->gd->queue, true);
	spin_unlock_irqrestore(&ring->lock, flags);
	if (!broken)
		info->ops->eoi(ring, eoi);
	return IRQ_HANDLED;
}
