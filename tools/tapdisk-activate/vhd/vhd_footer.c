// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Footer rules: the footer at end of file, its copy at offset 0 for
 * dynamic disks, fixed-disk size; first round of the parser.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vhd_format.h"
#include "vhd_parser.h"

enum footer_state { FTR_OK, FTR_POISON, FTR_BAD_COOKIE, FTR_BAD_CHECKSUM };

/*
 * tapdisk creators 0.1 and 1.1 set the hidden byte without updating the
 * checksum (vhd-util tolerates it, and so must we, or old XenServer images
 * look corrupt): true when that is the only explanation for a mismatch.
 */
static bool old_tap_hidden(const uint8_t *f)
{
	uint32_t ver = vhd_be32(f + VHD_FTR_CREATOR_VER);
	uint32_t sum;

	if (!f[VHD_FTR_HIDDEN] || memcmp(f + VHD_FTR_CREATOR_APP, "tap", 3) ||
	    (ver != VHD_VERSION(0, 1) && ver != VHD_VERSION(1, 1)))
		return false;
	sum = vhd_checksum(f, VHD_FOOTER_SIZE, VHD_FTR_CHECKSUM);
	/* The byte sum without the hidden byte. */
	return ~(~sum - f[VHD_FTR_HIDDEN]) == vhd_be32(f + VHD_FTR_CHECKSUM);
}

static enum footer_state footer_state(const uint8_t *f)
{
	bool poison = !memcmp(f + VHD_FTR_COOKIE, VHD_POISON_COOKIE, 8);

	if (!poison && memcmp(f + VHD_FTR_COOKIE, VHD_FOOTER_COOKIE, 8))
		return FTR_BAD_COOKIE;
	if (vhd_checksum(f, VHD_FOOTER_SIZE, VHD_FTR_CHECKSUM) !=
	    vhd_be32(f + VHD_FTR_CHECKSUM) && !old_tap_hidden(f))
		return FTR_BAD_CHECKSUM;
	return poison ? FTR_POISON : FTR_OK;
}

static void report_footer_state(struct vhd_info *vi, const uint8_t *f,
				enum footer_state st, const char *name)
{
	char found[32], exp[32];

	switch (st) {
	case FTR_BAD_COOKIE:
		vhd_format_cookie(f + VHD_FTR_COOKIE, found, sizeof(found));
		vhd_report(vi, VHD_ERR_BAD_COOKIE, name, "cookie",
			   "\"conectix\"", found);
		break;
	case FTR_BAD_CHECKSUM:
		snprintf(exp, sizeof(exp), "0x%08" PRIx32,
			 vhd_checksum(f, VHD_FOOTER_SIZE, VHD_FTR_CHECKSUM));
		vhd_reportf(vi, VHD_ERR_CHECKSUM, name, "checksum", exp,
			    "0x%08" PRIx32, vhd_be32(f + VHD_FTR_CHECKSUM));
		break;
	case FTR_POISON:
		vhd_report(vi, VHD_ERR_DISABLED, name, "cookie",
			   "\"conectix\"", "\"v_poison\" (disk disabled)");
		break;
	case FTR_OK:
		break;
	}
}

/*
 * Disabling a disk rewrites the cookie (and so the checksum) of one footer
 * only; any other difference between the copies is a real mismatch.
 */
static bool poison_only_diff(const uint8_t *a, const uint8_t *b)
{
	/* Tolerated: the cookie and checksum. */
	return !memcmp(a + VHD_FTR_FEATURES, b + VHD_FTR_FEATURES,
		       VHD_FTR_CHECKSUM - VHD_FTR_FEATURES) &&
	       !memcmp(a + VHD_FTR_UUID, b + VHD_FTR_UUID,
		       VHD_FOOTER_SIZE - VHD_FTR_UUID);
}

/*
 * Old tapdisk marked the copy at offset 0 hidden and left the footer at
 * EOF alone (libvhd reads the flag from the copy for 0.1/1.1 creators).
 */
static bool old_tap_hidden_diff(const uint8_t *tail, const uint8_t *copy)
{
	uint8_t t[VHD_FOOTER_SIZE];

	if (!old_tap_hidden(copy) || tail[VHD_FTR_HIDDEN])
		return false;
	memcpy(t, copy, sizeof(t));
	t[VHD_FTR_HIDDEN] = 0;
	return !memcmp(t, tail, sizeof(t));
}

