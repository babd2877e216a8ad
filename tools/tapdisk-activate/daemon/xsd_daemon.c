// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tapdisk-activated main loop: xenstore watches, backend and request-tree
 * scans, job supervision, periodic sweep (domain state, renewals, retries).
 *
 * Watches and what they are trusted for:
 *   @releaseDomain, domain table   dom0/hypervisor: "re-check domains"
 *   <backend root>                 dom0-written: which disks are ours
 *   /vdi-handover                  dom0-only: the request tree
 *   frontend state, drain-state    guest-written: only a hint to look
 *                                  again, rate-limited per domain
 * An event never carries data the daemon acts on; it re-reads and parses.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/exitcodes.h"
#include "common/clock.h"
#include "lease/lease.h"
#include "xen-handover/xenstore-keys.h"
#include "xsd_daemon.h"

/* Events handled per loop turn before timers and jobs get a chance. */
#define XSD_EVENTS_PER_TURN	4096u
#define XSD_SWEEP_MS		1000u

static struct xsd_att *find_att(struct xsd_daemon *d, uint32_t domid,
				uint32_t devid, bool manual, const char *vdi)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		struct xsd_att *a = &d->att[i];

		if (!a->used || a->manual != manual)
			continue;
		if (manual ? !strcmp(a->vdi.name, vdi) :
		    (a->domid == domid && a->devid == devid))
			return a;
	}
	return NULL;
}

static void fe_watch(struct xsd_daemon *d, struct xsd_att *a, bool on)
{
	static const char *const keys[] = { "state", XH_KEY_DRAIN_STATE };
	char p[128], tok[48];

	if (a->manual || a->fe_watched == on)
		return;
	snprintf(tok, sizeof(tok), "fe:%u:%u", a->domid, a->devid);
	for (unsigned int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "/local/domain/%u/device/vbd/%u/%s",
			 a->domid, a->devid, keys[i]);
		if (on)
			xsd_xs_watch(&d->xs, p, tok);
		else
			xsd_xs_unwatch(&d->xs, p, tok);
	}
	a->fe_watched = on;
}

static void drop_att(struct xsd_daemon *d, struct xsd_att *a)
{
	char vdi[XSD_VDI_NAME_MAX + 1];

	snprintf(vdi, sizeof(vdi), "%s", a->vdi.name);
	xsd_log("info", "VDI %s domain %u disk %u: forgotten (%s)",
		a->vdi.name, a->domid, a->devid, xsd_att_state_name(a->state));
	fe_watch(d, a, false);
	xsd_lease_forget(a);
	xsd_store_forget(d, a);
	if (a->job)
		xsd_job_abort(a->job);
	free(a->job);
	memset(a, 0, sizeof(*a));
	/* The VDI's summary keys follow a disk that is still here. */
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		struct xsd_att *o = &d->att[i];

		if (o->used && !strcmp(o->vdi.name, vdi)) {
			xsd_store_att(d, o);
			break;
		}
	}
}

/* Feeds the watchdog only while no held lease is near its deadline
 * without proof or an unconfirmed fence (xsd_fence.c). */
static void feed_watchdog(struct xsd_daemon *d, uint64_t now)
{
	char why[300] = "";
	bool safe = xsd_lease_host_safe(d, why, sizeof(why));

	xsd_watchdog_tick(&d->wd, safe, why, now);
}

/*
 * After a restart: the xenstore record says where the attachment was; the
 * lease says what actually happened to a step that was running.
 */
