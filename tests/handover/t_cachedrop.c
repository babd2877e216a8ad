// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cachedrop: after the drop no page of the image is resident (mincore),
 * dirty pages were written first (not thrown away), and on a block device
 * BLKFLSBUF writes back buffered writes to the backing storage.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "backend/cachedrop.h"
#include "t_helpers.h"

#define SIZE (8u << 20)

static void fill(const char *path, int byte, bool sync)
{
	char *buf = malloc(SIZE);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	T_ASSERT(buf && fd >= 0, "open %s", path);
	memset(buf, byte, SIZE);
	T_ASSERT(write(fd, buf, SIZE) == SIZE, "write");
	if (sync)
		T_ASSERT(fsync(fd) == 0, "fsync");
	close(fd);
	free(buf);
}

static void read_all(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY);

	T_ASSERT(fd >= 0, "open");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static void file_case(void)
{
	const char *path = t_path("image");
	struct cachedrop_result r;
	char err[256];
	int64_t before;

	fill(path, 0x5a, true);
	read_all(path);
	before = cachedrop_resident_pages(path);
	if (before <= 0)
		T_SKIP("page cache residency not observable here (%lld)",
		       (long long)before);
	T_ASSERT(cachedrop_path(path, &r, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(!r.is_blockdev && r.size == SIZE, "result");
	T_ASSERT(cachedrop_resident_pages(path) == 0,
		 "pages resident after drop (of %lld before)",
		 (long long)before);

	/* Dirty pages: the drop must sync them, not discard them. */
	fill(path, 0x77, false);
	T_ASSERT(cachedrop_path(path, &r, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(cachedrop_resident_pages(path) == 0,
		 "dirty pages synced and dropped");
	{
		unsigned char b[512];
		int fd = open(path, O_RDONLY | O_DIRECT);
		void *al = NULL;

		T_ASSERT(fd >= 0 && !posix_memalign(&al, 4096, 4096), "odirect");
		T_ASSERT(pread(fd, al, 4096, SIZE - 4096) == 4096, "pread");
		memcpy(b, al, sizeof(b));
		for (size_t i = 0; i < sizeof(b); i++)
			T_ASSERT(b[i] == 0x77, "byte %zu is %#x", i, b[i]);
		free(al);
		close(fd);
	}
}

static void blockdev_case(void)
{
	const char *backing = t_path("backing"), *dev;
	struct cachedrop_result r;
	char err[256], buf[4096];
	int fd;

	if (!t_is_root())
		return;
	fill(backing, 0, true);
	dev = t_loop_attach(backing, 512);
	if (!dev)
		return;
	/* Buffered write to the device: sits in its page cache. */
	fd = open(dev, O_WRONLY);
	T_ASSERT(fd >= 0, "open %s", dev);
	memset(buf, 0x3c, sizeof(buf));
	T_ASSERT(pwrite(fd, buf, sizeof(buf), 1 << 20) == sizeof(buf), "w");
	close(fd);
	T_ASSERT(cachedrop_path(dev, &r, err, sizeof(err)) == 0, "%s", err);
	T_ASSERT(r.is_blockdev && r.size == SIZE, "blockdev result");
	fd = open(backing, O_RDONLY);
	T_ASSERT(fd >= 0 && pread(fd, buf, 16, 1 << 20) == 16, "read back");
	close(fd);
	T_ASSERT(buf[0] == 0x3c && buf[15] == 0x3c,
		 "BLKFLSBUF did not write back: %#x", buf[0]);
}

int main(void)
{
	char err[256];

	file_case();
	blockdev_case();
	T_ASSERT(cachedrop_path("/nonexistent", NULL, err, sizeof(err)) < 0 &&
		 strstr(err, "/nonexistent"), "missing path error");
	T_ASSERT(cachedrop_path("/dev/null", NULL, err, sizeof(err)) == -EINVAL,
		 "char device refused");
	return T_EXIT_PASS;
}
