// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host-local lock. Disk Paxos needs each host's slot to have one writer at
 * a time; two holders on one host (localhost migration source and
 * destination) share a host id, so their ballots, renewals and releases
 * are serialised here with flock() on a local file named after the lease
 * area and host id. It never leaves the host: cross-host exclusion is the
 * ballot's job, not a file lock's.
 */
#include "lease_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *lock_dir(char *buf, size_t len)
{
	const char *env = getenv("XH_LEASE_LOCK_DIR");

	if (env && *env)
		return env;
	if (!mkdir("/run/tapdisk-activate", 0700) || errno == EEXIST)
		return "/run/tapdisk-activate";
	snprintf(buf, len, "/tmp/tapdisk-activate-%u", (unsigned int)getuid());
	if (mkdir(buf, 0700) && errno != EEXIST)
		return "/tmp";
	return buf;
}

int lease_lock_host(struct lease *l, uint16_t host_id)
{
	char dirbuf[64], path[512];
	const char *dir;

	if (l->lock_fd >= 0 && l->lock_host != host_id) {
		close(l->lock_fd);
		l->lock_fd = -1;
	}
	if (l->lock_fd < 0) {
		dir = lock_dir(dirbuf, sizeof(dirbuf));
		snprintf(path, sizeof(path), "%s/lease-%llx-%llx-%llu-h%u.lock",
			 dir, (unsigned long long)l->dev_id,
			 (unsigned long long)l->ino,
			 (unsigned long long)l->offset, host_id);
		l->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (l->lock_fd < 0)
			return lease_fail(l, LEASE_IO,
					  "cannot open host-local lock %s: %s",
					  path, strerror(errno));
		l->lock_host = host_id;
	}
	while (flock(l->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return lease_fail(l, LEASE_IO,
					  "host-local lock failed: %s",
					  strerror(errno));
	return LEASE_OK;
}

void lease_unlock_host(struct lease *l)
{
	if (l->lock_fd >= 0)
		flock(l->lock_fd, LOCK_UN);
}
