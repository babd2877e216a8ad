// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Test-only VHD damager: changes bytes at precise, symbolic offsets and
 * optionally re-seals checksums, so that exactly one validation rule is
 * broken at a time.
 *
 * usage: helper_vhdpatch IMG OP [OP...]
 *   set8|set32|set64 WHERE VALUE    big-endian store
 *   setstr WHERE STRING             raw bytes
 *   get32 WHERE                     print a big-endian u32 (decimal)
 *   fix-footer ftr|copy             recompute that footer's checksum
 *   fix-header                      recompute the header checksum
 *   fix-batmap                      recompute the batmap checksum
 *   truncate SIZE
 * WHERE is a number or BASE:OFFSET with BASE one of
 *   ftr (footer at EOF), copy (offset 0), hdr (header), bat (entry index),
 *   loc (locator index, then :field offset), bmh (batmap header),
 *   bm (batmap), end (file size minus OFFSET).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vhd/vhd_format.h"

static int fd;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "helper_vhdpatch: %s%s%s\n", what, arg ? ": " : "",
		arg ? arg : "");
	exit(2);
}

static uint64_t file_size(void)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat", strerror(errno));
	return (uint64_t)st.st_size;
}

static void rd(void *buf, size_t len, uint64_t off)
{
	if (pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		die("short read", NULL);
}

static void wr(const void *buf, size_t len, uint64_t off)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		die("write failed", strerror(errno));
}

static uint64_t rd64(uint64_t off)
{
	uint8_t b[8];

	rd(b, 8, off);
	return vhd_be64(b);
}

static uint32_t rd32(uint64_t off)
{
	uint8_t b[4];

	rd(b, 4, off);
	return vhd_be32(b);
}

static uint64_t footer_off(void)
{
	return file_size() - VHD_FOOTER_SIZE;
}

static uint64_t header_off(void)
{
	return rd64(footer_off() + VHD_FTR_DATA_OFFSET);
}

static uint64_t bmh_off(void)
{
	uint64_t h = header_off();

	return rd64(h + VHD_HDR_TABLE_OFFSET) +
	       vhd_padded((uint64_t)rd32(h + VHD_HDR_MAX_ENTRIES) * 4);
}

static uint64_t where(const char *w)
{
	const char *colon = strchr(w, ':');
	uint64_t n;

	if (!colon)
		return strtoull(w, NULL, 0);
	n = strtoull(colon + 1, NULL, 0);
	if (!strncmp(w, "ftr:", 4))
		return footer_off() + n;
	if (!strncmp(w, "copy:", 5))
		return n;
	if (!strncmp(w, "hdr:", 4))
		return header_off() + n;
	if (!strncmp(w, "bat:", 4))
		return rd64(header_off() + VHD_HDR_TABLE_OFFSET) + 4 * n;
	if (!strncmp(w, "loc:", 4)) {
		const char *field = strchr(colon + 1, ':');

		return header_off() + VHD_HDR_LOCATORS + n * VHD_LOC_SIZE +
		       (field ? strtoull(field + 1, NULL, 0) : 0);
	}
	if (!strncmp(w, "bmh:", 4))
		return bmh_off() + n;
	if (!strncmp(w, "bm:", 3))
		return rd64(bmh_off() + VHD_BMH_OFFSET) + n;
	if (!strncmp(w, "end:", 4))
		return file_size() - n;
	die("bad location", w);
	return 0;
}

static void fix(uint64_t off, size_t len, size_t csum)
{
	uint8_t buf[VHD_HEADER_SIZE];

	rd(buf, len, off);
	vhd_put_be32(buf + csum, vhd_checksum(buf, len, csum));
	wr(buf, len, off);
}

static void fix_batmap(void)
{
	uint64_t bmh = bmh_off(), map = rd64(bmh + VHD_BMH_OFFSET);
	uint64_t size = rd64(footer_off() + VHD_FTR_CURR_SIZE);
	uint64_t len = vhd_padded(size >> (VHD_TAP_BLOCK_SHIFT + 3));
	uint32_t version = rd32(bmh + VHD_BMH_VERSION);
	uint8_t *buf = malloc(len), b[4];

	if (!buf)
		die("out of memory", NULL);
	rd(buf, len, map);
	vhd_put_be32(b, vhd_checksum_batmap(buf, len, version));
	wr(b, 4, bmh + VHD_BMH_CHECKSUM);
	free(buf);
}

int main(int argc, char **argv)
{
	int i = 2;

	if (argc < 3)
		die("usage: helper_vhdpatch IMG OP [OP...]", NULL);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1], strerror(errno));
	while (i < argc) {
		const char *op = argv[i++];
		uint8_t b[8];

		if (!strcmp(op, "set8") && i + 1 < argc) {
			b[0] = (uint8_t)strtoul(argv[i + 1], NULL, 0);
			wr(b, 1, where(argv[i]));
			i += 2;
		} else if (!strcmp(op, "set32") && i + 1 < argc) {
			vhd_put_be32(b, (uint32_t)strtoull(argv[i + 1], NULL, 0));
			wr(b, 4, where(argv[i]));
			i += 2;
		} else if (!strcmp(op, "set64") && i + 1 < argc) {
			vhd_put_be64(b, strtoull(argv[i + 1], NULL, 0));
			wr(b, 8, where(argv[i]));
			i += 2;
		} else if (!strcmp(op, "setstr") && i + 1 < argc) {
			wr(argv[i + 1], strlen(argv[i + 1]), where(argv[i]));
			i += 2;
		} else if (!strcmp(op, "get32") && i < argc) {
			printf("%" PRIu32 "\n", rd32(where(argv[i++])));
		} else if (!strcmp(op, "fix-footer") && i < argc) {
			fix(!strcmp(argv[i], "copy") ? 0 : footer_off(),
			    VHD_FOOTER_SIZE, VHD_FTR_CHECKSUM);
			i++;
		} else if (!strcmp(op, "fix-header")) {
			fix(header_off(), VHD_HEADER_SIZE, VHD_HDR_CHECKSUM);
		} else if (!strcmp(op, "fix-batmap")) {
			fix_batmap();
		} else if (!strcmp(op, "truncate") && i < argc) {
			if (ftruncate(fd, (off_t)strtoull(argv[i++], NULL, 0)))
				die("truncate", strerror(errno));
		} else {
			die("bad operation", op);
		}
	}
	if (fsync(fd) || close(fd))
		die("fsync", strerror(errno));
	return 0;
}
