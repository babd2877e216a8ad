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
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <xen/events.h>

#include "blkfront-drain.h"

#define SIM_MAX_GRANTS	1024
#define SIM_MAX_PAGES	32
#define SIM_MAX_OPS	128

struct xbd_sim {
	struct xbd_info info;
	struct xbd_ring ring;
	struct blkif_back_ring back;
	struct page *ring_page;
	struct page *pages[SIM_MAX_PAGES];
	struct kunit *test;

	/* grants: index = ref */
	struct page *grant_page[SIM_MAX_GRANTS];
	bool grant_ro[SIM_MAX_GRANTS];
	bool grant_live[SIM_MAX_GRANTS];
	unsigned int next_ref;
	unsigned int live;
	int grants_left;	/* fail with -ENOSPC when it reaches 0; <0: unlimited */
	bool grants_stuck;	/* end_grant reports "still mapped" */
	int stuck_ref;		/* only this ref is still mapped; <0: none */

	/* the grant table's deferred release: refs, and the page put once ended */
	grant_ref_t deferred_ref[SIM_MAX_GRANTS];
	struct page *deferred_page[SIM_MAX_GRANTS];
	unsigned int nr_deferred;

	unsigned int completed;
	unsigned int notifies;
	unsigned int eois;
	unsigned int eoi_flags;	/* of the last EOI */

	/* backend */
	struct delayed_work work;
	bool auto_answer;	/* a notify schedules the backend */
	unsigned long delay;	/* jiffies before it answers */
	int budget;		/* answers left; <0: unlimited */
	s16 status;
	s16 flush_status;
	u8 ops_seen[SIM_MAX_OPS];
	unsigned int nr_ops_seen;
};

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

static bool sim_deferred(struct xbd_sim *sim, struct page *page)
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
static void sim_backend_run(struct xbd_sim *sim)
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
static void sim_put_response(struct xbd_sim *sim, u64 id, u8 op, s16 status)
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
static enum xbd_rsp_check sim_inject(struct xbd_sim *sim, u64 id, u8 op, s16 status)
{
	enum xbd_rsp_check c;
	unsigned long flags;

	sim_put_response(sim, id, op, status);
	spin_lock_irqsave(&sim->ring.lock, flags);
	c = xbd_ring_process(&sim->ring);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	return c;
}

static struct xbd_sim *sim_setup(struct kunit *test, unsigned int max_indirect)
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

static void sim_exit(struct kunit *test)
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

static struct request *sim_rq(struct xbd_sim *sim)
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
static int sim_submit(struct xbd_sim *sim, struct request *rq, u8 op, sector_t sector,
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

static int rq_errno(struct request *rq)
{
	return blk_status_to_errno(xbd_rq_data(rq)->status);
}

static struct blkif_request *sim_req(struct xbd_sim *sim, RING_IDX i)
{
	return RING_GET_REQUEST(&sim->ring.front, i);
}

/* ---------------- request mapping ---------------- */

static void map_single_read(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);
	struct blkif_request *req;
	unsigned int ref;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_READ, 100, 1), 0);
	req = sim_req(sim, 0);
	KUNIT_EXPECT_EQ(test, req->operation, BLKIF_OP_READ);
	KUNIT_EXPECT_EQ(test, req->u.rw.nr_segments, 1);
	KUNIT_EXPECT_EQ(test, req->u.rw.sector_number, 100ULL);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[0].first_sect, 0);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[0].last_sect, 7);
	ref = req->u.rw.seg[0].gref;
	KUNIT_EXPECT_PTR_EQ(test, sim->grant_page[ref], sim->pages[0]);
	/* The backend writes into a read's pages. */
	KUNIT_EXPECT_FALSE(test, sim->grant_ro[ref]);
	KUNIT_EXPECT_EQ(test, xbd_rq_data(rq)->parts, 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 1);
	KUNIT_EXPECT_EQ(test, sim->ring.front.sring->req_prod, 1U);
}

static void map_write_partial_pages(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);
	struct scatterlist *sg = xbd_rq_data(rq)->sg;
	struct blkif_request *req;
	unsigned long flags;
	int err;

	sg_init_table(sg, 2);
	sg_set_page(&sg[0], sim->pages[0], 1024, 512);
	sg_set_page(&sg[1], sim->pages[1], 512, 3584);
	spin_lock_irqsave(&sim->ring.lock, flags);
	err = xbd_map_request(&sim->ring, rq, BLKIF_OP_WRITE, 8, sg, 2, 0, 0);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	KUNIT_ASSERT_EQ(test, err, 0);
	req = sim_req(sim, 0);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[0].first_sect, 1);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[0].last_sect, 2);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[1].first_sect, 7);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[1].last_sect, 7);
	/* A write's pages are only read by the backend. */
	KUNIT_EXPECT_TRUE(test, sim->grant_ro[req->u.rw.seg[0].gref]);
	KUNIT_EXPECT_TRUE(test, sim->grant_ro[req->u.rw.seg[1].gref]);
}

