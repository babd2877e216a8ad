/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * On-disk format of a lease area (Documentation/lease.rst has the byte
 * table). Sector 0 header, sector 1 leader record, sector 1+h host h's
 * slot (h = 1..2000), the rest of the 2048 sectors reserved. Every sector
 * starts with the same 32-byte preamble (magic, format, kind, its own
 * sector index, the area's uuid) and ends with a CRC32C of everything
 * before it, so a torn, stale, misplaced or foreign sector is detected.
 * All integers little-endian. Fields live in the first 512 bytes; the rest
 * of a 4096-byte sector is zero (and covered by the checksum).
 */
#ifndef TAPDISK_ACTIVATE_LEASE_DISK_H
#define TAPDISK_ACTIVATE_LEASE_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lease.h"

#define LEASE_MAGIC		0x534c4858u	/* bytes "XHLS" */
#define LEASE_FORMAT_VERSION	1u
#define LEASE_UUID_LEN		16u

enum lease_kind {
	LEASE_KIND_HEADER = 1,
	LEASE_KIND_LEADER = 2,
	LEASE_KIND_SLOT = 3,
};

#define LEASE_SECTOR_HEADER	0u
#define LEASE_SECTOR_LEADER	1u
#define LEASE_SECTOR_SLOT(h)	(1u + (uint32_t)(h))
/* Sectors 0..LEASE_USED_SECTORS-1 are read by a full scan. */
#define LEASE_USED_SECTORS	(2u + LEASE_MAX_HOSTS)

/* Preamble offsets (every sector). */
#define LD_MAGIC	0	/* u32 */
#define LD_FORMAT	4	/* u16 */
#define LD_KIND		6	/* u8 */
#define LD_RSVD0	7	/* u8, 0 */
#define LD_INDEX	8	/* u32 sector index within the area */
#define LD_RSVD1	12	/* u32, 0 */
#define LD_UUID		16	/* 16 bytes */
#define LD_BODY		32
#define LD_RECORD_END	508	/* fields end before a 512-byte sector crc */

/* Header body. */
#define LH_SECTOR_SIZE	32	/* u32 */
#define LH_MAX_HOSTS	36	/* u32 */
#define LH_AREA_SECTORS	40	/* u32 */
#define LH_TIMEOUT	44	/* u32 seconds, 0 = never expires */
#define LH_CREATED	48	/* u64 unix seconds (information only) */
#define LH_VERSION_FLOOR 56	/* u64 versions start above this */
#define LH_END		64

/* Leader body. */
#define LL_VERSION	32	/* u64 */
#define LL_STATE	40	/* u32 0 free, 1 held */
#define LL_TIMEOUT	44	/* u32 */
#define LL_OWNER_ID	48	/* u16 */
#define LL_SUCCESSOR	50	/* u16 */
#define LL_WRITER_ID	52	/* u16 host that wrote this record */
#define LL_FLAGS	54	/* u16 */
#define LL_BALLOT	56	/* u64 ballot that chose the owner */
#define LL_WRITTEN_MS	64	/* u64 writer's wall clock (information) */
#define LL_OWNER_NAME	72	/* 64 bytes */
#define LL_OWNER_TOKEN	136	/* 64 bytes */
#define LL_OWNER_NONCE	200	/* u64 the owner's acquire call */
#define LL_END		208

/* Host slot body. */
#define LS_HOST_ID	32	/* u16 == sector index - 1 */
#define LS_INP_ID	34	/* u16 proposed owner host id, 0 if none */
#define LS_RSVD		36	/* u32, 0 */
#define LS_LVER		40	/* u64 version this ballot is for */
#define LS_MBAL		48	/* u64 highest ballot started */
#define LS_BAL		56	/* u64 ballot of the proposal below */
#define LS_RENEWALS	64	/* u64 owner's renewal counter */
#define LS_WRITTEN_MS	72	/* u64 writer's wall clock (information) */
#define LS_INP_NAME	80	/* 64 bytes proposed owner's host name */
#define LS_INP_TOKEN	144	/* 64 bytes proposed owner's token */
#define LS_WRITER_NAME	208	/* 64 bytes host that uses this id */
#define LS_INP_NONCE	272	/* u64 proposed owner's acquire call */
/*
 * Waiting ticket (fairness only, never read by a ballot): where in the
 * lease's history this host began waiting, as a position 2L (version L
 * held) or 2L + 1 (version L released), 0 when it is not waiting; and the
 * newest position it has seen since, which shows the ticket is alive (a
 * killed waiter stops updating it).
 */
#define LS_WAIT_SINCE	280	/* u64 */
#define LS_WAIT_SEEN	288	/* u64 >= wait_since; 0 iff wait_since is 0 */
#define LS_END		296

#define LEASE_LEADER_FREE	0u
#define LEASE_LEADER_HELD	1u
#define LEASE_LEADER_FLAG_BROKEN 0x1u	/* last change was break --force */
/*
 * Free leader only: the holder of this version released it stating that
 * it wrote nothing to the VDI while it held it (lease_release_clean).
 */
#define LEASE_LEADER_FLAG_CLEAN	0x2u
#define LEASE_LEADER_FLAGS_KNOWN (LEASE_LEADER_FLAG_BROKEN | \
				  LEASE_LEADER_FLAG_CLEAN)

