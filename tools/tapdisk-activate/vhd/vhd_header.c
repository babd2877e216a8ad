// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Dynamic header rules: table position and size, block size, parent uuid
 * and name, parent locators (checked, then decoded once their data is
 * read); plans the tables round.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vhd_format.h"
#include "vhd_parser.h"

static bool platform_known(uint32_t code)
{
	switch (code) {
	case VHD_PLAT_NONE:
	case VHD_PLAT_WI2R:
	case VHD_PLAT_WI2K:
	case VHD_PLAT_W2RU:
	case VHD_PLAT_W2KU:
	case VHD_PLAT_MAC:
	case VHD_PLAT_MACX:
		return true;
	default:
		return false;
	}
}

/*
 * data_space should count sectors, but some writers store bytes (libvhd
 * MICROSOFT_COMPAT): below 512 it is sectors, a multiple of 512 is bytes,
 * anything else is unusable.
 */
static uint64_t locator_bytes(uint32_t data_space)
{
	if (data_space < 512)
		return (uint64_t)data_space * VHD_SECTOR;
	if (data_space % 512 == 0)
		return data_space;
	return 0;
}

static void check_locator(struct vhd_info *vi, unsigned int i,
			  const uint8_t *e, uint32_t seen_codes[],
			  unsigned int *nr_seen)
{
	struct vhd_parser *p = vi->parser;
	uint32_t code = vhd_be32(e + VHD_LOC_CODE);
	struct vhd_locator *l;
	uint64_t size, limit = vi->file_size - VHD_FOOTER_SIZE;
	const char *what;
	char st[24];

	snprintf(st, sizeof(st), "locator[%u]", i);
	if (!platform_known(code)) {
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "code",
			    "a known platform code or 0", "0x%08" PRIx32, code);
		return;
	}
	if (code == VHD_PLAT_NONE) {
		if (!vhd_is_zero(e, VHD_LOC_SIZE))
			vhd_report(vi, VHD_ERR_BAD_LOCATOR, st, "data_offset",
				   "all zero in an unused entry", "non-zero");
		return;
	}
	l = &vi->locators[vi->nr_locators++];
	l->slot = i;
	l->code = code;
	for (int k = 0; k < 4; k++)
		l->platform[k] = (char)e[VHD_LOC_CODE + k];
	l->platform[4] = 0;
	l->data_space = vhd_be32(e + VHD_LOC_DATA_SPACE);
	l->data_len = vhd_be32(e + VHD_LOC_DATA_LEN);
	l->data_offset = vhd_be64(e + VHD_LOC_DATA_OFFSET);
	size = locator_bytes(l->data_space);

	if (vi->disk_type != VHD_TYPE_DIFFERENCING) {
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "code",
			    "0 (only differencing disks have parents)",
			    "0x%08" PRIx32, code);
		return;
	}
	for (unsigned int k = 0; k < *nr_seen; k++) {
		if (seen_codes[k] == code) {
			vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "code",
				    "one locator per platform code",
				    "second \"%s\"", l->platform);
			return;
		}
	}
	seen_codes[(*nr_seen)++] = code;
	if (vhd_be32(e + VHD_LOC_RESERVED)) {
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "reserved", "0",
			    "0x%08" PRIx32, vhd_be32(e + VHD_LOC_RESERVED));
		return;
	}
	if (!size) {
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "data_space",
			    "sectors (< 512) or a multiple of 512 bytes",
			    "%" PRIu32, l->data_space);
		return;
	}
	if (!l->data_len || l->data_len > size) {
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "data_len",
			    "1 .. data_space bytes", "%" PRIu32, l->data_len);
		return;
	}
	if (!l->data_offset || l->data_offset > limit ||
	    size > limit - l->data_offset) {
		char exp[64];

		snprintf(exp, sizeof(exp), "data inside the file (end <= %" PRIu64
			 ")", limit);
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "data_offset", exp,
			    "%" PRIu64 " + %" PRIu64, l->data_offset, size);
		return;
	}
	what = vhd_meta_overlap(p, l->data_offset, size);
	if (what) {
		char exp[64];

		snprintf(exp, sizeof(exp), "data not overlapping the %s", what);
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "data_offset", exp,
			    "%" PRIu64 " + %" PRIu64, l->data_offset, size);
		return;
	}
	vhd_add_meta(p, l->data_offset, size, "parent locator data");
	if (code == VHD_PLAT_W2KU || code == VHD_PLAT_W2RU ||
	    code == VHD_PLAT_MACX) {
		size_t len = l->data_len < VHD_MAX_LOCATOR_READ ?
			     l->data_len : VHD_MAX_LOCATOR_READ;
		int s = vhd_add_span(p, l->data_offset, len);

		if (s >= 0)
			p->loc_span[vi->nr_locators - 1] = s;
	}
}