static void map_split_without_indirect(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 1000, 20), 0);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, 2U);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 0)->operation, BLKIF_OP_WRITE);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 0)->u.rw.nr_segments, 11);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 0)->u.rw.sector_number, 1000ULL);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 1)->u.rw.nr_segments, 9);
	/* The second part starts where the first one's 11 pages end. */
	KUNIT_EXPECT_EQ(test, sim_req(sim, 1)->u.rw.sector_number, 1000ULL + 11 * 8);
	KUNIT_EXPECT_NE(test, sim_req(sim, 0)->u.rw.id, sim_req(sim, 1)->u.rw.id);
	KUNIT_EXPECT_EQ(test, xbd_rq_data(rq)->parts, 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 2);
	KUNIT_EXPECT_EQ(test, sim->live, 20U);
}

static void map_indirect(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);
	struct blkif_request_segment *segs;
	struct blkif_request *req;
	struct xbd_shadow *sh;
	unsigned int i, iref;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 64, 20), 0);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, 1U);
	req = sim_req(sim, 0);
	KUNIT_EXPECT_EQ(test, req->operation, BLKIF_OP_INDIRECT);
	KUNIT_EXPECT_EQ(test, req->u.indirect.indirect_op, BLKIF_OP_WRITE);
	KUNIT_EXPECT_EQ(test, req->u.indirect.nr_segments, 20);
	KUNIT_EXPECT_EQ(test, req->u.indirect.sector_number, 64ULL);
	sh = &sim->ring.shadow[req->u.indirect.id];
	KUNIT_EXPECT_EQ(test, sh->op, BLKIF_OP_WRITE);
	KUNIT_EXPECT_EQ(test, sh->nr_igrants, 1);
	iref = req->u.indirect.indirect_grefs[0];
	KUNIT_EXPECT_PTR_EQ(test, sim->grant_page[iref], sh->ipages[0]);
	KUNIT_EXPECT_TRUE(test, sim->grant_ro[iref]);
	segs = page_address(sh->ipages[0]);
	for (i = 0; i < 20; i++) {
		KUNIT_EXPECT_PTR_EQ(test, sim->grant_page[segs[i].gref], sim->pages[i]);
		KUNIT_EXPECT_EQ(test, segs[i].first_sect, 0);
		KUNIT_EXPECT_EQ(test, segs[i].last_sect, 7);
	}
	KUNIT_EXPECT_EQ(test, sim->live, 21U);
}

static void map_small_request_stays_direct(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_READ, 0, 11), 0);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 0)->operation, BLKIF_OP_READ);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 0)->u.rw.nr_segments, 11);
}

static void map_barrier_never_indirect(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE_BARRIER, 0, 20), 0);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, 2U);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 0)->operation, BLKIF_OP_WRITE_BARRIER);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 1)->operation, BLKIF_OP_WRITE_BARRIER);
}

static void map_ring_full(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	unsigned int i, size = sim->ring.size;

	KUNIT_ASSERT_EQ(test, size, 32U);
	for (i = 0; i < size; i++)
		KUNIT_ASSERT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_READ, i, 1), 0);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, 0U);
	KUNIT_EXPECT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_READ, 0, 1), -EBUSY);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, size);
	KUNIT_EXPECT_EQ(test, sim->live, size);

	/* One answer frees one slot. */
	sim->budget = 1;
	sim_backend_run(sim);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_READ, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_READ, 0, 1), -EBUSY);
}

static void map_parts_need_room(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	unsigned int i, size = sim->ring.size;

	for (i = 0; i < size - 1; i++)
		KUNIT_ASSERT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_READ, i, 1), 0);
	/* Two parts needed, one slot free: nothing may be put on the ring. */
	KUNIT_EXPECT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_WRITE, 0, 20), -EBUSY);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, 1U);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, size - 1);
	KUNIT_EXPECT_EQ(test, sim->live, size - 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), (int)size - 1);
}

static void map_grant_failure_rolls_back(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	sim->grants_left = 15;	/* fails inside the second part */
	KUNIT_EXPECT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 20), -ENOSPC);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
	KUNIT_EXPECT_EQ(test, xbd_rq_data(rq)->parts, 0U);
}

/* A segment of a multi-page bvec arrives as (first page, offset beyond it). */
static void map_offset_beyond_first_page(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);
	struct scatterlist *sg = xbd_rq_data(rq)->sg;
	struct page *pair = alloc_pages(GFP_KERNEL, 1);
	struct blkif_request *req;
	unsigned long flags;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, pair);
	sg_init_table(sg, 1);
	sg_set_page(&sg[0], pair, 2048, PAGE_SIZE + 1024);
	spin_lock_irqsave(&sim->ring.lock, flags);
	err = xbd_map_request(&sim->ring, rq, BLKIF_OP_READ, 0, sg, 1, 0, 0);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	KUNIT_EXPECT_EQ(test, err, 0);
	req = sim_req(sim, 0);
	KUNIT_EXPECT_PTR_EQ(test, sim->grant_page[req->u.rw.seg[0].gref], pair + 1);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[0].first_sect, 2);
	KUNIT_EXPECT_EQ(test, req->u.rw.seg[0].last_sect, 5);
	__free_pages(pair, 1);
}

static void map_bad_segment_rejected(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);
	struct scatterlist *sg = xbd_rq_data(rq)->sg;
	unsigned long flags;
	int err;

	sg_init_table(sg, 2);
	sg_set_page(&sg[0], sim->pages[0], PAGE_SIZE, 0);
	sg_set_page(&sg[1], sim->pages[1], 1024, 3584);	/* crosses the page end */
	spin_lock_irqsave(&sim->ring.lock, flags);
	err = xbd_map_request(&sim->ring, rq, BLKIF_OP_WRITE, 0, sg, 2, 0, 0);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
}

