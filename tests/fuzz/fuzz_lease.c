// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target: the lease sector decoders (header, leader, host slot)
 * and lease_classify_image(), which decides free / held / pending /
 * damaged from a whole area image in memory (the code lease_scan() runs
 * on every O_DIRECT scan).
 *
 * Input: the first sectors of a lease area as they would lie on storage,
 * starting with the header. Sectors the input does not cover are filled
 * as a fresh init writes them (leader free at version 0, every slot empty)
 * with the uuid and sector size the input's header claims, so short inputs
 * still reach the classification of a full 2002-sector area.
 *
 * Safety property, checked here with an independent oracle (own CRC32C
 * table, raw byte offsets from Documentation/lease.rst, not the decoder):
 *   A sector is "intact" iff its stored CRC32C equals the CRC32C of bytes
 *   0..S-5, magic is XHLS, format is 1, kind and sector index are those
 *   of its position and the uuid is the header's. Then:
 *   P1 a single-sector decoder that accepts a sector implies it is intact;
 *   P2 if any leader or slot sector is not intact (torn write, garbage,
 *      unknown format, stray or foreign sector), the classifier returns
 *      LEASE_DAMAGED and state DAMAGED: never FREE, HELD or PENDING;
 *   P3 FREE only if the leader's raw state is 0 and no slot's raw lver is
 *      above the leader's raw version (no ballot that may have chosen an
 *      owner); HELD only if the raw state is 1 with a nonzero owner id.
 * A violation abort()s: those are exactly the answers that could admit a
 * second owner.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lease/lease_area.h"
#include "lease/lease_disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SS		4096u
#define IMG_MAX		((size_t)LEASE_USED_SECTORS * MAX_SS)

static unsigned char *img;		/* the image classified */
static unsigned char *filler;		/* fresh-init sectors for (fss, fuuid) */
static uint32_t filler_ss;
static bool checked[2];
static uint8_t filler_uuid[LEASE_UUID_LEN];
static struct lease_slot_rec slots[LEASE_MAX_HOSTS + 1];
static uint32_t oracle_table[256];

static uint32_t oracle_crc32c(const unsigned char *p, size_t len)
{
	uint32_t crc = ~0u;

	if (!oracle_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (c & 1 ? 0x82f63b78u : 0);
			oracle_table[i] = c;
		}
	while (len--)
		crc = oracle_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint64_t le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static int kind_at(uint32_t index)
{
	return index == 0 ? LEASE_KIND_HEADER :
	       index == 1 ? LEASE_KIND_LEADER : LEASE_KIND_SLOT;
}

static int intact(const unsigned char *sec, uint32_t ss, uint32_t index,
		  const uint8_t *uuid)
{
	return le(sec + ss - 4, 4) == oracle_crc32c(sec, ss - 4) &&
	       le(sec, 4) == 0x534c4858u && le(sec + 4, 2) == 1 &&
	       sec[6] == kind_at(index) && le(sec + 8, 4) == index &&
	       !memcmp(sec + 16, uuid, LEASE_UUID_LEN);
}

/* Fresh-init sectors 1..2001 for this sector size and uuid (cached). */
static void build_filler(uint32_t ss, const uint8_t *uuid)
{
	struct lease_leader_rec leader = { 0 };

	if (filler_ss == ss && !memcmp(filler_uuid, uuid, LEASE_UUID_LEN))
		return;
	lease_encode_leader(filler + LEASE_SECTOR_LEADER * ss, ss, uuid,
			    &leader);
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		struct lease_slot_rec s = { .host_id = h };

		lease_encode_slot(filler + (size_t)LEASE_SECTOR_SLOT(h) * ss, ss,
				  uuid, &s);
	}
	/* The filler must itself be intact, or P2 below would be vacuous
	 * (checked for the first uuid of each size: the encoder is the same). */
	if (!checked[ss == 4096])
		for (uint32_t i = 1; i < LEASE_USED_SECTORS; i++)
			if (!intact(filler + (size_t)i * ss, ss, i, uuid))
				abort();
	checked[ss == 4096] = true;
	filler_ss = ss;
	memcpy(filler_uuid, uuid, LEASE_UUID_LEN);
}