static void recover(struct xsd_daemon *d, struct xsd_att *a, uint64_t now)
{
	enum xsd_att_state was;
	bool held = false, known = false;
	uint16_t owner = 0;
	char token[64] = "", err[256];
	uint64_t version = 0;
	uint32_t timeout_s = 0;

	if (xsd_store_recall(d, a)) {
		xsd_store_att(d, a);	/* new disk: publish it idle */
		return;
	}
	was = a->state;
	if (d->lease.status) {
		known = !d->lease.status(&a->vdi, &held, &owner, token,
					 sizeof(token), &version, &timeout_s,
					 err, sizeof(err));
		if (!known)
			xsd_log("warning", "VDI %s: %s", a->vdi.name, err);
		/* T sets how long before the recorded deadline a holding
		 * without new proof is fenced; unknown, the largest lead
		 * applies (2 s + watchdog) and a restart with less than that
		 * left fenced before its renewal thread could report. */
		a->lease_timeout_s = timeout_s;
		a->timeout_known = known;
		/* A recovery that waited for storage still feeds it. */
		feed_watchdog(d, clock_now_ms());
	}
	if (known && held && owner == d->cfg.host_id &&
	    (!a->token[0] || !strcmp(a->token, token))) {
		/* We hold it, whatever step was cut short. */
		if (was != XSD_ATT_FENCED) {
			a->state = XSD_ATT_ACTIVE;
			a->version = version;
			a->has_version = true;
			snprintf(a->token, sizeof(a->token), "%s", token);
		}
	} else if (known) {
		/* The lease is not ours: a cut-short release completed. */
		switch (was) {
		case XSD_ATT_ACTIVE: {
			bool paused;

			if (!held && owner == d->cfg.host_id) {
				/* Released by us meanwhile (block-handover's
				 * fallback while the daemon was down). */
				a->state = XSD_ATT_RELEASED;
				a->version = version;
				a->has_version = true;
				break;
			}
			paused = !a->manual && !d->hyp.pause(&d->hyp, a->domid);

			xsd_alert(d, a, "LEASE-LOST", "recorded active but the "
				  "lease is %s by host %u, not by this host. "
				  "%s", held ? "held" : "last held", owner,
				  paused ? "Domain paused" : "Domain not paused");
			a->state = XSD_ATT_FENCED;
			break;
		}
		case XSD_ATT_DRAINING:
		case XSD_ATT_DEACTIVATING:
		case XSD_ATT_REACTIVATING:
			a->state = XSD_ATT_RELEASED;
			break;
		case XSD_ATT_ACTIVATING:
		case XSD_ATT_FAILED:
			a->state = XSD_ATT_IDLE;
			break;
		default:
			break;
		}
	} else {
		/* No lease access: redo the step that was cut short. */
		switch (was) {
		case XSD_ATT_DRAINING:
		case XSD_ATT_DEACTIVATING:
			a->state = XSD_ATT_ACTIVE;	/* domain re-checked */
			break;
		case XSD_ATT_REACTIVATING:
			a->state = XSD_ATT_RELEASED;
			break;
		case XSD_ATT_ACTIVATING:
		case XSD_ATT_FAILED:
			a->state = XSD_ATT_IDLE;
			break;
		default:
			break;
		}
	}
	xsd_log("info", "VDI %s domain %u disk %u: recovered %s -> %s%s",
		a->vdi.name, a->domid, a->devid, xsd_att_state_name(was),
		xsd_att_state_name(a->state),
		known ? "" : " (lease status not available)");
	xsd_set_state(d, a, a->state, now);
}

static struct xsd_att *new_att(struct xsd_daemon *d)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
		if (!d->att[i].used) {
			memset(&d->att[i], 0, sizeof(d->att[i]));
			d->att[i].used = true;
			return &d->att[i];
		}
	return NULL;
}

