// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Per-attachment state machine of tapdisk-activated (diagram in
 * xsd_daemon.h). Every step is bounded: jobs by the command's own
 * --wait/--timeout plus a kill deadline, the drain by drain-wait.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcodes.h"
#include "handover/handover_wire.h"
#include "lease/lease.h"
#include "xen-handover/xenstore-keys.h"
#include "xsd_daemon.h"

_Static_assert(sizeof(((struct xsd_att *)0)->token) >= LEASE_TOKEN_LEN,
	       "an attachment keeps the whole holder token");

/* Backend quiesce: blkback counters sampled this often. */
#define XSD_DRAIN_SAMPLE_MS	200u
#define XSD_RETRY_MAX_S		60u

void xsd_set_state(struct xsd_daemon *d, struct xsd_att *a,
		   enum xsd_att_state s, uint64_t now)
{
	if (a->state != s)
		xsd_log("info", "VDI %s domain %u disk %u: %s -> %s",
			a->vdi.name, a->domid, a->devid,
			xsd_att_state_name(a->state), xsd_att_state_name(s));
	a->state = s;
	a->state_ms = now;
	xsd_store_att(d, a);
}

static bool owns_vdi(const struct xsd_att *a)
{
	switch (a->state) {
	case XSD_ATT_ACTIVATING:
	case XSD_ATT_ACTIVE:
	case XSD_ATT_DRAINING:
	case XSD_ATT_DEACTIVATING:
	case XSD_ATT_REACTIVATING:
		return true;
	case XSD_ATT_FAILED:
		return a->failed_from == XSD_ATT_DEACTIVATING;
	default:
		return false;
	}
}

bool xsd_vdi_busy_elsewhere(struct xsd_daemon *d, const struct xsd_att *a)
{
	for (unsigned int i = 0; i < XSD_MAX_ATTACH; i++) {
		const struct xsd_att *o = &d->att[i];

		if (o->used && o != a && !strcmp(o->vdi.name, a->vdi.name) &&
		    owns_vdi(o))
			return true;
	}
	return false;
}

static void frontend_path(char *buf, size_t size, const struct xsd_att *a,
			  const char *key)
{
	snprintf(buf, size, "/local/domain/%u/device/vbd/%u/%s", a->domid,
		 a->devid, key);
}

/* Reads a guest-written frontend key; -1 when absent or too long. */
static int read_frontend(struct xsd_daemon *d, const struct xsd_att *a,
			 const char *key, char *buf, size_t size)
{
	char p[128];

	frontend_path(p, sizeof(p), a, key);
	return xsd_xs_read(&d->xs, p, buf, size);
}

static bool frontend_connecting(struct xsd_daemon *d, const struct xsd_att *a)
{
	char v[XH_DRAIN_VALUE_MAX + 2];
	unsigned int st;
	const char *why;
	int n = read_frontend(d, a, "state", v, sizeof(v));

	if (n < 0 || xsd_parse_xenbus_state(v, (size_t)n, &st, &why))
		return false;
	return st == 3 || st == 4;	/* Initialised, Connected */
}

static bool wants_activation(struct xsd_daemon *d, const struct xsd_att *a,
			     enum xsd_dom_state dom)
{
	if (a->manual || a->hold)
		return false;
	if (dom != XSD_DOM_RUNNING && dom != XSD_DOM_PAUSED)
		return false;
	if (d->cfg.activate_on == XSD_ACTIVATE_ON_ATTACH)
		return true;
	return dom == XSD_DOM_RUNNING || frontend_connecting(d, a);
}

/*
 * blkback's per-vbd request counters: 1 read, 0 this disk has none (not a
 * blkback disk), -1 unreadable right now (counts as "still moving").
 */
