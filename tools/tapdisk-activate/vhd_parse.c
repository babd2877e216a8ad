// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VHD metadata parser and validator (no I/O, see vhd_parser.h).
 *
 * Rules follow what tapdisk and vhd-util rely on (blktap libvhd.c,
 * vhd-util-check.c) plus what a handover needs: every offset and size read
 * from the image is checked against the file size and the other metadata
 * before it is used, because the image is written by a guest's backend on
 * another host and must be treated as hostile.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vhd_format.h"
#include "vhd_parser.h"

enum vhd_stage {
	VHD_STAGE_FOOTERS,
	VHD_STAGE_HEADER,
	VHD_STAGE_TABLES,
	VHD_STAGE_BATMAP,
	VHD_STAGE_DONE,
};

/* A byte range holding metadata: blocks and tables must stay out of it. */
struct vhd_range {
	uint64_t start, end;
	const char *what;
};

#define VHD_MAX_RANGES		(5 + VHD_MAX_LOCATORS)
#define VHD_MAX_ALLOCS		(8 + VHD_MAX_LOCATORS)

struct vhd_parser {
	enum vhd_stage stage;
	int64_t now;
	uint32_t slack;

	unsigned int nr_spans;
	struct vhd_span spans[VHD_MAX_SPANS];
	int bat_span, bmh_span, loc_span[VHD_MAX_LOCATORS];

	void *allocs[VHD_MAX_ALLOCS];
	size_t alloc_len[VHD_MAX_ALLOCS];
	unsigned int nr_allocs;

	int result;			/* -ENOMEM from a late stage */
	const char *footer_name;	/* "footer" or "footer_copy" */
	bool table_ok, block_ok;
	uint64_t bmh_offset;
	uint32_t bmh_checksum;
	uint64_t batmap_sum_len;	/* bytes covered by the checksum */

	struct vhd_range meta[VHD_MAX_RANGES];
	unsigned int nr_meta;
};

/* ---- buffers ------------------------------------------------------------ */

/*
 * Span buffers: DIO-aligned so reads land without a bounce copy, not
 * zeroed (the driver reports ->got, short reads are errors), and backed by
 * huge pages when large: faulting in 1024 small pages for a 4 MiB BAT
 * costs more than reading it.
 */
static uint8_t *vhd_alloc(struct vhd_parser *p, size_t len)
{
	size_t align = len >= (1u << 21) ? (1u << 21) : 4096;
	size_t rounded = (len + align - 1) / align * align;
	void *buf;

	if (p->nr_allocs == VHD_MAX_ALLOCS || !rounded)
		return NULL;
	if (posix_memalign(&buf, align, rounded))
		return NULL;
	if (align > 4096)
		madvise(buf, rounded, MADV_HUGEPAGE);
	p->allocs[p->nr_allocs] = buf;
	p->alloc_len[p->nr_allocs++] = rounded;
	return buf;
}

static int add_span(struct vhd_parser *p, uint64_t offset, size_t len)
{
	struct vhd_span *s;

	if (p->nr_spans == VHD_MAX_SPANS)
		return -ENOMEM;
	s = &p->spans[p->nr_spans];
	s->buf = vhd_alloc(p, len);
	if (!s->buf)
		return -ENOMEM;
	s->offset = offset;
	s->len = len;
	s->got = 0;
	return (int)p->nr_spans++;
}

/* ---- helpers -------------------------------------------------------------- */

static void add_meta(struct vhd_parser *p, uint64_t start, uint64_t len,
		     const char *what)
{
	if (p->nr_meta < VHD_MAX_RANGES && len)
		p->meta[p->nr_meta++] = (struct vhd_range){ start, start + len,
							    what };
}

/* Name of the metadata range [start, start+len) intersects, or NULL. */
static const char *meta_overlap(const struct vhd_parser *p, uint64_t start,
				uint64_t len)
{
	for (unsigned int i = 0; i < p->nr_meta; i++)
		if (start < p->meta[i].end && p->meta[i].start < start + len)
			return p->meta[i].what;
	return NULL;
}

static uint64_t meta_end(const struct vhd_parser *p)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < p->nr_meta; i++)
		if (p->meta[i].end > end)
			end = p->meta[i].end;
	return end;
}