static void scan_one_backend(struct xsd_daemon *d, uint32_t domid,
			     uint32_t devid, uint64_t now)
{
	char p[192], vdi[XSD_VDI_NAME_MAX + 2], err[512], tap[24];
	struct xsd_vdi_conf conf;
	struct xsd_att *a = find_att(d, domid, devid, false, NULL);
	const char *why;
	int n;

	snprintf(p, sizeof(p), "%s/%u/%u/xh-vdi", d->be_root, domid, devid);
	n = xsd_xs_read(&d->xs, p, vdi, sizeof(vdi));
	if (n < 0)
		return;		/* not a block-handover disk (yet) */
	if (xsd_parse_vdi_name(vdi, (size_t)n, &why)) {
		xsd_log("error", "%s: %s", p, why);
		return;
	}
	if (a && !strcmp(a->vdi.name, vdi)) {
		if (!a->seen)
			a->dirty = true;
		a->seen = true;
		return;
	}
	if (a) {
		xsd_log("error", "%s changed VDI under a live attachment "
			"(%s -> %s): ignored", p, a->vdi.name, vdi);
		a->seen = true;
		return;
	}
	if (xsd_vdi_conf_load(&d->cfg, vdi, &conf, err, sizeof(err))) {
		xsd_log("error", "domain %u disk %u: %s", domid, devid, err);
		return;
	}
	/* block-handover wrote the tapdisk's PID:MINOR before xh-vdi. */
	tap[0] = '\0';
	if (conf.backend == XSD_BACKEND_TAPDISK) {
		snprintf(p, sizeof(p), "%s/%u/%u/" XSD_TAPDISK_KEY, d->be_root,
			 domid, devid);
		if (xsd_xs_read(&d->xs, p, tap, sizeof(tap)) < 0) {
			xsd_log("error", "domain %u disk %u: VDI %s is served "
				"by tapdisk but %s is missing or too long: not "
				"managed",
				domid, devid, vdi, p);
			return;
		}
	}
	a = new_att(d);
	if (!a) {
		xsd_log("error", "more than %d attachments: domain %u disk %u "
			"not managed", XSD_MAX_ATTACH, domid, devid);
		return;
	}
	a->domid = domid;
	a->devid = devid;
	a->vdi = conf;
	a->seen = true;
	a->dirty = true;
	a->state_ms = now;
	if (xsd_backend_spec(&a->vdi, domid, devid,
			     conf.backend == XSD_BACKEND_TAPDISK ? tap : NULL,
			     a->backend, sizeof(a->backend))) {
		xsd_log("error", "domain %u disk %u: no backend spec (name too "
			"long, or %s '%s' is not PID:MINOR)", domid, devid,
			XSD_TAPDISK_KEY, tap);
		a->used = false;
		return;
	}
	xsd_log("info", "VDI %s attached to domain %u disk %u (backend %s)",
		vdi, domid, devid, a->backend);
	recover(d, a, now);
	fe_watch(d, a, true);
}

static void scan_backends(struct xsd_daemon *d, uint64_t now)
{
	unsigned int nd, nv;
	char **doms, **devs, p[128];
	const char *why;

	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
		if (d->att[i].used && !d->att[i].manual)
			d->att[i].seen = false;
	doms = xsd_xs_list(&d->xs, d->be_root, &nd);
	for (unsigned int i = 0; i < nd; i++) {
		uint32_t domid, devid;

		if (xsd_parse_domid(doms[i], strlen(doms[i]), false, &domid,
				    &why))
			continue;
		snprintf(p, sizeof(p), "%s/%u", d->be_root, domid);
		devs = xsd_xs_list(&d->xs, p, &nv);
		for (unsigned int k = 0; k < nv; k++)
			if (!xsd_parse_devid(devs[k], strlen(devs[k]), &devid,
					     &why))
				scan_one_backend(d, domid, devid, now);
		free(devs);
	}
	free(doms);
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
		if (d->att[i].used && !d->att[i].manual && !d->att[i].seen)
			d->att[i].dirty = true;
}

/*
 * Records of disks that vanished while the daemon was not running (domain
 * destroyed meanwhile): bring them back as unseen attachments so the state
 * machine finishes what they were doing (release a lease still held).
 */
