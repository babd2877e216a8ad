// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target: the VHD metadata parser on an in-memory image (the
 * same state machine the O_DIRECT reader drives). Besides crashes and
 * sanitizer reports it checks properties a caller relies on: a valid
 * image has all its metadata, a footer exactly after its data and no
 * unnamed errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vhd/vhd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" keeps runs reproducible (2030-01-01). */
#define FUZZ_NOW	1893456000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhd_options opts = { .now = FUZZ_NOW };
	struct vhd_info vi;
	char fp[65], line[512];

	if (vhd_parse_image(data, size, &opts, &vi)) {
		vhd_info_release(&vi);
		return 0;	/* allocation failure: nothing to check */
	}
	if (vi.nr_errors > VHD_MAX_ERRORS || vi.nr_errors > vi.nr_errors_total)
		abort();
	for (unsigned int i = 0; i < vi.nr_errors; i++) {
		if (!strcmp(vhd_err_name(vi.errors[i].code), "unknown"))
			abort();
		vhd_error_format(&vi.errors[i], line, sizeof(line));
	}
	if (vhd_valid(&vi)) {
		bool dyn = vi.disk_type == VHD_TYPE_DYNAMIC ||
			   vi.disk_type == VHD_TYPE_DIFFERENCING;

		if (!vi.raw_footer || vi.disk_type == VHD_TYPE_NONE)
			abort();
		if (dyn && (!vi.raw_header || !vi.raw_bat ||
			    vi.data_end + 512 != size ||
			    vi.allocated_blocks > vi.max_table_entries))
			abort();
		if (!dyn && vi.virtual_size + 512 != size)
			abort();
	}
	if (vi.raw_footer && vhd_fingerprint(&vi, fp))
		abort();
	if (vi.max_table_entries)
		(void)vhd_bat_entry(&vi, vi.max_table_entries - 1);
	vhd_info_release(&vi);
	return 0;
}