static int sample_backend(struct xsd_daemon *d, const struct xsd_att *a,
			  uint64_t out[5])
{
	static const char *const names[5] = {
		"rd_req", "wr_req", "f_req", "ds_req", "oo_req",
	};
	char p[XSD_PATH_MAX + 96], v[32];

	for (unsigned int i = 0; i < 5; i++) {
		FILE *f;
		const char *why;
		size_t n;

		snprintf(p, sizeof(p), "%s/vbd-%u-%u/statistics/%s",
			 d->cfg.backend_stats, a->domid, a->devid, names[i]);
		f = fopen(p, "re");
		if (!f)
			return i == 0 && errno == ENOENT ? 0 : -1;
		n = fread(v, 1, sizeof(v) - 1, f);
		fclose(f);
		v[n] = '\0';
		while (n && (v[n - 1] == '\n' || v[n - 1] == ' '))
			v[--n] = '\0';
		if (xsd_parse_u64(v, n, UINT64_MAX, &out[i], &why))
			return -1;
	}
	return 1;
}

/*
 * Source side, guest suspended: returns true once it is time to deactivate.
 * The frontend's drain-state is only a fast path (a guest may lie about its
 * own disk); the backend counters going quiet, and then deactivate's own
 * backend pause, are what keep the source's I/O from landing late.
 */
static bool drain_done(struct xsd_daemon *d, struct xsd_att *a, uint64_t now)
{
	char v[XH_DRAIN_VALUE_MAX + 2];
	enum xsd_drain_state ds = XSD_DRAIN_UNKNOWN;
	bool feature = false, expired;
	const char *why = NULL;
	uint64_t s[5];
	int n;

	expired = now - a->state_ms >= (uint64_t)d->cfg.drain_wait_s * 1000u;
	n = read_frontend(d, a, XH_KEY_FEATURE_DRAIN, v, sizeof(v));
	if (n >= 0 && xsd_parse_feature_drain(v, (size_t)n, &feature, &why))
		xsd_log("warning", "domain %u disk %u: ignoring %s: %s",
			a->domid, a->devid, XH_KEY_FEATURE_DRAIN, why);
	if (feature) {
		n = read_frontend(d, a, XH_KEY_DRAIN_STATE, v, sizeof(v));
		if (n == -E2BIG || (n >= 0 && xsd_parse_drain_state(
				v, (size_t)n, &ds, &why))) {
			if (!a->drain_logged)
				xsd_log("warning", "domain %u disk %u: invalid "
					"%s (%s): treating as a stock frontend",
					a->domid, a->devid, XH_KEY_DRAIN_STATE,
					n == -E2BIG ? "value too long" : why);
			feature = false;
		} else if (ds == XSD_DRAIN_UNKNOWN && !expired) {
			return false;	/* frontend has not reported yet */
		}
	}
	if (!a->drain_logged) {
		uint32_t inflight = 0;
		uint64_t usecs = 0;

		n = read_frontend(d, a, XH_KEY_DRAIN_INFLIGHT, v, sizeof(v));
		if (n >= 0)
			xsd_parse_drain_inflight(v, (size_t)n, &inflight, &why);
		n = read_frontend(d, a, XH_KEY_DRAIN_USECS, v, sizeof(v));
		if (n >= 0)
			xsd_parse_drain_usecs(v, (size_t)n, &usecs, &why);
		a->drain_logged = true;
		xsd_log("info", "domain %u disk %u suspended: frontend %s "
			"(in flight %" PRIu32 ", %" PRIu64 " us)", a->domid,
			a->devid, !feature ? "without drain" :
			ds == XSD_DRAIN_DRAINED ? "drained" :
			ds == XSD_DRAIN_UNKNOWN ? "did not report" :
			"drain incomplete", inflight, usecs);
	}
	if (now < a->drain_next_ms)
		return false;
	a->drain_next_ms = now + XSD_DRAIN_SAMPLE_MS;
	switch (sample_backend(d, a, s)) {
	case 0:
		return true;	/* no blkback counters: deactivate pauses */
	case 1:
		if (!memcmp(s, a->drain_sample, sizeof(s)))
			a->drain_stable++;
		else
			a->drain_stable = 0;
		memcpy(a->drain_sample, s, sizeof(s));
		break;
	default:
		a->drain_stable = 0;
		break;
	}
	/* Counters unchanged for drain-quiet (one sample if drained). */
	if (a->drain_stable >= (ds == XSD_DRAIN_DRAINED ? 1u :
				(d->cfg.drain_quiet_ms + XSD_DRAIN_SAMPLE_MS - 1) /
				XSD_DRAIN_SAMPLE_MS))
		return true;
	if (expired) {
		xsd_log("warning", "domain %u disk %u: backend still busy "
			"after %us; deactivate will pause it", a->domid,
			a->devid, d->cfg.drain_wait_s);
		return true;
	}
	return false;
}

