/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen-blkfront-drain KUnit: the simulated hypervisor, backend and block
 * requests shared by the suites (kunit_sim.c), one suite file per source file.
 */
#ifndef XEN_BLKFRONT_DRAIN_KUNIT_SIM_H
#define XEN_BLKFRONT_DRAIN_KUNIT_SIM_H

#include <kunit/test.h>
#include <linux/workqueue.h>

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

bool sim_deferred(struct xbd_sim *sim, struct page *page);
void sim_backend_run(struct xbd_sim *sim);
void sim_put_response(struct xbd_sim *sim, u64 id, u8 op, s16 status);
enum xbd_rsp_check sim_inject(struct xbd_sim *sim, u64 id, u8 op, s16 status);
struct xbd_sim *sim_setup(struct kunit *test, unsigned int max_indirect);
void sim_exit(struct kunit *test);
struct request *sim_rq(struct xbd_sim *sim);
int sim_submit(struct xbd_sim *sim, struct request *rq, u8 op, sector_t sector,
	       unsigned int nsegs);
int rq_errno(struct request *rq);
struct blkif_request *sim_req(struct xbd_sim *sim, RING_IDX i);
u64 rsp_one_read(struct xbd_sim *sim, struct request **rqp);
void drain_submit_n(struct xbd_sim *sim, unsigned int n);
void drain_backend(struct xbd_sim *sim, unsigned int delay_ms);

#endif /* XEN_BLKFRONT_DRAIN_KUNIT_SIM_H */
