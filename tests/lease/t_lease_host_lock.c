// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The host-local lock never blocks for good (issue: a test hung 900 s in
 * flock while another lease user held the lock):
 *  - a lock held by another process (standing in for a holder whose lease
 *    I/O is stuck) makes acquire fail with LEASE_IO within the bound of
 *    lease_host_lock_wait_ms(), naming the holder's pid;
 *  - once the holder lets go, the same call succeeds;
 *  - a lease file deleted and initialised again gets a lock of its own (the
 *    name follows the area's uuid, not a reusable inode number), so a stale
 *    holder of the old lock does not block the new area;
 *  - a lock directory other users may write is refused, not used;
 *  - a lease file copied with its image (same uuid, same holder tuple,
 *    same version) never vouches for the original: renewals of the copy
 *    do not extend the original's window.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lease_test.h"
#include "lease/lease_timeouts.h"

/* Forks a child that flocks every lock file now in @dir and waits. */
static pid_t hold_all_locks(const char *dir)
{
	int ready[2];
	pid_t pid;
	char c = 0;

	T_ASSERT(pipe(ready) == 0, "pipe");
	pid = fork();
	T_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		DIR *d = opendir(dir);
		struct dirent *e;
		int n = 0;

		while (d && (e = readdir(d))) {
			char p[1024];
			int fd;

			if (strncmp(e->d_name, "lease-", 6))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			fd = open(p, O_RDWR);
			if (fd >= 0 && flock(fd, LOCK_EX) == 0)
				n++;
		}
		c = (char)n;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	T_ASSERT(read(ready[0], &c, 1) == 1 && c > 0,
		 "child locked %d lock files", c);
	close(ready[0]);
	return pid;
}

static void release_locks(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const char *img = t_path("lease.img");
	struct lease *l;
	struct lease_holder h;
	uint64_t t0, ms, bound = lease_host_lock_wait_ms(2);
	char pidtxt[32];
	pid_t holder;
	int r;

	lt_setup();
	l = lt_open(img, LEASE_OPEN_CREATE);
	lt_init(l, 512, 2);
	r = lt_acquire(l, 1, "h", "t1", 0, &h);
	T_ASSERT(r == LEASE_OK, "first acquire: %s", lease_last_error(l));
	T_ASSERT(lease_release(l, &h, 0) == LEASE_OK, "release: %s",
		 lease_last_error(l));

	holder = hold_all_locks(t_tmpdir());
	t0 = lease_now_ns();
	r = lt_acquire(l, 1, "h", "t2", 0, &h);
	ms = (lease_now_ns() - t0) / 1000000u;
	T_ASSERT(r == LEASE_IO, "acquire under a held lock: %s (%s)",
		 lease_strerror(r), lease_last_error(l));
	T_ASSERT(ms >= bound && ms < bound + 1000,
		 "gave up after %llu ms, bound %llu ms",
		 (unsigned long long)ms, (unsigned long long)bound);
	snprintf(pidtxt, sizeof(pidtxt), "pid %d", (int)holder);
	T_ASSERT(strstr(lease_last_error(l), pidtxt),
		 "message names the holder (%s): %s", pidtxt,
		 lease_last_error(l));
	printf("held lock: gave up after %llu ms: %s\n",
	       (unsigned long long)ms, lease_last_error(l));

	/* The stale holder keeps the old area's lock; a new area is free. */
	lease_close(l);
	T_ASSERT(unlink(img) == 0, "unlink");
	l = lt_open(img, LEASE_OPEN_CREATE);
	lt_init(l, 512, 2);
	r = lt_acquire(l, 1, "h", "t3", 0, &h);
	T_ASSERT(r == LEASE_OK, "acquire on a recreated area: %s",
		 lease_last_error(l));
	T_ASSERT(lease_release(l, &h, 0) == LEASE_OK, "release: %s",
		 lease_last_error(l));
	release_locks(holder);
	lease_close(l);

	/* A copy of the area: its renewals must not extend the original's. */
	{
		const char *orig = t_path("orig.img"), *copy = t_path("copy.img");
		struct lease *o, *c, *f;
		struct lease_holder ho, hc;

		l = lt_open(orig, LEASE_OPEN_CREATE);
		lt_init(l, 512, 2);
		lease_close(l);
		T_ASSERT(t_system("cp %s %s", orig, copy) == 0, "cp");
		o = lt_open(orig, 0);
		c = lt_open(copy, 0);
		T_ASSERT(lt_acquire(o, 1, "h", "same", 0, &ho) == LEASE_OK &&
			 lt_acquire(c, 1, "h", "same", 0, &hc) == LEASE_OK &&
			 ho.version == hc.version, "acquire both");
		for (int i = 0; i < 4; i++) {
			usleep(500000);
			f = lt_open(copy, 0);
			T_ASSERT(lease_renew(f, &hc) == LEASE_OK,
				 "renew the copy: %s", lease_last_error(f));
			lease_close(f);
		}
		f = lt_open(orig, 0);
		r = lease_renew(f, &ho);
		T_ASSERT(r == LEASE_LOST,
			 "the original, silent for 2 s, renewed: %s (%s)",
			 lease_strerror(r), lease_last_error(f));
		lease_close(f);
		lease_close(o);
		lease_close(c);
	}

	/* A world-writable lock directory is refused. */
	setenv("XH_LEASE_LOCK_DIR", t_path("open-dir"), 1);
	T_ASSERT(mkdir(t_path("open-dir"), 0777) == 0 &&
		 chmod(t_path("open-dir"), 0777) == 0, "mkdir");
	l = lt_open(img, 0);
	r = lt_acquire(l, 1, "h", "t4", 0, &h);
	T_ASSERT(r == LEASE_IO && strstr(lease_last_error(l), "no one else"),
		 "world-writable lock dir: %s (%s)", lease_strerror(r),
		 lease_last_error(l));
	lease_close(l);
	return T_EXIT_PASS;
}
