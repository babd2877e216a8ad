// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Classification of a whole lease area image (see lease_area.h). */
#include "lease_area.h"

#include <stdio.h>
#include <string.h>

static void note_damage(struct lease_area_view *v, uint32_t index,
			const char *why)
{
	if (!v->damaged++) {
		v->first_damaged = index;
		snprintf(v->why, sizeof(v->why), "%s", why);
	}
}

int lease_decode_area(const void *area, size_t len, uint32_t ss,
		      const uint8_t *uuid, struct lease_area_view *v)
{
	const unsigned char *p = area;
	char why[256];

	memset(&v->leader, 0, sizeof(v->leader));
	v->leader_damaged = false;
	v->damaged = 0;
	v->first_damaged = 0;
	v->pending_version = 0;
	v->why[0] = 0;
	v->state = LEASE_STATE_DAMAGED;
	if ((ss != 512 && ss != 4096) ||
	    len < (size_t)LEASE_USED_SECTORS * ss) {
		memset(v->slots, 0, (LEASE_MAX_HOSTS + 1) * sizeof(*v->slots));
		v->damaged = 1;
		snprintf(v->why, sizeof(v->why), "area truncated");
		return LEASE_DAMAGED;
	}
	if (lease_decode_leader(p + (size_t)LEASE_SECTOR_LEADER * ss, ss, uuid,
				&v->leader, why, sizeof(why))) {
		v->leader_damaged = true;
		note_damage(v, LEASE_SECTOR_LEADER, why);
	}
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		const unsigned char *sec = p + (size_t)LEASE_SECTOR_SLOT(h) * ss;

		if (lease_decode_slot(sec, ss, uuid, h, &v->slots[h], why,
				      sizeof(why)))
			note_damage(v, LEASE_SECTOR_SLOT(h), why);
		if (v->slots[h].host_id == h &&
		    v->slots[h].lver > v->pending_version)
			v->pending_version = v->slots[h].lver;
	}
	if (v->damaged)
		return LEASE_DAMAGED;
	if (v->pending_version <= v->leader.version)
		v->pending_version = 0;
	if (v->pending_version)
		v->state = LEASE_STATE_PENDING;
	else if (v->leader.state == LEASE_LEADER_HELD)
		v->state = LEASE_STATE_HELD;
	else
		v->state = LEASE_STATE_FREE;
	return LEASE_OK;
}

int lease_classify_image(const void *img, size_t len,
			 struct lease_hdr_rec *hdr, struct lease_area_view *v)
{
	int ret = lease_decode_header(img, len, hdr, v->why, sizeof(v->why));

	if (ret) {
		memset(&v->leader, 0, sizeof(v->leader));
		v->leader_damaged = false;
		v->damaged = ret == LEASE_HDR_DAMAGED;
		v->first_damaged = 0;
		v->pending_version = 0;
		v->state = LEASE_STATE_DAMAGED;
		return ret == LEASE_HDR_DAMAGED ? LEASE_DAMAGED :
						  LEASE_NOT_INITIALIZED;
	}
	return lease_decode_area(img, len, hdr->sector_size, hdr->uuid, v);
}