static void check_parent_fields(struct vhd_info *vi, const uint8_t *h)
{
	bool diff = vi->disk_type == VHD_TYPE_DIFFERENCING;
	const uint8_t *name = h + VHD_HDR_PARENT_NAME;
	uint32_t ts = vhd_be32(h + VHD_HDR_PARENT_TS);
	bool big_endian = true;
	size_t skip = 0;

	if (!diff) {
		if (!vhd_is_zero(h + VHD_HDR_PARENT_UUID, 16) || ts ||
		    !vhd_is_zero(name, VHD_HDR_PARENT_NAME_LEN))
			vhd_report(vi, VHD_ERR_BAD_PARENT, "header",
				   "parent_uuid",
				   "no parent fields on a dynamic disk",
				   "parent uuid, name or timestamp set");
		return;
	}
	vi->has_parent = true;
	memcpy(vi->parent_uuid, h + VHD_HDR_PARENT_UUID, 16);
	vhd_uuid_format(vi->parent_uuid, vi->parent_uuid_str);
	vi->parent_timestamp = vhd_check_time(vi, ts, "header",
					  "parent_timestamp");
	if (vhd_is_zero(vi->parent_uuid, 16))
		vhd_report(vi, VHD_ERR_BAD_PARENT, "header", "parent_uuid",
			   "the parent's uuid", "null uuid");
	/* Old tapdisk (creator 0.1) wrote UTF-16 with a byte-order mark. */
	if (name[0] == 0xFF && name[1] == 0xFE) {
		big_endian = false;
		skip = 2;
	} else if (name[0] == 0xFE && name[1] == 0xFF) {
		skip = 2;
	}
	if (!vhd_utf16_to_utf8(name + skip, VHD_HDR_PARENT_NAME_LEN - skip,
			       big_endian, vi->parent_name,
			       sizeof(vi->parent_name)))
		vhd_report(vi, VHD_ERR_BAD_PARENT, "header", "parent_name",
			   "UTF-16BE text", "invalid UTF-16");
	else if (!vi->parent_name[0])
		vhd_report(vi, VHD_ERR_BAD_PARENT, "header", "parent_name",
			   "the parent's file name", "empty");
}

static void check_table(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;
	uint64_t bytes = (uint64_t)vi->max_table_entries * VHD_BAT_ENTRY_SIZE;
	uint64_t limit = vi->file_size - VHD_FOOTER_SIZE;
	uint64_t off = vi->table_offset;
	const char *what;
	char exp[96];

	if (vi->max_table_entries > VHD_MAX_TABLE_ENTRIES) {
		vhd_reportf(vi, VHD_ERR_TABLE_OUTSIDE_FILE, "header",
			    "max_table_entries",
			    "<= 16777216 (64 MiB table)", "%" PRIu32,
			    vi->max_table_entries);
		return;
	}
	if (off % VHD_SECTOR || off > limit || bytes > limit - off) {
		snprintf(exp, sizeof(exp),
			 "sector-aligned table ending <= %" PRIu64, limit);
		vhd_reportf(vi, VHD_ERR_TABLE_OUTSIDE_FILE, "header",
			    "table_offset", exp,
			    "%" PRIu64 " + %" PRIu64 " bytes", off, bytes);
		return;
	}
	what = vhd_meta_overlap(p, off, vhd_padded(bytes));
	if (what) {
		snprintf(exp, sizeof(exp), "table not overlapping the %s",
			 what);
		vhd_reportf(vi, VHD_ERR_TABLE_OVERLAPS_METADATA, "header",
			    "table_offset", exp,
			    "%" PRIu64 " + %" PRIu64 " bytes", off,
			    vhd_padded(bytes));
		return;
	}
	vhd_add_meta(p, off, vhd_padded(bytes), "BAT");
	p->table_ok = true;
}

