/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The VHD parser as a state machine without I/O: it says which byte ranges
 * it needs next (vhd_parser_wants), a driver fills them (from memory, or
 * with O_DIRECT batches through dio), and it consumes them
 * (vhd_parser_feed). Each round of ranges is meant to be one submission:
 *   1. footer at EOF + first 1536 bytes (footer copy and usual header),
 *   2. header elsewhere (only when footer.data_offset is not 512),
 *   3. BAT + batmap header and its usual map + parent locator data,
 *   4. batmap (only when it is not right after its header).
 * Internal to the vhd*.c files; users include vhd.h.
 */
#ifndef TAPDISK_ACTIVATE_VHD_PARSER_H
#define TAPDISK_ACTIVATE_VHD_PARSER_H

#include <nettle/sha2.h>
#include <stdarg.h>

#include "vhd.h"

/* A range the parser wants, with the buffer it must land in. */
struct vhd_span {
	uint64_t offset;
	size_t len;
	uint8_t *buf;		/* parser-owned, DIO-aligned */
	size_t got;		/* set by the driver: bytes actually read */
};

#define VHD_MAX_SPANS		(4 + VHD_MAX_LOCATORS)

/* Largest BAT/batmap the parser will allocate for (16 M entries). */
#define VHD_MAX_TABLE_ENTRIES	(16u * 1024 * 1024)
#define VHD_MAX_BATMAP_BYTES	(16u * 1024 * 1024)
/* Locator data read for decoding (longer paths are cut, not refused). */
#define VHD_MAX_LOCATOR_READ	(4u * VHD_NAME_MAX)

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

/* Shared helpers (vhd_meta.c). */
int vhd_add_span(struct vhd_parser *p, uint64_t offset, size_t len);
void vhd_add_meta(struct vhd_parser *p, uint64_t start, uint64_t len,
		  const char *what);
const char *vhd_meta_overlap(const struct vhd_parser *p, uint64_t start,
			     uint64_t len);
uint64_t vhd_meta_end(const struct vhd_parser *p);
void vhd_format_cookie(const uint8_t *c, char *out, size_t len);
int64_t vhd_check_time(struct vhd_info *vi, uint32_t stamp,
		       const char *structure, const char *field);
bool vhd_is_zero(const uint8_t *b, size_t len);
bool vhd_tap_creator(const struct vhd_info *vi);

/* Rounds and rules (vhd_footer.c, vhd_header.c, vhd_bat.c). */
void vhd_feed_footers(struct vhd_info *vi);
void vhd_parse_header(struct vhd_info *vi, const uint8_t *h);
void vhd_decode_locators(struct vhd_info *vi);
bool vhd_parse_batmap_header(struct vhd_info *vi, struct vhd_span *s);
void vhd_check_batmap_map(struct vhd_info *vi, const uint8_t *map);
void vhd_finalize(struct vhd_info *vi);

int vhd_parser_init(struct vhd_info *vi, uint64_t file_size, bool blockdev,
		    const struct vhd_options *opts);
/* Ranges to fetch for the next round; 0 when the verdict is complete. */
unsigned int vhd_parser_wants(struct vhd_info *vi, struct vhd_span **spans);
/* Consumes the round just fetched. Returns 0 or -ENOMEM. */
int vhd_parser_feed(struct vhd_info *vi);

/* Records a failed rule (vhd_errors.c). */
void vhd_report(struct vhd_info *vi, enum vhd_err code, const char *structure,
		const char *field, const char *expected, const char *found);
void vhd_reportf(struct vhd_info *vi, enum vhd_err code,
		 const char *structure, const char *field,
		 const char *expected, const char *found_fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* UTF-16 (@big_endian or little) to UTF-8; false on invalid input. */
bool vhd_utf16_to_utf8(const uint8_t *in, size_t in_len, bool big_endian,
		       char *out, size_t out_len);
/* True when @s (@len bytes) is valid UTF-8 without NUL. */
bool vhd_utf8_valid(const uint8_t *s, size_t len);
/* Lowercase 8-4-4-4-12 form of a 16-byte uuid. */
void vhd_uuid_format(const uint8_t uuid[16], char out[37]);

/* SHA-256 (vhd_sha256.c: nettle's), used by the fingerprint. */
struct vhd_sha256 {
	struct sha256_ctx ctx;
};

void vhd_sha256_init(struct vhd_sha256 *s);
void vhd_sha256_update(struct vhd_sha256 *s, const void *data, size_t len);
void vhd_sha256_final(struct vhd_sha256 *s, uint8_t digest[32]);

#endif /* TAPDISK_ACTIVATE_VHD_PARSER_H */
