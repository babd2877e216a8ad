// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The engine must see what is on storage, not what this host cached: the
 * situation of a migration destination whose page cache holds blocks the
 * source has rewritten since.
 *
 * Built with a loop device (direct I/O to its backing file): the device's
 * page cache is filled by a buffered read, then the backing file is changed
 * underneath it (a BAT entry moved into the header), which the device's
 * cache cannot notice. A buffered read of the device still returns the old
 * entry; vhd_open_path() on the device must report the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "t_helpers.h"
#include "vhd_test.h"
#include "vhd/vhd.h"
#include "vhd/vhd_format.h"

/* BAT entry 0 of a qemu-img dynamic image (table at 1536). */
#define BAT0	1536

static uint32_t buffered_be32(int fd, off_t off)
{
	uint8_t b[4];

	T_ASSERT(pread(fd, b, 4, off) == 4, "buffered pread: %s",
		 strerror(errno));
	return vhd_be32(b);
}

int main(void)
{
	char *img = t_path("stale.vhd");
	const uint8_t into_header[4] = { 0, 0, 0, 1 };	/* sector 1 */
	struct vhd_info vi;
	const char *dev;
	char err[256];
	uint32_t cached;
	int fd, hold;

	if (!t_is_root())
		T_SKIP("loop devices need root");
	vt_qemu_vhd(img, "256M", "-c 'write -P 1 0 64k'");
	dev = t_loop_attach(img, 512);
	if (!dev)
		T_SKIP("no loop device available");

	/* Valid through the device, and its page cache now holds the BAT. */
	T_ASSERT(vhd_open_path(dev, NULL, &vi, err, sizeof(err)) == 0, "%s",
		 err);
	T_ASSERT(vhd_valid(&vi), "fixture invalid on %s", dev);
	vhd_info_release(&vi);
	/*
	 * Keep the device open: the last close of a block device drops its
	 * page cache, which would make the cache fresh again.
	 */
	hold = open(dev, O_RDONLY);
	T_ASSERT(hold >= 0, "open %s: %s", dev, strerror(errno));
	cached = buffered_be32(hold, BAT0);
	T_ASSERT(cached != VHD_BAT_UNUSED && cached != 1, "BAT[0] = %u",
		 cached);

	/* Another "host" rewrites the entry on storage. */
	fd = open(img, O_WRONLY);
	T_ASSERT(fd >= 0 && pwrite(fd, into_header, 4, BAT0) == 4 &&
		 fsync(fd) == 0, "rewrite %s", img);
	close(fd);
	if (buffered_be32(hold, BAT0) != cached)
		T_SKIP("the device's page cache was not stale; nothing to "
		       "prove on this kernel");

	T_ASSERT(vhd_open_path(dev, NULL, &vi, err, sizeof(err)) == 0, "%s",
		 err);
	T_ASSERT(!vhd_valid(&vi) &&
		 vi.errors[0].code == VHD_ERR_BAT_ENTRY_IN_METADATA,
		 "engine read the cached BAT (entry 0 = %u, %u errors)",
		 vhd_bat_entry(&vi, 0), vi.nr_errors_total);
	printf("page cache says BAT[0]=%u, storage says 1: engine saw %u\n",
	       buffered_be32(hold, BAT0), vhd_bat_entry(&vi, 0));
	vhd_info_release(&vi);
	close(hold);
	return T_EXIT_PASS;
}
