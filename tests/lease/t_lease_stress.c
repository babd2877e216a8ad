// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Up to 32 processes with distinct host ids race acquire/release on one
 * lease file for a bounded time. An independent observer in shared memory
 * (lease_observer.h) proves that no two ownership intervals overlap and
 * that versions strictly increase; afterwards every version from 1 to the
 * last was taken exactly once and the lease reads back free at that
 * version. A first short run with the lease switched off shows the
 * observer does catch overlaps (so this test can fail).
 * XH_LEASE_STRESS_PROCS / XH_LEASE_STRESS_SECONDS override the size.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lease_observer.h"
#include "lease_test.h"
#include "lease/lease_timeouts.h"

static struct observer *obs;

static void child(const char *spec, int me, int nprocs, bool use_lease)
{
	unsigned int seed = (unsigned int)getpid();
	struct lease *l = NULL;
	char name[32], token[32];
	struct lease_holder h;
	int r;

	snprintf(name, sizeof(name), "stress-%d", me + 1);
	if (use_lease)
		l = lt_open(spec, 0);
	while (!atomic_load(&obs->stop)) {
		snprintf(token, sizeof(token), "p%d-%u", me, rand_r(&seed));
		if (use_lease) {
			r = lt_acquire(l, (uint16_t)(me + 1), name, token, 30, &h);
			if (r == LEASE_HELD || r == LEASE_CONTENDED)
				continue;
			if (r != LEASE_OK) {
				fprintf(stderr, "proc %d: acquire: %s: %s\n", me,
					lease_strerror(r), lease_last_error(l));
				atomic_fetch_add(&obs->errors, 1);
				break;
			}
		} else {
			h.version = atomic_load(&obs->last_version) + 1;
		}
		obs_enter(obs, me, nprocs, h.version);
		obs_pause(&seed, 300);
		obs_exit(obs, me);
		if (use_lease) {
			/* successor: none, ourselves, or someone else */
			uint16_t succ = (uint16_t)(rand_r(&seed) % 3 == 0 ? 0 :
				rand_r(&seed) % 2 ? me + 1 :
				rand_r(&seed) % nprocs + 1);

			r = lease_release(l, &h, succ);
			if (r != LEASE_OK) {
				fprintf(stderr, "proc %d: release: %s: %s\n", me,
					lease_strerror(r), lease_last_error(l));
				atomic_fetch_add(&obs->errors, 1);
				break;
			}
		}
		obs_pause(&seed, 2000);
	}
	if (l)
		lease_close(l);
	_exit(0);
}

static void run(const char *spec, int nprocs, double seconds, bool use_lease)
{
	pid_t pids[OBS_MAX_PROCS];
	int st;

	memset(obs, 0, sizeof(*obs));
	for (int i = 0; i < nprocs; i++) {
		pids[i] = fork();
		T_ASSERT(pids[i] >= 0, "fork");
		if (!pids[i])
			child(spec, i, nprocs, use_lease);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&obs->stop, 1);
	for (int i = 0; i < nprocs; i++) {
		T_ASSERT(waitpid(pids[i], &st, 0) == pids[i], "waitpid");
		T_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "child %d status 0x%x", i, st);
	}
}

int main(void)
{
	const char *env = getenv("XH_LEASE_STRESS_PROCS");
	int nprocs = env ? atoi(env) : 32;
	double seconds;
	char *spec;
	struct lease *l;
	struct lease_status st;
	uint64_t top;

	env = getenv("XH_LEASE_STRESS_SECONDS");
#if defined(__SANITIZE_ADDRESS__)
	seconds = env ? atof(env) : 4;
#else
	seconds = env ? atof(env) : 8;
#endif
	T_ASSERT(nprocs >= 2 && nprocs <= 32, "2..32 processes");
	lt_setup();
	obs = obs_create();
	T_ASSERT(obs, "mmap");
	spec = t_path("race.lease");

	/* The observer must be able to see a broken lease. */
	run(spec, 8, 1.0, false);
	T_ASSERT(atomic_load(&obs->overlaps) > 0,
		 "control run without the lease saw no overlap (%llu entries)",
		 (unsigned long long)atomic_load(&obs->entries));
	fprintf(stderr, "control: %llu overlaps in %llu entries without the lease\n",
		(unsigned long long)atomic_load(&obs->overlaps),
		(unsigned long long)atomic_load(&obs->entries));

	l = lt_open(spec, LEASE_OPEN_CREATE);
	lt_init(l, 512, 20);
	run(spec, nprocs, seconds, true);
	top = atomic_load(&obs->last_version);
	fprintf(stderr, "%d procs, %.1f s: %llu acquisitions, last version %llu\n",
		nprocs, seconds, (unsigned long long)atomic_load(&obs->entries),
		(unsigned long long)top);
	T_ASSERT(!atomic_load(&obs->errors), "children reported errors");
	T_ASSERT(!atomic_load(&obs->overlaps) &&
		 !atomic_load(&obs->version_errors), "%s", obs->first_problem);
	T_ASSERT(atomic_load(&obs->entries) >= (uint64_t)nprocs,
		 "only %llu acquisitions",
		 (unsigned long long)atomic_load(&obs->entries));
	T_ASSERT(top < OBS_MAX_VERSIONS, "too many versions");
	for (uint64_t v = 1; v <= top; v++)
		T_ASSERT(atomic_load(&obs->seen[v]) == 1,
			 "version %llu taken %u times", (unsigned long long)v,
			 atomic_load(&obs->seen[v]));
	T_ASSERT(lease_read_status(l, &st) == LEASE_OK, "status: %s",
		 lease_last_error(l));
	T_ASSERT(st.state == LEASE_STATE_FREE && st.version == top,
		 "final state %d version %llu, observer saw %llu", st.state,
		 (unsigned long long)st.version, (unsigned long long)top);
	lease_close(l);
	munmap(obs, sizeof(*obs));
	return T_EXIT_PASS;
}
