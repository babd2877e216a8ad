/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * VHD on-disk layout: byte offsets of every field the engine reads, magic
 * values and big-endian decoding. Offsets instead of packed structs, so the
 * parser never depends on compiler layout or alignment of hostile buffers.
 * Documentation/vhd-format.rst describes the same layout in prose.
 */
#ifndef TAPDISK_ACTIVATE_VHD_FORMAT_H
#define TAPDISK_ACTIVATE_VHD_FORMAT_H

#include <stdint.h>
#include <string.h>

#define VHD_SECTOR		512u

/* Footer: 512 bytes at end of file, copy at offset 0 for dynamic disks. */
#define VHD_FOOTER_SIZE		512u
#define VHD_FTR_COOKIE		0	/* char[8] "conectix" / "v_poison" */
#define VHD_FTR_FEATURES	8	/* be32 */
#define VHD_FTR_VERSION		12	/* be32, 0x00010000 */
#define VHD_FTR_DATA_OFFSET	16	/* be64, header offset or ~0 */
#define VHD_FTR_TIMESTAMP	24	/* be32, seconds since 2000-01-01 */
#define VHD_FTR_CREATOR_APP	28	/* char[4] */
#define VHD_FTR_CREATOR_VER	32	/* be32 */
#define VHD_FTR_CREATOR_OS	36	/* be32 */
#define VHD_FTR_ORIG_SIZE	40	/* be64 */
#define VHD_FTR_CURR_SIZE	48	/* be64, virtual size */
#define VHD_FTR_GEOMETRY	56	/* be32 */
#define VHD_FTR_DISK_TYPE	60	/* be32 */
#define VHD_FTR_CHECKSUM	64	/* be32 */
#define VHD_FTR_UUID		68	/* u8[16] */
#define VHD_FTR_SAVED		84	/* u8 */
#define VHD_FTR_HIDDEN		85	/* u8, tapdisk-specific */

#define VHD_FOOTER_COOKIE	"conectix"
#define VHD_POISON_COOKIE	"v_poison"
#define VHD_FEATURE_TEMPORARY	0x00000001u
#define VHD_FEATURE_RESERVED	0x00000002u	/* must always be set */
#define VHD_FILE_FORMAT_VERSION	0x00010000u

/* Dynamic disk header: 1024 bytes at footer.data_offset. */
#define VHD_HEADER_SIZE		1024u
#define VHD_HDR_COOKIE		0	/* char[8] "cxsparse" */
#define VHD_HDR_DATA_OFFSET	8	/* be64, unused: all ones */
#define VHD_HDR_TABLE_OFFSET	16	/* be64, BAT position */
#define VHD_HDR_VERSION		24	/* be32, 0x00010000 */
#define VHD_HDR_MAX_ENTRIES	28	/* be32 */
#define VHD_HDR_BLOCK_SIZE	32	/* be32 */
#define VHD_HDR_CHECKSUM	36	/* be32 */
#define VHD_HDR_PARENT_UUID	40	/* u8[16] */
#define VHD_HDR_PARENT_TS	56	/* be32 */
#define VHD_HDR_RESERVED1	60	/* be32 */
#define VHD_HDR_PARENT_NAME	64	/* UTF-16BE, 512 bytes */
#define VHD_HDR_PARENT_NAME_LEN	512u
#define VHD_HDR_LOCATORS	576	/* 8 x 24 bytes */
#define VHD_HDR_RESERVED2	768	/* 256 bytes */

#define VHD_HEADER_COOKIE	"cxsparse"
#define VHD_HEADER_VERSION	0x00010000u
#define VHD_HEADER_DATA_OFFSET	0xFFFFFFFFFFFFFFFFull

/* Parent locator entry (24 bytes) inside the header. */
#define VHD_LOC_SIZE		24u
#define VHD_LOC_CODE		0	/* be32 platform code */
#define VHD_LOC_DATA_SPACE	4	/* be32, sectors (sometimes bytes) */
#define VHD_LOC_DATA_LEN	8	/* be32, bytes */
#define VHD_LOC_RESERVED	12	/* be32, zero */
#define VHD_LOC_DATA_OFFSET	16	/* be64, absolute */

#define VHD_PLAT_NONE		0x00000000u
#define VHD_PLAT_WI2R		0x57693272u	/* "Wi2r", deprecated */
#define VHD_PLAT_WI2K		0x5769326Bu	/* "Wi2k", deprecated */
#define VHD_PLAT_W2RU		0x57327275u	/* "W2ru", relative UTF-16LE */
#define VHD_PLAT_W2KU		0x57326B75u	/* "W2ku", absolute UTF-16LE */
#define VHD_PLAT_MAC		0x4D616320u	/* "Mac ", alias blob */
#define VHD_PLAT_MACX		0x4D616358u	/* "MacX", file:// URL UTF-8 */

/* tapdisk batmap header: one sector right after the sector-padded BAT. */
#define VHD_BMH_COOKIE		0	/* char[8] "tdbatmap" */
#define VHD_BMH_OFFSET		8	/* be64, batmap position */
#define VHD_BMH_SIZE		16	/* be32, sectors */
#define VHD_BMH_VERSION		20	/* be32 */
#define VHD_BMH_CHECKSUM	24	/* be32 */
#define VHD_BMH_MARKER		28	/* u8 */

#define VHD_BATMAP_COOKIE	"tdbatmap"
#define VHD_BATMAP_VERSION_1_1	0x00010001u	/* checksum over signed char */
#define VHD_BATMAP_VERSION_1_2	0x00010002u

/* Version number as stored in creator_version and batmap_version. */
#define VHD_VERSION(major, minor)	(((uint32_t)(major) << 16) | (minor))
/* Newest tapdisk creator version known (blktap VHD_CURRENT_VERSION). */
#define VHD_TAP_CURRENT_VERSION		VHD_VERSION(1, 3)

/* Unix time of the VHD epoch, 2000-01-01 00:00:00 UTC. */
#define VHD_EPOCH_UNIX		946684800LL

/* BAT entries are sector numbers; tapdisk's batmap counts 2 MiB blocks. */
#define VHD_BAT_ENTRY_SIZE	4u
#define VHD_TAP_BLOCK_SHIFT	21

static inline uint16_t vhd_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vhd_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t vhd_be64(const uint8_t *p)
{
	return ((uint64_t)vhd_be32(p) << 32) | vhd_be32(p + 4);
}

static inline void vhd_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void vhd_put_be64(uint8_t *p, uint64_t v)
{
	vhd_put_be32(p, (uint32_t)(v >> 32));
	vhd_put_be32(p + 4, (uint32_t)v);
}

/* Bytes rounded up to whole sectors, at least one (as libvhd pads). */
static inline uint64_t vhd_padded(uint64_t bytes)
{
	uint64_t secs = (bytes + VHD_SECTOR - 1) / VHD_SECTOR;

	return (secs ? secs : 1) * VHD_SECTOR;
}

/* One's complement of the byte sum of @len bytes, skipping 4 at @skip. */
uint32_t vhd_checksum(const uint8_t *buf, size_t len, size_t skip);
/* Batmap sum: version 1.1 summed signed chars, later versions unsigned. */
uint32_t vhd_checksum_batmap(const uint8_t *map, size_t len,
			     uint32_t batmap_version);

#endif /* TAPDISK_ACTIVATE_VHD_FORMAT_H */
