// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * helper_dmctl: the few device-mapper and raw-I/O operations the dm VM test
 * needs, with no libdevmapper/dmsetup in the initramfs.
 *
 *   helper_dmctl create NAME "START LEN TARGET ARGS"   (+ /dev/mapper/NAME)
 *   helper_dmctl suspend NAME [noflush]
 *   helper_dmctl resume NAME
 *   helper_dmctl status NAME            prints "suspended" or "active"
 *   helper_dmctl remove NAME
 *   helper_dmctl write DEV OFFSET BYTE  one 4 KiB O_DIRECT write; prints
 *                                       "landed <ms>" when it completed
 *   helper_dmctl read DEV OFFSET        O_DIRECT; prints the first byte
 *                                       in hex
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define BUF 16384

static int dm(unsigned long cmd, const char *name, uint32_t flags,
	      struct dm_ioctl *io, size_t size)
{
	int fd = open("/dev/mapper/control", O_RDWR), ret;

	if (fd < 0) {
		perror("/dev/mapper/control");
		return -1;
	}
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = (uint32_t)size;
	if (!io->data_start)
		io->data_start = sizeof(*io);
	io->flags = flags;
	snprintf(io->name, sizeof(io->name), "%s", name);
	ret = ioctl(fd, cmd, io);
	if (ret)
		fprintf(stderr, "dm ioctl on %s: %s\n", name, strerror(errno));
	close(fd);
	return ret;
}

static int create(const char *name, const char *table)
{
	static union {
		struct dm_ioctl io;
		char raw[BUF];
	} u;
	struct dm_target_spec *ts;
	unsigned long long start, len;
	char type[DM_MAX_TYPE_NAME], path[160];
	int n = 0;
	size_t plen;

	if (sscanf(table, "%llu %llu %15s %n", &start, &len, type, &n) != 3 ||
	    !n) {
		fprintf(stderr, "bad table '%s'\n", table);
		return 2;
	}
	memset(&u, 0, sizeof(u));
	if (dm(DM_DEV_CREATE, name, 0, &u.io, sizeof(u.io)))
		return 1;
	memset(&u, 0, sizeof(u));
	ts = (struct dm_target_spec *)(u.raw + sizeof(struct dm_ioctl));
	ts->sector_start = start;
	ts->length = len;
	snprintf(ts->target_type, sizeof(ts->target_type), "%s", type);
	plen = strlen(table + n) + 1;
	memcpy((char *)(ts + 1), table + n, plen);
	ts->next = 0;
	u.io.target_count = 1;
	u.io.data_start = sizeof(struct dm_ioctl);
	if (dm(DM_TABLE_LOAD, name, 0, &u.io,
	       sizeof(struct dm_ioctl) + sizeof(*ts) + plen + 8))
		return 1;
	memset(&u, 0, sizeof(u));
	if (dm(DM_DEV_SUSPEND, name, 0, &u.io, sizeof(u.io)))	/* resume */
		return 1;
	mkdir("/dev/mapper", 0755);
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	unlink(path);
	if (mknod(path, S_IFBLK | 0600, (dev_t)u.io.dev)) {
		perror(path);
		return 1;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int rw(const char *dev, const char *off_s, const char *byte_s)
{
	unsigned long long off = strtoull(off_s, NULL, 0);
	void *buf;
	int fd = open(dev, (byte_s ? O_WRONLY : O_RDONLY) | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, 4096, 4096)) {
		perror(dev);
		return 1;
	}
	if (byte_s) {
		double t0 = now_ms();

		memset(buf, (int)strtol(byte_s, NULL, 0), 4096);
		if (pwrite(fd, buf, 4096, (off_t)off) != 4096) {
			perror("pwrite");
			return 1;
		}
		printf("landed %.0f\n", now_ms() - t0);
	} else {
		if (pread(fd, buf, 4096, (off_t)off) != 4096) {
			perror("pread");
			return 1;
		}
		printf("%02x\n", ((unsigned char *)buf)[0]);
	}
	free(buf);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct dm_ioctl io;

	memset(&io, 0, sizeof(io));
	if (argc == 4 && !strcmp(argv[1], "create"))
		return create(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "suspend"))
		return !!dm(DM_DEV_SUSPEND, argv[2], DM_SUSPEND_FLAG |
			    (argc > 3 && !strcmp(argv[3], "noflush") ?
			     DM_NOFLUSH_FLAG : 0), &io, sizeof(io));
	if (argc == 3 && !strcmp(argv[1], "resume"))
		return !!dm(DM_DEV_SUSPEND, argv[2], 0, &io, sizeof(io));
	if (argc == 3 && !strcmp(argv[1], "remove"))
		return !!dm(DM_DEV_REMOVE, argv[2], 0, &io, sizeof(io));
	if (argc == 3 && !strcmp(argv[1], "status")) {
		if (dm(DM_DEV_STATUS, argv[2], 0, &io, sizeof(io)))
			return 1;
		printf("%s\n", io.flags & DM_SUSPEND_FLAG ? "suspended" :
		       "active");
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "write"))
		return rw(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "read"))
		return rw(argv[2], argv[3], NULL);
	fprintf(stderr, "usage: see the header of helper_dmctl.c\n");
	return 2;
}