/* The tapdisk-activate command of the job that leads to @s. */
static const char *job_command(enum xsd_att_state s)
{
	switch (s) {
	case XSD_ATT_ACTIVATING: return "activate";
	case XSD_ATT_DEACTIVATING: return "deactivate";
	case XSD_ATT_REACTIVATING: return "reactivate";
	case XSD_ATT_FENCED: return "fence";
	default: return NULL;
	}
}

/* A job's argv, in fixed storage: nothing to free on any path. */
struct job_args {
	char *argv[24];
	char text[23][XSD_PATH_MAX + 16];
	unsigned int n;
};

static void add_arg(struct job_args *ja, const char *s)
{
	if (ja->n >= 23)
		return;
	snprintf(ja->text[ja->n], sizeof(ja->text[0]), "%s", s);
	ja->argv[ja->n] = ja->text[ja->n];
	ja->n++;
}

int xsd_start_job(struct xsd_daemon *d, struct xsd_att *a,
		  enum xsd_att_state next, uint64_t now)
{
	static struct job_args ja;	/* one job starts at a time */
	char num[32], err[256];
	uint64_t bound_s, fence_ms = 0;
	int rc;

	/* Shutting down: leave steps to the next start, but never a fence. */
	if (d->stop_signal && next != XSD_ATT_FENCED)
		return -1;
	if (!job_command(next))
		return -1;
	memset(&ja, 0, sizeof(ja));
	add_arg(&ja, d->cfg.tool);
	add_arg(&ja, job_command(next));
	add_arg(&ja, a->vdi.image);
	add_arg(&ja, "--host-id");
	snprintf(num, sizeof(num), "%u", d->cfg.host_id);
	add_arg(&ja, num);
	add_arg(&ja, "--backend");
	add_arg(&ja, a->backend);
	if (a->vdi.lease[0]) {
		add_arg(&ja, "--lease");
		add_arg(&ja, a->vdi.lease);
	}
	if (a->vdi.raw) {
		add_arg(&ja, "--format");
		add_arg(&ja, "raw");
	}
	if (next == XSD_ATT_FENCED) {
		/* The fence must be confirmed within its share of the
		 * lease's tail (lease.rst, "Fencing"); the job is killed
		 * soon after. */
		uint64_t ms = lease_fence_confirm_ms(a->timeout_known ?
						     a->lease_timeout_s :
						     LEASE_MAX_TIMEOUT_S);

		bound_s = 0;
		fence_ms = ms;
		add_arg(&ja, "--timeout");
		snprintf(num, sizeof(num), "%.3f", (double)ms / 1000.0);
		add_arg(&ja, num);
	} else if (next == XSD_ATT_ACTIVATING) {
		bound_s = a->req.id && a->req.has_wait ? a->req.wait_s :
			d->cfg.activate_wait_s;
		add_arg(&ja, "--wait");
		snprintf(num, sizeof(num), "%" PRIu64, bound_s);
		add_arg(&ja, num);
		if (a->req.id && a->req.has_version) {
			add_arg(&ja, "--expect-version");
			snprintf(num, sizeof(num), "%" PRIu64, a->req.version);
			add_arg(&ja, num);
		}
	} else if (next == XSD_ATT_DEACTIVATING) {
		bound_s = a->req.id && a->req.has_timeout ? a->req.timeout_s :
			d->cfg.deactivate_timeout_s;
		add_arg(&ja, "--timeout");
		snprintf(num, sizeof(num), "%" PRIu64, bound_s);
		add_arg(&ja, num);
	} else {
		bool force = a->req.id && a->req.force;
		bool has_v = a->req.id ? a->req.has_version : a->has_version;
		uint64_t v = a->req.id ? a->req.version : a->version;

		bound_s = d->cfg.activate_wait_s;
		if (has_v) {
			add_arg(&ja, "--expect-version");
			snprintf(num, sizeof(num), "%" PRIu64, v);
			add_arg(&ja, num);
		}
		if (force)
			add_arg(&ja, "--force");
	}
	add_arg(&ja, "--json");

