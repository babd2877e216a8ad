// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Test-only VHD writer for images qemu-img cannot make: exactly 2 TiB,
 * differencing disks with parent locators, tapdisk batmaps, custom block
 * sizes, padded block-device layouts. The output must be accepted by
 * independent readers (qemu-img info, vhdiinfo), which the tests check.
 *
 * usage: helper_vhdgen OUT --size BYTES [options]
 *   --block-size B      (default 2 MiB)
 *   --max-entries N     BAT entries (default: enough for --size)
 *   --type dynamic|differencing|fixed
 *   --creator qem2|tap  ("tap" = tapdisk 1.3, writes a batmap)
 *   --alloc I[,J...]    allocate these blocks (data byte = index + 1)
 *   --parent-name NAME --parent-uuid UUID --parent-dir DIR
 *                       differencing: W2ku, W2ru and MacX locators
 *   --pad-to ALIGN      insert zeros before the footer so the file size
 *                       is a multiple of ALIGN (block-device layout)
 *   --uuid UUID         disk uuid (default: derived from the size)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vhd/vhd.h"
#include "vhd/vhd_format.h"

#define MAX_ALLOC 4096

struct gen {
	const char *out;
	uint64_t size;
	uint32_t block_size;
	uint32_t max_entries;
	uint32_t type;
	bool tap;
	uint32_t alloc[MAX_ALLOC];
	unsigned int nr_alloc;
	const char *parent_name, *parent_dir;
	uint8_t parent_uuid[16], uuid[16];
	bool have_uuid;
	uint64_t pad_to;
};

static void die(const char *msg)
{
	fprintf(stderr, "helper_vhdgen: %s\n", msg);
	exit(2);
}

static void parse_uuid(const char *s, uint8_t out[16])
{
	unsigned int n = 0;

	for (; *s && n < 32; s++) {
		unsigned int v;

		if (*s == '-')
			continue;
		if (sscanf(s, "%1x", &v) != 1)
			die("bad uuid");
		if (n % 2)
			out[n / 2] |= (uint8_t)v;
		else
			out[n / 2] = (uint8_t)(v << 4);
		n++;
	}
	if (n != 32)
		die("bad uuid");
}

static void pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len) {
		perror("pwrite");
		exit(1);
	}
}

/* Geometry as in the VHD specification (same algorithm as vhd_chs). */
static uint32_t chs(uint64_t size)
{
	uint64_t secs = size / 512;
	uint32_t spt, heads, cth;

	if (secs > 65535ull * 16 * 255)
		secs = 65535ull * 16 * 255;
	if (secs >= 65535ull * 16 * 63) {
		spt = 255;
		heads = 16;
		cth = (uint32_t)(secs / spt);
	} else {
		spt = 17;
		cth = (uint32_t)(secs / spt);
		heads = (cth + 1023) / 1024;
		if (heads < 4)
			heads = 4;
		if (cth >= heads * 1024 || heads > 16) {
			spt = 31;
			heads = 16;
			cth = (uint32_t)(secs / spt);
		}
		if (cth >= heads * 1024) {
			spt = 63;
			heads = 16;
			cth = (uint32_t)(secs / spt);
		}
	}
	return (cth / heads) << 16 | heads << 8 | spt;
}

static size_t utf16(const char *s, uint8_t *out, size_t max, bool be)
{
	size_t n = 0;

	for (; *s && n + 2 <= max; s++, n += 2) {
		out[n + (be ? 0 : 1)] = 0;
		out[n + (be ? 1 : 0)] = (uint8_t)*s;	/* ASCII names only */
	}
	return n;
}

