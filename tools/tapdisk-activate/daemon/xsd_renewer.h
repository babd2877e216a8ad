/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Lease renewal off the event loop: one thread per held lease keeps its
 * own lease handle and renews every T/4 (one batched read of leader and
 * own slot, one slot write). Lease storage that hangs blocks only that
 * thread; the event loop reads the thread's last report without waiting
 * and fences by the deadline itself (xsd_machine.c), so a hung renewal
 * can never keep the daemon from stopping a guest's writes.
 *
 * Lifetime: xsd_renewer_start() hands back a renewer the caller owns
 * until xsd_renewer_stop(); after that the caller must not touch it. A
 * thread stuck in I/O is left to finish on its own (it frees itself).
 */
#ifndef TAPDISK_ACTIVATE_XSD_RENEWER_H
#define TAPDISK_ACTIVATE_XSD_RENEWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xsd_renewer;

struct xsd_renew_report {
	int result;		/* LEASE_* of the last attempt; -1: none yet */
	bool gave_up;		/* LOST / NOT_OWNER: renews no more */
	uint64_t valid_until_ns;	/* holding's deadline (owner clock), 0 unknown */
	uint32_t timeout_s;	/* the lease's T once read, else 0 */
	bool timeout_known;
	uint64_t renewals;	/* successful renewals by this thread */
	uint64_t failures;	/* failed attempts by this thread */
	uint64_t busy_since_ns;	/* an attempt (its I/O) runs since; 0 idle */
	char err[256];		/* last failure */
};

/*
 * Starts renewing host @host_id's holding of @lease_spec (PATH[:OFFSET])
 * with @token at @version. Leases that never expire are renewed every
 * @fallback_interval_s. After each attempt one byte is written to
 * @wake_fd (non-blocking; may be -1). 0, or -1 with @err.
 */
int xsd_renewer_start(struct xsd_renewer **out, const char *lease_spec,
		      uint16_t host_id, const char *token, uint64_t version,
		      uint32_t fallback_interval_s, int wake_fd, char *err,
		      size_t errlen);
/* The thread's latest report; never blocks on I/O. */
void xsd_renewer_report(struct xsd_renewer *r, struct xsd_renew_report *rep);
/* Asks the thread to end and lets go of @r. */
void xsd_renewer_stop(struct xsd_renewer *r);

#endif /* TAPDISK_ACTIVATE_XSD_RENEWER_H */