	a->job = calloc(1, sizeof(*a->job));
	rc = a->job ? xsd_job_start(a->job, ja.argv, now,
				    next == XSD_ATT_FENCED ? fence_ms :
				    bound_s * 1000u + XSD_JOB_GRACE_MS,
				    err, sizeof(err)) : -1;
	if (!rc) {
		char line[512];
		size_t used = 0;

		for (unsigned int i = 0; i < ja.n && used < sizeof(line); i++)
			used += (size_t)snprintf(line + used,
						 sizeof(line) - used, "%s%s",
						 i ? " " : "", ja.argv[i]);
		xsd_log("info", "VDI %s domain %u disk %u: running %s",
			a->vdi.name, a->domid, a->devid, line);
	} else {
		xsd_log("error", "%s", a->job ? err : "out of memory");
		free(a->job);
		a->job = NULL;
		return -1;
	}
	a->dirty = false;
	xsd_set_state(d, a, next, now);
	return 0;
}

static void schedule_retry(struct xsd_daemon *d, struct xsd_att *a,
			   enum xsd_att_state from, uint64_t now)
{
	uint64_t delay = (uint64_t)d->cfg.retry_s << (a->retries < 4 ?
						      a->retries : 4);

	if (delay > XSD_RETRY_MAX_S)
		delay = XSD_RETRY_MAX_S;
	a->retries++;
	a->failed_from = from;
	a->retry_ms = now + delay * 1000u;
	xsd_set_state(d, a, XSD_ATT_FAILED, now);
}

/* Clears the previous suspend's drain report so the next one is fresh. */
static void forget_drain_report(struct xsd_daemon *d, struct xsd_att *a)
{
	static const char *const keys[] = {
		XH_KEY_DRAIN_STATE, XH_KEY_DRAIN_INFLIGHT, XH_KEY_DRAIN_USECS,
	};
	char p[128];

	if (a->manual)
		return;
	for (unsigned int i = 0; i < 3; i++) {
		frontend_path(p, sizeof(p), a, keys[i]);
		xsd_xs_rm(&d->xs, p);
	}
}

/* The fence job ended: the backend's writes stopped, or not confirmed. */
static void fence_done(struct xsd_daemon *d, struct xsd_att *a, int code,
		       const char *msg)
{
	a->fence_confirmed = code == 0;
	if (code == 0 && a->valid_until_ns && a->valid_until_ns != UINT64_MAX &&
	    lease_owner_now_ns() > a->valid_until_ns) {
		xsd_alert(d, a, "LEASE-LOST", "the backend's writes were "
			  "confirmed stopped only %.1f s after the lease's "
			  "deadline: another host may have taken the VDI "
			  "over meanwhile; check the VDI before using it "
			  "anywhere", (double)(lease_owner_now_ns() -
					       a->valid_until_ns) / 1e9);
		return;
	}
	if (code == 0) {
		xsd_log("info", "VDI %s domain %u disk %u: fenced: the "
			"backend's writes are stopped", a->vdi.name, a->domid,
			a->devid);
		return;
	}
	xsd_alert(d, a, "LEASE-LOST", "the lease was lost and stopping the "
		  "backend's writes was not confirmed (fence exited %d: %s). "
		  "%s; see operator-guide 'LEASE-LOST'", code, msg,
		  d->wd.fd >= 0 ? "The watchdog resets this host before "
		  "another host may take the VDI over" :
		  "No watchdog is configured: stop this host's I/O to the "
		  "VDI now (destroy the domain, power off the host)");
}

/*
 * The job's report (handover_wire.h), decoded; false when there is none
 * to trust. Its exit status stays the verdict: a report that disagrees
 * with it, or names another command, is logged and not used.
 */
static bool job_outcome(const struct xsd_att *a, enum xsd_att_state was,
			const struct xsd_job *j, struct handover_outcome *o)
{
	char why[160];

	if (j->timed_out)
		return false;
	if (handover_outcome_decode(j->out, j->out_len, o, why, sizeof(why))) {
		/* A usage error prints no report: stderr says why. */
		if (j->exit_code == 0)
			xsd_log("error", "VDI %s domain %u disk %u: %s "
				"succeeded but its report is unreadable: %s",
				a->vdi.name, a->domid, a->devid,
				job_command(was), why);
		return false;
	}
	if (strcmp(o->command, job_command(was)) ||
	    o->exit_code != j->exit_code) {
		xsd_log("error", "VDI %s domain %u disk %u: %s exited %d but "
			"reported %s exit %d; report ignored", a->vdi.name,
			a->domid, a->devid, job_command(was), j->exit_code,
			o->command, o->exit_code);
		return false;
	}
	return true;
}

