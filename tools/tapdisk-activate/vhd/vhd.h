/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * vhd: read and validate VHD metadata (footer, dynamic header, parent
 * locators, BAT, tapdisk batmap) without trusting any of it.
 *
 * A destination host must not serve an image whose metadata is damaged or
 * stale, so every field that locates or sizes something is checked before
 * it is used, and every failed rule is reported as its own named error
 * (structure, field, expected, found). Data blocks are never read.
 *
 * Two drivers share one parser (vhd_parser.c, a pure state machine that asks
 * for byte ranges and consumes them):
 *   vhd_open_path()/vhd_read_dev(): O_DIRECT through dio, one
 *     round for the footers and header, one for BAT+batmap+locators
 *     (coalesced O_DIRECT preadv, dio sync_only, unless
 *     vhd_options.aio);
 *   vhd_parse_image(): an image held in memory (tests, fuzzing).
 *
 * Typical use:
 *	struct vhd_info vi;
 *	char err[256];
 *	int ret = vhd_open_path(path, NULL, &vi, err, sizeof(err));
 *	if (ret < 0)			// could not open or read: err says why
 *		...;
 *	else if (!vhd_valid(&vi))	// vi.errors[0 .. vi.nr_errors)
 *		...;
 *	vhd_fingerprint(&vi, hex);	// digest of footer+header+BAT(+batmap)
 *	vhd_info_release(&vi);
 */
#ifndef TAPDISK_ACTIVATE_VHD_H
#define TAPDISK_ACTIVATE_VHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dio_dev;

enum vhd_disk_type {
	VHD_TYPE_NONE = 0,		/* not determined (image invalid) */
	VHD_TYPE_FIXED = 2,
	VHD_TYPE_DYNAMIC = 3,
	VHD_TYPE_DIFFERENCING = 4,
};

/* One value per validation rule; vhd_err_name() gives its stable name. */
enum vhd_err {
	VHD_ERR_NONE = 0,
	VHD_ERR_TRUNCATED,		/* file too small for its structures */
	VHD_ERR_BAD_COOKIE,		/* conectix / cxsparse / tdbatmap */
	VHD_ERR_DISABLED,		/* footer cookie is "v_poison" */
	VHD_ERR_CHECKSUM,		/* footer or header checksum */
	VHD_ERR_FOOTER_MISMATCH,	/* footer at EOF != copy at offset 0 */
	VHD_ERR_UNSUPPORTED_VERSION,	/* file format / header / batmap */
	VHD_ERR_BAD_FEATURES,		/* reserved feature bit clear, unknown bits */
	VHD_ERR_UNKNOWN_DISK_TYPE,
	VHD_ERR_FOOTER_DATA_OFFSET,	/* header location invalid */
	VHD_ERR_BAD_SIZE,		/* virtual size zero / not sector multiple */
	VHD_ERR_HEADER_DATA_OFFSET,	/* header data_offset not all ones */
	VHD_ERR_TABLE_OUTSIDE_FILE,	/* BAT offset/size beyond the file */
	VHD_ERR_TABLE_OVERLAPS_METADATA,
	VHD_ERR_TABLE_TOO_SMALL,	/* max_table_entries < virtual size */
	VHD_ERR_BAD_BLOCK_SIZE,		/* not a power of two >= 512 */
	VHD_ERR_BAT_ENTRY_BEYOND_EOF,
	VHD_ERR_BAT_ENTRY_IN_METADATA,
	VHD_ERR_BAT_OVERLAP,		/* two blocks share bytes */
	VHD_ERR_FILE_SIZE,		/* size does not match allocated blocks */
	VHD_ERR_TIMESTAMP_FUTURE,
	VHD_ERR_BATMAP_HEADER,		/* batmap offset/size invalid */
	VHD_ERR_BATMAP_CHECKSUM,
	VHD_ERR_BATMAP_INCONSISTENT,	/* batmap marks an unallocated block */
	VHD_ERR_BAD_LOCATOR,		/* platform code, range, reserved */
	VHD_ERR_BAD_PARENT,		/* parent uuid/name of a child disk */
	VHD_ERR__COUNT
};

/* Errors kept per image; nr_errors_total counts the ones beyond this. */
#define VHD_MAX_ERRORS		16
#define VHD_MAX_LOCATORS	8
/* Decoded parent names/locator paths are truncated to this (UTF-8). */
#define VHD_NAME_MAX		1024

struct vhd_error {
	enum vhd_err code;
	char structure[24];	/* "footer", "footer_copy", "header", "bat", */
				/* "batmap", "locator[3]", "file" */
	char field[32];		/* on-disk field name, e.g. "table_offset" */
	char expected[96];
	char found[96];
};

struct vhd_locator {
	unsigned int slot;		/* entry in the header, 0..7 */
	uint32_t code;			/* platform code, e.g. 0x57326B75 */
	char platform[5];		/* "W2ku", "W2ru", "Mac ", "MacX", ... */
	uint32_t data_space;		/* as stored (sectors, or bytes) */
	uint32_t data_len;
	uint64_t data_offset;
	bool decoded;			/* path holds the decoded location */
	char path[VHD_NAME_MAX];	/* UTF-8; MacX without "file://" */
};

struct vhd_options {
	/* Unix time the timestamps are checked against; 0 means now. */
	int64_t now;
	/* Seconds a timestamp may lie in the future (vhd-util: 1800). */
	uint32_t timestamp_slack;
	/*
	 * vhd_open_path() only: issue each round as one libaio submission
	 * instead of coalesced synchronous O_DIRECT preadv (dio sync_only,
	 * the default). Both read the same bytes with O_DIRECT; the aio
	 * context costs a short-lived process two RCU grace periods at exit
	 * (vhd-format.rst), which is why it is not the default.
	 */
	bool aio;
};