static void adopt_orphans(struct xsd_daemon *d, uint64_t now)
{
	unsigned int nv, na;
	char **vdis = xsd_xs_list(&d->xs, XSD_ROOT, &nv), **atts, p[160];
	char err[512];
	const char *why;

	for (unsigned int i = 0; i < nv; i++) {
		struct xsd_vdi_conf conf;

		if (xsd_parse_vdi_name(vdis[i], strlen(vdis[i]), &why))
			continue;
		snprintf(p, sizeof(p), XSD_ROOT "/%s/att", vdis[i]);
		atts = xsd_xs_list(&d->xs, p, &na);
		for (unsigned int k = 0; k < na; k++) {
			char *dash = strchr(atts[k], '-');
			uint32_t domid, devid;
			struct xsd_att *a;

			if (!dash ||
			    xsd_parse_domid(atts[k], (size_t)(dash - atts[k]),
					    true, &domid, &why) ||
			    xsd_parse_devid(dash + 1, strlen(dash + 1), &devid,
					    &why) ||
			    find_att(d, domid, devid, domid == 0, vdis[i]))
				continue;
			if (xsd_vdi_conf_load(&d->cfg, vdis[i], &conf, err,
					      sizeof(err))) {
				xsd_log("error", "record %s/%s: %s", p, atts[k],
					err);
				continue;
			}
			a = new_att(d);
			if (!a)
				break;
			a->domid = domid;
			a->devid = devid;
			a->manual = domid == 0;
			a->vdi = conf;
			a->dirty = true;
			a->state_ms = now;
			/* The disk is gone, and its tapdisk with it. */
			if (xsd_backend_spec(&a->vdi, domid, devid, NULL,
					     a->backend, sizeof(a->backend))) {
				a->used = false;
				continue;
			}
			xsd_log("info", "VDI %s: record of domain %u disk %u "
				"without a disk", conf.name, domid, devid);
			recover(d, a, now);
		}
		free(atts);
	}
	free(vdis);
}

static void describe(struct xsd_daemon *d, const char *vdi, uint64_t id)
{
	char msg[400];
	size_t used = 0;
	bool any = false;

	msg[0] = '\0';
	for (unsigned int i = 0; i < XSD_MAX_ATTACH && used < sizeof(msg); i++) {
		const struct xsd_att *a = &d->att[i];

		if (!a->used || strcmp(a->vdi.name, vdi))
			continue;
		any = true;
		used += (size_t)snprintf(msg + used, sizeof(msg) - used,
					 "%s%u/%u=%s", used ? " " : "",
					 a->domid, a->devid,
					 xsd_att_state_name(a->state));
		if (a->has_version && used < sizeof(msg))
			used += (size_t)snprintf(msg + used, sizeof(msg) - used,
						 "@%" PRIu64, a->version);
	}
	xsd_result(d, vdi, id, 0, "%s", any ? msg : "idle");
}

/*
 * The attachment a request is about: the disk it names, else the VDI's one
 * tracked disk, else a manual attachment (created for activate and
 * reactivate). NULL when the request has been answered already.
 */
static struct xsd_att *request_attachment(struct xsd_daemon *d,
					  const char *vdi,
					  const struct xsd_request *r,
					  const struct xsd_vdi_conf *conf,
					  uint64_t now)
{
	struct xsd_att *a = NULL, *only = NULL;
	unsigned int count = 0;

	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		struct xsd_att *o = &d->att[i];

		if (!o->used || strcmp(o->vdi.name, vdi))
			continue;
		if (r->has_backend && !o->manual &&
		    o->domid == r->be_domid && o->devid == r->be_devid)
			a = o;
		if (!o->manual) {
			count++;
			only = o;
		}
	}
	if (r->has_backend && !a && r->op == XSD_OP_DEACTIVATE) {
		/*
		 * A disk the daemon does not track holds nothing here: never
		 * activated, or released and forgotten once its domain shut
		 * down (a crashed guest kept by on_crash=preserve is only
		 * destroyed, and its disk removed, much later).
		 */
		xsd_result(d, vdi, r->id, 0, "idle: domain %u disk %u is not "
			   "attached here", r->be_domid, r->be_devid);
		return NULL;
	}
	if (r->has_backend && !a) {
		xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_REQUEST,
			   "VDI %s is not attached as domain %u disk %u", vdi,
			   r->be_domid, r->be_devid);
		return NULL;
	}
	if (!a && count == 1)
		a = only;
	if (!a && count > 1) {
		xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_REQUEST,
			   "VDI %s has %u attachments: say backend=D/N", vdi,
			   count);
		return NULL;
	}
	if (!a)
		a = find_att(d, 0, 0, true, vdi);
	if (a)
		return a;
	if (r->op == XSD_OP_DEACTIVATE) {
		xsd_result(d, vdi, r->id, 0, "idle: not active here");
		return NULL;
	}
	a = new_att(d);
	if (!a) {
		xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_BUSY,
			   "too many attachments");
		return NULL;
	}
	a->manual = true;
	a->vdi = *conf;
	a->state_ms = now;
	snprintf(a->backend, sizeof(a->backend), "none");
	return a;
}

