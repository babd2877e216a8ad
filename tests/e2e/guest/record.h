/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * On-disk record written by the guest workload: one record per 4 KiB block,
 * carrying a globally increasing sequence number and a checksum so that a
 * block holding an older (stale) or torn record can be told apart.
 */
#ifndef XH_RECORD_H
#define XH_RECORD_H

#include <stdint.h>
#include <stddef.h>

#define XH_BLOCK_SIZE 4096u
#define XH_RECORD_MAGIC "XHREC01"

struct xh_record_hdr {
	char magic[8];
	uint64_t run_id;
	uint64_t seq;
	uint32_t block;
	uint32_t reserved;
	uint64_t csum;		/* FNV-1a 64 over the block with csum zeroed */
};

enum xh_record_status {
	XH_REC_VALID,		/* magic, checksum, block and run all match */
	XH_REC_EMPTY,		/* never written by this run (all zero or foreign) */
	XH_REC_CORRUPT,		/* our magic and run, but checksum or block wrong */
};

/* Fill a XH_BLOCK_SIZE buffer with the record for (run_id, block, seq). */
void xh_record_fill(void *buf, uint64_t run_id, uint32_t block, uint64_t seq);

/*
 * Parse a XH_BLOCK_SIZE buffer read back from disk. On XH_REC_VALID,
 * *seq receives the record's sequence number.
 */
enum xh_record_status xh_record_check(const void *buf, uint64_t run_id,
				      uint32_t block, uint64_t *seq);

#endif