static void build_footer(const struct gen *g, uint8_t *f, uint64_t data_off)
{
	memset(f, 0, VHD_FOOTER_SIZE);
	memcpy(f + VHD_FTR_COOKIE, VHD_FOOTER_COOKIE, 8);
	vhd_put_be32(f + VHD_FTR_FEATURES, VHD_FEATURE_RESERVED);
	vhd_put_be32(f + VHD_FTR_VERSION, VHD_FILE_FORMAT_VERSION);
	vhd_put_be64(f + VHD_FTR_DATA_OFFSET, data_off);
	vhd_put_be32(f + VHD_FTR_TIMESTAMP,
		     (uint32_t)(time(NULL) - VHD_EPOCH_UNIX - 60));
	memcpy(f + VHD_FTR_CREATOR_APP, g->tap ? "tap\0" : "qem2", 4);
	vhd_put_be32(f + VHD_FTR_CREATOR_VER,
		     g->tap ? VHD_TAP_CURRENT_VERSION : 0x00050003);
	vhd_put_be32(f + VHD_FTR_CREATOR_OS, 0x5769326B);	/* Wi2k */
	vhd_put_be64(f + VHD_FTR_ORIG_SIZE, g->size);
	vhd_put_be64(f + VHD_FTR_CURR_SIZE, g->size);
	vhd_put_be32(f + VHD_FTR_GEOMETRY, chs(g->size));
	vhd_put_be32(f + VHD_FTR_DISK_TYPE, g->type);
	memcpy(f + VHD_FTR_UUID, g->uuid, 16);
	vhd_put_be32(f + VHD_FTR_CHECKSUM,
		     vhd_checksum(f, VHD_FOOTER_SIZE, VHD_FTR_CHECKSUM));
}

static int write_fixed(const struct gen *g, int fd)
{
	uint8_t f[VHD_FOOTER_SIZE];

	build_footer(g, f, ~0ull);
	if (ftruncate(fd, (off_t)g->size))
		return -errno;
	pwrite_all(fd, f, sizeof(f), g->size);
	return 0;
}

struct locator_data {
	uint32_t code;
	uint8_t buf[2048];
	size_t len;
};

static unsigned int make_locators(const struct gen *g,
				  struct locator_data *l)
{
	char path[1024], win[1100];
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", g->parent_dir, g->parent_name);
	/* W2ku: absolute Windows path; W2ru: relative ".\name". */
	snprintf(win, sizeof(win), "C:%s", path);
	for (i = 0; win[i]; i++)
		if (win[i] == '/')
			win[i] = '\\';
	l[0].code = VHD_PLAT_W2KU;
	l[0].len = utf16(win, l[0].buf, sizeof(l[0].buf), false);
	snprintf(win, sizeof(win), ".\\%s", g->parent_name);
	l[1].code = VHD_PLAT_W2RU;
	l[1].len = utf16(win, l[1].buf, sizeof(l[1].buf), false);
	l[2].code = VHD_PLAT_MACX;
	l[2].len = (size_t)snprintf((char *)l[2].buf, sizeof(l[2].buf),
				    "file://%s", path);
	return 3;
}