/*
 * The state request @r moves @a to, in @next; false when there is nothing
 * to run (the request has been answered: already there, or refused).
 */
static bool request_next_state(struct xsd_daemon *d, const char *vdi,
			       const struct xsd_request *r, struct xsd_att *a,
			       enum xsd_att_state *next)
{
	switch (r->op) {
	case XSD_OP_ACTIVATE:
		*next = XSD_ATT_ACTIVATING;
		if (a->state == XSD_ATT_ACTIVE) {
			xsd_result(d, vdi, r->id, 0, "active: already");
			return false;
		}
		if (xsd_vdi_busy_elsewhere(d, a)) {
			xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_BUSY,
				   "another disk of this host holds VDI %s",
				   vdi);
			return false;
		}
		return true;
	case XSD_OP_REACTIVATE:
		*next = XSD_ATT_REACTIVATING;
		if (a->state == XSD_ATT_ACTIVE) {
			xsd_result(d, vdi, r->id, 0, "active: already");
			return false;
		}
		return true;
	default:
		*next = XSD_ATT_DEACTIVATING;
		if (a->state != XSD_ATT_ACTIVE &&
		    !(a->state == XSD_ATT_FAILED &&
		      a->failed_from == XSD_ATT_DEACTIVATING)) {
			a->hold = true;
			xsd_store_att(d, a);
			xsd_result(d, vdi, r->id, 0, "%s: not active here",
				   xsd_att_state_name(a->state));
			return false;
		}
		a->why = XSD_WHY_REQUEST;
		return true;
	}
}

static void handle_request(struct xsd_daemon *d, const char *vdi,
			   const struct xsd_request *r, uint64_t now)
{
	struct xsd_vdi_conf conf;
	enum xsd_att_state next;
	struct xsd_att *a;
	char err[512];

	if (r->op == XSD_OP_STATUS) {
		describe(d, vdi, r->id);
		return;
	}
	if (xsd_vdi_conf_load(&d->cfg, vdi, &conf, err, sizeof(err))) {
		xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_REQUEST, "%s", err);
		return;
	}
	a = request_attachment(d, vdi, r, &conf, now);
	if (!a)
		return;
	if (a->job || a->state == XSD_ATT_DRAINING) {
		xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_BUSY,
			   "VDI %s is %s; retry when it settles", vdi,
			   xsd_att_state_name(a->state));
		return;
	}
	if (!request_next_state(d, vdi, r, a, &next))
		return;
	a->hold = true;		/* the toolstack drives this one now */
	a->req = *r;
	if (xsd_start_job(d, a, next, now)) {
		a->req.id = 0;
		xsd_result(d, vdi, r->id, XH_EXIT_DAEMON_JOB,
			   "cannot run %s", d->cfg.tool);
	}
}

static bool request_running(struct xsd_daemon *d, const char *vdi,
			    uint64_t id)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
		if (d->att[i].used && d->att[i].req.id == id &&
		    !strcmp(d->att[i].vdi.name, vdi))
			return true;
	return false;
}

