/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What a whole lease area image says, decided in memory: free, held, a
 * ballot pending, or damaged. lease_scan() reads sectors 0..2001 with one
 * O_DIRECT read and hands them here; the fuzz target (tests/fuzz/
 * fuzz_lease.c) feeds hostile images to the same code.
 *
 * Safety rule (Documentation/lease.rst, "Damage is never free"): if any of
 * the leader and slot sectors fails validation, the state is DAMAGED, never
 * FREE, HELD or PENDING, whatever the intact sectors say: a lost slot may
 * be the only record of a chosen owner.
 */
#ifndef TAPDISK_ACTIVATE_LEASE_AREA_H
#define TAPDISK_ACTIVATE_LEASE_AREA_H

#include <stddef.h>
#include <stdint.h>

#include "lease.h"
#include "lease_disk.h"

struct lease_area_view {
	enum lease_state state;		/* FREE, HELD, PENDING or DAMAGED */
	struct lease_leader_rec leader;	/* meaningful unless leader_damaged */
	bool leader_damaged;
	/*
	 * Caller's array of LEASE_MAX_HOSTS + 1 (index 0 unused). A damaged
	 * slot keeps the fields decoded before the failing check (host_id
	 * is set only once its checksum and preamble passed).
	 */
	struct lease_slot_rec *slots;
	unsigned int damaged;		/* damaged sectors */
	uint32_t first_damaged;		/* sector index of the first one */
	uint64_t pending_version;	/* highest slot lver above the leader's */
	char why[256];			/* first damage: sector and field */
};

/*
 * Decodes sectors 1..LEASE_USED_SECTORS-1 of @area (@len bytes from sector
 * 0) with sector size @ss and area @uuid. Returns LEASE_OK or
 * LEASE_DAMAGED (also when @len is too short); @v->state is set either way.
 */
int lease_decode_area(const void *area, size_t len, uint32_t ss,
		      const uint8_t *uuid, struct lease_area_view *v);

/*
 * The same from a raw image starting with the header sector: decodes the
 * header into @hdr first. LEASE_NOT_INITIALIZED if there is no lease header
 * (LEASE_HDR_ABSENT), LEASE_DAMAGED if it has the lease magic but does not
 * validate (LEASE_HDR_DAMAGED); the state is DAMAGED in both cases.
 */
int lease_classify_image(const void *img, size_t len,
			 struct lease_hdr_rec *hdr, struct lease_area_view *v);

#endif /* TAPDISK_ACTIVATE_LEASE_AREA_H */
