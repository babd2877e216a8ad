// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One renewal thread per held lease (see xsd_renewer.h). The thread owns
 * its lease handle; everything it shares with the event loop is in the
 * report, under the mutex, which no one holds across I/O.
 */
#include "xsd_renewer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease/lease.h"

/* Retry pace after a failed attempt (lease_renew is bounded per attempt
 * by its own I/O; the deadline check is the event loop's). */
#define RENEW_RETRY_MS	1000u

struct xsd_renewer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* CLOCK_MONOTONIC: stop or next attempt */
	bool stop;		/* event loop let go: end and free */
	bool done;		/* thread ended; with @stop nobody frees */
	char spec[512];
	uint16_t host_id;
	char token[LEASE_TOKEN_LEN];
	uint64_t version;
	uint32_t fallback_interval_s;
	int wake_fd;
	struct xsd_renew_report rep;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wake(const struct xsd_renewer *r)
{
	char c = 1;

	if (r->wake_fd >= 0 && write(r->wake_fd, &c, 1) < 0) {
		/* full pipe: the loop is awake already */
	}
}

/* Records one attempt's outcome; the loop wakes to look at it. */
static void report(struct xsd_renewer *r, int rc, struct lease *l,
		   const char *why)
{
	pthread_mutex_lock(&r->mu);
	r->rep.result = rc;
	r->rep.busy_since_ns = 0;
	if (l && lease_valid_until_ns(l))
		r->rep.valid_until_ns = lease_valid_until_ns(l);
	if (l && rc == LEASE_OK) {
		r->rep.timeout_s = lease_timeout_of(l);
		r->rep.timeout_known = true;
		r->rep.renewals++;
	}
	if (rc != LEASE_OK)
		r->rep.failures++;
	if (rc != LEASE_OK)
		snprintf(r->rep.err, sizeof(r->rep.err), "%s: %s",
			 lease_strerror(rc), why);
	if (rc == LEASE_LOST || rc == LEASE_NOT_OWNER)
		r->rep.gave_up = true;
	/* After a stop the loop's pipe may be closed (or its number
	 * reused): never write to it then. */
	if (!r->stop)
		wake(r);
	pthread_mutex_unlock(&r->mu);
}

static void mark_busy(struct xsd_renewer *r)
{
	pthread_mutex_lock(&r->mu);
	r->rep.busy_since_ns = lease_owner_now_ns();
	pthread_mutex_unlock(&r->mu);
}

/* Sleeps until @until_ms (CLOCK_MONOTONIC) or a stop; true on stop. */
static bool sleep_until(struct xsd_renewer *r, uint64_t until_ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(until_ms / 1000u),
		.tv_nsec = (long)(until_ms % 1000u) * 1000000L,
	};
	bool stop;

	pthread_mutex_lock(&r->mu);
	while (!r->stop && mono_ms() < until_ms)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) == ETIMEDOUT)
			break;
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

/* Opens the area and adopts the holding; a NULL return with *gave_up
 * set means there is nothing to renew. */
static struct lease *adopt(struct xsd_renewer *r, struct lease_holder *h,
			   bool *gave_up)
{
	char err[256];
	struct lease *l;
	int rc;

	*gave_up = false;
	mark_busy(r);
	if (lease_open(&l, r->spec, 0, err, sizeof(err))) {
		report(r, LEASE_IO, NULL, err);
		return NULL;
	}
	rc = lease_holder_recall(l, r->host_id, r->token, r->version, h);
	if (rc != LEASE_OK) {
		report(r, rc, l, lease_last_error(l));
		*gave_up = rc == LEASE_LOST || rc == LEASE_NOT_OWNER;
		lease_close(l);
		return NULL;
	}
	return l;
}

static void *renew_thread(void *arg)
{
	struct xsd_renewer *r = arg;
	struct lease_holder h;
	struct lease *l = NULL;
	bool gave_up = false, free_me;

	while (!gave_up) {
		uint64_t start = mono_ms(), next;
		int rc;

		if (!l)
			l = adopt(r, &h, &gave_up);
		if (l) {
			mark_busy(r);
			rc = lease_renew(l, &h);
			report(r, rc, l, lease_last_error(l));
			gave_up = rc == LEASE_LOST || rc == LEASE_NOT_OWNER;
			next = rc != LEASE_OK ? RENEW_RETRY_MS :
			       lease_timeout_of(l) ?
			       lease_renew_interval_s(lease_timeout_of(l)) *
			       1000ull : r->fallback_interval_s * 1000ull;
		} else {
			next = RENEW_RETRY_MS;
		}
		if (gave_up || sleep_until(r, start + next))
			break;
	}
	if (l)
		lease_close(l);
	pthread_mutex_lock(&r->mu);
	r->done = true;
	free_me = r->stop;
	pthread_mutex_unlock(&r->mu);
	if (free_me) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
	}
	return NULL;
}

int xsd_renewer_start(struct xsd_renewer **out, const char *lease_spec,
		      uint16_t host_id, const char *token, uint64_t version,
		      uint32_t fallback_interval_s, int wake_fd, char *err,
		      size_t errlen)
{
	struct xsd_renewer *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	int e;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((size_t)snprintf(r->spec, sizeof(r->spec), "%s", lease_spec) >=
	    sizeof(r->spec) ||
	    (size_t)snprintf(r->token, sizeof(r->token), "%s", token) >=
	    sizeof(r->token)) {
		snprintf(err, errlen, "lease path or token too long");
		free(r);
		return -1;
	}
	r->host_id = host_id;
	r->version = version;
	r->fallback_interval_s = fallback_interval_s ? fallback_interval_s : 1;
	r->wake_fd = wake_fd;
	r->rep.result = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&r->thread, NULL, renew_thread, r);
	if (e) {
		snprintf(err, errlen, "cannot start a renewal thread: %s",
			 strerror(e));
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
		return -1;
	}
	pthread_detach(r->thread);
	*out = r;
	return 0;
}

void xsd_renewer_report(struct xsd_renewer *r, struct xsd_renew_report *rep)
{
	pthread_mutex_lock(&r->mu);
	*rep = r->rep;
	pthread_mutex_unlock(&r->mu);
}

void xsd_renewer_stop(struct xsd_renewer *r)
{
	bool free_me;

	pthread_mutex_lock(&r->mu);
	r->stop = true;
	free_me = r->done;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (free_me) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
	}
}