static void scan_requests(struct xsd_daemon *d, uint64_t now)
{
	unsigned int n;
	char **vdis = xsd_xs_list(&d->xs, XSD_ROOT, &n);

	for (unsigned int i = 0; i < n; i++) {
		char p[160], v[XSD_REQUEST_MAX + 2], res[64];
		struct xsd_request r;
		const char *why;
		uint64_t done_id, req_id;
		int len;

		if (xsd_parse_vdi_name(vdis[i], strlen(vdis[i]), &why))
			continue;
		snprintf(p, sizeof(p), XSD_ROOT "/%s/" XSD_KEY_REQUEST, vdis[i]);
		len = xsd_xs_read(&d->xs, p, v, sizeof(v));
		if (len == -ENOENT || len == 0)
			continue;
		/* The requester's id, even from a request that is malformed. */
		req_id = 0;
		if (len > 0) {
			char *sp = memchr(v, ' ', (size_t)len);

			if (!sp || xsd_parse_u64(v, (size_t)(sp - v), INT64_MAX,
						 &req_id, &why))
				req_id = 0;
		}
		snprintf(p, sizeof(p), XSD_ROOT "/%s/" XSD_KEY_RESULT, vdis[i]);
		if (xsd_xs_read(&d->xs, p, res, sizeof(res)) > 0) {
			char *sp = strchr(res, ' ');
			size_t idlen = sp ? (size_t)(sp - res) : strlen(res);

			if (!xsd_parse_u64(res, idlen, INT64_MAX, &done_id,
					   &why) && done_id == req_id)
				continue;	/* answered already */
		}
		if (req_id && request_running(d, vdis[i], req_id))
			continue;		/* answered when its job ends */
		if (len < 0 || xsd_parse_request(v, (size_t)len, &r, &why)) {
			if (len < 0)
				why = "request too long";
			xsd_result(d, vdis[i], req_id, XH_EXIT_DAEMON_REQUEST,
				   "malformed request: %s", why);
			continue;
		}
		handle_request(d, vdis[i], &r, now);
	}
	free(vdis);
}

static void on_event(struct xsd_daemon *d, const char *path,
		     const char *token, uint64_t now)
{
	unsigned int domid, devid;
	char tail;

	d->events_total++;
	if (!strcmp(token, "be")) {
		d->rescan_backends = true;
	} else if (!strcmp(token, "req")) {
		static const char tail_req[] = "/" XSD_KEY_REQUEST;
		size_t l = strlen(path);

		/* Our own writes under /vdi-handover fire this watch too. */
		if (!strcmp(path, XSD_ROOT) ||
		    (l > sizeof(tail_req) - 1 &&
		     !strcmp(path + l - (sizeof(tail_req) - 1), tail_req)))
			d->rescan_requests = true;
	} else if (!strcmp(token, "rel") || !strcmp(token, "hyp")) {
		d->recheck_all = true;
	} else if (sscanf(token, "fe:%u:%u%c", &domid, &devid, &tail) == 2) {
		struct xsd_att *a;

		if (!xsd_rate_allow(&d->rate, domid, now)) {
			d->events_deferred++;
			return;	/* the sweep looks again within a second */
		}
		a = find_att(d, domid, devid, false, NULL);
		if (a)
			a->dirty = true;
	}
}

