// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "record.h"

#include <string.h>

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t block_csum(const unsigned char *buf)
{
	unsigned char copy[XH_BLOCK_SIZE];

	memcpy(copy, buf, sizeof(copy));
	memset(copy + offsetof(struct xh_record_hdr, csum), 0, sizeof(uint64_t));
	return fnv1a64(copy, sizeof(copy));
}

void xh_record_fill(void *buf, uint64_t run_id, uint32_t block, uint64_t seq)
{
	unsigned char *p = buf;
	struct xh_record_hdr h;
	/* Payload varies with seq so a torn write mixing two records fails the checksum. */
	uint64_t x = seq * 0x9e3779b97f4a7c15ull ^ ((uint64_t)block << 32) ^ run_id;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, XH_RECORD_MAGIC, sizeof(h.magic));
	h.run_id = run_id;
	h.seq = seq;
	h.block = block;
	for (size_t off = sizeof(h); off + sizeof(x) <= XH_BLOCK_SIZE; off += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + off, &x, sizeof(x));
	}
	memcpy(p, &h, sizeof(h));
	h.csum = block_csum(p);
	memcpy(p + offsetof(struct xh_record_hdr, csum), &h.csum, sizeof(h.csum));
}

enum xh_record_status xh_record_check(const void *buf, uint64_t run_id,
				      uint32_t block, uint64_t *seq)
{
	struct xh_record_hdr h;

	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, XH_RECORD_MAGIC, sizeof(h.magic)) != 0 || h.run_id != run_id)
		return XH_REC_EMPTY;
	if (h.block != block || h.csum != block_csum(buf))
		return XH_REC_CORRUPT;
	*seq = h.seq;
	return XH_REC_VALID;
}