static void map_discard(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);
	struct blkif_request *req;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&sim->ring.lock, flags);
	err = xbd_map_request(&sim->ring, rq, BLKIF_OP_DISCARD, 4096, NULL, 0,
			      BLKIF_DISCARD_SECURE, 2048);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	KUNIT_ASSERT_EQ(test, err, 0);
	req = sim_req(sim, 0);
	KUNIT_EXPECT_EQ(test, req->operation, BLKIF_OP_DISCARD);
	KUNIT_EXPECT_EQ(test, req->u.discard.flag, BLKIF_DISCARD_SECURE);
	KUNIT_EXPECT_EQ(test, req->u.discard.sector_number, 4096ULL);
	KUNIT_EXPECT_EQ(test, req->u.discard.nr_sectors, 2048ULL);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
}

static void map_parts_needed(struct kunit *test)
{
	struct xbd_info info = { .max_indirect = 0 };

	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_FLUSH_DISKCACHE, 0), 1U);
	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_READ, 11), 1U);
	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_READ, 12), 2U);
	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_READ, 256), 24U);
	info.max_indirect = 32;
	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_READ, 32), 1U);
	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_WRITE, 33), 2U);
	KUNIT_EXPECT_EQ(test, xbd_parts_needed(&info, BLKIF_OP_WRITE_BARRIER, 32), 3U);
}

static struct kunit_case map_cases[] = {
	KUNIT_CASE(map_single_read),
	KUNIT_CASE(map_write_partial_pages),
	KUNIT_CASE(map_split_without_indirect),
	KUNIT_CASE(map_indirect),
	KUNIT_CASE(map_small_request_stays_direct),
	KUNIT_CASE(map_barrier_never_indirect),
	KUNIT_CASE(map_ring_full),
	KUNIT_CASE(map_parts_need_room),
	KUNIT_CASE(map_grant_failure_rolls_back),
	KUNIT_CASE(map_offset_beyond_first_page),
	KUNIT_CASE(map_bad_segment_rejected),
	KUNIT_CASE(map_discard),
	KUNIT_CASE(map_parts_needed),
	{}
};

static struct kunit_suite map_suite = {
	.name = "xen_blkfront_drain_map",
	.exit = sim_exit,
	.test_cases = map_cases,
};

/* ---------------- response validation ---------------- */

/* One read in flight; returns its slot id. */
static u64 rsp_one_read(struct xbd_sim *sim, struct request **rqp)
{
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(sim->test, sim_submit(sim, rq, BLKIF_OP_READ, 0, 1), 0);
	if (rqp)
		*rqp = rq;
	return sim_req(sim, 0)->u.rw.id;
}

static void rsp_expect_broken(struct kunit *test, struct xbd_sim *sim)
{
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_BROKEN);
	KUNIT_EXPECT_EQ(test, sim->info.stats.protocol_errors, 1ULL);
	KUNIT_EXPECT_EQ(test, sim->completed, 0U);
}

static void rsp_valid_completes(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq;
	u64 id = rsp_one_read(sim, &rq);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY), XBD_RSP_VALID);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), 0);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_CONNECTED);
}

static void rsp_error_fails_request(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq;
	u64 id = rsp_one_read(sim, &rq);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_ERROR), XBD_RSP_VALID);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), -EIO);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_CONNECTED);
}

static void rsp_eopnotsupp_on_read_is_io_error(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq;
	u64 id = rsp_one_read(sim, &rq);

	sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), -EIO);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_CONNECTED);
}

static void rsp_eopnotsupp_flush_disables_flush(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_FLUSH_DISKCACHE, 0, 0), 0);
	sim_inject(sim, sim_req(sim, 0)->u.rw.id, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, sim->info.flush_op, 0);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_CONNECTED);
}

static void rsp_bad_id(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);

	rsp_one_read(sim, NULL);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, sim->ring.size, BLKIF_OP_READ, BLKIF_RSP_OKAY),
			XBD_RSP_BAD_ID);
	rsp_expect_broken(test, sim);
}

static void rsp_huge_id(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);

	rsp_one_read(sim, NULL);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, 1ULL << 40, BLKIF_OP_READ, BLKIF_RSP_OKAY),
			XBD_RSP_BAD_ID);
	rsp_expect_broken(test, sim);
}

static void rsp_id_not_in_flight(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, (id + 1) % sim->ring.size, BLKIF_OP_READ,
					 BLKIF_RSP_OKAY), XBD_RSP_NOT_INFLIGHT);
	rsp_expect_broken(test, sim);
	/* The real request stays in flight: nothing was completed or freed. */
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 1);
}

static void rsp_duplicate(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	/* A second request out, so the duplicate does not overrun the producer. */
	KUNIT_ASSERT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_READ, 8, 1), 0);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY), XBD_RSP_VALID);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY),
			XBD_RSP_NOT_INFLIGHT);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_BROKEN);
}

static void rsp_wrong_operation(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY),
			XBD_RSP_BAD_OP);
	rsp_expect_broken(test, sim);
}

static void rsp_indirect_must_echo_real_op(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_READ, 0, 20), 0);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, sim_req(sim, 0)->u.indirect.id,
					 BLKIF_OP_INDIRECT, BLKIF_RSP_OKAY), XBD_RSP_BAD_OP);
	rsp_expect_broken(test, sim);
}

