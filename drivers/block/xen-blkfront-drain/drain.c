// SPDX-License-Identifier: GPL-2.0
/*
 * Drain before handover.
 *
 * Xen save/migrate and hibernation both reach the xenbus .suspend callback
 * (PMSG_FREEZE), so one function serves both: stop blk-mq dispatch (what is
 * not yet on the ring stays queued in blk-mq and is issued after resume),
 * sleep until the interrupt path has consumed a response for every slot on
 * the ring, then have the backend flush its cache. The xenbus core ignores
 * our return value, so the outcome goes to xenstore where dom0 can read it
 * before it lets the destination touch the disk.
 *
 * On resume only slots that were still on the ring (a timed-out drain) are
 * re-issued; everything that got its response is finished for good.
 * A cancelled suspend (PMSG_THAW) gets no xenbus callback at all, so a small
 * child device with its own dev_pm_ops restarts dispatch in that case.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <xen-handover/xenstore-keys.h>

#include "blkfront-drain.h"

unsigned int xbd_drain_timeout_ms = 30000;
module_param_named(drain_timeout_ms, xbd_drain_timeout_ms, uint, 0644);
MODULE_PARM_DESC(drain_timeout_ms,
		 "Longest wait for the ring to drain before suspend, and for the backend's answers on removal, in ms (default 30000)");

static bool xbd_drain_done(struct xbd_info *info)
{
	return !atomic_read(&info->inflight) || READ_ONCE(info->connected) == XBD_BROKEN;
}

static void xbd_mark_counted(struct xbd_ring *ring, bool mark, unsigned int *count)
{
	unsigned int id;

	for (id = 0; ring->shadow && id < ring->size; id++) {
		struct xbd_shadow *sh = &ring->shadow[id];

		if (sh->state != XBD_SLOT_INFLIGHT)
			continue;
		if (!sh->rq) {
			*count += mark;
			continue;
		}
		if (xbd_rq_data(sh->rq)->counted != mark) {
			xbd_rq_data(sh->rq)->counted = mark;
			*count += mark;
		}
	}
}

/*
 * Block requests with at least one slot still on the ring (the drain's own
 * flush counts as one): what a resume would re-issue, plus that flush.
 */
unsigned int xbd_requests_on_ring(struct xbd_info *info)
{
	unsigned int r, count = 0;

	for (r = 0; info->rings && r < info->nr_rings; r++) {
		struct xbd_ring *ring = &info->rings[r];
		unsigned long flags;

		spin_lock_irqsave(&ring->lock, flags);
		xbd_mark_counted(ring, true, &count);
		xbd_mark_counted(ring, false, &count);
		spin_unlock_irqrestore(&ring->lock, flags);
	}
	return count;
}

/*
 * Wait (event driven, bounded by @timeout jiffies) until no slot is in flight,
 * then flush the backend's cache within the time that is left.
 * Dispatch must already be stopped.
 */
void xbd_drain_rings(struct xbd_info *info, unsigned long timeout,
		     struct xbd_drain_result *res)
{
	ktime_t start = ktime_get();
	long left;

	res->flush_status = 1;
	left = wait_event_timeout(info->drain_wq, xbd_drain_done(info), max(timeout, 1UL));
	if (left && READ_ONCE(info->connected) == XBD_CONNECTED && info->flush_op &&
	    info->rings) {
		struct xbd_ring *ring = &info->rings[0];
		unsigned long flags;
		int notify, err;

		spin_lock_irqsave(&ring->lock, flags);
		info->drain_flush_status = -EINPROGRESS;
		err = xbd_queue_flush(ring);
		if (!err) {
			RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring->front, notify);
			if (notify)
				info->ops->notify(ring);
		}
		spin_unlock_irqrestore(&ring->lock, flags);
		if (!err) {
			left = wait_event_timeout(info->drain_wq, xbd_drain_done(info), left);
			err = left ? info->drain_flush_status : -ETIMEDOUT;
		}
		res->flush_status = err;
	}
	res->inflight = atomic_read(&info->inflight) ? xbd_requests_on_ring(info) : 0;
	res->drained = !atomic_read(&info->inflight) && READ_ONCE(info->connected) != XBD_BROKEN &&
		       (res->flush_status == 1 || res->flush_status == 0 ||
			res->flush_status == -EOPNOTSUPP);
	res->usecs = ktime_us_delta(ktime_get(), start);
}

