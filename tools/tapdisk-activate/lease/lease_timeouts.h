/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one source of lease timings. Everything derives from the lease
 * timeout T chosen at init (seconds, stored on disk): hosts share no
 * clock, so each side measures only intervals on its own clock (contender:
 * CLOCK_MONOTONIC, owner: CLOCK_BOOTTIME; see lease_owner_now_ns()).
 *
 *   contender: takes over only after seeing no change of the leader record
 *              and the owner's renewal counter for T (lease_expiry_ms);
 *   owner:     renews every T/4 (lease_renew_interval_s) and treats its lease as lost T*3/4 after
 *              the start of its last successful renewal (lease_owner_valid_ms),
 *              leaving T/4 for clock-rate differences and for stopping I/O.
 * Why these numbers: Documentation/lease.rst, "Timeouts".
 */
#ifndef TAPDISK_ACTIVATE_LEASE_TIMEOUTS_H
#define TAPDISK_ACTIVATE_LEASE_TIMEOUTS_H

#include <stdint.h>

#include "lease.h"	/* LEASE_DEFAULT_TIMEOUT_S, LEASE_MAX_TIMEOUT_S */

/* How long a contender must observe no renewal before taking over. */
uint64_t lease_expiry_ms(uint32_t timeout_s);
/* How long after starting a successful renewal the owner may rely on it. */
uint64_t lease_owner_valid_ms(uint32_t timeout_s);
/*
 * Longest wait for the host-local lock (lease_lock.c), which another
 * holder on this host keeps only for one ballot, renewal or release: a
 * renewal interval (T/4), at least LEASE_HOST_LOCK_MIN_MS. A lock not had
 * by then means that holder's storage I/O is stuck, and waiting longer
 * would only make this caller miss its own deadline too.
 */
uint64_t lease_host_lock_wait_ms(uint32_t timeout_s);
#define LEASE_HOST_LOCK_MIN_MS	1000u
/* Longest lease_fence_confirm_ms(): T/8, at most this. */
#define LEASE_FENCE_CONFIRM_MAX_MS	2000u
/* How often a waiting contender re-reads the lease. */
uint64_t lease_poll_interval_ms(uint32_t timeout_s);
/*
 * Between two full polls a waiting contender re-reads the leader sector
 * alone, so that a release (one leader write) is noticed within tens of
 * milliseconds rather than a poll interval later: @n-th re-read of this
 * wait, @waited_ms since the wait began. Starts at LEASE_RECHECK_MIN_MS,
 * doubles up to lease_recheck_cap_ms(); after LEASE_RECHECK_WINDOW_MS of
 * waiting it returns 0: no more re-reads, only the full polls.
 */
uint64_t lease_recheck_interval_ms(uint32_t timeout_s, unsigned int n,
				   uint64_t waited_ms);
uint64_t lease_recheck_cap_ms(uint32_t timeout_s);
#define LEASE_RECHECK_MIN_MS	5u
#define LEASE_RECHECK_MAX_MS	50u
#define LEASE_RECHECK_WINDOW_MS	60000u
/*
 * Fairness (Documentation/lease.rst, "Fairness"). A waiting contender
 * announces itself in its own slot (wait_since, wait_seen); a release
 * that names the releasing host names the longest live waiter instead,
 * and everyone else defers to that successor while the leader stays free,
 * for lease_successor_grace_ms() from first seeing the release, and as
 * long again once the successor's own ballot is seen under way: two full
 * polls each, so a successor that waits with polls only (after
 * LEASE_RECHECK_WINDOW_MS) still notices in time. Only delays: never part
 * of a safety decision.
 */
uint64_t lease_successor_grace_ms(uint32_t timeout_s);
/*
 * A ticket whose wait_seen lags the released version by more than this
 * is taken for a waiter that died (kill -9 leaves its ticket): it is not
 * named. A live waiter records every version it sees.
 */
#define LEASE_WAIT_STALE_VERSIONS 8u
/* Random pause before retrying a pre-empted ballot (attempt from 0). */
uint64_t lease_ballot_backoff_us(unsigned int attempt, uint32_t rnd);
/* Pre-empted ballots are retried at least this long even without --wait. */
#define LEASE_MIN_CONTENTION_MS	2000u

/*
 * A sector that fails validation is read again LEASE_REREADS times, after
 * pauses of LEASE_REREAD_FIRST_MS, then 4x longer each time (4, 16, 64 ms:
 * LEASE_REREAD_BUDGET_MS in all), before the area is called damaged: a
 * write in flight on another host can be read torn but completes within
 * one I/O latency (tens of ms on busy network storage); damage persists
 * (Documentation/lease.rst, "Torn reads").
 */
#define LEASE_REREADS		3u
#define LEASE_REREAD_FIRST_MS	4u
#define LEASE_REREAD_BUDGET_MS	84u
/* Pause before re-read @n (0-based): 4, 16, 64 ms. */
uint64_t lease_reread_pause_ms(unsigned int n);

/*
 * The contender's clock: CLOCK_MONOTONIC in nanoseconds. It stops while
 * the host is suspended, which only makes a contender wait longer.
 */
uint64_t lease_now_ns(void);
/* The owner's clock: lease_owner_now_ns() in lease.h. */

#endif /* TAPDISK_ACTIVATE_LEASE_TIMEOUTS_H */