/* Plans the batmap read: header sector after the BAT, map usually next. */
static void plan_batmap(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;
	uint64_t limit = vi->file_size - VHD_FOOTER_SIZE;
	uint64_t bmh, want;

	if (!p->table_ok || !vhd_tap_creator(vi) ||
	    vi->creator_version < VHD_VERSION(1, 1))
		return;
	bmh = vi->table_offset + vhd_padded((uint64_t)vi->max_table_entries *
					    VHD_BAT_ENTRY_SIZE);
	p->bmh_offset = bmh;
	if (bmh > limit || limit - bmh < VHD_SECTOR) {
		/* 1.1 images may lack a batmap; from 1.2 it is mandatory. */
		if (vi->creator_version >= VHD_VERSION(1, 2))
			vhd_reportf(vi, VHD_ERR_BATMAP_HEADER, "batmap",
				    "cookie", "a batmap header after the BAT",
				    "offset %" PRIu64 " past the data", bmh);
		return;
	}
	want = VHD_SECTOR +
	       vhd_padded(((uint64_t)vi->max_table_entries + 7) / 8);
	if (want > limit - bmh)
		want = limit - bmh;
	p->bmh_span = vhd_add_span(p, bmh, want);
}

void vhd_parse_header(struct vhd_info *vi, const uint8_t *h)
{
	struct vhd_parser *p = vi->parser;
	uint32_t seen[VHD_MAX_LOCATORS];
	unsigned int nr_seen = 0;
	uint64_t data_offset;
	char found[32], exp[64];

	if (memcmp(h + VHD_HDR_COOKIE, VHD_HEADER_COOKIE, 8)) {
		vhd_format_cookie(h + VHD_HDR_COOKIE, found, sizeof(found));
		vhd_report(vi, VHD_ERR_BAD_COOKIE, "header", "cookie",
			   "\"cxsparse\"", found);
		return;
	}
	vi->raw_header = h;
	if (vhd_checksum(h, VHD_HEADER_SIZE, VHD_HDR_CHECKSUM) !=
	    vhd_be32(h + VHD_HDR_CHECKSUM)) {
		snprintf(exp, sizeof(exp), "0x%08" PRIx32,
			 vhd_checksum(h, VHD_HEADER_SIZE, VHD_HDR_CHECKSUM));
		vhd_reportf(vi, VHD_ERR_CHECKSUM, "header", "checksum", exp,
			    "0x%08" PRIx32, vhd_be32(h + VHD_HDR_CHECKSUM));
	}
	vi->header_version = vhd_be32(h + VHD_HDR_VERSION);
	vi->table_offset = vhd_be64(h + VHD_HDR_TABLE_OFFSET);
	vi->max_table_entries = vhd_be32(h + VHD_HDR_MAX_ENTRIES);
	vi->block_size = vhd_be32(h + VHD_HDR_BLOCK_SIZE);

	if (vi->header_version != VHD_HEADER_VERSION)
		vhd_reportf(vi, VHD_ERR_UNSUPPORTED_VERSION, "header",
			    "header_version", "0x00010000", "0x%08" PRIx32,
			    vi->header_version);
	data_offset = vhd_be64(h + VHD_HDR_DATA_OFFSET);
	if (data_offset != VHD_HEADER_DATA_OFFSET)
		vhd_reportf(vi, VHD_ERR_HEADER_DATA_OFFSET, "header",
			    "data_offset", "0xffffffffffffffff",
			    "0x%016" PRIx64, data_offset);
	if (vi->block_size < VHD_SECTOR ||
	    (vi->block_size & (vi->block_size - 1))) {
		vhd_reportf(vi, VHD_ERR_BAD_BLOCK_SIZE, "header", "block_size",
			    "power of two >= 512", "%" PRIu32, vi->block_size);
	} else {
		uint64_t need = (vi->virtual_size + vi->block_size - 1) /
				vi->block_size;

		p->block_ok = true;
		/* One bit per sector, padded to whole sectors. */
		vi->bitmap_bytes = (uint32_t)vhd_padded(vi->block_size /
							VHD_SECTOR / 8);
		if (vi->max_table_entries < need) {
			snprintf(exp, sizeof(exp),
				 ">= %" PRIu64 " for %" PRIu64 " bytes", need,
				 vi->virtual_size);
			vhd_reportf(vi, VHD_ERR_TABLE_TOO_SMALL, "header",
				    "max_table_entries", exp, "%" PRIu32,
				    vi->max_table_entries);
		}
	}
	check_table(vi);
	check_parent_fields(vi, h);
	for (unsigned int i = 0; i < VHD_MAX_LOCATORS; i++)
		check_locator(vi, i, h + VHD_HDR_LOCATORS + i * VHD_LOC_SIZE,
			      seen, &nr_seen);
	if (p->table_ok && vi->max_table_entries)
		p->bat_span = vhd_add_span(p, vi->table_offset,
				       (size_t)vi->max_table_entries *
				       VHD_BAT_ENTRY_SIZE);
	plan_batmap(vi);
	p->stage = VHD_STAGE_TABLES;
}

