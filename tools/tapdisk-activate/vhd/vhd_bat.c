// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Table rules: tapdisk batmap (header, checksum, consistency with the
 * BAT) and the whole-BAT pass (entries inside the file and outside
 * metadata, no two blocks overlapping, file size matching the last block).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vhd_format.h"
#include "vhd_parser.h"

void vhd_check_batmap_map(struct vhd_info *vi, const uint8_t *map)
{
	struct vhd_parser *p = vi->parser;
	uint32_t sum = vhd_checksum_batmap(map, p->batmap_sum_len,
					   vi->batmap_version);
	char exp[16];

	vi->raw_batmap = map;
	if (sum != p->bmh_checksum) {
		snprintf(exp, sizeof(exp), "0x%08" PRIx32, sum);
		vhd_reportf(vi, VHD_ERR_BATMAP_CHECKSUM, "batmap", "checksum",
			    exp, "0x%08" PRIx32, p->bmh_checksum);
	}
}

/* Returns true when the batmap itself still has to be read. */
bool vhd_parse_batmap_header(struct vhd_info *vi, struct vhd_span *s)
{
	struct vhd_parser *p = vi->parser;
	const uint8_t *h = s->buf;
	uint64_t limit = vi->file_size - VHD_FOOTER_SIZE, bytes;
	uint32_t need_secs;
	const char *what;
	char exp[96];

	if (s->got < VHD_SECTOR || memcmp(h, VHD_BATMAP_COOKIE, 8)) {
		char found[32];

		if (vi->creator_version < VHD_VERSION(1, 2))
			return false;	/* 1.1: batmap optional */
		vhd_format_cookie(h, found, sizeof(found));
		vhd_report(vi, VHD_ERR_BAD_COOKIE, "batmap", "cookie",
			   "\"tdbatmap\"", s->got < VHD_SECTOR ? "short read" :
			   found);
		return false;
	}
	vi->raw_batmap_header = h;
	vi->batmap_offset = vhd_be64(h + VHD_BMH_OFFSET);
	vi->batmap_sectors = vhd_be32(h + VHD_BMH_SIZE);
	vi->batmap_version = vhd_be32(h + VHD_BMH_VERSION);
	vi->batmap_marker = h[VHD_BMH_MARKER];
	p->bmh_checksum = vhd_be32(h + VHD_BMH_CHECKSUM);
	vhd_add_meta(p, p->bmh_offset, VHD_SECTOR, "batmap header");

	if ((vi->batmap_version >> 16) != 1 ||
	    vi->batmap_version > VHD_BATMAP_VERSION_1_2) {
		vhd_reportf(vi, VHD_ERR_UNSUPPORTED_VERSION, "batmap",
			    "batmap_version", "0x00010000 .. 0x00010002",
			    "0x%08" PRIx32, vi->batmap_version);
		return false;
	}
	/* tapdisk's checksum covers one bit per 2 MiB of virtual size. */
	p->batmap_sum_len = vhd_padded(vi->virtual_size >>
				       (VHD_TAP_BLOCK_SHIFT + 3));
	need_secs = (uint32_t)(((uint64_t)vi->max_table_entries + 4095) / 4096);
	if (p->batmap_sum_len / VHD_SECTOR > need_secs)
		need_secs = (uint32_t)(p->batmap_sum_len / VHD_SECTOR);
	bytes = (uint64_t)vi->batmap_sectors * VHD_SECTOR;
	if (vi->batmap_sectors < need_secs || bytes > VHD_MAX_BATMAP_BYTES) {
		snprintf(exp, sizeof(exp), "%" PRIu32 " .. %u sectors",
			 need_secs, VHD_MAX_BATMAP_BYTES / VHD_SECTOR);
		vhd_reportf(vi, VHD_ERR_BATMAP_HEADER, "batmap", "batmap_size",
			    exp, "%" PRIu32, vi->batmap_sectors);
		return false;
	}
	if (!vi->batmap_offset || vi->batmap_offset % VHD_SECTOR ||
	    vi->batmap_offset > limit || bytes > limit - vi->batmap_offset) {
		snprintf(exp, sizeof(exp),
			 "sector-aligned batmap ending <= %" PRIu64, limit);
		vhd_reportf(vi, VHD_ERR_BATMAP_HEADER, "batmap",
			    "batmap_offset", exp, "%" PRIu64 " + %" PRIu64,
			    vi->batmap_offset, bytes);
		return false;
	}
	what = vhd_meta_overlap(p, vi->batmap_offset, bytes);
	if (what) {
		snprintf(exp, sizeof(exp), "batmap not overlapping the %s",
			 what);
		vhd_reportf(vi, VHD_ERR_BATMAP_HEADER, "batmap",
			    "batmap_offset", exp, "%" PRIu64 " + %" PRIu64,
			    vi->batmap_offset, bytes);
		return false;
	}
	vhd_add_meta(p, vi->batmap_offset, bytes, "batmap");
	vi->has_batmap = true;
	if (vi->batmap_offset == p->bmh_offset + VHD_SECTOR &&
	    s->got >= VHD_SECTOR + bytes) {
		vhd_check_batmap_map(vi, h + VHD_SECTOR);
		return false;
	}
	return true;
}

