// SPDX-License-Identifier: GPL-2.0 OR MIT
/* cachedrop: flush and drop this host's cached pages of an image. */
#include "cachedrop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int64_t cachedrop_resident_pages(const char *path)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned char *vec;
	struct stat st;
	int64_t n = 0;
	size_t pages;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return S_ISREG(st.st_mode) && st.st_size == 0 ? 0 : -1;
	}
	pages = ((size_t)st.st_size + (size_t)psz - 1) / (size_t)psz;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	vec = malloc(pages);
	if (vec && mincore(map, (size_t)st.st_size, vec) == 0) {
		for (size_t i = 0; i < pages; i++)
			n += vec[i] & 1;
	} else {
		n = -1;
	}
	free(vec);
	munmap(map, (size_t)st.st_size);
	return n;
}

int cachedrop_path(const char *path, struct cachedrop_result *res,
		   char *err, size_t errlen)
{
	struct cachedrop_result r = { 0 };
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	r.is_blockdev = S_ISBLK(st.st_mode);
	if (r.is_blockdev) {
		if (ioctl(fd, BLKGETSIZE64, &r.size) < 0)
			r.size = 0;
		/* Writes back dirty buffers, then invalidates the cache. */
		if (ioctl(fd, BLKFLSBUF, 0) < 0) {
			ret = -errno;
			snprintf(err, errlen, "BLKFLSBUF on %s: %s", path,
				 strerror(errno));
		}
	} else if (S_ISREG(st.st_mode)) {
		r.size = (uint64_t)st.st_size;
		/* DONTNEED skips dirty pages: make them clean first. */
		if (fdatasync(fd) < 0) {
			ret = -errno;
			snprintf(err, errlen, "fdatasync %s: %s", path,
				 strerror(errno));
		} else {
			ret = -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			if (ret)
				snprintf(err, errlen,
					 "posix_fadvise(DONTNEED) %s: %s",
					 path, strerror(-ret));
		}
	} else {
		ret = -EINVAL;
		snprintf(err, errlen, "%s is neither a file nor a block device",
			 path);
	}
	close(fd);
	if (res)
		*res = r;
	return ret;
}
