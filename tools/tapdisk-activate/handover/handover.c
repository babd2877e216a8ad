// SPDX-License-Identifier: GPL-2.0 OR MIT
/* handover: deactivate / activate / reactivate orchestration (handover.h). */
#include "handover.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/exitcodes.h"
#include "common/hint.h"
#include "common/dio.h"
#include "common/clock.h"
#include "vhd/vhd.h"

/* Records a failure: which step, the exit code, one message. */
__attribute__((format(printf, 4, 5)))
static int fail(struct handover_result *r, const char *step, int code,
		const char *fmt, ...)
{
	va_list ap;

	snprintf(r->failed_step, sizeof(r->failed_step), "%s", step);
	r->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	snprintf(r->record.result, sizeof(r->record.result), "failed");
	return code;
}

static void init_result(const struct handover_opts *o,
			struct handover_result *r, const char *op)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	snprintf(r->record.vdi, sizeof(r->record.vdi), "%s", o->vdi);
	r->record.host_id = o->host_id;
	snprintf(r->record.last_op, sizeof(r->record.last_op), "%s", op);
	snprintf(r->record.result, sizeof(r->record.result), "ok");
	snprintf(r->record.backend, sizeof(r->record.backend), "%s",
		 o->backend.spec);
	handover_holder_token(o, r->token, sizeof(r->token));
}

/* 64-bit FNV-1a: a name, not a secret. */
static uint64_t name_hash(const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 0x100000001b3ull;
	h = (h ^ 0xffu) * 0x100000001b3ull;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 0x100000001b3ull;
	return h;
}

void handover_holder_token(const struct handover_opts *o, char *buf,
			   size_t size)
{
	/*
	 * The attachment, not the process: a tapdisk is known by its minor
	 * (its pid changes when it is restarted), a dm device by its name;
	 * spec options (type=, cbt-log=) are not part of it. A name too long
	 * for a token keeps a prefix and a hash. "none" names no attachment,
	 * so the VDI keeps offline tokens of different images apart.
	 */
	char id[BACKEND_SPEC_MAX + 32];

	switch (o->backend.kind) {
	case BACKEND_TAPDISK:
		snprintf(id, sizeof(id), "tapdisk-minor:%d", o->backend.minor);
		break;
	case BACKEND_DM:
		snprintf(id, sizeof(id), "dm:%s", o->backend.dm_name);
		break;
	default:
		id[0] = '\0';
		break;
	}
	if (id[0] && strlen(id) + 4 <= 40)
		snprintf(buf, size, "ho:%s", id);
	else
		snprintf(buf, size, "ho:%.24s~%016llx", id[0] ? id : "none",
			 (unsigned long long)name_hash(id, o->vdi));
}

bool handover_token_is_ours(const struct handover_opts *o, const char *token)
{
	char mine[LEASE_TOKEN_LEN];

	handover_holder_token(o, mine, sizeof(mine));
	return !strcmp(token, mine) || !strcmp(token, HANDOVER_LEGACY_TOKEN);
}

/* Timed step: add its duration to the record. */
struct step_timer {
	uint64_t t0;
};

static void step_begin(struct step_timer *t)
{
	t->t0 = clock_now_us();
}

static void step_end(struct handover_result *r, struct step_timer *t,
		     const char *name)
{
	handover_state_add_step(&r->record, name, clock_now_us() - t->t0);
}

int handover_check_migrate(const struct handover_opts *o,
			   struct handover_result *r)
{
	struct migrate_facts f = { 0 };
	int ret;

	migrate_backend_facts(&o->backend, &f);
	f.read_only = o->read_only;
	f.shareable = o->shareable;
	ret = migrate_safety_probe_path(o->vdi, &f);
	if (ret)
		return fail(r, "check-migrate", XH_EXIT_IO, "cannot stat %s: %s",
			    o->vdi, strerror(-ret));
	migrate_safety_decide(&f, o->allow_unsafe, &r->verdict);
	r->have_verdict = true;
	if (!r->verdict.safe && !r->verdict.overridden)
		return fail(r, "check-migrate", XH_EXIT_MIGRATE_UNSAFE,
			    "unsafe handover refused: %s", r->verdict.reason);
	if (r->verdict.overridden)
		snprintf(r->warning, sizeof(r->warning),
			 "unsafe configuration accepted by "
			 XH_HINT("check-migrate", "--unsafe") ": %s",
			 r->verdict.reason);
	return XH_EXIT_OK;
}

