// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * CRC32C: the standard check value, and the hardware path agrees with the
 * table path on every length and alignment a lease sector can have.
 */
#include <string.h>

#include "lease/lease_crc32c.h"
#include "t_helpers.h"

int main(void)
{
	static unsigned char buf[4096 + 16];
	unsigned int seed = 1;

	T_ASSERT(lease_crc32c("123456789", 9) == 0xe3069283u,
		 "check value 0x%08x", lease_crc32c("123456789", 9));
	T_ASSERT(lease_crc32c_portable("123456789", 9) == 0xe3069283u,
		 "portable check value");
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand_r(&seed);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 4096; len += len < 64 ? 1 : 127)
			T_ASSERT(lease_crc32c(buf + off, len) ==
				 lease_crc32c_portable(buf + off, len),
				 "mismatch at offset %zu length %zu", off, len);
	/* 508 and 4092: the checksummed part of a lease sector */
	T_ASSERT(lease_crc32c(buf, 508) == lease_crc32c_portable(buf, 508) &&
		 lease_crc32c(buf, 4092) == lease_crc32c_portable(buf, 4092),
		 "sector lengths");
	return T_EXIT_PASS;
}
