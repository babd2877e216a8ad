// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host-local lock. Disk Paxos needs each host's slot to have one writer at
 * a time; two holders on one host (localhost migration source and
 * destination) share a host id, so their ballots, renewals and releases
 * are serialised here with flock() on a local file named after the lease
 * area and host id. It never leaves the host: cross-host exclusion is the
 * ballot's job, not a file lock's.
 *
 * Three rules keep it from ever blocking a caller for good:
 *  - the file is named after the area's uuid (from its header), not the
 *    device and inode it was reached through: a lease file deleted and
 *    created again may reuse an inode number that a stale holder's lock
 *    file still names;
 *  - the wait is bounded (lease_host_lock_wait_ms) and a timeout names the
 *    lock file and the process that holds it;
 *  - the directory is root's own (/run/tapdisk-activate, mode 0700): no
 *    fallback to a directory where another user could hold the lock.
 */
#include "lease_internal.h"
#include "lease_timeouts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define LEASE_LOCK_DIR	"/run/tapdisk-activate"

/* The lock directory, created if missing; refused if others may write it. */
int lease_lock_dir(struct lease *l, const char **out)
{
	const char *dir = getenv("XH_LEASE_LOCK_DIR");
	struct stat st;

	if (!dir || !*dir)
		dir = LEASE_LOCK_DIR;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return lease_fail(l, LEASE_IO,
				  "cannot create the host-local lock directory %s: %s",
				  dir, strerror(errno));
	if (lstat(dir, &st))
		return lease_fail(l, LEASE_IO, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return lease_fail(l, LEASE_IO,
				  "%s must be a directory of this user's that no one else may write",
				  dir);
	*out = dir;
	return LEASE_OK;
}

/*
 * Host-local file for the area and host id: the area's uuid when it has a
 * header, else device/inode; @suffix "lock" or "holder".
 */
void lease_host_file(const struct lease *l, const char *dir, uint16_t host_id,
		     const char *suffix, char *path, size_t len)
{
	char id[2 * LEASE_UUID_LEN + 1];

	if (l->have_header) {
		for (unsigned int i = 0; i < LEASE_UUID_LEN; i++)
			snprintf(id + 2 * i, 3, "%02x", l->hdr.uuid[i]);
		snprintf(path, len, "%s/lease-%s-h%u.%s", dir, id, host_id,
			 suffix);
	} else {
		snprintf(path, len, "%s/lease-%llx-%llx-%llu-h%u.%s", dir,
			 (unsigned long long)l->dev_id,
			 (unsigned long long)l->ino,
			 (unsigned long long)l->offset, host_id, suffix);
	}
}

/* The pid holding a flock on the file open as @fd, from /proc/locks; 0 if none seen. */
static long lock_holder(int fd)
{
	char line[256], want[64];
	struct stat st;
	long pid = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	snprintf(want, sizeof(want), "%02x:%02x:%ju", major(st.st_dev),
		 minor(st.st_dev), (uintmax_t)st.st_ino);
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		char type[16], dev[64];
		long p;

		if (sscanf(line, "%*s %15s %*s %*s %ld %63s", type, &p, dev) == 3 &&
		    !strcmp(type, "FLOCK") && !strcmp(dev, want) && p != getpid())
			pid = p;
	}
	fclose(f);
	return pid;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int lease_lock_host(struct lease *l, uint16_t host_id)
{
	char path[512];
	const char *dir = NULL;
	uint64_t start, limit_ms;
	unsigned int pause = 1;
	int ret;

	if (l->lock_fd >= 0 && l->lock_host != host_id) {
		close(l->lock_fd);
		l->lock_fd = -1;
	}
	if (l->lock_fd < 0) {
		ret = lease_lock_dir(l, &dir);
		if (ret)
			return ret;
		lease_host_file(l, dir, host_id, "lock", path, sizeof(path));
		l->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC |
				  O_NOFOLLOW, 0600);
		if (l->lock_fd < 0)
			return lease_fail(l, LEASE_IO,
					  "cannot open host-local lock %s: %s",
					  path, strerror(errno));
		l->lock_host = host_id;
	}
	limit_ms = lease_host_lock_wait_ms(l->have_header ? l->hdr.timeout_s :
					   LEASE_DEFAULT_TIMEOUT_S);
	start = lease_now_ns();
	while (flock(l->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return lease_fail(l, LEASE_IO,
					  "host-local lock failed: %s",
					  strerror(errno));
		if (lease_now_ns() - start >= limit_ms * 1000000u) {
			char who[32] = "another process";
			long pid = lock_holder(l->lock_fd);

			if (pid)
				snprintf(who, sizeof(who), "pid %ld", pid);
			return lease_fail(l, LEASE_IO,
					  "host-local lock for host id %u not had within %llu ms: held by %s (its lease I/O may be stuck)",
					  host_id, (unsigned long long)limit_ms,
					  who);
		}
		sleep_ms(pause);
		if (pause < 32)
			pause *= 2;
	}
	return LEASE_OK;
}

void lease_unlock_host(struct lease *l)
{
	if (l->lock_fd >= 0)
		flock(l->lock_fd, LOCK_UN);
}
