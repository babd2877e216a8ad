// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dio_write(): aligned writes land and read back through O_DIRECT,
 * unaligned ones are refused rather than silently bounced (a lease write
 * must be exactly one sector to stay atomic), and the same holds on a loop
 * block device with 4096-byte logical sectors.
 */
#include <errno.h>
#include <string.h>

#include "common/dio.h"
#include "t_helpers.h"

static void roundtrip(const char *path, uint32_t want_sector)
{
	struct dio_dev dev;
	struct dio_extent w, r;
	char err[256];
	unsigned char *wb, *rb;

	T_ASSERT(dio_open(&dev, path, DIO_READ_WRITE, err, sizeof(err)) == 0,
		 "%s", err);
	if (want_sector)
		T_ASSERT(dev.is_blockdev && dev.sector_size == want_sector &&
			 dev.align == want_sector,
			 "%s: blockdev %d sector %u align %u", path,
			 dev.is_blockdev, dev.sector_size, dev.align);
	wb = dio_alloc(2 * dev.align);
	rb = dio_alloc(2 * dev.align);
	memset(wb, 0x5a, 2 * dev.align);

	w = (struct dio_extent){ .offset = dev.align, .len = dev.align,
				 .buf = wb };
	T_ASSERT(dio_write(&dev, &w, 1) == 0, "aligned write");
	r = (struct dio_extent){ .offset = dev.align, .len = dev.align,
				 .buf = rb };
	T_ASSERT(dio_read(&dev, &r, 1) == 0 && r.done == dev.align, "read");
	T_ASSERT(!memcmp(rb, wb, dev.align), "data mismatch");

	w.offset = dev.align + 1;
	T_ASSERT(dio_write(&dev, &w, 1) == -EINVAL, "unaligned offset");
	w.offset = 0;
	w.len = dev.align - 1;
	T_ASSERT(dio_write(&dev, &w, 1) == -EINVAL, "unaligned length");
	w.len = dev.align;
	w.buf = wb + 1;
	T_ASSERT(dio_write(&dev, &w, 1) == -EINVAL, "unaligned buffer");
	free(wb);
	free(rb);
	dio_close(&dev);
}

int main(void)
{
	char *file = t_path("disk");
	const char *loop;

	t_create_file(file, 4 << 20, 0);
	roundtrip(file, 0);

	loop = t_loop_attach(file, 4096);
	if (!loop)
		T_SKIP("file case passed; no loop device (needs root)");
	roundtrip(loop, 4096);
	return T_EXIT_PASS;
}
