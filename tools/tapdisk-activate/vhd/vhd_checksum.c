// SPDX-License-Identifier: GPL-2.0 OR MIT
/* VHD checksums: one's complement of a byte sum (see vhd_format.h). */
#include "vhd_format.h"

uint32_t vhd_checksum(const uint8_t *buf, size_t len, size_t skip)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++)
		if (i < skip || i >= skip + 4)
			sum += buf[i];
	return ~sum;
}

uint32_t vhd_checksum_batmap(const uint8_t *map, size_t len,
			     uint32_t batmap_version)
{
	uint32_t sum = 0;
	size_t i;

	/*
	 * Batmap 1.1 was written by code that summed plain (signed) chars:
	 * bytes >= 0x80 were sign-extended. Reproduce it, or every 1.1
	 * batmap with a set high bit would look corrupt.
	 */
	if (batmap_version == VHD_BATMAP_VERSION_1_1) {
		for (i = 0; i < len; i++)
			sum += (uint32_t)(int32_t)(int8_t)map[i];
	} else {
		for (i = 0; i < len; i++)
			sum += map[i];
	}
	return ~sum;
}