/* Opens the VDI's lease; the handover record goes beside it. */
static int open_lease(const struct handover_opts *o, struct handover_result *r,
		      struct lease **l)
{
	char err[1024] = "", lease_path[HANDOVER_STATE_PATH_MAX];
	int ret;

	ret = handover_lease_open(o, l, lease_path, sizeof(lease_path), err,
				  sizeof(err));
	if (ret != LEASE_OK)
		return fail(r, "lease", handover_lease_exit(ret),
			    "cannot open the lease: %s", err);
	if (o->state_path)
		snprintf(r->state_path, sizeof(r->state_path), "%s",
			 o->state_path);
	else if (handover_state_default_path(lease_path, o->vdi, o->host_id,
					     r->state_path,
					     sizeof(r->state_path)))
		r->state_path[0] = '\0';
	return XH_EXIT_OK;
}

/* Resumes (reopens) the backend; @after completes the error message. */
static int resume_backend(const struct handover_opts *o,
			  struct handover_result *r, const char *after)
{
	char err[1024] = "";
	struct step_timer t;
	enum backend_result br;

	step_begin(&t);
	br = backend_resume(&o->backend, o->vdi, o->timeout_ms, err,
			    sizeof(err));
	step_end(r, &t, "resume");
	if (br != BACKEND_OK)
		return fail(r, "resume",
			    br == BACKEND_UNREACHABLE ?
			    XH_EXIT_BACKEND_UNREACHABLE :
			    XH_EXIT_BACKEND_RESUME_FAILED, "%s%s", err, after);
	return XH_EXIT_OK;
}

/*
 * Reads the VHD metadata with O_DIRECT; fills r->fingerprint. Returns 0,
 * or an exit code (3 invalid, 4 unreadable) with @why set.
 */
static int read_metadata(const struct handover_opts *o,
			 struct handover_result *r, char *why, size_t whylen)
{
	struct vhd_info vi;
	struct dio_dev dev;
	char err[512];
	int ret, code = XH_EXIT_OK;

	r->fingerprint[0] = '\0';
	if (o->raw)
		return XH_EXIT_OK;
	memset(&vi, 0, sizeof(vi));
	ret = dio_open(&dev, o->vdi, DIO_READ_ONLY, err, sizeof(err));
	if (!ret) {
		/*
		 * A handful of large reads: sequential O_DIRECT preads cost
		 * less than setting up and tearing down an aio context.
		 */
		dev.sync_only = true;
		ret = vhd_read_dev(&dev, NULL, &vi, err, sizeof(err));
		dio_close(&dev);
	}
	if (ret < 0) {
		snprintf(why, whylen, "%s", err);
		code = XH_EXIT_IO;
	} else if (!vhd_valid(&vi)) {
		char line[400];

		vhd_error_format(&vi.errors[0], line, sizeof(line));
		snprintf(why, whylen, "VHD metadata of %s is invalid (%u "
			 "error%s): %s", o->vdi, vi.nr_errors_total,
			 vi.nr_errors_total == 1 ? "" : "s", line);
		code = XH_EXIT_IMAGE_INVALID;
	} else if (vhd_fingerprint(&vi, r->fingerprint)) {
		snprintf(why, whylen, "cannot fingerprint %s", o->vdi);
		code = XH_EXIT_IMAGE_INVALID;
	}
	vhd_info_release(&vi);
	return code;
}

static void save_record(struct handover_result *r, bool durable)
{
	struct step_timer t;
	char err[512];

	if (!r->state_path[0]) {
		snprintf(r->warning, sizeof(r->warning),
			 "no place for the handover record");
		return;
	}
	r->record.time = (int64_t)time(NULL);
	step_begin(&t);
	if (handover_state_save(r->state_path, &r->record, durable, err,
				sizeof(err)))
		snprintf(r->warning, sizeof(r->warning), "%s", err);
	step_end(r, &t, "record");	/* reported, not in the file */
}

static const char *lease_err(struct lease *l, const char *fallback)
{
	const char *e = l ? lease_last_error(l) : NULL;

	return e && *e ? e : fallback;
}

static void describe_owner(const struct lease_status *st, char *buf,
			   size_t len)
{
	if (st->has_owner)
		snprintf(buf, len, "host %u (%s) at version %llu",
			 (unsigned int)st->owner.host_id, st->owner.host_name,
			 (unsigned long long)st->version);
	else
		snprintf(buf, len, "nobody (free at version %llu)",
			 (unsigned long long)st->version);
}

