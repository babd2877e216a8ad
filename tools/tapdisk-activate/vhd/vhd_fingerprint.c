// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Metadata fingerprint: VHD has no generation counter, so a handover
 * records this digest when the source deactivates and the destination
 * compares it before serving. Each structure is hashed with a tag and its
 * length so that bytes cannot move from one structure to another unseen.
 */
#include <errno.h>
#include <stdio.h>

#include "vhd_format.h"
#include "vhd_parser.h"

static void hash_part(struct vhd_sha256 *s, char tag, const uint8_t *p,
		      uint64_t len)
{
	uint8_t hdr[9];

	hdr[0] = (uint8_t)tag;
	vhd_put_be64(hdr + 1, p ? len : 0);
	vhd_sha256_update(s, hdr, sizeof(hdr));
	if (p)
		vhd_sha256_update(s, p, len);
}

int vhd_fingerprint(const struct vhd_info *vi, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct vhd_sha256 s;
	uint8_t d[32];

	out[0] = 0;
	if (!vi->raw_footer)
		return -EINVAL;
	vhd_sha256_init(&s);
	vhd_sha256_update(&s, "xh-vhd-fp-1", 11);
	hash_part(&s, 'F', vi->raw_footer, VHD_FOOTER_SIZE);
	hash_part(&s, 'H', vi->raw_header, VHD_HEADER_SIZE);
	hash_part(&s, 'B', vi->raw_bat,
		  (uint64_t)vi->max_table_entries * VHD_BAT_ENTRY_SIZE);
	hash_part(&s, 'm', vi->raw_batmap_header, VHD_SECTOR);
	hash_part(&s, 'M', vi->raw_batmap,
		  (uint64_t)vi->batmap_sectors * VHD_SECTOR);
	vhd_sha256_final(&s, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = 0;
	return 0;
}
