// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Proof of the leases this host holds, and what happens when it is gone.
 *
 * Every attachment that holds its VDI's lease has a renewal thread
 * (xsd_renewer.c); each turn of the event loop reads its report without
 * waiting and keeps the attachment's deadline (valid_until_ns, on the
 * owner's clock). A holder that cannot prove its lease in time is fenced
 * here, in this order: the domain is paused (one hypercall), the backend
 * is stopped by a bounded `tapdisk-activate fence` job (no lease I/O),
 * and only then is LEASE-LOST raised. The fence must be confirmed (job
 * exit 0) before the deadline; if not, the watchdog is no longer fed and
 * resets the host before another host may take over. Timeline and
 * inequalities: Documentation/lease.rst, "Fencing".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lease/lease.h"
#include "xsd_daemon.h"
#include "xsd_renewer.h"

/* A holding whose deadline is not known (a record from before this
 * version, or a kill before the record was written) may be past it
 * already: a renewal must prove it within this, or it is fenced. */
#define XSD_PROOF_WAIT_MS	2000u

/* The attachment holds the lease and its renewal thread keeps it. */
static bool renews(const struct xsd_att *a)
{
	switch (a->state) {
	case XSD_ATT_ACTIVE:
	case XSD_ATT_DRAINING:
	case XSD_ATT_DEACTIVATING:
		return a->has_version;
	case XSD_ATT_FAILED:
		return a->has_version &&
		       a->failed_from == XSD_ATT_DEACTIVATING;
	default:
		return false;
	}
}

static uint32_t watchdog_s(const struct xsd_daemon *d)
{
	return d->wd.fd >= 0 ? d->wd.timeout_s : 0;
}

/* How long before its deadline a holding without new proof is fenced. */
static uint64_t lead_ms(const struct xsd_daemon *d, const struct xsd_att *a)
{
	return lease_fence_lead_ms(a->timeout_known ? a->lease_timeout_s :
				   LEASE_MAX_TIMEOUT_S, watchdog_s(d));
}

static void stop_renewer(struct xsd_att *a)
{
	if (!a->renewer)
		return;
	xsd_renewer_stop(a->renewer);
	a->renewer = NULL;
}

static void start_renewer(struct xsd_daemon *d, struct xsd_att *a,
			  uint64_t now)
{
	char spec[XSD_PATH_MAX + 16], err[256];

	if (a->vdi.lease[0])
		snprintf(spec, sizeof(spec), "%s", a->vdi.lease);
	else if (lease_sidecar_path(a->vdi.image, spec, sizeof(spec)))
		spec[0] = '\0';
	if (!spec[0] ||
	    xsd_renewer_start(&a->renewer, spec, (uint16_t)d->cfg.host_id,
			      a->token[0] ? a->token : LEASE_HANDOVER_TOKEN,
			      a->version, d->cfg.renew_interval_s, d->wake_wr,
			      err, sizeof(err))) {
		/* Retried next turn; the deadline check still runs. */
		xsd_log("error", "VDI %s: cannot renew its lease: %s",
			a->vdi.name, spec[0] ? err : "lease path too long");
		a->renewer = NULL;
	}
	a->renewer_start_ms = now;
	a->renew_failures = 0;
}

void xsd_fence(struct xsd_daemon *d, struct xsd_att *a, const char *code,
	       const char *why, uint64_t now)
{
	bool paused, job;

	stop_renewer(a);
	/* 1. Stop the writes: the guest first, then its backend. */
	paused = !a->manual && !d->hyp.pause(&d->hyp, a->domid);
	a->fence_lease = true;
	a->fence_confirmed = false;
	job = !xsd_start_job(d, a, XSD_ATT_FENCED, now);
	if (!job)
		xsd_set_state(d, a, XSD_ATT_FENCED, now);
	/* 2. Then tell. */
	xsd_alert(d, a, code, "%s: another host may take this VDI. %s; %s; "
		  "see operator-guide '%s'", why,
		  a->manual ? "No domain to pause" :
		  paused ? "Domain paused" :
		  "Could not pause the domain: destroy it now",
		  job ? "stopping the backend" :
		  "could not start stopping the backend", code);
}

/* Renewals are failing or hanging: say so, at the pace they fail. */
static void note_failure(const struct xsd_daemon *d, struct xsd_att *a,
			 const struct xsd_renew_report *r)
{
	if (r->failures == a->renew_failures)
		return;
	a->renew_failures = r->failures;
	xsd_log("warning", "VDI %s: lease renewal failed: %s (retrying; "
		"fenced %.1f s before the deadline)", a->vdi.name, r->err,
		(double)lead_ms(d, a) / 1000.0);
}

static void absorb(struct xsd_daemon *d, struct xsd_att *a,
		   const struct xsd_renew_report *r)
{
	if (r->timeout_known) {
		a->lease_timeout_s = r->timeout_s;
		a->timeout_known = true;
	}
	if (r->valid_until_ns && r->valid_until_ns != a->valid_until_ns) {
		a->valid_until_ns = r->valid_until_ns;
		xsd_store_valid_until(d, a);	/* for the next instance */
	}
	note_failure(d, a, r);
}