void vhd_decode_locators(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	for (unsigned int i = 0; i < vi->nr_locators; i++) {
		struct vhd_locator *l = &vi->locators[i];
		struct vhd_span *s;
		const char *base;
		char st[24];
		bool ok;

		if (p->loc_span[i] < 0)
			continue;
		s = &p->spans[p->loc_span[i]];
		/* Errors name the header entry, as the checks above do. */
		snprintf(st, sizeof(st), "locator[%u]", l->slot);
		if (s->got < s->len) {
			vhd_report(vi, VHD_ERR_TRUNCATED, st, "data_offset",
				   "locator data inside the file", "short read");
			continue;
		}
		if (l->code == VHD_PLAT_MACX) {
			ok = s->len > 7 && vhd_utf8_valid(s->buf, s->len) &&
			     !memcmp(s->buf, "file://", 7);
			if (ok) {
				size_t n = s->len - 7 < sizeof(l->path) - 1 ?
					   s->len - 7 : sizeof(l->path) - 1;

				memcpy(l->path, s->buf + 7, n);
				l->path[n] = 0;
			}
		} else {
			ok = vhd_utf16_to_utf8(s->buf, s->len, false, l->path,
					       sizeof(l->path)) && l->path[0];
		}
		if (!ok) {
			vhd_report(vi, VHD_ERR_BAD_LOCATOR, st, "data",
				   l->code == VHD_PLAT_MACX ?
				   "file:// URL in UTF-8" : "UTF-16LE path",
				   "undecodable bytes");
			l->path[0] = 0;
			continue;
		}
		l->decoded = true;
		/* The locator must lead to the file the header names. */
		base = l->path + strlen(l->path);
		while (base > l->path && base[-1] != '/' && base[-1] != '\\')
			base--;
		if (vi->parent_name[0] && strcmp(base, vi->parent_name)) {
			char exp[96];

			snprintf(exp, sizeof(exp), "a path ending in \"%.60s\"",
				 vi->parent_name);
			vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "data", exp,
				    "\"%.80s\"", l->path);
		}
	}
}