static void rsp_indirect_valid(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_READ, 0, 20), 0);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, sim_req(sim, 0)->u.indirect.id,
					 BLKIF_OP_READ, BLKIF_RSP_OKAY), XBD_RSP_VALID);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	/* Data grants and the indirect page's grant are all gone. */
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
}

static void rsp_bad_status(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, 7), XBD_RSP_BAD_STATUS);
	rsp_expect_broken(test, sim);
}

static void rsp_negative_bad_status(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, -3), XBD_RSP_BAD_STATUS);
	rsp_expect_broken(test, sim);
}

/* A response repeated beyond the requests produced is caught at rsp_prod. */
static void rsp_duplicate_beyond_producer(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY), XBD_RSP_VALID);
	KUNIT_EXPECT_EQ(test, sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY),
			XBD_RSP_BAD_PROD);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_BROKEN);
}

static void rsp_producer_overflow(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	enum xbd_rsp_check c;
	unsigned long flags;

	rsp_one_read(sim, NULL);
	/* One request out, the backend claims two responses. */
	sim->ring.front.sring->rsp_prod = sim->ring.front.rsp_cons + 2;
	spin_lock_irqsave(&sim->ring.lock, flags);
	c = xbd_ring_process(&sim->ring);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	KUNIT_EXPECT_EQ(test, c, XBD_RSP_BAD_PROD);
	rsp_expect_broken(test, sim);
}

static void rsp_grant_still_mapped(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	sim->grants_stuck = true;
	sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	rsp_expect_broken(test, sim);
	/* The slot is retired: its pages may still be written by the backend. */
	KUNIT_EXPECT_EQ(test, sim->ring.shadow[id].state, XBD_SLOT_LEAKED);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size - 1);
}

static void rsp_broken_ignores_later_responses(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	sim_inject(sim, id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_BROKEN);
	sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, sim->completed, 0U);
	KUNIT_EXPECT_EQ(test, sim->info.stats.protocol_errors, 1ULL);
}

static void rsp_parts_complete_once(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	u64 id0, id1;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 20), 0);
	/* Responses overwrite request entries: read the ids first. */
	id0 = sim_req(sim, 0)->u.rw.id;
	id1 = sim_req(sim, 1)->u.rw.id;
	sim_inject(sim, id1, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
	KUNIT_EXPECT_EQ(test, sim->completed, 0U);
	sim_inject(sim, id0, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	/* One failed part fails the whole request. */
	KUNIT_EXPECT_EQ(test, rq_errno(rq), -EIO);
}

/*
 * XSA-391: events are acknowledged late, and one that brought no response
 * is reported as spurious, so that a storming backend gets throttled.
 */
static void irq_response_eoi_not_spurious(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	sim_put_response(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	KUNIT_EXPECT_EQ(test, xbd_interrupt(0, &sim->ring), IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, sim->eois, 1U);
	KUNIT_EXPECT_EQ(test, sim->eoi_flags, 0U);
}

static void irq_nothing_new_is_spurious(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);

	rsp_one_read(sim, NULL);
	KUNIT_EXPECT_EQ(test, xbd_interrupt(0, &sim->ring), IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, xbd_interrupt(0, &sim->ring), IRQ_HANDLED);
	KUNIT_EXPECT_EQ(test, sim->completed, 0U);
	KUNIT_EXPECT_EQ(test, sim->eois, 2U);
	KUNIT_EXPECT_EQ(test, sim->eoi_flags, (unsigned int)XEN_EOI_FLAG_SPURIOUS);
}

/* A broken device is never acknowledged again: its channel stays masked. */
static void irq_broken_no_eoi(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	xbd_interrupt(0, &sim->ring);
	KUNIT_ASSERT_EQ(test, sim->eois, 1U);
	sim_put_response(sim, id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
	xbd_interrupt(0, &sim->ring);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_BROKEN);
	xbd_interrupt(0, &sim->ring);
	KUNIT_EXPECT_EQ(test, sim->eois, 1U);
}

static struct kunit_case response_cases[] = {
	KUNIT_CASE(rsp_valid_completes),
	KUNIT_CASE(rsp_error_fails_request),
	KUNIT_CASE(rsp_eopnotsupp_on_read_is_io_error),
	KUNIT_CASE(rsp_eopnotsupp_flush_disables_flush),
	KUNIT_CASE(rsp_bad_id),
	KUNIT_CASE(rsp_huge_id),
	KUNIT_CASE(rsp_id_not_in_flight),
	KUNIT_CASE(rsp_duplicate),
	KUNIT_CASE(rsp_duplicate_beyond_producer),
	KUNIT_CASE(rsp_wrong_operation),
	KUNIT_CASE(rsp_indirect_must_echo_real_op),
	KUNIT_CASE(rsp_indirect_valid),
	KUNIT_CASE(rsp_bad_status),
	KUNIT_CASE(rsp_negative_bad_status),
	KUNIT_CASE(rsp_producer_overflow),
	KUNIT_CASE(rsp_grant_still_mapped),
	KUNIT_CASE(rsp_broken_ignores_later_responses),
	KUNIT_CASE(rsp_parts_complete_once),
	KUNIT_CASE(irq_response_eoi_not_spurious),
	KUNIT_CASE(irq_nothing_new_is_spurious),
	KUNIT_CASE(irq_broken_no_eoi),
	{}
};

static struct kunit_suite response_suite = {
	.name = "xen_blkfront_drain_response",
	.exit = sim_exit,
	.test_cases = response_cases,
};

/* ---------------- drain ---------------- */

static void drain_submit_n(struct xbd_sim *sim, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(sim->test, sim_submit(sim, sim_rq(sim), BLKIF_OP_WRITE, i * 8, 1),
				0);
}

/* Start a backend that answers @delay_ms after each kick. */
static void drain_backend(struct xbd_sim *sim, unsigned int delay_ms)
{
	sim->auto_answer = true;
	sim->delay = msecs_to_jiffies(delay_ms);
	schedule_delayed_work(&sim->work, sim->delay);
}

static void drain_empty_ring(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	xbd_drain_rings(&sim->info, msecs_to_jiffies(1000), &res);
	KUNIT_EXPECT_TRUE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 0U);
	KUNIT_EXPECT_EQ(test, res.flush_status, 1);	/* no flush offered */
	KUNIT_EXPECT_LT(test, res.usecs, 100000ULL);
}

