// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kill -9 at random points, thousands of times: 16 contenders (distinct
 * host ids) loop acquire / hold / release on a lease with a 1 s timeout
 * while the parent SIGKILLs a random one every few milliseconds and starts
 * a fresh process for that host id. The observer (lease_observer.h) proves
 * exclusion and version order held throughout; a killed holder's interval
 * ends when it is reaped. Afterwards the lease is still sound (no damaged
 * sector) and a new contender gets it once the dead holder's lease expires.
 * XH_LEASE_CRASH_KILLS overrides the number of kills (default 2000, 600
 * under ASan); the run also stops after 100 s.
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

#define NPROCS 16

static struct observer *obs;

static void child(const char *spec, int me)
{
	unsigned int seed = (unsigned int)getpid() * 2654435761u;
	char name[32], token[32];
	struct lease_holder h;
	struct lease *l = lt_open(spec, 0);
	int r;

	snprintf(name, sizeof(name), "crash-%d", me + 1);
	for (;;) {
		snprintf(token, sizeof(token), "pid%d-%u", getpid(),
			 rand_r(&seed));
		r = lt_acquire(l, (uint16_t)(me + 1), name, token, 3, &h);
		if (r == LEASE_HELD || r == LEASE_CONTENDED || r == LEASE_LOST)
			continue;
		if (r != LEASE_OK) {
			fprintf(stderr, "proc %d: acquire: %s: %s\n", me,
				lease_strerror(r), lease_last_error(l));
			atomic_fetch_add(&obs->errors, 1);
			_exit(1);
		}
		obs_enter(obs, me, NPROCS, h.version);
		obs_pause(&seed, 3000);
		obs_exit(obs, me);
		r = lease_release(l, &h, (uint16_t)(rand_r(&seed) % 3 ?
					me + 1 : rand_r(&seed) % NPROCS + 1));
		if (r != LEASE_OK && r != LEASE_NOT_OWNER) {
			fprintf(stderr, "proc %d: release: %s: %s\n", me,
				lease_strerror(r), lease_last_error(l));
			atomic_fetch_add(&obs->errors, 1);
			_exit(1);
		}
		obs_pause(&seed, 1000);
	}
}

static pid_t spawn(const char *spec, int me)
{
	pid_t pid = fork();

	T_ASSERT(pid >= 0, "fork");
	if (!pid)
		child(spec, me);
	return pid;
}

int main(void)
{
	const char *env = getenv("XH_LEASE_CRASH_KILLS");
#if defined(__SANITIZE_ADDRESS__)
	long want = env ? atol(env) : 600;
#else
	long want = env ? atol(env) : 2000;
#endif
	unsigned int seed = (unsigned int)getpid();
	pid_t pids[NPROCS];
	struct lease_status st;
	struct lease_holder h;
	struct lease *l;
	uint64_t t0 = lease_now_ns();
	long kills = 0;
	char *spec;
	int status;

	lt_setup();
	obs = obs_create();
	T_ASSERT(obs, "mmap");
	spec = t_path("crash.lease");
	l = lt_open(spec, LEASE_OPEN_CREATE);
	lt_init(l, 512, 1);

	for (int i = 0; i < NPROCS; i++)
		pids[i] = spawn(spec, i);
	while (kills < want && lease_now_ns() - t0 < 100ull * 1000000000u) {
		int victim = rand_r(&seed) % NPROCS;

		obs_pause(&seed, 40000);
		kill(pids[victim], SIGKILL);
		T_ASSERT(waitpid(pids[victim], &status, 0) == pids[victim],
			 "waitpid");
		T_ASSERT(WIFSIGNALED(status), "proc %d exited by itself (0x%x)",
			 victim, status);
		/* Dead now: whatever it held, it no longer uses it. */
		obs_exit(obs, victim);
		kills++;
		pids[victim] = spawn(spec, victim);
		T_ASSERT(!atomic_load(&obs->errors), "a contender failed");
	}
	for (int i = 0; i < NPROCS; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
		obs_exit(obs, i);
	}
	fprintf(stderr, "%ld kills in %.1f s, %llu acquisitions, last version %llu\n",
		kills, (lease_now_ns() - t0) / 1e9,
		(unsigned long long)atomic_load(&obs->entries),
		(unsigned long long)atomic_load(&obs->last_version));
	T_ASSERT(kills >= want || kills >= 1000, "only %ld kills", kills);
	T_ASSERT(!atomic_load(&obs->overlaps) &&
		 !atomic_load(&obs->version_errors), "%s", obs->first_problem);
	T_ASSERT(atomic_load(&obs->entries) >= 20, "no progress: %llu",
		 (unsigned long long)atomic_load(&obs->entries));

	/* Recoverable: nothing damaged, and a newcomer gets it. */
	T_ASSERT(lease_read_status(l, &st) == LEASE_OK, "status: %s",
		 lease_last_error(l));
	T_ASSERT(st.version >= atomic_load(&obs->last_version),
		 "lease version %llu below an acknowledged one",
		 (unsigned long long)st.version);
	T_ASSERT(lt_acquire(l, 100, "newcomer", "final", 5, &h) == LEASE_OK,
		 "final acquire: %s", lease_last_error(l));
	T_ASSERT(h.version > atomic_load(&obs->last_version), "final version");
	T_ASSERT(lease_release(l, &h, 0) == LEASE_OK, "final release");
	lease_close(l);
	munmap(obs, sizeof(*obs));
	return T_EXIT_PASS;
}
