// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "bench.h"
#include "aio.h"
#include "record.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct phase {
	const char *name;
	bool write;
	bool random;
};

static const struct phase phases[] = {
	{ "seq-write", true, false },
	{ "seq-read", false, false },
	{ "rand-write", true, true },
	{ "rand-read", false, true },
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU ticks the guest spent busy (user, nice, system, irq, softirq) and in
 * total, from /proc/stat. Under TCG the IOPS of a phase are dominated by
 * emulated Xen and dom0; the guest's own busy time per I/O is what the
 * frontend's fast path costs. 0 on any read error.
 */
static int cpu_ticks(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return -1;
	*busy = v[0] + v[1] + v[2] + v[5] + v[6];
	*total = *busy + v[3] + v[4] + v[7];
	return 0;
}

static uint64_t next_block(const struct xh_bench_opts *o, const struct phase *p,
			   uint64_t *cursor, uint64_t *rng)
{
	if (p->random) {
		*rng ^= *rng << 13;
		*rng ^= *rng >> 7;
		*rng ^= *rng << 17;
		return o->first_block + *rng % o->nblocks;
	}
	return o->first_block + (*cursor)++ % o->nblocks;
}

static int run_phase(const struct xh_bench_opts *o, const struct phase *p,
		     aio_context_t ctx, unsigned char *bufs, struct iocb *cbs)
{
	struct io_event ev[64];
	uint64_t cursor = 0, rng = 0x2545f4914f6cdd1dull, done = 0, errors = 0;
	unsigned int inflight = 0;
	double t0 = now_s(), end = t0 + o->secs, el, tick_us;
	unsigned long long b0 = 0, b1 = 0, c0 = 0, c1 = 0;
	long hz = sysconf(_SC_CLK_TCK);
	bool have_cpu = cpu_ticks(&b0, &c0) == 0;

	for (unsigned int i = 0; i < o->depth; i++) {
		struct iocb *cb = &cbs[i];

		xh_iocb_prep(cb, o->fd, p->write, bufs + (size_t)i * XH_BLOCK_SIZE, XH_BLOCK_SIZE,
			     (off_t)(next_block(o, p, &cursor, &rng) * XH_BLOCK_SIZE), i);
		if (xh_io_submit(ctx, 1, &cb) != 1)
			return -1;
		inflight++;
	}
	while (inflight) {
		int n = xh_io_getevents(ctx, 1, o->depth, ev, 1000);
		bool more = now_s() < end;

		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			unsigned int slot = (unsigned int)ev[i].data;
			struct iocb *cb = &cbs[slot];

			inflight--;
			if (ev[i].res == (long long)XH_BLOCK_SIZE)
				done++;
			else
				errors++;
			if (!more)
				continue;
			cb->aio_offset = (int64_t)(next_block(o, p, &cursor, &rng) * XH_BLOCK_SIZE);
			if (xh_io_submit(ctx, 1, &cb) != 1)
				return -1;
			inflight++;
		}
	}
	el = now_s() - t0;
	have_cpu = have_cpu && cpu_ticks(&b1, &c1) == 0 && hz > 0 && done;
	tick_us = 1e6 / (double)(hz > 0 ? hz : 100);
	printf("XH-G bench label=%s phase=%s ios=%llu errors=%llu secs=%.2f iops=%.0f mbps=%.2f"
	       " busy_us_per_io=%.1f busy_pct=%.0f\n",
	       o->label, p->name, (unsigned long long)done, (unsigned long long)errors, el,
	       (double)done / el, (double)done * XH_BLOCK_SIZE / el / 1e6,
	       have_cpu ? (double)(b1 - b0) * tick_us / (double)done : 0.0,
	       have_cpu && c1 > c0 ? 100.0 * (double)(b1 - b0) / (double)(c1 - c0) : 0.0);
	return errors ? -1 : 0;
}

int xh_bench_run(const struct xh_bench_opts *o)
{
	aio_context_t ctx;
	unsigned char *bufs;
	struct iocb *cbs;
	int rc = 0;

	if (o->depth == 0 || o->depth > 64 || o->nblocks == 0)
		return -1;
	cbs = calloc(o->depth, sizeof(*cbs));
	if (!cbs || posix_memalign((void **)&bufs, XH_BLOCK_SIZE, (size_t)o->depth * XH_BLOCK_SIZE)) {
		free(cbs);
		return -1;
	}
	memset(bufs, 0xa5, (size_t)o->depth * XH_BLOCK_SIZE);
	if (xh_io_setup(o->depth, &ctx) < 0) {
		free(bufs);
		free(cbs);
		return -1;
	}
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]) && rc == 0; i++) {
		/* Idle between phases: TCG guests doing I/O at full speed for
		 * more than ~20 s in a row sometimes triple fault. */
		if (i)
			sleep(1);
		rc = run_phase(o, &phases[i], ctx, bufs, cbs);
	}
	xh_io_destroy(ctx);
	free(bufs);
	free(cbs);
	return rc;
}