/* The durable deactivate record, saved on a thread beside the release. */
struct record_saver {
	struct handover_state rec;	/* a copy: the main thread goes on */
	const char *path;
	pthread_t thread;
	bool started;
	uint64_t us;
	char err[512];
};

static void *save_durably(void *arg)
{
	struct record_saver *sv = arg;
	uint64_t t0 = clock_now_us();

	sv->err[0] = '\0';
	if (!sv->path[0])
		snprintf(sv->err, sizeof(sv->err),
			 "no place for the handover record");
	else
		handover_state_save(sv->path, &sv->rec, true, sv->err,
				    sizeof(sv->err));
	sv->us = clock_now_us() - t0;
	return NULL;
}

/* The lease must be ours: a host that does not hold it has nothing to
 * hand over. */
static int deactivate_check_holder(const struct handover_opts *o,
				   struct handover_result *r, struct lease *l,
				   struct lease_status *st)
{
	char who[200];
	int ret;

	ret = lease_read_status(l, st);
	r->seen = *st;
	r->have_seen = ret == LEASE_OK;
	if (ret != LEASE_OK)
		return fail(r, "lease", handover_lease_exit(ret),
			    "cannot read the lease: %s",
			    lease_err(l, lease_strerror(ret)));
	if (st->state != LEASE_STATE_HELD || !st->has_owner ||
	    st->owner.host_id != o->host_id) {
		describe_owner(st, who, sizeof(who));
		return fail(r, "lease", XH_EXIT_NOT_HOLDER,
			    "host %u does not hold the lease of %s (held by %s);"
			    " nothing to deactivate", (unsigned int)o->host_id,
			    o->vdi, who);
	}
	if (!handover_token_is_ours(o, st->owner.token)) {
		describe_owner(st, who, sizeof(who));
		return fail(r, "lease", XH_EXIT_NOT_HOLDER,
			    "the lease of %s is held by this host for another "
			    "disk (%s), not for backend %s (token '%s'); "
			    "nothing to deactivate", o->vdi, who,
			    o->backend.spec, r->token);
	}
	r->lease_held = true;
	return XH_EXIT_OK;
}

/* Steps 1 and 2: after these no write of ours can still land, and none
 * is left dirty in this host's cache. */
static int deactivate_quiesce(const struct handover_opts *o,
			      struct handover_result *r,
			      const struct lease_status *st)
{
	char err[1024] = "";
	struct cachedrop_result cd;
	enum backend_result br;
	struct step_timer t;
	int ret;

	/* 1. Drain: after this no write of ours can still land. */
	step_begin(&t);
	br = backend_pause(&o->backend, o->timeout_ms, err, sizeof(err));
	step_end(r, &t, "pause");
	if (br != BACKEND_OK)
		return fail(r, "pause", handover_backend_exit(br),
			    "%s; the lease stays held by host %u (version %llu):"
			    " a VDI whose I/O may still land is never released",
			    err, (unsigned int)o->host_id,
			    (unsigned long long)st->version);

	/* 2. Flush what this host may still cache dirty. */
	step_begin(&t);
	ret = cachedrop_path(o->vdi, &cd, err, sizeof(err));
	step_end(r, &t, "flush");
	if (ret)
		return fail(r, "flush", XH_EXIT_FLUSH_FAILED,
			    "%s; the backend stays paused and the lease held "
			    "(run reactivate to resume here)", err);
	return XH_EXIT_OK;
}

/*
 * Fencing a holder that lost its lease (tapdisk-activated runs it after
 * pausing the domain): the same drain and flush as a deactivate, bounded
 * by --timeout, and no lease I/O at all (the lease may be on the storage
 * that hangs, and is no longer ours to release). Exit 0 confirms that no
 * write of this host to the image can still land.
 */