static int write_dynamic(const struct gen *g, int fd)
{
	uint64_t bat_bytes = (uint64_t)g->max_entries * 4;
	uint64_t off = VHD_FOOTER_SIZE + VHD_HEADER_SIZE;
	uint64_t table_off = off, bmh_off = 0, bm_off = 0, bm_bytes = 0;
	uint32_t bitmap_bytes = (uint32_t)vhd_padded(g->block_size / 512 / 8);
	struct locator_data loc[3];
	unsigned int nr_loc = 0, i;
	uint8_t hdr[VHD_HEADER_SIZE], f[VHD_FOOTER_SIZE];
	uint8_t *bat, *bitmap, *data, *bm = NULL;

	off += vhd_padded(bat_bytes);
	if (g->tap) {
		bmh_off = off;
		bm_off = off + VHD_SECTOR;
		bm_bytes = vhd_padded((g->max_entries + 7) / 8);
		off = bm_off + bm_bytes;
		bm = calloc(1, bm_bytes);
	}
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr + VHD_HDR_COOKIE, VHD_HEADER_COOKIE, 8);
	vhd_put_be64(hdr + VHD_HDR_DATA_OFFSET, VHD_HEADER_DATA_OFFSET);
	vhd_put_be64(hdr + VHD_HDR_TABLE_OFFSET, table_off);
	vhd_put_be32(hdr + VHD_HDR_VERSION, VHD_HEADER_VERSION);
	vhd_put_be32(hdr + VHD_HDR_MAX_ENTRIES, g->max_entries);
	vhd_put_be32(hdr + VHD_HDR_BLOCK_SIZE, g->block_size);
	if (g->type == VHD_TYPE_DIFFERENCING) {
		memcpy(hdr + VHD_HDR_PARENT_UUID, g->parent_uuid, 16);
		vhd_put_be32(hdr + VHD_HDR_PARENT_TS,
			     (uint32_t)(time(NULL) - VHD_EPOCH_UNIX - 120));
		utf16(g->parent_name, hdr + VHD_HDR_PARENT_NAME,
		      VHD_HDR_PARENT_NAME_LEN - 2, true);
		nr_loc = make_locators(g, loc);
		for (i = 0; i < nr_loc; i++) {
			uint8_t *e = hdr + VHD_HDR_LOCATORS + i * VHD_LOC_SIZE;
			uint64_t space = vhd_padded(loc[i].len);

			vhd_put_be32(e + VHD_LOC_CODE, loc[i].code);
			vhd_put_be32(e + VHD_LOC_DATA_SPACE,
				     (uint32_t)(space / VHD_SECTOR));
			vhd_put_be32(e + VHD_LOC_DATA_LEN, (uint32_t)loc[i].len);
			vhd_put_be64(e + VHD_LOC_DATA_OFFSET, off);
			pwrite_all(fd, loc[i].buf, loc[i].len, off);
			off += space;
		}
	}
	vhd_put_be32(hdr + VHD_HDR_CHECKSUM,
		     vhd_checksum(hdr, VHD_HEADER_SIZE, VHD_HDR_CHECKSUM));

	bat = malloc(vhd_padded(bat_bytes));
	bitmap = malloc(bitmap_bytes);
	data = malloc(g->block_size);
	if (!bat || !bitmap || !data || (g->tap && !bm))
		die("out of memory");
	memset(bat, 0xFF, vhd_padded(bat_bytes));
	memset(bitmap, 0xFF, bitmap_bytes);
	/* Blocks start on a 4 KiB boundary; no blocks, no padding. */
	if (g->nr_alloc)
		off = (off + 4095) / 4096 * 4096;
	for (i = 0; i < g->nr_alloc; i++) {
		uint32_t b = g->alloc[i];

		if (b >= g->max_entries)
			die("--alloc index beyond the table");
		vhd_put_be32(bat + (size_t)b * 4, (uint32_t)(off / VHD_SECTOR));
		memset(data, (b + 1) & 0xFF, g->block_size);
		pwrite_all(fd, bitmap, bitmap_bytes, off);
		pwrite_all(fd, data, g->block_size, off + bitmap_bytes);
		off += bitmap_bytes + g->block_size;
		if (bm)
			bm[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	if (g->pad_to && (off + VHD_FOOTER_SIZE) % g->pad_to)
		off += g->pad_to - (off + VHD_FOOTER_SIZE) % g->pad_to;
	pwrite_all(fd, bat, vhd_padded(bat_bytes), table_off);
	if (bm) {
		uint8_t bmh[VHD_SECTOR];
		uint64_t sum_len = vhd_padded(g->size >> (VHD_TAP_BLOCK_SHIFT + 3));

		memset(bmh, 0, sizeof(bmh));
		memcpy(bmh + VHD_BMH_COOKIE, VHD_BATMAP_COOKIE, 8);
		vhd_put_be64(bmh + VHD_BMH_OFFSET, bm_off);
		vhd_put_be32(bmh + VHD_BMH_SIZE, (uint32_t)(bm_bytes / 512));
		vhd_put_be32(bmh + VHD_BMH_VERSION, VHD_BATMAP_VERSION_1_2);
		vhd_put_be32(bmh + VHD_BMH_CHECKSUM,
			     vhd_checksum_batmap(bm, sum_len < bm_bytes ?
						 sum_len : bm_bytes,
						 VHD_BATMAP_VERSION_1_2));
		pwrite_all(fd, bmh, sizeof(bmh), bmh_off);
		pwrite_all(fd, bm, bm_bytes, bm_off);
	}
	pwrite_all(fd, hdr, sizeof(hdr), VHD_FOOTER_SIZE);
	build_footer(g, f, VHD_FOOTER_SIZE);
	pwrite_all(fd, f, sizeof(f), 0);
	pwrite_all(fd, f, sizeof(f), off);
	free(bat);
	free(bitmap);
	free(data);
	free(bm);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "max-entries", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' },
		{ "creator", required_argument, NULL, 'c' },
		{ "alloc", required_argument, NULL, 'a' },
		{ "parent-name", required_argument, NULL, 'n' },
		{ "parent-uuid", required_argument, NULL, 'u' },
		{ "parent-dir", required_argument, NULL, 'd' },
		{ "pad-to", required_argument, NULL, 'p' },
		{ "uuid", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen g = { .block_size = 2u << 20, .type = VHD_TYPE_DYNAMIC,
			 .parent_dir = "/srv/vhd" };
	char *tok, *save;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			g.size = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			g.block_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			g.max_entries = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 't':
			g.type = !strcmp(optarg, "fixed") ? VHD_TYPE_FIXED :
				 !strcmp(optarg, "differencing") ?
				 VHD_TYPE_DIFFERENCING : VHD_TYPE_DYNAMIC;
			break;
		case 'c':
			g.tap = !strcmp(optarg, "tap");
			break;
		case 'a':
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (g.nr_alloc == MAX_ALLOC)
					die("too many --alloc blocks");
				g.alloc[g.nr_alloc++] =
					(uint32_t)strtoul(tok, NULL, 0);
			}
			break;
		case 'n':
			g.parent_name = optarg;
			break;
		case 'u':
			parse_uuid(optarg, g.parent_uuid);
			break;
		case 'd':
			g.parent_dir = optarg;
			break;
		case 'p':
			g.pad_to = strtoull(optarg, NULL, 0);
			break;
		case 'U':
			parse_uuid(optarg, g.uuid);
			g.have_uuid = true;
			break;
		default:
			die("bad option (see the comment at the top)");
		}
	}
	if (optind != argc - 1 || !g.size || g.size % 512)
		die("usage: helper_vhdgen OUT --size BYTES [options]");
	g.out = argv[optind];
	if (!g.max_entries)
		g.max_entries = (uint32_t)((g.size + g.block_size - 1) /
					   g.block_size);
	if (g.type == VHD_TYPE_DIFFERENCING && !g.parent_name)
		die("differencing needs --parent-name and --parent-uuid");
	if (!g.have_uuid) {
		uint64_t x = g.size * 0x9E3779B97F4A7C15ull ^ g.type;

		for (int i = 0; i < 16; i++, x = x * 6364136223846793005ull + 1)
			g.uuid[i] = (uint8_t)(x >> 56);
		g.uuid[6] = (uint8_t)((g.uuid[6] & 0x0F) | 0x40);
		g.uuid[8] = (uint8_t)((g.uuid[8] & 0x3F) | 0x80);
	}
	fd = open(g.out, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0) {
		perror(g.out);
		return 1;
	}
	ret = g.type == VHD_TYPE_FIXED ? write_fixed(&g, fd) :
					 write_dynamic(&g, fd);
	if (ret || fsync(fd) || close(fd)) {
		perror(g.out);
		return 1;
	}
	return 0;
}