static const char *xbd_drain_state(struct xbd_info *info, const struct xbd_drain_result *res)
{
	if (res->drained)
		return XH_DRAIN_STATE_DRAINED;
	if (READ_ONCE(info->connected) == XBD_BROKEN || (!res->inflight && res->flush_status))
		return XH_DRAIN_STATE_ERROR;
	return XH_DRAIN_STATE_TIMEOUT;
}

/* drain-state goes last so that a watcher on it sees the other two current. */
static void xbd_report(struct xbd_info *info, const struct xbd_drain_result *res)
{
	const char *node = info->xbdev->nodename;
	int err;

	err = xenbus_printf(XBT_NIL, node, XH_KEY_DRAIN_INFLIGHT, "%u", res->inflight);
	if (!err)
		err = xenbus_printf(XBT_NIL, node, XH_KEY_DRAIN_USECS, "%llu", res->usecs);
	if (!err)
		err = xenbus_printf(XBT_NIL, node, XH_KEY_DRAIN_STATE, "%s",
				    xbd_drain_state(info, res));
	if (err)
		dev_warn(&info->xbdev->dev, "cannot report drain result in xenstore: %d\n", err);
}

static void xbd_stop_dispatch(struct xbd_info *info)
{
	if (info->gd && !info->quiesced) {
		/* Returns once no queue_rq is running; later requests stay queued. */
		blk_mq_quiesce_queue(info->gd->queue);
		info->quiesced = true;
	}
}

void xbd_dispatch_restart(struct xbd_info *info)
{
	if (info->gd && info->quiesced) {
		blk_mq_unquiesce_queue(info->gd->queue);
		info->quiesced = false;
	}
	xbd_kick_queues(info);
}

int xbd_suspend(struct xbd_info *info)
{
	struct xbd_drain_result res = { .drained = true, .flush_status = 1 };
	enum xbd_conn conn;

	mutex_lock(&info->mutex);
	xbd_stop_dispatch(info);
	conn = READ_ONCE(info->connected);
	if (conn == XBD_CONNECTED) {
		xbd_drain_rings(info, msecs_to_jiffies(READ_ONCE(xbd_drain_timeout_ms)), &res);
	} else if (conn == XBD_BROKEN) {
		res.drained = false;
		res.inflight = xbd_requests_on_ring(info);
	}

	info->stats.drains++;
	info->stats.last_drain_usecs = res.usecs;
	info->stats.last_drain_inflight = res.inflight;
	if (!res.drained)
		info->stats.drain_timeouts++;
	xbd_report(info, &res);
	mutex_unlock(&info->mutex);

	if (res.drained) {
		dev_info(&info->xbdev->dev, "drained in %llu us\n", res.usecs);
		return 0;
	}
	dev_warn(&info->xbdev->dev, "drain %s after %llu us, %u requests still on the ring\n",
		 xbd_drain_state(info, &res), res.usecs, res.inflight);
	return -EBUSY;
}

/*
 * Resume bookkeeping, once the backend that saw our ring is gone: release
 * every slot still in flight or retired and remember its block request once
 * for re-issue. A request keeps to the ring while any of its slots still has
 * a grant the backend maps: re-issuing it (or failing it) would hand its
 * pages back while they may still be written. Slots whose response arrived
 * are free already, so a completed request can never end up here. Returns
 * the number of requests collected.
 */