static void drain_waits_for_slow_backend(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	drain_submit_n(sim, 4);
	drain_backend(sim, 100);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(5000), &res);
	KUNIT_EXPECT_TRUE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 0U);
	KUNIT_EXPECT_EQ(test, sim->completed, 4U);
	KUNIT_EXPECT_GE(test, res.usecs, 80000ULL);
	/* Woken by the completion, not by the 5 s timeout. */
	KUNIT_EXPECT_LT(test, res.usecs, 2000000ULL);
}

static void drain_flushes_after_last_response(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	drain_submit_n(sim, 3);
	drain_backend(sim, 20);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(5000), &res);
	KUNIT_EXPECT_TRUE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.flush_status, 0);
	KUNIT_ASSERT_EQ(test, sim->nr_ops_seen, 4U);
	KUNIT_EXPECT_EQ(test, sim->ops_seen[3], BLKIF_OP_FLUSH_DISKCACHE);
	/* The flush has no block request behind it. */
	KUNIT_EXPECT_EQ(test, sim->completed, 3U);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
}

static void drain_barrier_backend_flush(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	sim->info.flush_op = BLKIF_OP_WRITE_BARRIER;
	drain_submit_n(sim, 1);
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(5000), &res);
	KUNIT_EXPECT_TRUE(test, res.drained);
	KUNIT_ASSERT_EQ(test, sim->nr_ops_seen, 2U);
	KUNIT_EXPECT_EQ(test, sim->ops_seen[1], BLKIF_OP_WRITE_BARRIER);
}

static void drain_timeout_stuck_backend(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	drain_submit_n(sim, 3);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(200), &res);
	KUNIT_EXPECT_FALSE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 3U);
	KUNIT_EXPECT_GE(test, res.usecs, 150000ULL);
	/* No flush is sent while writes are still outstanding. */
	KUNIT_EXPECT_EQ(test, res.flush_status, 1);
	KUNIT_EXPECT_EQ(test, sim->nr_ops_seen, 0U);
}

static void drain_partial_timeout(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	drain_submit_n(sim, 3);
	sim->budget = 2;
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(300), &res);
	KUNIT_EXPECT_FALSE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 1U);
	KUNIT_EXPECT_EQ(test, sim->completed, 2U);
}

static void drain_broken_backend_ends_early(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	drain_submit_n(sim, 2);
	sim->status = 9;	/* not a valid status */
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(10000), &res);
	KUNIT_EXPECT_FALSE(test, res.drained);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_BROKEN);
	KUNIT_EXPECT_LT(test, res.usecs, 5000000ULL);
}

static void drain_flush_unsupported_is_drained(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	sim->flush_status = BLKIF_RSP_EOPNOTSUPP;
	drain_submit_n(sim, 1);
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(5000), &res);
	KUNIT_EXPECT_TRUE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.flush_status, -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, sim->info.flush_op, 0);
}

static void drain_flush_error_not_drained(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	sim->flush_status = BLKIF_RSP_ERROR;
	drain_submit_n(sim, 1);
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(5000), &res);
	KUNIT_EXPECT_FALSE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 0U);
	KUNIT_EXPECT_EQ(test, res.flush_status, -EIO);
}

static void drain_flush_timeout(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	drain_submit_n(sim, 2);
	sim->budget = 2;	/* answers the writes, never the flush */
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(300), &res);
	KUNIT_EXPECT_FALSE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 1U);
	KUNIT_EXPECT_EQ(test, res.flush_status, -ETIMEDOUT);
}

/* drain-inflight counts requests; a request split over two slots is one. */
static void drain_counts_requests_not_slots(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, sim_rq(sim), BLKIF_OP_WRITE, 0, 20), 0);
	drain_submit_n(sim, 1);
	KUNIT_ASSERT_EQ(test, atomic_read(&sim->info.inflight), 3);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(50), &res);
	KUNIT_EXPECT_FALSE(test, res.drained);
	KUNIT_EXPECT_EQ(test, res.inflight, 2U);
	/* Counting leaves no mark behind. */
	KUNIT_EXPECT_EQ(test, xbd_requests_on_ring(&sim->info), 2U);
}

