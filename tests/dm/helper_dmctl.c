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
 * For the fencing boot (tests/dm/vm-fence.sh), times on CLOCK_BOOTTIME (the
 * daemon's owner clock, the clock of valid-until) in ns:
 *   helper_dmctl now                    prints CLOCK_BOOTTIME
 *   helper_dmctl guest DEV OFFSET SLOTS MS
 *                                       the "guest": forever, every MS ms,
 *                                       one 4 KiB O_DIRECT record (magic,
 *                                       sequence number from 1, submit
 *                                       time) into slot seq % SLOTS; prints
 *                                       "landed SEQ SUBMIT_NS DONE_NS"
 *   helper_dmctl witness DEV OFFSET SLOTS
 *                                       reads every slot (O_DIRECT), prints
 *                                       "SEQ SUBMIT_NS" of the newest
 *                                       record ("0 0": none)
 *   helper_dmctl clockmarks MS          forever, every MS ms: writes
 *                                       "XHCLOCK N B0" then "XHCLOCKA N B1"
 *                                       to /dev/kmsg (B0/B1: CLOCK_BOOTTIME
 *                                       read before/after the first write),
 *                                       which calibrates the printk
 *                                       timestamps of the serial log
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

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One record of the guest, at the start of a 4 KiB slot. */
struct record {
	char magic[8];
	uint64_t seq;
	uint64_t submit_ns;
};
static const char rec_magic[8] = "XHREC01";

static void *slot_buf(void)
{
	void *buf;

	if (posix_memalign(&buf, 4096, 4096))
		return NULL;
	memset(buf, 0, 4096);
	return buf;
}

static int guest(const char *dev, unsigned long long off, unsigned int slots,
		 unsigned int ms)
{
	struct timespec gap = { ms / 1000u, (long)(ms % 1000u) * 1000000L };
	struct record *r = slot_buf();
	int fd = open(dev, O_WRONLY | O_DIRECT);

	if (fd < 0 || !r || !slots) {
		perror(dev);
		return 1;
	}
	memcpy(r->magic, rec_magic, sizeof(rec_magic));
	for (r->seq = 1;; r->seq++) {
		off_t at = (off_t)(off + (r->seq % slots) * 4096u);

		r->submit_ns = boot_ns();
		if (pwrite(fd, r, 4096, at) != 4096) {
			perror("guest pwrite");
			return 1;
		}
		printf("landed %llu %llu %llu\n", (unsigned long long)r->seq,
		       (unsigned long long)r->submit_ns,
		       (unsigned long long)boot_ns());
		fflush(stdout);
		nanosleep(&gap, NULL);
	}
}

static int witness(const char *dev, unsigned long long off, unsigned int slots)
{
	struct record *r = slot_buf(), best = { .seq = 0 };
	int fd = open(dev, O_RDONLY | O_DIRECT);

	if (fd < 0 || !r) {
		perror(dev);
		return 1;
	}
	for (unsigned int i = 0; i < slots; i++) {
		if (pread(fd, r, 4096, (off_t)(off + i * 4096u)) != 4096) {
			perror("witness pread");
			return 1;
		}
		if (!memcmp(r->magic, rec_magic, sizeof(rec_magic)) &&
		    r->seq > best.seq)
			best = *r;
	}
	printf("%llu %llu\n", (unsigned long long)best.seq,
	       (unsigned long long)best.submit_ns);
	close(fd);
	free(r);
	return 0;
}

static int clockmarks(unsigned int ms)
{
	struct timespec gap = { ms / 1000u, (long)(ms % 1000u) * 1000000L };
	int fd = open("/dev/kmsg", O_WRONLY);
	char line[96];

	if (fd < 0) {
		perror("/dev/kmsg");
		return 1;
	}
	for (unsigned long n = 1;; n++) {
		uint64_t b0 = boot_ns(), b1;
		int len = snprintf(line, sizeof(line), "<2>XHCLOCK %lu %llu\n",
				   n, (unsigned long long)b0);

		if (write(fd, line, (size_t)len) != len)
			return 1;
		b1 = boot_ns();
		len = snprintf(line, sizeof(line), "<2>XHCLOCKA %lu %llu\n", n,
			       (unsigned long long)b1);
		if (write(fd, line, (size_t)len) != len)
			return 1;
		nanosleep(&gap, NULL);
	}
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
	if (argc == 2 && !strcmp(argv[1], "now"))
		return printf("%llu\n", (unsigned long long)boot_ns()) < 0;
	if (argc == 6 && !strcmp(argv[1], "guest"))
		return guest(argv[2], strtoull(argv[3], NULL, 0),
			     (unsigned int)strtoul(argv[4], NULL, 0),
			     (unsigned int)strtoul(argv[5], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "witness"))
		return witness(argv[2], strtoull(argv[3], NULL, 0),
			       (unsigned int)strtoul(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "clockmarks"))
		return clockmarks((unsigned int)strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: see the header of helper_dmctl.c\n");
	return 2;
}
