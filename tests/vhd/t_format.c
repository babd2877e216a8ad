// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Building blocks of the VHD engine against known answers: checksums
 * (the example footer of a qemu-made image), SHA-256 (FIPS 180-4
 * vectors), UTF-16 parent names (surrogates, malformed input, truncation),
 * UTF-8 locator URLs, and the stable error names scripts match on.
 */
#include <string.h>

#include "t_helpers.h"
#include "vhd/vhd.h"
#include "vhd/vhd_format.h"
#include "vhd/vhd_parser.h"

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256(void)
{
	struct vhd_sha256 s;
	uint8_t d[32], million[1001];
	char h[65];

	vhd_sha256_init(&s);
	vhd_sha256_update(&s, "abc", 3);
	vhd_sha256_final(&s, d);
	hex(d, h);
	T_ASSERT(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad"), "abc: %s", h);
	/* 1,000,000 x 'a' in odd-sized pieces crosses every block edge. */
	memset(million, 'a', sizeof(million));
	vhd_sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		vhd_sha256_update(&s, million, i % 2 ? 999 : 1001);
	vhd_sha256_final(&s, d);
	hex(d, h);
	T_ASSERT(!strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67"
			    "f1809a48a497200e046d39ccc7112cd0"), "1M a: %s", h);
}

static void test_checksum(void)
{
	/* First 96 bytes of a qemu-img 64M dynamic footer; rest zero. */
	static const uint8_t head[] = {
		'c', 'o', 'n', 'e', 'c', 't', 'i', 'x', 0, 0, 0, 2, 0, 1, 0, 0,
		0, 0, 0, 0, 0, 0, 2, 0, 0x32, 0x94, 0xfc, 0x04, 'q', 'e', 'm',
		'u', 0, 5, 0, 3, 'W', 'i', '2', 'k', 0, 0, 0, 0, 4, 0, 0x40, 0,
		0, 0, 0, 0, 4, 0, 0x40, 0, 0x03, 0xc4, 0x08, 0x11, 0, 0, 0, 3,
		0xff, 0xff, 0xec, 0xf4, 0x4d, 0xd9, 0x3e, 0x93, 0x47, 0x57,
		0x45, 0xa8, 0x9c, 0x84, 0xb6, 0xba, 0xd5, 0xd8, 0xb1, 0xeb,
	};
	uint8_t f[VHD_FOOTER_SIZE] = { 0 }, map[4] = { 0x80, 0xff, 0, 1 };

	memcpy(f, head, sizeof(head));
	T_ASSERT(vhd_checksum(f, sizeof(f), VHD_FTR_CHECKSUM) == 0xffffecf4,
		 "footer checksum %08x", vhd_checksum(f, sizeof(f), 64));
	T_ASSERT(vhd_be32(f + VHD_FTR_CHECKSUM) == 0xffffecf4, "be32");
	T_ASSERT(vhd_be64(f + VHD_FTR_CURR_SIZE) == 67125248, "be64");
	/* Batmap 1.1 summed signed chars, 1.2 unsigned. */
	T_ASSERT(vhd_checksum_batmap(map, 4, VHD_BATMAP_VERSION_1_2) ==
		 ~(uint32_t)(0x80 + 0xff + 1), "batmap 1.2");
	T_ASSERT(vhd_checksum_batmap(map, 4, VHD_BATMAP_VERSION_1_1) ==
		 ~(uint32_t)(-128 - 1 + 1), "batmap 1.1");
	T_ASSERT(vhd_padded(0) == 512 && vhd_padded(513) == 1024, "padded");
}

static void test_text(void)
{
	/* "a/<U+1F600>" big endian, then NUL. */
	static const uint8_t be[] = { 0, 'a', 0, '/', 0xd8, 0x3d, 0xde, 0x00,
				      0, 0, 0, 'x' };
	static const uint8_t lone[] = { 0xdc, 0x00, 0, 'a' };
	static const uint8_t le[] = { 'C', 0, ':', 0, '\\', 0 };
	char out[16];

	T_ASSERT(vhd_utf16_to_utf8(be, sizeof(be), true, out, sizeof(out)) &&
		 !strcmp(out, "a/\xf0\x9f\x98\x80"), "surrogate pair: %s", out);
	T_ASSERT(!vhd_utf16_to_utf8(lone, sizeof(lone), true, out, sizeof(out)),
		 "lone low surrogate accepted");
	T_ASSERT(!vhd_utf16_to_utf8(be + 4, 2, true, out, sizeof(out)),
		 "cut surrogate pair accepted");
	T_ASSERT(vhd_utf16_to_utf8(le, sizeof(le), false, out, sizeof(out)) &&
		 !strcmp(out, "C:\\"), "UTF-16LE: %s", out);
	/* Too long for the output: cut at a character, NUL-terminated. */
	T_ASSERT(vhd_utf16_to_utf8(be, sizeof(be), true, out, 5) &&
		 !strcmp(out, "a/"), "truncation: %s", out);
	T_ASSERT(vhd_utf8_valid((const uint8_t *)"file:///x", 9), "utf8 ok");
	T_ASSERT(!vhd_utf8_valid((const uint8_t *)"\xc0\xaf", 2), "overlong");
	T_ASSERT(!vhd_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3),
		 "surrogate in UTF-8");
	T_ASSERT(!vhd_utf8_valid((const uint8_t *)"ab\0c", 4), "NUL");
	T_ASSERT(!vhd_utf8_valid((const uint8_t *)"\xe2\x82", 2), "cut");
}

static void test_names(void)
{
	T_ASSERT(!strcmp(vhd_err_name(VHD_ERR_BAT_OVERLAP), "bat_overlap"),
		 "name");
	for (int i = 1; i < VHD_ERR__COUNT; i++) {
		T_ASSERT(strcmp(vhd_err_name((enum vhd_err)i), "unknown"),
			 "error %d has no name", i);
		for (int j = 1; j < i; j++)
			T_ASSERT(strcmp(vhd_err_name((enum vhd_err)i),
					vhd_err_name((enum vhd_err)j)),
				 "errors %d and %d share a name", i, j);
	}
	T_ASSERT(!strcmp(vhd_err_name(VHD_ERR__COUNT), "unknown"), "range");
}

int main(void)
{
	test_sha256();
	test_checksum();
	test_text();
	test_names();
	return T_EXIT_PASS;
}