int handover_fence(const struct handover_opts *o, struct handover_result *r)
{
	char err[1024] = "", gone[512] = "";
	struct cachedrop_result cd;
	enum backend_result br;
	struct step_timer t;

	init_result(o, r, "fence");
	if (access(o->vdi, F_OK))
		return fail(r, "open", XH_EXIT_IO, "%s: %s (fencing: the "
			    "writes of this host are NOT confirmed stopped)",
			    o->vdi, strerror(errno));
	step_begin(&t);
	br = backend_pause(&o->backend, o->timeout_ms, err, sizeof(err));
	/* A backend nothing is left of (no tapdisk on the socket, no such
	 * dm device) writes nothing either. */
	if (br != BACKEND_OK &&
	    backend_stopped_after_resume(&o->backend, o->timeout_ms, gone,
					 sizeof(gone)))
		br = BACKEND_OK;
	step_end(r, &t, "pause");
	if (br != BACKEND_OK)
		return fail(r, "pause", handover_backend_exit(br),
			    "%s (fencing: the writes of this host are NOT "
			    "confirmed stopped)", err);
	step_begin(&t);
	if (cachedrop_path(o->vdi, &cd, err, sizeof(err))) {
		step_end(r, &t, "flush");
		return fail(r, "flush", XH_EXIT_FLUSH_FAILED, "%s (fencing: "
			    "the writes of this host are NOT confirmed "
			    "stopped)", err);
	}
	step_end(r, &t, "flush");
	snprintf(r->message, sizeof(r->message),
		 "backend %s stopped, image flushed: no write of this host "
		 "can still land", o->backend.spec);
	return XH_EXIT_OK;
}

/*
 * Did this holder write? Read while the backend is paused (after the
 * drain: nothing of it is in flight), from counters that only grow while
 * it is open, so "none" covers every write it issued while holding the
 * lease. Anything that cannot be read counts as "may have written".
 */
static bool backend_wrote_nothing(const struct handover_opts *o,
				  struct handover_result *r)
{
	struct backend_writes w;
	char err[512] = "";
	struct step_timer t;
	enum backend_result br;

	step_begin(&t);
	br = backend_writes(&o->backend, o->timeout_ms, &w, err, sizeof(err));
	step_end(r, &t, "writes");
	if (br != BACKEND_OK) {
		snprintf(r->writes, sizeof(r->writes), "not counted: %s", err);
		return false;
	}
	snprintf(r->writes, sizeof(r->writes), "%s", w.how);
	return !w.wrote;
}

/* 3. What we hand over: version and metadata fingerprint. */
static void deactivate_note_handed(const struct handover_opts *o,
				   struct handover_result *r,
				   const struct lease_status *st)
{
	char err[1024] = "";
	struct step_timer t;

	step_begin(&t);
	if (read_metadata(o, r, err, sizeof(err)))
		/* the destination's validation will refuse it */
		snprintf(r->warning, sizeof(r->warning),
			 "no fingerprint recorded: %s", err);
	step_end(r, &t, "fingerprint");
	r->record.has_released_version = true;
	r->record.released_version = st->version;
	snprintf(r->record.fingerprint, sizeof(r->record.fingerprint), "%s",
		 r->fingerprint);
}

/*
 * 4. Release, while the record of it is made durable: both wait for
 * the storage, so they overlap. Writing "released V" a moment early
 * is harmless: if the release then fails, the record is marked
 * failed, and a reactivate that finds the lease still ours only
 * resumes the backend.
 */
static int deactivate_release(const struct handover_opts *o,
			      struct handover_result *r, struct lease *l,
			      const struct lease_status *st, uint64_t t_start)
{
	static struct record_saver saver;	/* large: not on the stack */
	struct step_timer t;
	int ret;

	r->record.total_us = clock_now_us() - t_start;
	r->record.time = (int64_t)time(NULL);
	saver.rec = r->record;
	saver.path = r->state_path;
	saver.started = !pthread_create(&saver.thread, NULL, save_durably,
					&saver);
	if (!saver.started)
		save_durably(&saver);
	step_begin(&t);
	ret = r->released_clean ?
	      lease_release_clean(l, &st->owner, o->successor_host_id) :
	      lease_release(l, &st->owner, o->successor_host_id);
	step_end(r, &t, "release");
	if (saver.started)
		pthread_join(saver.thread, NULL);
	handover_state_add_step(&r->record, "record", saver.us);
	if (ret != LEASE_OK) {
		snprintf(r->record.result, sizeof(r->record.result), "failed");
		save_record(r, false);
		return fail(r, "release", handover_lease_exit(ret),
			    "cannot release the lease: %s",
			    lease_err(l, lease_strerror(ret)));
	}
	r->lease_held = false;
	r->has_version = true;
	r->version = st->version;
	if (saver.err[0])
		snprintf(r->warning, sizeof(r->warning), "%s", saver.err);
	if (r->warning[0] && strstr(r->warning, "handover record"))
		/* reactivate needs it: say how to do without */
		return fail(r, "record", XH_EXIT_STATE_WRITE,
			    "lease released at version %llu but %s; reactivate "
			    "will need "
			    XH_HINT("reactivate", "--expect-version") " %llu",
			    (unsigned long long)st->version, r->warning,
			    (unsigned long long)st->version);
	return XH_EXIT_OK;
}

