// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * No two owners on a late renewal (the measured race: with T = 2 s, host 1
 * renewing 0-20 ms after T through a fresh handle, as `lease renew` does,
 * while host 2 waits in `lease acquire --wait`, both succeeded in 7 of 46
 * tries). Each try: host 1 acquires; host 2 (another process) waits to
 * take over; host 1 renews through a new handle at a swept offset, from
 * 100 ms before to 100 ms after a point. Half the tries sweep around T
 * (where the race was seen), half around the owner's deadline T*3/4 (where
 * the renewal's own check decides). A double owner is a renewal that
 * succeeded while host 2 acquired before the window that renewal claims
 * (start + T*3/4) ended. 202 tries, run 34 at a time, each on its own
 * lease file: zero double owners, and around T*3/4 both outcomes occur.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lease_test.h"
#include "lease/lease_timeouts.h"

#define T_S		2u
#define TRIES		202
#define PARALLEL	34

enum { TRY_OK, TRY_DOUBLE, TRY_ERROR };

struct outcome {
	int verdict;
	int renew;		/* lease_renew's result */
	int took;		/* host 2 acquired */
};

static void sleep_until(uint64_t t_ns)
{
	uint64_t now = lease_now_ns();
	struct timespec ts;

	if (now >= t_ns)
		return;
	ts.tv_sec = (time_t)((t_ns - now) / 1000000000u);
	ts.tv_nsec = (long)((t_ns - now) % 1000000000u);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Host 2: wait for the lease; writes its acquire time (0: not taken). */
static void contender(const char *path, int fd)
{
	struct lease *l = lt_open(path, 0);
	struct lease_holder h;
	uint64_t t = 0;

	if (lt_acquire(l, 2, "host-2", "c", 6, &h) == LEASE_OK)
		t = lease_now_ns();
	if (write(fd, &t, sizeof(t)) != sizeof(t))
		_exit(2);
	lease_close(l);
	_exit(0);
}

static struct outcome one_try(int i)
{
	struct outcome o = { TRY_ERROR, -1, 0 };
	char path[64];
	struct lease *a, *b;
	struct lease_holder h;
	uint64_t t_acq, t_ren, t_took = 0, point_ms;
	int offset_ms;
	int p[2], st;
	pid_t pid;

	/* Even tries around T, odd ones around T*3/4; -100..+100 ms. */
	offset_ms = (i / 2) * 200 / (TRIES / 2 - 1) - 100;
	point_ms = i % 2 ? lease_owner_valid_ms(T_S) : lease_expiry_ms(T_S);
	snprintf(path, sizeof(path), "%s/l%d", t_tmpdir(), i);
	a = lt_open(path, LEASE_OPEN_CREATE);
	lt_init(a, 512, T_S);
	if (lt_acquire(a, 1, "host-1", "o", 0, &h) != LEASE_OK)
		return o;
	t_acq = lease_now_ns();
	if (pipe(p))
		return o;
	pid = fork();
	if (pid == 0)
		contender(path, p[1]);
	close(p[1]);
	sleep_until(t_acq + (uint64_t)((int64_t)point_ms + offset_ms) *
		    1000000u);
	b = lt_open(path, 0);		/* a fresh handle, like the CLI */
	t_ren = lease_now_ns();
	o.renew = lease_renew(b, &h);
	if (read(p[0], &t_took, sizeof(t_took)) != sizeof(t_took) ||
	    waitpid(pid, &st, 0) != pid)
		return o;
	close(p[0]);
	o.took = t_took != 0;
	o.verdict = o.renew == LEASE_OK && t_took &&
		    t_took < t_ren + lease_owner_valid_ms(T_S) * 1000000u ?
		    TRY_DOUBLE : TRY_OK;
	lease_close(a);
	lease_close(b);
	return o;
}

int main(void)
{
	int doubles = 0, errors = 0, ok_edge = 0, lost_edge = 0, ok_t = 0;
	int lost_t = 0, running = 0, next = 0, code;

	lt_setup();
	while (next < TRIES || running) {
		int st;

		while (running < PARALLEL && next < TRIES) {
			pid_t pid = fork();

			T_ASSERT(pid >= 0, "fork");
			if (pid == 0) {
				struct outcome o = one_try(next);

				/* 100 + fields; below 100 (a T_ASSERT's
				 * exit 1, a crash) is an error. */
				if (o.verdict == TRY_ERROR)
					_exit(99);
				_exit(100 + (o.verdict == TRY_DOUBLE) * 16 +
				      (next % 2) * 8 +
				      (o.renew == LEASE_OK) * 4 +
				      (o.renew == LEASE_LOST) * 2 + o.took);
			}
			running++;
			next++;
		}
		T_ASSERT(wait(&st) > 0, "wait");
		running--;
		if (!WIFEXITED(st) || WEXITSTATUS(st) < 100) {
			errors++;
			continue;
		}
		code = WEXITSTATUS(st) - 100;
		doubles += !!(code & 16);
		ok_t += !!(code & 4);
		lost_t += !!(code & 2);
		/* Around the deadline T*3/4 (odd tries) both must occur. */
		if (code & 8) {
			ok_edge += !!(code & 4);
			lost_edge += !!(code & 2);
		}
	}
	printf("%d tries (T = %u s, renew -100..+100 ms around T and T*3/4): %d double owners, %d renewals ok, %d lost, %d errors\n",
	       TRIES, T_S, doubles, ok_t, lost_t, errors);
	T_ASSERT(!errors, "%d tries failed to run", errors);
	T_ASSERT(!doubles, "%d double owners", doubles);
	/* Around the deadline both outcomes must occur: the check decides. */
	T_ASSERT(ok_edge > 0 && lost_edge > 0,
		 "around T*3/4: renewals ok %d, lost %d: the sweep did not straddle the deadline",
		 ok_edge, lost_edge);
	return T_EXIT_PASS;
}
