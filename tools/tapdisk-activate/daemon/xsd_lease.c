// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's direct use of the lease library: status (restart recovery
 * cross-checks xenstore against the lease). Renewal runs in threads of its
 * own (xsd_renewer.c); acquire and release stay with the tapdisk-activate
 * commands, which also pause/resume the backend.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lease/lease.h"
#include "xsd_daemon.h"

static int open_lease(const struct xsd_vdi_conf *vdi, unsigned int flags,
		      struct lease **l, char *err, size_t errlen)
{
	char spec[XSD_PATH_MAX + 16];

	if (vdi->lease[0])
		snprintf(spec, sizeof(spec), "%s", vdi->lease);
	else if (lease_sidecar_path(vdi->image, spec, sizeof(spec))) {
		snprintf(err, errlen, "lease path of %s too long", vdi->image);
		return -1;
	}
	return lease_open(l, spec, flags, err, errlen) ? -1 : 0;
}

/*
 * A status read runs in a thread of its own and is waited for at most
 * XSD_LEASE_STATUS_WAIT_MS: lease storage that hangs must not stop the
 * event loop (restart recovery then proceeds as "lease status not
 * available", and the renewal thread and the deadline take it from
 * there). An abandoned read frees its own job when it ends.
 */
#define XSD_LEASE_STATUS_WAIT_MS	2000u
/*
 * All reads of one daemon share XSD_LEASE_STATUS_BUDGET_MS of waiting
 * for answers that did not come: a restart with a hundred VDIs on dead
 * storage must not stop the loop (renewals, fencing, the watchdog) for
 * minutes. Once it is spent a read gets XSD_LEASE_STATUS_MIN_MS, enough
 * for storage that works.
 */
#define XSD_LEASE_STATUS_BUDGET_MS	4000u
#define XSD_LEASE_STATUS_MIN_MS		100u
static uint64_t budget_spent_ms;

struct status_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, abandoned;
	struct xsd_vdi_conf vdi;
	struct lease_status st;
	int rc;
	char err[600];
};

static void status_job_free(struct status_job *j)
{
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

static void *status_thread(void *arg)
{
	struct status_job *j = arg;
	struct lease *l;
	bool abandoned;

	j->rc = open_lease(&j->vdi, LEASE_OPEN_READ_ONLY, &l, j->err,
			   sizeof(j->err));
	if (!j->rc) {
		int rc = lease_read_status(l, &j->st);

		if (rc != LEASE_OK) {
			snprintf(j->err, sizeof(j->err), "%s: %s",
				 lease_strerror(rc), lease_last_error(l));
			j->rc = -1;
		}
		lease_close(l);
	}
	pthread_mutex_lock(&j->mu);
	j->done = true;
	abandoned = j->abandoned;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	if (abandoned)
		status_job_free(j);
	return NULL;
}

/* Runs @j's read, bounded; 0 when it finished in time (then freed by the
 * caller), -1 when abandoned to its thread. */
static int status_bounded(struct status_job *j, char *err, size_t errlen)
{
	struct timespec until;
	pthread_condattr_t ca;
	uint64_t wait_ms;
	pthread_t t;
	bool done;

	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t, NULL, status_thread, j)) {
		snprintf(err, errlen, "cannot start a lease status thread");
		status_job_free(j);
		return -1;
	}
	pthread_detach(t);
	wait_ms = budget_spent_ms >= XSD_LEASE_STATUS_BUDGET_MS ?
		  XSD_LEASE_STATUS_MIN_MS :
		  XSD_LEASE_STATUS_BUDGET_MS - budget_spent_ms;
	if (wait_ms > XSD_LEASE_STATUS_WAIT_MS)
		wait_ms = XSD_LEASE_STATUS_WAIT_MS;
	if (wait_ms < XSD_LEASE_STATUS_MIN_MS)
		wait_ms = XSD_LEASE_STATUS_MIN_MS;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(wait_ms / 1000u);
	until.tv_nsec += (long)(wait_ms % 1000u) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->mu);
	while (!j->done &&
	       pthread_cond_timedwait(&j->cv, &j->mu, &until) != ETIMEDOUT)
		;
	done = j->done;
	j->abandoned = !done;
	pthread_mutex_unlock(&j->mu);
	if (!done) {
		budget_spent_ms += wait_ms;
		snprintf(err, errlen, "the lease of %s did not answer a status "
			 "read within %" PRIu64 " ms", j->vdi.name, wait_ms);
	}
	return done ? 0 : -1;
}

static int status(const struct xsd_vdi_conf *vdi, bool *held,
		  uint16_t *owner_host, char *owner_token, size_t tlen,
		  uint64_t *version, uint32_t *timeout_s, char *err,
		  size_t errlen)
{
	struct status_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	j->vdi = *vdi;
	if (status_bounded(j, err, errlen))
		return -1;
	rc = j->rc;
	if (rc) {
		snprintf(err, errlen, "%s", j->err);
	} else {
		/* When free, st.owner is the last owner (0 if none ever). */
		*held = j->st.state == LEASE_STATE_HELD && j->st.has_owner;
		*owner_host = j->st.owner.host_id;
		snprintf(owner_token, tlen, "%s", j->st.owner.token);
		*version = j->st.version;
		*timeout_s = j->st.timeout_s;
	}
	status_job_free(j);
	return rc ? -1 : 0;
}

void xsd_lease_ops_default(struct xsd_lease_ops *ops)
{
	ops->status = status;
}