static struct kunit_case drain_cases[] = {
	KUNIT_CASE(drain_empty_ring),
	KUNIT_CASE(drain_waits_for_slow_backend),
	KUNIT_CASE(drain_flushes_after_last_response),
	KUNIT_CASE(drain_barrier_backend_flush),
	KUNIT_CASE(drain_timeout_stuck_backend),
	KUNIT_CASE(drain_partial_timeout),
	KUNIT_CASE(drain_broken_backend_ends_early),
	KUNIT_CASE(drain_flush_unsupported_is_drained),
	KUNIT_CASE(drain_flush_error_not_drained),
	KUNIT_CASE(drain_flush_timeout),
	KUNIT_CASE(drain_counts_requests_not_slots),
	{}
};

static struct kunit_suite drain_suite = {
	.name = "xen_blkfront_drain_drain",
	.exit = sim_exit,
	.test_cases = drain_cases,
};

/* ---------------- resume bookkeeping ---------------- */

static bool on_list(struct list_head *head, struct request *rq)
{
	struct request *pos;

	list_for_each_entry(pos, head, queuelist)
		if (pos == rq)
			return true;
	return false;
}

static void resume_completed_never_collected(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq[3];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		rq[i] = sim_rq(sim);
		KUNIT_ASSERT_EQ(test, sim_submit(sim, rq[i], BLKIF_OP_WRITE, i * 8, 1), 0);
	}
	sim->budget = 1;
	sim_backend_run(sim);
	KUNIT_ASSERT_EQ(test, sim->completed, 1U);

	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 2U);
	KUNIT_EXPECT_FALSE(test, on_list(&sim->info.reissue, rq[0]));
	KUNIT_EXPECT_TRUE(test, on_list(&sim->info.reissue, rq[1]));
	KUNIT_EXPECT_TRUE(test, on_list(&sim->info.reissue, rq[2]));
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
}

static void resume_drained_ring_reissues_nothing(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	drain_submit_n(sim, 5);
	drain_backend(sim, 10);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(5000), &res);
	KUNIT_ASSERT_TRUE(test, res.drained);
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&sim->info.reissue));
}

static void resume_split_request_collected_once(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 30), 0);
	KUNIT_ASSERT_EQ(test, sim->ring.front.req_prod_pvt, 3U);
	sim->budget = 1;
	sim_backend_run(sim);
	KUNIT_EXPECT_EQ(test, sim->completed, 0U);
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 1U);
	KUNIT_EXPECT_TRUE(test, on_list(&sim->info.reissue, rq));
	KUNIT_EXPECT_EQ(test, xbd_rq_data(rq)->parts, 0U);
	KUNIT_EXPECT_TRUE(test, xbd_rq_data(rq)->on_reissue_list);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
}

static void resume_drain_flush_not_reissued(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	unsigned long flags;
	int err;

	sim->info.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
	spin_lock_irqsave(&sim->ring.lock, flags);
	err = xbd_queue_flush(&sim->ring);
	spin_unlock_irqrestore(&sim->ring.lock, flags);
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 0U);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
}

/* A request re-issued after resume is mapped to the new backend's limits. */
static void resume_resplit_for_new_backend(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 20), 0);
	KUNIT_ASSERT_EQ(test, sim->ring.front.req_prod_pvt, 1U);
	KUNIT_ASSERT_EQ(test, xbd_collect_unfinished(&sim->info), 1U);
	list_del_init(&rq->queuelist);
	xbd_rq_data(rq)->on_reissue_list = false;

	/* The destination offers no indirect descriptors. */
	sim->info.max_indirect = 0;
	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 20), 0);
	KUNIT_EXPECT_EQ(test, sim->ring.front.req_prod_pvt, 3U);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 1)->operation, BLKIF_OP_WRITE);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 1)->u.rw.nr_segments, 11);
	KUNIT_EXPECT_EQ(test, sim_req(sim, 2)->u.rw.nr_segments, 9);
	KUNIT_EXPECT_EQ(test, xbd_rq_data(rq)->parts, 2U);
}

/* Suspend cancelled after a timed-out drain: late answers still complete. */
static void resume_cancel_keeps_ring(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct xbd_drain_result res;

	drain_submit_n(sim, 2);
	xbd_drain_rings(&sim->info, msecs_to_jiffies(50), &res);
	KUNIT_ASSERT_FALSE(test, res.drained);
	sim_backend_run(sim);
	KUNIT_EXPECT_EQ(test, sim->completed, 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 0U);
}

/*
 * A slot whose grant the backend kept is never completed while that backend
 * lives; once it is gone the request is collected (to be failed), not lost.
 */
static void resume_leaked_slot_request_collected(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq;
	u64 id = rsp_one_read(sim, &rq);

	sim->grants_stuck = true;
	sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	KUNIT_ASSERT_EQ(test, sim->ring.shadow[id].state, XBD_SLOT_LEAKED);
	KUNIT_EXPECT_EQ(test, sim->completed, 0U);
	sim->grants_stuck = false;
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 1U);
	KUNIT_EXPECT_TRUE(test, on_list(&sim->info.reissue, rq));
	KUNIT_EXPECT_NULL(test, sim->ring.shadow[id].rq);
}

/*
 * XSA-396 class: a request whose grant the backend still maps is neither
 * re-issued nor failed by the resume bookkeeping, and the ref stays known.
 */
