// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * An owner whose host was suspended for longer than its validity window
 * must not renew on waking: meanwhile other hosts' clocks ran and one of
 * them may be taking the lease over. CLOCK_MONOTONIC stops during a
 * suspend (CLOCK_BOOTTIME and the wall clock do not), so an owner timing
 * its window on CLOCK_MONOTONIC wakes up believing little time passed.
 *
 * The suspend is simulated: this program defines clock_gettime() (the
 * library is linked statically, so its calls land here) and adds the
 * "slept" time to CLOCK_BOOTTIME and CLOCK_REALTIME only, as the kernel
 * does after a real suspend.
 */
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lease_test.h"

static uint64_t slept_ns;

int clock_gettime(clockid_t id, struct timespec *ts)
{
	uint64_t t;

	if (syscall(SYS_clock_gettime, id, ts))
		return -1;
	if (slept_ns && (id == CLOCK_BOOTTIME || id == CLOCK_REALTIME)) {
		t = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec +
		    slept_ns;
		ts->tv_sec = (time_t)(t / 1000000000u);
		ts->tv_nsec = (long)(t % 1000000000u);
	}
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	struct lease *a, *b;
	struct lease_holder ha, hb;
	uint64_t mono0, boot0;
	int r;

	lt_setup();
	a = lt_open(t_path("suspend.lease"), LEASE_OPEN_CREATE);
	b = lt_open(t_path("suspend.lease"), 0);
	lt_init(a, 512, 4);
	T_ASSERT(lt_acquire(a, 1, "h1", "t1", 0, &ha) == LEASE_OK, "%s",
		 lease_last_error(a));
	T_ASSERT(lease_renew(a, &ha) == LEASE_OK, "renew: %s",
		 lease_last_error(a));

	/* The host sleeps 10 s, more than the 4 s timeout. */
	mono0 = clock_ns(CLOCK_MONOTONIC);
	boot0 = clock_ns(CLOCK_BOOTTIME);
	slept_ns = 10ull * 1000000000u;
	T_ASSERT(clock_ns(CLOCK_BOOTTIME) - boot0 >= slept_ns &&
		 clock_ns(CLOCK_MONOTONIC) - mono0 < 1000000000u,
		 "the clock_gettime() override is not in effect");

	r = lease_renew(a, &ha);
	T_ASSERT(r == LEASE_LOST,
		 "owner renewed after sleeping past its window: %s (%s)",
		 lease_strerror(r), lease_last_error(a));
	T_ASSERT(lease_valid_until_ns(a) == 0,
		 "the handle still claims a valid holding");

	/* Nothing else changes: another host still sees it held (its own
	 * clock decides expiry), and the owner can release it. */
	T_ASSERT(lt_acquire(b, 2, "h2", "t2", 0, &hb) == LEASE_HELD,
		 "held after the owner's lapse: %s", lease_last_error(b));
	T_ASSERT(lease_release(a, &ha, 0) == LEASE_OK, "release: %s",
		 lease_last_error(a));
	lease_close(a);
	lease_close(b);
	return T_EXIT_PASS;
}
