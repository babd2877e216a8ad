// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of ring.c: mapping block requests onto ring slots and grants.
 */
#include <kunit/test.h>

#include "kunit_sim.h"

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

kunit_test_suites(&map_suite);