int handover_deactivate(const struct handover_opts *o,
			struct handover_result *r)
{
	uint64_t t_start = clock_now_us();
	struct lease_status st;
	struct step_timer t;
	struct lease *l = NULL;
	int ret;

	init_result(o, r, "deactivate");
	ret = handover_check_migrate(o, r);
	if (ret)
		return ret;

	step_begin(&t);
	ret = open_lease(o, r, &l);
	if (ret)
		return ret;
	ret = deactivate_check_holder(o, r, l, &st);
	if (ret)
		goto out;
	step_end(r, &t, "lease_check");
	ret = deactivate_quiesce(o, r, &st);
	if (ret)
		goto out;
	r->released_clean = backend_wrote_nothing(o, r);
	deactivate_note_handed(o, r, &st);
	ret = deactivate_release(o, r, l, &st, t_start);
	if (ret)
		r->released_clean = false;
out:
	r->record.total_us = clock_now_us() - t_start;
	lease_close(l);
	return ret;
}

/* Activation after the lease is ours: cache drop, validate, reopen. */
static int activate_held(const struct handover_opts *o,
			 struct handover_result *r, struct lease *l,
			 const struct lease_holder *me,
			 const char *expect_fingerprint)
{
	char err[1024] = "";
	struct step_timer t;
	int ret;

	step_begin(&t);
	ret = cachedrop_path(o->vdi, NULL, err, sizeof(err));
	step_end(r, &t, "cache_drop");
	if (ret) {
		ret = fail(r, "cache-drop", XH_EXIT_FLUSH_FAILED, "%s", err);
		goto undo;
	}
	step_begin(&t);
	ret = read_metadata(o, r, err, sizeof(err));
	step_end(r, &t, "validate");
	if (ret) {
		ret = fail(r, "validate", ret, "%s", err);
		goto undo;
	}
	if (expect_fingerprint && expect_fingerprint[0] && r->fingerprint[0] &&
	    strcmp(expect_fingerprint, r->fingerprint)) {
		ret = fail(r, "validate", XH_EXIT_METADATA_CHANGED,
			   "the VHD metadata of %s changed since this host's "
			   "deactivate (fingerprint %.16s... now %.16s...) "
			   "although no host acquired the lease: something "
			   "wrote it without the lease; refusing ("
			   XH_HINT("reactivate", "--force") " overrides)",
			   o->vdi, expect_fingerprint,
			   r->fingerprint);
		goto undo;
	}
	/* The checks took time: the backend writes only inside the window
	 * the acquire proved. */
	if (lease_owner_now_ns() >= lease_valid_until_ns(l)) {
		ret = fail(r, "lease", XH_EXIT_LEASE_LOST,
			   "validating took until %.3f s past the lease's "
			   "deadline: not resuming",
			   (double)(lease_owner_now_ns() -
				    lease_valid_until_ns(l)) / 1e9);
		goto undo;
	}
	ret = resume_backend(o, r, "");
	if (ret && !backend_stopped_after_resume(&o->backend, o->timeout_ms,
						 err, sizeof(err))) {
		/*
		 * The reopen may still complete (no answer in time, garbled
		 * or reset reply) and the backend did not confirm a pause:
		 * it may serve the image, so the VDI is not given back.
		 */
		r->lease_held = true;
		snprintf(r->message + strlen(r->message),
			 sizeof(r->message) - strlen(r->message),
			 "; the backend may be running (pausing it again "
			 "failed: %s), so the lease stays held by host %u at "
			 "version %llu: pause or stop the backend, then run "
			 "deactivate", err, (unsigned int)o->host_id,
			 (unsigned long long)me->version);
		return ret;
	}
	if (ret)
		goto undo;
	return XH_EXIT_OK;
undo:
	/*
	 * The backend is still paused (or answered the pause that followed
	 * a failed resume); give the VDI back, clean when its counters show
	 * it wrote nothing, so the source may take it back.
	 */
	r->released_clean = backend_wrote_nothing(o, r);
	if ((r->released_clean ? lease_release_clean(l, me, 0) :
	     lease_release(l, me, 0)) == LEASE_OK) {
		r->lease_held = false;
		snprintf(r->message + strlen(r->message),
			 sizeof(r->message) - strlen(r->message),
			 "; the backend stays paused and the lease was "
			 "released");
	} else {
		r->released_clean = false;
		snprintf(r->message + strlen(r->message),
			 sizeof(r->message) - strlen(r->message),
			 "; the backend stays paused but releasing the lease "
			 "failed too: %s", lease_err(l, "?"));
	}
	return ret;
}