static void resume_mapped_grant_not_collected(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);
	u64 id;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 1), 0);
	id = sim_req(sim, 0)->u.rw.id;
	sim->grants_stuck = true;
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 0U);
	KUNIT_EXPECT_FALSE(test, on_list(&sim->info.reissue, rq));
	KUNIT_EXPECT_EQ(test, sim->ring.shadow[id].state, XBD_SLOT_LEAKED);
	KUNIT_EXPECT_PTR_EQ(test, sim->ring.shadow[id].rq, rq);
	KUNIT_EXPECT_EQ(test, sim->ring.shadow[id].nr_grants, 1);
	KUNIT_EXPECT_NE(test, sim->ring.shadow[id].grefs[0], INVALID_GRANT_REF);
	KUNIT_EXPECT_EQ(test, sim->live, 1U);
}

/* One part of a split request still mapped: the whole request stays. */
static void resume_split_request_with_mapped_part_stays(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 20), 0);
	KUNIT_ASSERT_EQ(test, sim->ring.front.req_prod_pvt, 2U);
	sim->stuck_ref = sim_req(sim, 1)->u.rw.seg[3].gref;
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 0U);
	KUNIT_EXPECT_FALSE(test, on_list(&sim->info.reissue, rq));
	KUNIT_EXPECT_FALSE(test, xbd_rq_data(rq)->on_reissue_list);
	KUNIT_EXPECT_EQ(test, sim->live, 1U);
}

/* The refs of a retired slot are revoked once the backend lets go. */
static void resume_leaked_refs_revoked_later(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	u64 id = rsp_one_read(sim, NULL);

	sim->grants_stuck = true;
	sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	KUNIT_ASSERT_EQ(test, sim->ring.shadow[id].state, XBD_SLOT_LEAKED);
	KUNIT_EXPECT_EQ(test, sim->live, 1U);
	sim->grants_stuck = false;
	KUNIT_EXPECT_EQ(test, xbd_collect_unfinished(&sim->info), 1U);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
}

/*
 * Removal of a broken device whose backend says Closed with I/O in flight:
 * the request fails, but its still-mapped pages go to the deferred release
 * with a reference of their own, never straight back to their owner.
 */
static void fail_mapped_pages_deferred(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);
	int before = page_count(sim->pages[1]);
	u64 id;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_READ, 0, 2), 0);
	id = sim_req(sim, 0)->u.rw.id;
	sim->grants_stuck = true;
	sim_inject(sim, id, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	KUNIT_ASSERT_EQ(test, sim->info.connected, XBD_BROKEN);

	KUNIT_EXPECT_EQ(test, xbd_fail_unfinished(&sim->info), 1U);
	KUNIT_EXPECT_EQ(test, sim->completed, 1U);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), -EIO);
	KUNIT_EXPECT_EQ(test, sim->nr_deferred, 2U);
	KUNIT_EXPECT_TRUE(test, sim_deferred(sim, sim->pages[0]));
	KUNIT_EXPECT_TRUE(test, sim_deferred(sim, sim->pages[1]));
	KUNIT_EXPECT_EQ(test, page_count(sim->pages[1]), before + 1);
	KUNIT_EXPECT_EQ(test, sim->ring.shadow[id].state, XBD_SLOT_GONE);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
}

/* An indirect page still mapped is handed over, not freed with the ring. */
static void fail_indirect_page_handed_over(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 32);
	struct request *rq = sim_rq(sim);
	struct page *ipage;
	u64 id;

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 20), 0);
	id = sim_req(sim, 0)->u.indirect.id;
	ipage = sim->ring.shadow[id].ipages[0];
	sim->grants_stuck = true;
	KUNIT_EXPECT_EQ(test, xbd_fail_unfinished(&sim->info), 1U);
	KUNIT_EXPECT_EQ(test, sim->nr_deferred, 21U);
	KUNIT_EXPECT_TRUE(test, sim_deferred(sim, ipage));
	KUNIT_EXPECT_NULL(test, sim->ring.shadow[id].ipages[0]);
}

/* Grants the backend did let go are simply ended: nothing deferred. */
static void fail_unmapped_ended_now(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);

	drain_submit_n(sim, 3);
	KUNIT_EXPECT_EQ(test, xbd_fail_unfinished(&sim->info), 3U);
	KUNIT_EXPECT_EQ(test, sim->completed, 3U);
	KUNIT_EXPECT_EQ(test, sim->nr_deferred, 0U);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
	KUNIT_EXPECT_EQ(test, sim->ring.nr_free, sim->ring.size);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
}

/* ---------------- removal ---------------- */

/* Only a connected backend of a connected device may still answer. */
static void remove_waits_only_for_connected_backend(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, xbd_remove_may_wait(XBD_CONNECTED, XenbusStateConnected));
	KUNIT_EXPECT_FALSE(test, xbd_remove_may_wait(XBD_CONNECTED, XenbusStateUnknown));
	KUNIT_EXPECT_FALSE(test, xbd_remove_may_wait(XBD_CONNECTED, XenbusStateClosing));
	KUNIT_EXPECT_FALSE(test, xbd_remove_may_wait(XBD_CONNECTED, XenbusStateClosed));
	KUNIT_EXPECT_FALSE(test, xbd_remove_may_wait(XBD_DISCONNECTED, XenbusStateInitWait));
	KUNIT_EXPECT_FALSE(test, xbd_remove_may_wait(XBD_BROKEN, XenbusStateConnected));
	KUNIT_EXPECT_FALSE(test, xbd_remove_may_wait(XBD_CLOSED, XenbusStateConnected));
}

