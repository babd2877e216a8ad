/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Independent observer for lease race tests. Holders announce entering and
 * leaving the section the lease protects in shared memory; the observer
 * never asks the lease anything. Mutual exclusion is violated when a
 * holder enters while another one is inside; version order is violated
 * when a holder enters with a version not above every earlier entry's.
 */
#ifndef XH_TESTS_LEASE_OBSERVER_H
#define XH_TESTS_LEASE_OBSERVER_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#define OBS_MAX_PROCS	64
#define OBS_MAX_VERSIONS 200000

struct observer {
	atomic_int inside[OBS_MAX_PROCS];
	atomic_uint_fast64_t last_version;
	atomic_uint_fast64_t overlaps;
	atomic_uint_fast64_t version_errors;
	atomic_uint_fast64_t entries;
	atomic_int stop;
	atomic_int errors;
	atomic_uchar seen[OBS_MAX_VERSIONS];
	char first_problem[256];
	atomic_flag problem_taken;
};

static inline struct observer *obs_create(void)
{
	struct observer *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return o == MAP_FAILED ? NULL : o;
}

static inline void obs_problem(struct observer *o, const char *what,
			       int who, uint64_t a, uint64_t b)
{
	if (!atomic_flag_test_and_set(&o->problem_taken))
		snprintf(o->first_problem, sizeof(o->first_problem),
			 "%s: proc %d (%llu vs %llu)", what, who,
			 (unsigned long long)a, (unsigned long long)b);
}

static inline void obs_enter(struct observer *o, int me, int nprocs,
			     uint64_t version)
{
	uint_fast64_t last;

	atomic_store(&o->inside[me], 1);
	for (int j = 0; j < nprocs; j++)
		if (j != me && atomic_load(&o->inside[j])) {
			atomic_fetch_add(&o->overlaps, 1);
			obs_problem(o, "overlap", me, (uint64_t)j, version);
		}
	last = atomic_load(&o->last_version);
	do {
		if (version <= last) {
			atomic_fetch_add(&o->version_errors, 1);
			obs_problem(o, "version not increasing", me, version,
				    last);
			break;
		}
	} while (!atomic_compare_exchange_weak(&o->last_version, &last,
					       version));
	if (version < OBS_MAX_VERSIONS)
		atomic_fetch_add(&o->seen[version], 1);
	atomic_fetch_add(&o->entries, 1);
}

static inline void obs_exit(struct observer *o, int me)
{
	atomic_store(&o->inside[me], 0);
}

/* Somewhere between 0 and @max_us microseconds, yielding the CPU. */
static inline void obs_pause(unsigned int *seed, unsigned int max_us)
{
	struct timespec ts = { 0, 0 };

	if (!max_us)
		return;
	ts.tv_nsec = (long)(rand_r(seed) % max_us) * 1000;
	if (ts.tv_nsec)
		nanosleep(&ts, NULL);
	else
		sched_yield();
}

#endif /* XH_TESTS_LEASE_OBSERVER_H */