/* Name of the first footer field where @a and @b differ. */
static const char *footer_diff_field(const uint8_t *a, const uint8_t *b)
{
	static const struct { unsigned int off; const char *name; } f[] = {
		{ VHD_FTR_COOKIE, "cookie" }, { VHD_FTR_FEATURES, "features" },
		{ VHD_FTR_VERSION, "file_format_version" },
		{ VHD_FTR_DATA_OFFSET, "data_offset" },
		{ VHD_FTR_TIMESTAMP, "timestamp" },
		{ VHD_FTR_CREATOR_APP, "creator_app" },
		{ VHD_FTR_CREATOR_VER, "creator_version" },
		{ VHD_FTR_CREATOR_OS, "creator_os" },
		{ VHD_FTR_ORIG_SIZE, "original_size" },
		{ VHD_FTR_CURR_SIZE, "current_size" },
		{ VHD_FTR_GEOMETRY, "geometry" },
		{ VHD_FTR_DISK_TYPE, "disk_type" },
		{ VHD_FTR_CHECKSUM, "checksum" }, { VHD_FTR_UUID, "uuid" },
		{ VHD_FTR_SAVED, "saved" }, { VHD_FTR_HIDDEN, "hidden" },
		{ VHD_FTR_HIDDEN + 1, "reserved" }, { VHD_FOOTER_SIZE, NULL },
	};

	for (unsigned int i = 0; f[i].name; i++)
		if (memcmp(a + f[i].off, b + f[i].off,
			   f[i + 1].off - f[i].off))
			return f[i].name;
	return "reserved";
}

