/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Monotonic milli- and microseconds: every bounded wait of the tools
 * (handover, tapctl, dm, daemon) measures with these. */
#ifndef TAPDISK_ACTIVATE_CLOCK_H
#define TAPDISK_ACTIVATE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif /* TAPDISK_ACTIVATE_CLOCK_H */