int xsd_daemon_init(struct xsd_daemon *d, char *err, size_t errlen)
{
	int wake[2];

	snprintf(d->be_root, sizeof(d->be_root), "/local/domain/%u/backend/vbd",
		 d->cfg.backend_domid);
	d->wake_rd = d->wake_wr = -1;
	d->wd.fd = -1;
	if (pipe2(wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return XH_EXIT_FAILURE;
	}
	d->wake_rd = wake[0];
	d->wake_wr = wake[1];
	if (xsd_watchdog_open(&d->wd, d->cfg.watchdog,
			      d->cfg.watchdog_timeout_s, err, errlen))
		return XH_EXIT_DAEMON_CONFIG;
	if (d->wd.fd < 0)
		xsd_log("warning", "no watchdog configured: a fence that "
			"cannot be confirmed, or a daemon that stops while "
			"it holds leases, is not escalated (tapdisk-activated"
			"(8), 'watchdog')");
	xsd_rate_init(&d->rate, d->cfg.events_per_s, d->cfg.events_burst);
	if (xsd_xs_open(&d->xs, err, errlen))
		return XH_EXIT_DAEMON_XENSTORE;
	if (d->cfg.domain_table[0]) {
		if (xsd_hyp_open_table(&d->hyp, &d->xs, d->cfg.domain_table,
				       err, errlen))
			return XH_EXIT_DAEMON_CONFIG;
	} else if (xsd_hyp_open_xenctrl(&d->hyp, err, errlen)) {
		return XH_EXIT_DAEMON_XENSTORE;
	}
	if (!xsd_xs_exists(&d->xs, XSD_ROOT) &&
	    xsd_xs_mkdir_private(&d->xs, XSD_ROOT)) {
		snprintf(err, errlen, "cannot create " XSD_ROOT ": %s",
			 strerror(errno));
		return XH_EXIT_DAEMON_XENSTORE;
	}
	if (xsd_xs_watch(&d->xs, "@releaseDomain", "rel") ||
	    xsd_xs_watch(&d->xs, d->be_root, "be") ||
	    xsd_xs_watch(&d->xs, XSD_ROOT, "req") ||
	    (d->hyp.watch_path &&
	     xsd_xs_watch(&d->xs, d->hyp.watch_path, "hyp"))) {
		snprintf(err, errlen, "cannot set xenstore watches: %s",
			 strerror(errno));
		return XH_EXIT_DAEMON_XENSTORE;
	}
	d->rescan_backends = d->rescan_requests = d->recheck_all = true;
	return 0;
}

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static bool jobs_running(struct xsd_daemon *d)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
		if (d->att[i].used && d->att[i].job)
			return true;
	return false;
}

static void step_all(struct xsd_daemon *d, uint64_t now, bool sweep)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		struct xsd_att *a = &d->att[i];

		if (!a->used)
			continue;
		if (a->job && xsd_job_step(a->job, now) && !a->job->running)
			xsd_machine_job_done(d, a, now);
		xsd_lease_track(d, a, now);
		if (!(sweep || d->recheck_all || a->dirty ||
		      a->state == XSD_ATT_DRAINING))
			continue;
		a->dirty = false;
		xsd_machine_step(d, a, now);
		if (!a->used) {
			a->used = true;		/* so drop_att sees it */
			drop_att(d, a);
		}
	}
	d->recheck_all = false;
}

static void report_rate(struct xsd_daemon *d, uint64_t now)
{
	unsigned int cursor = 0;
	uint32_t domid;
	uint64_t n;

	while ((n = xsd_rate_report(&d->rate, now, &cursor, &domid)))
		xsd_log("warning", "domain %u: %" PRIu64 " xenstore events "
			"beyond %u/s deferred to the periodic sweep", domid, n,
			d->cfg.events_per_s);
}

