// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Named VHD validation errors and how they are recorded and printed. */
#include <stdio.h>
#include <string.h>

#include "vhd_parser.h"

/* Stable names: scripts match on them, never rename one. */
static const char *const vhd_err_names[VHD_ERR__COUNT] = {
	[VHD_ERR_NONE] = "none",
	[VHD_ERR_TRUNCATED] = "truncated",
	[VHD_ERR_BAD_COOKIE] = "bad_cookie",
	[VHD_ERR_DISABLED] = "disabled",
	[VHD_ERR_CHECKSUM] = "checksum_mismatch",
	[VHD_ERR_FOOTER_MISMATCH] = "footer_copy_mismatch",
	[VHD_ERR_UNSUPPORTED_VERSION] = "unsupported_version",
	[VHD_ERR_BAD_FEATURES] = "bad_features",
	[VHD_ERR_UNKNOWN_DISK_TYPE] = "unknown_disk_type",
	[VHD_ERR_FOOTER_DATA_OFFSET] = "footer_data_offset",
	[VHD_ERR_BAD_SIZE] = "bad_virtual_size",
	[VHD_ERR_HEADER_DATA_OFFSET] = "header_data_offset",
	[VHD_ERR_TABLE_OUTSIDE_FILE] = "table_outside_file",
	[VHD_ERR_TABLE_OVERLAPS_METADATA] = "table_overlaps_metadata",
	[VHD_ERR_TABLE_TOO_SMALL] = "table_too_small",
	[VHD_ERR_BAD_BLOCK_SIZE] = "bad_block_size",
	[VHD_ERR_BAT_ENTRY_BEYOND_EOF] = "bat_entry_beyond_eof",
	[VHD_ERR_BAT_ENTRY_IN_METADATA] = "bat_entry_in_metadata",
	[VHD_ERR_BAT_OVERLAP] = "bat_overlap",
	[VHD_ERR_FILE_SIZE] = "file_size_mismatch",
	[VHD_ERR_TIMESTAMP_FUTURE] = "timestamp_in_future",
	[VHD_ERR_BATMAP_HEADER] = "bad_batmap_header",
	[VHD_ERR_BATMAP_CHECKSUM] = "batmap_checksum_mismatch",
	[VHD_ERR_BATMAP_INCONSISTENT] = "batmap_inconsistent",
	[VHD_ERR_BAD_LOCATOR] = "bad_parent_locator",
	[VHD_ERR_BAD_PARENT] = "bad_parent",
};

const char *vhd_err_name(enum vhd_err code)
{
	if ((unsigned int)code >= VHD_ERR__COUNT || !vhd_err_names[code])
		return "unknown";
	return vhd_err_names[code];
}

const char *vhd_disk_type_name(enum vhd_disk_type type)
{
	switch (type) {
	case VHD_TYPE_FIXED:
		return "fixed";
	case VHD_TYPE_DYNAMIC:
		return "dynamic";
	case VHD_TYPE_DIFFERENCING:
		return "differencing";
	default:
		return "none";
	}
}

void vhd_report(struct vhd_info *vi, enum vhd_err code, const char *structure,
		const char *field, const char *expected, const char *found)
{
	struct vhd_error *e;

	vi->nr_errors_total++;
	if (vi->nr_errors >= VHD_MAX_ERRORS)
		return;
	e = &vi->errors[vi->nr_errors++];
	e->code = code;
	snprintf(e->structure, sizeof(e->structure), "%s", structure);
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->expected, sizeof(e->expected), "%s", expected);
	snprintf(e->found, sizeof(e->found), "%s", found);
}

void vhd_reportf(struct vhd_info *vi, enum vhd_err code,
		 const char *structure, const char *field,
		 const char *expected, const char *found_fmt, ...)
{
	char found[96];
	va_list ap;

	va_start(ap, found_fmt);
	vsnprintf(found, sizeof(found), found_fmt, ap);
	va_end(ap);
	vhd_report(vi, code, structure, field, expected, found);
}

void vhd_error_format(const struct vhd_error *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s.%s: expected %s, found %s",
		 vhd_err_name(e->code), e->structure, e->field, e->expected,
		 e->found);
}
