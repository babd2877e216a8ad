// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Per-domain token buckets (see xsd_rate.h). */
#include <string.h>

#include "xsd_rate.h"

void xsd_rate_init(struct xsd_rate_table *t, uint32_t per_s, uint32_t burst)
{
	memset(t, 0, sizeof(*t));
	t->per_s = per_s;
	t->burst = burst;
}

static struct xsd_rate *slot_for(struct xsd_rate_table *t, uint32_t domid,
				 uint64_t now_ms)
{
	struct xsd_rate *free_slot = NULL, *oldest = NULL;

	for (unsigned int i = 0; i < XSD_RATE_SLOTS; i++) {
		struct xsd_rate *r = &t->slot[i];

		if (r->used && r->domid == domid)
			return r;
		if (!r->used && !free_slot)
			free_slot = r;
		if (r->used && (!oldest || r->last_ms < oldest->last_ms))
			oldest = r;
	}
	/* More noisy domains than slots: recycle the quietest one. */
	if (!free_slot)
		free_slot = oldest;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->domid = domid;
	free_slot->tokens = t->burst;
	free_slot->last_ms = now_ms;
	return free_slot;
}

bool xsd_rate_allow(struct xsd_rate_table *t, uint32_t domid, uint64_t now_ms)
{
	struct xsd_rate *r = slot_for(t, domid, now_ms);

	if (now_ms > r->last_ms) {
		r->tokens += (double)(now_ms - r->last_ms) * t->per_s / 1000.0;
		if (r->tokens > t->burst)
			r->tokens = t->burst;
	}
	r->last_ms = now_ms;
	if (r->tokens >= 1.0) {
		r->tokens -= 1.0;
		return true;
	}
	r->dropped++;
	return false;
}

uint64_t xsd_rate_report(struct xsd_rate_table *t, uint64_t now_ms,
			 unsigned int *cursor, uint32_t *domid)
{
	while (*cursor < XSD_RATE_SLOTS) {
		struct xsd_rate *r = &t->slot[(*cursor)++];
		uint64_t n;

		if (!r->used || !r->dropped ||
		    (r->reported_ms && now_ms - r->reported_ms < 10000))
			continue;
		n = r->dropped;
		r->dropped = 0;
		r->reported_ms = now_ms;
		*domid = r->domid;
		return n;
	}
	return 0;
}
