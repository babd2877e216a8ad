/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Token buckets that bound how often guest-triggered xenstore events make
 * tapdisk-activated do work, per domain. A storm of writes to a frontend
 * key costs the daemon one bucket check per event; the work it would have
 * triggered is deferred to the next periodic sweep, so nothing is lost
 * (the daemon re-reads state, events are only hints).
 */
#ifndef TAPDISK_ACTIVATE_XSD_RATE_H
#define TAPDISK_ACTIVATE_XSD_RATE_H

#include <stdbool.h>
#include <stdint.h>

struct xsd_rate {
	uint32_t domid;
	bool used;
	double tokens;
	uint64_t last_ms;
	uint64_t dropped;	/* events deferred since the last report */
	uint64_t reported_ms;
};

#define XSD_RATE_SLOTS 256

struct xsd_rate_table {
	uint32_t per_s, burst;
	struct xsd_rate slot[XSD_RATE_SLOTS];
};

void xsd_rate_init(struct xsd_rate_table *t, uint32_t per_s, uint32_t burst);
/* True when an event from @domid may trigger work now. */
bool xsd_rate_allow(struct xsd_rate_table *t, uint32_t domid, uint64_t now_ms);
/* Domains with deferred events to report (once per 10 s each); returns the
 * count dropped and clears it, or 0. Iterate with *cursor from 0. */
uint64_t xsd_rate_report(struct xsd_rate_table *t, uint64_t now_ms,
			 unsigned int *cursor, uint32_t *domid);

#endif /* TAPDISK_ACTIVATE_XSD_RATE_H */
