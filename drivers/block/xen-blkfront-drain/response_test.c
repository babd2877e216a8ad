// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of response.c: response validation and the interrupt handler.
 */
#include <kunit/test.h>
#include <xen/events.h>

#include "kunit_sim.h"

/* ---------------- response validation ---------------- */

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

kunit_test_suites(&response_suite);
