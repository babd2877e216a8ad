/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Fast-path benchmark: 4 KiB O_DIRECT AIO at a fixed queue depth, one
 * timed phase per access pattern. Prints one line per phase.
 */
#ifndef XH_BENCH_H
#define XH_BENCH_H

#include <stdint.h>

struct xh_bench_opts {
	int fd;
	const char *label;	/* e.g. the frontend module under test */
	uint64_t first_block;
	uint64_t nblocks;	/* size of the region exercised */
	unsigned int depth;
	unsigned int secs;
};

int xh_bench_run(const struct xh_bench_opts *o);

#endif
