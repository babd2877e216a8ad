// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Eight hosts contending for one lease, each a process with its own host
 * id, each looping: acquire (waiting up to 5 s, like `lease acquire
 * --wait 5`), hold briefly, release with the default successor (itself,
 * as the command line does), and at once acquire again. Measured in
 * shared memory, never by asking the lease:
 *
 *   - release -> next acquire: for every handover (the next holder is
 *     not the host that released), from the moment the release returned
 *     to the moment the next holder's acquire returned (CLOCK_MONOTONIC
 *     is system-wide); median and p90. A releaser taking its own lease
 *     straight back is no handover: it only shows that others starve;
 *   - handovers waited: for each acquisition, how many acquisitions by
 *     other hosts happened since this host began waiting (a wait that
 *     timed out with "held" or "contended" goes on counting); per host
 *     the largest.
 *
 * Passes when the median is at most MEDIAN_MAX_MS, every host acquires,
 * and no host waited through more than MAX_HANDOVERS handovers (issue 13,
 * item 6). An observer (lease_observer.h) checks mutual exclusion and
 * version order along the way. XH_LEASE_CONTENTION_SECONDS overrides the
 * duration (default 10).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lease_observer.h"
#include "lease_test.h"
#include "lease/lease_timeouts.h"

#define HOSTS		8
#define WAIT_S		5.0
#define HOLD_MS		10u
#define MEDIAN_MAX_MS	100.0
#define MAX_HANDOVERS	8u
#define MAX_ACQ		20000

struct shared {
	struct observer obs;
	atomic_uint_fast64_t acquisitions;	/* acquisitions so far */
	atomic_uint_fast64_t last_release_ns;	/* 0: none yet */
	atomic_int last_releaser;		/* its host index */
	atomic_uint_fast64_t wins[HOSTS];
	atomic_uint_fast64_t max_waited[HOSTS];	/* handovers */
	atomic_uint_fast64_t timeouts[HOSTS];	/* acquire calls that gave up */
	atomic_uint_fast64_t nlat;
	uint64_t lat_ns[MAX_ACQ];
};

static struct shared *sh;

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void note_max(atomic_uint_fast64_t *m, uint64_t v)
{
	uint_fast64_t cur = atomic_load(m);

	while (v > cur && !atomic_compare_exchange_weak(m, &cur, v))
		;
}

