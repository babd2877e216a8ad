// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Lease timings (see timeouts.h and Documentation/lease.rst). */
#include "timeouts.h"

#include <time.h>

uint64_t lease_expiry_ms(uint32_t timeout_s)
{
	return (uint64_t)timeout_s * 1000u;
}

uint64_t lease_owner_valid_ms(uint32_t timeout_s)
{
	return (uint64_t)timeout_s * 750u;
}

uint64_t lease_renew_interval_ms(uint32_t timeout_s)
{
	return (uint64_t)timeout_s * 1000u / 6u;
}

uint64_t lease_poll_interval_ms(uint32_t timeout_s)
{
	uint64_t ms = (uint64_t)timeout_s * 1000u / 20u;

	if (ms < 10)
		return 10;
	return ms > 1000 ? 1000 : ms;
}

uint64_t lease_ballot_backoff_us(unsigned int attempt, uint32_t rnd)
{
	/* Randomised and growing: duelling proposers stop colliding. */
	uint64_t span = 500u << (attempt < 8 ? attempt : 8);

	if (span > 100000u)
		span = 100000u;
	return 200u + rnd % span;
}

uint64_t lease_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