static void format_cookie(const uint8_t *c, char *out, size_t len)
{
	char tmp[9];

	for (int i = 0; i < 8; i++)
		tmp[i] = c[i] >= 0x20 && c[i] < 0x7f && c[i] != '"' &&
			 c[i] != '\\' ? (char)c[i] : '.';
	tmp[8] = 0;
	snprintf(out, len, "\"%s\"", tmp);
}

static void format_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%" PRId64, t);
}

/* Checks a VHD timestamp (seconds since 2000) against now + slack. */
static int64_t check_time(struct vhd_info *vi, uint32_t stamp,
			  const char *structure, const char *field)
{
	struct vhd_parser *p = vi->parser;
	int64_t t = VHD_EPOCH_UNIX + stamp;
	char exp[96], got[48];

	if (t > p->now + p->slack) {
		format_time(p->now + p->slack, got, sizeof(got));
		snprintf(exp, sizeof(exp), "<= %s (now + %" PRIu32 " s)", got,
			 p->slack);
		format_time(t, got, sizeof(got));
		vhd_report(vi, VHD_ERR_TIMESTAMP_FUTURE, structure, field, exp,
			   got);
	}
	return t;
}

static bool is_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static bool tap_creator(const struct vhd_info *vi)
{
	return !memcmp(vi->creator_app, "tap", 3);
}

/* ---- footer --------------------------------------------------------------- */

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
		format_cookie(f + VHD_FTR_COOKIE, found, sizeof(found));
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
	check_time(vi, vhd_be32(f + VHD_FTR_TIMESTAMP), name, "timestamp");
	if (tap_creator(vi) && vi->creator_version > VHD_TAP_CURRENT_VERSION)
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

/* ---- header --------------------------------------------------------------- */

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
		if (!is_zero(e, VHD_LOC_SIZE))
			vhd_report(vi, VHD_ERR_BAD_LOCATOR, st, "data_offset",
				   "all zero in an unused entry", "non-zero");
		return;
	}
	l = &vi->locators[vi->nr_locators++];
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
	what = meta_overlap(p, l->data_offset, size);
	if (what) {
		char exp[64];

		snprintf(exp, sizeof(exp), "data not overlapping the %s", what);
		vhd_reportf(vi, VHD_ERR_BAD_LOCATOR, st, "data_offset", exp,
			    "%" PRIu64 " + %" PRIu64, l->data_offset, size);
		return;
	}
	add_meta(p, l->data_offset, size, "parent locator data");
	if (code == VHD_PLAT_W2KU || code == VHD_PLAT_W2RU ||
	    code == VHD_PLAT_MACX) {
		size_t len = l->data_len < VHD_MAX_LOCATOR_READ ?
			     l->data_len : VHD_MAX_LOCATOR_READ;
		int s = add_span(p, l->data_offset, len);

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
		if (!is_zero(h + VHD_HDR_PARENT_UUID, 16) || ts ||
		    !is_zero(name, VHD_HDR_PARENT_NAME_LEN))
			vhd_report(vi, VHD_ERR_BAD_PARENT, "header",
				   "parent_uuid",
				   "no parent fields on a dynamic disk",
				   "parent uuid, name or timestamp set");
		return;
	}
	vi->has_parent = true;
	memcpy(vi->parent_uuid, h + VHD_HDR_PARENT_UUID, 16);
	vhd_uuid_format(vi->parent_uuid, vi->parent_uuid_str);
	vi->parent_timestamp = check_time(vi, ts, "header",
					  "parent_timestamp");
	if (is_zero(vi->parent_uuid, 16))
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
	what = meta_overlap(p, off, vhd_padded(bytes));
	if (what) {
		snprintf(exp, sizeof(exp), "table not overlapping the %s",
			 what);
		vhd_reportf(vi, VHD_ERR_TABLE_OVERLAPS_METADATA, "header",
			    "table_offset", exp,
			    "%" PRIu64 " + %" PRIu64 " bytes", off,
			    vhd_padded(bytes));
		return;
	}
	add_meta(p, off, vhd_padded(bytes), "BAT");
	p->table_ok = true;
}