#define VHD_TIMESTAMP_SLACK_DEFAULT	1800u

struct vhd_info {
	/* Whole file or device size, and whether it is a block device. */
	uint64_t file_size;
	bool is_blockdev;

	/* Footer (the one at end of file, or the copy when that is bad). */
	enum vhd_disk_type disk_type;
	bool disabled;			/* "v_poison" cookie */
	uint64_t virtual_size;		/* footer current_size, bytes */
	uint64_t original_size;
	uint32_t features;
	uint32_t file_format_version;
	uint32_t geometry;		/* cylinders<<16 | heads<<8 | spt */
	char creator_app[5];
	uint32_t creator_version;
	uint32_t creator_os;
	int64_t timestamp;		/* Unix seconds */
	uint8_t uuid[16];
	char uuid_str[37];
	bool saved, hidden;

	/* Dynamic header (dynamic and differencing disks). */
	uint64_t header_offset;
	uint64_t table_offset;
	uint32_t header_version;
	uint32_t max_table_entries;
	uint32_t block_size;
	uint32_t bitmap_bytes;		/* per-block sector bitmap, padded */
	uint32_t allocated_blocks;	/* BAT entries not 0xFFFFFFFF */
	/* First byte past all metadata and allocated blocks (footer goes here). */
	uint64_t data_end;

	/* Differencing disks only. */
	bool has_parent;
	uint8_t parent_uuid[16];
	char parent_uuid_str[37];
	int64_t parent_timestamp;	/* Unix seconds */
	char parent_name[VHD_NAME_MAX];	/* UTF-8 from UTF-16BE */
	unsigned int nr_locators;	/* entries with a non-zero code */
	struct vhd_locator locators[VHD_MAX_LOCATORS];

	/* tapdisk batmap (creator "tap ", version >= 1.2). */
	bool has_batmap;
	uint64_t batmap_offset;
	uint32_t batmap_sectors;
	uint32_t batmap_version;
	uint8_t batmap_marker;

	/* Validation result. */
	unsigned int nr_errors;		/* stored in errors[] */
	unsigned int nr_errors_total;	/* including the ones not stored */
	struct vhd_error errors[VHD_MAX_ERRORS];

	/*
	 * Raw on-disk metadata, as read (big-endian), owned by the info:
	 * the input of vhd_fingerprint() and vhd_bat_entry().
	 */
	const uint8_t *raw_footer;	/* 512 bytes, NULL if unreadable */
	const uint8_t *raw_header;	/* 1024 bytes or NULL */
	const uint8_t *raw_bat;		/* max_table_entries * 4 bytes or NULL */
	const uint8_t *raw_batmap_header; /* 512 bytes or NULL */
	const uint8_t *raw_batmap;	/* batmap_sectors * 512 bytes or NULL */

	/* Parser internals (buffers, state); do not touch. */
	struct vhd_parser *parser;
};

/* Stable machine name of an error ("bad_cookie", "bat_overlap", ...). */
const char *vhd_err_name(enum vhd_err code);
/* "fixed", "dynamic", "differencing" or "none". */
const char *vhd_disk_type_name(enum vhd_disk_type type);

/*
 * Opens @path (regular file or block device) read-only with O_DIRECT,
 * reads and validates its metadata into @vi, closes it. @opts may be NULL.
 * Returns 0 when the metadata was read (then vhd_valid() tells the verdict),
 * or a negative errno when the path could not be opened or read (@err then
 * holds one line for the user). @vi must be released in both cases.
 */
int vhd_open_path(const char *path, const struct vhd_options *opts,
		  struct vhd_info *vi, char *err, size_t errlen);

/* The same on a device the caller opened with dio_open(). */
int vhd_read_dev(struct dio_dev *dev, const struct vhd_options *opts,
		 struct vhd_info *vi, char *err, size_t errlen);

/*
 * Validates an image held in memory (@len bytes: the whole file). Never
 * reads outside @buf. Returns 0 or -ENOMEM.
 */
int vhd_parse_image(const void *buf, size_t len,
		    const struct vhd_options *opts, struct vhd_info *vi);

/* True when the image passed every rule. */
static inline bool vhd_valid(const struct vhd_info *vi)
{
	return vi->nr_errors_total == 0;
}

/* Host-order BAT entry @i (sector offset, 0xFFFFFFFF unallocated). */
uint32_t vhd_bat_entry(const struct vhd_info *vi, uint32_t i);
#define VHD_BAT_UNUSED		0xFFFFFFFFu

/*
 * SHA-256 of the metadata bytes as read: footer, header, BAT, batmap
 * header and batmap (those that exist), as lowercase hex in @out.
 * Any change of allocation, size, parent or identity changes it; data
 * writes into already allocated blocks do not. Returns 0, or -EINVAL when
 * no footer could be read. Costs a hash over the BAT (4 MiB at 2 TiB).
 */
int vhd_fingerprint(const struct vhd_info *vi, char out[65]);

/* One line "name: structure.field: expected E, found F" into @buf. */
void vhd_error_format(const struct vhd_error *e, char *buf, size_t len);

/* Unix time @t as "YYYY-MM-DDTHH:MM:SSZ" (the number if out of range). */
void vhd_time_format(int64_t t, char *out, size_t len);

/* Frees what the info owns; safe on a zeroed or failed info. */
void vhd_info_release(struct vhd_info *vi);

#endif /* TAPDISK_ACTIVATE_VHD_H */
