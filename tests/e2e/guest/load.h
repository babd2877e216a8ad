/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Write load: every block of a small range always has exactly one record
 * write in flight (never two, so their order on disk is defined), and the
 * last completed sequence number per block is remembered for verification.
 */
#ifndef XH_LOAD_H
#define XH_LOAD_H

#include "aio.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct xh_load {
	int fd;
	aio_context_t ctx;
	uint32_t nblocks;
	uint64_t base_block;	/* first record block on the disk */
	uint64_t run_id;
	uint64_t next_seq;
	uint64_t *completed;	/* per block: last seq whose write completed */
	uint64_t *pending;	/* per block: seq of the write in flight, 0 if none */
	unsigned char *bufs;	/* nblocks aligned record buffers */
	struct iocb *cbs;
	unsigned int inflight;
	uint64_t nr_completed;
	uint64_t nr_errors;
	unsigned int pace_us;	/* pause before each resubmission, keeps TCG guests alive */
	unsigned int stagger_ms;	/* block b starts b * stagger_ms after the load */
	uint32_t started;	/* blocks whose first write was submitted */
	struct timespec t_start;
	bool running;
};

int xh_load_init(struct xh_load *l, int fd, uint32_t nblocks, uint64_t base_block,
		 uint64_t run_id);
void xh_load_free(struct xh_load *l);
/*
 * Start (or restart) writing: one write per block in flight. With
 * stagger_ms > 0 the blocks start one after another, so that behind a
 * slow (delayed) disk their writes are spread over the delay instead of
 * completing in lockstep.
 */
int xh_load_start(struct xh_load *l, unsigned int pace_us, unsigned int stagger_ms);
/* Submit the first write of blocks whose staggered start time has come. */
int xh_load_tick(struct xh_load *l);
/* Reap completions for up to timeout_ms and resubmit while running. */
int xh_load_poll(struct xh_load *l, long timeout_ms);
/* Stop resubmitting and wait up to timeout_ms for in-flight writes. */
int xh_load_stop(struct xh_load *l, long timeout_ms);

#endif