static void decode_footer(struct vhd_info *vi, const uint8_t *f)
{
	vi->disabled = !memcmp(f + VHD_FTR_COOKIE, VHD_POISON_COOKIE, 8);
	vi->features = vhd_be32(f + VHD_FTR_FEATURES);
	vi->file_format_version = vhd_be32(f + VHD_FTR_VERSION);
	vi->timestamp = VHD_EPOCH_UNIX + vhd_be32(f + VHD_FTR_TIMESTAMP);
	/* Printable only; tapdisk pads "tap" with a NUL. */
	memset(vi->creator_app, 0, sizeof(vi->creator_app));
	for (int i = 0; i < 4 && f[VHD_FTR_CREATOR_APP + i]; i++) {
		uint8_t c = f[VHD_FTR_CREATOR_APP + i];

		vi->creator_app[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	vi->creator_version = vhd_be32(f + VHD_FTR_CREATOR_VER);
	vi->creator_os = vhd_be32(f + VHD_FTR_CREATOR_OS);
	vi->original_size = vhd_be64(f + VHD_FTR_ORIG_SIZE);
	vi->virtual_size = vhd_be64(f + VHD_FTR_CURR_SIZE);
	vi->geometry = vhd_be32(f + VHD_FTR_GEOMETRY);
	memcpy(vi->uuid, f + VHD_FTR_UUID, 16);
	vhd_uuid_format(vi->uuid, vi->uuid_str);
	vi->saved = f[VHD_FTR_SAVED] != 0;
	vi->hidden = f[VHD_FTR_HIDDEN] != 0;
	vi->raw_footer = f;
}

/* Field rules of the footer in use; false when parsing cannot go on. */
static bool check_footer_fields(struct vhd_info *vi, const uint8_t *f)
{
	struct vhd_parser *p = vi->parser;
	const char *name = p->footer_name;
	uint32_t type = vhd_be32(f + VHD_FTR_DISK_TYPE);

	if (vi->file_format_version != VHD_FILE_FORMAT_VERSION)
		vhd_reportf(vi, VHD_ERR_UNSUPPORTED_VERSION, name,
			    "file_format_version", "0x00010000",
			    "0x%08" PRIx32, vi->file_format_version);
	if (!(vi->features & VHD_FEATURE_RESERVED) ||
	    (vi->features & ~(VHD_FEATURE_RESERVED | VHD_FEATURE_TEMPORARY)))
		vhd_reportf(vi, VHD_ERR_BAD_FEATURES, name, "features",
			    "0x00000002 set, no bits above 0x3",
			    "0x%08" PRIx32, vi->features);
	vhd_check_time(vi, vhd_be32(f + VHD_FTR_TIMESTAMP), name, "timestamp");
	if (vhd_tap_creator(vi) &&
	    vi->creator_version > VHD_TAP_CURRENT_VERSION)
		vhd_reportf(vi, VHD_ERR_UNSUPPORTED_VERSION, name,
			    "creator_version", "<= 0x00010003 for tap",
			    "0x%08" PRIx32, vi->creator_version);
	if (!vi->virtual_size || vi->virtual_size % VHD_SECTOR)
		vhd_reportf(vi, VHD_ERR_BAD_SIZE, name, "current_size",
			    "non-zero multiple of 512", "%" PRIu64,
			    vi->virtual_size);
	if (type != VHD_TYPE_FIXED && type != VHD_TYPE_DYNAMIC &&
	    type != VHD_TYPE_DIFFERENCING) {
		vhd_reportf(vi, VHD_ERR_UNKNOWN_DISK_TYPE, name, "disk_type",
			    "2 (fixed), 3 (dynamic) or 4 (differencing)",
			    "%" PRIu32, type);
		return false;
	}
	vi->disk_type = (enum vhd_disk_type)type;
	return true;
}

static void finish_fixed(struct vhd_info *vi, const uint8_t *f)
{
	struct vhd_parser *p = vi->parser;
	uint64_t off = vhd_be64(f + VHD_FTR_DATA_OFFSET);
	uint64_t want = vi->virtual_size + VHD_FOOTER_SIZE;
	char exp[64];

	if (off != ~0ull)
		vhd_reportf(vi, VHD_ERR_FOOTER_DATA_OFFSET, p->footer_name,
			    "data_offset", "0xffffffffffffffff (fixed disk)",
			    "0x%016" PRIx64, off);
	/* Data is the first current_size bytes; the footer follows it. */
	if (vi->is_blockdev ? vi->file_size < want : vi->file_size != want) {
		snprintf(exp, sizeof(exp), "%s%" PRIu64 " (current_size + 512)",
			 vi->is_blockdev ? ">= " : "", want);
		vhd_reportf(vi, VHD_ERR_FILE_SIZE, "file", "size", exp,
			    "%" PRIu64, vi->file_size);
	}
	vi->data_end = vi->virtual_size;
}

/* ---- footers round -------------------------------------------------------- */

void vhd_feed_footers(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;
	struct vhd_span *tail = &p->spans[0], *head = &p->spans[1];
	enum footer_state prim, copy = FTR_BAD_COOKIE;
	const uint8_t *use = NULL;
	uint64_t hdr, limit;
	bool have_copy = head->got >= VHD_FOOTER_SIZE;

	p->stage = VHD_STAGE_DONE;
	if (tail->got < VHD_FOOTER_SIZE) {
		vhd_reportf(vi, VHD_ERR_TRUNCATED, "footer", "cookie",
			    "512 bytes at end of file", "%zu bytes",
			    tail->got);
		return;
	}
	prim = footer_state(tail->buf);
	report_footer_state(vi, tail->buf, prim, "footer");
	if (have_copy)
		copy = footer_state(head->buf);
	if (prim == FTR_OK || prim == FTR_POISON) {
		use = tail->buf;
		p->footer_name = "footer";
	} else if (have_copy && (copy == FTR_OK || copy == FTR_POISON)) {
		uint32_t t = vhd_be32(head->buf + VHD_FTR_DISK_TYPE);

		/* Only dynamic disks keep a copy; carry on with it. */
		if (t == VHD_TYPE_DYNAMIC || t == VHD_TYPE_DIFFERENCING) {
			use = head->buf;
			p->footer_name = "footer_copy";
		}
	}
	if (!use)
		return;
	decode_footer(vi, use);
	if (!check_footer_fields(vi, use))
		return;
	if (vi->disk_type == VHD_TYPE_FIXED) {
		finish_fixed(vi, use);
		return;
	}

	/* Dynamic/differencing: the copy at offset 0 must be identical. */
	if (use == tail->buf) {
		if (!have_copy)
			vhd_report(vi, VHD_ERR_TRUNCATED, "footer_copy",
				   "cookie", "512 bytes at offset 0",
				   "shorter file");
		else if (copy == FTR_BAD_COOKIE || copy == FTR_BAD_CHECKSUM)
			report_footer_state(vi, head->buf, copy, "footer_copy");
		else if (memcmp(tail->buf, head->buf, VHD_FOOTER_SIZE) &&
			 !(prim != copy && poison_only_diff(tail->buf,
							    head->buf)) &&
			 !old_tap_hidden_diff(tail->buf, head->buf)) {
			const char *field = footer_diff_field(tail->buf,
							      head->buf);

			vhd_report(vi, VHD_ERR_FOOTER_MISMATCH, "footer_copy",
				   field, "same bytes as the footer at EOF",
				   "different value");
		}
	}
	vhd_add_meta(p, 0, VHD_FOOTER_SIZE, "footer copy");

	hdr = vhd_be64(use + VHD_FTR_DATA_OFFSET);
	limit = vi->file_size - VHD_FOOTER_SIZE;
	if (hdr < VHD_FOOTER_SIZE || hdr > limit ||
	    limit - hdr < VHD_HEADER_SIZE) {
		char exp[64];

		snprintf(exp, sizeof(exp), "header offset in 512 .. %" PRIu64,
			 limit >= VHD_HEADER_SIZE ? limit - VHD_HEADER_SIZE : 0);
		vhd_reportf(vi, VHD_ERR_FOOTER_DATA_OFFSET, p->footer_name,
			    "data_offset", exp, "0x%016" PRIx64, hdr);
		return;
	}
	vi->header_offset = hdr;
	vhd_add_meta(p, hdr, VHD_HEADER_SIZE, "header");
	p->nr_spans = 0;
	if (hdr + VHD_HEADER_SIZE <= head->got) {
		vhd_parse_header(vi, head->buf + hdr);
	} else if (vhd_add_span(p, hdr, VHD_HEADER_SIZE) >= 0) {
		p->stage = VHD_STAGE_HEADER;
	}
}

