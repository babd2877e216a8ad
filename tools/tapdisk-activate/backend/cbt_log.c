// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cbt_log: the "consistent" flag of blktap's changed-block-tracking log
 * (backend.h has the layout). The project carries no blktap code; the
 * offsets are those of blktap's struct cbt_log_metadata on x86-64 (two
 * 16-byte uuids, an int, 4 bytes of padding, a uint64_t disk size), and a
 * file is only written when its length is exactly that header plus the
 * bitmap its own size field calls for, so nothing else is ever scribbled
 * on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

#define CBT_HDR_LEN		48u
#define CBT_CONSISTENT_OFF	32u
#define CBT_SIZE_OFF		40u
#define CBT_BLOCK_BYTES		65536u	/* one bitmap bit per 64 KiB */

/* Opens @log and checks it looks like a CBT log; the fd, or -errno. */
static int cbt_open(const char *log, int flags, int32_t *consistent,
		    char *err, size_t errlen)
{
	unsigned char hdr[CBT_HDR_LEN];
	uint64_t size, want;
	struct stat sb;
	int fd, ret;

	fd = open(log, flags | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "CBT log %s: %s", log, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &sb) || pread(fd, hdr, sizeof(hdr), 0) !=
	    (ssize_t)sizeof(hdr)) {
		snprintf(err, errlen, "CBT log %s: cannot read its header",
			 log);
		close(fd);
		return -EPROTO;
	}
	memcpy(&size, hdr + CBT_SIZE_OFF, sizeof(size));
	memcpy(consistent, hdr + CBT_CONSISTENT_OFF, sizeof(*consistent));
	want = CBT_HDR_LEN + ((size + CBT_BLOCK_BYTES - 1) / CBT_BLOCK_BYTES +
			      7) / 8;
	if (!S_ISREG(sb.st_mode) || !size || size > (UINT64_MAX >> 1) ||
	    (uint64_t)sb.st_size != want) {
		snprintf(err, errlen, "%s is not a CBT log: %lld bytes, its "
			 "header says a %llu-byte disk, i.e. %llu bytes", log,
			 (long long)sb.st_size, (unsigned long long)size,
			 (unsigned long long)want);
		close(fd);
		return -EPROTO;
	}
	return fd;
}

int backend_cbt_consistent(const char *log, char *err, size_t errlen)
{
	int32_t c;
	int fd = cbt_open(log, O_RDONLY, &c, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return c != 0;
}

int backend_cbt_mark_inconsistent(const char *log, char *err, size_t errlen)
{
	const int32_t zero = 0;
	int32_t c;
	int fd = cbt_open(log, O_RDWR, &c, err, errlen);
	int ret = 0;

	if (fd < 0)
		return fd;
	if (pwrite(fd, &zero, sizeof(zero), CBT_CONSISTENT_OFF) !=
	    (ssize_t)sizeof(zero) || fsync(fd)) {
		ret = -errno ? -errno : -EIO;
		snprintf(err, errlen, "CBT log %s: cannot write its "
			 "consistent flag: %s", log, strerror(-ret));
	}
	close(fd);
	return ret;
}
