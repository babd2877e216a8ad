// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dio_read(): unaligned ranges are widened and copied out exactly, a range
 * past EOF reports the short count, and many ranges go in one batch.
 */
#include <errno.h>
#include <string.h>

#include "common/dio.h"
#include "t_helpers.h"

#define FILE_SIZE (1024 * 1024 + 512)	/* VHD-like: not a multiple of 4 KiB */

static unsigned char pattern(uint64_t off)
{
	return (unsigned char)(off * 7 + (off >> 9));
}

static void make_image(const char *path)
{
	unsigned char *buf = malloc(FILE_SIZE);
	FILE *f = fopen(path, "w");

	T_ASSERT(buf && f, "setup");
	for (uint64_t i = 0; i < FILE_SIZE; i++)
		buf[i] = pattern(i);
	T_ASSERT(fwrite(buf, 1, FILE_SIZE, f) == FILE_SIZE, "write");
	T_ASSERT(fclose(f) == 0, "close");
	free(buf);
}

static void check_range(const unsigned char *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		T_ASSERT(buf[i] == pattern(off + i),
			 "byte %zu of range at %llu: got %#x want %#x", i,
			 (unsigned long long)off, buf[i], pattern(off + i));
}

int main(void)
{
	static const struct { uint64_t off; size_t len; } ranges[] = {
		{ 0, 512 },			/* footer copy */
		{ 512, 1024 },			/* header */
		{ 1536, 4096 * 3 + 17 },	/* unaligned everything */
		{ FILE_SIZE - 512, 512 },	/* footer at EOF */
		{ 65536, 65536 },		/* aligned: no bounce */
		{ 4095, 2 },			/* straddles a boundary */
	};
	enum { N = sizeof(ranges) / sizeof(ranges[0]) };
	struct dio_extent ext[N + 1];
	void *bufs[N + 1];
	struct dio_dev dev;
	char err[256];
	char *path = t_path("img");

	make_image(path);
	T_ASSERT(dio_open(&dev, path, DIO_READ_ONLY, err, sizeof(err)) == 0,
		 "%s", err);
	T_ASSERT(dev.size == FILE_SIZE, "size %llu",
		 (unsigned long long)dev.size);
	T_ASSERT(dev.align >= 512 && dev.align <= DIO_BUF_ALIGN,
		 "align %u", dev.align);

	for (int i = 0; i < N; i++) {
		ext[i].offset = ranges[i].off;
		ext[i].len = ranges[i].len;
		/* aligned buffer for the aligned case, odd pointer for others */
		bufs[i] = dio_alloc(ranges[i].len + 1);
		T_ASSERT(bufs[i], "out of memory");
		ext[i].buf = (char *)bufs[i] + (ranges[i].off % 4096 ? 1 : 0);
	}
	/* past EOF: only 512 bytes exist */
	ext[N].offset = FILE_SIZE - 512;
	ext[N].len = 8192;
	ext[N].buf = bufs[N] = dio_alloc(8192);

	T_ASSERT(dio_read(&dev, ext, N + 1) == 0, "batched read failed");
	for (int i = 0; i < N; i++) {
		T_ASSERT(ext[i].done == ranges[i].len, "range %d done %zu", i,
			 ext[i].done);
		check_range(ext[i].buf, ranges[i].off, ranges[i].len);
	}
	T_ASSERT(ext[N].done == 512, "EOF read done %zu", ext[N].done);
	check_range(ext[N].buf, FILE_SIZE - 512, 512);

	/* More extents than one io_submit takes are split, not refused. */
	{
		enum { MANY = DIO_MAX_BATCH * 2 + 3 };
		struct dio_extent many[MANY];
		unsigned char small[MANY][8];

		for (int i = 0; i < MANY; i++) {
			many[i].offset = (uint64_t)i * 4099;
			many[i].len = sizeof(small[i]);
			many[i].buf = small[i];
		}
		T_ASSERT(dio_read(&dev, many, MANY) == 0, "many");
		for (int i = 0; i < MANY; i++)
			check_range(small[i], (uint64_t)i * 4099, 8);
	}
	for (int i = 0; i <= N; i++)
		free(bufs[i]);
	dio_close(&dev);
	return T_EXIT_PASS;
}
