// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * CRC32C. Every lease acquire checks ~1 MiB (8 MiB with 4K sectors) of
 * sectors, so the SSE4.2 instruction is used when present; the table
 * version is the portable fallback and the reference the test compares.
 */
#include "lease_crc32c.h"

#include <stdbool.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82f63b78u

static uint32_t crc_table[256];
static bool table_ready;

static void build_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
		crc_table[i] = c;
	}
	table_ready = true;
}

static uint32_t crc32c_table(uint32_t crc, const unsigned char *p, size_t len)
{
	if (!table_ready)
		build_table();
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}

static int have_sse42 = -1;
#endif

uint32_t lease_crc32c(const void *buf, size_t len)
{
	uint32_t crc = ~0u;

#if defined(__x86_64__)
	if (have_sse42 < 0)
		have_sse42 = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	if (have_sse42)
		return ~crc32c_sse42(crc, buf, len);
#endif
	return ~crc32c_table(crc, buf, len);
}

uint32_t lease_crc32c_portable(const void *buf, size_t len)
{
	return ~crc32c_table(~0u, buf, len);
}
