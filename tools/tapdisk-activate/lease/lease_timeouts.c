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

uint64_t lease_fence_confirm_ms(uint32_t timeout_s)
{
	/* Pausing a domain is one hypercall; a backend suspend that takes
	 * longer than this is waiting for storage that may never answer. */
	uint64_t ms = (uint64_t)timeout_s * 1000u / 8u;

	return ms < LEASE_FENCE_CONFIRM_MAX_MS ? ms : LEASE_FENCE_CONFIRM_MAX_MS;
}

uint64_t lease_watchdog_feed_ms(uint32_t watchdog_s)
{
	return watchdog_s ? (uint64_t)watchdog_s * 1000u +
			    LEASE_WATCHDOG_SLACK_MS : 0;
}

uint64_t lease_fence_lead_ms(uint32_t timeout_s, uint32_t watchdog_s)
{
	return lease_fence_confirm_ms(timeout_s) +
	       lease_watchdog_feed_ms(watchdog_s);
}

bool lease_fence_timing_ok(uint32_t timeout_s, uint32_t watchdog_s)
{
	/* The fence may start only after a renewal was missed and the next
	 * one is half an interval late: lead <= V - T/4 - T/8 = 3T/8. */
	if (!timeout_s)
		return true;
	return lease_fence_lead_ms(timeout_s, watchdog_s) * 8u <=
	       (uint64_t)timeout_s * 3000u;
}

uint32_t lease_min_timeout_s(uint32_t watchdog_s)
{
	uint32_t t = 1;

	while (t < LEASE_MAX_TIMEOUT_S && !lease_fence_timing_ok(t, watchdog_s))
		t++;
	return t;
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

uint64_t lease_successor_grace_ms(uint32_t timeout_s)
{
	/* 20 ms at T = 1 s, 2 s from T = 20 s. */
	return 2u * lease_poll_interval_ms(timeout_s);
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
