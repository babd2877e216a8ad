// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites of drain.c: the drain, the resume bookkeeping, failing what
 * nothing will answer, and the removal bound.
 */
#include <kunit/test.h>
#include <linux/delay.h>

#include "kunit_sim.h"

/* ---------------- drain ---------------- */

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

kunit_test_suites(&drain_suite, &resume_suite);