/* ---- whole-table rules ---------------------------------------------------- */

/* Sorts (sector << 32 | index) keys by sector: LSD radix, 2 x 16 bits. */
static int sort_keys(uint64_t *k, size_t n)
{
	uint64_t *tmp = malloc(n * sizeof(*tmp));
	/* On the heap: callers may run on small thread stacks. */
	size_t *count = malloc(65536 * sizeof(*count));

	if (!tmp || !count) {
		free(tmp);
		free(count);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 2; pass++) {
		unsigned int shift = 32 + 16 * pass;
		size_t sum = 0;

		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(k[i] >> shift) & 0xFFFF]++;
		for (size_t i = 0; i < 65536; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(k[i] >> shift) & 0xFFFF]++] = k[i];
		memcpy(k, tmp, n * sizeof(*k));
	}
	free(tmp);
	free(count);
	return 0;
}

static void report_bat(struct vhd_info *vi, bool *seen, enum vhd_err code,
		       uint32_t index, const char *expected, const char *found)
{
	char field[32];

	/* Hostile tables can hold a million bad entries: keep the first. */
	if (*seen) {
		vi->nr_errors_total++;
		return;
	}
	*seen = true;
	snprintf(field, sizeof(field), "entry[%" PRIu32 "]", index);
	vhd_report(vi, code, "bat", field, expected, found);
}

static int check_bat(struct vhd_info *vi, uint64_t *end_out)
{
	struct vhd_parser *p = vi->parser;
	const uint8_t *bat = vi->raw_bat;
	uint64_t block_bytes = (uint64_t)vi->bitmap_bytes + vi->block_size;
	uint64_t limit = vi->file_size - VHD_FOOTER_SIZE;
	uint64_t mend = vhd_meta_end(p), end = 0, *keys;
	uint32_t n = vi->max_table_entries, prev = 0, i;
	bool sorted = true, seen_eof = false, seen_meta = false;
	bool seen_overlap = false;
	size_t nk = 0;
	char exp[96], found[96];

	keys = malloc((size_t)n * sizeof(*keys) + 1);
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t start, e_end;
		uint32_t e;

		/* Fast path over unallocated runs, 2 entries at a time. */
		if (!(i & 1) && i + 1 < n) {
			uint64_t w;

			memcpy(&w, bat + (size_t)i * 4, 8);
			if (w == ~0ull) {
				i++;
				continue;
			}
		}
		e = vhd_be32(bat + (size_t)i * 4);
		if (e == VHD_BAT_UNUSED)
			continue;
		vi->allocated_blocks++;
		start = (uint64_t)e * VHD_SECTOR;
		e_end = start + block_bytes;
		if (e_end > limit) {
			snprintf(exp, sizeof(exp), "block ending <= %" PRIu64
				 " (before the footer)", limit);
			snprintf(found, sizeof(found), "sector %" PRIu32
				 ", block end %" PRIu64, e, e_end);
			report_bat(vi, &seen_eof, VHD_ERR_BAT_ENTRY_BEYOND_EOF,
				   i, exp, found);
			continue;
		}
		if (start < mend) {
			const char *what;

			what = vhd_meta_overlap(p, start, block_bytes);

			if (what) {
				snprintf(exp, sizeof(exp),
					 "block not overlapping the %s", what);
				snprintf(found, sizeof(found), "sector %"
					 PRIu32 " (byte %" PRIu64 ")", e,
					 start);
				report_bat(vi, &seen_meta,
					   VHD_ERR_BAT_ENTRY_IN_METADATA, i,
					   exp, found);
				continue;
			}
		}
		if (e < prev)
			sorted = false;
		prev = e;
		keys[nk++] = (uint64_t)e << 32 | i;
		if (e_end > end)
			end = e_end;
	}
	if (!sorted && sort_keys(keys, nk)) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t k = 1; k < nk; k++) {
		uint64_t a = keys[k - 1] >> 32, b = keys[k] >> 32;

		if ((b - a) * VHD_SECTOR < block_bytes) {
			snprintf(exp, sizeof(exp),
				 ">= %" PRIu64 " sectors after block %" PRIu32,
				 block_bytes / VHD_SECTOR,
				 (uint32_t)keys[k - 1]);
			snprintf(found, sizeof(found), "sector %" PRIu64
				 " (block %" PRIu32 " at %" PRIu64 ")", b,
				 (uint32_t)keys[k - 1], a);
			report_bat(vi, &seen_overlap, VHD_ERR_BAT_OVERLAP,
				   (uint32_t)keys[k], exp, found);
		}
	}
	free(keys);
	*end_out = end;
	return 0;
}

