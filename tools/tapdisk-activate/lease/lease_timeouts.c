// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Lease timings (see timeouts.h and Documentation/lease.rst). */
#include "lease_timeouts.h"

#include <time.h>

uint64_t lease_expiry_ms(uint32_t timeout_s)
{
	return (uint64_t)timeout_s * 1000u;
}

uint64_t lease_owner_valid_ms(uint32_t timeout_s)
{
	return (uint64_t)timeout_s * 750u;
}

uint32_t lease_renew_interval_s(uint32_t timeout_s)
{
	/* T/4: renewals at 0, T/4 and T/2 may all fail before the owner's
	 * validity (T*3/4) ends. */
	return timeout_s / 4 ? timeout_s / 4 : 1;
}

uint64_t lease_host_lock_wait_ms(uint32_t timeout_s)
{
	uint64_t ms = (uint64_t)lease_renew_interval_s(timeout_s) * 1000u;

	return ms > LEASE_HOST_LOCK_MIN_MS ? ms : LEASE_HOST_LOCK_MIN_MS;
}

uint64_t lease_poll_interval_ms(uint32_t timeout_s)
{
	uint64_t ms = (uint64_t)timeout_s * 1000u / 20u;

	if (ms < 10)
		return 10;
	return ms > 1000 ? 1000 : ms;
}

uint64_t lease_recheck_cap_ms(uint32_t timeout_s)
{
	uint64_t ms = lease_poll_interval_ms(timeout_s) / 10u;

	if (ms < LEASE_RECHECK_MIN_MS)
		return LEASE_RECHECK_MIN_MS;
	return ms > LEASE_RECHECK_MAX_MS ? LEASE_RECHECK_MAX_MS : ms;
}

uint64_t lease_recheck_interval_ms(uint32_t timeout_s, unsigned int n,
				   uint64_t waited_ms)
{
	/*
	 * Storage load: one sector read per interval per waiter, at most
	 * 1000 / LEASE_RECHECK_MAX_MS = 20 a second, and only for the first
	 * minute of a wait (a handover's destination waits seconds); the
	 * full polls (three sectors a second) go on as before. A lease
	 * normally has one waiter; 32 racing hosts add 640 small reads a
	 * second for a minute, a fraction of what one spinning disk serves.
	 */
	uint64_t ms = (uint64_t)LEASE_RECHECK_MIN_MS << (n < 16 ? n : 16);
	uint64_t cap = lease_recheck_cap_ms(timeout_s);

	if (waited_ms >= LEASE_RECHECK_WINDOW_MS)
		return 0;
	return ms > cap ? cap : ms;
}

uint64_t lease_ballot_backoff_us(unsigned int attempt, uint32_t rnd)
{
	/* Randomised and growing: duelling proposers stop colliding. */
	uint64_t span = 500u << (attempt < 8 ? attempt : 8);

	if (span > 100000u)
		span = 100000u;
	return 200u + rnd % span;
}

uint64_t lease_reread_pause_ms(unsigned int n)
{
	return (uint64_t)LEASE_REREAD_FIRST_MS << (2 * (n < 8 ? n : 8));
}

_Static_assert(LEASE_REREAD_BUDGET_MS ==
	       LEASE_REREAD_FIRST_MS * (1 + 4 + 16), "3 re-reads: 4+16+64 ms");

uint64_t lease_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lease_owner_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