/* Makes sure the backend is paused before anything is read (bounded). */
static int ensure_paused(const struct handover_opts *o,
			 struct handover_result *r)
{
	struct backend_status bs;
	struct step_timer t;
	enum backend_result br;
	char err[1024] = "";

	if (o->backend.kind == BACKEND_NONE)
		return XH_EXIT_OK;
	step_begin(&t);
	br = backend_query(&o->backend, &bs, o->timeout_ms, err, sizeof(err));
	if (br == BACKEND_OK && !bs.paused)
		/* It serves metadata it read before we own the VDI: close. */
		br = backend_pause(&o->backend, o->timeout_ms, err,
				   sizeof(err));
	step_end(r, &t, "pause");
	if (br != BACKEND_OK)
		return fail(r, "pause", handover_backend_exit(br),
			    "%s; no lease was acquired", err);
	return XH_EXIT_OK;
}

/*
 * How to take a VDI whose version moved anyway, in the terms of the
 * command that refused: reactivate has --force, activate does not (it
 * checks the version only when asked to).
 */
static const char *override_hint(const struct handover_result *r)
{
	if (r->op && !strcmp(r->op, "reactivate"))
		return XH_HINT("reactivate", "--force") " overrides";
	return "activate without "
		XH_HINT("activate", "--expect-version") " takes it anyway";
}

static int do_activate(const struct handover_opts *o,
		       struct handover_result *r, bool has_expect,
		       uint64_t expect, const char *expect_fingerprint)
{
	char who[200];
	uint64_t t_start = clock_now_us();
	struct lease_acquire_opts ao = { 0 };
	struct lease_holder me;
	struct step_timer t;
	struct lease *l = NULL;
	int ret;

	ret = handover_check_migrate(o, r);
	if (ret)
		return ret;
	ret = ensure_paused(o, r);
	if (ret)
		return ret;

	step_begin(&t);
	ret = open_lease(o, r, &l);
	if (ret)
		return ret;
	ao.host_id = o->host_id;
	ao.token = r->token;
	ao.has_expect_version = has_expect;
	ao.expect_version = expect;
	ao.wait_seconds = o->lease_wait_s;
	ao.on_wait = o->on_lease_wait;
	ao.on_wait_arg = o->on_lease_wait_arg;
	r->has_expected = has_expect;
	r->expected_version = expect;
	ret = lease_acquire(l, &ao, &me, &r->seen);
	step_end(r, &t, "lease");
	if (ret != LEASE_OK) {
		r->have_seen = ret == LEASE_HELD || ret == LEASE_VERSION_MOVED;
		describe_owner(&r->seen, who, sizeof(who));
		if (ret == LEASE_VERSION_MOVED)
			ret = fail(r, "lease", XH_EXIT_REACTIVATE_REFUSED,
				   "another host acquired the lease of %s after "
				   "version %llu (now %s): it may have written "
				   "the VDI, so activating here could lose its "
				   "writes; refusing (%s, only if that host is "
				   "known not to run the guest); the backend "
				   "stays paused", o->vdi,
				   (unsigned long long)expect, who,
				   override_hint(r));
		else if (ret == LEASE_HELD)
			ret = fail(r, "lease", handover_lease_exit(ret),
				   "the lease of %s is held by %s and was not "
				   "released within %.1f s; the backend stays "
				   "paused", o->vdi, who, o->lease_wait_s);
		else
			ret = fail(r, "lease", handover_lease_exit(ret),
				   "cannot acquire the lease: %s; the backend "
				   "stays paused",
				   lease_err(l, lease_strerror(ret)));
		goto out;
	}
	r->lease_held = true;
	r->has_version = true;
	r->version = me.version;
	r->valid_until_ns = lease_valid_until_ns(l);
	r->record.has_acquired_version = true;
	r->record.acquired_version = me.version;

	ret = activate_held(o, r, l, &me, expect_fingerprint);
	if (ret)
		goto out;
	snprintf(r->record.fingerprint, sizeof(r->record.fingerprint), "%s",
		 r->fingerprint);
	r->record.total_us = clock_now_us() - t_start;
	save_record(r, false);	/* a lost record only costs timings */
out:
	r->record.total_us = clock_now_us() - t_start;
	lease_close(l);
	return ret;
}