static void remove_wait_completed(struct xbd_sim *sim, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < 150 && READ_ONCE(sim->completed) < n; i++)
		msleep(20);
}

/* A backend that never answers: the bound fails what del_gendisk waits for. */
static void remove_bound_fails_unanswered(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 1), 0);
	drain_submit_n(sim, 2);
	xbd_remove_arm(&sim->info, msecs_to_jiffies(50));
	remove_wait_completed(sim, 3);
	xbd_remove_disarm(&sim->info);
	KUNIT_EXPECT_EQ(test, sim->completed, 3U);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&sim->info.inflight), 0);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_CLOSED);
	KUNIT_EXPECT_EQ(test, sim->live, 0U);
}

/* Answers that arrive within the bound complete normally; nothing fails. */
static void remove_answered_in_time_not_failed(struct kunit *test)
{
	struct xbd_sim *sim = sim_setup(test, 0);
	struct request *rq = sim_rq(sim);

	KUNIT_ASSERT_EQ(test, sim_submit(sim, rq, BLKIF_OP_WRITE, 0, 1), 0);
	drain_submit_n(sim, 2);
	xbd_remove_arm(&sim->info, msecs_to_jiffies(5000));
	drain_backend(sim, 10);
	remove_wait_completed(sim, 3);
	xbd_remove_disarm(&sim->info);
	KUNIT_EXPECT_EQ(test, sim->completed, 3U);
	KUNIT_EXPECT_EQ(test, rq_errno(rq), 0);
	KUNIT_EXPECT_EQ(test, sim->info.connected, XBD_CONNECTED);
}

static struct kunit_case resume_cases[] = {
	KUNIT_CASE(resume_completed_never_collected),
	KUNIT_CASE(resume_drained_ring_reissues_nothing),
	KUNIT_CASE(resume_split_request_collected_once),
	KUNIT_CASE(resume_drain_flush_not_reissued),
	KUNIT_CASE(resume_resplit_for_new_backend),
	KUNIT_CASE(resume_cancel_keeps_ring),
	KUNIT_CASE(resume_leaked_slot_request_collected),
	KUNIT_CASE(resume_mapped_grant_not_collected),
	KUNIT_CASE(resume_split_request_with_mapped_part_stays),
	KUNIT_CASE(resume_leaked_refs_revoked_later),
	KUNIT_CASE(fail_mapped_pages_deferred),
	KUNIT_CASE(fail_indirect_page_handed_over),
	KUNIT_CASE(fail_unmapped_ended_now),
	KUNIT_CASE(remove_waits_only_for_connected_backend),
	KUNIT_CASE(remove_bound_fails_unanswered),
	KUNIT_CASE(remove_answered_in_time_not_failed),
	{}
};

static struct kunit_suite resume_suite = {
	.name = "xen_blkfront_drain_resume",
	.exit = sim_exit,
	.test_cases = resume_cases,
};

/* ---------------- naming ---------------- */

static void naming_letters(struct kunit *test)
{
	char name[DISK_NAME_LEN];

	KUNIT_ASSERT_EQ(test, xbd_disk_name(0, name, sizeof(name)), 0);
	KUNIT_EXPECT_STREQ(test, name, "xvda");
	xbd_disk_name(25, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdz");
	xbd_disk_name(26, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdaa");
	xbd_disk_name(701, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdzz");
	xbd_disk_name(702, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdaaa");
	KUNIT_EXPECT_EQ(test, xbd_disk_name(0, name, 4), -EINVAL);
}

static void naming_vdevice(struct kunit *test)
{
	unsigned int minor, nr, index;

	/* xl's "xvda" = 51712 = 202 << 8 */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(51712, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, minor, 0U);
	KUNIT_EXPECT_EQ(test, nr, 16U);
	KUNIT_EXPECT_EQ(test, index, 0U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(51728, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);
	KUNIT_EXPECT_EQ(test, minor, 16U);
	/* A partition alone gets one minor. */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(51713, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, nr, 1U);
	/* Extended scheme: xvdaa */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice((1U << 28) | (26 << 8), &minor, &nr, &index),
			0);
	KUNIT_EXPECT_EQ(test, index, 26U);
	KUNIT_EXPECT_EQ(test, nr, 256U);
	/* hdc (IDE1 master), hdb (IDE0 slave), sdb and sdq map onto xvd names. */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(22 << 8, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 2U);
	KUNIT_EXPECT_EQ(test, minor, 32U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice((3 << 8) | 64, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);
	KUNIT_EXPECT_EQ(test, nr, 16U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice((8 << 8) | 16, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(65 << 8, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 16U);
	KUNIT_EXPECT_EQ(test, xbd_decode_vdevice(7 << 8, &minor, &nr, &index), -ENODEV);
	KUNIT_EXPECT_EQ(test, xbd_decode_vdevice(1U << 29, &minor, &nr, &index), -ENODEV);
}

static struct kunit_case naming_cases[] = {
	KUNIT_CASE(naming_letters),
	KUNIT_CASE(naming_vdevice),
	{}
};

static struct kunit_suite naming_suite = {
	.name = "xen_blkfront_drain_naming",
	.test_cases = naming_cases,
};

kunit_test_suites(&map_suite, &response_suite, &drain_suite, &resume_suite, &naming_suite);

MODULE_LICENSE("GPL");