/* Plans the batmap read: header sector after the BAT, map usually next. */
static void plan_batmap(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;
	uint64_t limit = vi->file_size - VHD_FOOTER_SIZE;
	uint64_t bmh, want;

	if (!p->table_ok || !tap_creator(vi) ||
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
	p->bmh_span = add_span(p, bmh, want);
}

static void parse_header(struct vhd_info *vi, const uint8_t *h)
{
	struct vhd_parser *p = vi->parser;
	uint32_t seen[VHD_MAX_LOCATORS];
	unsigned int nr_seen = 0;
	uint64_t data_offset;
	char found[32], exp[64];

	if (memcmp(h + VHD_HDR_COOKIE, VHD_HEADER_COOKIE, 8)) {
		format_cookie(h + VHD_HDR_COOKIE, found, sizeof(found));
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
		p->bat_span = add_span(p, vi->table_offset,
				       (size_t)vi->max_table_entries *
				       VHD_BAT_ENTRY_SIZE);
	plan_batmap(vi);
	p->stage = VHD_STAGE_TABLES;
}

/* ---- footers round -------------------------------------------------------- */

static void feed_footers(struct vhd_info *vi)
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
	add_meta(p, 0, VHD_FOOTER_SIZE, "footer copy");

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
	add_meta(p, hdr, VHD_HEADER_SIZE, "header");
	p->nr_spans = 0;
	if (hdr + VHD_HEADER_SIZE <= head->got) {
		parse_header(vi, head->buf + hdr);
	} else if (add_span(p, hdr, VHD_HEADER_SIZE) >= 0) {
		p->stage = VHD_STAGE_HEADER;
	}
}

/* ---- tables round --------------------------------------------------------- */

static void decode_locators(struct vhd_info *vi)
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
		snprintf(st, sizeof(st), "locator[%u]", i);
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

static void check_batmap_map(struct vhd_info *vi, const uint8_t *map)
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
static bool parse_batmap_header(struct vhd_info *vi, struct vhd_span *s)
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
		format_cookie(h, found, sizeof(found));
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
	add_meta(p, p->bmh_offset, VHD_SECTOR, "batmap header");

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
	what = meta_overlap(p, vi->batmap_offset, bytes);
	if (what) {
		snprintf(exp, sizeof(exp), "batmap not overlapping the %s",
			 what);
		vhd_reportf(vi, VHD_ERR_BATMAP_HEADER, "batmap",
			    "batmap_offset", exp, "%" PRIu64 " + %" PRIu64,
			    vi->batmap_offset, bytes);
		return false;
	}
	add_meta(p, vi->batmap_offset, bytes, "batmap");
	vi->has_batmap = true;
	if (vi->batmap_offset == p->bmh_offset + VHD_SECTOR &&
	    s->got >= VHD_SECTOR + bytes) {
		check_batmap_map(vi, h + VHD_SECTOR);
		return false;
	}
	return true;
}

static void finalize(struct vhd_info *vi);