int handover_activate(const struct handover_opts *o,
		      struct handover_result *r)
{
	init_result(o, r, "activate");
	return do_activate(o, r, o->has_expect_version, o->expect_version,
			   NULL);
}

/*
 * The lease never left this host, but that is no proof that it still
 * holds it now: renew it (through this host's holder state) before the
 * backend may write again. A holding whose deadline passed, or that this
 * boot never proved, is refused, and the backend stays paused.
 */
static int prove_held(const struct handover_opts *o,
		      struct handover_result *r, const struct lease_status *st)
{
	struct lease_holder h;
	struct lease *l;
	int ret;

	ret = open_lease(o, r, &l);
	if (ret)
		return ret;
	ret = lease_holder_recall(l, o->host_id, st->owner.token, st->version,
				  &h);
	if (ret == LEASE_OK)
		ret = lease_renew(l, &h);
	if (ret != LEASE_OK) {
		ret = fail(r, "lease", handover_lease_exit(ret),
			   "the lease (version %llu) was never released, but "
			   "this host cannot prove it still holds it: %s; the "
			   "backend stays paused",
			   (unsigned long long)st->version,
			   lease_err(l, lease_strerror(ret)));
		lease_close(l);
		return ret;
	}
	r->valid_until_ns = lease_valid_until_ns(l);
	lease_close(l);
	return XH_EXIT_OK;
}

/* The lease never left this host: only the backend needs resuming. */
static int resume_only(const struct handover_opts *o,
		       struct handover_result *r, const struct lease_status *st)
{
	struct backend_status bs = { 0 };
	char err[1024] = "";
	int ret;

	r->lease_held = true;
	r->has_version = true;
	r->version = st->version;
	ret = prove_held(o, r, st);
	if (ret)
		return ret;
	/*
	 * A deactivate whose pause timed out leaves tapdisk running (the
	 * pause was abandoned with our connection), and tapdisk refuses to
	 * RESUME a VBD that is not paused: running is what we want.
	 */
	if (o->backend.kind != BACKEND_NONE &&
	    backend_query(&o->backend, &bs, o->timeout_ms, err,
			  sizeof(err)) == BACKEND_OK &&
	    (!strcmp(bs.state, "running") || !strcmp(bs.state, "active"))) {
		snprintf(r->warning, sizeof(r->warning),
			 "the lease was never released (version %llu) and the "
			 "backend is %s: nothing to resume",
			 (unsigned long long)st->version, bs.state);
		return XH_EXIT_OK;
	}
	ret = resume_backend(o, r, "; the lease is still held by this host");
	if (ret)
		return ret;
	snprintf(r->warning, sizeof(r->warning),
		 "the lease was never released (version %llu): backend "
		 "resumed only", (unsigned long long)st->version);
	return XH_EXIT_OK;
}

/*
 * Since our release at @released, did exactly one acquire happen, and did
 * its holder release clean (its backend wrote nothing while it held the
 * VDI)? Then the VDI is as we left it, apart from what the metadata
 * fingerprint checks again on the way in (required here: without the
 * recorded fingerprint nothing is proved). A free leader's flags cannot
 * change without an acquire, which moves the version: the versioned
 * acquire at st->version that follows fails if anyone took it since.
 */
static bool moved_clean(const struct handover_opts *o,
			const struct lease_status *st, uint64_t released,
			const char *fp)
{
	return st->state == LEASE_STATE_FREE && st->released_clean &&
	       st->version == released + 1 &&
	       st->pending_version <= st->version &&
	       (o->raw || (fp && fp[0]));
}

/*
 * The source's changed-block-tracking log missed whatever another host
 * wrote: mark it inconsistent so the next backup is a full one. Only a
 * log the spec names (the pause refused to leave an unnamed one behind).
 */
static void mark_cbt_inconsistent(const struct handover_opts *o,
				  struct handover_result *r, const char *why)
{
	char err[512] = "", *m = r->message;
	size_t n = strlen(m);

