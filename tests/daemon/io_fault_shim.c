// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * LD_PRELOAD shim for the fencing tests: makes storage I/O on chosen files
 * hang or fail, as a hung or failing LUN would, while the rest of the host
 * works. Rules are read from the file named by $XH_IO_FAULTS at every call,
 * one per line:
 *   hang PATH   io_submit()/pread()/pwrite()/fdatasync()/fsync() on PATH (the lease
 *               and metadata I/O, a backend's flush) block until the
 *               rule is gone (re-checked every 20 ms)
 *   fail PATH   they fail with EIO
 * PATH is compared with the target of /proc/self/fd/<fd>. Children inherit
 * the shim with the environment (the daemon's fence jobs too).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum fault { NONE, HANG, FAIL };

static enum fault rule_for(int fd)
{
	const char *rules = getenv("XH_IO_FAULTS");
	char link[64], path[4096], line[4200];
	enum fault f = NONE;
	ssize_t n;
	FILE *in;

	if (!rules)
		return NONE;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return NONE;
	path[n] = 0;
	in = fopen(rules, "re");
	if (!in)
		return NONE;
	while (f == NONE && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "hang ", 5) && !strcmp(line + 5, path))
			f = HANG;
		else if (!strncmp(line, "fail ", 5) && !strcmp(line + 5, path))
			f = FAIL;
	}
	fclose(in);
	return f;
}

/* Blocks while @fd hangs; true when it must fail. */
static int apply(int fd)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	enum fault f;

	while ((f = rule_for(fd)) == HANG)
		nanosleep(&pause, NULL);
	return f == FAIL;
}

/*
 * libaio's io_submit carries the symbol version LIBAIO_0.1, which an
 * unversioned definition does not satisfy: the test links this shim with
 * a version script naming it (io_fault_shim.map).
 */
int io_submit(io_context_t ctx, long nr, struct iocb *ios[])
{
	static int (*real)(io_context_t, long, struct iocb *[]);

	if (!real)
		real = (int (*)(io_context_t, long, struct iocb *[]))
			dlvsym(RTLD_NEXT, "io_submit", "LIBAIO_0.1");
	for (long i = 0; i < nr; i++)
		if (apply(ios[i]->aio_fildes))
			return -EIO;
	return real(ctx, nr, ios);
}

#define RW_SHIM(name, buf_t)						\
ssize_t name(int fd, buf_t buf, size_t n, off_t off)			\
{									\
	static ssize_t (*real)(int, buf_t, size_t, off_t);		\
									\
	if (!real)							\
		real = (ssize_t (*)(int, buf_t, size_t, off_t))		\
			dlsym(RTLD_NEXT, #name);			\
	if (apply(fd)) {						\
		errno = EIO;						\
		return -1;						\
	}								\
	return real(fd, buf, n, off);					\
}
RW_SHIM(pread, void *)
RW_SHIM(pread64, void *)
RW_SHIM(pwrite, const void *)
RW_SHIM(pwrite64, const void *)

#define SYNC_SHIM(name)							\
int name(int fd)							\
{									\
	static int (*real)(int);					\
									\
	if (!real)							\
		real = (int (*)(int))dlsym(RTLD_NEXT, #name);		\
	if (apply(fd)) {						\
		errno = EIO;						\
		return -1;						\
	}								\
	return real(fd);						\
}
SYNC_SHIM(fdatasync)
SYNC_SHIM(fsync)