unsigned int xbd_collect_unfinished(struct xbd_info *info)
{
	unsigned int r, id, count = 0;

	for (r = 0; info->rings && r < info->nr_rings; r++) {
		struct xbd_ring *ring = &info->rings[r];
		unsigned long flags;

		spin_lock_irqsave(&ring->lock, flags);
		for (id = 0; ring->shadow && id < ring->size; id++) {
			struct xbd_shadow *sh = &ring->shadow[id];
			struct request *rq = sh->rq;
			struct xbd_rq *d;

			if (sh->state != XBD_SLOT_INFLIGHT && sh->state != XBD_SLOT_LEAKED)
				continue;
			if (!xbd_release_slot(ring, id) || !rq)
				continue;
			d = xbd_rq_data(rq);
			d->parts = 0;
			d->status = BLK_STS_OK;
			if (d->on_reissue_list)
				continue;
			d->on_reissue_list = true;
			list_add_tail(&rq->queuelist, &info->reissue);
			count++;
		}
		/* A part of a collected request may be the one still mapped. */
		for (id = 0; ring->shadow && id < ring->size; id++) {
			struct xbd_shadow *sh = &ring->shadow[id];

			if (sh->state != XBD_SLOT_LEAKED || !sh->rq ||
			    !xbd_rq_data(sh->rq)->on_reissue_list)
				continue;
			list_del_init(&sh->rq->queuelist);
			xbd_rq_data(sh->rq)->on_reissue_list = false;
			count--;
		}
		spin_unlock_irqrestore(&ring->lock, flags);
	}
	return count;
}

/*
 * The end of the rings (device removal, or a resume that finds slots the
 * old backend still maps): nothing will answer what is on them. Every slot
 * in flight or retired gives up its grants, ended now if the backend let go
 * and otherwise handed to the deferred release with its pages
 * (xbd_defer_slot()); then each of their requests fails once (taken off
 * the re-issue list if it was there). The IRQ must be unbound first, so
 * that no late response races with this. Returns the number of requests
 * failed.
 */
unsigned int xbd_fail_unfinished(struct xbd_info *info)
{
	struct request *rq, *tmp;
	unsigned int r, id, n = 0;
	LIST_HEAD(failed);

	for (r = 0; info->rings && r < info->nr_rings; r++) {
		struct xbd_ring *ring = &info->rings[r];
		unsigned long flags;

		spin_lock_irqsave(&ring->lock, flags);
		for (id = 0; ring->shadow && id < ring->size; id++) {
			struct xbd_shadow *sh = &ring->shadow[id];

			rq = sh->rq;
			if (sh->state != XBD_SLOT_INFLIGHT && sh->state != XBD_SLOT_LEAKED)
				continue;
			if (!xbd_release_slot(ring, id))
				xbd_defer_slot(ring, id);
			if (!rq)
				continue;
			/* From the re-issue list too, or again within ours: once. */
			list_move_tail(&rq->queuelist, &failed);
			xbd_rq_data(rq)->on_reissue_list = true;
		}
		spin_unlock_irqrestore(&ring->lock, flags);
	}
	list_for_each_entry_safe(rq, tmp, &failed, queuelist) {
		struct xbd_rq *d = xbd_rq_data(rq);

		list_del_init(&rq->queuelist);
		d->on_reissue_list = false;
		d->parts = 0;
		d->status = BLK_STS_IOERR;
		info->ops->complete(info, rq);
		n++;
	}
	return n;
}

/* Requests collected for re-issue that will never be: fail them. */
unsigned int xbd_fail_reissue_list(struct xbd_info *info)
{
	struct request *rq, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(rq, tmp, &info->reissue, queuelist) {
		struct xbd_rq *d = xbd_rq_data(rq);

		list_del_init(&rq->queuelist);
		d->on_reissue_list = false;
		d->status = BLK_STS_IOERR;
		info->ops->complete(info, rq);
		n++;
	}
	return n;
}

/*
 * Removal (del_gendisk) waits for every request the device holds. Only a
 * Connected backend of a connected device can still answer them; in any
 * other state (backend gone: Unknown; Closing or Closed; a broken or
 * suspended device) nothing will, and they must fail first.
 */
bool xbd_remove_may_wait(enum xbd_conn conn, enum xenbus_state backend)
{
	return conn == XBD_CONNECTED && backend == XenbusStateConnected;
}