	if (o->backend.kind != BACKEND_TAPDISK || !o->backend.cbt_log[0])
		return;
	if (!backend_cbt_mark_inconsistent(o->backend.cbt_log, err,
					   sizeof(err))) {
		r->cbt_marked_inconsistent = true;
		snprintf(err, sizeof(err), "CBT log %s marked inconsistent (%s):"
			 " the next backup must be a full one",
			 o->backend.cbt_log, why);
	} else {
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
			 "; it could NOT be marked inconsistent (%s): run "
			 "`cbt-util set -n %s -f 0` before the next backup",
			 why, o->backend.cbt_log);
	}
	if (n)
		snprintf(m + n, sizeof(r->message) - n, "; %s", err);
	else
		snprintf(r->warning, sizeof(r->warning), "%s", err);
}

int handover_reactivate(const struct handover_opts *o,
			struct handover_result *r)
{
	char err[1024] = "";
	struct handover_state rec;
	struct lease_status st;
	struct lease *l = NULL;
	const char *fp = NULL;
	uint64_t expect = 0;
	bool has_expect = false, proved;
	int ret;

	init_result(o, r, "reactivate");
	ret = open_lease(o, r, &l);
	if (ret)
		return ret;
	ret = lease_read_status(l, &st);
	lease_close(l);
	if (ret != LEASE_OK)
		return fail(r, "lease", handover_lease_exit(ret),
			    "cannot read the lease: %s", lease_strerror(ret));
	r->seen = st;
	r->have_seen = true;
	if (st.state == LEASE_STATE_HELD && st.has_owner &&
	    st.owner.host_id == o->host_id &&
	    handover_token_is_ours(o, st.owner.token)) {
		ret = handover_check_migrate(o, r);
		return ret ? ret : resume_only(o, r, &st);
	}

	if (o->has_expect_version) {
		has_expect = true;
		expect = o->expect_version;
	} else if (handover_state_load(r->state_path, &rec, err,
				       sizeof(err)) == 0 &&
		   !strcmp(rec.last_op, "deactivate") &&
		   !strcmp(rec.result, "ok") && rec.has_released_version &&
		   rec.host_id == o->host_id && !strcmp(rec.vdi, o->vdi)) {
		has_expect = true;
		expect = rec.released_version;
		snprintf(r->record.fingerprint, sizeof(r->record.fingerprint),
			 "%s", rec.fingerprint);
		fp = r->record.fingerprint;
	} else if (!o->force) {
		return fail(r, "record", XH_EXIT_NO_HANDOVER_RECORD,
			    "no deactivate of %s by host %u is recorded (%s): "
			    "cannot tell whether another host activated it "
			    "since; pass "
			    XH_HINT("reactivate", "--expect-version") " V or "
			    XH_HINT("reactivate", "--force"),
			    o->vdi, (unsigned int)o->host_id,
			    err[0] ? err : r->state_path);
	}
	if (o->force) {
		/* Operator's decision: no version or fingerprint check. */
		proved = has_expect && (st.version == expect ||
					moved_clean(o, &st, expect, fp));
		has_expect = false;
		fp = NULL;
		if (!proved)
			/* before the resume, while tapdisk has the log closed */
			mark_cbt_inconsistent(o, r, "reactivate "
					      XH_HINT("reactivate", "--force") " "
					      "cannot prove that no other host "
					      "wrote since this host's release");
		return do_activate(o, r, false, 0, NULL);
	}
	if (has_expect && moved_clean(o, &st, expect, fp)) {
		snprintf(r->warning, sizeof(r->warning),
			 "the lease moved from version %llu to %llu, but host "
			 "%u (%s) released version %llu clean (its backend "
			 "wrote nothing): taking it back%s",
			 (unsigned long long)expect,
			 (unsigned long long)st.version,
			 (unsigned int)st.owner.host_id, st.owner.host_name,
			 (unsigned long long)st.version,
			 o->backend.cbt_log[0] ? ", CBT log kept" : "");
		expect = st.version;
	}
	ret = do_activate(o, r, has_expect, expect, fp);
	/*
	 * Refused because the version moved (exit 31, or a holder that
	 * still has it) or the metadata changed: whatever was written then
	 * is not in our bitmap. Other failures (I/O, a pause that timed
	 * out) decide nothing and leave the log alone.
	 */
	if (ret == XH_EXIT_METADATA_CHANGED)
		mark_cbt_inconsistent(o, r, "the metadata changed without the "
				      "lease");
	else if (ret && has_expect && (ret == XH_EXIT_REACTIVATE_REFUSED ||
				       (r->have_seen &&
					r->seen.version > expect)))
		mark_cbt_inconsistent(o, r, "another host may have written "
				      "since this host's release");
	return ret;
}