void xsd_machine_job_done(struct xsd_daemon *d, struct xsd_att *a,
			  uint64_t now)
{
	struct xsd_job *j = a->job;
	enum xsd_att_state was = a->state;
	static struct handover_outcome out;	/* one job ends at a time */
	bool have = job_outcome(a, was, j, &out);
	char msg[300];
	int code = j->timed_out ? XH_EXIT_DAEMON_JOB : j->exit_code;

	/* Releasing what this host no longer holds: already released. */
	if (was == XSD_ATT_DEACTIVATING && code == XH_EXIT_NOT_HOLDER)
		code = 0;
	/* The command's report first, its stderr otherwise. */
	if (have && out.message[0])
		snprintf(msg, sizeof(msg), "%.*s", (int)sizeof(msg) - 1,
			 out.message);
	else
		xsd_job_message(j, msg, sizeof(msg));
	if (!msg[0])
		snprintf(msg, sizeof(msg), "%s", j->timed_out ?
			 "killed after its deadline" : "no message");
	if (have && out.has_version) {
		a->version = out.version;
		a->has_version = true;
	}
	if (have && out.token[0])
		snprintf(a->token, sizeof(a->token), "%s", out.token);
	if (have && out.valid_until_ns &&
	    (was == XSD_ATT_ACTIVATING || was == XSD_ATT_REACTIVATING))
		a->valid_until_ns = out.valid_until_ns;
	free(j);
	a->job = NULL;
	a->dirty = true;

	if (was == XSD_ATT_FENCED) {
		fence_done(d, a, code, msg);
		return;
	}
	if (code == 0) {
		a->retries = 0;
		switch (was) {
		case XSD_ATT_ACTIVATING:
		case XSD_ATT_REACTIVATING:
			if (was == XSD_ATT_REACTIVATING)
				forget_drain_report(d, a);
			xsd_alert_clear(d, a);
			xsd_set_state(d, a, XSD_ATT_ACTIVE, now);
			break;
		case XSD_ATT_DEACTIVATING:
			xsd_alert_clear(d, a);
			xsd_set_state(d, a, a->why == XSD_WHY_GONE ?
				      XSD_ATT_IDLE : XSD_ATT_RELEASED, now);
			break;
		default:
			break;
		}
		if (a->req.id)
			xsd_result(d, a->vdi.name, a->req.id, 0, "%s: %s",
				   xsd_att_state_name(a->state),
				   a->has_version ? "done" : msg);
		a->req.id = 0;
		return;
	}

	switch (was) {
	case XSD_ATT_ACTIVATING:
		xsd_alert(d, a, "ACTIVATE-FAILED", "activate exited %d: %s; "
			  "the backend stays paused (guest I/O waits)%s", code,
			  msg, a->req.id ? "" : "; retrying");
		if (a->req.id)
			xsd_set_state(d, a, XSD_ATT_IDLE, now);
		else
			schedule_retry(d, a, XSD_ATT_ACTIVATING, now);
		break;
	case XSD_ATT_REACTIVATING:
		xsd_alert(d, a, "REACTIVATE-REFUSED", "the source domain "
			  "resumed but reactivation with version %" PRIu64
			  " was refused (exit %d: %s). Another host may have "
			  "activated this VDI: the backend stays paused and "
			  "the guest's I/O waits. Destroy one of the two "
			  "domains; see operator-guide 'REACTIVATE-REFUSED'",
			  a->version, code, msg);
		xsd_set_state(d, a, XSD_ATT_FENCED, now);
		break;
	case XSD_ATT_DEACTIVATING:
		xsd_alert(d, a, "DEACTIVATE-FAILED", "deactivate exited %d: "
			  "%s; the lease is kept so no other host can "
			  "activate while this backend may still write%s",
			  code, msg, a->req.id ? "" : "; retrying");
		if (a->req.id)
			xsd_set_state(d, a, XSD_ATT_ACTIVE, now);
		else
			schedule_retry(d, a, XSD_ATT_DEACTIVATING, now);
		break;
	default:
		break;
	}
	if (a->req.id)
		xsd_result(d, a->vdi.name, a->req.id, code, "%s", msg);
	a->req.id = 0;
}

