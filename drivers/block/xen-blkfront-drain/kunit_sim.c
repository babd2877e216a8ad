// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for xen-blkfront-drain, run without a hypervisor.
 *
 * The driver reaches Xen only through struct xbd_env_ops. Here grants are
 * numbers in a table, the event channel kicks a simulated backend (a delayed
 * work item that consumes the same shared ring through a back ring and
 * answers), and the "interrupt" is that work calling xbd_ring_process().
 * Block requests are plain allocations with the driver's PDU behind them,
 * which is all the ring code looks at.
 *
 * The suites live next to what they test: ring_test.c, response_test.c,
 * drain_test.c, blkmq_test.c.
 */
#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "kunit_sim.h"

static struct xbd_sim *sim_of(struct xbd_info *info)
{
	return container_of(info, struct xbd_sim, info);
}

static int sim_grant(struct xbd_info *info, struct page *page, bool readonly)
{
	struct xbd_sim *sim = sim_of(info);
	unsigned int ref;

	if (sim->grants_left == 0)
		return -ENOSPC;
	if (sim->grants_left > 0)
		sim->grants_left--;
	ref = sim->next_ref++ % SIM_MAX_GRANTS;
	sim->grant_page[ref] = page;
	sim->grant_ro[ref] = readonly;
	sim->grant_live[ref] = true;
	sim->live++;
	return ref;
}

static bool sim_end_grant(struct xbd_info *info, grant_ref_t ref)
{
	struct xbd_sim *sim = sim_of(info);

	if (sim->grants_stuck || (sim->stuck_ref >= 0 && ref == sim->stuck_ref))
		return false;
	if (ref < SIM_MAX_GRANTS && sim->grant_live[ref]) {
		sim->grant_live[ref] = false;
		sim->live--;
	}
	return true;
}

static void sim_defer_grant(struct xbd_info *info, grant_ref_t ref, struct page *page)
{
	struct xbd_sim *sim = sim_of(info);

	KUNIT_ASSERT_LT(sim->test, sim->nr_deferred, SIM_MAX_GRANTS);
	sim->deferred_ref[sim->nr_deferred] = ref;
	sim->deferred_page[sim->nr_deferred++] = page;
}

bool sim_deferred(struct xbd_sim *sim, struct page *page)
{
	unsigned int i;

	for (i = 0; i < sim->nr_deferred; i++)
		if (sim->deferred_page[i] == page)
			return true;
	return false;
}

static void sim_notify(struct xbd_ring *ring)
{
	struct xbd_sim *sim = sim_of(ring->info);

	sim->notifies++;
	if (sim->auto_answer)
		schedule_delayed_work(&sim->work, sim->delay);
}

static void sim_eoi(struct xbd_ring *ring, unsigned int flags)
{
	struct xbd_sim *sim = sim_of(ring->info);

	sim->eois++;
	sim->eoi_flags = flags;
}

static void sim_complete(struct xbd_info *info, struct request *rq)
{
	sim_of(info)->completed++;
}

static const struct xbd_env_ops sim_ops = {
	.grant = sim_grant,
	.end_grant = sim_end_grant,
	.defer_grant = sim_defer_grant,
	.notify = sim_notify,
	.eoi = sim_eoi,
	.complete = sim_complete,
};

static bool sim_is_flush(u8 op)
{
	return op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_WRITE_BARRIER;
}

/* The backend: answer what is on the ring (within budget), then "interrupt". */
void sim_backend_run(struct xbd_sim *sim)
{
	struct blkif_back_ring *back = &sim->back;
	unsigned long flags;
	RING_IDX rc, rp;

	rp = READ_ONCE(back->sring->req_prod);
	virt_rmb(); /* requests are read only after req_prod */
	for (rc = back->req_cons; rc != rp && sim->budget; rc++) {
		struct blkif_request req;
		struct blkif_response *rsp;
		u8 op;

		RING_COPY_REQUEST(back, rc, &req);
		op = req.operation == BLKIF_OP_INDIRECT ? req.u.indirect.indirect_op :
							  req.operation;
		if (sim->nr_ops_seen < SIM_MAX_OPS)
			sim->ops_seen[sim->nr_ops_seen++] = op;
		rsp = RING_GET_RESPONSE(back, back->rsp_prod_pvt);
		rsp->id = req.u.rw.id;
		rsp->operation = op;
		rsp->status = sim_is_flush(op) ? sim->flush_status : sim->status;
		back->rsp_prod_pvt++;
		if (sim->budget > 0)
			sim->budget--;
	}
	back->req_cons = rc;
	back->sring->req_event = rc + 1;
	RING_PUSH_RESPONSES(back);

	spin_lock_irqsave(&sim->ring.lock, flags);
	xbd_ring_process(&sim->ring);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
}

static void sim_backend_work(struct work_struct *work)
{
	sim_backend_run(container_of(to_delayed_work(work), struct xbd_sim, work));
}

/* Write one hand-made response straight into the ring, without an event. */
void sim_put_response(struct xbd_sim *sim, u64 id, u8 op, s16 status)
{
	struct blkif_response *rsp;

	rsp = RING_GET_RESPONSE(&sim->back, sim->back.rsp_prod_pvt);
	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
	sim->back.rsp_prod_pvt++;
	virt_wmb(); /* response visible before rsp_prod moves */
	sim->back.sring->rsp_prod = sim->back.rsp_prod_pvt;
}

