// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "load.h"
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int xh_load_init(struct xh_load *l, int fd, uint32_t nblocks, uint64_t base_block,
		 uint64_t run_id)
{
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->nblocks = nblocks;
	l->base_block = base_block;
	l->run_id = run_id;
	l->next_seq = 1;
	l->completed = calloc(nblocks, sizeof(*l->completed));
	l->pending = calloc(nblocks, sizeof(*l->pending));
	l->cbs = calloc(nblocks, sizeof(*l->cbs));
	if (!l->completed || !l->pending || !l->cbs ||
	    posix_memalign((void **)&l->bufs, XH_BLOCK_SIZE, (size_t)nblocks * XH_BLOCK_SIZE)) {
		xh_load_free(l);
		errno = ENOMEM;
		return -1;
	}
	if (xh_io_setup(nblocks, &l->ctx) < 0) {
		xh_load_free(l);
		return -1;
	}
	return 0;
}

void xh_load_free(struct xh_load *l)
{
	if (l->ctx)
		xh_io_destroy(l->ctx);
	free(l->completed);
	free(l->pending);
	free(l->cbs);
	free(l->bufs);
	memset(l, 0, sizeof(*l));
}

static int submit_block(struct xh_load *l, uint32_t b)
{
	unsigned char *buf = l->bufs + (size_t)b * XH_BLOCK_SIZE;
	struct iocb *cb = &l->cbs[b];
	uint64_t seq = l->next_seq++;

	xh_record_fill(buf, l->run_id, b, seq);
	xh_iocb_prep(cb, l->fd, 1, buf, XH_BLOCK_SIZE,
		     (off_t)((l->base_block + b) * XH_BLOCK_SIZE), b);
	if (xh_io_submit(l->ctx, 1, &cb) != 1)
		return -1;
	l->pending[b] = seq;
	l->inflight++;
	return 0;
}

static void pace(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	if (us)
		nanosleep(&ts, NULL);
}

int xh_load_start(struct xh_load *l, unsigned int pace_us, unsigned int stagger_ms)
{
	l->pace_us = pace_us;
	l->stagger_ms = stagger_ms;
	l->started = 0;
	l->running = true;
	clock_gettime(CLOCK_MONOTONIC, &l->t_start);
	return xh_load_tick(l);
}

int xh_load_tick(struct xh_load *l)
{
	struct timespec now;
	long ms;

	if (!l->running || l->started == l->nblocks)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - l->t_start.tv_sec) * 1000 + (now.tv_nsec - l->t_start.tv_nsec) / 1000000;
	while (l->started < l->nblocks && ms >= (long)l->started * (long)l->stagger_ms) {
		uint32_t b = l->started++;

		if (l->pending[b])
			continue;
		if (submit_block(l, b) < 0) {
			l->running = false;
			return -1;
		}
	}
	return 0;
}

int xh_load_poll(struct xh_load *l, long timeout_ms)
{
	struct io_event ev[64];
	int n;

	if (!l->inflight)
		return 0;
	n = xh_io_getevents(l->ctx, 1, l->nblocks < 64 ? l->nblocks : 64, ev, timeout_ms);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		uint32_t b = (uint32_t)ev[i].data;

		if (b >= l->nblocks || !l->pending[b])
			continue;
		l->inflight--;
		if (ev[i].res == (long long)XH_BLOCK_SIZE) {
			l->completed[b] = l->pending[b];
			l->nr_completed++;
		} else {
			l->nr_errors++;
			printf("XH-G ioerr block=%u seq=%llu res=%lld\n", b,
			       (unsigned long long)l->pending[b], (long long)ev[i].res);
		}
		l->pending[b] = 0;
		if (l->running) {
			pace(l->pace_us);
			if (submit_block(l, b) < 0)
				return -1;
		}
	}
	return n;
}

int xh_load_stop(struct xh_load *l, long timeout_ms)
{
	struct timespec t0, now;

	l->running = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (l->inflight) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 +
				     (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		if (xh_load_poll(l, left < 500 ? left : 500) < 0)
			return -1;
	}
	return 0;
}