int xsd_daemon_run(struct xsd_daemon *d)
{
	struct pollfd pfd[3 + 3 * XSD_MAX_ATTACH];
	int sfd = open_signals();
	char path[512], token[64];

	if (sfd < 0) {
		xsd_log("error", "signalfd: %s", strerror(errno));
		return XH_EXIT_FAILURE;
	}
	xsd_log("info", "started: host-id %u, domains from %s, backends "
		"under %s", d->cfg.host_id, d->hyp.name, d->be_root);
	while (!d->stop_signal || jobs_running(d)) {
		uint64_t now;
		unsigned int nfds = 0, handled = 0;
		bool sweep;
		int ev;

		pfd[nfds++] = (struct pollfd){ .fd = xsd_xs_fd(&d->xs),
					       .events = POLLIN };
		pfd[nfds++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[nfds++] = (struct pollfd){ .fd = d->wake_rd,
					       .events = POLLIN };
		for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
			if (d->att[i].used && d->att[i].job)
				nfds += (unsigned int)xsd_job_pollfds(
					d->att[i].job, &pfd[nfds]);
		if (poll(pfd, nfds, XSD_TICK_MS) < 0 && errno != EINTR) {
			xsd_log("error", "poll: %s", strerror(errno));
			return XH_EXIT_FAILURE;
		}
		now = clock_now_ms();
		if (pfd[2].revents & POLLIN) {
			char drain[64];

			while (read(d->wake_rd, drain, sizeof(drain)) > 0)
				;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					d->rescan_backends = true;
					d->recheck_all = true;
				} else if (!d->stop_signal) {
					d->stop_signal = (int)si.ssi_signo;
					xsd_log("info", "signal %d: stopping "
						"after running steps finish",
						d->stop_signal);
				}
			}
		}
		while (handled < XSD_EVENTS_PER_TURN &&
		       (ev = xsd_xs_next_event(&d->xs, path, sizeof(path),
					       token, sizeof(token))) == 1) {
			on_event(d, path, token, now);
			handled++;
		}
		if (ev < 0 && handled < XSD_EVENTS_PER_TURN) {
			xsd_log("error", "lost the xenstore connection");
			close(sfd);
			return XH_EXIT_DAEMON_XENSTORE;
		}
		if (d->rescan_backends) {
			d->rescan_backends = false;
			scan_backends(d, now);
			if (!d->adopted) {
				d->adopted = true;
				adopt_orphans(d, now);
			}
		}
		if (d->rescan_requests && !d->stop_signal) {
			d->rescan_requests = false;
			scan_requests(d, now);
		}
		sweep = now >= d->next_sweep_ms;
		if (sweep) {
			d->next_sweep_ms = now + XSD_SWEEP_MS;
			report_rate(d, now);
		}
		step_all(d, now, sweep);
		feed_watchdog(d, now);
	}
	close(sfd);
	xsd_log("info", "stopped (%" PRIu64 " events, %" PRIu64
		" rate-limited)", d->events_total, d->events_deferred);
	return XH_EXIT_OK;
}

/* Exiting with leases held: they are the next instance's to renew. */
static void report_held(const struct xsd_daemon *d)
{
	uint64_t now = lease_owner_now_ns();

	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		const struct xsd_att *a = &d->att[i];

		if (!a->used || !a->renewer || !a->valid_until_ns ||
		    a->valid_until_ns == UINT64_MAX)
			continue;
		xsd_log(d->wd.fd >= 0 ? "warning" : "ALERT",
			"VDI %s (domain %u disk %u): lease held, valid for "
			"%.1f s more: tapdisk-activated must run again before "
			"then%s", a->vdi.name, a->domid, a->devid,
			a->valid_until_ns > now ?
			(double)(a->valid_until_ns - now) / 1e9 : 0.0,
			d->wd.fd >= 0 ? " (the watchdog resets the host "
			"sooner if it is not fed)" : ": no watchdog is "
			"configured, so nothing stops this guest's writes "
			"if it does not");
	}
}

void xsd_daemon_fini(struct xsd_daemon *d)
{
	report_held(d);
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		if (d->att[i].job) {
			xsd_job_abort(d->att[i].job);
			free(d->att[i].job);
			d->att[i].job = NULL;
		}
	}
	xsd_watchdog_close(&d->wd, !xsd_lease_any_held(d));
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++)
		xsd_lease_forget(&d->att[i]);
	if (d->wake_rd >= 0)
		close(d->wake_rd);
	if (d->wake_wr >= 0)
		close(d->wake_wr);
	if (d->hyp.close)
		d->hyp.close(&d->hyp);
	xsd_xs_close(&d->xs);
}
