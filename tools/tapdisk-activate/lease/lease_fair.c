// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fairness among waiting contenders (Documentation/lease.rst,
 * "Fairness"): which waiting ticket is alive, and which waiter a release
 * names as successor. Only ever a choice of order: nothing here takes
 * part in a ballot, an expiry or an ownership decision.
 */
#include "lease_internal.h"

#include "lease_timeouts.h"

bool lease_ticket_live(const struct lease_slot_rec *s, uint64_t version)
{
	/* wait_seen is a history position: version L is 2L or 2L + 1. */
	return s->wait_since &&
	       s->wait_seen / 2 + LEASE_WAIT_STALE_VERSIONS >= version;
}

uint16_t lease_pick_successor(struct lease *l, uint16_t self,
			      uint64_t version)
{
	uint16_t best = 0;
	uint64_t best_since = 0;
	unsigned int best_dist = 0;

	if (lease_scan(l)) {
		l->err[0] = 0;
		return self;
	}
	for (uint16_t h = 1; h <= LEASE_MAX_HOSTS; h++) {
		const struct lease_slot_rec *s = &l->slots[h];
		/* Ties: the first host id after ours, round the ring. */
		unsigned int dist = (unsigned int)(h + LEASE_MAX_HOSTS - self) %
				    LEASE_MAX_HOSTS;

		if (h == self || !lease_ticket_live(s, version))
			continue;
		if (!best || s->wait_since < best_since ||
		    (s->wait_since == best_since && dist < best_dist)) {
			best = h;
			best_since = s->wait_since;
			best_dist = dist;
		}
	}
	return best ? best : self;
}
