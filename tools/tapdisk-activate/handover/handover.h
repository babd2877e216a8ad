/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * handover: the ordering that makes a VDI change hosts safely, the one
 * xenopsd enforces and plain xl lacks:
 *
 *   source:      pause backend (in-flight I/O completes, image closed)
 *                -> flush (fdatasync / BLKFLSBUF) -> record version and
 *                metadata fingerprint -> release lease        (deactivate)
 *   destination: acquire lease (waiting for the release) -> drop cached
 *                pages -> validate VHD metadata with O_DIRECT -> resume /
 *                reopen the backend so it reads that metadata  (activate)
 *   failed migration, on the source: activate again only if no other host
 *                acquired since our release                  (reactivate)
 *
 * Failure rules: deactivate never releases a lease while the backend may
 * still have I/O in flight (pause timeout -> keep the lease); activate
 * leaves the backend paused and releases the lease on any failure. Every
 * wait is bounded. Each entry point returns an enum xh_exit and fills a
 * struct handover_result for the text/JSON report.
 */
#ifndef TAPDISK_ACTIVATE_HANDOVER_H
#define TAPDISK_ACTIVATE_HANDOVER_H

#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "backend/backend.h"
#include "migrate_safety.h"
#include "handover_state.h"
#include "lease/lease.h"

/*
 * Holder tokens. Each attachment holds its lease under its own token
 * (handover_holder_token: the backend spec, which names the dm device or
 * tapdisk of one domain's disk), so a deactivate releases only what its
 * own disk holds, never the lease another disk of this host (the
 * destination of a localhost migration) acquired. Leases acquired by
 * earlier versions carry HANDOVER_LEGACY_TOKEN, which any handover of
 * this host may still release.
 */
#define HANDOVER_LEGACY_TOKEN		LEASE_HANDOVER_TOKEN
#define HANDOVER_DEFAULT_TIMEOUT_MS	30000	/* xenopsd's flush wait */

struct handover_opts {
	const char *vdi;
	const char *lease_spec;		/* NULL: VDI.lease */
	const char *state_path;		/* NULL: handover_state_default_path */
	uint16_t host_id;
	struct backend backend;
	int timeout_ms;			/* each backend pause/resume */
	double lease_wait_s;		/* activate: wait for the release */
	bool has_expect_version;
	uint64_t expect_version;
	bool force;			/* reactivate despite a moved version */
	bool allow_unsafe;		/* --unsafe */
	bool read_only;
	bool shareable;
	bool raw;			/* --format raw: no VHD metadata */
	uint16_t successor_host_id;	/* deactivate: destination (fast path) */
	/* activate: told what the lease wait waits for (NULL: nothing);
	 * see lease_acquire_opts.on_wait */
	void (*on_lease_wait)(void *arg, const struct lease_status *seen,
			      double left_s);
	void *on_lease_wait_arg;
};

struct handover_result {
	const char *op;			/* "deactivate", ... */
	int exit_code;
	char failed_step[24];		/* "" on success */
	char message[2048];
	char warning[1024];
	bool lease_held;		/* this host holds the lease afterwards */
	char token[LEASE_TOKEN_LEN];	/* holder token of this attachment */
	/* acquired/renewed: the holding's deadline, CLOCK_BOOTTIME ns
	 * (lease_owner_now_ns) of this boot; 0 unknown */
	uint64_t valid_until_ns;
	bool has_version;
	uint64_t version;		/* released / acquired */
	bool has_expected;
	uint64_t expected_version;	/* what a versioned acquire asked for */
	char fingerprint[65];
	bool have_verdict;
	struct migrate_verdict verdict;
	bool have_seen;
	struct lease_status seen;	/* the lease as last read */
	/*
	 * deactivate (and an activate that gave the lease back): the
	 * backend's write counters read after the drain; released_clean
	 * when they showed no write and the lease was released with
	 * LEASE_LEADER_FLAG_CLEAN. @writes says what was read, or why
	 * nothing could be.
	 */
	bool released_clean;
	char writes[400];
	/* reactivate: the source's CBT log was marked inconsistent */
	bool cbt_marked_inconsistent;
	struct handover_state record;	/* timings (also saved) */
	char state_path[HANDOVER_STATE_PATH_MAX];
};

int handover_deactivate(const struct handover_opts *o,
			struct handover_result *r);
int handover_activate(const struct handover_opts *o,
		      struct handover_result *r);
int handover_reactivate(const struct handover_opts *o,
			struct handover_result *r);
/* Stops the backend's writes without touching the lease (self-fencing). */
int handover_fence(const struct handover_opts *o, struct handover_result *r);

/* check-migrate on its own: fills r->verdict; exit 0 or 30. */
int handover_check_migrate(const struct handover_opts *o,
			   struct handover_result *r);

/* The token @o's attachment holds its lease with (see above). */
void handover_holder_token(const struct handover_opts *o, char *buf,
			   size_t size);
/* True when a lease held with @token may be released by @o's attachment. */
bool handover_token_is_ours(const struct handover_opts *o, const char *token);

/* Human-readable report on @out, or one JSON object with @json. */
void handover_print(FILE *out, const struct handover_opts *o,
		    const struct handover_result *r, bool json);

/* What status shows of a VDI (handover_status.c). */
struct handover_status {
	struct lease_status lease;	/* as read now */
	char lease_path[HANDOVER_STATE_PATH_MAX];
	enum backend_result backend_result;	/* BACKEND_OK without one */
	struct backend_status backend;
	char backend_err[1024];
	/* Handover records to show: @one if set, else every @records path. */
	char one[HANDOVER_STATE_PATH_MAX];
	glob_t records;
};

/*
 * Reads the lease of @o->vdi, asks the backend (when @o names one) and
 * finds the records; a LEASE_* result, with the reason in @err when the
 * lease could not be read. handover_status_release() after LEASE_OK.
 */
int handover_status(const struct handover_opts *o, struct handover_status *s,
		    char *err, size_t errlen);
void handover_status_release(struct handover_status *s);

/* Lease plumbing shared with status (handover_lease.c). */
int handover_lease_open(const struct handover_opts *o, struct lease **l,
			char *path, size_t pathlen, char *err, size_t errlen);
/*
 * The handover's result code (today the tapdisk-activate exit status,
 * common/exitcodes.h) for a LEASE_* result and for a backend result.
 */
int handover_lease_exit(int result);
int handover_backend_exit(enum backend_result r);

#endif /* TAPDISK_ACTIVATE_HANDOVER_H */