struct lease_hdr_rec {
	uint32_t sector_size;
	uint32_t max_hosts;
	uint32_t area_sectors;
	uint32_t timeout_s;
	uint64_t created_unix_s;
	uint64_t version_floor;
	uint8_t uuid[LEASE_UUID_LEN];
};

/*
 * A proposed or actual owner. The nonce is random per acquire call: a
 * caller only takes a version its own call proposed, never one a former
 * call with the same token left behind (its validity would start too late).
 */
struct lease_value {
	uint16_t host_id;
	char host_name[LEASE_NAME_LEN];
	char token[LEASE_TOKEN_LEN];
	uint64_t nonce;
};

struct lease_leader_rec {
	uint64_t version;
	uint32_t state;
	uint32_t timeout_s;
	uint16_t successor_host_id;
	uint16_t writer_host_id;
	uint16_t flags;
	uint64_t ballot;
	uint64_t written_unix_ms;
	struct lease_value owner;
};

struct lease_slot_rec {
	uint16_t host_id;
	uint64_t lver;
	uint64_t mbal;
	uint64_t bal;
	uint64_t renewals;
	uint64_t written_unix_ms;
	struct lease_value inp;
	char writer_name[LEASE_NAME_LEN];
	uint64_t wait_since;	/* LS_WAIT_SINCE, 0: not waiting */
	uint64_t wait_seen;	/* LS_WAIT_SEEN */
};

/* Same acquire call (nonce included). */
bool lease_value_equal(const struct lease_value *a,
		       const struct lease_value *b);
/* Same holder: host id, host name and token. */
bool lease_value_same_holder(const struct lease_value *a,
			     const struct lease_value *b);

/* Encoders fill a whole zeroed sector of @ss bytes, checksum included. */
void lease_encode_header(void *sec, uint32_t ss,
			 const struct lease_hdr_rec *h);
void lease_encode_leader(void *sec, uint32_t ss, const uint8_t *uuid,
			 const struct lease_leader_rec *r);
void lease_encode_slot(void *sec, uint32_t ss, const uint8_t *uuid,
		       const struct lease_slot_rec *r);

/*
 * Decoders validate everything (checksum, preamble, each field) and return
 * 0, or -1 with a message naming the sector and field in @why.
 *
 * The header decoder tells two failures apart: LEASE_HDR_ABSENT, no lease
 * header here (too short, all zeroes, no lease magic, or an intact header
 * of another format version: not ours to read), and LEASE_HDR_DAMAGED, the
 * lease magic is there but the checksum or a field is wrong (torn,
 * overwritten, bit rot): a lease may live here and cannot be read.
 */
#define LEASE_HDR_ABSENT	(-1)
#define LEASE_HDR_DAMAGED	(-2)
int lease_decode_header(const void *sec, size_t avail,
			struct lease_hdr_rec *h, char *why, size_t whylen);
int lease_decode_leader(const void *sec, uint32_t ss, const uint8_t *uuid,
			struct lease_leader_rec *r, char *why, size_t whylen);
int lease_decode_slot(const void *sec, uint32_t ss, const uint8_t *uuid,
		      uint16_t host_id, struct lease_slot_rec *r,
		      char *why, size_t whylen);

/*
 * Does @area (@avail bytes from sector 0) look like a lease area, valid or
 * not: the lease magic in the header or in the leader sector for either
 * sector size? init refuses to overwrite such an area without --force even
 * when its header does not validate (torn, garbage or a newer format).
 */
bool lease_area_claimed(const void *area, size_t avail);

/*
 * Ballot numbers are round * LEASE_MAX_HOSTS + host id, so every host's
 * ballots are its own. Round 0 (1..2000) is only used by the successor a
 * release designated (fast path), rounds >= 1 by everyone.
 */
static inline uint16_t lease_ballot_host(uint64_t ballot)
{
	return (uint16_t)((ballot - 1) % LEASE_MAX_HOSTS + 1);
}

static inline uint64_t lease_ballot_round(uint64_t ballot)
{
	return (ballot - 1) / LEASE_MAX_HOSTS;
}

static inline uint64_t lease_ballot(uint64_t round, uint16_t host_id)
{
	return round * LEASE_MAX_HOSTS + host_id;
}

#endif /* TAPDISK_ACTIVATE_LEASE_DISK_H */