/*
 * Nothing will answer what is on the rings or waits for re-issue: fail it
 * all now, pages still mapped going to the deferred release. Mutex held.
 */
unsigned int xbd_abandon(struct xbd_info *info)
{
	unsigned int n;

	if (READ_ONCE(info->connected) != XBD_BROKEN)
		WRITE_ONCE(info->connected, XBD_CLOSED);
	xbd_unbind_irqs(info);
	n = xbd_fail_unfinished(info);
	n += xbd_fail_reissue_list(info);
	wake_up_all(&info->drain_wq);
	return n;
}

static void xbd_remove_expired(struct work_struct *work)
{
	struct xbd_info *info = container_of(to_delayed_work(work), struct xbd_info,
					     remove_work);
	unsigned int n;

	mutex_lock(&info->mutex);
	n = xbd_abandon(info);
	xbd_dispatch_restart(info);
	mutex_unlock(&info->mutex);
	if (n && info->xbdev)
		dev_warn(&info->xbdev->dev,
			 "backend did not answer %u requests within %u ms of removal: failed\n",
			 n, READ_ONCE(xbd_drain_timeout_ms));
}

/* The bound on del_gendisk's wait for a backend that stops answering. */
void xbd_remove_arm(struct xbd_info *info, unsigned long timeout)
{
	INIT_DELAYED_WORK(&info->remove_work, xbd_remove_expired);
	info->remove_armed = true;
	schedule_delayed_work(&info->remove_work, timeout);
}

void xbd_remove_disarm(struct xbd_info *info)
{
	if (info->remove_armed)
		cancel_delayed_work_sync(&info->remove_work);
	info->remove_armed = false;
}

/* Hand the collected requests back to blk-mq, which maps them anew. */
unsigned int xbd_reissue(struct xbd_info *info)
{
	struct request *rq, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(rq, tmp, &info->reissue, queuelist) {
		list_del_init(&rq->queuelist);
		xbd_rq_data(rq)->on_reissue_list = false;
		blk_mq_requeue_request(rq, false);
		n++;
	}
	info->stats.reissued += n;
	return n;
}

/* ---- cancelled suspend / hibernation thaw ---- */

struct xbd_pmdev {
	struct device dev;
	struct xbd_info *info;
};

static int xbd_pm_thaw(struct device *dev)
{
	struct xbd_info *info = container_of(dev, struct xbd_pmdev, dev)->info;

	mutex_lock(&info->mutex);
	/* Same backend, same ring: just let the parked requests go, in order. */
	if (!info->resuming && info->quiesced &&
	    READ_ONCE(info->connected) == XBD_CONNECTED) {
		xbd_dispatch_restart(info);
		dev_info(&info->xbdev->dev, "suspend cancelled: dispatch restarted\n");
	}
	mutex_unlock(&info->mutex);
	return 0;
}

static const struct dev_pm_ops xbd_pm_ops = {
	.thaw = xbd_pm_thaw,
};

static const struct device_type xbd_pm_type = {
	.name = "xen-blkfront-drain-pm",
	.pm = &xbd_pm_ops,
};

static void xbd_pmdev_release(struct device *dev)
{
	kfree(container_of(dev, struct xbd_pmdev, dev));
}

int xbd_pmdev_register(struct xbd_info *info)
{
	struct xbd_pmdev *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int err;

	if (!p)
		return -ENOMEM;
	p->info = info;
	device_initialize(&p->dev);
	p->dev.parent = &info->xbdev->dev;
	p->dev.type = &xbd_pm_type;
	p->dev.release = xbd_pmdev_release;
	err = dev_set_name(&p->dev, "drain-pm");
	if (!err)
		err = device_add(&p->dev);
	if (err) {
		put_device(&p->dev);
		return err;
	}
	info->pmdev = &p->dev;
	return 0;
}

void xbd_pmdev_unregister(struct xbd_info *info)
{
	if (info->pmdev)
		device_unregister(info->pmdev);
	info->pmdev = NULL;
}
