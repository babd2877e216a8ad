// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * backend_dm: suspend/resume a device-mapper device with the DM ioctls.
 *
 * DM_DEV_SUSPEND without DM_NOFLUSH_FLAG waits until every in-flight bio
 * has completed and flushes; that wait has no timeout of its own, so the
 * ioctl runs in a child process we can kill at the deadline. The kernel
 * waits interruptibly there: the signal aborts the suspend and the device
 * stays live, which is exactly the "did not drain, keep the lease" case.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "common/clock.h"

#define DM_CONTROL	"/dev/mapper/control"
/* After SIGKILL the child needs only to leave the ioctl. */
#define DM_REAP_MS	5000

static int dm_ioctl_once(unsigned long cmd, const char *name, uint32_t flags,
			 struct dm_ioctl *io)
{
	int fd, ret = 0;

	memset(io, 0, sizeof(*io));
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = sizeof(*io);
	io->data_start = sizeof(*io);
	io->flags = flags;
	snprintf(io->name, sizeof(io->name), "%s", name);
	fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, cmd, io) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Runs one DM ioctl in a child, bounded by @timeout_ms. Returns 0,
 * -ETIMEDOUT, or the ioctl's -errno; @io gets the kernel's answer.
 */
static int dm_ioctl_bounded(unsigned long cmd, const char *name,
			    uint32_t flags, struct dm_ioctl *io,
			    int timeout_ms)
{
	uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
	int fds[2], status, ret;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		close(fds[0]);
		ret = dm_ioctl_once(cmd, name, flags, io);
		if (!ret && write(fds[1], io, sizeof(*io)) != sizeof(*io))
			ret = -EIO;
		_exit(ret ? (-ret & 0xff) : 0);
	}
	close(fds[1]);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			ret = -errno;
			goto out;
		}
		if (clock_now_ms() >= deadline) {
			/* Interrupts dm's wait: the suspend is undone. */
			kill(pid, SIGKILL);
			deadline = clock_now_ms() + DM_REAP_MS;
			while (waitpid(pid, &status, WNOHANG) == 0 &&
			       clock_now_ms() < deadline)
				usleep(5000);
			ret = -ETIMEDOUT;
			goto out;
		}
		usleep(2000);
	}
	if (!WIFEXITED(status)) {
		ret = -EINTR;
	} else if (WEXITSTATUS(status)) {
		ret = -WEXITSTATUS(status);
	} else {
		ret = read(fds[0], io, sizeof(*io)) == sizeof(*io) ? 0 : -EIO;
	}
out:
	close(fds[0]);
	return ret;
}

static enum backend_result dm_result(int ret, const struct backend *b,
				     const char *what, int timeout_ms,
				     char *err, size_t errlen)
{
	switch (ret) {
	case 0:
		return BACKEND_OK;
	case -ETIMEDOUT:
		snprintf(err, errlen,
			 "dm device %s did not %s within %d ms (in-flight I/O "
			 "still pending); the %s was aborted", b->dm_name, what,
			 timeout_ms, what);
		return BACKEND_TIMEOUT;
	case -ENOENT:
	case -ENXIO:
	case -ENODEV:
		snprintf(err, errlen, "dm device %s: %s%s", b->dm_name,
			 strerror(-ret), access(DM_CONTROL, F_OK) ?
			 " (no device-mapper on this host: " DM_CONTROL
			 " missing)" : "");
		return BACKEND_UNREACHABLE;
	default:
		snprintf(err, errlen, "dm %s of %s failed: %s", what,
			 b->dm_name, strerror(-ret));
		return BACKEND_REFUSED;
	}
}

enum backend_result backend_dm_pause(const struct backend *b, int timeout_ms,
				     char *err, size_t errlen)
{
	struct dm_ioctl io;
	int ret;

	/* No DM_NOFLUSH_FLAG: wait for in-flight I/O and flush. */
	ret = dm_ioctl_bounded(DM_DEV_SUSPEND, b->dm_name, DM_SUSPEND_FLAG,
			       &io, timeout_ms);
	return dm_result(ret, b, "suspend", timeout_ms, err, errlen);
}

enum backend_result backend_dm_resume(const struct backend *b, int timeout_ms,
				      char *err, size_t errlen)
{
	struct dm_ioctl io;
	int ret;

	ret = dm_ioctl_bounded(DM_DEV_SUSPEND, b->dm_name, 0, &io, timeout_ms);
	return dm_result(ret, b, "resume", timeout_ms, err, errlen);
}

enum backend_result backend_dm_query(const struct backend *b,
				     struct backend_status *st, int timeout_ms,
				     char *err, size_t errlen)
{
	struct dm_ioctl io;
	int ret;

	ret = dm_ioctl_bounded(DM_DEV_STATUS, b->dm_name, 0, &io, timeout_ms);
	if (ret) {
		snprintf(st->state, sizeof(st->state), "unknown");
		return dm_result(ret, b, "status", timeout_ms, err, errlen);
	}
	st->known = true;
	st->raw_state = io.flags;
	st->paused = io.flags & DM_SUSPEND_FLAG;
	snprintf(st->state, sizeof(st->state), "%s",
		 st->paused ? "suspended" :
		 (io.flags & DM_ACTIVE_PRESENT_FLAG) ? "active" : "no-table");
	snprintf(st->image, sizeof(st->image), "/dev/mapper/%s", b->dm_name);
	return BACKEND_OK;
}

int backend_parse_blockstat(const char *text, uint64_t *writes,
			    uint64_t *discards, uint64_t *in_flight)
{
	uint64_t f[17];
	const char *p = text;
	unsigned int n = 0;

	while (n < 17) {
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || !*p)
			break;
		if (*p < '0' || *p > '9')
			return -EPROTO;
		errno = 0;
		f[n] = strtoull(p, &end, 10);
		if (errno)
			return -EPROTO;
		p = end;
		n++;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	/* 11 fields up to 4.17, 15 with discards, 17 with flushes */
	if (*p || (n != 11 && n != 15 && n != 17))
		return -EPROTO;
	*writes = f[4];
	*in_flight = f[8];
	*discards = n >= 15 ? f[11] : 0;
	return 0;
}

enum backend_result backend_dm_writes(const struct backend *b, int timeout_ms,
				      struct backend_writes *w, char *err,
				      size_t errlen)
{
	char path[96], text[512];
	struct dm_ioctl io;
	uint64_t writes, discards, in_flight;
	ssize_t n;
	int fd, ret;

	ret = dm_ioctl_bounded(DM_DEV_STATUS, b->dm_name, 0, &io, timeout_ms);
	if (ret)
		return dm_result(ret, b, "status", timeout_ms, err, errlen);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat",
		 major(io.dev), minor(io.dev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "dm device %s: cannot read %s: %s",
			 b->dm_name, path, strerror(errno));
		return BACKEND_UNSUPPORTED;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0 || (text[n] = '\0',
		       backend_parse_blockstat(text, &writes, &discards,
					       &in_flight))) {
		snprintf(err, errlen, "dm device %s: %s does not parse",
			 b->dm_name, path);
		return BACKEND_UNSUPPORTED;
	}
	w->written = writes;
	w->discarded = discards;
	w->in_flight = (int64_t)in_flight;
	w->wrote = writes || discards || in_flight;
	snprintf(w->how, sizeof(w->how), "%s (dm %s): %llu write and %llu "
		 "discard requests since the device was created, %llu in "
		 "flight", path, b->dm_name, (unsigned long long)writes,
		 (unsigned long long)discards, (unsigned long long)in_flight);
	return BACKEND_OK;
}