static void child(const char *spec, int me)
{
	struct lease *l = lt_open(spec, 0);
	uint16_t id = (uint16_t)(me + 1);
	char name[32], token[32];
	uint64_t wait_from = atomic_load(&sh->acquisitions);
	struct lease_holder h;
	int r;

	snprintf(name, sizeof(name), "contender-%d", id);
	snprintf(token, sizeof(token), "c%d", id);
	while (!atomic_load(&sh->obs.stop)) {
		uint64_t now, rel, n, waited;

		r = lt_acquire(l, id, name, token, WAIT_S, &h);
		if (r == LEASE_HELD || r == LEASE_CONTENDED) {
			atomic_fetch_add(&sh->timeouts[me], 1);
			continue;	/* still waiting: wait_from stays */
		}
		if (r != LEASE_OK) {
			fprintf(stderr, "host %u: acquire: %s: %s\n", id,
				lease_strerror(r), lease_last_error(l));
			atomic_fetch_add(&sh->obs.errors, 1);
			break;
		}
		now = lease_now_ns();
		obs_enter(&sh->obs, me, HOSTS, h.version);
		rel = atomic_load(&sh->last_release_ns);
		n = atomic_fetch_add(&sh->acquisitions, 1);
		waited = n - wait_from;
		note_max(&sh->max_waited[me], waited);
		atomic_fetch_add(&sh->wins[me], 1);
		/* A handover: the lease reached a host that was waiting. */
		if (rel && atomic_load(&sh->last_releaser) != me) {
			uint64_t i = atomic_fetch_add(&sh->nlat, 1);

			if (i < MAX_ACQ)
				sh->lat_ns[i] = now > rel ? now - rel : 0;
		}
		sleep_ms(HOLD_MS);
		obs_exit(&sh->obs, me);
		r = lease_release(l, &h, id);
		if (r != LEASE_OK) {
			fprintf(stderr, "host %u: release: %s: %s\n", id,
				lease_strerror(r), lease_last_error(l));
			atomic_fetch_add(&sh->obs.errors, 1);
			break;
		}
		atomic_store(&sh->last_releaser, me);
		atomic_store(&sh->last_release_ns, lease_now_ns());
		/* Waiting again from here: later acquisitions count. */
		wait_from = atomic_load(&sh->acquisitions);
	}
	/* A wait still going on counts too (a host that never won). */
	note_max(&sh->max_waited[me], atomic_load(&sh->acquisitions) -
		 wait_from);
	lease_close(l);
	_exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	const char *env = getenv("XH_LEASE_CONTENTION_SECONDS");
	double seconds = env ? atof(env) : 10;
	pid_t pids[HOSTS];
	uint64_t n, worst = 0;
	double median, p90;
	struct lease *l;
	const char *spec;
	int st, never = 0;

	T_ASSERT(seconds > 0 && seconds <= 600, "seconds 0..600");
	lt_setup();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(sh != MAP_FAILED, "mmap");
	memset(sh, 0, sizeof(*sh));
	spec = t_path("contention.lease");
	l = lt_open(spec, LEASE_OPEN_CREATE);
	lt_init(l, 512, LEASE_DEFAULT_TIMEOUT_S);

	for (int i = 0; i < HOSTS; i++) {
		pids[i] = fork();
		T_ASSERT(pids[i] >= 0, "fork");
		if (!pids[i])
			child(spec, i);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&sh->obs.stop, 1);
	for (int i = 0; i < HOSTS; i++) {
		/* Each child ends within one acquire --wait (5 s) plus a
		 * release: bounded by the children's own timeouts. */
		T_ASSERT(waitpid(pids[i], &st, 0) == pids[i], "waitpid");
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "host %d status 0x%x", i + 1, st);
	}

	n = atomic_load(&sh->nlat);
	if (n > MAX_ACQ)
		n = MAX_ACQ;
	qsort(sh->lat_ns, n, sizeof(sh->lat_ns[0]), cmp_u64);
	median = n ? sh->lat_ns[n / 2] / 1e6 : 1e9;
	p90 = n ? sh->lat_ns[n * 9 / 10] / 1e6 : 1e9;
	printf("%d hosts, %.0f s: %llu acquisitions, %llu handovers; release -> next acquire median %.1f ms, p90 %.1f ms, max %.1f ms\n",
	       HOSTS, seconds,
	       (unsigned long long)atomic_load(&sh->acquisitions),
	       (unsigned long long)n, median, p90,
	       n ? sh->lat_ns[n - 1] / 1e6 : 1e9);
	for (int i = 0; i < HOSTS; i++) {
		uint64_t w = atomic_load(&sh->wins[i]);
		uint64_t m = atomic_load(&sh->max_waited[i]);

		printf("host %d: %llu acquisitions, waited through at most %llu handovers, %llu acquire calls gave up\n",
		       i + 1, (unsigned long long)w, (unsigned long long)m,
		       (unsigned long long)atomic_load(&sh->timeouts[i]));
		if (!w)
			never++;
		if (m > worst)
			worst = m;
	}
	lease_close(l);
	T_ASSERT(!atomic_load(&sh->obs.errors), "hosts reported errors");
	T_ASSERT(!atomic_load(&sh->obs.overlaps) &&
		 !atomic_load(&sh->obs.version_errors), "%s",
		 sh->obs.first_problem);
	T_ASSERT(n > 0, "no handover at all in %.0f s", seconds);
	T_ASSERT(median <= MEDIAN_MAX_MS,
		 "median release -> next acquire %.1f ms (limit %.0f ms)",
		 median, MEDIAN_MAX_MS);
	T_ASSERT(!never, "%d of %d hosts never acquired", never, HOSTS);
	T_ASSERT(worst <= MAX_HANDOVERS,
		 "a host waited through %llu handovers (limit %u)",
		 (unsigned long long)worst, MAX_HANDOVERS);
	return T_EXIT_PASS;
}