static void begin_deactivate(struct xsd_daemon *d, struct xsd_att *a,
			     enum xsd_why why, uint64_t now)
{
	a->why = why;
	if (xsd_start_job(d, a, XSD_ATT_DEACTIVATING, now))
		schedule_retry(d, a, XSD_ATT_DEACTIVATING, now);
}

void xsd_machine_step(struct xsd_daemon *d, struct xsd_att *a, uint64_t now)
{
	enum xsd_dom_state dom;
	bool gone;

	/* Stopping: running steps finish, nothing new starts. */
	if (a->job || d->stop_signal)
		return;
	dom = a->manual ? XSD_DOM_RUNNING : d->hyp.state(&d->hyp, a->domid);
	if (dom == XSD_DOM_UNKNOWN)
		return;
	gone = (!a->manual && !a->seen) || dom == XSD_DOM_ABSENT ||
	       dom == XSD_DOM_SHUTDOWN;

	switch (a->state) {
	case XSD_ATT_IDLE:
	case XSD_ATT_RELEASED:
	case XSD_ATT_FENCED:
		if (gone && !a->manual) {
			a->used = false;	/* caller forgets it */
			return;
		}
		if (a->state == XSD_ATT_FENCED || a->hold)
			return;
		if (a->state == XSD_ATT_RELEASED) {
			if (dom == XSD_DOM_RUNNING &&
			    xsd_start_job(d, a, XSD_ATT_REACTIVATING, now))
				schedule_retry(d, a, XSD_ATT_REACTIVATING, now);
			return;
		}
		if (wants_activation(d, a, dom) &&
		    !xsd_vdi_busy_elsewhere(d, a) &&
		    xsd_start_job(d, a, XSD_ATT_ACTIVATING, now))
			schedule_retry(d, a, XSD_ATT_ACTIVATING, now);
		return;
	case XSD_ATT_ACTIVE:
		if (gone) {
			begin_deactivate(d, a, XSD_WHY_GONE, now);
		} else if (dom == XSD_DOM_SUSPENDED && !a->hold) {
			a->drain_stable = 0;
			a->drain_next_ms = now;
			a->drain_logged = false;
			memset(a->drain_sample, 0xff, sizeof(a->drain_sample));
			xsd_set_state(d, a, XSD_ATT_DRAINING, now);
			if (drain_done(d, a, now))
				begin_deactivate(d, a, XSD_WHY_SUSPEND, now);
		}
		return;
	case XSD_ATT_DRAINING:
		if (gone)
			begin_deactivate(d, a, XSD_WHY_GONE, now);
		else if (dom == XSD_DOM_RUNNING || dom == XSD_DOM_PAUSED)
			xsd_set_state(d, a, XSD_ATT_ACTIVE, now); /* cancelled */
		else if (drain_done(d, a, now))
			begin_deactivate(d, a, XSD_WHY_SUSPEND, now);
		return;
	case XSD_ATT_FAILED:
		if (now < a->retry_ms)
			return;
		if (a->failed_from == XSD_ATT_DEACTIVATING) {
			begin_deactivate(d, a, gone ? XSD_WHY_GONE : a->why, now);
		} else if (gone) {
			a->used = false;
		} else if (a->failed_from == XSD_ATT_REACTIVATING) {
			if (dom == XSD_DOM_RUNNING &&
			    xsd_start_job(d, a, XSD_ATT_REACTIVATING, now))
				schedule_retry(d, a, XSD_ATT_REACTIVATING, now);
		} else if (wants_activation(d, a, dom) &&
			   !xsd_vdi_busy_elsewhere(d, a)) {
			if (xsd_start_job(d, a, XSD_ATT_ACTIVATING, now))
				schedule_retry(d, a, XSD_ATT_ACTIVATING, now);
		}
		return;
	default:
		return;		/* a job is running */
	}
}