static void feed_tables(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	if (p->bat_span >= 0) {
		struct vhd_span *s = &p->spans[p->bat_span];

		if (s->got == s->len)
			vi->raw_bat = s->buf;
		else
			vhd_report(vi, VHD_ERR_TRUNCATED, "bat", "table_offset",
				   "whole table readable", "short read");
	}
	decode_locators(vi);
	if (p->bmh_span >= 0 &&
	    parse_batmap_header(vi, &p->spans[p->bmh_span])) {
		p->nr_spans = 0;
		p->bat_span = p->bmh_span = -1;
		for (unsigned int i = 0; i < VHD_MAX_LOCATORS; i++)
			p->loc_span[i] = -1;
		if (add_span(p, vi->batmap_offset,
			     (size_t)vi->batmap_sectors * VHD_SECTOR) >= 0) {
			p->stage = VHD_STAGE_BATMAP;
			return;
		}
	}
	finalize(vi);
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
	uint64_t mend = meta_end(p), end = 0, *keys;
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
			const char *what = meta_overlap(p, start, block_bytes);

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

static void finalize(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;
	uint64_t end = 0, want;
	char exp[96];

	p->stage = VHD_STAGE_DONE;
	if (!vi->raw_bat || !p->block_ok)
		return;
	if (check_bat(vi, &end)) {
		p->result = -ENOMEM;
		return;
	}
	if (vi->raw_batmap)
		check_batmap_bits(vi);
	if (meta_end(p) > end)
		end = meta_end(p);
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

/* ---- state machine -------------------------------------------------------- */

int vhd_parser_init(struct vhd_info *vi, uint64_t file_size, bool blockdev,
		    const struct vhd_options *opts)
{
	struct vhd_parser *p;

	memset(vi, 0, sizeof(*vi));
	vi->file_size = file_size;
	vi->is_blockdev = blockdev;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	vi->parser = p;
	p->now = opts && opts->now ? opts->now : (int64_t)time(NULL);
	p->slack = opts && opts->timestamp_slack ? opts->timestamp_slack :
		   VHD_TIMESTAMP_SLACK_DEFAULT;
	p->bat_span = p->bmh_span = -1;
	for (unsigned int i = 0; i < VHD_MAX_LOCATORS; i++)
		p->loc_span[i] = -1;
	p->stage = VHD_STAGE_FOOTERS;
	if (file_size < VHD_FOOTER_SIZE) {
		vhd_reportf(vi, VHD_ERR_TRUNCATED, "file", "size",
			    ">= 512 bytes (one footer)", "%" PRIu64,
			    file_size);
		p->stage = VHD_STAGE_DONE;
		return 0;
	}
	if (add_span(p, file_size - VHD_FOOTER_SIZE, VHD_FOOTER_SIZE) < 0 ||
	    add_span(p, 0, file_size < VHD_FOOTER_SIZE + VHD_HEADER_SIZE ?
			   file_size : VHD_FOOTER_SIZE + VHD_HEADER_SIZE) < 0)
		return -ENOMEM;
	return 0;
}

unsigned int vhd_parser_wants(struct vhd_info *vi, struct vhd_span **spans)
{
	struct vhd_parser *p = vi->parser;

	if (!p || p->stage == VHD_STAGE_DONE)
		return 0;
	*spans = p->spans;
	return p->nr_spans;
}

int vhd_parser_feed(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	p->result = 0;
	switch (p->stage) {
	case VHD_STAGE_FOOTERS:
		feed_footers(vi);
		break;
	case VHD_STAGE_HEADER:
		if (p->spans[0].got < VHD_HEADER_SIZE) {
			vhd_report(vi, VHD_ERR_TRUNCATED, "header", "cookie",
				   "1024 bytes at data_offset", "short read");
			p->stage = VHD_STAGE_DONE;
			break;
		}
		p->nr_spans = 0;
		parse_header(vi, p->spans[0].buf);
		break;
	case VHD_STAGE_TABLES:
		feed_tables(vi);
		break;
	case VHD_STAGE_BATMAP:
		if (p->spans[0].got < p->spans[0].len)
			vhd_report(vi, VHD_ERR_TRUNCATED, "batmap",
				   "batmap_offset", "whole batmap readable",
				   "short read");
		else
			check_batmap_map(vi, p->spans[0].buf);
		finalize(vi);
		break;
	case VHD_STAGE_DONE:
		break;
	}
	/* A header that failed early leaves nothing planned: stop. */
	if (p->stage != VHD_STAGE_DONE && !p->nr_spans)
		finalize(vi);
	return p->result;
}

uint32_t vhd_bat_entry(const struct vhd_info *vi, uint32_t i)
{
	if (!vi->raw_bat || i >= vi->max_table_entries)
		return VHD_BAT_UNUSED;
	return vhd_be32(vi->raw_bat + (size_t)i * VHD_BAT_ENTRY_SIZE);
}

void vhd_info_release(struct vhd_info *vi)
{
	struct vhd_parser *p = vi->parser;

	if (p) {
		for (unsigned int i = 0; i < p->nr_allocs; i++)
			free(p->allocs[i]);
		free(p);
	}
	vi->parser = NULL;
	vi->raw_footer = vi->raw_header = vi->raw_bat = NULL;
	vi->raw_batmap_header = vi->raw_batmap = NULL;
}

/* ---- in-memory driver ----------------------------------------------------- */

int vhd_parse_image(const void *buf, size_t len,
		    const struct vhd_options *opts, struct vhd_info *vi)
{
	struct vhd_span *spans;
	unsigned int n;
	int ret;

	ret = vhd_parser_init(vi, len, false, opts);
	while (!ret && (n = vhd_parser_wants(vi, &spans))) {
		for (unsigned int i = 0; i < n; i++) {
			struct vhd_span *s = &spans[i];

			s->got = 0;
			if (s->offset < len) {
				s->got = len - s->offset < s->len ?
					 len - s->offset : s->len;
				memcpy(s->buf, (const uint8_t *)buf + s->offset,
				       s->got);
			}
		}
		ret = vhd_parser_feed(vi);
	}
	return ret;
}