/* The same, then process it. */
enum xbd_rsp_check sim_inject(struct xbd_sim *sim, u64 id, u8 op, s16 status)
{
	enum xbd_rsp_check c;
	unsigned long flags;

	sim_put_response(sim, id, op, status);
	spin_lock_irqsave(&sim->ring.lock, flags);
	c = xbd_ring_process(&sim->ring);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	return c;
}

struct xbd_sim *sim_setup(struct kunit *test, unsigned int max_indirect)
{
	struct xbd_sim *sim = kunit_kzalloc(test, sizeof(*sim), GFP_KERNEL);
	struct blkif_sring *sring;
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sim);
	sim->test = test;
	sim->grants_left = -1;
	sim->stuck_ref = -1;
	sim->budget = -1;
	INIT_DELAYED_WORK(&sim->work, sim_backend_work);
	mutex_init(&sim->info.mutex);
	init_waitqueue_head(&sim->info.drain_wq);
	INIT_LIST_HEAD(&sim->info.reissue);
	sim->info.ops = &sim_ops;
	sim->info.connected = XBD_CONNECTED;
	sim->info.seg_alloc = XBD_MAX_SEGMENTS;
	sim->info.max_indirect = max_indirect;

	sim->ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, sim->ring_page);
	for (i = 0; i < SIM_MAX_PAGES; i++) {
		sim->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, sim->pages[i]);
	}
	sring = page_address(sim->ring_page);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&sim->ring.front, sring, PAGE_SIZE);
	BACK_RING_INIT(&sim->back, sring, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, xbd_ring_init_shadows(&sim->info, &sim->ring,
						    RING_SIZE(&sim->ring.front)), 0);
	sim->info.rings = &sim->ring;
	sim->info.nr_rings = 1;
	test->priv = sim;
	return sim;
}

void sim_exit(struct kunit *test)
{
	struct xbd_sim *sim = test->priv;
	unsigned int i;

	if (!sim)
		return;
	cancel_delayed_work_sync(&sim->work);
	xbd_ring_free_shadows(&sim->ring);
	/* The backend let go at last: the grant table drops its page references. */
	for (i = 0; i < sim->nr_deferred; i++)
		put_page(sim->deferred_page[i]);
	for (i = 0; i < SIM_MAX_PAGES; i++)
		if (sim->pages[i])
			__free_page(sim->pages[i]);
	if (sim->ring_page)
		__free_page(sim->ring_page);
}

struct request *sim_rq(struct xbd_sim *sim)
{
	struct request *rq = kunit_kzalloc(sim->test, sizeof(*rq) + sizeof(struct xbd_rq) +
					   XBD_MAX_SEGMENTS * sizeof(struct scatterlist),
					   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(sim->test, rq);
	INIT_LIST_HEAD(&rq->queuelist);
	return rq;
}

/* n full-page segments on distinct pages, in the request's own sg table. */
static struct scatterlist *sim_sg(struct xbd_sim *sim, struct request *rq, unsigned int n)
{
	struct scatterlist *sg = xbd_rq_data(rq)->sg;
	unsigned int i;

	sg_init_table(sg, n);
	for (i = 0; i < n; i++)
		sg_set_page(&sg[i], sim->pages[i % SIM_MAX_PAGES], PAGE_SIZE, 0);
	return sg;
}

/* Map and push like queue_rq does. */
int sim_submit(struct xbd_sim *sim, struct request *rq, u8 op, sector_t sector,
	       unsigned int nsegs)
{
	struct scatterlist *sg = nsegs ? sim_sg(sim, rq, nsegs) : NULL;
	unsigned long flags;
	int err, notify;

	spin_lock_irqsave(&sim->ring.lock, flags);
	err = xbd_map_request(&sim->ring, rq, op, sector, sg, nsegs, 0, 0);
	if (!err) {
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&sim->ring.front, notify);
		if (notify)
			sim->info.ops->notify(&sim->ring);
	}
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	return err;
}

int rq_errno(struct request *rq)
{
	return blk_status_to_errno(xbd_rq_data(rq)->status);
}

struct blkif_request *sim_req(struct xbd_sim *sim, RING_IDX i)
{
	return RING_GET_REQUEST(&sim->ring.front, i);
}

/* One read in flight; returns its slot id. */
u64 rsp_one_read(struct xbd_sim *sim, struct request **rqp)
{
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(sim->test, sim_submit(sim, rq, BLKIF_OP_READ, 0, 1), 0);
	if (rqp)
		*rqp = rq;
	return sim_req(sim, 0)->u.rw.id;
}

void drain_submit_n(struct xbd_sim *sim, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(sim->test, sim_submit(sim, sim_rq(sim), BLKIF_OP_WRITE, i * 8, 1),
				0);
}

/* Start a backend that answers @delay_ms after each kick. */
void drain_backend(struct xbd_sim *sim, unsigned int delay_ms)
{
	sim->auto_answer = true;
	sim->delay = msecs_to_jiffies(delay_ms);
	schedule_delayed_work(&sim->work, sim->delay);
}

MODULE_LICENSE("GPL");