static void check_batmap_bits(struct vhd_info *vi)
{
	uint64_t bits = (uint64_t)vi->batmap_sectors * VHD_SECTOR * 8;
	uint32_t n = vi->max_table_entries;
	bool seen = false;

	if (bits < n)
		n = (uint32_t)bits;
	for (uint32_t byte = 0; byte < (n + 7) / 8; byte++) {
		uint8_t b = vi->raw_batmap[byte];

		if (!b)
			continue;
		for (uint32_t bit = 0; bit < 8; bit++) {
			uint32_t i = byte * 8 + bit;

			/* tapdisk bit order: MSB first within each byte. */
			if (i >= n || !(b & (0x80 >> bit)) ||
			    vhd_bat_entry(vi, i) != VHD_BAT_UNUSED)
				continue;
			if (seen) {
				vi->nr_errors_total++;
				continue;
			}
			seen = true;
			vhd_reportf(vi, VHD_ERR_BATMAP_INCONSISTENT, "batmap",
				    "map", "bits set only for allocated blocks",
				    "bit %" PRIu32 " set, BAT entry unused", i);
		}
	}
}

void vhd_finalize(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;
	uint64_t end = 0, want;
	char exp[96];

	p->stage = VHD_STAGE_DONE;
	/* Fail closed: a dynamic disk is never valid without its table. */
	if ((vi->disk_type == VHD_TYPE_DYNAMIC ||
	     vi->disk_type == VHD_TYPE_DIFFERENCING) &&
	    (!vi->raw_header || !vi->raw_bat) && vhd_valid(vi))
		vhd_report(vi, VHD_ERR_TRUNCATED, "bat", "table_offset",
			   "a readable table", "not read");
	if (!vi->raw_bat || !p->block_ok)
		return;
	if (check_bat(vi, &end)) {
		p->result = -ENOMEM;
		return;
	}
	if (vi->raw_batmap)
		check_batmap_bits(vi);
	if (vhd_meta_end(p) > end)
		end = vhd_meta_end(p);
	vi->data_end = end;
	/*
	 * The footer sits right after the last block. Extra bytes mean
	 * blocks the BAT no longer references (a stale or lost entry);
	 * a block device may be larger (volume rounding).
	 */
	want = end + VHD_FOOTER_SIZE;
	if (vi->is_blockdev ? vi->file_size < want : vi->file_size != want) {
		snprintf(exp, sizeof(exp),
			 "%s%" PRIu64 " (last block/metadata end + footer)",
			 vi->is_blockdev ? ">= " : "", want);
		vhd_reportf(vi, VHD_ERR_FILE_SIZE, "file", "size", exp,
			    "%" PRIu64, vi->file_size);
	}
}