/* Why the holding of @a must be fenced now, or NULL. */
static const char *lost_proof(struct xsd_daemon *d, struct xsd_att *a,
			      const struct xsd_renew_report *r, uint64_t now,
			      char *why, size_t len, const char **code)
{
	uint64_t now_ns = lease_owner_now_ns(), lead = lead_ms(d, a);

	*code = "LEASE-LOST";
	if (a->timeout_known && !a->timing_warned &&
	    !lease_fence_timing_ok(a->lease_timeout_s, watchdog_s(d))) {
		/* Not unsafe, fragile: one slow renewal already fences. */
		a->timing_warned = true;
		xsd_alert(d, a, "LEASE-TIMING", "the lease timeout %u s is too "
			  "short for watchdog-timeout %u s: the guest is fenced "
			  "as soon as one renewal is late (a lease needs at "
			  "least %u s); re-initialise the lease with a longer "
			  "--timeout or shorten watchdog-timeout",
			  a->lease_timeout_s, watchdog_s(d),
			  lease_min_timeout_s(watchdog_s(d)));
	}
	if (r->gave_up) {
		snprintf(why, len, "%s", r->err);
		return why;
	}
	if (!a->valid_until_ns) {
		if (now - a->renewer_start_ms < XSD_PROOF_WAIT_MS)
			return NULL;
		snprintf(why, len, "no renewal proved the lease within %u s "
			 "of taking it over (%s)", XSD_PROOF_WAIT_MS / 1000u,
			 r->err[0] ? r->err : "no answer from its storage");
		return why;
	}
	if (a->valid_until_ns == UINT64_MAX ||
	    now_ns + lead * 1000000u < a->valid_until_ns)
		return NULL;
	if (r->busy_since_ns)
		snprintf(why, len, "no renewal succeeded before the lease's "
			 "deadline: one has waited for its lease I/O for "
			 "%.1f s (last error: %s)",
			 (double)(now_ns - r->busy_since_ns) / 1e9,
			 r->err[0] ? r->err : "none");
	else
		snprintf(why, len, "no renewal succeeded before the lease's "
			 "deadline (last error: %s)",
			 r->err[0] ? r->err : "none");
	return why;
}

void xsd_lease_track(struct xsd_daemon *d, struct xsd_att *a, uint64_t now)
{
	struct xsd_renew_report r;
	const char *code;
	char why[400];

	if (!renews(a)) {
		stop_renewer(a);
		return;
	}
	if (!a->renewer)
		start_renewer(d, a, now);
	memset(&r, 0, sizeof(r));
	if (a->renewer)
		xsd_renewer_report(a->renewer, &r);
	else
		snprintf(r.err, sizeof(r.err), "no renewal thread");
	absorb(d, a, &r);
	/* A deactivate in progress stops the backend and releases itself:
	 * what it does is what a fence would do. */
	if (a->job || a->state == XSD_ATT_DEACTIVATING)
		return;
	if (lost_proof(d, a, &r, now, why, sizeof(why), &code))
		xsd_fence(d, a, code, why, now);
}

void xsd_lease_forget(struct xsd_att *a)
{
	stop_renewer(a);
}

bool xsd_lease_host_safe(const struct xsd_daemon *d, char *why, size_t len)
{
	uint64_t now_ns = lease_owner_now_ns();
	uint64_t feed_ns = lease_watchdog_feed_ms(watchdog_s(d)) * 1000000u;

	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		const struct xsd_att *a = &d->att[i];
		bool unconfirmed = a->state == XSD_ATT_FENCED &&
				   a->fence_lease && !a->fence_confirmed;

		if (!a->used || !(renews(a) || unconfirmed) ||
		    a->valid_until_ns == UINT64_MAX)
			continue;
		if (!a->valid_until_ns && !unconfirmed)
			continue;	/* being proved (XSD_PROOF_WAIT_MS) */
		if (a->valid_until_ns && now_ns + feed_ns < a->valid_until_ns)
			continue;
		snprintf(why, len, "VDI %s (domain %u disk %u) %s and its "
			 "lease's deadline is %s", a->vdi.name, a->domid,
			 a->devid, unconfirmed ? "is not confirmed fenced" :
			 "has no new proof of its lease",
			 a->valid_until_ns && now_ns < a->valid_until_ns ?
			 "near" : "past or unknown");
		return false;
	}
	return true;
}

bool xsd_lease_any_held(const struct xsd_daemon *d)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		const struct xsd_att *a = &d->att[i];

		if (a->used && (renews(a) || a->state == XSD_ATT_ACTIVATING ||
				a->state == XSD_ATT_REACTIVATING ||
				(a->state == XSD_ATT_FENCED && a->fence_lease &&
				 !a->fence_confirmed)))
			return true;
	}
	return false;
}