/* P1 on every sector of the input, as each kind, for both sizes. */
static void check_sector_decoders(const uint8_t *data, size_t size,
				  const uint8_t *uuid)
{
	struct lease_hdr_rec h;
	struct lease_leader_rec ld;
	struct lease_slot_rec s;
	char why[256];

	if (!lease_decode_header(data, size, &h, why, sizeof(why)) &&
	    !intact(data, h.sector_size, 0, h.uuid))
		abort();
	for (uint32_t ss = 512; ss <= MAX_SS; ss *= 8)
		for (uint32_t i = 1; (size_t)(i + 1) * ss <= size && i < 64;
		     i++) {
			const unsigned char *sec = data + (size_t)i * ss;

			if (i == 1) {
				if (!lease_decode_leader(sec, ss, uuid, &ld, why,
							 sizeof(why)) &&
				    !intact(sec, ss, 1, uuid))
					abort();
				continue;
			}
			if (!lease_decode_slot(sec, ss, uuid, (uint16_t)(i - 1),
					       &s, why, sizeof(why)) &&
			    !intact(sec, ss, i, uuid))
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lease_area_view v = { .slots = slots };
	struct lease_hdr_rec hdr;
	uint8_t uuid[LEASE_UUID_LEN] = { 0 };
	uint32_t ss = 512;
	size_t covered, len;
	bool any_bad = false;
	uint64_t raw_version, top_lver = 0;
	int ret;

	if (!img) {
		img = malloc(IMG_MAX);
		filler = malloc(IMG_MAX);
		if (!img || !filler)
			abort();
	}
	if (size >= 512) {
		memcpy(uuid, data + 16, LEASE_UUID_LEN);
		if (le(data + 32, 4) == 4096)
			ss = 4096;
	}
	check_sector_decoders(data, size, uuid);

	build_filler(ss, uuid);
	len = (size_t)LEASE_USED_SECTORS * ss;
	covered = size < len ? size : len;
	/* Whole sectors from the input; a partial last one is the input's
	 * bytes over the filler (a torn write of that sector). */
	memcpy(img, filler, len);
	memcpy(img, data, covered);

	ret = lease_classify_image(img, len, &hdr, &v);
	/* No lease header, or ours but invalid (damaged, never free). */
	if (ret == LEASE_NOT_INITIALIZED ||
	    (ret == LEASE_DAMAGED && v.damaged == 1 && v.first_damaged == 0)) {
		if (v.state != LEASE_STATE_DAMAGED)
			abort();
		/* Damage is claimed only under the lease magic. */
		if (ret == LEASE_DAMAGED && le(img, 4) != 0x534c4858u)
			abort();
		return 0;
	}
	if (hdr.sector_size != ss || memcmp(hdr.uuid, uuid, LEASE_UUID_LEN) ||
	    !intact(img, ss, 0, uuid))
		abort();

	/* The oracle's view; sectors beyond the input are intact filler. */
	for (uint32_t i = 1; i < LEASE_USED_SECTORS &&
			     (size_t)i * ss < covered; i++) {
		const unsigned char *sec = img + (size_t)i * ss;

		if (!intact(sec, ss, i, uuid))
			any_bad = true;
	}
	raw_version = le(img + ss + 32, 8);
	/* Filler slots have lver 0. */
	for (uint32_t i = 2; i < LEASE_USED_SECTORS &&
			     (size_t)i * ss < covered; i++) {
		uint64_t lver = le(img + (size_t)i * ss + 40, 8);

		if (lver > top_lver)
			top_lver = lver;
	}

	if (any_bad && (ret != LEASE_DAMAGED || v.state != LEASE_STATE_DAMAGED))
		abort();					/* P2 */
	if ((ret == LEASE_OK) == (v.state == LEASE_STATE_DAMAGED))
		abort();
	switch (v.state) {
	case LEASE_STATE_FREE:					/* P3 */
		if (le(img + ss + 40, 4) != LEASE_LEADER_FREE ||
		    top_lver > raw_version)
			abort();
		break;
	case LEASE_STATE_HELD:
		if (le(img + ss + 40, 4) != LEASE_LEADER_HELD ||
		    !le(img + ss + 48, 2) || top_lver > raw_version)
			abort();
		break;
	case LEASE_STATE_PENDING:
		if (top_lver <= raw_version || v.pending_version != top_lver)
			abort();
		break;
	case LEASE_STATE_DAMAGED:
		if (!v.damaged || !v.why[0])
			abort();
		break;
	}
	return 0;
}
